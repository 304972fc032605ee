"""The HTML pages: search, topics (saved queries) and comparisons, exports and chart data.

Every page is complete without JavaScript; static/app.js only adds to it. Parameters that
choose among options (sort, period, format) come from allowlists, anything else falls back
to the default. No GET changes anything; every POST passes the CSRF check
(security.require_csrf, a dependency of this router). Pages call the archive facade only.
The article, entity and sources pages are in pages_archive.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from presswatch.analysis.timeline import Period, Timeline, period_label
from presswatch.archive import Archive
from presswatch.archive_explore import MAX_EXPORT
from presswatch.errors import QuerySyntaxError, UsageError
from presswatch.search.service import SearchResult
from presswatch.web import pages_archive
from presswatch.web.charts import Bar, Series, bar_chart, line_chart
from presswatch.web.markup import path, with_query
from presswatch.web.render import (
    ERROR_HANDLERS,
    QueryError,
    archive_of,
    cached,
    choice,
    csv_response,
    error_page,
    int_param,
    messages_from,
    query_error,
    render,
    settings_of,
)
from presswatch.web.security import require_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])
__all__ = ["ERROR_HANDLERS", "error_page", "router"]

PAGE_SIZE = 20
MAX_PAGE = 500
"""Pages of results one can walk to (10,000 results): deeper, refine the query instead."""
SORTS = ("relevance", "newest", "oldest")
PERIODS: tuple[Period, ...] = ("day", "week", "month")
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
FEED_FORMATS = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
MAX_COMPARE = 4
# -- search ------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    archive = archive_of(request)
    params = request.query_params
    q = params.get("q", "").strip()
    sort = choice(params.get("sort"), SORTS, "relevance")
    page = int_param(params.get("page"), 1, 1, MAX_PAGE)
    if not q:
        return render(
            request,
            "home.html",
            title="presswatch",
            saved=archive.saved_queries(),
            total=archive.count(),
            latest=list(archive.articles(limit=10)),
            sorts=SORTS,
            sort=sort,
        )
    try:
        result, page = cached(
            request, ("search", q, sort, page), lambda: _results(archive, q, sort, page)
        )
    except UsageError as exc:
        return render(
            request,
            "search.html",
            400,
            title=f"{q} - search",
            q=q,
            sort=sort,
            sorts=SORTS,
            result=None,
            query_error=query_error(q, exc),
            facets=None,
            pages=None,
        )
    last = _last_page(result)
    facets = cached(request, ("facets", q), lambda: archive.facets(q))
    return render(
        request,
        "search.html",
        title=f"{q} - search",
        q=q,
        sort=sort,
        sorts=SORTS,
        result=result,
        query_error=None,
        facets=facets,
        pages={"page": page, "last": last},
        export_formats=list(EXPORT_FORMATS),
        export_limit=MAX_EXPORT,
    )


def _results(archive: Archive, q: str, sort: str, page: int) -> tuple[SearchResult, int]:
    """The page of results asked for, or the last one when that is past the end."""
    result = archive.search(q, sort=sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    last = _last_page(result)
    if page > last:
        page = last
        result = archive.search(q, sort=sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return result, page


def _last_page(result: SearchResult) -> int:
    return min(MAX_PAGE, max(1, -(-result.total // PAGE_SIZE)))


@router.get("/export")
def export(request: Request) -> Response:
    params = request.query_params
    q = params.get("q", "").strip()
    fmt = choice(params.get("format"), tuple(EXPORT_FORMATS), "csv")
    sort = choice(params.get("sort"), SORTS, "newest")
    if not q:
        raise UsageError("give a query to export its matches, e.g. /export?q=CSTO&format=csv")
    data = archive_of(request).export(q, fmt, sort=sort)
    return Response(
        data,
        media_type=EXPORT_FORMATS[fmt],
        headers={"content-disposition": f'attachment; filename="presswatch-export.{fmt}"'},
    )


# -- topics (saved queries) --------------------------------------------------------------


@router.get("/topics", response_class=HTMLResponse)
def topics(request: Request) -> HTMLResponse:
    archive = archive_of(request)
    return render(
        request,
        "topics.html",
        title="Topics",
        saved=archive.saved_queries(),
        messages=messages_from(request),
        form={"name": "", "query": request.query_params.get("q", "")},
    )


@router.post("/topics", response_class=HTMLResponse)
async def save_topic(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name", "")).strip()
    query = str(form.get("query", "")).strip()
    return await run_in_threadpool(_save_topic, request, name, query)


def _save_topic(request: Request, name: str, query: str) -> Response:
    archive = archive_of(request)
    problem: QueryError | None = None
    if not name or not query:
        problem = QueryError(query, "Give the topic a name and a query.")
    else:
        try:
            archive.save_query(name, query)
        except UsageError as exc:
            problem = query_error(query, exc)
    if problem is None:
        return RedirectResponse(
            with_query(path("topics", name), {"message": "saved"}), status_code=303
        )
    return render(
        request,
        "topics.html",
        400,
        title="Topics",
        saved=archive.saved_queries(),
        form={"name": name, "query": query},
        query_error=problem,
    )


@router.get("/topics/{name}/delete", response_class=HTMLResponse)
def confirm_delete_topic(request: Request, name: str) -> HTMLResponse:
    """Asks first, on a page of its own (a GET never deletes anything)."""
    try:
        saved = archive_of(request).saved_query(name)
    except UsageError as exc:
        return error_page(request, str(exc), 404)
    return render(request, "delete_topic.html", title=f"Delete {name}?", saved=saved)


@router.post("/topics/{name}/delete")
def delete_topic(request: Request, name: str) -> Response:
    archive_of(request).delete_query(name)
    return RedirectResponse(with_query("/topics", {"message": "deleted"}), status_code=303)


@router.get("/topics/{name}", response_class=HTMLResponse)
def topic(request: Request, name: str) -> HTMLResponse:
    """The dashboard. Its quick sections (attention, sources, latest, alerts) are drawn
    here; the slower ones (entities, terms, clusters, quotes: they read many articles) are
    each a page of their own that the script pulls into the dashboard (or a link without
    JavaScript), so the dashboard shows at once however large the archive."""
    archive, settings = archive_of(request), settings_of(request)
    try:
        saved = archive.saved_query(name)
    except UsageError as exc:
        return error_page(request, str(exc), 404)
    q = f"@{name}"
    by = choice(request.query_params.get("by"), PERIODS, None)
    feeds = []
    for fmt in FEED_FORMATS:
        feed_path = path("topics", name, f"feed.{fmt}")
        feeds.append((fmt, feed_path, settings.absolute(feed_path)))
    context: dict[str, Any] = {
        "title": f"{name} - topic",
        "saved": saved,
        "q": saved.query,
        "topic_q": q,
        "messages": messages_from(request),
        "feeds": feeds,
        "parts": [
            (part, TOPIC_PARTS[part], path("topics", name, "part", part)) for part in TOPIC_PARTS
        ],
    }
    try:
        context.update(_charted_timeline(request, [q], [saved.name], by))
        context["periods"] = PERIODS
        context["csv_url"] = with_query("/csv/timeline", [("q", q), ("by", context["by"])])
        context["sources_chart"] = cached(request, ("sources", q), lambda: _sources(archive, q))
        context["sources_csv"] = with_query("/csv/top", {"kind": "sources", "q": q})
        context["latest"] = cached(
            request, ("latest", q), lambda: archive.search(q, sort="newest", limit=10)
        )
    except UsageError as exc:
        context["query_error"] = query_error(saved.query, exc)
        return render(request, "topic.html", 400, **context)
    context.update(cached(request, ("alerts", name), lambda: _alerts(archive, name)))
    return render(request, "topic.html", query_error=None, **context)


def _sources(archive: Archive, q: str) -> Markup:
    return bar_chart(
        [
            Bar(r.value, r.count, with_query("/search", {"q": f"{q} source:{r.value}"}))
            for r in archive.top("sources", q, limit=10)
        ],
        title="Sources (articles)",
    )


def _alerts(archive: Archive, name: str) -> dict[str, Any]:
    alerts = [a for a in archive.alerts() if a.query_name == name]
    deliveries = [d for a in alerts for d in archive.alert_log(a.id, limit=20)]
    return {"alerts": alerts, "deliveries": deliveries}


TOPIC_PARTS = {
    "entities": "Top entities",
    "terms": "Distinctive terms",
    "clusters": "Syndication clusters",
    "quotes": "Recent quotes",
}


@router.get("/topics/{name}/part/{part}", response_class=HTMLResponse)
def topic_part(request: Request, name: str, part: str) -> HTMLResponse:
    """One of the dashboard's slower sections: a page of its own, or (asked with the
    X-Fragment header, as the script does) just the section, to put in the dashboard."""
    archive = archive_of(request)
    if part not in TOPIC_PARTS:
        return error_page(request, f"A dashboard has no section {part!r}.", 404)
    try:
        saved = archive.saved_query(name)
    except UsageError as exc:
        return error_page(request, str(exc), 404)
    q = f"@{name}"
    context: dict[str, Any] = {"part": part, "heading": TOPIC_PARTS[part]}
    context.update(cached(request, ("part", part, q), lambda: _part(archive, part, q)))
    fragment = request.headers.get("x-fragment") == "1"
    return render(
        request,
        "topic_part.html",
        title=f"{TOPIC_PARTS[part]} - {name}",
        layout="fragment.html" if fragment else "base.html",
        saved=saved,
        topic_q=q,
        q=saved.query,
        **context,
    )


def _part(archive: Archive, part: str, q: str) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if part == "entities":
        entities = archive.top_entities(q, limit=12)
        context["entities_chart"] = bar_chart(
            [Bar(n, a, path("entities", n), f"{m} mentions, {kind}") for n, kind, a, m in entities],
            title="Entities most often in these articles (articles)",
        )
        context["entities_csv"] = with_query("/csv/top", {"kind": "entities", "q": q})
    elif part == "terms":
        context["terms"] = archive.top("terms", q, limit=20)
    elif part == "clusters":
        context["clusters"] = archive.clusters(q, limit=8)
    else:
        context["quotes"] = archive.quotes(query=q, limit=8)
    return context


@router.get("/topics/{name}/feed.{fmt}")
def topic_feed(request: Request, name: str, fmt: str) -> Response:
    if fmt not in FEED_FORMATS:
        return error_page(request, f"There is no {fmt!r} feed: choose rss, atom or json.", 404)
    archive, settings = archive_of(request), settings_of(request)
    try:
        archive.saved_query(name)
    except UsageError as exc:
        return error_page(request, str(exc), 404)
    data = archive.topic_feed(f"@{name}", fmt, base_url=settings.base_url)
    return Response(data, media_type=FEED_FORMATS[fmt])


# -- comparing queries -------------------------------------------------------------------


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request) -> HTMLResponse:
    queries = [q.strip() for q in request.query_params.getlist("q") if q.strip()]
    by = choice(request.query_params.get("by"), PERIODS, None)
    context: dict[str, Any] = {
        "title": "Compare queries",
        "queries": queries + [""] * (MAX_COMPARE - len(queries)),
        "periods": PERIODS,
        "by": by or "week",
        "charts": None,
    }
    if len(queries) > MAX_COMPARE:
        context["queries"] = queries
        context["errors"] = [f"Compare at most {MAX_COMPARE} queries at a time."]
        return render(request, "compare.html", 400, **context)
    if not queries:
        return render(request, "compare.html", **context)
    try:
        context.update(_charted_timeline(request, queries, queries, by))
    except UsageError as exc:
        bad = exc.query if isinstance(exc, QuerySyntaxError) else ""
        context["query_error"] = query_error(bad, exc)
        return render(request, "compare.html", 400, **context)
    context["csv_url"] = with_query(
        "/csv/timeline", [("q", q) for q in queries] + [("by", context["by"])]
    )
    context["charts"] = True
    return render(request, "compare.html", **context)


WEEKLY_UP_TO = 24
"""Months a timeline may span and still be drawn by week (about a hundred points)."""


def _charted_timeline(
    request: Request, queries: list[str], labels: list[str], by: Period | None
) -> dict[str, Any]:
    """The timeline's charts and the period chosen (`by`), kept as drawn: drawing two
    charts of a few hundred points costs more than the rest of a dashboard."""

    def draw() -> dict[str, Any]:
        timeline, chosen = _timeline(request, queries, by)
        return {**_timeline_charts(timeline, labels), "by": chosen}

    return cached(request, ("timeline charts", tuple(queries), tuple(labels), by), draw)


def _timeline(request: Request, queries: list[str], by: Period | None) -> tuple[Timeline, Period]:
    """The timeline by the period asked; else by month, or by week when that spans no
    more than WEEKLY_UP_TO months."""
    archive = archive_of(request)

    def timeline(period: Period) -> Timeline:
        key = ("timeline", tuple(queries), period)
        return cached(request, key, lambda: archive.timeline(queries, by=period))

    if by is not None:
        return timeline(by), by
    monthly = timeline("month")
    if len(monthly.periods) > WEEKLY_UP_TO:
        return monthly, "month"
    return timeline("week"), "week"


def _timeline_charts(timeline: Timeline, labels: list[str]) -> dict[str, Any]:
    """The counts chart and the share chart (per cent of everything archived), with gaps
    in collection drawn as gaps."""
    periods = [period_label(p, timeline.by) for p in timeline.periods]
    counts = [
        Series(
            label,
            [None if g else c for c, g in zip(timeline.counts[key], timeline.gaps, strict=True)],
        )
        for key, label in zip(timeline.labels, labels, strict=True)
    ]
    shares = [
        Series(label, timeline.shares[key])
        for key, label in zip(timeline.labels, labels, strict=True)
    ]
    gap_count = sum(timeline.gaps)
    return {
        "count_chart": line_chart(
            periods, counts, gaps=timeline.gaps, title=f"Articles matching, by {timeline.by}"
        ),
        "share_chart": line_chart(
            periods,
            shares,
            gaps=timeline.gaps,
            percent=True,
            title=f"Share of all articles archived, by {timeline.by}",
        ),
        "gap_count": gap_count,
        "timeline_by": timeline.by,
    }


# -- chart data as CSV --------------------------------------------------------------------


@router.get("/csv/timeline")
def timeline_csv(request: Request) -> Response:
    """A timeline chart's data: per period, each query's count and share, the archive's
    total and whether the period is a gap in collection."""
    queries = [q.strip() for q in request.query_params.getlist("q") if q.strip()]
    if not queries or len(queries) > MAX_COMPARE:
        raise UsageError(f"give between 1 and {MAX_COMPARE} queries (q=...) for a timeline")
    by = choice(request.query_params.get("by"), PERIODS, "week")
    tl = archive_of(request).timeline(queries, by=by)
    header = ["period"]
    for label in tl.labels:
        header += [label, f"{label} share"]
    header += ["archived", "gap"]
    rows = []
    for i, period in enumerate(tl.periods):
        row: list[object] = [period.isoformat()]
        for label in tl.labels:
            share = tl.shares[label][i]
            row += [tl.counts[label][i], None if share is None else round(share, 6)]
        rows.append([*row, tl.totals[i], "yes" if tl.gaps[i] else "no"])
    return csv_response(header, rows, f"presswatch-timeline-{by}")


TOP_KINDS = ("entities", "sources", "authors", "terms")


@router.get("/csv/top")
def top_csv(request: Request) -> Response:
    """A bar chart's data: the top entities, sources, authors or terms of a query."""
    q = request.query_params.get("q", "").strip()
    kind = choice(request.query_params.get("kind"), TOP_KINDS, "sources")
    if not q:
        raise UsageError("give a query (q=...) to list its top " + kind)
    archive = archive_of(request)
    if kind == "entities":
        rows: list[list[object]] = [
            [n, k, a, m] for n, k, a, m in archive.top_entities(q, limit=100)
        ]
        return csv_response(["entity", "kind", "articles", "mentions"], rows, "presswatch-entities")
    found = archive.top(kind, q, limit=100)
    rows = [[r.value, r.count, r.of] for r in found]
    return csv_response([kind.rstrip("s"), "articles", "of"], rows, f"presswatch-{kind}")


router.include_router(pages_archive.router)
