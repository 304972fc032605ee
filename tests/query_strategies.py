"""Hypothesis strategies for the query language: valid query texts, built from its grammar.

Shared by the parser's tests and the search tests (both engines run what is drawn). Every
query drawn parses, and lowers to a plan: its words have letters, proximity stays within
what search/plan.py expands, nesting stays shallow, and dates are real.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hypothesis import strategies as st

from presswatch.query.ast import And, DateRange, Node, Not, Or, Phrase, SavedRef, Term
from presswatch.text.tokens import tokenize

VOCABULARY = (
    "CSTO",
    "csto",
    "ОДКБ",
    "одкб",
    "Kazakhstan",
    "kazakhstan",
    "Kyrgyzstan",
    "Tajikistan",
    "Tokayev",
    "Tokáev",
    "токаев",
    "peacekeeping",
    "peacekeepers",
    "Almaty",
    "Bishkek",
    "Putin",
    "mission",
    "security",
    "collective",
    "Turkic",
    "2022",
    "U.S.",
    "Kassym-Jomart",
    "fact-finding",
    "O'Neil",
    "and",
    "or",
    "not",
    "NEAR",
    "ёлка",
)
STEMS = ("kazakh", "kaz", "peace", "tok", "kyrgyz", "secur", "одк", "tajik")
OUTLETS = ("strategic-culture.org", "eurasia-monitor.example", "tass.com", "novosti")
LINKS = (
    "https://strategic-culture.org/news/2022/01/06/csto",
    "https://en.wikipedia.org/wiki/CSTO_(organisation)",
    "http://novosti.example/a?id=1&x=~y",
)
_LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZáéöüçñşğı"
    "абвгдеёжзийклмнопрстуфхцчшщыэюяқңүұө0123456789"
)
_INNER = ".'-,;^=&+/"
_OPERATORS = ("AND", "OR", "NOT")


_PLAIN = st.text(st.sampled_from(_LETTERS), min_size=1, max_size=8).filter(
    lambda w: w not in _OPERATORS
)
_ONE_TOKEN = tuple(w for w in VOCABULARY if len(tokenize(w)) == 1)
_DAYS = st.dates(date(1990, 1, 1), date(2030, 12, 31))


@st.composite
def words(draw: st.DrawFn) -> str:
    """A word as an analyst types it: letters, perhaps with punctuation inside (U.S.)."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.sampled_from(VOCABULARY))
    if kind == 1:
        return draw(_PLAIN)
    return draw(_PLAIN) + draw(st.sampled_from(_INNER)) + draw(_PLAIN)


@st.composite
def phrases(draw: st.DrawFn) -> str:
    """An exact phrase (perhaps with a quote inside), or two or three words near each other.

    Near words are single tokens, so the proximity stays within what search/plan.py runs.
    """
    if draw(st.booleans()):
        near = draw(
            st.lists(st.one_of(st.sampled_from(_ONE_TOKEN), _PLAIN), min_size=1, max_size=3)
        )
        return f'"{" ".join(near)}"~{draw(st.integers(0, 7))}'
    body = " ".join(draw(st.lists(words(), min_size=1, max_size=4)))
    if draw(st.booleans()):
        body += f' \\"{draw(words())}\\"'
    return f'"{body}"'


@st.composite
def _text_atoms(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(phrases())
    if kind == 1:
        return draw(st.one_of(st.sampled_from(STEMS), _PLAIN)) + "*"
    return draw(words())


def _boolean(atoms: st.SearchStrategy[str], max_leaves: int) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.builds(_combine, st.integers(0, 5), inner, inner)

    return st.recursive(atoms, extend, max_leaves=max_leaves)


def _combine(how: int, a: str, b: str) -> str:
    return (f"{a} AND {b}", f"{a} OR {b}", f"{a} {b}", f"({a})", f"NOT ({a})", f"-({a})")[how]


def _date(day: date, precision: int) -> str:
    return (f"{day:%Y}", f"{day:%Y-%m}", f"{day:%Y-%m-%d}")[precision]


@st.composite
def _date_values(draw: st.DrawFn) -> str:
    """A real date at year, month or day precision, a range, or a comparison."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return _date(draw(_DAYS), draw(st.integers(0, 2)))
    if kind == 1:
        op = draw(st.sampled_from((">=", ">", "<", "<=")))
        return op + _date(draw(_DAYS), draw(st.integers(0, 2)))
    # Cutting the earlier day to its year or month keeps it earlier: never backwards.
    first, last = sorted((draw(_DAYS), draw(_DAYS)))
    lo, hi = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    return f"[{'*' if lo == 3 else _date(first, lo)} TO {'*' if hi == 3 else _date(last, hi)}]"


@st.composite
def _fielded(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        name = draw(st.sampled_from(("title", "text", "author")))
        grouped = draw(st.booleans())
        value = f"({draw(_boolean(_text_atoms(), 4))})" if grouped else draw(_text_atoms())
    elif kind == 1:
        name = draw(st.sampled_from(("source", "republished_from")))
        value = draw(st.one_of(st.sampled_from(OUTLETS), words()))
    elif kind == 2:
        name = "url"
        value = draw(st.one_of(st.sampled_from(LINKS + OUTLETS), words()))
    elif kind == 3:
        name, value = "lang", draw(st.sampled_from(("en", "ru")))
    else:
        name = "published"
        grouped = draw(st.booleans())
        value = f"({draw(_boolean(_date_values(), 3))})" if grouped else draw(_date_values())
    spelled = draw(st.sampled_from((name, name.upper(), name.title())))
    return f"{spelled}:{value}"


@st.composite
def _atoms(draw: st.DrawFn, saved_names: tuple[str, ...]) -> str:
    kind = draw(st.integers(0, 4 if saved_names else 3))
    if kind == 0:
        return draw(_fielded())
    if kind == 1:
        return "-" + draw(_text_atoms())
    if kind == 4:
        return "@" + draw(st.sampled_from(saved_names))
    return draw(_text_atoms())


def valid_queries(saved_names: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Query texts the language accepts; with `saved_names`, some use `@name` for those."""
    return _boolean(_atoms(tuple(saved_names)), 10)


def unplaced(node: Node) -> Node:
    """`node` with every position set to 0, to compare trees by meaning."""
    if isinstance(node, And):
        return And(tuple(unplaced(c) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(unplaced(c) for c in node.children))
    if isinstance(node, Not):
        return Not(unplaced(node.child))
    if isinstance(node, Term):
        return Term(node.text, node.field, node.prefix)
    if isinstance(node, Phrase):
        return Phrase(node.text, node.field, node.slop)
    if isinstance(node, DateRange):
        return DateRange(node.start, node.end, node.field)
    return SavedRef(node.name)
