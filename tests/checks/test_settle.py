"""Dataset summaries settled in batches (Runner.settle, observe_many) give what one at a time gives,
and the compact summaries behind them (digests, pending sketches, rebuilt streams) keep their meaning."""

from __future__ import annotations

import pickle
import random

import numpy as np

from tests.checks.dataset_runs import conversation, identity_set, qa, run, varied_set
from threadsmith.checks import EntryRef, Runner, build_checks
from threadsmith.checks.base import DatasetCheck
from threadsmith.checks.contradictions import RECORD, ConflictingAnswers, settle, turns
from threadsmith.checks.features import MAX_WORDS, Features, features
from threadsmith.checks.near_duplicates import gram_rows, pending_signature, settle_signatures
from threadsmith.checks.phrases import stream_tokens, turn_texts
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.repetition import message_digests
from threadsmith.checks.variation import LowLexicalDiversity
from threadsmith.model import Conversation, Family, Severity
from threadsmith.workers import LineResult, check_items, line_result

DATASET_CODES = ("CT001", "CT002", "LV001", "LV002", "LV003", "LV004", "LV005", "RP002", "RP003", "RP004", "RP005")


def _mixed(seed: int = 5) -> list[Conversation]:
    """Identity Q&As, varied chat, short greetings answered many ways, replies of function words only."""
    rng = random.Random(seed)
    data = identity_set(120, seed) + varied_set(80, seed)
    for i in range(60):
        turns_ = [("system", "Be Nova.")] if i % 2 else []
        for _ in range(rng.randint(1, 3)):
            turns_ += [("user", rng.choice(["Hi", "Hello there", "Is it safe?"])),
                       ("assistant", rng.choice(["Hello! I'm Nova.", "it is what it is", "No, it is not safe.",
                                                 "Yes, it is safe.", "Hey, Sam here, what's up?"]))]
        data.append(conversation(*turns_, cid=f"g-{i}"))
    rng.shuffle(data)
    return data


def _hits(runner: Runner) -> list[tuple]:
    return sorted((f.code, f.entry_index if f.entry_index is not None else -1, f.message_index or -1, f.message)
                  for f in runner.finish())


def test_batches_settle_to_what_one_at_a_time_gives() -> None:
    data = _mixed()
    one = Runner(build_checks(DATASET_CODES))
    for i, conv in enumerate(data):
        one.observe(one.process(conv).summaries, EntryRef(None, i, conv.id, None))
    batched = Runner(build_checks(DATASET_CODES))
    for start in range(0, len(data), 37):
        chunk = data[start:start + 37]
        rows = [batched.process(conv, settle=False).summaries for conv in chunk]
        batched.settle(rows)
        batched.observe_many(rows, [EntryRef(None, start + k, c.id, None) for k, c in enumerate(chunk)])
    found = _hits(one)
    assert found == _hits(batched)
    assert {"CT001", "CT002", "LV002", "LV005", "RP005"} <= {code for code, *_ in found}


def test_observe_settles_what_it_is_given_unsettled() -> None:
    data = _mixed(6)
    for cls in (ConflictingAnswers,):
        direct = run(cls, data)  # summarize() then observe(): the pending summaries are settled one by one
        runner = Runner(build_checks((cls.code,)))
        for i, conv in enumerate(data):
            runner.observe(runner.process(conv).summaries, EntryRef(None, i, conv.id, i + 1))
        assert sorted(h.message for h in direct) == sorted(f.message for f in runner.finish())


class _BrokenSettle(DatasetCheck):
    code, name, family, severity = "XX901", "broken-settle", Family.REPETITION, Severity.INFO

    def summarize(self, conversation: Conversation) -> bytes:
        return b"x"

    def settle(self, summaries: list) -> list:
        raise ValueError("boom")

    def observe(self, summary: bytes, ref: EntryRef) -> None:
        raise AssertionError("a summary that did not settle is not observed")

    def finish(self) -> list:
        return []


def test_a_crashing_settle_becomes_a_finding_and_drops_the_batch() -> None:
    checks = build_checks(("RP001",))
    checks.dataset.append(_BrokenSettle())
    runner = Runner(checks)
    rows = [runner.process(qa("Hi?", "Hello."), settle=False).summaries for _ in range(3)]
    runner.settle(rows)
    assert [row[1] for row in rows] == [None, None, None]
    runner.observe_many(rows, [EntryRef(None, i, "c", None) for i in range(3)])
    crashes = [f for f in runner.finish() if f.code == "XX901"]
    assert len(crashes) == 1 and "ValueError: boom" in crashes[0].message


def test_signatures_settled_together_are_the_features_signatures() -> None:
    data = _mixed(7) + [qa("Q?", "One."), conversation(("user", "Hi"))]
    pending = [pending_signature(Features(c)) for c in data]
    assert settle_signatures(pending[:50]) + settle_signatures(pending[50:]) == [Features(c).signature() for c in data]
    assert pending[-1] is None and settle_signatures([pending[0]]) == [pending[0][1]]  # settled once, kept


def test_gram_rows_keep_rows_apart_and_short_rows_whole() -> None:
    flat = np.arange(1, 11, dtype=np.uint64)
    grams, offsets = gram_rows(flat, np.array([4, 2, 4], dtype=np.int64))
    assert offsets.tolist() == [0, 2, 4, 6]
    assert grams[2:4].tolist() == [5, 6]  # the two-token row keeps its tokens
    alone, _ = gram_rows(flat[:4], np.array([4], dtype=np.int64))
    assert grams[:2].tolist() == alone.tolist()


def test_contradiction_records_keep_claims_apart_and_synonyms_together() -> None:
    def record(text: str) -> np.ndarray:
        return np.frombuffer(turns(qa("Is the bridge safe to cross today?", text))[0][3], dtype=RECORD)[0]

    safe, unsafe = record("The bridge is safe to cross today."), record("The bridge is not safe to cross today.")
    big, large = record("The storm was big and it lasted 3 days."), record("The storm was large and it lasted 3 days.")
    longer = record("The storm was big and it lasted 5 days.")
    assert safe["claims"] != unsafe["claims"] and big["claims"] == large["claims"] != longer["claims"]
    assert safe["size"] == 4 and record("it is what it is")["size"] == 5  # function words only: all of them


def test_contradiction_batches_equal_single_settles() -> None:
    data = _mixed(8)
    check = ConflictingAnswers()
    pending = [check.summarize(c) for c in data]
    singles = [settle([p])[0] for p in pending]
    assert settle(pending[:31]) + settle(pending[31:]) == singles
    assert settle(singles) == singles  # settled summaries stay as they are


def test_message_digests_ignore_case_and_punctuation_not_roles() -> None:
    a = message_digests(features(conversation(("user", "What's your NAME?"), ("assistant", "Nova, at your service."))))
    b = message_digests(features(conversation(("user", "what's  your name"), ("assistant", "nova at your service"))))
    c = message_digests(features(conversation(("system", "What's your name?"), ("user", "Go"), ("assistant", "Nova."))))
    assert a == b and len(a) == 16 and c[:8] != a[:8]


def test_stream_is_rebuilt_from_the_turn_texts() -> None:
    rng = random.Random(2)
    turns_ = [("system", "Be terse."), ("assistant", "Welcome!")]
    for k in range(12):
        size = 300 if k == 0 else rng.choice([3, 40, 300])  # long turns are cut to head and tail in the stream
        turns_ += [("user", "More, please."), ("assistant", " ".join(f"W{k}x{i}," for i in range(size)))]
    conv = conversation(*turns_)
    f = Features(conv)
    assert len(f.stream) > f.prefix >= MAX_WORDS and len(f.turns[0][1]) == 300
    assert stream_tokens(turn_texts(f), f.prefix) == f.stream[:f.prefix]
    sample = LowLexicalDiversity().summarize(conv)  # LV001's sample: the stream's first 64 words
    assert sample.split() == [w for w in f.stream if w not in ("\x02", "\x03")][:64]


def test_line_results_pickle_and_batch_like_single_lines() -> None:
    runner = Runner(build_checks(context=CheckContext(kind="assistant")))
    data = _mixed(9)[:40]
    batch = check_items(data, runner, True, True)
    assert batch == [line_result(c, runner, True, True) for c in data]
    assert pickle.loads(pickle.dumps(batch, protocol=5)) == batch and isinstance(batch[0], LineResult)
