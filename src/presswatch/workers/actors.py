"""The tasks workers run. Each takes ids or URLs, calls the same facade as the CLI, and
commits before it returns, so Dramatiq acknowledges a message only once its work is in
the archive: a worker killed mid-task leaves the message to be delivered again.

Every task is idempotent: a source checked since its message was sent is not checked
again, articles enriched already are skipped, pages read already are not fetched, and
all writes are upserts under stable keys anyway.

Queues: fetch (one source each), extract (one article page), enrich (a batch of article
ids), backfill (one source's older pages), alerts (one delivery round).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import dramatiq
import psycopg

from presswatch.workers.broker import SETTINGS
from presswatch.workers.state import SharedState, checked_mark

if TYPE_CHECKING:
    from presswatch.archive import Archive
    from presswatch.collect.collector import Collector

log = logging.getLogger("presswatch.workers")

SOURCE_LOCK = 0x70777372  # advisory lock class of a source being checked: "pwsr"

_lock = threading.Lock()
_archive: Archive | None = None
_state: SharedState | None = None
_local = threading.local()  # .limiter: one per thread (a limiter belongs to an event loop)


def archive() -> Archive:
    """The archive, opened once per worker process and shared by its threads."""
    global _archive
    with _lock:
        if _archive is None:
            from presswatch.archive import open_archive

            _archive = open_archive(SETTINGS.db)
        return _archive


def shared() -> SharedState:
    global _state
    with _lock:
        if _state is None:
            _state = SharedState(SETTINGS)
        return _state


def collector(**options: Any) -> Collector:
    """A collector whose per-host limits are shared with every worker (through Redis)."""
    from presswatch.fetch.limiter import RedisLimiter
    from presswatch.fetch.settings_env import fetch_settings_from_env

    fetch = fetch_settings_from_env()
    limiter = getattr(_local, "limiter", None)
    if limiter is None:
        limiter = _local.limiter = RedisLimiter(
            SETTINGS.redis_url,
            per_host=fetch.per_host,
            spacing=fetch.host_spacing,
            prefix=SETTINGS.namespace + ":limits",
        )
    try:
        return archive().collector(fetch, workers=1, limiter=limiter, **options)
    except TypeError:  # a collector without shared limits: each worker keeps its own
        log.warning("this presswatch's collector takes no shared limiter; limits are per worker")
        return archive().collector(fetch, workers=1, **options)


@dramatiq.actor(queue_name="fetch")
def fetch_source(source_id: int, queued_at: float, seen: str | None = None) -> None:
    """Check one followed source and store what it brings (articles, fetch record,
    schedule) in one transaction, as `presswatch update` does.

    `seen` is the source's last check when the scheduler found it due (checked_mark):
    a different one now means it has been checked since, and this message is spent.
    Messages without it (queued by an earlier presswatch) go by `queued_at`."""
    store = archive().store
    with _source_lock(source_id) as mine:
        if not mine:  # another worker is checking it (a duplicate after a lost mark)
            return
        state = store.source_state(source_id)
        if state is None or not state.subscribed or state.kind != "url":
            _done("source", [source_id])
            return
        if seen is not None:
            spent = checked_mark(state.last_fetch_at) != seen
        else:
            last = state.last_fetch_at
            spent = last is not None and _aware(last).timestamp() >= queued_at
        if spent:
            _done("source", [source_id])  # checked since this was sent: done already
            return
        with collector() as c:
            [report] = c.update([state])
    log.info("source %s: %s %s", source_id, report.status, report.error or "")
    _done("source", [source_id])


@dramatiq.actor(queue_name="extract")
def extract_article(article_id: int) -> None:
    """Fetch and extract the full text of one article's page (robots.txt obeyed)."""
    from presswatch.collect.fulltext import _page

    the_archive = archive()
    page = the_archive.store.get_page(article_id)
    if page is not None and page.status in ("ok", "robots"):
        return
    url = the_archive.article(article_id).article.url
    if not url:
        return
    with collector() as c:
        asyncio.run(c._session(lambda client: _page(c, client, article_id, url)))
        the_archive.search_service.catch_up(wait=False)


@dramatiq.actor(queue_name="enrich")
def enrich_articles(article_ids: list[int]) -> None:
    """Run the enrichers over those of the articles whose results are missing or stale."""
    from presswatch.workers.enrich import enrich_ids

    the_archive = archive()
    try:
        enrich_ids(the_archive, article_ids, db_url=SETTINGS.db, state=shared())
        the_archive.search_service.catch_up(wait=False)
    finally:
        _done("enrich", article_ids)


@dramatiq.actor(queue_name="backfill")
def backfill_source(source_id: int, until: str | None = None) -> None:
    """Read one source's older pages back to its start (or to `until`, ISO 8601)."""
    state = archive().store.source_state(source_id)
    if state is None or state.kind != "url":
        return
    limit = datetime.fromisoformat(until) if until else None
    with collector() as c:
        c.backfill(state.fetch_url, until=limit)


@dramatiq.actor(queue_name="alerts")
def deliver_alerts() -> None:
    """Post the alerts' new matches (each match is delivered once)."""
    archive().deliver_alerts()


ACTORS = {
    a.actor_name: a
    for a in (fetch_source, extract_article, enrich_articles, backfill_source, deliver_alerts)
}


@contextmanager
def _source_lock(source_id: int) -> Iterator[bool]:
    """True while this worker alone checks the source: a session advisory lock on this
    thread's own connection, released at the end or when the worker dies."""
    conn = getattr(_local, "locks", None)
    if conn is None or conn.closed:
        conn = _local.locks = psycopg.connect(
            SETTINGS.db.replace("postgresql+psycopg://", "postgresql://"),
            autocommit=True,
            application_name="presswatch worker",
        )
    key = (SOURCE_LOCK, source_id & 0x7FFFFFFF)
    try:
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
    except psycopg.OperationalError:
        conn.close()
        raise
    mine = bool(row and row[0])
    try:
        yield mine
    finally:
        if mine:
            try:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            except psycopg.Error:
                conn.close()  # the session's end releases it


def _done(kind: str, ids: list[int]) -> None:
    """Drop the queued marks; with Redis away they simply run out."""
    try:
        shared().unmark(kind, ids)
    except Exception:
        log.warning("could not clear the queued mark of %s %s", kind, ids[:5])


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
