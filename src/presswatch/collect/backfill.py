"""Backfill: walk a feed's older pages back to its start, or to a date.

WordPress pages (?paged=N) and RFC 5005 archives (prev-archive) are followed one page at
a time. Pages read in full are remembered with the page older than each, so a second
backfill skips them and only asks again at the known end (new posts push items there).
A walk that reaches the start of the feed, or the date asked, records the range as
complete coverage for the source.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from presswatch.collect.fulltext import fetch_full_text
from presswatch.fetch.client import FetchResult, HttpClient
from presswatch.fetch.paging import older_page, wordpress_page
from presswatch.store.records import IngestCounts, SourceState

if TYPE_CHECKING:
    from presswatch.archive import IngestReport
    from presswatch.collect.collector import Collector

MAX_BACKFILL_PAGES = 1_000


@dataclass(frozen=True, slots=True)
class BackfillReport:
    source: str
    fetched: int = 0  # older pages fetched
    skipped: int = 0  # older pages read before, not fetched again
    counts: IngestCounts = field(default_factory=IngestCounts)
    stopped: str = ""  # why the walk ended, for the analyst
    complete: bool = False  # the walk reached the start of the feed or the date asked
    oldest: datetime | None = None
    error: str | None = None
    pages: int = 0  # article pages read for full text


async def walk_back(
    c: Collector,
    client: HttpClient,
    url: str,
    until: datetime | None,
    max_pages: int,
    on_page: Callable[[int, str, IngestReport | None], None] | None,
) -> BackfillReport:
    found = await c._db(c.store.find_sources, url)
    state = next((s for s in found if url in (s.location, s.url)), None)
    if state is None:
        source_id = await c._db(c.store.upsert_source, url, "url", c._now())
        state = await c._db(c.store.source_state, source_id)
    assert state is not None
    seen = await c._db(c.store.seen_pages, state.id)
    started = c._now()
    counts, fetched, skipped, pages = IngestCounts(), 0, 0, 0
    oldest: datetime | None = None
    previous_keys: frozenset[str] = frozenset()
    visited: set[str] = set()
    address: str | None = state.fetch_url
    number = 1
    by_number = False  # the address is a guessed ?paged=N, not a link the feed gave
    fresh = True  # the last page read brought new articles: read on, even pages seen before
    stopped, complete, error = "", False, None
    reached_date = False
    while address is not None:
        if number > max_pages:
            stopped = f"stopped after {max_pages} pages (the most one backfill reads)"
            break
        if address in visited:
            stopped = "stopped: the site's older-page links loop back to a page already read"
            break
        visited.add(address)
        if number > 1 and address in seen and not fresh:
            skipped += 1
            older = seen[address]
            if older is None:
                stopped, complete = "reached the oldest page, read before", True
                break
            by_number = older == wordpress_page(address, number + 1)
            address, number = older, number + 1
            continue
        result = await client.fetch(address)
        if result.status in (404, 410) and number > 1 and by_number:
            stopped, complete = f"reached the end (page {number} does not exist)", True
            break
        if not result.ok:
            error = result.error or f"the server answered {result.status}"
            stopped = f"stopped at page {number}: {error}"
            break
        visited.add(result.final_url)
        prepared = await c._parse(
            result.body, state.location, result.content_type, keep_entries=True
        )
        parsed = prepared.parsed
        if parsed is None:  # a challenge or error page is not the end of the archive
            error = prepared.error or "could not be read"
            stopped = f"stopped at page {number}: it is not a feed ({error})"
            break
        articles = list(prepared.articles)
        if number > 1 and not articles:  # the end; not remembered, as posts may fill it
            stopped, complete = f"reached the end (page {number} is empty)", True
            break
        keys = frozenset(a.key for a in articles)
        if number > 1 and keys == previous_keys:
            stopped = "the site ignores page numbers: every page repeats the first"
            break
        report = await c._db(
            c.archive._store,
            prepared,
            location=state.location,
            kind="url",
            shown=address,
            after=c._http_hook("backfill" if number > 1 else "feed", result),
        )
        if on_page is not None:
            on_page(number, address, report)
        if report.status == "failed":  # never remembered as read: the next backfill retries
            error = report.error
            stopped = f"stopped at page {number}: {error}"
            break
        counts += report.counts
        fetched += number > 1
        fresh = report.counts.new > 0
        dates = [a.published for a in articles if a.published is not None]
        if dates:
            oldest = min(dates) if oldest is None else min(oldest, *dates)
        older = older_page(parsed, result.final_url, number)
        if number > 1:
            await c._db(
                _page_seen, c, state, address, number, result, dates, report.counts.new, older
            )
        if c.full_text:
            with contextlib.suppress(Exception):  # the articles are stored; their pages wait
                pages += await fetch_full_text(c, client, articles)
        if until is not None and dates and min(dates) < until:
            stopped, complete = f"reached {until:%Y-%m-%d}, the date asked", True
            reached_date = True
            break
        previous_keys = keys
        if older is None:
            if number > 1:
                stopped, complete = "reached the oldest page", True
            else:
                stopped = "the feed offers no older pages: only its latest items can be read"
            break
        by_number = older == wordpress_page(result.final_url, number + 1)
        address, number = older, number + 1
    if complete:
        start = until if reached_date else None
        how = "backfill to " + (f"{until:%Y-%m-%d}" if start else "the start of the feed")
        await c._db(c.store.add_coverage, state.id, start, started, how, c._now())
    return BackfillReport(
        state.location,
        fetched=fetched,
        skipped=skipped,
        counts=counts,
        stopped=stopped,
        complete=complete,
        oldest=oldest,
        error=error,
        pages=pages,
    )


def _page_seen(
    c: Collector,
    state: SourceState,
    address: str,
    number: int,
    result: FetchResult,
    dates: list[datetime],
    new: int,
    older: str | None,
) -> None:
    c.store.record_page(
        state.id,
        address,
        number,
        fetched_at=c._now(),
        status="ok",
        items=len(dates),
        new=new,
        oldest=min(dates) if dates else None,
        newest=max(dates) if dates else None,
        older_url=older,
    )
