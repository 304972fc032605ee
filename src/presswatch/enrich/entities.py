"""Named-entity spans in, one canonical entity per mention out (pure: no model here, the
spans come from whatever NER ran before, so these rules are fast to test and to rerun).

An analyst counts entities, so a name must be counted once however the article spells it:
"Collective Security Treaty Organization (CSTO)", "Tokayev" after "Kassym-Jomart Tokayev",
"Tokaev" for "Tokayev", "the Russian Federation" for Russia. Every merge is cheap, local to
the article and conservative (when two people could be meant, nothing is folded), and
says why in the entity's `why`. The user's alias file wins over all of it.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import pycountry

from presswatch.enrich.aliasfile import AliasBook, name_key
from presswatch.enrich.model import Entity, Mention, Span

__all__ = ["fold_across", "resolve"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_KIND_OF_LABEL = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
}
MAX_NAME_CHARS = 120  # a longer "name" is a model error, not an entity
FUZZY_MIN_LETTERS = 6  # shorter names differ by one letter too often to be variants

_TITLES = _words(
    """president mr mrs ms miss dr minister secretary senator sen gen general chancellor
    premier king queen prince princess pope ambassador spokesman spokeswoman
    spokesperson sheikh governor gov mayor ayatollah emir colonel col lieutenant
    commander judge professor prof sir lord lady chairman chairwoman rep representative
    deputy envoy marshal admiral captain sergeant archbishop bishop father rabbi imam"""
)
_NOT_NAMES = _words(
    """i me he she it we they you him her us them his hers its our their your who whom this
    that these those there here mr mrs ms dr the a an and or but not no yes one today
    yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday"""
)
_VERBS_AFTER_GROUP = _words(
    """said say says have has had are were was is will would could can may might did do"""
)
_HOMOGLYPHS = str.maketrans(
    "АВЕКМНОРСТУХаеорсухіјѕһԁЅІЈ",
    "ABEKMHOPCTYXaeopcyxijshdSIJ",
)
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_ACRONYM = re.compile(r"^(?:[A-Z][A-Z0-9&]{1,9}|(?:[A-Z]\.){2,5})$")
_PAREN_IN_SPAN = re.compile(r"^(?P<a>[^()]+?)\s*\((?P<b>[^()]+?)\)?$")
_PAREN_ACRONYM = re.compile(r"\s*\(\s*([A-Z][A-Z0-9&]{1,9})\s*\)")
_FUNCTION_WORDS = _words("""of for and the on in de des du la le und to at by with""")

_COUNTRY_OVERRIDES = {
    "Russian Federation": "Russia",
    "Türkiye": "Turkey",
    "Congo, The Democratic Republic of the": "Democratic Republic of the Congo",
    "Micronesia, Federated States of": "Micronesia",
    "Palestine, State of": "Palestine",
    "Virgin Islands, British": "British Virgin Islands",
    "Virgin Islands, U.S.": "U.S. Virgin Islands",
}
_COUNTRY_EXTRA = {
    "us": "United States",
    "u.s.": "United States",
    "usa": "United States",
    "u.s.a.": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "uae": "United Arab Emirates",
    "dprk": "North Korea",
    "prc": "China",
    "people's republic of china": "China",
    "russia": "Russia",
    "turkey": "Turkey",
    "czech republic": "Czechia",
    "ivory coast": "Côte d'Ivoire",
    "burma": "Myanmar",
    "holland": "Netherlands",
    "macedonia": "North Macedonia",
    "swaziland": "Eswatini",
    "vietnam": "Vietnam",
    "drc": "Democratic Republic of the Congo",
}
_DEMONYMS = _words(
    """American British Briton English Scottish Welsh French Dutch Swiss German Greek
    Turkish Turk Polish Pole Danish Dane Swedish Swede Finnish Finn Norwegian Spanish
    Spaniard Portuguese Filipino Thai Kyrgyz Belarusian Saudi Emirati Kuwaiti Qatari
    Bahraini Lebanese Vietnamese Japanese Chinese Taiwanese Korean Czech Slovak
    Hungarian Icelandic Irish Israeli Palestinian Azerbaijani Azeri Armenian Mongolian
    Uzbek Tajik Kazakh Turkmen Afghan Pakistani Bangladeshi Nepali Russian Ukrainian
    Moldovan Romanian Bulgarian Serbian Serb Croat Croatian Bosnian Albanian Macedonian
    Slovenian Cypriot Maltese Austrian Belgian Canadian Mexican Cuban Venezuelan
    Colombian Brazilian Argentine Argentinian Chilean Peruvian Australian Egyptian
    Libyan Tunisian Algerian Moroccan Sudanese Ethiopian Somali Kenyan Nigerian Iranian
    Iraqi Syrian Jordanian Yemeni Omani Indian Indonesian Malaysian Georgian Estonian
    Latvian Lithuanian Italian Kurdish Kurd Persian Arab"""
)
_INVARIABLE = re.compile(r"(?:ese|ish|ch|Swiss|Kyrgyz|Turkmen|Thai|Irish|Welsh)$")


# --- names -----------------------------------------------------------------------------


def _script_folded(surface: str) -> str:
    """A Cyrillic look-alike letter inside Latin text ("Не who") is a typo, not a name."""
    if _LATIN.search(surface) and _CYRILLIC.search(surface):
        return surface.translate(_HOMOGLYPHS)
    return surface


def _is_acronym(surface: str) -> bool:
    return bool(_ACRONYM.match(surface))


def _tokens(name: str) -> list[str]:
    return name.split()


def _person_shaped(surface: str) -> bool:
    toks = _tokens(surface)
    return 1 <= len(toks) <= 4 and all(
        t[0].isupper() and not t.isupper() and not _is_acronym(t) for t in toks
    )


@cache
def _countries() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        name: str = c.name
        canonical: str = getattr(c, "common_name", None) or _COUNTRY_OVERRIDES.get(name, name)
        for n in (name, getattr(c, "official_name", None), getattr(c, "common_name", None)):
            if n:
                table[name_key(n)] = canonical
        table[name_key(canonical)] = canonical
    table.update(_COUNTRY_EXTRA)
    return table


def country_of(surface: str) -> str | None:
    """The country's usual short name ("Russia" for "the Russian Federation"), or None."""
    key = name_key(surface)
    if key.startswith("the "):
        key = key[4:]
    return _countries().get(key)


@cache
def _demonyms() -> frozenset[str]:
    found = set(_DEMONYMS)
    for canonical in set(_countries().values()):
        if " " in canonical or not canonical.isalpha():
            continue
        if canonical.endswith("stan") and len(canonical) >= 9:
            found.add(canonical[:-4])
        found.update({canonical + "n", canonical + "i", canonical + "ian"})
        if canonical.endswith(("a", "e")):
            found.update({canonical[:-1] + "ese", canonical[:-1] + "ian"})
    return frozenset(found)


def _demonym(surface: str) -> tuple[str, bool] | None:
    """(singular demonym, written as a plural) when `surface` names a nationality."""
    if surface in _demonyms():
        return surface, False
    if surface.endswith("s") and surface[:-1] in _demonyms():
        return surface[:-1], True
    return None


# --- spans -----------------------------------------------------------------------------


@dataclass
class _Piece:
    start: int
    end: int
    label: str


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


def _pieces(text: str, spans: Sequence[Span]) -> list[_Piece]:
    """Spans inside the text, without overlaps (the first and longest wins), trimmed, and
    "Name (ACR" split in two, as the small model often takes both in one span."""
    n = len(text)
    ordered = sorted(
        (s for s in spans if 0 <= s.start < s.end <= n),
        key=lambda s: (s.start, -(s.end - s.start)),
    )
    out: list[_Piece] = []
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
                out.append(_Piece(a, b, s.label))
    return out


def _word_before(text: str, start: int) -> str:
    m = re.search(r"([A-Za-z]+)\.?\s+$", text[max(0, start - 30) : start])
    return m.group(1).casefold() if m else ""


def _word_after(text: str, end: int) -> str:
    m = re.match(r"\s+([A-Za-z]+)", text[end : end + 30])
    return m.group(1) if m else ""


def _the_before(text: str, start: int) -> bool:
    return bool(re.search(r"\b[Tt]he\s+$", text[max(0, start - 8) : start]))


# --- working state ---------------------------------------------------------------------


@dataclass
class _Found:
    start: int
    end: int
    surface: str  # script-folded, spaces collapsed
    shown: str  # exactly as in the text
    kind: str
    key: str  # the node it counts toward
    display: str  # the node's name when it is the canonical one
    why: str | None = None
    pinned: str | None = None  # the alias file's canonical name


@dataclass
class _Node:
    key: str
    display: str
    kind: str
    first: int
    count: int = 0
    surfaces: list[str] = field(default_factory=list)
    whys: list[str] = field(default_factory=list)
    pinned: str | None = None


class _Clusters:
    """Union-find over nodes that refuses merges the alias file or the kinds forbid."""

    def __init__(self, nodes: Mapping[str, _Node], book: AliasBook | None) -> None:
        self.nodes = nodes
        self.parent = {k: k for k in nodes}
        self.members = {k: [k] for k in nodes}
        self.whys: dict[str, list[str]] = {k: [] for k in nodes}
        self.book = book

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: str, b: str, why: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        na, nb = self.nodes[ra], self.nodes[rb]
        if na.kind != nb.kind:
            return False
        pa = {self.nodes[m].pinned for m in self.members[ra]} - {None}
        pb = {self.nodes[m].pinned for m in self.members[rb]} - {None}
        if pa and pb and pa != pb:
            return False
        if self.book is not None and any(
            self.book.kept_apart(self.nodes[x].display, self.nodes[y].display)
            for x in self.members[ra]
            for y in self.members[rb]
        ):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] += self.members.pop(rb)
        self.whys[ra] += [*self.whys.pop(rb), why]
        return True

    def alone(self, k: str) -> bool:
        return len(self.members[self.find(k)]) == 1


# --- resolve ---------------------------------------------------------------------------


def resolve(
    text: str, spans: Sequence[Span], *, book: AliasBook | None = None
) -> tuple[list[Mention], list[Entity]]:
    """Mentions in text order and the article's entities in order of first mention.
    Spans outside the text or overlapping an earlier one are skipped, not errors."""
    found = _classify(text, _pieces(text, spans), book)
    if not found:
        return [], []
    nodes: dict[str, _Node] = {}
    for f in found:
        node = nodes.get(f.key)
        if node is None:
            node = nodes[f.key] = _Node(f.key, f.display, f.kind, f.start, pinned=f.pinned)
        node.count += 1
        if f.surface not in node.surfaces:
            node.surfaces.append(f.surface)
            if f.why:
                node.whys.append(f.why)
    clusters = _Clusters(nodes, book)
    _merge_acronyms(text, found, nodes, clusters)
    for a, b, why in _person_folds(
        {k: (n.display, n.count) for k, n in nodes.items() if n.kind == "person"}
    ):
        clusters.union(a, b, why)
    _merge_variants(nodes, clusters)
    return _output(found, nodes, clusters)


def _person_core(text: str, p: _Piece, surface: str) -> tuple[_Piece, str]:
    """Drop what the model took in before a person's name: "MI6's", a title ("Gen")."""
    raw = text[p.start : p.end]
    cut = 0
    owner = list(re.finditer(r"['’]s\s+(?=[A-Z])", raw))
    if owner:
        cut = owner[-1].end()
    title = re.match(r"([A-Za-z]+)\.?\s+(?=\S)", raw[cut:])
    if title and title.group(1).casefold() in _TITLES:
        cut += title.end()
    if cut == 0:
        return p, surface
    return _Piece(p.start + cut, p.end, p.label), " ".join(raw[cut:].replace("’", "'").split())


def _classify(text: str, pieces: list[_Piece], book: AliasBook | None) -> list[_Found]:
    out: list[_Found] = []
    for p in pieces:
        surface = _script_folded(text[p.start : p.end])
        surface = " ".join(surface.replace("’", "'").split())
        kind = _KIND_OF_LABEL.get(p.label)
        if kind is None or not any(c.isalpha() for c in surface):
            continue
        if not any(c.isupper() for c in surface) or surface[0].islower():
            continue
        if p.label == "PERSON":
            p, surface = _person_core(text, p, surface)
        if surface.translate(_HOMOGLYPHS).casefold() in _NOT_NAMES:
            continue
        if book is not None and book.is_ignored(surface):
            continue
        key, display, why = name_key(surface), surface, None
        country = country_of(surface) if p.label != "PERSON" else None
        demonym = _demonym(surface) if country is None else None
        if country is not None:
            kind, key, display = "place", name_key(country), country
            if name_key(surface) != key:
                why = f"{surface}: country name of {country}"
        elif demonym is not None:
            _, plural = demonym
            after = _word_after(text, p.end)
            adjective = bool(after) and after[0].islower() and after not in _VERBS_AFTER_GROUP
            as_people = plural or (_the_before(text, p.start) and bool(_INVARIABLE.search(surface)))
            if not as_people or (adjective and not plural):
                continue
            kind = "group"
        elif _is_acronym(surface) and p.label not in ("LOC", "FAC"):
            kind = "organization"
        elif (
            p.label != "PERSON"
            and _person_shaped(surface)
            and _word_before(text, p.start) in _TITLES
        ):
            kind, why = "person", None
        out.append(_Found(p.start, p.end, surface, text[p.start : p.end], kind, key, display, why))

    persons = {f.key for f in out if f.kind == "person"}
    surnames = {f.key.split()[-1] for f in out if f.kind == "person"}
    for f in out:
        if f.kind in ("organization", "place") and not _is_acronym(f.surface):
            if f.display != f.surface or not _person_shaped(f.surface):
                continue
            if f.key in persons or (f.kind == "organization" and f.key.split()[-1] in surnames):
                f.kind = "person"

    if book is not None:
        targets = {name_key(v) for v in book.canonical.values()}
        for f in out:
            target = book.canonical_of(f.surface) or book.canonical_of(f.display)
            if target is not None:
                f.key, f.display, f.pinned = name_key(target), target, target
                line = book.notes.get(name_key(f.surface)) or book.notes.get(name_key(target))
                f.why = f"{f.surface}: {line[0] if line else 'alias file'}"
            elif f.key in targets:
                f.pinned = f.display
            forced = book.kind_of(f.display) or book.kind_of(f.surface)
            if forced is not None:
                f.kind = forced
        out = [f for f in out if not book.is_ignored(f.display)]
    return out


def _initials(words: Sequence[str], acronym: str) -> bool:
    """Do the words spell the acronym? Function words may give a letter or none; a
    hyphenated word may give one letter per part ("Co-operation")."""
    letters = acronym.replace(".", "").upper()

    @cache
    def fits(i: int, j: int) -> bool:
        if j == len(letters):
            return all(w.casefold() in _FUNCTION_WORDS for w in words[i:])
        if i == len(words):
            return False
        w = words[i]
        if w.casefold() in _FUNCTION_WORDS and fits(i + 1, j):
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

    return bool(letters) and len(words) <= 12 and fits(0, 0)


def _merge_acronyms(
    text: str, found: list[_Found], nodes: Mapping[str, _Node], clusters: _Clusters
) -> None:
    """Text like "Long Name (ACR)" and "ACR (Long Name)" in the text pair the two; an acronym with
    no such pair takes the one organization of the article whose initials spell it."""
    pairs: list[tuple[str, str]] = []  # (acronym as written, expansion node)
    for left, right in itertools.pairwise(found):
        if not re.fullmatch(r"\s*\(\s*", text[left.end : right.start]):
            continue
        if _is_acronym(right.surface) and not _is_acronym(left.surface):
            acr, exp = right, left
        elif _is_acronym(left.surface) and not _is_acronym(right.surface):
            acr, exp = left, right
        else:
            continue
        if acr.kind != "organization" or exp.kind not in ("organization", "place"):
            continue
        if exp.kind != "organization" and not _initials(exp.surface.split(), acr.surface):
            continue
        nodes[exp.key].kind = "organization"
        pairs.append((acr.surface, exp.key))
    for f in found:
        m = _PAREN_ACRONYM.match(text, f.end, f.end + 16)
        if m and f.kind == "organization" and not _is_acronym(f.surface):
            pairs.append((m.group(1), f.key))
    expansions_of: dict[str, set[str]] = defaultdict(set)
    for acronym, exp_key in pairs:
        expansions_of[name_key(acronym)].add(exp_key)
    paired: set[str] = set()
    for acr_key, exp_keys in expansions_of.items():
        if acr_key not in nodes or nodes[acr_key].kind != "organization":
            continue
        roots = {clusters.find(k) for k in exp_keys}
        if len(roots) == 1:
            head = _best(nodes, clusters.members[next(iter(roots))])
            if clusters.union(
                acr_key, head.key, f"{nodes[acr_key].display}: acronym of {head.display}"
            ):
                paired.add(acr_key)
    by_initials: dict[str, set[str]] = defaultdict(set)
    acronyms = [k for k, n in nodes.items() if n.kind == "organization" and _is_acronym(n.display)]
    expansions = [
        n for n in nodes.values() if n.kind == "organization" and len(n.display.split()) >= 2
    ]
    for acr_key in acronyms:
        if acr_key in paired or not clusters.alone(acr_key):
            continue
        letters = nodes[acr_key].display
        for n in expansions:
            if _initials(n.display.split(), letters):
                by_initials[acr_key].add(clusters.find(n.key))
    for acr_key, roots in by_initials.items():
        if len(roots) == 1:
            root = next(iter(roots))
            clusters.union(
                acr_key,
                root,
                f"{nodes[acr_key].display}: initials of "
                f"{_best(nodes, clusters.members[root]).display}",
            )


def _best(nodes: Mapping[str, _Node], members: Iterable[str]) -> _Node:
    return max(
        (nodes[m] for m in members),
        key=lambda n: (
            n.pinned is not None,
            not _is_acronym(n.display),
            len(n.display.split()) >= 2,
            n.count,
            len(n.display.split()),
            -n.first,
        ),
    )


def _distance_one(a: str, b: str) -> bool:
    """Exactly one letter added or dropped, or changed for a look-alike sound."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] and _similar_letters(a[i], b[i])
    return a[i:] == b[i + 1 :]


def _similar_letters(x: str, y: str) -> bool:
    """Letters transliterations swap (vowels, y/i/j, s/z, k/c): "Tokarev" is not "Tokayev"."""
    vowelish = "aeiouyjё"
    return (x in vowelish and y in vowelish) or {x, y} in ({"s", "z"}, {"k", "c"}, {"f", "v"})


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(1, len(word))}


def _variant(a: str, b: str) -> bool:
    return a[0] == b[0] and min(len(a), len(b)) >= FUZZY_MIN_LETTERS and _distance_one(a, b)


def _person_folds(names: Mapping[str, tuple[str, int]]) -> list[tuple[str, str, str]]:
    """Proposed merges among person names (keys): a longer full name with the same first
    and last name, a lone surname, a spelling variant; none when two people could be meant."""
    folds: list[tuple[str, str, str]] = []
    full = {k: v for k, v in names.items() if len(k.split()) >= 2}
    by_ends: dict[tuple[str, str], list[str]] = defaultdict(list)
    for k in full:
        toks = k.split()
        by_ends[(toks[0], toks[-1])].append(k)
    head: dict[tuple[str, str], str] = {}
    for ends, keys in by_ends.items():
        keys.sort(key=lambda k: (-full[k][1], -len(k.split()), k))
        head[ends] = keys[0]
        for other in keys[1:]:
            folds.append((other, keys[0], f"{full[other][0]}: short form of {full[keys[0]][0]}"))
    people_by_surname: dict[str, set[str]] = defaultdict(set)
    for ends, k in head.items():
        people_by_surname[ends[1]].add(k)
    index: dict[str, set[str]] = defaultdict(set)
    for surname in people_by_surname:
        index[surname].add(surname)
        for d in _deletions(surname):
            index[d].add(surname)
    for k, (display, _) in names.items():
        if " " in k:
            continue
        people = people_by_surname.get(k, set())
        if len(people) == 1:
            target = next(iter(people))
            folds.append((k, target, f"{display}: surname of {full[target][0]}"))
            continue
        if people:
            continue
        near = {s for d in _deletions(k) | {k} for s in index.get(d, ()) if _variant(k, s)}
        candidates = {p for s in near for p in people_by_surname[s]}
        if len(candidates) == 1:
            target = next(iter(candidates))
            folds.append((k, target, f"{display}: spelling variant of {full[target][0]}"))
    return folds


def _merge_variants(nodes: Mapping[str, _Node], clusters: _Clusters) -> None:
    """Names of one kind that differ in one letter of one long word ("Tokaev",
    "Organisation"), folded only when just one name is that near."""
    index: dict[str, set[str]] = defaultdict(set)
    for k, n in nodes.items():
        if n.kind == "group" or _is_acronym(n.display):
            continue
        toks = k.split()
        for i, t in enumerate(toks):
            if len(t) >= FUZZY_MIN_LETTERS - 1:
                for d in _deletions(t) | {t}:
                    index[" ".join([*toks[:i], d, *toks[i + 1 :]]) + f"\x00{i}"].add(k)
    for k, n in nodes.items():
        if n.kind == "group" or _is_acronym(n.display):
            continue
        toks = k.split()
        near: set[str] = set()
        for i, t in enumerate(toks):
            for d in _deletions(t) | {t}:
                for other in index.get(" ".join([*toks[:i], d, *toks[i + 1 :]]) + f"\x00{i}", ()):
                    o = other.split()
                    if (
                        other != k
                        and len(o) == len(toks)
                        and nodes[other].kind == n.kind
                        and _variant(t, o[i])
                        and o[:i] == toks[:i]
                        and o[i + 1 :] == toks[i + 1 :]
                    ):
                        near.add(other)
        roots = {clusters.find(o) for o in near} - {clusters.find(k)}
        if len(roots) == 1 and len(near) == 1:
            other = next(iter(near))
            a, b = (
                (k, other)
                if (n.count, -n.first) < (nodes[other].count, -nodes[other].first)
                else (other, k)
            )
            clusters.union(a, b, f"{nodes[a].display}: spelling variant of {nodes[b].display}")


def _output(
    found: list[_Found], nodes: Mapping[str, _Node], clusters: _Clusters
) -> tuple[list[Mention], list[Entity]]:
    canonical: dict[str, _Node] = {}
    for root, members in clusters.members.items():
        canonical[root] = _best(nodes, members)
    mentions: list[Mention] = []
    counts: Counter[str] = Counter()
    order: list[str] = []
    for f in found:
        root = clusters.find(f.key)
        best = canonical[root]
        mentions.append(Mention(f.start, f.end, f.shown, best.kind, best.display))
        if root not in counts:
            order.append(root)
        counts[root] += 1
    entities: list[Entity] = []
    for root in order:
        best = canonical[root]
        members = sorted(clusters.members[root], key=lambda m: nodes[m].first)
        aliases: list[str] = []
        whys: list[str] = []
        for m in members:
            for s in nodes[m].surfaces:
                if s not in aliases:
                    aliases.append(s)
            whys += nodes[m].whys
        whys += clusters.whys[root]
        entities.append(
            Entity(
                best.display, best.kind, tuple(aliases), counts[root], tuple(dict.fromkeys(whys))
            )
        )
    return mentions, entities


def fold_across(entities_by_article: Mapping[int, Sequence[Entity]]) -> dict[str, str]:
    """Across the archive: a person's surname-only or variant name -> the one full name it
    can stand for. Names that could mean two people are left out."""
    names: dict[str, tuple[str, int]] = {}
    for entities in entities_by_article.values():
        for e in entities:
            if e.kind != "person":
                continue
            key = name_key(e.canonical)
            display, count = names.get(key, (e.canonical, 0))
            names[key] = (display, count + e.mentions)
    parent: dict[str, str] = {}
    for a, b, _ in _person_folds(names):
        parent.setdefault(a, b)
    out: dict[str, str] = {}
    for k in parent:
        target, seen = k, {k}
        while target in parent and parent[target] not in seen:
            target = parent[target]
            seen.add(target)
        if target != k:
            out[names[k][0]] = names[target][0]
    return out
