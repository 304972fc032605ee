"""Telling an SQLite path from a PostgreSQL URL, and naming either in messages.

Analysts type a file name or paste a URL; both must lead to the same `open_store`, and
every message must name the archive without ever echoing a password.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from presswatch.errors import ArchiveError

_PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_postgres_url(target: str) -> bool:
    """True for a PostgreSQL URL, false for anything meant as an SQLite file path."""
    return target.strip().lower().startswith(_PG_SCHEMES)


def is_sqlite_url(target: str) -> bool:
    return target.strip().lower().startswith(("sqlite://", "sqlite+pysqlite://"))


def sqlite_path(target: str) -> Path:
    """The file an SQLite target names (a bare path or an `sqlite:///path` URL)."""
    if is_sqlite_url(target):
        database = make_url(target.strip()).database
        if not database or database == ":memory:":
            raise ArchiveError(f"an SQLite archive needs a file name, not {target!r}")
        return Path(database)
    if "://" in target:
        scheme = target.split("://", 1)[0]
        raise ArchiveError(
            f"unsupported archive address {scheme}://…: give an SQLite file path "
            "or a postgresql:// URL"
        )
    return Path(target)


def postgres_url(target: str) -> URL:
    """The SQLAlchemy URL for a PostgreSQL target, always on the psycopg 3 driver."""
    try:
        url = make_url(target.strip())
    except ArgumentError as exc:
        raise ArchiveError(f"not a valid PostgreSQL URL: {describe_target(target)}") from exc
    return url.set(drivername="postgresql+psycopg")


def pg_host_port(url: URL) -> str:
    host = url.host or "localhost"
    return f"{host}:{url.port or 5432}"


def describe_target(target: str) -> str:
    """A short, password-free name for an archive, for messages and logs."""
    if is_postgres_url(target):
        try:
            url = make_url(target.strip())
        except ArgumentError:
            return "PostgreSQL database (unreadable URL)"
        name = url.database or url.username or "postgres"
        return f"PostgreSQL database {name!r} at {pg_host_port(url)}"
    try:
        path = sqlite_path(target)
    except ArchiveError:
        return target.split("://", 1)[0] + "://…"
    return f"SQLite archive {path}"
