"""Read feeds kept as tag-stripped text, the form web-crawl text extracts store them in.

Stripping a WordPress RSS feed of its tags leaves the channel fields run together on the
first line (title, link, description, lastBuildDate, language, sy:updatePeriod,
sy:updateFrequency, generator), then per item its title, link, pubDate and guid on one
line followed by the body. The body came from a CDATA section, so each item ends at a line
holding only the leftover ``]]>``. Paragraphs are separated by blank lines.

With the tags gone, field boundaries are recovered from the shapes of the values: URLs,
RFC 822 dates, a language tag, the update period words. The text between them (titles,
the channel description) is free text.
"""

from __future__ import annotations

import re
from html import escape

from presswatch.types import ParsedEntry, ParsedFeed

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?\s+(?:[+-]\d{4}|[A-Z]{1,4})"
_RFC822 = rf"{_DAY},\s+\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\s+{_TIME}"
_URL = r"https?://\S+"

_CHANNEL = re.compile(
    rf"""^(?P<title>.+?)\s+(?P<link>{_URL})
    (?:\s+(?P<description>.*?))??
    \s+(?P<updated>{_RFC822})
    (?:\s+(?P<language>[A-Za-z]{{2,3}}(?:-[A-Za-z0-9]{{2,8}})*))?
    (?:\s+(?P<period>hourly|daily|weekly|monthly|yearly)\s+(?P<frequency>\d+))?
    (?:\s+(?P<generator>{_URL}))?
    \s+(?P<rest>.+)$""",
    re.VERBOSE | re.DOTALL,
)

_ITEM = re.compile(
    rf"""^(?P<title>.+?)\s+(?P<link>{_URL})
    (?:\s+(?P<comments>{_URL}(?:\#respond|\#comments|/comments/?)))?
    \s+(?P<published>{_RFC822})
    \s+(?P<guid>\S+)
    (?:[ \t]+(?P<first>.*))?$""",
    re.VERBOSE | re.DOTALL,
)

_HEADER_HINT = re.compile(rf"{_URL}.*?{_RFC822}", re.DOTALL)
_END = "]]>"
_HEAD_CHARS = 4_096  # the channel fields and the first item's header come well before this


def looks_like_textdump(text: str) -> bool:
    """Cheap check used by format detection: a URL then a feed date on the first line,
    and at least one item ending at a ``]]>`` line."""
    head, _, _ = text.lstrip("\ufeff \r\n\t")[:_HEAD_CHARS].partition("\n")
    if not _HEADER_HINT.search(head):
        return False
    return any(line.strip() == _END for line in text.splitlines())


def parse_textdump(text: str) -> ParsedFeed:
    """Parse a text dump into a ParsedFeed; raise ValueError when it is not one."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks, leftover = _split_items(text)
    if not blocks:
        raise ValueError("no item ends at a ']]>' line")
    first_line, _, first_body = blocks[0].partition("\n")
    channel = _CHANNEL.match(first_line.strip())
    if channel is None:
        raise ValueError("the first line does not hold the channel's title, link and date")
    problems: list[str] = []
    entries: list[ParsedEntry] = []
    header_rest = channel["rest"]
    for position, block in enumerate(blocks):
        if position == 0:
            header, body = header_rest, first_body
        else:
            header, _, body = block.partition("\n")
        entry = _parse_item(header.strip(), body)
        if entry is None:
            problems.append(f"item {position + 1}: header line not understood, item skipped")
            continue
        entries.append(entry)
    if leftover:
        problems.append(
            "the text ends inside an item (no closing ']]>'): the items before it are kept"
        )
    frequency = channel["frequency"]
    return ParsedFeed(
        format="textdump",
        title=channel["title"].strip(),
        link=channel["link"],
        description=(channel["description"] or "").strip() or None,
        language=channel["language"],
        generator=channel["generator"],
        updated_raw=channel["updated"],
        update_period=channel["period"],
        update_frequency=int(frequency) if frequency else None,
        entries=tuple(entries),
        problems=tuple(problems),
        truncated=bool(leftover),
        parser="textdump",
    )


def _split_items(text: str) -> tuple[list[str], bool]:
    """The item blocks, and whether text is left after the last ``]]>`` (a cut-off dump)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip() == _END:
            blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    return [b for b in blocks if b.strip()], any(line.strip() for line in current)


def _parse_item(header: str, body: str) -> ParsedEntry | None:
    match = _ITEM.match(header)
    if match is None:
        return None
    paragraphs = [match["first"] or "", *body.split("\n\n")]
    paragraphs = [p.strip("\n") for p in paragraphs]
    paragraphs = [p.strip() for p in paragraphs if p.strip()]
    content = "\n".join(
        "<p>" + escape(p, quote=False).replace("\n", "<br>\n") + "</p>" for p in paragraphs
    )
    raw = header + ("\n" + body if body else "") + "\n" + _END
    return ParsedEntry(
        guid=match["guid"],
        guid_is_permalink=None,
        link=match["link"],
        title=match["title"].strip(),
        published_raw=match["published"],
        content_html=content or None,
        comments=match["comments"],
        raw=raw,
    )
