"""Hashed features of one conversation, computed once and shared by the RP, CT and LV checks.

The dataset checks of these families look at the assistant turns that answer a user (greetings
sent before the first user turn are left out). :func:`features` derives, once per conversation
(cached like :func:`threadsmith.checks.text.view`):

* an 8-byte hash of every word of the answering turns, looked up in a per-process cache in one
  C-level pass (no Python object per word), whose low byte is the word's class (function word,
  number, negation, antonym side: claims.py);
* the *stream*: the answering turns' words, each turn between a start and an end marker (so a
  phrase can be told to open or close a reply), long turns cut to their head and tail;
* checksums of each message's words: each answering turn, and its context (every earlier message,
  with its role);
* the MinHash signature of the stream's 3-grams (near-duplicates), the 3-gram hashes (overused
  phrases), per-turn sketches and claims (contradictions).

Everything the checks summarize is bytes or small tuples, so it pickles cheaply.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from array import array
from hashlib import blake2b
from operator import itemgetter

import numpy as np
from rensa import RMinHash

from threadsmith.checks.claims import CLAIM_CODES, FUNCTION_WORDS, NUMBER
from threadsmith.checks.text import view
from threadsmith.model import Conversation, fingerprint

#: Words kept of one assistant turn: its head, and its tail when the turn is longer.
TURN_HEAD, TURN_TAIL = 192, 64
#: Words of one conversation's stream that the near-duplicate signature and the phrase counts see.
MAX_WORDS = 1024
#: Slots of a near-duplicate signature (the store keeps the low 16 bits of each).
NUM_PERM = 64
SEED = 1_618_033
#: Slots of a reply sketch (contradictions); each keeps its low 8 bits.
SKETCH_SLOTS = 16
SKETCH_SEED = 2_718_281
#: Stream markers: a turn's start and end (never produced by the tokenizer: no control characters).
START, END = "\x02", "\x03"
#: Word classes, the low byte of a claim hash: 0 plain, 1 function word or marker, 2 and up claims
#: (3 negations, 4-159 antonym sides, 160-255 numbers by their value).
PLAIN, FUNCTION = 0, 1
_WIDTH = 8  # bytes of a word value
_MAX_CACHED = 300_000
_ONE = np.uint8(FUNCTION)
_K1, _K2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_ROLE_MARKS = {"system": b"\x01s", "user": b"\x01u", "assistant": b"\x01a", "tool": b"\x01t"}
_PAIR = struct.Struct("<II")


def _word_class(word: str) -> int:
    if word in FUNCTION_WORDS or word in (START, END):
        return FUNCTION
    if word[0].isdigit() or word in NUMBER:
        return 160 + zlib.crc32(word.encode("utf-8", "surrogatepass")) % 96
    return CLAIM_CODES.get(word, PLAIN)


def _word_value(word: str) -> bytes:
    """8 bytes: a hash of the word whose low byte is the word's class."""
    digest = blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8, person=b"threadsmith-w").digest()
    return bytes((_word_class(word),)) + digest[1:]


#: word -> :func:`_word_value` (per process; cleared when it grows past ``_MAX_CACHED`` words).
_VALUES: dict[str, bytes] = {}


def word_values(words: list[str] | tuple[str, ...]) -> bytes:
    """8 bytes per word (see :func:`_word_value`): one C-level pass when all words are known."""
    if len(words) < 2:
        return b"".join(_value(w) for w in words)
    try:
        return b"".join(itemgetter(*words)(_VALUES))
    except KeyError:
        if len(_VALUES) > _MAX_CACHED:
            _VALUES.clear()
        for word in set(words).difference(_VALUES):
            _VALUES[word] = _word_value(word)
        return b"".join(itemgetter(*words)(_VALUES))


def _value(word: str) -> bytes:
    value = _VALUES.get(word)
    if value is None:
        value = _VALUES[word] = _word_value(word)
    return value


_START_VALUE, _END_VALUE = _value(START), _value(END)


class Features:
    """What the RP, CT and LV checks derive from one conversation (see the module docstring)."""

    __slots__ = ("conversation", "turns", "bounds", "stream", "values", "prefix", "reply_words", "cache")

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        #: ``(message index, words)`` of every answering assistant turn.
        self.turns: list[tuple[int, tuple[str, ...]]] = []
        answered = False
        for i, v in enumerate(view(conversation)):
            if v.role == "user":
                answered = True
            elif answered and v.role == "assistant" and v.words:
                self.turns.append((i, v.words))
        #: The stream: each answering turn's words (head and tail of a long one) between markers.
        self.stream = stream = []
        #: Stream position of each turn's start marker, and the stream's length at the end.
        self.bounds = bounds = []
        prefix = count = -1
        for _, turn in self.turns:
            bounds.append(len(stream))
            stream.append(START)
            stream += turn if len(turn) <= TURN_HEAD + TURN_TAIL else turn[:TURN_HEAD] + turn[-TURN_TAIL:]
            stream.append(END)
            if prefix < 0 and len(stream) - 2 * len(bounds) >= MAX_WORDS:
                count = MAX_WORDS
                prefix = MAX_WORDS + 2 * len(bounds)
                if prefix < len(stream):  # cut inside the turn: no end marker
                    prefix -= 1
        bounds.append(len(stream))
        if prefix < 0:
            prefix, count = len(stream), len(stream) - 2 * len(self.turns)
        #: :func:`word_values` of the stream.
        self.values = word_values(stream)
        #: Stream tokens seen by the signature and the phrase counts, and their words (markers left out).
        self.prefix = prefix
        self.reply_words = count
        #: What the checks derive from these features, computed once (by name).
        self.cache: dict = {}

    def grams(self) -> bytes:
        """8-byte hashes of the 3-grams of the stream prefix (of its tokens when fewer than 3)."""
        found = self.cache.get("grams")
        if found is None:
            h = np.frombuffer(self.values, dtype="<u8", count=self.prefix)
            if self.prefix >= 3:
                g = h[:-2] * _K1
                g ^= h[1:-1] * _K2
                g ^= h[2:]
                found = g.tobytes()
            else:
                found = h.tobytes()
            self.cache["grams"] = found
        return found

    def signature(self) -> bytes | None:
        """MinHash of the prefix 3-grams: ``NUM_PERM`` little-endian 32-bit slots, or None without text."""
        found = self.cache.get("signature", False)
        if found is False:
            found = None
            if self.prefix:
                grams = memoryview(self.grams()).cast("Q")
                row = RMinHash.digest_matrix_from_flat_token_hashes(grams, [0, len(grams)], NUM_PERM, SEED).to_rows()
                found = array("I", row[0]).tobytes()
            self.cache["signature"] = found
        return found

    def text(self) -> str:
        """The stream prefix as text: words and markers joined by spaces."""
        found = self.cache.get("text")
        if found is None:
            stream = self.stream
            found = self.cache["text"] = " ".join(stream if self.prefix == len(stream) else stream[: self.prefix])
        return found

    def openers(self, n: int = 3) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Message indices and first ``n`` words of the answering turns longer than ``n`` words."""
        found = self.cache.get(n)
        if found is None:
            indices, texts = [], []
            for i, w in self.turns:
                if len(w) > n:
                    indices.append(i)
                    texts.append(" ".join(w[:n]))
            found = self.cache[n] = (tuple(indices), tuple(texts))
        return found

    def fingerprint(self) -> bytes:
        """The conversation's exact-duplicate fingerprint (see :func:`shared_fingerprint`)."""
        return shared_fingerprint(self.conversation)

    def _message_text(self, i: int) -> bytes | memoryview:
        """Message i's words as bytes (case, punctuation and spacing ignored): the word hashes of an
        answering turn kept whole in the stream, else its words joined by spaces."""
        k = self.cache["turn_at"].get(i)
        if k is not None:
            lo, hi = self.bounds[k] + 1, self.bounds[k + 1] - 1
            if hi - lo == len(self.turns[k][1]):
                return memoryview(self.values)[_WIDTH * lo:_WIDTH * hi]
        return " ".join(view(self.conversation)[i].words).encode("utf-8", "surrogatepass")

    def contexts(self) -> list[tuple[int, bytes, int]]:
        """``(message index, context key, context words)`` of each answering turn.

        The key is a CRC-32 and an Adler-32 of every earlier message (its role and its words: case,
        punctuation and spacing ignored); the words count the earlier messages but the system
        prompts.
        """
        found = self.cache.get("contexts")
        if found is None:
            self.cache["turn_at"] = {i: k for k, (i, _) in enumerate(self.turns)}
            views = view(self.conversation)
            found, words, crc, adler, done = [], 0, 0, 1, 0
            for i, _ in self.turns:
                for j in range(done, i):
                    role = views[j].role
                    data = _ROLE_MARKS.get(role, b"\x01?") + self._message_text(j)
                    crc, adler = zlib.crc32(data, crc), zlib.adler32(data, adler)
                    if role != "system":
                        words += len(views[j].words)
                done = i
                found.append((i, _PAIR.pack(crc, adler), words))
            self.cache["contexts"] = found
        return found

    def turn_hashes(self) -> bytes:
        """8 bytes per answering turn: a hash of its words (case, punctuation and spacing ignored)."""
        found = self.cache.get("turn_hashes")
        if found is None:
            data, bounds, out = memoryview(self.values), self.bounds, []
            for k, (_, words) in enumerate(self.turns):
                lo, hi = bounds[k] + 1, bounds[k + 1] - 1
                part = data[_WIDTH * lo:_WIDTH * hi] if hi - lo == len(words) else word_values(words)
                out.append(_PAIR.pack(zlib.crc32(part), zlib.adler32(part)))
            found = self.cache["turn_hashes"] = b"".join(out)
        return found

    def system(self) -> tuple[bytes, str]:
        """A hash of the system prompts' words and the first one's opening, or ``(b"", "")`` without one."""
        found = self.cache.get("system")
        if found is None:
            found = (b"", "")
            messages = self.conversation.messages
            prompts = [i for i, m in enumerate(messages) if m.role == "system"]
            if prompts:
                views = view(self.conversation)
                data = "\x01".join([" ".join(views[i].words) for i in prompts]).encode("utf-8", "surrogatepass")
                found = (_PAIR.pack(zlib.crc32(data), zlib.adler32(data)), messages[prompts[0]].text[:60])
            self.cache["system"] = found
        return found

    def sketches(self) -> tuple[bytes, list[int], list[int]]:
        """Per answering turn, concatenated: a ``SKETCH_SLOTS``-byte MinHash of its content words
        (function words left out, or all its words when it has no other); and per turn its content
        words and claims (a 32-bit hash of the multiset of its claim classes: negations, antonym
        sides, numbers)."""
        found = self.cache.get("sketches")
        if found is None:
            values, bounds = self.values, self.bounds
            codes = values[0::_WIDTH]
            counts, marks = [], []
            for k in range(len(self.turns)):
                part = codes[bounds[k] + 1:bounds[k + 1] - 1]
                counts.append(len(part) - part.count(FUNCTION))
                claim = part.translate(None, b"\x00\x01")
                marks.append(zlib.crc32(bytes(sorted(claim))) if claim else 0)
            keep = np.frombuffer(codes, dtype=np.uint8) != _ONE
            if 0 in counts:  # a turn of function words only: all its words stand
                for k, count in enumerate(counts):
                    if not count:
                        keep[bounds[k] + 1:bounds[k + 1] - 1] = True
                        counts[k] = bounds[k + 1] - bounds[k] - 2
            content = np.frombuffer(values, dtype="<u8")[keep]
            rows = RMinHash.digest_matrix_from_flat_token_hashes(content, [0, *itertools.accumulate(counts)],
                                                                 SKETCH_SLOTS, SKETCH_SEED).to_rows()
            low = array("I", itertools.chain.from_iterable(rows)).tobytes()[::4]
            found = self.cache["sketches"] = (low, counts, marks)
        return found


_last: Features | None = None
_last_fingerprint: tuple[Conversation | None, bytes] = (None, b"")


def shared_fingerprint(conversation: Conversation) -> bytes:
    """:func:`threadsmith.model.fingerprint` of a conversation, cached for the conversation being
    checked, so exact-duplicate (RP001) and reused-assistant-turn (RP005) compute it once."""
    global _last_fingerprint
    if _last_fingerprint[0] is not conversation:
        _last_fingerprint = (conversation, fingerprint(conversation))
    return _last_fingerprint[1]


def features(conversation: Conversation) -> Features:
    """The shared features of a conversation (cached for the conversation being checked)."""
    global _last
    if _last is None or _last.conversation is not conversation:
        _last = Features(conversation)
    return _last
