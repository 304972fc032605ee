"""Attention over time: matches per day, week or month beside everything archived then.

A period in which nothing at all was archived is a gap in collection, not a drop in
attention, so it is flagged and its share is None rather than 0. Periods are contiguous
from the first to the last period holding any archived article, so a gap shows as a
period instead of silently vanishing from a chart or a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = get_args(Period)

SHARE_DIGITS = 6
"""Shares in rows are rounded to this many decimals: one article in a million still shows."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """Counts per period for each query (`labels`, in the order asked) and the archive's.

    `shares[label][i]` is counts/totals for period i, None where totals[i] is 0; `gaps[i]`
    is True where no article at all was archived in period i. `by` is the period length;
    `normalized` records whether the user asked for shares, for whoever draws it.
    """

    periods: list[date]
    labels: list[str]
    counts: dict[str, list[int]]
    totals: list[int]
    shares: dict[str, list[float | None]]
    gaps: list[bool]
    by: Period = "day"
    normalized: bool = False


def period_start(d: date, by: Period) -> date:
    """The first day of the period holding `d`: itself, its ISO week's Monday, or the 1st."""
    if by == "day":
        return d
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    raise ValueError(f"a timeline period is one of {', '.join(PERIODS)}, not {by!r}")


def next_period(start: date, by: Period) -> date:
    """The first day of the period after the one starting at `start`."""
    if by == "day":
        return start + timedelta(days=1)
    if by == "week":
        return start + timedelta(days=7)
    if by == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    raise ValueError(f"a timeline period is one of {', '.join(PERIODS)}, not {by!r}")


def roll_up(day_counts: Mapping[date, int], by: Period) -> dict[date, int]:
    """Day counts summed per period, keyed by each period's first day, in date order."""
    out: dict[date, int] = {}
    for d in sorted(day_counts):
        key = period_start(d, by)
        out[key] = out.get(key, 0) + day_counts[d]
    return out


def build_timeline(
    series: Mapping[str, Mapping[date, int]],
    totals: Mapping[date, int],
    by: Period,
    *,
    normalize: bool,
) -> Timeline:
    """The timeline of each labelled series of day counts against the archive's day counts.

    The range runs from the first to the last period with anything archived (or matched,
    should a count fall outside the archive's days), with every period in between.
    """
    period_start(date(2000, 1, 1), by)  # refuse an unknown period before any work
    rolled = {label: roll_up(days, by) for label, days in series.items()}
    archived = roll_up(totals, by)
    used = [p for p, n in archived.items() if n] + [
        p for days in rolled.values() for p, n in days.items() if n
    ]
    periods: list[date] = []
    if used:
        current, last = min(used), max(used)
        while current <= last:
            periods.append(current)
            current = next_period(current, by)
    total_list = [archived.get(p, 0) for p in periods]
    counts = {label: [days.get(p, 0) for p in periods] for label, days in rolled.items()}
    shares = {
        label: [n / t if t else None for n, t in zip(values, total_list, strict=True)]
        for label, values in counts.items()
    }
    return Timeline(
        periods=periods,
        labels=list(series),
        counts=counts,
        totals=total_list,
        shares=shares,
        gaps=[t == 0 for t in total_list],
        by=by,
        normalized=normalize,
    )


def timeline_rows(tl: Timeline) -> list[dict[str, object]]:
    """One flat row per period for CSV and JSON: the period's first day (ISO), then for
    each query its count and "<query> share", then "archived" and "gap"."""
    rows: list[dict[str, object]] = []
    for i, period in enumerate(tl.periods):
        row: dict[str, object] = {"period": period.isoformat()}
        for label in tl.labels:
            share = tl.shares[label][i]
            row[label] = tl.counts[label][i]
            row[f"{label} share"] = None if share is None else round(share, SHARE_DIGITS)
        row["archived"] = tl.totals[i]
        row["gap"] = tl.gaps[i]
        rows.append(row)
    return rows


def period_label(d: date, by: Period) -> str:
    """How a period is written for a reader: 2022-01 for a month, else the first day."""
    return d.strftime("%Y-%m") if by == "month" else d.isoformat()
