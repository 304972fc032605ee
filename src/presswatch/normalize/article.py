"""Turn the items of a parsed feed into normalized articles with stable identities.

Identity has to survive what feeds do in the wild: the same story carried by a topic feed
and the outlet's main feed, links that flip between http and https or gain a "www.",
guids on a staging host that is not the article's (the seed's `strategic-culture.lo`),
items without guids, and feeds that give every item the same guid. So the key is the
canonical article URL (scheme and www folded) when there is one, else the guid within its
feed, else a hash of the content. Keys are settled per document: a guid shared by several
items identifies none of them, and a key already held by other content falls through to
the next kind, so every distinct item is kept and only true copies meet.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from html import unescape
from urllib.parse import urljoin

from presswatch.normalize.bylines import (
    extract_byline,
    extract_source_line,
    person_name,
    split_authors,
)
from presswatch.normalize.dates import parse_date
from presswatch.normalize.html import (
    fold_whitespace,
    html_paragraphs,
    html_to_text,
    sanitize_html,
    sanitize_to_paragraphs,
)
from presswatch.normalize.urls import canonical_url, url_identity
from presswatch.types import Article, ParsedEntry, ParsedFeed

MAX_TITLE_CHARS = 2_000
MAX_SUMMARY_CHARS = 600
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def feed_key(feed: ParsedFeed, location: str | None = None) -> str:
    """The feed's own identity: its site link and title, else its self link.

    Not the file or URL it was read from, so the same feed read from another copy, from
    its text dump or from its XML form is recognised as the same feed.
    """
    link = canonical_url(feed.link)
    title = _SPACE.sub(" ", feed.title or "").strip().casefold()
    if link and title:
        return f"site:{url_identity(link)}|{title}"
    self_link = canonical_url(feed.self_link)
    if self_link:
        return f"self:{url_identity(self_link)}"
    if link:
        return f"site:{url_identity(link)}|"
    if title:
        return f"title:{title}"
    return f"location:{location or ''}"


def normalize_feed(feed: ParsedFeed, key: str, *, now: datetime) -> Iterator[Article]:
    """Normalize every entry, lazily so a huge feed is stored in batches.

    Keys are settled for the whole document: a guid that several items share identifies
    none of them (they are keyed by content, so a new item put in front can never take
    over an archived one's key), and a key already held by different content falls
    through to the next kind. Only true copies (same key, same content) share a key.
    """
    shared_guids = {
        guid for guid, count in Counter(e.guid for e in feed.entries if e.guid).items() if count > 1
    }
    held: dict[str, str] = {}  # key -> content hash of the item holding it
    base = canonical_url(feed.link) or canonical_url(feed.self_link)
    from_xml = feed.parser == "lxml"  # XML 1.0 text holds no C0 control characters
    for position, entry in enumerate(feed.entries):
        article = normalize_entry(
            entry,
            key,
            base=base,
            language=feed.language,
            now=now,
            position=position,
            from_xml=from_xml,
        )
        settled = _settle(article, key, held, shared_guids)
        if settled != article.key:
            article = replace(article, key=settled)
        held.setdefault(settled, article.content_hash)
        yield article


def normalize_entry(
    entry: ParsedEntry,
    feed_key: str,
    *,
    base: str | None = None,
    language: str | None = None,
    now: datetime,
    position: int = 0,
    from_xml: bool = False,
) -> Article:
    original, url = _item_link(entry, base)
    title = _title(entry)
    notes: list[str] = []
    if len(title) > MAX_TITLE_CHARS:
        notes.append(f"title cut from {len(title):,} to {MAX_TITLE_CHARS:,} characters")
        title = title[:MAX_TITLE_CHARS].rstrip() + "…"

    body_html = entry.content_html or entry.summary_html or ""
    content_html, paragraphs = (
        sanitize_to_paragraphs(body_html, base_url=url, from_xml=from_xml)
        if body_html
        else (None, [])
    )

    byline_authors, paragraphs = extract_byline(paragraphs)
    republished_from, paragraphs = extract_source_line(paragraphs)
    text = "\n\n".join(paragraphs)

    authors = _authors(entry.authors) or tuple(person_name(a) for a in byline_authors)
    summary = _summary(entry, paragraphs)

    raw_date = entry.published_raw or entry.updated_raw
    published = parse_date(raw_date, now=now)
    updated = parse_date(entry.updated_raw, now=now).value if entry.updated_raw else None

    content_hash = hashlib.sha256(f"{title}\x00{text}".encode()).hexdigest()
    return Article(
        key=_candidate_keys(url, entry.guid, content_hash, feed_key)[0],
        url=url,
        original_url=original,
        guid=entry.guid,
        title=title,
        authors=authors,
        published=published.value,
        published_raw=raw_date,
        date_flag=published.flag,
        updated=updated,
        summary=summary,
        content_html=content_html,
        text=text,
        language=(entry.language or language or None),
        republished_from=republished_from,
        categories=tuple(dict.fromkeys(c.strip() for c in entry.categories if c.strip())),
        enclosures=entry.enclosures,
        content_hash=content_hash,
        position=position,
        notes=tuple(notes),
    )


def _candidate_keys(
    url: str | None,
    guid: str | None,
    content_hash: str,
    feed_key: str,
    shared_guids: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """An item's possible identities, strongest first (see the module docstring)."""
    keys = ["url:" + url_identity(url)] if url else []
    if guid and guid not in shared_guids:
        keys.append(f"guid:{feed_key}:{guid}")
    keys.append("hash:" + content_hash)
    return keys


def _settle(article: Article, feed_key: str, held: dict[str, str], shared_guids: set[str]) -> str:
    """The first candidate key that is free, or held by this very content."""
    candidates = _candidate_keys(
        article.url, article.guid, article.content_hash, feed_key, shared_guids
    )
    for candidate in candidates:
        if held.get(candidate, article.content_hash) == article.content_hash:
            return candidate
    return candidates[-1]


def _item_link(entry: ParsedEntry, base: str | None) -> tuple[str | None, str | None]:
    """The item's link as given (resolved) and its canonical form; a permalink guid stands
    in for a missing link only when it is an absolute URL ("p=123" is not a link)."""
    if entry.link:
        canonical = canonical_url(entry.link, base)
        if canonical:
            link = entry.link.strip()
            if base and not link.startswith(("http://", "https://")):
                link = urljoin(base, link)
            return link, canonical
    guid = entry.guid
    if guid and entry.guid_is_permalink is not False:
        canonical = canonical_url(guid)
        if canonical:
            return guid.strip(), canonical
    return None, None


def _title(entry: ParsedEntry) -> str:
    title = entry.title or ""
    if entry.title_is_html:
        title = html_to_text(sanitize_html(title))
    return fold_whitespace(_CONTROL.sub("", title))


def _paragraphs(text: str) -> list[str]:
    return [p for p in (p.strip() for p in text.split("\n\n")) if p]


@lru_cache(maxsize=4096)  # a feed has a few writers and names them on every item
def _authors(raw: tuple[str, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for item in raw:
        for name in split_authors(item):
            tidy = person_name(name)
            if tidy and tidy not in names:
                names.append(tidy)
    return tuple(names)


def _summary(entry: ParsedEntry, paragraphs: list[str]) -> str | None:
    """The feed's own excerpt when it says more than a byline, else the first paragraph."""
    if entry.summary_html and entry.content_html:
        summary = entry.summary_html
        if "<" in summary:
            lines = html_paragraphs(sanitize_html(summary))
        elif "&" in summary:  # entities alone ("[&#8230;]") need no HTML parser
            lines = _paragraphs(_CONTROL.sub("", unescape(summary)))
        else:
            lines = _paragraphs(summary)
        _, rest = extract_byline(lines)
        if rest:
            return _shorten(" ".join(rest))
    return _shorten(paragraphs[0]) if paragraphs else None


def _shorten(text: str) -> str:
    text = fold_whitespace(text)
    if len(text) <= MAX_SUMMARY_CHARS:
        return text
    cut = text[:MAX_SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut + " …"
