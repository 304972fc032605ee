"""The main text and metadata of an article page, with trafilatura (pure: bytes in).

Pages come from anywhere and fail in dull ways: bot challenges served with status 200,
empty shells filled in by JavaScript, index pages of headlines. Each of these yields
None rather than a scrap of boilerplate stored as if it were the article. Trafilatura is
only ever handed bytes already fetched; it never reaches the network from here.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import build_html_output
from trafilatura.settings import Document
from trafilatura.utils import load_html

from presswatch.extract.summary import word_count
from presswatch.formats.encoding import decode, http_charset
from presswatch.normalize.bylines import extract_byline, person_name, split_authors
from presswatch.normalize.dates import parse_date
from presswatch.normalize.html import fold_whitespace, html_paragraphs, sanitize_html

__all__ = ["EXTRACTOR", "EXTRACTOR_VERSION", "MIN_WORDS", "PageText", "extract_page"]


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    html: str | None  # sanitized (normalize.html.sanitize_html)
    title: str | None
    authors: tuple[str, ...]
    published: datetime | None  # UTC
    site_name: str | None
    language: str | None


EXTRACTOR = "trafilatura"  # with its version recorded beside each page
EXTRACTOR_VERSION = f"{EXTRACTOR} {trafilatura.__version__}"
MIN_WORDS = 40  # less main text than this is a stub, a teaser wall or an error page

_trafilatura_log = logging.getLogger("trafilatura")
if _trafilatura_log.level == logging.NOTSET:
    # It warns "discarding data" for every page without text; here that is an answer.
    _trafilatura_log.setLevel(logging.CRITICAL)

_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.\-]{1,40})", re.I)
_BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_CHALLENGE_TITLES = frozenset(
    {
        "just a moment...",
        "just a moment…",
        "один момент…",
        "один момент...",
        "attention required! | cloudflare",
        "please wait...",
        "please wait…",
        "ddos-guard",
        "checking your browser",
        "access denied",
        "sucuri website firewall - access denied",
        "403 forbidden",
        "are you a robot?",
        "pardon our interruption",
    }
)
_CHALLENGE_MARKERS = (
    b"window._cf_chl_opt",
    b'id="challenge-form"',
    b"cf-browser-verification",
    b"cf_chl_prog",
)
_CHALLENGE_PHRASES = (
    "checking your browser before accessing",
    "checking if the site connection is secure",
    "enable javascript and cookies to continue",
    "needs to review the security of your connection",
    "please enable cookies",
    "ddos protection by",
    "verify you are human",
)
_CHALLENGE_MAX_WORDS = 150
_AUTHOR_LABEL = re.compile(
    r"^\s*(?:авторы?|текст|author(?:s)?|text|written\s+by|by|von|par|por)\s*:?\s+", re.I
)
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "pubdate",
    "publishdate",
    "publish-date",
)
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{6,60})"')
_INDEX_ARTICLES = 3  # <article> teasers on a page that calls itself a website
_FAR_FUTURE = datetime(2200, 1, 1, tzinfo=UTC)  # no date is flagged "future" here


def extract_page(body: bytes, url: str, content_type: str | None = None) -> PageText | None:
    """None when no main text can be found (a challenge page, an index page...).

    Never raises: hostile or broken markup gives None like any other page without text.
    """
    try:
        return _extract(body, url, content_type)
    except Exception:  # any failure inside the extractor means "no text"
        return None


def _extract(body: bytes, url: str, content_type: str | None) -> PageText | None:
    if not body.strip() or _binary(content_type):
        return None
    if any(marker in body for marker in _CHALLENGE_MARKERS):
        return None
    html = decode_html(body, content_type)
    if "<" not in html:
        return None
    tree = load_html(html)
    if tree is None:
        return None
    page_title = _page_title(tree)
    if page_title is not None and page_title.casefold() in _CHALLENGE_TITLES:
        return None
    if _index_page(tree, url):
        return None
    language = _language(tree)
    published = _structured_date(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        include_links=True,
        with_metadata=True,
        date_extraction_params={"original_date": True, "extensive_search": True},
    )
    if not isinstance(doc, Document) or doc.body is None:
        return None
    title = _clean(doc.title)
    _drop_title_heading(doc.body, title)
    content = sanitize_html(build_html_output(doc), base_url=url).strip()
    byline, paragraphs = extract_byline(html_paragraphs(content))
    text = "\n\n".join(paragraphs)
    words = word_count(text)
    if words < MIN_WORDS:
        return None
    if words < _CHALLENGE_MAX_WORDS and _reads_like_challenge(f"{title}\n{text}"):
        return None
    authors = _authors(doc.author) or tuple(person_name(a) for a in byline)
    if published is None:
        published = _date(doc.date)
    return PageText(
        text=text,
        html=content or None,
        title=title,
        authors=authors,
        published=published,
        site_name=_clean(doc.sitename),
        language=language or _language_tag(doc.language),
    )


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page bytes as text: a BOM, then the HTTP charset, then a <meta> charset in the
    first kilobytes (the HTML standard's order), then UTF-8 or sniffing."""
    if http_charset(content_type) is None:
        m = _META_CHARSET.search(body[:4096])
        if m is not None:
            declared = m.group(1).decode("ascii").lower()
            # The standard reads a <meta> saying UTF-16/32 as UTF-8: a page that could
            # be read far enough to find the tag is not in a wide encoding.
            if declared.startswith(("utf-16", "utf-32", "ucs-2")):
                declared = "utf-8"
            elif declared == "x-user-defined":
                declared = "windows-1252"
            content_type = f"text/html; charset={declared}"
    return decode(body, content_type).text


def _binary(content_type: str | None) -> bool:
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.startswith(_BINARY_TYPES)


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    return fold_whitespace(value) or None


def _page_title(tree: HtmlElement) -> str | None:
    for el in tree.iter("title"):
        return _clean(el.text_content())
    return None


def _index_page(tree: HtmlElement, url: str) -> bool:
    """A home or section page: where a removed article often redirects, and whose
    teasers would otherwise be stored as the article's text."""
    if urlsplit(url).path in ("", "/"):
        return True
    og_type = None
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:type":
            og_type = (meta.get("content") or "").strip().lower()
            break
    if og_type != "website":
        return False
    return sum(1 for _ in itertools.islice(tree.iter("article"), _INDEX_ARTICLES)) >= (
        _INDEX_ARTICLES
    )


def _reads_like_challenge(text: str) -> bool:
    folded = text.casefold()
    return any(phrase in folded for phrase in _CHALLENGE_PHRASES)


def _drop_title_heading(body: Any, title: str | None) -> None:
    """The headline is kept as the title; repeated as the text's first line it would
    count twice in search."""
    if title is None or len(body) == 0:
        return
    first = body[0]
    if first.tag == "head" and fold_whitespace("".join(first.itertext())) == title:
        tail = first.tail
        body.remove(first)
        if tail and tail.strip():
            body.text = (body.text or "") + tail


def _authors(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    names: list[str] = []
    for part in raw.split(";"):
        part = _AUTHOR_LABEL.sub("", part)
        for name in split_authors(part):
            tidy = person_name(name)
            if tidy and tidy not in names:
                names.append(tidy)
    return tuple(names)


def _language(tree: HtmlElement) -> str | None:
    for attr in ("lang", "{http://www.w3.org/XML/1998/namespace}lang", "xml:lang"):
        tag = _language_tag(tree.get(attr))
        if tag:
            return tag
    for meta in tree.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language", "dc.language"):
            tag = _language_tag(meta.get("content"))
            if tag:
                return tag
    return None


def _language_tag(raw: str | None) -> str | None:
    if not raw:
        return None
    tag = raw.split(",", 1)[0].strip().replace("_", "-")
    return tag if _LANG_TAG.fullmatch(tag) else None


def _structured_date(tree: HtmlElement) -> datetime | None:
    """The publication time the page states for machines (Open Graph, schema.org), with
    its time of day and zone, which htmldate reduces to a day."""
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _DATE_META:
            found = _date(meta.get("content"))
            if found is not None:
                return found
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        m = _JSONLD_DATE.search(script.text_content())
        if m is not None:
            found = _date(_json_string(m.group(1)))
            if found is not None:
                return found
    for el in tree.iter("time"):
        if (el.get("itemprop") or "").lower() == "datepublished":
            found = _date(el.get("datetime"))
            if found is not None:
                return found
    return None


def _json_string(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def _date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    return parse_date(raw, now=_FAR_FUTURE).value
