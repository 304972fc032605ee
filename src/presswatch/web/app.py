"""The app factory: one FastAPI app holding the pages and the /api router over one archive.

Owner: issue 6 web pages.
"""

from __future__ import annotations

from fastapi import FastAPI

from presswatch.archive import Archive
from presswatch.web import api, pages


def create_app(archive: Archive) -> FastAPI:
    app = FastAPI(
        title="presswatch",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.archive = archive
    app.include_router(api.router, prefix="/api")
    app.include_router(pages.router)
    return app
