"""Top terms: the words and two-word phrases that set a set of articles apart.

Raw frequency would list "government" and "president" for any query; what an analyst
wants is what is said *more* in the matching articles than in the archive at large.

Method. Each article (title + text) is tokenized by text.tokens and reduced to the set of
its terms: unigrams (not stop words, not pure numbers, at least 2 characters) and bigrams
(two consecutive tokens, neither a stop word nor a single character, not both numbers,
not one word twice). Counting documents rather than occurrences keeps one article
repeating a name forty times from dominating.

Score. For each term, with y articles containing it out of N, in the foreground (f) and
the background (b), the score is the z-score of the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"), here over the two
outcomes "contains the term" / "does not":

    delta = log((y_f + a) / (N_f - y_f + c)) - log((y_b + a) / (N_b - y_b + c))
    var   = 1/(y_f + a) + 1/(N_f - y_f + c) + 1/(y_b + a) + 1/(N_b - y_b + c)
    z     = delta / sqrt(var)

where p is the term's share of all articles of both samples and the prior is worth
PRIOR_WEIGHT of them: a = PRIOR_WEIGHT * (N_f + N_b) * p, c = the same * (1 - p). The
prior pulls rare terms toward "no difference", so a word seen in two foreground articles
and never elsewhere does not outrank a word in half the foreground and a tenth of the
background, while a name in 1% of the foreground and nowhere else still ranks well; the
z-score then ranks by how sure the difference is, not just how large. Listed are terms
found in at least 2 foreground articles (1 when there are fewer than 5) with z of at least
MIN_Z: below that, a common word is merely a little more frequent by chance.

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
from itertools import islice

from presswatch.analysis.stopwords import STOP_WORDS
from presswatch.text.tokens import fold, tokenize

PRIOR_WEIGHT = 0.1
"""Strength of the prior, as a share of the articles compared."""

MIN_Z = 1.0
"""Least z-score listed: about one standard error above no difference."""

PHRASE_SHARE = 0.8
"""A word is shown as part of a phrase when this share of its articles has the phrase."""

POOL = 3
"""Terms considered for the phrase rules, as a multiple of the limit asked."""

_Key = str | tuple[str, str]

_blank_stop_word = dict.fromkeys(STOP_WORDS, "").get


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
    terms containing them are left out, since the analyst knows they are there. With
    an empty background nothing can stand out, and the list is empty.
    """
    if limit <= 0:
        return []
    excluded = {t for word in exclude for t in tokenize(word)}
    prefixes = tuple({fold(p) for p in exclude_prefixes if p})
    n_fg, fg_counts = _foreground_frequencies(foreground)
    least = 2 if n_fg >= 5 else 1
    candidates = [t for t, n in fg_counts.items() if n >= least and _wanted(t, excluded, prefixes)]
    if not candidates:
        return []
    n_bg, bg_counts = _background_frequencies(
        background,
        {t for t in candidates if isinstance(t, str)},
        {t for t in candidates if isinstance(t, tuple)},
    )
    if not n_bg:
        return []
    scored = [(_z(fg_counts[t], n_fg, bg_counts.get(t, 0), n_bg), t) for t in candidates]
    ranked = sorted(
        ((z, t) for z, t in scored if z >= MIN_Z),
        key=lambda zt: (-zt[0], _text(zt[1])),
    )
    pool = ranked[: limit * POOL]
    kept = _phrases_over_parts([t for _, t in pool], fg_counts)
    return [
        TermScore(_text(t), z, fg_counts[t], bg_counts.get(t, 0)) for z, t in pool if t in kept
    ][:limit]


def _foreground_frequencies(texts: Iterable[str]) -> tuple[int, Counter[_Key]]:
    """How many texts, and in how many of them each term occurs.

    Stop words are dropped in C (set difference, and a stop word turned into "" so that
    filter(all, ...) drops its bigrams) before the per-term counting, which is the cost.
    """
    counts: Counter[_Key] = Counter()
    n = 0
    for text in texts:
        n += 1
        tokens = tokenize(text)
        words = set(tokens)
        words.difference_update(STOP_WORDS)
        counts.update(words)
        marked = list(map(_blank_stop_word, tokens, tokens))
        counts.update(set(filter(all, zip(marked, islice(marked, 1, None), strict=False))))
    return n, counts


def _background_frequencies(
    texts: Iterable[str], words: set[str], bigrams: set[tuple[str, str]]
) -> tuple[int, Counter[_Key]]:
    """How many texts, and in how many each of `words` and `bigrams` occurs."""
    counts: Counter[_Key] = Counter()
    n = 0
    for text in texts:
        n += 1
        tokens = tokenize(text)
        counts.update(words.intersection(tokens))
        counts.update(bigrams.intersection(zip(tokens, islice(tokens, 1, None), strict=False)))
    return n, counts


def _wanted(term: _Key, excluded: set[str], prefixes: tuple[str, ...]) -> bool:
    words = (term,) if isinstance(term, str) else term
    for word in words:
        if word in STOP_WORDS or len(word) < 2 or word in excluded:
            return False
        if prefixes and word.startswith(prefixes):
            return False
    if len(words) == 2 and words[0] == words[1]:
        return False  # "very very", a typo's doubled word: never a phrase
    return not all(word.isdigit() for word in words)


def _z(y_f: int, n_f: int, y_b: int, n_b: int) -> float:
    prior = PRIOR_WEIGHT * (n_f + n_b)
    p = (y_f + y_b) / (n_f + n_b)
    a = max(prior * p, 1e-3)
    c = max(prior * (1 - p), 1e-3)
    delta = math.log((y_f + a) / (n_f - y_f + c)) - math.log((y_b + a) / (n_b - y_b + c))
    var = 1 / (y_f + a) + 1 / (n_f - y_f + c) + 1 / (y_b + a) + 1 / (n_b - y_b + c)
    return delta / math.sqrt(var)


def _phrases_over_parts(pool: list[_Key], fg_counts: Counter[_Key]) -> set[_Key]:
    """The terms of `pool` (best first) left after the phrase rules of the module doc."""
    bigrams = [t for t in pool if isinstance(t, tuple)]
    kept: set[_Key] = set()
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


def _text(term: _Key) -> str:
    return term if isinstance(term, str) else " ".join(term)
