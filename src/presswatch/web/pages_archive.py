"""The pages about what the archive holds: one article, one entity, the sources.

Included by pages.router (so the same CSRF check guards its forms).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from presswatch.analysis.timeline import period_label
from presswatch.archive import Archive
from presswatch.enrich.article_view import ArticleView
from presswatch.errors import PresswatchError, UsageError
from presswatch.store.records import SourceHealth
from presswatch.web.charts import Bar, Node, Series, bar_chart, line_chart, network_chart
from presswatch.web.markup import (
    Span,
    article_html,
    highlight,
    path,
    quoted_term,
    raw_item,
    with_query,
)
from presswatch.web.render import archive_of, cached, csv_response, error_page, render
from presswatch.web.security import require_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])

MAX_OPML_BYTES = 5 * 1024 * 1024


# -- article -------------------------------------------------------------------------------


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, article_id: int) -> HTMLResponse:
    archive = archive_of(request)
    try:
        detail = archive.article(article_id)
    except UsageError as exc:
        return error_page(request, str(exc), 404)
    view = archive.article_view(article_id)
    a = detail.article
    mentions = [Span(m.start, m.end, m.name, m.kind) for m in view.mentions]
    quotes = [Span(q.start, q.end, q.speaker or "", "quote") for q in view.quotes]
    body = highlight(view.text, mentions, quotes)
    original_html = article_html(a.content_html) if a.content_html else None
    return render(
        request,
        "article.html",
        title=a.title or f"Article {a.id}",
        a=a,
        detail=detail,
        view=view,
        body=body,
        original_html=original_html,
        enrichment=_enrichment_summary(view),
    )


def _enrichment_summary(view: ArticleView) -> str:
    if view.status == "analysed":
        return ""
    if view.status == "pending":
        return "Not enriched yet: entities and quotes appear once enrichment has run."
    return f"Not analysed for entities and quotes: {view.reason or 'no reason recorded'}."


@router.get("/articles/{article_id}/fetches/{fetch_id}/raw")
def raw_document(request: Request, article_id: int, fetch_id: int) -> Response:
    """What a fetch that brought the article read: its own item, or the whole document
    (?whole=1). Served as plain text in a sandbox, never as a page."""
    archive = archive_of(request)
    try:
        detail = archive.article(article_id)
    except UsageError as exc:
        return error_page(request, str(exc), 404)
    fetch = next((f for f in detail.fetches if f.id == fetch_id), None)
    raw = archive.store.raw_blob(fetch.blob_sha256) if fetch and fetch.blob_sha256 else None
    if raw is None:
        return error_page(request, "That fetch's raw document was not kept.", 404)
    document = raw.decode("utf-8", errors="replace")
    if request.query_params.get("whole") != "1":
        a = detail.article
        guids = [s.guid for s in detail.feeds if s.guid]
        document = raw_item(document, [*guids, a.url or "", a.original_url or ""]) or document
    return Response(
        document,
        media_type="text/plain; charset=utf-8",
        headers={"content-security-policy": "sandbox; default-src 'none'"},
    )


# -- entity --------------------------------------------------------------------------------


@router.get("/entities/{name:path}", response_class=HTMLResponse)
def entity(request: Request, name: str) -> HTMLResponse:
    archive = archive_of(request)
    try:
        report = archive.entity(name)
    except UsageError as exc:
        return error_page(request, str(exc), 404)
    q = quoted_term("entity", report.canonical)
    network = network_chart(
        report.canonical,
        [Node(n, k, c, path("entities", n)) for n, k, c in report.co_mentioned],
        title=f"Entities mentioned with {report.canonical} (articles together)",
    )
    sources = bar_chart(
        [Bar(s, n) for s, n in report.sources], title=f"Sources mentioning {report.canonical}"
    )
    about = archive.quotes(query=q, limit=10)
    by_it = {(qt[0], qt[1]) for qt in report.quotes}
    return render(
        request,
        "entity.html",
        title=f"{report.canonical} - entity",
        report=report,
        q=q,
        months_chart=_mentions_chart(request, report.canonical, q, report.months),
        months_csv=with_query("/csv/timeline", [("q", q), ("by", "month")]),
        network_chart=network,
        network_csv=with_query("/csv/entity/co-mentioned", {"name": report.canonical}),
        sources_chart=sources,
        sources_csv=with_query("/csv/entity/sources", {"name": report.canonical}),
        quotes_about=[qt for qt in about if (qt[0], qt[1]) not in by_it],
    )


@router.get("/csv/entity/{what}")
def entity_csv(request: Request, what: str) -> Response:
    """The data of an entity's network (co-mentioned) or sources chart."""
    report = archive_of(request).entity(request.query_params.get("name", ""))
    if what == "co-mentioned":
        rows: list[list[object]] = [[n, k, c] for n, k, c in report.co_mentioned]
        return csv_response(["entity", "kind", "articles together"], rows, "presswatch-network")
    if what == "sources":
        rows = [[source, n] for source, n in report.sources]
        return csv_response(["source", "articles"], rows, "presswatch-entity-sources")
    return error_page(request, "There is no such chart: co-mentioned or sources.", 404)


def _mentions_chart(
    request: Request, name: str, q: str, months: tuple[tuple[str, int], ...]
) -> Markup:
    """Articles mentioning the entity by month, from the search index so that months with
    nothing archived show as gaps; from the entity's own counts if the index cannot say."""
    title = f"Articles mentioning {name}, by month"
    archive = archive_of(request)
    try:
        tl = cached(request, ("timeline", (q,), "month"), lambda: archive.timeline([q], by="month"))
    except UsageError:
        rows = _months(months)
        return line_chart([m for m, _ in rows], [Series(name, [c for _, c in rows])], title=title)
    counts = [None if gap else c for c, gap in zip(tl.counts[q], tl.gaps, strict=True)]
    labels = [period_label(p, "month") for p in tl.periods]
    return line_chart(labels, [Series(name, counts)], gaps=tl.gaps, title=title)


def _months(rows: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    """Every month from the first to the last, those without a mention at 0."""
    if not rows:
        return []
    counts = dict(rows)
    first, last = min(counts), max(counts)
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        out.append((key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# -- sources -------------------------------------------------------------------------------


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request) -> HTMLResponse:
    return _sources_page(request, archive_of(request))


def _sources_page(
    request: Request,
    archive: Archive,
    status: int = 200,
    *,
    messages: list[str] | None = None,
    errors: list[str] | None = None,
    found: list[dict[str, Any]] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    health = archive.store.source_health(datetime.now(UTC))
    collections = sorted({h.state.collection for h in health if h.state.collection})
    chosen = request.query_params.get("collection")
    if chosen in collections:
        health = [h for h in health if h.state.collection == chosen]
    else:
        chosen = None
    return render(
        request,
        "sources.html",
        status,
        title="Sources",
        rows=[_health_row(h) for h in health],
        collections=collections,
        collection=chosen,
        messages=messages or [],
        errors=errors or [],
        found=found or [],
        form=form or {"url": "", "collection": ""},
    )


def _health_row(h: SourceHealth) -> dict[str, Any]:
    s = h.state
    status = "gone" if s.retired_at else (s.last_status or "not read yet")
    return {
        "location": s.location,
        "moved_to": s.url if s.url and s.url != s.location else None,
        "kind": s.kind,
        "title": h.feed_title or s.title or "",
        "collection": s.collection or "",
        "articles": h.articles,
        "per_day": h.per_day,
        "last_read": s.last_fetch_at,
        "status": status,
        "http": h.last_http_status,
        "streak": s.error_streak,
        "next_check": s.next_check_at if s.subscribed else None,
        "followed": s.subscribed,
        "problem": s.retired_reason or s.last_error or "",
        "coverage": h.coverage,
    }


@router.post("/sources", response_class=HTMLResponse)
async def add_source(request: Request) -> HTMLResponse:
    form = await request.form()
    url = str(form.get("url", "")).strip()
    collection = str(form.get("collection", "")).strip() or None
    return await run_in_threadpool(_add_source, request, url, collection)


def _add_source(request: Request, url: str, collection: str | None) -> HTMLResponse:
    archive = archive_of(request)
    kept = {"url": url, "collection": collection or ""}
    if not url.startswith(("http://", "https://")):
        return _sources_page(
            request,
            archive,
            400,
            errors=["Give the address of a feed or of a site's page, starting with https://"],
            form=kept,
        )
    try:
        outcome = _add(archive, url, collection)
    except PresswatchError as exc:
        return _sources_page(request, archive, 400, errors=[str(exc)], form=kept)
    messages, errors, found = outcome
    return _sources_page(
        request,
        archive,
        400 if errors else 200,
        messages=messages,
        errors=errors,
        found=found,
        form={"url": "", "collection": ""} if not errors else kept,
    )


def _add(
    archive: Archive, url: str, collection: str | None
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Follow one address (discovering its feed) and read it once; run in a worker
    thread, as the collector runs its own event loop."""
    messages: list[str] = []
    errors: list[str] = []
    found: list[dict[str, Any]] = []
    with archive.collector() as collector:
        [report] = collector.add([url], collection=collection, fetch=True)
    discovery = report.discovery
    found = [
        {"url": f.url, "title": f.title, "how": f.how, "chosen": f.url == discovery.chosen}
        for f in discovery.feeds
    ]
    if discovery.chosen is None:
        errors.append(f"{url}: {discovery.error or 'no feed found there'}")
        return messages, errors, found
    verb = "Already following" if report.already else "Now following"
    messages.append(f"{verb} {report.source}.")
    update = report.update
    if update is not None:
        if update.status in ("error", "gone"):
            errors.append(f"Reading it failed: {update.error or update.status}")
        else:
            messages.append(
                f"Read it: {update.counts.new} new article(s), "
                f"{update.counts.unchanged} already archived."
            )
    return messages, errors, found


@router.post("/sources/opml", response_class=HTMLResponse)
async def import_opml(request: Request) -> HTMLResponse:
    form = await request.form()
    upload = form.get("opml")
    collection = str(form.get("collection", "")).strip() or None
    data = await upload.read(MAX_OPML_BYTES + 1) if isinstance(upload, UploadFile) else None
    return await run_in_threadpool(_import_opml, request, data, collection)


def _import_opml(request: Request, data: bytes | None, collection: str | None) -> HTMLResponse:
    archive = archive_of(request)
    if not data:
        return _sources_page(request, archive, 400, errors=["Choose an OPML file to import."])
    if len(data) > MAX_OPML_BYTES:
        return _sources_page(
            request, archive, 400, errors=["That file is over 5 MB: not an OPML list?"]
        )
    try:
        with archive.collector() as collector:
            added, problems = collector.import_opml(data, collection=collection)
    except PresswatchError as exc:
        return _sources_page(request, archive, 400, errors=[f"Cannot import it: {exc}"])
    new = sum(1 for _, fresh in added if fresh)
    known = len(added) - new
    return _sources_page(
        request,
        archive,
        messages=[
            f"{new} new source(s) followed, {known} already followed. They are read at their "
            "next check (presswatch run, or presswatch update)."
        ],
        errors=[f"Skipped: {p}" for p in problems],
    )
