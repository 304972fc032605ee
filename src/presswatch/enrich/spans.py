"""The model's spans, repaired before they are read as names (pure).

A small English model cuts names in the wrong places in ways that follow the language:
it stops at a hyphen ("Confederation Council of Turkic" | "-speaking States"), leaves a
nationality outside the organization it belongs to ("Russian" | "Foreign Ministry"),
takes a title in with a name ("Kazakh President Tokayev"), tags a compound of two
countries as one name ("U.S.-Russia") and a date as an organization ("Feb.8"). Each
repair below reads only the text around the span and general English word classes
(names.py), so it holds for any article, and none of them moves text: a piece is always
a slice of the article, with an optional written form when the slice is lower case
("central Asia" is written "Central Asia").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from presswatch.enrich.model import Span
from presswatch.enrich.names import (
    COMPASS,
    CONTINENTS,
    CORPORATE_SUFFIXES,
    FUNCTION_WORDS,
    MONTH,
    NOT_NAMES,
    ORG_HEADS,
    PORTFOLIOS,
    TITLES,
    WORK_HEADS,
    country_of,
    is_acronym,
    is_demonym_word,
    name_like_hyphens,
    person_shaped,
)

__all__ = ["MAX_NAME_CHARS", "Piece", "initials", "pieces"]

MAX_NAME_CHARS = 120  # a longer "name" is a model error, not an entity
LOOK_AROUND = 200  # how far before an "(ACR)" its expansion is looked for
LOWER_CASE_CHARS = 300_000  # how far a capitalized word is looked for in lower case

_PAREN_IN_SPAN = re.compile(r"^(?P<a>[^()]+?)\s*\((?P<b>[^()]+?)\)?$")
_PAREN_ACRONYM = re.compile(r"[^\S\n]*\([^\S\n]*([A-Z][A-Z0-9&]{1,9})[^\S\n]*\)")
_OWNER = re.compile(r"['’]s\s+(?=[A-Z])")
_NUMBER = re.compile(r"^\d[\d,.]*(?:st|nd|rd|th|s)?$")
_YEAR_SUFFIX = re.compile(r"(?:^|[\s-])(?:19|20)\d\d$")
_TOKEN = re.compile(r"[\w’'.&-]+")
_RUN = re.compile(r"(?:(?:[^\S\n]+|-)(?:[A-Z][\w’'&.-]*|of|for|on|the))+")
_NEXT_WORD = re.compile(r"[^\S\n]+([A-Za-z][\w’'.-]*)")
_LINE_FINAL = re.compile(r"[^\S\n]([A-Z][a-z][\w’'-]+)[^\S\n]*(?:\n|$)")
_HYPHEN_TAIL = re.compile(r"-[a-z]+[^\S\n]+(?=[A-Z])")
_LOWER_WORD = re.compile(r"(?<![\w-])[a-z]+(?![\w-])")
_SENTENCE_START = re.compile(r"(?:[.!?][\"”’)]*\s+|\n\s*|[\"“‘]\s*)$")
_TITLE_BEFORE = re.compile(r"([A-Za-z]+)\.?(?:\s+of)?\s+$")


@dataclass(slots=True)
class Piece:
    start: int
    end: int
    label: str
    shown: str | None = None  # the name's written form when the slice is not it

    def text(self, text: str) -> str:
        return self.shown if self.shown is not None else text[self.start : self.end]


def pieces(text: str, spans: Sequence[Span]) -> list[Piece]:
    """The spans as non-overlapping, trimmed, repaired pieces in text order."""
    found = _from_spans(text, spans)
    found = [p for p in found if not MONTH.match(text[p.start : p.end])]
    found = _acronym_expansions(text, found)
    found = [q for p in found for q in _owner_split(text, p)]
    found = [q for p in found for q in _edges(text, p)]
    found = _extended(text, found)
    found = _compounds(text, found)
    found = _people(text, found)
    return _not_names(text, found)


# --- from spans ------------------------------------------------------------------------


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop what the model took in around a name: "the", a possessive, punctuation."""
    while start < end and not (text[start].isalnum()):
        start += 1
    while True:
        low = text[start:end].casefold()
        if low.startswith("the ") and end - start > 4:
            start += 4
            while start < end and text[start].isspace():
                start += 1
            continue
        break
    while end > start:
        tail = text[start:end]
        if tail.endswith(("'s", "’s")):
            end -= 2
        elif tail.endswith(("s'", "s’")):
            end -= 1
        elif tail[-1] == "." and re.search(r"(?:^|[\s.])[A-Z]\.$", tail):
            break
        elif not (tail[-1].isalnum()):
            end -= 1
        else:
            break
    return start, end


def _from_spans(text: str, spans: Sequence[Span]) -> list[Piece]:
    """Spans inside the text, without overlaps (the first and longest wins), trimmed, and
    "Name (ACR" split in two, as the small model often takes both in one span."""
    n = len(text)
    ordered = sorted(
        (s for s in spans if 0 <= s.start < s.end <= n),
        key=lambda s: (s.start, -(s.end - s.start)),
    )
    out: list[Piece] = []
    last_end = -1
    for s in ordered:
        if s.start < last_end or s.end - s.start > MAX_NAME_CHARS * 2:
            continue
        last_end = s.end
        raw = text[s.start : s.end]
        m = _PAREN_IN_SPAN.match(raw)
        parts = (
            [
                (s.start + m.start("a"), s.start + m.end("a")),
                (s.start + m.start("b"), s.start + m.end("b")),
            ]
            if m
            else [(s.start, s.end)]
        )
        for a, b in parts:
            a, b = _trim(text, a, b)
            if b - a >= 2 and b - a <= MAX_NAME_CHARS:
                out.append(Piece(a, b, s.label))
    return out


# --- acronyms ----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def initials(words: tuple[str, ...], acronym: str) -> bool:
    """Do the words spell the acronym? Function words may give a letter or none; a
    hyphenated word may give one letter per part ("Co-operation")."""
    letters = acronym.replace(".", "").upper()
    if not letters or len(words) > 12:
        return False

    @cache
    def fits(i: int, j: int) -> bool:
        if j == len(letters):
            return all(w.casefold() in FUNCTION_WORDS for w in words[i:])
        if i == len(words):
            return False
        w = words[i]
        if w.casefold() in FUNCTION_WORDS and fits(i + 1, j):
            return True
        parts = [x for x in w.split("-") if x]
        if not parts or parts[0][0].upper() != letters[j]:
            return False
        if fits(i + 1, j + 1):
            return True
        k = j + 1
        for part in parts[1:]:
            if k < len(letters) and part[0].upper() == letters[k]:
                k += 1
                if fits(i + 1, k):
                    return True
            else:
                break
        return False

    return fits(0, 0)


def _acronym_expansions(text: str, found: list[Piece]) -> list[Piece]:
    """ "Islamic State of Iraq and Syria (ISIS)" is one name even when the model cut it
    in two: the words before a bracketed acronym whose initials spell it are one piece."""
    out: list[Piece] = []
    for p in found:
        acronym, end = _bracketed_after(text, p, out)
        bracketed = end is not None and p.start >= end  # p is the acronym itself
        if not bracketed:
            out.append(p)
        if acronym is not None and end is not None:
            _rebuild(text, out, acronym, end)
        if bracketed:
            out.append(p)
    return out


def _rebuild(text: str, out: list[Piece], acronym: str, end: int) -> None:
    """Replace the pieces the words spelling `acronym` (ending at `end`) fall on by one."""
    lo = max(0, end - LOOK_AROUND)
    words = [(w.start() + lo, w.group()) for w in _TOKEN.finditer(text[lo:end])]
    start = _expansion_start(words, acronym)
    if start is None:
        return
    first = len(out)
    while first > 0 and out[first - 1].end > start:
        first -= 1
    inside = out[first:]
    if any(q.start < start or q.end > end for q in inside):
        return
    if len(inside) == 1 and (inside[0].start, inside[0].end) == (start, end):
        return
    del out[first:]
    out.append(Piece(start, end, "ORG"))


def _bracketed_after(text: str, p: Piece, before: list[Piece]) -> tuple[str | None, int | None]:
    """The acronym in brackets that `p` is, or that follows `p`, and where the words
    that should spell it end; (None, None) when there is none or they already do."""
    m = _PAREN_ACRONYM.match(text, p.end)
    if m is not None:
        if initials(tuple(text[p.start : p.end].split()), m.group(1)):
            return None, None
        return m.group(1), p.end
    surface = text[p.start : p.end]
    if not is_acronym(surface) or text[p.end : p.end + 1] != ")":
        return None, None
    opening = text.rfind("(", max(0, p.start - 3), p.start)
    if opening < 0 or text[opening + 1 : p.start].strip():
        return None, None
    end = opening
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    last = before[-1] if before else None
    if (
        last is not None
        and last.end == end
        and initials(tuple(text[last.start : last.end].split()), surface)
    ):
        return None, None
    return surface, end


def _expansion_start(words: list[tuple[int, str]], acronym: str) -> int | None:
    for k in range(max(0, len(words) - 12), len(words)):
        tail = words[k:]
        if not tail[0][1][:1].isupper():
            continue
        content = [w for _, w in tail if w.casefold() not in FUNCTION_WORDS]
        if all(w[:1].isupper() for w in content) and initials(tuple(w for _, w in tail), acronym):
            return tail[0][0]
    return None


# --- one piece at a time -------------------------------------------------------------------


def _owner_split(text: str, p: Piece) -> list[Piece]:
    """ "Beijing’s Asian Infrastructure Investment Bank": the owner is a name of its own."""
    raw = text[p.start : p.end]
    owners = list(_OWNER.finditer(raw))
    if not owners:
        return [p]
    cut = owners[-1]
    owner_end = p.start + cut.start()
    owner = text[p.start : owner_end]
    if country_of(owner):
        label = "GPE"
    elif p.label == "PERSON":
        label = "ORG" if is_acronym(owner) or len(owner.split()) > 1 else "PERSON"
    else:
        label = p.label
    return [Piece(p.start, owner_end, label), Piece(p.start + cut.end(), p.end, p.label)]


def _edges(text: str, p: Piece) -> list[Piece]:
    """An indefinite article makes a common noun ("An Uzbek-Pakistani Security Alliance");
    a leading number ("210th Russian") and trailing lower-case words ("Jowzjan province")
    are not part of a name."""
    first = text[p.start]
    if not first.isdigit() and " " not in text[p.start : p.end]:
        return [p]
    words = list(_TOKEN.finditer(text, p.start, p.end))
    if len(words) >= 2 and words[0].group() in ("A", "An"):
        return []
    while len(words) >= 2 and _NUMBER.match(words[0].group()):
        words = words[1:]
    while len(words) >= 2 and words[-1].group().isalpha() and words[-1].group().islower():
        if words[-2].group().casefold() in FUNCTION_WORDS:
            break
        words = words[:-1]
    if not words:
        return []
    if words[0].start() == p.start and words[-1].end() == p.end:
        return [p]
    return [Piece(words[0].start(), words[-1].end(), p.label, p.shown)]


# --- extending over what the model left out --------------------------------------------------


def _extended(text: str, found: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    i = 0
    while i < len(found):
        p = found[i]
        nxt = found[i + 1] if i + 1 < len(found) else None
        surface = text[p.start : p.end]
        if nxt is not None and text[p.end : nxt.start] == " " and _joins(text, p, nxt):
            out.append(Piece(p.start, nxt.end, "ORG"))
            i += 2
            continue
        limit = nxt.start if nxt is not None else len(text)
        end = _head_run(text, p, surface, found, i)
        if end is not None:
            out.append(Piece(p.start, end, "ORG"))
            while i + 1 < len(found) and found[i + 1].end <= end:
                i += 1
            i += 1
            continue
        m = _NEXT_WORD.match(text, p.end, limit)
        if p.label == "ORG" and m and m.group(1) in CORPORATE_SUFFIXES:
            out.append(replace(p, end=m.end()))
        elif surface in CONTINENTS:
            out.append(_compass_region(text, p, surface))
        else:
            out.append(p)
        i += 1
    return out


def _joins(text: str, p: Piece, q: Piece) -> bool:
    """ "Russian" + "Foreign Ministry", "Pakistani" + "Taliban", "CSTO" + "Permanent
    Council": one organization."""
    left = text[p.start : p.end]
    right = text[q.start : q.end]
    if q.label != "ORG" or " " in left or is_acronym(right.split()[0]):
        return False
    if p.label == "NORP" or is_demonym_word(left):
        return right[0].isupper() and not _titled(right.split()[0])
    return is_acronym(left) and right.split()[-1] in ORG_HEADS


def _titled(word: str) -> bool:
    return word.casefold().rstrip(".") in TITLES


def _head_run(text: str, p: Piece, surface: str, found: list[Piece], i: int) -> int | None:
    """Where an organization's name really ends when capitalized words after the piece
    close with an organization's head noun ("Russian-Azeri Inter-Parliamentary Cooperation
    Group", "CSTO Secretariat", "Islamic State"), or None."""
    nationality = p.label == "NORP" or is_demonym_word(surface)
    if not (nationality or p.label == "ORG"):
        return None
    run = _RUN.match(text, p.end)
    if run is None and p.label == "ORG" and " of " in surface:
        tail = _HYPHEN_TAIL.match(text, p.end)
        run = _RUN.match(text, tail.end() - 1) if tail else None
        if run is not None:
            return _run_end(text, found, i, run, heads_only=False)
    if run is None:
        return None
    words = list(_TOKEN.finditer(text, run.start(), run.end()))
    for w in words:
        if _titled(w.group().lstrip("-")):
            return None
    return _run_end(text, found, i, run, heads_only=True, nationality=nationality)


def _run_end(
    text: str,
    found: list[Piece],
    i: int,
    run: re.Match[str],
    *,
    heads_only: bool,
    nationality: bool = False,
) -> int | None:
    words = list(_TOKEN.finditer(text, run.start(), run.end()))
    if not words or not words[0].group().lstrip("-")[:1].isupper():
        return None
    end: int | None = None
    for k, w in enumerate(words):
        whole = w.group().rstrip(".")
        word = whole.split("-")[-1]
        nxt = words[k + 1].group().lstrip("-") if k + 1 < len(words) else ""
        if word in ORG_HEADS or (nationality and k == 0 and word == "State"):
            if not _titled(nxt):
                end = w.start() + len(whole)
        elif not heads_only and word[:1].isupper():
            end = w.start() + len(whole)
    if end is None:
        return None
    for k in range(i + 1, len(found)):
        if found[k].start >= end:
            break
        if found[k].end > end:
            return None
    return end


def _compass_region(text: str, p: Piece, surface: str) -> Piece:
    """ "central Asia" names a region; "northern Afghanistan" stays Afghanistan."""
    before = re.search(r"([A-Za-z-]+)[^\S\n]$", text[max(0, p.start - 12) : p.start])
    if before is None or before.group(1).casefold() not in COMPASS:
        return p
    word = before.group(1)
    start = p.start - len(word) - 1
    return Piece(start, p.end, p.label, f"{word[0].upper()}{word[1:].lower()} {surface}")


# --- compounds ------------------------------------------------------------------------------


def _compounds(text: str, found: list[Piece]) -> list[Piece]:
    """ "U.S.-Russia", "Sino/Russian", "Nazarbayev-Tokayev": a compound whose every part is
    a country, a nationality or a name this article uses on its own is those parts."""
    labels: dict[str, str] = {}
    for p in found:
        surface = text[p.start : p.end]
        labels.setdefault(surface, p.label)
        if p.label == "PERSON" and " " in surface:
            labels.setdefault(surface.split()[-1], "PERSON")
    out: list[Piece] = []
    for p in found:
        surface = text[p.start : p.end]
        if "-" not in surface and "/" not in surface:
            out.append(p)
            continue
        parts = list(re.finditer(r"[^-/]+", surface))
        if (
            " " in surface
            or len(parts) < 2
            or country_of(surface)
            or not all(_known_part(m.group(), labels) for m in parts)
        ):
            out.append(p)
            continue
        for m in parts:
            part = m.group()
            if country_of(part):
                out.append(Piece(p.start + m.start(), p.start + m.end(), "GPE"))
            elif part in labels and not is_demonym_word(part):
                out.append(Piece(p.start + m.start(), p.start + m.end(), labels[part]))
    return out


def _known_part(part: str, labels: dict[str, str]) -> bool:
    return bool(country_of(part)) or is_demonym_word(part) or part in labels


# --- people ------------------------------------------------------------------------------------


def _people(text: str, found: list[Piece]) -> list[Piece]:
    people = {
        text[p.start : p.end].split()[-1] for p in found if p.label == "PERSON" and p.end > p.start
    }
    out: list[Piece] = []
    for k, p in enumerate(found):
        surface = text[p.start : p.end]
        if p.label == "PERSON" and not name_like_hyphens(surface):
            continue
        titled = _untitled(text, p, surface, people)
        if titled is not None:
            out += titled
            continue
        if p.label == "PERSON" and len(surface.split()) >= 2:
            limit = found[k + 1].start if k + 1 < len(found) else len(text)
            m = _LINE_FINAL.match(text, p.end, limit)
            if m and m.group(1).casefold() not in NOT_NAMES and not _titled(m.group(1)):
                p = replace(p, end=m.end(1))
        if p.label == "PERSON" and any(w in ORG_HEADS for w in surface.split()[1:]):
            p = replace(p, label="ORG")
        out.append(p)
    return out


@lru_cache(maxsize=1 << 14)
def _may_lead(word: str) -> bool:
    return _titled(word) or bool(country_of(word)) or is_demonym_word(word)


def _untitled(text: str, p: Piece, surface: str, people: set[str]) -> list[Piece] | None:
    """ "Kazakh President Tokayev", "Armenian PM Pashinyan", "Kazakhstan Kassym-Jomart
    Tokayev" (after "President of"): the person, and the country as a place of its own."""
    if not _may_lead(surface.split(" ", 1)[0]):
        return None
    words = list(re.finditer(r"\S+", surface))
    countries: list[Piece] = []
    titled = nationality = False
    i = 0
    while i < len(words) - 1:
        w = words[i].group()
        if _titled(w):
            titled = True
        elif country_of(w):
            nationality = True
            countries.append(Piece(p.start + words[i].start(), p.start + words[i].end(), "GPE"))
        elif is_demonym_word(w):
            nationality = True
        elif w.casefold() not in PORTFOLIOS or (not titled and not nationality):
            break
        i += 1
    if i == 0:
        return None
    rest = surface[words[i].start() :]
    if not person_shaped(rest) or any(w in ORG_HEADS for w in rest.split()):
        return None
    known = rest.split()[-1] in people
    before = _TITLE_BEFORE.search(text[max(0, p.start - 30) : p.start])
    titled = titled or (before is not None and _titled(before.group(1)))
    if p.label == "PERSON" and not titled and not known:
        return None
    if p.label != "PERSON" and not (
        (titled and (nationality or len(rest.split()) >= 2)) or (nationality and known)
    ):
        return None
    return [*countries, Piece(p.start + words[i].start(), p.end, "PERSON")]


# --- not names at all ----------------------------------------------------------------------------


def _not_names(text: str, found: list[Piece]) -> list[Piece]:
    """Titles of office ("Defense Minister", "Minister of Internal Affairs"), "the West",
    documents and exercises ("Caspian Convention", "Combat Brotherhood-2017") and a common
    word capitalized only because it opens a sentence ("Diasporas are ...")."""
    works: set[str] = set()
    common: list[set[str]] = []
    out: list[Piece] = []
    for p in found:
        if p.label == "PERSON":
            out.append(p)
            continue
        surface = p.text(text)
        verdict = _verdict(surface)
        if verdict == "none" or surface in works:
            continue
        if verdict == "work":
            m = _PAREN_ACRONYM.match(text, p.end)
            if m:
                works.add(m.group(1))
            continue
        words = surface.split()
        office = _office(text, p, words) if verdict == "portfolio" else None
        if office is not None:
            out += office
            continue
        if len(words) == 1 and _common_word(text, p, surface, common):
            continue
        out.append(p)
    return out


@lru_cache(maxsize=1 << 14)
def _verdict(surface: str) -> str:
    """What the words alone say: "none" (the West), "work" (a document, a programme, an
    exercise), "portfolio" (may be part of a title), or "name"."""
    words = surface.split()
    if all(w.casefold() in COMPASS for w in words):
        return "none"
    if _YEAR_SUFFIX.search(surface) and (len(words) >= 2 or "-" in surface):
        return "work"
    if len(words) >= 2 and words[-1] in WORK_HEADS:
        return "work"
    return "portfolio" if words[-1].casefold() in PORTFOLIOS else "name"


def _office(text: str, p: Piece, words: list[str]) -> list[Piece] | None:
    """A portfolio next to a title is part of the title; a country before it stays."""
    if words[-1].casefold() not in PORTFOLIOS:
        return None
    lead = 0
    while lead < len(words) - 1 and (country_of(words[lead]) or is_demonym_word(words[lead])):
        lead += 1
    rest = [w.casefold() for w in words[lead:]]
    if not rest or not all(w in PORTFOLIOS for w in rest) or set(rest) <= {"and", "of"}:
        return None
    after = _NEXT_WORD.match(text, p.end)
    before = text[max(0, p.start - 80) : p.start].split()
    while before and before[-1].casefold() in PORTFOLIOS:
        before.pop()
    titled_after = after is not None and _titled(after.group(1))
    titled_before = bool(before) and _titled(before[-1])
    if not (titled_after or titled_before):
        return None
    kept: list[Piece] = []
    pos = p.start
    for w in words[:lead]:
        at = text.index(w, pos, p.end)
        if country_of(w):
            kept.append(Piece(at, at + len(w), "GPE"))
        pos = at + len(w)
    return kept


def _common_word(text: str, p: Piece, surface: str, lower: list[set[str]]) -> bool:
    """One word at a sentence's start that the article also writes in lower case (in its
    first LOWER_CASE_CHARS characters; the words are read once, when first needed)."""
    if is_acronym(surface) or not surface.isalpha() or country_of(surface):
        return False
    if p.start and not _SENTENCE_START.search(text[max(0, p.start - 4) : p.start]):
        return False
    if not lower:
        lower.append(set(_LOWER_WORD.findall(text, 0, LOWER_CASE_CHARS)))
    low = surface.lower()
    plural = low.endswith("s") and len(low) > 4
    return low in lower[0] or (plural and low[:-1] in lower[0])
