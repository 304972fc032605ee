"""Enrichment speed: presswatch's entity pass and its whole enrichment, beside spaCy's own
`nlp.pipe` with the same model and components (the floor).

    python benchmarks/enrich.py [--articles 2000] [--keep]

The issue's target (#5): the whole enrichment at most 25% slower than spaCy alone, using
both cores. Articles are news-like English made from the seed feed's paragraphs (real
names, quotes and places), 8 paragraphs each, drawn deterministically. Three figures:

1. the floor: `nlp.pipe` over the texts, nothing else (one process);
2. presswatch's entity pass without storage: the same `nlp.pipe`, then resolving names
   to entities, quotes and speakers, and key phrases (one process);
3. `presswatch enrich` on an archive holding the articles: language, syndication and
   entities, everything stored.

A benchmark, not a test: it exits 0 whether the target is met or not.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
SEED = HERE.parent / "tests" / "data" / "seed.txt"


def texts(n: int) -> list[str]:
    """n articles of 8 seed paragraphs each, the same every run."""
    from presswatch import open_archive

    with tempfile.TemporaryDirectory() as folder, open_archive(f"{folder}/seed.db") as seed:
        seed.ingest([str(SEED)])
        paragraphs = [
            p.strip() for a in seed.articles() for p in a.text.split("\n\n") if len(p) > 200
        ]
    rng = random.Random(5)
    return ["\n\n".join(rng.sample(paragraphs, 8)) for _ in range(n)]


def feed(articles: list[str], path: Path) -> None:
    start = datetime(2022, 1, 1, tzinfo=UTC)
    items = "".join(
        f"<item><title>Article {i}</title><link>https://bench.example/{i}</link>"
        f"<pubDate>{format_datetime(start + timedelta(hours=i))}</pubDate>"
        f"<description>{escape(text)}</description></item>"
        for i, text in enumerate(articles)
    )
    path.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
        f"<link>https://bench.example/</link>{items}</channel></rss>",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive")
    args = parser.parse_args()

    from presswatch import open_archive
    from presswatch.enrich.entities import resolve
    from presswatch.enrich.entities_enricher import key_phrases, load_model
    from presswatch.enrich.model import Span
    from presswatch.enrich.quotes import find_quotes

    articles = texts(args.articles)
    nlp = load_model()
    list(nlp.pipe(articles[:20]))  # warm up
    print(f"{len(articles):,} articles of ~{sum(map(len, articles)) // len(articles):,} chars")

    started = time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(articles, batch_size=16))
    floor = time.perf_counter() - started
    print(
        f"spaCy nlp.pipe alone: {floor:.1f} s = {len(articles) / floor:,.1f} articles/s, "
        f"{tokens / floor:,.0f} tokens/s"
    )

    started = time.perf_counter()
    for text, doc in zip(articles, nlp.pipe(articles, batch_size=16), strict=True):
        spans = [Span(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents]
        mentions, _ = resolve(text, spans)
        find_quotes(text, mentions)
        key_phrases([c.text for c in doc.noun_chunks])
    ours = time.perf_counter() - started
    print(
        f"entity pass (spaCy + names + quotes + key phrases, not stored): {ours:.1f} s = "
        f"{len(articles) / ours:,.1f} articles/s: {ours / floor:.2f}x the floor"
    )

    folder = Path(tempfile.mkdtemp(prefix="pw-enrich-bench-"))
    try:
        feed(articles, folder / "bench.xml")
        with open_archive(folder / "bench.db") as archive:
            archive.ingest([str(folder / "bench.xml")])
            started = time.perf_counter()
            counts = archive.enrich()
            whole = time.perf_counter() - started
        done = ", ".join(f"{c.enricher} {c.done}" for c in counts)
        print(
            f"presswatch enrich (language, syndication, entities; stored): {whole:.1f} s = "
            f"{len(articles) / whole:,.1f} articles/s ({done}): {whole / floor:.2f}x the floor"
        )
        verdict = "MET" if whole <= 1.25 * floor else "MISSED"
        print(f"  {verdict}  whole enrichment <= 1.25x spaCy alone: {whole / floor:.2f}x")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
