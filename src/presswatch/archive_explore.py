"""Use cases for exploring a query's matches: facets and exports.

A mixin of `Archive`. Owner: issue 6 API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presswatch.search.service import SearchService
    from presswatch.store import Store


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    count: int
    refine: str
    """The query narrowed to this value, ready to run."""


@dataclass(frozen=True, slots=True)
class Facets:
    total: int
    sources: list[FacetValue]
    authors: list[FacetValue]
    languages: list[FacetValue]
    entities: list[FacetValue]
    years: list[FacetValue]


class ExploreUseCases:
    store: Store
    search_service: SearchService
    _clock: Callable[[], datetime]

    def facets(self, query: str, *, limit: int = 10) -> Facets:
        """Counts of the query's matches by source, author, language, entity and year."""
        raise NotImplementedError

    def export(
        self, query: str, fmt: str, *, sort: str = "newest", limit: int | None = None
    ) -> bytes:
        """The query's matches as CSV, JSONL or Parquet (fmt csv|jsonl|parquet)."""
        raise NotImplementedError
