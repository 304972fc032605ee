"""Search through the archive facade, on both backends, held to one reference matcher.

Every query here runs on SQLite (tantivy) and PostgreSQL (tsvector); the ids each returns
must equal those the pure-Python oracle (tests/search_oracle.py) finds in the same
documents, so the two backends agree with each other and with the documented language.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BACKENDS, archive_at
from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.errors import QuerySyntaxError, UsageError
from presswatch.search.documents import SearchDoc, search_doc
from presswatch.search.indexes import index_path
from presswatch.store.records import StoredArticle
from presswatch.text.tokens import tokenize
from search_corpus import write_corpus
from search_oracle import expected_ids

QUERIES = [
    "CSTO",
    "csto AND kazakhstan",
    "CSTO Kazakhstan",
    "CSTO OR Kyrgyzstan",
    "CSTO -Kazakhstan",
    "CSTO NOT (Kazakhstan OR Kyrgyzstan)",
    "NOT CSTO",
    '"collective security treaty organization"',
    '"Collective Security"',
    "kazakh*",
    "kaz*",
    '"peacekeeping forces"',
    '"csto peacekeeping"~3',
    '"peacekeeping csto"~3',
    '"csto peacekeeping"~0',
    '"peace keeping"',
    "peacekeeping -peace",
    "title:CSTO",
    "text:Almaty",
    "title:(kazakhstan OR kyrgyzstan)",
    'author:"Anna Petrova"',
    "author:petrova",
    "source:eurasia-monitor.example",
    'source:"Eurasia Monitor"',
    "url:novosti",
    "lang:ru",
    "lang:en",
    "tokaev",
    "Tokáev",
    "токаев",
    "одкб AND ёлка",
    "елка",
    '"u.s."',
    "U.S. officials",
    "published:2022",
    "published:2022-01",
    "published:[2021-10-01 TO 2022-01-07]",
    "CSTO published:[2022-01-01 TO *]",
    "published:<2022",
    "csto AND published:2022-09",
    "(CSTO OR ОДКБ) AND (Kazakhstan OR Казахстан)",
    "republished_from:*",
]


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Archive, list[SearchDoc]]]:
    """One archive per backend holding the seed and the crafted feeds, with its documents."""
    folder = tmp_path_factory.mktemp("corpus")
    files = write_corpus(folder / "feeds")
    with archive_at(request.param, folder) as target:
        archive = open_archive(target)
        try:
            reports = archive.ingest([str(f) for f in files])
            assert all(r.status == "ok" for r in reports), reports
            ids = [a.id for a in archive.articles()]
            docs = [search_doc(s) for s in archive.store.search_sources(ids)]
            yield archive, docs
        finally:
            archive.close()


def _ids(archive: Archive, query: str) -> tuple[set[int], int]:
    result = archive.search(query, sort="newest", limit=1000)
    return {h.article.id for h in result.hits}, result.total


@pytest.mark.parametrize("query", [q for q in QUERIES if q != "republished_from:*"])
def test_each_query_matches_exactly_what_the_language_says(corpus, query: str) -> None:
    archive, docs = corpus
    _, plan = archive.search_service.parse(query)
    want = expected_ids(plan, docs)
    got, total = _ids(archive, query)
    assert got == want
    assert total == len(want)


def test_the_corpus_exercises_the_queries(corpus) -> None:
    """Guards the test above: most queries must find something and miss something."""
    archive, docs = corpus
    informative = 0
    for query in QUERIES[:-1]:
        _, plan = archive.search_service.parse(query)
        n = len(expected_ids(plan, docs))
        informative += 0 < n < len(docs)
    assert informative >= len(QUERIES) - 4


def test_seed_answers_csto_and_kazakhstan_with_the_articles_holding_both(corpus) -> None:
    archive, _ = corpus
    seed = [a for a in archive.articles() if "strategic-culture" in (a.url or "")]
    assert len(seed) == 10
    both = {
        a.id
        for a in seed
        if {"csto", "kazakhstan"} <= set(tokenize(a.title)) | set(tokenize(a.text))
    }
    got, _ = _ids(archive, "CSTO AND Kazakhstan AND url:strategic")
    assert both and got == both


def test_accents_case_and_scripts_are_folded(corpus) -> None:
    archive, _ = corpus
    assert _ids(archive, "Tokáev")[0] == _ids(archive, "tokaev")[0] != set()
    assert _ids(archive, "ёлка")[0] == _ids(archive, "ЕЛКА")[0] != set()


def test_title_matches_rank_first_and_snippets_mark_the_words(corpus) -> None:
    archive, _ = corpus
    result = archive.search("peacekeepers", limit=5)
    assert result.hits
    top = result.hits[0]
    assert "peacekeepers" in top.article.title.lower()
    assert any(hit and text.lower() == "peacekeepers" for text, hit in top.title)
    result = archive.search("almaty")
    for hit in result.hits:
        marked = [text for text, is_match in hit.snippet if is_match]
        assert marked and all(t.lower() == "almaty" for t in marked)


def test_sort_orders_and_pages(corpus) -> None:
    archive, _ = corpus
    newest = archive.search("CSTO", sort="newest", limit=100)
    dates = [h.article.published or h.article.first_seen for h in newest.hits]
    assert dates == sorted(dates, reverse=True)
    oldest = archive.search("CSTO", sort="oldest", limit=100)

    def key(a: StoredArticle) -> tuple[datetime, int]:
        return (a.published or a.first_seen, a.id)

    assert [h.article for h in oldest.hits] == sorted((h.article for h in oldest.hits), key=key)
    assert [h.article.id for h in newest.hits] == [
        a.id for a in sorted((h.article for h in newest.hits), key=key, reverse=True)
    ]
    assert {h.article.id for h in oldest.hits} == {h.article.id for h in newest.hits}
    first = archive.search("CSTO", sort="newest", limit=3)
    second = archive.search("CSTO", sort="newest", limit=3, offset=3)
    assert [h.article.id for h in first.hits + second.hits] == [
        h.article.id for h in newest.hits[:6]
    ]
    assert first.total == newest.total
    assert archive.search("CSTO", limit=0).hits == []
    assert archive.search("CSTO", limit=0).total == newest.total


def test_top_sources_and_authors_count_every_match(corpus) -> None:
    archive, docs = corpus
    _, plan = archive.search_service.parse("CSTO")
    matching = [d for d in docs if d.id in expected_ids(plan, docs)]
    authors: dict[str, int] = {}
    for d in matching:
        for a in d.authors:
            authors[a] = authors.get(a, 0) + 1
    rows = archive.top("authors", "CSTO", limit=50)
    assert {r.value: r.count for r in rows} == authors
    assert all(r.of == len(matching) for r in rows)
    sources = archive.top("sources", "CSTO", limit=50)
    assert sum(r.count for r in sources) == len(matching)
    assert [r.count for r in sources] == sorted((r.count for r in sources), reverse=True)


def test_top_terms_leave_out_stop_words_and_the_query(corpus) -> None:
    archive, _ = corpus
    rows = archive.top("terms", "kazakhstan", limit=15)
    assert rows
    terms = [r.value for r in rows]
    assert "kazakhstan" not in terms
    assert not {"the", "and", "of", "in", "to"} & set(terms)


def test_timeline_marks_gaps_in_collection(corpus) -> None:
    archive, docs = corpus
    tl = archive.timeline(["CSTO", "Kyrgyzstan"], by="month")
    assert tl.labels == ["CSTO", "Kyrgyzstan"]
    by_month: dict[date, int] = {}
    for d in docs:
        month = d.when.date().replace(day=1)
        by_month[month] = by_month.get(month, 0) + 1
    for i, period in enumerate(tl.periods):
        assert tl.totals[i] == by_month.get(period, 0)
        assert tl.gaps[i] == (period not in by_month)
    assert any(tl.gaps), "the corpus has months with nothing archived"
    _, plan = archive.search_service.parse("CSTO")
    assert sum(tl.counts["CSTO"]) == len(expected_ids(plan, docs))
    shares = archive.timeline(["CSTO"], by="month", normalize=True).shares["CSTO"]
    assert all((s is None) == g for s, g in zip(shares, tl.gaps, strict=True))


def test_saved_queries_are_used_by_name(corpus) -> None:
    archive, docs = corpus
    archive.save_query("csto", 'CSTO OR ОДКБ OR "Collective Security Treaty Organization"')
    got, _ = _ids(archive, "@csto AND published:2022-01")
    _, plan = archive.search_service.parse(
        '(CSTO OR ОДКБ OR "Collective Security Treaty Organization") AND published:2022-01'
    )
    assert got == expected_ids(plan, docs) != set()
    assert "csto" in [q.name for q in archive.saved_queries()]
    with pytest.raises(QuerySyntaxError, match="no saved query named @nothing"):
        archive.search("@nothing")
    archive.save_query("loop_a", "kazakhstan")
    with pytest.raises(QuerySyntaxError):
        archive.save_query("loop_b", "@loop_a OR @loop_b")
    with pytest.raises(UsageError):
        archive.save_query("1bad name", "x")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"CSTO',
        "(CSTO",
        "CSTO)",
        "AND",
        "CSTO AND",
        "OR CSTO",
        "NOT",
        "nosuchfield:x",
        "published:[2022-01-01 TO 2021-01-01]",
        "published:2022-13",
        '"a b"~x',
        "x" * 10_001,
        "(" * 200 + "x" + ")" * 200,
    ],
)
def test_malformed_queries_get_a_clear_error(corpus, query: str) -> None:
    archive, _ = corpus
    with pytest.raises(QuerySyntaxError) as caught:
        archive.search(query)
    assert str(caught.value)
    assert 0 <= caught.value.position <= len(query)


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE articles; --",
        "csto' OR '1'='1",
        '"NEAR(csto kazakhstan)"',
        "csto^2",
        '"a * b : c ^ d ( e )"',
        'title:"x\') OR 1=1 --"',
        "x:*:*",
    ],
)
def test_hostile_text_is_only_ever_searched_for(corpus, query: str) -> None:
    archive, docs = corpus
    try:
        _, plan = archive.search_service.parse(query)
    except QuerySyntaxError:
        return
    got, _ = _ids(archive, query)
    assert got == expected_ids(plan, docs)
    assert archive.count() == len(docs)


def _generated_queries() -> st.SearchStrategy[str]:
    try:
        from query_strategies import valid_queries
    except ImportError:  # pragma: no cover - the strategy module ships with the parser tests
        pytest.skip("tests/query_strategies.py is missing")
    return valid_queries()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_queries_agree_with_the_oracle(corpus, data: st.DataObject) -> None:
    archive, docs = corpus
    query = data.draw(_generated_queries())
    try:
        _, plan = archive.search_service.parse(query)
    except QuerySyntaxError:
        return  # e.g. a word with nothing searchable, or an unknown @name
    got, total = _ids(archive, query)
    assert got == expected_ids(plan, docs)
    assert total == len(got)


# -- the index follows the archive ----------------------------------------------------------


def _feed(tmp_path: Path, name: str, title: str, words: str) -> Path:
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://t.example/</link>"
        f"<item><title>{title}</title><link>https://t.example/{name}</link>"
        f"<description>{words}</description>"
        "<pubDate>Mon, 03 Jan 2022 10:00:00 +0000</pubDate></item></channel></rss>",
        encoding="utf-8",
    )
    return path


def test_a_search_right_after_an_ingest_sees_the_new_articles(
    archive_target: str, tmp_path: Path
) -> None:
    with open_archive(archive_target) as archive:
        assert archive.search("zanzibar").total == 0
        archive.ingest([str(_feed(tmp_path, "a.xml", "Zanzibar news", "zanzibar today"))])
        assert archive.search("zanzibar").total == 1
        archive.ingest([str(_feed(tmp_path, "b.xml", "More", "zanzibar again"))])
        assert archive.search("zanzibar").total == 2


def test_articles_written_without_indexing_are_indexed_on_the_next_search(
    archive_target: str, tmp_path: Path
) -> None:
    """The change log is in the archive: a process that stops after writing articles and
    before indexing them loses nothing."""
    with open_archive(archive_target) as archive:
        data = _feed(tmp_path, "c.xml", "Quokka", "quokka sighted").read_bytes()
        archive.ingest_bytes(data, location=str(tmp_path / "c.xml"))
        assert archive.store.count_search_pending() == 1
    with open_archive(archive_target) as archive:
        assert archive.search("quokka").total == 1
        assert archive.store.count_search_pending() == 0


def test_an_updated_article_is_found_by_its_new_words_only(
    archive_target: str, tmp_path: Path
) -> None:
    with open_archive(archive_target) as archive:
        archive.ingest([str(_feed(tmp_path, "d.xml", "Same", "walrus first"))])
        path = _feed(tmp_path, "d.xml", "Same", "narwhal second")
        archive.ingest([str(path)])
        assert archive.search("narwhal").total == 1
        assert archive.search("walrus").total == 0


def test_reindex_rebuilds_the_same_answers(archive_target: str, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "feeds")
    with open_archive(archive_target) as archive:
        archive.ingest([str(f) for f in files])
        before = {q: _ids(archive, q) for q in QUERIES[:12]}
        assert archive.reindex() == archive.count()
        assert {q: _ids(archive, q) for q in QUERIES[:12]} == before


def test_a_lost_index_folder_is_rebuilt_by_itself(tmp_path: Path) -> None:
    target = str(tmp_path / "a.db")
    files = write_corpus(tmp_path / "feeds")
    with open_archive(target) as archive:
        archive.ingest([str(f) for f in files])
        before = _ids(archive, "CSTO")
    shutil.rmtree(index_path(target))
    with open_archive(target) as archive:
        assert _ids(archive, "CSTO") == before
