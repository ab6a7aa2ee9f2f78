"""Shared hashed features of the RP, CT and LV checks (features.py, claims.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.checks.dataset_runs import conversation, qa
from threadsmith.checks import features as shared
from threadsmith.checks.contradictions import RECORD, contexts, turns
from threadsmith.checks.features import END, MAX_WORDS, START, Features, features, shared_fingerprint, word_values
from threadsmith.model import fingerprint


def test_stream_wraps_answering_turns_and_skips_greetings() -> None:
    conv = conversation(("system", "Be Maren."), ("assistant", "Welcome, stranger."), ("user", "Hi there"),
                        ("assistant", "Hello, traveller."), ("user", "Is the lamp lit?"), ("assistant", "It is."))
    f = Features(conv)
    assert [i for i, _ in f.turns] == [3, 5]
    assert f.stream == [START, "hello", "traveller", END, START, "it", "is", END]
    assert f.bounds == [0, 4, 8] and f.prefix == 8 and f.reply_words == 4


def test_prefix_is_capped_inside_a_turn() -> None:
    turns = [("user", "Go on")]
    for k in range(6):
        turns += [("assistant", " ".join(f"t{k}w{i}" for i in range(200))), ("user", "More")]
    f = Features(conversation(*turns[:-1]))
    assert f.reply_words == MAX_WORDS
    kept = [w for w in f.stream[: f.prefix] if w not in (START, END)]
    assert len(kept) == MAX_WORDS and kept[-1] == "t5w23"
    assert len(f.grams()) == 8 * (f.prefix - 2)


def test_word_values_carry_classes_and_survive_a_cleared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    first = word_values(["the", "not", "42", "safe", "dangerous", "lamp"])
    assert [first[i] for i in range(0, len(first), 8)] == [
        shared.FUNCTION, 3, first[16], first[24], first[24] + 1, shared.PLAIN]
    assert 160 <= first[16] < 256
    monkeypatch.setattr(shared, "_MAX_CACHED", 0)
    shared._VALUES.clear()
    assert word_values(["the", "not", "42", "safe", "dangerous", "lamp", "fresh1", "fresh2"])[:48] == first


def test_features_are_cached_per_conversation() -> None:
    a, b = qa("Hi?", "Hello there, friend."), qa("Hi?", "Hello there, friend.")
    assert features(a) is features(a) and features(b) is not features(a)
    assert shared_fingerprint(a) == fingerprint(a) == shared_fingerprint(a)


def test_claims_follow_negations_numbers_and_antonyms_not_synonyms() -> None:
    def claims(text: str) -> int:
        return int(np.frombuffer(turns(qa("Q?", text))[0][3], dtype=RECORD)["claims"][0])

    base = claims("It is a big and safe room with 3 doors.")
    assert claims("It is a large and safe room with 3 doors!") == base
    assert claims("With 3 doors, it is a safe and big room.") == base
    assert base not in {claims("It is not a big and safe room with 3 doors."),
                        claims("It is a big and dangerous room with 3 doors."),
                        claims("It is a big and safe room with 4 doors."),
                        claims("It is a small and safe room with 3 doors.")}


def test_context_keys_ignore_case_and_punctuation_and_count_earlier_words() -> None:
    one = contexts(qa("What's your NAME?", "Nova."))
    two = contexts(qa("what's your name", "Sam."))
    three = contexts(qa("What is your name?", "Nova."))
    assert one == two and one[0][0] == 1 and one[0][2] == 3
    assert three[0][1] != one[0][1]
    long = conversation(("system", "Be Nova."), ("user", "Hi there"), ("assistant", "Hello, friend."),
                        ("user", "And now?"), ("assistant", "Now we talk."))
    assert [(i, words) for i, _, words in contexts(long)] == [(2, 2), (4, 6)]
