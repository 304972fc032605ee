"""The collector: update, run, add (with discovery), backfill and full text, over HTTP.

Fetching is async (many hosts at once, the client keeps per-host limits). Every archive
call goes through one writer thread, so the event loop keeps fetching while a feed is
being stored; parsing runs in worker processes when many feeds arrive at once. Each
fetch ends in exactly one stored outcome: its articles and fetch record together, or a
failed fetch record, and the source's schedule and health. One source never stops the
others, and nothing a failed fetch says changes what the archive already holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import random
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from presswatch.collect.backfill import MAX_BACKFILL_PAGES, BackfillReport, walk_back
from presswatch.collect.discovery import Discovery, discover
from presswatch.collect.fulltext import fetch_full_text, retry_due_pages
from presswatch.errors import UsageError
from presswatch.fetch.client import FetchResult, FetchSettings, HttpClient
from presswatch.fetch.discover import looks_like_html
from presswatch.fetch.limiter import HostLimiter
from presswatch.fetch.robots import Robots
from presswatch.fetch.schedule import FeedHints, ScheduleBounds, hints_from_feed, next_check
from presswatch.formats.opml import Subscription, parse_opml, write_opml
from presswatch.pipeline import Prepared, prepare_fetched, worker_count
from presswatch.store.records import IngestCounts, SourceState

if TYPE_CHECKING:
    from presswatch.archive import Archive, IngestReport

T = TypeVar("T")

PARALLEL_PARSE_FROM = 8  # feeds in one update before parsing moves to worker processes
IN_FLIGHT = 128  # checks under way at once (bounds the bodies held in memory)
ENRICH_SLICE = 200  # articles enriched between two rounds of `run`


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What one check of one source did."""

    source: str
    url: str
    status: str  # ok | partial | unchanged | error | gone | backoff
    error: str | None = None
    http_status: int | None = None
    feed_title: str | None = None
    counts: IngestCounts = field(default_factory=IngestCounts)
    next_check: datetime | None = None
    schedule_reason: str | None = None
    moved_to: str | None = None
    pages: int = 0  # article pages read for their full text
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AddReport:
    asked: str
    discovery: Discovery
    source: str | None = None
    already: bool = False
    update: UpdateReport | None = None


class Collector:
    """One collection session over an archive; use as a context manager."""

    def __init__(
        self,
        archive: Archive,
        settings: FetchSettings | None = None,
        *,
        bounds: ScheduleBounds | None = None,
        full_text: bool = True,
        enrich: bool = True,
        workers: int | None = None,
        rng: random.Random | None = None,
        limiter: HostLimiter | None = None,
    ) -> None:
        self.archive = archive
        self.store = archive.store
        self.settings = settings or FetchSettings()
        self.bounds = bounds or ScheduleBounds()
        self.full_text = full_text
        self.enrich_in_background = enrich
        self._workers = worker_count(workers)
        self._rng = rng or random.Random()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="presswatch-writer")
        self._pool: ProcessPoolExecutor | None = None
        self._robots: dict[str, tuple[Robots, bool, datetime]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        # per-host limits shared with other workers (a RedisLimiter); None: this process's own
        self.limiter = limiter

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now(self) -> datetime:
        return self.archive._clock()

    # -- the plumbing -------------------------------------------------------------------

    async def _db(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, lambda: work(*args, **kwargs))

    async def _parse(
        self, body: bytes, location: str, content_type: str | None, keep_entries: bool = False
    ) -> Prepared:
        now = self._now()
        args = (body, location, now, content_type, keep_entries)
        if self._pool is None:
            return await self._db(prepare_fetched, *args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, prepare_fetched, *args)
        except Exception:  # a worker died: parse it here
            return await self._db(prepare_fetched, *args)

    def _start_pool(self, jobs: int) -> None:
        if self._pool is None and self._workers > 1 and jobs >= PARALLEL_PARSE_FROM:
            # forkserver: the writer thread and the event loop make fork unsafe here
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["presswatch.pipeline"])
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context)

    async def _client(self) -> HttpClient:
        self._robots_locks = {}  # asyncio locks belong to one event loop
        backoff = await self._db(self.store.host_backoff, self._now())
        return HttpClient(self.settings, backoff=backoff, limiter=self.limiter)

    async def _session(self, work: Callable[[HttpClient], Awaitable[T]]) -> T:
        async with await self._client() as client:
            try:
                return await work(client)
            finally:
                await self._db(self.store.save_host_backoff, client.backoff())

    def _finish(self) -> None:
        """Bring the search index up to date with what was stored (on the writer thread,
        after any write still in flight)."""
        self._writer.submit(self.archive.search_service.catch_up, wait=False).result()

    # -- update -------------------------------------------------------------------------

    def update(
        self,
        states: Sequence[SourceState],
        on_report: Callable[[UpdateReport], None] | None = None,
    ) -> list[UpdateReport]:
        """Check each source now, whatever its schedule; reports in the order given."""
        self._start_pool(len(states))
        try:
            return asyncio.run(
                self._session(lambda client: self._update_all(client, states, on_report))
            )
        finally:
            self._finish()

    async def _update_all(
        self,
        client: HttpClient,
        states: Sequence[SourceState],
        on_report: Callable[[UpdateReport], None] | None,
    ) -> list[UpdateReport]:
        # fetched bodies wait for the one writer: hold only so many checks at once
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(state: SourceState) -> UpdateReport:
            try:
                async with gate:
                    report = await self._update_one(client, state)
            except Exception as exc:  # a bug on one source never stops the others
                report = await self._crashed(state, exc)
            if on_report is not None:
                on_report(report)
            return report

        order = _across_hosts(states)  # the gate admits many sites, not one site's queue
        done = dict(zip(order, await asyncio.gather(*(one(states[i]) for i in order)), strict=True))
        return [done[i] for i in range(len(states))]

    async def _crashed(self, state: SourceState, exc: Exception) -> UpdateReport:
        """A check that failed unexpectedly is still scheduled like any failure, so `run`
        does not ask the source again at once."""
        error = f"could not be updated: {type(exc).__name__}: {exc}"
        streak = state.error_streak + 1
        when, why = next_check(
            self._now(), outcome="error", error_streak=streak, bounds=self.bounds, rng=self._rng
        )

        def record() -> None:
            with self.store.transaction():
                self.store.record_failed_fetch(
                    state.location,
                    "url",
                    error=error,
                    parsed=None,
                    raw=None,
                    started_at=self._now(),
                    now=self._now(),
                )
                self.store.update_source(
                    state.id, error_streak=streak, next_check_at=when, schedule_reason=why
                )

        with contextlib.suppress(Exception):  # the archive itself failing: the report says so
            await self._db(record)
        return UpdateReport(state.location, state.fetch_url, "error", error=error, next_check=when)

    async def _update_one(
        self, client: HttpClient, state: SourceState, fetched: FetchResult | None = None
    ) -> UpdateReport:
        """One check of one source; `fetched` is its feed just fetched (by discovery)."""
        started = self._now()
        result = fetched or await client.fetch(
            state.fetch_url, etag=state.etag, last_modified=state.last_modified
        )
        if result.error_kind == "backoff":
            when = result.retry_after or started + timedelta(minutes=5)
            reason = "the site asked us to wait"
            await self._db(
                self.store.update_source, state.id, next_check_at=when, schedule_reason=reason
            )
            return UpdateReport(
                state.location,
                state.fetch_url,
                "backoff",
                error=result.error,
                next_check=when,
                schedule_reason=reason,
            )
        if result.not_modified:
            report = await self._db(self._record_unchanged, state, result, started)
            if self.full_text and state.feed_id is not None:
                with contextlib.suppress(Exception):  # the check itself is recorded
                    pages = await retry_due_pages(self, client, state.feed_id)
                    report = replace(report, pages=pages)
            return report
        if not result.ok:
            return await self._db(self._record_error, state, result, started, None)
        prepared = await self._parse(result.body, state.location, result.content_type)
        if prepared.parsed is None:
            return await self._db(self._record_error, state, result, started, prepared)
        report = await self._db(self._record_feed, state, result, prepared, started)
        if self.full_text and report.status in ("ok", "partial"):
            try:
                pages = await fetch_full_text(self, client, list(prepared.articles))
            except Exception as exc:  # the feed itself was stored: say so, and go on
                problem = f"article pages not read: {type(exc).__name__}: {exc}"
                return replace(report, problems=(*report.problems, problem))
            report = replace(report, pages=pages)
        return report

    def _record_http(self, fetch_id: int, purpose: str, result: FetchResult) -> None:
        """The HTTP side of a fetch record: address answered, status, time, bytes, validators."""
        self.store.set_fetch_http(
            fetch_id,
            purpose=purpose,
            url=result.final_url,
            http_status=result.status,
            elapsed_ms=round(result.elapsed * 1000),
            received=result.received,
            etag=result.etag,
            last_modified=result.last_modified,
        )

    def _http_hook(self, purpose: str, result: FetchResult) -> Callable[[int, bool], None]:
        """`_record_http` as Archive._store's `after` hook."""
        return lambda fetch_id, _stored: self._record_http(fetch_id, purpose, result)

    def _schedule(
        self,
        state: SourceState,
        outcome: str,
        result: FetchResult,
        *,
        hints: FeedHints | None = None,
        streak: int = 0,
    ) -> tuple[datetime, str]:
        now = self._now()
        feed_id = state.feed_id
        recent: list[datetime] = []
        if feed_id is not None and outcome in ("ok", "not-modified"):
            recent = self.store.recent_published(feed_id)
            if hints is None:
                rhythm = self.store.feed_rhythm(feed_id)
                hints = FeedHints(
                    ttl=rhythm.get("ttl"),
                    update_period=rhythm.get("update_period"),
                    update_frequency=rhythm.get("update_frequency"),
                    skip_hours=tuple(rhythm.get("skip_hours") or ()),
                    skip_days=tuple(rhythm.get("skip_days") or ()),
                )
        return next_check(
            now,
            outcome=outcome,
            hints=hints or FeedHints(),
            cache_control=result.headers.get("cache-control"),
            expires=result.headers.get("expires"),
            recent=recent,
            error_streak=streak,
            retry_after=result.retry_after,
            bounds=self.bounds,
            rng=self._rng,
        )

    def _record_unchanged(
        self, state: SourceState, result: FetchResult, started: datetime
    ) -> UpdateReport:
        store = self.store
        when, why = self._schedule(state, "not-modified", result)
        moved = _moved(state, result)
        with store.transaction():
            fetch_id = store.begin_fetch(state.id, started)
            store.finish_fetch(
                fetch_id,
                status="unchanged",
                error=None,
                feed_id=None,
                parsed=None,
                raw=None,
                counts=IngestCounts(),
                now=self._now(),
            )
            self._record_http(fetch_id, "feed", result)
            store.update_source(
                state.id,
                error_streak=0,
                retired_at=None,
                retired_reason=None,
                next_check_at=when,
                schedule_reason=why,
                # a 304 may carry fresher validators; keep the old ones otherwise
                etag=result.etag or state.etag,
                last_modified=result.last_modified or state.last_modified,
                **({"url": moved} if moved else {}),
            )
        return UpdateReport(
            state.location,
            state.fetch_url,
            "unchanged",
            http_status=304,
            next_check=when,
            schedule_reason=why,
            moved_to=moved,
        )

    def _record_error(
        self,
        state: SourceState,
        result: FetchResult,
        started: datetime,
        prepared: Prepared | None,
    ) -> UpdateReport:
        store = self.store
        streak = state.error_streak + 1
        gone = result.status == 410
        error = result.error or (prepared.error if prepared else None) or "could not be read"
        if prepared is not None and prepared.parsed is None:
            error = _not_a_feed_hint(error, result)
        when, why = self._schedule(state, "gone" if gone else "error", result, streak=streak)
        changes: dict[str, Any] = {
            "error_streak": streak,
            "next_check_at": when,
            "schedule_reason": why,
        }
        if gone and state.retired_at is None:
            changes.update(
                retired_at=self._now(),
                retired_reason="the site says this feed is gone for good (HTTP 410); "
                "its articles stay in the archive",
            )
        with store.transaction():
            fetch_id = store.record_failed_fetch(
                state.location,
                "url",
                error=error,
                parsed=None,
                raw=prepared.raw if prepared is not None and result.body else None,
                started_at=started,
                now=self._now(),
            )
            self._record_http(fetch_id, "feed", result)
            store.update_source(state.id, **changes)
        return UpdateReport(
            state.location,
            state.fetch_url,
            "gone" if gone else "error",
            error=error,
            http_status=result.status,
            next_check=when,
            schedule_reason=why,
        )

    def _record_feed(
        self, state: SourceState, result: FetchResult, prepared: Prepared, started: datetime
    ) -> UpdateReport:
        """Articles, fetch record, validators and next check in one transaction."""
        assert prepared.parsed is not None
        hints = hints_from_feed(prepared.parsed)
        moved = _moved(state, result)
        planned: list[tuple[datetime, str]] = []

        def after(fetch_id: int, stored: bool) -> None:
            self._record_http(fetch_id, "feed", result)
            if stored:
                fresh = self.store.source_state(state.id) or state
                when, why = self._schedule(fresh, "ok", result, hints=hints)
                changes: dict[str, Any] = {
                    "error_streak": 0,
                    "retired_at": None,
                    "retired_reason": None,
                    "etag": result.etag,
                    "last_modified": result.last_modified,
                }
                if moved:  # confirmed: the new address answered with a feed
                    changes["url"] = moved
            else:
                streak = state.error_streak + 1
                when, why = self._schedule(state, "error", result, streak=streak)
                changes = {"error_streak": streak}
            self.store.update_source(state.id, next_check_at=when, schedule_reason=why, **changes)
            planned.append((when, why))

        report = self.archive._store(
            prepared, location=state.location, kind="url", shown=state.location, after=after
        )
        when, why = planned[-1] if planned else (None, None)
        failed = report.status == "failed"
        return UpdateReport(
            state.location,
            state.fetch_url,
            "error" if failed else report.status,
            error=report.error,
            http_status=result.status,
            feed_title=report.feed_title,
            counts=report.counts,
            next_check=when,
            schedule_reason=why,
            moved_to=None if failed else moved,
            problems=report.problems,
        )

    # -- one-off fetch (ingest URL) -----------------------------------------------------

    def ingest_url(self, url: str) -> IngestReport:
        """Fetch a feed once and ingest it, without following it."""
        try:
            return asyncio.run(self._session(lambda client: self._ingest_url(client, url)))
        finally:
            self._finish()

    async def _ingest_url(self, client: HttpClient, url: str) -> IngestReport:
        from presswatch.archive import IngestReport

        started = self._now()
        result = await client.fetch(url)
        if not result.ok:
            error = result.error or f"the server answered {result.status}"
            if result.not_modified:
                error = "the server answered 304 Not Modified to a plain request"

            def failed() -> None:
                with self.store.transaction():
                    fetch_id = self.store.record_failed_fetch(
                        url,
                        "url",
                        error=error,
                        parsed=None,
                        raw=None,
                        started_at=started,
                        now=self._now(),
                    )
                    self._record_http(fetch_id, "feed", result)

            await self._db(failed)
            return IngestReport(url, "failed", error=error)
        prepared = await self._parse(result.body, url, result.content_type)
        if prepared.parsed is None and prepared.error:
            prepared.error = _not_a_feed_hint(prepared.error, result)
        report: IngestReport = await self._db(
            self.archive._store,
            prepared,
            location=url,
            kind="url",
            shown=url,
            after=self._http_hook("feed", result),
        )
        if self.full_text and report.status != "failed":
            articles = list(prepared.articles)
            await fetch_full_text(self, client, articles)
        return report

    # -- discovery and subscribing ------------------------------------------------------

    def add(
        self,
        urls: Sequence[str],
        *,
        collection: str | None = None,
        fetch: bool = True,
        on_report: Callable[[AddReport], None] | None = None,
    ) -> list[AddReport]:
        """Follow each URL (a feed, or a page whose feed is discovered); fetch it at once."""
        try:
            return asyncio.run(
                self._session(
                    lambda client: self._add_all(client, urls, collection, fetch, on_report)
                )
            )
        finally:
            self._finish()

    async def _add_all(
        self,
        client: HttpClient,
        urls: Sequence[str],
        collection: str | None,
        fetch: bool,
        on_report: Callable[[AddReport], None] | None,
    ) -> list[AddReport]:
        async def one(url: str) -> AddReport:
            found = await discover(self, client, url)
            report = AddReport(url, found)
            if found.chosen is not None:
                site = url if found.chosen != url else None
                source_id, new = await self._db(
                    self.store.subscribe,
                    found.chosen,
                    now=self._now(),
                    collection=collection,
                    site_url=site,
                )
                state = await self._db(self.store.source_state, source_id)
                report = replace(report, source=found.chosen, already=not new)
                if fetch and state is not None and (new or state.last_fetch_at is None):
                    checked = await self._update_one(client, state, found.fetched)
                    report = replace(report, update=checked)
            if on_report is not None:
                on_report(report)
            return report

        return list(await asyncio.gather(*(one(u) for u in urls)))

    # -- OPML ---------------------------------------------------------------------------

    def import_opml(
        self, data: bytes, *, collection: str | None = None
    ) -> tuple[list[tuple[Subscription, bool]], tuple[str, ...]]:
        """Follow every feed the list names; (subscription, newly followed) and problems."""
        document = parse_opml(data)
        added: list[tuple[Subscription, bool]] = []
        with self.store.transaction():
            for sub in document.subscriptions:
                _, new = self.store.subscribe(
                    sub.url,
                    now=self._now(),
                    collection=collection or sub.collection,
                    title=sub.title,
                    site_url=sub.html_url,
                )
                added.append((sub, new))
        return added, document.problems

    def fetch_opml(self, url: str) -> bytes:
        """An OPML list from the web, through the same safe client."""

        async def get(client: HttpClient) -> FetchResult:
            return await client.fetch(url, accept="text/x-opml, application/xml, */*;q=0.5")

        result = asyncio.run(self._session(get))
        if not result.ok:
            raise UsageError(f"could not fetch {url}: {result.error or result.status}")
        return result.body

    def export_opml(self) -> bytes:
        health = {h.state.id: h for h in self.store.source_health(self._now())}
        subs = [
            Subscription(
                url=s.fetch_url,
                title=s.title or (health[s.id].feed_title if s.id in health else None),
                html_url=s.site_url,
                collection=s.collection,
            )
            for s in self.store.source_states()
        ]
        return write_opml("presswatch sources", subs)

    # -- backfill -----------------------------------------------------------------------

    def backfill(
        self,
        url: str,
        *,
        until: datetime | None = None,
        max_pages: int = MAX_BACKFILL_PAGES,
        on_page: Callable[[int, str, IngestReport | None], None] | None = None,
    ) -> BackfillReport:
        """Read a feed's older pages (WordPress ?paged=N, RFC 5005 prev-archive) back to the
        start of the feed, or to `until`."""
        if not url.startswith(("http://", "https://")):
            raise UsageError(
                f"{url} is not a web address: backfill reads a feed's older pages over http(s)"
            )
        try:
            return asyncio.run(
                self._session(
                    lambda client: walk_back(self, client, url, until, max_pages, on_page)
                )
            )
        finally:
            self._finish()

    async def _enrich_slice(self) -> None:
        """Some of the articles waiting for enrichment, between checks: `run` keeps the
        archive enriched without holding up collection for long."""
        if self.enrich_in_background:
            with contextlib.suppress(Exception):  # enrichment records its own failures
                await self._db(self.archive.enrich, limit=ENRICH_SLICE)

    async def _deliver_alerts(self) -> None:
        """Post the alerts' new matches as they arrive (after the round is indexed and
        enriched), and retries whose time has come. A delivery's failure stays in its log;
        an archive that is busy now is tried again after the next round."""
        from presswatch.collect.alerts import deliver
        from presswatch.errors import PresswatchError
        from presswatch.publish.alerts import RetryPolicy

        with contextlib.suppress(PresswatchError):
            await deliver(
                self.store,
                self.archive.search_service,
                self.settings,
                now=self._now,
                retry=RetryPolicy(),
                db=self._db,
            )

    # -- run ----------------------------------------------------------------------------

    async def run(
        self,
        stop: asyncio.Event,
        on_report: Callable[[UpdateReport], None] | None = None,
        *,
        idle: float = 60.0,
    ) -> int:
        """Check due sources until `stop` is set; the number of checks made."""
        checks = 0

        def counted(report: UpdateReport) -> None:
            nonlocal checks
            checks += 1
            if on_report is not None:
                on_report(report)

        try:
            async with await self._client() as client:
                while not stop.is_set():
                    due = await self._db(self.store.due_sources, self._now())
                    if due:
                        self._start_pool(len(due))
                        round_ = asyncio.ensure_future(self._update_all(client, due, counted))
                        stopping = asyncio.ensure_future(stop.wait())
                        await asyncio.wait({round_, stopping}, return_when=asyncio.FIRST_COMPLETED)
                        stopping.cancel()
                        if not round_.done():
                            round_.cancel()
                            await asyncio.gather(round_, return_exceptions=True)
                            break
                        await self._db(self.store.save_host_backoff, client.backoff())
                        await self._db(self.archive.search_service.catch_up, wait=False)
                        await client.close_idle()
                        await self._enrich_slice()
                        await self._deliver_alerts()
                        continue
                    await self._enrich_slice()
                    await self._deliver_alerts()
                    upcoming = await self._db(self.store.next_due)
                    wait = idle
                    if upcoming is not None:
                        wait = min(idle, max(0.5, (upcoming - self._now()).total_seconds()))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=wait)
                await self._db(self.store.save_host_backoff, client.backoff())
        finally:
            await self._db(self.archive.search_service.catch_up, wait=False)
        return checks


def _across_hosts(states: Sequence[SourceState]) -> list[int]:
    """Indexes of `states` taking one source of each site in turn."""
    by_host: dict[str, list[int]] = {}
    for i, state in enumerate(states):
        by_host.setdefault(urlsplit(state.fetch_url).netloc.lower(), []).append(i)
    queues = list(by_host.values())
    return [q[k] for k in range(max(map(len, queues), default=0)) for q in queues if k < len(q)]


def _moved(state: SourceState, result: FetchResult) -> str | None:
    """The feed's new address, when every redirect on the way was permanent."""
    moved = result.permanent_url
    return moved if moved and moved != state.fetch_url else None


def _not_a_feed_hint(error: str, result: FetchResult) -> str:
    """Say what an HTML answer probably is, with what to do."""
    if looks_like_html(result.body, result.content_type):
        return (
            f"{error}; the server sent a web page instead of the feed (a challenge or "
            "login page, or the site moved it): check the address in a browser, or add "
            "the site's page to find its feed"
        )
    if not result.body:
        return "the server sent an empty answer instead of the feed"
    return error
