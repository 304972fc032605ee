"""The `presswatch` command: parse arguments, call the archive, print. Nothing more."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

import click

from presswatch.archive import (
    Archive,
    IngestReport,
    default_target,
    expand_inputs,
    open_archive,
    total,
)
from presswatch.errors import PresswatchError, QuerySyntaxError, UsageError
from presswatch.publish.export import (
    article_record,
    enriched_records,
    write_csv,
    write_jsonl,
)
from presswatch.publish.export import iso as _iso
from presswatch.store.records import ArticleDetail, FetchRecord, StoredArticle

FORMATS = click.Choice(["table", "json", "jsonl", "csv", "rss", "atom", "jsonfeed"])
FEED_FORMATS = {"rss", "atom", "jsonfeed"}
ENRICHED_PAGE = 200  # articles whose enrichment is read at once for a JSON listing


class Context:
    def __init__(self, db: str) -> None:
        self.db = db

    def open(self) -> Archive:
        return open_archive(self.db)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="PRESSWATCH_DB",
    default=None,
    metavar="PATH|URL",
    help="The archive: a file path for SQLite (default ./presswatch.db) or a "
    "postgresql://user@host/dbname URL. Also read from PRESSWATCH_DB.",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks when something fails.")
@click.version_option(package_name="presswatch")
@click.pass_context
def cli(ctx: click.Context, db: str | None, debug: bool) -> None:
    """presswatch: an archive of news feeds you can search and analyse.

    Start with `presswatch ingest FEEDFILE`, then `presswatch articles`.
    """
    ctx.obj = Context(db or default_target())


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="FILE|FOLDER|GLOB|URL|-...")
@click.option("--quiet", "-q", is_flag=True, help="Print only the closing summary.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes that read feeds in parallel (default: one per CPU).",
)
@click.option(
    "--enrich", "then_enrich", is_flag=True, help="Enrich the new articles before returning."
)
@click.pass_obj
def ingest(
    obj: Context, inputs: tuple[str, ...], quiet: bool, workers: int | None, then_enrich: bool
) -> None:
    """Read feeds into the archive.

    Each input is a feed file (RSS, Atom, JSON Feed, or a text dump of a feed), a folder
    (every feed file inside), a glob such as 'feeds/*.xml', a feed URL (fetched once,
    not followed: use `presswatch add` to follow it), or '-' for standard input.
    Reading the same feed again adds nothing; changed articles keep their earlier text as
    a revision. One input failing never stops the others.
    """
    refs = expand_inputs(inputs)
    reports: list[IngestReport] = []
    show_bar = not quiet and sys.stderr.isatty() and len(refs) > 1
    with (
        obj.open() as archive,
        click.progressbar(
            length=len(refs),
            label="Ingesting",
            file=sys.stderr,
            show_pos=True,
            hidden=not show_bar,
        ) as bar,
    ):
        for report in archive.ingest_refs(refs, workers=workers):
            reports.append(report)
            bar.update(1)
            if not quiet and not show_bar:
                click.echo(_report_line(report), err=True)
        if then_enrich:
            for counts in archive.enrich():
                if not quiet:
                    click.echo(f"enriched ({counts.enricher}): {counts.done}", err=True)
    if show_bar:
        for report in reports:
            if report.status != "ok":
                click.echo(_report_line(report), err=True)
    _print_summary(reports)
    if any(r.status == "failed" for r in reports):
        sys.exit(1)


def _report_line(report: IngestReport) -> str:
    if report.status == "failed":
        return f"FAILED {report.location}: {report.error}"
    c = report.counts
    line = (
        f"{report.status.upper():7}{report.location}: {report.feed_title or '(untitled feed)'}"
        f" - {report.items} items, {c.new} new, {c.updated} updated, {c.unchanged} unchanged"
    )
    if c.skipped:
        line += f", {c.skipped} skipped"
    for problem in report.problems:
        line += f"\n         note: {problem}"
    return line


def _print_summary(reports: list[IngestReport]) -> None:
    failed = sum(r.status == "failed" for r in reports)
    c = total(reports)
    click.echo(
        f"{len(reports)} input(s): {len(reports) - failed} read, {failed} failed. "
        f"Articles: {c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
        f"{c.skipped} skipped."
    )
    for reason, count in c.skipped_reasons:
        click.echo(f"  skipped {count}: {reason}")


@cli.command()
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option(
    "--since", type=click.DateTime(), help="Only articles published on or after this date."
)
@click.option("--until", type=click.DateTime(), help="Only articles published before this date.")
@click.option("--source", help="Only articles from feeds whose name, site or file contains this.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many articles.")
@click.option("--oldest-first", is_flag=True, help="Oldest first (default: newest first).")
@click.pass_obj
def articles(
    obj: Context,
    fmt: str,
    since: datetime | None,
    until: datetime | None,
    source: str | None,
    limit: int | None,
    oldest_first: bool,
) -> None:
    """List archived articles, newest first.

    --format rss, atom or jsonfeed writes the selection out as a feed; articles that all
    come from one feed are published under that feed's title and link.
    """
    with obj.open() as archive:
        rows = archive.articles(
            since=_utc(since),
            until=_utc(until),
            source=source,
            limit=limit,
            order="oldest" if oldest_first else "newest",
        )
        if fmt in FEED_FORMATS:
            sys.stdout.buffer.write(archive.publish(fmt, rows))
        else:
            _emit(rows, fmt, archive)


@cli.command()
@click.argument("article_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def show(obj: Context, article_id: int, fmt: str) -> None:
    """Show one article: its metadata, where it came from, and its clean text."""
    with obj.open() as archive:
        if fmt == "json":
            from presswatch.enrich.article_view import article_view_json

            view = archive.article_view(article_id)
            record = {**_detail_record(view.detail), **article_view_json(view)}
            click.echo(json.dumps(record, ensure_ascii=False, indent=2))
            return
        detail = archive.article(article_id)
    click.echo(_detail_text(detail))


# -- output -----------------------------------------------------------------------------


def _emit(rows: Iterable[StoredArticle], fmt: str, archive: Archive | None = None) -> None:
    out = sys.stdout
    records = (
        enriched_records(rows, archive.article_enrichments, page=ENRICHED_PAGE)
        if archive is not None
        else map(article_record, rows)
    )
    if fmt == "jsonl":
        write_jsonl(records, out)
    elif fmt == "json":
        out.write("[")
        for i, record in enumerate(records):
            out.write(("," if i else "") + "\n" + json.dumps(record, ensure_ascii=False))
        out.write("\n]\n")
    elif fmt == "csv":
        write_csv(map(article_record, rows), out)
    else:
        width = shutil.get_terminal_size((120, 20)).columns
        table = [
            [str(a.id), _when(a.published) or "?", a.source or "", a.title or "(no title)"]
            for a in rows
        ]
        if not table:
            click.echo("No articles match.")
            return
        _table(["id", "published", "source", "title"], table, width)


def _table(headers: list[str], rows: list[list[str]], width: int = 160) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for i in range(len(widths) - 1):
        widths[i] = min(widths[i], 40)
    last = max(10, width - sum(widths[:-1]) - 2 * (len(widths) - 1))
    widths[-1] = min(widths[-1], last)

    def line(cells: list[str]) -> str:
        return "  ".join(_fit(c, w) for c, w in zip(cells, widths, strict=True)).rstrip()

    click.echo(line(headers))
    click.echo(line(["-" * w for w in widths]))
    for r in rows:
        click.echo(line(r))


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def _detail_record(d: ArticleDetail) -> dict[str, Any]:
    record = article_record(d.article)
    record["content_html"] = d.article.content_html
    record["last_seen"] = _iso(d.article.last_seen)
    record["feeds"] = [_jsonable(f) for f in d.feeds]
    record["fetches"] = [_jsonable(f) for f in d.fetches]
    record["revisions"] = [_jsonable(r) for r in d.revisions]
    record["page"] = _jsonable(d.page) if d.page else None
    record["enrichments"] = _jsonable(d.enrichments)
    found = (d.enrichments.get("language") or {}).get("result") or {}
    record["language_detected"] = found.get("language")
    return record


def _detail_text(d: ArticleDetail) -> str:
    a = d.article
    lines = [a.title or "(no title)", "=" * min(len(a.title or "") or 10, 100)]

    def field(label: str, value: object) -> None:
        if value not in (None, "", [], ()):
            lines.append(f"{label:17}{value}")

    field("id", a.id)
    field("url", a.url)
    if a.original_url and a.original_url != a.url:
        field("as given", a.original_url)
    field("authors", ", ".join(a.authors))
    published = _iso(a.published)
    if a.date_flag:
        published = f"{published or '(unknown)'}  [date {a.date_flag}: {a.published_raw!r}]"
    field("published", published)
    field("source", a.source)
    field("feed", a.feed_url)
    field("guid", a.guid)
    field("language", a.language)
    found = (d.enrichments.get("language") or {}).get("result") or {}
    if found.get("language"):
        field("language found", f"{found['language']} (confidence {found['confidence']})")
    field("republished from", a.republished_from)
    field("categories", ", ".join(a.categories))
    field("first seen", _iso(a.first_seen.replace(microsecond=0)))
    if d.feeds:
        lines.append("seen in:")
        lines += [
            f"  - {f.title or f.url} (guid {f.guid!r}, first {_when(f.first_seen)})"
            for f in d.feeds
        ]
    if d.fetches:
        lines.append("fetches:")
        lines += [f"  - {_fetch_line(f)}" for f in d.fetches]
    if d.revisions:
        lines.append(f"revisions: {len(d.revisions)} earlier version(s)")
        lines += [f"  - replaced {_when(r.replaced_at)}: {r.title}" for r in d.revisions]
    if d.page is not None:
        p = d.page
        outcome = "text extracted" if p.status == "ok" else f"{p.status}: {p.error or ''}"
        field("page", f"{p.url} (read {_when(p.fetched_at)}, {outcome})")
    if a.page_text:
        field("text", "from the article's page (the feed had only a summary)")
        lines += ["", a.page_text, "", "-- the feed's own text --", a.text or "(no text)"]
    else:
        lines += ["", a.text or "(no text)"]
    return "\n".join(lines)


def _fetch_line(f: FetchRecord) -> str:
    line = f"#{f.id} {_when(f.started_at)} {f.status} {_shown_location(f.url or f.location)}"
    if f.http_status is not None:
        line += f" (HTTP {f.http_status}, {f.elapsed_ms} ms, {f.bytes or 0:,} bytes)"
    if f.error:
        line += f": {f.error}"
    return line


def _jsonable(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: _jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, datetime):
        return _iso(obj)
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    return obj


def _shown_location(location: str) -> str:
    """Files under the current folder as relative paths: the part a reader recognises."""
    if os.path.isabs(location):
        relative = os.path.relpath(location)
        if not relative.startswith(".."):
            return relative
    return location


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


from presswatch.cli_collect import COMMANDS as COLLECT  # noqa: E402  (they use the helpers above)
from presswatch.cli_enrich import COMMANDS as ENRICH  # noqa: E402
from presswatch.cli_publish import COMMANDS as PUBLISH  # noqa: E402
from presswatch.cli_search import COMMANDS as SEARCH  # noqa: E402
from presswatch.cli_web import COMMANDS as WEB  # noqa: E402
from presswatch.cli_workers import COMMANDS as WORKERS  # noqa: E402

for _command in (*COLLECT, *ENRICH, *SEARCH, *PUBLISH, *WEB, *WORKERS):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: analyst-facing errors without tracebacks unless --debug."""
    debug = "--debug" in (argv if argv is not None else sys.argv)
    try:
        cli.main(args=argv, prog_name="presswatch", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Stopped.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except PresswatchError as exc:
        if debug:
            raise
        click.echo(f"presswatch: {exc}", err=True)
        if isinstance(exc, QuerySyntaxError):
            click.echo(exc.pointer(), err=True)
        sys.exit(2 if isinstance(exc, UsageError) else 1)
    except BrokenPipeError:
        sys.exit(0)
