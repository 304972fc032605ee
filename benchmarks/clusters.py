"""Syndication clusters at scale: presswatch's incremental MinHash index over 100,000
news-like articles, about 2% of them copies of another.

    python benchmarks/clusters.py [--articles 100000] [--copies 0.02] [--workers N]

The issue's target (#5): cluster 100,000 articles in under 2 minutes on this 2-core
machine; time and memory are reported. Articles are drawn from newsgen.py's Zipf prose
(deterministic; generated in parallel before the clock starts, as the archive would
already hold them). A copy takes another outlet's boilerplate, often a new headline, a
paragraph trimmed or added, a few words edited. Timed: `NearIndex.add` for every article
in publication order (shingle, sign, LSH lookup, exact verification, with texts served
by a dict standing in for the store), then `build_clusters` over the verified pairs.
The floor printed beside it is shingling alone (tokenize + hash), the work no method
can skip. A benchmark, not a test: it exits 0 whether the target is met or not.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]  # the working tree's presswatch

import newsgen  # noqa: E402

from presswatch.dedupe import Document, NearIndex, Pair, build_clusters, shingles  # noqa: E402

TARGET_N = 100_000
TARGET_S = 120.0
CHUNK = 5_000


def peak_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _chunk(job: tuple[int, int, float]) -> list[tuple[str, str, float, str, str | None]]:
    """(id, text, minutes, source, copy of) for one chunk of articles, from its own seed."""
    first, count, share = job
    rng = random.Random(f"clusters-bench-{first}")
    writer = newsgen._Writer(rng)
    hosts = [o.host for o in newsgen.OUTLETS]
    plates = {
        h: (" ".join(writer.draw(rng.randint(8, 20))), " ".join(writer.draw(rng.randint(10, 28))))
        for h in hosts
    }
    topics = [t.mentions for t in newsgen.TOPICS]
    out: list[tuple[str, str, float, str, str | None]] = []
    bodies: list[tuple[str, list[str], str]] = []
    for k in range(count):
        i = first + k
        minutes = i * 5.0 + rng.random()
        if bodies and rng.random() < share:
            oid, paragraphs, home = rng.choice(bodies[-300:])
            source = rng.choice([h for h in hosts if h != home])
            body = list(paragraphs)
            if rng.random() < 0.3 and len(body) > 3:
                del body[len(body) // 2]
            elif rng.random() < 0.4:
                body.append(" ".join(writer.draw(rng.randint(30, 80))))
            title = writer.title([])
            head, foot = plates[source]
            out.append((f"a{i}", "\n\n".join([title, head, *body, foot]), minutes, source, oid))
            continue
        mentions = [m.words for m in rng.choice(topics) if rng.random() < m.share]
        length = min(max(int(rng.lognormvariate(5.68, 0.3)), 60), 1500)
        paragraphs = writer.body(length, mentions)
        source = hosts[rng.randrange(len(hosts))]
        head, foot = plates[source]
        text = "\n\n".join([writer.title(mentions[:1]), head, *paragraphs, foot])
        bodies.append((f"a{i}", paragraphs, source))
        out.append((f"a{i}", text, minutes, source, None))
    return out


def generate(n: int, share: float, workers: int) -> list[tuple[str, str, float, str, str | None]]:
    jobs = [(first, min(CHUNK, n - first), share) for first in range(0, n, CHUNK)]
    with ProcessPoolExecutor(workers) as pool:
        return [row for part in pool.map(_chunk, jobs) for row in part]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--articles", type=int, default=TARGET_N)
    p.add_argument("--copies", type=float, default=0.02, help="share of articles that are copies")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="for generating")
    args = p.parse_args()

    started = time.perf_counter()
    rows = generate(args.articles, args.copies, args.workers)
    print(f"generated {len(rows):,} articles in {time.perf_counter() - started:.1f}s")
    base = datetime(2022, 1, 1, tzinfo=UTC)
    docs = [
        Document(i, text, base + timedelta(minutes=m), source) for i, text, m, source, _ in rows
    ]
    texts = {d.id: d.text for d in docs}
    planted = {i: of for i, _, _, _, of in rows if of}
    words = sum(len(t.split()) for t in texts.values())
    before = peak_mb()
    measured_peak = reset_peak()

    started = time.perf_counter()
    for d in docs[:20_000]:
        shingles(d.text)
    floor = (time.perf_counter() - started) / min(len(docs), 20_000)

    index = NearIndex(texts.get)
    pairs: list[Pair] = []
    started = time.perf_counter()
    for d in docs:
        pairs.extend(Pair(d.id, m.id, m.overlap) for m in index.add(d))
    indexed = time.perf_counter() - started
    clusters = build_clusters(docs, pairs, index.overlap)
    total = time.perf_counter() - started
    peak = peak_mb()

    where = {m.id: c.original for c in clusters for m in c.members}
    found = sum(1 for i, of in planted.items() if i in where and where.get(of) == where[i])
    members = sum(len(c.members) for c in clusters)
    wrong = sum(
        1 for c in clusters for m in c.members if m.id not in planted and m.id != c.original
    )
    n = len(docs)
    print(f"{n:,} articles ({words / n:,.0f} words each), {len(planted):,} planted copies")
    print(
        f"  index (shingle, sign, LSH, verify): {indexed:.1f}s, {n / indexed:,.0f} articles/s; "
        f"clusters: {total - indexed:.1f}s"
    )
    print(
        f"  {len(pairs):,} verified pairs, {len(clusters):,} clusters, {members:,} members; "
        f"planted copies found {found:,}/{len(planted):,} ({found / max(len(planted), 1):.1%}); "
        f"members not planted and not an original: {wrong}"
    )
    print(
        f"  floor, shingling alone: {floor * 1e6:,.0f} us/article = {floor * n:.1f}s for {n:,} "
        f"(presswatch / floor: {total / (floor * n):.1f}x)"
    )
    note = " (indexing only; texts held as the store)" if measured_peak else " (whole run)"
    print(f"  peak RSS {peak:,.0f} MB{note}; {before:,.0f} MB before, with the texts in memory")
    scale = "" if n >= TARGET_N else f" [target set at {TARGET_N:,}; this run has {n:,}]"
    verdict = "MET" if total < TARGET_S * n / TARGET_N else "MISSED"
    print(
        f"\ntarget: {TARGET_N:,} articles clustered in < {TARGET_S:.0f}s: {total:.1f}s "
        f"({total / (TARGET_S * n / TARGET_N):.2f}x the target) {verdict}{scale}"
    )


if __name__ == "__main__":
    main()
