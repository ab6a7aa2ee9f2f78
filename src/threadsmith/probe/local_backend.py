"""A local transformers model (optionally with a PEFT adapter) as a probe backend.

Loads a model folder, a hub id already in the local cache, or a GGUF file, through the train
package's :func:`~threadsmith.train.models.resolve_model`: a GGUF is de-quantized once into a
plain folder under the threadsmith cache, shared with training, so later runs load in seconds.

``THREADSMITH_TORCH_THREADS=1`` sets torch's thread count: on a small machine shared with other
work, fewer threads can be ten times faster (threads spin against the other processes).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from threadsmith.errors import InputNotFound, MissingDependency, UserError
from threadsmith.probe.backend import Messages
from threadsmith.probe.scores.forgetting import Distribution
from threadsmith.probe.suite import Generation


def _import_torch() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependency(exc.name or "transformers", extra="train", purpose="Probing a local model") from exc
    return torch, transformers


def cache_dir() -> Path:
    """The threadsmith cache (probe replies go under ``probe/``)."""
    if os.environ.get("THREADSMITH_CACHE"):
        return Path(os.environ["THREADSMITH_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "threadsmith"


class LocalBackend:
    """Greedy or seeded-sampling generation with a transformers causal LM."""

    def __init__(self, model: Any, tokenizer: Any, name: str) -> None:
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self._torch = _import_torch()[0]

    @classmethod
    def load(cls, model: str, adapter: str | None = None) -> LocalBackend:
        torch, transformers = _import_torch()
        threads = os.environ.get("THREADSMITH_TORCH_THREADS")
        if threads and threads.isdigit() and int(threads) > 0:
            torch.set_num_threads(int(threads))
        from threadsmith.train.models import resolve_model

        source = resolve_model(model)  # a GGUF becomes a plain folder once, shared with training
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
            loaded = transformers.AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
        except OSError as exc:
            raise UserError(f"cannot load model {model!r}: {exc}",
                            hint="Pass a model folder, a .gguf file, or a hub id already downloaded.") from None
        name = model
        if adapter:
            loaded = _with_adapter(loaded, adapter)
            name = f"{model}+{adapter}"
        loaded.eval()
        return cls(loaded, tokenizer, name)

    def _ids(self, messages: Messages, generation_prompt: bool = True) -> Any:
        ids = self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=generation_prompt,
                                                 return_tensors="pt", return_dict=True)
        return ids["input_ids"]

    def generate(self, messages: Messages, generation: Generation) -> tuple[str, str]:
        torch = self._torch
        ids = self._ids(messages)
        sampling = generation.temperature > 0
        kwargs: dict[str, Any] = {"max_new_tokens": generation.max_new_tokens, "do_sample": sampling,
                                  "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id}
        if sampling:
            torch.manual_seed(generation.seed)
            kwargs.update(temperature=generation.temperature, top_p=generation.top_p)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        with torch.no_grad():
            out = self.model.generate(ids, attention_mask=torch.ones_like(ids), **kwargs)
        new = out[0, ids.shape[1]:]
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        finish = "stop" if len(new) < generation.max_new_tokens or (len(new) and int(new[-1]) in eos_ids) else "length"
        return self.tokenizer.decode(new, skip_special_tokens=True).strip(), finish

    def _logits(self, messages: Messages, continuation: str) -> tuple[Any, int, Any]:
        """Log-softmax over the prompt + continuation, and where the continuation starts."""
        torch = self._torch
        prompt = self._ids(messages)
        tail = self.tokenizer(continuation, add_special_tokens=False, return_tensors="pt")["input_ids"]
        ids = torch.cat([prompt, tail], dim=1)
        with torch.no_grad():
            logits = self.model(ids).logits[0].float()
        return torch.log_softmax(logits, dim=-1), prompt.shape[1], ids[0]

    def choice_logprobs(self, messages: Messages, choices: Sequence[str]) -> list[float]:
        scores = []
        for choice in choices:
            logp, start, ids = self._logits(messages, choice)
            scores.append(float(sum(logp[i - 1, ids[i]] for i in range(start, len(ids)))))
        return scores

    def token_distributions(self, messages: Messages, continuation: str, k: int = 20) -> list[Distribution]:
        logp, start, ids = self._logits(messages, continuation)
        top = self._torch.topk(logp[start - 1:len(ids) - 1], k, dim=-1)
        return [(row_ids.tolist(), [round(v, 7) for v in row_vals.tolist()])
                for row_ids, row_vals in zip(top.indices, top.values)]


def _with_adapter(model: Any, adapter: str) -> Any:
    try:
        from peft import PeftModel
    except ImportError as exc:
        raise MissingDependency("peft", extra="train", purpose="Probing with a LoRA adapter") from exc
    if not Path(adapter).exists():
        raise InputNotFound(f"{adapter}: no such adapter folder")
    from threadsmith.train.models import hide_peft_renames

    with warnings.catch_warnings():
        hide_peft_renames()
        return PeftModel.from_pretrained(model, adapter)
