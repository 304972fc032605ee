"""Helpers for the scale-out tests: feeds on many loopback hosts, the presswatch commands
as real processes, Redis stopped and started, and archives read back for comparison.

Feeds are served by tests/loopback.py's server, listening on several loopback addresses
(127.0.1.1, 127.0.1.2, ...; Linux routes all of 127.0.0.0/8 to lo), so the per-host
spacing of a quarter second does not turn 300 feeds into a 75-second queue at one host.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import redis

from loopback import LoopbackServer

REDIS_URL = "redis://127.0.0.1:6379/0"
RABBITMQ_URL = os.environ.get("PRESSWATCH_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
# `presswatch` with the worker commands, whether or not cli.py registers them yet
RUNNER = (
    "import sys\n"
    "from presswatch.cli import cli, main\n"
    "from presswatch.cli_workers import COMMANDS\n"
    "for c in COMMANDS:\n"
    "    cli.commands.setdefault(c.name or '', c)\n"
    "main(sys.argv[1:])\n"
)
_TEXT = (
    "minister council treaty border summit delegation security economy energy pipeline "
    "election parliament agreement region talks sanctions trade defence envoy capital "
    "spokesman statement meeting members allies exercise forces budget reform ports"
)
_WORDS = _TEXT.split()


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_redis() -> None:
    if not redis_up():
        subprocess.run(REDIS_START, check=True, capture_output=True)
    for _ in range(50):
        if redis_up():
            return
        time.sleep(0.1)
    raise RuntimeError("Redis did not start")


def stop_redis() -> None:
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)
    for _ in range(50):
        if not redis_up():
            return
        time.sleep(0.1)


def rabbitmq_unavailable() -> str | None:
    """Why RabbitMQ cannot be used here, or None when it answers."""
    import pika

    try:
        pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL + "?connection_attempts=1")).close()
    except Exception as exc:
        return f"RabbitMQ not reachable at {RABBITMQ_URL}: {type(exc).__name__} {exc}".strip()
    return None


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A new RabbitMQ virtual host open to the URL's user, as an amqp:// URL; deleted after.

    A vhost is to RabbitMQ what PRESSWATCH_NAMESPACE is to Redis: the test's queues are
    its own, whatever else runs on the same server.
    """
    name = f"pwtest-{uuid.uuid4().hex[:10]}"
    user = RABBITMQ_URL.split("://", 1)[1].split(":", 1)[0] or "guest"
    for command in (["add_vhost", name], ["set_permissions", "-p", name, user, ".*", ".*", ".*"]):
        subprocess.run(["rabbitmqctl", "-q", *command], check=True, capture_output=True)
    try:
        yield RABBITMQ_URL.rstrip("/") + "/" + name
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)


class Hosts:
    """One LoopbackServer answering on `count` loopback addresses (same routes, same
    counters); `url(i, path)` is on address i."""

    def __init__(self, count: int) -> None:
        self.server = LoopbackServer()
        handler = self.server._httpd.RequestHandlerClass
        self._extra: list[ThreadingHTTPServer] = []
        self.bases: list[str] = []
        for i in range(count):
            httpd = ThreadingHTTPServer((f"127.0.1.{i + 1}", 0), handler)
            httpd.daemon_threads = True
            threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()
            self._extra.append(httpd)
            self.bases.append(f"http://127.0.1.{i + 1}:{httpd.server_address[1]}")

    def url(self, host: int, path: str) -> str:
        return self.bases[host % len(self.bases)] + path

    def close(self) -> None:
        for httpd in self._extra:
            httpd.shutdown()
            httpd.server_close()
        self.server.close()


def rss(number: int, items: int, link_base: str) -> bytes:
    """A feed of `items` full-length articles (no page fetch needed), the same every time."""
    start = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(hours=number)
    entries = []
    for k in range(items):
        words = [_WORDS[(number * 7 + k * 13 + j * j) % len(_WORDS)] for j in range(320)]
        body = " ".join(words)
        when = format_datetime(start + timedelta(minutes=k))
        entries.append(
            f"<item><title>Report {number}-{k}: {words[0]} and {words[1]}</title>"
            f"<link>{link_base}/post/{number}/{k}</link>"
            f"<guid isPermaLink='false'>feed{number}-item{k}</guid>"
            f"<pubDate>{when}</pubDate><description>{body}.</description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Source {number}</title><link>{link_base}/</link>"
        f"<description>test feed {number}</description>{''.join(entries)}</channel></rss>"
    ).encode()


def serve_feeds(hosts: Hosts, count: int, items: int) -> list[str]:
    urls = []
    for n in range(count):
        path = f"/feed/{n}.xml"
        url = hosts.url(n, path)
        hosts.server.serve(path, rss(n, items, url.rsplit("/feed/", 1)[0]))
        urls.append(url)
    return urls


def environment(db: str, namespace: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PRESSWATCH_DB=db,
        PRESSWATCH_BROKER=REDIS_URL,
        PRESSWATCH_NAMESPACE=namespace,
        PRESSWATCH_ALLOW_NETWORKS="loopback",
        PRESSWATCH_WORKER_TIMEOUT="3",
        PRESSWATCH_SCHEDULER_EVERY="1",
        PRESSWATCH_RETRY_BACKOFF="1",
        PRESSWATCH_ENRICH_BATCH="0",
        PRESSWATCH_ALERTS_EVERY="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def unique_namespace() -> str:
    return f"pwtest-{uuid.uuid4().hex[:10]}"


class Process:
    """A presswatch command in its own process group (so kill -9 takes its children too)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115  (closed in stop)
        self.popen = subprocess.Popen(
            [sys.executable, "-c", RUNNER, *args],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        with_signal(self.popen, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 30) -> None:
        if self.popen.poll() is None:
            with_signal(self.popen, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def with_signal(popen: subprocess.Popen[bytes], sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(popen.pid, sig)


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


def sqlite_rows(path: str, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql).fetchall())


ARTICLES = "SELECT key, guid, content_hash FROM articles ORDER BY key"


@contextmanager
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    try:
        yield started
    finally:
        for p in started:
            p.stop(timeout=15)
