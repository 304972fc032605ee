"""Timelines: counts per period, shares of what was archived, gaps in collection, the chart."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from presswatch.analysis.chart import GAP, render_chart
from presswatch.analysis.timeline import (
    build_timeline,
    period_start,
    roll_up,
    timeline_rows,
)


def test_a_week_starts_on_monday_and_a_month_on_the_first() -> None:
    wednesday, sunday, monday = date(2022, 1, 5), date(2022, 1, 9), date(2022, 1, 10)
    assert period_start(wednesday, "week") == date(2022, 1, 3)
    assert period_start(sunday, "week") == date(2022, 1, 3)
    assert period_start(monday, "week") == monday
    assert period_start(date(2021, 1, 1), "week") == date(2020, 12, 28)  # ISO week 53
    assert period_start(wednesday, "month") == date(2022, 1, 1)
    assert period_start(wednesday, "day") == wednesday
    with pytest.raises(ValueError, match="day, week, month"):
        period_start(wednesday, "year")  # type: ignore[arg-type]


def test_roll_up_sums_days_into_their_period() -> None:
    days = {date(2022, 1, 2): 1, date(2022, 1, 3): 2, date(2022, 1, 9): 3, date(2022, 1, 10): 4}
    assert roll_up(days, "week") == {
        date(2021, 12, 27): 1,
        date(2022, 1, 3): 5,
        date(2022, 1, 10): 4,
    }
    assert roll_up({date(2021, 12, 31): 1, date(2022, 1, 1): 2, date(2022, 1, 31): 3}, "month") == {
        date(2021, 12, 1): 1,
        date(2022, 1, 1): 5,
    }


def test_periods_are_contiguous_and_a_period_without_articles_is_a_gap() -> None:
    totals = {date(2022, 1, 3): 10, date(2022, 1, 4): 10, date(2022, 1, 24): 5}
    series = {"CSTO": {date(2022, 1, 4): 3, date(2022, 1, 24): 1}, "SCO": {}}
    tl = build_timeline(series, totals, "week", normalize=False)
    assert tl.periods == [date(2022, 1, 3), date(2022, 1, 10), date(2022, 1, 17), date(2022, 1, 24)]
    assert tl.labels == ["CSTO", "SCO"]
    assert tl.totals == [20, 0, 0, 5]
    assert tl.gaps == [False, True, True, False]
    assert tl.counts == {"CSTO": [3, 0, 0, 1], "SCO": [0, 0, 0, 0]}
    assert tl.shares["CSTO"] == [0.15, None, None, 0.2]
    assert tl.shares["SCO"] == [0.0, None, None, 0.0]


def test_months_run_across_the_new_year_without_holes() -> None:
    totals = {date(2021, 11, 20): 4, date(2022, 2, 2): 8}
    tl = build_timeline({"q": {date(2022, 2, 2): 2}}, totals, "month", normalize=True)
    assert tl.periods == [date(2021, 11, 1), date(2021, 12, 1), date(2022, 1, 1), date(2022, 2, 1)]
    assert tl.gaps == [False, True, True, False]
    assert tl.shares["q"] == [0.0, None, None, 0.25]
    assert tl.normalized


def test_the_range_is_set_by_what_was_archived_not_by_the_matches() -> None:
    totals = {date(2022, 3, 1): 5, date(2022, 3, 2): 0, date(2022, 3, 5): 5}
    tl = build_timeline({"q": {date(2022, 3, 3): 0}}, totals, "day", normalize=False)
    assert tl.periods[0] == date(2022, 3, 1) and tl.periods[-1] == date(2022, 3, 5)
    assert len(tl.periods) == 5
    assert tl.gaps == [False, True, True, True, False]


def test_nothing_archived_gives_an_empty_timeline() -> None:
    tl = build_timeline({"q": {}}, {}, "week", normalize=False)
    assert tl.periods == [] and tl.totals == [] and tl.counts == {"q": []}
    assert timeline_rows(tl) == []
    assert "no articles archived" in render_chart(tl, normalize=False)


def test_rows_hold_counts_shares_totals_and_gaps_per_period() -> None:
    totals = {date(2022, 1, 1): 3, date(2022, 3, 1): 7}
    tl = build_timeline({"CSTO": {date(2022, 1, 1): 1}}, totals, "month", normalize=False)
    assert timeline_rows(tl) == [
        {"period": "2022-01-01", "CSTO": 1, "CSTO share": 0.333333, "archived": 3, "gap": False},
        {"period": "2022-02-01", "CSTO": 0, "CSTO share": None, "archived": 0, "gap": True},
        {"period": "2022-03-01", "CSTO": 0, "CSTO share": 0.0, "archived": 7, "gap": False},
    ]


def _daily(days: int, *, skip: range = range(0)) -> tuple[dict[date, int], dict[date, int]]:
    start = date(2021, 6, 1)
    totals: dict[date, int] = {}
    matches: dict[date, int] = {}
    for i in range(days):
        if i in skip:
            continue
        d = start + timedelta(days=i)
        totals[d] = 100
        matches[d] = 50 if i == days // 2 else i % 5
    return totals, matches


def test_chart_has_a_panel_and_legend_per_query_and_shows_gaps() -> None:
    totals = {date(2022, 1, 3): 10, date(2022, 1, 24): 5}
    series = {"CSTO": {date(2022, 1, 3): 4, date(2022, 1, 24): 5}, "SCO": {date(2022, 1, 3): 1}}
    tl = build_timeline(series, totals, "week", normalize=False)
    chart = render_chart(tl, normalize=False)
    lines = chart.splitlines()
    assert lines[0] == "Matching articles per week"
    assert "A  CSTO" in lines and "B  SCO" in lines
    assert "A  CSTO: 9 matching; busiest: week of 2022-01-24, 5" in lines
    assert "B  SCO: 1 matching; busiest: week of 2022-01-03, 1" in lines
    assert f"{GAP}  no articles archived (gap in collection)" in lines
    bars = [line for line in lines if "┤" in line or "│" in line]
    assert all(GAP in line for line in bars)  # the two empty weeks, in every row
    assert any("█" in line for line in bars)
    baseline = "0 └" + "─" * (4 * 6)  # four weeks, six characters each
    assert [line for line in lines if "└" in line] == [baseline] * 2
    axis = lines[lines.index(baseline) + 1 + 6 + 1 + 1]  # after panel B's header, rows, base
    assert axis.split() == ["2022-01-03", "2022-01-24"]


def test_normalized_chart_labels_the_axis_in_percent() -> None:
    totals = {date(2022, 1, 3): 200, date(2022, 1, 10): 100}
    series = {"CSTO": {date(2022, 1, 3): 10, date(2022, 1, 10): 10}}
    chart = render_chart(build_timeline(series, totals, "week", normalize=True), normalize=True)
    assert chart.splitlines()[0] == "Share of archived articles per week"
    assert "10% ┤" in chart
    assert "busiest: week of 2022-01-10, 10%" in chart
    assert GAP not in chart


def test_a_single_period_draws_one_labelled_bar() -> None:
    tl = build_timeline(
        {"CSTO": {date(2022, 1, 5): 3}}, {date(2022, 1, 5): 10}, "month", normalize=False
    )
    lines = render_chart(tl, normalize=False, height=4).splitlines()
    assert lines[2].startswith("3 ┤") and "█" in lines[2]
    assert lines[6] == "0 └──────"
    assert lines[7].strip() == "2022-01"


def test_many_periods_share_columns_and_a_column_is_a_gap_only_if_all_its_periods_are() -> None:
    totals, matches = _daily(420, skip=range(3, 4))  # one day missing inside a column
    chart = render_chart(
        build_timeline({"q": matches}, totals, "day", normalize=False), normalize=False
    )
    assert GAP not in chart
    assert "1 column = 7 days; bars show each column's total" in chart
    for line in chart.splitlines():
        assert len(line) <= 60 + 8

    totals, matches = _daily(420, skip=range(70, 84))  # two whole columns missing
    tl = build_timeline({"q": matches}, totals, "day", normalize=True)
    chart = render_chart(tl, normalize=True, width=60)
    bar_lines = [line for line in chart.splitlines() if "┤" in line or "│" in line]
    assert all(line.count(GAP) == 2 for line in bar_lines)
    assert f"{GAP}  no articles archived (gap in collection)" in chart


def test_binned_columns_add_counts_up() -> None:
    totals, matches = _daily(120)
    tl = build_timeline({"q": matches}, totals, "day", normalize=False)
    chart = render_chart(tl, normalize=False, width=60)
    # Two days per column: the highest column holds the 50-article day and its neighbour.
    peak_day = 60
    neighbour = peak_day + 1 if peak_day % 2 == 0 else peak_day - 1
    expected = 50 + matches[date(2021, 6, 1) + timedelta(days=neighbour)]
    assert f"{expected} ┤" in chart
    assert "busiest: 2021-07-31, 50" in chart
