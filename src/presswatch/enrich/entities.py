"""Named-entity spans in, one canonical entity per mention out (pure: no model here, the
spans come from whatever NER ran before, so these rules are fast to test and to rerun).

An analyst counts entities, so a name must be counted once however the article spells it:
"Collective Security Treaty Organization (CSTO)", "Tokayev" after "Kassym-Jomart Tokayev",
"Tokaev" for "Tokayev", "the Russian Federation" for Russia. Every merge is cheap, local to
the article and conservative (when two people could be meant, nothing is folded), and
says why in the entity's `why`. The user's alias file wins over all of it.

Before that, the model's spans are repaired (spans.py): nationalities and other
adjectives before a noun are no entities ("Turkish intel", "Eurasian integration"), a
nationality before an organization is part of it ("Russian Foreign Ministry"), titles and
portfolios are cut from people ("Kazakh President Tokayev"), documents, exercises and
"the West" are dropped. A name keeps the kind most of its mentions have (a country is a
place whatever the model said), and names the model missed are found again in the first
SCAN_CHARS characters: the article's own names and surnames, countries, and peoples
named in the plural. A short name that ends exactly one longer organization name of the
article ("Foreign Ministry", "the Council") is that organization.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from presswatch.enrich.aliasfile import AliasBook, name_key
from presswatch.enrich.model import Entity, Mention, Span
from presswatch.enrich.names import (
    INVARIABLE,
    NOT_NAMES,
    ORG_HEADS,
    TITLES,
    VERBS_AFTER_GROUP,
    adjective_shaped,
    country_of,
    demonym,
    gazetteer,
    is_acronym,
    is_demonym_word,
    person_shaped,
)
from presswatch.enrich.spans import Piece, initials, pieces

__all__ = ["fold_across", "fold_people_across", "resolve"]


_KIND_OF_LABEL = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
}
FUZZY_MIN_LETTERS = 6  # shorter names differ by one letter too often to be variants
SCAN_CHARS = 300_000  # names the model missed are looked for this far into a text

_HOMOGLYPHS = str.maketrans(
    "АВЕКМНОРСТУХаеорсухіјѕһԁЅІЈ",
    "ABEKMHOPCTYXaeopcyxijshdSIJ",
)
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_NEXT_WORD = re.compile(r"[^\S\n]+([A-Za-z][\w’'.-]*)")
_COUNTED_OF = re.compile(
    r"\b(?:\d[\d,.]*|many|several|few|thousands|hundreds|millions|dozens|number|majority"
    r"|minority)\s+of\s+$",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['’]")
_CAPITALIZED = re.compile(r"(?<![\w.-])[A-Z][\w’'.&-]*")
_PAREN_ACRONYM = re.compile(r"\s*\(\s*([A-Z][A-Z0-9&]{1,9})\s*\)")


# --- names -----------------------------------------------------------------------------


def _script_folded(surface: str) -> str:
    """A Cyrillic look-alike letter inside Latin text ("Не who") is a typo, not a name."""
    if _LATIN.search(surface) and _CYRILLIC.search(surface):
        return surface.translate(_HOMOGLYPHS)
    return surface


def _word_before(text: str, start: int) -> str:
    m = re.search(r"([A-Za-z]+)\.?,?\s+$", text[max(0, start - 30) : start])
    return m.group(1).casefold() if m else ""


def _the_before(text: str, start: int) -> bool:
    return bool(re.search(r"\b[Tt]he\s+$", text[max(0, start - 8) : start]))


def _people_before(text: str, start: int) -> bool:
    """ "the Dutch", "thousands of Dutch": an invariable nationality named as people."""
    return _the_before(text, start) or bool(_COUNTED_OF.search(text, max(0, start - 30), start))


def _modifies(text: str, end: int) -> bool:
    """Is the word that ends here a modifier of what follows ("Kazakh army", "Turkish-led",
    "Chinese President")? Followed by a verb, a conjunction or punctuation it is a noun."""
    if text[end : end + 1] == "-" and text[end + 1 : end + 2].isalpha():
        return True
    m = _NEXT_WORD.match(text, end)
    if m is None:
        return False
    word = m.group(1)
    if word[0].isupper():
        return True
    low = word.casefold()
    return low not in VERBS_AFTER_GROUP and not low.endswith("ly")


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
    repaired = pieces(text, spans)
    found = _classify(text, repaired, book)
    found = _voted(found + _scanned(text, repaired, found, book))
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
    _merge_short_forms(nodes, clusters)
    return _output(found, nodes, clusters)


def _classify(text: str, repaired: list[Piece], book: AliasBook | None) -> list[_Found]:
    full_people = {
        p.text(text).split()[-1]
        for p in repaired
        if p.label == "PERSON" and " " in p.text(text).strip()
    }
    out: list[_Found] = []
    for p in repaired:
        kind = _KIND_OF_LABEL.get(p.label)
        facts = _facts(p.text(text)) if kind is not None else None
        if facts is None or kind is None:
            continue
        surface, key, country = facts.surface, facts.key, facts.country
        if book is not None and book.is_ignored(surface):
            continue
        display: str = surface
        why: str | None = None
        if p.label == "PERSON" and surface in full_people:
            country = None
        nationality = facts.nationality if country is None else None
        single = " " not in surface
        if country is not None:
            kind, key, display = "place", name_key(country), country
            if name_key(surface) != key:
                why = f"{surface}: country name of {country}"
        elif nationality is not None:
            _, plural = nationality
            the_people = _people_before(text, p.start) and bool(INVARIABLE.search(surface))
            if not plural and (not the_people or _modifies(text, p.end)):
                continue
            kind = "group"
        elif single and adjective_shaped(surface, norp=p.label == "NORP"):
            if not _the_before(text, p.start) or _modifies(text, p.end):
                continue
        elif p.label == "NORP":
            plural = surface.endswith("s") and adjective_shaped(surface[:-1], norp=True)
            if not plural and _modifies(text, p.end):
                continue
        elif is_acronym(surface) and p.label not in ("LOC", "FAC"):
            kind = "organization"
        elif (
            p.label != "PERSON" and person_shaped(surface) and _word_before(text, p.start) in TITLES
        ):
            kind, why = "person", None
        out.append(_Found(p.start, p.end, surface, text[p.start : p.end], kind, key, display, why))

    persons = {f.key for f in out if f.kind == "person"}
    surnames = {f.key.split()[-1] for f in out if f.kind == "person"}
    full_surnames = {f.key.split()[-1] for f in out if f.kind == "person" and " " in f.key}
    given = {f.key.split()[0] for f in out if f.kind == "person" and " " in f.key}
    for f in out:
        if f.kind == "place" and f.display == f.surface and f.key in full_surnames:
            f.kind = "person"  # "Scholz" after "Olaf Scholz"; a country stays a place
        if f.kind == "organization" and not is_acronym(f.surface):
            if f.display != f.surface or not person_shaped(f.surface):
                continue
            words = f.key.split()
            if f.key in persons or (
                not any(w in ORG_HEADS for w in f.surface.split())
                and (words[-1] in surnames or (len(words) > 1 and words[0] in given))
            ):
                f.kind = "person"

    if book is not None:
        _apply_book(out, book)
        out = [f for f in out if not book.is_ignored(f.display)]
    return out


@dataclass(frozen=True, slots=True)
class _Facts:
    surface: str
    key: str
    country: str | None
    nationality: tuple[str, bool] | None


@lru_cache(maxsize=1 << 16)
def _facts(raw: str) -> _Facts | None:
    """What the words of a piece alone say, whatever their place in the text; None when
    they cannot be a name at all."""
    surface = " ".join(_script_folded(raw).replace("’", "'").split())
    if not any(c.isalpha() for c in surface):
        return None
    if not any(c.isupper() for c in surface) or surface[0].islower():
        return None
    folded = surface.translate(_HOMOGLYPHS)
    if folded.casefold() in NOT_NAMES and not (len(folded) > 1 and folded.isupper()):
        return None
    return _Facts(surface, name_key(surface), country_of(surface), demonym(surface))


def _apply_book(out: list[_Found], book: AliasBook) -> None:
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


def _voted(found: list[_Found]) -> list[_Found]:
    """One kind per name, the one most of its mentions had: a country the model once
    called a person is still a place, and cannot speak."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[str, str] = {}
    for f in found:
        votes[f.key][f.kind] += 1
        first.setdefault(f.key, f.kind)
    for f in found:
        ranked = votes[f.key].most_common(2)
        if len(ranked) > 1:
            f.kind = ranked[0][0] if ranked[0][1] > ranked[1][1] else first[f.key]
    return sorted(found, key=lambda f: f.start)


def _scanned(
    text: str, repaired: list[Piece], found: list[_Found], book: AliasBook | None
) -> list[_Found]:
    """Names the model missed: the article's own names again (a surname alone, too, when
    one person has it), countries by their names and peoples in the plural ("Uzbeks").
    Only where no span was, and only in the first SCAN_CHARS characters."""
    names: dict[str, tuple[str, str, str, str | None]] = {}  # surface -> kind, key, display
    for f in found:
        if f.kind != "group" and len(f.shown) >= 3 and f.pinned is None:
            names.setdefault(f.shown, (f.kind, f.key, f.display, f.why))
    owners: dict[str, set[str]] = defaultdict(set)
    shown_as: dict[str, str] = {}
    for f in found:
        if f.kind == "person" and " " in f.shown:
            owners[f.shown.split()[-1]].add(f.key)
            shown_as[f.key] = f.display
    for surname, keys in owners.items():
        if len(keys) == 1 and len(surname) >= 4 and person_shaped(surname):
            key = next(iter(keys))
            reason = f"{surname}: surname of {shown_as[key]}"
            names.setdefault(surname, ("person", key, shown_as[key], reason))
    known = gazetteer()
    by_first: dict[str, list[str]] = defaultdict(list)
    for surface in names:
        by_first[surface.split()[0]].append(surface)
    for group in by_first.values():
        group.sort(key=len, reverse=True)
    covered = sorted((p.start, p.end) for p in repaired)
    starts = [a for a, _ in covered]
    limit = min(len(text), SCAN_CHARS)
    out: list[_Found] = []

    def free(a: int, b: int) -> bool:
        i = bisect.bisect_left(starts, b) - 1
        if i >= 0 and covered[i][1] > a:
            return False
        covered.insert(i + 1, (a, b))
        starts.insert(i + 1, a)
        return True

    def fits(surface: str, at: int) -> bool:
        end = at + len(surface)
        return text.startswith(surface, at) and not _word_char(text, end)

    for m in _CAPITALIZED.finditer(text, 0, limit):
        at = m.start()
        word = _POSSESSIVE.split(m.group(), 1)[0].rstrip(".,;:")
        hit = next((n for n in by_first.get(word, ()) if fits(n, at)), None)
        if hit is not None:
            if free(at, at + len(hit)):
                kind, key, display, known_why = names[hit]
                out.append(_Found(at, at + len(hit), hit, hit, kind, key, display, known_why))
            continue
        entry = next(((n, k) for n, k in known.get(word, ()) if fits(n, at)), None)
        if entry is None:
            continue
        surface, kind = entry
        end = at + len(surface)
        if kind == "people" and (not _people_before(text, at) or _modifies(text, end)):
            continue
        if (book is not None and book.is_ignored(surface)) or not free(at, end):
            continue
        display = (country_of(surface) or surface) if kind == "place" else surface
        named = f"{surface}: country name of {display}" if display != surface else None
        kind = "group" if kind == "people" else kind
        out.append(_Found(at, end, surface, surface, kind, name_key(display), display, named))
    return out


def _word_char(text: str, at: int) -> bool:
    return at < len(text) and (text[at].isalnum() or text[at] in "-_")


def _merge_acronyms(
    text: str, found: list[_Found], nodes: Mapping[str, _Node], clusters: _Clusters
) -> None:
    """Text like "Long Name (ACR)" and "ACR (Long Name)" in the text pair the two; an acronym with
    no such pair takes the one organization of the article whose initials spell it."""
    pairs: list[tuple[str, str]] = []  # (acronym as written, expansion node)
    for left, right in itertools.pairwise(found):
        if not re.fullmatch(r"\s*\(\s*", text[left.end : right.start]):
            continue
        if is_acronym(right.surface) and not is_acronym(left.surface):
            acr, exp = right, left
        elif is_acronym(left.surface) and not is_acronym(right.surface):
            acr, exp = left, right
        else:
            continue
        if acr.kind != "organization" or exp.kind not in ("organization", "place"):
            continue
        if exp.kind != "organization" and not initials(tuple(exp.surface.split()), acr.surface):
            continue
        nodes[exp.key].kind = "organization"
        pairs.append((acr.surface, exp.key))
    for f in found:
        m = _PAREN_ACRONYM.match(text, f.end, f.end + 16)
        if m and f.kind == "organization" and not is_acronym(f.surface):
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
    acronyms = [k for k, n in nodes.items() if n.kind == "organization" and is_acronym(n.display)]
    expansions = [
        n for n in nodes.values() if n.kind == "organization" and len(n.display.split()) >= 2
    ]
    for acr_key in acronyms:
        if acr_key in paired or not clusters.alone(acr_key):
            continue
        letters = nodes[acr_key].display
        for n in expansions:
            if initials(tuple(n.display.split()), letters):
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
            not is_acronym(n.display),
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
    folds += _full_name_variants(head, full)
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


def _full_name_variants(
    head: Mapping[tuple[str, str], str], full: Mapping[str, tuple[str, int]]
) -> list[tuple[str, str, str]]:
    """ "Kassym-Jomart Tokaev" and "Kassym-Jomart Tokayev": the same first name and a
    surname one safe letter apart, when no third person is that near; the rarer spelling
    folds into the commoner."""
    by_first: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (first, last), k in head.items():
        by_first[first].append((last, k))
    folds: list[tuple[str, str, str]] = []
    for people in by_first.values():
        if len(people) < 2:
            continue
        for last, k in people:
            near = [o for lo, o in people if o != k and _variant(last, lo)]
            if len(near) != 1:
                continue
            other = near[0]
            if len([lo for lo, o in people if o != other and _variant(lo, other.split()[-1])]) > 1:
                continue
            if (full[k][1], k) < (full[other][1], other):
                folds.append((k, other, f"{full[k][0]}: spelling variant of {full[other][0]}"))
    return folds


def _merge_short_forms(nodes: Mapping[str, _Node], clusters: _Clusters) -> None:
    """ "the Council" after "the Turkic Council", "Foreign Ministry" after "Russian Foreign
    Ministry", "Security Council" after "UN Security Council": an organization's name that
    ends exactly one longer organization name of the article is that organization, when
    the words it leaves out are a nationality, a country or an acronym, or when it is a
    bare head noun ("Council")."""
    orgs = [k for k, n in nodes.items() if n.kind == "organization" and not is_acronym(n.display)]
    by_tail: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for k in orgs:
        words = nodes[k].display.split()
        for i in range(1, len(words)):
            by_tail[name_key(" ".join(words[i:]))].append((k, i))
    for k in orgs:
        n = nodes[k]
        bare_head = " " not in n.display and n.display in ORG_HEADS
        roots = set()
        for other, i in by_tail.get(k, ()):
            prefix = nodes[other].display.split()[:i]
            if bare_head or all(
                is_demonym_word(w) or country_of(w) or is_acronym(w) for w in prefix
            ):
                roots.add(clusters.find(other))
        roots.discard(clusters.find(k))
        if len(roots) == 1:
            root = next(iter(roots))
            longer = _best(nodes, clusters.members[root]).display
            clusters.union(k, root, f"{n.display}: short form of {longer}")


def _merge_variants(nodes: Mapping[str, _Node], clusters: _Clusters) -> None:
    """Names of one kind that differ in one letter of one long word ("Tokaev",
    "Organisation"), folded only when just one name is that near."""
    index: dict[str, set[str]] = defaultdict(set)
    for k, n in nodes.items():
        if n.kind == "group" or is_acronym(n.display):
            continue
        toks = k.split()
        for i, t in enumerate(toks):
            if len(t) >= FUZZY_MIN_LETTERS - 1:
                for d in _deletions(t) | {t}:
                    index[" ".join([*toks[:i], d, *toks[i + 1 :]]) + f"\x00{i}"].add(k)
    for k, n in nodes.items():
        if n.kind == "group" or is_acronym(n.display):
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
    counts: Counter[str] = Counter()
    for entities in entities_by_article.values():
        for e in entities:
            if e.kind == "person":
                counts[e.canonical] += e.mentions
    return {name: target for name, (target, _) in fold_people_across(counts).items()}


def fold_people_across(people: Mapping[str, int]) -> dict[str, tuple[str, str]]:
    """Person name (with its mentions in the archive) -> (the name it folds into, why):
    a lone surname into the one full name with it, a spelling variant into the commoner
    spelling, a short form into the full name. Chains are followed; a name that could
    mean two people is left out."""
    names: dict[str, tuple[str, int]] = {}
    for name, count in people.items():
        key = name_key(name)
        display, seen = names.get(key, (name, 0))
        names[key] = (display, seen + count)
    parent: dict[str, str] = {}
    why: dict[str, str] = {}
    for a, b, reason in _person_folds(names):
        if a not in parent:
            parent[a], why[a] = b, reason
    out: dict[str, tuple[str, str]] = {}
    for k in parent:
        target, chain = k, {k}
        reasons: list[str] = []
        while target in parent and parent[target] not in chain:
            reasons.append(why[target])
            target = parent[target]
            chain.add(target)
        if target != k:
            out[names[k][0]] = (names[target][0], "; ".join(reasons))
    return out
