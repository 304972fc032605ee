"""Charts drawn on the server as SVG: attention over time, bars, a network of names.

Pure: values in, markup out. Every label is escaped here (the markup is then trusted by
the templates), and all styling is in presentation attributes, not CSS, so the SVG looks
the same inline, downloaded on its own, or drawn onto a canvas for a PNG, and needs no
inline style under the page's Content-Security-Policy. The browser script (static/charts.js)
reads the `data-*` attributes for tooltips and to switch series on and off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
"""Okabe-Ito: told apart by readers with the common colour blindnesses."""
KIND_COLOURS = {
    "person": "#d55e00",
    "organization": "#0072b2",
    "place": "#009e73",
    "group": "#cc79a7",
}
GAP_FILL = "#e9e9e9"
INK = "#333333"
GRID = "#dddddd"
FONT = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a value per period, None where there is nothing to draw (a gap)."""

    label: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    href: str | None = None
    """A path inside the app (built by the caller from quoted parts), or None."""
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    kind: str
    weight: int
    href: str | None = None


def _attrs(**values: object) -> str:
    """Attributes with escaped values; a trailing _ in a name is dropped, _ becomes -."""
    out = []
    for name, value in values.items():
        if value is None:
            continue
        out.append(f' {name.rstrip("_").replace("_", "-")}="{escape(str(value))}"')
    return "".join(out)


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg_open(width: int, height: int, kind: str, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg"{_attrs(viewBox=f"0 0 {width} {height}")}'
        f"{_attrs(width=width, height=height, role='img', class_='pw-chart')}"
        f"{_attrs(data_kind=kind, font_family=FONT, font_size=11, fill=INK)}>",
        f"<title>{escape(title)}</title>",
        f"<rect{_attrs(x=0, y=0, width=width, height=height, fill='#ffffff')}/>",
    ]


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round steps from 0 that cover `top`: 0, 5, 10, 15, 20 for 17."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < top - 1e-12:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def format_value(value: float, percent: bool) -> str:
    if percent:
        shown = value * 100
        if shown == int(shown):
            return f"{int(shown)}%"
        return f"{shown:.1f}%" if shown < 10 else f"{shown:.0f}%"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}"


def line_chart(
    periods: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    gaps: Sequence[bool] = (),
    percent: bool = False,
    width: int = 760,
    height: int = 280,
) -> Markup:
    """Lines over periods. A None value breaks its line; a period marked in `gaps` (nothing
    archived at all) is shaded and labelled, so no-data never reads as no-attention."""
    left, right, top, bottom = 52, 16, 16, 44
    legend_h = 18 * ((len(series) + 2) // 3) if len(series) > 1 else 0
    plot_w, plot_h = width - left - right, height - top - bottom - legend_h
    n = len(periods)
    step = plot_w / max(n, 1)
    values = [v for s in series for v in s.values if v is not None]
    ticks = nice_ticks(max(values, default=0.0))
    y_max = ticks[-1] or 1.0

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    out = _svg_open(width, height, "line", title)
    for i, gap in enumerate(gaps):
        if gap:
            out.append(
                f'<rect class="gap"{_attrs(x=_n(left + step * i), y=top, width=_n(step))}'
                f"{_attrs(height=plot_h, fill=GAP_FILL)}"
                f"{_attrs(data_tip=f'{periods[i]}: nothing archived (a gap in collection)')}/>"
            )
    for t in ticks:
        out.append(
            f"<line{_attrs(x1=left, x2=left + plot_w, y1=_n(y(t)), y2=_n(y(t)), stroke=GRID)}/>"
            f"<text{_attrs(x=left - 6, y=_n(y(t) + 4), text_anchor='end')}>"
            f"{escape(format_value(t, percent))}</text>"
        )
    out.append(
        f"<line{_attrs(x1=left, x2=left + plot_w, y1=top + plot_h, y2=top + plot_h)}"
        f"{_attrs(stroke=INK)}/>"
    )
    every = max(1, math.ceil(n / 8))
    for i in range(0, n, every):
        out.append(
            f"<text{_attrs(x=_n(x(i)), y=top + plot_h + 16, text_anchor='middle')}>"
            f"{escape(periods[i])}</text>"
        )
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        path: list[str] = []
        pen_down = False
        points = []
        for i, v in enumerate(s.values[:n]):
            if v is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_n(x(i))} {_n(y(v))}")
            pen_down = True
            tip = f"{s.label} · {periods[i]}: {format_value(v, percent)}"
            points.append(
                f"<circle{_attrs(cx=_n(x(i)), cy=_n(y(v)), r=3, fill=colour, data_tip=tip)}/>"
            )
        out.append(f'<g class="series"{_attrs(data_series=k, data_label=s.label)}>')
        if path:
            out.append(
                f"<path{_attrs(d=' '.join(path), fill='none', stroke=colour, stroke_width=2)}"
                f"{_attrs(stroke_linejoin='round')}/>"
            )
        out.extend(points)
        out.append("</g>")
    if legend_h:
        for k, s in enumerate(series):
            lx = left + (k % 3) * (plot_w / 3)
            ly = top + plot_h + 34 + 18 * (k // 3)
            out.append(
                f'<g class="legend-item"{_attrs(data_series=k, tabindex=0, role="button")}>'
                f"<rect{_attrs(x=_n(lx), y=ly - 9, width=12, height=12)}"
                f"{_attrs(fill=PALETTE[k % len(PALETTE)])}/>"
                f"<text{_attrs(x=_n(lx + 17), y=ly + 1)}>{escape(_clip(s.label, 40))}</text></g>"
            )
    if not values:
        out.append(
            f"<text{_attrs(x=left + plot_w / 2, y=top + plot_h / 2, text_anchor='middle')}>"
            "No matches to draw</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(
    bars: Sequence[Bar], *, title: str, percent: bool = False, width: int = 420
) -> Markup:
    """Horizontal bars, longest first as given; each label may link somewhere."""
    label_w, right, row = 190, 56, 22
    height = max(row * len(bars) + 12, 40)
    top_value = max((b.value for b in bars), default=0.0) or 1.0
    plot_w = width - label_w - right
    out = _svg_open(width, height, "bar", title)
    for i, b in enumerate(bars):
        y = 6 + row * i
        bar_w = max(1.0, plot_w * b.value / top_value)
        shown = format_value(b.value, percent)
        tip = f"{b.label}: {shown}" + (f" ({b.note})" if b.note else "")
        label = (
            f"<text{_attrs(x=label_w - 6, y=y + 14, text_anchor='end')}>"
            f"{escape(_clip(b.label, 26))}</text>"
        )
        if b.href:
            label = f"<a{_attrs(href=b.href)}>{label}</a>"
        out.append(
            f'<g class="bar"{_attrs(data_tip=tip)}>{label}'
            f"<rect{_attrs(x=label_w, y=y + 3, width=_n(bar_w), height=row - 6)}"
            f"{_attrs(fill=PALETTE[0])}/>"
            f"<text{_attrs(x=_n(label_w + bar_w + 4), y=y + 14)}>{escape(shown)}</text></g>"
        )
    if not bars:
        out.append(f"<text{_attrs(x=8, y=24)}>Nothing to show</text>")
    out.append("</svg>")
    return Markup("".join(out))


def network_chart(
    center: str, nodes: Sequence[Node], *, title: str, width: int = 560, height: int = 420
) -> Markup:
    """The entity in the middle, those mentioned with it around, on a circle in the order
    given; line width and circle size grow with how many articles they share."""
    cx, cy = width / 2, height / 2
    radius = min(width, height) / 2 - 70
    heaviest = max((n.weight for n in nodes), default=1) or 1
    out = _svg_open(width, height, "network", title)
    placed = []
    for i, node in enumerate(nodes):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(nodes), 1)
        nx, ny = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        placed.append((node, nx, ny, angle))
        share = node.weight / heaviest
        out.append(
            f"<line{_attrs(x1=_n(cx), y1=_n(cy), x2=_n(nx), y2=_n(ny), stroke='#9aa5b1')}"
            f"{_attrs(stroke_width=_n(1 + 5 * share), stroke_opacity=_n(0.3 + 0.6 * share))}/>"
        )
    for node, nx, ny, angle in placed:
        colour = KIND_COLOURS.get(node.kind, "#777777")
        r = 5 + 9 * node.weight / heaviest
        anchor = "start" if math.cos(angle) > 0.2 else "end" if math.cos(angle) < -0.2 else "middle"
        tx = nx + (r + 4) * (1 if anchor == "start" else -1 if anchor == "end" else 0)
        ty = ny + (4 if anchor != "middle" else (r + 13 if math.sin(angle) > 0 else -r - 5))
        tip = f"{node.name} ({node.kind}): {node.weight} article(s) together"
        inner = (
            f"<circle{_attrs(cx=_n(nx), cy=_n(ny), r=_n(r), fill=colour)}/>"
            f"<text{_attrs(x=_n(tx), y=_n(ty), text_anchor=anchor)}>"
            f"{escape(_clip(node.name, 30))}</text>"
        )
        if node.href:
            inner = f"<a{_attrs(href=node.href)}>{inner}</a>"
        out.append(f'<g class="node"{_attrs(data_tip=tip)}>{inner}</g>')
    out.append(
        f"<circle{_attrs(cx=_n(cx), cy=_n(cy), r=16, fill=INK)}/>"
        f"<text{_attrs(x=_n(cx), y=_n(cy + 32), text_anchor='middle', font_weight='bold')}>"
        f"{escape(_clip(center, 40))}</text>"
    )
    if not nodes:
        out.append(
            f"<text{_attrs(x=_n(cx), y=_n(cy - 28), text_anchor='middle')}>"
            "Mentioned with no other entity yet</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
