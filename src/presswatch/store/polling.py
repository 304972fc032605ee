"""The collector's side of the archive: subscriptions, schedules, fetch records over HTTP,
host backoff, backfill pages, coverage and article pages.

None of this is on the ingest hot path, so it is plain SQLAlchemy Core built per call.
Mixed into SQLStore, whose transaction helpers it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from presswatch.store.columns import fold
from presswatch.store.records import (
    FetchRecord,
    PageRecord,
    SourceHealth,
    SourceState,
    SourceSummary,
)
from presswatch.store.schema import (
    article_feeds,
    article_pages,
    articles,
    coverage,
    feeds,
    fetches,
    hosts,
    source_pages,
    sources,
)

T = TypeVar("T")

SOURCE_SETTABLE = frozenset(
    {
        "url",
        "subscribed",
        "collection",
        "title",
        "site_url",
        "etag",
        "last_modified",
        "next_check_at",
        "schedule_reason",
        "error_streak",
        "retired_at",
        "retired_reason",
        "feed_id",
    }
)
_STATE_COLUMNS = (
    sources.c.id,
    sources.c.location,
    sources.c.kind,
    sources.c.url,
    sources.c.subscribed,
    sources.c.collection,
    sources.c.title,
    sources.c.site_url,
    sources.c.feed_id,
    sources.c.etag,
    sources.c.last_modified,
    sources.c.next_check_at,
    sources.c.schedule_reason,
    sources.c.error_streak,
    sources.c.retired_at,
    sources.c.retired_reason,
    sources.c.last_fetch_at,
    sources.c.last_status,
    sources.c.last_error,
    sources.c.fetch_count,
)
FETCH_COLUMNS = (
    fetches.c.status,
    fetches.c.error,
    fetches.c.blob_sha256,
    fetches.c.purpose,
    fetches.c.url,
    fetches.c.http_status,
    fetches.c.elapsed_ms,
    fetches.c.bytes,
    fetches.c.etag,
    fetches.c.last_modified,
    fetches.c["items"],
    fetches.c.new,
)
_IN_CHUNK = 500
PAGE_ATTEMPTS = 3  # an article page that failed this often is not asked for again
PAGE_RETRY = timedelta(hours=6)  # nor sooner than this after a failure


class PollingTables:
    """Mixin: needs `_write(work)` and `_read()` from SQLStore."""

    _write: Callable[..., Any]
    _read: Callable[[], AbstractContextManager[Connection]]
    _failures: Callable[[], AbstractContextManager[None]]
    _dialect: ModuleType  # sqlalchemy.dialects.sqlite or .postgresql, for ON CONFLICT
    list_sources: Callable[[], list[SourceSummary]]

    # -- sources ------------------------------------------------------------------------

    def subscribe(
        self,
        location: str,
        *,
        now: datetime,
        collection: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
    ) -> tuple[int, bool]:
        """Follow `location` (a feed URL); (source id, True if it was not followed before).

        A source already known by this address, as added or as moved to, is reused."""

        def work(conn: Connection) -> tuple[int, bool]:
            row = conn.execute(
                select(sources.c.id, sources.c.subscribed, sources.c.collection)
                .where(or_(sources.c.location == location, sources.c.url == location))
                .order_by(sources.c.id)
                .limit(1)
            ).first()
            if row is None:
                new_id = conn.execute(
                    insert(sources)
                    .values(
                        location=location,
                        kind="url",
                        added_at=now,
                        fetch_count=0,
                        error_count=0,
                        subscribed=1,
                        error_streak=0,
                        collection=collection,
                        title=title,
                        site_url=site_url,
                    )
                    .returning(sources.c.id)
                ).scalar_one()
                return int(new_id), True
            changes: dict[str, Any] = {"subscribed": 1}
            if collection is not None:
                changes["collection"] = collection
            if title is not None:
                changes["title"] = title
            if site_url is not None:
                changes["site_url"] = site_url
            conn.execute(update(sources).where(sources.c.id == row.id).values(**changes))
            return int(row.id), not row.subscribed

        result: tuple[int, bool] = self._write(work)
        return result

    def source_states(self, *, subscribed_only: bool = True) -> list[SourceState]:
        query = select(*_STATE_COLUMNS).order_by(sources.c.location)
        if subscribed_only:
            query = query.where(sources.c.subscribed == 1)
        with self._failures(), self._read() as conn:
            return [_state(row) for row in conn.execute(query)]

    def source_state(self, source_id: int) -> SourceState | None:
        with self._failures(), self._read() as conn:
            row = conn.execute(select(*_STATE_COLUMNS).where(sources.c.id == source_id)).first()
        return None if row is None else _state(row)

    def find_sources(self, needle: str) -> list[SourceState]:
        """Sources named exactly (location or current URL), else those whose address,
        title or collection contains the words given."""
        with self._failures(), self._read() as conn:
            exact = conn.execute(
                select(*_STATE_COLUMNS).where(
                    or_(sources.c.location == needle, sources.c.url == needle)
                )
            ).all()
            if exact:
                return [_state(row) for row in exact]
            folded = needle.lower()
            rows = conn.execute(
                select(*_STATE_COLUMNS)
                .outerjoin(feeds, feeds.c.id == sources.c.feed_id)
                .where(
                    or_(
                        fold(sources.c.location).contains(folded, autoescape=True),
                        fold(sources.c.url).contains(folded, autoescape=True),
                        fold(sources.c.title).contains(folded, autoescape=True),
                        fold(sources.c.collection) == folded,
                        fold(feeds.c.title).contains(folded, autoescape=True),
                    )
                )
                .order_by(sources.c.location)
            ).all()
        return [_state(row) for row in rows]

    def due_sources(self, now: datetime) -> list[SourceState]:
        """Followed sources whose next check has come (never checked ones first)."""
        query = (
            select(*_STATE_COLUMNS)
            .where(
                sources.c.subscribed == 1,
                or_(sources.c.next_check_at.is_(None), sources.c.next_check_at <= now),
            )
            .order_by(sources.c.next_check_at.is_not(None), sources.c.next_check_at, sources.c.id)
        )
        with self._failures(), self._read() as conn:
            return [_state(row) for row in conn.execute(query)]

    def next_due(self) -> datetime | None:
        with self._failures(), self._read() as conn:
            value: datetime | None = conn.execute(
                select(func.min(sources.c.next_check_at)).where(sources.c.subscribed == 1)
            ).scalar()
        return value

    def update_source(self, source_id: int, **values: Any) -> None:
        unknown = set(values) - SOURCE_SETTABLE
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)} on a source")
        self._write(
            lambda conn: conn.execute(
                update(sources).where(sources.c.id == source_id).values(**values)
            )
        )

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
    ) -> None:
        values = {
            "purpose": purpose,
            "url": url,
            "http_status": http_status,
            "elapsed_ms": elapsed_ms,
            "bytes": received,
            "etag": etag,
            "last_modified": last_modified,
        }
        self._write(
            lambda conn: conn.execute(
                update(fetches).where(fetches.c.id == fetch_id).values(**values)
            )
        )

    def source_health(self, now: datetime) -> list[SourceHealth]:
        """Every source with its state, articles, recent rate, last HTTP status, coverage."""
        summaries = {s.id: s for s in self.list_sources()}
        since = now - timedelta(days=30)
        with self._failures(), self._read() as conn:
            states = [_state(r) for r in conn.execute(select(*_STATE_COLUMNS))]
            posted = func.coalesce(articles.c.published, articles.c.first_seen)
            recent: dict[int, int] = dict(
                conn.execute(
                    select(sources.c.id, func.count(article_feeds.c.article_id))
                    .join(article_feeds, article_feeds.c.feed_id == sources.c.feed_id)
                    .join(articles, articles.c.id == article_feeds.c.article_id)
                    .where(posted >= since, posted <= now)
                    .group_by(sources.c.id)
                ).all()
            )
            last_fetch = (
                select(fetches.c.source_id, func.max(fetches.c.id).label("id"))
                .where(fetches.c.http_status.is_not(None))
                .group_by(fetches.c.source_id)
                .subquery()
            )
            statuses = dict(
                conn.execute(
                    select(last_fetch.c.source_id, fetches.c.http_status).join(
                        fetches, fetches.c.id == last_fetch.c.id
                    )
                ).all()
            )
            ranges: dict[int, list[tuple[datetime | None, datetime]]] = {}
            for row in conn.execute(
                select(coverage.c.source_id, coverage.c.start, coverage.c.end).order_by(
                    coverage.c.source_id, coverage.c.start.nulls_first()
                )
            ):
                ranges.setdefault(row.source_id, []).append((row.start, row.end))
        rows = []
        for state in sorted(states, key=lambda s: s.location):
            summary = summaries.get(state.id)
            rows.append(
                SourceHealth(
                    state=state,
                    feed_title=summary.feed_title if summary else None,
                    articles=summary.articles if summary else 0,
                    per_day=recent.get(state.id, 0) / 30,
                    last_http_status=statuses.get(state.id),
                    coverage=tuple(ranges.get(state.id, ())),
                )
            )
        return rows

    def fetch_history(self, source_id: int, limit: int = 20) -> list[FetchRecord]:
        """The source's latest fetches, newest first."""
        query = (
            select(
                fetches.c.id,
                fetches.c.started_at,
                fetches.c.finished_at,
                sources.c.location,
                *FETCH_COLUMNS,
            )
            .join(sources, sources.c.id == fetches.c.source_id)
            .where(fetches.c.source_id == source_id)
            .order_by(fetches.c.id.desc())
            .limit(limit)
        )
        with self._failures(), self._read() as conn:
            return [FetchRecord(*row) for row in conn.execute(query)]

    # -- hosts --------------------------------------------------------------------------

    def host_backoff(self, now: datetime) -> dict[str, datetime]:
        with self._failures(), self._read() as conn:
            rows = conn.execute(
                select(hosts.c.host, hosts.c.backoff_until).where(hosts.c.backoff_until > now)
            ).all()
        return {row.host: row.backoff_until for row in rows}

    def save_host_backoff(self, backoff: Mapping[str, datetime]) -> None:
        """Keep the hosts this session was asked to wait for; a later time already kept
        (by another run) wins."""

        def work(conn: Connection) -> None:
            for host, until in backoff.items():
                kept = conn.execute(
                    select(hosts.c.backoff_until).where(hosts.c.host == host)
                ).first()
                if kept is None:
                    conn.execute(
                        self._dialect.insert(hosts)
                        .values(host=host, backoff_until=until, reason="asked us to wait")
                        .on_conflict_do_nothing(index_elements=[hosts.c.host])
                    )
                elif kept.backoff_until is None or kept.backoff_until < until:
                    conn.execute(
                        update(hosts).where(hosts.c.host == host).values(backoff_until=until)
                    )

        if backoff:
            self._write(work)

    # -- backfill -----------------------------------------------------------------------

    def seen_pages(self, source_id: int) -> dict[str, str | None]:
        """Older pages already read in full: url -> the page older than it (None: the end)."""
        with self._failures(), self._read() as conn:
            rows = conn.execute(
                select(source_pages.c.url, source_pages.c.older_url).where(
                    source_pages.c.source_id == source_id, source_pages.c.status == "ok"
                )
            ).all()
        return {row.url: row.older_url for row in rows}

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
    ) -> None:
        values = {
            "older_url": older_url,
            "page": page,
            "fetched_at": fetched_at,
            "status": status,
            "items": items,
            "new": new,
            "oldest": oldest,
            "newest": newest,
        }

        def work(conn: Connection) -> None:
            done = conn.execute(
                update(source_pages)
                .where(source_pages.c.source_id == source_id, source_pages.c.url == url)
                .values(**values)
            ).rowcount
            if not done:
                conn.execute(insert(source_pages).values(source_id=source_id, url=url, **values))

        self._write(work)

    def coverage(self, source_id: int) -> list[tuple[datetime | None, datetime, str]]:
        with self._failures(), self._read() as conn:
            rows = conn.execute(
                select(coverage.c.start, coverage.c.end, coverage.c.how)
                .where(coverage.c.source_id == source_id)
                .order_by(coverage.c.start.nulls_first())
            ).all()
        return [(r.start, r.end, r.how) for r in rows]

    def add_coverage(
        self, source_id: int, start: datetime | None, end: datetime, how: str, now: datetime
    ) -> None:
        """Record [start, end] as complete, merged with the ranges it overlaps or touches
        (start None: from the source's first article)."""

        def work(conn: Connection) -> None:
            rows = conn.execute(
                select(coverage.c.id, coverage.c.start, coverage.c.end, coverage.c.how).where(
                    coverage.c.source_id == source_id
                )
            ).all()
            lo, hi, merged, hows = start, end, [], [how]
            for row in rows:
                overlaps = (lo is None or row.end >= lo) and (row.start is None or row.start <= hi)
                if overlaps:
                    merged.append(row.id)
                    lo = None if lo is None or row.start is None else min(lo, row.start)
                    hi = max(hi, row.end)
                    hows.append(row.how)
            if merged:
                conn.execute(delete(coverage).where(coverage.c.id.in_(merged)))
            label = "; ".join(dict.fromkeys(h for part in hows for h in part.split("; ")))
            conn.execute(
                insert(coverage).values(
                    source_id=source_id, start=lo, end=hi, how=label, recorded_at=now
                )
            )

        self._write(work)

    def feed_rhythm(self, feed_id: int) -> dict[str, Any]:
        """What the feed said about its own rhythm (ttl, sy:update*, skip hours/days)."""
        with self._failures(), self._read() as conn:
            row = conn.execute(
                select(
                    feeds.c.ttl,
                    feeds.c.update_period,
                    feeds.c.update_frequency,
                    feeds.c.skip_hours,
                    feeds.c.skip_days,
                ).where(feeds.c.id == feed_id)
            ).first()
        return {} if row is None else dict(row._mapping)

    # -- articles -----------------------------------------------------------------------

    def recent_published(self, feed_id: int, limit: int = 20) -> list[datetime]:
        with self._failures(), self._read() as conn:
            return list(
                conn.execute(
                    select(articles.c.published)
                    .join(article_feeds, article_feeds.c.article_id == articles.c.id)
                    .where(article_feeds.c.feed_id == feed_id, articles.c.published.is_not(None))
                    .order_by(articles.c.published.desc())
                    .limit(limit)
                ).scalars()
            )

    def article_ids_for_keys(self, keys: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._failures(), self._read() as conn:
            for chunk in _chunks(list(keys)):
                found.update(
                    (row.key, row.id)
                    for row in conn.execute(
                        select(articles.c.key, articles.c.id).where(articles.c.key.in_(chunk))
                    )
                )
        return found

    def articles_with_pages(self, ids: Sequence[int], now: datetime) -> set[int]:
        """Of `ids`, those whose page needs no fetch now: read, refused for good, tried
        too often, or failed too recently to try again."""
        found: set[int] = set()
        recent = now - PAGE_RETRY
        with self._failures(), self._read() as conn:
            for chunk in _chunks(list(ids)):
                found.update(
                    conn.execute(
                        select(article_pages.c.article_id).where(
                            article_pages.c.article_id.in_(chunk),
                            or_(
                                article_pages.c.status.in_(("ok", "no-text", "robots")),
                                article_pages.c.attempts >= PAGE_ATTEMPTS,
                                article_pages.c.fetched_at > recent,
                            ),
                        )
                    ).scalars()
                )
        return found

    def pages_due(self, feed_id: int, now: datetime, limit: int) -> list[tuple[int, str]]:
        """Articles of a feed whose page failed and may be tried again now: (id, page URL)."""
        query = (
            select(article_pages.c.article_id, func.coalesce(articles.c.url, article_pages.c.url))
            .join(articles, articles.c.id == article_pages.c.article_id)
            .join(article_feeds, article_feeds.c.article_id == article_pages.c.article_id)
            .where(
                article_feeds.c.feed_id == feed_id,
                article_pages.c.status == "error",
                article_pages.c.attempts < PAGE_ATTEMPTS,
                article_pages.c.fetched_at <= now - PAGE_RETRY,
            )
            .order_by(article_pages.c.fetched_at)
            .limit(limit)
        )
        with self._failures(), self._read() as conn:
            return [(int(row[0]), str(row[1])) for row in conn.execute(query)]

    def save_page(self, article_id: int, page: PageRecord) -> None:
        """Keep the page (a newer reading replaces the older; a failure never replaces
        text already extracted)."""
        values = {
            "url": page.url,
            "fetched_at": page.fetched_at,
            "status": page.status,
            "http_status": page.http_status,
            "error": page.error,
            "extractor": page.extractor,
            "title": page.title,
            "authors": list(page.authors),
            "published": page.published,
            "site_name": page.site_name,
            "language": page.language,
            "text": page.text,
            "html": page.html,
        }

        def work(conn: Connection) -> None:
            held = conn.execute(
                select(article_pages.c.status, article_pages.c.attempts).where(
                    article_pages.c.article_id == article_id
                )
            ).first()
            if held is None:
                conn.execute(insert(article_pages).values(article_id=article_id, **values))
            elif page.status == "ok" or held.status != "ok":
                conn.execute(
                    update(article_pages)
                    .where(article_pages.c.article_id == article_id)
                    .values(**values, attempts=held.attempts + 1)
                )

        self._write(work)

    def get_page(self, article_id: int) -> PageRecord | None:
        with self._failures(), self._read() as conn:
            row = conn.execute(
                select(article_pages).where(article_pages.c.article_id == article_id)
            ).first()
        if row is None:
            return None
        m = row._mapping
        return PageRecord(
            url=m["url"],
            fetched_at=m["fetched_at"],
            status=m["status"],
            http_status=m["http_status"],
            error=m["error"],
            extractor=m["extractor"],
            title=m["title"],
            authors=tuple(m["authors"] or ()),
            published=m["published"],
            site_name=m["site_name"],
            language=m["language"],
            text=m["text"],
            html=m["html"],
        )


def _state(row: Any) -> SourceState:
    m = row._mapping
    return SourceState(
        id=m["id"],
        location=m["location"],
        kind=m["kind"],
        url=m["url"],
        subscribed=bool(m["subscribed"]),
        collection=m["collection"],
        title=m["title"],
        site_url=m["site_url"],
        feed_id=m["feed_id"],
        etag=m["etag"],
        last_modified=m["last_modified"],
        next_check_at=m["next_check_at"],
        schedule_reason=m["schedule_reason"],
        error_streak=m["error_streak"] or 0,
        retired_at=m["retired_at"],
        retired_reason=m["retired_reason"],
        last_fetch_at=m["last_fetch_at"],
        last_status=m["last_status"],
        last_error=m["last_error"],
        fetch_count=m["fetch_count"] or 0,
    )


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]
