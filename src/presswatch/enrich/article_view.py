"""What a reader is shown of one article's enrichment. Owner: issue 5 output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from presswatch.store.records import ArticleDetail


@dataclass(frozen=True, slots=True)
class EntityCount:
    name: str
    kind: str
    mentions: int


@dataclass(frozen=True, slots=True)
class MentionSpan:
    """Offsets into `ArticleView.text`, end exclusive."""

    start: int
    end: int
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class QuoteView:
    speaker: str | None
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CopyView:
    """A syndicated copy of the article in another feed (or the same story)."""

    article_id: int
    source: str | None
    title: str | None
    url: str | None
    published: datetime | None
    overlap: float


@dataclass(frozen=True, slots=True)
class ArticleView:
    """`status` is 'analysed', 'not analysed' (with `reason`, say a language) or
    'pending' (not enriched yet)."""

    detail: ArticleDetail
    text: str
    language: str | None
    declared_language: str | None
    status: str
    reason: str | None
    entities: tuple[EntityCount, ...]
    mentions: tuple[MentionSpan, ...]
    quotes: tuple[QuoteView, ...]
    key_phrases: tuple[str, ...]
    copies: tuple[CopyView, ...]


def article_view_json(view: ArticleView) -> dict[str, Any]:
    """The enrichment part of an article's JSON (language, entities, quotes, key_phrases,
    copies), shared by `show --format json`, `articles --format json` and the API."""
    raise NotImplementedError
