"""One entry as a workspace tokenizer's chat template renders it: the render page and its API.

The tokenizer is one the workspace owner put in ``tokenizers/`` beside the database (the export
page's rule, :meth:`~threadsmith.web.exports.ExportPlace.tokenizer`); the browser only names it.
Loading one is slow (a large ``tokenizer.json`` takes a second), so loaded tokenizers are kept
in a small LRU per (path, modification time, template): a tokenizer replaced on disk is loaded
again. The view cuts the rendered text into pieces at message and trained-span boundaries, so a
page or a tool can show it with the trained characters highlighted, exactly as
:meth:`ChatTokenizer.render` reports them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import Request

from threadsmith.checks.template import template_findings
from threadsmith.errors import UserError
from threadsmith.model import Conversation, Finding
from threadsmith.rendering import ChatTokenizer, Rendered
from threadsmith.rendering.chat_template import NAMED
from threadsmith.web.exports import ExportPlace
from threadsmith.workspace import Workspace

TrainOn = Literal["all", "last"]
#: How many loaded tokenizers the app keeps.
CACHE_SIZE = 4


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of rendered text: trained or not, inside message ``message`` (None: no message's turn)."""

    text: str
    trained: bool
    message: int | None


@dataclass(frozen=True, slots=True)
class MessageTokens:
    """One message's share of the rendering."""

    index: int
    role: str
    tokens: int
    trained: int
    #: False when the template left the message's content out.
    rendered: bool


@dataclass(frozen=True, slots=True)
class RenderView:
    """What the render page and ``GET /api/.../render`` show for one entry."""

    key: str
    tokenizer: str
    template: str
    train_on: str
    mask_source: str
    tokens: int
    trained_tokens: int
    pieces: tuple[Piece, ...]
    messages: tuple[MessageTokens, ...]
    trained_spans: tuple[tuple[int, int], ...]
    findings: tuple[Finding, ...]

    def as_dict(self) -> dict[str, Any]:
        """The API's JSON for this view."""
        return {
            "key": self.key, "tokenizer": self.tokenizer, "template": self.template, "train_on": self.train_on,
            "mask_source": self.mask_source, "tokens": self.tokens, "trained_tokens": self.trained_tokens,
            "trained_spans": [list(s) for s in self.trained_spans],
            "pieces": [{"text": p.text, "trained": p.trained, "message": p.message} for p in self.pieces],
            "messages": [{"index": m.index, "role": m.role, "tokens": m.tokens, "trained": m.trained,
                          "rendered": m.rendered} for m in self.messages],
            "findings": [f.to_dict() for f in self.findings],
        }


class TokenizerCache:
    """Loaded tokenizers by (path, modification time, template); the least recently used goes first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._loaded: OrderedDict[tuple[str, int, str | None], ChatTokenizer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str, template: str | None) -> ChatTokenizer:
        """The tokenizer at ``path`` with ``template`` (None: its own, else the one its vocabulary fits)."""
        key = (path, _modified(Path(path)), template)
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        from threadsmith.rendering import load_tokenizer

        tokenizer = load_tokenizer(path, template=template)
        with self._lock:
            self._loaded[key] = tokenizer
            while len(self._loaded) > self.size:
                self._loaded.popitem(last=False)
        return tokenizer

    def __len__(self) -> int:
        return len(self._loaded)


def _modified(path: Path) -> int:
    """The newest modification time of a tokenizer file, or of the files of a model folder."""
    if path.is_dir():
        return max((p.stat().st_mtime_ns for p in path.iterdir() if p.is_file()), default=path.stat().st_mtime_ns)
    return path.stat().st_mtime_ns


def render_view(key: str, conversation: Conversation, tokenizer: ChatTokenizer, *, name: str,
                train_on: TrainOn = "all", with_findings: bool = True) -> RenderView:
    """The view of ``conversation`` rendered by ``tokenizer`` (raises RenderError when the template refuses it)."""
    rendered = tokenizer.render(conversation, train_on=train_on)
    mask = rendered.assistant_mask
    messages = tuple(MessageTokens(s.index, s.role, s.tokens, sum(mask[s.token_start:s.token_end]), s.content is not None)
                     for s in rendered.spans)
    findings = tuple(template_findings(conversation, tokenizer, train_on)) if with_findings else ()
    return RenderView(key, name, tokenizer.template_name, train_on, rendered.mask_source, len(rendered.input_ids),
                      rendered.trained_tokens, pieces(rendered), messages, rendered.trained_spans, findings)


def pieces(rendered: Rendered) -> tuple[Piece, ...]:
    """The rendered text cut at every message and trained-span boundary."""
    text = rendered.text
    turns = [(s.start, s.end, s.index) for s in rendered.spans if s.end > s.start]
    cuts = {0, len(text)}
    for start, end, _ in turns:
        cuts.update((start, end))
    for start, end in rendered.trained_spans:
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    bounds = sorted(cuts)
    out: list[Piece] = []
    for a, b in zip(bounds, bounds[1:]):
        if b <= a:
            continue
        trained = any(start <= a and b <= end for start, end in rendered.trained_spans)
        message = next((i for start, end, i in turns if start <= a and b <= end), None)
        if out and out[-1].trained == trained and out[-1].message == message:
            out[-1] = Piece(out[-1].text + text[a:b], trained, message)
        else:
            out.append(Piece(text[a:b], trained, message))
    return tuple(out)


#: The template choices: the tokenizer's own (``tokenizer``) or a named template; None: the
#: tokenizer's own, else the named template its vocabulary fits (the CLI's default).
TEMPLATE_CHOICES = ("tokenizer", *NAMED)
_CACHE_LOCK = threading.Lock()


def tokenizer_cache(request: Request) -> TokenizerCache:
    """FastAPI dependency: the app's tokenizer cache (made on first use)."""
    state = request.app.state
    with _CACHE_LOCK:
        if getattr(state, "tokenizers", None) is None:
            state.tokenizers = TokenizerCache()
    return state.tokenizers  # type: ignore[no-any-return]


def entry_render(ws: Workspace, cache: TokenizerCache, dataset: str, key: str, *, tokenizer: str,
                 template: str | None = None, train_on: TrainOn = "all", version: int | None = None) -> RenderView:
    """Entry ``key`` of ``dataset`` rendered by the workspace tokenizer named ``tokenizer``."""
    if template is not None and template not in TEMPLATE_CHOICES:
        raise UserError(f"No chat template {template!r}.",
                        hint=f"Choose the tokenizer's own (tokenizer) or one of {', '.join(NAMED)}.")
    entry = ws.entry(dataset, key, version=version)
    path = ExportPlace.of(ws.path).tokenizer(tokenizer)
    chat = cache.get(path, template)
    return render_view(entry.key, entry.conversation, chat, name=tokenizer, train_on=train_on)
