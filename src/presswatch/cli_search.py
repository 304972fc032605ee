"""The search and analysis commands of `presswatch`: search, timeline, top, queries, reindex."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from typing import Any

import click

from presswatch.analysis.chart import render_chart
from presswatch.analysis.timeline import timeline_rows
from presswatch.cli import Context, _table, _when
from presswatch.publish.export import article_record
from presswatch.search.service import PERIODS, SORTS, TOP_KINDS, SearchResult

QUERY_HELP = "See docs/query-language.md, e.g. 'CSTO AND (Kazakhstan OR Kyrgyzstan)'."


def _pieces(parts: list[tuple[str, bool]], marks: tuple[str, str]) -> str:
    return "".join(f"{marks[0]}{text}{marks[1]}" if hit else text for text, hit in parts)


def _plain(parts: list[tuple[str, bool]]) -> str:
    return "".join(text for text, _ in parts)


@click.command()
@click.argument("query")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(0, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many results.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table"
)
@click.pass_obj
def search(obj: Context, query: str, sort: str, limit: int, offset: int, fmt: str) -> None:
    """Find articles matching QUERY, best matches first.

    Words and "exact phrases" are matched ignoring case and accents; AND is implied
    between words; OR, NOT (or -word), parentheses, prefixes (kazakh*), proximity
    ("csto peacekeeping"~10), fields (title:, author:, source:, url:, lang:,
    republished_from:), dates (published:2022-01, published:[2021-06-01 TO 2022-01-31])
    and saved queries (@name). The full reference is docs/query-language.md.
    Title matches weigh more than matches in the text.
    """
    with obj.open() as archive:
        result = archive.search(query, sort=sort, limit=limit, offset=offset)
    _emit_result(result, fmt)


def _emit_result(result: SearchResult, fmt: str) -> None:
    records = []
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        record = {"rank": rank, "score": hit.score, **article_record(hit.article)}
        record["snippet"] = _plain(hit.snippet)
        record["snippet_marked"] = _pieces(hit.snippet, ("**", "**"))
        records.append(record)
    if fmt == "json":
        out = {
            "query": result.query,
            "expanded": result.expanded,
            "total": result.total,
            "sort": result.sort,
            "offset": result.offset,
            "results": records,
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    elif fmt == "jsonl":
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        fields = ["rank", "score", "id", "published", "source", "title", "url", "authors"]
        writer = csv.DictWriter(sys.stdout, fieldnames=[*fields, "snippet"])
        writer.writeheader()
        for record in records:
            row = {k: record[k] for k in fields}
            row["authors"] = "; ".join(record["authors"])
            writer.writerow({**row, "snippet": record["snippet"]})
    else:
        _result_table(result)


def _result_table(result: SearchResult) -> None:
    bold = sys.stdout.isatty()
    marks = ("\x1b[1m", "\x1b[0m") if bold else ("*", "*")
    shown = f"{result.offset + 1}-{result.offset + len(result.hits)}" if result.hits else "none"
    noun = "article matches" if result.total == 1 else "articles match"
    click.echo(f"{result.total:,} {noun} (showing {shown}, by {result.sort}).")
    if result.expanded != result.query:
        click.echo(f"Searched for: {result.expanded}")
    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        a = hit.article
        click.echo("")
        click.echo(f"{rank:>3}. {_pieces(hit.title, marks)}")
        meta = [f"#{a.id}", _when(a.published) or "undated", a.source or ""]
        if a.authors:
            meta.append(", ".join(a.authors))
        click.echo("     " + "  ·  ".join(m for m in meta if m))
        snippet = " ".join(_pieces(hit.snippet, marks).split())
        for line in _wrap(snippet, width - 5):
            click.echo("     " + line)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        visible = len(current) + len(word) + 1
        if current and visible > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines[:4]


@click.command()
@click.argument("queries", nargs=-1, required=True)
@click.option("--by", type=click.Choice(PERIODS), default="week", show_default=True)
@click.option(
    "--normalize",
    is_flag=True,
    help="Show each period's matches as a share of all articles archived in it.",
)
@click.option("--chart", is_flag=True, help="Draw the timeline in the terminal.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.pass_obj
def timeline(
    obj: Context, queries: tuple[str, ...], by: str, normalize: bool, chart: bool, fmt: str
) -> None:
    """Attention over time: matches of each QUERY per day, week or month.

    Periods in which nothing at all was archived are gaps in collection, marked as such
    rather than counted as zero; --normalize shows shares of everything archived in
    each period, so a slow week of collecting is not read as a drop in attention.
    """
    with obj.open() as archive:
        tl = archive.timeline(list(queries), by=by, normalize=normalize)
    rows = timeline_rows(tl)
    if chart:
        click.echo(render_chart(tl, normalize=normalize))
        return
    if fmt in ("json", "csv"):
        _records(rows, fmt)
        return
    if not tl.periods:
        click.echo("The archive has no articles yet.")
        return
    headers = ["period", *tl.labels, "archived"]
    table = []
    for i, period in enumerate(tl.periods):
        if tl.gaps[i]:
            cells = ["gap" for _ in tl.labels]
        elif normalize:
            cells = [_share(tl.shares[label][i]) for label in tl.labels]
        else:
            cells = [f"{tl.counts[label][i]:,}" for label in tl.labels]
        table.append([period.isoformat(), *cells, f"{tl.totals[i]:,}"])
    _table(headers, table)


def _records(records: list[dict[str, Any]], fmt: str) -> None:
    """A list of flat records as a JSON array or as CSV with a header row."""
    if fmt == "json":
        sys.stdout.write(json.dumps(records, ensure_ascii=False, default=str, indent=1) + "\n")
    elif records:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)


def _share(value: float | None) -> str:
    return "gap" if value is None else f"{100 * value:.1f}%"


@click.command()
@click.argument("kind", type=click.Choice((*TOP_KINDS, "entities")))
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.pass_obj
def top(obj: Context, kind: str, query: str, limit: int, fmt: str) -> None:
    """The terms, sources, authors or republished-from names that stand out in QUERY.

    terms: the words and two-word phrases that distinguish the matching articles from
    the whole archive (log-odds against the archive, stop words removed), not just the
    most frequent ones. sources, authors, republished: counted over every match.
    entities: the people, organizations and places most often in the matches.
    """
    if kind == "entities":
        from presswatch.cli_enrich import entities

        click.get_current_context().invoke(entities, query=query, limit=limit, fmt=fmt)
        return
    with obj.open() as archive:
        rows = archive.top(kind, query, limit=limit)
    records: list[dict[str, Any]] = []
    for rank, row in enumerate(rows, start=1):
        record: dict[str, Any] = {"rank": rank, kind.rstrip("s"): row.value, "articles": row.count}
        record["of"] = row.of
        if row.score is not None:
            record["score"] = round(row.score, 2)
            record["in_archive_sample"] = row.background
        records.append(record)
    if fmt in ("json", "csv"):
        _records(records, fmt)
        return
    if not rows:
        click.echo(
            "No terms stand out: either nothing matches, or the matches are most of the "
            "archive and read like the archive as a whole."
            if kind == "terms"
            else "Nothing to list: no article matches, or none has this field."
        )
        return
    if kind == "terms":
        click.echo(f"Read {rows[0].of:,} matching articles; terms by how much they stand out.")
        _table(
            ["#", "term", "articles", "score"],
            [
                [str(r["rank"]), str(r["term"]), str(r["articles"]), str(r["score"])]
                for r in records
            ],
        )
        return
    click.echo(f"Among {rows[0].of:,} matching articles:")
    _table(
        ["#", kind.rstrip("s"), "articles", "share"],
        [
            [str(i), row.value, f"{row.count:,}", f"{100 * row.count / max(row.of, 1):.1f}%"]
            for i, row in enumerate(rows, start=1)
        ],
    )


@click.group()
def queries() -> None:
    """Saved queries: name a query once, then use it as @name inside others."""


@queries.command("save")
@click.argument("name")
@click.argument("query")
@click.pass_obj
def queries_save(obj: Context, name: str, query: str) -> None:
    """Save QUERY as NAME (replacing an earlier one of that name)."""
    with obj.open() as archive:
        archive.save_query(name, query)
    click.echo(f"Saved @{name}: {query}")


@queries.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def queries_list(obj: Context, fmt: str) -> None:
    """List the saved queries."""
    with obj.open() as archive:
        saved = archive.saved_queries()
    if fmt == "json":
        records = [
            {"name": s.name, "query": s.query, "updated": s.updated_at.isoformat()} for s in saved
        ]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    elif not saved:
        click.echo("No saved queries yet: presswatch queries save NAME 'QUERY'")
    else:
        _table(["name", "query"], [[f"@{s.name}", s.query] for s in saved])


@queries.command("show")
@click.argument("name")
@click.pass_obj
def queries_show(obj: Context, name: str) -> None:
    """Print one saved query."""
    with obj.open() as archive:
        click.echo(archive.saved_query(name.removeprefix("@")).query)


@queries.command("delete")
@click.argument("name")
@click.pass_obj
def queries_delete(obj: Context, name: str) -> None:
    """Delete a saved query (queries that use it will then report it missing)."""
    with obj.open() as archive:
        archive.delete_query(name.removeprefix("@"))
    click.echo(f"Deleted @{name.removeprefix('@')}.")


@click.command()
@click.pass_obj
def reindex(obj: Context) -> None:
    """Rebuild the search index from the archive.

    Never needed in normal use (the index follows every ingest, and is rebuilt by itself
    when missing or out of step), but safe at any time.
    """
    with obj.open() as archive:
        show = sys.stderr.isatty()
        with click.progressbar(
            length=max(archive.count(), 1), label="Indexing", file=sys.stderr, hidden=not show
        ) as bar:
            seen = 0

            def progress(done: int, total: int) -> None:
                nonlocal seen
                bar.update(done - seen)
                seen = done

            archive.search_service.progress = progress
            done = archive.reindex()
    click.echo(f"Indexed {done:,} articles.")


COMMANDS = (search, timeline, top, queries, reindex)
