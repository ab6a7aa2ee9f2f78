"""The findings section: families, codes, and example entries with an excerpt of each conversation."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from threadsmith.checks import get_check
from threadsmith.errors import UnknownCheck
from threadsmith.model import Conversation, Finding, RecordProblem, Severity
from threadsmith.report.charts import esc, percent
from threadsmith.report.score import SEVERITY_WEIGHT, QualityScore

EntryKey = tuple[str | None, int]
#: Messages kept per example conversation, and characters kept per message.
_KEEP_MESSAGES = 24
_KEEP_CHARS = 700
#: Messages shown around the flagged one.
_WINDOW = 3
_LITERAL = re.compile(r"``(.+?)``")


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of an excerpt (text cut to a few hundred characters)."""

    role: str
    name: str | None
    text: str
    truncated: bool


@dataclass(frozen=True, slots=True)
class CodeGroup:
    """Every finding of one code, and the few shown as examples."""

    code: str
    name: str
    severity: str
    summary: str
    fix: str | None
    findings: int
    entries: int
    examples: tuple[Finding, ...]


def group_findings(findings: Iterable[Finding], per_code: int) -> dict[str, list[CodeGroup]]:
    """Codes per family, heaviest first (severity weight x findings), each with up to ``per_code`` examples.

    Examples come from distinct entries, in file order; dataset-level findings are examples too.
    """
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_code[finding.code].append(finding)
    families: dict[str, list[CodeGroup]] = defaultdict(list)
    for code, items in by_code.items():
        first = items[0]
        seen: set[EntryKey | None] = set()
        examples = []
        for f in items:
            key = None if f.entry_index is None else (f.path, f.entry_index)
            if len(examples) < per_code and (key is None or key not in seen):
                seen.add(key)
                examples.append(f)
        fix = next((str(f.fix) for f in items if f.fix is not None), None)
        entries = len({(f.path, f.entry_index) for f in items if f.entry_index is not None})
        families[first.family.value].append(CodeGroup(code, first.name, first.severity.value, _summary(code), fix,
                                                      len(items), entries, tuple(examples)))
    for groups in families.values():
        groups.sort(key=lambda g: (-SEVERITY_WEIGHT[Severity(g.severity)] * g.findings, g.code))
    return families


def _summary(code: str) -> str:
    try:
        return get_check(code).summary()
    except UnknownCheck:
        return ""


class ExcerptCollector:
    """Keeps the text of the example entries while the data streams past (and nothing else)."""

    def __init__(self, wanted: Iterable[EntryKey]) -> None:
        self.wanted = set(wanted)
        self.excerpts: dict[EntryKey, tuple[Turn, ...]] = {}

    def add(self, item: Conversation | RecordProblem) -> None:
        """Keep this conversation's excerpt if it is one of the examples."""
        if isinstance(item, RecordProblem):
            return
        key = (item.source.path, item.source.index)
        if key[1] is not None and key in self.wanted:
            self.excerpts[key] = tuple(  # type: ignore[index]
                Turn(m.role, m.name, m.text[:_KEEP_CHARS], len(m.text) > _KEEP_CHARS)
                for m in item.messages[:_KEEP_MESSAGES])


def example_keys(families: dict[str, list[CodeGroup]]) -> set[EntryKey]:
    """The entries whose text the examples need."""
    return {(f.path, f.entry_index) for groups in families.values() for g in groups for f in g.examples
            if f.entry_index is not None}


def render_findings(families: dict[str, list[CodeGroup]], score: QualityScore,
                    excerpts: dict[EntryKey, tuple[Turn, ...]]) -> str:
    """The findings section, families in order of what they cost."""
    if not families:
        return '<h2 id="findings">Findings</h2><p class="empty">No findings: every check passed.</p>'
    out = ['<h2 id="findings">Findings by family and code</h2>',
           '<p class="sub">Click a code to see example entries; each example opens to the conversation '
           '(the flagged message is highlighted). <code>threadsmith explain CODE</code> tells more.</p>']
    for penalty in score.families:
        groups = families.get(penalty.family, [])
        found = _plural(penalty.findings, "finding")
        share = percent(penalty.entries / max(score.records, 1))
        where = f"{found} in {_plural(penalty.entries, 'entry', 'entries')} ({share})" if penalty.entries else found
        if penalty.dataset_findings:
            where += f", {penalty.dataset_findings:,} of them dataset-level" if penalty.entries else ", dataset-level"
        out.append(f'<section class="family" id="family-{esc(penalty.family)}"><h3>{esc(penalty.family)}'
                   f'<span class="sub">{where}</span>'
                   f'<span class="penalty">&minus;{penalty.penalty:.1f} points</span></h3>')
        out += [_code_block(g, excerpts, opened=not i and penalty is score.families[0]) for i, g in enumerate(groups)]
        out.append("</section>")
    return "".join(out)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def _code_block(group: CodeGroup, excerpts: dict[EntryKey, tuple[Turn, ...]], *, opened: bool = False) -> str:
    entries = _plural(group.entries, "entry", "entries") if group.entries else "dataset-level"
    examples = "".join(_example(f, excerpts, opened=opened and not i) for i, f in enumerate(group.examples))
    more = group.findings - len(group.examples)
    tail = (f'<p class="sub">{_plural(more, "more finding")} not listed here; '
            '<code>threadsmith audit --format json</code> lists them all.</p>' if more > 0 else "")
    fix = f'<p class="doc">Fix: {esc(group.fix)}</p>' if group.fix else ""
    severity = esc(group.severity)
    return (f'<details class="code" id="code-{esc(group.code)}"{" open" if opened else ""}>'
            f'<summary><code>{esc(group.code)}</code><span><span class="sev {severity}">{severity}</span></span>'
            f'<span>{esc(group.name)}</span><span class="num">{_plural(group.findings, "finding")}</span>'
            f'<span class="num sub">{entries}</span></summary>'
            f'<div class="body"><p class="doc">{_literals(esc(group.summary))}</p>{fix}'
            f'<ol class="examples">{examples}</ol>{tail}</div></details>')


def _literals(escaped: str) -> str:
    """``literal`` spans of a (already escaped) check summary as code."""
    return _LITERAL.sub(r"<code>\1</code>", escaped)


def _example(finding: Finding, excerpts: dict[EntryKey, tuple[Turn, ...]], *, opened: bool = False) -> str:
    place = [os.path.basename(finding.path)] if finding.path else []
    if finding.line is not None:
        place.append(f"line {finding.line}")
    if finding.entry_index is not None:
        place.append(f"entry {finding.entry_index}")
    if finding.entry_id:
        place.append(f"id {finding.entry_id}")
    if finding.message_index is not None:
        place.append(f"message {finding.message_index}")
    turns = excerpts.get((finding.path, finding.entry_index)) if finding.entry_index is not None else None
    excerpt = (f'<details class="excerpt"{" open" if opened else ""}><summary>show conversation</summary>'
               f'{_turns(turns, finding.message_index)}</details>' if turns else "")
    return (f'<li><div class="where" title="{esc(finding.path or "")}">{esc(" · ".join(place) or "dataset")}</div>'
            f'<div>{esc(finding.message)}</div>{excerpt}</li>')


def _turns(turns: Sequence[Turn], flagged: int | None) -> str:
    start, stop = 0, len(turns)
    if flagged is not None and len(turns) > 2 * _WINDOW + 1:
        start, stop = max(0, flagged - _WINDOW), min(len(turns), flagged + _WINDOW + 1)
    rows = []
    if start:
        rows.append(f'<div class="turn sub">... {_plural(start, "earlier message")}</div>')
    for i in range(start, stop):
        t = turns[i]
        who = t.role + (f" · {t.name}" if t.name else "")
        text = t.text + (" …" if t.truncated else "")
        hit = " hit" if i == flagged else ""
        rows.append(f'<div class="turn{hit}"><span class="role">{esc(who)}</span>{esc(text) or "<i>(empty)</i>"}</div>')
    if stop < len(turns):
        rows.append(f'<div class="turn sub">... {_plural(len(turns) - stop, "later message")}</div>')
    return f'<div class="turns">{"".join(rows)}</div>'
