"""What the search engines index for one article, built from the archive's row (pure).

Both engines take the same SearchDoc, with every field already tokenized by
text.tokens, so an article is findable by exactly the same words on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from presswatch.query.ast import TEXT_FIELDS
from presswatch.text.tokens import MAX_TOKEN, tokenize

SEARCH_FIELDS = TEXT_FIELDS  # every field the query language can name holds words


@dataclass(frozen=True, slots=True)
class SearchSource:
    """The columns of one article that search needs, as the store hands them over."""

    id: int
    title: str
    text: str
    authors: tuple[str, ...]
    url: str | None
    original_url: str | None
    language: str | None
    republished_from: str | None
    published: datetime | None
    first_seen: datetime
    feed_title: str | None
    feed_link: str | None
    source_location: str
    entities: tuple[str, ...] = ()  # every name of every entity it mentions (enrichment)


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One article as indexed.

    `tokens` maps each of SEARCH_FIELDS to its tokens (position = index). `when` is the
    date timelines and date filters use: published, else first seen. `outlet`, `authors`
    and `republished_from` are the display values `top sources|authors|republished`
    count. `sample_key` is a fixed pseudo-random number per article, so a sample of the
    matches is the same every time it is drawn.
    """

    id: int
    when: datetime
    tokens: dict[str, tuple[str, ...]]
    outlet: str
    authors: tuple[str, ...]
    republished_from: str | None
    sample_key: int


def entity_token(name: str) -> str:
    """One token for a whole entity name ("Collective Security Treaty Organization" ->
    collective_security_treaty_organization), so entity:CSTO finds the entity called CSTO
    and not every name with the word in it (the CSTO Secretariat)."""
    return "_".join(tokenize(name))[:MAX_TOKEN]


def sample_key(article_id: int) -> int:
    """A deterministic scramble of the id in [0, 2**63): the order samples are drawn in."""
    x = (article_id * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 31
    x = (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 29
    return x >> 1


def outlet_name(feed_title: str | None, feed_link: str | None, location: str) -> str:
    """What an analyst calls the outlet: the feed's site host, else its title, else where read."""
    host = _host(feed_link)
    if host:
        return host
    return (feed_title or "").strip() or location


def search_doc(src: SearchSource) -> SearchDoc:
    urls = " ".join(u for u in (src.url, src.original_url) if u)
    source_words = " ".join(p for p in (_host(src.feed_link), src.feed_title, _host(src.url)) if p)
    tokens = {
        "title": tuple(tokenize(src.title)),
        "text": tuple(tokenize(src.text)),
        "author": tuple(tokenize(" ".join(src.authors))),
        "source": tuple(tokenize(source_words)),
        "url": tuple(tokenize(urls)),
        "lang": tuple(tokenize(src.language or "")),
        "republished_from": tuple(tokenize(src.republished_from or "")),
        "entity": tuple(t for t in map(entity_token, src.entities) if t),
    }
    return SearchDoc(
        id=src.id,
        when=src.published or src.first_seen,
        tokens=tokens,
        outlet=outlet_name(src.feed_title, src.feed_link, src.source_location),
        authors=tuple(dict.fromkeys(src.authors)),
        republished_from=src.republished_from,
        sample_key=sample_key(src.id),
    )


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")
