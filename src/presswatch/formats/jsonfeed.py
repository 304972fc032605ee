"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).

Version 1.1 replaced `author` by `authors` and added `language`; real feeds mix them,
so both are read whatever the declared version says.
"""

from __future__ import annotations

import html
import json
from typing import Any

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.types import Enclosure, ParsedEntry, ParsedFeed


def _str(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    people: list[Any] = []
    if isinstance(obj.get("authors"), list):
        people.extend(obj["authors"])
    if isinstance(obj.get("author"), dict):
        people.append(obj["author"])
    names = []
    for person in people:
        if isinstance(person, dict):
            name = _str(person.get("name")) or _str(person.get("url"))
            if name:
                names.append(name)
    return tuple(dict.fromkeys(names))


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _attachments(item: dict[str, Any]) -> tuple[Enclosure, ...]:
    out = []
    raw = item.get("attachments")
    for att in raw if isinstance(raw, list) else []:
        if isinstance(att, dict) and _str(att.get("url")):
            out.append(
                Enclosure(
                    url=str(att["url"]).strip(),
                    type=_str(att.get("mime_type")),
                    length=_int(att.get("size_in_bytes")),
                    title=_str(att.get("title")),
                )
            )
    image = _str(item.get("image"))
    if image and all(e.url != image for e in out):
        out.append(Enclosure(url=image, medium="image"))
    return tuple(out)


def _entry(item: dict[str, Any]) -> ParsedEntry:
    content = _str(item.get("content_html"))
    if content is None and _str(item.get("content_text")):
        content = html.escape(str(item["content_text"]), quote=False)
    summary = _str(item.get("summary"))
    tags = item.get("tags")
    return ParsedEntry(
        guid=_str(item.get("id")),
        link=_str(item.get("url")) or _str(item.get("external_url")),
        title=_str(item.get("title")),
        published_raw=_str(item.get("date_published")),
        updated_raw=_str(item.get("date_modified")),
        authors=_authors(item),
        summary_html=html.escape(summary, quote=False) if summary else None,
        content_html=content,
        categories=tuple(t.strip() for t in tags if isinstance(t, str) and t.strip())
        if isinstance(tags, list)
        else (),
        enclosures=_attachments(item),
        language=_str(item.get("language")),
        raw=json.dumps(item, ensure_ascii=False),
    )


def parse_json_feed(text: str) -> ParsedFeed:
    """Read a JSON Feed document; other JSON is NotAFeedError, broken JSON FeedParseError."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FeedParseError(f"malformed JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise NotAFeedError("JSON that is not a feed", f"top level is a {type(doc).__name__}")
    version = doc.get("version")
    items = doc.get("items")
    problems: list[str] = []
    if isinstance(version, str) and "jsonfeed.org/version/" in version:
        fmt = "json1.1" if version.rstrip("/").endswith("1.1") else "json1.0"
    elif isinstance(items, list) and "title" in doc:
        fmt = "json1.0"
        problems.append("JSON Feed without a version; read as 1.0")
    else:
        raise NotAFeedError("JSON that is not a feed", "no jsonfeed.org version and no items")
    if not isinstance(items, list):
        items = []
        problems.append("JSON Feed without an items list")
    entries = tuple(_entry(i) for i in items if isinstance(i, dict))
    return ParsedFeed(
        format=fmt,
        title=_str(doc.get("title")),
        link=_str(doc.get("home_page_url")),
        self_link=_str(doc.get("feed_url")),
        description=_str(doc.get("description")),
        language=_str(doc.get("language")),
        next_link=_str(doc.get("next_url")),
        image=_str(doc.get("icon")) or _str(doc.get("favicon")),
        entries=entries,
        problems=tuple(problems),
        parser="json",
    )
