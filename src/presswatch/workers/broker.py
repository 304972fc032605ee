"""The Dramatiq broker the workers, the scheduler and `presswatch status` share.

Redis by default, RabbitMQ when PRESSWATCH_BROKER is an amqp:// URL. Importing this
module builds the broker from the environment and makes it Dramatiq's global broker,
which is how `dramatiq presswatch.workers.actors` (run by `presswatch worker`) finds it.

Two middlewares of ours ride on Dramatiq's own (retries with backoff, time limit):
`SetAside` records a task whose retries are used up, with its error, in the shared
dead-letter list; `Heartbeats` tells `presswatch status` which workers are alive.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, Retries, TimeLimit

from presswatch.workers.settings import WorkerSettings, worker_settings
from presswatch.workers.state import Failure, Heartbeat, SharedState, whoami

log = logging.getLogger("presswatch.workers")

QUEUES = ("fetch", "extract", "enrich", "backfill", "alerts")
MAX_BACKOFF_MS = 3_600_000
HEARTBEAT_EVERY = 2.0
MAINTENANCE_CHANCE = 50_000  # of a million broker calls: how often a dead worker's tasks are
# looked for (Dramatiq's 1,000 would leave them for minutes on a quiet queue)


class SetAside(Middleware):
    """Keeps a task that failed on its last attempt, with the error, for retry-failed."""

    def __init__(self, state: SharedState) -> None:
        self.state = state

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None or not message.failed:
            return
        failure = Failure(
            message_id=message.message_id,
            queue=message.queue_name.removesuffix(".DQ"),
            actor=message.actor_name,
            args=list(message.args),
            kwargs=dict(message.kwargs),
            error=f"{type(exception).__name__}: {exception}",
            traceback="".join(traceback.format_exception(exception))[-4000:],
            attempts=int(message.options.get("retries", 0)),
            failed_at=time.time(),
            broker_ref=str(message.options.get("redis_message_id", "")),
        )
        try:
            self.state.record_failure(failure)
        except Exception:  # Redis away: Dramatiq's own dead-letter queue still has it
            log.exception("could not record the failed task %s", message.message_id)


class Heartbeats(Middleware):
    """Every worker process says every few seconds that it is alive and what it has done."""

    def __init__(self, state: SharedState) -> None:
        self.state = state
        self.done = 0
        self.failed = 0
        self.queues: list[str] = []
        self._stop = threading.Event()
        self._started = time.time()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        chosen = getattr(worker, "consumer_whitelist", None)
        self.queues = sorted(chosen or broker.get_declared_queues())
        threading.Thread(target=self._beat, name="presswatch-heartbeat", daemon=True).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None:
            self.done += 1
        else:
            self.failed += 1

    def _beat(self) -> None:
        who = whoami()
        while not self._stop.is_set():
            beat = Heartbeat(
                who, "worker", self.queues, self._started, time.time(), self.done, self.failed
            )
            with contextlib.suppress(Exception):  # Redis away: the next beat will do
                self.state.beat(beat)
            self._stop.wait(HEARTBEAT_EVERY)


def make_broker(settings: WorkerSettings) -> dramatiq.Broker:
    state = SharedState(settings)
    middleware: list[Middleware] = [
        m() for m in dramatiq.middleware.default_middleware if m not in (Retries, TimeLimit)
    ]
    # "after" hooks run last-added first: SetAside must come before Retries to see the
    # message Retries has just given up on
    middleware += [
        Heartbeats(state),
        SetAside(state),
        TimeLimit(time_limit=int(settings.task_time_limit * 1000)),
        Retries(
            max_retries=settings.max_retries,
            min_backoff=int(settings.retry_backoff * 1000),
            max_backoff=MAX_BACKOFF_MS,
        ),
    ]
    broker: dramatiq.Broker
    if settings.broker_kind == "rabbitmq":
        broker = RabbitmqBroker(url=settings.broker, middleware=middleware)
    else:
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.broker,
            middleware=middleware,
            namespace=settings.namespace + ":queues",
            heartbeat_timeout=int(settings.worker_timeout * 1000),
            maintenance_chance=MAINTENANCE_CHANCE,
        )
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


SETTINGS = worker_settings()
BROKER = make_broker(SETTINGS)
dramatiq.set_broker(BROKER)
