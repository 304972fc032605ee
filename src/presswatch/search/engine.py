"""The protocol every search engine implements, so the facade never knows which one it has.

Engines receive plans (search/plan.py) and SearchDocs (search/documents.py), never user
text, and answer with article ids; the facade turns ids into articles and snippets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from presswatch.search.documents import SearchDoc
from presswatch.search.plan import Plan

Sort = Literal["relevance", "newest", "oldest"]
Facet = Literal["source", "author", "republished"]


@dataclass(frozen=True, slots=True)
class Hits:
    """`total` matches in all; `ids` the requested page, with scores when ranked."""

    total: int
    ids: list[tuple[int, float | None]]


class SearchIndex(Protocol):
    name: str
    """'tantivy' or 'postgresql', shown by `presswatch reindex` and in errors."""

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        """Index `docs`, replacing any earlier version of the same ids, once committed.

        Idempotent: applying the same batch twice leaves one copy of each. On PostgreSQL it
        joins the store's current transaction; tantivy holds it until commit().
        """

    def commit(self) -> None:
        """Make upserts durable and visible to searches (PostgreSQL: the transaction does)."""

    def refresh_statistics(self) -> None:
        """Update what the engine plans queries with, after a rebuild."""

    def clear(self) -> None:
        """Drop every document (before a full reindex)."""

    def doc_count(self) -> int: ...

    def search(self, plan: Plan, *, sort: Sort, limit: int, offset: int = 0) -> Hits:
        """Matches of `plan`: relevance is BM25-like with title matches weighted by
        TITLE_BOOST; newest/oldest order by SearchDoc.when then id. Ties: lower id first
        for relevance and oldest, higher id first for newest."""

    def day_counts(self, plan: Plan) -> dict[date, int]:
        """Matches per UTC day of SearchDoc.when (Everything() gives the archive's totals)."""

    def facet_counts(self, plan: Plan, facet: Facet, limit: int) -> list[tuple[str, int]]:
        """The most frequent outlets / authors / republished-from values among the matches,
        most first, ties by value; an article with two authors counts for each."""

    def sample(self, plan: Plan, n: int) -> list[int]:
        """Up to `n` matching ids, the ones with the lowest SearchDoc.sample_key."""

    def close(self) -> None: ...
