"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), for clients that would rather not parse XML."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from presswatch.publish.feeds import (
    Channel,
    PublishItem,
    body_html,
    clean,
    item_date,
    item_id,
    rfc3339,
)

VERSION = "https://jsonfeed.org/version/1.1"


def _nonempty(values: Iterable[str]) -> list[str]:
    return [v for v in (clean(v) for v in values) if v.strip()]


def _item(item: PublishItem) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item_id(item)}
    if item.url:
        out["url"] = clean(item.url)
    out["title"] = clean(item.title)
    content = body_html(item)
    if content.strip():
        out["content_html"] = content
    text = clean(item.text)
    if text.strip() or "content_html" not in out:
        out["content_text"] = text
    if item.summary:
        out["summary"] = clean(item.summary)
    out["date_published"] = rfc3339(item_date(item))
    authors = _nonempty(item.authors)
    if authors:
        out["authors"] = [{"name": name} for name in authors]
    tags = _nonempty(item.categories)
    if tags:
        out["tags"] = tags
    if item.enclosures:
        attachments = []
        for enc in item.enclosures:
            # mime_type is required by the spec; an unknown type is honestly "bytes".
            att: dict[str, Any] = {
                "url": clean(enc.url),
                "mime_type": clean(enc.type) or "application/octet-stream",
            }
            if enc.title:
                att["title"] = clean(enc.title)
            if enc.length is not None:
                att["size_in_bytes"] = enc.length
            attachments.append(att)
        out["attachments"] = attachments
    if item.republished_from:
        out["_presswatch"] = {"republished_from": clean(item.republished_from)}
    return out


def write_json_feed(channel: Channel, items: Iterable[PublishItem]) -> bytes:
    """JSON Feed 1.1 as UTF-8; strings are cleaned as for XML so every format says the same."""
    doc: dict[str, Any] = {"version": VERSION, "title": clean(channel.title)}
    if channel.link:
        doc["home_page_url"] = clean(channel.link)
    if channel.self_url:
        doc["feed_url"] = clean(channel.self_url)
    if channel.description:
        doc["description"] = clean(channel.description)
    if channel.language:
        doc["language"] = clean(channel.language)
    doc["items"] = [_item(item) for item in items]
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
