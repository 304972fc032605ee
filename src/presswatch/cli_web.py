"""`presswatch serve`: the web app and API over the archive, enriching in the background."""

from __future__ import annotations

import click

from presswatch.cli import Context
from presswatch.errors import UsageError
from presswatch.store.url import describe_target


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
@click.pass_obj
def serve(obj: Context, host: str, port: int, no_enrich: bool) -> None:
    """Open the web app: search, topic dashboards, articles, entities and sources, with
    the JSON API under /api (its OpenAPI document at /api/openapi.json).

    Articles waiting for enrichment are enriched in the background while it runs.
    Settings come from PRESSWATCH_BASE_URL, PRESSWATCH_API_READ (open or token) and
    PRESSWATCH_SECRET_KEY. Stop it with Ctrl-C.
    """
    import uvicorn

    from presswatch.web.app import BackgroundEnrichment, create_app
    from presswatch.web.settings import load_settings

    settings = load_settings().with_listening_host(host)
    archive = obj.open()
    try:
        app = create_app(archive, settings)
        background = None
        if settings.enrich_in_background and not no_enrich:
            background = BackgroundEnrichment(archive, after_batch=app.state.recent.clear)
            background.start()
        shown = f"[{host}]" if ":" in host else host
        where = describe_target(archive.store.target)
        click.echo(f"presswatch is serving the {where} at http://{shown}:{port}/", err=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(
                f"Listening on {host}: other machines can reach the app. Writing through the "
                "API needs a token, but the pages themselves have no login: put the app "
                "behind a proxy that asks for one, and set PRESSWATCH_BASE_URL to its address.",
                err=True,
            )
        try:
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_level="warning",
                server_header=False,
                timeout_graceful_shutdown=5,
            )
        except SystemExit as exc:  # uvicorn exits when the port is taken
            raise UsageError(
                f"cannot listen on {host}:{port} (is another server using the port? "
                "try --port 8001)"
            ) from exc
        finally:
            if background is not None:
                background.stop()
    finally:
        archive.close()


COMMANDS: list[click.Command] = [serve]
