"""Enrichment: the runner (due, stale, resumable, one bad article never stops the rest)
on SQLite and PostgreSQL, and the language it finds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.enrich.base import EnrichInput, EnrichResult
from presswatch.enrich.language import detect
from presswatch.enrich.runner import run_enrichers

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed.txt"


@pytest.fixture
def archive(archive_target: str) -> Iterator[Archive]:
    with open_archive(archive_target) as opened:
        opened.ingest([str(SEED)])
        yield opened


class Counting:
    """An enricher that records what it was given, and fails on one article if told."""

    name = "counting"

    def __init__(self, version: str = "1", fail_on: int | None = None) -> None:
        self.version = version
        self.fail_on = fail_on
        self.seen: list[int] = []

    def run(self, batch: Sequence[EnrichInput]) -> list[EnrichResult]:
        if any(item.id == self.fail_on for item in batch):
            raise RuntimeError("cannot read this one")
        self.seen += [item.id for item in batch]
        return [EnrichResult(item.id, "ok", {"words": len(item.text.split())}) for item in batch]


def run(archive: Archive, enricher: Counting, **options: object) -> list[int]:
    enricher.seen = []
    run_enrichers(archive.store, [enricher], now=archive._clock, batch=3, **options)  # type: ignore[arg-type]
    return enricher.seen


def test_each_article_is_done_once_until_it_or_the_enricher_changes(archive: Archive) -> None:
    ids = sorted(a.id for a in archive.articles())
    assert run(archive, Counting()) == ids
    assert run(archive, Counting()) == []  # nothing new: nothing done
    assert run(archive, Counting(version="2")) == ids  # a new version: all stale
    assert run(archive, Counting(version="2"), rerun=True) == ids
    assert run(archive, Counting(version="2")) == []


def test_a_run_stopped_part_way_goes_on_where_it_was(archive: Archive) -> None:
    ids = sorted(a.id for a in archive.articles())
    assert run(archive, Counting(), limit=4) == ids[:4]
    assert archive.store.count_due_for_enrichment("counting", "1") == len(ids) - 4
    assert run(archive, Counting()) == ids[4:]


def test_one_failing_article_does_not_stop_the_others(archive: Archive) -> None:
    ids = sorted(a.id for a in archive.articles())
    enricher = Counting(fail_on=ids[1])
    seen = run(archive, enricher)
    assert seen == [i for i in ids if i != ids[1]]
    failed = archive.store.enrichments_of(ids[1])["counting"]
    assert failed["status"] == "error" and "cannot read this one" in failed["error"]
    assert archive.store.enrichments_of(ids[0])["counting"]["result"]["words"] > 100


def test_the_seed_is_english(archive: Archive) -> None:
    counts = {c.enricher: c for c in archive.enrich()}["language"]
    assert counts.done == 10 and counts.failed == 0
    for article in archive.articles():
        found = archive.article(article.id).enrichments["language"]["result"]
        assert found["language"] == "en" and found["confidence"] > 0.9
        assert found["declared"] == article.language
    assert all(c.done == 0 for c in archive.enrich())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Москва заявила, что ОДКБ направит миротворцев в Казахстан по просьбе Токаева.", "ru"),
        ("Қазақстан Республикасының Президенті Тоқаев ҰҚШҰ бітімгерлерін шақырды.", "kk"),
        ("The CSTO sent peacekeepers. Не who chases two hares catches neither.", "en"),
        ("", None),
        ("12:30 — 4/5 — №7", None),
    ],
)
def test_detect(text: str, expected: str | None) -> None:
    assert detect(text)[0] == expected


def test_the_command(tmp_path: Path) -> None:
    env = {**os.environ, "PRESSWATCH_DB": str(tmp_path / "a.db")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "presswatch", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    ingested = cli("ingest", "--enrich", str(SEED))
    assert ingested.returncode == 0 and "enriched (language): 10" in ingested.stderr
    again = cli("enrich")
    assert again.returncode == 0 and "language: 0 done" in again.stdout
    assert "syndication: 0 done" in again.stdout
    shown = json.loads(cli("show", "1", "--format", "json").stdout)
    assert shown["language_detected"] == "en"
    assert "language found   en" in cli("show", "1").stdout
    listed = json.loads(cli("entities", "CSTO", "--format", "json").stdout)
    csto = next(e for e in listed if e["name"] == "Collective Security Treaty Organization")
    assert csto["kind"] == "organization" and "CSTO" in csto["aliases"]
    assert "Collective Security Treaty Organization" in cli("top", "entities", "CSTO").stdout
    shown_entity = cli("entity", "show", "CSTO")
    assert shown_entity.returncode == 0
    assert shown_entity.stdout.startswith("Collective Security Treaty Organization (organization)")
    said = cli("quotes", "--speaker", "Putin")
    assert said.returncode == 0 and "it was necessary to react without delay" in said.stdout
    assert cli("quotes", "--speaker", "Nobody Atall").returncode == 2
    assert cli("entity", "show", "Nobody Atall").returncode == 2
    none = cli("clusters", "CSTO")
    assert none.returncode == 0 and "No syndicated copies" in none.stdout
    assert json.loads(cli("clusters", "CSTO", "--format", "json").stdout) == []


def test_a_huge_article_is_read_from_a_bounded_sample() -> None:
    text = "The CSTO summit opened in Almaty on Monday. " * 120_000  # ~5 MB
    assert detect(text) == detect(text[:4_000])


def test_a_syndicated_copy_is_clustered_with_its_original(archive: Archive, tmp_path: Path) -> None:
    from xml.sax.saxutils import escape

    original = next(a for a in archive.articles() if "Kazakhstan" in a.text)
    copy = (
        "<p>Steppe Times republishes this analysis with permission.</p>"
        + "".join(f"<p>{escape(p)}</p>" for p in original.text.split("\n\n"))
        + "<p>Subscribe to Steppe Times for more.</p>"
    )
    feed = tmp_path / "steppe.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>Steppe Times</title><link>https://steppe.example/</link>"
        "<item><title>A new headline for the same story</title>"
        "<link>https://steppe.example/2023/copy/</link>"
        "<pubDate>Mon, 02 Jan 2023 10:00:00 GMT</pubDate>"
        f"<content:encoded><![CDATA[{copy}]]></content:encoded></item>"
        "</channel></rss>"
    )
    archive.ingest([str(feed)])
    counts = {c.enricher: c for c in archive.enrich()}
    assert counts["syndication"].done == 11
    [cluster] = archive.clusters("Kazakhstan")
    assert cluster.original.id == original.id and cluster.why == "earliest"
    [copied] = [m for m in cluster.members if m.role == "copy"]
    assert copied.article.source == "Steppe Times"
    assert copied.overlap is not None and copied.overlap.containment > 0.9
    assert archive.clusters("Kazakhstan NOT title:Kazakhstan NOT CSTO NOT Russia") == []
    # done once: enriching again compares nothing, and the pair stays
    assert all(c.done == 0 for c in archive.enrich())
    assert len(archive.clusters("Kazakhstan")) == 1


def test_a_surname_folds_into_the_one_full_name_across_the_archive(archive: Archive) -> None:
    from presswatch.enrich.model import Entity, Mention

    first, second, third = sorted(a.id for a in archive.articles())[:3]
    store = archive.store

    def said(article_id: int, name: str) -> None:
        store.save_entities(
            article_id,
            [Entity(name, "person", (name,), 1)],
            [Mention(0, len(name), name, "person", name)],
            [],
        )

    said(first, "Kassym-Jomart Tokayev")
    said(second, "Tokayev")
    said(third, "Bush")
    assert store.fold_people() == 1
    [(entity_id, canonical, _)] = store.find_entities("Tokayev")
    assert canonical == "Kassym-Jomart Tokayev"
    assert store.articles_mentioning([entity_id]) == [first, second]
    assert any("across the archive" in (why or "") for _, why in store.entity_aliases_of(entity_id))
    said(first, "George W. Bush")
    said(second, "Jeb Bush")  # two Bushes: "Bush" stays apart
    assert store.fold_people() == 0
    assert [c for _, c, _ in store.find_entities("Bush")] == ["Bush"]


def test_entity_searches_find_every_name_of_what_an_article_mentions(archive: Archive) -> None:
    assert archive.search("entity:CSTO").total == 0  # nothing enriched yet
    archive.enrich()
    [(entity_id, canonical, _)] = archive.store.find_entities("CSTO")[:1]
    assert canonical == "Collective Security Treaty Organization"
    mentioning = set(archive.store.articles_mentioning([entity_id]))
    by_acronym = archive.search("entity:CSTO", limit=100)
    by_name = archive.search('entity:"Collective Security Treaty Organization"', limit=100)
    assert {h.article.id for h in by_acronym.hits} == mentioning
    assert {h.article.id for h in by_name.hits} == mentioning
    assert archive.search("entity:CSTO AND entity:Tokayev").total >= 1
