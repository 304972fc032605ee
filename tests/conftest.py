"""Shared fixtures: every archive test runs on SQLite and on PostgreSQL.

`archive_target` (and its alias `store_target` for the store's contract suite) gives an
archive target per backend: an SQLite file path in tmp_path, or the URL of a freshly
created PostgreSQL database that is dropped afterwards. Without a reachable server the
PostgreSQL cases are skipped, unless CI is set: then a missing server is a failure.
Point PRESSWATCH_TEST_PG at another server's maintenance database to use it.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from loopback import LoopbackServer, SilentServer

BACKENDS = ["sqlite", "postgresql"]
PG_ADMIN_URL = os.environ.get("PRESSWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@functools.cache
def _pg_unavailable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True):
            return None
    except psycopg.Error as exc:
        return " ".join(str(exc).split())


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, uniquely named empty database; its URL while the block runs, then dropped."""
    problem = _pg_unavailable()
    if problem is not None:
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {problem}"
        if _in_ci():
            pytest.fail(reason + " (CI is set, so PostgreSQL tests must run)")
        pytest.skip(reason)
    name = f"pw_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def archive_at(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(tmp_path / f"archive-{uuid.uuid4().hex[:8]}.db")
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(params=BACKENDS)
def archive_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty archive target (SQLite path or PostgreSQL URL), once per backend."""
    with archive_at(request.param, tmp_path) as target:
        yield target


@pytest.fixture(params=BACKENDS)
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same as `archive_target`, under the name the store's contract suite uses."""
    with archive_at(request.param, tmp_path) as target:
        yield target


@pytest.fixture
def every_backend_target(tmp_path: Path) -> Iterator[dict[str, str]]:
    """One empty archive per backend at once, to compare their answers."""
    with archive_at("sqlite", tmp_path) as lite, archive_at("postgresql", tmp_path) as pg:
        yield {"sqlite": lite, "postgresql": pg}


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A real HTTP server on 127.0.0.1 with routes the test sets (tests/loopback.py)."""
    server = LoopbackServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A server on 127.0.0.1 that accepts connections and never answers."""
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()
