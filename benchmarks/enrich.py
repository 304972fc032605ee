"""Enrichment speed: presswatch's entity pass and its whole enrichment, beside spaCy's own
`nlp.pipe` with the same model and components (the floor), in one process and on two.

    python benchmarks/enrich.py [--articles 2000] [--workers N] [--keep]

The issue's target (#5): the whole enrichment at most 25% slower than spaCy alone, using
both cores. Articles are news-like English made from the seed feed's paragraphs (real
names, quotes and places), 8 paragraphs each, drawn deterministically. The figures:

1. the floors: `nlp.pipe` over the texts, nothing else, in one process and with
   `n_process=2` (spaCy's own use of both cores, its workers started by the call);
2. `presswatch.enrich.parallel.pipe` alone: the same model on a pool of worker
   processes that outlives a batch (the first call includes starting the pool);
3. presswatch's entity pass without storage: that pipe, then resolving names to
   entities, quotes and speakers, and key phrases;
4. `presswatch enrich` on an archive holding the articles: language, syndication and
   entities, everything stored.

The target is judged against spaCy on two processes (the same cores for both); the ratio
to one process is printed too. A benchmark, not a test: it exits 0 either way. Figures
are wall-clock seconds, so run it on a quiet machine (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
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


def rate(label: str, seconds: float, n: int, tokens: int | None = None) -> None:
    per_token = f", {tokens / seconds:,.0f} tokens/s" if tokens else ""
    print(f"{label}: {seconds:.1f} s = {n / seconds:,.1f} articles/s{per_token}")


def floor(nlp: Any, articles: list[str], processes: int) -> tuple[float, int]:
    """spaCy's own nlp.pipe over the texts, nothing else: (seconds, tokens)."""
    started = time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(articles, batch_size=16, n_process=processes))
    seconds = time.perf_counter() - started
    label = (
        "1 process (floor)" if processes == 1 else f"n_process={processes} (floor on both cores)"
    )
    rate(f"spaCy nlp.pipe, {label}", seconds, len(articles), tokens)
    return seconds, tokens


def ratios(seconds: float, one: float, two: float) -> str:
    return f"{seconds / two:.2f}x spaCy on 2 processes, {seconds / one:.2f}x on 1"


def entity_pass(nlp: Any, articles: list[str]) -> None:
    from presswatch.enrich import parallel
    from presswatch.enrich.entities import resolve
    from presswatch.enrich.entities_enricher import key_phrases
    from presswatch.enrich.model import Span
    from presswatch.enrich.quotes import find_quotes

    for text, doc in zip(articles, parallel.pipe(nlp, articles, batch_size=16), strict=True):
        spans = [Span(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents]
        mentions, _ = resolve(text, spans)
        find_quotes(text, mentions)
        key_phrases([c.text for c in doc.noun_chunks])


def wired() -> bool:
    """Whether the entity enricher runs its model through parallel.pipe."""
    import inspect

    from presswatch.enrich import entities_enricher

    return "parallel" in inspect.getsource(entities_enricher)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", type=int, help="worker processes (default: one per CPU)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive")
    args = parser.parse_args()
    if args.workers:
        os.environ["PRESSWATCH_NLP_WORKERS"] = str(args.workers)

    from presswatch import open_archive
    from presswatch.enrich import parallel
    from presswatch.enrich.entities_enricher import load_model

    articles = texts(args.articles)
    n = len(articles)
    nlp = load_model()
    list(nlp.pipe(articles[:20]))  # warm up
    print(
        f"{n:,} articles of ~{sum(map(len, articles)) // n:,} chars; {os.cpu_count()} CPUs, "
        f"{parallel.workers()} workers; load average {os.getloadavg()[0]:.1f} at start"
    )

    one, tokens = floor(nlp, articles, 1)
    two, _ = floor(nlp, articles, 2)

    started = time.perf_counter()
    pooled = sum(len(doc) for doc in parallel.pipe(nlp, articles, batch_size=16))
    first = time.perf_counter() - started
    assert pooled == tokens, (pooled, tokens)
    rate("presswatch parallel.pipe, pool started", first, n, tokens)
    print(f"  {ratios(first, one, two)}")

    started = time.perf_counter()
    entity_pass(nlp, articles)
    ours = time.perf_counter() - started
    rate("entity pass (parallel.pipe + names + quotes + key phrases, not stored)", ours, n)
    print(f"  {ratios(ours, one, two)}")
    parallel.close()  # the whole enrichment starts its own pool, as `presswatch enrich` does

    folder = Path(tempfile.mkdtemp(prefix="pw-enrich-bench-"))
    try:
        feed(articles, folder / "bench.xml")
        with open_archive(folder / "bench.db") as archive:
            archive.ingest([str(folder / "bench.xml")])
            started = time.perf_counter()
            counts = archive.enrich()
            whole = time.perf_counter() - started
        done = ", ".join(f"{c.enricher} {c.done}" for c in counts)
        rate(f"presswatch enrich (language, syndication, entities; stored: {done})", whole, n)
        print(f"  {ratios(whole, one, two)}")
        if not wired():
            print("  (the entity enricher does not use parallel.pipe yet: one process)")
        print("the floors again, the best of two runs kept (a machine's load drifts):")
        one = min(one, floor(nlp, articles, 1)[0])
        two = min(two, floor(nlp, articles, 2)[0])
        print(f"  parallel.pipe: {ratios(first, one, two)}")
        print(f"  entity pass: {ratios(ours, one, two)}")
        print(f"  presswatch enrich: {ratios(whole, one, two)}")
        for base, name in ((two, "spaCy on 2 processes"), (one, "spaCy on 1 process")):
            verdict = "MET" if whole <= 1.25 * base else "MISSED"
            print(f"  {verdict}  whole enrichment <= 1.25x {name}: {whole / base:.2f}x")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        parallel.close()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
