"""A tokenizer with its chat template: render conversations, mask the trained tokens, count tokens.

The trained (loss) mask, per token, 1 where the model learns:

* with a template that has ``{% generation %}`` markers, the characters inside each generation
  block are trained, and a token is trained when it overlaps such a span (the rule of
  ``transformers``' ``return_assistant_tokens_mask``, so both agree token for token);
* without markers (the fallback), an assistant message's content is located in the rendered text
  and it is trained together with the end-of-turn string that directly follows it.

``train_on="last"`` keeps only the last assistant turn; a message with ``weight == 0`` is never
trained. Every message owns the tokens from the end of the previous message (its content and
end-of-turn string) to the end of its own, so per-message counts add up to the total.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from threadsmith.model import Conversation, Message, message_calls
from threadsmith.model.calls import arguments_object, openai_tools
from threadsmith.rendering.chat_template import ChatTemplate, RenderError
from threadsmith.rendering.encoder import Encoded, Encoder

TrainOn = Literal["all", "last"]
_SENTINEL = re.compile("\ue000(\\d+)\ue001")


@dataclass(frozen=True, slots=True)
class MessageSpan:
    """Where one message landed in a rendering."""

    index: int
    role: str
    #: Characters of the whole turn (header, content, end of turn) in ``Rendered.text``.
    start: int
    end: int
    #: Characters of the message's content, or None when the template left it out.
    content: tuple[int, int] | None
    #: Tokens of the turn: ``input_ids[token_start:token_end]``.
    token_start: int
    token_end: int
    #: Characters trained for this message (None when none are).
    trained: tuple[int, int] | None = None

    @property
    def tokens(self) -> int:
        """How many tokens the turn takes."""
        return self.token_end - self.token_start


@dataclass(frozen=True, slots=True)
class Rendered:
    """One conversation rendered by a chat template and tokenized."""

    text: str
    input_ids: list[int]
    #: 1 for each trained token, 0 elsewhere (same length as ``input_ids``).
    assistant_mask: list[int]
    spans: tuple[MessageSpan, ...]
    #: Trained character spans (generation blocks, or the fallback's located replies).
    trained_spans: tuple[tuple[int, int], ...]
    #: "generation" (the template's markers) or "fallback" (located content + end of turn).
    mask_source: str

    @property
    def trained_tokens(self) -> int:
        """How many tokens are trained."""
        return sum(self.assistant_mask)


@dataclass(frozen=True, slots=True)
class TokenCounts:
    """Tokens per message and in all, as the template renders the conversation."""

    per_message: tuple[int, ...]
    total: int
    #: False when the template could not render the conversation: the counts are then the bare
    #: message contents (no template tokens).
    templated: bool = True


class ChatTokenizer:
    """A fast tokenizer and a chat template, used together (see the module docstring)."""

    def __init__(self, tokenizer: Any, template: ChatTemplate, *, name: str, eos_token: str | None = None,
                 bos_token: str | None = None, word_cache: bool = True) -> None:
        self.tokenizer = tokenizer
        self.template = template
        self.name = name
        self.eos_token = eos_token
        self.bos_token = bos_token
        self.end_of_turn = template.end_of_turn or eos_token or ""
        #: How many tokens the end-of-turn string encodes to (1 when the template fits the tokenizer).
        self.end_of_turn_pieces = (len(tokenizer.encode(self.end_of_turn, add_special_tokens=False).ids)
                                   if self.end_of_turn else 0)
        #: The end-of-turn token's id, when the string is one token.
        self.end_of_turn_id = tokenizer.token_to_id(self.end_of_turn) if self.end_of_turn_pieces == 1 else None
        self._word_cache = word_cache
        self.encoder = Encoder(tokenizer, word_cache=word_cache)
        self._skeletons: dict[tuple[tuple[str, str | None, str | None], ...], list[Any]] = {}
        self._fingerprint: str | None = None

    @property
    def template_name(self) -> str:
        """The template's name (a named template, a file path, or ``tokenizer``)."""
        return self.template.name

    def __repr__(self) -> str:
        return f"ChatTokenizer(name={self.name!r}, template={self.template_name!r})"

    @property
    def fingerprint(self) -> str:
        """A digest of everything that decides the tokens (the tokenizer, the template and its
        variables, the end-of-turn string): cached results under another one are not reused."""
        if self._fingerprint is None:
            sha = hashlib.sha256(self.tokenizer.to_str().encode())
            for part in (self.template.source, self.end_of_turn, repr(sorted(self.template.variables.items())),
                         str(self.eos_token), str(self.bos_token)):
                sha.update(b"\0" + part.encode())
            self._fingerprint = sha.hexdigest()[:32]
        return self._fingerprint

    def __getstate__(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_str(), "template": self.template, "name": self.name,
                "eos_token": self.eos_token, "bos_token": self.bos_token, "word_cache": self._word_cache}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str(state.pop("tokenizer"))
        self.__init__(tokenizer, state.pop("template"), **state)  # type: ignore[misc]

    # -- public API --------------------------------------------------------------------------

    def render(self, conversation: Conversation, *, train_on: TrainOn = "all") -> Rendered:
        """Render one conversation, tokenize it and compute its trained mask (raises RenderError)."""
        result = self.render_many([conversation], train_on=train_on)[0]
        if isinstance(result, RenderError):
            raise result
        return result

    def render_many(self, conversations: Sequence[Conversation], *, train_on: TrainOn = "all"
                    ) -> list[Rendered | RenderError]:
        """Render and tokenize a batch (one batch encode); a conversation the template refuses
        gets its RenderError in its place instead of a Rendered."""
        layouts = [self._layout(c) for c in conversations]
        texts = [layout.text for layout in layouts if not isinstance(layout, RenderError)]
        encoded = iter(self.encoder.encode_batch(texts))
        out: list[Rendered | RenderError] = []
        for conversation, layout in zip(conversations, layouts):
            if isinstance(layout, RenderError):
                out.append(layout)
            else:
                out.append(layout.finish(next(encoded), conversation.messages, train_on))
        return out

    def count(self, conversations: Sequence[Conversation]) -> list[TokenCounts]:
        """Tokens per message and per conversation, batch-encoded. A conversation the template
        cannot render is counted without the template (``templated=False``)."""
        layouts = [self._layout(c) for c in conversations]
        texts = [layout.text for layout in layouts if not isinstance(layout, RenderError)]
        encoded = iter(self.encoder.encode_batch(texts))
        out: list[TokenCounts | None] = []
        bare: list[int] = []
        for i, layout in enumerate(layouts):
            if isinstance(layout, RenderError):
                out.append(None)
                bare.append(i)
                continue
            enc = next(encoded)
            starts = [layout.token_index(enc, start) for start, _ in layout.regions]
            ends = starts[1:] + [len(enc.ids)]
            per = tuple(e - s for s, e in zip(starts, ends))
            out.append(TokenCounts(per, len(enc.ids)))
        if bare:
            self._count_bare(conversations, bare, out)
        return out  # type: ignore[return-value]

    def count_text(self, texts: Sequence[str]) -> list[int]:
        """Tokens of plain texts (no template)."""
        return [len(e.ids) for e in self.encoder.encode_batch(texts)]

    # -- internals ---------------------------------------------------------------------------

    def _count_bare(self, conversations: Sequence[Conversation], which: list[int],
                    out: list[TokenCounts | None]) -> None:
        texts = [m.text for i in which for m in conversations[i].messages]
        counts = iter(self.count_text(texts))
        for i in which:
            per = tuple(next(counts) for _ in conversations[i].messages)
            out[i] = TokenCounts(per, sum(per), templated=False)

    def _layout(self, conversation: Conversation) -> _Layout | RenderError:
        messages = [template_message(m) for m in conversation.messages]
        tools = openai_tools(conversation.metadata.get("tools"))
        tools = tools if isinstance(tools, list) and tools else None
        try:
            text, generation = self.template.render(messages, tools=tools)
            skeleton = self._skeleton(messages, tools)
        except RenderError as exc:
            return exc
        contents = [m["content"] for m in messages]
        located = _locate_exact(text, skeleton, contents) or _locate_by_search(text, contents)
        located = _locate_calls(text, located, messages, self.end_of_turn)
        regions = _regions(text, located, self.end_of_turn)
        return _Layout(text, located, regions, generation, self.template.has_generation_markers, self.end_of_turn)


    def _skeleton(self, messages: list[dict[str, Any]], tools: list[Any] | None = None) -> list[Any]:
        """The rendering with each content replaced by a numbered sentinel, split at the sentinels
        (literal, index, literal, index, ..., literal), cached by everything but the contents (a
        template that depends on contents is caught by the exact locate)."""
        key = tuple((m["role"], m.get("name"), m.get("tool_call_id")) for m in messages)
        cacheable = tools is None and not any("tool_calls" in m for m in messages)
        skeleton = self._skeletons.get(key) if cacheable else None
        if skeleton is None:
            text, _ = self.template.render([{**m, "content": f"\ue000{i}\ue001"} for i, m in enumerate(messages)],
                                           tools=tools)
            skeleton = [int(p) if k % 2 else p for k, p in enumerate(_SENTINEL.split(text))]
            if cacheable:
                if len(self._skeletons) >= 4096:
                    self._skeletons.clear()
                self._skeletons[key] = skeleton
        return skeleton


def template_message(message: Message) -> dict[str, Any]:
    """A message as chat templates expect it (role, content, and name / tool calls when present)."""
    calls = message_calls(message)
    content = "" if calls and not message.tool_calls else message.text  # a function_call turn's text is its calls
    out: dict[str, Any] = {"role": message.role, "content": content}
    if message.name:
        out["name"] = message.name
    if calls:  # arguments as an object, as transformers' chat templates expect them
        out["tool_calls"] = [{"id": call.id, "type": "function",
                              "function": {"name": call.name, "arguments": arguments_object(call.arguments)}}
                             for call in calls]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


@dataclass(slots=True)
class _Layout:
    """A rendering before tokenization: text, content spans, turn regions, generation spans."""

    text: str
    located: list[tuple[int, int] | None]
    regions: list[tuple[int, int]]
    generation: list[tuple[int, int]]
    markers: bool
    end_of_turn: str

    @staticmethod
    def token_index(enc: Encoded, char: int) -> int:
        """The first token starting at or after ``char``."""
        token = enc.token_at(char)
        if token is None:
            return len(enc.ids)
        return token + 1 if enc.token_start(token) < char else token

    def finish(self, enc: Encoded, messages: Sequence[Message], train_on: TrainOn) -> Rendered:
        trained = self._trained(messages, train_on)
        n = len(enc.ids)
        mask = [0] * n
        for start, end in sorted(s for s in trained.values() if s is not None):
            if end <= start:
                continue
            first, last = enc.token_at(start), enc.token_at(end - 1)
            if first is None:
                continue
            stop = n if last is None else last + 1
            mask[first:stop] = [1] * (stop - first)
        starts = [self.token_index(enc, start) for start, _ in self.regions]
        ends = starts[1:] + [n]
        spans = tuple(
            MessageSpan(i, m.role, region[0], region[1], self.located[i], starts[i], ends[i], trained.get(i))
            for i, (m, region) in enumerate(zip(messages, self.regions)))
        source = "generation" if self.markers else "fallback"
        return Rendered(self.text, enc.ids, mask, spans,
                        tuple(sorted(s for s in trained.values() if s is not None)), source)

    def _trained(self, messages: Sequence[Message], train_on: TrainOn) -> dict[int, tuple[int, int] | None]:
        """Trained character span by message index (-1, -2 ... for generation blocks of no message)."""
        replies = [i for i, m in enumerate(messages) if m.role == "assistant" and m.weight != 0]
        if self.markers:
            spans = self._assign(messages)
        else:
            spans = {}
            for i in replies:
                located = self.located[i]
                if located is not None:
                    end = located[1]
                    if self.end_of_turn and self.text.startswith(self.end_of_turn, end):
                        end += len(self.end_of_turn)
                    spans[i] = (located[0], end)
        keep = set(replies[-1:]) if train_on == "last" else set(replies) | {k for k in spans if k < 0}
        return {k: v for k, v in spans.items() if k in keep}

    def _assign(self, messages: Sequence[Message]) -> dict[int, tuple[int, int] | None]:
        """Each generation block given to the assistant message whose content it holds."""
        assistants = [i for i, m in enumerate(messages) if m.role == "assistant"]
        out: dict[int, tuple[int, int] | None] = {}
        orphan = -1
        for k, (start, end) in enumerate(self.generation):
            owner = next((i for i in assistants if i not in out and self.located[i] is not None
                          and start <= self.located[i][0] and self.located[i][1] <= end), None)  # type: ignore[index]
            if owner is None and len(self.generation) == len(assistants):
                owner = assistants[k]
            if owner is None:
                owner, orphan = orphan, orphan - 1
            out[owner] = (start, end)
        return out


def _locate_exact(text: str, parts: list[Any], contents: list[str]) -> list[tuple[int, int] | None] | None:
    """Content spans read off a rendering of sentinels (split at them), when substituting the
    contents (or their trimmed form) into it gives the real text back; None when it does not."""
    found: list[tuple[int, int] | None] = [None] * len(contents)
    pos = 0
    for k in range(0, len(parts) - 1, 2):
        literal, index = parts[k], parts[k + 1]
        if index >= len(contents) or found[index] is not None or not text.startswith(literal, pos):
            return None
        pos += len(literal)
        content = contents[index]
        for variant in (content, content.strip()):
            if text.startswith(variant, pos):
                break
        else:
            return None
        found[index] = (pos, pos + len(variant))
        pos += len(variant)
    return found if text[pos:] == parts[-1] else None


def _locate_calls(text: str, located: list[tuple[int, int] | None], messages: list[dict[str, Any]],
                  end_of_turn: str) -> list[tuple[int, int] | None]:
    """A calling message's span runs on over its calls to its end of turn: from its content, or from
    its first function's name when it has no text (the calls are written by the template, not found
    as content), so the call is counted, trained and shown as that message's."""
    out = list(located)
    cursor = 0
    for k, message in enumerate(messages):
        calls, span = message.get("tool_calls"), located[k]
        if calls:
            following = next((s[0] for s in located[k + 1:] if s is not None), len(text))
            name = calls[0]["function"]["name"]
            start = span[0] if span is not None else text.find(name, cursor, following)
            if start >= 0:
                after = span[1] if span is not None else start + len(name)
                stop = text.find(end_of_turn, after, following) if end_of_turn else -1
                out[k] = (start, stop if stop >= 0 else after)
        if out[k] is not None:
            cursor = out[k][1]
    return out


def _locate_by_search(text: str, contents: list[str]) -> list[tuple[int, int] | None]:
    """Content spans found left to right (a template that transforms content)."""
    found: list[tuple[int, int] | None] = []
    cursor = 0
    for content in contents:
        for variant in (content, content.strip()):
            at = text.find(variant, cursor)
            if at >= 0:
                found.append((at, at + len(variant)))
                cursor = at + len(variant)
                break
        else:
            found.append(None)
    return found


def _regions(text: str, located: list[tuple[int, int] | None], end_of_turn: str) -> list[tuple[int, int]]:
    """The turn of each message: from the end of the previous one to the end of its content and
    the end-of-turn string right after it; the last turn runs to the end of the text."""
    regions: list[tuple[int, int]] = []
    cursor = 0
    for span in located:
        if span is None:
            regions.append((cursor, cursor))
            continue
        end = span[1]
        if end_of_turn and text.startswith(end_of_turn, end):
            end += len(end_of_turn)
        end = max(end, cursor)
        regions.append((cursor, end))
        cursor = end
    if regions:
        last = max((k for k, s in enumerate(located) if s is not None), default=len(regions) - 1)
        regions[last] = (regions[last][0], len(text))
        for k in range(last + 1, len(regions)):
            regions[k] = (len(text), len(text))
    return regions
