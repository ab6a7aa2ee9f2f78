"""Suite loading: the documented YAML, the compiled JSONL round trip, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadsmith.errors import InputNotFound
from threadsmith.probe import SuiteError, compile_suite, load_suite

TINY = Path(__file__).with_name("tiny_suite.yaml")


def test_tiny_suite_loads_with_resolved_fields() -> None:
    suite = load_suite(TINY)
    assert suite.name == "tiny"
    assert [p.behavior for p in suite.probes] == ["role", "agency", "correction", "forgetting"]
    role = suite.probes[0]
    assert role.character is not None and role.character.name == "Mira"
    assert role.generation.max_new_tokens == 16 and role.generation.temperature == 0.0
    assert [c.type for c in role.checks] == ["role.no_assistant_speak", "role.identity"]
    correction = suite.probes[2]
    assert correction.turns[1].checks[0].args["label"] == "persistence"
    assert suite.probes[3].choices == ("Paris", "Berlin", "Madrid") and suite.probes[3].answer == 0
    assert suite.format_contract.actions == "asterisk" and suite.format_contract.paragraphs == (1, 3)
    assert "Mira" in role.system_prompt(suite.baseline_prompt) and "Alex" in role.system_prompt(suite.baseline_prompt)
    assert role.system_prompt() == "You are Mira, a gruff lighthouse keeper. Reply in one or two short sentences."


def test_compiled_jsonl_round_trips(tmp_path: Path) -> None:
    suite = load_suite(TINY)
    out = tmp_path / "tiny.jsonl"
    out.write_text(compile_suite(suite), encoding="utf-8")
    assert len(out.read_text().splitlines()) == 1 + len(suite.probes)
    again = load_suite(out)
    assert [p.fingerprint() for p in again.probes] == [p.fingerprint() for p in suite.probes]
    assert again.probes[2].turns == suite.probes[2].turns
    assert again.format_contract == suite.format_contract and again.length_band == suite.length_band


BAD = [
    ("suite: x\nprobes:\n  - id: a\n    behavior: dancing\n    turns: [hi]\n", r"bad\.yaml:3: probe 'a': 'behavior'"),
    ("suite: x\nprobes:\n  - id: a\n    behavior: role\n    turns: [hi]\n    colour: red\n", r":3: unknown probe field 'colour'"),
    ("suite: x\nprobes:\n  - id: a\n    behavior: role\n    character: bob\n    turns: [hi]\n", r"character 'bob' is not defined"),
    ("suite: x\nprobes:\n  - id: a\n    behavior: role\n    turns: [hi]\n    checks:\n      - type: role.nope\n",
     r":7: probe 'a': unknown check type 'role.nope'"),
    ("suite: x\nprobes:\n  - id: a\n    behavior: role\n    turns: []\n", r"at least one scripted user turn"),
    ("suite: x\nprobes:\n  - {id: a, behavior: role, turns: [hi]}\n  - {id: a, behavior: role, turns: [hi]}\n",
     r":4: probe id 'a' is used twice"),
    ("suite: x\nprobes: [\n", r"bad\.yaml:\d+: not valid YAML"),
    ("suite: x\nlength_band: [50, 10]\nprobes:\n  - {id: a, behavior: role, turns: [hi]}\n", r"'length_band' must be"),
    ("suite: x\nformat_contract: {actions: glitter}\nprobes:\n  - {id: a, behavior: role, turns: [hi]}\n",
     r"format_contract.actions 'glitter'"),
    ("suite: x\nprobes:\n  - {id: a, behavior: forgetting, turns: [q], choices: [x, y], answer: 5}\n",
     r"'answer' must be the 0-based index"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_suites_name_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SuiteError, match=message) as info:
        load_suite(path)
    assert str(path) in str(info.value) and info.value.hint


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(InputNotFound):
        load_suite(tmp_path / "nope.yaml")
