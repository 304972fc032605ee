"""The search and analysis commands as a user runs them: real process, real archive file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).parent / "data" / "seed.txt"


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRESSWATCH_DB": str(db), "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "presswatch", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "archive.db"
    result = run("ingest", str(SEED), db=path)
    assert result.returncode == 0, result.stderr
    return path


def test_search_lists_ranked_results_with_marked_snippets(db: Path) -> None:
    result = run("search", "CSTO AND Kazakhstan", "--limit", "3", db=db)
    assert result.returncode == 0, result.stderr
    assert "9 articles match (showing 1-3, by relevance)." in result.stdout
    assert "*Kazakhstan*" in result.stdout and "*CSTO*" in result.stdout
    assert result.stdout.count("\n  1. ") == 1 and "\n  3. " in result.stdout


def test_search_json_has_the_total_the_articles_and_snippets(db: Path) -> None:
    result = run("search", "Tokayev", "--format", "json", "--sort", "newest", db=db)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["total"] == len(out["results"]) > 0
    dates = [r["published"] for r in out["results"]]
    assert dates == sorted(dates, reverse=True)
    first = out["results"][0]
    assert "tokayev" in (first["title"] + first["text"]).lower()
    assert "**Tokayev**" in first["snippet_marked"]
    assert "**" not in first["snippet"]


def test_search_csv_is_one_row_per_result(db: Path) -> None:
    result = run("search", "Kazakhstan", "--format", "csv", "--limit", "4", db=db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"]
    assert all(r["snippet"] for r in rows)


def test_a_malformed_query_points_at_the_problem_and_exits_2(db: Path) -> None:
    result = run("search", "CSTO AND (Kazakhstan OR", db=db)
    assert result.returncode == 2
    assert result.stdout == ""
    message, query_line, caret_line = result.stderr.rstrip("\n").split("\n")[-3:]
    assert message.startswith("presswatch: ")
    assert query_line.strip() == "CSTO AND (Kazakhstan OR"
    assert caret_line.index("^") > query_line.index("(")
    assert "Traceback" not in result.stderr


def test_entity_field_finds_nothing_before_enrichment(db: Path) -> None:
    result = run("search", "entity:CSTO", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 0


def test_saved_queries_round_trip(db: Path) -> None:
    saved = run("queries", "save", "csto", 'CSTO OR "Collective Security Treaty"', db=db)
    assert saved.returncode == 0, saved.stderr
    listed = run("queries", "list", "--format", "json", db=db)
    assert {"name": "csto", "query": 'CSTO OR "Collective Security Treaty"'}.items() <= (
        json.loads(listed.stdout)[0].items()
    )
    written_out = '(CSTO OR "Collective Security Treaty") AND published:2022'
    direct = json.loads(run("search", written_out, "--format", "json", db=db).stdout)
    named = json.loads(run("search", "@csto AND published:2022", "--format", "json", db=db).stdout)
    assert named["total"] == direct["total"] > 0
    assert [r["id"] for r in named["results"]] == [r["id"] for r in direct["results"]]
    assert named["expanded"] != named["query"]
    shown = run("queries", "show", "@csto", db=db)
    assert shown.stdout.strip() == 'CSTO OR "Collective Security Treaty"'
    assert run("queries", "delete", "csto", db=db).returncode == 0
    missing = run("search", "@csto", db=db)
    assert missing.returncode == 2 and "no saved query named @csto" in missing.stderr


def test_timeline_counts_per_month_with_gaps(db: Path) -> None:
    result = run("timeline", "CSTO", "Kazakhstan", "--by", "month", "--format", "csv", db=db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sum(int(r["CSTO"]) for r in rows) == 10
    assert sum(int(r["archived"]) for r in rows) == 10
    gaps = [r for r in rows if r["gap"] == "True"]
    assert gaps and all(r["archived"] == "0" for r in gaps)
    assert rows[0]["period"] == "2018-02-01"


def test_timeline_chart_draws_in_the_terminal(db: Path) -> None:
    result = run("timeline", "CSTO", "--by", "month", "--chart", "--normalize", db=db)
    assert result.returncode == 0, result.stderr
    assert "gap in collection" in result.stdout
    assert "█" in result.stdout


def test_top_sources_and_authors(db: Path) -> None:
    result = run("top", "authors", "CSTO", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0]["articles"] >= rows[-1]["articles"]
    assert {"Pepe Escobar", "Stephen Lendman"} <= {r["author"] for r in rows}
    sources = json.loads(run("top", "sources", "CSTO", "--format", "json", db=db).stdout)
    assert sources == [{"rank": 1, "source": "strategic-culture.org", "articles": 10, "of": 10}]


def test_top_terms_for_a_narrow_query(db: Path) -> None:
    result = run("top", "terms", "Armenia", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    terms = [r["term"] for r in json.loads(result.stdout)]
    assert "armenia" not in terms
    assert not {"the", "and", "said"} & set(terms)


def test_reindex_reports_the_articles_indexed(db: Path) -> None:
    result = run("reindex", db=db)
    assert result.returncode == 0, result.stderr
    assert "Indexed 10 articles." in result.stdout
    again = run("search", "CSTO", "--format", "json", db=db)
    assert json.loads(again.stdout)["total"] == 10
