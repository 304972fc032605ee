"""The per-document statements (source, feed, fetch, blob), built once per store.

Building a SQLAlchemy statement costs more than running it: upsert_feed's COALESCE for
each of its columns took ~1 ms a call when made afresh. These are made once, with every
value a typed bound parameter (`v_<column>`), and executed with a dict of values.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sqlalchemy import (
    BindParameter,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    func,
    insert,
    select,
    update,
)

from presswatch.store.schema import blobs, feeds, fetches, sources

FEED_META = (
    "title",
    "link",
    "link_host",
    "self_url",
    "description",
    "language",
    "generator",
    "format",
    "ttl",
    "update_period",
    "update_frequency",
    "update_base",
    "skip_hours",
    "skip_days",
    "next_url",
    "prev_archive_url",
    "image",
    "updated_raw",
)
FETCH_OUTCOME = (
    "finished_at",
    "status",
    "error",
    "feed_id",
    "format",
    "parser",
    "encoding",
    "encoding_reason",
    "problems",
    "blob_sha256",
    "items",
    "new",
    "updated",
    "unchanged",
    "skipped",
    "skipped_reasons",
)


def v(table: Table, column: str) -> BindParameter[Any]:
    return bindparam(f"v_{column}", type_=table.c[column].type)


def values(table: Table, columns: tuple[str, ...]) -> dict[str, BindParameter[Any]]:
    return {name: v(table, name) for name in columns}


@dataclass(frozen=True, slots=True)
class Prepared:
    find_source: Select[Any]
    insert_source: Insert
    find_feed: Select[Any]
    insert_feed: Insert
    refresh_feed: Update
    insert_fetch: Insert
    finish_fetch: Update
    count_fetch: Update
    find_blob: Select[Any]
    insert_blob: Insert

    @staticmethod
    def build(dialect: ModuleType) -> Prepared:
        """`dialect` is sqlalchemy.dialects.sqlite or .postgresql (for ON CONFLICT)."""
        source_row = dialect.insert(sources).values(
            **values(sources, ("location", "kind", "added_at")), fetch_count=0, error_count=0
        )
        feed_row = dialect.insert(feeds).values(
            **values(feeds, ("key", "first_seen", "last_seen", *FEED_META))
        )
        # A poorer reading (a text dump) must not erase what a richer one told us.
        known = [n for n in FEED_META if n != "format"]
        kept = {n: func.coalesce(feed_row.excluded[n], feeds.c[n]) for n in known}
        refreshed = {n: func.coalesce(v(feeds, n), feeds.c[n]) for n in known}
        return Prepared(
            find_source=select(sources.c.id).where(sources.c.location == v(sources, "location")),
            # Looked up first: on PostgreSQL every ON CONFLICT attempt burns a sequence number.
            insert_source=source_row.on_conflict_do_update(
                index_elements=[sources.c.location], set_={"kind": sources.c.kind}
            ).returning(sources.c.id),
            find_feed=select(feeds.c.id).where(feeds.c.key == v(feeds, "key")),
            insert_feed=feed_row.on_conflict_do_update(
                index_elements=[feeds.c.key],
                set_={
                    **kept,
                    "format": feed_row.excluded.format,
                    "last_seen": feed_row.excluded.last_seen,
                },
            ).returning(feeds.c.id),
            refresh_feed=update(feeds)
            .where(feeds.c.id == v(feeds, "id"))
            .values(**refreshed, format=v(feeds, "format"), last_seen=v(feeds, "last_seen")),
            insert_fetch=insert(fetches)
            .values(
                **values(fetches, ("source_id", "started_at")),
                status="running",
                items=0,
                new=0,
                updated=0,
                unchanged=0,
                skipped=0,
            )
            .returning(fetches.c.id),
            finish_fetch=update(fetches)
            .where(fetches.c.id == v(fetches, "id"))
            .values(**values(fetches, FETCH_OUTCOME))
            .returning(fetches.c.source_id),
            count_fetch=update(sources)
            .where(sources.c.id == v(sources, "id"))
            .values(
                **values(sources, ("last_fetch_at", "last_status", "last_error")),
                fetch_count=sources.c.fetch_count + 1,
                error_count=sources.c.error_count + v(sources, "error_count"),
                feed_id=func.coalesce(v(sources, "feed_id"), sources.c.feed_id),
            ),
            find_blob=select(blobs.c.sha256).where(blobs.c.sha256 == v(blobs, "sha256")),
            insert_blob=dialect.insert(blobs)
            .values(**values(blobs, ("sha256", "size", "data")))
            .on_conflict_do_nothing(index_elements=[blobs.c.sha256]),
        )
