"""The REST API under /api: what the pages show, as JSON, for scripts and other tools.

Every endpoint calls the `Archive` facade; none reaches into storage. Reading is open,
or needs an API token when PRESSWATCH_API_READ=token; writing (adding a source, saving or
deleting a query) and everything about alerts (their webhooks are private) always needs
one: `Authorization: Bearer TOKEN`, made with `presswatch token create NAME`.

Lists that grow are cursor pages: `next` is the link to the following page, its cursor
opaque and tied to the listing it came from. Errors are always JSON in one shape
(`ErrorOut`): 400 for a query that cannot be understood (with the position) or a request
that cannot be done, 401 without a valid token, 404 for what does not exist, 422 for a
parameter out of its allowed range. The error handling lives in the route class here, so
the router carries it wherever it is mounted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException

from presswatch.archive import Archive
from presswatch.errors import ArchiveError, QuerySyntaxError, SearchIndexBusy, UsageError
from presswatch.publish.export import CONTENT_TYPES, article_record
from presswatch.store.records import StoredArticle
from presswatch.web.api_models import (
    AlertIn,
    AlertOut,
    AliasOut,
    AnalysisOut,
    ArticleOut,
    ArticlePage,
    ArticleRecord,
    ArticleViewOut,
    ClusterMemberOut,
    ClusterOut,
    CoMentionOut,
    CountOut,
    CoverageOut,
    DeliveryOut,
    EntityNameOut,
    EntityOut,
    ErrorDetail,
    ErrorOut,
    FacetsOut,
    FacetValueOut,
    FeedSightingOut,
    FetchOut,
    FieldProblem,
    FoundFeedOut,
    ProvenanceOut,
    QuoteOut,
    RevisionOut,
    SavedQueryIn,
    SavedQueryOut,
    SearchHitOut,
    SearchPage,
    SourceAdded,
    SourceIn,
    SourceOut,
    TextPart,
    TimelineOut,
    TimelineSeries,
    TopEntityOut,
    TopRowOut,
)
from presswatch.web.settings import WebSettings, load_settings

MAX_SEARCH_DEPTH = 10_000
"""Search pages go this many results deep; past that, narrow the query."""
MAX_QUERY = 10_000
MAX_CURSOR = 200
MAX_EXPORT = 20_000
MAX_ID = 2**63 - 1
MAX_OFFSET = 2**31


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotFound(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    body = ErrorOut(error=ErrorDetail(message=message, status=status, **extra))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


class ApiRoute(APIRoute):
    """Turns every failure of a request into the API's JSON error, never a bare 500 for
    input the caller got wrong."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                problems = [_problem(e) for e in exc.errors()]
                first = problems[0].message if problems else "the request was refused"
                return error_response(422, first, fields=problems)
            except ApiError as exc:
                return error_response(exc.status, exc.message)
            except QuerySyntaxError as exc:
                return error_response(
                    400,
                    str(exc),
                    query=exc.query,
                    position=exc.position + 1,
                    pointer=exc.pointer(),
                )
            except SearchIndexBusy as exc:
                return error_response(503, str(exc))
            except UsageError as exc:
                return error_response(400, str(exc))
            except StarletteHTTPException as exc:
                return error_response(exc.status_code, str(exc.detail))
            except ArchiveError as exc:
                return error_response(503, f"the archive could not answer: {exc}")

        return guarded


def _problem(error: Any) -> FieldProblem:
    where = ".".join(str(p) for p in error.get("loc", ()))
    return FieldProblem(where=where, message=f"{where}: {error.get('msg', 'refused')}")


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A query that cannot be understood, or a refusal."},
    401: {"model": ErrorOut, "description": "An API token is needed (Authorization: Bearer)."},
    404: {"model": ErrorOut, "description": "Nothing by that id or name."},
    422: {"model": ErrorOut, "description": "A parameter outside what is allowed."},
    503: {"model": ErrorOut, "description": "The archive is busy or unreachable; retry."},
}
router = APIRouter(route_class=ApiRoute, responses=_ERRORS)
_bearer = HTTPBearer(auto_error=False, description="An API token: presswatch token create NAME")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


# -- wiring -----------------------------------------------------------------------------------


def get_archive(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def api_settings(request: Request) -> WebSettings:
    found = getattr(request.app.state, "settings", None)
    return found if isinstance(found, WebSettings) else load_settings()


def _check(archive: Archive, credentials: HTTPAuthorizationCredentials | None) -> None:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "this needs an API token: send Authorization: Bearer TOKEN "
            "(make one with presswatch token create NAME)",
        )
    if not archive.check_token(credentials.credentials):
        raise ApiError(401, "this API token is not known (revoked, or mistyped)")


def reader(request: Request) -> Archive:
    """The archive, once reading is allowed (open, or with a token by the setting).

    The header is read here rather than through `HTTPBearer`, so the document can say
    that reading takes a token optionally (OPTIONAL_TOKEN)."""
    archive = get_archive(request)
    if api_settings(request).api_read == "token":
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        given = HTTPAuthorizationCredentials(scheme=scheme, credentials=secret.strip())
        _check(archive, given if scheme else None)
    return archive


def writer(request: Request, credentials: Credentials) -> Archive:
    """The archive, once the caller has shown a valid API token."""
    archive = get_archive(request)
    _check(archive, credentials)
    return archive


Reading = Annotated[Archive, Depends(reader)]
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{}, {"HTTPBearer": []}]}
"""Reading: a token is needed only when PRESSWATCH_API_READ=token."""
Writing = Annotated[Archive, Depends(writer)]
QueryText = Annotated[
    str,
    Query(min_length=1, max_length=MAX_QUERY, description="A query (docs/query-language.md)."),
]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR, description="From the previous page's `next` link."),
]
Sort = Literal["relevance", "newest", "oldest"]


def _link(request: Request, path: str, params: dict[str, Any] | None = None) -> str:
    """A link inside the API: absolute under PRESSWATCH_BASE_URL, else from the root;
    never built from the request's Host header."""
    if params:
        path += "?" + urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return api_settings(request).absolute(path) or path


def _article_link(request: Request, article_id: int) -> str:
    return _link(request, f"/api/articles/{article_id}")


# -- cursors ----------------------------------------------------------------------------------


def _fingerprint(listing: Sequence[object]) -> str:
    return hashlib.sha256(json.dumps(listing, default=str).encode()).hexdigest()[:16]


def make_cursor(listing: Sequence[object], offset: int) -> str:
    raw = json.dumps({"l": _fingerprint(listing), "o": offset}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(cursor: str | None, listing: Sequence[object]) -> int:
    """The offset a cursor stands for; refused when it was made for another listing."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        offset = data["o"]
        fingerprint = data["l"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ApiError(400, "this cursor is not one the API gave: start again without it") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise ApiError(400, "this cursor is not one the API gave: start again without it")
    if fingerprint != _fingerprint(listing):
        raise ApiError(
            400,
            "this cursor belongs to another listing (other query or filters): "
            "start again without it",
        )
    return offset


# -- search and explore -----------------------------------------------------------------------


@router.get(
    "/search", response_model=SearchPage, summary="Search the archive", openapi_extra=OPTIONAL_TOKEN
)
def search(
    request: Request,
    archive: Reading,
    q: QueryText,
    sort: Sort = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> SearchPage:
    """Articles matching the query, best (or newest, oldest) first, with highlighted
    snippets, `limit` a page, at most 10,000 deep."""
    listing = ["search", q, sort, limit]
    offset = read_cursor(cursor, listing)
    if offset >= MAX_SEARCH_DEPTH:
        raise ApiError(400, f"search pages stop {MAX_SEARCH_DEPTH:,} results in: narrow the query")
    found = archive.search(q, sort=sort, limit=limit, offset=offset)
    after = offset + limit
    more = after < min(found.total, MAX_SEARCH_DEPTH)
    next_cursor = make_cursor(listing, after) if more else None
    return SearchPage(
        query=found.query,
        expanded=found.expanded,
        total=found.total,
        sort=found.sort,
        items=[
            SearchHitOut(
                id=h.article.id,
                title=h.article.title,
                title_parts=_parts(h.title),
                snippet=_parts(h.snippet),
                score=h.score,
                source=h.article.source,
                url=h.article.url,
                authors=list(h.article.authors),
                published=h.article.published,
                first_seen=h.article.first_seen,
                language=h.article.language,
                link=_article_link(request, h.article.id),
            )
            for h in found.hits
        ],
        next=_next(request, "/api/search", q=q, sort=sort, limit=limit, cursor=next_cursor),
        next_cursor=next_cursor,
    )


def _parts(parts: list[tuple[str, bool]]) -> list[TextPart]:
    return [TextPart(text=t, match=m) for t, m in parts]


def _next(request: Request, path: str, **params: Any) -> str | None:
    return None if params.get("cursor") is None else _link(request, path, params)


@router.get(
    "/facets",
    response_model=FacetsOut,
    summary="Facets of a query's matches",
    openapi_extra=OPTIONAL_TOKEN,
)
def facets(
    archive: Reading,
    q: QueryText,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> FacetsOut:
    """Counts of all the query's matches by source, author, language, entity and year;
    each value's `refine` is the query narrowed to it."""
    found = archive.facets(q, limit=limit)

    def values(rows: Sequence[Any]) -> list[FacetValueOut]:
        return [FacetValueOut(value=v.value, count=v.count, refine=v.refine) for v in rows]

    return FacetsOut(
        query=q,
        total=found.total,
        sources=values(found.sources),
        authors=values(found.authors),
        languages=values(found.languages),
        entities=values(found.entities),
        years=values(found.years),
    )


@router.get(
    "/export",
    summary="Export a query's matches",
    response_class=Response,
    responses={
        200: {
            "description": "The matches as a file, with the columns of "
            "`presswatch articles --format csv|jsonl`.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
    openapi_extra=OPTIONAL_TOKEN,
)
def export(
    archive: Reading,
    q: QueryText,
    format: Literal["csv", "jsonl", "parquet"] = "csv",
    sort: Sort = "newest",
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT)] = 1_000,
) -> Response:
    """The query's first `limit` matches in the order of `sort`, as CSV, JSON Lines
    (with each article's entities, quotes and key phrases) or Parquet."""
    body = archive.export(q, format, sort=sort, limit=limit)
    return Response(
        body,
        media_type=CONTENT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="presswatch-export.{format}"'},
    )


@router.get(
    "/timeline",
    response_model=TimelineOut,
    summary="Attention over time",
    openapi_extra=OPTIONAL_TOKEN,
)
def timeline(
    archive: Reading,
    q: Annotated[
        list[str],
        Query(min_length=1, max_length=4, description="One to four queries to compare."),
    ],
    by: Literal["day", "week", "month"] = "week",
    normalize: bool = False,
) -> TimelineOut:
    """Matches per period for each query beside every article archived then; `gaps`
    marks periods with nothing archived at all (a gap in collection, not in attention)."""
    for query in q:
        if not query or len(query) > MAX_QUERY:
            raise ApiError(422, f"each query holds 1 to {MAX_QUERY:,} characters")
    t = archive.timeline(q, by=by, normalize=normalize)
    return TimelineOut(
        by=t.by,
        normalized=t.normalized,
        periods=t.periods,
        totals=t.totals,
        gaps=t.gaps,
        series=[
            TimelineSeries(query=label, counts=t.counts[label], shares=t.shares[label])
            for label in t.labels
        ],
    )


@router.get(
    "/top",
    response_model=list[TopRowOut],
    summary="Top terms, sources, authors",
    openapi_extra=OPTIONAL_TOKEN,
)
def top(
    archive: Reading,
    q: QueryText,
    kind: Literal["terms", "sources", "authors", "republished"] = "terms",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[TopRowOut]:
    """The most frequent sources, authors or republished-from names among the matches,
    or the terms most distinctive of them (over a fixed sample)."""
    return [
        TopRowOut(value=r.value, count=r.count, of=r.of, score=r.score, background=r.background)
        for r in archive.top(kind, q, limit=limit)
    ]


@router.get(
    "/clusters",
    response_model=list[ClusterOut],
    summary="Syndication clusters",
    openapi_extra=OPTIONAL_TOKEN,
)
def clusters(
    archive: Reading,
    q: QueryText,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ClusterOut]:
    """The same story across outlets among the query's newest 1,000 matches, the
    original first (needs `presswatch enrich`)."""
    return [
        ClusterOut(
            original=c.original.id,
            why=c.why,
            outlets=c.outlets,
            members=[
                ClusterMemberOut(
                    id=m.article.id,
                    title=m.article.title,
                    source=m.article.source,
                    url=m.article.url,
                    published=m.article.published,
                    role=m.role,
                    jaccard=round(m.overlap.jaccard, 3) if m.overlap else None,
                    containment=round(m.overlap.containment, 3) if m.overlap else None,
                )
                for m in c.members
            ],
        )
        for c in archive.clusters(q, limit=limit)
    ]


# -- articles ---------------------------------------------------------------------------------


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: object) -> object:
    """Dates as the document declares them (date-time): no Unix seconds, no bare days."""
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise ValueError("write a date and time with its offset, as 2022-01-31T00:00:00Z")


@router.get(
    "/articles", response_model=ArticlePage, summary="List articles", openapi_extra=OPTIONAL_TOKEN
)
def articles(
    request: Request,
    archive: Reading,
    source: Annotated[
        str | None,
        Query(max_length=500, description="Feeds whose name, site or file contains this."),
    ] = None,
    since: Annotated[
        datetime | None,
        BeforeValidator(_rfc3339),
        Query(description="Published on or after, e.g. 2022-01-01T00:00:00Z."),
    ] = None,
    until: Annotated[
        datetime | None,
        BeforeValidator(_rfc3339),
        Query(description="Published before, e.g. 2022-02-01T00:00:00Z."),
    ] = None,
    order: Literal["newest", "oldest"] = "newest",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> ArticlePage:
    """Archived articles, newest (or oldest) first, as `presswatch articles` lists them."""
    listing = ["articles", source, _utc(since), _utc(until), order, limit]
    offset = read_cursor(cursor, listing)
    rows = archive.article_page(
        since=_utc(since),
        until=_utc(until),
        source=source,
        limit=limit + 1,
        offset=offset,
        order=order,
    )
    next_cursor = make_cursor(listing, offset + limit) if len(rows) > limit else None
    return ArticlePage(
        items=[_record(request, a) for a in rows[:limit]],
        next=_next(
            request,
            "/api/articles",
            source=source,
            since=_iso(_utc(since)),
            until=_iso(_utc(until)),
            order=order,
            limit=limit,
            cursor=next_cursor,
        ),
        next_cursor=next_cursor,
    )


def _record(request: Request, a: StoredArticle) -> ArticleRecord:
    return ArticleRecord(**article_record(a), link=_article_link(request, a.id))


@router.get(
    "/articles/{article_id}",
    response_model=ArticleOut,
    summary="One article",
    openapi_extra=OPTIONAL_TOKEN,
)
def article(
    request: Request,
    archive: Reading,
    article_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The article's id.")],
) -> ArticleOut:
    """The article with what a reader is shown (`view`: text with entity mentions and
    quotes as offsets, key phrases, syndicated copies) and where it came from."""
    from presswatch.enrich.article_view import article_view_json

    try:
        view = archive.article_view(article_id)
    except UsageError as exc:
        raise NotFound(str(exc)) from None
    detail = view.detail
    shown = article_view_json(view)
    return ArticleOut(
        article=_record(request, detail.article),
        view=ArticleViewOut(**{**shown, "analysis": AnalysisOut(**shown["analysis"])}),
        provenance=ProvenanceOut(
            feeds=[
                FeedSightingOut(
                    title=f.title,
                    url=f.url,
                    guid=f.guid,
                    first_seen=f.first_seen,
                    last_seen=f.last_seen,
                )
                for f in detail.feeds
            ],
            fetches=[
                FetchOut(
                    id=f.id,
                    started_at=f.started_at,
                    finished_at=f.finished_at,
                    location=f.location,
                    status=f.status,
                    error=f.error,
                    url=f.url,
                    http_status=f.http_status,
                )
                for f in detail.fetches
            ],
            revisions=[
                RevisionOut(
                    replaced_at=r.replaced_at,
                    title=r.title,
                    authors=list(r.authors),
                    summary=r.summary,
                    text=r.text,
                )
                for r in detail.revisions
            ],
        ),
    )


# -- entities and quotes ----------------------------------------------------------------------


@router.get(
    "/entities",
    response_model=list[TopEntityOut],
    summary="Top entities",
    openapi_extra=OPTIONAL_TOKEN,
)
def entities(
    request: Request,
    archive: Reading,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_QUERY, description="Among this query's matches."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[TopEntityOut]:
    """The people, organizations, places and groups most often in the query's matches
    (or the whole archive), by articles mentioning them."""
    return [
        TopEntityOut(
            name=name,
            kind=kind,
            articles=n_articles,
            mentions=n_mentions,
            link=_link(request, "/api/entities/" + quote(name, safe="")),
        )
        for name, kind, n_articles, n_mentions in archive.top_entities(q, limit=limit)
    ]


@router.get(
    "/entities/{name}", response_model=EntityOut, summary="One entity", openapi_extra=OPTIONAL_TOKEN
)
def entity(
    archive: Reading,
    name: Annotated[str, Path(max_length=500, description="Any of the entity's names.")],
) -> EntityOut:
    """An entity by any of its names: aliases and why they were merged, articles per
    month, who it is mentioned with, outlets and quotations."""
    try:
        report = archive.entity(name)
    except UsageError as exc:
        raise NotFound(str(exc)) from None
    return EntityOut(
        name=report.canonical,
        kind=report.kind,
        aliases=[AliasOut(alias=a, why=w) for a, w in report.aliases],
        months=[CountOut(value=m, count=n) for m, n in report.months],
        co_mentioned=[CoMentionOut(name=n, kind=k, articles=c) for n, k, c in report.co_mentioned],
        sources=[CountOut(value=s, count=n) for s, n in report.sources],
        quotes=[_quote(q) for q in report.quotes],
        others=[EntityNameOut(name=c, kind=k) for c, k in report.others],
    )


def _quote(row: tuple[int, str, str | None, datetime | None, str]) -> QuoteOut:
    article_id, text, speaker, when, title = row
    return QuoteOut(article_id=article_id, text=text, speaker=speaker, published=when, title=title)


@router.get(
    "/quotes", response_model=list[QuoteOut], summary="Quotations", openapi_extra=OPTIONAL_TOKEN
)
def quotes(
    archive: Reading,
    speaker: Annotated[
        str | None, Query(min_length=1, max_length=500, description="By any of their names.")
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_QUERY, description="In this query's matches."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[QuoteOut]:
    """Direct quotations, newest first: by a speaker, in a query's matches, or both."""
    try:
        rows = archive.quotes(speaker=speaker, query=q, limit=limit)
    except QuerySyntaxError:
        raise
    except UsageError as exc:
        raise NotFound(str(exc)) from None
    return [_quote(r) for r in rows]


# -- sources ----------------------------------------------------------------------------------


@router.get(
    "/sources",
    response_model=list[SourceOut],
    summary="Sources and their health",
    openapi_extra=OPTIONAL_TOKEN,
)
def sources(archive: Reading) -> list[SourceOut]:
    """Every followed source: last fetch, status, error streak, next check, articles per
    day and the periods its backfill covered."""
    return [
        SourceOut(
            id=h.state.id,
            location=h.state.location,
            url=h.state.url,
            title=h.feed_title or h.state.title,
            collection=h.state.collection,
            subscribed=h.state.subscribed,
            articles=h.articles,
            per_day=h.per_day,
            last_fetch_at=h.state.last_fetch_at,
            last_status=h.state.last_status,
            last_error=h.state.last_error,
            last_http_status=h.last_http_status,
            error_streak=h.state.error_streak,
            next_check_at=h.state.next_check_at,
            schedule_reason=h.state.schedule_reason,
            retired_at=h.state.retired_at,
            retired_reason=h.state.retired_reason,
            coverage=[CoverageOut(start=s, end=e) for s, e in h.coverage],
        )
        for h in archive.store.source_health(datetime.now(UTC))
    ]


@router.post(
    "/sources",
    response_model=SourceAdded,
    status_code=201,
    summary="Follow a source",
    responses={200: {"model": SourceAdded, "description": "It was followed already."}},
)
def add_source(archive: Writing, body: SourceIn, response: Response) -> SourceAdded:
    """Follow a feed, or a page whose feed is discovered, and fetch it at once (201);
    a source followed already answers 200 and is left as it was."""
    with archive.collector() as collector:
        [report] = collector.add([body.url], collection=body.collection)
    found = report.discovery
    if found.chosen is None:
        raise ApiError(400, f"{body.url} could not be followed: {found.error or 'no feed found'}")
    update = report.update
    if report.already:
        response.status_code = 200
    return SourceAdded(
        asked=report.asked,
        source=report.source or found.chosen,
        already=report.already,
        feeds=[FoundFeedOut(url=f.url, title=f.title) for f in found.feeds],
        status=update.status if update else None,
        new_articles=update.counts.new if update else 0,
    )


# -- saved queries ----------------------------------------------------------------------------


def _saved(s: Any) -> SavedQueryOut:
    return SavedQueryOut(name=s.name, query=s.query, updated_at=s.updated_at)


@router.get(
    "/queries",
    response_model=list[SavedQueryOut],
    summary="Saved queries",
    openapi_extra=OPTIONAL_TOKEN,
)
def saved_queries(archive: Reading) -> list[SavedQueryOut]:
    return [_saved(s) for s in archive.saved_queries()]


@router.get(
    "/queries/{name}",
    response_model=SavedQueryOut,
    summary="One saved query",
    openapi_extra=OPTIONAL_TOKEN,
)
def saved_query(archive: Reading, name: Annotated[str, Path(max_length=64)]) -> SavedQueryOut:
    try:
        return _saved(archive.saved_query(name))
    except UsageError as exc:
        raise NotFound(str(exc)) from None


@router.post("/queries", response_model=SavedQueryOut, status_code=201, summary="Save a query")
def save_query(archive: Writing, body: SavedQueryIn) -> SavedQueryOut:
    """Save (or replace) a query under a name, usable as @name in any query; a query
    that cannot be understood, or that refers back to itself, is refused."""
    return _saved(archive.save_query(body.name, body.query))


@router.delete(
    "/queries/{name}", status_code=204, response_class=Response, summary="Delete a saved query"
)
def delete_query(archive: Writing, name: Annotated[str, Path(max_length=64)]) -> Response:
    try:
        archive.delete_query(name)
    except UsageError as exc:
        raise NotFound(str(exc)) from None
    return Response(status_code=204)


# -- alerts -----------------------------------------------------------------------------------


def _alert(a: Any, *, with_secret: bool = False) -> AlertOut:
    return AlertOut(
        id=a.id,
        query_name=a.query_name,
        url=a.url,
        created_at=a.created_at,
        active=a.active,
        secret=a.secret if with_secret else None,
    )


def _delivery(d: Any) -> DeliveryOut:
    return DeliveryOut(
        alert_id=d.alert_id,
        article_id=d.article_id,
        status=d.status,
        attempts=d.attempts,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        updated_at=d.updated_at,
        next_attempt_at=d.next_attempt_at,
    )


@router.get("/alerts", response_model=list[AlertOut], summary="Alerts (needs a token)")
def alerts(archive: Writing) -> list[AlertOut]:
    """Webhooks on saved queries; their secrets are shown only when made."""
    return [_alert(a) for a in archive.alerts()]


@router.post("/alerts", response_model=AlertOut, status_code=201, summary="Add an alert")
def add_alert(archive: Writing, body: AlertIn) -> AlertOut:
    """POST each new match of a saved query to `url` as signed JSON. The answer holds
    the signing secret: keep it, it is not shown again."""
    try:
        archive.saved_query(body.query_name)
    except UsageError as exc:
        raise NotFound(str(exc)) from None
    return _alert(
        archive.add_alert(body.query_name, body.url, secret=body.secret), with_secret=True
    )


@router.delete(
    "/alerts/{alert_id:int}", status_code=204, response_class=Response, summary="Remove an alert"
)
def remove_alert(archive: Writing, alert_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    if not archive.remove_alert(alert_id):
        raise NotFound(f"no alert with id {alert_id}")
    return Response(status_code=204)


@router.get("/alerts/log", response_model=list[DeliveryOut], summary="Alert deliveries")
def alert_log(
    archive: Writing,
    alert_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DeliveryOut]:
    """What was delivered (or is waiting, or failed), newest first; one alert's with
    `alert_id`."""
    return [_delivery(d) for d in archive.alert_log(alert_id, limit=limit)]


# -- helpers ----------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class _Anything(Convertor[str]):
    """Like `path`, but also across line breaks (an id with %0A in it gets a JSON 404)."""

    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("presswatch_any", _Anything())


@router.api_route(
    "/{path:presswatch_any}",
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    include_in_schema=False,
)
def not_here(request: Request, path: str) -> Response:
    """Last in the router: a JSON 404 for an address the API does not have, and a 405
    naming every method the address does take (Starlette names only the first route's)."""
    matching = [
        route
        for route in router.routes
        if isinstance(route, APIRoute)
        and route.endpoint is not not_here
        and route.path_regex.match("/" + path)
    ]
    # /alerts/log is that address, not /alerts/{alert_id} with "log" for an id
    exact = [route for route in matching if "{" not in route.path]
    allowed = sorted({method for route in exact or matching for method in route.methods or ()})
    if not allowed:
        return error_response(404, f"the API has no /api/{path}: see /api/openapi.json")
    response = error_response(405, f"/api/{path} takes {', '.join(allowed)}, not {request.method}")
    response.headers["Allow"] = ", ".join(allowed)
    return response
