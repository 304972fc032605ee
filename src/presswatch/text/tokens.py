"""The one tokenizer: the index, the query compiler, snippets and top terms all use it.

Both search engines are fed these tokens rather than tokenizing on their own, so a word
means the same thing on SQLite and on PostgreSQL: lower-cased, diacritics folded
("Tokaev" finds "Tokáev", "Ён" finds "ен"), split on anything that is not a letter or a
digit. Tokens longer than MAX_TOKEN are dropped (base64 runs, long URLs), as PostgreSQL
would refuse them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

MAX_TOKEN = 64

_WORD = re.compile(r"[^\W_]+")
_ASCII_WORDS = re.compile(r"[A-Za-z0-9]+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


_LAST_MARK_PLANE = 0x20000
"""Every combining mark Unicode has assigned lies below this (the last, U+1E94A); a
character beyond it is left as it is (checked by a test against the whole range)."""


def _mark_ranges() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Character classes of every combining mark, split at U+FFFF (two small classes are
    faster than one large one, and far faster than testing each character in Python)."""
    ranges: list[tuple[int, int]] = []
    for code in range(_LAST_MARK_PLANE):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    bmp = "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges if b <= 0xFFFF)
    astral = "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges if a > 0xFFFF)
    return re.compile(f"[{bmp}]"), re.compile(f"[{astral}]")


_MARKS_BMP, _MARKS_ASTRAL = _mark_ranges()


def fold(text: str) -> str:
    """Lower-case and strip combining marks (NFKD), keeping the base letters."""
    if text.isascii():
        return text.lower()
    # Lower-cased again after NFKD, which can bring back capitals ("𝐀" -> "A").
    decomposed = _MARKS_BMP.sub("", unicodedata.normalize("NFKD", text.casefold()).lower())
    if _ASTRAL.search(decomposed):
        return _MARKS_ASTRAL.sub("", decomposed)
    return decomposed


def tokenize(text: str) -> list[str]:
    """The searchable words of `text`, in order (positions are list indexes)."""
    if text.isascii():
        tokens: list[str] = _ASCII_WORDS.findall(text.lower())
    else:
        text = fold(text)
        tokens = _WORD.findall(text)
    if tokens and max(map(len, tokens)) > MAX_TOKEN:
        return [t for t in tokens if len(t) <= MAX_TOKEN]
    return tokens


def spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, token) for each token of `text`, with offsets into the original text.

    Used to highlight: the offsets point at the words as written, accents and case kept.
    """
    for m in _WORD.finditer(text):
        folded = fold(m.group())
        if not folded:
            continue
        # Folding can split a word (e.g. a ligature or an inner mark); keep each part's
        # span as the whole written word, which is what a reader wants highlighted.
        for token in _WORD.findall(folded):
            if len(token) <= MAX_TOKEN:
                yield m.start(), m.end(), token
