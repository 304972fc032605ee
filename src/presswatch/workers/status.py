"""What `presswatch status` shows and what `presswatch retry-failed` does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from presswatch.workers.broker import QUEUES
from presswatch.workers.state import Failure, Heartbeat, SharedState

if TYPE_CHECKING:
    from presswatch.archive import Archive

SEEN_WITHIN = 30.0  # seconds: a worker not heard from for longer is not shown


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queue: str
    waiting: int  # ready to be taken
    delayed: int  # waiting for a retry's backoff
    taken: int | None  # being worked on (Redis only)


@dataclass(frozen=True, slots=True)
class Status:
    broker: str
    queues: list[QueueDepth]
    processes: list[Heartbeat]
    failures: list[Failure]
    due_sources: int
    oldest_due: datetime | None
    oldest_due_source: str | None
    sources_queued: int
    extra: dict[str, Any] = field(default_factory=dict)


def queue_depths(broker: dramatiq.Broker) -> list[QueueDepth]:
    depths = []
    for queue in QUEUES:
        if isinstance(broker, RedisBroker):
            client, ns = broker.client, broker.namespace
            waiting = int(client.llen(f"{ns}:{queue}"))
            total = int(client.hlen(f"{ns}:{queue}.msgs"))
            delayed = int(client.hlen(f"{ns}:{queue}.DQ.msgs"))
            depths.append(QueueDepth(queue, waiting, delayed, max(total - waiting, 0)))
        else:
            counts = broker.get_queue_message_counts(queue)  # type: ignore[attr-defined]
            depths.append(QueueDepth(queue, int(counts[0]), int(counts[1]), None))
    return depths


def gather(archive: Archive, broker: dramatiq.Broker, state: SharedState, shown: str) -> Status:
    now = datetime.now(UTC)
    due = [s for s in archive.store.due_sources(now) if s.kind == "url"]
    dated = [s for s in due if s.next_check_at is not None]
    never = [s for s in due if s.next_check_at is None]
    oldest = min(dated, key=lambda s: _aware(s.next_check_at)) if dated else None
    first = never[0] if never else oldest
    return Status(
        broker=shown,
        queues=queue_depths(broker),
        processes=state.heartbeats(SEEN_WITHIN),
        failures=state.failures(),
        due_sources=len(due),
        oldest_due=None if first is None or first.next_check_at is None else first.next_check_at,
        oldest_due_source=first.fetch_url if first is not None else None,
        sources_queued=len(state.queued("source")),
    )


def retry_failed(state: SharedState, broker: dramatiq.Broker) -> list[Failure]:
    """Put every set-aside task back on its queue, with fresh retries; those re-queued."""
    done = []
    for failure in state.failures():
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=failure.queue,
            actor_name=failure.actor,
            args=tuple(failure.args),
            kwargs=failure.kwargs,
            options={},
        )
        broker.enqueue(message)
        state.forget_failure(failure.message_id)
        if isinstance(broker, RedisBroker) and failure.broker_ref:  # Dramatiq's own copy
            xq = f"{broker.namespace}:{failure.queue}.XQ"
            broker.client.zrem(xq, failure.broker_ref)
            broker.client.hdel(xq + ".msgs", failure.broker_ref)
        done.append(failure)
    return done


def _aware(value: datetime | None) -> datetime:
    assert value is not None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
