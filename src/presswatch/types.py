"""The frozen values that travel through the flow: parsed feeds, then normalized articles.

Parsers produce `ParsedFeed` (raw strings, exactly as the feed said them); normalization
turns each `ParsedEntry` into an `Article` (canonical URL, UTC date, clean text). Nothing
here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A media file attached to an item (RSS enclosure, media:content, Atom rel=enclosure)."""

    url: str
    type: str | None = None
    length: int | None = None
    medium: str | None = None  # media:content medium (image, video...) when given
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One item as the feed gave it. Strings are decoded text, not yet normalized.

    `title_is_html` says the feed declared the title as HTML (Atom type="html"/"xhtml"):
    it must be reduced to text, never rendered. `raw` is the item's own source text.
    """

    guid: str | None = None
    guid_is_permalink: bool | None = None
    link: str | None = None
    title: str | None = None
    title_is_html: bool = False
    published_raw: str | None = None
    updated_raw: str | None = None
    authors: tuple[str, ...] = ()
    summary_html: str | None = None
    content_html: str | None = None
    categories: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    language: str | None = None
    comments: str | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A whole feed document, channel metadata plus items, with how it was read.

    `encoding`/`encoding_reason` record the decoding decision (e.g. "utf-8", "BOM");
    `problems` lists what was wrong and recovered (malformed XML, bad dates are later).
    `truncated` is true when the document ended early: the items read so far are kept,
    and nothing may be inferred as deleted from it.
    """

    format: str  # rss2.0, rss1.0, rss0.91, rss0.92, atom1.0, atom0.3, json1.0, json1.1, textdump
    title: str | None = None
    link: str | None = None
    self_link: str | None = None
    description: str | None = None
    language: str | None = None
    generator: str | None = None
    updated_raw: str | None = None
    ttl: int | None = None
    update_period: str | None = None
    update_frequency: int | None = None
    update_base: str | None = None
    skip_hours: tuple[int, ...] = ()
    skip_days: tuple[str, ...] = ()
    next_link: str | None = None
    prev_archive_link: str | None = None
    image: str | None = None
    entries: tuple[ParsedEntry, ...] = ()
    encoding: str = "utf-8"
    encoding_reason: str = "default"
    problems: tuple[str, ...] = ()
    truncated: bool = False
    parser: str = ""  # which parser read it: lxml, feedparser, json, textdump


@dataclass(frozen=True, slots=True)
class Article:
    """A normalized article, ready to store.

    `key` is the archive-wide identity: "url:<host/path?query>" from the canonical URL
    (scheme and www folded), else "guid:<feed key>:<guid>", else "hash:<sha256>".
    `published` is UTC or None; `date_flag` says why when the date is missing, could not
    be read ("unparseable"), had no zone ("no-zone", read as UTC), or lies ahead
    ("future"). `content_hash` covers title and text, so equal text from RSS XML and from
    a text dump counts as unchanged.
    """

    key: str
    url: str | None
    original_url: str | None
    guid: str | None
    title: str
    authors: tuple[str, ...]
    published: datetime | None
    published_raw: str | None
    date_flag: str | None
    updated: datetime | None
    summary: str | None
    content_html: str | None
    text: str
    language: str | None
    republished_from: str | None
    categories: tuple[str, ...]
    enclosures: tuple[Enclosure, ...]
    content_hash: str
    position: int = 0  # index of the item in its document, to find the raw item again
    notes: tuple[str, ...] = field(default=())
