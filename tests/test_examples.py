"""The clean example datasets that ship with threadsmith pass every check; dirty.jsonl does not."""

from __future__ import annotations

from importlib import resources

import pytest

from threadsmith.audit import audit

EXAMPLES = resources.files("threadsmith.examples")


@pytest.mark.parametrize("name", ["roleplay-lighthouse.jsonl", "assistant-chat.jsonl", "support-tools.jsonl"])
def test_a_clean_example_has_no_finding(name: str) -> None:
    report = audit([str(EXAMPLES / name)])
    assert report.summary.conversations > 0
    assert [f"{f.code} {f.message}" for f in report.findings] == []


def test_the_tool_example_reads_both_ways() -> None:
    from threadsmith.formats import read_file, to_record

    conversations = list(read_file(str(EXAMPLES / "support-tools.jsonl")))
    assert sum(bool(m.tool_calls) for c in conversations for m in c.messages) >= 8
    sharegpt = [to_record(c, "sharegpt") for c in conversations]
    assert sum(t["from"] == "function_call" for r in sharegpt for t in r["conversations"]) >= 8
