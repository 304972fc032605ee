"""Feed HTML made safe to show, and reduced to paragraph text for search and analysis.

Feed bodies are untrusted markup from anywhere; the archive keeps an allowlisted copy
(nh3) for display and a plain-text copy whose paragraphs survive, because bylines,
source lines and quotes are found paragraph by paragraph.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import lru_cache
from html import escape, unescape
from itertools import chain, repeat
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import nh3

__all__ = [
    "fold_whitespace",
    "html_paragraphs",
    "html_to_text",
    "looks_like_html",
    "sanitize_html",
    "sanitize_to_paragraphs",
    "text_to_html",
]

_TAGS = {
    "p", "br", "a", "b", "strong", "i", "em", "u", "s", "blockquote", "q", "cite", "ul", "ol",
    "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "code", "figure",
    "figcaption", "img", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "colgroup", "col", "hr", "sub", "sup", "span", "div", "abbr", "time", "details", "summary",
}  # fmt: skip
_DROP_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
    "frame", "frameset", "applet", "noembed", "noframes", "textarea", "select",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed"},
}
_SCHEMES = {"http", "https", "mailto"}
_REL = "noopener noreferrer nofollow"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_CONTROL_CHARS = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\x7f"]


def _strip_control(s: str) -> str:
    # 30 substring tests beat one regex scan: sre walks wide strings char by char.
    return _CONTROL.sub("", s) if any(c in s for c in _CONTROL_CHARS) else s


class _Base(NamedTuple):
    url: str
    scheme: str  # "http" or "https"; anything else resolves nothing
    origin: str  # scheme://host[:port]
    document: str  # the URL without query and fragment


_base: ContextVar[str | None] = ContextVar("presswatch_sanitize_base", default=None)


def _resolve(url: str) -> str | None:
    """Absolute form of a relative href/src; the common shapes skip the slow urljoin."""
    base_url = _base.get()
    if base_url is None:
        return url
    base = _parse_base(base_url)  # only here: most bodies have no relative link
    if base.scheme not in ("http", "https"):
        return None
    if url.startswith("//"):
        return base.scheme + ":" + url
    if url.startswith("/") and "/." not in url:
        return base.origin + url
    if url.startswith(("?", "#")):
        return (base.document if url[0] == "?" else base.url.partition("#")[0]) + url
    try:
        joined = urljoin(base.url, url)
    except ValueError:
        return None
    return joined if joined.split(":", 1)[0].lower() in ("http", "https") else None


@lru_cache(maxsize=64)
def _parse_base(url: str) -> _Base:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return _Base("", "", "", "")
    if not parts.netloc:
        return _Base("", "", "", "")
    origin = f"{parts.scheme}://{parts.netloc}"
    return _Base(parts.geturl(), parts.scheme.lower(), origin, origin + (parts.path or "/"))


_KEEP_RELATIVE = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    url_schemes=_SCHEMES,
    link_rel=_REL,
)
_RESOLVE_RELATIVE = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    url_schemes=_SCHEMES,
    link_rel=_REL,
    url_relative=_resolve,
)


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Allowlisted HTML safe to render; relative links resolved when the page URL is known."""
    return _clean(_strip_control(html), base_url)


def sanitize_to_paragraphs(
    html: str, base_url: str | None = None, *, from_xml: bool = False
) -> tuple[str, list[str]]:
    """`sanitize_html` and the `html_paragraphs` of its result, looking for control
    characters once: nh3 only brings them back from numeric references, which need a "#".
    Text an XML parser gave (`from_xml`) can hold no C0 control but DEL."""
    if not from_xml:
        html = _strip_control(html)
    elif "\x7f" in html:
        html = html.replace("\x7f", "")
    clean = _clean(html, base_url)
    return clean, _paragraphs(clean if "#" not in html else _strip_control(clean))


def _clean(html: str, base_url: str | None) -> str:
    if not base_url:
        return str(_KEEP_RELATIVE.clean(html))
    token = _base.set(base_url)
    try:
        return str(_RESOLVE_RELATIVE.clean(html))
    finally:
        _base.reset(token)


_TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def looks_like_html(s: str) -> bool:
    """True when `s` has tag-like markup or entities, i.e. it must not be shown verbatim."""
    return bool(_TAG_LIKE.search(s) or _ENTITY.search(s))


_BLOCK = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr",
    "caption", "hr", "section", "article", "aside", "header", "footer", "nav", "main",
    "address", "details", "summary", "center", "form", "fieldset", "legend",
}  # fmt: skip
_SEPARATORS = dict.fromkeys(_BLOCK, "\x00") | {"br": "\x01", "td": " ", "th": " "}
_PARA = "\x00"
_LINE = "\x01"
_SKIP_CONTENT = _DROP_WITH_CONTENT | {"title", "head"}
# Comments first, then tags (quoted attribute values may hold ">"), then other <! <? </ junk.
_TAG = re.compile(
    r"<!--(?s:.*?)(?:-->|$)|<!\[CDATA\[(?s:.*?)(?:\]\]>|$)"
    r"""|<(/?)([A-Za-z][A-Za-z0-9:-]*+)(?:[^>"']++|"[^"]*+"|'[^']*+')*+>|<[!?/][^>]*+>"""
)
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def html_to_text(html: str) -> str:
    """Paragraphs of plain text, separated by one blank line, with markup and entities gone."""
    return "\n\n".join(html_paragraphs(html))


def html_paragraphs(html: str) -> list[str]:
    """The paragraphs `html_to_text` joins: each stripped, none empty, none with a blank line."""
    return _paragraphs(_strip_control(html))


def _paragraphs(html: str) -> list[str]:
    blocks = _autop_blocks(html)
    if blocks is not None:
        return [
            p for p in map(fold_whitespace, (unescape(b) if "&" in b else b for b in blocks)) if p
        ]
    if not _TAG_LIKE.search(html):
        return _plain(unescape(html))
    bare = _bare_markup(html)
    if bare is not None:
        text, saw_block = bare
    else:
        parts = _TAG.split(html)
        names = parts[2::3]
        if not "".join(filter(None, names)).islower():
            names = [n.lower() if n else n for n in names]
        if _SKIP_CONTENT.isdisjoint(names):
            seps = list(map(_SEPARATORS.get, names, repeat("")))
            text = parts[0] + "".join(chain.from_iterable(zip(seps, parts[3::3], strict=True)))
            saw_block = _PARA in seps
        else:
            text, saw_block = _join_skipping(parts, names)
    if not saw_block:
        # Inline-only markup (unprocessed WordPress) paragraphs by blank lines.
        text = _BLANK_LINE.sub(_PARA, text)
    if "&" in text:
        text = unescape(text)  # yields no C0 controls but whitespace, which is collapsed next
    paragraphs: list[str] = []
    for block in text.split(_PARA):
        if _LINE in block:
            paragraphs.extend(
                _br_paragraphs([fold_whitespace(line) for line in block.split(_LINE)])
            )
        else:
            block = fold_whitespace(block)
            if block:
                paragraphs.append(block)
    return paragraphs


def fold_whitespace(text: str) -> str:
    """Runs of whitespace as one space, ends stripped; cheap when there is nothing to fold."""
    if text.isprintable() and "  " not in text:  # no whitespace but single spaces
        return text.strip()
    return " ".join(text.split())


def _autop_blocks(html: str) -> list[str] | None:
    """The paragraphs' markup-free insides when `html` is exactly "<p>A</p>\n<p>B</p>", what
    WordPress writes and nh3 keeps; None for anything else."""
    if not html.startswith("<p>"):
        return None
    if html.endswith("</p>"):
        inner = html[3:-4]
    elif html.endswith("</p>\n"):
        inner = html[3:-5]
    else:
        return None
    blocks = inner.split("</p>\n<p>")
    for block in blocks:
        if "<" in block:
            return None
    return blocks


_BARE = {"p>": _PARA, "/p>": _PARA, "br>": _LINE}


def _bare_markup(html: str) -> tuple[str, bool] | None:
    """The fast path for markup that is only <p>, </p> and <br>, what sanitized WordPress
    bodies are: the text with separators, or None when other markup needs the tokenizer."""
    pieces = html.split("<")
    saw_block = False
    for index in range(1, len(pieces)):
        piece = pieces[index]
        end = piece.find(">", 0, 3) + 1
        sep = _BARE.get(piece[:end]) if end else None
        if sep is None:
            return None
        if sep == _PARA:
            saw_block = True
            if piece[end:].isspace():  # between paragraphs: it would fold away
                pieces[index] = sep
                continue
        pieces[index] = sep + piece[end:]
    return "".join(pieces), saw_block


def _join_skipping(parts: list[str], names: list[str | None]) -> tuple[str, bool]:
    """The slow path for markup holding <script>, <style> and the like: drop their content."""
    pieces = [parts[0]]
    saw_block = False
    skipping = ""
    for index, name in enumerate(names):
        closing, text = parts[3 * index + 1], parts[3 * index + 3]
        if skipping:
            if closing and name == skipping:
                skipping = ""
                pieces.append(text)
            continue
        if name in _SKIP_CONTENT and not closing:
            skipping = name
            continue
        sep = _SEPARATORS.get(name or "", "")
        saw_block = saw_block or sep == _PARA
        pieces.append(sep)
        pieces.append(text)
    return "".join(pieces), saw_block


def _br_paragraphs(lines: list[str]) -> list[str]:
    """Two or more <br> in a row separate paragraphs; one <br> is a line break inside one."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _plain(text: str) -> list[str]:
    paragraphs = []
    for block in _BLANK_LINE.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = (" ".join(line.split()) for line in block.split("\n"))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs


def text_to_html(text: str) -> str:
    """Plain text shown as HTML: blank-line paragraphs become <p>, single newlines <br>."""
    text = _strip_control(text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (p.strip() for p in _BLANK_LINE.split(text))
    return "".join(
        "<p>" + escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )
