"""Feed discovery: from a page a user names to the feed worth following.

The page's own <link rel="alternate"> feeds come first, then the usual addresses; each
candidate is fetched and must parse as a feed before it is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from presswatch.errors import PresswatchError
from presswatch.fetch.client import FetchResult, HttpClient
from presswatch.fetch.discover import (
    FoundFeed,
    common_paths,
    linked_feeds,
    looks_like_html,
    ranked,
)
from presswatch.formats import parse_feed

if TYPE_CHECKING:
    from presswatch.collect.collector import Collector


@dataclass(frozen=True, slots=True)
class Discovery:
    """What a page URL led to: the feeds found, and the one followed."""

    asked: str
    feeds: tuple[FoundFeed, ...] = ()
    chosen: str | None = None
    error: str | None = None
    # the chosen feed as it was just fetched, so following it needs no second request
    fetched: FetchResult | None = field(default=None, compare=False, repr=False)


async def discover(c: Collector, client: HttpClient, url: str) -> Discovery:
    if not url.startswith(("http://", "https://")):
        return Discovery(url, error="only http:// and https:// addresses can be followed")
    result = await client.fetch(url)
    if not result.ok:
        return Discovery(url, error=result.error or f"the server answered {result.status}")
    if not looks_like_html(result.body, result.content_type):
        title = await _feed_title(c, result)
        if title is not None:
            address = result.permanent_url or url
            feed = FoundFeed(address, result.content_type, title or None, "the address itself")
            return Discovery(url, (feed,), address, fetched=result)
    linked = ranked(linked_feeds(result.body, result.final_url), result.final_url)
    for candidate in linked:
        checked = await client.fetch(candidate.url)
        if checked.ok and await _feed_title(c, checked) is not None:
            chosen = checked.permanent_url or candidate.url
            return Discovery(url, tuple(linked), chosen, fetched=checked)
    for path in common_paths(result.final_url):
        if path in {f.url for f in linked}:
            continue
        checked = await client.fetch(path)
        if not checked.ok or checked.error_kind == "backoff":
            continue
        title = await _feed_title(c, checked)
        if title is not None:
            feed = FoundFeed(path, checked.content_type, title or None, "common path")
            return Discovery(url, (*linked, feed), checked.permanent_url or path, fetched=checked)
    if linked:
        return Discovery(
            url, tuple(linked), error="the page links feeds, but none of them could be read"
        )
    return Discovery(
        url,
        error="no feed found: the page links none and none of the usual addresses "
        "(/feed/, /rss, /atom.xml, /feed.json, ...) answered with a feed",
    )


async def _feed_title(c: Collector, result: FetchResult) -> str | None:
    """The feed's title ('' when it has none) if the body is a feed, else None."""

    def parse() -> str | None:
        try:
            parsed = parse_feed(result.body, content_type=result.content_type)
        except (PresswatchError, ValueError):
            return None
        return parsed.title or ""

    return await c._db(parse)
