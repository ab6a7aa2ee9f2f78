"""Workspace.audit with a tokenizer: template checks and real counts, cached per tokenizer and template."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workspace.conftest import write_records

pytest.importorskip("tokenizers", reason="needs the export extra")
from threadsmith.rendering import byte_tokenizer  # noqa: E402

RECORDS = [
    {"id": "ok", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]},
    {"id": "twice", "messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hello?"},
                                 {"role": "assistant", "content": "Yes?"}]},
]


def test_audit_takes_a_tokenizer_and_caches_per_template(ws, tmp_path: Path) -> None:
    ws.import_files([write_records(tmp_path / "d.jsonl", RECORDS)], dataset="d")
    chatml = ws.audit("d", tokenizer=byte_tokenizer("chatml"))
    assert not [f for f in chatml.findings if f.code.startswith("TM")] and "TM001" in chatml.summary.checks
    gemma = ws.audit("d", tokenizer=byte_tokenizer("gemma"))  # gemma requires alternation
    assert [(f.code, f.entry_id) for f in gemma.findings if f.code == "TM001"] == [("TM001", "twice")]
    tight = ws.audit("d", tokenizer=byte_tokenizer("chatml"), max_tokens=20)
    assert {f.entry_id for f in tight.findings if f.code == "LN001"} == {"ok", "twice"}
    assert not any(code.startswith("TM") for code in ws.audit("d").summary.checks)
    with pytest.raises(Exception, match="train_on"):
        ws.audit("d", tokenizer=byte_tokenizer("chatml"), train_on="first")
