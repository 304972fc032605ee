"""Slow aggregates kept for a short while: timelines, top lists, facets and the dashboard's
sections, which read thousands of articles, are asked for again and again by analysts
reloading a dashboard (and by many at once). Kept `ttl` seconds, and dropped at once when
the app itself changes the archive (a saved query, a new source, an enrichment batch);
a change made by another process shows within `ttl`. Only results are kept (frozen
values), so threads share them safely.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")


class Recent:
    def __init__(self, ttl: float = 30.0, size: int = 512) -> None:
        self.ttl = ttl
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._generation = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept result for `key`, else `compute()` (run outside the lock, so two
        threads may compute the same thing once; the later result is kept)."""
        if self.ttl <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
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
        with self._lock:
            self._kept.clear()
            self._generation += 1


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
