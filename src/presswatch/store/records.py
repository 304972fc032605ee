"""Plain frozen values the store hands back, so no SQLAlchemy object leaks past it."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from presswatch.types import Enclosure


@dataclass(frozen=True, slots=True)
class IngestCounts:
    """What one batch did to the archive; `skipped_reasons` pairs a reason with its count."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skipped_reasons: tuple[tuple[str, int], ...] = ()

    def __add__(self, other: IngestCounts) -> IngestCounts:
        reasons = dict(self.skipped_reasons)
        for reason, n in other.skipped_reasons:
            reasons[reason] = reasons.get(reason, 0) + n
        return IngestCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.skipped + other.skipped,
            tuple(reasons.items()),
        )


@dataclass(frozen=True, slots=True)
class PackedRaw:
    """Fetched bytes made ready for the blobs table by `pack_raw`, e.g. in a worker process."""

    sha256: str
    size: int
    data: bytes  # zlib stream


def pack_raw(raw: bytes) -> PackedRaw:
    """Hash and compress `raw` away from the writer: the store takes the result as it is.

    Level 1: 4x faster than zlib's default on feed XML, for a ~20% larger blob.
    """
    return PackedRaw(hashlib.sha256(raw).hexdigest(), len(raw), zlib.compress(raw, 1))


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An archived article with the names an analyst reads it by.

    `source` is the title of the feed it was first seen in, else that source's location;
    `feed_url` is that feed's self URL, else its site link.
    """

    id: int
    key: str
    source: str | None
    feed_url: str | None
    guid: str | None
    url: str | None
    original_url: str | None
    title: str
    authors: tuple[str, ...]
    published: datetime | None
    published_raw: str | None
    date_flag: str | None
    updated: datetime | None
    summary: str | None
    text: str
    content_html: str | None
    language: str | None
    republished_from: str | None
    first_seen: datetime
    last_seen: datetime
    categories: tuple[str, ...]
    enclosures: tuple[Enclosure, ...]
    page_text: str | None = None  # the article page's own text, when the feed had a summary

    @property
    def shown_text(self) -> str:
        """The page's text when it was fetched and extracted, else the feed's."""
        return self.page_text or self.text

    @property
    def text_from(self) -> str:
        return "page" if self.page_text else "feed"


@dataclass(frozen=True, slots=True)
class FeedSighting:
    """One feed an article appeared in (its title and self URL or link), under which guid."""

    title: str | None
    url: str | None
    guid: str | None
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """A fetch that brought, changed or last saw an article; `blob_sha256` finds its raw bytes."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    location: str
    status: str
    error: str | None
    blob_sha256: str | None
    purpose: str | None = None  # feed | backfill, for fetches over HTTP
    url: str | None = None  # the address answered, after redirects
    http_status: int | None = None
    elapsed_ms: int | None = None
    bytes: int | None = None  # as received, before decompression
    etag: str | None = None
    last_modified: str | None = None
    items: int = 0
    new: int = 0


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """An earlier text of an article, kept when a later fetch changed it."""

    replaced_at: datetime
    fetch_id: int | None
    title: str
    authors: tuple[str, ...]
    summary: str | None
    text: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    """A stored article with its provenance: the feeds, fetches and earlier texts."""

    article: StoredArticle
    feeds: tuple[FeedSighting, ...]
    fetches: tuple[FetchRecord, ...]
    revisions: tuple[RevisionRecord, ...]
    page: PageRecord | None = None  # the article's own page, when it was fetched
    enrichments: dict[str, dict[str, Any]] = field(default_factory=dict)  # enricher -> row


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One source as the `sources` listing shows it: health and how much it brought."""

    id: int
    location: str
    kind: str
    feed_title: str | None
    articles: int
    added_at: datetime
    last_fetch_at: datetime | None
    last_status: str | None
    last_error: str | None
    fetch_count: int
    error_count: int


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source as the collector sees it: where to fetch, validators, schedule, health."""

    id: int
    location: str  # as the user added it; the source's identity
    kind: str
    url: str | None  # the address fetched now, after a confirmed permanent move
    subscribed: bool
    collection: str | None
    title: str | None
    site_url: str | None
    feed_id: int | None
    etag: str | None
    last_modified: str | None
    next_check_at: datetime | None
    schedule_reason: str | None
    error_streak: int
    retired_at: datetime | None
    retired_reason: str | None
    last_fetch_at: datetime | None
    last_status: str | None
    last_error: str | None
    fetch_count: int = 0

    @property
    def fetch_url(self) -> str:
        return self.url or self.location


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One row of `presswatch sources`: the state plus what it brought lately."""

    state: SourceState
    feed_title: str | None
    articles: int
    per_day: float  # articles published in the last 30 days, per day
    last_http_status: int | None
    coverage: tuple[tuple[datetime | None, datetime], ...]


@dataclass(frozen=True, slots=True)
class PageRecord:
    """An article's own web page, fetched for its full text (or why it could not be)."""

    url: str
    fetched_at: datetime
    status: str  # ok | no-text | error | robots
    http_status: int | None = None
    error: str | None = None
    extractor: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    text: str | None = None
    html: str | None = None
