"""Pure helpers for the pages: an article's text with its mentions and quotes marked, the
raw feed item an article came from, and links built from quoted parts.

The article text is marked up here rather than in a template because its spans (offsets
into the text) can nest and overlap; every piece of the text is escaped on its way out,
so only the tags written here are markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import quote, urlencode

import nh3
from markupsafe import Markup, escape

from presswatch.normalize.html import sanitize_html


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str  # an entity's canonical name, or a quote's speaker ("" when unknown)
    kind: str  # entity kind, or "quote"


def path(*parts: str) -> str:
    """/a/b with each part quoted whole (a "/" inside a name stays inside it)."""
    return "/" + "/".join(quote(p, safe="") for p in parts)


def with_query(base: str, params: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    items = params.items() if isinstance(params, Mapping) else params
    kept = [(k, str(v)) for k, v in items if v not in (None, "")]
    return base + ("?" + urlencode(kept) if kept else "")


def quoted_term(field: str, value: str) -> str:
    """A field query for an exact name, e.g. entity:"Kassym-Jomart Tokayev"."""
    return f'{field}:"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _clean(spans: Iterable[Span], size: int) -> list[Span]:
    """Spans inside the text, non-empty, the earliest (then longest) kept where two overlap."""
    kept: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        start, end = max(0, s.start), min(size, s.end)
        if start >= end or (kept and start < kept[-1].end):
            continue
        kept.append(Span(start, end, s.label, s.kind))
    return kept


def highlight(text: str, mentions: Sequence[Span], quotes: Sequence[Span]) -> Markup:
    """The text with each quote in <q class="quote"> and each mention in
    <mark class="entity"> linking to its entity page; a mention that crosses a quote's
    edge is cut at the edge, so the tags always nest."""
    marks = _clean(mentions, len(text))
    qs = _clean(quotes, len(text))
    cuts = {0, len(text)}
    for s in (*marks, *qs):
        cuts.update((s.start, s.end))
    points = sorted(cuts)
    out: list[str] = []
    mi = qi = 0
    open_quote: Span | None = None
    open_mark: Span | None = None
    for a, b in pairwise(points):
        while qi < len(qs) and qs[qi].end <= a:
            qi += 1
        while mi < len(marks) and marks[mi].end <= a:
            mi += 1
        quote_here = qs[qi] if qi < len(qs) and qs[qi].start <= a else None
        mark_here = marks[mi] if mi < len(marks) and marks[mi].start <= a else None
        if open_mark is not None and (mark_here is not open_mark or quote_here is not open_quote):
            out.append("</a></mark>")
            open_mark = None
        if open_quote is not None and quote_here is not open_quote:
            out.append("</q>")
            open_quote = None
        if quote_here is not None and open_quote is None:
            speaker = f"quoted: {quote_here.label}" if quote_here.label else "quoted"
            out.append(f'<q class="quote" title="{escape(speaker)}">')
            open_quote = quote_here
        if mark_here is not None and open_mark is None:
            out.append(
                f'<mark class="entity" data-kind="{escape(mark_here.kind)}" '
                f'title="{escape(mark_here.label)} ({escape(mark_here.kind)})">'
                f'<a href="{escape(path("entities", mark_here.label))}">'
            )
            open_mark = mark_here
        out.append(str(escape(text[a:b])))
    if open_mark is not None:
        out.append("</a></mark>")
    if open_quote is not None:
        out.append("</q>")
    return Markup("".join(out))


ITEM_TAGS = (("<item", "</item>"), ("<entry", "</entry>"))


def raw_item(document: str, needles: Sequence[str]) -> str | None:
    """The <item> or <entry> of a feed document holding the first needle found (a guid or
    link), or None when there is no such element (a JSON Feed, a text dump)."""
    for needle in needles:
        if not needle:
            continue
        at = document.find(needle)
        if at < 0:
            continue
        for opening, closing in ITEM_TAGS:
            start = document.rfind(opening, 0, at)
            end = document.find(closing, at)
            if start >= 0 and end >= 0 and document.find(closing, start, at) < 0:
                return document[start : end + len(closing)]
    return None


_SHOWN_TAGS = {
    "p", "br", "a", "b", "strong", "i", "em", "u", "s", "blockquote", "q", "cite", "ul", "ol",
    "li", "dl", "dt", "dd", "h2", "h3", "h4", "h5", "h6", "pre", "code", "figure",
    "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "colgroup", "col", "hr", "sub", "sup", "span", "div", "abbr", "time",
}  # fmt: skip
_SHOWN_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
}


def article_html(html: str) -> Markup:
    """An article's feed HTML to show in a page: the archive's allowlist applied again
    (the stored copy may predate a stricter one), and images left out, since a page loads
    nothing from other sites (they would tell them who reads what)."""
    clean = nh3.clean(
        sanitize_html(html),
        tags=_SHOWN_TAGS,
        attributes=_SHOWN_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
