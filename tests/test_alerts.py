"""Alerts end to end: a real archive (SQLite and PostgreSQL), a real webhook receiver on
127.0.0.1 that checks the HMAC signature, and presswatch posting to it.

What an analyst relies on: an alert sends what arrives after it was made (not the
archive's history), each match once, signed; a failing receiver gets the match later
with growing pauses; a stopped presswatch never sends a match twice.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collect_fixtures import item, rss
from loopback import LoopbackServer
from presswatch.archive import Archive
from presswatch.collect.collector import Collector
from presswatch.errors import UsageError
from presswatch.fetch.client import FetchSettings
from presswatch.fetch.safety import parse_policy
from presswatch.publish.alerts import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    RetryPolicy,
    signature,
)
from presswatch.store import open_store
from webhook_receiver import Receiver

SEED = Path(__file__).parent / "data" / "seed.txt"
SECRET = "test-secret-for-the-receiver-0123456789"
LOOPBACK = FetchSettings(
    policy=parse_policy("loopback"), deadline=10.0, read_timeout=5.0, host_spacing=0.0
)
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def archive(archive_target: str, clock: Clock) -> Iterator[Archive]:
    with Archive(open_store(archive_target), clock=clock) as opened:
        yield opened


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET)
    try:
        yield server
    finally:
        server.close()


def weather(site: str) -> dict[str, str | None]:
    return {
        "title": "Rain expected over the weekend",
        "link": f"{site}/news/weather/",
        "guid": f"{site}/?p=9",
        "date": "Mon, 10 Jan 2022 12:00:00 +0000",
        "description": "Clouds and rain.",
        "content": "<p>Clouds and rain over the coast, clearing on Sunday.</p>",
    }


def arrive(archive: Archive, tmp_path: Path, *numbers: int, site: str = "https://ex.test") -> None:
    """A feed with CSTO stories `numbers` and one unrelated story is ingested."""
    path = tmp_path / f"feed-{'-'.join(map(str, numbers))}.xml"
    path.write_bytes(rss([*(item(n, site=site) for n in numbers), weather(site)]))
    [report] = archive.ingest([str(path)])
    assert report.status == "ok", report.error


def alert_on_csto(archive: Archive, receiver: Receiver) -> int:
    archive.save_query("csto", "CSTO")
    return archive.add_alert("csto", receiver.url(), secret=SECRET).id


def deliver(archive: Archive, **options: object) -> list:  # type: ignore[type-arg]
    return archive.deliver_alerts(settings=LOOPBACK, **options)  # type: ignore[arg-type]


# -- what is sent -------------------------------------------------------------------------


def test_an_alert_sends_what_arrives_after_it_not_the_history(
    archive: Archive, receiver: Receiver, tmp_path: Path
) -> None:
    archive.ingest([str(SEED)])  # 10 CSTO articles, already in the archive
    alert_on_csto(archive, receiver)
    assert deliver(archive) == []
    assert receiver.deliveries == []

    arrive(archive, tmp_path, 1, 2)
    done = deliver(archive)

    assert sorted(r.status for r in done) == ["delivered", "delivered"]
    titles = sorted(p["article"]["title"] for p in receiver.signed_payloads())
    assert titles == ["Story 1: CSTO ministers meet", "Story 2: CSTO ministers meet"]
    [alert] = archive.alerts()
    assert (alert.delivered, alert.pending, alert.failed) == (2, 0, 0)


def test_each_match_is_delivered_once(archive: Archive, receiver: Receiver, tmp_path: Path) -> None:
    alert_on_csto(archive, receiver)
    arrive(archive, tmp_path, 1, 2)
    deliver(archive)
    arrive(archive, tmp_path, 1, 2)  # the same feed again: nothing new
    arrive(archive, tmp_path, 3, 1)  # one new story, one already sent

    assert [r.article_id for r in deliver(archive)] == [
        a.id for a in archive.articles() if a.title.startswith("Story 3")
    ]
    assert deliver(archive) == []
    keys = [d.headers[DELIVERY_HEADER.lower()] for d in receiver.deliveries]
    assert len(keys) == len(set(keys)) == 3


def test_the_body_is_signed_json_a_receiver_can_check(
    archive: Archive, receiver: Receiver, tmp_path: Path
) -> None:
    alert_id = alert_on_csto(archive, receiver)
    arrive(archive, tmp_path, 4)
    deliver(archive)

    [sent] = receiver.deliveries
    assert sent.signed and sent.answered == 200
    assert sent.headers[SIGNATURE_HEADER.lower()] == signature(SECRET, sent.body)
    assert sent.headers["content-type"] == "application/json"
    body = sent.payload
    [article] = [a for a in archive.articles() if a.title.startswith("Story 4")]
    assert sent.headers[DELIVERY_HEADER.lower()] == f"{alert_id}:{article.id}"
    stamp = int(sent.headers[TIMESTAMP_HEADER.lower()])
    assert datetime.fromtimestamp(stamp, UTC) == T0
    assert body["sent_at"] == "2024-05-01T09:00:00Z"  # the time is signed with the body
    assert body["alert"] == {"id": alert_id, "query_name": "csto", "query": "CSTO"}
    assert body["article"]["id"] == article.id
    assert body["article"]["url"] == "https://ex.test/news/story-4/"
    assert body["article"]["guid"] == "https://ex.test/?p=1004"
    assert body["article"]["published"] == "2022-01-06T12:00:00Z"
    assert body["article"]["excerpt"].startswith("Paragraph 0 of story 4 on the CSTO summit")
    assert body["article"]["excerpt_truncated"] is True
    assert body["attempt"] == 1


def test_a_receiver_with_another_secret_refuses_and_the_log_says_why(
    archive: Archive, receiver: Receiver, tmp_path: Path
) -> None:
    archive.save_query("csto", "CSTO")
    archive.add_alert("@csto", receiver.url(), secret="not-the-receivers-secret-at-all")
    arrive(archive, tmp_path, 1)
    [record] = deliver(archive)
    assert receiver.deliveries[0].signed is False
    assert (record.status, record.last_status_code) == ("pending", 401)
    assert "answered 401" in (record.last_error or "")


# -- retries -----------------------------------------------------------------------------


def test_a_failing_receiver_gets_the_match_later_with_growing_pauses(
    archive: Archive, tmp_path: Path, clock: Clock
) -> None:
    receiver = Receiver(SECRET, fail_first=2)
    try:
        alert_on_csto(archive, receiver)
        arrive(archive, tmp_path, 1)

        [first] = deliver(archive)
        assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
        assert first.next_attempt_at == T0 + timedelta(minutes=1)
        assert "answered 500" in (first.last_error or "")
        assert "down for maintenance" in (first.last_error or "")

        clock.advance(seconds=30)
        assert deliver(archive) == []  # not due yet
        clock.advance(seconds=31)
        [second] = deliver(archive)
        assert (second.status, second.attempts) == ("pending", 2)
        assert second.next_attempt_at == clock.now + timedelta(minutes=2)

        clock.advance(minutes=2)
        [third] = deliver(archive)
        assert (third.status, third.attempts, third.last_status_code) == ("delivered", 3, 200)
        assert [d.payload["attempt"] for d in receiver.deliveries] == [1, 2, 3]
        assert len({d.headers[DELIVERY_HEADER.lower()] for d in receiver.deliveries}) == 1
        clock.advance(hours=1)
        assert deliver(archive) == []
        [logged] = archive.alert_log()
        assert (logged.status, logged.attempts, logged.last_error) == ("delivered", 3, None)
    finally:
        receiver.close()


def test_after_the_last_attempt_the_delivery_is_given_up(
    archive: Archive, tmp_path: Path, clock: Clock
) -> None:
    receiver = Receiver(SECRET, fail_first=100, fail_status=503)
    try:
        alert_on_csto(archive, receiver)
        arrive(archive, tmp_path, 1)
        policy = RetryPolicy(max_attempts=3)
        for _ in range(3):
            done = deliver(archive, retry=policy)
            clock.advance(hours=1)
        [last] = done
        assert (last.status, last.attempts, last.next_attempt_at) == ("failed", 3, None)
        assert deliver(archive, retry=policy) == []
        assert len(receiver.deliveries) == 3
        [alert] = archive.alerts()
        assert (alert.delivered, alert.pending, alert.failed) == (0, 0, 1)
    finally:
        receiver.close()


def test_retry_after_from_the_receiver_is_honoured(
    archive: Archive, tmp_path: Path, clock: Clock
) -> None:
    receiver = Receiver(SECRET, fail_first=1, fail_status=429)
    receiver.retry_after = "900"
    try:
        alert_on_csto(archive, receiver)
        arrive(archive, tmp_path, 1)
        [first] = deliver(archive)
        assert first.next_attempt_at == T0 + timedelta(seconds=900)
    finally:
        receiver.close()


def test_while_the_receiver_fails_the_other_matches_wait_for_it(
    archive: Archive, tmp_path: Path, clock: Clock
) -> None:
    receiver = Receiver(SECRET, fail_first=1)
    try:
        alert_on_csto(archive, receiver)
        arrive(archive, tmp_path, 1, 2, 3)
        [failed] = deliver(archive)
        assert failed.status == "pending" and len(receiver.deliveries) == 1
        clock.advance(seconds=30)
        assert deliver(archive) == []  # the others wait for the first one's next attempt
        clock.advance(seconds=31)
        assert [r.status for r in deliver(archive)] == ["delivered"] * 3
        assert len(receiver.signed_payloads()) == 3
    finally:
        receiver.close()


def test_retry_policy_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(base=timedelta(minutes=1), cap=timedelta(minutes=5), max_attempts=5)
    assert [policy.delay(n) for n in range(1, 6)] == [timedelta(minutes=m) for m in (1, 2, 4, 5, 5)]
    assert policy.next_attempt(4, T0) == T0 + timedelta(minutes=5)
    assert policy.next_attempt(5, T0) is None
    later = T0 + timedelta(hours=3)
    assert policy.next_attempt(1, T0, retry_after=later) == T0 + timedelta(minutes=5)


# -- safety and concurrency ----------------------------------------------------------------


def test_a_private_address_is_refused_unless_allowed(
    archive: Archive, receiver: Receiver, tmp_path: Path
) -> None:
    alert_on_csto(archive, receiver)
    arrive(archive, tmp_path, 1)
    [record] = archive.deliver_alerts(settings=FetchSettings())
    assert record.status == "pending" and record.last_status_code is None
    assert "refused" in (record.last_error or "") and "127.0.0.1" in (record.last_error or "")
    assert receiver.deliveries == []


def test_two_deliverers_at_once_send_each_match_once(
    archive: Archive, archive_target: str, receiver: Receiver, tmp_path: Path, clock: Clock
) -> None:
    alert_on_csto(archive, receiver)
    arrive(archive, tmp_path, *range(1, 13))
    results: list[list] = []  # type: ignore[type-arg]

    def run() -> None:
        with Archive(open_store(archive_target), clock=clock) as other:
            results.append(deliver(other))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3
    assert sum(len(r) for r in results) == 12
    keys = [d.headers[DELIVERY_HEADER.lower()] for d in receiver.deliveries]
    assert len(keys) == len(set(keys)) == 12


def test_a_post_cut_off_by_a_stopped_presswatch_is_never_sent_again(
    archive: Archive, archive_target: str, receiver: Receiver, tmp_path: Path
) -> None:
    alert_on_csto(archive, receiver)
    arrive(archive, tmp_path, 1)
    receiver.hold = threading.Event()
    env = {
        **os.environ,
        "PRESSWATCH_DB": archive_target,
        "PRESSWATCH_ALLOW_NETWORKS": "loopback",
        "PRESSWATCH_FETCH_DEADLINE": "20",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "presswatch", "alerts", "deliver"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert receiver.received.wait(60), "presswatch never posted"
        process.kill()  # the receiver has the body; presswatch never hears its answer
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    receiver.hold.set()

    real = datetime.now(UTC)
    with Archive(open_store(archive_target), clock=lambda: real) as soon:
        assert deliver(soon) == []  # still 'sending': not sent again
    with Archive(open_store(archive_target), clock=lambda: real + timedelta(minutes=10)) as later:
        assert deliver(later) == []
        [record] = later.alert_log()
    assert record.status == "interrupted" and record.attempts == 1
    assert "may have arrived" in (record.last_error or "")
    assert len(receiver.deliveries) == 1


# -- collection delivers as articles arrive -------------------------------------------------


def test_run_posts_new_matches_after_each_round(
    archive: Archive, receiver: Receiver, loopback: LoopbackServer
) -> None:
    alert_on_csto(archive, receiver)
    url = loopback.serve("/feed/", rss([item(i, site=loopback.base) for i in range(3)]))
    with Collector(archive, LOOPBACK, workers=1, enrich=False) as c:
        c.add([url], fetch=False)

        async def go() -> int:
            stop = asyncio.Event()

            async def watch() -> None:
                deadline = time.monotonic() + 30
                while len(receiver.deliveries) < 3 and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                stop.set()

            watcher = asyncio.ensure_future(watch())
            checks = await c.run(stop, idle=0.2)
            await watcher
            return checks

        assert asyncio.run(go()) >= 1
    titles = sorted(p["article"]["title"] for p in receiver.signed_payloads())
    assert titles == [f"Story {i}: CSTO ministers meet" for i in range(3)]
    assert {r.status for r in archive.alert_log()} == {"delivered"}


# -- managing alerts --------------------------------------------------------------------------


def test_a_removed_alert_sends_nothing_more_and_its_log_goes(
    archive: Archive, receiver: Receiver, tmp_path: Path
) -> None:
    alert_id = alert_on_csto(archive, receiver)
    arrive(archive, tmp_path, 1)
    deliver(archive)
    assert archive.remove_alert(alert_id) is True
    assert archive.remove_alert(alert_id) is False
    arrive(archive, tmp_path, 2)
    assert deliver(archive) == []
    assert archive.alerts() == [] and archive.alert_log() == []
    assert len(receiver.deliveries) == 1
    assert archive.add_alert("csto", receiver.url()).id != alert_id  # ids are not reused


def test_alerts_are_listed_and_logged_newest_first(
    archive: Archive, receiver: Receiver, tmp_path: Path, clock: Clock
) -> None:
    first = alert_on_csto(archive, receiver)
    archive.save_query("weather", "rain")
    second = archive.add_alert("weather", receiver.url("/other"), secret=SECRET).id
    arrive(archive, tmp_path, 1)
    clock.advance(minutes=1)
    deliver(archive)
    assert [a.id for a in archive.alerts()] == [first, second]
    assert [a.query for a in archive.alerts()] == ["CSTO", "rain"]
    log = archive.alert_log()
    assert {(r.alert_id, r.article_title) for r in log} == {
        (first, "Story 1: CSTO ministers meet"),
        (second, "Rain expected over the weekend"),
    }
    assert [r.alert_id for r in archive.alert_log(second)] == [second]
    with pytest.raises(UsageError, match="no alert with id 999"):
        archive.alert_log(999)


def test_bad_alerts_are_refused_with_the_reason(archive: Archive, receiver: Receiver) -> None:
    with pytest.raises(UsageError, match="no saved query named 'nothing'"):
        archive.add_alert("nothing", receiver.url())
    archive.save_query("csto", "CSTO")
    for url in ("ftp://example.org/hook", "example.org/hook", "http://", "http://a b/"):
        with pytest.raises(UsageError, match="not a web address to post alerts to"):
            archive.add_alert("csto", url)
    with pytest.raises(UsageError, match="at least 16"):
        archive.add_alert("csto", receiver.url(), secret="short")
    made = archive.add_alert("@csto", receiver.url())
    assert len(made.secret) >= 32 and made.active and made.query_name == "csto"


# -- the command line -----------------------------------------------------------------------


def cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRESSWATCH_DB": str(db), "PRESSWATCH_ALLOW_NETWORKS": "loopback"}
    return subprocess.run(
        [sys.executable, "-m", "presswatch", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_alerts_from_the_command_line(receiver: Receiver, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    assert cli("queries", "save", "csto", "CSTO", db=db).returncode == 0
    added = cli("alerts", "add", "csto", receiver.url(), "--secret", SECRET, db=db)
    assert added.returncode == 0, added.stderr
    assert "Alert 1: new matches of @csto" in added.stdout
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([item(1, site="https://ex.test")]))
    assert cli("ingest", str(feed), db=db).returncode == 0

    delivered = cli("alerts", "deliver", db=db)
    assert delivered.returncode == 0, delivered.stderr
    assert "1 delivered, 0 not (yet)." in delivered.stdout
    listed = cli("alerts", "list", db=db).stdout
    assert "@csto" in listed and receiver.url() in listed and SECRET not in listed
    log = cli("alerts", "log", "1", db=db)
    assert "delivered" in log.stdout and "HTTP 200" in log.stdout
    assert "Story 1: CSTO ministers meet" in log.stdout
    assert cli("alerts", "remove", "1", db=db).stdout.strip() == "Removed alert 1."
    missing = cli("alerts", "remove", "1", db=db)
    assert missing.returncode == 2 and "no alert with id 1" in missing.stderr
