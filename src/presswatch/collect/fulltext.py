"""Full text for items whose feed gave only a summary: the article page, read politely.

Pages go through the same safe client and per-host limits as feeds; robots.txt is read
once per site per session and obeyed. The feed's own text is always kept; the page's
text is stored beside it and shown (and searched) in its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import timedelta
from typing import TYPE_CHECKING

from presswatch.extract.page import EXTRACTOR, extract_page
from presswatch.extract.summary import needs_full_text
from presswatch.fetch.client import PAGE_ACCEPT, HttpClient
from presswatch.fetch.robots import Robots, robots_from_status, robots_url
from presswatch.store.records import PageRecord
from presswatch.types import Article

if TYPE_CHECKING:
    from presswatch.collect.collector import Collector

MAX_PAGES_PER_FEED = 50  # article pages fetched for full text per feed fetch
ROBOTS_AGENT = "presswatch"
ROBOTS_KEPT = timedelta(hours=24)  # RFC 9309: a cached robots.txt is good for a day
ROBOTS_RETRY = timedelta(minutes=5)  # one that could not be read is asked for again soon


async def fetch_full_text(c: Collector, client: HttpClient, articles: Sequence[Article]) -> int:
    """Fetch the pages of articles whose feed gave only a summary; pages read."""
    wanted = [a for a in articles if needs_full_text(a)]
    if not wanted:
        return 0
    ids = await c._db(c.store.article_ids_for_keys, [a.key for a in wanted])
    done = await c._db(c.store.articles_with_pages, list(ids.values()), c._now())
    todo = [
        (ids[a.key], a.url) for a in wanted if a.key in ids and ids[a.key] not in done and a.url
    ][:MAX_PAGES_PER_FEED]
    results = await asyncio.gather(*(_page(c, client, aid, url) for aid, url in todo))
    return sum(results)


async def retry_due_pages(c: Collector, client: HttpClient, feed_id: int) -> int:
    """Pages that failed before and are due again, for a feed whose items did not change
    (a 304 brings no articles to look at)."""
    due = await c._db(c.store.pages_due, feed_id, c._now(), MAX_PAGES_PER_FEED)
    results = await asyncio.gather(*(_page(c, client, aid, url) for aid, url in due))
    return sum(results)


async def _page(c: Collector, client: HttpClient, article_id: int, url: str) -> int:
    robots, readable = await _robots_for(c, client, url)
    now = c._now()
    if not readable:  # a passing problem, not the site's answer: the page waits, uncounted
        return 0
    if not robots.allows(url):
        why = "the site's robots.txt asks robots not to fetch this page"
        await c._db(c.store.save_page, article_id, PageRecord(url, now, "robots", error=why))
        return 0
    result = await client.fetch(url, accept=PAGE_ACCEPT)
    if result.error_kind == "backoff":  # nothing was sent: not an attempt
        return 0
    if not result.ok:
        page = PageRecord(url, now, "error", http_status=result.status, error=result.error)
        await c._db(c.store.save_page, article_id, page)
        return 0
    loop = asyncio.get_running_loop()
    executor: Executor | None = c._pool
    try:
        found = await loop.run_in_executor(
            executor, extract_page, result.body, result.final_url, result.content_type
        )
    except Exception:  # a worker died: do it here
        found = extract_page(result.body, result.final_url, result.content_type)
    if found is None:
        page = PageRecord(
            result.final_url,
            now,
            "no-text",
            http_status=result.status,
            error="no article text found on the page (a login or challenge page?)",
            extractor=EXTRACTOR,
        )
        await c._db(c.store.save_page, article_id, page)
        return 0
    page = PageRecord(
        result.final_url,
        now,
        "ok",
        http_status=result.status,
        extractor=EXTRACTOR,
        title=found.title,
        authors=found.authors,
        published=found.published,
        site_name=found.site_name,
        language=found.language,
        text=found.text,
        html=found.html,
    )
    await c._db(c.store.save_page, article_id, page)
    return 1


async def _robots_for(c: Collector, client: HttpClient, url: str) -> tuple[Robots, bool]:
    """The site's rules, and whether they are its answer (False: it could not be read)."""
    where = robots_url(url)
    lock = c._robots_locks.setdefault(where, asyncio.Lock())
    async with lock:
        held = c._robots.get(where)
        kept = ROBOTS_KEPT if held is None or held[1] else ROBOTS_RETRY
        if held is None or c._now() - held[2] > kept:
            result = await client.fetch(where, accept="text/plain, */*;q=0.5")
            status = result.status if result.error_kind in (None, "http") else None
            text = result.body.decode("utf-8", "replace") if result.ok else ""
            readable = status is not None and status < 500 and status != 429
            held = (robots_from_status(status, text, ROBOTS_AGENT), readable, c._now())
            c._robots[where] = held
        return held[0], held[1]
