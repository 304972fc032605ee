"""Use cases for exploring a query's matches: facets and exports.

A mixin of `Archive`. Facets count among all of a query's matches, not the page shown,
and are answered by the search index (aggregations on tantivy, grouped counts on
PostgreSQL), so their cost grows with the number of distinct values, not of matches.
Each value carries the query narrowed to it, written in the query language, and its
count is the number of articles that narrowed query finds, so a click never surprises.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from presswatch.errors import UsageError
from presswatch.publish.export import (
    EXPORT_FORMATS,
    article_record,
    enriched_records,
    export_bytes,
)
from presswatch.query.ast import Node, Or, Phrase, Term
from presswatch.query.parser import parse, to_text
from presswatch.search.plan import All, Plan, lower
from presswatch.search.service import SORTS
from presswatch.text.tokens import tokenize

if TYPE_CHECKING:
    from presswatch.enrich.article_view import ArticleEnrichment
    from presswatch.search.engine import Facet, SearchIndex
    from presswatch.search.service import SearchService
    from presswatch.store import Store
    from presswatch.store.records import StoredArticle

MAX_FACET_LIMIT = 100
CANDIDATE_SAMPLE = 1_000
"""Entities are gathered from this many matches (a fixed sample), then each candidate is
counted exactly among all the matches."""
LANGUAGE_SAMPLE = 200
"""Languages likewise, from fewer: reading an article's language reads the article
(1,000 took 150 ms on 50,000 articles, and an archive has few languages)."""
MAX_EXPORT = 20_000
EXPORT_BATCH = 500
_BARE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


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
        """Counts of the query's matches by source, author, language, entity and year.

        Sources, authors and years are exact over every match. Languages and entities are
        the ones found in a fixed sample of the matches, each then counted over all of them
        (a value rare enough to miss the sample of a broad query is left out).
        """
        if not 1 <= limit <= MAX_FACET_LIMIT:
            raise UsageError(f"the facet limit must be between 1 and {MAX_FACET_LIMIT}")
        service = self.search_service
        _node, plan = service.parse(query)
        service.catch_up(wait=False)
        index = service.index
        total = index.search(plan, sort="newest", limit=0).total
        narrow = _Narrower(query, plan, index)
        if total == 0:
            return Facets(0, [], [], [], [], [])
        sample = index.sample(plan, CANDIDATE_SAMPLE)
        return Facets(
            total=total,
            sources=narrow.counted("source", "source", limit),
            authors=narrow.counted("author", "author", limit),
            languages=narrow.recounted("lang", self._languages(sample[:LANGUAGE_SAMPLE]), limit),
            entities=narrow.recounted("entity", self._entities(sample, limit), limit),
            years=_years(narrow, index.day_counts(plan), limit),
        )

    def _languages(self, ids: list[int]) -> list[str]:
        """The primary language codes the feeds of these articles declare, most used first
        (`lang:en` finds en and en-US alike, so en-US counts as en)."""
        seen: Counter[str] = Counter()
        for article in self.store.articles_by_ids(ids):
            if article.language:
                words = tokenize(article.language)
                if words:
                    seen[words[0]] += 1
        return [code for code, _ in seen.most_common()]

    def _entities(self, ids: list[int], limit: int) -> list[str]:
        rows = self.store.top_entities(ids, limit=2 * limit)
        return [name for name, _kind, _articles, _mentions in rows]

    def article_page(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        limit: int = 50,
        offset: int = 0,
        order: str = "newest",
    ) -> list[StoredArticle]:
        """One page of `articles()` (for the API's cursor pages), `offset` articles in."""
        if order not in ("newest", "oldest"):
            raise UsageError(f"unknown order {order!r}: choose newest or oldest")
        return self.store.list_articles(
            since=since, until=until, source=source, limit=limit, offset=offset, order=order
        )

    def export(
        self, query: str, fmt: str, *, sort: str = "newest", limit: int | None = None
    ) -> bytes:
        """The query's matches as CSV, JSONL or Parquet (fmt csv|jsonl|parquet), in the
        order of `sort`, with the columns of `presswatch articles --format csv|jsonl`.

        At most MAX_EXPORT articles (the first ones in that order): an export is built in
        memory; `presswatch articles` streams a whole archive.
        """
        if fmt not in EXPORT_FORMATS:
            raise UsageError(
                f"unknown export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}"
            )
        chosen = next((s for s in SORTS if s == sort), None)
        if chosen is None:
            raise UsageError(f"unknown sort {sort!r}: choose one of {', '.join(SORTS)}")
        wanted = MAX_EXPORT if limit is None else limit
        if not 0 <= wanted <= MAX_EXPORT:
            raise UsageError(f"an export holds between 0 and {MAX_EXPORT:,} articles, not {limit}")
        service = self.search_service
        _node, plan = service.parse(query)
        service.catch_up(wait=False)
        hits = service.index.search(plan, sort=chosen, limit=wanted) if wanted else None
        ids = [i for i, _ in hits.ids] if hits is not None else []
        articles = self._in_batches(ids)
        if fmt == "jsonl":
            return export_bytes(enriched_records(articles, self._enrichments), fmt)
        return export_bytes(map(article_record, articles), fmt)

    def _enrichments(self, ids: list[int]) -> Mapping[int, ArticleEnrichment]:
        from presswatch.archive_views import ViewUseCases

        assert isinstance(self, ViewUseCases)  # Archive is both
        return self.article_enrichments(ids)

    def _in_batches(self, ids: list[int]) -> Iterator[StoredArticle]:
        for start in range(0, len(ids), EXPORT_BATCH):
            yield from self.store.articles_by_ids(ids[start : start + EXPORT_BATCH])


class _Narrower:
    """Writes `query` narrowed to one field value, and counts what that finds."""

    def __init__(self, query: str, plan: Plan, index: SearchIndex) -> None:
        grouped = isinstance(parse(query), Or)
        self.prefix = f"({query})" if grouped else query
        self.plan = plan
        self.index = index

    def refine(self, node: Node) -> str:
        return f"{self.prefix} {to_text(node)}"

    def count(self, node: Node) -> int:
        plan = All((self.plan, lower(node)))
        return self.index.search(plan, sort="newest", limit=0).total

    def counted(self, facet: Facet, field: str, limit: int) -> list[FacetValue]:
        """The index's exact counts of a facet, each value with its narrowed query."""
        out: list[FacetValue] = []
        for value, n in self.index.facet_counts(self.plan, facet, limit):
            node = _value_node(field, value)
            if node is not None:
                out.append(FacetValue(value, n, self.refine(node)))
        return out

    def recounted(self, field: str, candidates: list[str], limit: int) -> list[FacetValue]:
        """Candidates counted exactly by their narrowed query; most first, then by name."""
        out: list[FacetValue] = []
        for value in dict.fromkeys(candidates):
            node = _value_node(field, value)
            if node is None:
                continue
            n = self.count(node)
            if n:
                out.append(FacetValue(value, n, self.refine(node)))
        out.sort(key=lambda v: (-v.count, v.value.casefold()))
        return out[:limit]


def _years(narrow: _Narrower, days: dict[date, int], limit: int) -> list[FacetValue]:
    """Matches per year, newest year first (a year's count is its days' sum: exact)."""
    years: Counter[int] = Counter()
    for day, n in days.items():
        years[day.year] += n
    newest = sorted(years, reverse=True)[:limit]
    return [FacetValue(str(y), years[y], f"{narrow.prefix} published:{y:04d}") for y in newest]


def _value_node(field: str, value: str) -> Term | Phrase | None:
    """The query term that selects `value` in `field`: bare when it reads back as the same
    word (source:tass.com), quoted otherwise; None when it holds nothing searchable."""
    if not tokenize(value):
        return None
    if _BARE.fullmatch(value) and value.upper() not in _OPERATORS:
        term = Term(value, field)
        try:
            if parse(to_text(term)) == term:
                return term
        except UsageError:
            pass
    return Phrase(value, field)
