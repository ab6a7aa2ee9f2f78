"""Filters: by tag, by finding severity/code/family, by quality score; the per-entry score."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.export.conftest import RECORDS, write_records
from threadsmith.errors import UnknownCheck
from threadsmith.export import ExportOptions, Filters, entry_score, export, file_source
from threadsmith.export.filters import EntryFilter
from threadsmith.model import Conversation, Family, Finding, Message, Severity, Source
from threadsmith.report.score import quality_score

DIRTY = [
    *RECORDS,
    {"id": "empty-1", "messages": [{"role": "user", "content": "Hello?"}, {"role": "assistant", "content": ""}]},
]


def _ids(path: Path) -> list[str]:
    return [orjson.loads(line).get("id") for line in path.read_bytes().splitlines()]


def _finding(code: str, severity: Severity, family: Family = Family.STRUCTURE, index: int = 0) -> Finding:
    return Finding(code, "x", family, severity, "m", entry_index=index, entry_id=f"e{index}")


def test_tag_filter_keeps_entries_with_every_tag(tmp_path: Path) -> None:
    result = export(file_source(write_records(tmp_path / "c.jsonl", RECORDS)), tmp_path / "o",
                    ExportOptions(filters=Filters(tags=("geo",))))
    assert _ids(tmp_path / "o" / "train.jsonl") == ["geo-1"] and result.dropped == {"tag": 2}


def test_drop_severity_runs_the_audit_and_leaves_out_errors(tmp_path: Path) -> None:
    result = export(file_source(write_records(tmp_path / "c.jsonl", DIRTY)), tmp_path / "o",
                    ExportOptions(filters=Filters(drop_severity="error")))
    assert "empty-1" not in _ids(tmp_path / "o" / "train.jsonl")
    assert result.dropped.get("severity", 0) >= 1 and result.counts["filtered"] == sum(result.dropped.values())


def test_drop_code_by_family_and_prefix(tmp_path: Path) -> None:
    source = write_records(tmp_path / "c.jsonl", DIRTY)
    export(file_source(source), tmp_path / "o", ExportOptions(filters=Filters(drop_codes=("structure",))))
    assert "empty-1" not in _ids(tmp_path / "o" / "train.jsonl")
    with pytest.raises(UnknownCheck):
        export(file_source(source), tmp_path / "p", ExportOptions(filters=Filters(drop_codes=("ZZ9",))))


def test_entry_score_is_the_dataset_score_of_one_entry() -> None:
    findings = [_finding("ST004", Severity.ERROR), _finding("RP002", Severity.WARNING, Family.REPETITION),
                _finding("RP003", Severity.INFO, Family.REPETITION)]
    assert entry_score(findings) == pytest.approx(quality_score(findings, 1).value)
    assert entry_score([]) == 100.0
    assert 70 < entry_score([_finding("RP002", Severity.WARNING, Family.REPETITION)]) < 71


def test_min_score_filter_uses_findings_by_entry() -> None:
    findings = [_finding("RP002", Severity.WARNING, Family.REPETITION, 1),
                _finding("FM001", Severity.INFO, Family.FORMATTING, 2)]
    f = EntryFilter.build(Filters(min_score=80), findings, "index")
    conv = [Conversation(f"e{i}", (Message("user", "q"), Message("assistant", "a")), source=Source(index=i))
            for i in range(3)]
    assert [f.keep(c) for c in conv] == [True, False, True] and f.dropped == {"score": 1}
    by_ordinal = EntryFilter.build(Filters(drop_severity="info"), findings, "ordinal")
    assert [by_ordinal.keep(c) for c in conv] == [True, False, False]
    by_ordinal.restart()
    assert by_ordinal.keep(conv[0]) and not by_ordinal.dropped
