"""Snippets and highlighted titles: the part of an article that shows why it matched."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.search.snippets import (
    _matches,
    highlight,
    highlight_parts,
    snippet,
    snippet_parts,
)
from presswatch.text.tokens import spans, tokenize

FILLER = (
    "The ministry published its quarterly figures on trade and agriculture, and officials "
    "discussed the harvest, the railway timetable and the price of grain in the regions. "
)


def _plain(parts: list[tuple[str, bool]]) -> str:
    return "".join(piece for piece, _ in parts)


def test_window_holds_the_query_words_and_marks_them() -> None:
    text = (
        FILLER * 20
        + "Leaders of the CSTO agreed to send peacekeepers to Kazakhstan. "
        + FILLER * 20
    )
    out = snippet(text, ["csto", "kazakhstan"], [])
    assert "[CSTO]" in out
    assert "[Kazakhstan]" in out
    assert out.startswith("…") and out.endswith("…")
    assert 150 <= len(out) <= 260


def test_the_window_with_most_distinct_words_wins_over_the_first_match() -> None:
    text = (
        "The CSTO was mentioned once here. "
        + FILLER * 10
        + "Later the CSTO and Kazakhstan agreed on a mission. "
        + FILLER * 10
    )
    out = snippet(text, ["csto", "kazakhstan"], [])
    assert "[CSTO] and [Kazakhstan]" in out


def test_more_matches_break_a_tie_in_distinct_words() -> None:
    text = (
        "Kazakhstan is named here. "
        + FILLER * 5
        + "Kazakhstan, Kazakhstan and again Kazakhstan. "
        + FILLER * 5
    )
    parts = snippet_parts(text, ["kazakhstan"], [])
    assert sum(hit for _, hit in parts) == 3


def test_accents_and_case_are_kept_in_the_highlight() -> None:
    out = snippet("President Kassym-Jomart Tokáev addressed the nation.", ["tokaev"], [])
    assert out == "President Kassym-Jomart [Tokáev] addressed the nation."


def test_prefixes_match_words_that_start_with_them() -> None:
    text = "Kazakhstan and the Kazakhs met in Kazan; kazakh traders came too."
    parts = snippet_parts(text, [], ["kazakh"])
    assert [piece for piece, hit in parts if hit] == ["Kazakhstan", "Kazakhs", "kazakh"]


def test_a_word_matches_whole_tokens_only() -> None:
    parts = snippet_parts("Scots and Cossacks met the SCO delegation.", ["sco"], [])
    assert [piece for piece, hit in parts if hit] == ["SCO"]


def test_without_a_match_the_snippet_is_the_start_of_the_text() -> None:
    text = FILLER * 5
    out = snippet(text, ["csto"], [], length=100)
    assert "[" not in out
    assert out.startswith("The ministry published")
    assert out.endswith("…")
    assert snippet(text, [], [], length=100) == out


def test_cuts_fall_between_words() -> None:
    text = FILLER * 10 + "Talks on CSTO reform. " + FILLER * 10
    out = snippet(text, ["csto"], [], length=120)
    body = out.strip("…")
    words = set(text.replace(",", " ").replace(".", " ").split())
    first, last = body.split()[0], body.split()[-1]
    assert first.strip(",.") in words
    assert last.strip(",.") in words


def test_a_sentence_starting_in_the_window_is_shown_from_its_start() -> None:
    text = FILLER * 3 + "Russian troops of the CSTO arrived in Almaty. " + FILLER * 3
    out = snippet(text, ["csto"], [], length=200)
    assert out.startswith("…Russian troops of the [CSTO]")


def test_an_opening_quote_stays_and_no_ellipsis_stands_for_mere_whitespace() -> None:
    text = FILLER * 3 + "“We will send troops,” the CSTO said.\n\n"
    out = snippet(text, ["csto"], [], length=200)
    assert out == "…“We will send troops,” the [CSTO] said."


def test_paragraph_breaks_become_single_spaces() -> None:
    out = snippet("First paragraph on the CSTO.\n\n  Second paragraph.", ["csto"], [])
    assert out == "First paragraph on the [CSTO]. Second paragraph."


def test_pieces_leave_escaping_to_the_caller() -> None:
    parts = snippet_parts("The <b>CSTO</b> & its allies", ["csto"], [])
    assert parts == [("The <b>", False), ("CSTO", True), ("</b> & its allies", False)]


def test_mark_is_configurable() -> None:
    out = snippet("The CSTO met.", ["csto"], [], mark=("<mark>", "</mark>"))
    assert out == "The <mark>CSTO</mark> met."


def test_text_with_and_without_non_ascii_letters_is_highlighted_alike() -> None:
    # Plain ASCII text takes a faster path; it must mark exactly what the general one does.
    text = (
        FILLER * 5 + "The CSTO_summit and csto2 and CSTO-led forces in Kazakh lands. " + FILLER * 5
    )
    ascii_parts = snippet_parts(text, ["csto"], ["kazakh"])
    general_parts = snippet_parts(text + " Ж", ["csto"], ["kazakh"])
    assert ascii_parts == general_parts
    assert [piece for piece, hit in ascii_parts if hit] == ["CSTO", "CSTO", "Kazakh"]


def test_a_long_article_is_scanned_quickly() -> None:
    text = "Tokáev " + FILLER * 1500 + " the CSTO and Kazakhstan at the very end."
    assert len(text) > 200_000
    started = time.perf_counter()
    out = snippet(text, ["csto", "kazakhstan"], [])
    elapsed = time.perf_counter() - started
    assert "[CSTO] and [Kazakhstan]" in out
    assert out.startswith("…") and not out.endswith("…")
    assert elapsed < 2.0


def test_empty_text_gives_an_empty_snippet() -> None:
    assert snippet("", ["csto"], []) == ""
    assert snippet_parts("", ["csto"], []) == []


def test_highlight_marks_every_match_in_the_whole_title() -> None:
    title = "Tokáev asks the CSTO for help as Kazakhstan burns"
    assert highlight(title, ["tokaev", "csto"], ["kazakh"]) == (
        "[Tokáev] asks the [CSTO] for help as [Kazakhstan] burns"
    )
    assert highlight_parts(title, [], []) == [(title, False)]


PIECES = [
    "CSTO",
    "Tokáev",
    "kazakh",
    "Kazakhstan",
    "the",
    "Жанаозен",
    "ﬁre",
    "-",
    ", ",
    ". ",
    "\n\n",
    " ",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=120).map("".join),
    st.lists(st.sampled_from(["csto", "tokaev", "fire", "жанаозен", "the"]), max_size=3),
    st.lists(st.sampled_from(["kazakh", "ж"]), max_size=1),
    st.integers(min_value=10, max_value=120),
)
def test_a_snippet_is_a_piece_of_the_text_with_only_query_words_marked(
    text: str, words: list[str], prefixes: list[str], length: int
) -> None:
    parts = snippet_parts(text, words, prefixes, length=length)
    body = "".join(piece for piece, _ in parts).removeprefix("…").removesuffix("…")
    assert body in re.sub(r"\s+", " ", text)
    for piece, hit in parts:
        if hit:
            (token,) = tokenize(piece)
            assert token in words or token.startswith(tuple(prefixes))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "CSTO",
                "csto",
                "Tokáev",
                "tokaev",
                "Kazakh",
                "é",
                "ß",
                "İ",
                "—",
                "“",
                "\u0301",
                " ",
                ", ",
                "_",
                "1",
                "ﬁ",
                "K",
                "Ёлка",
                "kazakhé",
                "x",
            ]
        ),
        max_size=80,
    ).map("".join),
    st.lists(st.sampled_from(["csto", "tokaev", "елка", "fi", "e", "k"]), max_size=3),
    st.lists(st.sampled_from(["kaz", "tok", "ел"]), max_size=1),
)
def test_highlighted_words_are_exactly_the_words_the_tokenizer_sees(
    text: str, words: list[str], prefixes: list[str]
) -> None:
    """The fast scan marks the same written words as folding every word with spans()."""
    want = set(words)
    expected = []
    for start, end, token in spans(text):
        if (token in want or token.startswith(tuple(prefixes))) and (
            not expected or expected[-1] != (start, end)
        ):
            expected.append((start, end))
    got = [(start, end) for start, end, _ in _matches(text, words, prefixes)]
    assert got == expected


def test_folding_strips_every_combining_mark_unicode_has() -> None:
    """The fast fold (precomputed classes of marks) agrees with the plain definition."""
    import sys
    import unicodedata

    from presswatch.text.tokens import fold

    def reference(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    marks = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))]
    assert len(marks) > 500
    for mark in marks:
        assert fold("é" + mark + "x") == reference("é" + mark + "x"), hex(ord(mark))
