"""Encoding rendered texts into tokens, in batches, with a way back from characters to tokens.

Two paths give identical ids:

* the tokenizer's own ``encode_batch`` (Rust, parallel), used for every text it is needed for;
* a word cache, for byte-level BPE tokenizers whose pre-tokenizer is one regular expression
  (Qwen2, Llama 3, GPT-2 and GPT-4 style) on plain ASCII text: the text is split into the
  tokenizer's words with Python's ``re`` (the pattern translated to ASCII classes), and each
  distinct word is tokenized once by the tokenizer's own BPE model and remembered. Pre-tokenizing
  is most of a BPE tokenizer's time, and a dataset repeats its words, so this is several times
  faster on the few cores a laptop has. Texts with any other character take the first path.
  Tests check the two paths agree token for token.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, chain
from operator import itemgetter
from typing import Any, Protocol

#: Words remembered before the cache is emptied (memory stays bounded).
CACHE_WORDS = 400_000
_ASCII_SPACE = r"\t\n\x0b\x0c\r "
#: Text the word cache takes: printable ASCII, tab, newline, carriage return.
_PLAIN = re.compile(r"[^\x20-\x7e\t\n\r]")
_PLAIN_BYTES = bytes(range(0x20, 0x7f)) + b"\t\n\r"


def is_plain(text: str) -> bool:
    """True when the word cache takes ``text`` (no :data:`_PLAIN` character). Six times faster
    than searching with the regex: ASCII text is encoded and the plain bytes deleted in C."""
    return text.isascii() and not text.encode("ascii").translate(None, _PLAIN_BYTES)


class Encoded(Protocol):
    """One encoded text."""

    ids: list[int]

    def token_at(self, char: int) -> int | None:
        """The index of the token that covers character ``char`` (None past the end)."""

    def token_start(self, token: int) -> int:
        """The first character of a token."""


class _RustEncoded:
    """A ``tokenizers.Encoding`` seen through :class:`Encoded`."""

    __slots__ = ("_encoding", "ids", "_length")

    def __init__(self, encoding: Any, length: int) -> None:
        self._encoding, self.ids, self._length = encoding, encoding.ids, length

    def token_at(self, char: int) -> int | None:
        encoding = self._encoding
        for c in range(char, self._length):  # characters no token covers (stripped spaces) are skipped
            token = encoding.char_to_token(c)
            if token is not None:
                return token
        return None

    def token_start(self, token: int) -> int:
        return self._encoding.token_to_chars(token)[0]


class _CachedEncoded:
    """Ids assembled from cached words, with word starts and token counts to map characters."""

    __slots__ = ("ids", "_word_starts", "_token_before", "_hits", "_length")

    def __init__(self, ids: list[int], word_starts: list[int], token_before: list[int],
                 hits: list[tuple[tuple[int, ...], tuple[int, ...], int]], length: int) -> None:
        # hits: each word's cache entry (ids, token starts in the word, token count)
        self.ids, self._word_starts, self._token_before = ids, word_starts, token_before
        self._hits, self._length = hits, length

    def token_at(self, char: int) -> int | None:
        if char >= self._length or char < 0:
            return None
        w = bisect_right(self._word_starts, char) - 1
        rel = self._hits[w][1]
        return self._token_before[w] + bisect_right(rel, char - self._word_starts[w]) - 1

    def token_start(self, token: int) -> int:
        w = bisect_right(self._token_before, token) - 1
        return self._word_starts[w] + self._hits[w][1][token - self._token_before[w]]


class Encoder:
    """Batch encoding with the fastest exact path available for each text."""

    def __init__(self, tokenizer: Any, *, word_cache: bool = True) -> None:
        self.tokenizer = tokenizer
        self.words = WordCache.build(tokenizer) if word_cache else None

    def encode_batch(self, texts: Sequence[str]) -> list[Encoded]:
        """Every text encoded (no special tokens added: templates write their own)."""
        out: list[Encoded | None] = [None] * len(texts)
        slow: list[int] = []
        words = self.words
        for i, text in enumerate(texts):
            if words is not None and is_plain(text):
                out[i] = words.encode(text)
            else:
                slow.append(i)
        if slow:
            encodings = self.tokenizer.encode_batch([texts[i] for i in slow], add_special_tokens=False)
            for i, encoding in zip(slow, encodings):
                out[i] = _RustEncoded(encoding, len(texts[i]))
        return out  # type: ignore[return-value]


class WordCache:
    """Exact word-level memoization of a byte-level BPE tokenizer on plain ASCII text."""

    def __init__(self, model: Any, pattern: re.Pattern[str], specials: dict[str, int]) -> None:
        self._model, self._pattern = model, pattern
        self._split = (re.compile("(" + "|".join(map(re.escape, sorted(specials, key=len, reverse=True))) + ")")
                       if specials else None)
        self._cache = _Words(model, str.maketrans({chr(b): c for b, c in _byte_chars().items() if b < 128}), specials)

    @classmethod
    def build(cls, tokenizer: Any) -> WordCache | None:
        """The cache for a tokenizer, or None when the tokenizer is not one it can copy exactly."""
        try:
            model = tokenizer.model
            if type(model).__name__ != "BPE" or model.dropout or model.byte_fallback:
                return None
            if model.continuing_subword_prefix or model.end_of_word_suffix:
                return None
            normalizer = _state(tokenizer.normalizer)
            if normalizer is not None and normalizer.get("type") not in ("NFC", "NFKC"):
                return None
            pattern = _word_pattern(_state(tokenizer.pre_tokenizer))
            added = list(tokenizer.get_added_tokens_decoder().items())
        except Exception:  # an unusual tokenizer: the tokenizer's own path is always right
            return None
        if pattern is None:
            return None
        specials: dict[str, int] = {}
        for token_id, token in added:
            if token.single_word or token.lstrip or token.rstrip:
                return None
            specials[token.content] = token_id
        return cls(model, pattern, specials)

    def encode(self, text: str) -> _CachedEncoded:
        """One plain ASCII text encoded, as the tokenizer would."""
        if self._split is not None:
            pieces = self._split.split(text)  # text, special, text, special, ..., text
            findall = self._pattern.findall
            words: list[str] = findall(pieces[0]) if pieces[0] else []
            for k in range(1, len(pieces), 2):
                words.append(pieces[k])  # a special token: the cache holds it as one word
                if pieces[k + 1]:
                    words += findall(pieces[k + 1])
        else:
            words = self._pattern.findall(text)
        hits = list(map(self._cache.__getitem__, words))  # C-level loop; misses go through __missing__
        ids = list(chain.from_iterable(map(_FIRST, hits)))
        token_before = list(accumulate(map(_THIRD, hits), initial=0))
        word_starts = list(accumulate(map(len, words), initial=0))
        token_before.pop()
        word_starts.pop()
        return _CachedEncoded(ids, word_starts, token_before, hits, len(text))


class _Words(dict):  # type: ignore[type-arg]
    """word -> (ids, token starts in the word, token count); a miss asks the BPE model."""

    def __init__(self, model: Any, mapping: dict[int, str], specials: dict[str, int]) -> None:
        super().__init__()
        self._model, self._map = model, mapping
        #: Special tokens are words of their own. No word the pattern finds can equal one: the
        #: text between special tokens holds none (the tokenizer splits them out first, as we do).
        self._specials = {content: ((token_id,), (0,), 1) for content, token_id in specials.items()}
        self.update(self._specials)

    def __missing__(self, word: str) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        if len(self) >= CACHE_WORDS:
            self.clear()
            self.update(self._specials)
        tokens = self._model.tokenize(word.translate(self._map))
        # one mapped character per byte, and a byte per character in ASCII: lengths are offsets
        starts = tuple(accumulate((len(t.value) for t in tokens[:-1]), initial=0)) if tokens else ()
        hit = (tuple(t.id for t in tokens), starts, len(tokens))
        self[word] = hit
        return hit


_FIRST, _THIRD = itemgetter(0), itemgetter(2)


def _state(component: Any) -> dict[str, Any] | None:
    """A tokenizer component's JSON description (None when it is not set)."""
    return None if component is None else json.loads(component.__getstate__())


def _byte_chars() -> dict[int, str]:
    """GPT-2's byte-to-character table (byte-level BPE writes each byte as one character)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table, extra = {b: chr(b) for b in keep}, 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


_GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def _word_pattern(pre: dict[str, Any] | None) -> re.Pattern[str] | None:
    """The pre-tokenizer's word regex for ASCII text, or None when it is not a single regex + byte level."""
    if pre is None:
        return None
    parts = pre["pretokenizers"] if pre.get("type") == "Sequence" else [pre]
    if len(parts) == 1 and parts[0].get("type") == "ByteLevel":
        level = parts[0]
        if level.get("add_prefix_space") or not level.get("use_regex", True):
            return None
        return _ascii_regex(_GPT2_PATTERN)
    if len(parts) != 2:
        return None
    split, level = parts
    if split.get("type") != "Split" or split.get("behavior") != "Isolated" or split.get("invert"):
        return None
    if level.get("type") != "ByteLevel" or level.get("use_regex", True) or level.get("add_prefix_space"):
        return None
    regex = (split.get("pattern") or {}).get("Regex")
    return _ascii_regex(regex) if regex else None


def _ascii_regex(pattern: str) -> re.Pattern[str] | None:
    """An Oniguruma Unicode pattern rewritten for ASCII-only text in Python's ``re`` (None if it can't be)."""
    inside = {"\\p{L}": "A-Za-z", "\\p{N}": "0-9", "\\s": _ASCII_SPACE}
    outside = {"\\p{L}": "[A-Za-z]", "\\p{N}": "[0-9]", "\\s": f"[{_ASCII_SPACE}]", "\\S": f"[^{_ASCII_SPACE}]"}
    out, i, in_class = [], 0, False
    while i < len(pattern):
        for key in ("\\p{L}", "\\p{N}", "\\s", "\\S"):
            if pattern.startswith(key, i):
                table = inside if in_class else outside
                if key not in table:
                    return None
                out.append(table[key])
                i += len(key)
                break
        else:
            ch = pattern[i]
            if ch == "\\":
                nxt = pattern[i + 1:i + 2]
                if nxt in ("p", "P", "d", "D", "w", "W", "b", "B", "X", "h", "H"):
                    return None
                out.append(pattern[i:i + 2])
                i += 2
                continue
            if ch == "[" and not in_class:
                in_class = True
            elif ch == "]" and in_class:
                in_class = False
            out.append(ch)
            i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return None
