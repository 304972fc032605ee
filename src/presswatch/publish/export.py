"""Articles as rows: the one record shape behind `presswatch articles --format csv|jsonl`,
the web app's exports and the API, written as CSV, JSON Lines or Parquet (pure).

One function decides the columns (`article_record`), so a spreadsheet, a JSONL dump and
a Parquet file of the same articles hold the same fields under the same names. CSV has
no lists, so authors and categories are joined with "; " there; Parquet keeps them as
lists and dates as UTC timestamps, so a data frame needs no parsing. JSON Lines may
carry each article's enrichment too (`enriched_records`), as `articles --format jsonl`
does; CSV and Parquet keep to COLUMNS.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import IO, TYPE_CHECKING, Any

from presswatch.store.records import StoredArticle

if TYPE_CHECKING:
    from presswatch.enrich.article_view import ArticleEnrichment

EXPORT_FORMATS = ("csv", "jsonl", "parquet")
COLUMNS = (
    "id",
    "source",
    "feed_url",
    "guid",
    "url",
    "original_url",
    "title",
    "authors",
    "published",
    "published_raw",
    "date_flag",
    "summary",
    "text",
    "text_from",
    "feed_text",
    "language",
    "republished_from",
    "categories",
    "first_seen",
)
LIST_COLUMNS = ("authors", "categories")
DATE_COLUMNS = ("published", "first_seen")
CSV_LIST_SEPARATOR = "; "
ENRICHED_PAGE = 200
_LINE_BREAKS = {c: f"\\u{c:04x}" for c in (0x85, 0x2028, 0x2029)}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}


def article_record(a: StoredArticle) -> dict[str, Any]:
    """An article as plain JSON values, in COLUMNS order."""
    return {
        "id": a.id,
        "source": a.source,
        "feed_url": a.feed_url,
        "guid": a.guid,
        "url": a.url,
        "original_url": a.original_url,
        "title": a.title,
        "authors": list(a.authors),
        "published": iso(a.published),
        "published_raw": a.published_raw,
        "date_flag": a.date_flag,
        "summary": a.summary,
        "text": a.shown_text,
        "text_from": a.text_from,  # "page" when the feed had a summary and the page was read
        "feed_text": a.text if a.page_text else None,
        "language": a.language,
        "republished_from": a.republished_from,
        "categories": list(a.categories),
        "first_seen": iso(a.first_seen),
    }


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, the form every export and the API use."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def enriched_records(
    articles: Iterable[StoredArticle],
    enrichments: Callable[[list[int]], Mapping[int, ArticleEnrichment]],
    *,
    page: int = ENRICHED_PAGE,
) -> Iterator[dict[str, Any]]:
    """Each article's record with its language, entities, quotes and key phrases
    (article_view_json) merged in, read for `page` articles at a time."""
    from presswatch.enrich.article_view import article_view_json

    rows = iter(articles)
    while batch := list(islice(rows, page)):
        found = enrichments([a.id for a in batch])
        for a in batch:
            record = article_record(a)
            if a.id in found:
                record.update(article_view_json(found[a.id]))
            yield record


def write_jsonl(records: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    """One JSON object per line; the number of records written.

    Text stays readable (not \\u-escaped), except the characters that some readers take
    for a line break (U+0085, U+2028, U+2029; Python's splitlines does): escaped, so
    every record is one line for any reader."""
    n = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False).translate(_LINE_BREAKS) + "\n")
        n += 1
    return n


def write_csv(records: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    """COLUMNS as CSV, with a header row even when there are no records; lists joined by
    "; " (other keys, such as enrichment, are left out: they do not fit a cell)."""
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    n = 0
    for record in records:
        writer.writerow(
            {k: CSV_LIST_SEPARATOR.join(v) if k in LIST_COLUMNS else v for k, v in record.items()}
        )
        n += 1
    return n


def parquet_bytes(records: Iterable[Mapping[str, Any]]) -> bytes:
    """COLUMNS as a Parquet file (zstd): lists stay lists, dates are UTC timestamps."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    columns: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for record in records:
        for name in COLUMNS:
            columns[name].append(record.get(name))
    for name in DATE_COLUMNS:
        columns[name] = [None if v is None else datetime.fromisoformat(v) for v in columns[name]]
    types = {"id": pa.int64()}
    types.update((name, pa.list_(pa.string())) for name in LIST_COLUMNS)
    types.update((name, pa.timestamp("us", tz="UTC")) for name in DATE_COLUMNS)
    schema = pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])
    table = pa.table(columns, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def export_bytes(records: Iterable[Mapping[str, Any]], fmt: str) -> bytes:
    """The records in one of EXPORT_FORMATS."""
    if fmt == "parquet":
        return parquet_bytes(records)
    text = io.StringIO(newline="")
    if fmt == "csv":
        write_csv(records, text)
    elif fmt == "jsonl":
        write_jsonl(records, text)
    else:
        raise ValueError(
            f"unknown export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}"
        )
    return text.getvalue().encode("utf-8")
