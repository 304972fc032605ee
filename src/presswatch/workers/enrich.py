"""Enrichment of named articles, for the enrichment task.

`run_enrichers` walks everything that is due; a task gets a batch of ids instead, and
does, for each enricher, those of its ids still due (so a task delivered twice does
nothing the second time). Language and entities run in parallel on many workers.
Syndication cannot: it compares each article with every one done before, through an
index each process builds from the stored signatures. So its part of a batch runs under
a PostgreSQL advisory lock (one at a time in the whole deployment, released if the worker
dies), and a process rebuilds its index when another process did syndication last.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

import psycopg

from presswatch.enrich.runner import EnrichCounts, _one

if TYPE_CHECKING:
    from presswatch.archive import Archive
    from presswatch.enrich.base import Enricher
    from presswatch.workers.state import SharedState

SYNDICATION_LOCK = 0x70777379  # pg advisory lock key: "pwsy"
_TOKEN = secrets.token_hex(8)  # this process, as the last to have run syndication


def enrich_ids(
    archive: Archive, ids: Sequence[int], *, db_url: str, state: SharedState
) -> list[EnrichCounts]:
    """Run every enricher over those of `ids` whose result is missing or stale."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    enrichers = archive.enrichers()
    totals = []
    for position, enricher in enumerate(enrichers):
        due = _due(archive, enricher, wanted)
        if not due:
            totals.append(EnrichCounts(enricher.name, enricher.version))
            continue
        if enricher.name == "syndication":
            with _serialized(db_url):
                last = state.redis.get(state.key("syndication", "last"))
                if last is not None and _text(last) != _TOKEN:
                    from presswatch.enrich.syndication import SyndicationEnricher

                    enricher = enrichers[position] = SyndicationEnricher(archive.store)
                due = _due(archive, enricher, wanted)  # another process may have done them
                counts = _run(archive, enricher, due)
                state.redis.set(state.key("syndication", "last"), _TOKEN)
        else:
            counts = _run(archive, enricher, due)
        totals.append(counts)
    return totals


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _due(archive: Archive, enricher: Enricher, wanted: list[int]) -> list[int]:
    found = archive.store.due_for_enrichment(
        enricher.name, enricher.version, after=wanted[0] - 1, limit=wanted[-1] - wanted[0] + 1
    )
    keep = set(wanted)
    return [i for i in found if i in keep]


def _run(archive: Archive, enricher: Enricher, due: list[int]) -> EnrichCounts:
    store = archive.store
    inputs = store.enrich_inputs(due)
    try:
        results = enricher.run(inputs)
    except Exception:  # one bad article: each on its own, to find it
        results = [_one(enricher, item) for item in inputs]
    hashes = {item.id: item.content_hash for item in inputs}
    store.save_enrichments(enricher.name, enricher.version, results, hashes, archive._clock())
    return EnrichCounts(
        enricher.name,
        enricher.version,
        sum(r.status == "ok" for r in results),
        sum(r.status == "skipped" for r in results),
        sum(r.status == "error" for r in results),
    )


class _serialized:
    """Holds the syndication lock on a connection of its own for the block."""

    def __init__(self, db_url: str) -> None:
        self._url = db_url
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def __enter__(self) -> None:
        conn = psycopg.connect(self._url.replace("postgresql+psycopg://", "postgresql://"))
        conn.autocommit = True
        conn.execute("SET lock_timeout = '10min'")
        conn.execute("SELECT pg_advisory_lock(%s)", (SYNDICATION_LOCK,))
        self._conn = conn

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()  # closing the session releases the lock
