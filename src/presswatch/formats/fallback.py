"""Reading feeds that are not well-formed XML, and saying what was wrong with them.

Most broken feeds break in a few known ways (HTML entities such as &nbsp;, a bare &,
a namespace prefix nobody declared, a body cut off mid-transfer). Those are repaired
textually and re-read by the fast, strict parser, which keeps its guarantees. Only what
is left goes to feedparser's loose parser, which reads almost anything but is slower
and keeps no item source. Every recovery is reported in `problems`.
"""

from __future__ import annotations

import dataclasses
import html.entities
import io
import re
from collections.abc import Callable
from typing import Any

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats.encoding import clean_text
from presswatch.formats.xmlfeed import MalformedXML, parse_xml_fast
from presswatch.types import Enclosure, ParsedEntry, ParsedFeed

_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_BARE_AMP = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
_DECLARED_ENTITY = re.compile(r"<!ENTITY\s+([A-Za-z_][\w.-]*)")
_PREFIX_USE = re.compile(
    r"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*="
)
_PREFIX_DECL = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=")
_ROOT_START = re.compile(r"<(?![?!])[^\s>/]+")
_ROOT_END = re.compile(r"</(?:[\w.-]+:)?(?:rss|feed|RDF|channel)\s*>\s*\Z")
_CONTROL_NOTE = "removed NUL/control characters"
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
KNOWN_NAMESPACES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "media": "http://search.yahoo.com/mrss/",
    "atom": "http://www.w3.org/2005/Atom",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "georss": "http://www.georss.org/georss",
    "feedburner": "http://rssnamespace.org/feedburner/ext/1.0",
}
_FORMATS = {
    "rss20": "rss2.0",
    "rss10": "rss1.0",
    "rss090": "rss0.90",
    "rss091u": "rss0.91",
    "rss091n": "rss0.91",
    "rss092": "rss0.92",
    "rss093": "rss0.93",
    "rss094": "rss0.94",
    "rss": "rss2.0",
    "atom10": "atom1.0",
    "atom03": "atom0.3",
    "atom": "atom1.0",
}


def _outside_cdata(text: str, fix: Callable[[str], str]) -> str:
    parts = _CDATA.split(text)
    return "".join(part if i % 2 else fix(part) for i, part in enumerate(parts))


def _fix_entities(text: str) -> str:
    declared = set(_DECLARED_ENTITY.findall(text[:100_000]))

    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES or name in declared:
            return m.group(0)
        char = html.entities.html5.get(name + ";")
        if char is None:
            return f"&amp;{name};"
        return "".join(f"&#{ord(c)};" for c in char)

    return _outside_cdata(text, lambda part: _ENTITY.sub(replace, part))


def _fix_ampersands(text: str) -> str:
    return _outside_cdata(text, lambda part: _BARE_AMP.sub("&amp;", part))


def _fix_prefixes(text: str) -> str:
    used = {a or b for a, b in _PREFIX_USE.findall(text)} - {"xml", "xmlns"}
    missing = sorted(used - set(_PREFIX_DECL.findall(text)))
    root = _ROOT_START.search(text)
    if not missing or root is None:
        return text
    decls = "".join(
        f' xmlns:{p}="{KNOWN_NAMESPACES.get(p, "urn:presswatch:undeclared:" + p)}"' for p in missing
    )
    return text[: root.end()] + decls + text[root.end() :]


_REPAIRS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("HTML entities replaced by character references", _fix_entities),
    ("bare '&' escaped", _fix_ampersands),
    ("undeclared namespace prefixes declared", _fix_prefixes),
)


def _truncated(text: str, error: MalformedXML) -> bool:
    if _ROOT_END.search(text[-512:]):
        return False
    return bool(error.code == 77 or error.line >= text.count("\n") + 1)


def _with(feed: ParsedFeed, *problems: str, truncated: bool = False) -> ParsedFeed:
    return dataclasses.replace(
        feed, problems=(*feed.problems, *problems), truncated=feed.truncated or truncated
    )


def parse_xml_tolerant(
    text: str, unchanged: bytes | None = None, *, item_raw: bool = True
) -> ParsedFeed:
    """Parse feed XML, repairing or falling back as needed; `unchanged` is `text` as UTF-8."""
    data = unchanged if unchanged is not None else text.encode("utf-8", "surrogatepass")
    try:
        return parse_xml_fast(data, item_raw=item_raw)
    except MalformedXML as exc:
        first = exc
    what = f"malformed XML: {first}"
    cleaned, changed = clean_text(text)
    if changed:
        try:
            cleaned_data = cleaned.encode("utf-8", "surrogatepass")
            return _with(parse_xml_fast(cleaned_data, item_raw=item_raw), _CONTROL_NOTE)
        except MalformedXML as exc:
            text, first = cleaned, exc
            what = f"{_CONTROL_NOTE}; malformed XML: {first}"
    if first.partial is not None and _truncated(text, first):
        kept = len(first.partial.entries)
        return _with(
            first.partial, f"{what}; document is truncated, kept {kept} items", truncated=True
        )

    repaired, done = text, []
    for name, fix in _REPAIRS:
        fixed = fix(repaired)
        if fixed != repaired:
            repaired = fixed
            done.append(name)
    if done:
        how = ", ".join(done)
        try:
            return _with(
                parse_xml_fast(repaired.encode("utf-8", "surrogatepass"), item_raw=item_raw),
                f"{what}; recovered with {how}",
            )
        except MalformedXML as again:
            if again.partial is not None and _truncated(repaired, again):
                kept = len(again.partial.entries)
                note = f"{what}; recovered with {how}; document is truncated, kept {kept} items"
                return _with(again.partial, note, truncated=True)
    feed = parse_with_feedparser(text)
    return _with(feed, f"{what}; recovered with feedparser", truncated=_truncated(text, first))


def _s(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _content_html(detail: Any) -> str | None:
    if not detail:
        return None
    value = detail.get("value")
    if value is None:
        return None
    if "html" in (detail.get("type") or ""):
        return str(value)
    return html.escape(str(value), quote=False)


def _fp_entry(e: Any) -> ParsedEntry:
    content = e.get("content") or []
    authors = [a.get("name") or a.get("email") for a in e.get("authors") or [] if a]
    if not any(authors) and e.get("author"):
        authors = [e.get("author")]
    enclosures = tuple(
        Enclosure(url=str(x["href"]), type=x.get("type") or None, length=_length(x.get("length")))
        for x in e.get("enclosures") or []
        if x.get("href")
    )
    title_detail = e.get("title_detail") or {}
    return ParsedEntry(
        guid=_s(e.get("id")),
        guid_is_permalink=None,
        link=_s(e.get("link")),
        title=_s(e.get("title")),
        title_is_html="html" in (title_detail.get("type") or ""),
        published_raw=_s(e.get("published")),
        updated_raw=_s(dict.get(e, "updated")),  # plain lookup: no fallback to published
        authors=tuple(dict.fromkeys(str(a) for a in authors if a)),
        summary_html=_content_html(e.get("summary_detail")),
        content_html=_content_html(content[0]) if content else None,
        categories=tuple(
            dict.fromkeys(str(t["term"]) for t in e.get("tags") or [] if t.get("term"))
        ),
        enclosures=enclosures,
        language=_s((e.get("title_detail") or {}).get("language")),
        comments=_s(e.get("comments")),
    )


def _length(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_with_feedparser(text: str) -> ParsedFeed:
    """Map feedparser's loose reading onto ParsedFeed; it gets a stream so it never opens a path."""
    import feedparser

    try:
        result = feedparser.parse(
            io.BytesIO(text.encode("utf-8", "surrogatepass")),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # its SAX handlers trip over some damaged namespace names
        raise FeedParseError(f"unreadable feed: {type(exc).__name__}: {exc}") from exc
    version = result.get("version") or ""
    entries = result.get("entries") or []
    root = _ROOT_START.search(text)
    if root is None:
        raise NotAFeedError("an empty body", "no XML element")
    root_name = root.group(0)[1:]
    if not version and not entries:
        if root_name.lower() in ("html", "head", "body"):
            raise NotAFeedError("an HTML page")
        if root_name.rsplit(":", 1)[-1] not in ("rss", "feed", "RDF", "channel"):
            raise NotAFeedError(f"an XML document that is not a feed (root <{root_name}>)")
        raise FeedParseError(f"unreadable feed: {result.get('bozo_exception')}")
    feed = result.get("feed") or {}
    links = {link.get("rel"): link.get("href") for link in feed.get("links") or []}
    fmt = _FORMATS.get(version) or ("atom1.0" if root_name.endswith("feed") else "rss2.0")
    return ParsedFeed(
        format=fmt,
        title=_s(feed.get("title")),
        link=_s(feed.get("link")),
        self_link=_s(links.get("self")),
        next_link=_s(links.get("next")),
        prev_archive_link=_s(links.get("prev-archive")),
        description=_s(feed.get("subtitle")),
        language=_s(feed.get("language")),
        generator=_s(feed.get("generator")),
        updated_raw=_s(dict.get(feed, "updated")),
        ttl=_length(feed.get("ttl")),
        image=_s((feed.get("image") or {}).get("href")),
        entries=tuple(_fp_entry(e) for e in entries),
        parser="feedparser",
    )
