"""The scale-out settings, in one place: every PRESSWATCH_* variable the workers, the
scheduler and `presswatch status` read. The embedded default (one machine, SQLite,
`presswatch run`) reads none of them.

PRESSWATCH_DB                 the shared archive: a postgresql://user@host/dbname URL
                              (workers on several machines need one database server)
PRESSWATCH_BROKER             where the work queues live: redis://host:6379/0 (default
                              redis://127.0.0.1:6379/0) or amqp://user:pass@host:5672/ for
                              RabbitMQ
PRESSWATCH_REDIS_URL          Redis for what the workers share besides the queues: the
                              per-host limits, which sources are already queued, heartbeats
                              and failed work (default: the broker, when it is Redis;
                              required with RabbitMQ)
PRESSWATCH_NAMESPACE          prefix of every Redis key, so several archives can share one
                              Redis (default presswatch)
PRESSWATCH_MAX_RETRIES        attempts after the first before a task is set aside as failed
                              (default 5)
PRESSWATCH_RETRY_BACKOFF      seconds before the first retry; doubled each time, at most an
                              hour (default 15)
PRESSWATCH_TASK_TIME_LIMIT    seconds one task may run before it is stopped (default 600)
PRESSWATCH_WORKER_TIMEOUT     seconds without a heartbeat before a worker's unfinished tasks
                              go to another worker (default 30)
PRESSWATCH_QUEUED_FOR         seconds a source stays marked as queued, so the scheduler does
                              not queue it twice; after that it is queued again if still due
                              (default 900)
PRESSWATCH_SCHEDULER_EVERY    seconds between two looks for due work (default 5)
PRESSWATCH_ENRICH_BATCH       articles per enrichment task (default 200; 0 turns the
                              scheduler's enrichment off)
PRESSWATCH_ALERTS_EVERY       seconds between alert deliveries (default 60; 0 turns them off)

The fetch settings (PRESSWATCH_ALLOW_NETWORKS, PRESSWATCH_PER_HOST, ...) are the same as
on one machine (fetch/settings_env.py); on workers the per-host limit holds across all of
them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from presswatch.errors import UsageError
from presswatch.store.url import is_postgres_url

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    db: str
    broker: str = DEFAULT_BROKER
    redis_url: str = DEFAULT_BROKER
    namespace: str = "presswatch"
    max_retries: int = 5
    retry_backoff: float = 15.0
    task_time_limit: float = 600.0
    worker_timeout: float = 30.0
    queued_for: float = 900.0
    scheduler_every: float = 5.0
    enrich_batch: int = 200
    alerts_every: float = 60.0

    @property
    def broker_kind(self) -> str:
        return "rabbitmq" if self.broker.startswith(("amqp://", "amqps://")) else "redis"

    def shown_broker(self) -> str:
        """The broker's address without its password, for logs and `status`."""
        return _without_password(self.broker)


def worker_settings(
    environ: Mapping[str, str] = os.environ, *, db: str | None = None
) -> WorkerSettings:
    """The settings from the environment; UsageError naming the variable when one is wrong.

    `db` (the --db option) wins over PRESSWATCH_DB."""

    def value(name: str) -> str | None:
        text = environ.get(name, "").strip()
        return text or None

    archive = db or value("PRESSWATCH_DB")
    if not archive or not is_postgres_url(archive):
        shown = f" (it is {archive!r})" if archive else ""
        raise UsageError(
            "workers and the scheduler share one archive, so it must be a PostgreSQL "
            f"database{shown}: set PRESSWATCH_DB (or --db) to a URL such as "
            "postgresql://presswatch@db-host/presswatch"
        )
    broker = value("PRESSWATCH_BROKER") or DEFAULT_BROKER
    scheme = urlsplit(broker).scheme
    if scheme not in ("redis", "rediss", "amqp", "amqps"):
        raise UsageError(
            f"PRESSWATCH_BROKER must be a redis:// or amqp:// URL, such as {DEFAULT_BROKER} "
            f"or amqp://guest:guest@127.0.0.1:5672/, not {_without_password(broker)!r}"
        )
    redis_url = value("PRESSWATCH_REDIS_URL")
    if redis_url is None:
        if scheme.startswith("amqp"):
            raise UsageError(
                "with a RabbitMQ broker, set PRESSWATCH_REDIS_URL too (such as "
                "redis://127.0.0.1:6379/0): the workers keep their shared per-host limits, "
                "queued sources, heartbeats and failed tasks there"
            )
        redis_url = broker
    elif urlsplit(redis_url).scheme not in ("redis", "rediss"):
        raise UsageError(
            f"PRESSWATCH_REDIS_URL must be a redis:// URL, not {_without_password(redis_url)!r}"
        )
    namespace = value("PRESSWATCH_NAMESPACE") or "presswatch"
    if not namespace.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UsageError(
            "PRESSWATCH_NAMESPACE may hold letters, digits, '-', '_' and '.' only, "
            f"not {namespace!r}"
        )
    return WorkerSettings(
        db=archive,
        broker=broker,
        redis_url=redis_url,
        namespace=namespace,
        max_retries=int(_number(value, "PRESSWATCH_MAX_RETRIES", 5, whole=True)),
        retry_backoff=_number(value, "PRESSWATCH_RETRY_BACKOFF", 15.0, above=0),
        task_time_limit=_number(value, "PRESSWATCH_TASK_TIME_LIMIT", 600.0, above=0),
        worker_timeout=_number(value, "PRESSWATCH_WORKER_TIMEOUT", 30.0, above=0),
        queued_for=_number(value, "PRESSWATCH_QUEUED_FOR", 900.0, above=0),
        scheduler_every=_number(value, "PRESSWATCH_SCHEDULER_EVERY", 5.0, above=0),
        enrich_batch=int(_number(value, "PRESSWATCH_ENRICH_BATCH", 200, whole=True)),
        alerts_every=_number(value, "PRESSWATCH_ALERTS_EVERY", 60.0),
    )


def _number(
    value: object, name: str, default: float, *, whole: bool = False, above: float | None = None
) -> float:
    assert callable(value)
    text = value(name)
    if text is None:
        return default
    try:
        number = int(text) if whole else float(text)
    except ValueError:
        number = -1
    if number < 0 or (above is not None and number <= above):
        kind = "a whole number" if whole else "a number of seconds"
        floor = f"above {above:g}" if above is not None else "0 or more"
        raise UsageError(f"{name} must be {kind}, {floor}, such as {default:g}, not {text!r}")
    return float(number)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()
