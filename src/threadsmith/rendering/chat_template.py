"""Chat templates: the named ones the project writes, user Jinja files, and tokenizers' own.

A template is compiled the way ``transformers`` compiles chat templates (sandboxed Jinja,
``trim_blocks``/``lstrip_blocks``, ``raise_exception``, ``tojson``, the ``{% generation %}``
tag), so a template renders here exactly as it does in ``apply_chat_template``. Rendering
records the character span of every ``{% generation %}...{% endgeneration %}`` block: the
trained spans. jinja2 is imported late (extra ``threadsmith[export]``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from threadsmith.errors import MissingDependency, UserError


class RenderError(UserError):
    """Raised when a chat template cannot render a conversation (it raised, or it is broken)."""


@dataclass(frozen=True, slots=True)
class NamedTemplate:
    """A template the project writes itself, with who uses it and its special strings."""

    name: str
    note: str
    #: The string that ends a turn (trained with the reply).
    end_of_turn: str
    #: Strings whose presence in a vocabulary suggests this template.
    markers: tuple[str, ...]


NAMED: dict[str, NamedTemplate] = {
    t.name: t for t in (
        NamedTemplate("chatml", "ChatML: Qwen/Qwen2/Qwen2.5/Qwen3, SmolLM2, Hermes, Yi-chat and many fine-tunes",
                      "<|im_end|>", ("<|im_start|>", "<|im_end|>")),
        NamedTemplate("llama3", "Llama 3 / 3.1 / 3.2 / 3.3 Instruct and fine-tunes built on them",
                      "<|eot_id|>", ("<|start_header_id|>", "<|eot_id|>")),
        NamedTemplate("mistral", "Mistral [INST] format: Mistral 7B Instruct v0.1-v0.3, Mixtral Instruct",
                      "</s>", ("[INST]", "[/INST]")),
        NamedTemplate("gemma", "Gemma, Gemma 2 and Gemma 3 instruction-tuned (assistant speaks as 'model')",
                      "<end_of_turn>", ("<start_of_turn>", "<end_of_turn>")),
        NamedTemplate("phi3", "Phi-3 / Phi-3.5 mini and medium Instruct",
                      "<|end|>", ("<|assistant|>", "<|end|>")),
    )
}
#: Turn-ending strings of common templates, tried when a template is not one of ours.
COMMON_END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "</s>", "<|endoftext|>",
                      "<|end_of_text|>", "<eos>")
_GENERATION_TAG = re.compile(r"{%-?\s*generation\s*-?%}")


def named_source(name: str) -> str:
    """The Jinja source of a named template."""
    if name not in NAMED:
        raise UserError(f"No named chat template is called {name!r}.",
                        hint=f"Choose among {', '.join(NAMED)}, or pass a .jinja file.")
    return resources.files("threadsmith.rendering").joinpath("templates", f"{name}.jinja").read_text("utf-8")


@dataclass(eq=False)
class ChatTemplate:
    """A compiled chat template; :meth:`render` returns the text and its generation spans."""

    source: str
    name: str
    #: The turn-ending string trained with each reply ("" when unknown).
    end_of_turn: str = ""
    #: Extra variables the template sees (bos_token, eos_token ...).
    variables: dict[str, Any] = field(default_factory=dict)
    #: True for the project's own templates, which render outside Jinja's sandbox (faster);
    #: templates from users and tokenizers always render in the sandbox.
    trusted: bool = False
    _compiled: Any = field(default=None, repr=False)
    _tracker: Any = field(default=None, repr=False)

    @property
    def has_generation_markers(self) -> bool:
        """True when the template marks trained spans with ``{% generation %}``."""
        return bool(_GENERATION_TAG.search(self.source))

    def render(self, messages: list[dict[str, Any]], *, add_generation_prompt: bool = False,
               tools: list[Any] | None = None) -> tuple[str, list[tuple[int, int]]]:
        """The rendered text and the (start, end) character span of each generation block;
        ``tools``: the tool definitions, which templates that support tools write into the prompt."""
        if self._compiled is None:
            self._compiled, self._tracker = _compile(self.source, self.name, self.trusted)
        blocks: list[str] = []
        spans: list[tuple[int, int]] = []
        self._tracker.blocks, self._tracker.spans = blocks, spans
        try:
            for block in self._compiled.generate(messages=messages, add_generation_prompt=add_generation_prompt,
                                                 tools=tools, **self.variables):
                blocks.append(block)
        except Exception as exc:  # a template raising on purpose, or a template bug: both are data problems
            raise RenderError(f"the chat template {self.name!r} cannot render this conversation: "
                              f"{_reason(exc)}") from exc
        finally:
            self._tracker.blocks = self._tracker.spans = None
        return "".join(blocks), spans

    def __getstate__(self) -> dict[str, Any]:
        return {"source": self.source, "name": self.name, "end_of_turn": self.end_of_turn,
                "variables": self.variables, "trusted": self.trusted}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if type(exc).__name__ == "TemplateError" else f"{type(exc).__name__}: {text}"


def named_template(name: str, variables: dict[str, Any] | None = None) -> ChatTemplate:
    """One of the named templates (``chatml``, ``llama3``, ``mistral``, ``gemma``, ``phi3``)."""
    return ChatTemplate(named_source(name), name, NAMED[name].end_of_turn, dict(variables or {}), trusted=True)


def file_template(path: str | Path, end_of_turn: str = "", variables: dict[str, Any] | None = None) -> ChatTemplate:
    """A template from a user's Jinja file."""
    p = Path(path)
    try:
        source = p.read_text("utf-8")
    except OSError as exc:
        raise UserError(f"Cannot read the chat template file {p}: {exc.strerror or exc}.") from exc
    return ChatTemplate(source, str(p), end_of_turn or guess_end_of_turn(source), dict(variables or {}))


def guess_end_of_turn(source: str, eos_token: str | None = None) -> str:
    """The turn-ending string a template most likely uses: a common one it writes, else the EOS."""
    for candidate in COMMON_END_OF_TURN:
        if candidate in source:
            return candidate
    if eos_token and ("eos_token" in source or eos_token in source):
        return eos_token
    return ""


def _compile(source: str, name: str, trusted: bool = False) -> tuple[Any, Any]:
    try:
        import jinja2
        import jinja2.ext
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError as exc:
        raise MissingDependency("jinja2", extra="export", purpose="Rendering chat templates") from exc

    class GenerationTracker(jinja2.ext.Extension):
        """``{% generation %}...{% endgeneration %}``: records where each block lands in the output."""

        tags = {"generation"}
        blocks: list[str] | None = None
        spans: list[tuple[int, int]] | None = None

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_track"), [], [], body).set_lineno(lineno)

        def _track(self, caller: Any) -> str:
            out = caller()
            if self.blocks is not None and self.spans is not None:
                start = sum(map(len, self.blocks))
                self.spans.append((start, start + len(out)))
            return out

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None,
               sort_keys: bool = False) -> str:
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt: str) -> str:
        from datetime import datetime
        return datetime.now().strftime(fmt)

    environment = jinja2.Environment if trusted else ImmutableSandboxedEnvironment
    env = environment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals.update(raise_exception=raise_exception, strftime_now=strftime_now)
    try:
        compiled = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"The chat template {name!r} is not valid Jinja: {exc.message} (line {exc.lineno}).",
                        hint="Fix the template, or pick a named one with --template.") from exc
    tracker = next(e for e in env.extensions.values() if isinstance(e, GenerationTracker))
    return compiled, tracker
