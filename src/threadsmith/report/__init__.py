"""The HTML report: audit findings, dataset statistics and a quality score in one offline file.

``write_report(paths, "report.html")`` is the library call behind ``threadsmith report``. It
reads the data twice (once to audit, once for statistics and the example excerpts; on a large
input the statistics pass runs in a forked process beside the audit) and holds only bounded
summaries. The page carries its styles and charts (inline SVG), loads nothing,
runs no script, and escapes every string that comes from the data.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING

from threadsmith.audit import AuditReport, ProgressCallback, audit, expand_paths, sample_kind
from threadsmith.config import Config
from threadsmith.errors import UserError
from threadsmith.report.findings import ExcerptCollector, example_keys, group_findings
from threadsmith.report.page import render_page
from threadsmith.report.score import FamilyPenalty, QualityScore, quality_score
from threadsmith.stats import DatasetStats, StatsCollector
from threadsmith.stats.background import beside, collect, read_items

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer

__all__ = ["FamilyPenalty", "QualityScore", "Report", "build_report", "quality_score", "write_report"]


@dataclass(frozen=True, slots=True)
class Report:
    """The rendered page and what it was made from."""

    html: str
    score: QualityScore
    stats: DatasetStats
    audit: AuditReport
    #: Where the page was written (None when only built).
    output: str | None = None


def build_report(
    paths: Sequence[str | os.PathLike[str]],
    *,
    config: Config | None = None,
    examples: int = 5,
    progress: ProgressCallback | None = None,
    generated: datetime | None = None,
    tokenizer: ChatTokenizer | None = None,
) -> Report:
    """Audit the files, compute their statistics, score them and render the page.

    With ``tokenizer`` the audit runs the template checks too, and the page charts exact tokens
    per conversation and per assistant turn."""
    config = config or Config()
    files = expand_paths(paths)
    kind = config.kind if config.kind != "auto" else sample_kind(files, config)
    config = replace(config, kind=kind)  # detected once, for the audit and the statistics
    # The statistics pass runs beside the audit on a large input; with a tokenizer (exact token
    # counts) it stays here, after the audit: a tokenizer's threads and a fork do not mix.
    size = sum(os.path.getsize(f) for f in files) if tokenizer is None else 0
    with beside(collect, (files, config, kind), size) as statistics:
        audited = audit(files, config=config, progress=progress, tokenizer=tokenizer)
        families = group_findings(audited.findings, max(0, examples))
        excerpts = ExcerptCollector(example_keys(families))
        collector = None if statistics.forked else StatsCollector(kind=kind, tokenizer=tokenizer)
        for item in read_items(files, config):
            if collector is not None:
                collector.add(item)
            excerpts.add(item)
        stats = statistics.result() if collector is None else collector.result(files)
    score = quality_score(audited.findings, audited.summary.records)
    when = (generated or datetime.now()).strftime("%Y-%m-%d %H:%M")
    page = render_page(stats, audited, score, families, excerpts.excerpts, generated=when, version=_version())
    return Report(page, score, stats, audited)


def write_report(
    paths: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    config: Config | None = None,
    examples: int = 5,
    progress: ProgressCallback | None = None,
    tokenizer: ChatTokenizer | None = None,
) -> Report:
    """:func:`build_report`, written to ``output`` as UTF-8 (never over one of the inputs)."""
    target = os.path.abspath(os.fspath(output))
    if any(os.path.abspath(f) == target for f in expand_paths(paths)):
        raise UserError(f"Refusing to overwrite the input {output} with the report.", hint="Choose another -o path.")
    report = build_report(paths, config=config, examples=examples, progress=progress, tokenizer=tokenizer)
    partial = f"{target}.{os.getpid()}.partial"  # written whole, then put in place: never half a page
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(report.html)
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.remove(partial)
        raise UserError(f"Cannot write {output}: {exc.strerror}") from None
    return replace(report, output=target)


def _version() -> str:
    try:
        return metadata.version("threadsmith")
    except metadata.PackageNotFoundError:
        return "0+unknown"
