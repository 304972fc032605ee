"""OPML subscription lists, read and written (pure).

OPML is how feed readers hand subscriptions to each other, and every reader writes it a
little differently: attribute names in any case (xmlUrl, xmlurl), folders nested to any
depth, bare '&' and HTML entities in titles. Reading is therefore forgiving about form
but strict about content: only http(s) feed addresses are taken, each once, and every
outline left out is named in `problems` so an analyst can see what did not come across.
The XML parser is hardened like the feed parser (no entities, no DTD, no network).
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from presswatch.errors import PresswatchError
from presswatch.formats.encoding import decode
from presswatch.formats.xmlfeed import PARSER_OPTIONS
from presswatch.normalize.urls import canonical_url, web_address


@dataclass(frozen=True, slots=True)
class Subscription:
    url: str  # xmlUrl
    title: str | None = None
    html_url: str | None = None
    collection: str | None = None  # the enclosing folder outline's title, if any


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    title: str | None
    subscriptions: tuple[Subscription, ...]
    problems: tuple[str, ...] = ()  # outlines skipped and why


class NotOpmlError(PresswatchError):
    """The file is not an OPML subscription list; `kind` says what it looks like instead."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(
            f"not an OPML subscription list: this looks like {kind}. Export your "
            "subscriptions from your feed reader as OPML and import that file."
        )


FEED_TYPES = frozenset({"", "rss", "atom", "rdf", "feed", "json"})
_XML_DECL = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*\?>")
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_BARE_AMP = re.compile(r"&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parse_opml(data: bytes) -> OpmlDocument:
    """Raise NotAFeedError("...") style PresswatchError subclass for non-OPML input.

    Raises NotOpmlError (a PresswatchError) for anything that is not OPML: an empty file,
    an HTML page, a feed, other XML, or text that is not XML at all.
    """
    root, problems = _parse_xml(data)
    if root is None:
        raise NotOpmlError(_what_it_is(data))
    name = _local(root.tag).lower()
    if name != "opml":
        raise NotOpmlError(_root_kind(name))
    title: str | None = None
    body: etree._Element | None = None
    for child in root:
        local = _local(child.tag).lower()
        if local == "head" and title is None:
            title = next(
                (_text(t) for t in child if _local(t.tag).lower() == "title"),
                None,
            )
        elif local == "body" and body is None:
            body = child
    found: list[Subscription] = []
    seen: dict[str, str] = {}
    if body is not None:
        _walk(body, None, found, seen, problems)
    return OpmlDocument(title=title, subscriptions=tuple(found), problems=tuple(problems))


def write_opml(title: str, subscriptions: list[Subscription]) -> bytes:
    """OPML 2.0; subscriptions grouped in folder outlines by collection.

    Folders appear where their first subscription would; characters XML cannot hold
    (control characters) are dropped from titles.
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_safe(title)
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for sub in subscriptions:
        parent = body
        if sub.collection:
            if sub.collection not in folders:
                name = _xml_safe(sub.collection)
                folders[sub.collection] = etree.SubElement(body, "outline", text=name, title=name)
            parent = folders[sub.collection]
        outline = etree.SubElement(parent, "outline", type="rss")
        outline.set("text", _xml_safe(sub.title) if sub.title else _xml_safe(sub.url))
        if sub.title:
            outline.set("title", _xml_safe(sub.title))
        outline.set("xmlUrl", _xml_safe(sub.url))
        if sub.html_url:
            outline.set("htmlUrl", _xml_safe(sub.html_url))
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out


def _walk(
    parent: etree._Element,
    collection: str | None,
    found: list[Subscription],
    seen: dict[str, str],
    problems: list[str],
) -> None:
    for el in parent:
        if _local(el.tag).lower() != "outline":
            continue
        attrs = {str(k).lower(): str(v) for k, v in el.attrib.items()}
        label = _clean(attrs.get("text")) or _clean(attrs.get("title"))
        xml_url = _clean(attrs.get("xmlurl"))
        if xml_url is None:
            if len(el):
                _walk(el, label or collection, found, seen, problems)
            elif label:
                problems.append(f"'{label}': no feed address (xmlUrl), skipped")
            continue
        shown = label or xml_url
        kind = (attrs.get("type") or "").strip().lower()
        url = web_address(xml_url)
        if kind not in FEED_TYPES:
            problems.append(f"'{shown}': an outline of type '{kind}', not a feed, skipped")
        elif url is None:
            problems.append(f"'{shown}': '{xml_url}' is not a web (http/https) address, skipped")
        else:
            key = canonical_url(url) or url
            if key in seen:
                problems.append(f"'{shown}': listed twice ({url}), kept once")
            else:
                seen[key] = url
                found.append(
                    Subscription(
                        url=url,
                        title=label if label != xml_url else None,
                        html_url=web_address(_clean(attrs.get("htmlurl"))),
                        collection=collection,
                    )
                )
        if len(el):
            _walk(el, collection, found, seen, problems)


def _parse_xml(data: bytes) -> tuple[etree._Element | None, list[str]]:
    """The document's root, repairing what exporters commonly get wrong, recorded as problems."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"):
        return None, []
    parser = etree.XMLParser(**PARSER_OPTIONS)
    try:
        return etree.fromstring(data, parser), []
    except etree.XMLSyntaxError:
        pass
    text = decode(data).text
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        return None, []
    fixed = _outside_cdata(text, _fix_entities_and_amps)
    body = _XML_DECL.sub(b"", fixed.encode("utf-8"), count=1)
    try:
        return etree.fromstring(body, parser), [
            "the file had unescaped '&' or HTML entities; read after escaping them"
        ]
    except etree.XMLSyntaxError:
        pass
    lenient = etree.XMLParser(**{**PARSER_OPTIONS, "recover": True})
    try:
        root = etree.fromstring(body, lenient)
    except etree.XMLSyntaxError:
        return None, []
    if root is None:
        return None, []
    return root, ["the file is not well-formed XML; read what could be recovered"]


def _fix_entities_and_amps(part: str) -> str:
    def entity(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES:
            return m.group(0)
        char = html.entities.html5.get(name + ";")
        return "".join(f"&#{ord(c)};" for c in char) if char else f"&amp;{name};"

    return _BARE_AMP.sub("&amp;", _ENTITY.sub(entity, part))


def _outside_cdata(text: str, fix: Callable[[str], str]) -> str:
    parts = re.split(r"(<!\[CDATA\[.*?\]\]>)", text, flags=re.DOTALL)
    return "".join(part if i % 2 else fix(part) for i, part in enumerate(parts))


def _what_it_is(data: bytes) -> str:
    head = decode(data[:4096]).text.lstrip("\ufeff \t\r\n\x00").lower()
    if not head:
        return "an empty file"
    if re.match(r"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)", head, re.S):
        return "an HTML page"
    if head.startswith(("{", "[")):
        return "JSON"
    if head.startswith("<"):
        return "broken XML"
    return "plain text"


def _root_kind(name: str) -> str:
    if name in ("rss", "feed", "rdf", "channel"):
        return "a feed, not a list of feeds (add it with `presswatch add` instead)"
    if name == "html":
        return "an HTML page"
    return f"another kind of XML (its root element is <{name}>)"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def _text(el: etree._Element) -> str | None:
    return _clean("".join(str(t) for t in el.itertext()))


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml_safe(value: str) -> str:
    return _NOT_XML_CHAR.sub("", value)
