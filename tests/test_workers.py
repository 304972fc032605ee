"""Scale-out on real services: PostgreSQL, Redis, Dramatiq workers as real processes.

Feeds come from a loopback server; workers and schedulers are `presswatch worker` and
`presswatch scheduler` processes, killed with SIGKILL where the test says so, and Redis is
really shut down and started again. Each test has its own PostgreSQL database and its own
Redis key prefix (PRESSWATCH_NAMESPACE), so nothing leaks between tests or into a real
deployment on the same Redis.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from conftest import _in_ci, postgres_database
from loopback import Handler, LoopbackServer, Reply, Request
from presswatch.fetch.client import FetchSettings
from workers_fixtures import (
    ARTICLES,
    REDIS_URL,
    RUNNER,
    Hosts,
    Process,
    environment,
    pg_rows,
    processes,
    rabbitmq_unavailable,
    rabbitmq_vhost,
    redis_up,
    rss,
    serve_feeds,
    sqlite_rows,
    start_redis,
    stop_redis,
    unique_namespace,
    wait_for,
)

ITEMS = 5


@pytest.fixture(scope="module", autouse=True)
def services() -> None:
    if not redis_up():
        try:
            start_redis()
        except Exception as exc:
            if _in_ci():
                pytest.fail(f"Redis is needed for the worker tests and could not start: {exc}")
            pytest.skip(f"Redis not available: {exc}")


@pytest.fixture
def pg() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def presswatch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def follow(db: str, urls: list[str]) -> None:
    """Subscribe the sources without fetching them (as `presswatch add --no-fetch`)."""
    from datetime import UTC, datetime

    from presswatch import open_archive

    with open_archive(db) as archive:
        now = datetime.now(UTC)
        with archive.store.transaction():
            for url in urls:
                archive.store.subscribe(url, now=now)


def embedded_run(path: str, urls: list[str]) -> None:
    """The embedded default over the same sources: `presswatch update --all` on SQLite."""
    from presswatch import open_archive
    from presswatch.fetch.settings_env import fetch_settings_from_env

    follow(path, urls)

    def update() -> None:
        with open_archive(path) as archive:
            settings = fetch_settings_from_env({"PRESSWATCH_ALLOW_NETWORKS": "loopback"})
            with archive.collector(settings, workers=1) as collector:
                collector.update(archive.store.source_states())

    # In a thread of its own, as the CLI runs it: an earlier test module's browser keeps
    # an event loop running on the main thread for the rest of the session.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(update).result()


def checked(db: str) -> int:
    return int(pg_rows(db, "SELECT count(*) FROM sources WHERE last_fetch_at IS NOT NULL")[0][0])


def queues_empty(namespace: str) -> bool:
    client = redis.Redis.from_url(REDIS_URL)
    keys = client.keys(f"{namespace}:queues:*.msgs")
    return all(client.hlen(k) == 0 for k in keys if not k.endswith(b".XQ.msgs"))


def assert_exactly_once(db: str, sources: int) -> None:
    rows = pg_rows(db, ARTICLES)
    assert len(rows) == sources * ITEMS
    assert len({key for key, _, _ in rows}) == len(rows)
    per_source = pg_rows(
        db,
        "SELECT s.id, count(f.id) FROM sources s LEFT JOIN fetches f "
        "ON f.source_id = s.id AND f.status = 'ok' GROUP BY s.id",
    )
    twice = [i for i, n in per_source if n != 1]
    details = pg_rows(
        db,
        "SELECT source_id, id, status, started_at, finished_at, new FROM fetches "
        f"WHERE source_id IN ({','.join(map(str, twice)) or '0'}) ORDER BY source_id, id",
    )
    shown = "\n".join(" ".join(str(v) for v in row) for row in details)
    assert Counter(n for _, n in per_source) == {1: sources}, "checked twice:\n" + shown
    sightings = pg_rows(db, "SELECT article_id, count(*) FROM article_feeds GROUP BY article_id")
    assert {n for _, n in sightings} == {1}
    pending = pg_rows(db, "SELECT count(*) FROM search_pending")[0][0]
    indexed = pg_rows(db, "SELECT count(*) FROM search_docs")[0][0]
    assert (pending, indexed) == (0, sources * ITEMS), "every article searchable"


def start_workers(env: dict[str, str], tmp: Path, started: list[Process], n: int) -> list[Process]:
    new = [
        Process(["worker", "--processes", "1", "--threads", "4"], env, tmp / f"worker{i}.log")
        for i in range(n)
    ]
    started.extend(new)
    return new


def test_two_workers_store_every_article_exactly_once_through_kills(
    pg: str, tmp_path: Path
) -> None:
    """300 sources, 2 workers and the scheduler; one worker is killed with SIGKILL three
    times at random moments and restarted (as systemd would): every article lands once,
    nothing is left queued, and the archive is the embedded default's."""
    hosts = Hosts(30)
    try:
        urls = serve_feeds(hosts, 300, ITEMS)
        follow(pg, urls)
        env = environment(pg, unique_namespace())
        rng = random.Random()
        with processes() as started:
            workers = start_workers(env, tmp_path, started, 2)
            started.append(Process(["scheduler"], env, tmp_path / "scheduler.log"))
            for round_ in range(3):
                wait_for(
                    lambda r=round_: checked(pg) >= 40 + 60 * r, 90, "the workers to make progress"
                )
                time.sleep(rng.uniform(0, 1.0))
                victim = workers[rng.randrange(2)]
                victim.kill()
                workers[workers.index(victim)] = replacement = Process(
                    ["worker", "--processes", "1", "--threads", "4"], env, victim.log
                )
                started.append(replacement)
            wait_for(lambda: checked(pg) == 300, 120, "every source to be checked")
            wait_for(lambda: queues_empty(env["PRESSWATCH_NAMESPACE"]), 30, "empty queues")
            status = presswatch(env, "status", "--format", "json")
            assert status.returncode == 0, status.stderr
            report = json.loads(status.stdout)
            assert report["failures"] == []
            assert report["due_sources"] == 0
            assert sum(p["role"] == "worker" for p in report["processes"]) >= 2
        assert_exactly_once(pg, 300)
        embedded = str(tmp_path / "embedded.db")
        embedded_run(embedded, urls)
        assert pg_rows(pg, ARTICLES) == sqlite_rows(embedded, ARTICLES)
    finally:
        hosts.close()


def test_workers_reconnect_after_redis_restarts(pg: str, tmp_path: Path) -> None:
    """Redis shut down (losing every queued message) for a few seconds mid-run: workers
    and scheduler reconnect, what was lost is queued again, and the run finishes with
    every article exactly once."""
    hosts = Hosts(20)
    try:
        urls = serve_feeds(hosts, 120, ITEMS)
        follow(pg, urls)
        env = environment(pg, unique_namespace())
        try:
            with processes() as started:
                start_workers(env, tmp_path, started, 2)
                started.append(Process(["scheduler"], env, tmp_path / "scheduler.log"))
                wait_for(lambda: checked(pg) >= 20, 60, "the workers to start")
                stop_redis()
                time.sleep(3)
                start_redis()
                wait_for(lambda: checked(pg) == 120, 120, "every source after the restart")
                wait_for(lambda: queues_empty(env["PRESSWATCH_NAMESPACE"]), 30, "empty queues")
        finally:
            start_redis()
        assert_exactly_once(pg, 120)
    finally:
        hosts.close()


def test_only_one_scheduler_queues_and_the_other_takes_over(pg: str, tmp_path: Path) -> None:
    hosts = Hosts(5)
    try:
        urls = serve_feeds(hosts, 40, ITEMS)
        follow(pg, urls[:20])
        env = environment(pg, unique_namespace())
        with processes() as started:
            first = Process(["scheduler"], env, tmp_path / "first.log")
            started.append(first)
            wait_for(lambda: "active" in first.text(), 30, "the first scheduler to lead")
            second = Process(["scheduler"], env, tmp_path / "second.log")
            started.append(second)
            wait_for(lambda: "standing by" in second.text(), 30, "the second to stand by")
            wait_for(lambda: "queued 20 source" in first.text(), 30, "the first to queue")
            start_workers(env, tmp_path, started, 1)
            wait_for(lambda: checked(pg) == 20, 60, "the first sources")
            assert "queued" not in second.text()
            first.kill()
            wait_for(lambda: "active" in second.text(), 10, "the second to take over")
            follow(pg, urls[20:])
            wait_for(lambda: checked(pg) == 40, 60, "the sources added after the takeover")
            assert "queued 20 source" in second.text()
        assert "queued 20 source(s) to check (0 waiting)" in first.text()
    finally:
        hosts.close()


def test_failed_task_is_set_aside_with_its_error_and_retried(pg: str, tmp_path: Path) -> None:
    env = environment(pg, unique_namespace(), PRESSWATCH_MAX_RETRIES="1")
    from presswatch import open_archive

    open_archive(pg).close()
    send = "import presswatch.workers.actors as a; a.extract_article.send(987654)"
    subprocess.run([sys.executable, "-c", send], env=env, check=True, timeout=60)
    with processes() as started:
        start_workers(env, tmp_path, started, 1)

        def set_aside() -> bool:
            found = presswatch(env, "status", "--format", "json")
            return found.returncode == 0 and bool(json.loads(found.stdout)["failures"])

        wait_for(set_aside, 60, "the failed task to be set aside")
        shown = presswatch(env, "status")
        assert "Failed tasks (set aside): 1" in shown.stdout
        assert "no article with id 987654" in shown.stdout
        again = presswatch(env, "retry-failed")
        assert "1 failed task(s) queued again" in again.stdout
        wait_for(set_aside, 60, "the task to fail again (the article still does not exist)")


def test_four_workers_never_ask_one_host_for_more_than_its_limit(pg: str, tmp_path: Path) -> None:
    """20 sources on one host, 4 worker processes of 4 threads each: the host never has
    more requests in flight than FetchSettings.per_host, counted by the server itself.
    Each answer takes a second, so without the shared limit (spacing alone lets a request
    start every quarter second) up to four would be in flight at once."""
    limit = FetchSettings().per_host
    server = LoopbackServer()
    try:
        urls = []
        for n in range(20):
            url = server.url(f"/feed/{n}.xml")
            body = rss(n, ITEMS, url.rsplit("/feed/", 1)[0])
            server.route(f"/feed/{n}.xml", slow(body, 1.0))
            urls.append(url)
        follow(pg, urls)
        env = environment(pg, unique_namespace())
        with processes() as started:
            start_workers(env, tmp_path, started, 4)
            wait_for(lambda: all_serving(env, 4), 60, "the four workers to start")
            started.append(Process(["scheduler"], env, tmp_path / "scheduler.log"))
            wait_for(lambda: checked(pg) == 20, 120, "every source to be checked")
        assert server.max_active <= limit, f"{server.max_active} requests at once at one host"
        assert server.max_active == limit, "the workers never fetched at the same time"
        assert len(server.requests) == 20
        assert_exactly_once(pg, 20)
    finally:
        server.close()


def slow(body: bytes, seconds: float) -> Handler:
    def handle(request: Request) -> Reply:
        return Reply(200, body, {"Content-Type": "application/rss+xml"}, delay=seconds)

    return handle


def all_serving(env: dict[str, str], workers: int) -> bool:
    found = presswatch(env, "status", "--format", "json")
    if found.returncode != 0:
        return False
    return sum(p["role"] == "worker" for p in json.loads(found.stdout)["processes"]) >= workers


def test_rabbitmq_as_the_broker_stores_every_article_once(pg: str, tmp_path: Path) -> None:
    """PRESSWATCH_BROKER set to an amqp:// URL: the same run (30 sources, one worker and
    the scheduler) goes through RabbitMQ, with Redis left for the shared state only."""
    problem = rabbitmq_unavailable()
    if problem is not None:
        if _in_ci():
            pytest.fail(problem + " (CI is set, so the RabbitMQ test must run)")
        pytest.skip(problem)
    hosts = Hosts(5)
    try:
        urls = serve_feeds(hosts, 30, ITEMS)
        follow(pg, urls)
        with rabbitmq_vhost() as broker, processes() as started:
            env = environment(
                pg, unique_namespace(), PRESSWATCH_BROKER=broker, PRESSWATCH_REDIS_URL=REDIS_URL
            )
            start_workers(env, tmp_path, started, 1)
            started.append(Process(["scheduler"], env, tmp_path / "scheduler.log"))
            wait_for(lambda: checked(pg) == 30, 90, "every source to be checked")

            def drained() -> bool:
                found = presswatch(env, "status", "--format", "json")
                assert found.returncode == 0, found.stderr
                report = json.loads(found.stdout)
                assert report["broker"].startswith("amqp://"), report["broker"]
                assert report["failures"] == []
                return all(q["waiting"] == q["delayed"] == 0 for q in report["queues"])

            wait_for(drained, 30, "the RabbitMQ queues to empty")
            namespace = env["PRESSWATCH_NAMESPACE"]
            assert redis.Redis.from_url(REDIS_URL).keys(f"{namespace}:queues:*") == []
        assert_exactly_once(pg, 30)
    finally:
        hosts.close()


def test_commands_refuse_an_archive_that_is_not_postgresql(tmp_path: Path) -> None:
    env = environment(str(tmp_path / "local.db"), unique_namespace())
    found = presswatch(env, "status")
    assert found.returncode == 2
    assert "must be a PostgreSQL database" in found.stderr
