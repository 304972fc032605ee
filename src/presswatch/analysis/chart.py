"""A timeline drawn in the terminal, with gaps in collection visible as such.

Each query gets its own panel (A, B, ...) on one shared scale and one time axis, so two
queries compare at a glance without bars hiding each other. Bars use eighth blocks for a
finer height than the rows. A period with no archived article at all is drawn as a
shaded column, never as a zero. When there are more periods than columns, neighbouring
periods share a column: their counts add up, the share is their matches over their
archived articles, and the column is a gap only if every one of its periods is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from presswatch.analysis.timeline import Timeline, period_label

BLOCKS = " ▁▂▃▄▅▆▇█"
GAP = "░"
MAX_COLUMN = 6
"""Widest a single period's bar gets when there are few periods."""

_UNIT = {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months")}


@dataclass(frozen=True, slots=True)
class _Column:
    first: date
    values: dict[str, float]
    gap: bool


def render_chart(tl: Timeline, *, normalize: bool, width: int = 60, height: int = 12) -> str:
    """The timeline as lines of text: a title, a panel per query, the time axis, a legend."""
    unit, units = _UNIT[tl.by]
    if not tl.periods:
        return "Nothing to draw: no articles archived in this range."
    per_column = math.ceil(len(tl.periods) / max(1, width))
    columns = _columns(tl, per_column, normalize=normalize)
    cell = max(1, min(MAX_COLUMN, max(1, width) // len(columns)))
    bar = cell - 1 if cell >= 3 else cell

    top = max((v for c in columns if not c.gap for v in c.values.values()), default=0.0)
    top_text = _value(top, normalize)
    margin = max(len(top_text), 1)
    rows = max(1, height if len(tl.labels) == 1 else max(3, height // len(tl.labels)))
    scale = top if top > 0 else 1.0

    what = "Share of archived articles" if normalize else "Matching articles"
    lines = [f"{what} per {unit}"]
    for index, label in enumerate(tl.labels):
        lines.append(f"{_letter(index)}  {label}")
        eighths = [_eighths(c.values[label], scale, rows) for c in columns]
        for row in range(rows - 1, -1, -1):
            axis = f"{top_text:>{margin}} ┤" if row == rows - 1 else f"{'':>{margin}} │"
            cells = []
            for column, level in zip(columns, eighths, strict=True):
                mark = GAP if column.gap else BLOCKS[min(8, max(0, level - row * 8))]
                cells.append(mark * bar + " " * (cell - bar))
            lines.append((axis + "".join(cells)).rstrip())
        lines.append(f"{'0':>{margin}} └" + "─" * (cell * len(columns)))
    lines.append(" " * (margin + 2) + _axis_labels(columns, cell, tl))
    lines.append("")
    for index, label in enumerate(tl.labels):
        lines.append(f"{_letter(index)}  {label}: {_summary(tl, label, normalize)}")
    if any(c.gap for c in columns):
        lines.append(f"{GAP}  no articles archived (gap in collection)")
    if per_column > 1:
        shown = "share" if normalize else "total"
        lines.append(f"1 column = {per_column} {units}; bars show each column's {shown}")
    return "\n".join(lines)


def _columns(tl: Timeline, per_column: int, *, normalize: bool) -> list[_Column]:
    columns: list[_Column] = []
    for start in range(0, len(tl.periods), per_column):
        span = range(start, min(start + per_column, len(tl.periods)))
        total = sum(tl.totals[i] for i in span)
        values: dict[str, float] = {}
        for label in tl.labels:
            count = sum(tl.counts[label][i] for i in span)
            values[label] = (count / total if total else 0.0) if normalize else float(count)
        columns.append(_Column(tl.periods[start], values, all(tl.gaps[i] for i in span)))
    return columns


def _eighths(value: float, scale: float, rows: int) -> int:
    """Bar height in eighths of a row; anything above zero shows at least a sliver."""
    if value <= 0:
        return 0
    return max(1, round(value / scale * rows * 8))


def _axis_labels(columns: list[_Column], cell: int, tl: Timeline) -> str:
    """The first period under the first column, the last one ending under the last."""
    first = period_label(columns[0].first, tl.by)
    if len(columns) == 1:
        return first
    last = period_label(columns[-1].first, tl.by)
    space = max(1, cell * (len(columns) - 1) + min(cell, len(last)) - len(first) - len(last))
    return first + " " * space + last


def _summary(tl: Timeline, label: str, normalize: bool) -> str:
    counts = tl.counts[label]
    total = f"{sum(counts):,} matching"
    if normalize:
        shares = [(s, i) for i, s in enumerate(tl.shares[label]) if s is not None]
        peak, at = max(shares, key=lambda si: (si[0], -si[1]), default=(0.0, -1))
    else:
        peak, at = max(
            ((float(n), i) for i, n in enumerate(counts)), key=lambda ni: (ni[0], -ni[1])
        )
    if peak <= 0:
        return total
    where = period_label(tl.periods[at], tl.by)
    if tl.by == "week":
        where = f"week of {where}"
    return f"{total}; busiest: {where}, {_value(peak, normalize)}"


def _value(v: float, normalize: bool) -> str:
    if not normalize:
        return f"{round(v):,}"
    pct = v * 100
    if pct == 0:
        return "0%"
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 1:
        return f"{pct:.1f}%"
    return f"{pct:.2g}%"


def _letter(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[index] if index < len(letters) else f"Q{index + 1}"
