"""One pass over conversations, keeping only bounded summaries (see :mod:`threadsmith.stats.sketches`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from threadsmith.checks.profile import detect_kind
from threadsmith.checks.text import WORD, fold, folded_words
from threadsmith.model import CANONICAL_ROLES, FUNCTION_CALL, Conversation, Message, RecordProblem, message_calls
from threadsmith.stats.result import CHARS_PER_TOKEN, MARKUP_STYLES, DatasetStats, Ranking, SystemPrompts, Voice
from threadsmith.stats.sketches import TOKEN_BOUNDS, TURN_BOUNDS, WORD_BOUNDS, Histogram, TopCounter, digest

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer

#: *action* markup as roleplay writes it: not **bold**, not ``2 * 3``.
ACTION_SPAN = re.compile(r"(?<![*\w])\*(?![\s*])[^*\n]+?(?<![\s*])\*(?![*\w])")
#: Quoted speech, straight or curly, on one line.
QUOTE = re.compile(r'"[^"\n]+"|“[^”\n]+”')
#: (action) and [action] where they start a line or follow a sentence: "(smiles) Hello." / "Fine. [She nods.]"
PAREN_ACTION = re.compile(r"(?m)(?:^|(?<=[.!?…\"”*] ))\([^()\n]{3,}\)")
BRACKET_ACTION = re.compile(r"(?m)(?:^|(?<=[.!?…\"”*] ))\[[^\[\]\n]{3,}\](?!\()")
#: n-grams made only of these words say nothing about style ("one of the", "it is a").
STOPWORDS = frozenset("""a about after all also an and any are as at be been but by can could did do does for from
had has have he her hers him his i if in into is it its just may me might more most my no not of on one or our out
over she so some such than that the their them then there these they this those to too up us very was we were what
when where which who will with would you your""".split())
_ROLE_CAP = 16
_KIND_SAMPLE = 2000


class StatsCollector:
    """Feed it every item ``read_file`` yields (:meth:`add`), then ask for the :meth:`result`."""

    def __init__(self, *, top: int = 20, kind: str | None = None, tokenizer: ChatTokenizer | None = None,
                 ngrams: bool = True) -> None:
        self.top = top
        #: Whether :meth:`add` counts the assistant turns' 3-grams (another process may count them:
        #: :func:`count_ngrams` gives the same counter, to set as :attr:`ngrams` before :meth:`result`).
        self.counts_ngrams = ngrams
        self.kind = kind
        #: With a tokenizer, exact tokens per conversation are counted in batches.
        self.tokenizer = tokenizer
        self.exact = Histogram("tokens", TOKEN_BOUNDS)
        self.exact_replies = Histogram("tokens", TOKEN_BOUNDS)
        self._pending: list[Conversation] = []
        self.records = self.conversations = self.unreadable = 0
        self.messages: Counter[str] = Counter()
        self.chars: Counter[str] = Counter()
        self.words: dict[str, Histogram] = {}
        self.turns = Histogram("turns", TURN_BOUNDS)
        self.tokens = Histogram("tokens", TOKEN_BOUNDS)
        self.openers = TopCounter(max(2000, top * 100))
        self.ngrams = new_ngram_counter(top)
        self.voice = Counter[str]()
        self.markup = Counter[str]()
        self.with_system = 0
        self.system = TopCounter(max(200, top * 10))
        self.previews: dict[int, str] = {}
        self.tags = TopCounter(max(500, top * 10))
        self.names = TopCounter(max(500, top * 10))
        self.functions = TopCounter(max(500, top * 10))
        self.calls = self.calling = 0
        self.sample: list[Conversation] = []

    def add(self, item: Conversation | RecordProblem) -> None:
        """Count one conversation, or one record that could not be read."""
        self.records += 1
        if isinstance(item, RecordProblem):
            self.unreadable += 1
            return
        self.conversations += 1
        if self.kind is None and len(self.sample) < _KIND_SAMPLE:
            self.sample.append(item)
        chars = turns = calls = 0
        for message in item.messages:
            chars += self._message(message)
            turns += message.role != "system"
            if message.tool_calls or message.raw_role == FUNCTION_CALL:
                for call in message_calls(message):
                    self.functions.add(call.name)
                    calls += 1
        if calls:
            self.calls += calls
            self.calling += 1
        self.turns.add(turns)
        self.tokens.add(chars // CHARS_PER_TOKEN)
        if self.tokenizer is not None:
            self._pending.append(item)
            if len(self._pending) >= 512:
                self._count()
        self._system(item)
        for tag in dict.fromkeys(item.tags):
            self.tags.add(tag)

    def _message(self, message: Message) -> int:
        role = _counted_role(message.role, self.words)
        text = _text(message)
        self.messages[role] += 1
        self.chars[role] += len(text)
        if message.name:
            self.names.add(message.name)
        if role == "assistant":
            count = self._assistant(text)
        else:  # WORD.findall's words, split without the regex where the text is ASCII (the same words)
            count = len(folded_words(text) if text.isascii() else WORD.findall(text))
        if role not in self.words:
            self.words[role] = Histogram("words", WORD_BOUNDS)
        self.words[role].add(count)
        return len(text)

    def _assistant(self, text: str) -> int:
        tokens = _reply_words(text)
        if tokens:
            self.openers.add(" ".join(tokens[:3]))
            if self.counts_ngrams:
                self.ngrams.update(_trigrams(tokens))
        rest, acted = ACTION_SPAN.subn("\n", text)
        dialogue = sum(len(m.group()) for m in QUOTE.finditer(rest))
        voice = self.voice
        voice["turns"] += 1
        voice["action"] += len(text) - len(rest) + acted
        voice["dialogue"] += dialogue
        voice["narration"] += len(rest) - acted - dialogue
        voice["turns_with_action"] += acted > 0
        voice["turns_with_dialogue"] += dialogue > 0
        paren = "(" in text and PAREN_ACTION.search(text)
        bracket = "[" in text and BRACKET_ACTION.search(text)
        styles = [name for name, used in (("asterisk", acted), ("parenthesis", paren), ("bracket", bracket)) if used]
        self.markup.update(styles or ["none"])
        return len(tokens)

    def _system(self, conversation: Conversation) -> None:
        text = next((m.text for m in conversation.messages if m.role == "system"), "").strip()
        if not text:
            return
        self.with_system += 1
        key = digest(text)
        self.system.add(key)
        if key not in self.previews:
            self.previews[key] = " ".join(text.split())[:200]
            if len(self.previews) > 10 * self.system.cap + 1:
                self.previews = {k: self.previews[k] for k in self.system.counts if k in self.previews}

    def _count(self) -> None:
        if self.tokenizer is not None and self._pending:
            for conversation, counts in zip(self._pending, self.tokenizer.count(self._pending)):
                self.exact.add(counts.total)
                for message, tokens in zip(conversation.messages, counts.per_message):
                    if message.role == "assistant":
                        self.exact_replies.add(tokens)
        self._pending = []

    def result(self, files: tuple[str, ...] | list[str] = ()) -> DatasetStats:
        """The statistics of everything added so far."""
        self._count()
        tok = self.tokenizer
        return DatasetStats(
            files=tuple(files), records=self.records, conversations=self.conversations, unreadable=self.unreadable,
            kind=self.kind or detect_kind(self.sample),
            messages=dict(_role_order(self.messages)), chars={r: self.chars[r] for r in _role_order(self.messages)},
            words={r: self.words[r].result() for r in _role_order(self.messages)},
            turns=self.turns.result(), tokens=self.tokens.result(),
            openers=_ranking(self.openers, self.top, self.voice["turns"]),
            ngrams=_phrases(self.ngrams, self.top, self.voice["turns"]),
            voice=Voice(**{k: self.voice[k] for k in Voice.__dataclass_fields__}),
            markup={style: self.markup[style] for style in MARKUP_STYLES},
            system_prompts=SystemPrompts(
                self.conversations, self.with_system, self.system.distinct() or 0,
                Ranking(tuple((self.previews.get(k, ""), n) for k, n in self.system.top(self.top)),
                        self.with_system, self.system.distinct(), self.system.approximate)),
            tags=_ranking(self.tags, self.top, self.conversations),
            characters=_ranking(self.names, self.top, sum(self.messages.values())),
            functions=_ranking(self.functions, self.top, self.calls), calling=self.calling,
            exact_tokens=self.exact.result() if tok is not None else None,
            exact_reply_tokens=self.exact_replies.result() if tok is not None else None,
            tokenizer=f"{tok.name} ({tok.template_name})" if tok is not None else None,
        )


def new_ngram_counter(top: int) -> TopCounter:
    """The 3-gram counter of a :class:`StatsCollector` with this ``top``."""
    return TopCounter(max(5000, top * 250), distinct=False)


def count_ngrams(items: Iterable[Conversation | RecordProblem], top: int = 20) -> TopCounter:
    """The assistant turns' 3-gram counter that :meth:`StatsCollector.add` builds from ``items``:
    the same updates in the same order (so the same prunes), for a process of its own."""
    counter, roles = new_ngram_counter(top), {}
    for item in items:
        if isinstance(item, RecordProblem):
            continue
        for message in item.messages:
            role = _counted_role(message.role, roles)
            roles.setdefault(role, None)
            if role == "assistant":
                tokens = _reply_words(_text(message))
                if tokens:
                    counter.update(_trigrams(tokens))
    return counter


def _counted_role(role: str, seen: Mapping[str, object]) -> str:
    """The role a message is counted under: its own, or "other" past :data:`_ROLE_CAP` roles."""
    return "other" if role not in seen and len(seen) >= _ROLE_CAP else role


def _text(message: Message) -> str:
    """A message's text as the statistics count it: a ShareGPT function call's JSON is no text,
    as for the checks (and an OpenAI tool call has none)."""
    return message.text if message.raw_role != FUNCTION_CALL else ""


def _reply_words(text: str) -> list[str]:
    """WORD.findall's words of the folded text (split without the regex: several times faster)."""
    return folded_words(fold(text))


def _trigrams(tokens: list[str]) -> set[tuple[str, str, str]]:
    """A turn's distinct 3-grams (the stopword-only ones are dropped at the end, not here)."""
    return set(zip(tokens, tokens[1:], tokens[2:]))


def _ranking(counter: TopCounter, top: int, total: int) -> Ranking:
    return Ranking(tuple((str(k), n) for k, n in counter.top(top)), total, counter.distinct(), counter.approximate)


def _phrases(counter: TopCounter, top: int, total: int) -> Ranking:
    kept = [(" ".join(gram), n) for gram, n in counter.top(top + 2000) if not STOPWORDS.issuperset(gram)]
    return Ranking(tuple(kept[:top]), total, None, counter.approximate)


def _role_order(messages: Counter[str]) -> dict[str, int]:
    known = [r for r in CANONICAL_ROLES if r in messages]
    others = sorted((r for r in messages if r not in CANONICAL_ROLES), key=lambda r: (-messages[r], r))
    return {r: messages[r] for r in (*known, *others)}
