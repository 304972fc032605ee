"""Run enrichers over what is due, in batches: each batch's results commit together, so a
run stopped at any point resumes where it was, and running it twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from presswatch.enrich.base import Enricher, EnrichInput, EnrichResult

if TYPE_CHECKING:
    from presswatch.store import Store

BATCH = 200


@dataclass(frozen=True, slots=True)
class EnrichCounts:
    enricher: str
    version: str
    done: int = 0
    skipped: int = 0
    failed: int = 0


def default_enrichers(store: Store) -> list[Enricher]:
    from presswatch.enrich.entities_enricher import EntityEnricher, alias_book
    from presswatch.enrich.language import LanguageEnricher
    from presswatch.enrich.syndication import SyndicationEnricher

    book, text = alias_book()
    return [
        LanguageEnricher(),
        SyndicationEnricher(store),
        EntityEnricher(store, book, text),
    ]


def run_enrichers(
    store: Store,
    enrichers: Sequence[Enricher],
    *,
    now: Callable[[], datetime],
    rerun: bool = False,
    batch: int = BATCH,
    limit: int | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> list[EnrichCounts]:
    """Enrich every article whose result is missing or stale (all of them with `rerun`:
    those done before this run began are redone); with `limit`, at most that many per
    enricher, so a background caller does a slice at a time."""
    started = now()
    totals = []
    for enricher in enrichers:
        counts = EnrichCounts(enricher.name, enricher.version)
        after, left = 0, limit
        while left is None or left > 0:
            ids = store.due_for_enrichment(
                enricher.name,
                enricher.version,
                after=after,
                limit=batch if left is None else min(batch, left),
                redo_before=started if rerun else None,
            )
            if not ids:
                break
            inputs = store.enrich_inputs(ids)
            try:
                results = enricher.run(inputs)
            except Exception:  # one bad batch: each article on its own, to find the bad one
                results = [_one(enricher, item) for item in inputs]
            hashes = {item.id: item.content_hash for item in inputs}
            store.save_enrichments(enricher.name, enricher.version, results, hashes, now())
            counts = EnrichCounts(
                counts.enricher,
                counts.version,
                counts.done + sum(r.status == "ok" for r in results),
                counts.skipped + sum(r.status == "skipped" for r in results),
                counts.failed + sum(r.status == "error" for r in results),
            )
            if on_batch is not None:
                on_batch(enricher.name, len(ids))
            after = ids[-1]
            if left is not None:
                left -= len(ids)
        totals.append(counts)
    return totals


def _one(enricher: Enricher, item: EnrichInput) -> EnrichResult:
    try:
        [result] = enricher.run([item])
    except Exception as exc:  # recorded with the article; the others go on
        return EnrichResult(item.id, "error", error=f"{type(exc).__name__}: {exc}")
    return result
