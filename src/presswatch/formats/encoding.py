"""Deciding how a feed's bytes become text.

Feeds lie about their encoding often enough that no single source can be trusted: the
order follows RFC 7303 and feedparser (a byte order mark wins, then the HTTP charset,
then the XML declaration, then sniffing), but every source that fails to decode, or is
unknown, falls through to the next, and each disagreement is recorded as a problem so
an analyst can see why the text looks the way it does.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']{1,60})[\"']")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';,\s]+)", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LATIN1 = {"iso8859-1", "latin-1", "ascii"}
_WIDE = ("utf-16", "utf-32")


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text plus the decision that produced it, and what was wrong on the way."""

    text: str
    encoding: str
    reason: str
    problems: tuple[str, ...] = ()
    changed: bool = False  # control characters were removed, so the text differs from the bytes


def _canonical(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc, len(bom)
    return None


def _nul_pattern(data: bytes) -> str | None:
    """Recognise UTF-16/32 without a BOM from where the NULs sit around the first ASCII char."""
    head = data[:4]
    if len(head) < 4:
        return None
    if head[:3] == b"\0\0\0" and head[3]:
        return "utf-32-be"
    if head[0] and head[1:] == b"\0\0\0":
        return "utf-32-le"
    if head[0] == 0 and head[1] and head[2] == 0:
        return "utf-16-be"
    if head[0] and head[1] == 0 and head[3] == 0:
        return "utf-16-le"
    return None


def http_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    m = _CHARSET.search(content_type)
    return m.group(1) if m else None


def _declared(data: bytes, wide: str | None) -> str | None:
    head = data[:512]
    if wide:
        head = head.decode(wide, errors="ignore").encode("ascii", errors="ignore")
    m = _XML_DECL.match(head)
    return m.group(1).decode("ascii", errors="replace").strip() if m else None


def _try(data: bytes, encoding: str) -> str | None:
    if encoding in _LATIN1 and re.search(rb"[\x80-\x9f]", data):
        # Feeds that say latin-1 almost always mean windows-1252 (curly quotes, euro sign).
        encoding = "cp1252"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _sniff(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        return None
    enc = _canonical(best.encoding) or best.encoding
    text = _try(data, enc)
    return (text, enc) if text is not None else None


def clean_text(text: str) -> tuple[str, bool]:
    """Remove NUL and C0 controls (which XML forbids and databases choke on)."""
    if _CONTROL.search(text) is None:
        return text, False
    return _CONTROL.sub("", text), True


def decode(data: bytes, content_type: str | None = None, *, clean: bool = True) -> Decoded:
    """Decode a feed body; never raises, the last resort is UTF-8 with replacement characters.

    `clean=False` leaves control characters in place for callers (the XML path) that only
    pay for the scan when the strict parser trips over one.
    """
    problems: list[str] = []
    body = data
    wide: str | None = None
    bom = _bom(data)
    if bom:
        wide, size = bom
        body = data[size:]
    else:
        wide = _nul_pattern(data)
    http_raw = http_charset(content_type)
    decl_raw = _declared(body, wide if wide and wide != "utf-8" else None)
    http = _canonical(http_raw) if http_raw else None
    decl = _canonical(decl_raw) if decl_raw else None
    if http_raw and http is None:
        problems.append(f"HTTP charset {http_raw!r} is unknown")
    if decl_raw and decl is None:
        problems.append(f"declared {decl_raw!r} is unknown")

    candidates: list[tuple[str, str]] = []
    if bom:
        candidates.append((bom[0], "BOM"))
    if http:
        candidates.append((http, "HTTP charset"))
    if decl:
        candidates.append((decl, "XML declaration"))
    if wide and not bom:
        candidates.append((wide, "NUL byte pattern"))

    for i, (enc, reason) in enumerate(candidates):
        if enc in _WIDE and wide and wide.startswith(enc):
            enc = wide  # "utf-16" without a BOM: the NUL pattern tells the byte order
        if enc.startswith(_WIDE) and wide is None:
            problems.append(f"{reason} says {enc!r} but the bytes are not {enc}; ignored")
            continue
        if wide and wide != "utf-8" and not enc.startswith(_WIDE) and reason != "BOM":
            problems.append(f"{reason} says {enc!r} but the bytes are {wide}; ignored")
            continue
        text = _try(body, enc)
        if text is None:
            problems.append(f"{reason} {enc!r} fails to decode the bytes")
            continue
        final_reason = _fallen(reason, problems)
        for other, other_reason in candidates[i + 1 :]:
            if _family(other) != _family(enc) and other_reason != "NUL byte pattern":
                problems.append(
                    f"{other_reason} says {other!r} but {reason} says {enc!r}; used {reason}"
                )
        return _finish(clean, text, enc, final_reason, problems)

    text = _try(body, "utf-8")
    if text is not None:
        return _finish(clean, text, "utf-8", _fallen("default (valid UTF-8)", problems), problems)
    sniffed = _sniff(body)
    if sniffed is not None:
        return _finish(
            clean,
            sniffed[0],
            sniffed[1],
            _fallen("sniffed (charset-normalizer)", problems),
            problems,
        )
    problems.append("no encoding decodes the bytes; undecodable bytes replaced")
    text = body.decode("utf-8", errors="replace")
    return _finish(clean, text, "utf-8", "default (UTF-8, bytes replaced)", problems)


def _family(enc: str) -> str:
    enc = enc.replace("_", "-")
    if enc in ("ascii", "utf-8"):
        return "utf-8"
    if enc in _LATIN1 or enc == "cp1252":
        return "cp1252"
    for w in _WIDE:
        if enc.startswith(w):
            return w
    return enc


def _fallen(reason: str, problems: list[str]) -> str:
    if not problems:
        return reason
    return f"{problems[-1]}; {reason}"


def _finish(clean: bool, text: str, enc: str, reason: str, problems: list[str]) -> Decoded:
    changed = False
    if clean:
        text, changed = clean_text(text)
        if changed:
            problems.append("removed NUL/control characters")
    return Decoded(text, enc, reason, tuple(problems), changed)
