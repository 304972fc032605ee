"""The archive store on SQLAlchemy Core, one implementation for SQLite and PostgreSQL.

The only backend-specific piece here is the dialect's INSERT (both offer the same
ON CONFLICT API); types and transactions are settled in columns.py and engine.py.
`save_articles` is the hot path: a fixed number of statements per batch, never one
round trip per article.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
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
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from presswatch.errors import ArchiveError
from presswatch.store.columns import UTCDateTime, fold, strip_nul
from presswatch.store.engine import WRITE, explain_failure
from presswatch.store.records import (
    ArticleDetail,
    FeedSighting,
    FetchRecord,
    IngestCounts,
    RevisionRecord,
    SourceSummary,
    StoredArticle,
)
from presswatch.store.schema import (
    article_feeds,
    articles,
    blobs,
    feeds,
    fetches,
    revisions,
    sources,
)
from presswatch.types import Article, Enclosure, ParsedFeed

DUPLICATE_IN_BATCH = "duplicate item in the same feed"
SOURCE_KINDS = frozenset({"file", "stdin", "url"})
FETCH_STATUSES = frozenset({"ok", "partial", "error"})
ORDERS = frozenset({"newest", "oldest"})
_CHUNK = 500  # keys per IN (...): far below SQLite's bound-variable limit
_PAGE = 500  # rows per page when iterating
_WRITE_ATTEMPTS = 3  # a concurrent writer may insert the same key between SELECT and INSERT
_ENCLOSURE_FIELDS = tuple(f.name for f in fields(Enclosure))

T = TypeVar("T")

_sort_key = func.coalesce(articles.c.published, articles.c.first_seen)
_CONTENT_COLUMNS = (
    "url",
    "original_url",
    "guid",
    "title",
    "authors",
    "published",
    "published_raw",
    "date_flag",
    "updated",
    "summary",
    "content_html",
    "text",
    "language",
    "republished_from",
    "categories",
    "enclosures",
    "content_hash",
)
_REVISED_COLUMNS = ("title", "authors", "summary", "content_html", "text", "content_hash")


class SQLStore:
    """The `Store` for both backends; open it with `presswatch.store.open_store`."""

    def __init__(self, engine: Engine, target: str) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self._target = target
        self._dialect: ModuleType = postgresql if engine.dialect.name == "postgresql" else sqlite

    @property
    def backend(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise explain_failure(self._target, exc) from exc

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction, retrying if a concurrent writer won a key."""
        with self._failures():
            for attempt in range(_WRITE_ATTEMPTS):
                try:
                    with self._writer.begin() as conn:
                        return work(conn)
                except IntegrityError:
                    if attempt == _WRITE_ATTEMPTS - 1:
                        raise
        raise AssertionError("unreachable")

    def _read(self) -> AbstractContextManager[Connection]:
        return self._engine.connect()

    # -- sources, feeds, fetches --------------------------------------------------------

    def upsert_source(self, location: str, kind: str, now: datetime) -> int:
        if kind not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {sorted(SOURCE_KINDS)}, not {kind!r}")
        stmt = self._dialect.insert(sources).values(
            location=location,
            kind=kind,
            added_at=now,
            fetch_count=0,
            error_count=0,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[sources.c.location], set_={"kind": sources.c.kind}
        ).returning(sources.c.id)

        def work(conn: Connection) -> int:
            # Look first: on PostgreSQL every ON CONFLICT attempt burns a sequence number.
            found = conn.execute(select(sources.c.id).where(sources.c.location == location))
            return int(found.scalar() or conn.execute(stmt).scalar_one())

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
        stmt = self._dialect.insert(feeds).values(key=key, first_seen=now, last_seen=now, **meta)
        # A poorer reading (a text dump) must not erase what a richer one told us.
        keep_known = {
            name: func.coalesce(stmt.excluded[name], feeds.c[name])
            for name in meta
            if name != "format"
        }
        stmt = stmt.on_conflict_do_update(
            index_elements=[feeds.c.key],
            set_={
                **keep_known,
                "format": stmt.excluded.format,
                "last_seen": stmt.excluded.last_seen,
            },
        ).returning(feeds.c.id)
        refresh = {
            name: value
            if name == "format"
            else func.coalesce(literal(value, feeds.c[name].type), feeds.c[name])
            for name, value in meta.items()
        }

        def work(conn: Connection) -> int:
            found = conn.execute(select(feeds.c.id).where(feeds.c.key == key)).scalar()
            if found is None:
                return int(conn.execute(stmt).scalar_one())
            conn.execute(update(feeds).where(feeds.c.id == found).values(**refresh, last_seen=now))
            return int(found)

        return self._write(work)

    def begin_fetch(self, source_id: int, now: datetime) -> int:
        stmt = (
            insert(fetches)
            .values(
                source_id=source_id,
                started_at=now,
                status="running",
                items=0,
                new=0,
                updated=0,
                unchanged=0,
                skipped=0,
            )
            .returning(fetches.c.id)
        )
        return self._write(lambda conn: int(conn.execute(stmt).scalar_one()))

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
    ) -> None:
        if status not in FETCH_STATUSES:
            raise ValueError(
                f"fetch status must be one of {sorted(FETCH_STATUSES)}, not {status!r}"
            )
        digest = hashlib.sha256(raw).hexdigest() if raw is not None else None

        def work(conn: Connection) -> None:
            if raw is not None and digest is not None:
                self._keep_blob(conn, digest, raw)
            source_id = conn.execute(
                update(fetches)
                .where(fetches.c.id == fetch_id)
                .values(
                    finished_at=now,
                    status=status,
                    error=error,
                    feed_id=feed_id,
                    format=parsed.format if parsed else None,
                    parser=(parsed.parser or None) if parsed else None,
                    encoding=parsed.encoding if parsed else None,
                    encoding_reason=parsed.encoding_reason if parsed else None,
                    problems=list(parsed.problems) if parsed else None,
                    blob_sha256=digest,
                    items=len(parsed.entries) if parsed else 0,
                    new=counts.new,
                    updated=counts.updated,
                    unchanged=counts.unchanged,
                    skipped=counts.skipped,
                    skipped_reasons=[list(pair) for pair in counts.skipped_reasons],
                )
                .returning(fetches.c.source_id)
            ).scalar_one_or_none()
            if source_id is None:
                raise ArchiveError(f"no fetch {fetch_id} in this archive to finish")
            conn.execute(
                update(sources)
                .where(sources.c.id == source_id)
                .values(
                    last_fetch_at=now,
                    last_status=status,
                    last_error=error,
                    fetch_count=sources.c.fetch_count + 1,
                    error_count=sources.c.error_count + (1 if status == "error" else 0),
                    feed_id=func.coalesce(
                        literal(feed_id, sources.c.feed_id.type), sources.c.feed_id
                    ),
                )
            )

        self._write(work)

    def _keep_blob(self, conn: Connection, digest: str, raw: bytes) -> None:
        known = conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == digest)).first()
        if known is None:
            conn.execute(
                self._dialect.insert(blobs)
                .values(sha256=digest, size=len(raw), data=zlib.compress(raw, 6))
                .on_conflict_do_nothing(index_elements=[blobs.c.sha256])
            )

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
        existing: dict[str, tuple[int, str]] = {}
        keys = list(batch)
        for chunk in _chunks(keys):
            rows = conn.execute(
                select(articles.c.key, articles.c.id, articles.c.content_hash).where(
                    articles.c.key.in_(chunk)
                )
            )
            existing.update((key, (id_, digest)) for key, id_, digest in rows)

        ids: dict[str, int] = {}
        fresh = [key for key in keys if key not in existing]
        if fresh:
            params = [
                {
                    "key": key,
                    **_content(batch[key]),
                    "first_seen": now,
                    "last_seen": now,
                    "feed_id": feed_id,
                    "source_id": source_id,
                    "fetch_id": fetch_id,
                }
                for key in fresh
            ]
            # A plain executemany plus one indexed SELECT beats INSERT..RETURNING on SQLite.
            conn.execute(insert(articles), params)
            for chunk in _chunks(fresh):
                inserted = conn.execute(
                    select(articles.c.key, articles.c.id).where(articles.c.key.in_(chunk))
                )
                ids.update((key, id_) for key, id_ in inserted)

        changed: list[str] = []
        same: list[int] = []
        for key, (id_, digest) in existing.items():
            ids[key] = id_
            if digest == batch[key].content_hash:
                same.append(id_)
            else:
                changed.append(key)

        if changed:
            self._revise(conn, [(ids[key], batch[key]) for key in changed], fetch_id, now)
        for chunk_ids in _chunks(same):
            conn.execute(update(articles).where(articles.c.id.in_(chunk_ids)).values(last_seen=now))
        self._link(conn, feed_id, fetch_id, batch, ids, now)
        return len(fresh), len(changed), len(same)

    def _revise(
        self, conn: Connection, targets: list[tuple[int, Article]], fetch_id: int, now: datetime
    ) -> None:
        """Keep each article's current text as a revision, then replace it with the new one."""
        for chunk in _chunks(targets):
            old = select(
                articles.c.id,
                literal(now, UTCDateTime()),
                literal(fetch_id, revisions.c.fetch_id.type),
                *(articles.c[name] for name in _REVISED_COLUMNS),
            ).where(articles.c.id.in_([id_ for id_, _ in chunk]))
            conn.execute(
                insert(revisions).from_select(
                    ["article_id", "replaced_at", "fetch_id", *_REVISED_COLUMNS], old
                )
            )
        conn.execute(
            update(articles).where(articles.c.id == bindparam("b_id")),
            [{"b_id": id_, **_content(article), "last_seen": now} for id_, article in targets],
        )

    def _link(
        self,
        conn: Connection,
        feed_id: int,
        fetch_id: int,
        batch: dict[str, Article],
        ids: dict[str, int],
        now: datetime,
    ) -> None:
        stmt = self._dialect.insert(article_feeds)
        stmt = stmt.on_conflict_do_update(
            index_elements=[article_feeds.c.article_id, article_feeds.c.feed_id],
            set_={
                "guid": func.coalesce(stmt.excluded.guid, article_feeds.c.guid),
                "fetch_id": stmt.excluded.fetch_id,
                "position": stmt.excluded.position,
                "last_seen": stmt.excluded.last_seen,
            },
        )
        conn.execute(
            stmt,
            [
                {
                    "article_id": ids[key],
                    "feed_id": feed_id,
                    "guid": article.guid,
                    "fetch_id": fetch_id,
                    "position": article.position,
                    "first_seen": now,
                    "last_seen": now,
                }
                for key, article in batch.items()
            ],
        )

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
                    fetches.c.status,
                    fetches.c.error,
                    fetches.c.blob_sha256,
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


# -- helpers --------------------------------------------------------------------------


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _content(article: Article) -> dict[str, Any]:
    return {
        "url": article.url,
        "original_url": article.original_url,
        "guid": article.guid,
        "title": article.title,
        "authors": list(article.authors),
        "published": article.published,
        "published_raw": article.published_raw,
        "date_flag": article.date_flag,
        "updated": article.updated,
        "summary": article.summary,
        "content_html": article.content_html,
        "text": article.text,
        "language": article.language,
        "republished_from": article.republished_from,
        "categories": list(article.categories),
        "enclosures": [_enclosure(enc) for enc in article.enclosures],
        "content_hash": article.content_hash,
    }


def _enclosure(enc: Enclosure) -> dict[str, Any]:
    found = {name: getattr(enc, name) for name in _ENCLOSURE_FIELDS}
    return {name: value for name, value in found.items() if value is not None}


def _article_select() -> Select[Any]:
    return select(
        articles.c.id,
        articles.c.key,
        func.coalesce(feeds.c.title, sources.c.location).label("source"),
        func.coalesce(feeds.c.self_url, feeds.c.link).label("feed_url"),
        *(articles.c[name] for name in _CONTENT_COLUMNS),
        articles.c.first_seen,
        articles.c.last_seen,
        _sort_key.label("sort_key"),
    ).select_from(
        articles.outerjoin(feeds, feeds.c.id == articles.c.feed_id).outerjoin(
            sources, sources.c.id == articles.c.source_id
        )
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
    )
