"""The page: header, score and top problems first, then findings, statistics, and the score formula."""

from __future__ import annotations

import os

from threadsmith.audit import AuditReport
from threadsmith.report.charts import esc, number, percent
from threadsmith.report.findings import CodeGroup, EntryKey, Turn, render_findings
from threadsmith.report.score import (
    DATASET_FINDING_SHARE,
    FAMILY_CAP,
    GRADES,
    SCALE,
    SEVERITY_WEIGHT,
    QualityScore,
)
from threadsmith.report.sections import composition_section, shape_section, style_section
from threadsmith.report.style import CSS
from threadsmith.stats import DatasetStats

#: No network, no script, no plugin: the page can only use what it carries.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def render_page(stats: DatasetStats, report: AuditReport, score: QualityScore,
                families: dict[str, list[CodeGroup]], excerpts: dict[EntryKey, tuple[Turn, ...]],
                *, generated: str, version: str) -> str:
    """The whole report as one HTML document."""
    names = ", ".join(os.path.basename(f) for f in stats.files) or "no files"
    body = "".join([
        _header(stats, names, generated, version),
        _overview(stats, report, score, families),
        render_findings(families, score, excerpts),
        shape_section(stats),
        style_section(stats),
        composition_section(stats),
        _score_section(score),
        f'<footer>Made by threadsmith {esc(version)} on {esc(generated)}. This file is self-contained and works '
        f'offline.</footer>',
    ])
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>Threadsmith report: {esc(names)}</title><style>{CSS}</style></head>'
            f'<body><main>{body}</main></body></html>\n')


def _header(stats: DatasetStats, names: str, generated: str, version: str) -> str:
    files = "; ".join(stats.files)
    return (f'<header><h1>Dataset quality report</h1><div class="sub" title="{esc(files)}">{esc(names)} · '
            f'{esc(stats.kind)} dataset · generated {esc(generated)} by threadsmith {esc(version)}</div>'
            '<nav class="toc"><a href="#findings">Findings</a><a href="#shape">Shape</a>'
            '<a href="#style">Voice and style</a><a href="#composition">Composition</a>'
            '<a href="#score">How the score works</a></nav></header>')


def _overview(stats: DatasetStats, report: AuditReport, score: QualityScore,
              families: dict[str, list[CodeGroup]]) -> str:
    grade = score.grade
    card = (f'<div class="scorecard"><div class="sub">Quality score</div><div class="value {grade}">'
            f'{score.rounded}<small>/100</small></div><div class="meter"><span class="bg-{grade}" '
            f'style="width:{score.value:.1f}%"></span></div><div class="grade {grade}">{grade}</div>'
            f'<p class="sub">100 minus a capped penalty per check family, by share of entries affected and '
            f'severity. <a href="#score">How it is computed</a></p></div>')
    s = report.summary
    tokens = sum(stats.estimated_tokens().values())
    kpis = [("conversations", number(stats.conversations)), ("messages", number(sum(stats.messages.values()))),
            ("est. tokens", number(tokens)), ("unreadable records", number(stats.unreadable)),
            ("errors", number(s.by_severity.get("error", 0))), ("warnings", number(s.by_severity.get("warning", 0))),
            ("info", number(s.by_severity.get("info", 0))), ("safe fixes (--fix)", number(s.fixable))]
    tiles = "".join(f'<div class="kpi"><b>{value}</b><span>{esc(label)}</span></div>' for label, value in kpis)
    return (f'<section class="overview">{card}<div><div class="kpis">{tiles}</div>'
            f'<h3>Top problems</h3>{_top_problems(score, families)}</div></section>')


def _top_problems(score: QualityScore, families: dict[str, list[CodeGroup]]) -> str:
    rows = []
    for penalty in score.families[:6]:
        groups = families.get(penalty.family, [])[:2]
        codes = ", ".join(f'<a href="#code-{esc(g.code)}"><code>{esc(g.code)}</code></a> {esc(g.name)}' for g in groups)
        affected = percent(penalty.entries / max(score.records, 1)) if penalty.entries else "dataset"
        rows.append(f'<tr><td><a href="#family-{esc(penalty.family)}">{esc(penalty.family)}</a></td><td>{codes}</td>'
                    f'<td class="num">{affected}</td><td class="num penalty">&minus;{penalty.penalty:.1f}</td></tr>')
    if not rows:
        return '<p class="good">No findings: every check passed.</p>'
    return ('<table><thead><tr><th>family</th><th>main codes</th><th class="num">entries</th>'
            f'<th class="num">points</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _score_section(score: QualityScore) -> str:
    weights = ", ".join(f"{sev.value} {w:g}" for sev, w in SEVERITY_WEIGHT.items())
    bands = ", ".join(f"{label} from {floor:g}" for floor, label in GRADES)
    formula = (
        "share(family)   = Σ over affected entries of the heaviest severity weight of its findings in the family\n"
        f"                  ÷ number of records ({number(score.records)})\n"
        f"                + {DATASET_FINDING_SHARE:g} × Σ severity weights of the family's dataset-level findings\n"
        f"penalty(family) = {FAMILY_CAP:g} × (1 − e^(−share / {SCALE:g}))\n"
        "score           = max(0, 100 − Σ penalties)")
    rows = "".join(
        f'<tr><td>{esc(p.family)}</td><td class="num">{p.findings:,}</td><td class="num">{p.entries:,}</td>'
        f'<td class="num">{p.dataset_findings:,}</td><td class="num">{p.share:.4f}</td>'
        f'<td class="num penalty">&minus;{p.penalty:.2f}</td></tr>' for p in score.families)
    table = ('<table><thead><tr><th>family</th><th class="num">findings</th><th class="num">entries</th>'
             '<th class="num">dataset-level</th><th class="num">share</th><th class="num">penalty</th></tr></thead>'
             f'<tbody>{rows}<tr><td><b>score</b></td><td></td><td></td><td></td><td></td>'
             f'<td class="num"><b>{score.value:.1f}</b></td></tr></tbody></table>' if rows else "")
    return (
        '<h2 id="score">How the score works</h2>'
        f'<p>The score starts at 100. Each check family loses points by the share of entries it affects, weighted by '
        f'severity ({weights}). The penalty rises quickly for the first affected entries and flattens out at '
        f'{FAMILY_CAP:g} points, so one kind of problem alone cannot take the score to zero; a family on 10% of the '
        f'entries with errors costs about {FAMILY_CAP * 0.632:.0f} points. More findings never raise the score. '
        f'Bands: {bands}.</p><pre class="formula">{esc(formula)}</pre>{table}'
    )
