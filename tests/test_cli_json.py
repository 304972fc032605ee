"""The enrichment in the CLI's JSON, as a user's script reads it: `show --format json`,
`articles --format json|jsonl` and `entities QUERY --format json`, on SQLite and
PostgreSQL, over the seed and a Russian feed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import BACKENDS, archive_at
from search_corpus import write_corpus

Cli = Callable[..., subprocess.CompletedProcess[str]]
ESCOBAR = "After Kazakhstan, the Color Revolution Era Is Over"


def _runner(target: str) -> Cli:
    env = {**os.environ, "PRESSWATCH_DB": target}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "presswatch", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    return cli


@dataclass
class Seeded:
    run: Cli
    pending: list[dict[str, Any]]  # `articles --format json` before enrichment


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """An archive of the seed and a Russian feed, enriched by `ingest --enrich`."""
    folder = tmp_path_factory.mktemp("cli-json")
    seed, _, russian = write_corpus(folder / "feeds")
    with archive_at(request.param, folder) as target:
        run = _runner(target)
        assert run("ingest", str(seed)).returncode == 0
        pending = _json(run("articles", "--format", "json"))
        enriched = run("ingest", "--enrich", str(seed), str(russian))
        assert enriched.returncode == 0, enriched.stderr
        yield Seeded(run, pending)


@pytest.fixture
def cli(seeded: Seeded) -> Cli:
    return seeded.run


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _offsets_line_up(record: dict[str, Any]) -> None:
    text = record["text"]
    for m in record["mentions"]:
        assert text[m["start"] : m["end"]] == m["text"]
    for q in record["quotes"]:
        assert text[q["start"] : q["end"]] == q["text"]
    counted = {(e["name"], e["kind"]): e["mentions"] for e in record["entities"]}
    assert sum(counted.values()) == len(record["mentions"])


def test_show_json_carries_language_entities_quotes_and_key_phrases(cli: Cli) -> None:
    listed = _json(cli("articles", "--format", "json"))
    escobar = next(a["id"] for a in listed if a["title"] == ESCOBAR)
    shown = _json(cli("show", str(escobar), "--format", "json"))
    assert shown["title"] == ESCOBAR and shown["fetches"]  # the article's detail is still there
    assert (shown["language"], shown["declared_language"]) == ("en", "en-US")
    assert shown["language_detected"] == "en"
    assert shown["analysis"] == {"status": "analysed", "reason": None}
    _offsets_line_up(shown)
    entities = {e["name"]: e for e in shown["entities"]}
    assert entities["Vladimir Putin"]["kind"] == "person"
    assert entities["Vladimir Putin"]["mentions"] >= 3
    assert entities["Collective Security Treaty Organization"]["kind"] == "organization"
    said = {q["text"]: q["speaker"] for q in shown["quotes"]}
    assert said["it was necessary to react without delay."] == "Vladimir Putin"
    assert "Kazakhstan" in shown["key_phrases"]


def test_articles_json_and_jsonl_carry_the_same_enrichment_as_show(cli: Cli) -> None:
    listed = _json(cli("articles", "--format", "json"))
    lines = cli("articles", "--format", "jsonl")
    assert lines.returncode == 0
    assert [json.loads(line) for line in lines.stdout.splitlines()] == listed
    assert len(listed) == 13
    fields = ("language", "declared_language", "analysis", "entities", "quotes", "key_phrases")
    for record in listed:
        _offsets_line_up(record)
    picked = [listed[0], listed[-1], next(r for r in listed if r["title"] == ESCOBAR)]
    for record in picked:
        shown = _json(cli("show", str(record["id"]), "--format", "json"))
        assert {k: record[k] for k in fields} == {k: shown[k] for k in fields}
    english = [r for r in listed if r["declared_language"] == "en-US"]
    assert len(english) == 10
    assert all(r["analysis"]["status"] == "analysed" and r["entities"] for r in english)


def test_russian_articles_are_listed_as_not_analysed(cli: Cli) -> None:
    russian = [r for r in _json(cli("articles", "--format", "json")) if r["language"] == "ru"]
    assert len(russian) == 3
    for record in russian:
        assert record["declared_language"] == "ru-RU"
        assert record["analysis"]["status"] == "not analysed"
        assert "Russian" in record["analysis"]["reason"]
        assert record["entities"] == record["quotes"] == record["key_phrases"] == []


def test_before_enrichment_the_listing_says_pending(seeded: Seeded) -> None:
    assert len(seeded.pending) == 10
    for record in seeded.pending:
        assert record["analysis"]["status"] == "pending"
        assert "presswatch enrich" in record["analysis"]["reason"]
        assert record["language"] is None and record["declared_language"] == "en-US"
        assert record["entities"] == record["quotes"] == record["key_phrases"] == []


def test_entities_json_lists_canonical_entities_with_aliases_and_counts(cli: Cli) -> None:
    listed = _json(cli("entities", "CSTO", "--format", "json", "--limit", "50"))
    csto = next(e for e in listed if e["name"] == "Collective Security Treaty Organization")
    assert csto["kind"] == "organization" and "CSTO" in csto["aliases"]
    why = {m["alias"]: m["why"] for m in csto["merged"]}
    assert "acronym" in why["CSTO"]
    assert csto["articles"] == 10 and csto["mentions"] >= csto["articles"]
    tokayev = next(e for e in listed if e["name"] == "Kassym-Jomart Tokayev")
    assert tokayev["kind"] == "person" and "Tokayev" in tokayev["aliases"]
    assert all(e["name"] not in e["aliases"] for e in listed)
    counts = [(e["articles"], e["mentions"]) for e in listed]
    assert counts == sorted(counts, key=lambda c: (-c[0], -c[1]))
    russian_only = _json(cli("entities", "ОДКБ", "--format", "json"))
    assert russian_only == []  # Russian articles are not analysed: nothing to list


def test_show_of_an_unknown_article_says_so(cli: Cli) -> None:
    done = cli("show", "999999", "--format", "json")
    assert done.returncode == 2 and "no article with id 999999" in done.stderr
    assert done.stdout == ""


def test_pages_of_a_long_listing_are_read_together(tmp_path: Path) -> None:
    """More articles than one page of enrichment reads: every record still complete."""
    with archive_at("sqlite", tmp_path) as target:
        cli = _runner(target)
        feed = tmp_path / "many.xml"
        items = "".join(
            f"<item><title>Note {i}</title><link>https://many.example/{i}</link>"
            f"<description>Note {i} on the CSTO and Kazakhstan.</description></item>"
            for i in range(450)
        )
        feed.write_text(
            f'<rss version="2.0"><channel><title>Many</title><link>https://many.example/</link>'
            f"{items}</channel></rss>",
            encoding="utf-8",
        )
        assert cli("ingest", str(feed)).returncode == 0
        listed = _json(cli("articles", "--format", "json"))
        assert len(listed) == 450 and len({r["id"] for r in listed}) == 450
        assert all(r["analysis"]["status"] == "pending" for r in listed)
