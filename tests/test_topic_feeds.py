"""Topic feeds: a query's (or saved query's) newest matches published as RSS 2.0, Atom 1.0
and JSON Feed 1.1, read back by presswatch itself and by strict parsers.

The issue's round trip: the seed ingested, `CSTO` published, that output ingested into a
fresh archive gives the same 10 articles.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.errors import UsageError
from presswatch.formats import parse_feed
from presswatch.store.records import StoredArticle

SEED = Path(__file__).parent.parent / "examples" / "csto-strategic-culture.txt"
FORMATS = ("rss", "atom", "json")
PARSED_AS = {"rss": "rss2.0", "atom": "atom1.0", "json": "json1.1"}
BASE = "https://presswatch.example.org/"


@pytest.fixture
def seeded(archive_target: str) -> Iterator[Archive]:
    with open_archive(archive_target) as archive:
        [report] = archive.ingest([str(SEED)])
        assert report.counts.new == 10
        yield archive


def well_formed(fmt: str, data: bytes) -> Any:
    if fmt == "json":
        return json.loads(data.decode("utf-8"))
    return etree.fromstring(data, etree.XMLParser(recover=False, resolve_entities=False))


def legal(text: str) -> str:
    """What XML 1.0 can carry of `text` (what every format publishes, JSON too)."""
    return "".join(
        c
        for c in text
        if c in "\t\n\r"
        or (c >= "\x20" and c not in "\ufffe\uffff" and not "\ud800" <= c <= "\udfff")
    )


def shape(article: StoredArticle) -> tuple[Any, ...]:
    return (
        legal(article.title).strip(),
        article.url,
        article.published,
        article.guid,
        article.authors,
        article.text,
    )


def ingested(data: bytes, fmt: str, tmp_path: Path) -> list[StoredArticle]:
    path = tmp_path / f"published.{fmt}"
    path.write_bytes(data)
    with open_archive(tmp_path / f"fresh-{fmt}.db") as fresh:
        [report] = fresh.ingest([str(path)])
        assert report.status == "ok" and report.problems == (), report
        return list(fresh.articles())


@pytest.mark.parametrize("fmt", FORMATS)
def test_csto_round_trips_into_a_fresh_archive(seeded: Archive, fmt: str, tmp_path: Path) -> None:
    data = seeded.topic_feed("CSTO", fmt, limit=50)
    well_formed(fmt, data)
    assert parse_feed(data).format == PARSED_AS[fmt]

    again = ingested(data, fmt, tmp_path)

    original = sorted(map(shape, seeded.articles()), key=repr)
    assert len(again) == 10
    assert sorted(map(shape, again), key=repr) == original
    assert {a.title for a in again} >= {"After Kazakhstan, the Color Revolution Era Is Over"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_saved_query_titles_the_feed_and_ids_are_stable(seeded: Archive, fmt: str) -> None:
    seeded.save_query("csto", "CSTO")
    first = seeded.topic_feed("@csto", fmt, limit=3, base_url=BASE)
    second = seeded.topic_feed("@csto", fmt, limit=3, base_url=BASE)
    assert first == second

    feed = parse_feed(first)
    assert feed.title == "csto"
    assert feed.self_link == f"https://presswatch.example.org/topics/csto/feed.{fmt}"
    assert feed.link == "https://presswatch.example.org/topics/csto"
    newest = [a for a in seeded.articles(limit=3)]
    assert [e.guid for e in feed.entries] == [a.guid for a in newest]
    assert [e.link for e in feed.entries] == [a.url for a in newest]
    if fmt == "rss":
        assert (feed.update_period, feed.update_frequency) == ("hourly", 1)
        assert b"<sy:updatePeriod>hourly</sy:updatePeriod>" in first
        assert b"<content:encoded><![CDATA[" in first
        assert b"<dc:creator>Pepe Escobar</dc:creator>" in first


@pytest.mark.parametrize("fmt", FORMATS)
def test_without_a_base_url_the_feed_links_nowhere_of_its_own(seeded: Archive, fmt: str) -> None:
    data = seeded.topic_feed("CSTO", fmt, limit=2)
    feed = parse_feed(data)
    assert feed.self_link is None and feed.link is None
    assert b"presswatch.example.org" not in data


def test_an_ad_hoc_query_links_to_its_search_page(seeded: Archive) -> None:
    feed = parse_feed(seeded.topic_feed("CSTO AND Kazakhstan", "atom", base_url=BASE))
    assert feed.title == "CSTO AND Kazakhstan"
    assert feed.link == "https://presswatch.example.org/search?q=CSTO%20AND%20Kazakhstan"
    assert feed.self_link is None  # only a saved query's feed has an address of its own


HOSTILE = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Hostile ]]> <b>feed</b>",
    "home_page_url": "https://hostile.test/",
    "items": [
        {
            "id": "h-1]]>",
            "url": "https://hostile.test/a?x=1&y=<2>",
            "title": "<script>alert(1)</script> CSTO ]]> \u0007bell \u0000nul \ufffe",
            "authors": [{"name": "Ivan <b>Petrov</b> & \u000bSons"}],
            "date_published": "2024-01-02T03:04:05Z",
            "content_html": (
                "<p>CSTO x ]]> y &amp; z</p><script>alert(2)</script>"
                "<p>\u0001ctrl \u001f and \r\n CR</p>"
            ),
        },
        {
            "id": "h-2",
            "url": "https://hostile.test/b",
            "title": "Plain CSTO title with &amp; entity",
            "date_published": "2024-01-01T00:00:00Z",
            "content_text": "CSTO text ]]> with \u0002 control",
        },
    ],
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_articles_give_well_formed_feeds_that_read_back(
    archive_target: str, fmt: str, tmp_path: Path
) -> None:
    source = tmp_path / "hostile.json"
    source.write_text(json.dumps(HOSTILE))
    with open_archive(archive_target) as archive:
        archive.ingest([str(source)])
        archive.save_query("hostile", "CSTO")
        stored = sorted(map(shape, archive.articles()), key=repr)
        data = archive.topic_feed("@hostile", fmt, base_url=BASE)

    doc = well_formed(fmt, data)
    if fmt == "json":
        assert {i["id"] for i in doc["items"]} == {"h-1]]>", "h-2"}
    else:
        assert not doc.xpath("//script")  # markup in titles stays text
    assert sorted(map(shape, ingested(data, fmt, tmp_path)), key=repr) == stored


def test_bad_requests_say_what_to_do(seeded: Archive) -> None:
    with pytest.raises(UsageError, match="unknown feed format 'xml'"):
        seeded.topic_feed("CSTO", "xml")
    with pytest.raises(UsageError, match="no saved query named 'nothing'"):
        seeded.topic_feed("@nothing", "rss")
    with pytest.raises(UsageError, match=r"PRESSWATCH_BASE_URL: .*absolute http"):
        seeded.topic_feed("CSTO", "rss", base_url="presswatch.example.org")
    with pytest.raises(UsageError, match="1 to 1000"):
        seeded.topic_feed("CSTO", "rss", limit=0)


def test_feed_command_writes_the_feed_to_stdout(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    env = {**os.environ, "PRESSWATCH_DB": str(db), "PRESSWATCH_BASE_URL": BASE}

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "presswatch", *args], capture_output=True, env=env, timeout=120
        )

    assert run("ingest", str(SEED)).returncode == 0
    assert run("queries", "save", "csto", "CSTO").returncode == 0
    for fmt in FORMATS:
        done = run("feed", "@csto", "--format", fmt, "--limit", "4")
        assert done.returncode == 0, done.stderr
        feed = parse_feed(done.stdout)
        assert feed.format == PARSED_AS[fmt] and len(feed.entries) == 4
        assert feed.self_link == f"https://presswatch.example.org/topics/csto/feed.{fmt}"
    missing = run("feed", "@nothing")
    assert missing.returncode == 2 and b"no saved query named 'nothing'" in missing.stderr
