"""Which entries an export keeps: by tag, by findings (family, code, severity), by quality score.

Excluded workspace entries are never exported (the workspace source leaves them out before
any filter). Finding filters need the audit's findings; an entry's quality score is the
dataset score formula of ``threadsmith.report.score`` applied to the entry alone: 100 minus,
for each family with findings on the entry, ``30 * (1 - exp(-w / 0.10))`` where ``w`` is the
heaviest severity weight (error 1.0, warning 0.4, info 0.05). So one warning costs about 29.5
points, one info finding about 11.8, and an entry without findings scores 100.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from threadsmith.checks.registry import resolve
from threadsmith.model import Conversation, Finding, Severity
from threadsmith.report.score import SEVERITY_WEIGHT, family_penalty


@dataclass(frozen=True, slots=True)
class Filters:
    """What to leave out of an export (every field empty: keep everything)."""

    #: Keep only entries that carry every one of these tags.
    tags: tuple[str, ...] = ()
    #: Leave out entries with a finding at or above this severity (``error``, ``warning``, ``info``).
    drop_severity: str | None = None
    #: Leave out entries with a finding of these codes, code prefixes, families or check names.
    drop_codes: tuple[str, ...] = ()
    #: Leave out entries whose quality score (see the module docstring) is below this.
    min_score: float | None = None

    @property
    def needs_findings(self) -> bool:
        """True when the filters read the audit's findings."""
        return self.drop_severity is not None or bool(self.drop_codes) or self.min_score is not None

    def to_dict(self) -> dict[str, Any]:
        """The filters as the manifest records them."""
        return {"tags": list(self.tags), "drop_severity": self.drop_severity, "drop_codes": list(self.drop_codes),
                "min_score": self.min_score, "excluded_entries": "never exported"}


def entry_score(findings: Iterable[Finding]) -> float:
    """The quality score (0-100) of one entry with these findings."""
    heaviest: dict[str, float] = {}
    for finding in findings:
        family = str(getattr(finding.family, "value", finding.family))
        heaviest[family] = max(heaviest.get(family, 0.0), SEVERITY_WEIGHT[Severity(finding.severity)])
    return max(0.0, 100.0 - math.fsum(family_penalty(w) for w in heaviest.values()))


@dataclass(slots=True)
class EntryFilter:
    """Decides per entry, and counts why entries were left out."""

    filters: Filters
    #: Findings per entry key (entry index for files, entry id for workspace versions).
    by_entry: Mapping[Any, list[Finding]] = field(default_factory=dict)
    #: How findings name entries: ``"index"`` (the record's position in its file), ``"id"``, or
    #: ``"ordinal"`` (position among the entries read, as a workspace audit numbers them).
    key: str = "index"
    dropped: Counter = field(default_factory=Counter)
    _codes: frozenset[str] = frozenset()
    _seen: int = 0

    @classmethod
    def build(cls, filters: Filters, findings: Iterable[Finding] | None = None, key: str = "index") -> EntryFilter:
        """A filter over ``findings`` (needed when ``filters.needs_findings``)."""
        by_entry: dict[Any, list[Finding]] = {}
        for finding in findings or ():
            name = finding.entry_id if key == "id" else finding.entry_index
            if name is not None:
                by_entry.setdefault(name, []).append(finding)
        codes = frozenset(resolve(filters.drop_codes)) if filters.drop_codes else frozenset()
        return cls(filters, by_entry, key, Counter(), codes)

    def restart(self) -> None:
        """Start a new pass over the same entries (counts and ordinals from zero)."""
        self.dropped.clear()
        self._seen = 0

    def keep(self, conversation: Conversation) -> bool:
        """True to export this entry (call once per entry read, in order); otherwise the reason is counted."""
        reason = self.reason(conversation, self._seen)
        self._seen += 1
        if reason is None:
            return True
        self.dropped[reason] += 1
        return False

    def reason(self, conversation: Conversation, ordinal: int = 0) -> str | None:
        """Why this entry is left out (``tag``, ``severity``, ``code``, ``score``), or None."""
        f = self.filters
        if f.tags and not set(f.tags) <= set(conversation.tags):
            return "tag"
        if not f.needs_findings:
            return None
        name = {"index": conversation.source.index, "id": conversation.id}.get(self.key, ordinal)
        found = self.by_entry.get(name, ())
        if f.drop_severity is not None and any(x.severity.rank >= Severity(f.drop_severity).rank for x in found):
            return "severity"
        if self._codes and any(x.code in self._codes for x in found):
            return "code"
        if f.min_score is not None and entry_score(found) < f.min_score:
            return "score"
        return None
