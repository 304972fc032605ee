"""The use cases, in one place: the CLI (and later the web app, API and workers) call these.

`Archive` wires the pure core (parse, normalize) to a store. It owns the order of the
steps and the rule that one bad input never stops the others: every input ends as a
report, with the reason when it failed, and the archive keeps everything it held before.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from presswatch.analysis.timeline import Timeline
from presswatch.archive_explore import ExploreUseCases
from presswatch.archive_publish import PublishingUseCases
from presswatch.archive_views import ViewUseCases
from presswatch.errors import PresswatchError, UsageError
from presswatch.pipeline import Prepared, prepare, prepared_in_order, worker_count
from presswatch.publish import Channel, write_atom, write_json_feed, write_rss
from presswatch.search.service import SavedQuery, SearchResult, SearchService, TopRow
from presswatch.store import Store, open_store
from presswatch.store.records import (
    ArticleDetail,
    IngestCounts,
    SourceSummary,
    StoredArticle,
)

if TYPE_CHECKING:
    from presswatch.collect.collector import Collector
    from presswatch.enrich.base import Enricher
    from presswatch.enrich.clusters import ClusterView
    from presswatch.enrich.runner import EnrichCounts
    from presswatch.fetch.client import FetchSettings

FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".json", ".txt", ".feed"})
SAVE_BATCH = 1_000
MAX_INPUT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InputRef:
    """One thing to ingest, as the user named it: a file path, or '-' for standard input."""

    location: str
    kind: str  # file | stdin | url
    error: str | None = None  # set when the name could not be resolved to something readable

    @property
    def readable_file(self) -> bool:
        return self.kind == "file" and self.error is None


@dataclass(frozen=True, slots=True)
class EntityReport:
    """One entity: its names and why they were merged, attention by month, company kept,
    outlets and quotations."""

    canonical: str
    kind: str
    aliases: tuple[tuple[str, str | None], ...]
    months: tuple[tuple[str, int], ...]
    co_mentioned: tuple[tuple[str, str, int], ...]
    sources: tuple[tuple[str, int], ...]
    quotes: tuple[tuple[int, str, str | None, datetime | None, str], ...]
    others: tuple[tuple[str, str], ...]  # other entities answering to the same name


@dataclass(frozen=True, slots=True)
class IngestReport:
    location: str
    status: str  # ok | partial | failed
    error: str | None = None
    feed_title: str | None = None
    items: int = 0
    counts: IngestCounts = field(default_factory=IngestCounts)
    problems: tuple[str, ...] = ()


class InputTooLarge(PresswatchError):
    """One input is beyond what is read into memory at once."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def expand_inputs(names: Sequence[str]) -> list[InputRef]:
    """Files as named; folders and globs expand to the feed-like files inside, sorted."""
    refs: list[InputRef] = []
    for name in names:
        if name == "-":
            refs.append(InputRef("-", "stdin"))
        elif name.startswith(("http://", "https://")):
            refs.append(InputRef(name, "url"))
        elif os.path.isdir(name):
            found = sorted(
                p
                for p in Path(name).rglob("*")
                if p.is_file()
                and p.suffix.lower() in FEED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(name).parts)
            )
            if not found:
                refs.append(InputRef(name, "file", error="the folder holds no feed files"))
            refs.extend(InputRef(str(p), "file") for p in found)
        elif os.path.exists(name):  # also pipes such as <(zcat feed.xml.gz)
            refs.append(InputRef(name, "file"))
        elif glob.has_magic(name):
            matches = sorted(p for p in glob.glob(name, recursive=True) if os.path.isfile(p))
            if not matches:
                refs.append(InputRef(name, "file", error="no file matches this pattern"))
            refs.extend(InputRef(p, "file") for p in matches)
        else:
            refs.append(InputRef(name, "file", error="no such file or folder"))
    return refs


class Archive(PublishingUseCases, ViewUseCases, ExploreUseCases):
    """The archive a user works with: open it with `open_archive`, close it when done."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self._clock = clock
        self.search_service = SearchService(store, clock)
        self._enrichers: list[Enricher] | None = None

    def close(self) -> None:
        self.search_service.close()
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest -------------------------------------------------------------------------

    def ingest(self, names: Sequence[str], *, workers: int | None = None) -> list[IngestReport]:
        """Ingest every input named; with several files, parsing runs in worker processes."""
        return list(self.ingest_refs(expand_inputs(names), workers=workers))

    def ingest_refs(
        self, refs: list[InputRef], *, workers: int | None = None
    ) -> Iterator[IngestReport]:
        """A report per input, in the order named, as each is done (for progress).

        Files are read, parsed and cleaned ahead in `workers` processes (default: one per
        CPU); everything else, and a file whose worker failed, is read here.
        """
        workers = worker_count(workers)
        paths = [os.path.abspath(r.location) for r in refs if r.readable_file]
        if workers < 2 or len(paths) < 2:
            yield from (self.ingest_ref(ref) for ref in refs)
        else:
            ahead = prepared_in_order(paths, workers=workers, now=self._clock())
            with closing(ahead):
                yield from self._ingest_in_order(refs, ahead)
        self.search_service.catch_up(wait=False)

    def _ingest_in_order(
        self, refs: list[InputRef], ahead: Iterator[tuple[str, Future[Prepared] | None]]
    ) -> Iterator[IngestReport]:
        for ref in refs:
            if not ref.readable_file:
                yield self.ingest_ref(ref)
                continue
            path, future = next(ahead)
            try:
                prepared = future.result() if future is not None else None
            except Exception:  # a worker died: read this one here
                prepared = None
            if prepared is None:
                yield self.ingest_ref(ref)
            elif prepared.read_error:
                yield IngestReport(ref.location, "failed", error=prepared.error)
            else:
                yield self._store(prepared, location=path, kind="file", shown=ref.location)

    def ingest_ref(self, ref: InputRef) -> IngestReport:
        """Ingest one input in this process, streaming its articles into the archive."""
        location = ref.location if ref.kind != "file" else os.path.abspath(ref.location)
        if ref.error:
            return IngestReport(ref.location, "failed", error=ref.error)
        if ref.kind == "url":
            with self.collector() as collector:
                return collector.ingest_url(ref.location)
        try:
            data = _read(ref)
        except InputTooLarge as exc:
            return IngestReport(ref.location, "failed", error=str(exc))
        except OSError as exc:
            return IngestReport(ref.location, "failed", error=f"cannot read it: {exc.strerror}")
        return self.ingest_bytes(data, location=location, kind=ref.kind, shown_as=ref.location)

    def ingest_bytes(
        self,
        data: bytes,
        *,
        location: str,
        kind: str = "file",
        content_type: str | None = None,
        shown_as: str | None = None,
    ) -> IngestReport:
        """Parse, normalize and store one document; failures end in the report, not raised."""
        prepared = prepare(data, location=location, now=self._clock(), content_type=content_type)
        return self._store(prepared, location=location, kind=kind, shown=shown_as or location)

    def _store(
        self,
        prepared: Prepared,
        *,
        location: str,
        kind: str,
        shown: str,
        after: Callable[[int, bool], None] | None = None,
    ) -> IngestReport:
        """Store one document in one transaction: all of its articles or, on failure, none,
        with the failed read recorded on its own. `after(fetch_id, stored)` runs in the
        same transaction (the collector records the HTTP side and the schedule there)."""
        store, now = self.store, self._clock()
        parsed = prepared.parsed
        if parsed is None:
            error = prepared.error or "could not be read"
            return self._failed(prepared, location, kind, shown, error, now, after)
        counts = IngestCounts()
        notes: list[str] = []
        status = "partial" if parsed.truncated else "ok"
        try:
            with store.transaction():
                source_id = store.upsert_source(location, kind, now)
                fetch_id = store.begin_fetch(source_id, now)
                feed_id = store.upsert_feed(prepared.key, parsed, now)
                articles = iter(prepared.articles)
                while batch := list(islice(articles, SAVE_BATCH)):
                    counts += store.save_articles(feed_id, source_id, fetch_id, batch, now)
                    notes += [f"item {a.position + 1}: {n}" for a in batch for n in a.notes]
                store.finish_fetch(
                    fetch_id,
                    status=status,
                    error=None,
                    feed_id=feed_id,
                    parsed=parsed,
                    raw=prepared.raw,
                    counts=counts,
                    now=self._clock(),
                    items=prepared.items,
                )
                if after is not None:
                    after(fetch_id, True)
        except Exception as exc:  # one bad document never stops the others
            error = (
                str(exc)
                if isinstance(exc, PresswatchError)
                else (f"could not be stored: {type(exc).__name__}: {exc}")
            )
            return self._failed(prepared, location, kind, shown, error, now, after)
        return IngestReport(
            shown,
            status,
            feed_title=parsed.title,
            items=prepared.items,
            counts=counts,
            problems=parsed.problems + tuple(notes),
        )

    def _failed(
        self,
        prepared: Prepared,
        location: str,
        kind: str,
        shown: str,
        error: str,
        started: datetime,
        after: Callable[[int, bool], None] | None = None,
    ) -> IngestReport:
        with self.store.transaction():
            fetch_id = self.store.record_failed_fetch(
                location,
                kind,
                error=error,
                parsed=prepared.parsed,
                raw=prepared.raw,
                started_at=started,
                now=self._clock(),
            )
            if after is not None:
                after(fetch_id, False)
        title = prepared.parsed.title if prepared.parsed else None
        return IngestReport(shown, "failed", error=error, feed_title=title)

    # -- enrichment ---------------------------------------------------------------------

    def enrichers(self) -> list[Enricher]:
        """Made once per open archive: the syndication index and the language model they
        hold load once, not at every slice `run` enriches."""
        if self._enrichers is None:
            from presswatch.enrich.runner import default_enrichers

            self._enrichers = default_enrichers(self.store)
        return self._enrichers

    def enrich(
        self,
        *,
        rerun: bool = False,
        limit: int | None = None,
        on_batch: Callable[[str, int], None] | None = None,
    ) -> list[EnrichCounts]:
        """Run the enrichers (language, ...) over articles whose results are missing or
        stale; resumable, and a second run changes nothing."""
        from presswatch.enrich.runner import run_enrichers

        return run_enrichers(
            self.store,
            self.enrichers(),
            now=self._clock,
            rerun=rerun,
            limit=limit,
            on_batch=on_batch,
        )

    def clusters(self, query: str, *, limit: int = 20) -> list[ClusterView]:
        """Syndication clusters among the query's newest matches (needs `enrich` first)."""
        from presswatch.enrich.clusters import clusters_for

        return clusters_for(self.store, self.search_service, query, limit=limit)

    def top_entities(
        self, query: str | None, *, limit: int = 20
    ) -> list[tuple[str, str, int, int]]:
        """(name, kind, articles, mentions) of the entities most often in the query's
        matches (every article when no query)."""
        ids = None if not query else self.search_service.matching_ids(query, limit=100_000)
        return self.store.top_entities(ids, limit=limit)

    def entity(self, name: str) -> EntityReport:
        """What the archive knows of one entity, by any of its names."""
        found = self.store.find_entities(name)
        if not found:
            raise UsageError(
                f"no entity named {name!r} in this archive (run presswatch enrich first?)"
            )
        entity_id, canonical, kind = found[0]
        store = self.store
        return EntityReport(
            canonical=canonical,
            kind=kind,
            aliases=tuple(store.entity_aliases_of(entity_id)),
            months=tuple(store.entity_timeline(entity_id)),
            co_mentioned=tuple(store.co_mentioned(entity_id)),
            sources=tuple(store.entity_sources(entity_id)),
            quotes=tuple(store.find_quotes(speaker_ids=[entity_id], limit=20)),
            others=tuple((c, k) for _, c, k in found[1:]),
        )

    def quotes(
        self, *, speaker: str | None = None, query: str | None = None, limit: int = 50
    ) -> list[tuple[int, str, str | None, datetime | None, str]]:
        """Quotations, newest first: by a speaker (any of their names), in a query's
        matches, or both."""
        speakers = None
        if speaker:
            speakers = self.store.entity_ids_for(speaker)
            if not speakers:
                raise UsageError(f"no one named {speaker!r} is quoted in this archive")
        ids = None if not query else self.search_service.matching_ids(query, limit=10_000)
        return self.store.find_quotes(speaker_ids=speakers, article_ids=ids, limit=limit)

    def enrichment_due(self) -> dict[str, int]:
        return {
            e.name: self.store.count_due_for_enrichment(e.name, e.version) for e in self.enrichers()
        }

    # -- live collection ----------------------------------------------------------------

    def collector(self, settings: FetchSettings | None = None, **options: Any) -> Collector:
        """The collection use cases (add, update, run, backfill, OPML) over this archive.

        Settings default to the environment (PRESSWATCH_ALLOW_NETWORKS and friends)."""
        from presswatch.collect.collector import Collector
        from presswatch.fetch.settings_env import fetch_settings_from_env

        if settings is None:
            try:
                settings = fetch_settings_from_env()
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        return Collector(self, settings, **options)

    # -- reading ------------------------------------------------------------------------

    def articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        limit: int | None = None,
        order: str = "newest",
    ) -> Iterator[StoredArticle]:
        return self.store.iter_articles(
            since=since, until=until, source=source, limit=limit, order=order
        )

    def article(self, article_id: int) -> ArticleDetail:
        detail = self.store.get_article(article_id)
        if detail is None:
            raise UsageError(f"no article with id {article_id} in this archive")
        return detail

    def sources(self) -> list[SourceSummary]:
        return self.store.list_sources()

    def count(self) -> int:
        return self.store.count_articles()

    # -- search and analysis ----------------------------------------------------------------

    def search(
        self, query: str, *, sort: str = "relevance", limit: int = 20, offset: int = 0
    ) -> SearchResult:
        """Articles matching `query` (docs/query-language.md), with the total count."""
        return self.search_service.search(query, sort=sort, limit=limit, offset=offset)

    def timeline(
        self, queries: Sequence[str], *, by: str = "week", normalize: bool = False
    ) -> Timeline:
        """Matches per day, week or month for each query, beside all articles archived."""
        return self.search_service.timeline(queries, by=by, normalize=normalize)

    def top(self, kind: str, query: str, *, limit: int = 20) -> list[TopRow]:
        """The top terms, sources, authors or republished-from names among the matches."""
        return self.search_service.top(kind, query, limit=limit)

    def save_query(self, name: str, query: str) -> SavedQuery:
        return self.search_service.save_query(name, query)

    def saved_queries(self) -> list[SavedQuery]:
        return self.search_service.saved_queries()

    def saved_query(self, name: str) -> SavedQuery:
        return self.search_service.saved_query(name)

    def delete_query(self, name: str) -> None:
        self.search_service.delete_query(name)

    def reindex(self) -> int:
        """Rebuild the search index from the archive; the number of articles indexed."""
        return self.search_service.reindex()

    def publish(self, fmt: str, articles: Iterable[StoredArticle]) -> bytes:
        """Write articles out as a feed (rss, atom or jsonfeed).

        When they all come from one feed, the channel takes that feed's title and link, so
        the published feed is recognised as the same feed when read back in.
        """
        items = list(articles)
        sources = {(a.source, a.feed_url) for a in items}
        languages = {a.language for a in items}
        if len(sources) == 1:
            [(source, link)] = sources
            channel = Channel(title=source or "presswatch", link=link)
        else:
            channel = Channel(title="presswatch archive", link=None)
        if len(languages) == 1:
            channel = replace(channel, language=next(iter(languages)))
        writer = {"rss": write_rss, "atom": write_atom, "jsonfeed": write_json_feed}[fmt]
        return writer(channel, items)


def open_archive(target: str | os.PathLike[str] | None = None) -> Archive:
    """Open (creating and migrating if needed) the archive at a path or PostgreSQL URL."""
    return Archive(open_store(str(target or default_target())))


def default_target() -> str:
    return os.environ.get("PRESSWATCH_DB") or "presswatch.db"


def _read(ref: InputRef) -> bytes:
    """The whole input; over MAX_INPUT_BYTES it is refused rather than cut short."""
    if ref.kind == "stdin":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        with open(ref.location, "rb") as stream:
            data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputTooLarge(
            f"it is larger than {MAX_INPUT_BYTES // 2**20} MB, the most one input may be"
        )
    return data


def total(reports: Iterable[IngestReport]) -> IngestCounts:
    counts = IngestCounts()
    for report in reports:
        counts = counts + report.counts
    return counts
