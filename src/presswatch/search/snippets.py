"""Highlighted snippets: the part of an article that shows why it matched.

Matching follows text.tokens (what spans() gives, found faster: one regex scan for the
ASCII words, folding only the others), the same tokenizer the index uses, so a
highlighted word is exactly a word the query matched, with its case and accents as
written ("Tokáev" for the query word tokaev). The work is one pass over the article's
words plus a sliding window over the matches, so a 100,000-character article costs a
linear scan, not more.

Pieces are returned as (text, is_match) so the web page can HTML-escape each piece and
wrap the matches in <mark>; snippet() and highlight() render them with a plain marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from presswatch.text.tokens import MAX_TOKEN, fold

ELLIPSIS = "…"

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")
_WORD_CHAR = re.compile(r"[^\W_]")
_NON_ASCII_WORD_CHAR = re.compile(r"[^\W\x00-\x7f]")
_NON_SPACE = re.compile(r"\S")
_OPENERS = "\"'“‘«„(["

Parts = list[tuple[str, bool]]


def snippet(
    text: str,
    words: Sequence[str],
    prefixes: Sequence[str],
    *,
    length: int = 200,
    mark: tuple[str, str] = ("[", "]"),
) -> str:
    """About `length` characters of `text` around the query words, matches wrapped in `mark`."""
    return render(snippet_parts(text, words, prefixes, length=length), mark)


def snippet_parts(
    text: str, words: Sequence[str], prefixes: Sequence[str], *, length: int = 200
) -> Parts:
    """The snippet as pieces: the window with the most distinct query words, then the most
    matches, cut at word boundaries with "…" where the article goes on.

    With no query word in the text (the match was in the title, or the query was only a
    date) the snippet is the start of the article. Whitespace runs (paragraph breaks)
    become single spaces.
    """
    if not text:
        return []
    length = max(length, 1)
    matches = _matches(text, words, prefixes)
    if not matches:
        start, end = 0, _word_end(text, min(len(text), length))
    else:
        first, last = _best_window(matches, length)
        start, end = _place(text, matches[first][0], matches[last][1], length)
        matches = matches[first : last + 1]
    parts = _pieces(text, start, end, matches)
    if _NON_SPACE.search(text, 0, start):
        parts.insert(0, (ELLIPSIS, False))
    if _NON_SPACE.search(text, end):
        parts.append((ELLIPSIS, False))
    return _merge(parts)


def highlight(
    title: str, words: Sequence[str], prefixes: Sequence[str], mark: tuple[str, str] = ("[", "]")
) -> str:
    """The whole `title` with the query words wrapped in `mark`."""
    return render(highlight_parts(title, words, prefixes), mark)


def highlight_parts(title: str, words: Sequence[str], prefixes: Sequence[str]) -> Parts:
    """The whole `title` as (text, is_match) pieces."""
    if not title:
        return []
    return _merge(_pieces(title, 0, len(title), _matches(title, words, prefixes)))


def render(parts: Parts, mark: tuple[str, str] = ("[", "]")) -> str:
    opening, closing = mark
    return "".join(f"{opening}{piece}{closing}" if hit else piece for piece, hit in parts)


def _matches(
    text: str, words: Sequence[str], prefixes: Sequence[str]
) -> list[tuple[int, int, str]]:
    """(start, end, query word) of each matching written word, in text order."""
    wanted = {fold(w) for w in words if w}
    starts = tuple(dict.fromkeys(fold(p) for p in prefixes if p))
    if not wanted and not starts:
        return []
    # ASCII words by one regex scan; only the words holding other letters are folded one
    # by one. The result is the same as folding every word with spans().
    found = _ascii_word_matches(text, wanted, starts)
    if _NON_ASCII_WORD_CHAR.search(text):
        found += _folded_matches(_non_ascii_spans(text), wanted, starts)
        found.sort()
    return found


_NON_ASCII_WORD = re.compile(r"[^\W_]*[^\W\x00-\x7f][^\W_]*")


def _non_ascii_spans(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _NON_ASCII_WORD.finditer(text):
        for token in _WORD.findall(fold(m.group())):
            if len(token) <= MAX_TOKEN:
                yield m.start(), m.end(), token


def _folded_matches(
    tokens: Iterable[tuple[int, int, str]], wanted: set[str], starts: tuple[str, ...]
) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    last_start = -1
    for start, end, token in tokens:
        if start == last_start:
            continue  # one written word folded into several tokens: one highlight
        if token in wanted:
            key = token
        elif starts and token.startswith(starts):
            key = next(p for p in starts if token.startswith(p))
        else:
            continue
        found.append((start, end, key))
        last_start = start
    return found


def _ascii_word_matches(
    text: str, wanted: set[str], starts: tuple[str, ...]
) -> list[tuple[int, int, str]]:
    """Matches among the all-ASCII words of `text`; words with other letters are left to
    _non_ascii_spans (the lookarounds refuse any letter next to a match)."""

    def anycase(word: str) -> str:
        return "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)

    alternatives = [anycase(w) for w in sorted(wanted, key=len, reverse=True) if w.isascii()]
    alternatives += [anycase(p) + "[A-Za-z0-9]*" for p in starts if p.isascii()]
    if not alternatives:
        return []
    pattern = re.compile(rf"(?<![^\W_])(?:{'|'.join(alternatives)})(?![^\W_])")
    found: list[tuple[int, int, str]] = []
    for m in pattern.finditer(text):
        token = m.group().lower()
        if len(token) > MAX_TOKEN:
            continue
        key = token if token in wanted else next(p for p in starts if token.startswith(p))
        found.append((m.start(), m.end(), key))
    return found


def _best_window(matches: list[tuple[int, int, str]], length: int) -> tuple[int, int]:
    """Indexes of the first and last match of the best run that fits in `length` chars."""
    best = (0, 0, 0, 0)  # distinct, count, first, last
    seen: dict[str, int] = {}
    last = -1
    for first, (start, _, _) in enumerate(matches):
        while last + 1 < len(matches) and matches[last + 1][1] - start <= length:
            last += 1
            key = matches[last][2]
            seen[key] = seen.get(key, 0) + 1
        if last < first:  # one word longer than the window: show it alone
            last = first
            seen[matches[first][2]] = 1
        score = (len(seen), last - first + 1)
        if score > best[:2]:
            best = (*score, first, last)
        key = matches[first][2]
        seen[key] -= 1
        if not seen[key]:
            del seen[key]
    return best[2], best[3]


def _place(text: str, lo: int, hi: int, length: int) -> tuple[int, int]:
    """A window of about `length` chars holding [lo, hi), with context on both sides.

    A sentence that starts in the leading context is shown from its start, so the
    snippet reads as prose; otherwise the spare room is shared before and after.
    """
    spare = max(0, length - (hi - lo))
    start = max(0, lo - spare // 2)
    end = min(len(text), hi + (spare - (lo - start)))
    if end == len(text):
        start = max(0, min(start, end - length))
    boundary = None
    for m in _SENTENCE_END.finditer(text, max(0, start - 1), lo):
        boundary = m.end()
    if boundary is not None:
        start = boundary
        end = min(len(text), max(hi, start + length))
    return _word_start(text, start, lo), _word_end(text, end)


def _word_start(text: str, start: int, limit: int) -> int:
    """Move a cut forward past a partly cut word and any punctuation that would open the
    snippet (an opening quote or bracket stays), but never past `limit`."""
    if start <= 0:
        return 0
    i = start
    if _WORD_CHAR.match(text, i - 1):
        while i < limit and _WORD_CHAR.match(text, i):
            i += 1
    while i < limit and not _WORD_CHAR.match(text, i) and text[i] not in _OPENERS:
        i += 1
    return i


def _word_end(text: str, end: int) -> int:
    """Move a cut that falls inside a word to the end of that word."""
    n = len(text)
    while 0 < end < n and _WORD_CHAR.match(text, end - 1) and _WORD_CHAR.match(text, end):
        end += 1
    return end


def _pieces(text: str, start: int, end: int, matches: Sequence[tuple[int, int, str]]) -> Parts:
    parts: Parts = []
    pos = start
    for m_start, m_end, _ in matches:
        if m_start < pos or m_end > end:
            continue
        if m_start > pos:
            parts.append((_SPACE.sub(" ", text[pos:m_start]), False))
        parts.append((text[m_start:m_end], True))
        pos = m_end
    parts.append((_SPACE.sub(" ", text[pos:end]).rstrip(), False))
    if parts and not parts[0][1]:
        parts[0] = (parts[0][0].lstrip(), False)
    return parts


def _merge(parts: Parts) -> Parts:
    merged: Parts = []
    for piece, hit in parts:
        if not piece:
            continue
        if merged and not hit and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + piece, False)
        else:
            merged.append((piece, hit))
    return merged
