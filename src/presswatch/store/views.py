"""Reads that assemble what one article's page or JSON shows: its mentions with offsets,
quotes, key phrases, language and syndicated copies.

Everything for many articles comes in a few queries per few hundred articles (not one per
article), so a JSON listing costs about what the listing itself costs.

Mixed into SQLStore.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, select

from presswatch.store.schema import (
    article_pages,
    articles,
    enrichments,
    entities,
    entity_aliases,
    mentions,
    quotes,
)

_IN_CHUNK = 500
VIEWED_ENRICHERS = ("language", "entities")


@dataclass(frozen=True, slots=True)
class EnrichmentRun:
    """One enricher's stored outcome for an article; `content_hash` is the article's
    hash when it ran (a different hash now means the text changed since)."""

    version: str
    content_hash: str
    status: str
    error: str | None
    result: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ViewRows:
    """What the store holds of one article's enrichment, as stored: offsets are into the
    text the entity enricher read (the page's when it was read, else the feed's)."""

    article_id: int
    content_hash: str
    feed_text: str
    page_text: str | None  # the article page's text, when it was read
    declared_language: str | None
    runs: dict[str, EnrichmentRun] = field(default_factory=dict)
    # (start, end, surface text, canonical, kind), by start
    mentions: tuple[tuple[int, int, str, str, str], ...] = ()
    # (start, end, text, speaker canonical or None), by start
    quotes: tuple[tuple[int, int, str, str | None], ...] = ()


class ViewStore(Protocol):
    """The part of `Store` that reads an article's enrichment for display."""

    def view_rows(self, ids: Sequence[int]) -> dict[int, ViewRows]: ...

    def entity_aliases_by_name(
        self, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[tuple[str, str | None]]]: ...


class ViewTables:
    """Mixin: needs `_read()` and `_failures()` from SQLStore."""

    _read: Callable[[], AbstractContextManager[Connection]]
    _failures: Callable[[], AbstractContextManager[None]]

    def view_rows(self, ids: Sequence[int]) -> dict[int, ViewRows]:
        """Each named article's texts, language and entity results, mentions and quotes;
        ids that name nothing are left out."""
        found: dict[int, ViewRows] = {}
        ordered = sorted(set(ids))
        with self._failures(), self._read() as conn:
            for start in range(0, len(ordered), _IN_CHUNK):
                found.update(_chunk_rows(conn, ordered[start : start + _IN_CHUNK]))
        return found

    def entity_aliases_by_name(
        self, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
        """(canonical, kind) -> its names and why each was merged, alphabetically."""
        wanted = set(names)
        found: dict[tuple[str, str], list[tuple[str, str | None]]] = {k: [] for k in wanted}
        canon = sorted({name for name, _ in wanted})
        with self._failures(), self._read() as conn:
            for start in range(0, len(canon), _IN_CHUNK):
                query = (
                    select(
                        entities.c.canonical,
                        entities.c.kind,
                        entity_aliases.c.alias,
                        entity_aliases.c.why,
                    )
                    .join(entity_aliases, entity_aliases.c.entity_id == entities.c.id)
                    .where(entities.c.canonical.in_(canon[start : start + _IN_CHUNK]))
                    .order_by(entity_aliases.c.alias)
                )
                for name, kind, alias, why in conn.execute(query):
                    key = (str(name), str(kind))
                    if key in found:
                        found[key].append((str(alias), why))
        return found


def _chunk_rows(conn: Connection, chunk: list[int]) -> dict[int, ViewRows]:
    page = (
        select(article_pages.c.article_id, article_pages.c.text)
        .where(article_pages.c.status == "ok", article_pages.c.article_id.in_(chunk))
        .subquery()
    )
    base = conn.execute(
        select(
            articles.c.id,
            articles.c.content_hash,
            articles.c.text,
            page.c.text,
            articles.c.language,
        )
        .outerjoin(page, page.c.article_id == articles.c.id)
        .where(articles.c.id.in_(chunk))
    ).all()
    runs: dict[int, dict[str, EnrichmentRun]] = {}
    for r in conn.execute(
        select(enrichments).where(
            enrichments.c.article_id.in_(chunk), enrichments.c.enricher.in_(VIEWED_ENRICHERS)
        )
    ):
        runs.setdefault(int(r.article_id), {})[str(r.enricher)] = EnrichmentRun(
            r.version, r.content_hash, r.status, r.error, r.result
        )
    spans: dict[int, list[tuple[int, int, str, str, str]]] = {}
    for r in conn.execute(
        select(
            mentions.c.article_id,
            mentions.c.start,
            mentions.c.end,
            mentions.c.text,
            entities.c.canonical,
            entities.c.kind,
        )
        .join(entities, entities.c.id == mentions.c.entity_id)
        .where(mentions.c.article_id.in_(chunk))
        .order_by(mentions.c.article_id, mentions.c.start)
    ):
        spans.setdefault(int(r[0]), []).append((int(r[1]), int(r[2]), str(r[3]), r[4], r[5]))
    said: dict[int, list[tuple[int, int, str, str | None]]] = {}
    for r in conn.execute(
        select(
            quotes.c.article_id, quotes.c.start, quotes.c.end, quotes.c.text, entities.c.canonical
        )
        .outerjoin(entities, entities.c.id == quotes.c.speaker_id)
        .where(quotes.c.article_id.in_(chunk))
        .order_by(quotes.c.article_id, quotes.c.start)
    ):
        said.setdefault(int(r[0]), []).append((int(r[1]), int(r[2]), str(r[3]), r[4]))
    return {
        int(i): ViewRows(
            article_id=int(i),
            content_hash=str(digest),
            feed_text=str(text or ""),
            page_text=page_text,
            declared_language=declared,
            runs=runs.get(int(i), {}),
            mentions=tuple(spans.get(int(i), ())),
            quotes=tuple(said.get(int(i), ())),
        )
        for i, digest, text, page_text, declared in base
    }
