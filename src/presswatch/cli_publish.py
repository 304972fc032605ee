"""Topic feeds, API tokens and alerts from the command line."""

from __future__ import annotations

import json
import os
import sys

import click

from presswatch.cli import Context, _jsonable, _table, _when
from presswatch.errors import UsageError
from presswatch.publish.alerts import DeliveryRecord

BASE_URL_SETTING = "PRESSWATCH_BASE_URL"


@click.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["rss", "atom", "json"]),
    default="rss",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.pass_obj
def feed(obj: Context, query: str, fmt: str, limit: int) -> None:
    """Write QUERY's newest matches as a feed (RSS 2.0, Atom 1.0 or JSON Feed 1.1).

    QUERY is a query ('CSTO AND Kazakhstan') or a saved query (@name, which also titles
    the feed). Links to the feed itself come from PRESSWATCH_BASE_URL when it is set.
    """
    with obj.open() as archive:
        data = archive.topic_feed(
            query, fmt, limit=limit, base_url=os.environ.get(BASE_URL_SETTING)
        )
    sys.stdout.buffer.write(data)


# -- tokens ------------------------------------------------------------------------------


@click.group()
def token() -> None:
    """API tokens: what a program sends to change the archive through the REST API."""


@token.command("create")
@click.argument("name")
@click.pass_obj
def token_create(obj: Context, name: str) -> None:
    """Make a token called NAME and print its secret (shown this once: keep it)."""
    with obj.open() as archive:
        secret = archive.create_token(name)
    click.echo(secret)
    click.echo(
        f"Token {name!r} created. This secret is not shown again: send it as "
        "'Authorization: Bearer <secret>'.",
        err=True,
    )


@token.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def token_list(obj: Context, fmt: str) -> None:
    """List the tokens (names and dates; secrets are never kept)."""
    with obj.open() as archive:
        tokens = archive.tokens()
    if fmt == "json":
        sys.stdout.write(json.dumps(_jsonable(tokens), indent=1) + "\n")
    elif not tokens:
        click.echo("No API tokens yet: presswatch token create NAME")
    else:
        rows = [[t.name, _when(t.created_at), _when(t.last_used_at) or "never"] for t in tokens]
        _table(["name", "created", "last used"], rows)


@token.command("revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(obj: Context, name: str) -> None:
    """Revoke the token NAME: requests carrying it are refused from now on."""
    with obj.open() as archive:
        if not archive.revoke_token(name):
            raise UsageError(f"no token named {name!r} (see presswatch token list)")
    click.echo(f"Revoked {name!r}.")


# -- alerts ------------------------------------------------------------------------------


@click.group()
def alerts() -> None:
    """Alerts: POST each new article matching a saved query to a webhook, signed.

    Each delivery is JSON, signed with HMAC-SHA256 of the body in the
    X-Presswatch-Signature header ("sha256=HEX"). `presswatch run` delivers after every
    round; `presswatch alerts deliver` does it once.
    """


@alerts.command("add")
@click.argument("query_name")
@click.argument("url")
@click.option("--secret", help="The key that signs each delivery (default: a random one).")
@click.pass_obj
def alerts_add(obj: Context, query_name: str, url: str, secret: str | None) -> None:
    """Post articles matching the saved query QUERY_NAME to URL, from now on.

    Articles already in the archive are not sent: the alert starts with the next article
    stored.
    """
    with obj.open() as archive:
        alert = archive.add_alert(query_name, url, secret=secret)
    click.echo(f"Alert {alert.id}: new matches of @{alert.query_name} will be posted to {url}")
    click.echo(f"Signing secret: {alert.secret}")


@alerts.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def alerts_list(obj: Context, fmt: str) -> None:
    """List the alerts with their deliveries so far."""
    with obj.open() as archive:
        found = archive.alerts()
    if fmt == "json":
        records = [{k: v for k, v in _jsonable(a).items() if k != "secret"} for a in found]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    elif not found:
        click.echo("No alerts yet: presswatch alerts add QUERY_NAME URL")
    else:
        rows = [
            [
                str(a.id),
                f"@{a.query_name}",
                str(a.delivered),
                str(a.pending),
                str(a.failed),
                _when(a.created_at),
                a.url,
            ]
            for a in found
        ]
        _table(["id", "query", "sent", "waiting", "failed", "created", "url"], rows)


@alerts.command("remove")
@click.argument("alert_id", type=int)
@click.pass_obj
def alerts_remove(obj: Context, alert_id: int) -> None:
    """Remove an alert and its delivery log; nothing more is sent for it."""
    with obj.open() as archive:
        if not archive.remove_alert(alert_id):
            raise UsageError(f"no alert with id {alert_id} (see presswatch alerts list)")
    click.echo(f"Removed alert {alert_id}.")


@alerts.command("deliver")
@click.pass_obj
def alerts_deliver(obj: Context) -> None:
    """Post what is due now: new matches, and retries whose time has come."""

    def problem(alert_id: int, message: str) -> None:
        click.echo(f"alert {alert_id}: {message}", err=True)

    with obj.open() as archive:
        done = archive.deliver_alerts(on_problem=problem)
    sent = sum(1 for d in done if d.status == "delivered")
    click.echo(f"{sent} delivered, {len(done) - sent} not (yet).")
    for record in done:
        if record.status != "delivered":
            click.echo(f"  {_log_line(record)}")


@alerts.command("log")
@click.argument("alert_id", type=int, required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def alerts_log(obj: Context, alert_id: int | None, limit: int, fmt: str) -> None:
    """The latest deliveries (of alert ALERT_ID, or of all), most recent first."""
    with obj.open() as archive:
        records = archive.alert_log(alert_id, limit=limit)
    if fmt == "json":
        sys.stdout.write(json.dumps(_jsonable(records), ensure_ascii=False, indent=1) + "\n")
    elif not records:
        click.echo("Nothing delivered yet.")
    else:
        rows = [
            [
                _when(r.updated_at),
                str(r.alert_id),
                str(r.article_id),
                r.status,
                str(r.attempts),
                _outcome(r),
                r.article_title,
            ]
            for r in records
        ]
        _table(["when", "alert", "article", "status", "tries", "outcome", "title"], rows)


def _outcome(record: DeliveryRecord) -> str:
    if record.status == "delivered":
        return f"HTTP {record.last_status_code}"
    text = record.last_error or ""
    if record.status == "pending" and record.next_attempt_at is not None:
        text = f"next try {_when(record.next_attempt_at)}; {text}"
    return text


def _log_line(record: DeliveryRecord) -> str:
    return (
        f"alert {record.alert_id}, article {record.article_id}: {record.status} after "
        f"{record.attempts} attempt(s): {_outcome(record)}"
    )


COMMANDS: list[click.Command] = [feed, token, alerts]
