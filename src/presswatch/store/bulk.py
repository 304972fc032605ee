"""The statements of `save_articles` at the driver level: written once, fed ready rows.

On the hot path SQLAlchemy's per-row work (building a parameter dict per row, running
each column type's bind processor, compiling the IN lists) cost as much as SQLite itself,
so these few statements are plain SQL and each article is converted once, the way its
column types would bind it (NUL-free text, JSON text, the backend's datetime; see
columns.py). User values are always bound parameters, never part of the SQL text.

SQLite runs `executemany` over row tuples (its placeholders are `?`). PostgreSQL runs
one statement per batch over column arrays (`unnest`, `= ANY`) with `%s` placeholders:
one round trip for a thousand rows instead of a thousand.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import fields
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Dialect

from presswatch.store.columns import clean_text, datetime_binder, json_text
from presswatch.types import Article, Enclosure

Row = tuple[Any, ...]
T = TypeVar("T")

CHUNK = 500  # keys per SQLite IN (...): far below its bound-variable limit
CONTENT = (
    "url",
    "original_url",
    "guid",
    "title",
    "authors",
    "published",
    "published_raw",
    "date_flag",
    "updated",
    "summary",
    "content_html",
    "text",
    "language",
    "republished_from",
    "categories",
    "enclosures",
    "content_hash",
)
REVISED = ("title", "authors", "summary", "content_html", "text", "content_hash")
_JSON = frozenset({"authors", "categories", "enclosures"})
_TIMES = frozenset({"published", "updated"})


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Bulk:
    """The hot statements for one backend; `for_dialect` picks the implementation."""

    def __init__(self, dialect: Dialect) -> None:
        self.bind_time = datetime_binder(dialect.name)
        self._q = dialect.identifier_preparer.quote

    @staticmethod
    def for_dialect(dialect: Dialect) -> Bulk:
        return PostgresBulk(dialect) if dialect.name == "postgresql" else SQLiteBulk(dialect)

    def content(self, a: Article) -> Row:
        """The CONTENT columns of an article, bound as their column types would bind them."""
        when = self.bind_time
        return (
            clean_text(a.url),
            clean_text(a.original_url),
            clean_text(a.guid),
            clean_text(a.title),
            _json_list(a.authors),
            when(a.published),
            clean_text(a.published_raw),
            a.date_flag,
            when(a.updated),
            clean_text(a.summary),
            clean_text(a.content_html),
            clean_text(a.text),
            clean_text(a.language),
            clean_text(a.republished_from),
            _json_list(a.categories),
            json_text([_enclosure(e) for e in a.enclosures]) if a.enclosures else "[]",
            a.content_hash,
        )

    def names(self, columns: Sequence[str]) -> str:
        return ", ".join(self._q(c) for c in columns)

    def _selected(self, columns: Sequence[str]) -> str:
        """Columns of the unnest alias `v`, JSON ones cast back from text."""
        return ", ".join(f"v.{self._q(c)}{'::jsonb' if c in _JSON else ''}" for c in columns)

    # The operations save_articles needs; `now` is already bound (bind_time).

    def existing(self, conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Stored articles among `keys`: key -> (id, content_hash)."""
        raise NotImplementedError

    def insert(
        self,
        conn: Connection,
        keys: Sequence[str],
        contents: Sequence[Row],
        now: Any,
        where: tuple[int, int, int],
    ) -> dict[str, int]:
        """Insert new articles first seen at `where` (feed, source, fetch); key -> new id."""
        raise NotImplementedError

    def touch(self, conn: Connection, ids: Sequence[int], now: Any) -> None:
        """Mark unchanged articles as seen now."""
        raise NotImplementedError

    def revise(
        self, conn: Connection, targets: Sequence[tuple[int, Row]], fetch_id: int, now: Any
    ) -> None:
        """Keep each article's current text as a revision, then replace its content."""
        raise NotImplementedError

    def link(
        self,
        conn: Connection,
        feed_id: int,
        fetch_id: int,
        now: Any,
        links: Sequence[tuple[int, str | None, int]],
    ) -> None:
        """Upsert (article id, guid, position) sightings in one feed."""
        raise NotImplementedError


class SQLiteBulk(Bulk):
    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        inserted = ("key", *CONTENT, "first_seen", "last_seen", "feed_id", "source_id", "fetch_id")
        self._insert = (
            f"INSERT INTO articles ({self.names(inserted)}) VALUES ({_marks(len(inserted))})"
        )
        self._update = (
            f"UPDATE articles SET {', '.join(f'{self._q(c)} = ?' for c in CONTENT)}, "
            "last_seen = ? WHERE id = ?"
        )
        self._copy = (
            f"INSERT INTO revisions (article_id, replaced_at, fetch_id, {self.names(REVISED)}) "
            f"SELECT id, ?, ?, {self.names(REVISED)} FROM articles WHERE id IN "
        )
        self._link = f"{_LINK_INTO} VALUES ({_marks(7)}) {_LINK_CONFLICT}"
        self._key = self._q("key")

    def _lookup(self, conn: Connection, keys: Sequence[str], columns: str) -> Iterator[Row]:
        for chunk in chunks(keys):
            sql = f"SELECT {columns} FROM articles WHERE {self._key} IN ({_marks(len(chunk))})"
            yield from conn.exec_driver_sql(sql, tuple(chunk))

    def existing(self, conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        found = self._lookup(conn, keys, f"{self._key}, id, content_hash")
        return {key: (id_, digest) for key, id_, digest in found}

    def insert(
        self,
        conn: Connection,
        keys: Sequence[str],
        contents: Sequence[Row],
        now: Any,
        where: tuple[int, int, int],
    ) -> dict[str, int]:
        tail = (now, now, *where)
        conn.exec_driver_sql(
            self._insert, [(key, *row, *tail) for key, row in zip(keys, contents, strict=True)]
        )
        # Plain executemany plus one indexed SELECT beats a RETURNING per row on SQLite.
        return {key: id_ for key, id_ in self._lookup(conn, keys, f"{self._key}, id")}

    def touch(self, conn: Connection, ids: Sequence[int], now: Any) -> None:
        for chunk in chunks(ids):
            conn.exec_driver_sql(
                f"UPDATE articles SET last_seen = ? WHERE id IN ({_marks(len(chunk))})",
                (now, *chunk),
            )

    def revise(
        self, conn: Connection, targets: Sequence[tuple[int, Row]], fetch_id: int, now: Any
    ) -> None:
        for chunk in chunks(targets):
            conn.exec_driver_sql(
                f"{self._copy}({_marks(len(chunk))})",
                (now, fetch_id, *(id_ for id_, _ in chunk)),
            )
        conn.exec_driver_sql(self._update, [(*row, now, id_) for id_, row in targets])

    def link(
        self,
        conn: Connection,
        feed_id: int,
        fetch_id: int,
        now: Any,
        links: Sequence[tuple[int, str | None, int]],
    ) -> None:
        conn.exec_driver_sql(
            self._link,
            [(id_, feed_id, guid, fetch_id, pos, now, now) for id_, guid, pos in links],
        )


class PostgresBulk(Bulk):
    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        key = self._q("key")
        content = _unnest(CONTENT)
        self._existing = (
            f"SELECT {key}, id, content_hash FROM articles WHERE {key} = ANY(%b::text[])"
        )
        self._insert = (
            f"INSERT INTO articles ({key}, {self.names(CONTENT)}, "
            "first_seen, last_seen, feed_id, source_id, fetch_id) "
            f"SELECT v.k, {self._selected(CONTENT)}, %s, %s, %s, %s, %s "
            f"FROM unnest(%b::text[], {content}) AS v(k, {self.names(CONTENT)}) "
            f"RETURNING {key}, id"
        )
        self._touch = "UPDATE articles SET last_seen = %s WHERE id = ANY(%b::bigint[])"
        self._copy = (
            f"INSERT INTO revisions (article_id, replaced_at, fetch_id, {self.names(REVISED)}) "
            f"SELECT id, %s, %s, {self.names(REVISED)} FROM articles "
            "WHERE id = ANY(%b::bigint[])"
        )
        assigned = ", ".join(f"{self._q(c)} = {self._selected((c,))}" for c in CONTENT)
        self._update = (
            f"UPDATE articles SET {assigned}, last_seen = %s "
            f"FROM unnest(%b::bigint[], {content}) AS v(id, {self.names(CONTENT)}) "
            "WHERE articles.id = v.id"
        )
        self._link = (
            f"{_LINK_INTO} SELECT v.a, %s, v.g, %s, v.p, %s, %s "
            f"FROM unnest(%b::bigint[], %b::text[], %b::int[]) AS v(a, g, p) {_LINK_CONFLICT}"
        )

    def existing(self, conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        rows = conn.exec_driver_sql(self._existing, (list(keys),))
        return {key: (id_, digest) for key, id_, digest in rows}

    def insert(
        self,
        conn: Connection,
        keys: Sequence[str],
        contents: Sequence[Row],
        now: Any,
        where: tuple[int, int, int],
    ) -> dict[str, int]:
        rows = conn.exec_driver_sql(
            self._insert, (now, now, *where, list(keys), *_columns(contents))
        )
        return {key: id_ for key, id_ in rows}

    def touch(self, conn: Connection, ids: Sequence[int], now: Any) -> None:
        conn.exec_driver_sql(self._touch, (now, list(ids)))

    def revise(
        self, conn: Connection, targets: Sequence[tuple[int, Row]], fetch_id: int, now: Any
    ) -> None:
        ids = [id_ for id_, _ in targets]
        conn.exec_driver_sql(self._copy, (now, fetch_id, ids))
        conn.exec_driver_sql(self._update, (now, ids, *_columns([row for _, row in targets])))

    def link(
        self,
        conn: Connection,
        feed_id: int,
        fetch_id: int,
        now: Any,
        links: Sequence[tuple[int, str | None, int]],
    ) -> None:
        ids, guids, positions = (list(column) for column in zip(*links, strict=True))
        conn.exec_driver_sql(self._link, (feed_id, fetch_id, now, now, ids, guids, positions))


_LINK_INTO = (
    "INSERT INTO article_feeds "
    "(article_id, feed_id, guid, fetch_id, position, first_seen, last_seen)"
)
_LINK_CONFLICT = (
    "ON CONFLICT (article_id, feed_id) DO UPDATE SET "
    "guid = COALESCE(excluded.guid, article_feeds.guid), fetch_id = excluded.fetch_id, "
    "position = excluded.position, last_seen = excluded.last_seen"
)


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _array_type(column: str) -> str:
    return "timestamptz[]" if column in _TIMES else "text[]"


def _unnest(columns: Sequence[str]) -> str:
    return ", ".join(f"%b::{_array_type(c)}" for c in columns)


def _columns(rows: Sequence[Row]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


@lru_cache(maxsize=4096)
def _json_list(values: tuple[str, ...]) -> str | None:
    # Cached: a feed's authors and categories repeat from item to item.
    return json_text(list(values)) if values else "[]"


def _enclosure(enc: Enclosure) -> dict[str, Any]:
    found = ((name, getattr(enc, name)) for name in _ENCLOSURE_FIELDS)
    return {name: value for name, value in found if value is not None}


_ENCLOSURE_FIELDS = tuple(f.name for f in fields(Enclosure))
