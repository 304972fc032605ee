"""What workers and the scheduler share in Redis besides the queues themselves.

- which sources, article ids and alert rounds are queued and not yet done, each with an
  expiry: the scheduler never queues the same source twice, and if a message is lost
  (Redis restarted without its data) the mark goes with it, or runs out, so the work is
  queued again while it is still due in the archive;
- heartbeats of worker processes and of the active scheduler, for `presswatch status`;
- failed tasks, with the error, once their retries are used up (the dead-letter list
  `presswatch retry-failed` empties back into the queues).

The archive stays the truth: losing all of this costs repeated work, never articles.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from presswatch.workers.settings import WorkerSettings


@dataclass(frozen=True, slots=True)
class Failure:
    """A task that failed on every attempt."""

    message_id: str
    queue: str
    actor: str
    args: list[Any]
    kwargs: dict[str, Any]
    error: str
    traceback: str
    attempts: int
    failed_at: float
    broker_ref: str = ""  # the broker's own id of the set-aside copy (Redis)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    who: str  # host:pid
    role: str  # worker | scheduler
    queues: list[str]
    started: float
    seen: float
    done: int
    failed: int


class SharedState:
    """The Redis keys of one namespace."""

    def __init__(self, settings: WorkerSettings, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.redis: redis.Redis = client or redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=3, socket_timeout=10
        )
        self.prefix = settings.namespace + ":"

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # -- queued marks ---------------------------------------------------------------------

    def queued(self, kind: str, now: float | None = None) -> set[int]:
        """Ids of `kind` (source, enrich) queued and not yet done; expired marks dropped."""
        now = time.time() if now is None else now
        key = self.key("queued", kind)
        self.redis.zremrangebyscore(key, "-inf", now)
        found: list[bytes] = self.redis.zrangebyscore(key, now, "+inf")  # type: ignore[assignment]
        return {int(m) for m in found}

    def mark_queued(self, kind: str, ids: Iterable[int], lease: float) -> None:
        until = time.time() + lease
        mapping = {str(i): until for i in ids}
        if mapping:
            self.redis.zadd(self.key("queued", kind), dict(mapping))

    def unmark(self, kind: str, ids: Sequence[int]) -> None:
        if ids:
            self.redis.zrem(self.key("queued", kind), *(str(i) for i in ids))

    def claim_round(self, name: str, every: float) -> bool:
        """True at most once per `every` seconds for `name` (the alert rounds)."""
        return bool(self.redis.set(self.key("round", name), "1", nx=True, px=int(every * 1000)))

    # -- failures -------------------------------------------------------------------------

    def record_failure(self, failure: Failure) -> None:
        self.redis.hset(self.key("failed"), failure.message_id, json.dumps(asdict(failure)))

    def failures(self) -> list[Failure]:
        raw = self.redis.hgetall(self.key("failed"))
        found = [Failure(**json.loads(v)) for v in raw.values()]
        return sorted(found, key=lambda f: f.failed_at)

    def forget_failure(self, message_id: str) -> None:
        self.redis.hdel(self.key("failed"), message_id)

    # -- heartbeats -----------------------------------------------------------------------

    def beat(self, beat: Heartbeat) -> None:
        self.redis.hset(self.key("seen"), beat.who, json.dumps(asdict(beat)))

    def heartbeats(self, within: float) -> list[Heartbeat]:
        """Processes heard from in the last `within` seconds; older entries are dropped."""
        now = time.time()
        seen: list[Heartbeat] = []
        for who, raw in self.redis.hgetall(self.key("seen")).items():
            beat = Heartbeat(**json.loads(raw))
            if now - beat.seen > max(within, 3600):
                self.redis.hdel(self.key("seen"), who)
            elif now - beat.seen <= within:
                seen.append(beat)
        return sorted(seen, key=lambda b: (b.role, b.who))

    def close(self) -> None:
        self.redis.close()


def whoami() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def checked_mark(last: datetime | None) -> str:
    """A source's last check (sources.last_fetch_at) as a fetch message carries it, so a
    worker can tell whether the source has been checked since: "" when never checked."""
    if last is None:
        return ""
    return (
        (last if last.tzinfo is not None else last.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    )
