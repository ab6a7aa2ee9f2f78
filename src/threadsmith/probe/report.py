"""The comparison as a report: per-behavior scores with intervals, worst examples side by side,
and "what to fix in the dataset next", with the dataset entries the linked checks report."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from threadsmith.model import Finding
from threadsmith.probe.compare import DATASET_LINKS, Comparison, VariantExtras


@dataclass(frozen=True, slots=True)
class FixLink:
    behavior: str
    codes: tuple[str, ...]
    advice: str
    command: str
    findings: tuple[Finding, ...]


def dataset_links(comparison: Comparison, dataset: str | None, per_behavior: int = 5,
                  finder: Callable[[tuple[str, ...]], tuple[Finding, ...]] | None = None,
                  command: str | None = None) -> list[FixLink]:
    """For each behavior to fix: the checks that feed it and their top findings, from the dataset
    file ``dataset``, or from ``finder`` (codes -> findings, e.g. a workspace dataset version's audit;
    ``command`` is then the audit command to show, ``--select`` is appended)."""
    links = []
    for behavior in comparison.to_fix:
        codes, advice = DATASET_LINKS.get(behavior, ((), ""))
        findings: tuple[Finding, ...] = ()
        target = command or f"threadsmith audit {dataset or 'DATASET'}"
        shown = f"{target} --select {','.join(codes)}" if codes else ""
        if codes and finder is not None:
            findings = finder(codes)[:per_behavior]
        elif dataset and codes:
            from threadsmith.audit import audit
            from threadsmith.config import Config

            report = audit([dataset], config=Config(select=codes))
            findings = tuple(report.findings[:per_behavior])
        links.append(FixLink(behavior, codes, advice, shown, findings))
    return links


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _kl(value: float | None) -> str:
    """KL values span orders of magnitude (1e-6 after a light LoRA, 0.1+ after heavy tuning)."""
    return "-" if value is None else "0" if value == 0 else f"{value:.2g}"


def _kl_text(extra: VariantExtras) -> str:
    """The KL value, or "not measured (why)": an absent measurement is never shown as 0."""
    if extra.kl is None and extra.kl_note:
        return "not measured (" + extra.kl_note.removeprefix("KL not measured: ") + ")"
    return _kl(extra.kl)


def _changes_text(extra: VariantExtras) -> str:
    method = f" ({extra.choice_method})" if extra.choice_method and extra.answer_changes is not None else ""
    return _fmt(extra.answer_changes) + method


def text_report(comparison: Comparison, links: Sequence[FixLink]) -> str:
    lines = [f"variants: {', '.join(comparison.variants)} (first = base)", *comparison.sources, "",
             "behavior     variant          score  delta  95% CI"]
    for d in comparison.deltas:
        ci = f"[{_fmt(d.low, True)}, {_fmt(d.high, True)}]" if d.delta is not None else ""
        lines.append(f"{d.behavior:12} {d.variant:16} {_fmt(d.score):>5}  {_fmt(d.delta, True):>5}  {ci}")
    for e in comparison.extras:
        intro = ", ".join(f"'{i.phrase}' ({i.count})" for i in e.introduced[:5]) or "-"
        lines.append(f"{e.variant}: distinct-2 {e.distinct_2:.2f}; KL from base {_kl_text(e)}; "
                     f"answer changes {_changes_text(e)}; accuracy {_fmt(e.accuracy)}; introduced: {intro}")
    if comparison.worst:
        lines += ["", "worst examples:"]
        for x in comparison.worst:
            lines.append(f"  {x.probe_id} ({x.variant}, -{x.drop:.2f}): {'; '.join(x.failures)[:160]}")
            lines.append(f"    base: {(x.base_replies[-1] if x.base_replies else '')[:120]!r}")
            lines.append(f"    {x.variant}: {(x.replies[-1] if x.replies else '')[:120]!r}")
    if links:
        lines += ["", "what to fix in the dataset next:"]
        for link in links:
            lines.append(f"  {link.behavior}: {link.advice}")
            if link.command:
                lines.append(f"    {link.command}")
            for f in link.findings:
                lines.append(f"    - entry {f.entry_index} ({f.code}): {f.message[:120]}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return f"<td>{html.escape(text)}</td>"


def html_report(comparison: Comparison, links: Sequence[FixLink], title: str = "Probe comparison") -> str:
    rows = "".join(
        f"<tr>{_cell(d.behavior)}{_cell(d.variant)}{_cell(_fmt(d.score))}{_cell(_fmt(d.delta, True))}"
        f"{_cell(f'[{_fmt(d.low, True)}, {_fmt(d.high, True)}]' if d.delta is not None else '')}"
        f"{_cell(str(d.probes))}</tr>" for d in comparison.deltas)
    extras = "".join(
        f"<tr>{_cell(e.variant)}{_cell(f'{e.distinct_2:.2f}')}{_cell(_kl_text(e))}{_cell(_changes_text(e))}"
        f"{_cell(_fmt(e.accuracy))}{_cell(', '.join(f'{i.phrase} ({i.count})' for i in e.introduced[:8]))}</tr>"
        for e in comparison.extras)
    worst = "".join(
        f"<tr>{_cell(x.probe_id)}{_cell(x.variant)}{_cell(f'-{x.drop:.2f}')}"
        f"{_cell(' / '.join(x.base_replies))}{_cell(' / '.join(x.replies))}{_cell('; '.join(x.failures))}</tr>"
        for x in comparison.worst)
    fixes = "".join(
        f"<li><b>{html.escape(link.behavior)}</b>: {html.escape(link.advice)}"
        + (f"<br><code>{html.escape(link.command)}</code>" if link.command else "")
        + "".join(f"<br>entry {f.entry_index} ({html.escape(f.code)}): {html.escape(f.message)}" for f in link.findings)
        + "</li>" for link in links)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px;vertical-align:top}}
table{{border-collapse:collapse;margin-bottom:1.5em}}</style></head><body><h1>{html.escape(title)}</h1>
<p>Variants: {html.escape(', '.join(comparison.variants))} (the first is the base). See docs/probe.md.</p>
<ul>{"".join(f"<li>{html.escape(source)}</li>" for source in comparison.sources)}</ul>
<h2>Behaviors</h2><table><tr><th>behavior</th><th>variant</th><th>score</th><th>delta vs base</th>
<th>95% CI</th><th>paired probes</th></tr>{rows}</table>
<h2>Phrases, diversity, forgetting</h2><table><tr><th>variant</th><th>distinct-2</th><th>KL from base</th>
<th>answer changes</th><th>accuracy</th><th>phrases introduced</th></tr>{extras}</table>
<h2>Worst examples</h2><table><tr><th>probe</th><th>variant</th><th>drop</th><th>base replies</th>
<th>variant replies</th><th>failed checks</th></tr>{worst}</table>
<h2>What to fix in the dataset next</h2><ul>{fixes}</ul></body></html>
"""


def write_html(path: str | Path, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
