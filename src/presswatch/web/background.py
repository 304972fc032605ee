"""A daemon thread running one job in a loop until stopped, for the work `serve` does
beside answering requests (background enrichment, keeping the search index)."""

from __future__ import annotations

import threading


class BackgroundThread:
    """Subclasses give `name` and `_loop`, which returns once `_stop` is set."""

    name = "presswatch-background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        raise NotImplementedError
