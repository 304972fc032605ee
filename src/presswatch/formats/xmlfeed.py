"""The fast path: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 read with a hardened lxml parser.

Items are handled as the parser finishes each one (iterparse) and then cleared, so a
feed of 100,000 items never holds its whole tree; each item is read by walking its
children once through a tag → handler table, which is several times faster than XPath.
Entities are never resolved and no DTD is ever loaded, so billion-laughs and external
entity tricks stay inert text. A syntax error is raised as `MalformedXML` carrying the
items read before it, which the tolerant fallback uses for truncated documents.
"""

from __future__ import annotations

import base64
import binascii
import html
import html.entities
import io
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from presswatch.errors import NotAFeedError
from presswatch.types import Enclosure, ParsedEntry, ParsedFeed

_Element = etree._Element

PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "recover": False,
    "remove_comments": True,
    "strip_cdata": False,  # CDATA kept as CDATA makes `raw` half as costly to serialize
}
_TREE_LIMIT = 8 * 1024 * 1024  # above this, stream items instead of building the whole tree
_local_parser = threading.local()

ATOM10 = "http://www.w3.org/2005/Atom"
ATOM03 = "http://purl.org/atom/ns#"
RSS10 = "http://purl.org/rss/1.0/"
RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
MEDIA = "http://search.yahoo.com/mrss/"
SY = "http://purl.org/rss/1.0/modules/syndication/"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RSS_NS = ("", RSS10, RSS090, "http://backend.userland.com/rss2", "http://backend.userland.com/rss")
_XMLNS_DECL = re.compile(r""" xmlns(?::[\w.-]+)?=(?:"[^"]*"|'[^']*')""")

Acc = dict[str, Any]
Handler = Callable[[_Element, Acc], None]


class MalformedXML(Exception):
    """Strict parsing stopped; `partial` holds the feed as read up to the error, if known."""

    def __init__(self, error: etree.XMLSyntaxError, partial: ParsedFeed | None) -> None:
        errors: Any = error.error_log
        log = list(errors) if error.position == (0, 0) else []
        self.message: str = str(error.msg or error).split(", line ")[0].strip()
        self.line: int = error.position[0]
        self.code: int = int(getattr(error, "code", 0))
        if log and log[-1].message:
            self.message, self.line, self.code = log[-1].message.strip(), log[-1].line, log[-1].type
        super().__init__(f"{self.message} line {self.line}")
        self.partial = partial


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


def _entity(node: _Element) -> str:
    name = str(node.text or "")[1:-1]
    char = html.entities.html5.get(name + ";")
    return char if char is not None else f"&{name};"


def flatten(el: _Element) -> str:
    """All text inside an element; markup inside titles and names is text, never HTML."""
    if len(el) == 0:
        return el.text or ""
    out = [el.text or ""]
    for child in el:
        if child.tag is etree.Entity:
            out.append(_entity(child))
        elif isinstance(child.tag, str):
            out.append(flatten(child))
        out.append(child.tail or "")
    return "".join(out)


def inner_xml(el: _Element) -> str:
    """The content as markup: escaped HTML stays as its text, inline XHTML is serialized."""
    if len(el) == 0:
        return el.text or ""
    out = [html.escape(el.text or "", quote=False)]
    for child in el:
        if isinstance(child.tag, str) or child.tag is etree.Entity:
            out.append(etree.tostring(child, encoding="unicode", with_tail=False))
        out.append(html.escape(child.tail or "", quote=False))
    return _XMLNS_DECL.sub("", "".join(out))


def _text(el: _Element) -> str:
    return (el.text or "").strip() if len(el) == 0 else flatten(el).strip()


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def atom_text(el: _Element) -> tuple[str | None, bool]:
    """Read an Atom text construct as (value, is_html); also handles Atom 0.3 `mode`."""
    kind = (el.get("type") or "text").strip().lower()
    mode = (el.get("mode") or "").lower()
    if mode == "base64":
        try:
            raw = base64.b64decode(flatten(el), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None, False
        return raw, kind not in ("text", "text/plain")
    if kind in ("xhtml", "application/xhtml+xml") or mode == "xml":
        children = [c for c in el if isinstance(c.tag, str)]
        if (
            len(children) == 1
            and children[0].tag == f"{{{XHTML}}}div"
            and not (el.text or "").strip()
        ):
            return inner_xml(children[0]), True
        return inner_xml(el), True
    if kind in ("html", "text/html"):
        return inner_xml(el), True
    if kind in ("text", "text/plain") or kind.startswith("text/"):
        return flatten(el), False
    if kind.endswith("xml"):
        return inner_xml(el), True
    return None, False


def _as_html(value: str | None, is_html: bool) -> str | None:
    if value is None:
        return None
    return value if is_html else html.escape(value, quote=False)


# --- item handlers (RSS) -----------------------------------------------------------------


def _first(field: str, read: Callable[[_Element], str]) -> Handler:
    def handle(el: _Element, acc: Acc) -> None:
        if field not in acc:
            value = read(el)
            if value:
                acc[field] = value

    return handle


def _listed(field: str) -> Handler:
    def handle(el: _Element, acc: Acc) -> None:
        value = _text(el)
        if value:
            acc.setdefault(field, []).append(value)

    return handle


def _guid(el: _Element, acc: Acc) -> None:
    if "guid" in acc:
        return
    value = _text(el)
    if value:
        acc["guid"] = value
        flag = (el.get("isPermaLink") or "").strip().lower()
        acc["guid_is_permalink"] = {"true": True, "false": False}.get(flag)


def _rdf_about(el: _Element, acc: Acc) -> None:
    about = el.get(f"{{{RDF}}}about")
    if about and "guid" not in acc:
        acc["guid"] = about.strip()


def _enclosure(el: _Element, acc: Acc) -> None:
    url = (el.get("url") or "").strip()
    if url:
        acc.setdefault("enclosures", []).append(
            Enclosure(url=url, type=el.get("type") or None, length=_int(el.get("length")))
        )


def _media_content(el: _Element, acc: Acc) -> None:
    url = (el.get("url") or "").strip()
    if url:
        enc = Enclosure(
            url=url,
            type=el.get("type") or None,
            length=_int(el.get("fileSize")),
            medium=el.get("medium") or None,
        )
        acc.setdefault("enclosures", []).append(enc)
    for child in el:
        handler = _MEDIA.get(child.tag)
        if handler is not None:
            handler(child, acc)


def _media_thumbnail(el: _Element, acc: Acc) -> None:
    url = (el.get("url") or "").strip()
    if url:
        acc.setdefault("enclosures", []).append(Enclosure(url=url, medium="image"))


def _media_group(el: _Element, acc: Acc) -> None:
    for child in el:
        handler = _MEDIA.get(child.tag)
        if handler is not None:
            handler(child, acc)


_MEDIA: dict[Any, Handler] = {
    f"{{{MEDIA}}}content": _media_content,
    f"{{{MEDIA}}}thumbnail": _media_thumbnail,
    f"{{{MEDIA}}}group": _media_group,
}


def _atom_link(el: _Element, acc: Acc) -> None:
    rel = (el.get("rel") or "alternate").strip()
    href = (el.get("href") or "").strip()
    if not href:
        return
    if rel == "alternate":
        acc.setdefault("_alternates", []).append((el.get("type") or "", href))
    elif rel == "enclosure":
        acc.setdefault("enclosures", []).append(
            Enclosure(
                url=href,
                type=el.get("type") or None,
                length=_int(el.get("length")),
                title=el.get("title") or None,
            )
        )
    elif rel == "replies" and "comments" not in acc:
        acc["comments"] = href


def _atom_person(field: str) -> Handler:
    def handle(el: _Element, acc: Acc) -> None:
        name = None
        email = None
        for child in el:
            local = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if local == "name":
                name = _text(child)
            elif local == "email":
                email = _text(child)
        value = name or email or (_text(el) if len(el) == 0 else None)
        if value:
            acc.setdefault(field, []).append(value)

    return handle


def _category(el: _Element, acc: Acc) -> None:
    value = (el.get("term") or el.get("label") or "").strip() or _text(el)
    if value:
        acc.setdefault("categories", []).append(value)


def _content(el: _Element, acc: Acc) -> None:
    if "content_html" not in acc:
        value = inner_xml(el)
        if value.strip():
            acc["content_html"] = value


def _atom_content(field: str) -> Handler:
    def handle(el: _Element, acc: Acc) -> None:
        if field in acc or el.get("src"):
            return
        value, is_html = atom_text(el)
        value = _as_html(value, is_html)
        if value is not None and value.strip():
            acc[field] = value

    return handle


def _atom_title(el: _Element, acc: Acc) -> None:
    if "title" in acc:
        return
    value, is_html = atom_text(el)
    if value is not None:
        acc["title"] = value.strip()
        acc["title_is_html"] = is_html


def _lang(el: _Element, acc: Acc) -> None:
    _first("language", _text)(el, acc)


_RSS_ITEM: dict[Any, Handler] = {}
for _space in _RSS_NS:
    _RSS_ITEM[_q(_space, "title")] = _first("title", lambda el: flatten(el).strip())
    _RSS_ITEM[_q(_space, "link")] = _first("link", _text)
    _RSS_ITEM[_q(_space, "description")] = _first("summary_html", inner_xml)
    _RSS_ITEM[_q(_space, "guid")] = _guid
    _RSS_ITEM[_q(_space, "pubDate")] = _first("published_raw", _text)
    _RSS_ITEM[_q(_space, "author")] = _listed("authors")
    _RSS_ITEM[_q(_space, "category")] = _category
    _RSS_ITEM[_q(_space, "enclosure")] = _enclosure
    _RSS_ITEM[_q(_space, "comments")] = _first("comments", _text)
_RSS_ITEM.update(
    {
        f"{{{CONTENT}}}encoded": _content,
        f"{{{XHTML}}}body": _content,
        f"{{{DC}}}creator": _listed("authors"),
        f"{{{DC}}}author": _listed("authors"),
        f"{{{DC}}}date": _first("_dc_date", _text),
        f"{{{DC}}}subject": _listed("categories"),
        f"{{{DC}}}language": _lang,
        f"{{{DCTERMS}}}modified": _first("updated_raw", _text),
        f"{{{DCTERMS}}}issued": _first("_dc_date", _text),
        f"{{{DCTERMS}}}created": _first("_dc_date", _text),
        f"{{{ITUNES}}}author": _listed("_itunes_authors"),
        f"{{{ITUNES}}}summary": _first("_itunes_summary", _text),
        f"{{{ATOM10}}}link": _atom_link,
        f"{{{ATOM10}}}updated": _first("updated_raw", _text),
        f"{{{ATOM10}}}published": _first("_dc_date", _text),
        f"{{{ATOM10}}}author": _atom_person("authors"),
        **_MEDIA,
    }
)

_ATOM_ITEM: dict[Any, Handler] = {}
for _space in (ATOM10, ATOM03, ""):
    _ATOM_ITEM.update(
        {
            _q(_space, "id"): _first("guid", _text),
            _q(_space, "title"): _atom_title,
            _q(_space, "link"): _atom_link,
            _q(_space, "published"): _first("published_raw", _text),
            _q(_space, "issued"): _first("published_raw", _text),
            _q(_space, "created"): _first("_created", _text),
            _q(_space, "updated"): _first("updated_raw", _text),
            _q(_space, "modified"): _first("updated_raw", _text),
            _q(_space, "author"): _atom_person("authors"),
            _q(_space, "summary"): _atom_content("summary_html"),
            _q(_space, "content"): _atom_content("content_html"),
            _q(_space, "category"): _category,
        }
    )
_ATOM_ITEM.update(
    {
        f"{{{DC}}}creator": _listed("authors"),
        f"{{{DC}}}subject": _listed("categories"),
        f"{{{DC}}}date": _first("_dc_date", _text),
        f"{{{CONTENT}}}encoded": _content,
        **_MEDIA,
    }
)


def _finish_extras(acc: Acc) -> None:
    date = acc.pop("_dc_date", None) or acc.pop("_created", None)
    acc.pop("_created", None)
    if date and "published_raw" not in acc:
        acc["published_raw"] = date
    alternates = acc.pop("_alternates", None)
    if alternates and "link" not in acc:
        html_links = [href for kind, href in alternates if "html" in kind]
        acc["link"] = (html_links or [alternates[0][1]])[0]
    itunes = acc.pop("_itunes_authors", None)
    if itunes and "authors" not in acc:
        acc["authors"] = itunes
    summary = acc.pop("_itunes_summary", None)
    if summary and "summary_html" not in acc:
        acc["summary_html"] = html.escape(summary, quote=False)


def _finish_entry(acc: Acc, item: _Element, item_raw: bool) -> ParsedEntry:
    for key in acc:
        if key[0] == "_":
            _finish_extras(acc)
            break
    if item.attrib:
        lang = item.get(XML_LANG)
        if lang and "language" not in acc:
            acc["language"] = lang
    if "authors" in acc:
        acc["authors"] = tuple(dict.fromkeys(acc["authors"]))
    if "categories" in acc:
        acc["categories"] = tuple(dict.fromkeys(acc["categories"]))
    if "enclosures" in acc:
        seen: dict[str, Enclosure] = {}
        for enc in acc["enclosures"]:
            seen.setdefault(enc.url, enc)
        acc["enclosures"] = tuple(seen.values())
    if item_raw:
        acc["raw"] = etree.tostring(item, encoding="unicode", with_tail=False)
    return ParsedEntry(**acc)


def read_item(item: _Element, table: dict[Any, Handler], item_raw: bool = True) -> ParsedEntry:
    acc: Acc = {}
    get = table.get
    for child in item:
        handler = get(child.tag)
        if handler is not None:
            handler(child, acc)
    if "guid" not in acc and item.attrib:
        _rdf_about(item, acc)
    return _finish_entry(acc, item, item_raw)


# --- channel ------------------------------------------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: object) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _feed_link(el: _Element, acc: Acc) -> None:
    rel = (el.get("rel") or "alternate").strip()
    href = (el.get("href") or "").strip()
    if not href:
        return
    key = {
        "self": "self_link",
        "next": "next_link",
        "prev-archive": "prev_archive_link",
        "alternate": "_alt",
    }.get(rel)
    if key and key not in acc:
        acc[key] = href


def _read_channel(elements: list[_Element], atom: bool) -> Acc:
    acc: Acc = {}
    for el in elements:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        ns, local = _ns(tag), _local(tag)
        if ns in (ATOM10, ATOM03) or (atom and ns == ""):
            if local == "link":
                _feed_link(el, acc)
            elif local == "title" and atom:
                acc.setdefault("title", (atom_text(el)[0] or "").strip() or None)
            elif local in ("subtitle", "tagline") and atom:
                acc.setdefault("description", atom_text(el)[0])
            elif local in ("updated", "modified"):
                acc.setdefault("updated_raw", _text(el))
            elif local == "generator":
                acc.setdefault("generator", _text(el) or el.get("uri") or None)
            elif local in ("logo", "icon"):
                acc["image" if local == "logo" else "_icon"] = _text(el)
            continue
        if ns in _RSS_NS:
            if local == "title":
                acc.setdefault("title", flatten(el).strip())
            elif local == "link":
                acc.setdefault("link", _text(el))
            elif local == "description":
                acc.setdefault("description", inner_xml(el))
            elif local == "language":
                acc.setdefault("language", _text(el))
            elif local == "generator":
                acc.setdefault("generator", _text(el))
            elif local == "lastBuildDate":
                acc["updated_raw"] = _text(el)
            elif local == "pubDate":
                acc.setdefault("_pub", _text(el))
            elif local == "ttl":
                acc["ttl"] = _int(el.text)
            elif local == "skipHours":
                hours = (_int(h.text) for h in el if _local(h.tag) == "hour")
                acc["skip_hours"] = tuple(h for h in hours if h is not None)
            elif local == "skipDays":
                acc["skip_days"] = tuple(_text(d) for d in el if _local(d.tag) == "day")
            elif local == "image":
                url = next((_text(u) for u in el if _local(u.tag) == "url"), "")
                if url:
                    acc.setdefault("image", url)
        elif ns == DC:
            if local == "language":
                acc.setdefault("language", _text(el))
            elif local == "date":
                acc.setdefault("_pub", _text(el))
        elif ns == SY:
            if local == "updatePeriod":
                acc["update_period"] = _text(el)
            elif local == "updateFrequency":
                acc["update_frequency"] = _int(el.text)
            elif local == "updateBase":
                acc["update_base"] = _text(el)
        elif ns == ITUNES and local == "image":
            acc.setdefault("_itunes_image", el.get("href"))
    if "updated_raw" not in acc and acc.get("_pub"):
        acc["updated_raw"] = acc["_pub"]
    if "link" not in acc and acc.get("_alt"):
        acc["link"] = acc["_alt"]
    if "image" not in acc:
        acc["image"] = acc.get("_itunes_image") or acc.get("_icon")
    return {k: v for k, v in acc.items() if not k.startswith("_") and v not in (None, "")}


# --- document -----------------------------------------------------------------------------


def _rss_format(root: _Element) -> str:
    version = (root.get("version") or "").strip()
    if version.startswith("0.9") and len(version) == 4:
        return f"rss{version}"
    return "rss2.0"


def identify(root: _Element) -> str:
    """The feed format of a document root, or NotAFeedError naming what the document is."""
    tag = root.tag if isinstance(root.tag, str) else ""
    ns, local = _ns(tag), _local(tag)
    if local == "rss":
        return _rss_format(root)
    if local == "channel" and ns in _RSS_NS:
        return "rss0.91"
    if local == "RDF":
        if (
            root.find(f"{{{RSS090}}}channel") is not None
            or root.find(f"{{{RSS090}}}item") is not None
        ):
            return "rss0.90"
        return "rss1.0"
    if local == "feed":
        if ns == ATOM03 or (ns == "" and (root.get("version") or "").startswith("0.")):
            return "atom0.3"
        return "atom1.0"
    if local.lower() == "html":
        title = next((flatten(t) for t in root.iter("{*}title")), "")
        raise NotAFeedError("an HTML page", " ".join(title.split())[:200])
    if not local:
        raise NotAFeedError("an empty body", "an XML prolog without any element")
    prefix = root.prefix
    raise NotAFeedError(
        f"an XML document that is not a feed (root <{prefix + ':' if prefix else ''}{local}>)"
    )


def _is_item(el: _Element, root: _Element) -> bool:
    parent = el.getparent()
    if parent is None:
        return False
    if parent is root:
        return True
    return _local(parent.tag) == "channel" and parent.getparent() is root


def _channel_elements(root: _Element, fmt: str) -> list[_Element]:
    if fmt.startswith("atom"):
        return list(root)
    if _local(root.tag) == "channel":
        return list(root)
    out: list[_Element] = []
    for child in root:
        if _local(child.tag) == "channel":
            out.extend(child)
        elif fmt in ("rss1.0", "rss0.90"):
            out.append(child)
    return out


class _Reader:
    def __init__(self, item_raw: bool = True) -> None:
        self.item_raw = item_raw
        self.root: _Element | None = None
        self.fmt = ""
        self.entries: list[ParsedEntry] = []

    def events(self, data: bytes) -> Iterator[tuple[str, _Element]]:
        return etree.iterparse(  # type: ignore[no-any-return]
            io.BytesIO(data),
            events=("end",),
            tag=("{*}item", "{*}entry"),
            encoding="utf-8",
            **PARSER_OPTIONS,
        )

    def item(self, el: _Element) -> None:
        if self.root is None:
            self.root = el.getroottree().getroot()
            self.fmt = identify(self.root)
        if not _is_item(el, self.root):
            return
        atom = self.fmt.startswith("atom")
        if atom != (_local(el.tag) == "entry"):
            return
        self.entries.append(read_item(el, _ATOM_ITEM if atom else _RSS_ITEM, self.item_raw))
        el.clear()
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)

    def feed(self) -> ParsedFeed:
        assert self.root is not None
        root = self.root
        channel = _read_channel(_channel_elements(root, self.fmt), self.fmt.startswith("atom"))
        if "language" not in channel and root.get(XML_LANG):
            channel["language"] = root.get(XML_LANG)
        return ParsedFeed(format=self.fmt, entries=tuple(self.entries), parser="lxml", **channel)


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local_parser, "parser", None)
    if parser is None:
        parser = etree.XMLParser(encoding="utf-8", **PARSER_OPTIONS)
        _local_parser.parser = parser
    return parser


def _items(root: _Element, fmt: str) -> Iterator[_Element]:
    want = "entry" if fmt.startswith("atom") else "item"
    containers = [root]
    if not fmt.startswith("atom") and _local(root.tag) != "channel":
        containers += [c for c in root if _local(c.tag) == "channel"]
    for container in containers:
        for child in container:
            if _local(child.tag) == want:
                yield child


def _parse_tree(data: bytes, item_raw: bool) -> ParsedFeed | etree.XMLSyntaxError:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        return exc
    reader = _Reader(item_raw)
    reader.root = root
    reader.fmt = identify(root)
    table = _ATOM_ITEM if reader.fmt.startswith("atom") else _RSS_ITEM
    reader.entries = [read_item(item, table, item_raw) for item in _items(root, reader.fmt)]
    return reader.feed()


def parse_xml_fast(data: bytes, *, item_raw: bool = True) -> ParsedFeed:
    """Parse well-formed feed XML given as UTF-8 bytes (declared encodings are overridden).

    Raises NotAFeedError for well-formed XML that is not a feed and MalformedXML when
    strict parsing fails. Small documents are parsed whole (quickest); large ones, and
    broken ones whose readable items we want, are streamed. `item_raw=False` leaves each
    entry's `raw` empty, for callers that keep the whole document instead.
    """
    tree_error = None
    if len(data) <= _TREE_LIMIT:
        feed = _parse_tree(data, item_raw)
        if isinstance(feed, ParsedFeed):
            return feed
        tree_error = feed
    reader = _Reader(item_raw)
    events = reader.events(data)
    try:
        for _event, el in events:
            reader.item(el)
        if reader.root is None:
            reader.root = events.root  # type: ignore[attr-defined]
            assert reader.root is not None
            reader.fmt = identify(reader.root)
    except etree.XMLSyntaxError as exc:
        partial = reader.feed() if reader.root is not None else None
        raise MalformedXML(tree_error or exc, partial) from None
    return reader.feed()
