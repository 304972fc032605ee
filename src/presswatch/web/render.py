"""What every page shares: the template environment, rendering, error pages, and the
small parsers that hold query parameters to allowlists."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.templating import Jinja2Templates

from presswatch.analysis.timeline import period_label
from presswatch.archive import Archive
from presswatch.errors import ArchiveError, QuerySyntaxError, SearchIndexBusy, UsageError
from presswatch.web.markup import path, with_query
from presswatch.web.recent import Recent
from presswatch.web.security import CSRF_FIELD, CsrfRejected, csrf_token
from presswatch.web.settings import WebSettings

MESSAGES = {
    "saved": "The query is saved.",
    "deleted": "The saved query is deleted.",
}
"""Messages a redirect may ask a page to show: by code, so no text travels in the URL."""


def web_url(url: str | None) -> str | None:
    """The address when it is a web address (http, https), else None: a feed's link is
    never put in an href as it came (javascript:, data:)."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(path=path, with_query=with_query, period_label=period_label)
_env.filters["web_url"] = web_url
templates = Jinja2Templates(env=_env)

T = TypeVar("T")


def archive_of(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def settings_of(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def cached(request: Request, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or its result from a moment ago (web/recent.py)."""
    recent: Recent = request.app.state.recent
    return recent.get(key, compute)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("title", "presswatch")
    context.setdefault("messages", [])
    context.setdefault("errors", [])
    context.setdefault("q", "")
    context.update(csrf=csrf_token(request), csrf_field=CSRF_FIELD)
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    titles = {403: "Refused", 404: "Not found", 400: "Cannot do that", 503: "Not available"}
    return render(
        request, "error.html", status, title=titles.get(status, "Error"), errors=[message]
    )


def _errors_for(status: int) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return error_page(request, str(exc), status)

    return handle


ERROR_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Response]] = {
    CsrfRejected: _errors_for(403),
    UsageError: _errors_for(400),
    SearchIndexBusy: _errors_for(503),
    ArchiveError: _errors_for(503),
}


def choice(value: str | None, allowed: Sequence[T], default: T) -> T:
    for option in allowed:
        if value == option:
            return option
    return default


def int_param(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def messages_from(request: Request) -> list[str]:
    code = request.query_params.get("message")
    return [MESSAGES[code]] if code in MESSAGES else []


@dataclass(frozen=True, slots=True)
class QueryError:
    """A query that could not be run: the message, and where (for the caret) if known."""

    query: str
    message: str
    position: int | None = None

    @property
    def before(self) -> str:
        return self.query[: self.position] if self.position is not None else self.query

    @property
    def at(self) -> str:
        if self.position is None:
            return ""
        return self.query[self.position : self.position + 1] or " "

    @property
    def after(self) -> str:
        return self.query[self.position + 1 :] if self.position is not None else ""


def query_error(query: str, exc: UsageError) -> QueryError:
    if isinstance(exc, QuerySyntaxError):
        return QueryError(exc.query, exc.message, exc.position)
    return QueryError(query, str(exc))


def csv_response(header: Sequence[str], rows: Sequence[Sequence[object]], name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )
