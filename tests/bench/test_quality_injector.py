"""Smoke test of the quality benchmark's injector on tiny literal conversations."""

from __future__ import annotations

import json
from dataclasses import asdict

from bench.quality.injector import FAMILIES, inject
from threadsmith.formats import read_file
from threadsmith.model import Conversation, Message

_TOPICS = ["tides", "bread", "lanterns", "radios", "boats", "storms", "gulls", "maps", "knots", "engines"]


def _conversations() -> list[Conversation]:
    out = []
    for k in range(20):
        topic = _TOPICS[k % len(_TOPICS)]
        reply = (f'*Maren sets down her mug and looks out at the sea.* "Aye, {topic} are a keeper\'s business. '
                 f"You learn them the hard way, one winter at a time. The old logbook says so, and the logbook "
                 f'is never wrong about {topic}." *She taps the page twice and waits for the next question.*')
        out.append(Conversation(id=f"c{k}", messages=(
            Message("system", "You are Maren Vos, keeper of the Skerrow Light. Stay in character."),
            Message("user", f"Tell me what you know about {topic}, please. I have always wondered about them."),
            Message("assistant", reply),
        )))
    return out


def _dump(labelled) -> list[str]:
    return [json.dumps([e.id, [(m.role, m.text) for m in e.messages], asdict(lab)], sort_keys=True)
            for e, lab in zip(labelled.entries, labelled.labels)]


def test_labels_are_produced_one_per_entry():
    labelled = inject(_conversations(), seed=3, rate=0.5)
    assert len(labelled.entries) == len(labelled.labels)
    injected = [lab for lab in labelled.labels if lab.role == "injected"]
    assert injected, "no defect was injected"
    assert all(lab.family in FAMILIES and lab.kind for lab in injected)
    assert any(lab.role == "clean" for lab in labelled.labels)
    # a clean entry is unchanged: same messages as the source with that id
    source = {c.id: c for c in _conversations()}
    for entry, lab in zip(labelled.entries, labelled.labels):
        if lab.role == "clean":
            assert entry.messages == source[entry.id].messages


def test_injection_is_deterministic_per_seed():
    first, again = inject(_conversations(), seed=11, rate=0.5), inject(_conversations(), seed=11, rate=0.5)
    assert _dump(first) == _dump(again)
    other = inject(_conversations(), seed=12, rate=0.5)
    assert _dump(first) != _dump(other)


def test_every_family_can_be_injected_and_written(tmp_path):
    for family in FAMILIES:
        labelled = inject(_conversations(), seed=5, rate=0.2, families=[family])
        assert any(lab.family == family and lab.role == "injected" for lab in labelled.labels), family
        path = tmp_path / f"{family}.jsonl"
        labelled.write(path)
        read = [c for c in read_file(str(path)) if isinstance(c, Conversation)]
        assert len(read) == len(labelled.entries)
