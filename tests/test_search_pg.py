"""The PostgreSQL search engine: each plan node matches exactly the expected articles.

A shared corpus of small articles, stored through the store and indexed from the rows
the store hands over, answers the read-only checks; tests that change the index get a
fresh database. PostgreSQL only (conftest skips without a server, fails under CI).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from conftest import postgres_database
from presswatch.errors import ArchiveError
from presswatch.search import pg_index
from presswatch.search.documents import SearchDoc, sample_key, search_doc
from presswatch.search.engine import Hits
from presswatch.search.pg_index import MAX_POSITION, PGIndex
from presswatch.search.plan import (
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
from presswatch.store import open_store
from presswatch.store.sql import SQLStore
from presswatch.text.tokens import tokenize
from presswatch.types import Article, ParsedFeed
from search_oracle import expected_ids

D0 = datetime(2023, 6, 1, 12, 0, tzinfo=UTC)
FEEDS = {
    "sc": ParsedFeed(format="rss2.0", title="Strategic Culture", link="https://www.sc.org/"),
    "nv": ParsedFeed(format="rss2.0", title="Новости", link="https://novosti.example.ru/"),
}
ESCOBAR = "Pepe Escobar"
LEE = "Ann Lee"


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    text: str
    published: datetime = D0
    authors: tuple[str, ...] = (ESCOBAR,)
    republished_from: str | None = None
    feed: str = "sc"


CORPUS = [
    # phrases and proximity of two words
    Spec("a1", "Treaty news", "The CSTO peacekeeping mission in Kazakhstan"),
    Spec("a2", "Treaty news", "Peacekeeping forces of the CSTO", authors=(ESCOBAR, LEE)),
    Spec("a3", "Treaty news", "CSTO leaders discussed peacekeeping today"),
    Spec("a4", "Treaty news", "Peacekeeping and CSTO", republished_from="thecradle.co"),
    # proximity of three words: in the order written only
    Spec("b1", "Letters", "alpha beta gamma"),
    Spec("b2", "Letters", "gamma beta alpha"),
    Spec("b3", "Letters", "alpha x beta y gamma"),
    Spec("b4", "Letters", "alpha x x beta gamma"),
    # prefixes
    Spec("c1", "Steppe", "Kazakhstan votes", authors=(LEE,)),
    Spec("c2", "Steppe", "Kazakhs celebrate"),
    Spec("c3", "Steppe", "the kazakh steppe"),
    Spec("c4", "Steppe", "Kaz is short"),
    Spec("c5", "Region", "central asian states"),
    Spec("c6", "Region", "Central Asia summit"),
    Spec("c7", "Region", "asia central"),
    # tokens of every kind round-trip
    Spec("d1", "Quotes", "Don't say o'clock", republished_from="thecradle.co"),
    Spec("d2", "Москва и Алматы: саммит ОДКБ", "Текст", feed="nv", authors=()),
    Spec("d3", "Budget", "Budget 2024: 1,500 troops", republished_from="antiwar.com"),
    # dates at the edges of January 2024
    Spec("e1", "Quarterly", "quarterly report", published=datetime(2024, 1, 1, tzinfo=UTC)),
    Spec(
        "e2",
        "Quarterly",
        "quarterly report",
        published=datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC),
    ),
    Spec("e3", "Quarterly", "quarterly report", published=datetime(2024, 2, 1, tzinfo=UTC)),
    # ranking
    Spec("f1", "Drought hits the region", "Farmers wait for rain in the valley", feed="nv"),
    Spec(
        "f2", "Weather", "A long drought. The drought worsened and the drought went on", feed="nv"
    ),
    Spec("f3", "Identical twin", "grain prices", published=D0 + timedelta(days=1), feed="nv"),
    Spec("f4", "Identical twin", "grain prices", published=D0 + timedelta(days=1), feed="nv"),
]
BY_NAME = {spec.name: spec for spec in CORPUS}


def article(n: int | str, title: str, text: str, **fields: object) -> Article:
    values: dict[str, object] = {
        "key": f"url:example.org/news/{n}",
        "url": f"https://example.org/news/{n}",
        "original_url": None,
        "guid": None,
        "title": title,
        "authors": (ESCOBAR,),
        "published": D0,
        "published_raw": None,
        "date_flag": None,
        "updated": None,
        "summary": None,
        "content_html": None,
        "text": text,
        "language": "en",
        "republished_from": None,
        "categories": (),
        "enclosures": (),
        "content_hash": hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def save(store: SQLStore, feed: str, articles: list[Article]) -> dict[str, SearchDoc]:
    """Store `articles` the way ingest does; their SearchDocs by the last part of the URL."""
    source_id = store.upsert_source(f"/data/{feed}.xml", "file", D0)
    feed_id = store.upsert_feed(f"/data/{feed}.xml#feed", FEEDS[feed], D0)
    fetch_id = store.begin_fetch(source_id, D0)
    store.save_articles(feed_id, source_id, fetch_id, articles, D0)
    sources = store.search_sources(store.pending_search_ids(10_000))
    urls = {a.url for a in articles}
    return {s.url.rsplit("/", 1)[-1]: search_doc(s) for s in sources if s.url in urls}


def open_pg(target: str) -> SQLStore:
    store = open_store(target)
    assert isinstance(store, SQLStore)
    return store


@dataclass
class Corpus:
    index: PGIndex
    docs: dict[str, SearchDoc]

    def id(self, name: str) -> int:
        return self.docs[name].id

    def ids(self, *names: str) -> list[int]:
        return sorted(self.id(n) for n in names)

    def matches(self, plan: Plan) -> list[int]:
        hits = self.index.search(plan, sort="oldest", limit=1_000)
        ids = sorted(i for i, _ in hits.ids)
        assert hits.total == len(ids)
        return ids

    def names(self, ids: list[int]) -> list[str]:
        by_id = {doc.id: name for name, doc in self.docs.items()}
        return [by_id[i] for i in ids]


@pytest.fixture(scope="module")
def corpus() -> Iterator[Corpus]:
    with postgres_database() as url:
        store = open_pg(url)
        docs: dict[str, SearchDoc] = {}
        for feed in FEEDS:
            specs = [s for s in CORPUS if s.feed == feed]
            docs.update(
                save(
                    store,
                    feed,
                    [
                        article(
                            s.name,
                            s.title,
                            s.text,
                            published=s.published,
                            authors=s.authors,
                            republished_from=s.republished_from,
                        )
                        for s in specs
                    ],
                )
            )
        index = PGIndex(store)
        index.upsert(list(docs.values()))
        yield Corpus(index, docs)
        index.close()
        store.close()


@pytest.fixture
def pg_store() -> Iterator[SQLStore]:
    with postgres_database() as url:
        store = open_pg(url)
        yield store
        store.close()


def text_match(*tokens: str, prefix: bool = False) -> Match:
    return Match("text", tokens, prefix)


def anywhere(word: str) -> AnyOf:
    return AnyOf((Match("title", (word,)), Match("text", (word,))))


# -- what matches ----------------------------------------------------------------------------


def test_a_word_matches_the_articles_containing_it(corpus: Corpus) -> None:
    assert corpus.matches(text_match("csto")) == corpus.ids("a1", "a2", "a3", "a4")
    assert corpus.matches(Match("title", ("csto",))) == []


def test_a_phrase_needs_the_words_side_by_side_in_order(corpus: Corpus) -> None:
    assert corpus.matches(text_match("csto", "peacekeeping")) == corpus.ids("a1")
    both = All((text_match("csto"), text_match("peacekeeping")))
    assert corpus.matches(both) == corpus.ids("a1", "a2", "a3", "a4")


def test_tokens_of_every_kind_round_trip(corpus: Corpus) -> None:
    assert corpus.matches(text_match("don", "t")) == corpus.ids("d1")
    assert corpus.matches(text_match("o")) == corpus.ids("d1")
    assert corpus.matches(text_match("o", "clock")) == corpus.ids("d1")
    assert corpus.matches(Match("title", ("одкб",))) == corpus.ids("d2")
    assert corpus.matches(Match("title", ("алматы", "саммит"))) == corpus.ids("d2")
    assert corpus.matches(text_match("2024")) == corpus.ids("d3")
    assert corpus.matches(text_match("1", "500")) == corpus.ids("d3")


def test_prefix_matches_words_starting_with_it(corpus: Corpus) -> None:
    found = corpus.matches(text_match("kazakh", prefix=True))
    assert found == corpus.ids("a1", "c1", "c2", "c3")
    assert corpus.matches(text_match("kazakhst", prefix=True)) == corpus.ids("a1", "c1")
    assert corpus.matches(text_match("kazakhstan", prefix=True)) == corpus.ids("a1", "c1")


def test_a_phrase_may_end_in_a_prefix(corpus: Corpus) -> None:
    assert corpus.matches(text_match("central", "asi", prefix=True)) == corpus.ids("c5", "c6")


@pytest.mark.parametrize(
    ("slop", "expected"),
    [
        (1, ["a1", "a4"]),  # a4: "peacekeeping and csto", the other order, 2 apart
        (2, ["a1", "a3", "a4"]),  # a3: csto then peacekeeping 3 apart, the exact limit
        (3, ["a1", "a2", "a3", "a4"]),  # a2: peacekeeping ... csto, 4 apart
    ],
)
def test_near_two_words_in_either_order_up_to_the_distance(
    corpus: Corpus, slop: int, expected: list[str]
) -> None:
    plan = Near("text", near_layouts(("csto", "peacekeeping"), slop))
    assert corpus.names(corpus.matches(plan)) == sorted(expected, key=corpus.id)


@pytest.mark.parametrize(("slop", "expected"), [(1, ["b1", "b3"]), (2, ["b1", "b3", "b4"])])
def test_near_three_words_in_the_written_order_only(
    corpus: Corpus, slop: int, expected: list[str]
) -> None:
    plan = Near("text", near_layouts(("alpha", "beta", "gamma"), slop))
    assert corpus.names(corpus.matches(plan)) == sorted(expected, key=corpus.id)


def test_when_is_half_open(corpus: Corpus) -> None:
    january = When(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    assert corpus.matches(january) == corpus.ids("e1", "e2")
    last_second = When(
        datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    )
    assert corpus.matches(last_second) == corpus.ids("e2")


def test_boolean_structure(corpus: Corpus) -> None:
    everyone = sorted(doc.id for doc in corpus.docs.values())
    assert corpus.matches(Everything()) == everyone
    csto = corpus.ids("a1", "a2", "a3", "a4")
    assert corpus.matches(Without(text_match("csto"))) == sorted(set(everyone) - set(csto))
    assert corpus.matches(
        All((text_match("csto"), Without(text_match("kazakhstan"))))
    ) == corpus.ids("a2", "a3", "a4")
    assert corpus.matches(AnyOf((text_match("csto"), text_match("grain")))) == corpus.ids(
        "a1", "a2", "a3", "a4", "f3", "f4"
    )
    assert corpus.matches(Without(Without(text_match("grain")))) == corpus.ids("f3", "f4")
    assert corpus.matches(All((text_match("csto"), text_match("grain")))) == []


def test_words_inside_or_and_not_are_looked_up_exactly(corpus: Corpus) -> None:
    everyone = set(corpus.matches(Everything()))
    with_the = set(corpus.ids("a1", "a2", "c3", "f1", "f2"))
    csto = set(corpus.ids("a1", "a2", "a3", "a4"))
    csto_or_no_the = AnyOf((text_match("csto"), Without(text_match("the"))))
    assert corpus.matches(csto_or_no_the) == sorted(csto | (everyone - with_the))
    nested = All(
        (
            text_match("peacekeeping"),
            Without(AnyOf((text_match("kazakhstan"), Without(text_match("the"))))),
        )
    )
    assert corpus.matches(nested) == corpus.ids("a2")
    january = When(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    assert corpus.matches(AnyOf((january, text_match("grain")))) == corpus.ids(
        "e1", "e2", "f3", "f4"
    )
    assert corpus.matches(Without(january)) == sorted(everyone - set(corpus.ids("e1", "e2")))
    february = When(datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    either = All((text_match("report"), AnyOf((february, text_match("csto")))))
    assert corpus.matches(either) == corpus.ids("e3")
    assert corpus.index.day_counts(nested) == {D0.date(): 1}
    assert corpus.index.sample(nested, 5) == corpus.ids("a2")


def _field_tokens() -> dict[str, list[tuple[str, ...]]]:
    return {
        "title": [tuple(tokenize(s.title)) for s in CORPUS],
        "text": [tuple(tokenize(s.text)) for s in CORPUS],
    }


@st.composite
def _leaves(draw: st.DrawFn) -> Plan:
    kind = draw(st.sampled_from(["match", "match", "near", "when", "everything"]))
    if kind == "when":
        days = sorted(draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=2)))
        return When(days[0], days[1])
    if kind == "everything":
        return Everything()
    field = draw(st.sampled_from(["title", "text"]))
    fields = _field_tokens()[field]
    source = draw(st.sampled_from([t for t in fields if t]))
    size = draw(st.integers(1, min(3, len(source))))
    start = draw(st.integers(0, len(source) - size))
    tokens = source[start : start + size]
    if draw(st.booleans()):  # words that may not stand together anywhere
        tokens = tuple(draw(st.sampled_from(VOCABULARY)) for _ in tokens)
    if kind == "near" and len(tokens) > 1:
        return Near(field, near_layouts(tokens, draw(st.integers(0, 3))))
    if draw(st.booleans()):
        last = tokens[-1][: draw(st.integers(1, len(tokens[-1])))]
        return Match(field, (*tokens[:-1], last), prefix=True)
    return Match(field, tokens)


VOCABULARY = sorted({t for f in _field_tokens().values() for ts in f for t in ts})
DAYS = sorted(
    {s.published for s in CORPUS} | {D0 + timedelta(hours=1), datetime(2030, 1, 1, tzinfo=UTC)}
)
_PLANS = st.recursive(
    _leaves(),
    lambda kids: st.one_of(
        st.lists(kids, min_size=1, max_size=3).map(lambda c: All(tuple(c))),
        st.lists(kids, min_size=1, max_size=3).map(lambda c: AnyOf(tuple(c))),
        kids.map(Without),
    ),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None)
@given(plan=_PLANS)
def test_generated_plans_match_what_the_reference_matcher_finds(corpus: Corpus, plan: Plan) -> None:
    expected = sorted(expected_ids(plan, list(corpus.docs.values())))
    assert corpus.matches(plan) == expected
    for sort in ("relevance", "newest"):
        hits = corpus.index.search(plan, sort=sort, limit=3, offset=1)
        assert hits.total == len(expected)
        assert len(hits.ids) == min(3, max(0, len(expected) - 1))
    days = corpus.index.day_counts(plan)
    assert sum(days.values()) == len(expected)
    assert corpus.index.sample(plan, 100) == sorted(expected, key=sample_key)


def test_every_field_is_searched_in_its_own_column(corpus: Corpus) -> None:
    lee = corpus.ids("a2", "c1")
    assert corpus.matches(Match("author", ("ann", "lee"))) == lee
    assert corpus.matches(Match("source", ("novosti",))) == corpus.ids("d2", "f1", "f2", "f3", "f4")
    assert corpus.matches(Match("url", ("news", "b2"))) == corpus.ids("b2")
    assert len(corpus.matches(Match("lang", ("en",)))) == len(CORPUS)
    assert corpus.matches(Match("republished_from", ("antiwar",))) == corpus.ids("d3")


# -- order, pages, totals --------------------------------------------------------------------


def test_title_matches_rank_above_text_only_matches(corpus: Corpus) -> None:
    hits = corpus.index.search(anywhere("drought"), sort="relevance", limit=10)
    assert [i for i, _ in hits.ids] == [corpus.id("f1"), corpus.id("f2")]
    scores = [s for _, s in hits.ids]
    assert all(isinstance(s, float) for s in scores)
    assert scores[0] > scores[1]  # type: ignore[operator]


def test_ties_in_rank_go_to_the_lower_id(corpus: Corpus) -> None:
    hits = corpus.index.search(anywhere("grain"), sort="relevance", limit=10)
    assert [i for i, _ in hits.ids] == corpus.ids("f3", "f4")


def test_newest_and_oldest_order_by_date_then_id(corpus: Corpus) -> None:
    plan = AnyOf((text_match("grain"), text_match("quarterly"), text_match("drought")))
    first, second = sorted(["f3", "f4"], key=corpus.id)  # the same date
    newest = corpus.index.search(plan, sort="newest", limit=10)
    assert corpus.names([i for i, _ in newest.ids]) == ["e3", "e2", "e1", second, first, "f2"]
    assert all(score is None for _, score in newest.ids)
    oldest = corpus.index.search(plan, sort="oldest", limit=10)
    assert corpus.names([i for i, _ in oldest.ids]) == ["f2", first, second, "e1", "e2", "e3"]


def test_limit_and_offset_page_through_with_the_full_total(corpus: Corpus) -> None:
    everyone = corpus.index.search(Everything(), sort="oldest", limit=100)
    page = corpus.index.search(Everything(), sort="oldest", limit=3, offset=2)
    assert page.total == len(CORPUS)
    assert page.ids == everyone.ids[2:5]
    beyond = corpus.index.search(Everything(), sort="relevance", limit=3, offset=len(CORPUS))
    assert beyond == Hits(len(CORPUS), [])


def test_relevance_ranks_the_newest_matches_then_lists_the_rest(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_index, "RANK_WINDOW", 2)
    plan = AnyOf((text_match("csto"), text_match("grain")))
    hits = corpus.index.search(plan, sort="relevance", limit=10)
    assert hits.total == 6
    ids = [i for i, _ in hits.ids]
    assert set(ids[:2]) == set(corpus.ids("f3", "f4"))  # the two newest, ranked
    assert ids[2:] == sorted(corpus.ids("a1", "a2", "a3", "a4"), reverse=True)
    assert all(isinstance(score, float) for _, score in hits.ids)
    pages = [corpus.index.search(plan, sort="relevance", limit=2, offset=n) for n in (0, 2, 4)]
    assert [hit for page in pages for hit in page.ids] == hits.ids
    assert {page.total for page in pages} == {6}


def test_a_page_past_the_end_still_has_the_total(corpus: Corpus) -> None:
    for sort in ("relevance", "newest", "oldest"):
        assert corpus.index.search(text_match("csto"), sort=sort, limit=2, offset=9) == Hits(4, [])


def test_limit_zero_counts_only(corpus: Corpus) -> None:
    hits = corpus.index.search(text_match("csto"), sort="relevance", limit=0)
    assert hits.total == 4
    assert hits.ids == []


# -- counts and samples ----------------------------------------------------------------------


def test_day_counts_per_utc_day(corpus: Corpus) -> None:
    days = corpus.index.day_counts(text_match("quarterly"))
    assert days == {date(2024, 1, 1): 1, date(2024, 1, 31): 1, date(2024, 2, 1): 1}
    totals = corpus.index.day_counts(Everything())
    assert totals == dict(Counter(s.published.date() for s in CORPUS))


def test_facet_counts_most_first_ties_by_value(corpus: Corpus) -> None:
    authors = corpus.index.facet_counts(Everything(), "author", 10)
    expected = Counter(a for s in CORPUS for a in s.authors)
    assert authors == sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))
    assert corpus.index.facet_counts(text_match("csto"), "author", 10) == [(ESCOBAR, 4), (LEE, 1)]
    assert corpus.index.facet_counts(text_match("csto"), "author", 1) == [(ESCOBAR, 4)]
    sources = corpus.index.facet_counts(Everything(), "source", 10)
    assert sources == [("sc.org", 20), ("novosti.example.ru", 5)]
    republished = corpus.index.facet_counts(Everything(), "republished", 10)
    assert republished == [("thecradle.co", 2), ("antiwar.com", 1)]
    assert corpus.index.facet_counts(text_match("grain"), "republished", 10) == []


def test_sample_takes_the_lowest_sample_keys_every_time(corpus: Corpus) -> None:
    matching = corpus.matches(Without(text_match("csto")))
    expected = sorted(matching, key=sample_key)[:5]
    assert corpus.index.sample(Without(text_match("csto")), 5) == expected
    assert corpus.index.sample(Without(text_match("csto")), 5) == expected
    assert corpus.index.sample(Everything(), 0) == []


def test_doc_count(corpus: Corpus) -> None:
    assert corpus.index.doc_count() == len(CORPUS)


# -- writing ---------------------------------------------------------------------------------


def test_upsert_twice_keeps_one_copy_and_replaces_the_text(pg_store: SQLStore) -> None:
    docs = save(pg_store, "sc", [article(1, "Summit", "csto summit"), article(2, "Other", "x")])
    index = PGIndex(pg_store)
    index.upsert(list(docs.values()))
    index.upsert([docs["1"], docs["1"]])
    assert index.doc_count() == 2
    assert index.search(text_match("csto"), sort="newest", limit=10).ids == [(docs["1"].id, None)]
    changed = replace(docs["1"], tokens={**docs["1"].tokens, "text": ("sco", "summit")})
    index.upsert([changed])
    assert index.search(text_match("csto"), sort="newest", limit=10).total == 0
    assert index.search(text_match("sco"), sort="newest", limit=10).total == 1
    assert index.doc_count() == 2


def test_clear_drops_everything(pg_store: SQLStore) -> None:
    docs = save(pg_store, "sc", [article(1, "Summit", "csto summit")])
    index = PGIndex(pg_store)
    index.upsert(list(docs.values()))
    index.clear()
    assert index.doc_count() == 0
    assert index.search(Everything(), sort="newest", limit=10).total == 0


def test_upsert_joins_the_store_transaction(pg_store: SQLStore) -> None:
    docs = save(pg_store, "sc", [article(1, "Summit", "csto summit")])
    index = PGIndex(pg_store)
    with pytest.raises(RuntimeError), pg_store.transaction():
        index.upsert(list(docs.values()))
        pg_store.clear_search_pending([docs["1"].id])
        assert index.doc_count() == 1  # reads see the block's own writes
        assert index.search(text_match("csto"), sort="newest", limit=5).total == 1
        with pg_store.read() as conn:  # the search's planner settings did not stay behind
            assert conn.execute(text("SHOW enable_seqscan")).scalar() == "on"
        raise RuntimeError("crash before commit")
    assert index.doc_count() == 0
    assert pg_store.count_search_pending() == 1


def test_many_batches_are_all_written(pg_store: SQLStore) -> None:
    articles = [article(n, f"Story {n}", f"word{n % 7} common") for n in range(1_200)]
    docs = save(pg_store, "sc", articles)
    index = PGIndex(pg_store)
    index.upsert(list(docs.values()))
    assert index.doc_count() == 1_200
    assert index.search(text_match("word3"), sort="newest", limit=0).total == 171


def test_tokens_with_query_syntax_characters_are_plain_words(pg_store: SQLStore) -> None:
    # The tokenizer never makes these; the engine must still treat them as words.
    odd = ("it's", "back\\slash", "x:y", "a&b|c", "!not", "<->", "'", "1:*")
    doc = save(pg_store, "sc", [article(1, "Odd", "odd")])["1"]
    index = PGIndex(pg_store)
    index.upsert([replace(doc, tokens={**doc.tokens, "text": odd})])
    for token in odd:
        assert index.search(text_match(token), sort="newest", limit=5).total == 1, token
    assert index.search(text_match("it", "s"), sort="newest", limit=5).total == 0
    assert index.search(text_match("x:y", "a&b|c"), sort="newest", limit=5).total == 1
    assert index.search(text_match("1"), sort="newest", limit=5).total == 0


def test_a_40000_word_article_is_indexed(pg_store: SQLStore) -> None:
    words = ["the" if i % 3 == 0 else f"w{i % 997}" for i in range(40_000)]
    words[16_381] = "early"  # position 16,382
    words[25_000] = "late"
    words[39_000] = "distant"
    words[100:102] = ["kazakh", "steppe"]
    body = " ".join(words)
    doc = save(pg_store, "sc", [article(1, "Long read", body)])["1"]
    index = PGIndex(pg_store)
    index.upsert([doc])
    assert index.doc_count() == 1
    for word in ("early", "late", "distant", "the"):
        assert index.search(text_match(word), sort="newest", limit=5).total == 1, word
    assert index.search(text_match("kazakh", "steppe"), sort="newest", limit=5).total == 1
    # Past word MAX_POSITION positions are not kept, never moved (which would make
    # "early late" look adjacent).
    assert MAX_POSITION == 16_383
    assert index.search(text_match("early", "late"), sort="newest", limit=5).total == 0


def test_a_field_too_big_for_postgresql_is_cut_not_refused(pg_store: SQLStore) -> None:
    doc = save(pg_store, "sc", [article(1, "Huge", "huge")])["1"]
    distinct = tuple(f"{i:06d}" + "x" * 58 for i in range(20_000))  # about 1.4 MB
    index = PGIndex(pg_store)
    index.upsert([replace(doc, tokens={**doc.tokens, "text": distinct})])
    assert index.search(text_match(distinct[0]), sort="newest", limit=5).total == 1
    assert index.search(text_match(distinct[-1]), sort="newest", limit=5).total == 0


def test_a_document_for_no_stored_article_is_an_archive_error(pg_store: SQLStore) -> None:
    doc = save(pg_store, "sc", [article(1, "Summit", "csto summit")])["1"]
    with pytest.raises(ArchiveError):
        PGIndex(pg_store).upsert([replace(doc, id=doc.id + 1_000)])
