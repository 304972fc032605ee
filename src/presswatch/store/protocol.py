"""What the rest of presswatch may ask of an archive store, whatever the backend."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from presswatch.enrich.base import EnrichInput, EnrichResult
from presswatch.enrich.model import Entity, Mention, Quote
from presswatch.search.documents import SearchSource
from presswatch.store.access import AccessStore
from presswatch.store.records import (
    ArticleDetail,
    FetchRecord,
    IngestCounts,
    PackedRaw,
    PageRecord,
    SourceHealth,
    SourceState,
    SourceSummary,
    StoredArticle,
)
from presswatch.store.views import ViewStore
from presswatch.types import Article, ParsedFeed


class Store(AccessStore, ViewStore, Protocol):
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
        items: int | None = None,
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

    # Live collection (store/polling.py).
    def subscribe(
        self,
        location: str,
        *,
        now: datetime,
        collection: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
    ) -> tuple[int, bool]: ...

    def source_states(self, *, subscribed_only: bool = True) -> list[SourceState]: ...

    def source_state(self, source_id: int) -> SourceState | None: ...

    def find_sources(self, needle: str) -> list[SourceState]: ...

    def due_sources(self, now: datetime) -> list[SourceState]: ...

    def next_due(self) -> datetime | None: ...

    def update_source(self, source_id: int, **values: Any) -> None: ...

    def set_fetch_http(
        self,
        fetch_id: int,
        *,
        purpose: str,
        url: str,
        http_status: int | None,
        elapsed_ms: int,
        received: int,
        etag: str | None,
        last_modified: str | None,
    ) -> None: ...

    def source_health(self, now: datetime) -> list[SourceHealth]: ...

    def fetch_history(self, source_id: int, limit: int = 20) -> list[FetchRecord]: ...

    def host_backoff(self, now: datetime) -> dict[str, datetime]: ...

    def save_host_backoff(self, backoff: Mapping[str, datetime]) -> None: ...

    def seen_pages(self, source_id: int) -> dict[str, str | None]: ...

    def record_page(
        self,
        source_id: int,
        url: str,
        page: int,
        *,
        fetched_at: datetime,
        status: str,
        items: int,
        new: int,
        oldest: datetime | None,
        newest: datetime | None,
        older_url: str | None = None,
    ) -> None: ...

    def coverage(self, source_id: int) -> list[tuple[datetime | None, datetime, str]]: ...

    def add_coverage(
        self, source_id: int, start: datetime | None, end: datetime, how: str, now: datetime
    ) -> None: ...

    def feed_rhythm(self, feed_id: int) -> dict[str, Any]: ...

    def recent_published(self, feed_id: int, limit: int = 20) -> list[datetime]: ...

    def article_ids_for_keys(self, keys: Sequence[str]) -> dict[str, int]: ...

    def articles_with_pages(self, ids: Sequence[int], now: datetime) -> set[int]: ...

    def pages_due(self, feed_id: int, now: datetime, limit: int) -> list[tuple[int, str]]: ...

    def save_page(self, article_id: int, page: PageRecord) -> None: ...

    def get_page(self, article_id: int) -> PageRecord | None: ...

    # Enrichment (store/enrichment.py).
    def due_for_enrichment(
        self,
        enricher: str,
        version: str,
        *,
        after: int = 0,
        limit: int = 500,
        redo_before: datetime | None = None,
    ) -> list[int]: ...

    def count_due_for_enrichment(self, enricher: str, version: str) -> int: ...

    def enrich_inputs(self, ids: Sequence[int]) -> list[EnrichInput]: ...

    def save_enrichments(
        self,
        enricher: str,
        version: str,
        results: Sequence[EnrichResult],
        hashes: dict[int, str],
        now: datetime,
    ) -> None: ...

    def enrichments_of(self, article_id: int) -> dict[str, dict[str, Any]]: ...

    def near_signatures(self, batch: int = 5_000) -> Iterator[list[tuple[int, bytes]]]: ...

    def save_near(
        self,
        article_id: int,
        signature: bytes | None,
        pairs: Sequence[tuple[int, float, float, int, bool]],
    ) -> None: ...

    def near_pairs_around(
        self, ids: Sequence[int], hops: int = 3
    ) -> list[tuple[int, int, float, float, int, bool]]: ...

    def cluster_members(
        self, ids: Sequence[int]
    ) -> list[tuple[int, Any, str, str | None, str | None]]: ...

    # Entities and quotes (store/entities.py).
    def save_entities(
        self,
        article_id: int,
        found: Sequence[Entity],
        spans: Sequence[Mention],
        said: Sequence[Quote],
    ) -> None: ...

    def fold_people(self) -> int: ...

    def find_entities(self, name: str) -> list[tuple[int, str, str]]: ...

    def entity_ids_for(self, name: str) -> list[int]: ...

    def articles_mentioning(self, entity_ids: Sequence[int]) -> list[int]: ...

    def top_entities(
        self, article_ids: Sequence[int] | None, limit: int = 20
    ) -> list[tuple[str, str, int, int]]: ...

    def entity_aliases_of(self, entity_id: int) -> list[tuple[str, str | None]]: ...

    def entity_timeline(self, entity_id: int) -> list[tuple[str, int]]: ...

    def co_mentioned(self, entity_id: int, limit: int = 15) -> list[tuple[str, str, int]]: ...

    def entity_sources(self, entity_id: int, limit: int = 10) -> list[tuple[str, int]]: ...

    def find_quotes(
        self,
        *,
        speaker_ids: Sequence[int] | None = None,
        article_ids: Sequence[int] | None = None,
        limit: int = 50,
    ) -> list[tuple[int, str, str | None, datetime | None, str]]: ...

    def article_entities(self, article_id: int) -> list[tuple[str, str, int]]: ...

    def close(self) -> None: ...
