"""Slow results kept for a short while: search results, facets, timelines (as drawn), top
lists and the dashboard's sections read thousands of articles, and are asked for again and
again by analysts reloading a page (and by many at once). Kept `ttl` seconds, and dropped
at once when the app itself changes the archive (a saved query, a new source, an
enrichment batch); a change made outside the app shows within `ttl`. Only results are
kept (frozen values), so threads share them safely.

Served by several processes (`presswatch serve --workers N`), each keeps its own results;
a write answered by one must drop what all of them keep. They share a `Generation`: a
file that grows by a byte at every change, whose size each process compares (one stat,
microseconds) before trusting what it keeps. Changes made outside the app (an ingest from
the command line) still show within `ttl`.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")


class Generation:
    """A change counter shared by the processes serving one archive: the size of a file
    that every change appends a byte to (appends are atomic, so no change is lost)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch(exist_ok=True)

    def current(self) -> int:
        try:
            return os.stat(self.path).st_size
        except OSError:  # removed under us (the server is stopping): keep nothing
            return -1

    def bump(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)


class Recent:
    def __init__(
        self, ttl: float = 30.0, size: int = 512, shared: Generation | None = None
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.shared = shared
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._generation = 0
        self._seen = shared.current() if shared is not None else 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept result for `key`, else `compute()` (run outside the lock, so two
        threads may compute the same thing once; the later result is kept)."""
        if self.ttl <= 0:
            return compute()
        now = time.monotonic()
        seen = self.shared.current() if self.shared is not None else 0
        with self._lock:
            if seen != self._seen:  # another process changed the archive
                self._seen = seen
                self._kept.clear()
                self._generation += 1
            hit = self._kept.get(key)
            if hit is not None and hit[0] > now:
                self._kept.move_to_end(key)
                value: T = hit[2]
                return value
            generation = self._generation
        value = compute()
        with self._lock:
            if generation == self._generation:  # not computed across a clear()
                self._kept[key] = (now + self.ttl, generation, value)
                self._kept.move_to_end(key)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything kept, here and (when shared) in the other processes."""
        if self.shared is not None:
            self.shared.bump()
        with self._lock:
            self._kept.clear()
            self._generation += 1
            if self.shared is not None:
                self._seen = self.shared.current()


class ClearOnWrite:
    """Forgets what `recent` keeps once any unsafe request (a form, an API write) has
    been answered successfully, so the next page shows its effect."""

    def __init__(self, app: ASGIApp, recent: Recent) -> None:
        self.app = app
        self.recent = recent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return

        async def clearing(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.recent.clear()
            await send(message)

        await self.app(scope, receive, clearing)
