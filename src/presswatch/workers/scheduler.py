"""`presswatch scheduler`: queue what is due, by the same rules as `presswatch run`.

Every few seconds the active scheduler queues each due source (store.due_sources, the
schedule `run` keeps), batches of articles whose enrichment is missing or stale, and an
alert delivery round. A source stays marked as queued (in Redis, with an expiry) until a
worker has checked it, so it is never queued twice while its message waits.

Two or more schedulers may run (on different machines, for availability): one holds a
PostgreSQL advisory lock on a connection of its own and is the only one that queues; the
others try for the lock every second. If the active one dies, even by kill -9, its
connection closes, the server releases the lock and another takes over within about a
second (across machines, TCP keepalives bound how long a dead peer's connection lingers).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg

from presswatch.workers.settings import WorkerSettings
from presswatch.workers.state import Heartbeat, SharedState, checked_mark, whoami

if TYPE_CHECKING:
    from presswatch.archive import Archive

log = logging.getLogger("presswatch.scheduler")

LEADER_LOCK = 0x70777363  # pg advisory lock key: "pwsc"
TRY_EVERY = 1.0
ENRICH_AHEAD = 20  # enrichment batches queued and not yet done, at most


class Leadership:
    """The advisory lock that makes one scheduler the active one."""

    def __init__(self, db_url: str) -> None:
        self._url = db_url.replace("postgresql+psycopg://", "postgresql://")
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None

    def held(self) -> bool:
        """True while this process holds the lock; tries to take it when it does not."""
        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                log.warning("lost the connection holding the scheduler lock")
                self.release()
        try:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=5,
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                application_name="presswatch scheduler",
            )
        except psycopg.Error as exc:
            log.warning("cannot reach the archive to take the scheduler lock: %s", exc)
            return False
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()
        if row is None or not row[0]:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


class Scheduler:
    def __init__(
        self,
        settings: WorkerSettings,
        archive: Archive,
        state: SharedState,
        send: Callable[[str, tuple[Any, ...]], None],
        *,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.archive = archive
        self.state = state
        self._send = send  # (actor name, args): put one message on its queue
        self._say = on_event or (lambda _line: None)
        self.leadership = Leadership(settings.db)
        self.queued = 0
        self._started = time.time()

    def run(self, stop: threading.Event) -> None:
        """Queue due work until `stop` is set; standby while another scheduler is active."""
        active: bool | None = None
        try:
            while not stop.is_set():
                now_active = self.leadership.held()
                if now_active != active:
                    active = now_active
                    self._say("active: queueing due work" if active else "standing by")
                self._beat(active)
                if not active:
                    stop.wait(TRY_EVERY)
                    continue
                try:
                    self.tick()
                except Exception as exc:  # Redis or the archive away: try again shortly
                    self._say(f"could not queue work: {type(exc).__name__}: {exc}")
                stop.wait(self.settings.scheduler_every)
        finally:
            self.leadership.release()

    def tick(self) -> None:
        """One look for due work; only ever called by the active scheduler."""
        self._sources()
        if self.settings.enrich_batch > 0:
            self._enrichment()
        if self.settings.alerts_every > 0:
            self._alerts()

    def _sources(self) -> None:
        # The marks first: a worker clears a source's mark only after committing its
        # check, so a mark gone by now means the check is visible to the query after it.
        # (Read the other way round, a check committed in between would be queued again.)
        # A message also carries the source's last check as read here: a check committing
        # while this reads (its mark lost with a Redis restart) makes it look due, and the
        # worker then finds a later check than the message's and skips it (actors.py).
        waiting = self.state.queued("source")
        store = self.archive.store
        due = {
            s.id: s.last_fetch_at for s in store.due_sources(datetime.now(UTC)) if s.kind == "url"
        }
        if not due:
            return
        fresh = [i for i in due if i not in waiting]
        if not fresh:
            return
        now = time.time()
        self.state.mark_queued("source", fresh, self.settings.queued_for)
        for source_id in fresh:
            self._send("fetch_source", (source_id, now, checked_mark(due[source_id])))
        self.queued += len(fresh)
        self._say(f"queued {len(fresh)} source(s) to check ({len(due) - len(fresh)} waiting)")

    def _enrichment(self) -> None:
        batch = self.settings.enrich_batch
        waiting = self.state.queued("enrich")
        room = ENRICH_AHEAD * batch - len(waiting)
        if room < batch:
            return
        store = self.archive.store
        due: set[int] = set()
        for enricher in self.archive.enrichers():
            due.update(
                store.due_for_enrichment(enricher.name, enricher.version, limit=room + len(waiting))
            )
        fresh = sorted(due - waiting)[:room]
        if not fresh:
            return
        self.state.mark_queued("enrich", fresh, self.settings.queued_for)
        for start in range(0, len(fresh), batch):
            self._send("enrich_articles", (fresh[start : start + batch],))
        self.queued += len(fresh)
        self._say(f"queued {len(fresh)} article(s) to enrich")

    def _alerts(self) -> None:
        if not self.archive.alerts():
            return
        if self.state.claim_round("alerts", self.settings.alerts_every):
            self._send("deliver_alerts", ())

    def _beat(self, active: bool) -> None:
        role = "scheduler (active)" if active else "scheduler (standby)"
        beat = Heartbeat(whoami(), role, [], self._started, time.time(), self.queued, 0)
        with contextlib.suppress(Exception):  # Redis away: status misses it for a moment
            self.state.beat(beat)
