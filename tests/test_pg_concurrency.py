"""Two writers on one PostgreSQL archive: the search index never keeps stale text.

Workers catch the index up concurrently, each claiming its backlog rows (FOR UPDATE SKIP
LOCKED). An article changed while a catch-up holds its row must come out pending again
(indexed with the new text at the next catch-up), whichever of the two gets there first.
Each test drives two real connections step by step: the catch-up's transaction in this
thread, the writer's in another, and a third connection watches the writer wait for a
lock. PostgreSQL only (conftest skips without a server, fails under CI).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
import pytest

from conftest import postgres_database
from presswatch import open_archive
from presswatch.search.documents import search_doc
from presswatch.search.pg_index import PGIndex
from presswatch.store import open_store
from presswatch.store.sql import SQLStore
from test_search_pg import D0, FEEDS, article, open_pg

OLD = "The CSTO summit opened in Astana"
NEW = "The CSTO summit moved to Bishkek"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        open_store(url).close()  # migrated to the latest version
        yield url


def store_again(store: SQLStore, n: int, title: str, text: str) -> None:
    """Store article `n` (again) with this text, the way a fetch of its feed does."""
    source_id = store.upsert_source("/data/sc.xml", "file", D0)
    feed_id = store.upsert_feed("/data/sc.xml#feed", FEEDS["sc"], D0)
    fetch_id = store.begin_fetch(source_id, D0)
    store.save_articles(feed_id, source_id, fetch_id, [article(n, title, text)], D0)


def rewrite(store: SQLStore, text: str) -> None:
    store_again(store, 1, "Summit", text)


def waiting_for_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def wait_until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def search_total(url: str, query: str) -> int:
    archive = open_archive(url)
    try:
        return archive.search(query, limit=5).total
    finally:
        archive.close()


def test_a_write_during_a_claimed_catch_up_leaves_the_article_pending(pg_url: str) -> None:
    setup = open_pg(pg_url)
    rewrite(setup, OLD)
    setup.close()
    catching_up, writer = open_pg(pg_url), open_pg(pg_url)
    index = PGIndex(catching_up)
    with ThreadPoolExecutor(1) as pool:
        with catching_up.transaction():
            [claimed] = catching_up.pending_search_ids(100)
            docs = [search_doc(s) for s in catching_up.search_sources([claimed])]
            assert "astana" in docs[0].tokens["text"]

            written: Future[None] = pool.submit(rewrite, writer, NEW)
            wait_until(lambda: waiting_for_a_lock(pg_url), "the writer waits for the claim")
            assert not written.done()  # the write waits for the catch-up holding its row

            index.upsert(docs)
            index.commit()
            catching_up.clear_search_pending([claimed])
        written.result(timeout=10)
    index.close()
    catching_up.close()

    assert writer.pending_search_ids(100) == [claimed]
    writer.close()
    assert search_total(pg_url, "Bishkek") == 1
    assert search_total(pg_url, "Astana") == 0


def test_a_catch_up_skips_an_article_being_written(pg_url: str) -> None:
    setup = open_pg(pg_url)
    rewrite(setup, OLD)
    setup.close()
    catching_up, writer = open_pg(pg_url), open_pg(pg_url)
    in_block, release = threading.Event(), threading.Event()

    def write_and_hold() -> None:
        with writer.transaction():
            rewrite(writer, NEW)
            in_block.set()
            assert release.wait(10)

    with ThreadPoolExecutor(1) as pool:
        written = pool.submit(write_and_hold)
        assert in_block.wait(10)
        with catching_up.transaction():
            # the writer holds the row it touched: this catch-up cannot claim the article
            # and index the text committed before the write
            assert catching_up.pending_search_ids(100) == []
        release.set()
        written.result(timeout=10)
    catching_up.close()

    assert writer.pending_search_ids(100) != []
    writer.close()
    assert search_total(pg_url, "Bishkek") == 1
    assert search_total(pg_url, "Astana") == 0


def test_rewrites_racing_catch_ups_end_with_every_article_indexed_with_its_last_text(
    pg_url: str,
) -> None:
    """Rewrites in one thread while two others keep catching up, the way workers do: at
    the end each article is found by the words of its last text only."""
    writer = open_pg(pg_url)
    n_articles, rounds = 20, 15
    for n in range(n_articles):
        store_again(writer, n, f"Report {n}", f"round00 item{n}")
    done = threading.Event()

    def keep_catching_up() -> None:
        archive = open_archive(pg_url)
        try:
            while not done.is_set():
                archive.search("item0", limit=1)
        finally:
            archive.close()

    with ThreadPoolExecutor(2) as pool:
        readers = [pool.submit(keep_catching_up) for _ in range(2)]
        for r in range(1, rounds + 1):
            for n in range(n_articles):
                store_again(writer, n, f"Report {n}", f"round{r:02d} item{n}")
        done.set()
        for reader in readers:
            reader.result(timeout=60)
    writer.close()

    archive = open_archive(pg_url)
    try:
        assert archive.search(f"round{rounds:02d}", limit=1).total == n_articles
        for r in range(rounds):
            assert archive.search(f"round{r:02d}", limit=1).total == 0, r
    finally:
        archive.close()
