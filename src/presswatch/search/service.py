"""Search, timelines and top lists over an archive: the use cases behind `presswatch search`.

The index follows the archive through the change log (`search_pending`, filled by
triggers in the writing transaction): every call first applies what is pending, so a
search right after an ingest sees the new articles, and a crash between writing the
archive and updating the index only leaves work in the log for next time. On PostgreSQL
the index rows and the log are updated in one transaction; tantivy commits first and the
log is cleared after, which is safe because applying a document twice is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from presswatch.analysis.terms import distinctive_terms
from presswatch.analysis.timeline import Period, Timeline, build_timeline
from presswatch.errors import SearchIndexBusy, UsageError
from presswatch.query.ast import Node
from presswatch.query.parser import SAVED_NAME, parse, to_text
from presswatch.query.saved import expand
from presswatch.search.documents import search_doc
from presswatch.search.engine import Facet, SearchIndex, Sort
from presswatch.search.indexes import open_index
from presswatch.search.plan import Everything, Plan, lower, positive_tokens
from presswatch.search.snippets import highlight_parts, snippet_parts
from presswatch.store import Store
from presswatch.store.records import StoredArticle

SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
PERIODS: tuple[Period, ...] = ("day", "week", "month")
TOP_KINDS = ("terms", "sources", "authors", "republished")
MAX_LIMIT = 1_000
CATCH_UP_BATCH = 2_000
COMMIT_EVERY = 20_000
"""Articles indexed between two commits of the index (and clearings of the change log)."""
TERMS_FOREGROUND = 1_000
"""Top terms read at most this many matching articles (a fixed pseudo-random sample)."""
TERMS_BACKGROUND = 3_000
MAX_NAME = 64
_FACETS: dict[str, Facet] = {"sources": "source", "authors": "author", "republished": "republished"}

_T = TypeVar("_T", bound=str)

Progress = Callable[[int, int], None]
"""Called with (done, total) while the index is being built."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the article, its score (None when sorted by date), and where it matched.

    `snippet` and `title` are (text, is_match) pieces, so each front end marks the matches
    its own way (bold in a terminal, <mark> on the web) and escapes the rest.
    """

    article: StoredArticle
    score: float | None
    title: list[tuple[str, bool]]
    snippet: list[tuple[str, bool]]


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    expanded: str
    """The query with saved queries (@name) written out."""
    total: int
    sort: Sort
    offset: int
    hits: list[SearchHit]


@dataclass(frozen=True, slots=True)
class TopRow:
    """One line of a top list: `count` of the `of` articles counted (all matches for
    sources/authors, the sample for terms); `score` and `background` for terms only."""

    value: str
    count: int
    of: int
    score: float | None = None
    background: int | None = None


@dataclass(frozen=True, slots=True)
class SavedQuery:
    name: str
    query: str
    updated_at: datetime


class SearchService:
    """Owns the archive's search index; opened lazily, on the first search.

    Threads may share it: opening, catching up and rebuilding hold one re-entrant lock
    (two threads applying the change log together would share the index's one writer).
    A service told to `follow` only reads an index another process keeps (the parent of
    `presswatch serve --workers N`): it never rebuilds it and never applies the log.
    """

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self._clock = clock
        self._index: SearchIndex | None = None
        self._lock = threading.RLock()
        self._following = False
        self.progress: Progress | None = None

    @property
    def index(self) -> SearchIndex:
        if self._index is not None:
            return self._index
        with self._lock:
            if self._index is None:
                index = open_index(self.store)
                self._index = index
                if not self._following and self._inconsistent(index):
                    self.reindex()
            return self._index

    def follow(self) -> None:
        """Only read the index from now on; another process writes it."""
        with self._lock:
            self._following = True

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    # -- keeping the index in step --------------------------------------------------------

    def catch_up(self, *, wait: bool = True) -> int:
        """Apply the change log to the index; the number of articles (re)indexed.

        With `wait` False, another process holding the index is not an error: that
        process will apply the log, and this one reads what is committed. On PostgreSQL
        each batch claims its ids (store.pending_search_ids inside a transaction), so
        processes catching up at once index disjoint parts of the log; ids another
        process holds are left to it.
        """
        if self._following:
            return 0
        with self._lock:
            return self._catch_up(wait)

    def _catch_up(self, wait: bool) -> int:
        done = 0
        try:
            index = self.index
            # Look outside any transaction first: a search with nothing to apply must not
            # wait for the archive's write lock (on SQLite, held by a running ingest).
            while self.store.pending_search_ids(1):
                with self.store.transaction():
                    ids = self.store.pending_search_ids(CATCH_UP_BATCH)
                    group: list[int] = []
                    while ids and len(group) < COMMIT_EVERY:
                        index.upsert([search_doc(s) for s in self.store.search_sources(ids)])
                        group += ids
                        ids = self.store.pending_search_ids(CATCH_UP_BATCH, after=group[-1])
                    if group:
                        index.commit()
                        self.store.clear_search_pending(group)
                if not group:  # what is pending is being indexed by another process
                    break
                done += len(group)
        except SearchIndexBusy:
            if wait:
                raise
        return done

    def reindex(self) -> int:
        """Rebuild the index from the archive; the number of articles indexed.

        One archive transaction: on PostgreSQL searches see the old index until the new
        one is complete; on SQLite, ingests wait. Interrupted, it leaves an index whose
        count gives it away, so the next open rebuilds it again.
        """
        if self._following:
            raise UsageError(
                "this process only reads the search index; rebuild it from the one that keeps it"
            )
        with self._lock:
            return self._reindex()

    def _reindex(self) -> int:
        index = self._index if self._index is not None else open_index(self.store)
        self._index = index
        total = self.store.count_articles()
        done = 0
        with self.store.transaction():
            index.clear()
            group: list[int] = []
            for batch in self.store.iter_search_sources(CATCH_UP_BATCH):
                index.upsert([search_doc(s) for s in batch])
                group += [s.id for s in batch]
                done += len(batch)
                if len(group) >= COMMIT_EVERY:
                    index.commit()
                    self.store.clear_search_pending(group)
                    group = []
                if self.progress is not None:
                    self.progress(done, total)
            index.commit()
            self.store.clear_search_pending(group)
        self.catch_up()
        index.refresh_statistics()
        return done

    def _inconsistent(self, index: SearchIndex) -> bool:
        """True when the index cannot be the archive's: new, another version, or a count
        that no pending change explains (e.g. an archive restored from a backup)."""
        if getattr(index, "needs_rebuild", False):
            return True
        # Other processes may ingest and catch up between these reads (workers on one
        # PostgreSQL archive). The index only grows and the log only shrinks by catch-up,
        # so the count read before the archive's bounds it from above and the count read
        # after bounds it from below; one read in between would see a healthy index as
        # inconsistent now and then, and rebuild it under the other writers' feet.
        before = index.doc_count()
        articles = self.store.count_articles()
        pending = self.store.count_search_pending()
        after = index.doc_count()
        return not (before <= articles and articles - pending <= after)

    # -- queries ----------------------------------------------------------------------------

    def parse(self, query: str) -> tuple[Node, Plan]:
        """The query's tree (saved queries written out) and its plan; QuerySyntaxError if
        it cannot be understood."""
        node = expand(parse(query), self.store.get_query, query)
        return node, lower(node, query)

    def matching_ids(self, query: str, *, limit: int) -> list[int]:
        """The newest `limit` matches' ids, without reading the articles."""
        _node, plan = self.parse(query)
        self.catch_up(wait=False)
        return [i for i, _ in self.index.search(plan, sort="newest", limit=limit, offset=0).ids]

    def search(
        self, query: str, *, sort: str = "relevance", limit: int = 20, offset: int = 0
    ) -> SearchResult:
        chosen = _choice(sort, SORTS, "sort")
        _check_page(limit, offset)
        node, plan = self.parse(query)
        self.catch_up(wait=False)
        hits = self.index.search(plan, sort=chosen, limit=limit, offset=offset)
        scores = dict(hits.ids)
        articles = self.store.articles_by_ids([i for i, _ in hits.ids])
        words, prefixes = positive_tokens(plan)
        return SearchResult(
            query=query,
            expanded=to_text(node),
            total=hits.total,
            sort=chosen,
            offset=offset,
            hits=[
                SearchHit(
                    article=a,
                    score=scores[a.id],
                    title=highlight_parts(a.title, words, prefixes),
                    snippet=snippet_parts(a.text, words, prefixes),
                )
                for a in articles
            ],
        )

    def timeline(
        self, queries: Sequence[str], *, by: str = "week", normalize: bool = False
    ) -> Timeline:
        period = _choice(by, PERIODS, "period")
        if not queries:
            raise UsageError("give at least one query to draw a timeline for")
        plans = [(q, self.parse(q)[1]) for q in queries]
        self.catch_up(wait=False)
        series = {q: self.index.day_counts(plan) for q, plan in plans}
        totals = self.index.day_counts(Everything())
        return build_timeline(series, totals, period, normalize=normalize)

    def top(self, kind: str, query: str, *, limit: int = 20) -> list[TopRow]:
        chosen = _choice(kind, TOP_KINDS, "list")
        _check_page(limit, 0)
        _, plan = self.parse(query)
        self.catch_up(wait=False)
        if chosen != "terms":
            total = self.index.search(plan, sort="newest", limit=0).total
            counts = self.index.facet_counts(plan, _FACETS[chosen], limit)
            return [TopRow(value, n, total) for value, n in counts]
        foreground = self.index.sample(plan, TERMS_FOREGROUND)
        background = self.index.sample(Everything(), TERMS_BACKGROUND)
        words, prefixes = positive_tokens(plan)
        scored = distinctive_terms(
            self.store.article_texts(foreground),
            self.store.article_texts(background),
            limit=limit,
            exclude=words,
            exclude_prefixes=prefixes,
        )
        return [
            TopRow(t.term, t.count, len(foreground), score=t.score, background=t.background)
            for t in scored
        ]

    # -- saved queries ----------------------------------------------------------------------

    def save_query(self, name: str, query: str) -> SavedQuery:
        if len(name) > MAX_NAME or not SAVED_NAME.fullmatch(name):
            raise UsageError(
                f"{name!r} cannot name a saved query: use letters, digits, _ and -, "
                "starting with a letter (at most 64)"
            )
        now = self._clock()
        with self.store.transaction():
            self.store.save_query(name, query, now)
            # Parsed through its name, with the new text in place: a query that refers to
            # itself through others is refused now rather than on its first use.
            self.parse(f"@{name}")
        return SavedQuery(name, query, now)

    def saved_queries(self) -> list[SavedQuery]:
        return [SavedQuery(n, q, at) for n, q, at in self.store.list_queries()]

    def saved_query(self, name: str) -> SavedQuery:
        for saved in self.saved_queries():
            if saved.name == name:
                return saved
        raise UsageError(f"no saved query named {name!r} (see `presswatch queries list`)")

    def delete_query(self, name: str) -> None:
        users = [str(a.id) for a in self.store.list_alerts() if a.query_name == name]
        if users:
            raise UsageError(
                f"@{name} is used by alert {', '.join(users)}: remove "
                f"{'it' if len(users) == 1 else 'them'} first (presswatch alerts remove ID)"
            )
        if not self.store.delete_query(name):
            raise UsageError(f"no saved query named {name!r} (see `presswatch queries list`)")


def _choice(value: str, allowed: tuple[_T, ...], what: str) -> _T:
    for option in allowed:
        if value == option:
            return option
    raise UsageError(f"unknown {what} {value!r}: choose one of {', '.join(allowed)}")


def _check_page(limit: int, offset: int) -> None:
    if not 0 <= limit <= MAX_LIMIT:
        raise UsageError(f"the limit must be between 0 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise UsageError(f"the offset cannot be negative ({offset})")
