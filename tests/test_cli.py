"""The `presswatch` command as a user runs it: real process, real archive file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed.txt"
REQUIRED = {
    "id",
    "source",
    "feed_url",
    "guid",
    "url",
    "title",
    "authors",
    "published",
    "summary",
    "text",
    "language",
    "republished_from",
    "first_seen",
}


def run(*args: str, db: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRESSWATCH_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "presswatch", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


def test_ingest_then_list_as_json(db: Path) -> None:
    result = run("ingest", str(SEED), db=db)
    assert result.returncode == 0, result.stderr
    assert "10 new, 0 updated, 0 unchanged, 0 skipped" in result.stdout
    listed = run("articles", "--format", "json", db=db)
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert len(records) == 10
    assert set(records[0]) >= REQUIRED
    assert records[0]["published"] == "2022-01-14T15:31:07Z"
    assert records[0]["authors"] == ["Pepe Escobar"]
    assert records[0]["feed_url"] == "https://www.strategic-culture.org"


def test_filters_and_formats(db: Path) -> None:
    run("ingest", str(SEED), db=db)
    jsonl = run("articles", "--format", "jsonl", "--since", "2021-01-01", db=db)
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(lines) == 5
    assert all(line["published"] >= "2021" for line in lines)
    limited = run("articles", "--format", "csv", "--limit", "3", "--source", "strategic", db=db)
    rows = list(csv.DictReader(io.StringIO(limited.stdout)))
    assert len(rows) == 3
    assert rows[0]["authors"] == "Pepe Escobar"
    none = run("articles", "--source", "no-such-outlet", db=db)
    assert none.returncode == 0 and "No articles match" in none.stdout
    table = run("articles", db=db)
    assert "After Kazakhstan, the Color Revolution Era Is Over" in table.stdout


def test_show_and_sources(db: Path) -> None:
    run("ingest", str(SEED), db=db)
    first = json.loads(run("articles", "--format", "json", "--limit", "1", db=db).stdout)[0]
    shown = run("show", str(first["id"]), db=db)
    assert shown.returncode == 0, shown.stderr
    assert "Pepe Escobar" in shown.stdout
    assert "thecradle.co" in shown.stdout  # as republished_from, not in the text
    assert shown.stdout.count("thecradle.co") == 1
    detail = json.loads(run("show", str(first["id"]), "--format", "json", db=db).stdout)
    assert detail["feeds"] and detail["fetches"]
    sources = run("sources", "--format", "json", db=db)
    [source] = json.loads(sources.stdout)
    assert source["articles"] == 10 and source["last_status"] == "ok"


def test_one_bad_input_does_not_stop_the_others(db: Path, tmp_path: Path) -> None:
    html = tmp_path / "page.xml"
    html.write_text("<!doctype html><html><head><title>Oops</title></head><body>hi</body></html>")
    result = run("ingest", str(tmp_path / "missing.xml"), str(html), str(SEED), db=db)
    assert result.returncode == 1
    assert "no such file" in result.stderr
    assert "HTML page" in result.stderr
    assert "10 new" in result.stdout
    sources = json.loads(run("sources", "--format", "json", db=db).stdout)
    failed = [s for s in sources if s["last_status"] == "error"]
    assert failed and "HTML page" in failed[0]["last_error"]


def test_stdin_and_usage_errors(db: Path) -> None:
    result = run("ingest", "-", db=db, stdin=SEED.read_bytes())
    assert result.returncode == 0, result.stderr
    assert "10 new" in result.stdout
    assert run("articles", "--format", "yaml", db=db).returncode == 2
    missing = run("show", "999999", db=db)
    assert missing.returncode == 2 and "no article with id 999999" in missing.stderr


def test_unreachable_postgres_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "PRESSWATCH_DB": "postgresql://postgres@127.0.0.1:1/none"}
    result = subprocess.run(
        [sys.executable, "-m", "presswatch", "articles"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "PostgreSQL" in result.stderr


@pytest.mark.parametrize("fmt", ["rss", "atom", "jsonfeed"])
def test_published_feed_reads_back_as_the_same_feed(db: Path, tmp_path: Path, fmt: str) -> None:
    run("ingest", str(SEED), db=db)
    published = subprocess.run(
        [sys.executable, "-m", "presswatch", "articles", "--format", fmt],
        capture_output=True,
        env={**os.environ, "PRESSWATCH_DB": str(db)},
        timeout=120,
    )
    assert published.returncode == 0, published.stderr
    out = tmp_path / f"csto.{fmt}"
    out.write_bytes(published.stdout)

    again = run("ingest", str(out), db=db)
    assert "0 new, 0 updated, 10 unchanged" in again.stdout, again.stdout + again.stderr

    fresh = tmp_path / "fresh.db"
    run("ingest", str(out), db=fresh)
    original = json.loads(run("articles", "--format", "json", db=db).stdout)
    copy = json.loads(run("articles", "--format", "json", db=fresh).stdout)
    fields = ("title", "url", "guid", "published", "authors", "republished_from", "text", "source")
    assert [[r[f] for f in fields] for r in copy] == [[r[f] for f in fields] for r in original]


def test_process_substitution_and_order_of_reports(db: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PRESSWATCH_DB": str(db)}
    page = tmp_path / "page.xml"
    page.write_text("<html><head><title>x</title></head></html>")
    command = (
        f"{sys.executable} -m presswatch ingest {page} <(cat {SEED}) "
        f"{tmp_path / 'missing.xml'} {DATA / 'seed.xml'}"
    )
    result = subprocess.run(
        command,
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    assert [line.split()[0] for line in lines] == ["FAILED", "OK", "FAILED", "OK"]
    assert "10 new" in result.stdout and "10 unchanged" in result.stdout
