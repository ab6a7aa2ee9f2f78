"""Insights over a workspace version: the report's statistics and quality score, for the web pages.

The statistics read up to ``sample`` conversations (seconds on a large dataset) and the score
reads every finding, so both are stored once computed, per (dataset, version, sample, audit run,
statistics and score code): a version never changes, and a run is replaced when the version is
audited again. A repeat load reads them back without building the audit report. Stored as JSON
in the workspace's ``meta`` table; a value that will not load is computed again.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

import threadsmith.stats as stats_package
from threadsmith.audit import AuditReport
import threadsmith.report.score as score_module
from threadsmith.config import Config
from threadsmith.report.score import FamilyPenalty, QualityScore, quality_score
from threadsmith.stats import DatasetStats, Distribution, Ranking, StatsCollector, SystemPrompts, Voice
from threadsmith.store import DatasetRow, Store
from threadsmith.store.audit_cache import RunRow
from threadsmith.workspace.auditing import detect_version_kind, plan_checks


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
        row = self.dataset(dataset)  # type: ignore[attr-defined]
        run = self._insights_run(row, number)
        stored = _load(self.store.audit.remembered(_key(row.id, number, sample, run.id))) if run else None
        if stored is not None and run is not None:
            seen, stats, score = stored
            return Insights(dataset, number, stats, score, seen, int(run.summary["records"]))
        report: AuditReport = self.audit(dataset, version=number)  # type: ignore[attr-defined]
        collector = StatsCollector(kind=report.summary.kind)
        seen = 0
        for conversation in islice(self.conversations(dataset, version=number), sample):  # type: ignore[attr-defined]
            collector.add(conversation)
            seen += 1
        stats = collector.result((f"{dataset}@{number}",))
        score = quality_score(report.findings, report.summary.records)
        run = self._insights_run(row, number)
        if run is not None:
            value = orjson.dumps({"sampled": seen, "stats": asdict(stats), "score": asdict(score)}).decode()
            with self.store.write():
                self.store.audit.remember(_key(row.id, number, sample, run.id), value)
        return Insights(dataset, number, stats, score, seen, report.summary.records)

    def _insights_run(self, row: DatasetRow, version: int) -> RunRow | None:
        """The stored audit of the version under the workspace's checks (as :meth:`audit` would answer), if any."""
        config: Config = self.config  # type: ignore[attr-defined]
        plan = plan_checks(config, detect_version_kind(self.store, row, version, config))
        config_id = self.store.audit.find_config(plan.fingerprint)
        try:
            return self.store.audit.run(row.id, version, config_id, with_findings=False) if config_id is not None else None
        except ValueError:  # a run that will not load: the audit redoes it
            return None

    def quality(self, dataset: str, *, version: str | int | None = None) -> QualityScore:
        """The quality score of a version (the report's formula over its audit)."""
        report: AuditReport = self.audit(dataset, version=version)  # type: ignore[attr-defined]
        return quality_score(report.findings, report.summary.records)


_DIGEST: list[str] = []


def _stats_code_digest() -> str:
    """A digest of the statistics modules' source: stored statistics never outlive a change to them."""
    if not _DIGEST:
        sha = hashlib.sha256()
        for path in [*sorted(Path(stats_package.__file__).parent.glob("*.py")), Path(score_module.__file__)]:
            sha.update(path.name.encode() + path.read_bytes())
        _DIGEST.append(sha.hexdigest()[:16])
    return _DIGEST[0]


#: The start of every key under which insights are remembered.
INSIGHTS_PREFIX = "insights:"


def _key(dataset_id: int, version: int, sample: int, run_id: int) -> str:
    """Where the insights of a version are kept: per sample, audit run and statistics / score code."""
    return f"{INSIGHTS_PREFIX}{dataset_id}:{version}:{sample}:{run_id}:{_stats_code_digest()}"


def is_stale_insights_key(key: str) -> bool:
    """True for insights remembered by older statistics or score code (never read again)."""
    return key.startswith(INSIGHTS_PREFIX) and not key.endswith(f":{_stats_code_digest()}")


def _load(value: str | None) -> tuple[int, DatasetStats, QualityScore] | None:
    """(entries sampled, statistics, score) back from what :meth:`InsightsMethods.insights` stored;
    None when absent or damaged."""
    if value is None:
        return None
    try:
        data = orjson.loads(value)
        score = data["score"]
        families = tuple(FamilyPenalty(**f) for f in score["families"])
        return int(data["sampled"]), stats_of(data["stats"]), QualityScore(score["value"], score["records"], families)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def stats_of(d: dict[str, Any]) -> DatasetStats:
    """:class:`DatasetStats` back from :func:`dataclasses.asdict` data (JSON lists become tuples again)."""
    return DatasetStats(
        files=tuple(d["files"]), records=d["records"], conversations=d["conversations"], unreadable=d["unreadable"],
        kind=d["kind"], messages=dict(d["messages"]), chars=dict(d["chars"]),
        words={role: _distribution(v) for role, v in d["words"].items()}, turns=_distribution(d["turns"]),
        tokens=_distribution(d["tokens"]), openers=_ranking(d["openers"]), ngrams=_ranking(d["ngrams"]),
        voice=Voice(**d["voice"]), markup=dict(d["markup"]),
        system_prompts=SystemPrompts(d["system_prompts"]["conversations"], d["system_prompts"]["with_system"],
                                     d["system_prompts"]["distinct"], _ranking(d["system_prompts"]["top"])),
        tags=_ranking(d["tags"]), characters=_ranking(d["characters"]),
        exact_tokens=_maybe_distribution(d["exact_tokens"]), tokenizer=d["tokenizer"],
        exact_reply_tokens=_maybe_distribution(d["exact_reply_tokens"]),
        functions=_ranking(d["functions"]), calling=d["calling"])


def _distribution(d: dict[str, Any]) -> Distribution:
    return Distribution(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def _maybe_distribution(d: dict[str, Any] | None) -> Distribution | None:
    return None if d is None else _distribution(d)


def _ranking(d: dict[str, Any]) -> Ranking:
    return Ranking(tuple((str(v), int(n)) for v, n in d["items"]), d["total"], d["distinct"], d["approximate"])
