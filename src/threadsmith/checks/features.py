"""Hashed features of one conversation, computed once and shared by the RP, CT and LV checks.

The dataset checks of these families look at the assistant turns that answer a user (greetings
sent before the first user turn are left out). :func:`features` derives, once per conversation
(cached like :func:`threadsmith.checks.text.view`):

* an 8-byte hash of every word of the answering turns, looked up in a per-process cache in one
  C-level pass (no Python object per word), whose low byte is the word's class (function word,
  number, negation, antonym side: claims.py);
* the *stream*: the answering turns' words, each turn between a start and an end marker (so a
  phrase can be told to open or close a reply), long turns cut to their head and tail;
* the MinHash signature of the stream's 3-grams (near-duplicates, export splits), the 3-gram
  hashes (overused phrases), the openers of the turns (overused openers).

The contradiction checks make their per-turn sketches and claims from the stream's word hashes
(contradictions.py), the message digests come from repetition.py.

Everything the checks summarize is bytes or small tuples, so it pickles cheaply.
"""

from __future__ import annotations

import zlib
from array import array
from hashlib import blake2b
from operator import itemgetter

import numpy as np

from threadsmith.checks.claims import CLAIM_CODES, FUNCTION_WORDS, NUMBER
from threadsmith.checks.minhash import digest_rows
from threadsmith.checks.text import view
from threadsmith.model import Conversation, fingerprint

#: Words kept of one assistant turn: its head, and its tail when the turn is longer.
TURN_HEAD, TURN_TAIL = 192, 64
#: Words of one conversation's stream that the near-duplicate signature and the phrase counts see.
MAX_WORDS = 1024
#: Slots of a near-duplicate signature (the store keeps the low 16 bits of each).
NUM_PERM = 64
SEED = 1_618_033
#: Slots of a reply sketch (contradictions.py); each keeps its low 8 bits.
SKETCH_SLOTS = 16
SKETCH_SEED = 2_718_281
#: Stream markers: a turn's start and end (never produced by the tokenizer: no control characters).
START, END = "\x02", "\x03"
#: Word classes, the low byte of a claim hash: 0 plain, 1 function word or marker, 2 and up claims
#: (3 negations, 4-159 antonym sides, 160-255 numbers by their value).
PLAIN, FUNCTION = 0, 1
_WIDTH = 8  # bytes of a word value
_MAX_CACHED = 300_000
_K1, _K2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)


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
        for i, (role, _, _, words) in enumerate(view(conversation)):
            if role == "user":
                answered = True
            elif answered and words and role == "assistant":
                self.turns.append((i, words))
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
                row = digest_rows(grams, [0, len(grams)], NUM_PERM, SEED)
                found = array("I", row[0]).tobytes()
            self.cache["signature"] = found
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
