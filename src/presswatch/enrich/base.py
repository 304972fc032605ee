"""What an enricher is given and gives back; the runner stores it (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class EnrichInput:
    """One article as an enricher sees it: the text shown (the page's, when it was read)."""

    id: int
    title: str
    text: str
    declared_language: str | None  # what the feed said, kept beside what is found
    content_hash: str
    detected_language: str | None = None  # what the language enricher found, once it ran


@dataclass(frozen=True, slots=True)
class EnrichResult:
    article_id: int
    status: str = "ok"  # ok | skipped (nothing to find, with why) | error
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Enricher(Protocol):
    """`version` changes whenever what the enricher finds could change (a new model, a
    new rule): every article done by an older version is then stale."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def run(self, batch: Sequence[EnrichInput]) -> list[EnrichResult]: ...
