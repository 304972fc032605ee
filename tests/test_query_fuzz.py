"""Whatever is typed, the parser answers with a tree or its own syntax error, nothing else;
every query the grammar allows parses, lowers to a plan, and survives a trip through text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presswatch.errors import QuerySyntaxError
from presswatch.query.ast import And, DateRange, Node, Not, Or, Phrase, SavedRef, Term
from presswatch.query.parser import parse, to_text
from presswatch.query.saved import expand
from presswatch.search.plan import lower
from query_strategies import unplaced, valid_queries

SYNTAX = [*'()"*:~^-@[]<>=|!\\', " ", " AND ", " OR ", "NOT ", " TO ", "title:", "published:"]
SYNTAX += ["url:", "entity:", "@csto", "2022-01", "~10", "csto", "Tokáev", "\n", "\x00"]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def nodes(node: Node) -> list[Node]:
    found = [node]
    if isinstance(node, And | Or):
        for child in node.children:
            found += nodes(child)
    elif isinstance(node, Not):
        found += nodes(node.child)
    return found


def _tree_or_syntax_error(text: str) -> None:
    try:
        node = parse(text)
    except QuerySyntaxError as exc:
        assert exc.message
        assert 0 <= exc.position <= len(text)
        return
    assert all(
        isinstance(n, Term | Phrase | DateRange | SavedRef | And | Or | Not) for n in nodes(node)
    )


@FUZZ
@given(st.text())
def test_any_text(text: str) -> None:
    _tree_or_syntax_error(text)


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=3)), max_size=30))
def test_any_mix_of_syntax(pieces: list[str]) -> None:
    _tree_or_syntax_error("".join(pieces))


@FUZZ
@given(valid_queries())
def test_every_valid_query_parses_and_lowers_to_a_plan(query: str) -> None:
    node = parse(query)
    assert all(isinstance(n, Term | Phrase | DateRange | And | Or | Not) for n in nodes(node))
    assert all(n.start < n.end for n in nodes(node) if isinstance(n, DateRange))
    assert all(0 <= n.pos < len(query) for n in nodes(node))
    lower(node, query)


@FUZZ
@given(valid_queries())
def test_a_tree_written_back_as_text_parses_to_the_same_tree(query: str) -> None:
    node = unplaced(parse(query))
    assert unplaced(parse(to_text(node))) == node


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=3)), max_size=30))
def test_whatever_parses_survives_a_trip_through_text(pieces: list[str]) -> None:
    try:
        node = unplaced(parse("".join(pieces)))
    except QuerySyntaxError:
        return
    assert unplaced(parse(to_text(node))) == node


SAVED = {"csto": 'CSTO OR ОДКБ OR "Collective Security Treaty Organization"', "kz": "kazakh*"}


@FUZZ
@given(valid_queries(tuple(SAVED)))
def test_saved_queries_write_out_to_a_query_without_them(query: str) -> None:
    node = expand(parse(query), SAVED.get, query)
    assert not any(isinstance(n, SavedRef) for n in nodes(node))
    assert all(0 <= n.pos < len(query) for n in nodes(node))
    lower(node, query)
    assert unplaced(parse(to_text(node))) == unplaced(node)
