"""The enrich command: find what each article holds beyond its text."""

from __future__ import annotations

import sys

import click

from presswatch.cli import Context


@click.command()
@click.option("--rerun", is_flag=True, help="Do every article again, not only new or changed.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the closing summary.")
@click.pass_obj
def enrich(obj: Context, rerun: bool, quiet: bool) -> None:
    """Find each article's language (more enrichments are coming).

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


COMMANDS = [enrich]
