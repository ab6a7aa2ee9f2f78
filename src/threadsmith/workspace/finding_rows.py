"""Cached finding rows: the parts of a finding that depend only on a content, and placing them
back at an entry of a version (the audit cache stores rows, not findings)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from threadsmith.model import Family, Finding, Fix, FixSafety, Severity


def finding_row(finding: Finding) -> list[Any]:
    """The parts of a finding that depend only on the content (cached)."""
    fix = finding.fix
    return [finding.code, finding.name, finding.family.value, finding.severity.value, finding.message,
            finding.message_index, finding.column, fix.description if fix else None, fix.safety.value if fix else None]


def relocate_at(row: Sequence[Any], path: str | None, ordinal: int, key: str, line: int | None) -> Finding:
    """A cached finding row placed at the entry ``key`` (``ordinal`` among the version's included entries)."""
    fix = Fix(row[7], FixSafety(row[8])) if row[7] is not None else None
    return Finding(row[0], row[1], Family(row[2]), Severity(row[3]), row[4], path, ordinal, key, row[5], line,
                   row[6], fix)
