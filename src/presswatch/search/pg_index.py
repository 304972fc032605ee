"""The PostgreSQL search engine: search_docs rows with one tsvector per field, GIN-indexed.

PostgreSQL's own text parser never sees a word. Documents arrive as SearchDoc tokens
and queries as plans (search/plan.py), both made by text.tokens; this module writes
tsvector and tsquery *values* from them and binds them as parameters, so PostgreSQL
matches exactly the words the tantivy engine matches, with no stemming, stop words or
parser quirks, and user text never becomes SQL.

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

# Ranking a common word reads every matching tsvector: JIT compilation only adds to that,
# and a bigger work_mem keeps the bitmap of a few hundred thousand matches exact.
_SETTINGS = text("SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)")


class PGIndex:
    """The SearchIndex (search/engine.py) of an archive stored in PostgreSQL.

    Writes join the store's current transaction() block, so the facade can index a batch
    and clear its change log atomically. Reads change two settings of their transaction
    (jit off, work_mem 32MB); inside a block they last until the block ends.
    """

    name = "postgresql"

    def __init__(self, store: SQLStore) -> None:
        self._store = store

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        unique = list({doc.id: doc for doc in docs}.values())  # a statement updates a row once
        batches = [unique[i : i + _BATCH] for i in range(0, len(unique), _BATCH)]

        def work(conn: Connection) -> None:
            if len(batches) == 1:
                conn.execute(_UPSERT, _rows(batches[0]))
                return
            # Encode the next batch while PostgreSQL writes this one (the driver releases
            # the GIL while it waits): about a third faster on two cores.
            with ThreadPoolExecutor(1) as encoder:
                ahead = encoder.submit(_rows, batches[0])
                for following in [*batches[1:], None]:
                    rows = ahead.result()
                    if following is not None:
                        ahead = encoder.submit(_rows, following)
                    conn.execute(_UPSERT, rows)

        if batches:
            self._store.write(work)

    def clear(self) -> None:
        # TRUNCATE rather than DELETE: a rebuild then starts from empty GIN indexes instead
        # of doubling them with dead entries. It is transactional, and readers wait for the
        # rebuild's transaction instead of seeing a half-built index.
        self._store.write(lambda conn: conn.execute(text("TRUNCATE search_docs")))

    def doc_count(self) -> int:
        with self._store.read() as conn:
            return int(conn.execute(text("SELECT count(*) FROM search_docs")).scalar_one())

    def search(self, plan: Plan, *, sort: Sort, limit: int, offset: int = 0) -> Hits:
        q = _Query()
        where = q.where(plan)
        score = q.score() if sort == "relevance" else "0"
        with self._reading() as conn:
            total = int(
                conn.execute(
                    text(f"SELECT count(*) FROM search_docs WHERE {where}"), q.params
                ).scalar_one()
            )
            if limit <= 0 or offset >= total:
                return Hits(total, [])
            page = {**q.params, "limit": limit, "offset": max(offset, 0)}
            if sort == "relevance":
                order = "score DESC, article_id" if score != "0" else "article_id"
                rows = conn.execute(
                    text(
                        f"SELECT article_id, {score} AS score FROM search_docs WHERE {where} "
                        f"ORDER BY {order} LIMIT :limit OFFSET :offset"
                    ),
                    page,
                )
                return Hits(total, [(int(i), float(s)) for i, s in rows])
            direction = "DESC" if sort == "newest" else "ASC"
            rows = conn.execute(
                text(
                    f"SELECT article_id FROM search_docs WHERE {where} "
                    f"ORDER BY at {direction}, article_id {direction} "
                    "LIMIT :limit OFFSET :offset"
                ),
                page,
            )
            return Hits(total, [(int(i), None) for (i,) in rows])

    def day_counts(self, plan: Plan) -> dict[date, int]:
        q = _Query()
        where = q.where(plan)
        day = "CAST(at AT TIME ZONE 'UTC' AS date)"
        with self._reading() as conn:
            rows = conn.execute(
                text(f"SELECT {day}, count(*) FROM search_docs WHERE {where} GROUP BY 1"),
                q.params,
            )
            return {d: int(n) for d, n in rows}

    def facet_counts(self, plan: Plan, facet: Facet, limit: int) -> list[tuple[str, int]]:
        q = _Query()
        where = q.where(plan)
        if facet == "source":
            source, value = "search_docs", "outlet"
        elif facet == "author":
            source, value = "search_docs CROSS JOIN LATERAL unnest(authors) AS a(name)", "a.name"
        elif facet == "republished":
            source, value = "search_docs", "republished_from"
            where = f"republished_from IS NOT NULL AND {where}"
        else:
            raise ValueError(f"unknown facet {facet!r}")
        if limit <= 0:
            return []
        # Ties in byte (code point) order, as Python and tantivy sort, whatever the collation.
        sql = (
            f"SELECT {value}, count(*) AS n FROM {source} WHERE {where} "
            f'GROUP BY {value} ORDER BY n DESC, {value} COLLATE "C" LIMIT :limit'
        )
        with self._reading() as conn:
            rows = conn.execute(text(sql), {**q.params, "limit": limit})
            return [(str(v), int(n)) for v, n in rows]

    def sample(self, plan: Plan, n: int) -> list[int]:
        if n <= 0:
            return []
        q = _Query()
        where = q.where(plan)
        sql = (
            f"SELECT article_id FROM search_docs WHERE {where} "
            "ORDER BY sample_key, article_id LIMIT :n"
        )
        with self._reading() as conn:
            return [int(i) for i in conn.execute(text(sql), {**q.params, "n": n}).scalars()]

    def close(self) -> None:
        """Nothing to release: the store owns the connections."""

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self._store.read() as conn:
            conn.execute(_SETTINGS)
            yield conn


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


psycopg.adapters.register_dumper(_Tsvectors, _TsvectorsDumper)


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
    """A plan compiled to an SQL condition on search_docs, every value a bound parameter."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._rank: dict[str, list[str]] = {}

    def where(self, plan: Plan, positive: bool = True) -> str:
        if isinstance(plan, Match | Near):
            column = _COLUMNS.get(plan.field)
            if column is None:
                raise ValueError(f"no searchable field {plan.field!r}")
            query = tsquery_literal(plan)
            if positive:
                self._rank.setdefault(plan.field, []).append(query)
            return f"{column} @@ CAST({self._bind(query)} AS tsquery)"
        if isinstance(plan, When):
            return f"(at >= {self._bind(plan.start)} AND at < {self._bind(plan.end)})"
        if isinstance(plan, All):
            parts = [self.where(c, positive) for c in plan.children]
            return "(" + " AND ".join(parts) + ")" if parts else "TRUE"
        if isinstance(plan, AnyOf):
            parts = [self.where(c, positive) for c in plan.children]
            return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
        if isinstance(plan, Without):
            return f"NOT ({self.where(plan.child, not positive)})"
        if isinstance(plan, Everything):
            return "TRUE"
        raise TypeError(f"not a search plan: {plan!r}")

    def score(self) -> str:
        """ts_rank of each field's positive words, title weighted by TITLE_BOOST; "0" if none."""
        terms = []
        for field, queries in self._rank.items():
            query = " | ".join(f"( {q} )" for q in dict.fromkeys(queries))
            weight = _FIELD_WEIGHTS.get(field, 1.0)
            terms.append(
                f"{weight} * ts_rank({_COLUMNS[field]}, CAST({self._bind(query)} AS tsquery), "
                f"{_RANK_NORMALIZATION})"
            )
        return " + ".join(terms) if terms else "0"

    def _bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"
