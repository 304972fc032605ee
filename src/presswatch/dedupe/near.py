"""Near-duplicate detection and syndication clusters.

MinHash LSH finds candidates at a deliberately low threshold (32 bands of 4 rows: a pair
with Jaccard 0.5 shares a band 87% of the time, 0.6 99%, 0.7 all but always), and each
candidate is then verified on the exact shingle sets, because no single LSH threshold is
right: at 0.8 only about half the real copies (true Jaccard ~0.84) were found.

The accept rule (`AcceptRule`) takes a pair as a copy when its Jaccard similarity is at
least 0.6, or when at least 70% of the smaller text's shingles are in the larger one and
they share at least 30 shingles. A trimmed or extended copy under another outlet's
header and footer has a low Jaccard (down to ~0.4 on the synthetic test set) but a high
containment (0.7 and up); a piece quoting one paragraph of another, or a brief that is
mostly its outlet's boilerplate, stays below ~0.56 containment, and a few shared lines
are too few shingles to count. Tuned on tests/syndication_corpus.py.

The index holds signatures, not texts: candidates' shingles come from a caller-supplied
provider (the store recomputes them from the text), with a small cache of the latest
documents, since copies tend to arrive close together. Signatures persist as bytes
(`Signature.to_bytes`) and `NearIndex.add_signature` rebuilds the index at startup.

Clusters (`build_clusters`) join verified pairs by union-find. The original is the
earliest published member, unless members say they were republished from another
member's source, which then wins. Exact copies within one source are marked "folded"
(one item counted once); copies across sources are kept and linked, never dropped.
"""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from presswatch.dedupe.shingles import NUM_PERM, Shingles, Signature, shingles, sign

__all__ = [
    "AcceptRule",
    "Cluster",
    "Document",
    "Match",
    "Member",
    "NearIndex",
    "Overlap",
    "Pair",
    "ShingleProvider",
    "build_clusters",
    "measure",
]

BANDS = 32
ROWS = NUM_PERM // BANDS

ShingleProvider = Callable[[str], "str | Shingles | None"]
"""id -> the document's clean text (or its shingles); None when it is gone."""


@dataclass(frozen=True, slots=True)
class Document:
    """One article as near-duplicate detection sees it.

    `source` names the outlet (its host or key); `aliases` are other names it goes by
    (its title, its site's host), which `republished_from` lines are matched against.
    `text` is read by `NearIndex.add` only; clustering needs the rest.
    """

    id: str
    text: str
    published: datetime | None
    source: str
    republished_from: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Overlap:
    """Exact shingle overlap of two texts. `containment` is the share of the smaller
    text's shingles found in the larger one."""

    jaccard: float
    containment: float
    common: int
    identical: bool


@dataclass(frozen=True, slots=True)
class AcceptRule:
    jaccard: float = 0.6
    containment: float = 0.7
    min_common: int = 30

    def accepts(self, o: Overlap) -> bool:
        if o.jaccard >= self.jaccard:
            return True
        return o.containment >= self.containment and o.common >= self.min_common


@dataclass(frozen=True, slots=True)
class Match:
    """A verified copy: the new document against an earlier one (`id`)."""

    id: str
    overlap: Overlap


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    overlap: Overlap


def measure(a: Shingles, b: Shingles) -> Overlap:
    """Exact overlap of two shingle sets (sorted, distinct, as `shingles` gives them)."""
    if a.size == 0 or b.size == 0:
        return Overlap(0.0, 0.0, 0, False)
    common = int(np.intersect1d(a, b, assume_unique=True).size)
    union = a.size + b.size - common
    return Overlap(common / union, common / min(a.size, b.size), common, common == union)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x = x ^ (x >> np.uint64(31))
    x = x * np.uint64(0x7FB5D329728EA185)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x81DADEF4BC2DD44D)
    return x ^ (x >> np.uint64(33))


_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03)
_ROW_MUL = np.array([0x9E3779B97F4A7C15 >> k for k in range(ROWS)], dtype=np.uint64) | 1


def _band_keys(sig: Signature) -> npt.NDArray[np.uint64]:
    rows = sig.array().astype(np.uint64).reshape(BANDS, ROWS)
    return _mix((rows * _ROW_MUL).sum(axis=1, dtype=np.uint64) + _BAND_SALT)


class NearIndex:
    """Incremental MinHash LSH with exact verification.

    Band keys live in one sorted numpy array (12 bytes a band) plus a small dict of
    recent additions merged in as it grows, so a million articles take ~400 MB of keys
    rather than gigabytes of Python dicts. Not thread-safe: one writer at a time.
    """

    def __init__(
        self,
        provider: ShingleProvider,
        *,
        rule: AcceptRule | None = None,
        max_candidates: int = 64,
        cache: int = 4096,
    ) -> None:
        self._provider = provider
        self.rule = rule or AcceptRule()
        self.max_candidates = max_candidates
        self._ids: list[str] = []
        self._where: dict[str, int] = {}
        self._dead: set[int] = set()
        self._keys = np.empty(0, dtype=np.uint64)
        self._owners = np.empty(0, dtype=np.int32)
        self._pending: dict[int, list[int]] = {}
        self._pending_docs = 0
        self._cache: OrderedDict[str, Shingles] = OrderedDict()
        self._cache_size = cache

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._where

    def add(self, doc: Document) -> tuple[Match, ...]:
        """Index `doc` and return its verified copies among the documents added before.

        A text under five words has no shingles: it is not indexed and matches nothing.
        Adding an id again replaces its earlier version.
        """
        return self.add_signed(doc)[0]

    def add_signed(self, doc: Document) -> tuple[tuple[Match, ...], Signature | None]:
        """add(), also giving the document's signature (to store, for add_signature at
        the next start) without shingling the text twice."""
        hashes = shingles(doc.text)
        self.remove(doc.id)
        sig = sign(hashes)
        if sig is None:
            return (), None
        matches = self._verify(hashes, self._candidates(sig))
        self._insert(doc.id, sig)
        self._remember(doc.id, hashes)
        return matches, sig

    def query(self, text: str) -> tuple[Match, ...]:
        """Verified copies of `text` among the indexed documents, without adding it."""
        hashes = shingles(text)
        sig = sign(hashes)
        return () if sig is None else self._verify(hashes, self._candidates(sig))

    def add_signature(self, doc_id: str, sig: Signature) -> None:
        """Put back a stored signature (rebuilding the index at startup); no matching."""
        self.remove(doc_id)
        self._insert(doc_id, sig)

    def remove(self, doc_id: str) -> None:
        at = self._where.pop(doc_id, None)
        if at is not None:
            self._dead.add(at)
            self._cache.pop(doc_id, None)

    def overlap(self, a: str, b: str) -> Overlap | None:
        """Exact overlap of two documents through the provider (None if one is gone)."""
        sa, sb = self._shingles_of(a), self._shingles_of(b)
        return None if sa is None or sb is None else measure(sa, sb)

    # -- internals ---------------------------------------------------------------------

    def _insert(self, doc_id: str, sig: Signature) -> None:
        at = len(self._ids)
        self._ids.append(doc_id)
        self._where[doc_id] = at
        for key in _band_keys(sig).tolist():
            self._pending.setdefault(key, []).append(at)
        self._pending_docs += 1
        if self._pending_docs >= max(2048, len(self._owners) // (8 * BANDS)):
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        keys = np.fromiter(
            (k for k, owners in self._pending.items() for _ in owners), dtype=np.uint64
        )
        owners = np.fromiter((o for group in self._pending.values() for o in group), dtype=np.int32)
        keys = np.concatenate((self._keys, keys))
        owners = np.concatenate((self._owners, owners))
        order = np.argsort(keys, kind="stable")
        self._keys, self._owners = keys[order], owners[order]
        self._pending.clear()
        self._pending_docs = 0

    def _candidates(self, sig: Signature) -> list[int]:
        keys = _band_keys(sig)
        hits: dict[int, int] = defaultdict(int)
        if self._keys.size:
            left = np.searchsorted(self._keys, keys, "left")
            right = np.searchsorted(self._keys, keys, "right")
            for lo, hi in zip(left.tolist(), right.tolist(), strict=True):
                for owner in self._owners[lo:hi].tolist():
                    hits[owner] += 1
        for key in keys.tolist():
            for owner in self._pending.get(key, ()):
                hits[owner] += 1
        for dead in self._dead.intersection(hits):
            del hits[dead]
        # Most shared bands first: the likeliest copies are verified when there are many.
        ranked = sorted(hits, key=lambda o: (-hits[o], o))
        return ranked[: self.max_candidates]

    def _verify(self, hashes: Shingles, candidates: list[int]) -> tuple[Match, ...]:
        matches: list[Match] = []
        for at in candidates:
            doc_id = self._ids[at]
            theirs = self._shingles_of(doc_id)
            if theirs is None:
                continue
            o = measure(hashes, theirs)
            if self.rule.accepts(o):
                matches.append(Match(doc_id, o))
        return tuple(matches)

    def _shingles_of(self, doc_id: str) -> Shingles | None:
        cached = self._cache.get(doc_id)
        if cached is not None:
            self._cache.move_to_end(doc_id)
            return cached
        got = self._provider(doc_id)
        if got is None:
            return None
        return shingles(got) if isinstance(got, str) else got

    def _remember(self, doc_id: str, hashes: Shingles) -> None:
        if self._cache_size <= 0:
            return
        self._cache[doc_id] = hashes
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


# -- clusters ----------------------------------------------------------------------------

Role = Literal["original", "copy", "folded"]


@dataclass(frozen=True, slots=True)
class Member:
    """One article of a cluster. `overlap` is to the cluster's original (None when the
    two were only linked through other copies and no measure was given); a "folded"
    member is an exact copy of `folded_into` from the same source."""

    id: str
    source: str
    published: datetime | None
    role: Role
    overlap: Overlap | None
    folded_into: str | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    """The same story across outlets. `why` says how the original was chosen."""

    original: str
    why: Literal["earliest", "republished_from"]
    members: tuple[Member, ...]  # the original first, then by publication time

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.source for m in self.members))


_HOSTISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?([^/\s?#]+)")


def _name(value: str) -> str:
    value = value.strip().casefold()
    m = _HOSTISH.match(value) if "." in value and " " not in value else None
    return m.group(1) if m else value


def _names(value: str) -> set[str]:
    """A source's spellings: the name, and for a host its first label ("tass.com" ->
    "tass"), so "Source: TASS" names the outlet at tass.com."""
    name = _name(value)
    out = {name}
    if "." in name and " " not in name:
        out.add(name.split(".")[0])
    return out


def _earliest(doc: Document) -> tuple[bool, datetime | float, str]:
    # Undated copies go last: they cannot claim to be first.
    return (doc.published is None, doc.published or 0.0, doc.id)


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _original(group: list[Document]) -> tuple[Document, Literal["earliest", "republished_from"]]:
    spelled = {d.id: set().union(_names(d.source), *map(_names, d.aliases)) for d in group}
    named: list[Document] = []
    for doc in group:
        if not doc.republished_from:
            continue
        wanted = _names(doc.republished_from)
        named += [
            o for o in group if o.source != doc.source and o.id != doc.id and wanted & spelled[o.id]
        ]
    if named:
        # Prefer a named member that does not itself say it came from elsewhere.
        first_hand = [d for d in named if not d.republished_from] or named
        return min(first_hand, key=_earliest), "republished_from"
    return min(group, key=_earliest), "earliest"


def build_clusters(
    docs: Iterable[Document],
    pairs: Iterable[Pair],
    overlap: Callable[[str, str], Overlap | None] | None = None,
) -> tuple[Cluster, ...]:
    """Clusters of two or more documents joined by verified pairs.

    `docs` must hold every id the pairs name (their text is not read). `overlap`
    measures a member against the original when no pair links them directly (e.g.
    `NearIndex.overlap`); without it such members report None.
    """
    by_id = {d.id: d for d in docs}
    parent: dict[str, str] = {}
    direct: dict[tuple[str, str], Overlap] = {}
    for p in pairs:
        if p.a == p.b:
            continue
        for x in (p.a, p.b):
            parent.setdefault(x, x)
        ra, rb = _find(parent, p.a), _find(parent, p.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
        direct[(p.a, p.b)] = direct[(p.b, p.a)] = p.overlap
    groups: dict[str, list[Document]] = defaultdict(list)
    for x in parent:
        groups[_find(parent, x)].append(by_id[x])
    clusters = [_cluster(g, direct, overlap) for g in groups.values()]
    clusters.sort(key=lambda c: _earliest(by_id[c.original]))
    return tuple(clusters)


def _cluster(
    group: list[Document],
    direct: dict[tuple[str, str], Overlap],
    overlap: Callable[[str, str], Overlap | None] | None,
) -> Cluster:
    original, why = _original(group)
    folded = _folded(group, direct, original.id)
    members: list[Member] = []
    for doc in sorted(group, key=_earliest):
        if doc.id == original.id:
            o: Overlap | None = Overlap(1.0, 1.0, 0, True)
            role: Role = "original"
        else:
            o = direct.get((doc.id, original.id))
            if o is None and overlap is not None:
                o = overlap(doc.id, original.id)
            role = "folded" if doc.id in folded else "copy"
        members.append(Member(doc.id, doc.source, doc.published, role, o, folded.get(doc.id)))
    members.sort(key=lambda m: m.role != "original")
    return Cluster(original.id, why, tuple(members))


def _folded(
    group: list[Document], direct: dict[tuple[str, str], Overlap], original: str
) -> dict[str, str]:
    """Exact copies within one source -> the copy they fold into (the original if it is
    among them, else the earliest)."""
    parent = {d.id: d.id for d in group}
    source = {d.id: d.source for d in group}
    for (a, b), o in direct.items():
        if o.identical and a in parent and b in parent and source[a] == source[b]:
            ra, rb = _find(parent, a), _find(parent, b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    same: dict[str, list[Document]] = defaultdict(list)
    for d in group:
        same[_find(parent, d.id)].append(d)
    out: dict[str, str] = {}
    for docs in same.values():
        if len(docs) < 2:
            continue
        keep = original if any(d.id == original for d in docs) else min(docs, key=_earliest).id
        out.update({d.id: keep for d in docs if d.id != keep})
    return out
