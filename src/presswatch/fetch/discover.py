"""Feed discovery from a page: the feeds a page links to, then the usual places (pure).

An analyst pastes whatever URL they have, usually a site or a tag page. The page's own
`<link rel="alternate">` tags are the publisher's word on where its feeds are, so they
come first; the well-known paths are only a guess to probe when the page names none.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from presswatch.normalize.urls import web_address


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str  # absolute
    type: str | None  # the declared MIME type, e.g. application/rss+xml
    title: str | None
    how: str  # "linked from the page" | "common path"


LINKED = "linked from the page"
COMMON = "common path"

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
# Also used for things that are not feeds (WordPress REST API links, sitemaps), so only
# taken when the title or address says feed.
LOOSE_TYPES = frozenset({"application/json", "application/xml", "text/xml"})
COMMON_PATHS = ("feed/", "rss", "rss.xml", "atom.xml", "feed.xml", "index.xml", "feed.json")

_FEEDISH = re.compile(r"\bfeed|\brss\b|\batom\b|feed\.json|\.rss\b", re.IGNORECASE)
_NOT_FEED = re.compile(r"/wp-json/|oembed|sitemap", re.IGNORECASE)
_COMMENTS_TITLE = re.compile(r"comment|coment|коммент|kommentar", re.IGNORECASE)
_COMMENTS_HREF = re.compile(r"/comments?/|[?&]feed=comments|comments?[-_.]?(?:feed|rss)", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_DECL = re.compile(r"\A\s*<\?xml[^>]*>")
_CLOSING = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_URL_NOISE = re.compile(r"[\t\n\r]")


def linked_feeds(html: bytes, page_url: str) -> list[FoundFeed]:
    """<link rel="alternate"> feeds (RSS, Atom, RDF, JSON Feed) in page order, absolute,
    deduplicated; comment feeds (WordPress "Comments Feed") after the others.

    Addresses in the old `feed:` scheme are read as the http(s) address they wrap; any
    other scheme is skipped.
    """
    root = _parse_html(html)
    if root is None:
        return []
    base = page_url
    for el in root.iter("base"):
        href = _clean_href(el.get("href"))
        if href:
            base = web_address(href, page_url) or page_url
            break
    found: list[FoundFeed] = []
    comments: list[FoundFeed] = []
    seen: set[str] = set()
    for el in root.iter("link"):
        rels = (el.get("rel") or "").lower().split()
        if "alternate" not in rels:
            continue
        mime = (el.get("type") or "").split(";")[0].strip().lower()
        href = _clean_href(el.get("href"))
        title = " ".join((el.get("title") or "").split()) or None
        if not href or not _is_feed_type(mime, href, title):
            continue
        url = web_address(href, base)
        if url is None or url in seen:
            continue
        seen.add(url)
        feed = FoundFeed(url=url, type=mime, title=title, how=LINKED)
        parts = urlsplit(url)
        is_comments = bool(title and _COMMENTS_TITLE.search(title)) or bool(
            _COMMENTS_HREF.search(f"{parts.path}?{parts.query}")
        )
        (comments if is_comments else found).append(feed)
    return found + comments


def is_comment_feed(feed: FoundFeed) -> bool:
    return bool(feed.title and _COMMENTS_TITLE.search(feed.title)) or bool(
        _COMMENTS_HREF.search(feed.url)
    )


def ranked(feeds: list[FoundFeed], page_url: str) -> list[FoundFeed]:
    """Article feeds before comment feeds; among them, feeds under the page's own path
    first: a tag or section page's feed (/tag/csto/feed/) before the whole site's."""
    base = urlsplit(page_url).path
    if not base.endswith("/"):
        base = base.rsplit("/", 1)[0] + "/"

    def key(feed: FoundFeed) -> tuple[bool, bool]:
        path = urlsplit(feed.url).path
        under = base != "/" and path.startswith(base)
        return (is_comment_feed(feed), not under)

    return sorted(feeds, key=key)


def common_paths(page_url: str) -> list[str]:
    """Candidate feed URLs to probe when the page links none: /feed/, /rss, /atom.xml,
    /feed.json, /index.xml... under the page's own path first, then the site root.

    A last path segment with a dot in it ("index.html") names a file, so its folder is the
    page's path; any other is read as a folder ("/tag/csto" -> "/tag/csto/feed/").
    """
    parts = urlsplit(page_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return []
    path = parts.path or "/"
    if not path.endswith("/"):
        head, _, last = path.rpartition("/")
        path = head + "/" if "." in last else path + "/"
    root = urlunsplit((parts.scheme.lower(), parts.netloc, "/", "", ""))
    folders = [urljoin(root, path)] if path != "/" else []
    folders.append(root)
    out: list[str] = []
    for folder in folders:
        for name in COMMON_PATHS:
            url = folder + name
            if url not in out:
                out.append(url)
    return out


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """True when the body is an HTML page rather than a feed.

    The body decides when it can: servers label feeds text/html and pages text/xml often
    enough that the header is only the tie-breaker, used when the first tag (after a BOM,
    whitespace, comments and an XML declaration) says neither. An empty body is no page.
    """
    start = _first_tag(body)
    if start is None:
        return False
    low = start.lower()
    if re.match(r"<!doctype\s+html|<(?:html|head|body)[\s>/]", low) or low == "<html":
        return True
    if re.match(r"<(?:[\w.-]+:)?(?:rss|feed|rdf|channel|opml)\b", low) or low.startswith(
        ("<!doctype rss", "{", "[")
    ):
        return False
    mime = (content_type or "").split(";")[0].strip().lower()
    return mime in ("text/html", "application/xhtml+xml")


def _first_tag(body: bytes) -> str | None:
    """The body's text from its first element or declaration on (or its first character)."""
    head = body[:16384]
    text = _decode_head(head)
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n\f\ufeff\x00":
            pos += 1
        if pos >= len(text):
            return None
        if text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end < 0:
                return None
            pos = end + 3
        elif text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            if end < 0:
                return None
            pos = end + 2
        else:
            return text[pos : pos + 64]


def _decode_head(head: bytes) -> str:
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, errors="ignore")
    if len(head) >= 2 and head[0] == 0 and head[1]:
        return head.decode("utf-16-be", errors="ignore")
    if len(head) >= 2 and head[0] and head[1] == 0:
        return head.decode("utf-16-le", errors="ignore")
    return head.decode("latin-1")


def _parse_html(html: bytes) -> etree._Element | None:
    text = _decode_page(html)
    # lxml refuses text that still declares a byte encoding, and libxml2 drops whatever a
    # page puts after </body> or </html>, which browsers (and plugins) keep.
    text = _CLOSING.sub("", _XML_DECL.sub("", text, count=1))
    text = _NOT_XML_CHAR.sub("", text)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _decode_page(html: bytes) -> str:
    """The page as text: BOM, then a <meta charset>, then UTF-8 if it fits, else cp1252."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if html.startswith(bom):
            return html[len(bom) :].decode(enc, errors="replace")
    if html.startswith(codecs.BOM_UTF16_BE):
        return html[2:].decode("utf-16-be", errors="replace")
    m = _META_CHARSET.search(html[:4096])
    if m:
        try:
            enc = codecs.lookup(m.group(1).decode("ascii")).name
        except LookupError:
            enc = ""
        if enc and not enc.startswith(("utf-16", "utf-32")):
            return html.decode(enc, errors="replace")
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.decode("cp1252", errors="replace")


def _clean_href(href: str | None) -> str:
    return _URL_NOISE.sub("", href or "").strip()


def _is_feed_type(mime: str, href: str, title: str | None) -> bool:
    if mime in FEED_TYPES:
        return True
    if mime not in LOOSE_TYPES or _NOT_FEED.search(href):
        return False
    return bool(_FEEDISH.search(href) or (title and _FEEDISH.search(title)))
