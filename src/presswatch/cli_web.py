"""`presswatch serve`: the web app and API over the archive, enriching in the background."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from presswatch.cli import Context
from presswatch.errors import UsageError
from presswatch.store.url import describe_target

if TYPE_CHECKING:
    from presswatch.web.settings import WebSettings


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. The default lets only this machine in; give 0.0.0.0 "
    "to open the app to the network (set PRESSWATCH_BASE_URL and put it behind HTTPS).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--no-enrich",
    is_flag=True,
    help="Do not enrich new articles in the background (entities, quotes, copies).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes answering requests (default: one per CPU). Searching keeps one "
    "process on one core; more processes use more cores, at the cost of memory.",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, no_enrich: bool, workers: int | None) -> None:
    """Open the web app: search, topic dashboards, articles, entities and sources, with
    the JSON API under /api (its OpenAPI document at /api/openapi.json).

    Articles waiting for enrichment are enriched in the background while it runs.
    Settings come from PRESSWATCH_BASE_URL, PRESSWATCH_API_READ (open or token) and
    PRESSWATCH_SECRET_KEY. Stop it with Ctrl-C.
    """
    from presswatch.web.settings import load_settings

    settings = load_settings().with_listening_host(host)
    count = workers if workers is not None else max(1, os.cpu_count() or 1)
    enrich = settings.enrich_in_background and not no_enrich
    if count == 1:
        _serve_one(obj, settings, host, port, enrich)
    else:
        _serve_many(obj, host, port, enrich, count)


def _serve_one(obj: Context, settings: WebSettings, host: str, port: int, enrich: bool) -> None:
    """One process: the app, its index upkeep and the background enrichment together."""
    from presswatch.web.app import BackgroundEnrichment, create_app

    archive = obj.open()
    try:
        app = create_app(archive, settings)
        background = None
        if enrich:
            background = BackgroundEnrichment(archive, after_batch=app.state.recent.clear)
            background.start()
        _announce(archive.store.target, host, port, 1)
        try:
            _run(app, host, port)
        finally:
            if background is not None:
                background.stop()
    finally:
        archive.close()


def _serve_many(obj: Context, host: str, port: int, enrich: bool, count: int) -> None:
    """Worker processes answer; this one keeps the index and enriches (web/workers.py)."""
    from presswatch.web.app import BackgroundEnrichment, open_search_index
    from presswatch.web.recent import Generation
    from presswatch.web.workers import IndexKeeper, handoff

    archive = obj.open()
    with tempfile.TemporaryDirectory(prefix="presswatch-serve-") as folder:
        generation = Generation(Path(folder) / "generation")
        try:
            open_search_index(archive)  # opened (rebuilt if need be) before the workers
            archive.search_service.catch_up(wait=False)
            keeper = IndexKeeper(archive, generation.bump)
            keeper.start()
            background = None
            if enrich:
                background = BackgroundEnrichment(archive, after_batch=generation.bump)
                background.start()
            handoff(obj.db, host, generation.path)
            _announce(archive.store.target, host, port, count)
            try:
                _run("presswatch.web.workers:app", host, port, factory=True, workers=count)
            finally:
                if background is not None:
                    background.stop()
                keeper.stop()
        finally:
            archive.close()


def _announce(target: str, host: str, port: int, count: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    where = describe_target(target)
    processes = f" ({count} worker processes)" if count > 1 else ""
    click.echo(f"presswatch is serving the {where} at http://{shown}:{port}/{processes}", err=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"Listening on {host}: other machines can reach the app. Writing through the "
            "API needs a token, but the pages themselves have no login: put the app "
            "behind a proxy that asks for one, and set PRESSWATCH_BASE_URL to its address.",
            err=True,
        )


def _run(app: Any, host: str, port: int, **options: Any) -> None:
    import uvicorn

    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            server_header=False,
            timeout_graceful_shutdown=5,
            **options,
        )
    except SystemExit as exc:  # uvicorn exits when the port is taken
        raise UsageError(
            f"cannot listen on {host}:{port} (is another server using the port? try --port 8001)"
        ) from exc


COMMANDS: list[click.Command] = [serve]
