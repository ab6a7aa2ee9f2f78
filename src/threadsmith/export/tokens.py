"""Token statistics of an export, per split, and OpenAI's billed tokens and cost per epoch.

With a tokenizer (``--tokenizer``; see ``threadsmith.rendering``), counts are exact: the
conversation rendered with its chat template, and the trained (assistant) tokens from the
template's mask. Without one, counts are an estimate, said so in the manifest: OpenAI's
cookbook formula with text tokens approximated as ``ceil(characters / 4)``: each message
costs its text tokens (a tool call's name and arguments count as its text) plus 3, each name 1
more, and each conversation 3 (the reply priming) plus its tool definitions' characters / 4.

Counting is batched (:data:`BATCH` conversations at a time), and only two integers per entry
are kept (for the percentiles), never the conversations.
"""

from __future__ import annotations

import math
import tomllib
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from threadsmith.errors import ConfigError
from threadsmith.model import Conversation
from threadsmith.model.calls import arguments_text

BATCH = 256
#: ``(total tokens, trained tokens)`` per conversation of a batch.
Counter = Callable[[Sequence[Conversation]], list[tuple[int, int]]]
ESTIMATE = "estimate: ceil(characters / 4) per message + 3 per message + 1 per name + 3 per conversation"


def estimate_counts(conversations: Sequence[Conversation]) -> list[tuple[int, int]]:
    """Estimated ``(total, trained)`` tokens of each conversation (see the module docstring)."""
    out = []
    for conversation in conversations:
        total, trained = 3, 0
        tools = conversation.metadata.get("tools")
        if tools:  # OpenAI bills the tool definitions as part of every example
            total += math.ceil(len(tools if isinstance(tools, str) else orjson.dumps(tools)) / 4)
        for message in conversation.messages:
            characters = len(message.text)
            for call in message.tool_calls:  # (a ShareGPT function_call turn's text is its call already)
                characters += len(call.name) + len(arguments_text(call.arguments))
            tokens = math.ceil(characters / 4)
            total += tokens + 3 + (message.name is not None)
            if message.role == "assistant" and message.weight != 0:
                trained += tokens + 1
        out.append((total, trained))
    return out


def tokenizer_counter(tokenizer: Any) -> Counter:
    """Exact counts from a ``threadsmith.rendering`` chat tokenizer: one batch render + encode per call.

    A conversation the template refuses (a role it cannot take) counts its bare contents and
    trains nothing; the template checks (family ``template``) report why.
    """

    def count(conversations: Sequence[Conversation]) -> list[tuple[int, int]]:
        out = []
        rendered = tokenizer.render_many(list(conversations))
        refused = [c for c, r in zip(conversations, rendered) if not hasattr(r, "input_ids")]
        bare = iter(tokenizer.count(refused)) if refused else iter(())
        for r in rendered:
            if hasattr(r, "input_ids"):
                out.append((len(r.input_ids), int(r.trained_tokens)))
            else:
                out.append((next(bare).total, 0))
        return out

    return count


class TokenStats:
    """Per-split token counts, fed entry by entry, counted in batches."""

    def __init__(self, counter: Counter, method: str) -> None:
        self.counter = counter
        self.method = method
        self._pending: list[tuple[str, Conversation]] = []
        self._totals: dict[str, array] = {}
        self._trained: dict[str, array] = {}

    def add(self, split: str, conversation: Conversation) -> None:
        """Count one exported entry (when its batch is full)."""
        self._pending.append((split, conversation))
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Count the entries waiting."""
        if not self._pending:
            return
        counts = self.counter([c for _, c in self._pending])
        for (split, _), (total, trained) in zip(self._pending, counts):
            self._totals.setdefault(split, array("I")).append(total)
            self._trained.setdefault(split, array("I")).append(trained)
        self._pending = []

    def totals(self, split: str) -> Sequence[int]:
        """Total tokens of each entry of a split, in order."""
        self.flush()
        return self._totals.get(split, array("I"))

    def summary(self) -> dict[str, Any]:
        """Per split: entries, total and trained tokens, mean, median, 95th percentile and maximum."""
        self.flush()
        out: dict[str, Any] = {"method": self.method, "splits": {}}
        for split, totals in self._totals.items():
            ordered = sorted(totals)
            n = len(ordered)
            out["splits"][split] = {
                "entries": n, "tokens": sum(ordered), "trained_tokens": sum(self._trained[split]),
                "mean": round(sum(ordered) / n, 1) if n else 0, "p50": _percentile(ordered, 0.5),
                "p95": _percentile(ordered, 0.95), "max": ordered[-1] if n else 0,
            }
        return out


def _percentile(ordered: list[int], q: float) -> int:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0


@dataclass(frozen=True, slots=True)
class PriceTable:
    """OpenAI fine-tuning prices: model -> (USD per 1M training tokens, context), and the default model."""

    models: dict[str, tuple[float, int]]
    default_model: str
    as_of: str
    source: str

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        """The shipped table (``prices.toml``), with a user file's models replacing or adding to it."""
        shipped = tomllib.loads(resources.files("threadsmith.export").joinpath("prices.toml").read_text("utf-8"))
        table = cls._parse(shipped, "threadsmith/export/prices.toml")
        if path is None:
            return table
        try:
            user = tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"Cannot read the price table {path}: {exc}",
                              hint="Copy the layout of threadsmith/export/prices.toml.") from None
        mine = cls._parse(user, str(path), table.default_model)
        return cls({**table.models, **mine.models}, user.get("default_model", table.default_model),
                   str(user.get("as_of", table.as_of)), f"{table.source} + {path}")

    @classmethod
    def _parse(cls, data: dict[str, Any], source: str, default: str = "") -> PriceTable:
        models = {}
        for name, row in (data.get("models") or {}).items():
            try:
                models[name] = (float(row["training_per_million"]), int(row.get("context", 65536)))
            except (KeyError, TypeError, ValueError):
                raise ConfigError(f"{source}: model {name!r} needs a number training_per_million "
                                  "(and an integer context).") from None
        return cls(models, str(data.get("default_model", default)), str(data.get("as_of", "")), source)

    def estimate(self, totals: Sequence[int], model: str | None = None, epochs: int = 3) -> dict[str, Any]:
        """Billed tokens and cost per epoch of a training file whose examples have these token counts."""
        name = model or self.default_model
        if name not in self.models:
            raise ConfigError(f"No price for OpenAI model {name!r}.",
                              hint=f"Known: {', '.join(sorted(self.models))}; add it with --price-table FILE.")
        price, context = self.models[name]
        billed = sum(min(t, context) for t in totals)
        per_epoch = billed * price / 1_000_000
        return {"model": name, "usd_per_million_training_tokens": price, "prices_as_of": self.as_of,
                "price_table": self.source, "context": context, "examples": len(totals),
                "over_context": sum(1 for t in totals if t > context), "billed_tokens_per_epoch": billed,
                "cost_per_epoch_usd": round(per_epoch, 4), "epochs": epochs,
                "cost_usd": round(per_epoch * epochs, 4)}
