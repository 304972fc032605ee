"""The enrich command: find what each article holds beyond its text."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from presswatch.cli import Context, _fit, _jsonable, _table, _when

if TYPE_CHECKING:  # clustering (numpy) loads only for the commands that cluster
    from presswatch.enrich.clusters import ClusterView


@click.command()
@click.option("--rerun", is_flag=True, help="Do every article again, not only new or changed.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the closing summary.")
@click.pass_obj
def enrich(obj: Context, rerun: bool, quiet: bool) -> None:
    """Find each article's language, and its syndicated copies in other outlets.

    Only articles not yet done, changed since, or done by an older version of an enricher
    are processed. It can be stopped at any time and run again to go on.
    """
    with obj.open() as archive:
        due = archive.enrichment_due()
        total = sum(due.values()) if not rerun else archive.count() * len(due)
        show_bar = not quiet and sys.stderr.isatty() and total > 0
        with click.progressbar(
            length=total, label="Enriching", file=sys.stderr, hidden=not show_bar
        ) as bar:
            counts = archive.enrich(rerun=rerun, on_batch=lambda _name, n: bar.update(n))
    for c in counts:
        line = f"{c.enricher}: {c.done} done, {c.skipped} with nothing to find"
        if c.failed:
            line += f", {c.failed} failed"
        click.echo(f"{line} ({c.version})")


@click.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def clusters(obj: Context, query: str, limit: int, fmt: str) -> None:
    """The same story across outlets, among the newest 1,000 matches of QUERY.

    Each cluster names its original (the earliest copy, or the one a "republished from"
    line names) and how much of it each copy shares. Articles are compared when they are
    enriched: run `presswatch enrich` first.
    """
    with obj.open() as archive:
        found = archive.clusters(query, limit=limit)
        waiting = archive.enrichment_due().get("syndication", 0)
    if fmt == "json":
        click.echo(json.dumps([_cluster_record(c) for c in found], ensure_ascii=False, indent=2))
        return
    if waiting:
        click.echo(f"({waiting:,} article(s) not compared yet: run presswatch enrich)", err=True)
    if not found:
        click.echo("No syndicated copies among the matches.")
        return
    for c in found:
        o = c.original
        how = "the earliest" if c.why == "earliest" else "named by a republished-from line"
        click.echo(
            f"{o.title}\n  {len(c.members)} copies in {c.outlets} outlet(s); the original "
            f"({how}): #{o.id} {o.source} {_when(o.published)}"
        )
        for m in c.members[1:]:
            share = f"{m.overlap.containment:.0%} shared" if m.overlap else ""
            click.echo(
                f"    {m.role:7} #{m.article.id} {m.article.source} "
                f"{_when(m.article.published)} {share}"
            )
        click.echo()


def _cluster_record(c: ClusterView) -> dict[str, Any]:
    return {
        "original": c.original.id,
        "why": c.why,
        "outlets": c.outlets,
        "members": [
            {
                "id": m.article.id,
                "title": m.article.title,
                "source": m.article.source,
                "url": m.article.url,
                "published": _jsonable(m.article.published),
                "role": m.role,
                "jaccard": round(m.overlap.jaccard, 3) if m.overlap else None,
                "containment": round(m.overlap.containment, 3) if m.overlap else None,
            }
            for m in c.members
        ],
    }


@click.command()
@click.argument("query", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def entities(obj: Context, query: str | None, limit: int, fmt: str) -> None:
    """The people, organizations, places and groups most often in QUERY's matches (or in
    the whole archive), each under one name whatever it was called.

    With --format json, each entity has its other names (`aliases`) and why each was
    merged into it (`merged`), the articles it is in and its mentions there."""
    with obj.open() as archive:
        rows = archive.top_entities(query, limit=limit)
        names = archive.entity_aliases([(name, kind) for name, kind, _, _ in rows])
    records = []
    for name, kind, n_articles, n_mentions in rows:
        others = [(alias, why) for alias, why in names.get((name, kind), []) if alias != name]
        records.append(
            {
                "name": name,
                "kind": kind,
                "articles": n_articles,
                "mentions": n_mentions,
                "aliases": [alias for alias, _ in others],
                "merged": [{"alias": alias, "why": why} for alias, why in others],
            }
        )
    show_entities(records, fmt)


def show_entities(records: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        click.echo("No entities yet: run presswatch enrich (English articles are analysed).")
        return
    _table(
        ["entity", "kind", "articles", "mentions", "also called"],
        [
            [r["name"], r["kind"], str(r["articles"]), str(r["mentions"]), ", ".join(r["aliases"])]
            for r in records
        ],
    )


@click.group()
def entity() -> None:
    """One entity: its names, attention over time, company, outlets and quotes."""


@entity.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def entity_show(obj: Context, name: str, fmt: str) -> None:
    """Everything about the entity NAME (any of its names: CSTO, Tokayev, Tokaev...)."""
    with obj.open() as archive:
        report = archive.entity(name)
    if fmt == "json":
        click.echo(json.dumps(_jsonable(report), ensure_ascii=False, indent=2))
        return
    click.echo(f"{report.canonical} ({report.kind})")
    click.echo("  names and why they are one:")
    for alias, why in report.aliases:
        click.echo(f"    {alias}" + (f"  - {why}" if why else ""))
    if report.months:
        click.echo("  articles by month: " + ", ".join(f"{m} {n}" for m, n in report.months))
    if report.co_mentioned:
        click.echo(
            "  mentioned with: " + ", ".join(f"{n} ({c})" for n, _, c in report.co_mentioned)
        )
    if report.sources:
        click.echo("  outlets: " + ", ".join(f"{n} ({c})" for n, c in report.sources))
    for article_id, text, _speaker, when, title in report.quotes:
        click.echo(f'  said: "{_fit(text, 160)}" (#{article_id} {_when(when)} {title})')
    for other, kind in report.others:
        click.echo(f"  also answering to this name: {other} ({kind})")


@click.command("quotes")
@click.argument("query", required=False)
@click.option("--speaker", help="Only what this person or organization said (any name).")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def quotes_command(
    obj: Context, query: str | None, speaker: str | None, limit: int, fmt: str
) -> None:
    """Direct quotations, newest first, with who said them; in QUERY's matches if given."""
    with obj.open() as archive:
        rows = archive.quotes(speaker=speaker, query=query, limit=limit)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "article": a,
                        "speaker": who,
                        "quote": text,
                        "published": _jsonable(when),
                        "title": title,
                    }
                    for a, text, who, when, title in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("No quotations found (run presswatch enrich first?).")
        return
    for article_id, text, who, when, title in rows:
        click.echo(f'{who or "(speaker unknown)"}: "{text}"')
        click.echo(f"    #{article_id} {_when(when)} {title}")


COMMANDS = [enrich, clusters, entities, entity, quotes_command]
