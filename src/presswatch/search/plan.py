"""Lower a query tree to a plan of tokens: the one form both search engines compile.

Everything that decides *what matches* happens here, in pure code, so SQLite (tantivy)
and PostgreSQL (tsvector) cannot disagree: words are tokenized by text.tokens, a word
with no field means title OR text, a written word that splits into several tokens
("U.S.", "strategic-culture.org") becomes an exact phrase, and proximity is expanded to
the exact placements it allows (see `near_layouts`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from presswatch.errors import QuerySyntaxError
from presswatch.query.ast import And, DateRange, Node, Not, Or, Phrase, SavedRef, Term
from presswatch.search.documents import entity_token
from presswatch.text.tokens import MAX_TOKEN, tokenize

DEFAULT_FIELDS = ("title", "text")
TITLE_BOOST = 2.0
"""A match in the title counts this many times a match in the text when ranking."""

MAX_LAYOUTS = 512
"""Proximity is expanded to exact placements; beyond this many the query is refused."""
MAX_SLOP = 100


@dataclass(frozen=True, slots=True)
class Match:
    """`tokens` in `field`: one token is a word, several an exact phrase.

    With `prefix`, the last token is a prefix (kazakh* matches kazakhstan, kazakhs...).
    """

    field: str
    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Near:
    """Any of `layouts` in `field`; a layout is (offset, token) pairs, offsets from 0."""

    field: str
    layouts: tuple[tuple[tuple[int, str], ...], ...]


@dataclass(frozen=True, slots=True)
class When:
    """Dated in [start, end) by COALESCE(published, first_seen), both UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Plan, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Plan, ...]


@dataclass(frozen=True, slots=True)
class Without:
    """Every article the child does not match."""

    child: Plan


@dataclass(frozen=True, slots=True)
class Everything:
    pass


Plan = Match | Near | When | All | AnyOf | Without | Everything


def lower(node: Node, query: str = "") -> Plan:
    """The plan for `node` (saved references must be expanded first).

    Raises QuerySyntaxError, pointing into `query`, for a word with nothing searchable in
    it or a proximity too wide to run.
    """
    if node_field(node) == "entity":
        assert isinstance(node, Term | Phrase)
        _tokens(node.text, query, node.pos)  # the same errors for an empty name
        prefix = isinstance(node, Term) and node.prefix
        return Match(
            "entity", (entity_token(node.text.rstrip("*") if prefix else node.text),), prefix
        )
    if isinstance(node, Term):
        tokens = _tokens(node.text, query, node.pos)
        return _in_fields(node.field, lambda f: Match(f, tokens, node.prefix))
    if isinstance(node, Phrase):
        tokens = _tokens(node.text, query, node.pos)
        if not node.slop or len(tokens) == 1:
            return _in_fields(node.field, lambda f: Match(f, tokens))
        layouts = near_layouts(tokens, node.slop, query, node.pos)
        return _in_fields(node.field, lambda f: Near(f, layouts))
    if isinstance(node, DateRange):
        return When(node.start, node.end)
    if isinstance(node, And):
        return All(tuple(lower(c, query) for c in node.children))
    if isinstance(node, Or):
        return AnyOf(tuple(lower(c, query) for c in node.children))
    if isinstance(node, Not):
        return Without(lower(node.child, query))
    if isinstance(node, SavedRef):
        raise QuerySyntaxError(f"the saved query @{node.name} was not expanded", query, node.pos)
    raise TypeError(f"not a query node: {node!r}")


def node_field(node: Node) -> str | None:
    return node.field if isinstance(node, Term | Phrase) else None


def near_layouts(
    tokens: tuple[str, ...], slop: int, query: str = "", pos: int = 0
) -> tuple[tuple[tuple[int, str], ...], ...]:
    """Every placement `"w1 ... wn"~slop` allows, as (offset, token) pairs.

    The words come in the order written, each with at most `slop` other words between it
    and the one before; two words may also come in the reverse order. So `"csto
    peacekeeping"~10` finds "peacekeeping forces of the CSTO" too.
    """
    if slop > MAX_SLOP:
        raise QuerySyntaxError(
            f"a proximity of ~{slop} is wider than the ~{MAX_SLOP} allowed; "
            "search for the words with AND instead",
            query,
            pos,
        )
    gaps = len(tokens) - 1
    orders = [tokens, tokens[::-1]] if len(tokens) == 2 and tokens[0] != tokens[1] else [tokens]
    if len(orders) * (slop + 1) ** gaps > MAX_LAYOUTS:
        raise QuerySyntaxError(
            f"a proximity search over {len(tokens)} words within ~{slop} has too many "
            f"arrangements to run (at most {MAX_LAYOUTS}); use fewer words or a smaller "
            "distance",
            query,
            pos,
        )
    layouts: list[tuple[tuple[int, str], ...]] = []
    for order in orders:
        for steps in itertools.product(range(1, slop + 2), repeat=gaps):
            offsets = [0, *itertools.accumulate(steps)]
            layouts.append(tuple(zip(offsets, order, strict=True)))
    return tuple(layouts)


def positive_tokens(plan: Plan) -> tuple[list[str], list[str]]:
    """(words, prefixes) a matching article may contain, for highlighting: NOT parts left out."""
    words: list[str] = []
    prefixes: list[str] = []

    def walk(p: Plan) -> None:
        if isinstance(p, Match):
            words.extend(p.tokens[:-1] if p.prefix else p.tokens)
            if p.prefix:
                prefixes.append(p.tokens[-1])
        elif isinstance(p, Near):
            words.extend(t for _, t in p.layouts[0])
        elif isinstance(p, All | AnyOf):
            for c in p.children:
                walk(c)

    walk(plan)
    return list(dict.fromkeys(words)), list(dict.fromkeys(prefixes))


def _tokens(text: str, query: str, pos: int) -> tuple[str, ...]:
    tokens = tuple(tokenize(text))
    if not tokens:
        if any(c.isalnum() for c in text):
            raise QuerySyntaxError(
                f"{text[:40]!r} is a word longer than {MAX_TOKEN} characters, which the index "
                "does not keep; search for part of it with a prefix (word*)",
                query,
                pos,
            )
        raise QuerySyntaxError(f"{text!r} has no letters or digits to search for", query, pos)
    return tokens


def _in_fields(field: str | None, make: Callable[[str], Plan]) -> Plan:
    if field is not None:
        return make(field)
    return AnyOf(tuple(make(f) for f in DEFAULT_FIELDS))
