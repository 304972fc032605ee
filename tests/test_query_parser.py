"""The query language as analysts write it: each construct's tree, and each mistake's error."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime

import pytest

from presswatch.errors import QuerySyntaxError
from presswatch.query.ast import And, DateRange, Node, Not, Or, Phrase, SavedRef, Term
from presswatch.query.parser import DATE_MAX, DATE_MIN, parse, to_text
from presswatch.query.saved import expand
from query_strategies import unplaced


def tree(text: str) -> Node:
    return unplaced(parse(text))


def T(text: str, field: str | None = None, prefix: bool = False) -> Term:
    return Term(text, field, prefix)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def dates(start: datetime, end: datetime) -> DateRange:
    return DateRange(start, end)


# -- words, phrases, operators -------------------------------------------------------------


def test_words_and_phrases_keep_the_text_as_written() -> None:
    assert tree("Tokáev") == T("Tokáev")
    assert tree('"Collective Security  Treaty"') == Phrase("Collective Security  Treaty")
    assert tree("U.S.") == T("U.S.")
    assert tree("strategic-culture.org") == T("strategic-culture.org")


def test_words_side_by_side_mean_and() -> None:
    assert tree("CSTO Kazakhstan") == And((T("CSTO"), T("Kazakhstan")))
    assert tree("CSTO Kazakhstan") == tree("CSTO AND Kazakhstan")


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    assert tree("csto kazakhstan OR odkb kyrgyzstan") == Or(
        (And((T("csto"), T("kazakhstan"))), And((T("odkb"), T("kyrgyzstan"))))
    )
    assert tree("NOT turkic csto") == And((Not(T("turkic")), T("csto")))
    assert tree("csto OR NOT turkic peacekeeping") == Or(
        (T("csto"), And((Not(T("turkic")), T("peacekeeping"))))
    )
    assert tree("CSTO AND (Kazakhstan OR Kyrgyzstan) NOT title:Turkic") == And(
        (
            T("CSTO"),
            Or((T("Kazakhstan"), T("Kyrgyzstan"))),
            Not(T("Turkic", "title")),
        )
    )


def test_nested_and_or_are_flattened_and_lone_parentheses_dropped() -> None:
    assert tree("a AND (b AND (c d))") == And((T("a"), T("b"), T("c"), T("d")))
    assert tree("(a OR b) OR (c OR d)") == Or((T("a"), T("b"), T("c"), T("d")))
    assert tree("((csto))") == T("csto")
    assert tree("(a OR b) (c OR d)") == And((Or((T("a"), T("b"))), Or((T("c"), T("d")))))


def test_lowercase_operators_are_ordinary_words() -> None:
    assert tree("csto or odkb") == And((T("csto"), T("or"), T("odkb")))
    assert tree("not and") == And((T("not"), T("and")))


def test_every_way_of_leaving_out() -> None:
    assert tree("csto -kazakhstan") == And((T("csto"), Not(T("kazakhstan"))))
    assert tree('csto -"fact finding"') == And((T("csto"), Not(Phrase("fact finding"))))
    assert tree("csto -(kazakhstan OR kyrgyzstan)") == And(
        (T("csto"), Not(Or((T("kazakhstan"), T("kyrgyzstan")))))
    )
    assert tree("csto -title:kazakhstan") == And((T("csto"), Not(T("kazakhstan", "title"))))
    assert tree("csto NOT @turkic") == And((T("csto"), Not(SavedRef("turkic"))))


def test_not_alone_means_every_article_without() -> None:
    assert tree("NOT csto") == Not(T("csto"))
    assert tree("-csto") == Not(T("csto"))


def test_a_minus_inside_a_word_is_part_of_it() -> None:
    assert tree("Kassym-Jomart") == T("Kassym-Jomart")


def test_prefix() -> None:
    assert tree("kazakh*") == T("kazakh", prefix=True)
    assert tree("title:kyrgyz*") == T("kyrgyz", "title", prefix=True)


def test_proximity() -> None:
    assert tree('"csto peacekeeping"~10') == Phrase("csto peacekeeping", slop=10)
    assert tree('"csto peacekeeping"~0') == Phrase("csto peacekeeping", slop=0)
    assert tree('"csto peacekeeping"~100') == Phrase("csto peacekeeping", slop=100)
    assert tree('text:"tokayev csto"~3') == Phrase("tokayev csto", "text", 3)


def test_inside_quotes_everything_is_text() -> None:
    assert tree('"NEAR(csto kazakhstan) * : ^ AND OR NOT -x @y title:z"') == Phrase(
        "NEAR(csto kazakhstan) * : ^ AND OR NOT -x @y title:z"
    )
    assert tree('"x\') OR 1=1 --"') == Phrase("x') OR 1=1 --")


def test_a_backslash_escapes_a_quote_inside_a_phrase() -> None:
    assert tree(r'"the \"peacekeeping\" mission"') == Phrase('the "peacekeeping" mission')
    assert tree(r'"C:\\path \d"') == Phrase(r"C:\path \d")


def test_punctuation_alone_is_skipped_when_there_is_something_else() -> None:
    assert tree("csto -- kazakhstan & ; ^^^") == And((T("csto"), T("kazakhstan")))
    assert tree("'; DROP TABLE articles; --") == And((T("DROP"), T("TABLE"), T("articles;")))


def test_punctuation_inside_words_stays_for_the_tokenizer() -> None:
    assert tree("csto^2 csto' 10:30") == And((T("csto^2"), T("csto'"), T("10:30")))


# -- fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["title", "text", "author", "source", "url", "lang", "republished_from"]
)
def test_every_text_field(field: str) -> None:
    assert tree(f"{field}:csto") == T("csto", field)
    assert tree(f'{field}:"csto peacekeeping"') == Phrase("csto peacekeeping", field)


def test_field_names_ignore_case() -> None:
    assert tree("Title:CSTO") == T("CSTO", "title")
    assert tree("PUBLISHED:2022") == tree("published:2022")


def test_a_field_applies_to_every_word_of_its_group() -> None:
    assert tree("title:(csto OR odkb)") == Or((T("csto", "title"), T("odkb", "title")))
    assert tree('title:(csto -turkic "peace mission"~2 kazakh*)') == And(
        (
            T("csto", "title"),
            Not(T("turkic", "title")),
            Phrase("peace mission", "title", 2),
            T("kazakh", "title", prefix=True),
        )
    )
    assert tree("title:((csto OR odkb) kazakhstan) tokayev") == And(
        (Or((T("csto", "title"), T("odkb", "title"))), T("kazakhstan", "title"), T("tokayev"))
    )


def test_links_and_hosts_need_no_quotes() -> None:
    link = "https://en.wikipedia.org/wiki/CSTO_(organisation)?a=1&b=~c"
    assert tree(f"url:{link} csto") == And((T(link, "url"), T("csto")))
    assert tree("(url:https://tass.com/world csto)") == And(
        (T("https://tass.com/world", "url"), T("csto"))
    )
    assert tree("source:strategic-culture.org") == T("strategic-culture.org", "source")
    assert tree("republished_from:thecradle.co") == T("thecradle.co", "republished_from")
    assert tree("url:(tass.com OR ria.ru)") == Or((T("tass.com", "url"), T("ria.ru", "url")))


def test_a_link_typed_without_a_field_is_searched_as_words() -> None:
    assert tree("https://tass.com/world/1") == T("https://tass.com/world/1")


def test_after_a_field_a_colon_is_text() -> None:
    assert tree("title:foo:bar") == T("foo:bar", "title")


# -- dates -------------------------------------------------------------------------------


def test_a_date_means_that_whole_year_month_or_day() -> None:
    assert tree("published:2022") == dates(utc(2022, 1, 1), utc(2023, 1, 1))
    assert tree("published:2022-12") == dates(utc(2022, 12, 1), utc(2023, 1, 1))
    assert tree("published:2022-01-15") == dates(utc(2022, 1, 15), utc(2022, 1, 16))
    assert tree("published:2024-02-29") == dates(utc(2024, 2, 29), utc(2024, 3, 1))
    assert tree("published:2022-1-5") == dates(utc(2022, 1, 5), utc(2022, 1, 6))


def test_a_range_includes_both_ends_at_their_precision() -> None:
    assert tree("published:[2021-06-01 TO 2022-01-31]") == dates(utc(2021, 6, 1), utc(2022, 2, 1))
    assert tree("published:[2021-06 TO 2022-01]") == dates(utc(2021, 6, 1), utc(2022, 2, 1))
    assert tree("published:[2021 TO 2021]") == dates(utc(2021, 1, 1), utc(2022, 1, 1))
    assert tree("published:[ 2021-06-15  to 2021-06 ]") == dates(utc(2021, 6, 15), utc(2021, 7, 1))


def test_open_ranges_and_comparisons() -> None:
    assert tree("published:[2021-06 TO *]") == dates(utc(2021, 6, 1), DATE_MAX)
    assert tree("published:[* TO 2021]") == dates(DATE_MIN, utc(2022, 1, 1))
    assert tree("published:>=2022-01-01") == dates(utc(2022, 1, 1), DATE_MAX)
    assert tree("published:>2022-01") == dates(utc(2022, 2, 1), DATE_MAX)
    assert tree("published:<2022") == dates(DATE_MIN, utc(2022, 1, 1))
    assert tree("published:<=2022") == dates(DATE_MIN, utc(2023, 1, 1))
    assert tree("published:9999") == dates(utc(9999, 1, 1), DATE_MAX)


def test_dates_in_a_group() -> None:
    assert tree("published:(2021 OR [2022-06 TO *])") == Or(
        (dates(utc(2021, 1, 1), utc(2022, 1, 1)), dates(utc(2022, 6, 1), DATE_MAX))
    )


def test_dates_are_utc_and_half_open() -> None:
    node = parse("published:2022-01")
    assert isinstance(node, DateRange)
    assert node.start.tzinfo is UTC and node.end.tzinfo is UTC
    assert node.start < node.end


# -- saved queries and positions ---------------------------------------------------------------


def test_saved_query_references() -> None:
    assert tree("@csto AND published:2022") == And(
        (SavedRef("csto"), dates(utc(2022, 1, 1), utc(2023, 1, 1)))
    )
    assert tree("@central_asia-2") == SavedRef("central_asia-2")


def test_every_node_knows_where_it_starts() -> None:
    node = parse('csto  NOT title:"peace mission" (kazakh* OR @kz)')
    assert node == And(
        (
            Term("csto", pos=0),
            Not(Phrase("peace mission", "title", pos=10), pos=6),
            Or((Term("kazakh", prefix=True, pos=33), SavedRef("kz", pos=44)), pos=33),
        ),
        pos=0,
    )
    assert parse("title:(a OR b)") == Or(
        (Term("a", "title", pos=7), Term("b", "title", pos=12)), pos=7
    )


# -- back to text -----------------------------------------------------------------------------


def test_to_text_spells_the_query_out() -> None:
    assert to_text(parse("csto kazakhstan OR -odkb")) == "(csto AND kazakhstan) OR NOT odkb"
    assert to_text(parse("title:(csto OR odkb)")) == "title:csto OR title:odkb"
    assert to_text(parse(r'"a \"b\""~3')) == r'"a \"b\""~3'
    assert to_text(parse("published:<2022")) == "published:[* TO 2021-12-31]"
    assert to_text(parse("published:[2021-06-15 TO 2021-06]")) == (
        "published:[2021-06-15 TO 2021-06-30]"
    )
    assert to_text(parse("published:[2022-03 TO 2022-03]")) == "published:2022-03"


# -- mistakes ----------------------------------------------------------------------------------

BAD = [
    # (query, where the error points, what the message says)
    ("", 0, "the query is empty"),
    ("   ", 0, "the query is empty"),
    ("^^^ ; '", 0, "no letters or digits"),
    ('csto "peacekeeping forces', 5, "this quote is never closed"),
    (r'"csto \"', 0, "this quote is never closed"),
    ("(csto OR kazakhstan", 0, "this ( is never closed"),
    ("csto (kazakhstan (OR kyrgyzstan)", 18, "OR needs something to search for on its left"),
    ("csto (a (b)", 5, "this ( is never closed"),
    ("csto)", 4, "this ) has no matching ("),
    ("(csto) kazakhstan)", 17, "has no matching"),
    ("()", 0, "nothing to search for inside these parentheses"),
    ("AND", 0, "AND needs something to search for on its left"),
    ("OR csto", 0, "OR needs something to search for on its left"),
    ("csto OR", 5, "OR needs something to search for on its right"),
    ("csto AND AND kazakhstan", 9, "AND needs something to search for on its right, not AND"),
    ("csto AND OR kazakhstan", 9, "not OR"),
    ("(csto AND)", 9, "AND needs something to search for on its right"),
    ("NOT", 0, "NOT needs something to search for after it"),
    ("csto NOT", 5, "NOT needs something"),
    ("csto NOT OR x", 9, "NOT needs something to search for after it, not OR"),
    ("-AND", 1, "- needs something"),
    ("nosuchfield:x", 0, "unknown field nosuchfield"),
    ("csto Tokayev:said", 5, "put it in quotes"),
    ("title:", 6, "title: needs something to search for right after the colon"),
    ("title: csto", 6, "with no space"),
    ("(title:)", 7, "title: needs something"),
    ("title:(author:smith)", 7, "author: cannot go inside the parentheses of title:"),
    ("title:-csto", 6, "put the minus before the field: -title:"),
    ("title:^^", 6, "nothing to search for"),
    ('""', 0, "nothing to search for between these quotes"),
    ("*", 0, "a * needs the beginning of a word"),
    ("csto *stan", 5, "a * can only end a word"),
    ("kaz*akh", 3, "a * can only end a word"),
    ('"csto peacekeeping"~', 19, "~ needs a whole number from 0 to 100"),
    ('"csto peacekeeping"~x', 19, "~ needs a whole number"),
    ('"csto peacekeeping"~101', 19, "from 0 to 100"),
    ('"csto peacekeeping"~-3', 19, "~ needs a whole number"),
    ('"csto peacekeeping"~' + "9" * 5000, 19, "~ needs a whole number"),
    ("csto~3", 4, "~ goes right after a quoted phrase"),
    ('"csto peacekeeping" ~3', 20, "~ goes right after a quoted phrase"),
    ("published:2022-13", 10, "YYYY-MM-DD"),
    ("published:2022-02-30", 10, "no such date"),
    ("published:0000", 10, "no such date"),
    ("published:22", 10, "is not a date"),
    ("published:2022-01-15T10:00", 10, "YYYY, YYYY-MM or YYYY-MM-DD"),
    ('published:"2022"', 10, "without quotes"),
    ("published:[2022-01-01 TO 2021-01-01]", 10, "the range ends before it starts"),
    ("published:[2022-02 TO 2022-01-31]", 10, "the range ends before it starts"),
    ("published:[2021 TO 2022-13]", 19, "no such date"),
    ("published:[2021 - 2022]", 10, "[2021-06-01 TO 2022-01-31]"),
    ("published:[2021 TO 2022", 10, "this [ is never closed"),
    ("published:>", 11, "a date must follow >"),
    ("published:<0001", 10, "no article can be dated"),
    ("published:(title:x)", 11, "cannot go inside"),
    ("@", 0, "the query is empty"),
    ("@9lives", 0, "a saved query is written @ and its name"),
    ("@csto.kz", 0, "letters a-z, digits, _ and -"),
    ("@одкб", 0, "letters a-z"),
    ("csto || odkb", 5, "write OR in capitals"),
    ("csto|odkb", 0, "write OR in capitals"),
    ("!turkic", 0, "write NOT turkic or -turkic"),
    ("x" * 10_001, 10_000, "the query is too long"),
    ("(" * 51 + "x" + ")" * 51, 50, "the query is too deep"),
    ("NOT " * 51 + "x", 200, "the query is too deep"),
    ("-" * 200 + "x", 50, "the query is too deep"),
]


@pytest.mark.parametrize(("query", "position", "fragment"), BAD)
def test_each_mistake_is_pointed_at_and_explained(query: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    error = caught.value
    assert fragment in error.message
    assert error.position == position
    assert error.query == query


def test_the_deepest_allowed_nesting_still_parses() -> None:
    assert tree("(" * 50 + "x" + ")" * 50) == T("x")
    assert tree("NOT " * 50 + "x") is not None


def test_the_error_shows_the_spot() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse('csto AND "peacekeeping forces')
    assert caught.value.pointer() == '  csto AND "peacekeeping forces\n           ^'


LONG = {
    "words": "csto kazakhstan " * 625,
    "phrases": '"csto kazakhstan" ' * 555,
    "field groups": "title:(csto OR kaz*) " * 476,
    "one link": "url:" + "a" * 9_996,
    "unclosed quote": '"' + "csto " * 1_999,
    "deep and wide": "(" * 50 + "x " * 4_900 + ")" * 50,
    "minus signs": "- " * 5_000,
    "date ranges": "published:[2021 TO 2022] " * 384,
    "NOTs": "NOT " * 2_500,
    "punctuation": "^" * 10_000,
}


@pytest.mark.parametrize("query", LONG.values(), ids=LONG.keys())
def test_a_ten_thousand_character_query_takes_well_under_100_ms(query: str) -> None:
    assert len(query) <= 10_000
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        with contextlib.suppress(QuerySyntaxError):
            parse(query)
        best = min(best, time.perf_counter() - began)
    assert best < 0.1


# -- saved queries written out --------------------------------------------------------------

SAVED = {
    "csto": 'CSTO OR "Collective Security Treaty Organization" OR ОДКБ',
    "central_asia": "Kazakhstan OR Kyrgyzstan OR Tajikistan",
    "csto_asia": "@csto @central_asia",
    "loop_a": "csto @loop_b",
    "loop_b": "kazakhstan OR @loop_a",
    "self": "@self",
    "broken": "csto AND",
    "to_nowhere": "csto @nothing",
    **{f"chain{i}": f"x{i} @chain{i + 1}" for i in range(12)},
    "chain12": "end",
    **{f"deep{i}": "NOT " * 45 + f"@deep{i + 1}" for i in range(6)},
    "deep6": "end",
}


def expanded(query: str) -> Node:
    return expand(parse(query), SAVED.get, query)


def test_a_saved_query_is_replaced_by_its_tree() -> None:
    assert unplaced(expanded("@csto kazakhstan")) == And(
        (
            Or((T("CSTO"), Phrase("Collective Security Treaty Organization"), T("ОДКБ"))),
            T("kazakhstan"),
        )
    )
    assert unplaced(expanded("@csto OR odkb")) == Or(
        (T("CSTO"), Phrase("Collective Security Treaty Organization"), T("ОДКБ"), T("odkb"))
    )
    assert unplaced(expanded("NOT @central_asia")) == Not(
        Or((T("Kazakhstan"), T("Kyrgyzstan"), T("Tajikistan")))
    )


def test_saved_queries_may_use_saved_queries() -> None:
    assert unplaced(expanded("@csto_asia published:2022")) == And(
        (
            Or((T("CSTO"), Phrase("Collective Security Treaty Organization"), T("ОДКБ"))),
            Or((T("Kazakhstan"), T("Kyrgyzstan"), T("Tajikistan"))),
            dates(utc(2022, 1, 1), utc(2023, 1, 1)),
        )
    )


def test_what_a_saved_query_brings_in_points_at_its_name() -> None:
    node = expanded("tokayev @central_asia")
    assert isinstance(node, And)
    assert node.children[0].pos == 0
    assert node.children[1] == Or(
        (Term("Kazakhstan", pos=8), Term("Kyrgyzstan", pos=8), Term("Tajikistan", pos=8)), pos=8
    )


def test_a_tree_without_saved_queries_is_left_as_it_is() -> None:
    node = parse('csto -title:"x y"~2 published:2022 (a OR b*)')
    assert expand(node, SAVED.get, "") == node


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("csto @nothing", 5, "no saved query named @nothing (see `presswatch queries list`)"),
        ("@to_nowhere", 0, "no saved query named @nothing, used by @to_nowhere"),
        (
            "x @loop_a",
            2,
            "the saved query @loop_a refers back to itself (@loop_a → @loop_b → @loop_a)",
        ),
        ("@self", 0, "@self refers back to itself"),
        ("@chain0", 0, "more than 10 deep"),
    ],
)
def test_saved_query_mistakes(query: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        expanded(query)
    assert fragment in caught.value.message
    assert caught.value.position == position
    assert caught.value.query == query


def test_a_saved_query_that_no_longer_parses_is_shown_with_its_own_text() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        expanded("x @broken")
    error = caught.value
    assert (
        error.message
        == "in the saved query @broken: AND needs something to search for on its right"
    )
    assert (error.query, error.position) == ("csto AND", 5)


def test_saved_queries_deep_inside_each_other_are_refused_not_a_crash() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        expanded("x @deep0")
    assert "too deep once its saved queries are written out" in caught.value.message
    assert caught.value.position == 2


def test_ten_saved_queries_deep_is_still_fine() -> None:
    node = unplaced(expanded("@chain3"))
    assert node == And((*(T(f"x{i}") for i in range(3, 12)), T("end")))
