"""The embedded search engine of an SQLite archive: a tantivy index in a folder beside it.

Documents arrive already tokenized (search/documents.py) and are indexed with tantivy's
whitespace tokenizer, so tantivy never decides what a word is; plans are compiled with
the query builder only, never by parsing text, so nothing a user types can reach
tantivy's own query language. Every order is completed here with the protocol's tie
rule (by article id), because tantivy breaks ties by its internal document order.

The folder holds a marker (MARKER) with SCHEMA_VERSION: an index written by another
version, or left half-made, is wiped and reported as `needs_rebuild`, so the facade
refills it from the archive; a folder presswatch did not write is never deleted.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import tantivy

from presswatch.errors import ArchiveError, SearchIndexBusy
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
    near_layouts,
)

SCHEMA_VERSION = 2  # 2: the entity field
"""Raise when the schema or the way documents are indexed changes: old indexes get rebuilt."""
MARKER = "presswatch-index.json"

PREFIX_TERMS = 64
"""A prefix matching more words than this is one constant-score pattern instead."""
WRITER_HEAP = 128_000_000
"""Indexing memory before a segment is flushed; a larger budget measured no faster."""
WRITER_THREADS = 1
"""Measured on 2 cores: a second indexing thread splits each commit into two segments and
costs a third more CPU per article, leaving less for tokenizing and merging."""

MAX_EXPANSIONS = 16_000
"""Terms a phrase ending in a prefix may expand to in one query; tantivy refuses more
than 16,384 (and its phrase-prefix query silently keeps 50), so wider prefixes are split."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FACET_FIELDS: dict[str, str] = {
    "source": "outlet",
    "author": "authors",
    "republished": "republished",
}
_TANTIVY_FILE = re.compile(
    r"meta\.json|\.managed\.json|\.tantivy-(meta|writer)\.lock|\.tmp\w*|presswatch-index\.json\.tmp"
    r"|[0-9a-f]{32}(\.\d+)?\.[a-z]+"
)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for field in SEARCH_FIELDS:
        sb.add_text_field(field, tokenizer_name="whitespace", index_option="position")
    sb.add_unsigned_field("id", indexed=True, fast=True)
    # Microseconds since 1970 UTC: tantivy's date fields keep whole seconds only.
    sb.add_integer_field("when", indexed=True, fast=True)
    sb.add_integer_field("day", fast=True)
    sb.add_unsigned_field("sample_key", fast=True)
    for field in _FACET_FIELDS.values():
        sb.add_text_field(field, tokenizer_name="raw", fast=True)
    return sb.build()


class TantivyIndex:
    """A tantivy index in `path` (created if missing), or in memory when `path` is None.

    `needs_rebuild` is True when the index is new, empty or was written by another
    version: the facade then clears it and indexes the whole archive. Reading never
    needs the writer; the writer (one per folder, across processes) is taken on the
    first change and kept until close().
    """

    name = "tantivy"

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._where = str(path) if path is not None else "in memory"
        self._schema = _schema()
        self._writer: tantivy.IndexWriter | None = None
        self.needs_rebuild = True
        self._index = self._open()

    # -- opening ----------------------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        if self.path is None:
            return tantivy.Index(self._schema)
        path = self.path
        try:
            path.mkdir(parents=True, exist_ok=True)
            names = [p.name for p in path.iterdir()]
        except OSError as exc:
            raise ArchiveError(
                f"the search index folder {path} cannot be created or read "
                f"({exc.strerror or exc}); check that the archive's folder is writable"
            ) from exc
        marker = path / MARKER
        ours = marker.exists()
        if ours and _marker_version(marker) == SCHEMA_VERSION:
            try:
                index = tantivy.Index(self._schema, str(path), reuse=True)
                self.needs_rebuild = index.searcher().num_docs == 0
                return index
            except (ValueError, OSError):
                pass  # damaged: rebuilt below
            except BaseException as exc:
                if not _is_panic(exc):
                    raise
        elif not ours and not all(_TANTIVY_FILE.fullmatch(n) for n in names):
            raise ArchiveError(
                f"the search index at {path} cannot be read: the folder holds files "
                "presswatch did not write; move that folder away and run `presswatch reindex`"
            )
        return self._recreate()

    def _recreate(self) -> tantivy.Index:
        """A new empty index in the folder, after deleting the old one's files."""
        assert self.path is not None
        path = self.path
        if _writer_lock_held(path):
            raise SearchIndexBusy(self._busy_message())
        with self._errors("rebuilt"):
            path.mkdir(parents=True, exist_ok=True)
            for entry in path.iterdir():
                if entry.is_file() or entry.is_symlink():
                    entry.unlink()
            index = tantivy.Index(self._schema, str(path), reuse=True)
            tmp = path / (MARKER + ".tmp")
            tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION}) + "\n", encoding="utf-8")
            os.replace(tmp, path / MARKER)
        self.needs_rebuild = True
        return index

    # -- writing ----------------------------------------------------------------------------

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        if not docs:
            return
        latest = {d.id: d for d in docs}  # within a batch, the last version wins
        # By query: tantivy-py's delete by term misses unsigned fields.
        stale = tantivy.Query.term_set_query(self._schema, "id", list(latest))
        writer = self._take_writer()
        with self._errors("updated"):
            added = False
            try:
                writer.delete_documents_by_query(stale)
                for d in latest.values():
                    writer.add_document(_document(d))
                added = True
            finally:
                if not added:
                    writer.rollback()

    def refresh_statistics(self) -> None:
        """Nothing to do: tantivy keeps its statistics as it indexes."""

    def commit(self) -> None:
        """Make what upsert() added durable and searchable (one segment per commit, so the
        service commits every few thousand documents, not every batch)."""
        if self._writer is None:
            return
        with self._errors("updated"):
            try:
                self._writer.commit()
            except BaseException:
                self._writer.rollback()
                raise
            self._index.reload()

    def clear(self) -> None:
        writer = self._take_writer()
        try:
            with self._errors("cleared"):
                writer.delete_all_documents()
                writer.commit()
                self._index.reload()
        except SearchIndexBusy:
            raise
        except ArchiveError:
            if self.path is None:
                raise
            # A damaged index may not even take a delete: start over from nothing.
            del writer  # the lock goes with the last reference
            self._release_writer(wait=False)
            self._index = self._recreate()
        self.needs_rebuild = False

    def close(self) -> None:
        with self._errors("closed"):
            self._release_writer(wait=True)

    def _take_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise SearchIndexBusy(self._busy_message()) from exc
                raise ArchiveError(self._message("opened for writing", exc)) from exc
        return self._writer

    def _release_writer(self, *, wait: bool) -> None:
        writer, self._writer = self._writer, None
        if writer is not None and wait:
            # Lets background merges finish, so the next open finds few segments.
            writer.wait_merging_threads()

    # -- reading ----------------------------------------------------------------------------

    def doc_count(self) -> int:
        with self._errors("read"):
            return int(self._index.searcher().num_docs)

    def search(self, plan: Plan, *, sort: Sort, limit: int, offset: int = 0) -> Hits:
        offset = max(offset, 0)
        with self._errors("read"):
            searcher = self._index.searcher()
            query = self._compile(plan, searcher)
            need = offset + limit
            if limit <= 0:  # tantivy panics on a page of 0
                return Hits(_count(searcher.search(query, 1, count=True)), [])
            if sort == "relevance" and _scored(plan):
                total, rows = _top(searcher, query, need, None, tantivy.Order.Desc)
                rows.sort(key=lambda r: (-r[0], r[1]))
                return Hits(total, [(i, float(s)) for s, i in rows[offset:need]])
            if sort == "newest":
                total, rows = _top(searcher, query, need, "when", tantivy.Order.Desc)
                rows.sort(key=lambda r: (-r[0], -r[1]))
                return Hits(total, [(i, None) for _, i in rows[offset:need]])
            order_field = "when" if sort == "oldest" else "id"
            total, rows = _top(searcher, query, need, order_field, tantivy.Order.Asc)
            rows.sort()
            score = None if sort == "oldest" else 0.0
            return Hits(total, [(i, score) for _, i in rows[offset:need]])

    def day_counts(self, plan: Plan) -> dict[date, int]:
        agg = {"days": {"histogram": {"field": "day", "interval": 1.0, "min_doc_count": 1}}}
        with self._errors("read"):
            searcher = self._index.searcher()
            result = searcher.aggregate(self._compile(plan, searcher), agg)
        epoch = _EPOCH.date()
        return {
            epoch + timedelta(days=int(b["key"])): int(b["doc_count"])
            for b in result["days"]["buckets"]
            if b["doc_count"]
        }

    def facet_counts(self, plan: Plan, facet: Facet, limit: int) -> list[tuple[str, int]]:
        field = _FACET_FIELDS[facet]
        if limit <= 0:
            return []
        with self._errors("read"):
            searcher = self._index.searcher()
            query = self._compile(plan, searcher)
            size = limit + 1
            while True:
                # Every segment reports all its values, so the counts are exact.
                terms = {"field": field, "size": size, "segment_size": 1 << 31}
                buckets = searcher.aggregate(query, {"top": {"terms": terms}})["top"]["buckets"]
                rows = [(str(b["key"]), int(b["doc_count"])) for b in buckets]
                if len(rows) < size or rows[-1][1] != rows[limit - 1][1]:
                    break
                size *= 4
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows[:limit]

    def sample(self, plan: Plan, n: int) -> list[int]:
        if n <= 0:
            return []
        with self._errors("read"):
            searcher = self._index.searcher()
            query = self._compile(plan, searcher)
            _, rows = _top(searcher, query, n, "sample_key", tantivy.Order.Asc)
        rows.sort()
        return [i for _, i in rows[:n]]

    # -- compiling plans ----------------------------------------------------------------------

    def _compile(self, plan: Plan, searcher: tantivy.Searcher) -> tantivy.Query:
        Q = tantivy.Query
        schema = self._schema
        if isinstance(plan, Match):
            field, tokens = plan.field, plan.tokens
            if len(tokens) == 1 and plan.prefix:
                query = self._prefix(field, tokens[0], searcher)
            elif len(tokens) == 1:
                query = Q.term_query(schema, field, tokens[0])
            elif plan.prefix:
                query = self._phrase_prefix(field, tokens, searcher)
            else:
                query = Q.phrase_query(schema, field, list(tokens))
            return _boosted(plan.field, query)
        if isinstance(plan, Near):
            sloppy = _two_word_slop(plan)
            if sloppy is not None:
                (first, second), slop = sloppy
                return _boosted(
                    plan.field,
                    _any(
                        [
                            Q.phrase_query(schema, plan.field, [first, second], slop),
                            Q.phrase_query(schema, plan.field, [second, first], slop),
                        ]
                    ),
                )
            layouts = [
                Q.phrase_query(schema, plan.field, list(layout))
                if len(layout) > 1
                else Q.term_query(schema, plan.field, layout[0][1])
                for layout in plan.layouts
            ]
            return _boosted(plan.field, _any(layouts))
        if isinstance(plan, When):
            when = Q.range_query(
                schema,
                "when",
                tantivy.FieldType.Integer,
                _micros(plan.start),
                _micros(plan.end),
                include_lower=True,
                include_upper=False,
            )
            return Q.const_score_query(when, 0.0)
        if isinstance(plan, All):
            must = [self._compile(c, searcher) for c in plan.children if not isinstance(c, Without)]
            must_not = [
                self._compile(c.child, searcher) for c in plan.children if isinstance(c, Without)
            ]
            if not must:
                must = [_everything()]
            if len(must) == 1 and not must_not:
                return must[0]
            return Q.boolean_query(
                [(tantivy.Occur.Must, q) for q in must]
                + [(tantivy.Occur.MustNot, q) for q in must_not]
            )
        if isinstance(plan, AnyOf):
            return _any([self._compile(c, searcher) for c in plan.children])
        if isinstance(plan, Without):
            return Q.boolean_query(
                [
                    (tantivy.Occur.Must, _everything()),
                    (tantivy.Occur.MustNot, self._compile(plan.child, searcher)),
                ]
            )
        if isinstance(plan, Everything):
            return _everything()
        raise TypeError(f"not a search plan: {plan!r}")

    def _prefix(self, field: str, prefix: str, searcher: tantivy.Searcher) -> tantivy.Query:
        """The words starting with `prefix`, each scored as a word (so articles rank by how
        much they use them, and ties stay rare); past PREFIX_TERMS words, one constant-score
        pattern."""
        terms = searcher.terms_with_prefix(field, prefix, limit=PREFIX_TERMS + 1)
        if len(terms) > PREFIX_TERMS:
            return tantivy.Query.regex_query(self._schema, field, re.escape(prefix) + ".*")
        if not terms:
            return tantivy.Query.empty_query()
        return _any([tantivy.Query.term_query(self._schema, field, t) for t, _ in terms])

    def _phrase_prefix(
        self, field: str, tokens: tuple[str, ...], searcher: tantivy.Searcher
    ) -> tantivy.Query:
        """The phrase with its last word as a prefix, expanded to every term it starts.

        A prefix with more terms than one query may expand to is split by its next
        letters into narrower prefixes, OR-ed together.
        """
        head, last = list(tokens[:-1]), tokens[-1]
        budget = MAX_EXPANSIONS - len(head)
        words = [re.escape(t) for t in head]
        parts: list[tantivy.Query] = []
        for prefix, exact in _split_prefix(searcher, field, last, budget):
            if exact:
                parts.append(tantivy.Query.phrase_query(self._schema, field, [*head, prefix]))
            else:
                regexes: list[str | tuple[int, str]] = [*words, re.escape(prefix) + ".*"]
                parts.append(tantivy.Query.regex_phrase_query(self._schema, field, regexes))
        return _any(parts)

    # -- errors -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """tantivy's errors and Rust panics as ArchiveError; Python bugs pass through."""
        try:
            yield
        except (ValueError, OSError) as exc:
            if "LockBusy" in str(exc):
                raise SearchIndexBusy(self._busy_message()) from exc
            raise ArchiveError(self._message(doing, exc)) from exc
        except BaseException as exc:
            if _is_panic(exc):
                raise ArchiveError(self._message(doing, exc)) from exc
            raise

    def _message(self, doing: str, exc: BaseException) -> str:
        if isinstance(exc, OSError) and exc.strerror:
            return (
                f"the search index at {self._where} cannot be {doing} ({exc.strerror}); "
                "check that its folder can be written"
            )
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return (
            f"the search index at {self._where} cannot be {doing} ({detail}); "
            "run `presswatch reindex` to rebuild it"
        )

    def _busy_message(self) -> str:
        return (
            f"the search index at {self._where} is being written by another presswatch "
            "process; try again when it has finished"
        )


# -- documents ----------------------------------------------------------------------------------


def _document(d: SearchDoc) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_unsigned("id", d.id)
    when = _micros(d.when)
    doc.add_integer("when", when)
    doc.add_integer("day", when // 86_400_000_000)
    doc.add_unsigned("sample_key", d.sample_key)
    for field in SEARCH_FIELDS:
        tokens = d.tokens.get(field)
        if tokens:
            doc.add_text(field, " ".join(tokens))
    doc.add_text("outlet", d.outlet)
    for author in d.authors:
        doc.add_text("authors", author)
    if d.republished_from is not None:
        doc.add_text("republished", d.republished_from)
    return doc


def _micros(moment: datetime) -> int:
    """Microseconds since 1970 UTC; a naive datetime is taken as UTC, as the archive stores."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


# -- queries ------------------------------------------------------------------------------------


def _everything() -> tantivy.Query:
    """All documents, adding nothing to the score."""
    return tantivy.Query.const_score_query(tantivy.Query.all_query(), 0.0)


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    if not queries:
        return tantivy.Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _boosted(field: str, query: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.boost_query(query, TITLE_BOOST) if field == "title" else query


def _scored(plan: Plan) -> bool:
    """Whether any part of `plan` gives a score (words do; dates and NOT parts give 0)."""
    if isinstance(plan, Match | Near):
        return True
    if isinstance(plan, All | AnyOf):
        return any(_scored(c) for c in plan.children)
    return False


def _two_word_slop(plan: Near) -> tuple[tuple[str, str], int] | None:
    """((a, b), slop) when `plan` is two different words within slop+1 of each other in
    either order: two sloppy phrases then say exactly that (a tantivy phrase with slop s
    takes its words in order up to s+1 apart, and reversed only closer), where the
    placements would be 2 * (s + 1) exact phrases to test one by one."""
    layouts = plan.layouts
    if not layouts or any(len(layout) != 2 for layout in layouts):
        return None
    (_, first), (_, second) = layouts[0]
    if first == second:
        return None
    slop = max(layout[1][0] for layout in layouts) - 1
    if layouts != near_layouts((first, second), slop):
        return None
    return (first, second), slop


def _split_prefix(
    searcher: tantivy.Searcher, field: str, prefix: str, budget: int
) -> list[tuple[str, bool]]:
    """(prefix, exact) pieces covering every term starting with `prefix`, each piece
    matching at most `budget` terms: `exact` pieces are one whole term."""
    if len(searcher.terms_with_prefix(field, prefix, limit=budget + 1)) <= budget:
        return [(prefix, False)]
    terms = sorted(t for t, _ in searcher.terms_with_prefix(field, prefix, limit=None))

    def split(prefix: str, terms: list[str]) -> list[tuple[str, bool]]:
        if len(terms) <= budget:
            return [(prefix, False)]
        pieces: list[tuple[str, bool]] = []
        if terms[0] == prefix:
            pieces.append((prefix, True))
            terms = terms[1:]
        n = len(prefix)
        for letter, group in itertools.groupby(terms, key=lambda t: t[n]):
            pieces.extend(split(prefix + letter, list(group)))
        return pieces

    return split(prefix, terms)


def _top(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    need: int,
    order_field: str | None,
    order: tantivy.Order,
) -> tuple[int, list[tuple[Any, int]]]:
    """(total, [(key, id)]) holding every match among the first `need` in (key, id) order.

    tantivy cuts ties at the page boundary in its own document order, so this fetches
    more until the last fetched key differs from the key at the boundary.
    """
    cap = searcher.num_docs + 1  # asking for more than there is would only cost memory
    n = min(need + 1, cap)
    while True:
        result = searcher.search(query, n, count=True, order_by_field=order_field, order=order)
        hits = result.hits
        if len(hits) < n or hits[-1][0] != hits[need - 1][0]:
            break
        n = min(n * 4, cap)
    ids = _ints(searcher.fast_field_values("id", [address for _, address in hits]))
    return _count(result), [(key, i) for (key, _), i in zip(hits, ids, strict=True)]


def _count(result: tantivy.SearchResult) -> int:
    count = result.count  # type: ignore[attr-defined]
    return int(count)


def _ints(values: list[int | float | bool | None]) -> list[int]:
    out: list[int] = []
    for v in values:
        if not isinstance(v, int):
            raise ValueError(f"an indexed article has no id ({v!r})")
        out.append(v)
    return out


# -- the folder ---------------------------------------------------------------------------------


def _marker_version(marker: Path) -> int | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("schema_version") if isinstance(data, dict) else None
    return version if isinstance(version, int) else None


def _writer_lock_held(path: Path) -> bool:
    """Whether a live process holds tantivy's writer lock on the folder (flock, POSIX)."""
    lock = path / ".tantivy-writer.lock"
    if not lock.exists():
        return False
    try:
        import fcntl
    except ImportError:
        return False
    try:
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside tantivy (pyo3's PanicException derives from BaseException)."""
    return type(exc).__name__ == "PanicException"
