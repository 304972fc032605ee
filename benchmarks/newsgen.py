"""A deterministic archive of news-like articles as RSS 2.0 files, for the search benchmark.

    python benchmarks/newsgen.py OUT_DIR [--articles 20000] [--per-file 1000]
    python benchmarks/newsgen.py --vocabulary   # rebuild data/news-vocabulary.txt

Search speed depends on the shape of the words more than on their meaning: a few words in
almost every article, a long tail of rare ones, names, phrases that recur. So the prose is
drawn word by word from a Zipf law over a real ranking (the English words of
tests/data/seed.txt, ten long articles about the CSTO, kept in data/news-vocabulary.txt so
the corpus does not move when the test data does), extended with made-up words and names
to ~50,000 types. The words the benchmark queries for are taken out of that draw and put
back by topics (the CSTO, Central Asia, the war in Ukraine, UN peacekeeping) at set rates,
with bursts on the dates the news had them, so some queries match a few hundred articles
in a million and others most of them, and the matches of one query share words the way
real coverage does (which top terms needs to mean anything).

Articles run 2015-2024 with a weekly rhythm (quiet weekends, slow holidays, growth over
the years) and three whole weeks in July 2019 with nothing at all: a collection gap that
timelines must show as a gap, not as a drop. Twelve outlets with their own languages,
authors and start or end dates; some items are republished from another outlet.

Every file is made from its own seeded generator, so files can be written in parallel and
the same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import math
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from itertools import repeat
from operator import rshift
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "GAP",
    "OUTLETS",
    "VERSION",
    "corpus_key",
    "vocabulary",
    "write_corpus",
]

VERSION = 1
"""Bump when a change alters the articles: cached archives are keyed by it."""

HERE = Path(__file__).resolve().parent
VOCAB_FILE = HERE / "data" / "news-vocabulary.txt"
SEED_TEXT = HERE.parent / "tests" / "data" / "seed.txt"

FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2024, 12, 31)
GAP = (date(2019, 7, 8), date(2019, 7, 28))
"""Three whole ISO weeks (Monday to Sunday, inclusive) in which nothing was collected."""
TYPES = 50_000
ZIPF_S = 1.0
ZIPF_Q = 2.7  # Zipf-Mandelbrot offset: "the" near 6% of words, as in English news
DRAW_BITS = 22

# -- the vocabulary ------------------------------------------------------------------------

_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:[’'][A-Za-zÀ-ÖØ-öø-ÿ]+)?")
_URLISH = re.compile(r"\S*(?:https?://|www\.)\S*")


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


CONTROLLED_PREFIXES = ("kazakh", "peacekeep", "csto", "tokay", "kyrgyz", "tajik")
"""Words starting so are placed by topics only (prefix queries count them exactly)."""
CONTROLLED = frozenset(
    _words(
        "csto kazakhstan kyrgyzstan tajikistan uzbekistan armenia belarus russia ukraine "
        "peacekeeping peacekeepers tokayev putin lukashenko pashinyan nazarbayev turkic "
        "kazakh kazakhs kazakhstani kyrgyz bishkek astana almaty dushanbe yerevan nato kyiv "
        "zelensky mali congo zhanbolatov"
    )
)


def _controlled(word: str) -> bool:
    low = word.lower()
    stem = low.split("’")[0].split("'")[0]
    return stem in CONTROLLED or stem.startswith(CONTROLLED_PREFIXES)


def count_words(text: str) -> list[tuple[str, int]]:
    """Latin-script words of `text` by frequency, each in its usual spelling: lower case
    when the word is ever written so (sentence starts aside), else its commonest form."""
    forms: dict[str, Counter[str]] = {}
    for m in _LATIN_WORD.finditer(_URLISH.sub(" ", text)):
        word = m.group()
        forms.setdefault(word.lower(), Counter())[word] += 1
    ranked: list[tuple[str, int]] = []
    for low, seen in forms.items():
        spelling = low if low in seen else seen.most_common(1)[0][0]
        ranked.append((spelling, sum(seen.values())))
    ranked.sort(key=lambda wc: (-wc[1], wc[0].lower()))
    return ranked


def write_vocabulary(seed: Path = SEED_TEXT, out: Path = VOCAB_FILE) -> int:
    ranked = count_words(seed.read_text(encoding="utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# English words of tests/data/seed.txt by frequency (count, word); "
        "made by `python benchmarks/newsgen.py --vocabulary`"
    ]
    lines += [f"{n}\t{w}" for w, n in ranked]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(ranked)


def _real_words() -> list[str]:
    words: list[str] = []
    for line in VOCAB_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.append(line.split("\t", 1)[1])
    return words


_ONSETS = _words(
    "b br c ch d dr f g gr h j k kh l m n p pr r s sh st t tr v z zh b d k l m n r s t v"
)
_VOWELS = _words("a e i o u a e i o a ai ou ia y")
_CODAS = ["", "", "", "n", "r", "s", "l", "t", "st", "nd", "k", "v", "m"]
_NAME_ENDS = [
    "",
    "",
    "",
    "ov",
    "ova",
    "ski",
    "enko",
    "yan",
    "ev",
    "ur",
    "ani",
    "ez",
    "sson",
    "berg",
]
_ACCENTED = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "í"}


def _made_up(rng: random.Random) -> str:
    name = rng.random() < 0.3
    syllables = rng.choice((1, 2, 2, 2, 3, 3) if name else (2, 2, 2, 3, 3, 4))
    word = "".join(
        rng.choice(_ONSETS)
        + rng.choice(_VOWELS)
        + (rng.choice(_CODAS) if rng.random() < 0.3 else "")
        for _ in range(syllables)
    )
    if name:
        word = (word + rng.choice(_NAME_ENDS)).capitalize()
        if rng.random() < 0.05:
            i = next((i for i, c in enumerate(word) if c in _ACCENTED), None)
            if i is not None and i > 0:
                word = word[:i] + _ACCENTED[word[i]] + word[i + 1 :]
    return word


@lru_cache(maxsize=1)
def vocabulary() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """(spellings by rank, their Zipf-Mandelbrot weights): real words first, then the
    made-up tail; words the topics place are left out."""
    words = [w for w in _real_words() if not _controlled(w)]
    seen = {w.lower() for w in words} | set(CONTROLLED)
    rng = random.Random(f"newsgen-vocabulary-{VERSION}")
    while len(words) < TYPES:
        word = _made_up(rng)
        low = word.lower()
        if low in seen or _controlled(word) or low.startswith("peace") or len(low) < 4:
            continue
        seen.add(low)
        words.append(word)
    weights = [1.0 / (r + ZIPF_Q) ** ZIPF_S for r in range(1, len(words) + 1)]
    return tuple(words), tuple(weights)


@lru_cache(maxsize=1)
def _draw_table() -> list[str]:
    """2**DRAW_BITS slots, each word in as many as its weight earns (at least a few for the
    rarest word, so the tail keeps its shape)."""
    words, weights = vocabulary()
    counts = _allocate(1 << DRAW_BITS, weights)
    return list(itertools.chain.from_iterable(map(repeat, words, counts)))


def vocabulary_digest() -> str:
    return hashlib.sha256(VOCAB_FILE.read_bytes()).hexdigest()[:8]


def corpus_key(articles: int, per_file: int = 1000) -> str:
    """Names a corpus: same key, same articles (generator version, vocabulary, size)."""
    return f"news-v{VERSION}-{vocabulary_digest()}-{articles}x{per_file}"


# -- topics: the words the queries look for, placed at set rates ----------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    words: tuple[str, ...]
    share: float  # of the topic's articles that mention it
    most: int  # up to this many times in one article
    in_title: float = 0.0  # chance the title carries it, when the article does


def _m(text: str, share: float, most: int = 2, in_title: float = 0.0) -> Mention:
    return Mention(tuple(text.split()), share, most, in_title)


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    share: float  # of all articles, before bursts and outlet leanings
    mentions: tuple[Mention, ...]
    bursts: tuple[tuple[date, date, float], ...] = ()


CSTO_NAME = _m("Collective Security Treaty Organization", 0.55, 1)
TOPICS = (
    Topic(
        "csto",
        0.018,
        (
            _m("CSTO", 0.96, 7, 0.4),
            CSTO_NAME,
            _m("peacekeeping", 0.45, 3, 0.1),
            _m("peacekeepers", 0.3, 2),
            _m("Kazakhstan", 0.6, 3, 0.15),
            _m("Kyrgyzstan", 0.45, 2, 0.1),
            _m("Tajikistan", 0.4, 2),
            _m("Armenia", 0.45, 2, 0.1),
            _m("Belarus", 0.35, 2),
            _m("Russia", 0.85, 4),
            _m("Putin", 0.5, 2),
            _m("Tokayev", 0.15, 2),
            _m("Lukashenko", 0.08, 1),
            _m("Pashinyan", 0.12, 1),
            _m("color revolution", 0.1, 1),
            _m("Turkic", 0.05, 1),
            _m("Bishkek", 0.2, 1),
            _m("Dushanbe", 0.15, 1),
            _m("Yerevan", 0.15, 1),
            _m("NATO", 0.4, 2),
            _m("military alliance", 0.3, 1),
            _m("collective defence", 0.2, 1),
        ),
        bursts=(
            (date(2022, 1, 2), date(2022, 1, 31), 8.0),
            (date(2022, 9, 12), date(2022, 9, 30), 3.0),
            (date(2020, 9, 27), date(2020, 11, 15), 2.0),
        ),
    ),
    Topic(
        "central-asia",
        0.05,
        (
            _m("Kazakhstan", 0.85, 4, 0.3),
            _m("Kyrgyzstan", 0.5, 2, 0.1),
            _m("Uzbekistan", 0.5, 2),
            _m("Tajikistan", 0.35, 2),
            _m("Tokayev", 0.12, 2, 0.2),
            _m("Kassym-Jomart Tokayev", 0.04, 1),
            _m("Kazakh", 0.45, 2),
            _m("Kazakhs", 0.12, 1),
            _m("Kazakhstani", 0.08, 1),
            _m("Kazakhstan’s", 0.2, 1),
            _m("Kyrgyz", 0.25, 1),
            _m("Bishkek", 0.25, 1),
            _m("Astana", 0.3, 1),
            _m("Almaty", 0.25, 1),
            _m("Turkic", 0.12, 1, 0.1),
            _m("Nazarbayev", 0.15, 1),
            _m("CSTO", 0.08, 1),
            _m("Collective Security Treaty Organization", 0.02, 1),
            _m("Russia", 0.6, 2),
            _m("Putin", 0.1, 1),
            _m("Zhanbolatov", 0.012, 1),
            _m("Caspian pipeline", 0.1, 1),
        ),
        bursts=((date(2022, 1, 2), date(2022, 1, 31), 3.0),),
    ),
    Topic(
        "ukraine",
        0.10,
        (
            _m("Russia", 0.9, 4, 0.3),
            _m("Ukraine", 0.9, 4, 0.4),
            _m("Kyiv", 0.5, 2),
            _m("NATO", 0.45, 2, 0.1),
            _m("Putin", 0.55, 2, 0.1),
            _m("Zelensky", 0.25, 2),
            _m("Belarus", 0.1, 1),
            _m("Lukashenko", 0.03, 1),
            _m("peacekeeping", 0.03, 1),
            _m("peacekeepers", 0.03, 1),
        ),
        bursts=((date(2022, 2, 24), date(2024, 12, 31), 3.0),),
    ),
    Topic(
        "un-peacekeeping",
        0.012,
        (
            _m("peacekeeping", 0.8, 3, 0.3),
            _m("peacekeepers", 0.6, 2, 0.2),
            _m("UN peacekeeping mission", 0.3, 1),
            _m("Mali", 0.3, 2),
            _m("Congo", 0.3, 2),
            _m("Russia", 0.1, 1),
        ),
    ),
)
GENERAL = (
    _m("the government", 0.3, 2),
    _m("prime minister", 0.15, 2),
    _m("foreign minister", 0.12, 1),
    _m("human rights", 0.1, 1),
    _m("according to", 0.35, 2),
    _m("last year", 0.25, 1),
    _m("the United States", 0.2, 2),
    _m("Russia", 0.02, 1),
    _m("NATO", 0.01, 1),
)
"""Phrases any article may carry, whatever its topic."""


def _topic_share(topic: Topic, day: date, leaning: float) -> float:
    share = topic.share * leaning
    for start, end, factor in topic.bursts:
        if start <= day <= end:
            share *= factor
    return share


# -- outlets, authors, dates -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outlet:
    host: str
    name: str
    share: float
    language: str
    leanings: dict[str, float]
    start: date = FIRST_DAY
    end: date = LAST_DAY
    authors: int = 30
    first_author: str | None = None


OUTLETS = (
    Outlet("globalwire.example", "Global Wire", 0.16, "en-US", {}, authors=60),
    Outlet(
        "steppepost.example",
        "The Steppe Post",
        0.12,
        "en-US",
        {"csto": 2.5, "central-asia": 3.0},
        authors=35,
    ),
    Outlet("eurasiamonitor.example", "Eurasia Monitor", 0.12, "en-GB", {"csto": 1.5}, authors=40),
    Outlet("thedailyledger.example", "The Daily Ledger", 0.12, "en-US", {}, authors=45),
    Outlet("worldpress-review.example", "World Press Review", 0.08, "en-US", {}, authors=30),
    Outlet(
        "strategic-culture.example",
        "Strategic Culture",
        0.06,
        "en-US",
        {"csto": 3.0, "ukraine": 1.5},
        authors=25,
        first_author="Pepe Escobar",
    ),
    Outlet(
        "caucasuswatch.example",
        "Caucasus Watch",
        0.05,
        "en-GB",
        {"csto": 2.0},
        start=date(2017, 3, 1),
        authors=15,
    ),
    Outlet(
        "balticherald.example",
        "Baltic Herald",
        0.05,
        "en-GB",
        {"ukraine": 1.5},
        end=date(2021, 3, 31),
        authors=20,
    ),
    Outlet("novosti-digest.example", "Novosti Digest", 0.07, "ru", {"csto": 1.5}, authors=30),
    Outlet("diplomatique.example", "Le Diplomatique", 0.04, "fr", {}, authors=20),
    Outlet(
        "asiatimes-wire.example",
        "Asia Times Wire",
        0.07,
        "en-US",
        {"central-asia": 1.5},
        start=date(2016, 6, 1),
        authors=35,
    ),
    Outlet(
        "bluehelmet-review.example",
        "Blue Helmet Review",
        0.06,
        "en",
        {"un-peacekeeping": 5.0},
        authors=20,
    ),
)

_FIRST_NAMES = _words(
    "Anna Pepe Paul Maria John Elena Ahmed Li Sofia David Olga Carlos Fatima James Irina "
    "Kenji Amara Lucas Nadia Peter Rick Stephen Laura Tomas Yuki Omar Hana Ivan Grace "
    "Mehmet Aigerim Nursultan Bakyt Dilnoza Farrukh Gulnara Timur Zarina Arman Madina "
    "José Zoë Łukasz Søren Chloé Mikhail Svetlana Daniel Sarah Michael Emma Thomas Julia "
    "Marco Ines Hamid Leila Viktor Natalia Rustam Saule"
)
_LAST_NAMES = _words(
    "Smith Robinson Lendman Rozoff Petrova Garcia Nguyen Kowalski Haddad Okafor Schmidt "
    "Rossi Tanaka Novak Silva Ivanova Murphy Chen Dubois Larsen Yilmaz Costa Weber Abenov "
    "Sultanova Karimov Nurpeisova Dzhaksybekov Umarov Rakhimova Tokhtarov Iskakova Müller "
    "Nuñez Ødegaard Šimić Brennan Fischer Moreau Kovalenko Hughes Bauer Lindqvist Osei "
    "Mensah Park Kaur Sharma Aliev Mamedova Grigoryan Hakobyan Volkov Orlova Baker"
)


@lru_cache(maxsize=1)
def _author_pools() -> dict[str, tuple[str, ...]]:
    """Each outlet's writers, a few hundred in all, none shared between outlets."""
    rng = random.Random(f"newsgen-authors-{VERSION}")
    names = [f"{f} {last}" for f in _FIRST_NAMES for last in _LAST_NAMES]
    rng.shuffle(names)
    pools: dict[str, tuple[str, ...]] = {}
    taken = 0
    for outlet in OUTLETS:
        pool = names[taken : taken + outlet.authors]
        taken += outlet.authors
        if outlet.first_author:
            pool = [outlet.first_author, *(n for n in pool if n != outlet.first_author)]
        pools[outlet.host] = tuple(pool)
    return pools


def _day_weight(day: date) -> float:
    if GAP[0] <= day <= GAP[1]:
        return 0.0
    weight = (1.0, 1.05, 1.05, 1.0, 0.95, 0.5, 0.4)[day.weekday()]
    weight *= 0.6 + 0.6 * (day - FIRST_DAY).days / (LAST_DAY - FIRST_DAY).days
    if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 2):
        weight *= 0.5
    if day.month == 8:
        weight *= 0.85
    return weight


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, largest remainders rounding up."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    short = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[:short]:
        counts[i] += 1
    return counts


@lru_cache(maxsize=1)
def _days() -> tuple[date, ...]:
    n = (LAST_DAY - FIRST_DAY).days + 1
    return tuple(FIRST_DAY + timedelta(days=i) for i in range(n))


def _spread(total: int, weights: Sequence[float], phase: float) -> list[int]:
    """`total` spread over days in proportion to `weights`, rounding along the running sum
    (so a quiet day still gets its article now and then); `phase` shifts where the
    roundings fall, so outlets do not all publish on the same quiet days."""
    whole = sum(weights)
    counts, running, before = [], 0.0, math.floor(phase)
    for w in weights:
        running += total * w / whole
        now = math.floor(running + phase + 1e-9)
        counts.append(now - before)
        before = now
    last = max(i for i, w in enumerate(weights) if w > 0)
    counts[last] += total - sum(counts)
    return counts


@lru_cache(maxsize=64)
def _outlet_days(articles: int, outlet_index: int) -> tuple[int, ...]:
    """Cumulative articles per day of one outlet: its k-th article is on day
    bisect_right(cum, k)."""
    outlet = OUTLETS[outlet_index]
    size = _allocate(articles, [o.share for o in OUTLETS])[outlet_index]
    weights = [_day_weight(d) if outlet.start <= d <= outlet.end else 0.0 for d in _days()]
    phase = (outlet_index * 0.618034) % 1.0
    return tuple(itertools.accumulate(_spread(size, weights, phase)))


# -- prose ------------------------------------------------------------------------------------

_SMALL = frozenset(_words("a an the of and or in on at to for by with from as is"))
_REPUBLISHED = (
    "Originally published at globalresearch.ca",
    "Source: TASS",
    "This article was first published by Eurasianet",
    "Republished from The Diplomat",
    "Source: Sputnik",
    "Originally published at rferl.org",
)
_CATEGORIES = _words(
    "Politics|World|Europe|Asia|Central Asia|Security|Analysis|Opinion|Economy|Energy|"
    "Diplomacy|Defence|Interviews",
    "|",
)
_ENDS = "." * 30 + "??!"


class _Writer:
    """Articles of one file; every choice through one generator seeded by the file.

    Words are drawn as random 32-bit numbers (bytes from the generator) looked up in a
    table where each word fills slots in proportion to its Zipf weight: one C-level pass
    per article, several times faster than a bisect per word.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lookup = _draw_table().__getitem__

    def draw(self, k: int) -> list[str]:
        raw = memoryview(self.rng.randbytes(4 * k)).cast("I")
        return list(map(self.lookup, map(rshift, raw, repeat(32 - DRAW_BITS))))

    def _number(self) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return str(self.rng.randint(1990, 2024))
        if roll < 0.8:
            return str(self.rng.randint(2, 999))
        return f"{self.rng.randint(1, 99)},{self.rng.randint(0, 999):03d}"

    def body(self, length: int, mentions: list[tuple[str, ...]]) -> list[str]:
        """Paragraphs of sentences, the mentions put at random places in them."""
        rng = self.rng
        words = self.draw(max(length - sum(len(m) for m in mentions), 20))
        for phrase in mentions:
            at = rng.randrange(len(words) + 1)
            words[at:at] = phrase
        sentences: list[str] = []
        dice = rng.randbytes(len(words) // 4 + 8)
        i = 0
        for n, roll in zip(dice[::2], dice[1::2], strict=False):
            n = 8 + n % 23
            part = words[i : i + n]
            if not part:
                break
            i += n
            if roll < 30:
                part.insert(roll % len(part), self._number())
            if len(part) > 4 and roll & 1:
                part[roll % (len(part) - 1)] += ","
            first = part[0]
            part[0] = first[0].upper() + first[1:]
            end = "?" if roll > 250 else "."
            sentence = " ".join(part) + end
            if 30 <= roll < 42:
                sentence = f"“{sentence}” {_FIRST_NAMES[roll % 60]} {_LAST_NAMES[n]} said."
            sentences.append(sentence)
        if i < len(words):
            sentences.append(" ".join(words[i:]) + ".")
        paragraphs: list[str] = []
        for roll in rng.randbytes(len(sentences)):
            if not sentences:
                break
            take = 1 + roll % 4
            paragraphs.append(" ".join(sentences[:take]))
            del sentences[:take]
        return paragraphs

    def title(self, put: list[tuple[str, ...]]) -> str:
        rng = self.rng
        words = self.draw(rng.randint(6, 11))
        for phrase in put:
            at = rng.randint(0, len(words))
            words[at:at] = phrase
        out = [
            w if (i and w.lower() in _SMALL) or not w[0].islower() else w[0].upper() + w[1:]
            for i, w in enumerate(words)
        ]
        if rng.random() < 0.15:
            out.insert(rng.randint(2, len(out)), "–")
        return " ".join(out)


def _mentions(
    rng: random.Random, day: date, outlet: Outlet
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Words to place in the text and in the title, from the article's topic (if any) and
    the everyday phrases."""
    text: list[tuple[str, ...]] = []
    title: list[tuple[str, ...]] = []
    roll = rng.random()
    chosen: Topic | None = None
    for topic in TOPICS:
        share = _topic_share(topic, day, outlet.leanings.get(topic.name, 1.0))
        if roll < share:
            chosen = topic
            break
        roll -= share
    for m in (chosen.mentions if chosen else ()) + GENERAL:
        if rng.random() < m.share:
            text.extend([m.words] * rng.randint(1, m.most))
            if m.in_title and rng.random() < m.in_title and len(title) < 2:
                title.append(m.words)
    return text, title


def _slug(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", title.lower())[:7]) or "article"


def _item(writer: _Writer, outlet: Outlet, number: int, when: datetime) -> str:
    rng = writer.rng
    text_words, title_words = _mentions(rng, when.date(), outlet)
    title = writer.title(title_words)
    length = min(max(int(rng.lognormvariate(5.68, 0.3)), 60), 1500)
    paragraphs = writer.body(length, text_words)
    if rng.random() < 0.06:
        paragraphs.append(rng.choice(_REPUBLISHED))
    pool = _author_pools()[outlet.host]
    weights = _author_weights(len(pool))
    roll = rng.random()
    authors = (
        [] if roll < 0.04 else rng.choices(pool, cum_weights=weights, k=2 if roll > 0.93 else 1)
    )
    creator = ""
    if authors:
        names = " and ".join(dict.fromkeys(authors))
        creator = f"\n<dc:creator><![CDATA[{names}]]></dc:creator>"
    link = f"https://{outlet.host}/{when:%Y/%m/%d}/{_slug(title)}-{number}/"
    cats = "".join(
        f"\n<category><![CDATA[{c}]]></category>"
        for c in rng.sample(_CATEGORIES, rng.randint(1, 3))
    )
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<item>\n<title>{escape(title)}</title>\n<link>{link}</link>{creator}\n"
        f"<pubDate>{format_datetime(when)}</pubDate>{cats}\n"
        f'<guid isPermaLink="false">https://{outlet.host}/?p={number}</guid>\n'
        f"<content:encoded><![CDATA[{body}]]></content:encoded>\n</item>\n"
    )


@lru_cache(maxsize=64)
def _author_weights(n: int) -> tuple[float, ...]:
    return tuple(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(n)))


def _write_file(job: tuple[Path, int, int, int, int]) -> tuple[str, int, int]:
    """One outlet's articles [first, first + count), newest first as feeds list them."""
    folder, articles, outlet_index, first, count = job
    outlet = OUTLETS[outlet_index]
    cum = _outlet_days(articles, outlet_index)
    days = _days()
    rng = random.Random(f"newsgen-{VERSION}:{articles}:{outlet.host}:{first}")
    writer = _Writer(rng)
    stamps = []
    for k in range(first, first + count):
        day = days[bisect.bisect_right(cum, k)]
        seconds = int(rng.triangular(4 * 3600, 86399, 11 * 3600))
        stamps.append(
            datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)
        )
    stamps.sort()
    items = [_item(writer, outlet, 100_000 + first + i, when) for i, when in enumerate(stamps)]
    items.reverse()
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{escape(outlet.name)}</title>\n<link>https://{outlet.host}/</link>\n"
        f'<atom:link href="https://{outlet.host}/feed/" rel="self" type="application/rss+xml"/>\n'
        f"<description>{escape(outlet.name)}: news and analysis</description>\n"
        f"<language>{outlet.language}</language>\n"
        f"<lastBuildDate>{format_datetime(stamps[-1])}</lastBuildDate>\n"
    )
    name = f"{stamps[0]:%Y-%m-%d}-{outlet.host.split('.')[0]}-{first:07d}.xml"
    data = (head + "".join(items) + "</channel>\n</rss>\n").encode()
    (folder / name).write_bytes(data)
    return name, count, len(data)


def _jobs(folder: Path, articles: int, per_file: int) -> Iterator[tuple[Path, int, int, int, int]]:
    sizes = _allocate(articles, [o.share for o in OUTLETS])
    for index, size in enumerate(sizes):
        for first in range(0, size, per_file):
            yield folder, articles, index, first, min(per_file, size - first)


def write_corpus(
    folder: str | Path, articles: int, *, per_file: int = 1000, workers: int | None = None
) -> list[Path]:
    """Write the corpus of `articles` into `folder` as RSS files (named so that sorting
    them orders them by date); same arguments, same bytes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    jobs = list(_jobs(folder, articles, per_file))
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(jobs) < 2:
        names = [_write_file(job)[0] for job in jobs]
    else:
        with ProcessPoolExecutor(workers) as pool:
            names = [r[0] for r in pool.map(_write_file, jobs, chunksize=1)]
    return sorted(folder / n for n in names)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out", nargs="?", help="folder to write the feed files into")
    p.add_argument("--articles", type=int, default=20_000)
    p.add_argument("--per-file", type=int, default=1000)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--vocabulary", action="store_true", help=f"rebuild {VOCAB_FILE.name}")
    args = p.parse_args(argv)
    if args.vocabulary:
        n = write_vocabulary()
        print(f"{VOCAB_FILE}: {n:,} words from {SEED_TEXT.name}")
        return
    if not args.out:
        p.error("name the folder to write into (or --vocabulary)")
    start = time.perf_counter()
    files = write_corpus(args.out, args.articles, per_file=args.per_file, workers=args.workers)
    seconds = time.perf_counter() - start
    size = sum(f.stat().st_size for f in files)
    print(
        f"{args.articles:,} articles in {len(files)} files, {size / 1e6:,.1f} MB, "
        f"{seconds:.1f}s ({args.articles / seconds:,.0f} articles/s); "
        f"key {corpus_key(args.articles, args.per_file)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
