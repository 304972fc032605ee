"""The tantivy engine: each plan matches exactly the expected articles, orders follow the
protocol's tie rules, and the index folder survives reopening, locking and old versions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import presswatch.search.tantivy_index as tantivy_index
from presswatch.errors import ArchiveError, SearchIndexBusy
from presswatch.search.documents import SearchDoc, SearchSource, sample_key, search_doc
from presswatch.search.engine import Sort
from presswatch.search.plan import (
    TITLE_BOOST,
    All,
    AnyOf,
    Everything,
    Match,
    Near,
    Plan,
    When,
    Without,
    near_layouts,
)
from presswatch.search.tantivy_index import MARKER, SCHEMA_VERSION, TantivyIndex

EURASIA = ("Eurasia Daily", "https://www.eurasia.example/")
RU = ("Новости", "https://ru.example/")
WIRE = ("Wire desk", None)


def put(index: TantivyIndex, docs: Sequence[SearchDoc]) -> None:
    """Index and commit, as the search service does at the end of a catch-up."""
    index.upsert(docs)
    index.commit()


def doc(
    id: int,
    title: str,
    text: str,
    *,
    published: datetime | None,
    authors: tuple[str, ...] = (),
    feed: tuple[str, str | None] = EURASIA,
    language: str | None = "en",
    republished_from: str | None = None,
    first_seen: datetime = datetime(2022, 2, 1, 8, 0, tzinfo=UTC),
) -> SearchDoc:
    return search_doc(
        SearchSource(
            id=id,
            title=title,
            text=text,
            authors=authors,
            url=f"{feed[1] or 'https://wire.example/'}news/{id}",
            original_url=None,
            language=language,
            republished_from=republished_from,
            published=published,
            first_seen=first_seen,
            feed_title=feed[0],
            feed_link=feed[1],
            source_location="feeds/local.xml",
        )
    )


def at(
    y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, tz: timezone = UTC
) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=tz)


CORPUS = [
    doc(
        1,
        "CSTO peacekeepers land in Kazakhstan",
        "CSTO peacekeeping forces arrived in Almaty after President Tokayev asked for help.",
        published=at(2022, 1, 6, 10),
        authors=("Anna Petrova",),
    ),
    doc(
        2,
        "Kazakhstan unrest: what we know",
        "Protests in Kazakhstan spread to Almaty. The peacekeeping forces of the CSTO were "
        "deployed within days.",
        published=at(2022, 1, 7, 12, 30),
        authors=("John Smith", "Anna Petrova"),
    ),
    doc(
        3,
        "Tokáev thanks allies",
        "Kassym-Jomart Tokáev thanked the CSTO. Tokaev said the mission was over.",
        published=at(2022, 1, 13),
        authors=("John Smith",),
    ),
    doc(
        4,
        "Токаев поблагодарил ОДКБ",
        "Президент Казахстана Токаев поблагодарил союзников. Ёлка стояла в зале.",
        published=at(2022, 1, 14, 1, tz=timezone(timedelta(hours=3))),
        authors=("Иван Ёлкин",),
        feed=RU,
        language="ru",
    ),
    doc(
        5,
        "U.S. responds",
        "The U.S. State Department said the us embassy remains open. Officials in the US agree.",
        published=at(2022, 1, 6, 10),
        authors=("Mary O'Neil",),
    ),
    doc(
        6,
        "Market report",
        "Buffalo buffalo buffalo buffalo buffalo. Alpha x x beta; gamma y delta.",
        published=datetime(2021, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ),
    doc(
        7,
        "Almaty mayor resigns",
        "The city official stepped down on Monday.",
        published=at(2022, 1, 10, 9),
    ),
    doc(
        8,
        "Undated note on the CSTO",
        "A note without a date about peacekeeping. Buffalo wings were served.",
        published=None,
    ),
    doc(
        9,
        "Reuters: oil prices rise",
        "Oil prices rose on Monday in Zürich trading; the café was full.",
        published=at(2022, 1, 13, 23, 59),
        feed=WIRE,
        republished_from="Reuters",
    ),
]
ALL_IDS = {d.id for d in CORPUS}


def either(*tokens: str, prefix: bool = False) -> Plan:
    return AnyOf((Match("title", tokens, prefix), Match("text", tokens, prefix)))


def ids(index: TantivyIndex, plan: Plan) -> set[int]:
    hits = index.search(plan, sort="relevance", limit=100)
    found = [i for i, _ in hits.ids]
    assert len(found) == len(set(found)) == hits.total
    return set(found)


@pytest.fixture(scope="module")
def index() -> Iterator[TantivyIndex]:
    ix = TantivyIndex(None)
    put(ix, CORPUS)
    yield ix
    ix.close()


# -- what matches ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (Match("text", ("csto",)), {1, 2, 3}),
        (Match("title", ("csto",)), {1, 8}),
        (either("tokaev"), {3}),  # Tokáev is folded; Tokayev is another word
        (either("токаев"), {4}),
        (either("елка"), {4}),  # Ёлка folds to елка
        (either("zurich"), {9}),
        (either("cafe"), {9}),
        (Match("lang", ("ru",)), {4}),
        (Match("author", ("petrova",)), {1, 2}),
        (Match("source", ("eurasia", "example")), ALL_IDS - {4, 9}),
        (Match("republished_from", ("reuters",)), {9}),
        (Match("url", ("news", "5")), {5}),
        (either("nothinglikethis"), set()),
        (Everything(), ALL_IDS),
    ],
)
def test_words_in_fields(index: TantivyIndex, plan: Plan, expected: set[int]) -> None:
    assert ids(index, plan) == expected


def test_a_phrase_needs_the_words_next_to_each_other(index: TantivyIndex) -> None:
    assert ids(index, Match("text", ("csto", "peacekeeping"))) == {1}
    words = All((Match("text", ("csto",)), Match("text", ("peacekeeping",))))
    assert ids(index, words) == {1, 2}


def test_an_abbreviation_is_a_phrase_of_its_letters(index: TantivyIndex) -> None:
    # "U.S." is the phrase "u s"; a bare "us" is another word.
    assert ids(index, Match("text", ("u", "s"))) == {5}
    assert ids(index, Match("title", ("u", "s"))) == {5}
    assert ids(index, Match("text", ("s", "u"))) == set()


def test_repeated_words_in_a_phrase_need_each_occurrence(index: TantivyIndex) -> None:
    assert ids(index, Match("text", ("buffalo",) * 5)) == {6}
    assert ids(index, Match("text", ("buffalo",) * 6)) == set()
    assert ids(index, Match("text", ("buffalo",))) == {6, 8}


def test_prefix(index: TantivyIndex) -> None:
    assert ids(index, either("kazakh", prefix=True)) == {1, 2}
    assert ids(index, either("toka", prefix=True)) == {1, 3}
    assert ids(index, Match("text", ("peace",), prefix=True)) == {1, 2, 8}
    assert ids(index, Match("title", ("peace",), prefix=True)) == {1}
    assert ids(index, either("зал", prefix=True)) == {4}


def test_phrase_prefix(index: TantivyIndex) -> None:
    assert ids(index, Match("text", ("president", "toka"), prefix=True)) == {1}
    assert ids(index, Match("text", ("csto", "peace"), prefix=True)) == {1}
    assert ids(index, Match("title", ("csto", "peace"), prefix=True)) == {1}
    assert ids(index, Match("text", ("the", "c"), prefix=True)) == {2, 3, 7, 9}
    assert ids(index, Match("text", ("peace", "c"), prefix=True)) == set()


def test_a_phrase_prefix_expands_to_every_word_it_starts() -> None:
    # tantivy's own phrase-prefix query keeps only 50 expansions.
    docs = [doc(i, "t", f"zeta pa{i} end", published=at(2022, 1, 1)) for i in range(1, 81)]
    ix = TantivyIndex(None)
    put(ix, docs)
    assert ids(ix, Match("text", ("zeta", "pa"), prefix=True)) == set(range(1, 81))
    assert ids(ix, Match("text", ("zeta", "pa1"), prefix=True)) == {1, *range(10, 20)}


def test_a_phrase_prefix_wider_than_tantivy_allows_still_runs() -> None:
    # tantivy refuses a phrase whose words expand to more than 16,384 terms.
    many = " ".join(f"pa{i}" for i in range(17_000))
    ix = TantivyIndex(None)
    put(
        ix,
        [
            doc(1, "t", many, published=at(2022, 1, 1)),
            doc(2, "t", "zeta pa16999 end", published=at(2022, 1, 1)),
            doc(3, "t", "zeta pb end", published=at(2022, 1, 1)),
        ],
    )
    assert ids(ix, Match("text", ("zeta", "pa"), prefix=True)) == {2}
    assert ids(ix, Match("text", ("pa16998", "pa"), prefix=True)) == {1}


def test_a_wide_phrase_prefix_is_split_yet_matches_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    words = ["pa", "pa1", "pa10", "pa11", "pa2", "pa20", "pab", "pac", "pb", "pa1x"]
    docs = [doc(i, "t", f"zeta {w}", published=at(2022, 1, 1)) for i, w in enumerate(words, 1)]
    docs.append(doc(99, "t", "pa zeta pa1", published=at(2022, 1, 1)))
    ix = TantivyIndex(None)
    put(ix, docs)
    expected = {i for i, w in enumerate(words, 1) if w.startswith("pa")}
    monkeypatch.setattr(tantivy_index, "MAX_EXPANSIONS", 4)
    assert ids(ix, Match("text", ("zeta", "pa"), prefix=True)) == expected | {99}
    assert ids(ix, Match("text", ("zeta", "pa1"), prefix=True)) == {2, 3, 4, 10, 99}


def near(field: str, tokens: tuple[str, ...], slop: int) -> Near:
    return Near(field, near_layouts(tokens, slop))


def test_near_two_words_in_either_order_up_to_the_distance(index: TantivyIndex) -> None:
    # Doc 2: "peacekeeping forces of the csto": three words between, reversed.
    assert ids(index, near("text", ("csto", "peacekeeping"), 3)) == {1, 2}
    assert ids(index, near("text", ("csto", "peacekeeping"), 2)) == {1}
    assert ids(index, near("text", ("peacekeeping", "csto"), 3)) == {1, 2}
    assert ids(index, near("text", ("peacekeeping", "csto"), 2)) == {1}
    assert ids(index, near("text", ("alpha", "beta"), 2)) == {6}
    assert ids(index, near("text", ("alpha", "beta"), 1)) == set()


def test_near_three_words_only_in_order(index: TantivyIndex) -> None:
    assert ids(index, near("text", ("peacekeeping", "forces", "csto"), 2)) == {2}
    assert ids(index, near("text", ("peacekeeping", "forces", "csto"), 1)) == set()
    assert ids(index, near("text", ("csto", "forces", "peacekeeping"), 5)) == set()
    assert ids(index, near("text", ("alpha", "beta", "delta"), 2)) == {6}
    assert ids(index, near("text", ("alpha", "beta", "delta"), 1)) == set()


def test_near_a_repeated_word_needs_two_occurrences(index: TantivyIndex) -> None:
    assert ids(index, near("text", ("buffalo", "buffalo"), 3)) == {6}


def test_near_layouts_are_exact_placements(index: TantivyIndex) -> None:
    assert ids(index, Near("text", (((0, "alpha"), (3, "beta")),))) == {6}
    assert ids(index, Near("text", (((0, "alpha"), (2, "beta")),))) == set()
    assert ids(index, Near("text", (((0, "beta"), (3, "alpha")),))) == set()
    assert ids(index, Near("text", (((0, "buffalo"), (4, "buffalo")),))) == {6}
    assert ids(index, Near("text", (((0, "buffalo"), (5, "buffalo")),))) == set()


def test_when_is_start_inclusive_end_exclusive(index: TantivyIndex) -> None:
    assert ids(index, When(at(2022, 1, 6, 10), at(2022, 1, 7, 12, 30))) == {1, 5}
    assert ids(index, When(at(2022, 1, 6, 10), at(2022, 1, 7, 12, 31))) == {1, 2, 5}
    assert ids(index, When(at(2022, 1, 6, 10, 0, 1), at(2022, 1, 8))) == {2}
    last_moment = datetime(2021, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    tick = timedelta(microseconds=1)
    assert ids(index, When(last_moment, at(2022, 1, 1))) == {6}
    assert ids(index, When(at(2021, 1, 1), last_moment)) == set()
    assert ids(index, When(at(2021, 1, 1), last_moment + tick)) == {6}
    assert ids(index, When(last_moment + tick, at(2022, 1, 1))) == set()


def test_when_compares_moments_whatever_their_timezone(index: TantivyIndex) -> None:
    moscow = timezone(timedelta(hours=3))
    assert ids(index, When(at(2022, 1, 6, 13, tz=moscow), at(2022, 1, 6, 14, tz=moscow))) == {1, 5}
    # Doc 4 is 01:00 on the 14th in Moscow: the 13th in UTC.
    assert ids(index, When(at(2022, 1, 13), at(2022, 1, 14))) == {3, 4, 9}


def test_undated_articles_use_first_seen(index: TantivyIndex) -> None:
    assert ids(index, When(at(2022, 2, 1), at(2022, 2, 2))) == {8}


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (Without(Match("text", ("csto",))), ALL_IDS - {1, 2, 3}),
        (All((Without(Match("text", ("csto",))), Without(either("almaty")))), {4, 5, 6, 8, 9}),
        (All((either("csto"), Without(either("kazakhstan")))), {3, 8}),
        (All((either("csto"), When(at(2022, 1, 7), at(2022, 2, 1)))), {2, 3}),
        (AnyOf((either("almaty"), Match("lang", ("ru",)))), {1, 2, 4, 7}),
        (AnyOf((Without(either("csto")), Match("text", ("peacekeeping",)))), ALL_IDS - {3}),
        (All((AnyOf((either("tokaev"), either("u", "s"))), Without(Match("title", ("u",))))), {3}),
        (Without(Everything()), set()),
        (Without(Without(either("csto"))), {1, 2, 3, 8}),
        (AnyOf(()), set()),
    ],
)
def test_combinations(index: TantivyIndex, plan: Plan, expected: set[int]) -> None:
    assert ids(index, plan) == expected


# -- ranking and order ----------------------------------------------------------------------


def test_a_title_match_counts_title_boost_times_a_text_match() -> None:
    # Both fields have the same statistics, so only the boost tells the two apart; the
    # title match has the higher id, so a tie would put it second.
    ix = TantivyIndex(None)
    put(
        ix,
        [
            doc(1, "two three", "zebra one", published=at(2022, 1, 1)),
            doc(2, "zebra one", "two three", published=at(2022, 1, 1)),
        ],
    )
    hits = ix.search(either("zebra"), sort="relevance", limit=10).ids
    assert [i for i, _ in hits] == [2, 1]
    title_score, text_score = (s for _, s in hits)
    assert title_score is not None and text_score is not None
    assert title_score == pytest.approx(TITLE_BOOST * text_score, rel=1e-4)


def test_more_occurrences_rank_higher(index: TantivyIndex) -> None:
    hits = index.search(either("buffalo"), sort="relevance", limit=10).ids
    assert [i for i, _ in hits] == [6, 8]
    assert all(s is not None and s > 0 for _, s in hits)


def test_dates_and_exclusions_do_not_change_scores(index: TantivyIndex) -> None:
    plain = dict(index.search(either("csto"), sort="relevance", limit=10).ids)
    narrowed = All((either("csto"), When(at(2022, 1, 1), at(2022, 2, 1)), Without(either("zzz"))))
    expected = {i: s for i, s in plain.items() if i != 8}
    assert dict(index.search(narrowed, sort="relevance", limit=10).ids) == pytest.approx(expected)


def test_newest_and_oldest(index: TantivyIndex) -> None:
    newest = [i for i, s in index.search(Everything(), sort="newest", limit=100).ids]
    # 1 and 5 share a moment: higher id first when newest, lower id first when oldest.
    assert newest == [8, 9, 4, 3, 7, 2, 5, 1, 6]
    oldest = [i for i, s in index.search(Everything(), sort="oldest", limit=100).ids]
    assert oldest == [6, 1, 5, 2, 7, 3, 4, 9, 8]
    scores = {s for _, s in index.search(Everything(), sort="newest", limit=100).ids}
    assert scores == {None}


def tied(n: int, *, descending_ids: bool) -> list[SearchDoc]:
    """`n` identical articles at one moment, indexed in the given id order."""
    order = range(n, 0, -1) if descending_ids else range(1, n + 1)
    return [doc(i, "same title", "same words here", published=at(2022, 3, 1)) for i in order]


@pytest.mark.parametrize("descending_ids", [True, False])
def test_ties_follow_the_protocol_whatever_the_indexing_order(descending_ids: bool) -> None:
    ix = TantivyIndex(None)
    docs = tied(12, descending_ids=descending_ids)
    put(ix, docs[:5])
    put(ix, docs[5:])
    ascending, descending = list(range(1, 13)), list(range(12, 0, -1))
    orders: list[tuple[Sort, list[int]]] = [
        ("relevance", ascending),
        ("oldest", ascending),
        ("newest", descending),
    ]
    for sort, expected in orders:
        for plan in (either("same"), Everything()):
            hits = ix.search(plan, sort=sort, limit=100)
            assert [i for i, _ in hits.ids] == expected, (sort, plan)
            page = ix.search(plan, sort=sort, limit=3, offset=4)
            assert [i for i, _ in page.ids] == expected[4:7], (sort, plan)
            assert page.total == 12


def test_offset_limit_and_total(index: TantivyIndex) -> None:
    full = [i for i, _ in index.search(Everything(), sort="oldest", limit=100).ids]
    page = index.search(Everything(), sort="oldest", limit=3, offset=2)
    assert [i for i, _ in page.ids] == full[2:5]
    assert page.total == len(CORPUS)
    beyond = index.search(Everything(), sort="oldest", limit=3, offset=50)
    assert beyond.ids == [] and beyond.total == len(CORPUS)
    ranked = index.search(either("csto"), sort="relevance", limit=2, offset=1)
    every = index.search(either("csto"), sort="relevance", limit=10)
    assert ranked.ids == every.ids[1:3] and ranked.total == every.total == 4


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_limit_zero_counts_only(index: TantivyIndex, sort: Sort) -> None:
    hits = index.search(either("csto"), sort=sort, limit=0)
    assert hits.total == 4 and hits.ids == []
    assert index.search(either("nothinglikethis"), sort=sort, limit=0).total == 0


# -- counts and samples -----------------------------------------------------------------------


def test_day_counts_by_utc_day(index: TantivyIndex) -> None:
    assert index.day_counts(Everything()) == {
        date(2021, 12, 31): 1,
        date(2022, 1, 6): 2,
        date(2022, 1, 7): 1,
        date(2022, 1, 10): 1,
        date(2022, 1, 13): 3,
        date(2022, 2, 1): 1,
    }
    assert index.day_counts(either("csto")) == {
        date(2022, 1, 6): 1,
        date(2022, 1, 7): 1,
        date(2022, 1, 13): 1,
        date(2022, 2, 1): 1,
    }
    assert index.day_counts(either("nothinglikethis")) == {}


def test_facet_counts(index: TantivyIndex) -> None:
    # Ties in code point order: upper case before lower case.
    assert index.facet_counts(Everything(), "source", 10) == [
        ("eurasia.example", 7),
        ("Wire desk", 1),
        ("ru.example", 1),
    ]
    # An article with two authors counts for each; ties by value.
    assert index.facet_counts(Everything(), "author", 10) == [
        ("Anna Petrova", 2),
        ("John Smith", 2),
        ("Mary O'Neil", 1),
        ("Иван Ёлкин", 1),
    ]
    assert index.facet_counts(either("csto"), "author", 1) == [("Anna Petrova", 2)]
    assert index.facet_counts(Everything(), "author", 2) == [("Anna Petrova", 2), ("John Smith", 2)]
    assert index.facet_counts(Everything(), "republished", 5) == [("Reuters", 1)]
    assert index.facet_counts(either("csto"), "republished", 5) == []
    assert index.facet_counts(Everything(), "author", 0) == []


def test_facet_ties_are_cut_by_value_not_by_index_order() -> None:
    ix = TantivyIndex(None)
    names = [f"Author {c}" for c in "QWERTYUIOPASDFGHJKLZXCVBNM"]
    for k, name in enumerate(names):
        put(ix, [doc(k + 1, "t", "words", published=at(2022, 1, 1), authors=(name,))])
    assert ix.facet_counts(Everything(), "author", 3) == [(n, 1) for n in sorted(names)[:3]]


def test_sample_takes_the_lowest_sample_keys(index: TantivyIndex) -> None:
    matching = [1, 2, 3, 8]
    expected = sorted(matching, key=sample_key)
    assert index.sample(either("csto"), 2) == expected[:2]
    assert index.sample(either("csto"), 2) == expected[:2]
    assert index.sample(either("csto"), 10) == expected
    assert index.sample(Everything(), 0) == []


# -- changes ------------------------------------------------------------------------------------


def test_upsert_twice_keeps_one_copy() -> None:
    ix = TantivyIndex(None)
    put(ix, CORPUS)
    put(ix, CORPUS)
    assert ix.doc_count() == len(CORPUS)
    assert ix.search(either("csto"), sort="newest", limit=10).total == 4
    assert ix.facet_counts(Everything(), "author", 1) == [("Anna Petrova", 2)]


def test_upsert_replaces_the_words_of_an_article() -> None:
    ix = TantivyIndex(None)
    put(ix, CORPUS)
    put(ix, [doc(3, "Rewritten", "Nothing about the alliance now.", published=at(2023, 5, 1))])
    assert ids(ix, either("tokaev")) == set()
    assert ids(ix, either("rewritten")) == {3}
    assert ix.day_counts(either("rewritten")) == {date(2023, 5, 1): 1}
    assert ix.doc_count() == len(CORPUS)


def test_the_last_version_in_a_batch_wins() -> None:
    ix = TantivyIndex(None)
    put(
        ix,
        [
            doc(1, "first", "old words", published=at(2022, 1, 1)),
            doc(1, "second", "new words", published=at(2022, 1, 1)),
        ],
    )
    assert ix.doc_count() == 1
    assert ids(ix, either("new")) == {1}
    assert ids(ix, either("old")) == set()


def test_clear() -> None:
    ix = TantivyIndex(None)
    put(ix, CORPUS)
    ix.clear()
    assert ix.doc_count() == 0
    assert ids(ix, Everything()) == set()
    assert ix.day_counts(Everything()) == {}
    put(ix, CORPUS[:2])
    assert ids(ix, Everything()) == {1, 2}


def test_an_empty_upsert_does_nothing() -> None:
    ix = TantivyIndex(None)
    put(ix, [])
    assert ix.doc_count() == 0


# -- the folder ---------------------------------------------------------------------------------


def test_a_new_index_needs_building_and_a_reopened_one_does_not(tmp_path: Path) -> None:
    folder = tmp_path / "archive.db.search"
    ix = TantivyIndex(folder)
    assert ix.needs_rebuild
    assert json.loads((folder / MARKER).read_text())["schema_version"] == SCHEMA_VERSION
    put(ix, CORPUS)
    ix.close()
    again = TantivyIndex(folder)
    assert not again.needs_rebuild
    assert again.doc_count() == len(CORPUS)
    assert ids(again, either("csto")) == {1, 2, 3, 8}
    assert again.facet_counts(Everything(), "author", 1) == [("Anna Petrova", 2)]
    put(again, [doc(10, "Later", "later words", published=at(2022, 5, 1))])
    again.close()
    assert TantivyIndex(folder).doc_count() == len(CORPUS) + 1


def test_an_emptied_index_needs_building(tmp_path: Path) -> None:
    ix = TantivyIndex(tmp_path)
    put(ix, CORPUS[:1])
    ix.clear()
    ix.close()
    assert TantivyIndex(tmp_path).needs_rebuild


def test_an_index_of_another_version_is_rebuilt(tmp_path: Path) -> None:
    ix = TantivyIndex(tmp_path)
    put(ix, CORPUS)
    ix.close()
    (tmp_path / MARKER).write_text(json.dumps({"schema_version": SCHEMA_VERSION - 1}))
    old = TantivyIndex(tmp_path)
    assert old.needs_rebuild
    assert old.doc_count() == 0
    old.clear()
    put(old, CORPUS[:2])
    old.close()
    assert TantivyIndex(tmp_path).doc_count() == 2


def test_a_damaged_index_is_rebuilt(tmp_path: Path) -> None:
    ix = TantivyIndex(tmp_path)
    put(ix, CORPUS)
    ix.close()
    (tmp_path / "meta.json").write_text("{not json")
    damaged = TantivyIndex(tmp_path)
    assert damaged.needs_rebuild
    put(damaged, CORPUS[:1])
    assert ids(damaged, Everything()) == {1}


def test_clearing_an_index_whose_folder_vanished_starts_it_anew(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    ix = TantivyIndex(folder)
    put(ix, CORPUS)
    shutil.rmtree(folder)
    ix.clear()
    put(ix, CORPUS[:2])
    ix.close()
    again = TantivyIndex(folder)
    assert not again.needs_rebuild
    assert ids(again, Everything()) == {1, 2}


def test_a_folder_presswatch_did_not_write_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ArchiveError, match="did not write"):
        TantivyIndex(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_file_where_the_folder_should_be_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "archive.db.search").write_text("")
    with pytest.raises(ArchiveError, match=r"archive\.db\.search"):
        TantivyIndex(tmp_path / "archive.db.search")


def test_one_writer_per_folder_but_reading_goes_on(tmp_path: Path) -> None:
    first = TantivyIndex(tmp_path)
    put(first, CORPUS)
    second = TantivyIndex(tmp_path)
    assert ids(second, either("csto")) == {1, 2, 3, 8}
    with pytest.raises(SearchIndexBusy, match="being written by another presswatch process"):
        put(second, CORPUS[:1])
    with pytest.raises(SearchIndexBusy):
        second.clear()
    first.close()
    put(second, [doc(10, "Later", "later words", published=at(2022, 5, 1))])
    second.close()
    assert TantivyIndex(tmp_path).doc_count() == len(CORPUS) + 1


def test_an_old_index_in_use_elsewhere_is_not_wiped(tmp_path: Path) -> None:
    first = TantivyIndex(tmp_path)
    put(first, CORPUS)
    (tmp_path / MARKER).write_text(json.dumps({"schema_version": SCHEMA_VERSION - 1}))
    with pytest.raises(SearchIndexBusy):
        TantivyIndex(tmp_path)
    assert first.doc_count() == len(CORPUS)
    first.close()


def test_another_process_holding_the_writer(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from presswatch.search.tantivy_index import TantivyIndex
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_search_tantivy import CORPUS, put
        ix = TantivyIndex(Path({str(tmp_path)!r}))
        put(ix, CORPUS)
        print("ready", flush=True)
        sys.stdin.readline()
        ix.close()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        reader = TantivyIndex(tmp_path)
        assert reader.doc_count() == len(CORPUS)
        with pytest.raises(SearchIndexBusy, match="another presswatch process"):
            put(reader, CORPUS[:1])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
    assert proc.returncode == 0
    put(reader, CORPUS[:1])
    assert reader.doc_count() == len(CORPUS)
