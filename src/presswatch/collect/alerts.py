"""Delivering alerts: new matches of each saved query POSTed, signed, to its webhook.

One call does three things. It closes deliveries a stopped presswatch left under way.
It looks at the articles stored since each alert began (`alert_pending`, filled by a
trigger) once the search index has them, and queues the ones its saved query matches.
Then it POSTs what is due, oldest first per alert, through presswatch's checked
transport: the same address policy as every fetch (private networks refused unless
PRESSWATCH_ALLOW_NETWORKS allows them), decided at connect time; redirects are not
followed.

Exactly once, as far as it can be had. Each (alert, article) is one row, queued once.
Before its POST the row is claimed ('sending') in a committed write, and a 2xx marks it
'delivered': it is never sent again. A failure (no answer, a timeout, a non-2xx answer)
puts it back with the next attempt's time (RetryPolicy), until the last attempt fails.
Two gaps remain, and each leans the safe way: if presswatch stops between the POST and
recording its answer, the row stays 'sending' and a later call closes it as
'interrupted' without resending (it may have been lost: at most once); and a timeout
after the receiver got the body but before it answered is retried like any failure (it
may arrive twice: at least once). `X-Presswatch-Delivery` is the same on every attempt,
so a receiver that remembers it can drop that second copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx

from presswatch.errors import PresswatchError
from presswatch.fetch.client import FetchSettings
from presswatch.fetch.safety import BlockedAddress
from presswatch.fetch.transport import CheckedTransport
from presswatch.publish.alerts import (
    AlertInfo,
    DeliveryRecord,
    RetryPolicy,
    delivery_headers,
    match_payload,
)
from presswatch.search.engine import SearchIndex
from presswatch.search.plan import Plan
from presswatch.search.service import SearchService
from presswatch.store import Store

T = TypeVar("T")

LOOK_BATCH = 2_000  # new articles judged against one alert's query at a time
SCAN_PAGE = 5_000  # matches read per page when finding which new articles match
SEND_PER_CALL = 1_000  # most deliveries attempted in one call
ALERTS_AT_ONCE = 8  # alerts whose receivers are posted to concurrently
STALE_AFTER = timedelta(seconds=60)  # beyond the fetch deadline, a 'sending' row is stale
_REPLY_SHOWN = 200  # characters of a failing receiver's answer kept in the log


class Db(Protocol):
    """Runs a store call: directly, or on the collector's writer thread."""

    def __call__(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]: ...


async def _direct(work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    return work(*args, **kwargs)


async def deliver(
    store: Store,
    search: SearchService,
    settings: FetchSettings,
    *,
    now: Callable[[], datetime],
    retry: RetryPolicy,
    db: Db = _direct,
    on_problem: Callable[[int, str], None] | None = None,
) -> list[DeliveryRecord]:
    """Queue new matches of every active alert, then post what is due; the deliveries
    attempted, as they ended."""
    alerts = [a for a in await db(store.list_alerts) if a.active]
    if not alerts:
        return []
    started = now()
    await db(
        store.interrupt_stale_deliveries,
        started - timedelta(seconds=settings.deadline) - STALE_AFTER,
        started,
    )
    for alert in alerts:
        try:
            await db(queue_matches, store, search, alert, started)
        except PresswatchError as exc:
            if on_problem is not None:
                on_problem(alert.id, f"its saved query @{alert.query_name} cannot run: {exc}")
    due = await db(store.due_deliveries, now(), SEND_PER_CALL)
    if not due:
        return []
    by_alert: dict[int, list[DeliveryRecord]] = {}
    for record in due:
        by_alert.setdefault(record.alert_id, []).append(record)
    known = {a.id: a for a in alerts}
    sender = _Sender(store, settings, now, retry, db)
    gate = asyncio.Semaphore(ALERTS_AT_ONCE)

    async def one(alert: AlertInfo, records: list[DeliveryRecord]) -> list[DeliveryRecord]:
        async with gate:
            return await sender.alert(alert, records)

    try:
        done = await asyncio.gather(*(one(known[i], rs) for i, rs in by_alert.items()))
    finally:
        await sender.transport.aclose()
    return [record for records in done for record in records]


def queue_matches(store: Store, search: SearchService, alert: AlertInfo, now: datetime) -> int:
    """Judge the articles stored since the alert began (those the search index already
    holds) against its saved query; queue the matches. The number queued."""
    queued = 0
    search.catch_up(wait=False)
    _node, plan = search.parse(f"@{alert.query_name}")
    while True:
        new = store.pending_matches(alert.id, LOOK_BATCH)
        if not new:
            return queued
        matched = matches_among(search.index, plan, new)
        queued += store.record_matches(alert.id, new, matched, now)
        if len(new) < LOOK_BATCH:
            return queued


def matches_among(index: SearchIndex, plan: Plan, ids: list[int]) -> list[int]:
    """Which of `ids` the plan matches, in the order given. Pages through the matches,
    newest first, and stops once every id is found: new articles are usually the newest,
    so this is usually one page."""
    wanted = set(ids)
    found: set[int] = set()
    offset = 0
    while True:
        hits = index.search(plan, sort="newest", limit=SCAN_PAGE, offset=offset)
        found.update(i for i, _ in hits.ids if i in wanted)
        offset += SCAN_PAGE
        if len(found) == len(wanted) or offset >= hits.total or not hits.ids:
            return [i for i in ids if i in found]


@dataclass(frozen=True, slots=True)
class _Answer:
    ok: bool
    status: int | None
    error: str | None
    retry_after: datetime | None = None


class _Sender:
    def __init__(
        self,
        store: Store,
        settings: FetchSettings,
        now: Callable[[], datetime],
        retry: RetryPolicy,
        db: Db,
    ) -> None:
        self.store, self.settings, self.now, self.retry, self.db = store, settings, now, retry, db
        self.transport = CheckedTransport(settings)
        self.timeouts = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.deadline,
        ).as_dict()

    async def alert(self, alert: AlertInfo, records: list[DeliveryRecord]) -> list[DeliveryRecord]:
        """Post the alert's due deliveries in order; after a failure the rest wait for
        the failed one's next attempt (one try per backoff period finds the receiver back)."""
        done: list[DeliveryRecord] = []
        for record in records:
            result = await self.one(alert, record)
            if result is None:
                continue
            done.append(result)
            if result.status != "delivered":
                if result.next_attempt_at is not None:
                    await self.db(self.store.postpone_deliveries, alert.id, result.next_attempt_at)
                break
        return done

    async def one(self, alert: AlertInfo, record: DeliveryRecord) -> DeliveryRecord | None:
        store = self.store
        claimed_at = self.now()
        attempt = await self.db(
            store.claim_delivery, record.alert_id, record.article_id, claimed_at
        )
        if attempt is None:  # another deliverer took it, or it was postponed meanwhile
            return None
        [article] = await self.db(store.articles_by_ids, [record.article_id])
        sent_at = self.now()
        body = match_payload(alert, article, sent_at=sent_at, attempt=attempt)
        headers = {
            "User-Agent": self.settings.user_agent,
            **delivery_headers(alert.secret, body, sent_at, alert.id, article.id),
        }
        answer = await self.post(alert.url, headers, body)
        finished = self.now()
        if answer.ok:
            status, next_at = "delivered", None
        else:
            next_at = self.retry.next_attempt(attempt, finished, retry_after=answer.retry_after)
            status = "pending" if next_at is not None else "failed"
        await self.db(
            store.finish_delivery,
            record.alert_id,
            record.article_id,
            status=status,
            status_code=answer.status,
            error=answer.error,
            next_attempt_at=next_at,
            now=finished,
        )
        return DeliveryRecord(
            alert_id=record.alert_id,
            article_id=record.article_id,
            status=status,
            attempts=attempt,
            last_status_code=answer.status,
            last_error=answer.error,
            updated_at=finished,
            next_attempt_at=next_at,
            article_title=article.title,
            article_url=article.url,
            created_at=record.created_at,
        )

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> _Answer:
        """One POST, never raising: the receiver's answer, or why there was none."""
        try:
            request = httpx.Request(
                "POST", url, headers=headers, content=body, extensions={"timeout": self.timeouts}
            )
        except (httpx.InvalidURL, ValueError) as exc:
            return _Answer(
                False, None, f"{url!r} is not a web address presswatch can post to ({exc})"
            )
        try:
            async with asyncio.timeout(self.settings.deadline):
                response = await self.transport.handle_async_request(request)
                try:
                    reply = await _some_of(response)
                finally:
                    await response.aclose()
        except BlockedAddress as exc:
            return _Answer(False, None, str(exc))
        except TimeoutError:
            return _Answer(
                False,
                None,
                f"no answer within {self.settings.deadline:g} s (setting "
                "PRESSWATCH_FETCH_DEADLINE); it will be tried again",
            )
        except httpx.TimeoutException as exc:
            return _Answer(False, None, f"the receiver did not answer in time ({_detail(exc)})")
        except httpx.HTTPError as exc:
            return _Answer(False, None, f"could not reach the receiver ({_detail(exc)})")
        status = response.status_code
        if 200 <= status < 300:
            return _Answer(True, status, None)
        message = f"the receiver answered {status} {response.reason_phrase}".rstrip()
        location = response.headers.get("location")
        if 300 <= status < 400 and location:
            message += (
                f", redirecting to {_printable(location)}: presswatch does not follow "
                "redirects when posting, so give the alert the final address"
            )
        elif reply:
            message += f": {reply}"
        retry_after = _retry_after(response.headers.get("retry-after"), self.now())
        return _Answer(False, status, message, retry_after)


async def _some_of(response: httpx.Response) -> str:
    """The start of the receiver's answer, as one line of printable text."""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= 4 * _REPLY_SHOWN:
            break
    return _printable(kept.decode("utf-8", "replace"))


def _printable(text: str) -> str:
    shown = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return shown[:_REPLY_SHOWN] + ("..." if len(shown) > _REPLY_SHOWN else "")


def _detail(exc: Exception) -> str:
    return _printable(str(exc)) or type(exc).__name__


def _retry_after(header: str | None, now: datetime) -> datetime | None:
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return now + timedelta(seconds=min(int(text), 10**7))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None
