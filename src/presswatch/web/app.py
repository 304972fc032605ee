"""The app factory: one FastAPI app holding the pages and the /api router over one archive.

Concurrency. FastAPI runs the (sync) endpoints in a thread pool, all sharing one
`Archive`. The store is safe to share: each call takes its own pooled connection (SQLite
connections are opened with check_same_thread off, in WAL mode, so readers never wait for
the writer; writers queue on BEGIN IMMEDIATE), and a `transaction()` block belongs to the
thread that opened it. Reading the search index is safe too (tantivy hands each call its
own searcher). What is not safe is applying the index's change log from two threads at
once: every search first catches up with what was written since (by a form here, the
background enrichment, or another process), and two threads doing that together would
share tantivy's one writer and could add a document twice. So the search service
serializes its catch-up with its own lock, and the index is opened before the first
request (`open_search_index`) rather than by whichever request comes first. On
PostgreSQL the same holds (each thread takes its own connection from SQLAlchemy's pool).

Timelines, top lists, facets and the dashboard's sections are kept for a short while
(web/recent.py, PRESSWATCH_WEB_CACHE_SECONDS) and dropped after any successful write
request (`ClearOnWrite`) or background enrichment batch. Served by several processes,
they share a `Generation` for that (web/workers.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from presswatch.archive import Archive
from presswatch.web import api, pages
from presswatch.web.background import BackgroundThread
from presswatch.web.recent import ClearOnWrite, Generation, Recent
from presswatch.web.security import SecurityMiddleware
from presswatch.web.settings import WebSettings, load_settings

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("presswatch.web")


def create_app(
    archive: Archive, settings: WebSettings | None = None, *, shared: Generation | None = None
) -> FastAPI:
    """The app over `archive`; `shared` when other processes serve the same archive."""
    settings = settings or load_settings()
    app = FastAPI(
        title="presswatch",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        # Starlette builds its trailing-slash redirects from the Host header.
        redirect_slashes=False,
    )
    app.state.archive = archive
    app.state.settings = settings
    app.state.recent = Recent(settings.cache_seconds, shared=shared)
    open_search_index(archive)
    app.include_router(api.router, prefix="/api")
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(StarletteHTTPException, _not_found_as_page)
    for error, handler in pages.ERROR_HANDLERS.items():
        app.add_exception_handler(error, handler)
    secure = bool(settings.base_url and settings.base_url.startswith("https://"))
    app.add_middleware(ClearOnWrite, recent=app.state.recent)
    app.add_middleware(
        SecurityMiddleware, secure_cookie=secure, allowed_hosts=settings.allowed_hosts
    )
    return app


async def _not_found_as_page(request: Request, exc: Exception) -> Response:
    """The API answers in JSON; a person who mistyped a page address gets a page."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith("/api") or request.url.path.startswith("/static"):
        return await http_exception_handler(request, exc)
    return pages.error_page(request, str(exc.detail), exc.status_code)


def open_search_index(archive: Archive) -> None:
    """Open the search index (and rebuild it if need be) now, not in the first request;
    the service serializes its own catch-up across threads."""
    _ = archive.search_service.index


class BackgroundEnrichment(BackgroundThread):
    """Enriches due articles a slice at a time in a thread, as `presswatch run` does
    between checks, so articles added through the app get their entities and quotes."""

    name = "presswatch-enrich"

    def __init__(
        self,
        archive: Archive,
        *,
        slice_size: int = 200,
        idle: float = 30.0,
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.archive = archive
        self.after_batch = after_batch
        self.slice_size = slice_size
        self.idle = idle
        self.enriched = 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                counts = self.archive.enrich(limit=self.slice_size)
                done = sum(c.done + c.skipped + c.failed for c in counts)
                if done:
                    self.enriched += done
                    self.archive.search_service.catch_up(wait=False)
                    if self.after_batch is not None:
                        self.after_batch()
            except Exception:  # enrichment records its own failures; keep serving
                log.exception("background enrichment failed; retrying later")
                done = 0
            if not done:
                self._stop.wait(self.idle)
