"""Insights over a workspace version: the report's statistics and quality score, for the web pages."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from threadsmith.audit import AuditReport
from threadsmith.report.score import QualityScore, quality_score
from threadsmith.stats import DatasetStats, StatsCollector
from threadsmith.store import Store


@dataclass(frozen=True, slots=True)
class Insights:
    """Statistics of (the first ``sampled`` entries of) a version, and its quality score."""

    dataset: str
    version: int
    stats: DatasetStats
    score: QualityScore
    sampled: int
    entries: int


class InsightsMethods:
    """Mixed into :class:`~threadsmith.workspace.Workspace`."""

    store: Store

    def insights(self, dataset: str, *, version: str | int | None = None, sample: int = 50_000) -> Insights:
        """Statistics of a version (its first ``sample`` included entries) and its quality score (audits when needed)."""
        number = self.resolve(dataset, version)  # type: ignore[attr-defined]
        report: AuditReport = self.audit(dataset, version=number)  # type: ignore[attr-defined]
        collector = StatsCollector(kind=report.summary.kind)
        seen = 0
        for conversation in islice(self.conversations(dataset, version=number), sample):  # type: ignore[attr-defined]
            collector.add(conversation)
            seen += 1
        stats = collector.result((f"{dataset}@{number}",))
        score = quality_score(report.findings, report.summary.records)
        return Insights(dataset, number, stats, score, seen, report.summary.records)

    def quality(self, dataset: str, *, version: str | int | None = None) -> QualityScore:
        """The quality score of a version (the report's formula over its audit)."""
        report: AuditReport = self.audit(dataset, version=version)  # type: ignore[attr-defined]
        return quality_score(report.findings, report.summary.records)
