"""RSS 2.0 in the shape WordPress writes it, so readers and our own parser know it well."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from presswatch.publish.feeds import (
    Channel,
    PublishItem,
    body_html,
    clean,
    item_date,
    newest,
    utc,
)

CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
ATOM = "http://www.w3.org/2005/Atom"
SY = "http://purl.org/rss/1.0/modules/syndication/"
_NSMAP = {"content": CONTENT, "dc": DC, "atom": ATOM, "sy": SY}


def _rfc822(value: datetime) -> str:
    return format_datetime(utc(value).replace(microsecond=0))


def _add(parent: etree._Element, tag: str, text: str | None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = clean(text)
    return el


def _markup(parent: etree._Element, tag: str, markup: str) -> None:
    """CDATA where it survives a re-read unchanged; otherwise escaped text, which always does."""
    el = etree.SubElement(parent, tag)
    el.text = etree.CDATA(markup) if "]]>" not in markup and "\r" not in markup else markup


def _item(parent: etree._Element, item: PublishItem) -> datetime:
    el = etree.SubElement(parent, "item")
    _add(el, "title", item.title)
    url = clean(item.url)
    if url:
        _add(el, "link", url)
    when = item_date(item)
    _add(el, "pubDate", _rfc822(when))
    for author in item.authors:
        if clean(author).strip():
            _add(el, f"{{{DC}}}creator", author)
    for category in item.categories:
        if clean(category).strip():
            _add(el, "category", category)
    guid = clean(item.guid)
    if guid.strip():
        _add(el, "guid", guid).set("isPermaLink", "true" if guid == url else "false")
    if item.summary and clean(item.summary).strip():
        _markup(el, "description", html.escape(clean(item.summary), quote=False))
    content = body_html(item)
    if content.strip():
        _markup(el, f"{{{CONTENT}}}encoded", content)
    for enc in item.enclosures:
        attrs = {"url": clean(enc.url)}
        if enc.length is not None:
            attrs["length"] = str(enc.length)
        if enc.type:
            attrs["type"] = clean(enc.type)
        etree.SubElement(el, "enclosure", attrs)
    if item.republished_from and clean(item.republished_from).strip():
        _add(el, f"{{{DC}}}source", item.republished_from)
    return when


def write_rss(channel: Channel, items: Iterable[PublishItem]) -> bytes:
    """RSS 2.0 as UTF-8; lastBuildDate is the channel's date, else the newest item's."""
    root = etree.Element("rss", nsmap=_NSMAP, version="2.0")
    ch = etree.SubElement(root, "channel")
    _add(ch, "title", channel.title)
    if channel.self_url:
        etree.SubElement(
            ch,
            f"{{{ATOM}}}link",
            href=clean(channel.self_url),
            rel="self",
            type="application/rss+xml",
        )
    _add(ch, "link", channel.link or channel.self_url)
    _add(ch, "description", channel.description)
    built = _add(ch, "lastBuildDate", None)
    if channel.language:
        _add(ch, "language", channel.language)
    if channel.update_period:
        _add(ch, f"{{{SY}}}updatePeriod", channel.update_period)
    if channel.update_frequency is not None:
        _add(ch, f"{{{SY}}}updateFrequency", str(channel.update_frequency))
    _add(ch, "generator", channel.generator)
    if channel.ttl is not None:
        _add(ch, "ttl", str(channel.ttl))
    latest = channel.updated
    newest_item = None
    for item in items:
        newest_item = newest(newest_item, _item(ch, item))
    latest = latest or newest_item
    if latest is None:
        ch.remove(built)
    else:
        built.text = _rfc822(latest)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
