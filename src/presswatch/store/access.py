"""API tokens, alerts on saved queries and their delivery log.

Mixed into SQLStore.

A delivery moves pending -> sending -> delivered | pending (retry) | failed. The move to
'sending' is a compare-and-set committed before the POST, so two deliverers never send
the same match, and a delivery whose POST was under way when presswatch stopped is found
later as 'sending' and closed as 'interrupted' instead of being sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol

from sqlalchemy import Connection, and_, case, delete, func, insert, select, update

from presswatch.publish.alerts import AlertInfo, DeliveryRecord, TokenInfo
from presswatch.store.schema import (
    alert_deliveries,
    alert_pending,
    alerts,
    api_tokens,
    articles,
    saved_queries,
    search_pending,
)

_IN_CHUNK = 500


class AccessStore(Protocol):
    """The part of `Store` that keeps tokens, alerts and deliveries."""

    # API tokens
    def add_token(self, name: str, token_hash: str, now: datetime) -> bool:
        """Keep a new token's hash; False if the name is taken."""
        ...

    def token_hashes(self) -> list[tuple[str, str]]:
        """(name, hash) of every token."""
        ...

    def touch_token(self, name: str, now: datetime) -> None: ...

    def list_tokens(self) -> list[TokenInfo]: ...

    def delete_token(self, name: str) -> bool: ...

    # alerts
    def add_alert(self, query_name: str, url: str, secret: str, now: datetime) -> int: ...

    def list_alerts(self, *, alert_id: int | None = None) -> list[AlertInfo]:
        """Every alert (or the one named), oldest first, with its delivery counts."""
        ...

    def delete_alert(self, alert_id: int) -> bool:
        """The alert, its pending list and its log."""
        ...

    # matching
    def pending_matches(self, alert_id: int, limit: int) -> list[int]:
        """Ids of articles stored since the alert began and not yet looked at, oldest
        first, among those the search index has caught up with."""
        ...

    def record_matches(
        self, alert_id: int, looked_at: Sequence[int], matched: Sequence[int], now: datetime
    ) -> int:
        """Queue `matched` for delivery (due now) and forget `looked_at`, in one
        transaction; the number newly queued."""
        ...

    # delivering
    def interrupt_stale_deliveries(self, started_before: datetime, now: datetime) -> int:
        """Close deliveries left 'sending' since before `started_before` as 'interrupted'."""
        ...

    def due_deliveries(self, now: datetime, limit: int) -> list[DeliveryRecord]:
        """Pending deliveries of active alerts whose time has come, by alert then article."""
        ...

    def claim_delivery(self, alert_id: int, article_id: int, now: datetime) -> int | None:
        """Mark a due pending delivery 'sending' and count the attempt; the attempt's number,
        or None if it is not pending and due any more (another deliverer took it)."""
        ...

    def finish_delivery(
        self,
        alert_id: int,
        article_id: int,
        *,
        status: str,
        status_code: int | None,
        error: str | None,
        next_attempt_at: datetime | None,
        now: datetime,
    ) -> None: ...

    def postpone_deliveries(self, alert_id: int, until: datetime) -> None:
        """Move the alert's pending deliveries due before `until` to `until` (its receiver
        is failing; one attempt per backoff period is enough to find out when it is back)."""
        ...

    def delivery_log(self, alert_id: int | None, limit: int) -> list[DeliveryRecord]:
        """The most recently changed deliveries first."""
        ...


def _record(row: Any) -> DeliveryRecord:
    return DeliveryRecord(
        alert_id=int(row.alert_id),
        article_id=int(row.article_id),
        status=row.status,
        attempts=int(row.attempts),
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        updated_at=row.updated_at,
        next_attempt_at=row.next_attempt_at,
        article_title=row.title or "",
        article_url=row.url,
        created_at=row.created_at,
    )


_DELIVERY_COLUMNS = (
    *alert_deliveries.c,
    articles.c.title,
    articles.c.url,
)


class AccessTables:
    """Mixin: needs `_write(work)`, `_read()`, `_failures()` and `_dialect` from SQLStore."""

    _write: Callable[..., Any]
    _read: Callable[[], AbstractContextManager[Connection]]
    _failures: Callable[[], AbstractContextManager[None]]
    _dialect: ModuleType

    # -- API tokens ---------------------------------------------------------------------

    def add_token(self, name: str, token_hash: str, now: datetime) -> bool:
        def work(conn: Connection) -> bool:
            done = conn.execute(
                self._dialect.insert(api_tokens)
                .values(name=name, hash=token_hash, created_at=now)
                .on_conflict_do_nothing(index_elements=[api_tokens.c.name])
                .returning(api_tokens.c.name)
            )
            return done.first() is not None

        return bool(self._write(work))

    def token_hashes(self) -> list[tuple[str, str]]:
        with self._failures(), self._read() as conn:
            rows = conn.execute(select(api_tokens.c.name, api_tokens.c.hash)).all()
        return [(r.name, r.hash) for r in rows]

    def touch_token(self, name: str, now: datetime) -> None:
        self._write(
            lambda conn: conn.execute(
                update(api_tokens).where(api_tokens.c.name == name).values(last_used_at=now)
            )
        )

    def list_tokens(self) -> list[TokenInfo]:
        query = select(
            api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.last_used_at
        ).order_by(api_tokens.c.name)
        with self._failures(), self._read() as conn:
            rows = conn.execute(query).all()
        return [TokenInfo(r.name, r.created_at, r.last_used_at) for r in rows]

    def delete_token(self, name: str) -> bool:
        def work(conn: Connection) -> bool:
            return bool(conn.execute(delete(api_tokens).where(api_tokens.c.name == name)).rowcount)

        return bool(self._write(work))

    # -- alerts -------------------------------------------------------------------------

    def add_alert(self, query_name: str, url: str, secret: str, now: datetime) -> int:
        row = {"query_name": query_name, "url": url, "secret": secret, "created_at": now}

        def work(conn: Connection) -> int:
            inserted = conn.execute(insert(alerts).values(active=1, **row).returning(alerts.c.id))
            return int(inserted.scalar_one())

        return int(self._write(work))

    def list_alerts(self, *, alert_id: int | None = None) -> list[AlertInfo]:
        d = alert_deliveries

        def count(*statuses: str) -> Any:
            return func.coalesce(func.sum(case((d.c.status.in_(statuses), 1), else_=0)), 0)

        counts = (
            select(
                d.c.alert_id,
                count("delivered").label("delivered"),
                count("pending", "sending").label("pending"),
                count("failed", "interrupted").label("failed"),
            )
            .group_by(d.c.alert_id)
            .subquery("counts")
        )
        query = (
            select(
                alerts,
                saved_queries.c.query,
                counts.c.delivered,
                counts.c.pending,
                counts.c.failed,
            )
            .join(saved_queries, saved_queries.c.name == alerts.c.query_name)
            .outerjoin(counts, counts.c.alert_id == alerts.c.id)
            .order_by(alerts.c.id)
        )
        if alert_id is not None:
            query = query.where(alerts.c.id == alert_id)
        with self._failures(), self._read() as conn:
            rows = conn.execute(query).all()
        return [
            AlertInfo(
                id=int(r.id),
                query_name=r.query_name,
                url=r.url,
                secret=r.secret,
                created_at=r.created_at,
                active=bool(r.active),
                query=r.query,
                delivered=int(r.delivered or 0),
                pending=int(r.pending or 0),
                failed=int(r.failed or 0),
            )
            for r in rows
        ]

    def delete_alert(self, alert_id: int) -> bool:
        def work(conn: Connection) -> bool:
            conn.execute(delete(alert_pending).where(alert_pending.c.alert_id == alert_id))
            conn.execute(delete(alert_deliveries).where(alert_deliveries.c.alert_id == alert_id))
            return bool(conn.execute(delete(alerts).where(alerts.c.id == alert_id)).rowcount)

        return bool(self._write(work))

    # -- matching -----------------------------------------------------------------------

    def pending_matches(self, alert_id: int, limit: int) -> list[int]:
        waiting = select(search_pending.c.article_id).where(
            search_pending.c.article_id == alert_pending.c.article_id
        )
        query = (
            select(alert_pending.c.article_id)
            .where(alert_pending.c.alert_id == alert_id, ~waiting.exists())
            .order_by(alert_pending.c.article_id)
            .limit(limit)
        )
        with self._failures(), self._read() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def record_matches(
        self, alert_id: int, looked_at: Sequence[int], matched: Sequence[int], now: datetime
    ) -> int:
        def work(conn: Connection) -> int:
            added = 0
            for start in range(0, len(matched), _IN_CHUNK):
                rows = [
                    {
                        "alert_id": alert_id,
                        "article_id": article_id,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                        "next_attempt_at": now,
                    }
                    for article_id in matched[start : start + _IN_CHUNK]
                ]
                done = conn.execute(
                    self._dialect.insert(alert_deliveries)
                    .values(rows)
                    .on_conflict_do_nothing(
                        index_elements=[alert_deliveries.c.alert_id, alert_deliveries.c.article_id]
                    )
                    .returning(alert_deliveries.c.article_id)
                )
                added += len(done.all())
            ids = list(looked_at)
            for start in range(0, len(ids), _IN_CHUNK):
                conn.execute(
                    delete(alert_pending).where(
                        alert_pending.c.alert_id == alert_id,
                        alert_pending.c.article_id.in_(ids[start : start + _IN_CHUNK]),
                    )
                )
            return added

        return int(self._write(work))

    # -- delivering ---------------------------------------------------------------------

    def interrupt_stale_deliveries(self, started_before: datetime, now: datetime) -> int:
        d = alert_deliveries

        def work(conn: Connection) -> int:
            done = conn.execute(
                update(d)
                .where(d.c.status == "sending", d.c.updated_at < started_before)
                .values(
                    status="interrupted",
                    updated_at=now,
                    next_attempt_at=None,
                    last_error=(
                        "presswatch stopped while this was being sent: it may have arrived, "
                        "so it is not sent again"
                    ),
                )
            )
            return int(done.rowcount)

        return int(self._write(work))

    def due_deliveries(self, now: datetime, limit: int) -> list[DeliveryRecord]:
        d = alert_deliveries
        query = (
            select(*_DELIVERY_COLUMNS)
            .join(articles, articles.c.id == d.c.article_id)
            .join(alerts, alerts.c.id == d.c.alert_id)
            .where(alerts.c.active == 1, d.c.status == "pending", d.c.next_attempt_at <= now)
            .order_by(d.c.alert_id, d.c.article_id)
            .limit(limit)
        )
        with self._failures(), self._read() as conn:
            return [_record(r) for r in conn.execute(query)]

    def claim_delivery(self, alert_id: int, article_id: int, now: datetime) -> int | None:
        d = alert_deliveries
        key = and_(d.c.alert_id == alert_id, d.c.article_id == article_id)

        def work(conn: Connection) -> int | None:
            attempt = conn.execute(
                update(d)
                .where(key, d.c.status == "pending", d.c.next_attempt_at <= now)
                .values(status="sending", attempts=d.c.attempts + 1, updated_at=now)
                .returning(d.c.attempts)
            ).scalar_one_or_none()
            return None if attempt is None else int(attempt)

        found = self._write(work)
        return None if found is None else int(found)

    def finish_delivery(
        self,
        alert_id: int,
        article_id: int,
        *,
        status: str,
        status_code: int | None,
        error: str | None,
        next_attempt_at: datetime | None,
        now: datetime,
    ) -> None:
        d = alert_deliveries
        self._write(
            lambda conn: conn.execute(
                update(d)
                .where(d.c.alert_id == alert_id, d.c.article_id == article_id)
                .values(
                    status=status,
                    last_status_code=status_code,
                    last_error=error,
                    next_attempt_at=next_attempt_at,
                    updated_at=now,
                )
            )
        )

    def postpone_deliveries(self, alert_id: int, until: datetime) -> None:
        d = alert_deliveries
        self._write(
            lambda conn: conn.execute(
                update(d)
                .where(
                    d.c.alert_id == alert_id, d.c.status == "pending", d.c.next_attempt_at < until
                )
                .values(next_attempt_at=until)
            )
        )

    def delivery_log(self, alert_id: int | None, limit: int) -> list[DeliveryRecord]:
        d = alert_deliveries
        query = (
            select(*_DELIVERY_COLUMNS)
            .join(articles, articles.c.id == d.c.article_id)
            .order_by(d.c.updated_at.desc(), d.c.alert_id.desc(), d.c.article_id.desc())
            .limit(limit)
        )
        if alert_id is not None:
            query = query.where(d.c.alert_id == alert_id)
        with self._failures(), self._read() as conn:
            return [_record(r) for r in conn.execute(query)]
