"""The word cache gives the tokenizer's own ids, token for token, and maps characters back to tokens."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threadsmith.rendering.encoder import Encoder, WordCache, _ascii_regex

TRICKY = [
    "", " ", "  ", "\n", "\n\n\n", " \n ", "\t\tx", "Hello world", "Hello  world", "Hello   world  ",
    "it's we've I'M they'LL you'd", "'s 's'", "a1b22c333d4444", "12345678901234", "$5.00, 3.14159!",
    "x  \n  y", "foo\r\nbar\r\n", "...!!!???", " ?!", "a-b_c.d/e\\f", "<|im_start|>user\nHi<|im_end|>\n",
    "<|im_start|><|im_end|>", "text<|im_end|>more", "trailing space ", " leading", "tabs\tand\tspaces \t ",
    "emoji-free ASCII only ~`^", "CamelCaseWordsAndMORE", "(parens) [brackets] {braces}", "a\n \nb",
]
PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " \t\n\r"


def _same(tok, texts: list[str]) -> None:
    fast = tok.encoder.encode_batch(texts)  # the qwen2 fixture's encoder has the word cache
    slow = tok.tokenizer.encode_batch(texts, add_special_tokens=False)
    for text, f, s in zip(texts, fast, slow):
        assert f.ids == s.ids, text
        for char in range(len(text)):
            assert f.token_at(char) == s.char_to_token(char), (text, char)
        for token in range(len(s.ids)):
            assert f.token_start(token) == s.token_to_chars(token)[0], (text, token)


def test_qwen2_has_a_word_cache(qwen2) -> None:
    assert isinstance(qwen2.encoder.words, WordCache)


def test_word_cache_matches_the_tokenizer_on_tricky_text(qwen2) -> None:
    _same(qwen2, TRICKY)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=PRINTABLE, max_size=40), min_size=1, max_size=5))
def test_word_cache_matches_the_tokenizer_on_random_ascii(qwen2, texts: list[str]) -> None:
    _same(qwen2, texts)


def test_other_text_takes_the_tokenizer_path(qwen2) -> None:
    texts = ["Grüß dich 👋", "你好", "bell\x07char", "plain"]
    encoded = qwen2.encoder.encode_batch(texts)
    assert [type(e).__name__ for e in encoded] == ["_RustEncoded"] * 3 + ["_CachedEncoded"]
    assert [e.ids for e in encoded] == [e.ids for e in qwen2.tokenizer.encode_batch(texts, add_special_tokens=False)]


def test_bench_conversations_match(qwen2) -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "out" / "chat-10000-s0-35899d69.jsonl"
    if not path.is_file():
        pytest.skip("bench data not generated (make bench)")
    from itertools import islice

    from threadsmith.formats import read_file

    conversations = list(islice(read_file(path), 200))
    fast = qwen2.render_many(conversations)
    qwen2.encoder.words, words = None, qwen2.encoder.words
    try:
        slow = qwen2.render_many(conversations)
    finally:
        qwen2.encoder.words = words
    assert fast == slow


def test_patterns_that_cannot_be_translated_are_refused() -> None:
    assert _ascii_regex(r"\p{Lu}+") is None
    assert _ascii_regex(r"\d+") is None
    assert _ascii_regex(r"[^\s\p{L}]+|\s+(?!\S)").pattern == r"[^\t\n\x0b\x0c\r A-Za-z]+|[\t\n\x0b\x0c\r ]+(?![^\t\n\x0b\x0c\r ])"


def test_a_trained_tokenizer_without_a_regex_takes_the_tokenizer_path() -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(["hello world", "hello there"], trainers.BpeTrainer(special_tokens=["[UNK]"]))
    assert WordCache.build(tokenizer) is None
    assert Encoder(tokenizer).encode_batch(["hello world"])[0].ids == tokenizer.encode("hello world").ids


def test_word_cache_matches_smollm2_gpt2_style_tokenizer(smollm2) -> None:
    assert isinstance(smollm2.encoder.words, WordCache)  # GPT-2 byte-level regex
    _same(smollm2, TRICKY + ["<|im_start|>assistant\n spaced reply <|im_end|>\n", "a  b   c    d"])


def test_is_plain_agrees_with_the_plain_pattern() -> None:
    from threadsmith.rendering.encoder import _PLAIN, is_plain

    samples = [chr(c) for c in range(0x300)] + ["", "Hello, world!\n\tok\r\n", "café", "a\x7fb", "x\x0by", "\u2028"]
    samples += [f"plain text {chr(c)} then more" for c in range(0x100)]
    assert [is_plain(s) for s in samples] == [not _PLAIN.search(s) for s in samples]
