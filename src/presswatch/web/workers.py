"""Serving one archive from several processes (`presswatch serve --workers N`).

Searching holds Python's global lock (the index is read under it), so one process uses
one core however many threads it has; uvicorn's worker processes, sharing one listening
socket, use them all. What must happen once is done by the parent process, which
otherwise only watches its workers:

- it alone writes the search index (tantivy allows one writer per folder, and a writer
  is kept until closed): an `IndexKeeper` applies the change log twice a second, and the
  workers read what it commits (each reloads within about half a second);
- it alone enriches in the background (`BackgroundEnrichment`);
- every change, by a worker's form or by the parent, grows the shared `Generation` file,
  so each worker drops the aggregates it keeps (web/recent.py).

The workers are started by uvicorn as new interpreters: they learn the archive, the
listening host and the generation file from the environment (`handoff`), and share the
form-signing key the same way, so a form served by one worker is accepted by another.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.web.background import BackgroundThread
from presswatch.web.recent import Generation

TARGET = "PRESSWATCH_WEB_TARGET"
HOST = "PRESSWATCH_WEB_HOST"
GENERATION = "PRESSWATCH_WEB_GENERATION"
SECRET = "PRESSWATCH_SECRET_KEY"
log = logging.getLogger("presswatch.web")


def handoff(target: str, host: str, generation: Path) -> None:
    """Put in the environment what the workers (started after this) need to know."""
    if "://" not in target:
        target = os.path.abspath(target)
    os.environ[TARGET] = target
    os.environ[HOST] = host
    os.environ[GENERATION] = str(generation)
    if not os.environ.get(SECRET):
        os.environ[SECRET] = secrets.token_urlsafe(32)


def app() -> FastAPI:
    """One worker's app (uvicorn calls this in each worker process)."""
    from presswatch.web.app import create_app
    from presswatch.web.settings import load_settings

    settings = load_settings().with_listening_host(os.environ[HOST])
    archive = open_archive(os.environ[TARGET])
    follow_index(archive)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            archive.close()

    made = create_app(archive, settings, shared=Generation(Path(os.environ[GENERATION])))
    made.router.lifespan_context = lifespan
    return made


def follow_index(archive: Archive) -> None:
    """Leave the index to the parent: a worker only reads it. Opened here as it is (the
    service would rebuild an empty index, and the parent holds the writer), and never
    caught up (the parent applies the change log)."""
    archive.search_service.follow()
    _ = archive.search_service.index


RELOAD_DELAY = 1.0
"""Seconds by which every worker has reloaded what the keeper committed (tantivy's
readers reload about half a second after a commit)."""


class IndexKeeper(BackgroundThread):
    """Applies the search index's change log in the parent, so what a worker or the
    background enrichment writes becomes searchable in every worker."""

    name = "presswatch-index"

    def __init__(
        self, archive: Archive, changed: Callable[[], None], *, every: float = 0.5
    ) -> None:
        super().__init__()
        self.archive = archive
        self.changed = changed
        self.every = every

    def _loop(self) -> None:
        reloaded_by = 0.0
        while not self._stop.wait(self.every):
            try:
                if self.archive.search_service.catch_up(wait=False):
                    self.changed()  # at once, and again once every worker has reloaded
                    reloaded_by = RELOAD_DELAY
                elif reloaded_by > 0:
                    reloaded_by -= self.every
                    if reloaded_by <= 0:
                        self.changed()
            except Exception:  # a busy or failing index: the next turn tries again
                log.exception("applying the search index's change log failed; retrying")
