"""The server-drawn charts: well-formed SVG whatever the labels hold, gaps drawn as gaps,
values where a reader (and the browser script) finds them."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from presswatch.web.charts import (
    Bar,
    Node,
    Series,
    bar_chart,
    format_value,
    line_chart,
    network_chart,
    nice_ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_a_line_breaks_at_a_gap_and_the_gap_is_shaded() -> None:
    svg = parse(
        line_chart(
            ["2022-01", "2022-02", "2022-03", "2022-04"],
            [Series("CSTO", [3, None, 5, 2])],
            gaps=[False, True, False, False],
            title="Articles by month",
        )
    )
    gaps = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "gap"]
    assert len(gaps) == 1
    assert "nothing archived" in (gaps[0].get("data-tip") or "")
    [path] = svg.iter(f"{SVG}path")
    moves = re.findall(r"[ML]", path.get("d") or "")
    assert moves == ["M", "M", "L"]  # one point, then a new stroke after the gap
    tips = [c.get("data-tip") for c in svg.iter(f"{SVG}circle")]
    assert tips == ["CSTO · 2022-01: 3", "CSTO · 2022-03: 5", "CSTO · 2022-04: 2"]


def test_zero_is_drawn_as_zero_not_as_a_gap() -> None:
    svg = parse(line_chart(["a", "b", "c"], [Series("q", [1, 0, 1])], title="t"))
    [path] = svg.iter(f"{SVG}path")
    assert re.findall(r"[ML]", path.get("d") or "") == ["M", "L", "L"]


def test_several_series_get_a_legend_each_and_their_own_colour() -> None:
    svg = parse(
        line_chart(
            ["a", "b"],
            [Series("CSTO", [1, 2]), Series("NATO", [2, 1]), Series("SCO", [0, 1])],
            title="t",
        )
    )
    groups = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "series"]
    legend = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "legend-item"]
    assert [g.get("data-label") for g in groups] == ["CSTO", "NATO", "SCO"]
    assert [g.get("data-series") for g in legend] == ["0", "1", "2"]
    colours = {next(g.iter(f"{SVG}path")).get("stroke") for g in groups}
    assert len(colours) == 3


def test_shares_are_labelled_in_per_cent() -> None:
    svg = parse(line_chart(["a"], [Series("q", [0.25])], title="t", percent=True))
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert labels[:4] == ["0%", "10%", "20%", "30%"]
    assert [c.get("data-tip") for c in svg.iter(f"{SVG}circle")] == ["q · a: 25%"]
    assert format_value(0.004, True) == "0.4%"


def test_an_empty_chart_says_so() -> None:
    svg = parse(line_chart([], [Series("q", [])], title="t"))
    assert "No matches to draw" in [t.text for t in svg.iter(f"{SVG}text")]
    assert "Nothing to show" in bar_chart([], title="t")


def test_bars_link_and_carry_their_values() -> None:
    svg = parse(
        bar_chart(
            [Bar("Russia", 10, "/entities/Russia", "60 mentions"), Bar("Kazakhstan", 5)],
            title="Entities",
        )
    )
    widths = [float(r.get("width") or 0) for r in svg.iter(f"{SVG}rect")][
        1:
    ]  # after the background
    assert widths[0] == pytest.approx(2 * widths[1])
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert links == ["/entities/Russia"]
    tips = [g.get("data-tip") for g in svg.iter(f"{SVG}g")]
    assert tips == ["Russia: 10 (60 mentions)", "Kazakhstan: 5"]


def test_the_network_puts_the_entity_in_the_middle() -> None:
    svg = parse(
        network_chart(
            "CSTO",
            [Node("Russia", "place", 10, "/entities/Russia"), Node("Putin", "person", 2)],
            title="t",
            width=400,
            height=300,
        )
    )
    lines = list(svg.iter(f"{SVG}line"))
    assert len(lines) == 2
    assert {(ln.get("x1"), ln.get("y1")) for ln in lines} == {("200", "150")}
    widths = [float(ln.get("stroke-width") or 0) for ln in lines]
    assert widths[0] > widths[1]  # more articles together, a heavier line
    assert "CSTO" in [t.text for t in svg.iter(f"{SVG}text")]


labels = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=40,
) | st.sampled_from(["<script>alert(1)</script>", '"><svg onload=alert(1)>', "a & b ]]>"])


@given(clean=labels)
def test_any_label_stays_text(clean: str) -> None:
    """Markup, quotes and ampersands in a query or a name never break out of the SVG."""
    for chart in (
        line_chart([clean], [Series(clean, [1])], gaps=[False], title=clean),
        bar_chart([Bar(clean, 1, "/entities/x")], title=clean),
        network_chart(clean, [Node(clean, "person", 1)], title=clean),
    ):
        svg = parse(chart)
        title = svg.find(f"{SVG}title")
        assert title is not None and (title.text or "") == clean
        assert not [e for e in svg.iter() if e.tag.endswith("script")]
        assert all(not k.startswith("on") for e in svg.iter() for k in e.attrib)


def test_ticks_are_round() -> None:
    assert nice_ticks(17) == [0, 5, 10, 15, 20]
    assert nice_ticks(0.37) == [0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(0) == [0, 1]
