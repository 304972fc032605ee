"""The values entities and quotes travel as (pure): spans from the NER model in, resolved
mentions, canonical entities and attributed quotes out. Offsets are character offsets
into the article's text shown."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("person", "organization", "place", "group")


@dataclass(frozen=True, slots=True)
class Span:
    """A named-entity span as the model found it. `label` is spaCy's (PERSON, ORG, GPE,
    LOC, NORP, FAC, EVENT, ...)."""

    start: int
    end: int
    text: str
    label: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A span resolved to one entity: `canonical` is the entity's name, `kind` one of
    KINDS."""

    start: int
    end: int
    text: str
    kind: str
    canonical: str


@dataclass(frozen=True, slots=True)
class Entity:
    """One canonical entity of an article: the names it went by there, how many mentions,
    and why names were merged ("acronym of ...", "surname of ...", "alias file")."""

    canonical: str
    kind: str
    aliases: tuple[str, ...]
    mentions: int
    why: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quotation (the words inside the marks) and its speaker, when found."""

    start: int
    end: int
    text: str
    speaker: str | None  # the canonical entity name
    speaker_start: int | None = None
    speaker_end: int | None = None
