"""What the rest of presswatch may ask of an archive store, whatever the backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from presswatch.store.records import ArticleDetail, IngestCounts, SourceSummary, StoredArticle
from presswatch.types import Article, ParsedFeed


class Store(Protocol):
    """An archive: upserts keyed by stable identities, reads as plain frozen records.

    Datetimes are timezone-aware UTC both ways. Nothing is ever deleted. Date filters are
    half-open on COALESCE(published, first_seen): since <= t < until.
    """

    def upsert_source(self, location: str, kind: str, now: datetime) -> int: ...

    def upsert_feed(self, key: str, feed: ParsedFeed, now: datetime) -> int: ...

    def begin_fetch(self, source_id: int, now: datetime) -> int: ...

    def finish_fetch(
        self,
        fetch_id: int,
        *,
        status: str,
        error: str | None,
        feed_id: int | None,
        parsed: ParsedFeed | None,
        raw: bytes | None,
        counts: IngestCounts,
        now: datetime,
    ) -> None: ...

    def save_articles(
        self,
        feed_id: int,
        source_id: int,
        fetch_id: int,
        articles: Sequence[Article],
        now: datetime,
    ) -> IngestCounts: ...

    def list_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "newest",
    ) -> list[StoredArticle]: ...

    def iter_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "newest",
    ) -> Iterator[StoredArticle]: ...

    def get_article(self, article_id: int) -> ArticleDetail | None: ...

    def raw_blob(self, sha256: str) -> bytes | None: ...

    def list_sources(self) -> list[SourceSummary]: ...

    def count_articles(self) -> int: ...

    def close(self) -> None: ...
