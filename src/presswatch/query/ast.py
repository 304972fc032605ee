"""The query language's syntax tree: what an analyst asked for, before any engine sees it.

Nodes keep the text as written (`Term.text`, `Phrase.text`); tokenizing and the choice of
engine come later (search/plan.py), so one tree serves SQLite, PostgreSQL and the docs.
`pos` is the character offset in the query where the node starts, for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TEXT_FIELDS = (
    "title",
    "text",
    "author",
    "source",
    "url",
    "lang",
    "republished_from",
    "entity",
)
"""Fields whose values are words. No field means title or text."""

DATE_FIELDS = ("published",)
RESERVED_FIELDS: tuple[str, ...] = ()
"""Known to the language but not searchable yet; the parser says so plainly."""


@dataclass(frozen=True, slots=True)
class Term:
    """A word, or a prefix (`kazakh*`) when `prefix` is set; `field` None means title or text."""

    text: str
    field: str | None = None
    prefix: bool = False
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Phrase:
    """An exact phrase, or with `slop` set, words near each other (`"a b"~10`)."""

    text: str
    field: str | None = None
    slop: int | None = None
    pos: int = 0


@dataclass(frozen=True, slots=True)
class DateRange:
    """Articles dated in [start, end): both UTC, start < end."""

    start: datetime
    end: datetime
    field: str = "published"
    pos: int = 0


@dataclass(frozen=True, slots=True)
class SavedRef:
    """`@name`: a saved query, replaced by its tree before searching."""

    name: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    pos: int = 0


Node = Term | Phrase | DateRange | SavedRef | And | Or | Not
