"""The collection commands: add, update, run, backfill, import-opml, export-opml, sources."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from presswatch.cli import Context, _fetch_line, _jsonable, _table, _when
from presswatch.errors import UsageError
from presswatch.store.records import FetchRecord, SourceHealth, SourceState

if TYPE_CHECKING:  # the collector (httpx, trafilatura) loads only for commands that fetch
    from presswatch.collect.collector import AddReport, UpdateReport


def _update_line(r: UpdateReport) -> str:
    where = r.source
    if r.status in ("error", "gone"):
        line = f"FAILED  {where}: {r.error}"
    elif r.status == "backoff":
        line = f"WAITING {where}: {r.error}"
    elif r.status == "unchanged":
        line = f"SAME    {where}: not changed since the last check"
    else:
        c = r.counts
        line = (
            f"{r.status.upper():8}{where}: {r.feed_title or '(untitled feed)'} - "
            f"{c.new} new, {c.updated} updated, {c.unchanged} unchanged"
        )
        if r.pages:
            line += f", {r.pages} full text(s) fetched"
    if r.moved_to:
        line += f"\n        moved for good to {r.moved_to}: the source now uses that address"
    if r.next_check:
        line += f"\n        next check {_when(r.next_check)} UTC ({r.schedule_reason})"
    return line


@click.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--collection", help="Put the sources in this collection (e.g. central-asia).")
@click.option("--no-fetch", is_flag=True, help="Only follow; fetch at the next update.")
@click.pass_obj
def add(obj: Context, urls: tuple[str, ...], collection: str | None, no_fetch: bool) -> None:
    """Follow sources: feed URLs, or pages of a site whose feed is found for you.

    For a page, presswatch looks for the feeds it links to, then at the usual places
    (/feed/, /rss, /atom.xml, /feed.json); it shows what it found and which one it follows.
    New sources are fetched at once unless --no-fetch.
    """
    failed = False

    def shown(report: AddReport) -> None:
        nonlocal failed
        found = report.discovery
        if found.chosen is None:
            failed = True
            click.echo(f"FAILED  {report.asked}: {found.error}", err=True)
            for feed in found.feeds:
                click.echo(f"        found: {feed.url} ({feed.how})", err=True)
            return
        if found.chosen != report.asked:
            click.echo(f"Found on {report.asked}:")
            for feed in found.feeds:
                mark = "*" if feed.url == found.chosen else " "
                title = f" - {feed.title}" if feed.title else ""
                click.echo(f"  {mark} {feed.url}{title} ({feed.how})")
        verb = "Already following" if report.already else "Following"
        click.echo(f"{verb} {report.source}")
        if report.update is not None:
            click.echo(_update_line(report.update))
            failed = failed or report.update.status in ("error", "gone")

    with obj.open() as archive, archive.collector() as collector:
        collector.add(list(urls), collection=collection, fetch=not no_fetch, on_report=shown)
    if failed:
        sys.exit(1)


@click.command()
@click.option(
    "--source",
    "names",
    multiple=True,
    metavar="TEXT",
    help="Only sources whose address, title or collection matches (repeatable); "
    "these are checked even if not yet due.",
)
@click.option("--all", "everything", is_flag=True, help="Check every source now, due or not.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the closing summary.")
@click.pass_obj
def update(obj: Context, names: tuple[str, ...], everything: bool, quiet: bool) -> None:
    """Check the sources that are due now (or those named), once."""
    with obj.open() as archive, archive.collector() as collector:
        states = _pick(archive.store, names, everything, archive._clock())
        if not states:
            followed = archive.store.source_states()
            if not followed:
                click.echo("No sources followed yet. Add one with: presswatch add URL")
            else:
                upcoming = min((s.next_check_at for s in followed if s.next_check_at), default=None)
                click.echo(
                    "Nothing is due yet"
                    + (f" (next check {_when(upcoming)} UTC)" if upcoming else "")
                    + "; use --all to check everything now."
                )
            return
        reports = collector.update(
            states, on_report=None if quiet else lambda r: click.echo(_update_line(r), err=True)
        )
    _update_summary(reports)
    if any(r.status in ("error", "gone") for r in reports):
        sys.exit(1)


def _pick(store: Any, names: tuple[str, ...], everything: bool, now: datetime) -> list[SourceState]:
    if names:
        chosen: dict[int, SourceState] = {}
        for name in names:
            found = store.find_sources(name)
            if not found:
                raise UsageError(f"no source matches {name!r}: see presswatch sources")
            web = [s for s in found if s.kind == "url"]
            if not web:
                raise UsageError(
                    f"{name!r} names only files or standard input, which are read with "
                    "presswatch ingest; update checks sources on the web"
                )
            chosen.update((s.id, s) for s in web)
        return list(chosen.values())
    if everything:
        return list(store.source_states())
    return list(store.due_sources(now))


def _update_summary(reports: list[UpdateReport]) -> None:
    by: dict[str, int] = {}
    for r in reports:
        by[r.status] = by.get(r.status, 0) + 1
    new = sum(r.counts.new for r in reports)
    parts = [f"{n} {status}" for status, n in sorted(by.items())]
    click.echo(f"Checked {len(reports)} source(s): {', '.join(parts)}; {new} new article(s).")


@click.command()
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.pass_obj
def run(obj: Context, quiet: bool) -> None:
    """Keep the archive current: check each source when it is due, until stopped (Ctrl-C).

    Each source is checked on its own schedule (what the feed and server ask, and how
    often it posts); failing sources are retried less and less often, never dropped.
    """

    def shown(r: UpdateReport) -> None:
        if not quiet or r.status in ("error", "gone"):
            click.echo(f"{_when(datetime.now(UTC))} {_update_line(r)}", err=True)

    async def main(collector: Any) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        checks: int = await collector.run(stop, shown)
        return checks

    with obj.open() as archive, archive.collector() as collector:
        if not archive.store.source_states():
            raise UsageError("no sources followed yet: add one with presswatch add URL")
        click.echo("Collecting; press Ctrl-C to stop.", err=True)
        checks = asyncio.run(main(collector))
    click.echo(f"Stopped after {checks} check(s).", err=True)


@click.command()
@click.argument("url")
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Go back to this date (default: as far as the site keeps pages).",
)
@click.option("--max-pages", type=click.IntRange(min=1), default=1000, show_default=True)
@click.pass_obj
def backfill(obj: Context, url: str, until: datetime | None, max_pages: int) -> None:
    """Fill in a feed's history from its older pages.

    WordPress feeds are read page by page (?paged=2, 3, ...) and RFC 5005 archive feeds
    through their prev-archive links, until the first page, an empty or missing page, or
    the --until date. Pages read before are not fetched again.
    """
    limit = until.replace(tzinfo=UTC) if until else None

    def shown(number: int, address: str, report: Any) -> None:
        if report is not None:
            c = report.counts
            click.echo(f"page {number}: {address} - {c.new} new, {c.unchanged} known", err=True)

    with obj.open() as archive, archive.collector() as collector:
        result = collector.backfill(url, until=limit, max_pages=max_pages, on_page=shown)
    oldest = f"; oldest article {_when(result.oldest)}" if result.oldest else ""
    click.echo(
        f"{result.source}: {result.fetched} older page(s) read, {result.skipped} known page(s) "
        f"skipped, {result.counts.new} new article(s){oldest}. {result.stopped[:1].upper()}"
        f"{result.stopped[1:]}."
    )
    if result.error:
        sys.exit(1)


@click.command("import-opml")
@click.argument("source", metavar="FILE|URL")
@click.option("--collection", help="Put every source in this collection (default: the folders).")
@click.pass_obj
def import_opml(obj: Context, source: str, collection: str | None) -> None:
    """Follow every feed in an OPML subscription list (a file or a URL)."""
    with obj.open() as archive, archive.collector() as collector:
        if source.startswith(("http://", "https://")):
            data = collector.fetch_opml(source)
        else:
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise UsageError(f"cannot read {source}: {exc.strerror}") from exc
        added, problems = collector.import_opml(data, collection=collection)
    new = sum(1 for _, fresh in added if fresh)
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(
        f"{new} new source(s) followed, {len(added) - new} already followed. "
        "Fetch them now with: presswatch update"
    )


@click.command("export-opml")
@click.pass_obj
def export_opml(obj: Context) -> None:
    """Write the followed sources as an OPML list, grouped by collection."""
    with obj.open() as archive, archive.collector() as collector:
        sys.stdout.buffer.write(collector.export_opml())


@click.command()
@click.argument("name", required=False, metavar="[SOURCE]")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def sources(obj: Context, name: str | None, fmt: str) -> None:
    """Every source and its health: last read, status, next check, errors in a row,
    articles per day (last 30 days).

    Name a SOURCE (its address, or words of its title or collection) to see its recent
    fetches: HTTP status, time taken, bytes, validators and errors.
    """
    with obj.open() as archive:
        rows = archive.store.source_health(archive._clock())
        if name is not None:
            found = {s.id for s in archive.store.find_sources(name)}
            if not found:
                raise UsageError(f"no source matches {name!r}: see presswatch sources")
            rows = [r for r in rows if r.state.id in found]
            history = {r.state.id: archive.store.fetch_history(r.state.id) for r in rows}
    if name is not None:
        _source_details(rows, history, fmt)
        return
    if fmt == "json":
        click.echo(json.dumps([_health_record(r) for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(
            "No sources yet. Follow one with: presswatch add URL, "
            "or read a file with: presswatch ingest FEEDFILE"
        )
        return
    table = []
    for r in rows:
        s = r.state
        status = s.last_status or ""
        if s.retired_at:
            status = "gone"
        if s.error_streak:
            status += f" ({s.error_streak} in a row)"
        table.append(
            [
                _shown(s),
                r.feed_title or s.title or "",
                s.collection or "",
                str(r.articles),
                f"{r.per_day:.1f}",
                _when(s.last_fetch_at),
                status,
                _when(s.next_check_at) if s.subscribed else "not followed",
                s.retired_reason or s.last_error or "",
            ]
        )
    _table(
        [
            "source",
            "feed",
            "collection",
            "articles",
            "per day",
            "last read",
            "status",
            "next check",
            "last error",
        ],
        table,
    )


def _source_details(
    rows: list[SourceHealth], history: dict[int, list[FetchRecord]], fmt: str
) -> None:
    if fmt == "json":
        records = []
        for r in rows:
            record = _health_record(r)
            record["fetches"] = [_jsonable(f) for f in history[r.state.id]]
            records.append(record)
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for r in rows:
        s = r.state
        click.echo(f"{_shown(s)}  {r.feed_title or s.title or ''}")
        facts = [
            ("followed", "yes" if s.subscribed else "no (read once)"),
            ("collection", s.collection),
            ("found on", s.site_url),
            ("articles", f"{r.articles} ({r.per_day:.1f} a day lately)"),
            (
                "next check",
                f"{_when(s.next_check_at)} UTC ({s.schedule_reason})" if s.next_check_at else None,
            ),
            ("errors in a row", s.error_streak or None),
            ("retired", f"{_when(s.retired_at)}: {s.retired_reason}" if s.retired_at else None),
            ("validators", " ".join(v for v in (s.etag, s.last_modified) if v) or None),
            (
                "complete",
                "; ".join(f"{_when(a) if a else 'the start'} to {_when(b)}" for a, b in r.coverage)
                or None,
            ),
        ]
        for label, value in facts:
            if value not in (None, ""):
                click.echo(f"  {label:16}{value}")
        click.echo("  recent fetches:")
        for f in history[s.id]:
            click.echo(f"    {_fetch_line(f)}")
        click.echo()


def _shown(s: SourceState) -> str:
    from presswatch.cli import _shown_location

    shown = _shown_location(s.location)
    if s.url and s.url != s.location:
        shown += f" -> {s.url}"
    return shown


def _health_record(r: SourceHealth) -> dict[str, Any]:
    record: dict[str, Any] = _jsonable(r.state)
    record.update(
        feed_title=r.feed_title,
        articles=r.articles,
        articles_per_day=round(r.per_day, 2),
        last_http_status=r.last_http_status,
        coverage=[{"from": _jsonable(a), "to": _jsonable(b)} for a, b in r.coverage],
    )
    return record


COMMANDS = [add, update, run, backfill, import_opml, export_opml, sources]
