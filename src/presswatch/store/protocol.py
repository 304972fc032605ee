"""What the rest of presswatch may ask of an archive store, whatever the backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from presswatch.search.documents import SearchSource
from presswatch.store.records import (
    ArticleDetail,
    IngestCounts,
    PackedRaw,
    SourceSummary,
    StoredArticle,
)
from presswatch.types import Article, ParsedFeed


class Store(Protocol):
    """An archive: upserts keyed by stable identities, reads as plain frozen records.

    Datetimes are timezone-aware UTC both ways. Nothing is ever deleted. Date filters are
    half-open on COALESCE(published, first_seen): since <= t < until.
    """

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""

    @property
    def target(self) -> str:
        """The path or URL the archive was opened from."""

    def transaction(self) -> AbstractContextManager[None]:
        """A block whose calls share one connection and one transaction (this thread's).

        The outermost block commits at its end and rolls back if it raises; a nested
        block is a savepoint, undone alone if it raises. Outside a block every call is
        its own transaction. A call that raises inside a block may leave part of its
        work there: let the exception leave the block (or a nested one).
        """
        ...

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
        raw: bytes | PackedRaw | None,
        counts: IngestCounts,
        now: datetime,
    ) -> None: ...

    def record_failed_fetch(
        self,
        location: str,
        kind: str,
        *,
        error: str,
        parsed: ParsedFeed | None,
        raw: bytes | PackedRaw | None,
        started_at: datetime,
        now: datetime,
    ) -> int:
        """Source upserted, and a fetch inserted already finished with status 'error'.

        For after a rolled-back block, whose begin_fetch row is gone with it.
        """
        ...

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

    def articles_by_ids(self, ids: Sequence[int]) -> list[StoredArticle]:
        """The articles named, in the order named; unknown ids are left out."""

    def article_texts(self, ids: Sequence[int]) -> list[str]: ...

    # The search index's change log (filled by triggers in the writing transaction).
    def pending_search_ids(self, limit: int, after: int = 0) -> list[int]: ...

    def count_search_pending(self) -> int: ...

    def clear_search_pending(self, ids: Sequence[int]) -> None: ...

    def search_sources(self, ids: Sequence[int]) -> list[SearchSource]: ...

    def iter_search_sources(self, batch: int = 2_000) -> Iterator[list[SearchSource]]: ...

    def save_query(self, name: str, query: str, now: datetime) -> None: ...

    def get_query(self, name: str) -> str | None: ...

    def list_queries(self) -> list[tuple[str, str, datetime]]: ...

    def delete_query(self, name: str) -> bool: ...

    def close(self) -> None: ...
