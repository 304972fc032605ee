"""Choosing a parser for a body, and naming what the body is when it is not a feed.

Users point presswatch at URLs that return login pages, API errors and empty bodies;
saying "0 articles" then hides the real problem, so anything that is not a feed raises
NotAFeedError with what it looks like instead.
"""

from __future__ import annotations

import dataclasses
import html
import re

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats import textdump
from presswatch.formats.encoding import clean_text, decode
from presswatch.formats.fallback import parse_xml_tolerant
from presswatch.formats.jsonfeed import parse_json_feed
from presswatch.types import ParsedFeed

_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_FEED_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:rss|feed|RDF|channel)[\s>/]")
_PROLOG = re.compile(r"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.DOTALL)


def _html_title(text: str) -> str:
    m = _TITLE.search(text[:200_000])
    if not m:
        return ""
    title = html.unescape(re.sub(r"<[^>]*>", "", m.group(1)))
    return " ".join(title.split())[:200]


def _plain_text(text: str) -> ParsedFeed:
    if not textdump.looks_like_textdump(text):
        raise NotAFeedError("plain text that is not a feed dump")
    try:
        return textdump.parse_textdump(text)
    except ValueError as exc:
        raise FeedParseError(f"this looks like a text dump of a feed, but {exc}") from None


def parse_feed(
    data: bytes,
    *,
    content_type: str | None = None,
    location: str | None = None,
    item_raw: bool = True,
) -> ParsedFeed:
    """Parse any supported feed body; `location` only labels messages, nothing is fetched.

    `item_raw=False` may leave entries' `raw` empty: serializing every XML item again is a
    real share of parsing, wasted on callers that keep the whole document anyway.
    """
    if _blank(data):
        raise NotAFeedError("an empty body")
    decoded = decode(data, content_type, clean=False)
    start = decoded.text.lstrip("\ufeff \t\r\n\x00")
    if not start:
        raise NotAFeedError("an empty body")
    first = start[0]
    if first != "<":
        start, changed = clean_text(start)
        if changed:
            decoded = dataclasses.replace(
                decoded, problems=(*decoded.problems, "removed NUL/control characters")
            )
    if first in "{[":
        feed = parse_json_feed(start)
    elif first == "<":
        head = start[:8192]
        prolog = _PROLOG.match(head)
        if _HTML_START.match(head, prolog.end() if prolog else 0) or _HTML_START.match(head):
            raise NotAFeedError("an HTML page", _html_title(start))
        reuse = _reusable(data, decoded.encoding)
        feed = parse_xml_tolerant(start, unchanged=data if reuse else None, item_raw=item_raw)
    else:
        feed = _leading_junk(start, item_raw)
    return dataclasses.replace(
        feed,
        encoding=decoded.encoding,
        encoding_reason=decoded.reason,
        problems=decoded.problems + feed.problems,
    )


_BLANK_BYTES = b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"


def _blank(data: bytes) -> bool:
    # The head first: stripping a whole body copies it, for one trailing newline.
    return not data[:1024].strip(_BLANK_BYTES) and not data.strip(_BLANK_BYTES)


def _reusable(data: bytes, encoding: str) -> bool:
    """Original bytes can go straight to lxml when they already are the UTF-8 we would produce."""
    return encoding == "utf-8" and data[:1] == b"<"


def _leading_junk(text: str, item_raw: bool) -> ParsedFeed:
    """Some servers print warnings before the XML; a feed root soon after is still a feed."""
    m = _FEED_ROOT.search(text[:4096])
    if m is None:
        return _plain_text(text)
    decl = text.rfind("<?xml", 0, m.start())
    cut = decl if decl >= 0 else m.start()
    feed = parse_xml_tolerant(text[cut:], item_raw=item_raw)
    return dataclasses.replace(
        feed, problems=(f"{cut} characters of junk before the XML were skipped", *feed.problems)
    )
