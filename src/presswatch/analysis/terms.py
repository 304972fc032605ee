"""Top terms: the words and two-word phrases that set a set of articles apart.

Raw frequency would list "government" and "president" for any query; what an analyst
wants is what is said *more* in the matching articles than in the archive at large.

Method. Each article (title + text) is tokenized by text.tokens and reduced to the set of
its terms: unigrams (not stop words, not pure numbers, at least 2 characters) and bigrams
(two consecutive tokens, neither a stop word nor a single character, not both numbers).
Counting documents rather than occurrences keeps one article repeating a name forty times
from dominating. For each term, with y articles containing it out of N, in the
foreground (f) and the background (b), the score is the z-score of the log-odds ratio
with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"),
here over the two outcomes "contains the term" / "does not":

    delta = log((y_f + a) / (N_f - y_f + c)) - log((y_b + a) / (N_b - y_b + c))
    var   = 1/(y_f + a) + 1/(N_f - y_f + c) + 1/(y_b + a) + 1/(N_b - y_b + c)
    z     = delta / sqrt(var)

where a = PRIOR * p and c = PRIOR * (1 - p), p being the term's share of all articles of
both samples. The prior pulls rare terms toward "no difference", so a word seen in two
foreground articles and never elsewhere does not outrank a word that appears in half the
foreground and a tenth of the background; the z-score then ranks by how sure the
difference is, not just how large. Only over-represented terms (z > 0) found in at least
2 foreground articles (1 when there are fewer than 5) are listed.

The two inputs are taken as two samples. The background is meant as the archive (or a
sample of it) and may contain foreground articles: the contrast is then against the
archive as a whole, which can only make scores more cautious, never inflate them.

Phrases. A word that (almost) only occurs inside a listed phrase is left out in favour of
the phrase ("collective security" rather than "collective"), and of the overlapping
bigrams of a longer name ("collective security", "security treaty") only the best one is
kept when they occur in about the same articles.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import pairwise

from presswatch.analysis.stopwords import STOP_WORDS
from presswatch.text.tokens import fold, tokenize

PRIOR = 10.0
"""Strength of the prior, in pseudo-articles."""

PHRASE_SHARE = 0.8
"""A word is shown as part of a phrase when this share of its articles has the phrase."""

POOL = 3
"""Terms considered for the phrase rules, as a multiple of the limit asked."""

Term = str | tuple[str, str]


@dataclass(frozen=True, slots=True)
class TermScore:
    """`term` (a word or "two words"), its z-score, and in how many articles of the
    foreground (`count`) and of the background (`background`) it occurs."""

    term: str
    score: float
    count: int
    background: int


def distinctive_terms(
    foreground: Iterable[str],
    background: Iterable[str],
    *,
    limit: int = 20,
    exclude: Collection[str] = (),
    exclude_prefixes: Collection[str] = (),
) -> list[TermScore]:
    """The `limit` terms most over-represented in `foreground` against `background`, best
    first; each string is one article's title and text.

    `exclude` holds the query's own words (and `exclude_prefixes` its prefixes, kazakh*):
    terms containing them are left out, since the analyst knows they are there.
    """
    if limit <= 0:
        return []
    excluded = {t for word in exclude for t in tokenize(word)}
    prefixes = tuple({fold(p) for p in exclude_prefixes if p})
    n_fg, fg_counts = _document_frequencies(foreground, None)
    least = 2 if n_fg >= 5 else 1
    candidates = {
        term for term, n in fg_counts.items() if n >= least and _wanted(term, excluded, prefixes)
    }
    if not candidates:
        return []
    n_bg, bg_counts = _document_frequencies(background, candidates)
    scored = [(_z(fg_counts[t], n_fg, bg_counts.get(t, 0), n_bg), t) for t in candidates]
    ranked = sorted(
        ((z, t) for z, t in scored if z > 0),
        key=lambda zt: (-zt[0], _text(zt[1])),
    )
    pool = ranked[: limit * POOL]
    kept = _phrases_over_parts([t for _, t in pool], fg_counts)
    return [
        TermScore(_text(t), z, fg_counts[t], bg_counts.get(t, 0)) for z, t in pool if t in kept
    ][:limit]


def _document_frequencies(
    texts: Iterable[str], only: set[Term] | None
) -> tuple[int, Counter[Term]]:
    """How many texts, and in how many of them each term occurs (among `only`, if given).

    Stop words are filtered later, on distinct terms, rather than per token: set() and
    zip() over the raw tokens run in C.
    """
    counts: Counter[Term] = Counter()
    n = 0
    for text in texts:
        n += 1
        tokens = tokenize(text)
        terms: set[Term] = set(tokens)
        terms.update(pairwise(tokens))
        counts.update(terms if only is None else terms.intersection(only))
    return n, counts


def _wanted(term: Term, excluded: set[str], prefixes: tuple[str, ...]) -> bool:
    words = (term,) if isinstance(term, str) else term
    for word in words:
        if word in STOP_WORDS or len(word) < 2 or word in excluded:
            return False
        if prefixes and word.startswith(prefixes):
            return False
    return not all(word.isdigit() for word in words)


def _z(y_f: int, n_f: int, y_b: int, n_b: int) -> float:
    p = (y_f + y_b) / (n_f + n_b)
    a = max(PRIOR * p, 1e-3)
    c = max(PRIOR * (1 - p), 1e-3)
    delta = math.log((y_f + a) / (n_f - y_f + c)) - math.log((y_b + a) / (n_b - y_b + c))
    var = 1 / (y_f + a) + 1 / (n_f - y_f + c) + 1 / (y_b + a) + 1 / (n_b - y_b + c)
    return delta / math.sqrt(var)


def _phrases_over_parts(pool: list[Term], fg_counts: Counter[Term]) -> set[Term]:
    """The terms of `pool` (best first) left after the phrase rules of the module doc."""
    bigrams = [t for t in pool if isinstance(t, tuple)]
    kept: set[Term] = set()
    for term in pool:
        n = fg_counts[term]
        if isinstance(term, str):
            inside = any(term in b and fg_counts[b] >= PHRASE_SHARE * n for b in bigrams)
        else:
            better = bigrams[: bigrams.index(term)]
            inside = any(set(term) & set(b) and _alike(n, fg_counts[b]) for b in better)
        if not inside:
            kept.add(term)
    return kept


def _alike(x: int, y: int) -> bool:
    return min(x, y) >= PHRASE_SHARE * max(x, y)


def _text(term: Term) -> str:
    return term if isinstance(term, str) else " ".join(term)
