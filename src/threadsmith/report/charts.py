"""Charts as inline SVG and HTML, rendered on the server: no script, no external file.

Every string that may come from the data goes through :func:`esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from threadsmith.stats import Distribution

ACCENT = "#3b5b92"
ROLE_COLOURS = {"assistant": "#3b5b92", "user": "#7f93b2", "system": "#a08a5c", "tool": "#6d8f7a"}
_MARGIN = {"left": 62, "right": 10, "top": 18}
_MAX_BAR = 56


def esc(value: object) -> str:
    """HTML-escaped text (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def percent(share: float) -> str:
    """``12.5%``, ``0.4%``, ``<0.1%`` or ``0%``."""
    if share <= 0:
        return "0%"
    if share < 0.001:
        return "<0.1%"
    return f"{share * 100:.1f}%" if share < 0.995 else f"{share * 100:.0f}%"


def number(value: float) -> str:
    """``1,234``; ``12.3`` for fractions; ``1.2M`` for millions."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    value = int(value)
    return f"{value / 1e6:.1f}M" if value >= 10_000_000 else f"{value:,}"


def _nice_max(value: int) -> int:
    if value <= 1:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    return next(step * power for step in (1, 2, 3, 4, 5, 6, 8, 10) if step * power >= value)


def histogram(dist: Distribution, *, x_label: str, y_label: str, colour: str = ACCENT,
              width: int = 480, height: int = 220) -> str:
    """A bar chart of a distribution's buckets (empty buckets at both ends left out), with axes and units."""
    used = [i for i, n in enumerate(dist.counts) if n]
    if not used:
        return '<p class="empty">no data</p>'
    names = dist.labels()[used[0]:used[-1] + 1]
    counts = dist.counts[used[0]:used[-1] + 1]
    left, top, right = _MARGIN["left"], _MARGIN["top"], width - _MARGIN["right"]
    slot = (right - left) / len(counts)
    rotate = max(len(n) for n in names) * 6.6 + 8 > slot
    plot_h = height - top - (62 if rotate else 40)
    top_value = _nice_max(max(counts))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(x_label)}">']
    for tick in (0, top_value // 2 if top_value % 2 == 0 else None, top_value):
        if tick is not None:
            y = top + plot_h - plot_h * tick / top_value
            parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                         f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{number(tick)}</text>')
    bar = min(slot * 0.8, _MAX_BAR)
    for i, (name, n) in enumerate(zip(names, counts, strict=True)):
        h, cx, label_y = plot_h * n / top_value, left + (i + 0.5) * slot, top + plot_h + 14
        tip = f"{esc(name)} {esc(dist.unit)}: {n:,} ({percent(n / dist.count)})"
        parts.append(f'<rect x="{cx - bar / 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{tip}</title></rect>')
        turn = f' text-anchor="end" transform="rotate(-40 {cx:.1f} {label_y})"' if rotate else ' text-anchor="middle"'
        parts.append(f'<text x="{cx:.1f}" y="{label_y}" class="tick"{turn}>{esc(name)}</text>')
    mid = top + plot_h / 2
    parts.append(f'<text x="{(left + right) / 2:.1f}" y="{height - 4}" class="axis" text-anchor="middle">'
                 f'{esc(x_label)}</text><text x="12" y="{mid:.1f}" class="axis" text-anchor="middle" '
                 f'transform="rotate(-90 12 {mid:.1f})">{esc(y_label)}</text></svg>')
    return "".join(parts)


def stacked_bar(parts: Sequence[tuple[str, float, str]]) -> str:
    """One horizontal bar split into labelled shares: ``(label, share, colour)``, with a legend."""
    total = sum(share for _, share, _ in parts)
    if total <= 0:
        return '<p class="empty">no data</p>'
    segments = "".join(f'<span style="width:{100 * share / total:.2f}%;background:{colour}" '
                       f'title="{esc(label)}: {percent(share / total)}"></span>'
                       for label, share, colour in parts if share > 0)
    legend = "".join(f'<li><i style="background:{colour}"></i>{esc(label)} <b>{percent(share / total)}</b></li>'
                     for label, share, colour in parts)
    return f'<div class="stack">{segments}</div><ul class="legend">{legend}</ul>'


def bar_table(rows: Sequence[tuple[str, int, float]], *, head: tuple[str, str, str], mono: bool = False,
              empty: str = "none") -> str:
    """A ranked table: value, count, share, and a bar scaled to the largest share."""
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    top = max(share for _, _, share in rows) or 1.0
    cls = ' class="mono"' if mono else ""
    body = "".join(
        f'<tr><td{cls}>{esc(value)}</td><td class="num">{count:,}</td><td class="num">{percent(share)}</td>'
        f'<td class="barcell"><span class="bar" style="width:{100 * share / top:.1f}%"></span></td></tr>'
        for value, count, share in rows)
    return (f'<table class="ranked"><thead><tr><th>{esc(head[0])}</th><th class="num">{esc(head[1])}</th>'
            f'<th class="num">{esc(head[2])}</th><th></th></tr></thead><tbody>{body}</tbody></table>')
