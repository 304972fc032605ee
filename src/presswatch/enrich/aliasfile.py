"""The user's alias file: what an analyst knows about names, which wins over anything the
resolver learns from the text (pure: the text of the file in, an AliasBook out).

One instruction a line; `#` starts a comment; blank lines are skipped:

    alias CSTO = Collective Security Treaty Organization
    merge Tokaev, Tokayev = Kassym-Jomart Tokayev
    split Georgia (country) | Georgia (US state)
    ignore Reuters
    kind Kazakhs = group

`alias` and `merge` both say "these names are that entity" (alias takes one name, merge a
comma-separated list). Chains are followed (A = B and B = C make A and B mean C); a loop
is an error. `split` lists names that must stay apart: the resolver never merges any two
of them, whatever it learns (a name in the list may carry a note in brackets, as above,
to tell the entities apart in the canonical name). `ignore` drops a name everywhere.
`kind` sets the kind of an entity (person, organization, place, group). Names are matched
without regard to case or repeated spaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from presswatch.enrich.model import KINDS

__all__ = ["AliasBook", "AliasFileError", "name_key", "parse_alias_book"]


class AliasFileError(ValueError):
    """A line of the alias file that cannot be read; says which line and what to change."""

    def __init__(self, line_number: int, message: str) -> None:
        self.line_number = line_number
        self.message = message
        super().__init__(f"alias file line {line_number}: {message}")


def name_key(name: str) -> str:
    """How names are compared: case, apostrophe style and spacing do not matter."""
    return " ".join(name.replace("’", "'").casefold().split())


@dataclass(frozen=True)
class AliasBook:
    """`canonical` maps a name's key to the entity's name; `lines` holds, per key, the
    line numbers that said something about it (for `explain`)."""

    canonical: Mapping[str, str] = field(default_factory=dict)
    ignored: frozenset[str] = frozenset()
    kinds: Mapping[str, str] = field(default_factory=dict)
    splits: tuple[frozenset[str], ...] = ()
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def canonical_of(self, name: str) -> str | None:
        return self.canonical.get(name_key(name))

    def is_ignored(self, name: str) -> bool:
        return name_key(name) in self.ignored

    def kind_of(self, name: str) -> str | None:
        return self.kinds.get(name_key(name))

    def kept_apart(self, a: str, b: str) -> bool:
        ka, kb = name_key(a), name_key(b)
        return ka != kb and any(ka in group and kb in group for group in self.splits)

    def explain(self, name: str) -> list[str]:
        """Every line of the file that bears on `name` or on the entity it is part of."""
        key = name_key(name)
        keys = {key}
        target = self.canonical.get(key)
        if target is not None:
            keys.add(name_key(target))
        for other, canon in self.canonical.items():
            if name_key(canon) in keys:
                keys.add(other)
        found: list[str] = []
        for k in sorted(keys):
            for note in self.notes.get(k, ()):
                if note not in found:
                    found.append(note)
        return found


def _names(text: str, number: int, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    if not names or any(not n for n in names):
        raise AliasFileError(number, f"{what} is missing a name (names are separated by commas)")
    return names


def _two_sides(rest: str, number: int, verb: str) -> tuple[str, str]:
    if "=" not in rest:
        raise AliasFileError(number, f"'{verb}' needs the form: {verb} NAME = CANONICAL NAME")
    left, _, right = rest.partition("=")
    right = right.strip()
    if not right or not left.strip():
        raise AliasFileError(number, f"'{verb}' needs a name on both sides of '='")
    if "=" in right:
        raise AliasFileError(number, "only one '=' is allowed on a line")
    return left, right


def parse_alias_book(text: str) -> AliasBook:
    """Raises AliasFileError on the first line that cannot be read, or on a loop."""
    direct: dict[str, tuple[str, int]] = {}  # key -> (target name, line)
    ignored: set[str] = set()
    kinds: dict[str, str] = {}
    splits: list[tuple[frozenset[str], int]] = []
    notes: dict[str, list[str]] = {}

    def note(key: str, number: int, line: str) -> None:
        notes.setdefault(key, []).append(f"alias file line {number}: {line}")

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        verb, _, rest = line.partition(" ")
        verb = verb.casefold()
        rest = rest.strip()
        if verb in ("alias", "merge"):
            left, right = _two_sides(rest, number, verb)
            sources = _names(left, number, f"'{verb}'")
            if verb == "alias" and len(sources) > 1:
                raise AliasFileError(number, "'alias' takes one name; use 'merge' for several")
            for source in sources:
                key = name_key(source)
                if key == name_key(right):
                    continue
                earlier = direct.get(key)
                if earlier is not None and name_key(earlier[0]) != name_key(right):
                    raise AliasFileError(
                        number,
                        f"'{source}' was already given to '{earlier[0]}' on line {earlier[1]};"
                        " keep one of the two lines",
                    )
                direct[key] = (right, number)
                note(key, number, line)
            note(name_key(right), number, line)
        elif verb == "split":
            group = [n.strip() for n in rest.split("|")]
            if len(group) < 2 or any(not n for n in group):
                raise AliasFileError(number, "'split' needs two or more names separated by '|'")
            splits.append((frozenset(name_key(n) for n in group), number))
            for n in group:
                note(name_key(n), number, line)
        elif verb == "ignore":
            for n in _names(rest, number, "'ignore'"):
                ignored.add(name_key(n))
                note(name_key(n), number, line)
        elif verb == "kind":
            left, right = _two_sides(rest, number, "kind")
            kind = right.casefold()
            if kind not in KINDS:
                raise AliasFileError(
                    number, f"unknown kind '{right}'; use one of: {', '.join(KINDS)}"
                )
            for n in _names(left, number, "'kind'"):
                kinds[name_key(n)] = kind
                note(name_key(n), number, line)
        else:
            raise AliasFileError(
                number,
                f"unknown instruction '{verb}'; a line starts with alias, merge, split,"
                " ignore or kind",
            )

    canonical: dict[str, str] = {}
    for key in direct:
        seen = [key]
        target, at = direct[key]
        while name_key(target) in direct:
            nxt = name_key(target)
            if nxt in seen:
                raise AliasFileError(
                    at,
                    f"names point at each other in a loop ({' -> '.join([*seen, nxt])});"
                    " remove one of these lines",
                )
            seen.append(nxt)
            target, at = direct[nxt]
        canonical[key] = target
    for split_group, number in splits:
        targets = {name_key(canonical.get(k, k)) for k in split_group}
        if len(targets) < len(split_group):
            raise AliasFileError(number, "'split' names that the file also merges into one")
    return AliasBook(
        canonical=canonical,
        ignored=frozenset(ignored),
        kinds=kinds,
        splits=tuple(g for g, _ in splits),
        notes={k: tuple(v) for k, v in notes.items()},
    )
