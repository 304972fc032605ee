"""The PostgreSQL search engine: search_docs rows with one tsvector per field, GIN-indexed.

PostgreSQL's own text parser never sees a word. Documents arrive as SearchDoc tokens
and queries as plans (search/plan.py), both made by text.tokens; this module writes
tsvector values (in binary) and tsquery values from them and binds them as parameters,
so PostgreSQL matches exactly the words the tantivy engine matches, with no stemming,
stop words or parser quirks, and user text never becomes SQL.

Speed comes from never reading a tsvector out of TOAST when an index can answer: words
are looked up in their GIN index (the planner is told not to scan), words under NOT or
beside a NOT in an OR become joins on their GIN matches, the matches are computed once
for the total and the page, and relevance ranks only the RANK_WINDOW newest matches.
What remains costs about 1 us per match (a heap page visit each) and, for a phrase or
proximity search, ~5 us per article holding all its words (positions are checked there).

PostgreSQL's limits on a tsvector, and what they mean for an analyst:
- a word's positions are kept up to word 16,383 of a field (MAX_POSITION), so a phrase
  or proximity match that starts later in a very long article is not found (the words
  alone still are: a word seen only beyond that point is kept without positions);
- a word keeps its first 256 positions (MAX_POSITIONS), so in a long article a phrase
  that uses a very common word ("of the people") is found only among that word's first
  256 occurrences, and further occurrences do not raise the article's rank;
- a tsvector holds at most 1 MB: words first seen beyond MAX_TSVECTOR_BYTES of it are
  left out of the index (an article would need hundreds of thousands of distinct words),
  so the article is still stored and findable by all its earlier words.
"""

from __future__ import annotations

import itertools
import json
import struct
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date
from typing import Any

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy import Connection, text

from presswatch.search.documents import SEARCH_FIELDS, SearchDoc
from presswatch.search.engine import Facet, Hits, Sort
from presswatch.search.plan import (
    TITLE_BOOST,
    All,
    AnyOf,
    Everything,
    Match,
    Near,
    Plan,
    When,
    Without,
)
from presswatch.store.sql import SQLStore

MAX_POSITION = 16_383
MAX_POSITIONS = 256
MAX_TSVECTOR_BYTES = 1_000_000
"""Under PostgreSQL's 1 MB of lexemes and positions per tsvector, counted as it reads one."""

RANK_WINDOW = 5_000
"""Relevance ranks at most this many matches, the newest; the others follow, newest first."""

_BATCH = 500  # documents per INSERT: one statement, 13 array parameters
_MAX_LEXEME = 2047
_TSVECTOR_OID = 3614
_TSVECTOR_ARRAY_OID = 3643
_INT32 = struct.Struct(">i")
_ARRAY_HEADER = struct.Struct(">iiiii")  # dimensions, has nulls, element type, length, lower bound
_POSITION_BYTES = [struct.pack(">H", i) for i in range(MAX_POSITION + 1)]
_RANK_NORMALIZATION = 0  # no length normalization: a title match always outweighs text
_FIELD_WEIGHTS = {"title": TITLE_BOOST}
_COLUMNS = {field: f"tsv_{field}" for field in SEARCH_FIELDS}

_UPSERT = text(
    "INSERT INTO search_docs (article_id, at, sample_key, outlet, authors, republished_from, "
    + ", ".join(_COLUMNS.values())
    + ") SELECT d.id, d.at, d.sample_key, d.outlet, "
    "ARRAY(SELECT jsonb_array_elements_text(d.authors)), d.republished_from, "
    + ", ".join(f"d.v_{f}" for f in SEARCH_FIELDS)
    + " FROM unnest(CAST(:ids AS bigint[]), CAST(:ats AS timestamptz[]), "
    "CAST(:keys AS bigint[]), CAST(:outlets AS text[]), CAST(:authors AS jsonb[]), "
    "CAST(:republished AS text[]), "
    + ", ".join(f"CAST(:v_{f} AS tsvector[])" for f in SEARCH_FIELDS)
    + ") AS d(id, at, sample_key, outlet, authors, republished_from, "
    + ", ".join(f"v_{f}" for f in SEARCH_FIELDS)
    + ") ON CONFLICT (article_id) DO UPDATE SET at = EXCLUDED.at, "
    "sample_key = EXCLUDED.sample_key, outlet = EXCLUDED.outlet, authors = EXCLUDED.authors, "
    "republished_from = EXCLUDED.republished_from, "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS.values())
)

_ORDERS = {
    "relevance": "{t}article_id",
    "newest": "{t}at DESC, {t}article_id DESC",
    "oldest": "{t}at, {t}article_id",
}
# PostgreSQL's planner does not count the cost of reading a tsvector out of TOAST (~5 us
# each), so it would rather test @@ on every row of a full table or index scan than look
# the words up in their GIN index. With sequential and plain index scans off, a query that
# looks up words reads rows only through bitmaps built from indexes. JIT compilation only
# adds time to these queries; work_mem holds the ids and dates of a million matches.
_SETTINGS = text(
    "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), "
    "set_config('enable_seqscan', :scans, true), set_config('enable_indexscan', :scans, true)"
)


class PGIndex:
    """The SearchIndex (search/engine.py) of an archive stored in PostgreSQL.

    Writes join the store's current transaction() block, so the facade can index a batch
    and clear its change log atomically. Reads set planner options for their own
    statements only (inside a block, in a savepoint rolled back afterwards).
    """

    name = "postgresql"

    def __init__(self, store: SQLStore) -> None:
        self._store = store

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        unique = list({doc.id: doc for doc in docs}.values())  # a statement updates a row once
        batches = [unique[i : i + _BATCH] for i in range(0, len(unique), _BATCH)]

        def work(conn: Connection) -> None:
            _send_tsvectors(conn)
            if len(batches) == 1:
                conn.execute(_UPSERT, _rows(batches[0]))
                return
            # Encode the next batch while PostgreSQL writes this one (the driver releases
            # the GIL while it waits): a quarter faster on two cores.
            with ThreadPoolExecutor(1) as encoder:
                ahead = encoder.submit(_rows, batches[0])
                for following in [*batches[1:], None]:
                    rows = ahead.result()
                    if following is not None:
                        ahead = encoder.submit(_rows, following)
                    conn.execute(_UPSERT, rows)

        if batches:
            self._store.write(work)

    def commit(self) -> None:
        """Nothing to do: upserts are written in the store's transaction, which commits them."""

    def refresh_statistics(self) -> None:
        """ANALYZE after a rebuild, so the planner knows how common each word is (a server
        with autovacuum off would otherwise plan every search as for an empty table)."""
        self._store.write(lambda conn: conn.execute(text("ANALYZE search_docs")))

    def clear(self) -> None:
        # TRUNCATE rather than DELETE: a rebuild then starts from empty GIN indexes instead
        # of doubling them with dead entries. It is transactional, and readers wait for the
        # rebuild's transaction instead of seeing a half-built index.
        self._store.write(lambda conn: conn.execute(text("TRUNCATE search_docs")))

    def doc_count(self) -> int:
        with self._store.read() as conn:
            return int(conn.execute(text("SELECT count(*) FROM search_docs")).scalar_one())

    def search(self, plan: Plan, *, sort: Sort, limit: int, offset: int = 0) -> Hits:
        q = _Query(plan)
        offset = max(offset, 0)
        with self._reading(q) as conn:
            if limit <= 0:
                return Hits(_count(conn, q), [])
            if sort == "relevance" and q.ranked:
                return _ranked(conn, q, limit, offset)
            page = {**q.params, "limit": limit, "offset": offset}
            if q.one_pass:
                # The matches once, from the GIN indexes: the total and the page from them.
                sql = q.matches("search_docs.article_id, search_docs.at") + (
                    "SELECT article_id, (SELECT count(*) FROM m) FROM m "
                    f"ORDER BY {_ORDERS[sort].format(t='')} LIMIT :limit OFFSET :offset"
                )
                rows = conn.execute(text(sql), page).all()
                total = int(rows[0][1]) if rows else _count(conn, q) if offset else 0
            else:
                # Everything, dates: an index in the sort order gives the page.
                total = _count(conn, q)
                order = _ORDERS[sort].format(t="search_docs.")
                sql = q.select(
                    "search_docs.article_id", f"ORDER BY {order} LIMIT :limit OFFSET :offset"
                )
                rows = conn.execute(text(sql), page).all() if offset < total else []
            score = 0.0 if sort == "relevance" else None
            return Hits(total, [(int(row[0]), score) for row in rows])

    def day_counts(self, plan: Plan) -> dict[date, int]:
        q = _Query(plan)
        sql = q.select("CAST(search_docs.at AT TIME ZONE 'UTC' AS date), count(*)", "GROUP BY 1")
        with self._reading(q) as conn:
            return {d: int(n) for d, n in conn.execute(text(sql), q.params)}

    def facet_counts(self, plan: Plan, facet: Facet, limit: int) -> list[tuple[str, int]]:
        if facet not in ("source", "author", "republished"):
            raise ValueError(f"unknown facet {facet!r}")
        if limit <= 0:
            return []
        q = _Query(plan)
        value = {
            "source": "search_docs.outlet",
            "author": "a.name",
            "republished": "search_docs.republished_from",
        }[facet]
        extra = " CROSS JOIN LATERAL unnest(search_docs.authors) AS a(name)"
        # Ties in code point order, as Python and tantivy sort, whatever the collation.
        sql = q.select(
            f"{value}, count(*) AS n",
            f'AND {value} IS NOT NULL GROUP BY {value} ORDER BY n DESC, {value} COLLATE "C" '
            "LIMIT :limit",
            extra if facet == "author" else "",
        )
        with self._reading(q) as conn:
            rows = conn.execute(text(sql), {**q.params, "limit": limit})
            return [(str(v), int(n)) for v, n in rows]

    def sample(self, plan: Plan, n: int) -> list[int]:
        if n <= 0:
            return []
        q = _Query(plan)
        if q.one_pass:
            sql = q.matches("search_docs.article_id, search_docs.sample_key") + (
                "SELECT article_id FROM m ORDER BY sample_key, article_id LIMIT :n"
            )
        else:
            sql = q.select(
                "search_docs.article_id",
                "ORDER BY search_docs.sample_key, search_docs.article_id LIMIT :n",
            )
        with self._reading(q) as conn:
            return [int(i) for i in conn.execute(text(sql), {**q.params, "n": n}).scalars()]

    def close(self) -> None:
        """Nothing to release: the store owns the connections."""

    @contextmanager
    def _reading(self, q: _Query) -> Iterator[Connection]:
        """A connection with this engine's planner settings, undone when the read ends."""
        with self._store.read() as conn:
            savepoint = conn.begin_nested() if conn.in_transaction() else None
            try:
                conn.execute(_SETTINGS, {"scans": "off" if q.uses_text else "on"})
                yield conn
            finally:
                if savepoint is not None:
                    savepoint.rollback()


def _count(conn: Connection, q: _Query) -> int:
    return int(conn.execute(text(q.select("count(*)")), q.params).scalar_one())


def _ranked(conn: Connection, q: _Query, limit: int, offset: int) -> Hits:
    """A page of a relevance search: the RANK_WINDOW newest matches by score, then the rest
    newest first. Ranking reads each ranked article's tsvector out of TOAST, so its cost is
    bounded whatever the number of matches."""
    params = {**q.params, "window": RANK_WINDOW, "limit": limit, "offset": offset}
    found: list[tuple[int, float | None]] = []
    total: int | None = None
    if offset < RANK_WINDOW:
        sql = q.matches("search_docs.article_id, search_docs.at") + (
            ", recent AS (SELECT article_id FROM m ORDER BY at DESC, article_id DESC "
            f"LIMIT :window) SELECT d.article_id, {q.score('d')} AS score, "
            "(SELECT count(*) FROM m) FROM recent JOIN search_docs AS d USING (article_id) "
            "ORDER BY score DESC, d.article_id LIMIT :limit OFFSET :offset"
        )
        rows = conn.execute(text(sql), params).all()
        found = [(int(i), float(s)) for i, s, _ in rows]
        total = int(rows[0][2]) if rows else None
    if total is None:
        total = _count(conn, q)
    end = min(offset + limit, total)
    if end > RANK_WINDOW:
        start = max(offset, RANK_WINDOW)
        sql = q.select(
            f"search_docs.article_id, {q.score('search_docs')}",
            f"ORDER BY {_ORDERS['newest'].format(t='search_docs.')} LIMIT :n OFFSET :start",
        )
        rest = conn.execute(text(sql), {**q.params, "n": end - start, "start": start})
        found += [(int(i), float(s)) for i, s in rest]
    return Hits(total, found)


# -- documents ----------------------------------------------------------------------------


class _Tsvectors(list[bytes]):
    """tsvector values in PostgreSQL's binary form, sent as one tsvector[] parameter."""

    __slots__ = ()


class _TsvectorsDumper(Dumper):
    # PostgreSQL parses the text form of a tsvector at ~30 ns a character, more than half
    # the cost of an upsert; the binary form is read as is.
    format = Format.BINARY
    oid = _TSVECTOR_ARRAY_OID

    def dump(self, obj: _Tsvectors) -> bytes:
        head = _ARRAY_HEADER.pack(1, 0, _TSVECTOR_OID, len(obj), 1)
        return head + b"".join([_INT32.pack(len(v)) + v for v in obj])


def _send_tsvectors(conn: Connection) -> None:
    """Teach this connection to send _Tsvectors (SQLAlchemy gives each its own adapters)."""
    raw = conn.connection.dbapi_connection
    if isinstance(raw, psycopg.Connection):
        raw.adapters.register_dumper(_Tsvectors, _TsvectorsDumper)


def tsvector_bytes(tokens: Sequence[str]) -> bytes:
    """The tsvector of a field whose tokens are `tokens` (position = index + 1), in binary.

    Within PostgreSQL's limits as the module docstring says, so no article can make an
    upsert fail: positions past MAX_POSITION are left out (a word seen only there is kept
    without positions), a word keeps its first MAX_POSITIONS, and lexemes first seen once
    the value would pass MAX_TSVECTOR_BYTES are left out.
    """
    pos_bytes = _POSITION_BYTES
    positions: dict[str, bytes] = {}
    get = positions.get
    cap = 2 * MAX_POSITIONS
    for pos, token in enumerate(tokens[:MAX_POSITION], 1):
        seen = get(token)
        if seen is None:
            positions[token] = pos_bytes[pos]
        elif len(seen) < cap:
            positions[token] = seen + pos_bytes[pos]
    for token in tokens[MAX_POSITION:]:
        positions.setdefault(token, b"")
    parts = [b""]
    size = 0
    for token, found in positions.items():
        lexeme = token.encode()
        if not lexeme or len(lexeme) > _MAX_LEXEME or b"\0" in lexeme:
            continue
        # As tsvectorrecv counts it: the lexeme, a pad byte, 4 bytes per position and count.
        size += len(lexeme) + 1 + 2 * len(found) + 4 if found else len(lexeme)
        if size > MAX_TSVECTOR_BYTES:
            break
        parts.append(b"%s\0%s%s" % (lexeme, pos_bytes[len(found) >> 1], found))
    parts[0] = _INT32.pack(len(parts) - 1)
    return b"".join(parts)


def _rows(docs: list[SearchDoc]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ids": [d.id for d in docs],
        "ats": [d.when if d.when.tzinfo else d.when.replace(tzinfo=UTC) for d in docs],
        "keys": [d.sample_key for d in docs],
        "outlets": [_clean(d.outlet) for d in docs],
        "authors": [json.dumps([_clean(a) for a in d.authors]) for d in docs],
        "republished": [
            None if d.republished_from is None else _clean(d.republished_from) for d in docs
        ],
    }
    for field in SEARCH_FIELDS:
        params[f"v_{field}"] = _Tsvectors(tsvector_bytes(d.tokens.get(field, ())) for d in docs)
    return params


def _clean(value: str) -> str:
    return value.replace("\x00", "")


# -- queries ------------------------------------------------------------------------------


def tsquery_literal(node: Match | Near) -> str:
    """The tsquery for one Match or Near, from its tokens alone.

    A phrase is tokens `<->` apart; a Near layout puts `<k>` between neighbours k
    positions apart (PostgreSQL's `a <k> b`: b exactly k positions after a).
    """
    if isinstance(node, Match):
        words = [_quote(t) for t in node.tokens]
        if node.prefix:
            words[-1] += ":*"
        return " <-> ".join(words)
    layouts = []
    for layout in node.layouts:
        placed = sorted(layout)
        query = _quote(placed[0][1])
        for (before, _), (offset, token) in itertools.pairwise(placed):
            query += f" <{offset - before}> {_quote(token)}"
        layouts.append(f"( {query} )")
    return " | ".join(layouts)


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


class _Query:
    """A plan compiled to an SQL condition on search_docs, every value a bound parameter.

    `one_pass`: the matches are best computed once and sorted (every match contains some
    word, so the GIN indexes find them, or words must be looked up anyway), rather than
    read in order from an index of dates or sample keys. `ranked`: some word is searched
    for (not only excluded), so relevance has something to rank by. `uses_text`: some
    word is looked up at all.
    """

    def __init__(self, plan: Plan) -> None:
        self.params: dict[str, Any] = {}
        self.uses_text = False
        self._ctes: list[str] = []
        self._rank: dict[str, list[str]] = {}
        self.where, self._joins = self._context(plan, True)
        self.one_pass = _selective(plan) or bool(self._ctes)
        self.ranked = bool(self._rank)
        self._rank_queries = {
            field: self._bind(" | ".join(f"( {q} )" for q in dict.fromkeys(queries)))
            for field, queries in self._rank.items()
        }

    def select(self, columns: str, tail: str = "", extra_from: str = "") -> str:
        """SELECT `columns` from the matching rows of search_docs, then `tail`."""
        head = f"WITH {', '.join(self._ctes)} " if self._ctes else ""
        return (
            f"{head}SELECT {columns} FROM search_docs{self._joins}{extra_from} "
            f"WHERE {self.where} {tail}"
        )

    def matches(self, columns: str) -> str:
        """A WITH clause making `m`: `columns` of every match, computed once."""
        ctes = [
            *self._ctes,
            f"m AS MATERIALIZED (SELECT {columns} FROM search_docs{self._joins} "
            f"WHERE {self.where})",
        ]
        return f"WITH {', '.join(ctes)} "

    def score(self, table: str) -> str:
        """ts_rank of each field's searched words, the title's weighted by TITLE_BOOST."""
        terms = [
            f"{_FIELD_WEIGHTS.get(field, 1.0)} * ts_rank({table}.{_COLUMNS[field]}, "
            f"CAST({query} AS tsquery), {_RANK_NORMALIZATION})"
            for field, query in self._rank_queries.items()
        ]
        return " + ".join(terms) if terms else "0"

    def _context(self, plan: Plan, positive: bool) -> tuple[str, str]:
        """The condition for `plan` on one scan of search_docs, and the joins it needs."""
        joins: list[str] = []
        where = self._where(plan, positive, joins, True)
        return where, "".join(joins)

    def _where(self, plan: Plan, positive: bool, joins: list[str], direct: bool) -> str:
        """`direct`: PostgreSQL can combine this part's index scans (AND/OR of words and
        dates), so a word is tested with @@. Elsewhere a word would be tested row by row,
        reading each tsvector from TOAST: it becomes a join on its GIN matches instead."""
        if isinstance(plan, Match | Near):
            column = _COLUMNS.get(plan.field)
            if column is None:
                raise ValueError(f"no searchable field {plan.field!r}")
            query = tsquery_literal(plan)
            if positive:
                self._rank.setdefault(plan.field, []).append(query)
            self.uses_text = True
            test = f"search_docs.{column} @@ CAST({self._bind(query)} AS tsquery)"
            if direct:
                return test
            return f"{self._join(test, '', joins)}.article_id IS NOT NULL"
        if isinstance(plan, When):
            start, end = self._bind(plan.start), self._bind(plan.end)
            return f"(search_docs.at >= {start} AND search_docs.at < {end})"
        if isinstance(plan, All):
            parts = [
                self._where(c, positive, joins, direct and (_indexable(c) or isinstance(c, All)))
                for c in plan.children
            ]
            return "(" + " AND ".join(parts) + ")" if parts else "TRUE"
        if isinstance(plan, AnyOf):
            direct = direct and _indexable(plan)
            parts = [self._where(c, positive, joins, direct) for c in plan.children]
            return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
        if isinstance(plan, Without):
            if not _has_words(plan.child):
                return f"NOT {self._where(plan.child, not positive, joins, direct)}"
            # The articles to leave out, found once from the GIN indexes, and joined.
            where, inner_joins = self._context(plan.child, not positive)
            return f"{self._join(where, inner_joins, joins)}.article_id IS NULL"
        if isinstance(plan, Everything):
            return "TRUE"
        raise TypeError(f"not a search plan: {plan!r}")

    def _join(self, where: str, inner_joins: str, joins: list[str]) -> str:
        """Join the ids of the rows matching `where`, computed once; return the join's name."""
        name = f"x{len(self._ctes)}"
        self._ctes.append(
            f"{name} AS MATERIALIZED (SELECT search_docs.article_id FROM search_docs"
            f"{inner_joins} WHERE {where})"
        )
        joins.append(f" LEFT JOIN {name} ON {name}.article_id = search_docs.article_id")
        return name

    def _bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def _selective(plan: Plan) -> bool:
    if isinstance(plan, Match | Near):
        return True
    if isinstance(plan, All):
        return any(_selective(c) for c in plan.children)
    if isinstance(plan, AnyOf):
        return bool(plan.children) and all(_selective(c) for c in plan.children)
    return False


def _indexable(plan: Plan) -> bool:
    if isinstance(plan, Match | Near | When):
        return True
    if isinstance(plan, All | AnyOf):
        return all(_indexable(c) for c in plan.children)
    return False


def _has_words(plan: Plan) -> bool:
    if isinstance(plan, Match | Near):
        return True
    if isinstance(plan, All | AnyOf):
        return any(_has_words(c) for c in plan.children)
    if isinstance(plan, Without):
        return _has_words(plan.child)
    return False
