"""Near-duplicate machinery: signatures, LSH clustering, connected components, RP002 at scale."""

from __future__ import annotations

import random

import numpy as np

from tests.checks.dataset_runs import conversation, qa, run, varied_set
from threadsmith.checks.near_duplicates import (
    MAX_WORDS,
    NearDuplicate,
    SignatureStore,
    cluster,
    components,
    reply_words,
    signature,
)
from threadsmith.checks.base import EntryRef


def _reference_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [min(i for i in range(n) if find(i) == find(j)) for j in range(n)]


def test_components_match_union_find() -> None:
    rng = random.Random(3)
    for _ in range(100):
        n = rng.randint(1, 50)
        edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 60))]
        a = np.array([e[0] for e in edges], dtype=np.int64)
        b = np.array([e[1] for e in edges], dtype=np.int64)
        assert components(n, a, b).tolist() == _reference_components(n, edges)


def test_signature_ignores_system_prompt_and_greeting() -> None:
    plain = conversation(("user", "Hi"), ("assistant", "Hello, how can I help you with the lamp today?"))
    dressed = conversation(("system", "You are Maren, keeper of the light."), ("assistant", "Welcome, stranger."),
                           ("user", "Hi"), ("assistant", "Hello, how can I help you with the lamp today?"))
    assert reply_words(dressed) == reply_words(plain)
    assert signature(dressed) == signature(plain)
    assert signature(conversation(("user", "Hi"))) is None


def test_reply_words_are_capped() -> None:
    long = conversation(("user", "Go on"), ("assistant", " ".join(f"w{i}" for i in range(5000))))
    words = reply_words(long)
    assert len(words) <= MAX_WORDS and words[0] == "w0" and words[-1] == "w4999"


def test_cluster_finds_planted_groups() -> None:
    base = varied_set(300)
    store = SignatureStore()
    for i, conv in enumerate(base):
        store.add(signature(conv), EntryRef(None, i, conv.id, None))
    for copy in (5, 17, 17):
        text = base[copy].messages[-1].text.split()
        text[len(text) // 2] = "changed"
        store.add(signature(qa("again?", " ".join(text))), EntryRef(None, len(store.refs), "x", None))
    labels, identical = cluster(store.matrix(), 0.8)
    sizes = np.bincount(labels, minlength=len(labels))
    assert sorted(sizes[sizes > 1].tolist()) == [2, 3]
    assert labels[300] == 5 and labels[301] == labels[302] == 17
    assert identical[302] == 301


def test_near_duplicate_reports_every_member_once() -> None:
    data = varied_set(200)
    source = next(i for i, c in enumerate(data) if len(c.messages[-1].text.split()) >= 60)
    text = data[source].messages[-1].text.split()
    text[3] = "changed"
    data.append(qa("again?", " ".join(text)))
    hits = run(NearDuplicate, data)
    assert [h.ref.entry_index for h in hits] == [source, 200]
    assert "suggested keeper" in hits[0].message
    assert f"near-duplicate of entry {source}" in hits[1].message


def test_varied_data_has_no_near_duplicates() -> None:
    assert run(NearDuplicate, varied_set(500)) == []
