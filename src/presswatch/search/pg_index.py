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

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

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
"""Under PostgreSQL's 1 MB per tsvector, counted as it stores one (see _entry_bytes)."""

_BATCH = 500  # documents per INSERT: one statement, 13 array parameters
_RANK_NORMALIZATION = 1  # ts_rank divides by 1 + log(length): short texts rank higher
_FIELD_WEIGHTS = {"title": TITLE_BOOST}
_COLUMNS = {field: f"tsv_{field}" for field in SEARCH_FIELDS}

_UPSERT = text(
    "INSERT INTO search_docs (article_id, at, sample_key, outlet, authors, republished_from, "
    + ", ".join(_COLUMNS.values())
    + ") SELECT d.id, d.at, d.sample_key, d.outlet, "
    "ARRAY(SELECT jsonb_array_elements_text(d.authors)), d.republished_from, "
    + ", ".join(f"d.{f}" for f in SEARCH_FIELDS)
    + " FROM unnest(CAST(:ids AS bigint[]), CAST(:ats AS timestamptz[]), "
    "CAST(:keys AS bigint[]), CAST(:outlets AS text[]), CAST(:authors AS jsonb[]), "
    "CAST(:republished AS text[]), "
    + ", ".join(f"CAST(:{f} AS tsvector[])" for f in SEARCH_FIELDS)
    + ") AS d(id, at, sample_key, outlet, authors, republished_from, "
    + ", ".join(SEARCH_FIELDS)
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
        latest = {doc.id: doc for doc in docs}  # one statement cannot update a row twice
        batches = list(_batches(list(latest.values())))

        def work(conn: Connection) -> None:
            for batch in batches:
                conn.execute(_UPSERT, _rows(batch))

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
                score = q.score()
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
            f"SELECT {value} AS value, count(*) AS n FROM {source} WHERE {where} "
            f'GROUP BY 1 ORDER BY n DESC, value COLLATE "C" LIMIT :limit'
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


def tsvector_literal(tokens: Sequence[str]) -> str:
    """The tsvector of a field whose tokens are `tokens` (position = index + 1).

    Within PostgreSQL's limits, as the module docstring says; never larger than
    MAX_TSVECTOR_BYTES, so no article can make an upsert fail.
    """
    positions: dict[str, list[int]] = {}
    for pos, token in enumerate(tokens[:MAX_POSITION], 1):
        seen = positions.get(token)
        if seen is None:
            positions[token] = [pos]
        elif len(seen) < MAX_POSITIONS:
            seen.append(pos)
    for token in tokens[MAX_POSITION:]:
        positions.setdefault(token, [])
    parts: list[str] = []
    size = 8
    for token, found in positions.items():
        size += _entry_bytes(token, len(found))
        if size > MAX_TSVECTOR_BYTES:
            break
        quoted = _quote(token)
        parts.append(f"{quoted}:{','.join(map(str, found))}" if found else quoted)
    return " ".join(parts)


def _entry_bytes(token: str, npos: int) -> int:
    # A WordEntry, the lexeme, and (2-byte aligned) a count and 2 bytes per position.
    return 4 + len(token.encode()) + (5 + 2 * npos if npos else 0)


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _batches(docs: list[SearchDoc]) -> Iterator[list[SearchDoc]]:
    for start in range(0, len(docs), _BATCH):
        yield docs[start : start + _BATCH]


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
        params[field] = [tsvector_literal(d.tokens.get(field, ())) for d in docs]
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
        for (before, _), (offset, token) in zip(placed, placed[1:], strict=False):
            query += f" <{offset - before}> {_quote(token)}"
        layouts.append(f"( {query} )")
    return " | ".join(layouts)


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
