"""The collection commands as a user runs them: a real process, a real archive file, a
real HTTP server on 127.0.0.1 (allowed through PRESSWATCH_ALLOW_NETWORKS)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collect_fixtures import html_page, item, rss
from loopback import LoopbackServer


def run(*args: str, db: Path, allow: str | None = "loopback") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRESSWATCH_DB": str(db)}
    env.pop("PRESSWATCH_ALLOW_NETWORKS", None)
    if allow:
        env["PRESSWATCH_ALLOW_NETWORKS"] = allow
    return subprocess.run(
        [sys.executable, "-m", "presswatch", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


def site(loopback: LoopbackServer) -> str:
    feed = loopback.serve(
        "/feed/",
        rss([item(i, site=loopback.base) for i in range(4)], title="Steppe Times"),
        headers={"ETag": '"1"'},
    )
    links = f'<link rel="alternate" type="application/rss+xml" title="Steppe" href="{feed}">'
    loopback.serve("/tag/csto/", html_page(links), content_type="text/html")
    return feed


def test_add_from_a_page_then_update_and_sources(db: Path, loopback: LoopbackServer) -> None:
    feed = site(loopback)
    added = run("add", "--collection", "central-asia", loopback.url("/tag/csto/"), db=db)
    assert added.returncode == 0, added.stderr
    assert f"* {feed}" in added.stdout and f"Following {feed}" in added.stdout
    assert "4 new" in added.stdout
    again = run("update", "--all", db=db)
    assert again.returncode == 0, again.stderr
    assert "not changed" in again.stderr and "1 unchanged" in again.stdout
    nothing = run("update", db=db)
    assert "Nothing is due yet" in nothing.stdout
    [row] = json.loads(run("sources", "--format", "json", db=db).stdout)
    assert row["collection"] == "central-asia" and row["articles"] == 4
    assert row["last_status"] == "unchanged" and row["last_http_status"] == 304
    assert row["next_check_at"] and row["error_streak"] == 0
    table = run("sources", db=db).stdout
    assert "Steppe Times" in table and "next check" in table


def test_a_failing_source_shows_in_sources(db: Path, loopback: LoopbackServer) -> None:
    site(loopback)
    run("add", loopback.url("/feed/"), db=db)
    loopback.serve("/feed/", b"oops", status=500, content_type="text/plain")
    failed = run("update", "--all", db=db)
    assert failed.returncode == 1 and "500" in failed.stderr
    [row] = json.loads(run("sources", "--format", "json", db=db).stdout)
    assert row["error_streak"] == 1 and "500" in row["last_error"] and row["articles"] == 4
    assert "(1 in a row)" in run("sources", db=db).stdout
    detail = run("sources", "Steppe", db=db)
    assert detail.returncode == 0, detail.stderr
    assert "errors in a row 1" in detail.stdout
    assert "error /feed/" not in detail.stdout and "(HTTP 500," in detail.stdout
    assert "(HTTP 200," in detail.stdout
    [history] = json.loads(run("sources", "Steppe", "--format", "json", db=db).stdout)
    newest, oldest = history["fetches"][0], history["fetches"][-1]
    assert newest["http_status"] == 500 and newest["status"] == "error"
    assert oldest["http_status"] == 200 and oldest["new"] == 4 and oldest["etag"] == '"1"'
    assert run("sources", "nothing-like-this", db=db).returncode == 2


def test_update_leaves_file_sources_to_ingest(db: Path, tmp_path: Path) -> None:
    feed = tmp_path / "bbc.xml"
    feed.write_bytes(rss([item(0, site="https://example.test")]))
    assert run("ingest", str(feed), db=db).returncode == 0
    refused = run("update", "--source", "bbc", db=db)
    assert refused.returncode == 2 and "presswatch ingest" in refused.stderr
    [row] = json.loads(run("sources", "--format", "json", db=db).stdout)
    assert row["last_status"] == "ok" and row["error_streak"] == 0


def test_private_addresses_are_refused_by_default(db: Path, loopback: LoopbackServer) -> None:
    site(loopback)
    for url in (
        loopback.url("/feed/"),
        f"http://2130706433:{loopback.port}/feed/",
        f"http://0177.0.0.1:{loopback.port}/feed/",
        f"http://[::ffff:127.0.0.1]:{loopback.port}/feed/",
        "http://169.254.169.254/latest/meta-data/",
    ):
        result = run("add", url, db=db, allow=None)
        assert result.returncode == 1 and "refused" in result.stderr, (url, result.stderr)
    assert not loopback.requests
    bad = run("update", db=db, allow="nonsense-range")
    assert bad.returncode == 2 and "PRESSWATCH_ALLOW_NETWORKS" in bad.stderr


def test_opml_round_trip_between_archives(
    db: Path, tmp_path: Path, loopback: LoopbackServer
) -> None:
    site(loopback)
    run("add", "--collection", "central-asia", "--no-fetch", loopback.url("/feed/"), db=db)
    exported = run("export-opml", db=db)
    assert exported.returncode == 0 and "central-asia" in exported.stdout
    opml = tmp_path / "subs.opml"
    opml.write_text(exported.stdout)
    other = tmp_path / "other.db"
    imported = run("import-opml", str(opml), db=other)
    assert imported.returncode == 0 and "1 new source" in imported.stdout
    [row] = json.loads(run("sources", "--format", "json", db=other).stdout)
    assert row["url"] is None and row["location"] == loopback.url("/feed/")
    assert row["collection"] == "central-asia"
    fetched = run("update", db=other)
    assert fetched.returncode == 0 and "4 new article" in fetched.stdout
    broken = tmp_path / "broken.opml"
    broken.write_text("<html><body>not a list</body></html>")
    assert run("import-opml", str(broken), db=other).returncode != 0


def test_ingest_url_and_backfill(db: Path, loopback: LoopbackServer) -> None:
    site_url = loopback.base
    pages = {1: range(0, 3), 2: range(3, 6)}

    def handle(request):  # type: ignore[no-untyped-def]
        from loopback import Reply

        n = int(dict(p.split("=") for p in request.query.split("&") if "=" in p).get("paged", 1))
        if n not in pages:
            return Reply(404, b"no", {"Content-Type": "text/plain"})
        return Reply(200, rss([item(i, site=site_url) for i in pages[n]]), {})

    url = loopback.route("/feed/", handle)
    once = run("ingest", url, db=db)
    assert once.returncode == 0 and "3 new" in once.stdout, once.stderr
    assert json.loads(run("sources", "--format", "json", db=db).stdout)[0]["subscribed"] is False
    back = run("backfill", url, db=db)
    assert back.returncode == 0, back.stderr
    assert "1 older page(s) read" in back.stdout and "3 new article" in back.stdout
    assert "Reached the end" in back.stdout
    assert len(json.loads(run("articles", "--format", "json", db=db).stdout)) == 6


def test_run_stops_cleanly_on_ctrl_c(db: Path, loopback: LoopbackServer) -> None:
    site(loopback)
    run("add", "--no-fetch", loopback.url("/feed/"), db=db)
    env = {**os.environ, "PRESSWATCH_DB": str(db), "PRESSWATCH_ALLOW_NETWORKS": "loopback"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "presswatch", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the first check is stored
        listed = run("sources", "--format", "json", db=db).stdout
        if json.loads(listed)[0]["next_check_at"]:
            time.sleep(0.3)
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Stopped after 1 check" in err
    assert len(json.loads(run("articles", "--format", "json", db=db).stdout)) == 4
