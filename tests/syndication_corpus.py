"""A deterministic synthetic test set for syndication clusters.

Originals are news-like articles drawn from benchmarks/newsgen.py's Zipf prose. Each is
copied by other outlets the way syndication really changes a text: the outlet's own
boilerplate header and footer, often a new headline, a paragraph trimmed or added, a few
words edited; some outlets post the same item twice (exact duplicates within a source),
and some copies say where they were republished from. Around them: unrelated articles,
and hard negatives that are not copies but look close: articles on the same topic built
from the same names and phrases, follow-ups that quote one paragraph of an original, and
short items that are little more than their outlet's boilerplate.

Every document's text is its headline, then its paragraphs, as the archive's clean text
is; `group` is the original's index for an original and its copies, None otherwise.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import newsgen

from presswatch.dedupe import Document

SOURCES = tuple(o.host for o in newsgen.OUTLETS)
_START = datetime(2022, 1, 3, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Labelled:
    doc: Document
    group: int | None
    kind: str  # original, copy, duplicate, unrelated, same-topic, follow-up, boilerplate


def _boilerplate(rng: random.Random, writer: newsgen._Writer) -> tuple[str, str]:
    """An outlet's header and footer: fixed lines it puts on every article."""
    head = " ".join(writer.draw(rng.randint(8, 20)))
    foot = " ".join(writer.draw(rng.randint(10, 28)))
    return f"{head.capitalize()}.", f"{foot.capitalize()}."


def _compose(title: str, head: str, paragraphs: list[str], foot: str) -> str:
    return "\n\n".join([title, head, *paragraphs, foot])


def _edit(rng: random.Random, writer: newsgen._Writer, paragraphs: list[str]) -> list[str]:
    out = list(paragraphs)
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(len(out))
        words = out[i].split()
        words[rng.randrange(len(words))] = writer.draw(1)[0]
        out[i] = " ".join(words)
    return out


def build(seed: int = 5, originals: int = 50, unrelated: int = 520) -> list[Labelled]:
    """Articles in arrival order: `originals` stories each copied
    3-6 times, among `unrelated` other articles and the hard negatives."""
    rng = random.Random(f"syndication-{seed}")
    writer = newsgen._Writer(rng)
    plate = {s: _boilerplate(rng, writer) for s in SOURCES}
    topics = [t.mentions for t in newsgen.TOPICS]
    out: list[Labelled] = []
    serial = 0

    def add(source: str, when: datetime, text: str, group: int | None, kind: str,
            republished: str | None = None) -> None:  # fmt: skip
        nonlocal serial
        serial += 1
        doc = Document(f"{kind[:3]}-{serial:05d}", text, when, source, republished)
        out.append(Labelled(doc, group, kind))

    for g in range(originals):
        mentions = [m.words for m in rng.choice(topics) if rng.random() < m.share]
        length = min(max(int(rng.lognormvariate(5.68, 0.35)), 110), 900)
        paragraphs = writer.body(length, mentions)
        while len(paragraphs) < 3:
            paragraphs += writer.body(60, [])
        title = writer.title(mentions[:1])
        home = rng.choice(SOURCES)
        t0 = _START + timedelta(hours=17 * g)
        add(home, t0, _compose(title, *plate[home][:1], paragraphs, plate[home][1]), g,
            "original")  # fmt: skip
        others = [s for s in SOURCES if s != home]
        for k, source in enumerate(rng.sample(others, rng.randint(3, 6))):
            body = list(paragraphs)
            roll = rng.random()
            if roll < 0.3 and len(body) > 3:
                del body[rng.choice((0, len(body) - 1, len(body) // 2))]
            elif roll < 0.6:
                body.insert(rng.randint(0, len(body)), " ".join(writer.draw(rng.randint(30, 80))))
            if rng.random() < 0.6:
                body = _edit(rng, writer, body)
            headline = writer.title(mentions[:1]) if rng.random() < 0.5 else title
            republished = home if rng.random() < 0.15 else None
            # A copy that names its source may reach us before the original does.
            when = t0 + timedelta(minutes=rng.randint(-90 if republished else 5, 48 * 60))
            add(source, when, _compose(headline, plate[source][0], body, plate[source][1]), g,
                "copy", republished)  # fmt: skip
            if k == 0 and g % 5 == 0:
                add(source, when + timedelta(hours=1), out[-1].doc.text, g, "duplicate")
        if g % 2 == 0:  # same topic, same names, not a copy
            story = writer.body(length, mentions)
            add(rng.choice(others), t0 + timedelta(hours=3),
                _compose(writer.title(mentions[:1]), *plate[others[0]][:1], story,
                         plate[others[0]][1]), None, "same-topic")  # fmt: skip
        if g % 3 == 0:  # a follow-up quoting one paragraph
            quoted = max(paragraphs, key=len)
            story = writer.body(rng.randint(250, 500), mentions)
            story.insert(1, quoted)
            add(rng.choice(SOURCES), t0 + timedelta(days=1),
                _compose(writer.title(mentions[:1]), plate[home][0], story, plate[home][1]),
                None, "follow-up")  # fmt: skip
    for i in range(unrelated):
        source = SOURCES[i % len(SOURCES)]
        head, foot = plate[source]
        when = _START + timedelta(minutes=97 * i)
        if i % 10 == 0:  # a brief: little more than the outlet's boilerplate
            text = _compose(writer.title([]), head, [" ".join(writer.draw(12))], foot)
            add(source, when, text, None, "boilerplate")
            continue
        mentions = [m.words for m in rng.choice(topics) if rng.random() < m.share]
        length = min(max(int(rng.lognormvariate(5.68, 0.35)), 60), 1500)
        text = _compose(writer.title(mentions[:1]), head, writer.body(length, mentions), foot)
        add(source, when, text, None, "unrelated")
    rng.shuffle(out)
    out.sort(key=lambda item: item.doc.published or _START)
    return out
