"""Per-host politeness: how many requests one site gets at once, how far apart they start,
and how long it asked us to stay away (Retry-After).

`LocalLimiter` holds this in one process, which is enough when one process fetches.
`RedisLimiter` holds it in Redis, so the limits hold for every worker on every machine
that shares the Redis: a slot is a lease in a per-host sorted set (a worker killed with -9
loses its slot when the lease runs out; a live one renews it while its request runs), the
next allowed start is one key per host, and a backoff is a key that expires when the wait
is over. Each step is one Lua script, so two workers never both take the last slot.

When Redis cannot be reached, fetches wait and ask again (with a warning in the log)
rather than fail or go ahead unlimited: a site is never asked harder because the limiter
is down. Releasing a slot is the exception: it is retried in the background, and if Redis
stays away, the lease runs out on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("presswatch.fetch.limiter")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Slot:
    """One request's permission to talk to `host`, until released."""

    host: str
    token: str = ""


class HostLimiter(Protocol):
    """Per-host limits shared by everything that fetches through the same limiter."""

    async def acquire(self, host: str) -> Slot:
        """Wait for a free slot at `host` and for its spacing to pass since the last start."""
        ...

    async def release(self, slot: Slot) -> None: ...

    async def backoff_until(self, host: str, now: datetime) -> datetime | None:
        """When `host` may be asked again, if it asked us to wait and the wait is not over."""
        ...

    async def set_backoff(self, host: str, until: datetime, now: datetime) -> None:
        """Leave `host` alone until `until` (a later backoff already set is kept)."""
        ...

    def seed_backoff(self, backoff: Mapping[str, datetime]) -> None:
        """Backoffs remembered from earlier runs (the archive's `hosts` table)."""
        ...

    def backoffs(self, now: datetime) -> dict[str, datetime]:
        """Hosts this process knows are backed off, and until when (to persist them)."""
        ...

    async def aclose(self) -> None:
        """Let go of what the current event loop holds; the limiter may be used again."""
        ...


@asynccontextmanager
async def holding(limiter: HostLimiter, host: str) -> AsyncIterator[Slot]:
    slot = await limiter.acquire(host)
    try:
        yield slot
    finally:
        await limiter.release(slot)


class _Backoffs:
    """The backoffs one process has seen, dropped once they are over."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}

    def seed(self, backoff: Mapping[str, datetime]) -> None:
        for host, until in backoff.items():
            self.note(host.lower(), _aware(until))

    def note(self, host: str, until: datetime) -> None:
        if host not in self._until or self._until[host] < until:
            self._until[host] = until

    def get(self, host: str, now: datetime) -> datetime | None:
        until = self._until.get(host)
        if until is not None and until <= now:
            del self._until[host]
            return None
        return until

    def current(self, now: datetime) -> dict[str, datetime]:
        for host in [h for h, until in self._until.items() if until <= now]:
            del self._until[host]
        return dict(self._until)


@dataclass(slots=True)
class _Host:
    gate: asyncio.Semaphore
    next_start: float = 0.0  # loop time before which no request to the host may start


class LocalLimiter:
    """The limits within one process (the embedded default)."""

    def __init__(self, per_host: int = 2, spacing: float = 0.25) -> None:
        if per_host <= 0 or spacing < 0:
            raise ValueError("per_host must be more than 0 and spacing cannot be negative")
        self.per_host = per_host
        self.spacing = spacing
        self._hosts: dict[str, _Host] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._backoff = _Backoffs()

    async def acquire(self, host: str) -> Slot:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # semaphores belong to one event loop
            self._hosts, self._loop = {}, loop
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(self.per_host))
        await state.gate.acquire()
        try:
            if self.spacing > 0:
                now = loop.time()
                start = max(now, state.next_start)
                state.next_start = start + self.spacing
                if start > now:
                    await asyncio.sleep(start - now)
        except BaseException:
            state.gate.release()
            raise
        return Slot(host)

    async def release(self, slot: Slot) -> None:
        state = self._hosts.get(slot.host)
        if state is not None:
            state.gate.release()

    async def backoff_until(self, host: str, now: datetime) -> datetime | None:
        return self._backoff.get(host, now)

    async def set_backoff(self, host: str, until: datetime, now: datetime) -> None:
        self._backoff.note(host, until)

    def seed_backoff(self, backoff: Mapping[str, datetime]) -> None:
        self._backoff.seed(backoff)

    def backoffs(self, now: datetime) -> dict[str, datetime]:
        return self._backoff.current(now)

    async def aclose(self) -> None:
        pass


# KEYS: slots (sorted set token -> lease end, ms), next start (ms).
# ARGV: token, limit, spacing ms, lease ms.
# Returns {ms to wait before starting, 1} when the slot is taken, {ms until the soonest
# lease runs out, 0} when the host is full.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {math.floor(tonumber(first[2]) - now), 0}
end
local start = now
local planned = tonumber(redis.call('GET', KEYS[2]) or '0')
if planned > start then start = planned end
local spacing = tonumber(ARGV[3])
if spacing > 0 then
  redis.call('SET', KEYS[2], string.format('%d', start + spacing), 'PX',
             string.format('%d', start + spacing - now + 1000))
end
redis.call('ZADD', KEYS[1], string.format('%d', start + tonumber(ARGV[4])), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], string.format('%d', tonumber(last[2]) + 1000))
return {start - now, 1}
"""

# KEYS: slots. ARGV: token, lease ms. 1 if the lease was extended, 0 if it was lost.
_RENEW = """
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[2])
if tonumber(held) > until_ then until_ = tonumber(held) end
redis.call('ZADD', KEYS[1], 'XX', string.format('%d', until_), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], string.format('%d', tonumber(last[2]) + 1000))
return 1
"""

# KEYS: backoff. ARGV: until (ms since the epoch), ms to keep it. Keeps a later one.
_BACKOFF = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_POLL = 0.05  # seconds between two asks for a slot at a full host (jittered)
_RETRY_FIRST, _RETRY_MOST = 0.25, 5.0  # seconds between asks while Redis is away
_WARN_EVERY = 30.0  # seconds between two warnings about the same outage


class RedisLimiter:
    """The limits shared through Redis by every process that uses the same `url` and
    `prefix`. `lease` bounds how long a dead worker's slot stays taken; a live request
    renews its lease every third of it, so it may run longer than the lease."""

    def __init__(
        self,
        url: str,
        *,
        per_host: int = 2,
        spacing: float = 0.25,
        lease: float = 15.0,
        prefix: str = "presswatch:limits",
    ) -> None:
        if per_host <= 0 or spacing < 0 or lease <= 0:
            raise ValueError(
                "per_host and lease must be more than 0 and spacing cannot be negative"
            )
        self.url = url
        self.per_host = per_host
        self.spacing = spacing
        self.lease = lease
        self.prefix = prefix
        self._backoff = _Backoffs()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis: Any = None
        self._scripts: dict[str, Any] = {}
        self._renewals: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, asyncio.Lock] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._down_since: float | None = None
        self._warned_at = 0.0

    def _key(self, host: str, kind: str) -> str:
        # the braces keep one host's keys in one Redis Cluster slot, as the scripts need
        return f"{self.prefix}:{{{host}}}:{kind}"

    def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        if self._redis is not None and self._loop is loop:
            return
        from redis.asyncio import Redis

        # a connection belongs to one event loop; one from a finished loop is dropped
        self._redis = Redis.from_url(
            self.url, socket_connect_timeout=2.0, socket_timeout=5.0, decode_responses=True
        )
        self._scripts = {
            name: self._redis.register_script(text)
            for name, text in (("acquire", _ACQUIRE), ("renew", _RENEW), ("backoff", _BACKOFF))
        }
        self._loop, self._renewals, self._waiting = loop, {}, {}

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        self._connect()
        return await self._scripts[name](keys=keys, args=args)

    async def _patiently(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """`call` once Redis answers: while it does not, wait, warn and ask again."""
        from redis.exceptions import ConnectionError, TimeoutError

        pause = _RETRY_FIRST
        while True:
            try:
                result = await call()
            except (ConnectionError, TimeoutError, OSError) as exc:
                self._unreachable(what, exc, pause)
                await asyncio.sleep(pause * random.uniform(0.8, 1.2))
                pause = min(pause * 2, _RETRY_MOST)
                continue
            if self._down_since is not None:
                log.warning(
                    "the host limiter at %s answers again after %.0f s; fetches go on",
                    _shown(self.url),
                    time.monotonic() - self._down_since,
                )
                self._down_since = None
            return result

    def _unreachable(self, what: str, exc: Exception, pause: float) -> None:
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
        elif now - self._warned_at < _WARN_EVERY:
            return
        self._warned_at = now
        log.warning(
            "the host limiter at %s cannot be reached (%s while %s); fetches wait and ask "
            "again every %g s or so, so no site is asked more often than its limit; check "
            "that Redis is running",
            _shown(self.url),
            str(exc) or type(exc).__name__,
            what,
            min(pause, _RETRY_MOST),
        )

    async def acquire(self, host: str) -> Slot:
        self._connect()
        lock = self._waiting.setdefault(host, asyncio.Lock())
        token = secrets.token_hex(8)
        keys = [self._key(host, "slots"), self._key(host, "next")]
        args = [token, self.per_host, round(self.spacing * 1000), round(self.lease * 1000)]
        async with lock:  # one waiter per host and process asks Redis; the rest queue here
            while True:
                wait_ms, taken = await self._patiently(
                    f"waiting for a slot at {host}", lambda: self._script("acquire", keys, args)
                )
                if taken:
                    break
                await asyncio.sleep(min(max(wait_ms, 0) / 1000, _POLL) * random.uniform(0.5, 1.5))
        slot = Slot(host, token)
        self._renewals[token] = asyncio.create_task(self._renew(slot))
        if wait_ms > 0:
            try:
                await asyncio.sleep(wait_ms / 1000)
            except BaseException:
                await self.release(slot)
                raise
        return slot

    async def _renew(self, slot: Slot) -> None:
        keys, args = [self._key(slot.host, "slots")], [slot.token, round(self.lease * 1000)]
        while True:
            await asyncio.sleep(self.lease / 3)
            held = await self._patiently(
                f"renewing a slot at {slot.host}", lambda: self._script("renew", keys, args)
            )
            if not held:
                log.warning(
                    "a request to %s outlasted its slot's lease (%g s) without renewing it "
                    "in time; another worker may now ask %s too",
                    slot.host,
                    self.lease,
                    slot.host,
                )
                return

    async def release(self, slot: Slot) -> None:
        renewal = self._renewals.pop(slot.token, None)
        if renewal is not None:
            renewal.cancel()
        from redis.exceptions import ConnectionError, TimeoutError

        try:
            self._connect()
            await self._redis.zrem(self._key(slot.host, "slots"), slot.token)
        except (ConnectionError, TimeoutError, OSError):
            # the request is over; free its slot once Redis is back, or let the lease end
            task = asyncio.create_task(self._release_later(slot))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _release_later(self, slot: Slot) -> None:
        async def zrem() -> Any:
            self._connect()
            return await self._redis.zrem(self._key(slot.host, "slots"), slot.token)

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.lease):
                await self._patiently(f"releasing a slot at {slot.host}", zrem)

    async def backoff_until(self, host: str, now: datetime) -> datetime | None:
        async def read() -> Any:
            self._connect()
            return await self._redis.get(self._key(host, "backoff"))

        shared = await self._patiently(f"reading the backoff of {host}", read)
        if shared is not None:
            self._backoff.note(host, datetime.fromtimestamp(int(shared) / 1000, UTC))
        return self._backoff.get(host, now)

    async def set_backoff(self, host: str, until: datetime, now: datetime) -> None:
        self._backoff.note(host, until)
        keep_ms = round((until - now).total_seconds() * 1000)
        if keep_ms <= 0:
            return
        keys, args = [self._key(host, "backoff")], [round(until.timestamp() * 1000), keep_ms]
        await self._patiently(
            f"telling other workers to leave {host} alone",
            lambda: self._script("backoff", keys, args),
        )

    def seed_backoff(self, backoff: Mapping[str, datetime]) -> None:
        self._backoff.seed(backoff)

    def backoffs(self, now: datetime) -> dict[str, datetime]:
        return self._backoff.current(now)

    async def aclose(self) -> None:
        """Close this event loop's connections once no request holds a slot here (a
        limiter shared by several clients stays usable: it reconnects when asked again)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._redis is None or self._loop is not asyncio.get_running_loop():
            return
        if not self._renewals:
            await self._redis.aclose()


def _shown(url: str) -> str:
    """The URL without its password, for the log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
