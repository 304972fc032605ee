"""The scale-out commands: worker, scheduler, status, retry-failed.

They need a PostgreSQL archive and a broker (docs/deployment.md); the settings are the
PRESSWATCH_* variables of presswatch/workers/settings.py. The embedded default never
loads any of this.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from presswatch.cli import Context, _when
from presswatch.errors import UsageError

QUEUE_NAMES = ("fetch", "extract", "enrich", "backfill", "alerts")


def _settings(obj: Context) -> Any:
    """The deployment's settings, with --db as PRESSWATCH_DB for this process and the
    worker processes it starts (the broker module reads the environment)."""
    from presswatch.workers.settings import worker_settings

    settings = worker_settings(db=obj.db)
    os.environ["PRESSWATCH_DB"] = settings.db
    return settings


def _check_redis(settings: Any) -> None:
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise UsageError(
            f"cannot reach Redis at {settings.redis_url.split('@')[-1]} ({exc}): start it, "
            "or set PRESSWATCH_BROKER / PRESSWATCH_REDIS_URL to where it runs"
        ) from None


@click.command()
@click.option(
    "--queues",
    "queues",
    multiple=True,
    metavar="NAME",
    help="Take work only from these queues (repeatable, or comma-separated): "
    + ", ".join(QUEUE_NAMES)
    + ". Default: all.",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (one per CPU core is a good start).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Tasks each process runs at once (fetching waits on the network).",
)
@click.pass_obj
def worker(obj: Context, queues: tuple[str, ...], processes: int, threads: int) -> None:
    """Run tasks from the queues until stopped (Ctrl-C or SIGTERM finishes the tasks
    under way first).

    A task killed half-way loses nothing: its message goes to another worker once this
    one has been silent for PRESSWATCH_WORKER_TIMEOUT seconds. Run one per machine, under
    a supervisor that restarts it (docs/deployment.md).
    """
    settings = _settings(obj)
    chosen = [q.strip() for name in queues for q in name.split(",") if q.strip()]
    unknown = sorted(set(chosen) - set(QUEUE_NAMES))
    if unknown:
        raise UsageError(f"no queue named {', '.join(unknown)}: the queues are {QUEUE_NAMES}")
    if settings.broker_kind == "redis" or settings.redis_url:
        _check_redis(settings)
    args = [
        sys.executable,
        "-m",
        "dramatiq",
        "presswatch.workers.actors",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--worker-shutdown-timeout",
        "60000",
    ]
    if chosen:
        args += ["--queues", *chosen]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, args)


@click.command()
@click.option("--quiet", "-q", is_flag=True, help="Print only when it becomes active or idle.")
@click.pass_obj
def scheduler(obj: Context, quiet: bool) -> None:
    """Queue due sources, enrichment and alert deliveries for the workers, until stopped.

    Uses the same schedule as `presswatch run`. Several may run for availability: one is
    active, the others stand by and take over within seconds if it stops.
    """
    settings = _settings(obj)
    _check_redis(settings)
    from presswatch.archive import open_archive
    from presswatch.workers.actors import ACTORS
    from presswatch.workers.scheduler import Scheduler
    from presswatch.workers.state import SharedState

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pid = os.getpid()

    def say(line: str) -> None:
        if not quiet or not line.startswith("queued"):
            click.echo(f"{_when(datetime.now(UTC))} scheduler {pid}: {line}", err=True)

    def send(actor: str, args: tuple[Any, ...]) -> None:
        ACTORS[actor].send(*args)

    with open_archive(settings.db) as archive:
        state = SharedState(settings)
        Scheduler(settings, archive, state, send, on_event=say).run(stop)
    click.echo(f"scheduler {pid}: stopped", err=True)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def status(obj: Context, fmt: str) -> None:
    """Queues, workers and schedulers seen, failed tasks and the oldest due source."""
    settings = _settings(obj)
    _check_redis(settings)
    from presswatch.archive import open_archive
    from presswatch.workers.broker import BROKER
    from presswatch.workers.state import SharedState
    from presswatch.workers.status import gather

    with open_archive(settings.db) as archive:
        found = gather(archive, BROKER, SharedState(settings), settings.shown_broker())
    if fmt == "json":
        click.echo(json.dumps(asdict(found), default=str, indent=2))
        return
    click.echo(f"Broker {found.broker}")
    click.echo("Queues (waiting / delayed for retry / being worked on):")
    for q in found.queues:
        taken = "?" if q.taken is None else str(q.taken)
        click.echo(f"  {q.queue:9} {q.waiting:7} {q.delayed:7} {taken:>7}")
    workers = [p for p in found.processes if p.role == "worker"]
    click.echo(f"Workers seen in the last 30 s: {len(workers)}")
    for p in found.processes:
        click.echo(
            f"  {p.who:28} {p.role:20} {p.done:7} done {p.failed:5} failed  {', '.join(p.queues)}"
        )
    click.echo(f"Failed tasks (set aside): {len(found.failures)}")
    for f in found.failures[-10:]:
        click.echo(f"  {f.actor}{tuple(f.args)} after {f.attempts + 1} attempt(s): {f.error}")
    if len(found.failures) > 10:
        click.echo("  ... (--format json lists them all)")
    if found.failures:
        click.echo("  Put them back on their queues with: presswatch retry-failed")
    click.echo(f"Sources due now: {found.due_sources} ({found.sources_queued} queued)")
    if found.oldest_due_source:
        since = f"due since {_when(found.oldest_due)} UTC" if found.oldest_due else "never checked"
        click.echo(f"  oldest: {found.oldest_due_source} ({since})")


@click.command("retry-failed")
@click.pass_obj
def retry_failed(obj: Context) -> None:
    """Put the tasks that failed on every attempt back on their queues."""
    settings = _settings(obj)
    _check_redis(settings)
    from presswatch.workers.broker import BROKER
    from presswatch.workers.state import SharedState
    from presswatch.workers.status import retry_failed as requeue

    done = requeue(SharedState(settings), BROKER)
    for f in done:
        click.echo(f"Queued again: {f.actor}{tuple(f.args)} (it failed with: {f.error})")
    click.echo(f"{len(done)} failed task(s) queued again.")


COMMANDS = [worker, scheduler, status, retry_failed]
