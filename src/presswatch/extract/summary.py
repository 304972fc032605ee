"""Does a feed item carry only a summary? Then its page is worth fetching (pure).

A teaser is recognised by its length and by how it ends: WordPress excerpts close with
"[…]", themes add "Read more" or "Continue reading", Russian sites "Читать далее". The
ending alone is not trusted on a long text: a full article may end on a trailing quote
("..."), and Yoast appends "The post X appeared first on Y" to full content too, so that
line is cut off before the ending is judged.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from presswatch.types import Article

__all__ = ["LONG_WORDS", "SHORT_WORDS", "needs_full_text", "word_count"]

SHORT_WORDS = 80  # under this, an item is a teaser whatever it ends with
LONG_WORDS = 300  # from this on, an item is the full text whatever it ends with

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_APPEARED_FIRST = re.compile(
    r"(?:^|\n|(?<=[.!?…\]]))\s*The post\s.{1,400}?\sappeared first on\s[^\n]{1,200}\Z",
    re.IGNORECASE | re.DOTALL,
)
_ELLIPSIS = re.compile(r"(?:\[\s*(?:…|\.\.\.|&hellip;)\s*\]|…|\.\.\.|\(more…?\)|&hellip;)\W*\Z")
_MORE = (
    r"read\s+more|continue\s+reading|keep\s+reading|read\s+the\s+rest|"
    r"read\s+(?:the\s+)?full\s+(?:article|story|text|post)|full\s+story|more\s+»|"
    r"читать\s+далее|читать\s+полностью|подробнее|далее|"
    r"weiterlesen|lire\s+la\s+suite|leer\s+más|seguir\s+leyendo|leggi\s+tutto"
)
# The marker starts the last line or follows a sentence end; a title may follow it
# ("Continue reading The Worse the Better →"), a sentence ending in "." may not.
_MORE_TAIL = re.compile(
    rf"(?:^|\n|[.!?…\]):»]\s*|\[\s*)(?:{_MORE})(?!\w)(?P<rest>[^\n]{{0,200}})\Z",
    re.IGNORECASE,
)
_BARE = re.compile(r"[\W_]*")


def word_count(text: str) -> int:
    """Words in `text`, counting Chinese, Japanese and Korean script at two characters a
    word, since those languages do not separate words with spaces."""
    words = text.split()
    cjk = len(_CJK.findall(text)) if not text.isascii() else 0
    if not cjk:
        return len(words)
    spaced = sum(1 for w in words if not _CJK.search(w))
    return spaced + (cjk + 1) // 2


def _has_page(url: str | None) -> bool:
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _teaser_ending(text: str) -> bool:
    text = _APPEARED_FIRST.sub("", text).rstrip()
    if not text:
        return True
    tail = text[-300:]
    if _ELLIPSIS.search(tail):
        return True
    m = _MORE_TAIL.search(text)
    if m is None:
        return False
    rest = m.group("rest").strip()
    # "Read more →" or a linked title; not "Read more about it in our report."
    return _BARE.fullmatch(rest) is not None or not rest.endswith(".")


def needs_full_text(article: Article) -> bool:
    """True when the item's text is short, ends in "[…]" / "..." / "Read more" and the like,
    and the article has a link to fetch.

    Under SHORT_WORDS words the item is taken as a teaser (the page holds at least as
    much); from LONG_WORDS words on it is taken as the article whatever its ending; in
    between, the ending decides.
    """
    if not _has_page(article.url):
        return False
    text = article.text.strip()
    words = word_count(text)
    if words < SHORT_WORDS:
        return True
    if words >= LONG_WORDS:
        return False
    return _teaser_ending(text)
