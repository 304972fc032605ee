"""What every feed writer shares: the channel, the item shape, and safe values.

Writers take anything with the `PublishItem` attributes (the store's `StoredArticle`
among them) so publishing never needs a conversion step, and they clean every string
here so no archived value, however hostile, can make the output unreadable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote, urlsplit

from presswatch.normalize.html import text_to_html
from presswatch.types import Enclosure

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FEED_SUFFIXES = {"rss": "rss", "atom": "atom", "json": "json"}


@dataclass(frozen=True, slots=True)
class Channel:
    """The feed-level metadata; `updated` defaults to the newest item's date."""

    title: str
    link: str | None
    description: str | None = None
    language: str | None = None
    self_url: str | None = None
    updated: datetime | None = None
    generator: str = "presswatch"
    update_period: str | None = None
    update_frequency: int | None = None
    ttl: int | None = None


class PublishItem(Protocol):
    """One article to publish; read-only so frozen dataclasses satisfy it."""

    @property
    def url(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def guid(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def authors(self) -> tuple[str, ...]: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def content_html(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def categories(self) -> tuple[str, ...]: ...
    @property
    def enclosures(self) -> tuple[Enclosure, ...]: ...
    @property
    def republished_from(self) -> str | None: ...
    @property
    def first_seen(self) -> datetime: ...


def clean(value: str | None) -> str:
    """Drop what XML 1.0 cannot carry (C0 controls, U+FFFE/FFFF, lone surrogates)."""
    return _NOT_XML.sub("", value) if value else ""


def utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC, the archive's convention."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def item_date(item: PublishItem) -> datetime:
    """An item without a date of its own is dated by when the archive first saw it."""
    return utc(item.published or item.first_seen)


def rfc3339(value: datetime) -> str:
    return utc(value).isoformat().replace("+00:00", "Z")


def body_html(item: PublishItem) -> str:
    """The item's HTML; text-only articles are shown as escaped paragraphs."""
    return clean(item.content_html) or clean(text_to_html(item.text or ""))


def item_id(item: PublishItem) -> str:
    """A stable id for formats that require one: the guid, the URL, else a tag: URI.

    The tag URI hashes title, text and date, so writing the same archive twice gives
    readers the same ids and they do not show old items as new.
    """
    known = clean(item.guid).strip() or clean(item.url).strip()
    if known:
        return known
    when = item_date(item)
    digest = hashlib.sha256(
        f"{item.title}\x00{item.text}\x00{when.isoformat()}".encode("utf-8", "replace")
    ).hexdigest()
    return f"tag:presswatch,{when:%Y-%m-%d}:{digest[:32]}"


def newest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


# -- topic feeds -------------------------------------------------------------------------


def topic_feed_path(saved_name: str, fmt: str) -> str:
    """Where the web app serves a saved query's feed (web/pages.py), so the feed's self
    link names that place."""
    return f"/topics/{quote(saved_name, safe='')}/feed.{FEED_SUFFIXES[fmt]}"


def topic_page_path(query: str, saved_name: str | None) -> str:
    """The page a topic feed stands for: the saved query's dashboard, else the search."""
    if saved_name:
        return f"/topics/{quote(saved_name, safe='')}"
    return f"/search?q={quote(query, safe='')}"


def checked_base_url(base_url: str | None) -> str | None:
    """The deployment's base URL without its trailing slash; ValueError if it is not an
    absolute http(s) address."""
    if not base_url or not base_url.strip():
        return None
    base = base_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"the base URL must be an absolute http(s) address such as "
            f"https://presswatch.example.org, not {base_url!r}"
        )
    return base


def topic_channel(
    query: str,
    fmt: str,
    *,
    saved_name: str | None,
    saved_text: str | None,
    base_url: str | None,
    languages: Set[str | None],
) -> Channel:
    """The channel of a topic feed: titled by the saved query's name (else the query),
    linked from the configured base URL only, refreshed hourly. Only a saved query's feed
    has an address of its own to name as its self link."""
    base = checked_base_url(base_url)
    shown = saved_text if saved_text is not None else query
    title = saved_name if saved_name else query
    return Channel(
        title=title,
        link=base + topic_page_path(query, saved_name) if base else None,
        description=f"presswatch: the newest articles matching {shown}",
        language=next(iter(languages)) if len(languages) == 1 else None,
        self_url=base + topic_feed_path(saved_name, fmt) if base and saved_name else None,
        update_period="hourly",
        update_frequency=1,
    )
