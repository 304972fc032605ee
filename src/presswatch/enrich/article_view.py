"""What a reader is shown of one article's enrichment (pure).

Offsets must point into the text the reader gets. The entity enricher read the page's
text when the page had been read, else the feed's; a page read *after* the analysis
leaves the offsets pointing into the feed's text. So the text returned is the one every
stored mention and quote lines up with (the shown text first), and a span that lines up
with neither is left out rather than drawn in the wrong place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from presswatch.store.records import ArticleDetail
from presswatch.store.views import ViewRows

ANALYSED = "analysed"
NOT_ANALYSED = "not analysed"
PENDING = "pending"


@dataclass(frozen=True, slots=True)
class EntityCount:
    name: str
    kind: str
    mentions: int


@dataclass(frozen=True, slots=True)
class MentionSpan:
    """Offsets into `ArticleView.text`, end exclusive; `text` is the words as written."""

    start: int
    end: int
    name: str
    kind: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class QuoteView:
    speaker: str | None
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CopyView:
    """A syndicated copy of the article in another feed (or the same story).

    `overlap` is the Jaccard similarity of the two texts' word 5-shingles; `containment`
    the share of the shorter one found in the longer (high for a trimmed copy). `role`
    is the copy's place in the story's cluster: original, copy, or folded (an exact
    repeat from the same outlet)."""

    article_id: int
    source: str | None
    title: str | None
    url: str | None
    published: datetime | None
    overlap: float
    containment: float = 0.0
    role: str = "copy"


@dataclass(frozen=True, slots=True)
class ArticleEnrichment:
    """The enrichment part of `ArticleView`, without the article's detail: what a listing
    of many articles carries for each."""

    text: str
    text_from: str  # page | feed: which of the article's texts `text` is
    language: str | None
    declared_language: str | None
    status: str
    reason: str | None
    entities: tuple[EntityCount, ...]
    mentions: tuple[MentionSpan, ...]
    quotes: tuple[QuoteView, ...]
    key_phrases: tuple[str, ...]
    copies: tuple[CopyView, ...] = ()
    role: str | None = None  # the article's own place in its cluster, if it has copies


@dataclass(frozen=True, slots=True)
class ArticleView:
    """`status` is 'analysed', 'not analysed' (with `reason`, say a language) or
    'pending' (not enriched yet, or the text changed since)."""

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
    text_from: str = "feed"
    role: str | None = None

    @classmethod
    def of(cls, detail: ArticleDetail, found: ArticleEnrichment) -> ArticleView:
        return cls(
            detail=detail,
            text=found.text,
            language=found.language,
            declared_language=found.declared_language,
            status=found.status,
            reason=found.reason,
            entities=found.entities,
            mentions=found.mentions,
            quotes=found.quotes,
            key_phrases=found.key_phrases,
            copies=found.copies,
            text_from=found.text_from,
            role=found.role,
        )


def enrichment(
    rows: ViewRows, copies: Sequence[CopyView] = (), role: str | None = None
) -> ArticleEnrichment:
    """The reader's view of what the store holds for one article."""
    text, text_from, spans, said = _aligned(rows)
    language_run = rows.runs.get("language")
    language = (language_run.result or {}).get("language") if language_run else None
    status, reason = _status(rows, language)
    counts = Counter((m.name, m.kind) for m in spans)
    entities = tuple(
        EntityCount(name, kind, n)
        for (name, kind), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    entity_run = rows.runs.get("entities")
    phrases = (entity_run.result or {}).get("key_phrases", []) if entity_run else []
    return ArticleEnrichment(
        text=text,
        text_from=text_from,
        language=language,
        declared_language=rows.declared_language,
        status=status,
        reason=reason,
        entities=entities,
        mentions=spans,
        quotes=said,
        key_phrases=tuple(str(p) for p in phrases),
        copies=tuple(copies),
        role=role,
    )


def article_view_json(view: ArticleView | ArticleEnrichment) -> dict[str, Any]:
    """The enrichment part of an article's JSON (language, entities, quotes, key_phrases,
    copies), shared by `show --format json`, `articles --format json` and the API.
    Offsets count characters (code points) of `text`, end exclusive."""
    return {
        "text": view.text,
        "text_from": view.text_from,
        "language": view.language,
        "declared_language": view.declared_language,
        "analysis": {"status": view.status, "reason": view.reason},
        "entities": [
            {"name": e.name, "kind": e.kind, "mentions": e.mentions} for e in view.entities
        ],
        "mentions": [
            {"start": m.start, "end": m.end, "text": m.text, "name": m.name, "kind": m.kind}
            for m in view.mentions
        ],
        "quotes": [
            {"speaker": q.speaker, "text": q.text, "start": q.start, "end": q.end}
            for q in view.quotes
        ],
        "key_phrases": list(view.key_phrases),
        "syndication_role": view.role,
        "copies": [
            {
                "id": c.article_id,
                "source": c.source,
                "title": c.title,
                "url": c.url,
                "published": _iso(c.published),
                "overlap": round(c.overlap, 3),
                "containment": round(c.containment, 3),
                "role": c.role,
            }
            for c in view.copies
        ],
    }


def _aligned(
    rows: ViewRows,
) -> tuple[str, str, tuple[MentionSpan, ...], tuple[QuoteView, ...]]:
    """The text the stored offsets line up with, and the spans that do."""
    shown = ("page", rows.page_text) if rows.page_text else ("feed", rows.feed_text)
    candidates = [shown, ("feed", rows.feed_text)]
    if rows.page_text is not None:
        candidates.append(("page", rows.page_text))
    marks = [(s, e, t) for s, e, t, _, _ in rows.mentions] + [
        (s, e, t) for s, e, t, _ in rows.quotes
    ]
    chosen = next((c for c in candidates if all(_fits(c[1], s, e, t) for s, e, t in marks)), shown)
    source, text = chosen
    spans = tuple(
        MentionSpan(s, e, name, kind, t)
        for s, e, t, name, kind in rows.mentions
        if _fits(text, s, e, t)
    )
    said = tuple(QuoteView(who, t, s, e) for s, e, t, who in rows.quotes if _fits(text, s, e, t))
    return text, source, spans, said


def _fits(text: str, start: int, end: int, surface: str) -> bool:
    return 0 <= start <= end <= len(text) and text[start:end] == surface


def _status(rows: ViewRows, language: str | None) -> tuple[str, str | None]:
    run = rows.runs.get("entities")
    if run is None:
        return PENDING, "not analysed yet: run presswatch enrich"
    if run.content_hash != rows.content_hash:
        return PENDING, "the text changed since it was analysed: run presswatch enrich"
    if run.status == "ok":
        return ANALYSED, None
    if run.status == "error":
        return NOT_ANALYSED, f"the analysis failed: {run.error or 'no reason recorded'}"
    if language and language != "en":
        return NOT_ANALYSED, (
            f"written in {language_name(language)}; only English is analysed for now"
        )
    error = run.error or "nothing to analyse"
    return NOT_ANALYSED, error.removeprefix("not analysed: ")


def language_name(code: str) -> str:
    """'Russian (ru)' for 'ru'; the code alone when it names no language known."""
    import pycountry

    found = pycountry.languages.get(alpha_2=code)
    return f"{found.name} ({code})" if found is not None else code


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
