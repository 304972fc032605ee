"""Exports of a query's matches (Archive.export): CSV, JSON Lines and Parquet hold the same
articles, in the order asked, and read back to exactly what the archive holds, whatever
the text carries (commas, quotes, line breaks, tabs, non-Latin scripts, formulas)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from conftest import archive_at
from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.errors import QuerySyntaxError, UsageError
from presswatch.publish.export import (
    COLUMNS,
    article_record,
    export_bytes,
)
from presswatch.store.records import StoredArticle

SEED = Path(__file__).parents[1] / "examples" / "csto-strategic-culture.txt"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    folder = tmp_path_factory.mktemp("export")
    with archive_at("sqlite", folder) as target, open_archive(target) as seeded:
        [report] = seeded.ingest([str(SEED)])
        assert report.status == "ok", report.error
        seeded.enrich()
        yield seeded


def read_csv(data: bytes) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    return [_from_csv(r) for r in rows]


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """CSV has only strings: empty is null, lists are joined by "; ", the id a number."""
    out: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
    out["id"] = int(row["id"])
    for name in ("authors", "categories"):
        out[name] = row[name].split("; ") if row[name] else []
    for name in ("title", "text"):
        out[name] = row[name]
    return out


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def read_parquet(data: bytes) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(data)).to_pylist()
    for row in rows:
        for name in ("published", "first_seen"):
            when = row[name]
            row[name] = None if when is None else when.isoformat().replace("+00:00", "Z")
    return rows


def _columns(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in COLUMNS}


def _csv_view(record: dict[str, Any]) -> dict[str, Any]:
    """What survives CSV: empty strings and nulls look alike there."""
    return {
        k: (None if v == "" else v) if k not in ("title", "text", "authors", "categories") else v
        for k, v in _columns(record).items()
    }


def test_the_three_formats_read_back_to_the_archive(archive: Archive) -> None:
    expected = [article_record(a) for a in archive.articles()]  # newest first
    assert len(expected) == 10
    from_csv = read_csv(archive.export("CSTO", "csv"))
    from_jsonl = read_jsonl(archive.export("CSTO", "jsonl"))
    from_parquet = read_parquet(archive.export("CSTO", "parquet"))
    assert from_csv == [_csv_view(r) for r in expected]
    assert from_parquet == [_columns(r) for r in expected]
    # JSON Lines carries each article's enrichment too, as `articles --format jsonl` does
    assert [r["id"] for r in from_jsonl] == [r["id"] for r in expected]
    for got, want in zip(from_jsonl, expected, strict=True):
        assert got["entities"] and got["analysis"]["status"] == "analysed"
        same = {"id", "title", "authors", "published", "url", "guid", "categories", "first_seen"}
        assert {k: got[k] for k in same} == {k: want[k] for k in same}


def test_order_limit_and_columns_follow_the_request(archive: Archive) -> None:
    oldest = read_jsonl(archive.export("CSTO", "jsonl", sort="oldest", limit=3))
    every = [a.id for a in archive.articles(order="oldest")]
    assert [r["id"] for r in oldest] == every[:3]
    header = archive.export("Kazakhstan", "csv", limit=1).decode().splitlines()[0]
    assert header.split(",") == list(COLUMNS)
    ranked = read_jsonl(archive.export("Kazakhstan", "jsonl", sort="relevance", limit=2))
    best = archive.search("Kazakhstan", sort="relevance", limit=2)
    assert [r["id"] for r in ranked] == [h.article.id for h in best.hits]


def test_no_matches_still_give_well_formed_files(archive: Archive) -> None:
    query = "zzzznothingmatches"
    assert archive.export(query, "csv").decode().splitlines() == [",".join(COLUMNS)]
    assert archive.export(query, "jsonl") == b""
    table = pq.read_table(io.BytesIO(archive.export(query, "parquet")))
    assert table.num_rows == 0 and table.column_names == list(COLUMNS)


def test_bad_requests_are_refused_with_a_reason(archive: Archive) -> None:
    with pytest.raises(UsageError, match="csv, jsonl, parquet"):
        archive.export("CSTO", "xlsx")
    with pytest.raises(UsageError, match="relevance, newest, oldest"):
        archive.export("CSTO", "csv", sort="id")
    with pytest.raises(UsageError, match="between 0 and"):
        archive.export("CSTO", "csv", limit=10**9)
    with pytest.raises(QuerySyntaxError):
        archive.export('CSTO "unclosed', "csv")


def _article(article_id: int, **changes: Any) -> StoredArticle:
    when = datetime(2022, 1, 6, 10, 0, 0, 123456, tzinfo=UTC)
    base: dict[str, Any] = {
        "id": article_id,
        "key": f"k{article_id}",
        "source": "Eurasia Monitor",
        "feed_url": "https://eurasia-monitor.example/feed",
        "guid": f"g{article_id}",
        "url": f"https://eurasia-monitor.example/{article_id}",
        "original_url": None,
        "title": "CSTO",
        "authors": ("Anna Petrova",),
        "published": when,
        "published_raw": "Thu, 06 Jan 2022 10:00:00 +0000",
        "date_flag": None,
        "updated": None,
        "summary": None,
        "text": "text",
        "content_html": None,
        "language": "en",
        "republished_from": None,
        "first_seen": when,
        "last_seen": when,
        "categories": (),
        "enclosures": (),
    }
    return StoredArticle(**{**base, **changes})


HOSTILE = [
    _article(1, title='He said "no", then left', text="line one\nline two\r\nline three\ttab"),
    _article(2, title='=HYPERLINK("http://evil.example")', authors=("O'Neil, Jr.", "Ёлкин")),
    _article(3, title="ОДКБ направила миротворцев", text="Миротворцы ОДКБ; прибыли", language="ru"),
    _article(4, title="", text="", published=None, categories=("Asia", "Security; Defence")),
    _article(
        5, title="emoji 🛰️, \u2028 \u2029 \x85 \x0b \x1c breaks", page_text="the page's own text"
    ),
]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_hostile_text_survives_each_format(fmt: str) -> None:
    records = [article_record(a) for a in HOSTILE]
    data = export_bytes(records, fmt)
    back = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}[fmt](data)
    want = [_columns(r) for r in records]
    if fmt == "csv":
        want = [_csv_view(r) for r in records]
        # "; " is the list separator in CSV: a category holding it comes back split
        want[3]["categories"] = ["Asia", "Security", "Defence"]
    assert back == want
    assert back[4]["text"] == "the page's own text" and back[4]["text_from"] == "page"
    assert back[0]["published"] == "2022-01-06T10:00:00.123456Z"
