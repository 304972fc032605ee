"""The archive store on SQLAlchemy Core, one implementation for SQLite and PostgreSQL.

The only backend-specific piece here is the dialect's INSERT (both offer the same
ON CONFLICT API); types and transactions are settled in columns.py and engine.py.
`save_articles` is the hot path: a fixed number of statements per batch, never one
round trip per article.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import datetime
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    and_,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from presswatch.errors import ArchiveError
from presswatch.search.documents import SearchSource
from presswatch.store.access import AccessTables
from presswatch.store.bulk import CONTENT, Bulk
from presswatch.store.bulk import Row as Values
from presswatch.store.columns import fold, strip_nul
from presswatch.store.engine import WRITE, explain_failure
from presswatch.store.enrichment import EnrichmentTables
from presswatch.store.entities import EntityTables
from presswatch.store.polling import FETCH_COLUMNS, PollingTables
from presswatch.store.prepared import Prepared
from presswatch.store.records import (
    ArticleDetail,
    FeedSighting,
    FetchRecord,
    IngestCounts,
    PackedRaw,
    RevisionRecord,
    SourceSummary,
    StoredArticle,
    pack_raw,
)
from presswatch.store.schema import (
    article_feeds,
    article_pages,
    articles,
    blobs,
    entity_aliases,
    feeds,
    fetches,
    mentions,
    revisions,
    saved_queries,
    search_pending,
    sources,
)
from presswatch.store.views import ViewTables
from presswatch.types import Article, Enclosure, ParsedFeed

DUPLICATE_IN_BATCH = "duplicate item in the same feed"
SOURCE_KINDS = frozenset({"file", "stdin", "url"})
FETCH_STATUSES = frozenset({"ok", "partial", "error", "unchanged"})
ORDERS = frozenset({"newest", "oldest"})
_PAGE = 500  # rows per page when iterating
_WRITE_ATTEMPTS = 3  # a concurrent writer may insert the same key between SELECT and INSERT
_ENCLOSURE_FIELDS = tuple(f.name for f in fields(Enclosure))

T = TypeVar("T")

_sort_key = func.coalesce(articles.c.published, articles.c.first_seen)
# the article's own page, when its text was extracted: shown and searched in the feed's place
_shown_page = (
    select(article_pages.c.article_id, article_pages.c.text)
    .where(article_pages.c.status == "ok")
    .subquery("shown_page")
)


class SQLStore(PollingTables, EnrichmentTables, EntityTables, AccessTables, ViewTables):
    """The `Store` for both backends; open it with `presswatch.store.open_store`."""

    def __init__(self, engine: Engine, target: str) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self._target = target
        self._dialect: ModuleType = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._bulk = Bulk.for_dialect(engine.dialect)
        self._sql = Prepared.build(self._dialect)
        self._block = threading.local()  # .conn: this thread's open transaction() connection
        # A savepoint per call inside a block lets PostgreSQL retry a key a concurrent writer
        # won. SQLite needs none (BEGIN IMMEDIATE: one writer at a time) and would pay for
        # one in a sub-journal copy of every page the call touches.
        self._savepoints = engine.dialect.name == "postgresql"

    @property
    def backend(self) -> str:
        return self._engine.dialect.name

    @property
    def target(self) -> str:
        """The path or URL this archive was opened from."""
        return self._target

    def close(self) -> None:
        self._engine.dispose()

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise explain_failure(self._target, exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the store calls inside the block on one connection, in one transaction.

        One commit per document instead of one per call. The outermost block commits when
        it ends and rolls back if it raises (the exception goes on; a database failure as
        ArchiveError). Ids handed out inside a rolled-back block name nothing. A block
        nested in it is a savepoint: if it raises, only its own work is undone and the
        outer block may go on and commit. Calls inside read the block's own writes. A
        call that raises may leave part of its work in the block, so let its exception
        leave the block (or a nested one). The block belongs to the thread that opened
        it; on SQLite it holds the write lock until it ends.
        """
        conn: Connection | None = getattr(self._block, "conn", None)
        with self._failures():
            if conn is not None:
                with conn.begin_nested():
                    yield
                return
            with self._writer.begin() as conn:
                self._block.conn = conn
                try:
                    yield
                finally:
                    self._block.conn = None

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction, retrying if a concurrent writer won a key.

        Inside `transaction()` it joins the block's transaction (in a savepoint on
        PostgreSQL, so a lost race is retried without losing the block).
        """
        block: Connection | None = getattr(self._block, "conn", None)
        with self._failures():
            if block is not None and not self._savepoints:
                return work(block)
            for attempt in range(_WRITE_ATTEMPTS):
                try:
                    if block is not None:
                        with block.begin_nested():
                            return work(block)
                    with self._writer.begin() as conn:
                        return work(conn)
                except IntegrityError:
                    if attempt == _WRITE_ATTEMPTS - 1:
                        raise
        raise AssertionError("unreachable")

    def write(self, work: Callable[[Connection], T]) -> T:
        """`work` in a write transaction (the current block's, if any): for search/pg_index."""
        return self._write(work)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection to read with (the current block's, if any): for search/pg_index."""
        with self._failures(), self._read() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """The block's connection inside `transaction()` (so it reads its own writes)."""
        block: Connection | None = getattr(self._block, "conn", None)
        if block is not None:
            yield block
            return
        with self._engine.connect() as conn:
            yield conn

    # -- sources, feeds, fetches --------------------------------------------------------

    def upsert_source(self, location: str, kind: str, now: datetime) -> int:
        if kind not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {sorted(SOURCE_KINDS)}, not {kind!r}")
        row = {"v_location": location, "v_kind": kind, "v_added_at": now}
        sql = self._sql

        def work(conn: Connection) -> int:
            found = conn.execute(sql.find_source, row).scalar()
            return int(found or conn.execute(sql.insert_source, row).scalar_one())

        return self._write(work)

    def upsert_feed(self, key: str, feed: ParsedFeed, now: datetime) -> int:
        meta: dict[str, Any] = {
            "title": feed.title,
            "link": feed.link,
            "link_host": _host(feed.link),
            "self_url": feed.self_link,
            "description": feed.description,
            "language": feed.language,
            "generator": feed.generator,
            "format": feed.format,
            "ttl": feed.ttl,
            "update_period": feed.update_period,
            "update_frequency": feed.update_frequency,
            "update_base": feed.update_base,
            "skip_hours": list(feed.skip_hours) or None,
            "skip_days": list(feed.skip_days) or None,
            "next_url": feed.next_link,
            "prev_archive_url": feed.prev_archive_link,
            "image": feed.image,
            "updated_raw": feed.updated_raw,
        }
        row = {f"v_{name}": value for name, value in meta.items()}
        row.update(v_key=key, v_first_seen=now, v_last_seen=now)
        sql = self._sql

        def work(conn: Connection) -> int:
            found = conn.execute(sql.find_feed, row).scalar()
            if found is None:
                return int(conn.execute(sql.insert_feed, row).scalar_one())
            conn.execute(sql.refresh_feed, {**row, "v_id": found})
            return int(found)

        return self._write(work)

    def begin_fetch(self, source_id: int, now: datetime) -> int:
        row = {"v_source_id": source_id, "v_started_at": now}
        return self._write(lambda conn: int(conn.execute(self._sql.insert_fetch, row).scalar_one()))

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
    ) -> None:
        if status not in FETCH_STATUSES:
            raise ValueError(
                f"fetch status must be one of {sorted(FETCH_STATUSES)}, not {status!r}"
            )
        digest = (
            None
            if raw is None
            else raw.sha256
            if isinstance(raw, PackedRaw)
            else hashlib.sha256(raw).hexdigest()
        )
        outcome = {
            "v_id": fetch_id,
            "v_finished_at": now,
            "v_status": status,
            "v_error": error,
            "v_feed_id": feed_id,
            "v_format": parsed.format if parsed else None,
            "v_parser": (parsed.parser or None) if parsed else None,
            "v_encoding": parsed.encoding if parsed else None,
            "v_encoding_reason": parsed.encoding_reason if parsed else None,
            "v_problems": list(parsed.problems) if parsed else None,
            "v_blob_sha256": digest,
            # parsed feeds shipped from worker processes travel without their entries
            "v_items": items if items is not None else len(parsed.entries) if parsed else 0,
            "v_new": counts.new,
            "v_updated": counts.updated,
            "v_unchanged": counts.unchanged,
            "v_skipped": counts.skipped,
            "v_skipped_reasons": [list(pair) for pair in counts.skipped_reasons],
        }
        health = {
            "v_last_fetch_at": now,
            "v_last_status": status,
            "v_last_error": error,
            "v_error_count": 1 if status == "error" else 0,
            "v_feed_id": feed_id,
        }
        sql = self._sql

        def work(conn: Connection) -> None:
            if raw is not None and digest is not None:
                self._keep_blob(conn, digest, raw)
            source_id = conn.execute(sql.finish_fetch, outcome).scalar_one_or_none()
            if source_id is None:
                raise ArchiveError(f"no fetch {fetch_id} in this archive to finish")
            conn.execute(sql.count_fetch, {**health, "v_id": source_id})

        self._write(work)

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
        """Record a failed read of `location` as one finished fetch; return its id.

        The failure path of a `transaction()` block: when the block rolls back, its source,
        fetch and articles go with it, and this writes the failure (source health, error,
        raw bytes) on its own, in one transaction. Inside a block it is a savepoint.
        """
        with self.transaction():
            source_id = self.upsert_source(location, kind, started_at)
            fetch_id = self.begin_fetch(source_id, started_at)
            self.finish_fetch(
                fetch_id,
                status="error",
                error=error,
                feed_id=None,
                parsed=parsed,
                raw=raw,
                counts=IngestCounts(),
                now=now,
            )
        return fetch_id

    def _keep_blob(self, conn: Connection, digest: str, raw: bytes | PackedRaw) -> None:
        if conn.execute(self._sql.find_blob, {"v_sha256": digest}).first() is None:
            packed = raw if isinstance(raw, PackedRaw) else pack_raw(raw)
            row = {"v_sha256": digest, "v_size": packed.size, "v_data": packed.data}
            conn.execute(self._sql.insert_blob, row)

    def raw_blob(self, sha256: str) -> bytes | None:
        with self._failures(), self._read() as conn:
            data = conn.execute(select(blobs.c.data).where(blobs.c.sha256 == sha256)).scalar()
        return None if data is None else zlib.decompress(data)

    # -- articles: the hot path ---------------------------------------------------------

    def save_articles(
        self,
        feed_id: int,
        source_id: int,
        fetch_id: int,
        articles: Sequence[Article],
        now: datetime,
    ) -> IngestCounts:
        batch: dict[str, Article] = {}
        duplicates = 0
        for article in articles:
            key = strip_nul(article.key)
            if key in batch:
                duplicates += 1
            else:
                batch[key] = article
        new, changed, unchanged = self._write(
            lambda conn: self._save(conn, feed_id, source_id, fetch_id, batch, now)
        )
        return IngestCounts(
            new=new,
            updated=changed,
            unchanged=unchanged,
            skipped=duplicates,
            skipped_reasons=((DUPLICATE_IN_BATCH, duplicates),) if duplicates else (),
        )

    def _save(
        self,
        conn: Connection,
        feed_id: int,
        source_id: int,
        fetch_id: int,
        batch: dict[str, Article],
        now: datetime,
    ) -> tuple[int, int, int]:
        if not batch:
            return 0, 0, 0
        bulk = self._bulk
        bound_now = bulk.bind_time(now)
        keys = list(batch)
        existing = bulk.existing(conn, keys)
        fresh = [key for key in keys if key not in existing]
        ids = (
            bulk.insert(
                conn,
                fresh,
                [bulk.content(batch[key]) for key in fresh],
                bound_now,
                (feed_id, source_id, fetch_id),
            )
            if fresh
            else {}
        )
        changed: list[tuple[int, Values]] = []
        same: list[int] = []
        for key, (id_, digest) in existing.items():
            ids[key] = id_
            article = batch[key]
            if digest == article.content_hash:
                same.append(id_)
            else:
                changed.append((id_, bulk.content(article)))
        if changed:
            bulk.revise(conn, changed, fetch_id, bound_now)
        if same:
            bulk.touch(conn, same, bound_now)
        bulk.link(
            conn,
            feed_id,
            fetch_id,
            bound_now,
            [(ids[key], strip_nul(a.guid), a.position) for key, a in batch.items()],
        )
        return len(fresh), len(changed), len(same)

    # -- reading articles ---------------------------------------------------------------

    def count_articles(self) -> int:
        with self._failures(), self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(articles)).scalar_one())

    def list_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "newest",
    ) -> list[StoredArticle]:
        query = _ordered(_filtered(_article_select(), since, until, source), order)
        query = query.offset(offset or None).limit(limit)
        with self._failures(), self._read() as conn:
            return [_stored(row) for row in conn.execute(query)]

    def iter_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "newest",
    ) -> Iterator[StoredArticle]:
        """Like `list_articles`, in keyset pages: bounded memory, no connection held between."""
        base = _ordered(_filtered(_article_select(), since, until, source), order)
        newest = order == "newest"
        remaining = limit
        after: tuple[datetime, int] | None = None
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            query = base.limit(size)
            if after is None:
                query = query.offset(offset or None)
            else:
                last_key, last_id = after
                beyond = (_sort_key < last_key) if newest else (_sort_key > last_key)
                tie = (articles.c.id < last_id) if newest else (articles.c.id > last_id)
                query = query.where(or_(beyond, and_(_sort_key == last_key, tie)))
            with self._failures(), self._read() as conn:
                rows = conn.execute(query).all()
            yield from (_stored(row) for row in rows)
            if len(rows) < size:
                return
            after = (rows[-1].sort_key, rows[-1].id)
            if remaining is not None:
                remaining -= len(rows)

    def get_article(self, article_id: int) -> ArticleDetail | None:
        with self._failures(), self._read() as conn:
            row = conn.execute(_article_select().where(articles.c.id == article_id)).first()
            if row is None:
                return None
            seen = conn.execute(
                select(
                    feeds.c.title,
                    func.coalesce(feeds.c.self_url, feeds.c.link),
                    article_feeds.c.guid,
                    article_feeds.c.first_seen,
                    article_feeds.c.last_seen,
                )
                .join(feeds, feeds.c.id == article_feeds.c.feed_id)
                .where(article_feeds.c.article_id == article_id)
                .order_by(article_feeds.c.first_seen, article_feeds.c.feed_id)
            ).all()
            fetch_ids = union(
                select(articles.c.fetch_id).where(articles.c.id == article_id),
                select(article_feeds.c.fetch_id).where(article_feeds.c.article_id == article_id),
                select(revisions.c.fetch_id).where(revisions.c.article_id == article_id),
            ).subquery()
            runs = conn.execute(
                select(
                    fetches.c.id,
                    fetches.c.started_at,
                    fetches.c.finished_at,
                    sources.c.location,
                    *FETCH_COLUMNS,
                )
                .join(sources, sources.c.id == fetches.c.source_id)
                .where(fetches.c.id.in_(select(fetch_ids.c[0])))
                .order_by(fetches.c.started_at, fetches.c.id)
            ).all()
            earlier = conn.execute(
                select(
                    revisions.c.replaced_at,
                    revisions.c.fetch_id,
                    revisions.c.title,
                    revisions.c.authors,
                    revisions.c.summary,
                    revisions.c.text,
                    revisions.c.content_hash,
                )
                .where(revisions.c.article_id == article_id)
                .order_by(revisions.c.replaced_at, revisions.c.id)
            ).all()
        return ArticleDetail(
            page=self.get_page(article_id),
            enrichments=self.enrichments_of(article_id),
            article=_stored(row),
            feeds=tuple(FeedSighting(*r) for r in seen),
            fetches=tuple(FetchRecord(*r) for r in runs),
            revisions=tuple(
                RevisionRecord(r[0], r[1], r[2], tuple(r[3] or ()), r[4], r[5], r[6])
                for r in earlier
            ),
        )

    # -- sources ------------------------------------------------------------------------

    def list_sources(self) -> list[SourceSummary]:
        """Each source with the distinct articles its feeds (or it, first) brought."""
        source_feeds = union(
            select(fetches.c.source_id, fetches.c.feed_id).where(fetches.c.feed_id.is_not(None)),
            select(sources.c.id, sources.c.feed_id).where(sources.c.feed_id.is_not(None)),
        ).subquery()
        links = union(
            select(source_feeds.c.source_id, article_feeds.c.article_id).join(
                article_feeds, article_feeds.c.feed_id == source_feeds.c.feed_id
            ),
            select(articles.c.source_id, articles.c.id),
        ).subquery()
        counted = (
            select(links.c.source_id, func.count().label("n"))
            .group_by(links.c.source_id)
            .subquery()
        )
        query = (
            select(
                sources.c.id,
                sources.c.location,
                sources.c.kind,
                feeds.c.title,
                func.coalesce(counted.c.n, 0),
                sources.c.added_at,
                sources.c.last_fetch_at,
                sources.c.last_status,
                sources.c.last_error,
                sources.c.fetch_count,
                sources.c.error_count,
            )
            .outerjoin(feeds, feeds.c.id == sources.c.feed_id)
            .outerjoin(counted, counted.c.source_id == sources.c.id)
            .order_by(sources.c.location)
        )
        with self._failures(), self._read() as conn:
            return [SourceSummary(*row) for row in conn.execute(query)]

    def articles_by_ids(self, ids: Sequence[int]) -> list[StoredArticle]:
        """The articles named, in the order named; ids that name nothing are left out."""
        found: dict[int, StoredArticle] = {}
        with self._failures(), self._read() as conn:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                query = _article_select().where(articles.c.id.in_(chunk))
                found.update((row.id, _stored(row)) for row in conn.execute(query))
        return [found[i] for i in ids if i in found]

    # -- search support -----------------------------------------------------------------

    def article_texts(self, ids: Sequence[int]) -> list[str]:
        """Title and text of each named article (for top terms), in no particular order."""
        texts: list[str] = []
        with self._failures(), self._read() as conn:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                query = select(articles.c.title, articles.c.text).where(articles.c.id.in_(chunk))
                texts.extend(f"{row.title}\n{row.text}" for row in conn.execute(query))
        return texts

    def pending_search_ids(self, limit: int, after: int = 0) -> list[int]:
        """Ids waiting for the search index, in order.

        Inside a `transaction()` block on PostgreSQL the ids are also claimed: locked until
        the block ends, and ids another block has claimed are skipped. So catch-ups in
        several processes (workers) split the log between them instead of each indexing
        all of it, and one never waits for or deadlocks with another over the same rows.
        On SQLite the block's write lock already keeps a second catch-up out.
        """
        query = (
            select(search_pending.c.article_id)
            .where(search_pending.c.article_id > after)
            .order_by(search_pending.c.article_id)
            .limit(limit)
        )
        if self._savepoints and getattr(self._block, "conn", None) is not None:
            query = query.with_for_update(skip_locked=True)
        with self._failures(), self._read() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def count_search_pending(self) -> int:
        with self._failures(), self._read() as conn:
            query = select(func.count()).select_from(search_pending)
            return int(conn.execute(query).scalar_one())

    def clear_search_pending(self, ids: Sequence[int]) -> None:
        def work(conn: Connection) -> None:
            for chunk in _chunks(list(ids)):
                conn.execute(search_pending.delete().where(search_pending.c.article_id.in_(chunk)))

        self._write(work)

    def search_sources(self, ids: Sequence[int]) -> list[SearchSource]:
        """What the search index needs of each named article, in id order."""
        rows: list[SearchSource] = []
        with self._failures(), self._read() as conn:
            for chunk in _chunks(sorted(set(ids))):
                query = _search_select().where(articles.c.id.in_(chunk)).order_by(articles.c.id)
                rows.extend(_with_entities(conn, [_search_source(r) for r in conn.execute(query)]))
        return rows

    def iter_search_sources(self, batch: int = 2_000) -> Iterator[list[SearchSource]]:
        """Every article, in id order, `batch` at a time (for a full reindex)."""
        after = 0
        while True:
            query = (
                _search_select().where(articles.c.id > after).order_by(articles.c.id).limit(batch)
            )
            with self._failures(), self._read() as conn:
                rows = _with_entities(conn, [_search_source(row) for row in conn.execute(query)])
            if not rows:
                return
            yield rows
            after = rows[-1].id

    # -- saved queries ------------------------------------------------------------------

    def save_query(self, name: str, query: str, now: datetime) -> None:
        def work(conn: Connection) -> None:
            stmt = self._dialect.insert(saved_queries).values(
                name=name, query=query, created_at=now, updated_at=now
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[saved_queries.c.name],
                    set_={"query": query, "updated_at": now},
                )
            )

        self._write(work)

    def get_query(self, name: str) -> str | None:
        with self._failures(), self._read() as conn:
            found = conn.execute(
                select(saved_queries.c.query).where(saved_queries.c.name == name)
            ).scalar_one_or_none()
            return None if found is None else str(found)

    def list_queries(self) -> list[tuple[str, str, datetime]]:
        """(name, query, updated_at) for every saved query, by name."""
        query = select(
            saved_queries.c.name, saved_queries.c.query, saved_queries.c.updated_at
        ).order_by(saved_queries.c.name)
        with self._failures(), self._read() as conn:
            return [(r.name, r.query, r.updated_at) for r in conn.execute(query)]

    def delete_query(self, name: str) -> bool:
        def work(conn: Connection) -> bool:
            done = conn.execute(saved_queries.delete().where(saved_queries.c.name == name))
            return bool(done.rowcount)

        return self._write(work)


# -- helpers --------------------------------------------------------------------------

_IN_CHUNK = 900  # under SQLite's default limit of bound parameters per statement


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _search_select() -> Select[Any]:
    return select(
        articles.c.id,
        articles.c.title,
        func.coalesce(_shown_page.c.text, articles.c.text).label("text"),
        articles.c.authors,
        articles.c.url,
        articles.c.original_url,
        articles.c.language,
        articles.c.republished_from,
        articles.c.published,
        articles.c.first_seen,
        feeds.c.title.label("feed_title"),
        feeds.c.link.label("feed_link"),
        sources.c.location.label("source_location"),
    ).select_from(
        articles.outerjoin(feeds, feeds.c.id == articles.c.feed_id)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .outerjoin(_shown_page, _shown_page.c.article_id == articles.c.id)
    )


def _with_entities(conn: Connection, rows: list[SearchSource]) -> list[SearchSource]:
    """The same rows with the names of the entities each mentions (every alias), so
    entity: finds an article by any name of what it mentions."""
    if not rows:
        return rows
    names: dict[int, list[str]] = {}
    query = (
        select(mentions.c.article_id, entity_aliases.c.alias)
        .join(entity_aliases, entity_aliases.c.entity_id == mentions.c.entity_id)
        .where(mentions.c.article_id.in_([r.id for r in rows]))
        .distinct()
        .order_by(mentions.c.article_id, entity_aliases.c.alias)
    )
    for article_id, alias in conn.execute(query):
        names.setdefault(int(article_id), []).append(str(alias))
    return [replace(r, entities=tuple(names[r.id])) if r.id in names else r for r in rows]


def _search_source(row: Row[Any]) -> SearchSource:
    m = row._mapping
    return SearchSource(
        id=m["id"],
        title=m["title"],
        text=m["text"],
        authors=tuple(m["authors"] or ()),
        url=m["url"],
        original_url=m["original_url"],
        language=m["language"],
        republished_from=m["republished_from"],
        published=m["published"],
        first_seen=m["first_seen"],
        feed_title=m["feed_title"],
        feed_link=m["feed_link"],
        source_location=m["source_location"] or "",
    )


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _article_select() -> Select[Any]:
    return select(
        articles.c.id,
        articles.c.key,
        func.coalesce(feeds.c.title, sources.c.location).label("source"),
        func.coalesce(feeds.c.self_url, feeds.c.link).label("feed_url"),
        *(articles.c[name] for name in CONTENT),
        articles.c.first_seen,
        articles.c.last_seen,
        _sort_key.label("sort_key"),
        _shown_page.c.text.label("page_text"),
    ).select_from(
        articles.outerjoin(feeds, feeds.c.id == articles.c.feed_id)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .outerjoin(_shown_page, _shown_page.c.article_id == articles.c.id)
    )


def _filtered(
    query: Select[Any], since: datetime | None, until: datetime | None, source: str | None
) -> Select[Any]:
    if since is not None:
        query = query.where(_sort_key >= since)
    if until is not None:
        query = query.where(_sort_key < until)
    if source:
        needle = source.lower()
        named_sources = select(sources.c.id).where(
            fold(sources.c.location).contains(needle, autoescape=True)
        )
        named_feeds = union(
            select(feeds.c.id).where(
                or_(
                    fold(feeds.c.title).contains(needle, autoescape=True),
                    fold(feeds.c.link_host).contains(needle, autoescape=True),
                )
            ),
            select(fetches.c.feed_id).where(
                fetches.c.source_id.in_(named_sources), fetches.c.feed_id.is_not(None)
            ),
        )
        query = query.where(
            or_(
                articles.c.source_id.in_(named_sources),
                articles.c.id.in_(
                    select(article_feeds.c.article_id).where(
                        article_feeds.c.feed_id.in_(named_feeds)
                    )
                ),
            )
        )
    return query


def _ordered(query: Select[Any], order: str) -> Select[Any]:
    if order not in ORDERS:
        raise ValueError(f"order must be 'newest' or 'oldest', not {order!r}")
    if order == "newest":
        return query.order_by(_sort_key.desc(), articles.c.id.desc())
    return query.order_by(_sort_key.asc(), articles.c.id.asc())


def _stored(row: Row[Any]) -> StoredArticle:
    m = row._mapping
    return StoredArticle(
        id=m["id"],
        key=m["key"],
        source=m["source"],
        feed_url=m["feed_url"],
        guid=m["guid"],
        url=m["url"],
        original_url=m["original_url"],
        title=m["title"],
        authors=tuple(m["authors"] or ()),
        published=m["published"],
        published_raw=m["published_raw"],
        date_flag=m["date_flag"],
        updated=m["updated"],
        summary=m["summary"],
        text=m["text"],
        content_html=m["content_html"],
        language=m["language"],
        republished_from=m["republished_from"],
        first_seen=m["first_seen"],
        last_seen=m["last_seen"],
        categories=tuple(m["categories"] or ()),
        enclosures=tuple(
            Enclosure(**{k: v for k, v in enc.items() if k in _ENCLOSURE_FIELDS})
            for enc in m["enclosures"] or ()
        ),
        page_text=m["page_text"],
    )
