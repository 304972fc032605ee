"""Opening the database: engine settings per backend, and analyst-readable failures.

SQLite: WAL (readers never block the writer), synchronous=NORMAL (durable at each
checkpoint, fast commits), foreign keys on. pysqlite's own transaction handling skips
BEGIN before DDL, which would make migrations non-atomic, so we emit BEGIN ourselves;
write transactions use BEGIN IMMEDIATE so two writers queue on the busy timeout instead
of failing on a lock upgrade.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from presswatch.errors import ArchiveError
from presswatch.store.columns import dumps_json, sqlite_lower
from presswatch.store.url import (
    describe_target,
    is_postgres_url,
    pg_host_port,
    postgres_url,
    sqlite_path,
)

WRITE = "presswatch_write"
_BUSY_TIMEOUT_S = 30.0


def create_archive_engine(target: str) -> Engine:
    """An engine for an SQLite file path or a PostgreSQL URL; nothing is connected yet."""
    if is_postgres_url(target):
        return create_engine(
            postgres_url(target),
            # No server-side prepared statements: psycopg prepares a query after its 5th run
            # and PostgreSQL then keeps a generic plan made while the table was small (a seq
            # scan for `key = ANY(...)`), so ingest slowed as the archive grew.
            connect_args={"connect_timeout": 5, "prepare_threshold": None},
            json_serializer=dumps_json,
            pool_pre_ping=True,
        )
    path = sqlite_path(target).expanduser()
    if path.is_dir():
        raise ArchiveError(
            f"{path} is a folder: give a file name for the archive, e.g. {path / 'presswatch.db'}"
        )
    if not path.parent.is_dir():
        raise ArchiveError(
            f"cannot create the archive {path}: the folder {path.parent} does not exist"
        )
    engine = create_engine(
        URL.create("sqlite+pysqlite", database=str(path)),
        connect_args={"check_same_thread": False, "timeout": _BUSY_TIMEOUT_S},
        json_serializer=dumps_json,
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.isolation_level = None
    dbapi_conn.create_function("pw_lower", 1, sqlite_lower, deterministic=True)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        dbapi_conn.execute(f"PRAGMA {pragma}")


def _on_sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def explain_failure(target: str, exc: BaseException) -> ArchiveError:
    """Turn a driver error into a message that says what failed and what to do."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    detail = " ".join(str(orig).split())
    if is_postgres_url(target):
        url = postgres_url(target)
        where = pg_host_port(url)
        lowered = detail.lower()
        if "does not exist" in lowered and "database" in lowered:
            return ArchiveError(
                f"PostgreSQL at {where} has no database {url.database!r}: create it first "
                f"(createdb -h {url.host or 'localhost'} -p {url.port or 5432} {url.database})"
            )
        if "authentication failed" in lowered or "no password supplied" in lowered:
            return ArchiveError(
                f"PostgreSQL at {where} refused user {url.username!r}: "
                "check the user and password in the URL"
            )
        invalidated = isinstance(exc, DBAPIError) and exc.connection_invalidated
        if invalidated or _is_connect_error(detail):
            reason = detail.rsplit("failed:", 1)[-1].strip() or detail
            reason = reason.split(" Is the server running", 1)[0].rstrip(" .")
            return ArchiveError(f"cannot reach PostgreSQL at {where}: {reason}; is it running?")
        return ArchiveError(f"{describe_target(target)}: {detail}")
    if "not a database" in detail:
        return ArchiveError(
            f"cannot open {describe_target(target)}: the file is not an SQLite database"
        )
    if "readonly" in detail or "read-only" in detail:
        return ArchiveError(f"cannot write to {describe_target(target)}: the file is read-only")
    if "database is locked" in detail:
        return ArchiveError(
            f"{describe_target(target)} is busy: another presswatch is writing to it; "
            "try again when it has finished"
        )
    return ArchiveError(f"cannot use {describe_target(target)}: {detail}")


def _is_connect_error(detail: str) -> bool:
    lowered = detail.lower()
    return "connection" in lowered and ("failed" in lowered or "refused" in lowered)
