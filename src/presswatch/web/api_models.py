"""The shapes the REST API answers with and accepts: the OpenAPI document is made from them.

Dates are ISO 8601 in UTC. Every list that can grow is a page with an opaque `next`
link; errors share one shape (`ErrorOut`). Models mirror the JSON the CLI writes
(`--format json`), so a script can move between the two.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Out):
    message: str = Field(description="What went wrong, for the analyst, with what to do.")
    status: int
    query: str | None = Field(None, description="The query that could not be understood.")
    position: int | None = Field(
        None, description="Where in `query` it went wrong, counted from 1 (characters)."
    )
    pointer: str | None = Field(None, description="The query with a caret under that spot.")
    fields: list[FieldProblem] = Field(
        default_factory=list, description="For 422: each parameter or field that was refused."
    )


class FieldProblem(_Out):
    where: str = Field(description="query, path, header or body, then the field's name.")
    message: str


class ErrorOut(_Out):
    error: ErrorDetail


class TextPart(_Out):
    """A piece of a title or snippet; `match` marks the words the query found."""

    text: str
    match: bool


class ArticleRecord(_Out):
    """An article as `presswatch articles --format csv|jsonl` and the exports write it."""

    id: int
    source: str | None
    feed_url: str | None
    guid: str | None
    url: str | None
    original_url: str | None
    title: str
    authors: list[str]
    published: datetime | None
    published_raw: str | None
    date_flag: str | None
    summary: str | None
    text: str
    text_from: str = Field(description="page when the article's own page gave the text")
    feed_text: str | None
    language: str | None = Field(description="The language the feed declares.")
    republished_from: str | None
    categories: list[str]
    first_seen: datetime
    link: str = Field(description="This article in the API.")


class ArticlePage(_Out):
    items: list[ArticleRecord]
    next: str | None = Field(description="The next page, or null on the last one.")
    next_cursor: str | None


class SearchHitOut(_Out):
    id: int
    title: str
    title_parts: list[TextPart]
    snippet: list[TextPart]
    score: float | None = Field(description="Relevance; null when sorted by date.")
    source: str | None
    url: str | None
    authors: list[str]
    published: datetime | None
    first_seen: datetime
    language: str | None
    link: str


class SearchPage(_Out):
    query: str
    expanded: str = Field(description="The query with saved queries (@name) written out.")
    total: int
    sort: str
    items: list[SearchHitOut]
    next: str | None
    next_cursor: str | None


class FacetValueOut(_Out):
    value: str
    count: int
    refine: str = Field(description="The query narrowed to this value, ready to run.")


class FacetsOut(_Out):
    query: str
    total: int
    sources: list[FacetValueOut]
    authors: list[FacetValueOut]
    languages: list[FacetValueOut]
    entities: list[FacetValueOut]
    years: list[FacetValueOut]


class EntityCountOut(_Out):
    name: str
    kind: str
    mentions: int


class MentionOut(_Out):
    start: int
    end: int
    text: str
    name: str
    kind: str


class QuoteSpanOut(_Out):
    speaker: str | None
    text: str
    start: int
    end: int


class CopyOut(_Out):
    id: int
    source: str | None
    title: str | None
    url: str | None
    published: datetime | None
    overlap: float
    containment: float
    role: str


class AnalysisOut(_Out):
    status: str = Field(description="analysed, not analysed (see reason) or pending")
    reason: str | None


class ArticleViewOut(_Out):
    """What a reader is shown: offsets count characters of `text`, end exclusive."""

    text: str
    text_from: str
    language: str | None = Field(description="The language detected in the text.")
    declared_language: str | None
    analysis: AnalysisOut
    entities: list[EntityCountOut]
    mentions: list[MentionOut]
    quotes: list[QuoteSpanOut]
    key_phrases: list[str]
    syndication_role: str | None = Field(
        description="Its place in its syndication cluster (original, copy, folded), if any."
    )
    copies: list[CopyOut]


class FeedSightingOut(_Out):
    title: str | None
    url: str | None
    guid: str | None
    first_seen: datetime
    last_seen: datetime


class FetchOut(_Out):
    id: int
    started_at: datetime
    finished_at: datetime | None
    location: str
    status: str
    error: str | None
    url: str | None
    http_status: int | None


class RevisionOut(_Out):
    replaced_at: datetime
    title: str
    authors: list[str]
    summary: str | None
    text: str


class ProvenanceOut(_Out):
    feeds: list[FeedSightingOut]
    fetches: list[FetchOut]
    revisions: list[RevisionOut]


class ArticleOut(_Out):
    article: ArticleRecord
    view: ArticleViewOut
    provenance: ProvenanceOut


class TopEntityOut(_Out):
    name: str
    kind: str
    articles: int
    mentions: int
    link: str


class AliasOut(_Out):
    alias: str
    why: str | None


class CountOut(_Out):
    value: str
    count: int


class CoMentionOut(_Out):
    name: str
    kind: str
    articles: int


class QuoteOut(_Out):
    article_id: int
    text: str
    speaker: str | None
    published: datetime | None
    title: str


class EntityOut(_Out):
    name: str
    kind: str
    aliases: list[AliasOut]
    months: list[CountOut] = Field(description="Articles mentioning it, per month (YYYY-MM).")
    co_mentioned: list[CoMentionOut]
    sources: list[CountOut]
    quotes: list[QuoteOut]
    others: list[EntityNameOut] = Field(description="Other entities answering to this name.")


class EntityNameOut(_Out):
    name: str
    kind: str


class ClusterMemberOut(_Out):
    id: int
    title: str
    source: str | None
    url: str | None
    published: datetime | None
    role: str = Field(description="original, copy or folded (a repeat from the same outlet)")
    jaccard: float | None
    containment: float | None


class ClusterOut(_Out):
    original: int
    why: str = Field(description="earliest, or republished_from when a copy names it")
    outlets: int
    members: list[ClusterMemberOut]


class TimelineOut(_Out):
    by: str
    normalized: bool
    periods: list[date] = Field(description="The first day of each period.")
    totals: list[int] = Field(description="Every article archived in the period.")
    gaps: list[bool] = Field(description="True where nothing at all was archived.")
    series: list[TimelineSeries]


class TimelineSeries(_Out):
    query: str
    counts: list[int]
    shares: list[float | None]


class TopRowOut(_Out):
    value: str
    count: int
    of: int
    score: float | None
    background: int | None


class CoverageOut(_Out):
    start: datetime | None
    end: datetime


class SourceOut(_Out):
    id: int
    location: str
    url: str | None
    title: str | None
    collection: str | None
    subscribed: bool
    articles: int
    per_day: float = Field(description="Articles published in the last 30 days, per day.")
    last_fetch_at: datetime | None
    last_status: str | None
    last_error: str | None
    last_http_status: int | None
    error_streak: int
    next_check_at: datetime | None
    schedule_reason: str | None
    retired_at: datetime | None
    retired_reason: str | None
    coverage: list[CoverageOut]


class SourceIn(BaseModel):
    url: str = Field(
        min_length=1, max_length=2048, description="A feed, or a page whose feed is discovered."
    )
    collection: str | None = Field(None, max_length=200)


class FoundFeedOut(_Out):
    url: str
    title: str | None


class SourceAdded(_Out):
    asked: str
    source: str | None = Field(description="The feed followed.")
    already: bool = Field(description="True when it was followed already.")
    feeds: list[FoundFeedOut]
    status: str | None = Field(description="How its first fetch went (ok, partial, error...).")
    new_articles: int


class SavedQueryOut(_Out):
    name: str
    query: str
    updated_at: datetime


class SavedQueryIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    query: str = Field(min_length=1, max_length=10_000)


class AlertOut(_Out):
    id: int
    query_name: str
    url: str
    created_at: datetime
    active: bool
    secret: str | None = Field(
        None, description="Signs each body (HMAC-SHA256); shown only when the alert is made."
    )


class AlertIn(BaseModel):
    query_name: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2048, description="The webhook to POST to.")
    secret: str | None = Field(None, min_length=16, max_length=200)


class DeliveryOut(_Out):
    alert_id: int
    article_id: int
    status: str = Field(description="pending, delivered or failed (gave up)")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    updated_at: datetime
    next_attempt_at: datetime | None


for _model in (ErrorDetail, EntityOut, TimelineOut):
    _model.model_rebuild()
