"""The enrichment runner's side of the archive: what is due, what each enricher found.

A row in `enrichments` is current when its version and content hash match the enricher's
version and the article's hash now; anything else (no row, an older enricher, a changed
article) is due. Mixed into SQLStore, whose transaction helpers it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select

from presswatch.enrich.base import EnrichInput, EnrichResult
from presswatch.store.schema import (
    article_pages,
    articles,
    enrichments,
    feeds,
    near_pairs,
    near_signatures,
)

_IN_CHUNK = 500


class EnrichmentTables:
    """Mixin: needs `_write(work)`, `_read()`, `_failures()` and `_dialect` from SQLStore."""

    _write: Callable[..., Any]
    _read: Callable[[], AbstractContextManager[Connection]]
    _failures: Callable[[], AbstractContextManager[None]]
    _dialect: ModuleType

    def due_for_enrichment(
        self,
        enricher: str,
        version: str,
        *,
        after: int = 0,
        limit: int = 500,
        redo_before: datetime | None = None,
    ) -> list[int]:
        """Ids above `after`, in order, whose result from `enricher` is missing or stale;
        with `redo_before`, also those done before that time (a rerun that can resume)."""
        done = enrichments.alias("done")
        stale = or_(
            done.c.article_id.is_(None),
            done.c.version != version,
            done.c.content_hash != articles.c.content_hash,
        )
        if redo_before is not None:
            stale = or_(stale, done.c.done_at < redo_before)
        query = (
            select(articles.c.id)
            .outerjoin(done, and_(done.c.article_id == articles.c.id, done.c.enricher == enricher))
            .where(articles.c.id > after, stale)
            .order_by(articles.c.id)
            .limit(limit)
        )
        with self._failures(), self._read() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def count_due_for_enrichment(self, enricher: str, version: str) -> int:
        done = enrichments.alias("done")
        query = (
            select(func.count())
            .select_from(articles)
            .outerjoin(done, and_(done.c.article_id == articles.c.id, done.c.enricher == enricher))
            .where(
                or_(
                    done.c.article_id.is_(None),
                    done.c.version != version,
                    done.c.content_hash != articles.c.content_hash,
                )
            )
        )
        with self._failures(), self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def enrich_inputs(self, ids: Sequence[int]) -> list[EnrichInput]:
        """The articles named, in id order, with the text shown (a read page's, else the
        feed's)."""
        shown = (
            select(article_pages.c.article_id, article_pages.c.text)
            .where(article_pages.c.status == "ok")
            .subquery()
        )
        rows: list[EnrichInput] = []
        with self._failures(), self._read() as conn:
            ordered = sorted(set(ids))
            for start in range(0, len(ordered), _IN_CHUNK):
                chunk = ordered[start : start + _IN_CHUNK]
                language = enrichments.alias("lang")
                query = (
                    select(
                        articles.c.id,
                        articles.c.title,
                        func.coalesce(shown.c.text, articles.c.text),
                        articles.c.language,
                        articles.c.content_hash,
                        language.c.result,
                    )
                    .outerjoin(shown, shown.c.article_id == articles.c.id)
                    .outerjoin(
                        language,
                        and_(
                            language.c.article_id == articles.c.id,
                            language.c.enricher == "language",
                        ),
                    )
                    .where(articles.c.id.in_(chunk))
                    .order_by(articles.c.id)
                )
                rows.extend(
                    EnrichInput(*row[:5], detected_language=(row[5] or {}).get("language"))
                    for row in conn.execute(query)
                )
        return rows

    def save_enrichments(
        self,
        enricher: str,
        version: str,
        results: Sequence[EnrichResult],
        hashes: dict[int, str],
        now: datetime,
    ) -> None:
        """Keep each result (replacing the article's earlier one from this enricher)."""
        rows = [
            {
                "article_id": r.article_id,
                "enricher": enricher,
                "version": version,
                "content_hash": hashes[r.article_id],
                "done_at": now,
                "status": r.status,
                "error": r.error,
                "result": r.result or None,
            }
            for r in results
            if r.article_id in hashes
        ]
        if not rows:
            return
        statement = self._dialect.insert(enrichments)
        statement = statement.on_conflict_do_update(
            index_elements=[enrichments.c.article_id, enrichments.c.enricher],
            set_={
                name: statement.excluded[name]
                for name in ("version", "content_hash", "done_at", "status", "error", "result")
            },
        )
        self._write(lambda conn: conn.execute(statement, rows))

    def enrichments_of(self, article_id: int) -> dict[str, dict[str, Any]]:
        """What each enricher found for the article: enricher -> its row."""
        query = select(enrichments).where(enrichments.c.article_id == article_id)
        with self._failures(), self._read() as conn:
            return {
                row.enricher: {
                    "version": row.version,
                    "status": row.status,
                    "error": row.error,
                    "result": row.result,
                    "done_at": row.done_at,
                }
                for row in conn.execute(query)
            }

    # -- syndication --------------------------------------------------------------------

    def near_signatures(self, batch: int = 5_000) -> Iterator[list[tuple[int, bytes]]]:
        """Every stored MinHash signature, in id order, `batch` at a time."""
        after = 0
        while True:
            query = (
                select(near_signatures.c.article_id, near_signatures.c.signature)
                .where(near_signatures.c.article_id > after)
                .order_by(near_signatures.c.article_id)
                .limit(batch)
            )
            with self._failures(), self._read() as conn:
                rows = [(int(r[0]), bytes(r[1])) for r in conn.execute(query)]
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def save_near(
        self,
        article_id: int,
        signature: bytes | None,
        pairs: Sequence[tuple[int, float, float, int, bool]],
    ) -> None:
        """The article's signature and its verified copies (other id, jaccard,
        containment, shingles in common, identical), replacing what it had."""

        def work(conn: Connection) -> None:
            conn.execute(delete(near_signatures).where(near_signatures.c.article_id == article_id))
            conn.execute(
                delete(near_pairs).where(
                    or_(near_pairs.c.a == article_id, near_pairs.c.b == article_id)
                )
            )
            if signature is not None:
                conn.execute(
                    insert(near_signatures).values(article_id=article_id, signature=signature)
                )
            rows = [
                {
                    "a": min(article_id, other),
                    "b": max(article_id, other),
                    "jaccard": jaccard,
                    "containment": containment,
                    "common": common,
                    "identical": int(identical),
                }
                for other, jaccard, containment, common, identical in pairs
                if other != article_id
            ]
            if rows:
                conn.execute(insert(near_pairs), rows)

        self._write(work)

    def near_pairs_around(
        self, ids: Sequence[int], hops: int = 3
    ) -> list[tuple[int, int, float, float, int, bool]]:
        """Verified copy pairs reachable from `ids` within `hops` steps."""
        seen: set[int] = set(ids)
        frontier = set(ids)
        found: dict[tuple[int, int], tuple[int, int, float, float, int, bool]] = {}
        with self._failures(), self._read() as conn:
            for _ in range(hops):
                if not frontier:
                    break
                ordered = sorted(frontier)
                frontier = set()
                for start in range(0, len(ordered), _IN_CHUNK):
                    chunk = ordered[start : start + _IN_CHUNK]
                    query = select(near_pairs).where(
                        or_(near_pairs.c.a.in_(chunk), near_pairs.c.b.in_(chunk))
                    )
                    for r in conn.execute(query):
                        found[(r.a, r.b)] = (
                            r.a,
                            r.b,
                            r.jaccard,
                            r.containment,
                            r.common,
                            bool(r.identical),
                        )
                        frontier.update(x for x in (r.a, r.b) if x not in seen)
                seen |= frontier
        return list(found.values())

    def cluster_members(
        self, ids: Sequence[int]
    ) -> list[tuple[int, Any, str, str | None, str | None]]:
        """(id, published or first seen, feed title, feed site link, republished_from)."""
        rows: list[tuple[int, Any, str, str | None, str | None]] = []
        with self._failures(), self._read() as conn:
            ordered = sorted(set(ids))
            for start in range(0, len(ordered), _IN_CHUNK):
                chunk = ordered[start : start + _IN_CHUNK]
                query = (
                    select(
                        articles.c.id,
                        func.coalesce(articles.c.published, articles.c.first_seen),
                        func.coalesce(feeds.c.title, feeds.c.key),
                        feeds.c.link,
                        articles.c.republished_from,
                    )
                    .join(feeds, feeds.c.id == articles.c.feed_id)
                    .where(articles.c.id.in_(chunk))
                )
                rows.extend((int(r[0]), r[1], str(r[2]), r[3], r[4]) for r in conn.execute(query))
        return rows
