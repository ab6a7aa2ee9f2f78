"""Dataset statistics: numbers checked by hand on tiny data, and the bounded summaries."""

from __future__ import annotations

import orjson
import pytest

from tests.conftest import chat
from threadsmith.config import Config
from threadsmith.model import Conversation, Message
from threadsmith.stats import StatsCollector, dataset_stats
from threadsmith.stats.sketches import WORD_BOUNDS, DistinctSketch, Histogram, TopCounter

HAND = [
    chat(("system", "Be brief."), ("user", "Hello there friend"), ("assistant", '*waves* "Hi!" she says.'),
         tags=["a", "b"]),
    {"messages": [{"role": "user", "content": "One two"},
                  {"role": "assistant", "content": "Hi there. How are you today", "name": "Kai"}], "tags": ["a"]},
    '{"messages": [',
]


@pytest.fixture
def hand_stats(write_jsonl):
    return dataset_stats([write_jsonl(HAND)])


def test_counts(hand_stats) -> None:
    s = hand_stats
    assert (s.records, s.conversations, s.unreadable) == (3, 2, 1)
    assert dict(s.messages) == {"system": 1, "user": 2, "assistant": 2}
    assert s.turns.count == 2 and s.turns.total == 4  # the system prompt is not a turn


def test_word_lengths_and_tokens(hand_stats) -> None:
    user, assistant = hand_stats.words["user"], hand_stats.words["assistant"]
    assert (user.count, user.total, user.minimum, user.maximum) == (2, 5, 2, 3)
    assert (assistant.total, assistant.minimum, assistant.maximum) == (10, 4, 6)
    assert hand_stats.chars["assistant"] == 23 + 27
    assert hand_stats.estimated_tokens()["assistant"] == 50 // 4
    assert sorted([hand_stats.tokens.minimum, hand_stats.tokens.maximum]) == [34 // 4, 50 // 4]


def test_openers_voice_markup(hand_stats) -> None:
    assert dict(hand_stats.openers.items) == {"waves hi she": 1, "hi there how": 1}
    voice = hand_stats.voice
    assert (voice.action, voice.dialogue, voice.narration) == (7, 5, 11 + 27)
    assert (voice.turns, voice.turns_with_action, voice.turns_with_dialogue) == (2, 1, 1)
    assert dict(hand_stats.markup) == {"asterisk": 1, "parenthesis": 0, "bracket": 0, "none": 1}


def test_system_tags_characters(hand_stats) -> None:
    system = hand_stats.system_prompts
    assert (system.with_system, system.distinct, system.top_share) == (1, 1, 1.0)
    assert system.top.items == (("Be brief.", 1),)
    assert hand_stats.tags.items == (("a", 2), ("b", 1)) and hand_stats.tags.total == 2
    assert hand_stats.characters.items == (("Kai", 1),) and hand_stats.characters.total == 5


def test_to_dict_is_json(hand_stats) -> None:
    data = orjson.loads(orjson.dumps(hand_stats.to_dict()))
    assert data["conversations"] == 2 and data["unreadable_records"] == 1
    assert data["words"]["user"]["buckets"][2] == {"from": 2, "label": "2", "count": 1}
    assert data["tags"]["top"][0] == {"value": "a", "count": 2, "share": 1.0}


def _assistant_stats(*texts: str) -> StatsCollector:
    collector = StatsCollector(kind="roleplay")
    for i, text in enumerate(texts):
        collector.add(Conversation(str(i), (Message("user", "hi"), Message("assistant", text))))
    return collector


def test_curly_quotes_count_and_bold_is_not_action() -> None:
    voice = _assistant_stats("“Yes,” he said. **Note** 2 * 3 * 4").result().voice
    assert voice.dialogue == len("“Yes,”") and voice.action == 0


def test_markup_styles() -> None:
    stats = _assistant_stats("(smiles) Hello.", "Fine. [She nods.]", "Plain (as in, simple) text.").result()
    assert dict(stats.markup) == {"asterisk": 0, "parenthesis": 1, "bracket": 1, "none": 1}


def test_ngrams_skip_stopword_only_and_count_once_per_turn() -> None:
    stats = _assistant_stats("the crime scene was the crime scene", "one of the crime scene").result()
    grams = dict(stats.ngrams.items)
    assert grams["the crime scene"] == 2
    assert "one of the" not in grams


def test_kind_from_config_and_detected(write_jsonl) -> None:
    path = write_jsonl([chat(("user", "Q"), ("assistant", "A"))])
    assert dataset_stats([path]).kind == "instruction"
    assert dataset_stats([path], config=Config(kind="roleplay")).kind == "roleplay"


def test_histogram_labels_and_quantiles() -> None:
    h = Histogram("words", WORD_BOUNDS)
    for value in (0, 1, 4, 6, 100, 10_000):
        h.add(value)
    d = h.result()
    assert d.labels()[:5] == ["0", "1", "2", "3-4", "5-7"] and d.labels()[-1] == "5,000+"
    assert (d.count, d.minimum, d.maximum) == (6, 0, 10_000)
    assert d.quantile(0) == 0 and d.quantile(1) == 10_000
    assert 4 <= d.quantile(0.5) <= 7


def test_top_counter_keeps_heavy_hitters_bounded() -> None:
    counter = TopCounter(10, distinct=False)
    for i in range(5_000):
        counter.add("common")
        counter.add(f"rare-{i}")
    assert len(counter.counts) <= 100 and counter.approximate
    assert counter.top(1) == (("common", 5_000),)


def test_top_counter_prunes_as_most_common_would() -> None:
    """The numpy prune keeps the keys ``Counter.most_common`` keeps (ties: the first to come), in
    its order, so the counts after many prunes are those of the plain prune."""
    import random
    from collections import Counter

    rng = random.Random(1)
    for trial in range(200):
        cap = rng.choice([1, 3, 10, 50])
        counter, plain = TopCounter(cap, distinct=False), Counter()
        for _ in range(rng.randint(1, 2000)):
            key = rng.randint(0, rng.choice([5, 50, 500, 5000]))
            counter.counts[key] += 1
            plain[key] += 1
            if len(plain) > 10 * cap:
                plain = Counter(dict(plain.most_common(cap)))
                counter.prune()
                assert list(counter.counts.items()) == list(plain.items()), trial
        counter.prune()
        assert list(counter.counts.items()) == list(Counter(dict(plain.most_common(cap))).items()), trial


def test_distinct_sketch_exact_then_estimated() -> None:
    small = DistinctSketch(k=64)
    for i in range(50):
        small.add(str(i % 25))
    assert small.exact and small.estimate() == 25
    big = DistinctSketch(k=256)
    for i in range(20_000):
        big.add(str(i))
    assert not big.exact and abs(big.estimate() - 20_000) / 20_000 < 0.2


def test_ngrams_counted_beside_give_the_same_statistics(monkeypatch, tmp_path) -> None:
    """On a large input the 3-grams are counted in a second process: the statistics are those of
    one process (the same updates in the same order), even past the role cap and the prunes; a
    failing second process costs only time."""
    import multiprocessing
    from importlib import resources

    from threadsmith.formats import read_file
    from threadsmith.stats import background, collector as collecting
    from threadsmith.stats.collector import count_ngrams

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("the 3-grams are counted beside only where processes fork")
    rows = [chat(*[(f"speaker{k % 20}" if k % 3 else "assistant", f"line {i} {k} the tide turns {i * k % 17} times")
                   for k in range(24)]) for i in range(60)]  # custom roles past the cap of 16
    path = tmp_path / "roles.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    files = [str(path)] + [str(p) for p in resources.files("threadsmith.examples").iterdir() if p.name.endswith(".jsonl")]
    monkeypatch.setenv("THREADSMITH_WORKERS", "2")
    monkeypatch.setattr(background, "MIN_PARALLEL_BYTES", 1 << 62)
    monkeypatch.setattr(collecting, "new_ngram_counter", lambda top: TopCounter(8, distinct=False))  # prunes often
    collector = StatsCollector(top=2)
    items = [item for f in files for item in read_file(f)]
    for item in items:
        collector.add(item)
    assert "other" in collector.words  # the role cap was reached
    counted = count_ngrams(items, top=2)
    assert collector.ngrams.approximate and counted.approximate
    assert list(collector.ngrams.counts.items()) == list(counted.counts.items())
    serial = dataset_stats(files, top=2)
    monkeypatch.setattr(background, "MIN_PARALLEL_BYTES", 0)
    forked: list[bool] = []
    real = background.Beside.start

    def start(cls, *args):
        job = real(*args)
        forked.append(job.forked)
        return job

    monkeypatch.setattr(background.Beside, "start", classmethod(start))
    assert dataset_stats(files, top=2) == serial and forked == [True]
    monkeypatch.setattr(background, "_serve", lambda conn, *args: conn.close())
    assert dataset_stats(files, top=2) == serial


def test_tool_calls_are_counted_per_function_in_either_dialect() -> None:
    from threadsmith.model import FUNCTION_CALL, ToolCall

    collector = StatsCollector()
    collector.add(Conversation("o", (Message("user", "Weather and time?"), Message("assistant", "", tool_calls=(
        ToolCall("1", "weather", "{}"), ToolCall("2", "time", "{}"))), Message("tool", "sun"), Message("tool", "12"))))
    collector.add(Conversation("s", (Message("user", "Weather?"), Message(
        "assistant", '{"name": "weather", "arguments": {}}', raw_role=FUNCTION_CALL), Message("tool", "rain"))))
    collector.add(Conversation("p", (Message("user", "Hi"), Message("assistant", "Hello"))))
    stats = collector.result()
    assert (stats.calling, stats.functions.total) == (2, 3)
    assert stats.functions.items == (("weather", 2), ("time", 1))
    assert stats.to_dict()["tool_calls"]["functions"]["top"][0] == {"value": "weather", "count": 2, "share": 0.6667}
    assert StatsCollector().result().to_dict()["tool_calls"] == {
        "conversations": 0, "calls": 0, "functions": {"total": 0, "distinct": 0, "approximate": False, "top": []}}
