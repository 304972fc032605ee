"""Atom 1.0, for readers that prefer it and for its required ids and update dates."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from presswatch.publish.feeds import (
    Channel,
    PublishItem,
    body_html,
    clean,
    item_date,
    item_id,
    newest,
    rfc3339,
)

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_A = f"{{{ATOM}}}"
_NSMAP: Any = {None: ATOM, "dc": DC}  # lxml-stubs do not allow the default (None) prefix
# An empty archive has no date to give; a fixed one keeps the output reproducible.
_NO_DATE = datetime(1970, 1, 1, tzinfo=UTC)


def _add(parent: etree._Element, name: str, text: str | None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _A + name, attrs)
    el.text = clean(text)
    return el


def _entry(parent: etree._Element, item: PublishItem) -> datetime:
    el = etree.SubElement(parent, _A + "entry")
    _add(el, "title", item.title, type="text")
    url = clean(item.url)
    if url:
        etree.SubElement(el, _A + "link", rel="alternate", type="text/html", href=url)
    _add(el, "id", item_id(item))
    when = item_date(item)
    _add(el, "published", rfc3339(when))
    _add(el, "updated", rfc3339(when))
    for author in item.authors:
        if clean(author).strip():
            _add(etree.SubElement(el, _A + "author"), "name", author)
    for category in item.categories:
        if clean(category).strip():
            etree.SubElement(el, _A + "category", term=clean(category))
    if item.summary and clean(item.summary).strip():
        _add(el, "summary", html.escape(clean(item.summary), quote=False), type="html")
    content = body_html(item)
    if content.strip():
        _add(el, "content", content, type="html")
    for enc in item.enclosures:
        attrs = {"rel": "enclosure", "href": clean(enc.url)}
        if enc.type:
            attrs["type"] = clean(enc.type)
        if enc.length is not None:
            attrs["length"] = str(enc.length)
        if enc.title:
            attrs["title"] = clean(enc.title)
        etree.SubElement(el, _A + "link", attrs)
    if item.republished_from and clean(item.republished_from).strip():
        source = etree.SubElement(el, f"{{{DC}}}source")
        source.text = clean(item.republished_from)
    return when


def write_atom(channel: Channel, items: Iterable[PublishItem]) -> bytes:
    """Atom 1.0 as UTF-8; the feed's `updated` is the channel's date, else the newest item's.

    The channel title stands as the feed-level author, which Atom requires when an entry
    names none.
    """
    root = etree.Element(_A + "feed", nsmap=_NSMAP)
    if channel.language:
        root.set(XML_LANG, clean(channel.language))
    _add(root, "title", channel.title, type="text")
    if channel.description:
        _add(root, "subtitle", channel.description, type="text")
    if channel.link:
        etree.SubElement(
            root, _A + "link", rel="alternate", type="text/html", href=clean(channel.link)
        )
    if channel.self_url:
        etree.SubElement(
            root,
            _A + "link",
            rel="self",
            type="application/atom+xml",
            href=clean(channel.self_url),
        )
    feed_id = clean(channel.self_url or channel.link).strip()
    if not feed_id:
        digest = hashlib.sha256(clean(channel.title).encode()).hexdigest()[:32]
        feed_id = f"tag:presswatch,1970-01-01:{digest}"
    _add(root, "id", feed_id)
    updated = _add(root, "updated", None)
    _add(root, "generator", channel.generator)
    _add(etree.SubElement(root, _A + "author"), "name", channel.title)
    newest_item = None
    for item in items:
        newest_item = newest(newest_item, _entry(root, item))
    updated.text = rfc3339(channel.updated or newest_item or _NO_DATE)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
