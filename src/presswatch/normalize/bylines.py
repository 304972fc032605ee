"""Authors and original publications found in the article text itself.

Republishing sites put the real author in a "By Pepe ESCOBAR" paragraph and the original
outlet in a bare last line ("thecradle.co"), while the feed's own author field names the
site. Both lines are lifted out of the text so they neither pollute search nor get lost.
The heuristics prefer missing a byline to inventing one from a sentence of prose.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

from presswatch.normalize.html import html_to_text

__all__ = ["extract_byline", "extract_source_line", "person_name", "split_authors"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PARTICLES = _words("von van der den de del della la le da di du dos das bin ibn al el ter ten zu")
_MAC_NAMES = _words(
    """donald arthur leod gregor kenzie intosh millan kay neil lean laren dougall farlane
    pherson adam allister gowan kinnon lachlan mahon namara queen rae innes iver kenna cormack
    aulay bride caskill ewan gillivray isaac kinley lennan master kinnon nab nair"""
)
_VOWELS = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿаеёиоуыэюяієї")
_ROMAN = re.compile(r"[IVX]+")
_BY = re.compile(r"(?:written\s+by|by)\s*:?\s+", re.IGNORECASE)
_EDGE_PUNCT = " \t\n.,;:!?|/\\-–—•·*\"'“”‘’()[]"


def person_name(raw: str) -> str:
    """A display name: markup and "By " gone, ALL-CAPS surnames in title case."""
    if "<" in raw or "&" in raw:
        raw = html_to_text(raw)
    name = " ".join(raw.split())
    m = _BY.match(name)
    if m:
        name = name[m.end() :]
    name = name.strip(_EDGE_PUNCT)
    if "(" in name and not name.startswith("("):
        name = name[: name.index("(")].rstrip(_EDGE_PUNCT)
    words = name.split(" ")
    return " ".join(_fix_case(w, first=i == 0) for i, w in enumerate(words))


def _fix_case(word: str, *, first: bool) -> str:
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2 or not all(c.isupper() for c in letters):
        return word
    if _ROMAN.fullmatch(word) or not any(c.lower() in _VOWELS for c in letters):
        return word  # II, III; vowelless initials such as "JR", "RT"
    lower = word.lower()
    if not first and lower in _PARTICLES:
        return lower
    return "-".join(_cap_part(part) for part in lower.split("-"))


def _cap_part(part: str) -> str:
    for apostrophe in ("'", "’"):
        head, sep, tail = part.partition(apostrophe)
        if sep and len(head) == 1 and tail:
            return head.upper() + sep + _cap_part(tail)
    if part.startswith("mc") and len(part) > 3:
        return "Mc" + part[2:].capitalize()
    if part.startswith("mac") and part[3:] in _MAC_NAMES:
        return "Mac" + part[3:].capitalize()
    return part.capitalize()


_EMAIL = re.compile(r"[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+")
_AND = re.compile(r"\s+(?:and|&|und|et|y|и)\s+|\s*[,;]\s*|\s+/\s+", re.IGNORECASE)
_ANGLE_EMAIL = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_EMAIL_THEN_NAME = re.compile(r"\S+@\S+\s*\((.+)\)")
_PLACEHOLDERS = frozenset({"", "unknown", "admin", "administrator", "noreply"})


def split_authors(raw: str) -> tuple[str, ...]:
    """Names from a feed author field: lists joined by commas or "and", email forms."""
    text = _ANGLE_EMAIL.sub(" ", raw)
    if "<" in text:
        text = html_to_text(text)
    elif "&" in text:
        text = unescape(text)
    text = " ".join(text.split())
    m = _EMAIL_THEN_NAME.fullmatch(text)
    if m:
        text = m.group(1)
    m = _BY.match(text)
    if m:
        text = text[m.end() :]
    names: list[str] = []
    for part in _AND.split(text):
        name = person_name(_EMAIL.sub("", part).replace("()", ""))
        if name.lower() not in _PLACEHOLDERS and name not in names:
            names.append(name)
    if not names:
        emails = _EMAIL.findall(text)
        return (emails[0],) if emails else ()
    return tuple(names)


_FUNCTION_WORDS = _PARTICLES | {"to", "the", "of", "for", "and", "at", "in", "on", "from"}
_BYLINE_MAX_WORDS = 12
_NAME_MAX_WORDS = 6
_CUT = re.compile(r"\s*(?:\n|\s\|\s|\s[-–—]\s|,)\s*")
_LIST_AND = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
_INITIAL = re.compile(r"(?:[A-Z]\.)+|Jr\.|Sr\.|St\.|Dr\.")


def extract_byline(paragraphs: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Authors from a "By Name" paragraph near the top, and the paragraphs without it."""
    for index, paragraph in enumerate(paragraphs[:3]):
        authors = _byline_authors(paragraph.strip())
        if authors:
            return authors, paragraphs[:index] + paragraphs[index + 1 :]
    return (), list(paragraphs)


def _byline_authors(paragraph: str) -> tuple[str, ...]:
    m = _BY.match(paragraph)
    if not m or len(paragraph.split()) > _BYLINE_MAX_WORDS:
        return ()
    first_line, _, more = paragraph[m.end() :].strip().partition("\n")
    pieces = _LIST_AND.split(first_line)
    segments = [s for piece in pieces[:-1] for s in piece.split(",")]
    last = _CUT.split(pieces[-1], maxsplit=1)
    segments.append(last[0])
    affiliation = " ".join((last[1] if len(last) > 1 else "", more))
    if not _affiliation_ok(affiliation):
        return ()
    names: list[str] = []
    for segment in segments:
        segment = segment.strip()
        if segment.endswith(".") and not _INITIAL.fullmatch(segment.split()[-1]):
            segment = segment[:-1]
        if not _looks_like_name(segment):
            return ()
        names.append(person_name(segment))
    return tuple(names)


def _looks_like_name(segment: str) -> bool:
    words = segment.split()
    if not 1 <= len(words) <= _NAME_MAX_WORDS:
        return False
    if not words[0][0].isupper() or not words[-1][0].isupper():
        return False
    for word in words:
        if _INITIAL.fullmatch(word):
            continue
        if word.lower() in _PARTICLES:
            continue
        if not word[0].isupper() or any(c in '.!?;:"“”()' for c in word):
            return False
    return True


def _affiliation_ok(affiliation: str) -> bool:
    """What follows the names must read like an outlet or a role, not the rest of a sentence."""
    affiliation = affiliation.strip()
    if not affiliation:
        return True
    words = affiliation.replace("\n", " ").split()
    if len(words) > _NAME_MAX_WORDS or affiliation.rstrip().endswith(("!", "?")):
        return False
    lower_words = [w for w in words if w[0].islower() and w not in _FUNCTION_WORDS]
    return len(lower_words) <= 1 and words[0][0].isupper()


_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\.?(?:/\S*)?", re.IGNORECASE
)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_SOURCE_PREFIX = re.compile(
    r"(?:(?:this\s+(?:article|piece|post|story|essay)\s+)?(?:was\s+)?"
    r"(?:originally|first)\s+(?:published|appeared|posted|ran)\s+(?:at|in|on|by)"
    r"|(?:republished|reprinted|reposted|cross-posted|crossposted)\s+(?:from|with permission from)"
    r"|sources?\s*:)\s*:?\s*",
    re.IGNORECASE,
)
_CAPS_WORD = r"[^\W\d_][^\W_]*(?:['’&-][^\W_]+)*"
_CAPS_LINE = re.compile(rf"{_CAPS_WORD}(?:\s+{_CAPS_WORD}){{0,3}}")
_SOURCE_MAX_WORDS = 16


def extract_source_line(paragraphs: list[str]) -> tuple[str | None, list[str]]:
    """The publication a republished article came from, named in its last line."""
    end = len(paragraphs)
    while end and not paragraphs[end - 1].strip():
        end -= 1
    if not end:
        return None, list(paragraphs)
    source = _source_of(paragraphs[end - 1].strip())
    if source is None:
        return None, list(paragraphs)
    return source, paragraphs[: end - 1]


def _source_of(line: str) -> str | None:
    if "\n" in line or len(line.split()) > _SOURCE_MAX_WORDS:
        return None
    m = _SOURCE_PREFIX.match(line)
    if m:
        name = line[m.end() :].strip().rstrip(".")
        if not name or len(name.split()) > 8:
            return None
        return _host_or_name(name)
    if " " not in line:
        host = _host_of(line)
        if host:
            return host
    if _CAPS_LINE.fullmatch(line):
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 3 and all(c.isupper() for c in letters):
            return line
    return None


def _host_or_name(name: str) -> str:
    if " " not in name:
        host = _host_of(name)
        if host:
            return host
    return name


def _host_of(token: str) -> str | None:
    token = token.strip("<>()[]")
    if _URL.fullmatch(token):
        try:
            host = urlsplit(token).hostname
        except ValueError:
            return None
        return host or None
    if _DOMAIN.fullmatch(token):
        return token.split("/", 1)[0].rstrip(".").lower()
    return None
