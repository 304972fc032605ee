"""Per-host politeness across processes: separate worker processes, each with its own
HttpClient and RedisLimiter, against a real Redis and a loopback server that logs when
each request to each host started and finished.

Without a reachable Redis (PRESSWATCH_TEST_REDIS, default redis://127.0.0.1:6379/0) the
Redis tests are skipped, unless CI is set: then a missing server is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from loopback import LoopbackServer, Reply, Request
from presswatch import open_archive
from presswatch.collect.collector import Collector
from presswatch.fetch.client import FetchSettings, HttpClient
from presswatch.fetch.limiter import LocalLimiter, RedisLimiter, holding
from presswatch.fetch.safety import parse_policy

REDIS_URL = os.environ.get("PRESSWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
HOSTS = {"news.test": "127.0.0.1", "other.test": "127.0.0.1"}
SPAWN = multiprocessing.get_context("spawn")


def _redis_unavailable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except redis.RedisError as exc:
        return str(exc)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own in Redis, removed afterwards."""
    reason = _redis_unavailable()
    if reason is not None:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"Redis at {REDIS_URL} is needed in CI: {reason}")
        pytest.skip(f"no Redis at {REDIS_URL} ({reason}); set PRESSWATCH_TEST_REDIS")
    name = f"presswatch-test:{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)


# --- the worker processes ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    prefix: str
    urls: tuple[str, ...]
    per_host: int = 2
    spacing: float = 0.0
    lease: float = 15.0
    hosts: Mapping[str, str] = field(default_factory=lambda: dict(HOSTS))
    # fetched first, then the worker waits for `go`: a cold process's first request is
    # slowed by imports and by the other processes starting on the same cores
    warm_up: str | None = None
    go: Any = None


def work(job: Job, out: Any) -> None:
    """One worker: its own client and limiter, every URL of the job at once."""

    async def go() -> list[tuple[str, int | None, str | None, datetime | None]]:
        limiter = RedisLimiter(
            REDIS_URL,
            per_host=job.per_host,
            spacing=job.spacing,
            lease=job.lease,
            prefix=job.prefix,
        )
        settings = FetchSettings(
            policy=parse_policy("loopback"),
            hosts=job.hosts,
            per_host=job.per_host,
            host_spacing=job.spacing,
        )
        async with HttpClient(settings, limiter=limiter) as client:
            if job.warm_up is not None:
                assert (await client.fetch(job.warm_up)).ok
            out.put(("started", os.getpid()))
            if job.go is not None:
                await asyncio.get_running_loop().run_in_executor(None, job.go.wait, 60)
            results = await asyncio.gather(*(client.fetch(url) for url in job.urls))
        return [(r.url, r.status, r.error_kind, r.retry_after) for r in results]

    for result in asyncio.run(go()):
        out.put(("result", result))
    out.put(("done", os.getpid()))


class Workers:
    """Worker processes started together; their messages gathered from one queue."""

    def __init__(self) -> None:
        self.out = SPAWN.Queue()
        self.processes: list[Any] = []
        self.results: dict[str, tuple[int | None, str | None, datetime | None]] = {}
        self._started: set[int] = set()
        self._done: set[int] = set()

    def start(self, *jobs: Job) -> list[Any]:
        started = [SPAWN.Process(target=work, args=(job, self.out), daemon=True) for job in jobs]
        for process in started:
            process.start()
        self.processes += started
        return started

    def _read(self, timeout: float) -> None:
        kind, value = self.out.get(timeout=timeout)
        if kind == "started":
            self._started.add(value)
        elif kind == "done":
            self._done.add(value)
        else:
            url, *rest = value
            self.results[url] = tuple(rest)  # type: ignore[assignment]

    def wait_started(self, process: Any, timeout: float = 30.0) -> None:
        until = time.monotonic() + timeout
        while process.pid not in self._started:
            self._read(until - time.monotonic())

    def wait_done(self, processes: list[Any], timeout: float = 60.0) -> None:
        until = time.monotonic() + timeout
        while not {p.pid for p in processes} <= self._done:
            self._read(until - time.monotonic())
        for process in processes:
            process.join(timeout=10)
            assert process.exitcode == 0

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join(timeout=10)


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers()
    yield pool
    pool.stop()


def _host(request: Request) -> str:
    return request.headers.get("host", "").split(":")[0]


def most_in_flight(requests: list[Request]) -> int:
    """The most requests the server was answering at once (an end before a start at a tie)."""
    events = sorted([(r.started, 1) for r in requests] + [(r.finished, -1) for r in requests])
    return max(itertools.accumulate(step for _, step in events), default=0)


def _slow(delay: float) -> Any:
    return lambda request: Reply(200, FEED, {"Content-Type": "application/rss+xml"}, delay)


# --- across processes ----------------------------------------------------------------


def _twenty_sources_from_four_workers(
    loopback: LoopbackServer, workers: Workers, prefix: str, delay: float, **limits: Any
) -> list[Request]:
    """20 sources on news.test split among 4 worker processes that start together once
    warm; the server's record of the requests to news.test."""
    urls = []
    for i in range(20):
        loopback.route(f"/feed/{i}", _slow(delay))
        urls.append(f"http://news.test:{loopback.port}/feed/{i}")
    loopback.serve("/warm-up", FEED)
    warm_up, go = f"http://other.test:{loopback.port}/warm-up", SPAWN.Event()
    jobs = [Job(prefix, tuple(urls[k::4]), warm_up=warm_up, go=go, **limits) for k in range(4)]
    started = workers.start(*jobs)
    for process in started:
        workers.wait_started(process)
    go.set()
    workers.wait_done(started)
    assert sorted(workers.results) == sorted(urls)
    assert all(status == 200 for status, _, _ in workers.results.values())
    return [r for r in loopback.requests if _host(r) == "news.test"]


def test_four_workers_never_pass_one_hosts_limit(
    loopback: LoopbackServer, workers: Workers, prefix: str
) -> None:
    at_host = _twenty_sources_from_four_workers(
        loopback, workers, prefix, 0.4, per_host=2, spacing=0.0
    )
    assert len(at_host) == 20
    # reached (4 workers with 5 fetches each want 20 at once) and never passed
    assert most_in_flight(at_host) == 2


def test_four_workers_keep_one_hosts_spacing(
    loopback: LoopbackServer, workers: Workers, prefix: str
) -> None:
    at_host = _twenty_sources_from_four_workers(
        loopback, workers, prefix, 0.01, per_host=4, spacing=0.2
    )
    starts = sorted(r.started for r in at_host)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # Each worker on its own would keep the spacing but start alongside the other three.
    # A start can reach the server late when its process waited for a busy CPU, which
    # makes the gap after it look short: one such gap is allowed; the pace must hold.
    short = [round(gap, 3) for gap in gaps if gap < 0.1]
    assert len(short) <= 1, f"request starts only {short} s apart; spacing is 0.2 s"
    assert starts[-1] - starts[0] >= 19 * 0.2 * 0.95


def test_a_429_seen_by_one_worker_backs_the_host_off_for_all(
    loopback: LoopbackServer, workers: Workers, prefix: str
) -> None:
    loopback.serve("/busy", b"slow down", status=429, headers={"Retry-After": "120"})
    loopback.serve("/feed", FEED)
    busy = f"http://news.test:{loopback.port}/busy"
    workers.wait_done(workers.start(Job(prefix, (busy,))))
    _, kind, told = workers.results[busy]
    assert kind == "http" and told is not None

    feeds = [f"http://news.test:{loopback.port}/feed?w={k}" for k in range(2)]
    elsewhere = f"http://other.test:{loopback.port}/feed"
    workers.wait_done(workers.start(Job(prefix, (feeds[0], elsewhere)), Job(prefix, (feeds[1],))))

    for url in feeds:
        status, kind, retry_after = workers.results[url]
        assert (status, kind) == (None, "backoff")
        assert retry_after is not None and abs(retry_after - told) < timedelta(seconds=1)
    assert workers.results[elsewhere][:2] == (200, None)  # other sites are not held back
    assert [_host(r) for r in loopback.hits("/feed")] == ["other.test"]
    shared = redis.Redis.from_url(REDIS_URL)  # the wait ends by itself, when Retry-After says
    assert 0 < shared.pttl(f"{prefix}:{{news.test}}:backoff") <= 120_000


def test_a_worker_killed_holding_a_slot_frees_it_when_its_lease_ends(
    loopback: LoopbackServer, workers: Workers, prefix: str
) -> None:
    release = threading.Event()

    def hang(request: Request) -> Reply:
        release.wait(30)
        return Reply(200, FEED, {"Content-Type": "application/rss+xml"})

    loopback.route("/hang", hang)
    loopback.serve("/feed", FEED)
    base = f"http://news.test:{loopback.port}"
    try:
        (holder,) = workers.start(Job(prefix, (base + "/hang",), per_host=1, lease=1.0))
        until = time.monotonic() + 30
        while not loopback.hits("/hang") and time.monotonic() < until:
            time.sleep(0.02)
        (waiter,) = workers.start(Job(prefix, (base + "/feed",), per_host=1, lease=1.0))
        workers.wait_started(waiter)
        time.sleep(2.5)  # 2.5 leases: the live holder renews its lease and keeps the slot
        assert loopback.hits("/feed") == []

        holder.kill()  # SIGKILL: no chance to release anything
        killed = time.monotonic()
        workers.wait_done([waiter])
    finally:
        release.set()
    assert workers.results[base + "/feed"][:2] == (200, None)
    waited = loopback.hits("/feed")[0].started - killed
    assert waited < 1.0 + 0.5, f"the host stayed blocked {waited:.2f} s after the kill"


def test_collectors_share_a_backoff_through_redis_not_through_their_archives(
    tmp_path: Path, loopback: LoopbackServer, prefix: str
) -> None:
    feed = loopback.serve("/feed/", FEED)
    settings = FetchSettings(policy=parse_policy("loopback"), host_spacing=0.0)
    options: dict[str, Any] = {"workers": 1, "enrich": False, "full_text": False}
    limiter = RedisLimiter(REDIS_URL, prefix=prefix)
    with open_archive(str(tmp_path / "one.db")) as one:
        one.store.subscribe(feed, now=datetime.now(UTC))
        with Collector(one, settings, limiter=limiter, **options) as collector:
            [first] = collector.update(one.store.source_states())
            loopback.serve("/feed/", b"slow down", status=429, headers={"Retry-After": "120"})
            [second] = collector.update(one.store.source_states())  # a second event loop
    assert first.status == "ok" and second.http_status == 429
    sent = len(loopback.hits("/feed/"))

    with open_archive(str(tmp_path / "two.db")) as two:  # knows nothing of the 429
        two.store.subscribe(feed, now=datetime.now(UTC))
        other = RedisLimiter(REDIS_URL, prefix=prefix)
        with Collector(two, settings, limiter=other, **options) as collector:
            [third] = collector.update(two.store.source_states())
    assert third.status == "backoff" and len(loopback.hits("/feed/")) == sent


# --- Redis away mid-run ----------------------------------------------------------------


class Relay:
    """A TCP relay on 127.0.0.1 to Redis that can be cut and restored, so Redis can go
    away for this test alone."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        # shutdown first: a socket closed while a thread waits on it stays open under it
        sockets, self._conns = [*self._conns, *filter(None, [self._listener])], []
        self._listener = None
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for conn in (source, sink):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def test_fetches_wait_while_redis_is_away_and_go_on_when_it_is_back(
    loopback: LoopbackServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.serve("/feed", FEED)
    address = redis.Redis.from_url(REDIS_URL).connection_pool.connection_kwargs
    relay = Relay((address.get("host", "127.0.0.1"), int(address.get("port", 6379))))
    relay.up()
    db = address.get("db", 0)
    limiter = RedisLimiter(f"redis://127.0.0.1:{relay.port}/{db}", prefix=prefix, spacing=0.0)
    settings = FetchSettings(policy=parse_policy("loopback"), hosts=HOSTS, host_spacing=0.0)
    url = f"http://news.test:{loopback.port}/feed"

    async def go() -> tuple[float, bool]:
        async with HttpClient(settings, limiter=limiter) as client:
            assert (await client.fetch(url)).ok
            relay.down()
            later = asyncio.ensure_future(client.fetch(url + "?again"))
            await asyncio.sleep(1.5)
            sent_while_away = bool(loopback.hits("/feed")[1:])
            relay.up()
            started = time.monotonic()
            assert (await asyncio.wait_for(later, 15)).ok
            return time.monotonic() - started, sent_while_away

    with caplog.at_level(logging.WARNING, logger="presswatch.fetch.limiter"):
        try:
            back_in, sent_while_away = asyncio.run(go())
        finally:
            relay.down()
    assert not sent_while_away  # no fetch went ahead unlimited
    assert back_in < 6.0  # the retry pauses stay short
    warnings = [r.getMessage() for r in caplog.records]
    assert any("cannot be reached" in m and "fetches wait" in m for m in warnings), warnings
    assert any("answers again" in m for m in warnings), warnings
    assert len(loopback.hits("/feed")) == 2


# --- the limiters themselves -----------------------------------------------------------


async def _crowd(limiter: Any, host: str, n: int, hold: float) -> tuple[int, list[float]]:
    """n tasks taking a slot at `host` at once: most held at once, and their start times."""
    held, most, starts = 0, 0, []

    async def one() -> None:
        nonlocal held, most
        async with holding(limiter, host):
            starts.append(time.monotonic())
            held += 1
            most = max(most, held)
            await asyncio.sleep(hold)
            held -= 1

    await asyncio.gather(*(one() for _ in range(n)))
    return most, sorted(starts)


def _spaced(starts: list[float], spacing: float) -> bool:
    """Starts `spacing` apart, give or take a busy machine's wake-up delay for one of them."""
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    return min(gaps) >= spacing * 0.7 and starts[-1] - starts[0] >= len(gaps) * spacing * 0.95


def test_local_limiter_keeps_the_limit_and_the_spacing() -> None:
    most, starts = asyncio.run(_crowd(LocalLimiter(per_host=2, spacing=0.1), "a.test", 6, 0.15))
    assert most == 2
    assert _spaced(starts, 0.1), starts


def test_local_limiter_limits_each_host_on_its_own() -> None:
    limiter = LocalLimiter(per_host=1, spacing=0.0)

    async def both() -> float:
        began = time.monotonic()
        await asyncio.gather(_crowd(limiter, "a.test", 1, 0.2), _crowd(limiter, "b.test", 1, 0.2))
        return time.monotonic() - began

    assert asyncio.run(both()) < 0.35


def test_local_limiter_serves_one_event_loop_after_another() -> None:
    limiter = LocalLimiter(per_host=1, spacing=0.0)
    assert asyncio.run(_crowd(limiter, "a.test", 2, 0.01))[0] == 1
    assert asyncio.run(_crowd(limiter, "a.test", 2, 0.01))[0] == 1


def test_a_later_backoff_wins_and_an_ended_one_is_forgotten() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    limiter = LocalLimiter()
    limiter.seed_backoff({"old.test": now - timedelta(hours=1), "A.test": now + timedelta(hours=1)})

    async def go() -> None:
        await limiter.set_backoff("a.test", now + timedelta(minutes=5), now)  # earlier: kept
        assert await limiter.backoff_until("a.test", now) == now + timedelta(hours=1)
        await limiter.set_backoff("b.test", now + timedelta(minutes=5), now)
        assert await limiter.backoff_until("b.test", now) == now + timedelta(minutes=5)
        assert await limiter.backoff_until("b.test", now + timedelta(minutes=6)) is None
        assert await limiter.backoff_until("old.test", now) is None

    asyncio.run(go())
    assert limiter.backoffs(now) == {"a.test": now + timedelta(hours=1)}


def test_redis_limiter_keeps_the_limit_and_the_spacing_in_one_process(prefix: str) -> None:
    limiter = RedisLimiter(REDIS_URL, per_host=2, spacing=0.1, prefix=prefix)

    async def go() -> tuple[int, list[float]]:
        try:
            return await _crowd(limiter, "a.test", 6, 0.15)
        finally:
            await limiter.aclose()

    most, starts = asyncio.run(go())
    assert most == 2
    assert _spaced(starts, 0.1), starts
    assert redis.Redis.from_url(REDIS_URL).zcard(f"{prefix}:{{a.test}}:slots") == 0


def test_redis_backoff_is_shared_kept_at_its_latest_and_expires(prefix: str) -> None:
    now = datetime.now(UTC)
    one = RedisLimiter(REDIS_URL, prefix=prefix)
    two = RedisLimiter(REDIS_URL, prefix=prefix)

    async def go() -> None:
        await one.set_backoff("a.test", now + timedelta(seconds=60), now)
        await two.set_backoff("a.test", now + timedelta(seconds=1), now)  # earlier: kept
        seen = await two.backoff_until("a.test", now)
        assert seen is not None and abs(seen - (now + timedelta(seconds=60))) < timedelta(
            milliseconds=2
        )
        await one.set_backoff("b.test", now + timedelta(seconds=0.3), now)
        await asyncio.sleep(0.5)
        three = RedisLimiter(REDIS_URL, prefix=prefix)
        assert await three.backoff_until("b.test", now) is None
        for limiter in (one, two, three):
            await limiter.aclose()

    asyncio.run(go())
    assert set(two.backoffs(now)) == {"a.test"}  # what this process saw, to persist
    assert 0 < redis.Redis.from_url(REDIS_URL).pttl(f"{prefix}:{{a.test}}:backoff") <= 60_000
