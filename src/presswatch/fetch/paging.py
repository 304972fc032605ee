"""Backfill pages: which older page of a feed to ask for next (pure).

A feed shows only its latest items; its history is reachable when the publisher links
older pages (RFC 5005 archives, `next` pages of paged feeds and JSON Feed's next_url) or
when the software is known to page (WordPress answers `?paged=N`). Explicit links win
over the WordPress guess, and a page that points back at itself ends the walk.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from presswatch.types import ParsedFeed

_WP_GENERATOR = re.compile(r"wordpress\.(?:org|com)", re.IGNORECASE)
_WP_FEED_PATH = re.compile(r"/feed(?:/(?:rss2?|atom|rdf))?/?$", re.IGNORECASE)
_WP_FEED_QUERY = re.compile(r"(?:^|&)feed=(?:rss2?|atom|rdf)(?:&|$)", re.IGNORECASE)
_WP_GUID = re.compile(r"[?&]p=\d+$")
_PAGED = re.compile(r"(?:^|&)paged=\d+(?:&|$)")


def is_wordpress(feed: ParsedFeed, url: str) -> bool:
    """A WordPress feed (generator wordpress.org, or a /feed/ path with ?paged support).

    Many sites strip the generator tag, so a WordPress feed address (/feed/, ?feed=rss2)
    whose items carry WordPress's own guids ("https://site/?p=123") counts too, as does
    an address that already pages with ?paged=N.
    """
    if feed.generator and _WP_GENERATOR.search(feed.generator):
        return True
    parts = urlsplit(url)
    if _PAGED.search(parts.query):
        return True
    if not (_WP_FEED_PATH.search(parts.path) or _WP_FEED_QUERY.search(parts.query)):
        return False
    guids = [e.guid for e in feed.entries if e.guid]
    return bool(guids) and sum(1 for g in guids if _WP_GUID.search(g)) * 2 > len(guids)


def wordpress_page(url: str, page: int) -> str:
    """The feed URL for archive page `page` (2, 3, ...): ?paged=N set, other query kept;
    page 1 is the URL without paged."""
    if page < 1:
        raise ValueError(f"page numbers start at 1, not {page}")
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != "paged"]
    if page > 1:
        kept.append(f"paged={page}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), ""))


def older_page(feed: ParsedFeed, url: str, page: int) -> str | None:
    """The next older page after this one (`page` is this one's number, 1 for the feed):
    RFC 5005 prev-archive if the feed has one, else its `next` page link (RFC 5005 paged
    feeds, JSON Feed next_url), else the WordPress next page, else None.

    Links are resolved against `url`; only http(s) addresses other than `url` itself are
    returned. A WordPress page without items is the end, so it has no older page.
    """
    for link in (feed.prev_archive_link, feed.next_link):
        target = _resolve(link, url)
        if target is not None:
            return target
    if feed.entries and is_wordpress(feed, url):
        return wordpress_page(url, page + 1)
    return None


def _resolve(link: str | None, base: str) -> str | None:
    if not link or not link.strip():
        return None
    try:
        target = urljoin(base, link.strip()).split("#", 1)[0]
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return None if target == base.split("#", 1)[0] else target
