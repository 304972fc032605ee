"""The store contract: every test runs on SQLite and on PostgreSQL and must agree."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from presswatch.errors import ArchiveError
from presswatch.store import Store, describe_target, open_store
from presswatch.store import sql as store_sql
from presswatch.store.engine import create_archive_engine
from presswatch.store.migrations import LATEST, migrate
from presswatch.store.records import IngestCounts, PackedRaw, pack_raw
from presswatch.store.schema import metadata
from presswatch.types import Article, Enclosure, ParsedFeed

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def make_article(
    n: int | str,
    *,
    title: str | None = None,
    body: str | None = None,
    published: datetime | None = None,
    date_flag: str | None = None,
    guid: str | None = None,
    authors: tuple[str, ...] = ("Pepe Escobar",),
    categories: tuple[str, ...] = ("Eurasia",),
    enclosures: tuple[Enclosure, ...] = (),
) -> Article:
    title = title if title is not None else f"Story {n}"
    body = body if body is not None else f"Body of story {n}. " * 20
    return Article(
        key=f"url:example.org/news/{n}",
        url=f"https://example.org/news/{n}",
        original_url=None,
        guid=guid if guid is not None else f"guid-{n}",
        title=title,
        authors=authors,
        published=published,
        published_raw=published.isoformat() if published else "not a date",
        date_flag=date_flag,
        updated=None,
        summary=body[:40],
        content_html=f"<p>{body}</p>",
        text=body,
        language="en",
        republished_from=None,
        categories=categories,
        enclosures=enclosures,
        content_hash=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
    )


FEED = ParsedFeed(
    format="rss2.0",
    title="Strategic Culture",
    link="https://www.strategic-culture.org/",
    self_link="https://www.strategic-culture.org/feed/",
    language="en-US",
    skip_days=("Sunday",),
)
OTHER_FEED = ParsedFeed(
    format="atom1.0", title="Мировые новости", link="https://novosti.example.ru/"
)


@pytest.fixture
def store(store_target: str) -> Iterator[Store]:
    opened = open_store(store_target)
    yield opened
    opened.close()


class Ingest:
    """Drives a store the way the archive does: source, feed, fetch, articles."""

    def __init__(self, store: Store, location: str = "/data/sc.xml", feed: ParsedFeed = FEED):
        self.store = store
        self.location = location
        self.feed = feed

    def __call__(
        self,
        articles: list[Article],
        now: datetime = T0,
        raw: bytes | PackedRaw | None = b"<rss/>",
    ) -> IngestCounts:
        source_id = self.store.upsert_source(self.location, "file", now)
        feed_id = self.store.upsert_feed(self.location + "#feed", self.feed, now)
        fetch_id = self.store.begin_fetch(source_id, now)
        counts = self.store.save_articles(feed_id, source_id, fetch_id, articles, now)
        self.store.finish_fetch(
            fetch_id,
            status="ok",
            error=None,
            feed_id=feed_id,
            parsed=self.feed,
            raw=raw,
            counts=counts,
            now=now,
        )
        return counts


def keys(articles: list) -> list[str]:  # type: ignore[type-arg]
    return [a.key.rsplit("/", 1)[-1] for a in articles]


# -- opening and migrations ------------------------------------------------------------


def test_opening_twice_keeps_data_and_version(store_target: str) -> None:
    first = open_store(store_target)
    Ingest(first)([make_article(1)])
    first.close()
    second = open_store(store_target)
    assert second.count_articles() == 1
    second.close()
    engine = create_archive_engine(store_target)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM schema_version ORDER BY 1")).all()
    engine.dispose()
    assert [v for (v,) in versions] == list(range(1, LATEST + 1))


def test_archive_at_previous_version_is_migrated(store_target: str) -> None:
    engine = create_archive_engine(store_target)
    assert migrate(engine, upto=LATEST - 1) == LATEST - 1
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (location, kind, added_at, fetch_count, error_count) "
                "VALUES ('/old/feed.xml', 'file', :t, 3, 1)"
            ),
            {"t": T0.isoformat(timespec="microseconds") if "sqlite" in store_target else T0},
        )
    engine.dispose()

    store = open_store(store_target)
    [old] = store.list_sources()
    store.close()
    assert (old.location, old.fetch_count, old.error_count, old.added_at) == (
        "/old/feed.xml",
        3,
        1,
        T0,
    )
    indexes = index_names(store_target, "articles")
    assert "ix_articles_timeline" in indexes
    assert "ix_articles_published" not in indexes


def index_names(target: str, table: str) -> set[str]:
    query = (
        "SELECT indexname FROM pg_indexes WHERE tablename = :t"
        if target.startswith("postgresql")
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    )
    engine = create_archive_engine(target)
    with engine.connect() as conn:
        names = {name for (name,) in conn.execute(text(query), {"t": table})}
    engine.dispose()
    return names


def test_migrated_schema_matches_the_table_definitions(store: Store, store_target: str) -> None:
    engine = create_archive_engine(store_target)
    inspector = inspect(engine)
    found = {t: {c["name"] for c in inspector.get_columns(t)} for t in metadata.tables}
    engine.dispose()
    assert found == {name: set(t.columns.keys()) for name, t in metadata.tables.items()}


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"folder .*nowhere does not exist"):
        open_store(str(tmp_path / "nowhere" / "archive.db"))
    assert not (tmp_path / "nowhere").exists()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("just some notes, not a database " * 200)
    with pytest.raises(ArchiveError, match="not an SQLite database"):
        open_store(str(notes))


def test_unreachable_postgresql_is_a_clear_error() -> None:
    with pytest.raises(
        ArchiveError, match=r"cannot reach PostgreSQL at 127\.0\.0\.1:1: .*is it running\?"
    ):
        open_store("postgresql://postgres@127.0.0.1:1/presswatch")


def test_missing_postgresql_database_is_a_clear_error(
    every_backend_target: dict[str, str],
) -> None:
    missing = every_backend_target["postgresql"].rsplit("/", 1)[0] + "/pw_no_such_db"
    with pytest.raises(ArchiveError, match="has no database 'pw_no_such_db'"):
        open_store(missing)


def test_describe_target_never_shows_a_password() -> None:
    told = describe_target("postgresql://analyst:s3cret@db.example:6543/news")
    assert told == "PostgreSQL database 'news' at db.example:6543"
    assert describe_target("archive.db") == "SQLite archive archive.db"


# -- saving articles -------------------------------------------------------------------


def test_new_unchanged_and_updated_with_the_earlier_text_kept(store: Store) -> None:
    ingest = Ingest(store)
    a, b = make_article(1, body="First version."), make_article(2)
    assert ingest([a, b]) == IngestCounts(new=2)

    later = T0 + timedelta(hours=1)
    assert ingest([a, b], now=later) == IngestCounts(unchanged=2)

    edited = replace(
        a,
        title="Story 1 (corrected)",
        text="Second version.",
        content_hash=hashlib.sha256(b"edited").hexdigest(),
    )
    latest = T0 + timedelta(hours=2)
    assert ingest([edited, b], now=latest) == IngestCounts(updated=1, unchanged=1)

    [stored] = [x for x in store.list_articles() if x.key == a.key]
    assert (stored.title, stored.text) == ("Story 1 (corrected)", "Second version.")
    assert (stored.first_seen, stored.last_seen) == (T0, latest)
    detail = store.get_article(stored.id)
    assert detail is not None
    [revision] = detail.revisions
    assert (revision.title, revision.text, revision.replaced_at) == (
        "Story 1",
        "First version.",
        latest,
    )
    assert revision.content_hash == a.content_hash
    assert revision.authors == ("Pepe Escobar",)
    assert store.count_articles() == 2


def test_same_article_in_two_feeds_is_one_article_with_two_links(store: Store) -> None:
    shared = make_article("shared", guid="sc-778770")
    Ingest(store)([shared])
    counts = Ingest(store, "/data/other.xml", OTHER_FEED)(
        [replace(shared, guid="ru-1")], now=T0 + timedelta(minutes=5)
    )
    assert counts == IngestCounts(unchanged=1)
    [stored] = store.list_articles()
    detail = store.get_article(stored.id)
    assert detail is not None
    assert [(f.title, f.guid) for f in detail.feeds] == [
        ("Strategic Culture", "sc-778770"),
        ("Мировые новости", "ru-1"),
    ]
    assert detail.article.source == "Strategic Culture"
    assert detail.article.feed_url == "https://www.strategic-culture.org/feed/"
    assert len(detail.fetches) == 2
    assert {f.location for f in detail.fetches} == {"/data/sc.xml", "/data/other.xml"}


def test_duplicate_key_in_one_batch_keeps_the_first(store: Store) -> None:
    first = make_article(1, body="the first copy")
    second = make_article(1, body="the second copy")
    counts = Ingest(store)([first, second, make_article(2)])
    assert counts == IngestCounts(
        new=2, skipped=1, skipped_reasons=(("duplicate item in the same feed", 1),)
    )
    texts = {a.key: a.text for a in store.list_articles()}
    assert texts[first.key] == "the first copy"


def test_an_article_missing_from_a_later_fetch_is_kept(store: Store) -> None:
    ingest = Ingest(store)
    ingest([make_article(1), make_article(2)])
    ingest([make_article(2)], now=T0 + timedelta(days=1))
    assert sorted(keys(store.list_articles())) == ["1", "2"]


def test_large_batches_cross_the_chunk_size(store: Store) -> None:
    batch = [make_article(i, published=T0 - timedelta(minutes=i)) for i in range(1_234)]
    assert Ingest(store)(batch) == IngestCounts(new=1_234)
    edited = [replace(a, content_hash="changed") if i % 2 else a for i, a in enumerate(batch)]
    assert Ingest(store)(edited, now=T0 + timedelta(hours=1)) == IngestCounts(
        updated=617, unchanged=617
    )
    assert store.count_articles() == 1_234


def test_nul_characters_are_stripped(store: Store) -> None:
    dirty = replace(
        make_article(1),
        title="Sto\x00ry",
        text="te\x00xt",
        authors=("A\x00nn",),
        categories=("wo\x00rld",),
        enclosures=(Enclosure("https://example.org/a\x00.mp3", "audio/mpeg", 12),),
    )
    Ingest(store, feed=replace(FEED, title="Strategic\x00 Culture"))([dirty])
    [stored] = store.list_articles()
    assert (stored.title, stored.text, stored.authors, stored.categories) == (
        "Story",
        "text",
        ("Ann",),
        ("world",),
    )
    assert stored.enclosures == (Enclosure("https://example.org/a.mp3", "audio/mpeg", 12),)
    assert stored.source == "Strategic Culture"


def test_cyrillic_text_round_trips(store: Store) -> None:
    article = make_article(
        "ru",
        title="Коллективная безопасность: ОДКБ в Казахстане",
        body="Президент Токаев назвал беспорядки попыткой захвата власти. «Кавычки» — ёж.",
        authors=("Пепе Эскобар",),
        categories=("Евразия",),
    )
    Ingest(store, feed=OTHER_FEED)([article])
    [stored] = store.list_articles()
    assert (stored.title, stored.text, stored.authors, stored.categories) == (
        article.title,
        article.text,
        article.authors,
        article.categories,
    )
    assert stored.source == "Мировые новости"


# -- dates and listing -----------------------------------------------------------------


def test_dates_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    moscow = timezone(timedelta(hours=3))
    published = datetime(2022, 1, 14, 18, 31, 7, tzinfo=moscow)
    Ingest(store)([make_article(1, published=published)])
    [stored] = store.list_articles()
    assert stored.published == published
    assert stored.published is not None and stored.published.utcoffset() == timedelta(0)
    assert stored.published.tzinfo is not None
    assert (stored.published.hour, stored.first_seen.tzinfo) == (15, UTC)


def test_undated_articles_are_ordered_by_first_seen(store: Store) -> None:
    ingest = Ingest(store)
    ingest([make_article("jan", published=datetime(2024, 1, 1, tzinfo=UTC))])
    ingest(
        [make_article("undated-feb", date_flag="unparseable")], now=datetime(2024, 2, 1, tzinfo=UTC)
    )
    ingest([make_article("mar", published=datetime(2024, 3, 1, tzinfo=UTC))], now=T0)
    ingest([make_article("undated-apr", date_flag="missing")], now=datetime(2024, 4, 1, tzinfo=UTC))
    assert keys(store.list_articles()) == ["undated-apr", "mar", "undated-feb", "jan"]
    assert keys(store.list_articles(order="oldest")) == ["jan", "undated-feb", "mar", "undated-apr"]
    [undated] = [a for a in store.list_articles() if a.key.endswith("undated-feb")]
    assert (undated.published, undated.date_flag, undated.published_raw) == (
        None,
        "unparseable",
        "not a date",
    )


def test_filters_since_until_limit_offset(store: Store) -> None:
    days = [make_article(d, published=datetime(2024, 1, d, 9, tzinfo=UTC)) for d in range(1, 11)]
    Ingest(store)(days)
    since, until = datetime(2024, 1, 3, 9, tzinfo=UTC), datetime(2024, 1, 6, 9, tzinfo=UTC)
    assert keys(store.list_articles(since=since, until=until)) == ["5", "4", "3"]
    assert keys(store.list_articles(since=since, until=until, order="oldest")) == ["3", "4", "5"]
    assert keys(store.list_articles(limit=3)) == ["10", "9", "8"]
    assert keys(store.list_articles(limit=2, offset=3)) == ["7", "6"]
    assert keys(store.list_articles(since=datetime(2030, 1, 1, tzinfo=UTC))) == []


def test_source_filter_matches_title_host_or_location(store: Store) -> None:
    Ingest(store)([make_article("sc")])
    Ingest(store, "/data/ru/novosti.json", OTHER_FEED)([make_article("ru")])
    assert keys(store.list_articles(source="strategic CULTURE")) == ["sc"]
    assert keys(store.list_articles(source="МИРОВЫЕ")) == ["ru"]
    assert keys(store.list_articles(source="novosti.example")) == ["ru"]
    assert keys(store.list_articles(source="data/ru/")) == ["ru"]
    assert keys(store.list_articles(source="https")) == []
    assert keys(store.list_articles(source="100%_")) == []


def test_iter_articles_pages_like_list_articles(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sql, "_PAGE", 3)
    ingest = Ingest(store)
    dated = [make_article(i, published=T0 - timedelta(days=i % 4)) for i in range(8)]
    ingest(dated)
    ingest([make_article(f"u{i}") for i in range(5)], now=T0 - timedelta(days=2))
    for order in ("newest", "oldest"):
        everything = store.list_articles(order=order)
        assert [a.id for a in store.iter_articles(order=order)] == [a.id for a in everything]
        assert [a.id for a in store.iter_articles(order=order, limit=7, offset=2)] == [
            a.id for a in everything[2:9]
        ]
    assert len(everything) == 13


# -- provenance, sources, raw ----------------------------------------------------------


def test_get_article_tells_where_it_came_from(store: Store) -> None:
    Ingest(store)([make_article(1)])
    [stored] = store.list_articles()
    detail = store.get_article(stored.id)
    assert detail is not None
    [fetch] = detail.fetches
    assert (fetch.location, fetch.status, fetch.started_at) == ("/data/sc.xml", "ok", T0)
    assert fetch.blob_sha256 is not None
    assert store.raw_blob(fetch.blob_sha256) == b"<rss/>"
    assert detail.revisions == ()
    assert store.get_article(stored.id + 1000) is None


def test_raw_bytes_round_trip_and_are_stored_once(store: Store, store_target: str) -> None:
    raw = "<rss><title>Новости</title></rss>".encode() + bytes(range(256)) * 100
    Ingest(store)([make_article(1)], raw=raw)
    Ingest(store)([make_article(1)], now=T0 + timedelta(hours=1), raw=raw)
    digest = hashlib.sha256(raw).hexdigest()
    assert store.raw_blob(digest) == raw
    assert store.raw_blob("0" * 64) is None
    engine = create_archive_engine(store_target)
    with engine.connect() as conn:
        count, size = conn.execute(text("SELECT COUNT(*), MAX(size) FROM blobs")).one()
    engine.dispose()
    assert (count, size) == (1, len(raw))


def test_sources_summary_counts_and_last_error(store: Store) -> None:
    ingest = Ingest(store)
    ingest([make_article(1), make_article(2)])
    ingest([make_article(2), make_article(3)], now=T0 + timedelta(hours=1))
    Ingest(store, "/data/other.xml", OTHER_FEED)([make_article(3)])

    broken = store.upsert_source("/data/broken.xml", "file", T0)
    fetch = store.begin_fetch(broken, T0)
    store.finish_fetch(
        fetch,
        status="error",
        error="not a feed: this looks like an HTML page",
        feed_id=None,
        parsed=None,
        raw=b"<html></html>",
        counts=IngestCounts(),
        now=T0 + timedelta(seconds=2),
    )
    summary = {s.location: s for s in store.list_sources()}
    sc, other, bad = (
        summary["/data/sc.xml"],
        summary["/data/other.xml"],
        summary["/data/broken.xml"],
    )
    assert (sc.feed_title, sc.articles, sc.fetch_count, sc.error_count) == (
        "Strategic Culture",
        3,
        2,
        0,
    )
    assert (sc.last_status, sc.last_error, sc.last_fetch_at) == (
        "ok",
        None,
        T0 + timedelta(hours=1),
    )
    assert (other.articles, other.feed_title) == (1, "Мировые новости")
    assert (bad.articles, bad.fetch_count, bad.error_count, bad.last_status) == (0, 1, 1, "error")
    assert bad.last_error == "not a feed: this looks like an HTML page"
    assert bad.feed_title is None


def test_a_later_poorer_reading_keeps_feed_metadata(store: Store) -> None:
    Ingest(store)([make_article(1)])
    Ingest(store, feed=ParsedFeed(format="textdump"))(
        [make_article(2)], now=T0 + timedelta(hours=1)
    )
    assert {a.source for a in store.list_articles()} == {"Strategic Culture"}


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises((ValueError, ArchiveError)):
        store.upsert_source("/data/x.xml", "file", datetime(2024, 1, 1))


# -- transactions --------------------------------------------------------------------


def test_a_transaction_commits_once_at_its_end(store: Store, store_target: str) -> None:
    other = open_store(store_target)
    try:
        with store.transaction():
            assert Ingest(store)([make_article(1), make_article(2)]) == IngestCounts(new=2)
            assert store.count_articles() == 2
            assert other.count_articles() == 0
        assert other.count_articles() == 2
        assert [s.last_status for s in other.list_sources()] == ["ok"]
    finally:
        other.close()


def test_a_block_belongs_to_the_thread_that_opened_it(store: Store) -> None:
    with store.transaction():
        Ingest(store)([make_article(1)])
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(store.count_articles).result() == 0
        assert store.count_articles() == 1


def test_a_failed_block_leaves_nothing_and_the_failure_is_recorded_after(store: Store) -> None:
    kept = make_article(1)
    Ingest(store)([kept])
    with pytest.raises(RuntimeError), store.transaction():
        source_id = store.upsert_source("/data/new.xml", "file", T0)
        fetch_id = store.begin_fetch(source_id, T0)
        feed_id = store.upsert_feed("/data/new.xml#feed", OTHER_FEED, T0)
        edited = replace(kept, text="edited", content_hash="edited")
        store.save_articles(feed_id, source_id, fetch_id, [make_article(2), edited], T0)
        raise RuntimeError("the next batch could not be normalized")

    [stored] = store.list_articles()
    assert (stored.key, stored.text) == (kept.key, kept.text)
    detail = store.get_article(stored.id)
    assert detail is not None
    assert (detail.revisions, len(detail.feeds)) == ((), 1)
    assert [s.location for s in store.list_sources()] == ["/data/sc.xml"]
    with pytest.raises(ArchiveError, match="no fetch"):
        store.finish_fetch(
            fetch_id,
            status="error",
            error="gone with the block",
            feed_id=None,
            parsed=None,
            raw=None,
            counts=IngestCounts(),
            now=T0,
        )

    raw = b"<feed>half</feed>"
    store.record_failed_fetch(
        "/data/new.xml",
        "file",
        error="the next batch could not be normalized",
        parsed=OTHER_FEED,
        raw=raw,
        started_at=T0,
        now=T0 + timedelta(seconds=3),
    )
    failed = {s.location: s for s in store.list_sources()}["/data/new.xml"]
    assert (failed.fetch_count, failed.error_count, failed.last_status, failed.articles) == (
        1,
        1,
        "error",
        0,
    )
    assert failed.last_error == "the next batch could not be normalized"
    assert failed.last_fetch_at == T0 + timedelta(seconds=3)
    assert store.raw_blob(hashlib.sha256(raw).hexdigest()) == raw


def test_a_nested_block_that_fails_is_undone_alone(store: Store) -> None:
    with store.transaction():
        source_id = store.upsert_source("/data/sc.xml", "file", T0)
        fetch_id = store.begin_fetch(source_id, T0)
        with pytest.raises(ValueError), store.transaction():
            feed_id = store.upsert_feed("/data/sc.xml#feed", FEED, T0)
            store.save_articles(feed_id, source_id, fetch_id, [make_article(1)], T0)
            naive = datetime(2024, 3, 1, 12, 0)
            store.save_articles(feed_id, source_id, fetch_id, [make_article(2)], naive)
        store.finish_fetch(
            fetch_id,
            status="error",
            error="a naive clock",
            feed_id=None,
            parsed=None,
            raw=None,
            counts=IngestCounts(),
            now=T0,
        )
    assert store.count_articles() == 0
    [source] = store.list_sources()
    assert (source.last_status, source.last_error, source.error_count) == (
        "error",
        "a naive clock",
        1,
    )
    assert source.feed_title is None


# -- values at the edges ---------------------------------------------------------------


def test_awkward_strings_and_empty_values_round_trip(store: Store) -> None:
    awkward = 'a "quoted" \\ back{slash}, NULL; {"json": [1]} %s ? ?1 :name'
    bare = replace(
        make_article(1, title=awkward, body=awkward, authors=(), categories=("", "{}")),
        url=None,
        guid=None,
        summary="",
        content_html=None,
        published_raw=None,
        language=None,
    )
    plain = replace(make_article(2, title=""), summary=None, original_url=awkward)
    assert Ingest(store)([bare, plain]) == IngestCounts(new=2)
    got = {a.key: a for a in store.list_articles()}
    first, second = got[bare.key], got[plain.key]
    assert (first.title, first.text, first.summary) == (awkward, awkward, "")
    assert (first.url, first.guid, first.content_html, first.language) == (None,) * 4
    assert (first.authors, first.categories, first.published, first.published_raw) == (
        (),
        ("", "{}"),
        None,
        None,
    )
    assert (second.title, second.summary, second.original_url) == ("", None, awkward)


def test_raw_bytes_packed_ahead_are_kept_as_given(store: Store) -> None:
    raw = b"<rss>" + "Новости ".encode() * 1_000 + b"</rss>"
    packed = pack_raw(raw)
    assert packed.size == len(raw) and len(packed.data) < len(raw) // 4
    Ingest(store)([make_article(1)], raw=packed)
    Ingest(store)([make_article(1)], now=T0 + timedelta(hours=1), raw=raw)
    assert store.raw_blob(packed.sha256) == raw
    [source] = store.list_sources()
    detail = store.get_article(store.list_articles()[0].id)
    assert detail is not None
    assert {f.blob_sha256 for f in detail.fetches} == {hashlib.sha256(raw).hexdigest()}
    assert source.fetch_count == 2


def test_raw_bytes_kept_by_earlier_versions_still_read(store: Store, store_target: str) -> None:
    raw = b"<rss>" + "Новости ".encode() * 1_000 + b"</rss>"
    digest = hashlib.sha256(raw).hexdigest()
    engine = create_archive_engine(store_target)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO blobs (sha256, size, data) VALUES (:d, :n, :z)"),
            {"d": digest, "n": len(raw), "z": zlib.compress(raw, 9)},
        )
    engine.dispose()
    assert store.raw_blob(digest) == raw


# -- both backends agree ---------------------------------------------------------------


def _scenario(target: str) -> list[tuple[object, ...]]:
    store = open_store(target)
    try:
        ingest = Ingest(store)
        ingest(
            [
                make_article(1, published=datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=UTC)),
                make_article(2, date_flag="missing"),
                make_article(3, title="ОДКБ", published=datetime(1999, 12, 31, tzinfo=UTC)),
                make_article(4, enclosures=(Enclosure("https://e.org/a.jpg", "image/jpeg"),)),
            ]
        )
        ingest([make_article(1, body="changed")], now=T0 + timedelta(days=1))
        Ingest(store, "/data/other.xml", OTHER_FEED)([make_article(2)], now=T0)
        rows: list[tuple[object, ...]] = [astuple(a) for a in store.list_articles()]
        rows += [astuple(s) for s in store.list_sources()]
        rows += [(len(store.list_articles(source="мировые")),)]
        return rows
    finally:
        store.close()


def test_both_backends_give_identical_results(every_backend_target: dict[str, str]) -> None:
    sqlite_rows = _scenario(every_backend_target["sqlite"])
    assert sqlite_rows == _scenario(every_backend_target["postgresql"])
    assert len(sqlite_rows) == 4 + 2 + 1
