"""Column types that make both backends behave alike at the storage boundary.

- `UTCDateTime`: aware UTC datetimes in and out. PostgreSQL keeps timestamptz; SQLite
  keeps fixed-width ISO 8601 text ('2022-01-14T15:31:07.000000+00:00') so that text
  order is time order and COALESCE/ORDER BY work the same on both.
- `CleanText` / `JSONValue`: PostgreSQL refuses NUL characters in text and jsonb, and
  feeds do contain them, so every string is stripped of U+0000 on the way in.
- `fold()`: case folding for source matching; SQLite's lower() only knows ASCII, so
  SQLite gets Python's str.lower registered as `pw_lower` and both backends agree on
  Cyrillic names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import TypeDecorator, TypeEngine

_ISO_WIDTH = len("2000-01-01T00:00:00.000000+00:00")


def strip_nul(value: Any) -> Any:
    """The value with U+0000 removed from every string inside it (lists, tuples, dicts)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list | tuple):
        return [strip_nul(v) for v in value]
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    return value


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(_ISO_WIDTH))
        return dialect.type_descriptor(DateTime(timezone=True))

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        return _iso_utc if dialect.name == "sqlite" else _utc

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        return _from_iso if dialect.name == "sqlite" else _to_utc


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.utcoffset() is None:
        raise ValueError(f"the archive stores aware datetimes only, got naive {value!r}")
    return value.astimezone(UTC)


@lru_cache(maxsize=1024)
def _iso_utc(value: datetime | None) -> str | None:
    # Cached: a batch binds the same `now` twice per row.
    aware = _utc(value)
    return None if aware is None else aware.isoformat(timespec="microseconds")


def datetime_binder(dialect_name: str) -> Callable[[datetime | None], Any]:
    """What `UTCDateTime` binds on this backend, for the statements that bypass its binding."""
    return _iso_utc if dialect_name == "sqlite" else _utc


def _to_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


class CleanText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        return clean_text


def clean_text(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        return value.replace("\x00", "")
    return value


class JSONValue(TypeDecorator[Any]):
    """JSON text on SQLite, jsonb on PostgreSQL (so later queries can look inside)."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return json_text
        strip = super().bind_processor(dialect)
        return strip

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return strip_nul(value)


def json_text(value: Any) -> str | None:
    if value is None:
        return None
    text = dumps_json(value)
    # A NUL shows as the escape \u0000; the rare hit (or a literal "\\u0000") re-dumps.
    return dumps_json(strip_nul(value)) if "\\u0000" in text else text


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps_json(value: Any) -> str:
    return _ENCODER.encode(value)


class fold(GenericFunction[str]):
    """Lower-case a string the same way on both backends."""

    type = CleanText()
    name = identifier = "pw_fold"
    inherit_cache = True


@compiles(fold, "sqlite")
def _fold_sqlite(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"pw_lower({compiler.process(element.clauses, **kw)})"


@compiles(fold)
def _fold_default(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


def sqlite_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


__all__ = [
    "CleanText",
    "JSONValue",
    "UTCDateTime",
    "clean_text",
    "datetime_binder",
    "fold",
    "json_text",
    "sqlite_lower",
    "strip_nul",
]
