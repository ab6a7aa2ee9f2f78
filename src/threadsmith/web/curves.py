"""Training curves as inline SVG line charts, drawn on the server (no script, no chart library, no CDN).

:func:`run_charts` draws one run's loss (training and validation), learning rate, tokens/s and
peak GPU memory over steps; :func:`compare_charts` overlays the same curves of several runs.
Every string that may come from the data (run names, labels) is escaped here; the SVG carries
its own presentation attributes, so it renders the same on any page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from threadsmith.report.charts import esc
from threadsmith.workspace.runs import RunMetric

#: Colours for overlaid runs (run 1, run 2, ...); a run's validation curve is dashed in its colour.
PALETTE = ("#3b5b92", "#c2571a", "#2f7d4f", "#8e44ad", "#a08a5c", "#b42318")
#: Charts keep at most this many points per curve (evenly strided, the last point always kept).
MAX_POINTS = 600
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 14, 30, 38


@dataclass(frozen=True, slots=True)
class Series:
    """One curve: ``points`` are ``(step, value)`` in step order."""

    label: str
    points: tuple[tuple[float, float], ...]
    colour: str = PALETTE[0]
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Curve:
    """One chart: which metric(s) it draws, with axis titles."""

    key: str
    title: str
    y_label: str
    #: (metric kind, value key, label suffix, dashed)
    lines: tuple[tuple[str, str, str, bool], ...]
    from_zero: bool = False


CURVES = (
    Curve("loss", "Loss", "loss", (("train", "loss", "training", False), ("eval", "eval_loss", "validation", True))),
    Curve("lr", "Learning rate", "learning rate", (("train", "lr", "learning rate", False),), from_zero=True),
    Curve("tokens", "Tokens per second", "tokens/s", (("train", "tokens_per_s", "tokens/s", False),),
          from_zero=True),
    Curve("memory", "Peak GPU memory", "GiB", (("train", "gpu_memory_gib", "GPU memory", False),), from_zero=True),
)


def points(metrics: Sequence[RunMetric], kind: str, key: str) -> tuple[tuple[float, float], ...]:
    """The finite ``(step, value)`` pairs of one metric, in step order."""
    found = []
    for metric in metrics:
        value = metric.values.get(key) if metric.kind == kind else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            found.append((float(metric.step), float(value)))
    return tuple(sorted(found))


def run_charts(metrics: Sequence[RunMetric]) -> list[tuple[Curve, str]]:
    """One run's charts: ``(curve, svg or an empty-state paragraph)`` for each of :data:`CURVES`."""
    out = []
    for curve in CURVES:
        series = [Series(suffix, points(metrics, kind, key), PALETTE[i], dashed)
                  for i, (kind, key, suffix, dashed) in enumerate(curve.lines)]
        out.append((curve, line_chart(series, title=curve.title, y_label=curve.y_label, from_zero=curve.from_zero)))
    return out


def compare_charts(runs: Sequence[tuple[str, Sequence[RunMetric]]]) -> list[tuple[Curve, str]]:
    """The charts of several runs overlaid: one colour per run, validation loss dashed."""
    out = []
    for curve in CURVES:
        series = []
        for i, (name, metrics) in enumerate(runs):
            colour = PALETTE[i % len(PALETTE)]
            for kind, key, suffix, dashed in curve.lines:
                label = f"{name} {suffix}" if len(curve.lines) > 1 else name
                series.append(Series(label, points(metrics, kind, key), colour, dashed))
        out.append((curve, line_chart(series, title=curve.title, y_label=curve.y_label, from_zero=curve.from_zero)))
    return out


def nice_ticks(low: float, high: float, *, count: int = 4) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]`` (steps of 1, 2, 2.5 or 5 x 10^n)."""
    if not high > low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9 * step:
        ticks.append(first + len(ticks) * step)
    return ticks


def tick_text(value: float) -> str:
    """``12k``, ``1,250``, ``2.5``, ``0.031``, ``2e-04``: short and exact enough for an axis."""
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 10_000:
        return f"{value / 1000:,.3g}k"
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 0.01:
        return f"{value:.3g}"
    return f"{value:.1e}".replace("e-0", "e-")


def _thin(pts: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    if len(pts) <= MAX_POINTS:
        return pts
    stride = math.ceil(len(pts) / MAX_POINTS)
    return pts[::stride] + ((pts[-1],) if (len(pts) - 1) % stride else ())


def _legend(series: Sequence[Series], width: int) -> str:
    parts, x, y = [], float(_LEFT), 14.0
    for s in series:
        room = 26 + 6.4 * len(s.label)
        if x + room > width and x > _LEFT:
            x, y = float(_LEFT), y + 14
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        parts.append(f'<line x1="{x:.0f}" x2="{x + 18:.0f}" y1="{y - 4:.0f}" y2="{y - 4:.0f}" stroke="{s.colour}" '
                     f'stroke-width="2"{dash}/><text x="{x + 22:.0f}" y="{y:.0f}" font-size="11" '
                     f'fill="#1f2533">{esc(s.label)}</text>')
        x += room + 12
    return "".join(parts)


def _grid(y_ticks: list[float], x_ticks: list[float], top: float, width: int, plot_h: float) -> str:
    """Horizontal grid lines with value ticks, and step ticks under the plot."""
    parts, plot_w, y0, y1 = [], width - _LEFT - _RIGHT, y_ticks[0], y_ticks[-1]
    for tick in y_ticks:
        y = top + plot_h - plot_h * (tick - y0) / (y1 - y0)
        parts.append(f'<line x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7ec"/>'
                     f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" fill="#5d6677" '
                     f'text-anchor="end">{tick_text(tick)}</text>')
    for tick in x_ticks:
        x = _LEFT + plot_w * tick / x_ticks[-1]
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 15:.1f}" font-size="11" fill="#5d6677" '
                     f'text-anchor="middle">{tick_text(tick)}</text>')
    return "".join(parts)


def line_chart(series: Sequence[Series], *, title: str, y_label: str, x_label: str = "step",
               from_zero: bool = False, width: int = 560, height: int = 240) -> str:
    """Curves over steps with grid, ticks, axis titles and a legend; a paragraph when nothing was recorded."""
    drawn = [Series(s.label, _thin(s.points), s.colour, s.dashed) for s in series if s.points]
    if not drawn:
        return f'<p class="empty">{esc(title)}: not recorded.</p>'
    xs = [x for s in drawn for x, _ in s.points]
    ys = [y for s in drawn for _, y in s.points]
    y_ticks = nice_ticks(0.0 if from_zero and min(ys) >= 0 else min(ys), max(ys))
    x_ticks = nice_ticks(0.0, max(max(xs), 1.0), count=5)
    y0, y1, x1 = y_ticks[0], y_ticks[-1], x_ticks[-1]
    top = _TOP + 14 * (len(drawn) > 3)
    plot_w, plot_h = width - _LEFT - _RIGHT, height - top - _BOTTOM

    def at(x: float, y: float) -> str:
        return f"{_LEFT + plot_w * x / x1:.1f},{top + plot_h - plot_h * (y - y0) / (y1 - y0):.1f}"

    parts = [f'<svg class="chart curve" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" '
             f'font-family="system-ui, sans-serif">', f"<title>{esc(title)}</title>", _legend(drawn, width),
             _grid(y_ticks, x_ticks, top, width, plot_h)]
    for s in drawn:
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        if len(s.points) > 1:
            parts.append(f'<polyline fill="none" stroke="{s.colour}" stroke-width="1.8"{dash} '
                         f'points="{" ".join(at(x, y) for x, y in s.points)}"/>')
        if len(s.points) <= 40:
            for x, y in s.points:
                cx, cy = at(x, y).split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.6" fill="{s.colour}"><title>{esc(s.label)} · step '
                             f'{x:.0f}: {y:.4g}</title></circle>')
    mid = top + plot_h / 2
    parts.append(f'<text x="{_LEFT + plot_w / 2:.1f}" y="{height - 6}" font-size="12" fill="#5d6677" '
                 f'text-anchor="middle">{esc(x_label)}</text><text x="13" y="{mid:.1f}" font-size="12" '
                 f'fill="#5d6677" text-anchor="middle" transform="rotate(-90 13 {mid:.1f})">{esc(y_label)}</text>'
                 "</svg>")
    return "".join(parts)
