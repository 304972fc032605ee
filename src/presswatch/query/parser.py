"""The query parser: the text an analyst typed, to the tree in query/ast.py, and back.

Recursive descent straight over the characters rather than over a token list made up
front, because what a character means depends on where it stands: after `url:` a link
runs to the next space (`https:` inside it is no field), inside quotes nothing is syntax,
after `published:` a `[` opens a date range. Every failure is a QuerySyntaxError that
points at the spot and says what was expected; nothing else escapes, whatever the input
(tests/test_query_fuzz.py holds it to that). The language is described for analysts in
docs/query-language.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from presswatch.errors import QuerySyntaxError
from presswatch.query.ast import (
    DATE_FIELDS,
    RESERVED_FIELDS,
    TEXT_FIELDS,
    And,
    DateRange,
    Node,
    Not,
    Or,
    Phrase,
    SavedRef,
    Term,
)

MAX_QUERY_CHARS = 10_000
MAX_DEPTH = 50
"""Parentheses (and NOTs) inside each other; deeper is refused, never a crash."""
MAX_SLOP = 100

DATE_MIN = datetime(1, 1, 1, tzinfo=UTC)
DATE_MAX = datetime.max.replace(tzinfo=UTC)
"""The bounds an open range (`[2021 TO *]`, `>=2022`) runs to."""

FIELDS = TEXT_FIELDS + DATE_FIELDS
_RAW_FIELDS = ("url", "source", "republished_from")
"""Fields whose bare value runs to the next space, so a pasted link or host needs no quotes."""

_OPERATORS = ("AND", "OR", "NOT")
_SPACE = re.compile(r"\s*")
_RUN = re.compile(r'[^\s()"~]+')
_DATE_RUN = re.compile(r'(>=|<=|>|<)?([^\s()"]*)')
_SLOP_RUN = re.compile(r'[^\s()"]*')
_PHRASE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_UNESCAPE = re.compile(r'\\(["\\])')
_FIELD = re.compile(r"([^\W\d_]\w*):")
SAVED_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
"""How a saved query's name is written after the @."""
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")
_has_alnum = re.compile(r"[^\W_]").search

_FIELD_LIST = ", ".join(FIELDS[:-1]) + " and " + FIELDS[-1]
_DATE_FORMS = (
    "write YYYY, YYYY-MM or YYYY-MM-DD, as in published:2022, published:2022-01 or "
    "published:2022-01-15"
)
_RANGE_FORM = "published:[2021-06-01 TO 2022-01-31]"
_EXAMPLES = {"published": "published:2022-01", "url": "url:wikipedia", "source": "source:tass.com"}


class _Tok(NamedTuple):
    kind: str  # "(", ")", "AND", "OR", "NOT", "-", "atom", "field" or "eof"
    pos: int
    end: int
    node: Node | None = None
    name: str = ""


_STARTS = ("atom", "field", "(", "NOT", "-")


def parse(text: str) -> Node:
    """The tree for `text`; raises QuerySyntaxError (and only that) when it is not a query."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"the query is too long: {len(text):,} characters, at most {MAX_QUERY_CHARS:,}",
            text,
            MAX_QUERY_CHARS,
        )
    return _Parser(text).query()


def to_text(node: Node) -> str:
    """The query text for `node`: parsing it gives the same tree again (positions aside).

    Used to show an analyst what a query with saved queries written out really searched.
    Operators are spelled out (`AND`), and parentheses added wherever they help reading.
    """
    if isinstance(node, Term):
        return f"{_field_text(node.field)}{node.text}{'*' if node.prefix else ''}"
    if isinstance(node, Phrase):
        quoted = node.text.replace("\\", "\\\\").replace('"', '\\"')
        slop = "" if node.slop is None else f"~{node.slop}"
        return f'{_field_text(node.field)}"{quoted}"{slop}'
    if isinstance(node, DateRange):
        return f"{node.field}:{_dates_text(node.start, node.end)}"
    if isinstance(node, SavedRef):
        return f"@{node.name}"
    if isinstance(node, Not):
        return f"NOT {_grouped(node.child)}"
    if isinstance(node, And):
        return " AND ".join(_grouped(c) for c in node.children)
    return " OR ".join(_grouped(c) for c in node.children)


def _field_text(field: str | None) -> str:
    return "" if field is None else f"{field}:"


def _grouped(node: Node) -> str:
    return f"({to_text(node)})" if isinstance(node, And | Or) else to_text(node)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.field: str | None = None
        """The field of the `field:( ... )` group being read, if any."""
        self._cached: tuple[int, str | None, _Tok] | None = None

    def error(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.s, position)

    # -- grammar: or = and (OR and)*; and = unary (AND? unary)*; unary = (NOT|-)* primary

    def query(self) -> Node:
        if self.peek().kind == "eof":
            why = "no letters or digits in it" if self.s.strip() else "nothing typed"
            raise self.error(
                f"the query is empty ({why}): type the words to search for, as in csto kazakhstan",
                0,
            )
        node = self.or_expr(0)
        tok = self.peek()
        if tok.kind == ")":
            raise self.error("this ) has no matching (", tok.pos)
        return node

    def or_expr(self, depth: int) -> Node:
        tok = self.peek()
        if tok.kind in ("AND", "OR"):
            raise self.error(f"{tok.kind} needs something to search for on its left", tok.pos)
        children = [self.and_expr(depth)]
        while self.peek().kind == "OR":
            self.expect_operand(self.take(), "on its right")
            children.append(self.and_expr(depth))
        return _join(children, Or)

    def and_expr(self, depth: int) -> Node:
        children = [self.unary(depth)]
        while True:
            tok = self.peek()
            if tok.kind == "AND":
                self.expect_operand(self.take(), "on its right")
            elif tok.kind not in _STARTS:
                return _join(children, And)
            children.append(self.unary(depth))

    def unary(self, depth: int) -> Node:
        negations: list[_Tok] = []
        while self.peek().kind in ("NOT", "-"):
            negations.append(self.take())
            if depth + len(negations) > MAX_DEPTH:
                raise self.too_deep(negations[-1].pos)
        if negations:
            self.expect_operand(negations[-1], "after it")
        node = self.primary(depth + len(negations))
        for tok in reversed(negations):
            node = Not(node, tok.pos)
        return node

    def primary(self, depth: int) -> Node:
        tok = self.take()
        if tok.kind == "atom" and tok.node is not None:
            return tok.node
        if tok.kind == "(":
            return self.group(tok.pos, depth + 1, self.field)
        if tok.kind == "field":
            return self.field_value(tok, depth)
        raise self.error("expected something to search for here", tok.pos)

    def group(self, opened: int, depth: int, field: str | None) -> Node:
        if depth > MAX_DEPTH:
            raise self.too_deep(opened)
        outer, self.field = self.field, field
        tok = self.peek()
        if tok.kind == ")":
            raise self.error("there is nothing to search for inside these parentheses", opened)
        if tok.kind == "eof":
            raise self.error("this ( is never closed: add a ) where the group ends", opened)
        node = self.or_expr(depth)
        if self.peek().kind != ")":
            raise self.error("this ( is never closed: add a ) where the group ends", opened)
        self.take()
        self.field = outer
        return node

    def field_value(self, tok: _Tok, depth: int) -> Node:
        field, s, i = tok.name, self.s, self.i
        example = _EXAMPLES.get(field, f"{field}:csto")
        if i >= self.n or s[i].isspace() or s[i] == ")":
            raise self.error(
                f"{field}: needs something to search for right after the colon, with no "
                f"space, as in {example}",
                i,
            )
        if s[i] == "(":
            self.i = i + 1
            return self.group(i, depth + 1, field)
        if s[i] == "-" and i + 1 < self.n and not s[i + 1].isspace():
            raise self.error(
                f"to leave out articles, put the minus before the field: -{example}", i
            )
        node, self.i = self.value(field, i, tok.pos)
        return node

    def expect_operand(self, op: _Tok, where: str) -> None:
        tok = self.peek()
        if tok.kind in _STARTS:
            return
        name = "-" if op.kind == "-" else op.kind
        message = f"{name} needs something to search for {where}"
        if tok.kind in _OPERATORS:
            message += f", not {tok.kind}"
        if op.kind in ("NOT", "-"):
            message += " (as in NOT title:turkic or -turkic)"
        raise self.error(message, op.pos if tok.kind == "eof" else tok.pos)

    def too_deep(self, position: int) -> QuerySyntaxError:
        return self.error(
            f"the query is too deep: more than {MAX_DEPTH} parentheses or NOTs inside each other",
            position,
        )

    # -- reading the characters -------------------------------------------------------------

    def peek(self) -> _Tok:
        cached = self._cached
        if cached is not None and cached[0] == self.i and cached[1] == self.field:
            return cached[2]
        tok = self.lex()
        self._cached = (self.i, self.field, tok)
        return tok

    def take(self) -> _Tok:
        tok = self.peek()
        self.i = tok.end
        return tok

    def lex(self) -> _Tok:
        s, n, i = self.s, self.n, self.i
        while True:
            i = _skip_space(s, i)
            if i >= n:
                return _Tok("eof", n, n)
            c = s[i]
            if c in "()":
                return _Tok(c, i, i + 1)
            if c == "~":
                raise self.error(
                    '~ goes right after a quoted phrase, as in "csto peacekeeping"~10', i
                )
            if c == "-" and i + 1 < n and s[i + 1] in '("':
                return _Tok("-", i, i + 1)
            if c == '"' and self.field is None:
                phrase, end = self.phrase(i, None, i)
                return _Tok("atom", i, end, phrase)
            run = _RUN.match(s, i)
            word = run.group() if run else ""
            end = run.end() if run else i
            if word in _OPERATORS:
                return _Tok(word, i, end)
            if word:
                if self.field not in _RAW_FIELDS:
                    self.refuse_other_operators(word, i)
                if self.field not in DATE_FIELDS and "*" not in word and not _has_alnum(word):
                    i = end  # punctuation alone ("--", "&", "'") searches for nothing
                    continue
                if word[0] == "-":
                    return _Tok("-", i, i + 1)
            if self.field is not None:
                self.refuse_nested_field(word, i)
                node, end = self.value(self.field, i, i)
                return _Tok("atom", i, end, node)
            if word[0] == "@":
                if not SAVED_NAME.fullmatch(word, 1):
                    raise self.error(
                        "a saved query is written @ and its name: letters a-z, digits, _ and -, "
                        "starting with a letter, as in @csto (to search for the text, put "
                        "it in quotes)",
                        i,
                    )
                return _Tok("atom", i, end, SavedRef(word[1:], i))
            m = _FIELD.match(word)
            if m is None:
                return _Tok("atom", i, end, self.term(word, None, i))
            return self.field_token(word, m.group(1), i)

    def field_token(self, word: str, name: str, i: int) -> _Tok:
        field = name.lower()
        if field in FIELDS:
            return _Tok("field", i, i + len(name) + 1, name=field)
        if field in RESERVED_FIELDS:
            raise self.error(
                f"{name}: searches need the enrichment step (people, places and "
                "organisations found in the articles), which is not available yet",
                i,
            )
        if word[len(name) + 1 :].startswith("//"):  # a link pasted bare
            end = self.raw_end(i)
            return _Tok("atom", i, end, self.term(self.s[i:end], None, i))
        quoted = f' "{word}"' if len(word) <= 40 else ""
        raise self.error(
            f"unknown field {name}: the fields are {_FIELD_LIST}; to search for the text, "
            f"put it in quotes{quoted}",
            i,
        )

    def refuse_other_operators(self, word: str, i: int) -> None:
        if "|" in word:
            raise self.error(
                "| is not an operator here: write OR in capitals, as in csto OR odkb", i
            )
        if word[0] == "!" and _has_alnum(word):
            raise self.error(
                f"to leave out a word, write NOT {word[1:]} or -{word[1:]} rather than !", i
            )

    def refuse_nested_field(self, word: str, i: int) -> None:
        m = _FIELD.match(word)
        if m and m.group(1).lower() in FIELDS + RESERVED_FIELDS:
            raise self.error(
                f"{m.group(1)}: cannot go inside the parentheses of {self.field}:( ); "
                "write it on its own, outside them",
                i,
            )

    def value(self, field: str, i: int, at: int) -> tuple[Node, int]:
        """The value of `field` starting at `i` (not a group); the node starts at `at`."""
        s = self.s
        if field in DATE_FIELDS:
            return self.dates(field, i, at)
        if s[i] == '"':
            return self.phrase(i, field, at)
        if s[i] == "~":
            raise self.error('~ goes right after a quoted phrase, as in "csto peacekeeping"~10', i)
        if field in _RAW_FIELDS:
            end = self.raw_end(i)
        else:
            run = _RUN.match(s, i)
            end = run.end() if run else i
        text = s[i:end]
        self.refuse_nested_field(text, i)
        return self.term(text, field, at, i), end

    def term(self, text: str, field: str | None, at: int, i: int | None = None) -> Term:
        i = at if i is None else i
        if field not in _RAW_FIELDS:
            self.refuse_other_operators(text, i)
        star = text.find("*")
        prefix = star != -1
        if prefix:
            if star != len(text) - 1:
                raise self.error(
                    "a * can only end a word, as in kazakh* (which finds kazakhstan, "
                    "kazakhs...); to search for * itself, put it in quotes",
                    i + star,
                )
            text = text[:-1]
            if not _has_alnum(text):
                raise self.error(
                    "a * needs the beginning of a word before it, as in kazakh*", i + star
                )
        if not _has_alnum(text):
            raise self.error(
                f"there is nothing to search for in {text[:40]!r}: it has no letters or digits",
                i,
            )
        return Term(text, field, prefix, at)

    def phrase(self, i: int, field: str | None, at: int) -> tuple[Phrase, int]:
        m = _PHRASE.match(self.s, i)
        if m is None:
            raise self.error(
                'this quote is never closed: add a " where the phrase ends '
                '(write \\" for a quote inside a phrase)',
                i,
            )
        text = _UNESCAPE.sub(r"\1", m.group(1))
        if not _has_alnum(text):
            raise self.error(
                "there is nothing to search for between these quotes: no letters or digits", i
            )
        end = m.end()
        slop = None
        if end < self.n and self.s[end] == "~":
            digits = _SLOP_RUN.match(self.s, end + 1)
            number = digits.group() if digits else ""
            fits = number.isascii() and number.isdigit() and len(number) <= 3
            if not (fits and int(number) <= MAX_SLOP):
                raise self.error(
                    f"~ needs a whole number from 0 to {MAX_SLOP} right after it: how many "
                    'other words may come between, as in "csto peacekeeping"~10',
                    end,
                )
            slop = int(number)
            end += 1 + len(number)
        return Phrase(text, field, slop, at), end

    def raw_end(self, i: int) -> int:
        """Where a bare link starting at `i` ends: a space, or a ) it did not open."""
        s, depth = self.s, 0
        for j in range(i, self.n):
            c = s[j]
            if c.isspace():
                return j
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    return j
                depth -= 1
        return self.n

    # -- dates --------------------------------------------------------------------------

    def dates(self, field: str, i: int, at: int) -> tuple[DateRange, int]:
        s = self.s
        if s[i] == "[":
            return self.date_range(field, i, at)
        if s[i] == '"':
            raise self.error(f"dates are written without quotes: {_DATE_FORMS}", i)
        m = _DATE_RUN.match(s, i)
        assert m is not None  # the pattern matches the empty string
        op, word = m.group(1) or "", m.group(2)
        if not word:
            raise self.error(f"a date must follow {op or field + ':'}; {_DATE_FORMS}", m.end())
        first, after = self.date(word, i + len(op))
        start, end = {
            "": (first, after),
            ">=": (first, DATE_MAX),
            ">": (after, DATE_MAX),
            "<": (DATE_MIN, first),
            "<=": (DATE_MIN, after),
        }[op]
        if start >= end:
            raise self.error(f"no article can be dated {op}{word}", i)
        return DateRange(start, end, field, at), m.end()

    def date_range(self, field: str, i: int, at: int) -> tuple[DateRange, int]:
        close = self.s.find("]", i)
        if close == -1:
            raise self.error(f"this [ is never closed: write a range as {_RANGE_FORM}", i)
        parts = [(m.start() + i + 1, m.group()) for m in re.finditer(r"\S+", self.s[i + 1 : close])]
        if len(parts) != 3 or parts[1][1].upper() != "TO":
            raise self.error(
                f"write a date range as {_RANGE_FORM}, with * for an open end, as in "
                "published:[2021-06 TO *]",
                i,
            )
        (lo_at, lo), _, (hi_at, hi) = parts
        start = DATE_MIN if lo == "*" else self.date(lo, lo_at)[0]
        end = DATE_MAX if hi == "*" else self.date(hi, hi_at)[1]
        if start >= end:
            raise self.error(
                f"the range ends before it starts: write the earlier date first, as in "
                f"{_RANGE_FORM}",
                i,
            )
        return DateRange(start, end, field, at), close + 1

    def date(self, word: str, i: int) -> tuple[datetime, datetime]:
        """The first moment of the year, month or day `word` names, and the first after it."""
        m = _DATE.fullmatch(word)
        if m is None:
            raise self.error(f"{word[:40]!r} is not a date: {_DATE_FORMS}", i)
        year, month, day = (int(g) if g else 0 for g in m.groups())
        try:
            start = datetime(year, month or 1, day or 1, tzinfo=UTC)
        except ValueError:
            raise self.error(f"there is no such date as {word}: {_DATE_FORMS}", i) from None
        return start, _after(start, "day" if day else "month" if month else "year")


def _after(start: datetime, precision: str) -> datetime:
    try:
        if precision == "day":
            return start + timedelta(days=1)
        if precision == "month":
            if start.month == 12:
                return start.replace(year=start.year + 1, month=1)
            return start.replace(month=start.month + 1)
        return start.replace(year=start.year + 1)
    except (ValueError, OverflowError):
        return DATE_MAX


def _dates_text(start: datetime, end: datetime) -> str:
    if start == DATE_MIN and end == DATE_MAX:
        return "[* TO *]"
    midnight = start.time() == datetime.min.time()
    shapes = (("year", start.month == start.day == 1), ("month", start.day == 1), ("day", True))
    for precision, aligned in shapes:
        if midnight and aligned and _after(start, precision) == end:
            return _date_text(start, precision)
    lo = "*" if start == DATE_MIN else _date_text(start, "day")
    hi = "*" if end == DATE_MAX else _date_text(end - timedelta(days=1), "day")
    return f"[{lo} TO {hi}]"


def _date_text(when: datetime, precision: str) -> str:
    if precision == "year":
        return f"{when.year:04d}"
    if precision == "month":
        return f"{when.year:04d}-{when.month:02d}"
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}"


def _skip_space(s: str, i: int) -> int:
    m = _SPACE.match(s, i)
    return m.end() if m else i


def _join(children: list[Node], kind: type[And] | type[Or]) -> Node:
    """One node for `children`: nested And in And (or Or in Or) flattened into one."""
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        if isinstance(child, kind):
            flat.extend(child.children)
        else:
            flat.append(child)
    return kind(tuple(flat), flat[0].pos)
