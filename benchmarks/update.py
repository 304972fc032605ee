"""Update throughput: `presswatch update` over 1,000 live feeds, beside `reader`'s update_feeds.

    python benchmarks/update.py [--feeds 1000] [--items 50] [--words 300] [--hosts 200]
                                [--reader-workers 1,8] [--reader-feeds N] [--skip-reader]
                                [--profile] [--data DIR] [--keep]

The issue's targets (#4): the first update of 1,000 feeds of 50 items at least 10x
reader's update_feeds on the same server (measured here before: 200 feeds in 9.6 s, about
21 feeds/s), and the second update, where every feed answers 304, at least 200 feeds/s.

The feeds are WordPress-like RSS 2.0 (feedgen.py: titles, links, guids, pubDates,
excerpts, content:encoded of ~300 words; the same bytes every run), served by
feedserver.py in its own process, so it does not compete for the GIL, from 200 loopback
addresses (127.0.1.1 ... 127.0.1.200, 5 feeds each; 127.0.0.1 alone where those cannot be
bound), gzip-compressed, with ETag and Last-Modified, answering 304 to a matching
conditional request. Its own capacity is measured first, and its CPU time in every round
is printed, so a slow figure cannot be the server's fault unnoticed.

presswatch: a fresh SQLite archive, every URL subscribed (not timed), then
Collector(archive, settings, full_text=False).update(all sources) with the default fetch
settings (the SSRF policy allowing loopback), timed from the call to the collector's
close: fetch, parse (worker processes), store, and the search-index catch-up that ends
every update (part of "current and searchable"; its share is timed on its own). Full-text
page fetching is off because these items carry their full text. Two references say where
the time goes: the HTTP client alone on the same URLs, and the same feeds ingested from
files (the pipeline without HTTP). --profile runs both rounds again under py-spy.

reader: a fresh database, add_feed for every URL (not timed), then update_feeds timed at
each --reader-workers; the best figure is the baseline. scheduled=False, as presswatch's
update checks every source: reader 3.21+ otherwise skips feeds not yet due, which would
make its 304 round a no-op. reader keeps no search index (enable_search is off).

Every round runs in its own child process, so its peak memory is its own (presswatch: the
main process plus the sum of each helper process's peak). The server counts requests by
status, so each round is checked (50,000 articles stored and searchable; 1,000 x 304 and
every source "unchanged"). A benchmark, not a test: it exits 0 either way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]  # the working tree's presswatch, uninstalled

from feedserver import FeedServer, counted, probe  # noqa: E402

FIRST_FACTOR = 10.0  # the first update, against reader
NOT_MODIFIED_RATE = 200.0  # feeds/s, the 304 round
READER_BEFORE = (200, 9.6)  # feeds, seconds: the issue's own measurement of reader
CHILD_TIMEOUT = 3600
PY_SPY_RATE = 200  # samples a second
CHILDREN = ("presswatch", "client", "files", "reader")


# -- memory ----------------------------------------------------------------------------------


def _status_kb(pid: int | str, field: str) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def peak_mb() -> float:
    """This process's peak RSS (VmHWM), else ru_maxrss."""
    kb = _status_kb("self", "VmHWM")
    if not kb:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024


def descendants_peak_mb() -> tuple[float, int]:
    """The sum of each live descendant's own peak RSS (an upper bound of their peak
    together), and how many there are. presswatch's parse workers come from a forkserver,
    so they are grandchildren, which getrusage does not see."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
    me = os.getpid()
    total, count = 0, 0
    for pid in parents:
        walker = pid
        while walker in parents and walker not in (me, 0, 1):
            walker = parents[walker]
        if walker == me and pid != me:
            total += _status_kb(pid, "VmHWM")
            count += 1
    return total / 1024, count


# -- the rounds, each inside a child process -------------------------------------------------


def round_presswatch(db: str) -> dict[str, Any]:
    from presswatch import open_archive
    from presswatch.collect.collector import Collector
    from presswatch.fetch.client import FetchSettings
    from presswatch.fetch.safety import parse_policy

    settings = FetchSettings(policy=parse_policy("loopback"))
    archive = open_archive(db)
    states = archive.store.source_states()
    before = archive.count()
    service = archive.search_service
    catch_up = service.catch_up
    in_index = [0.0]

    def timed_catch_up(*args: Any, **kwargs: Any) -> int:
        start = time.perf_counter()
        done = int(catch_up(*args, **kwargs))
        in_index[0] += time.perf_counter() - start
        return done

    service.catch_up = timed_catch_up  # type: ignore[method-assign]
    start = time.perf_counter()
    collector = Collector(archive, settings, full_text=False)
    reports = collector.update(states)
    update_s = time.perf_counter() - start
    workers_mb, workers = descendants_peak_mb()
    collector.close()
    seconds = time.perf_counter() - start
    after = archive.count()
    pending = archive.store.count_search_pending()  # left for the index: 0 when searchable
    indexed = service.index.doc_count()
    archive.close()
    statuses = Counter(r.status for r in reports)
    per_host = Counter(urlsplit(s.fetch_url).hostname for s in states)
    busiest = max(per_host.values(), default=0)
    problems = [f"{r.url}: {r.status}: {r.error}" for r in reports if r.error][:3]
    return {
        "feeds": len(states),
        "seconds": seconds,
        "update_s": update_s,
        "index_s": in_index[0],
        "indexed": indexed,
        "pending": pending,
        "articles": after - before,
        "stored": after,
        "new": sum(r.counts.new for r in reports),
        "statuses": dict(statuses),
        "problems": problems,
        "peak_mb": peak_mb() + workers_mb,
        "main_mb": peak_mb(),
        "workers_mb": workers_mb,
        "workers": workers,
        "per_host": settings.per_host,
        "total": settings.total,
        "host_spacing": settings.host_spacing,
        "spacing_floor_s": max(0, busiest - 1) * settings.host_spacing,
        "busiest": busiest,
    }


def round_client(urls: list[str]) -> dict[str, Any]:
    """presswatch's HTTP client alone on the same URLs (in the order update takes them,
    all at once, the same settings): a full round, then a conditional one."""
    import asyncio

    from presswatch.fetch.client import FetchResult, FetchSettings, HttpClient
    from presswatch.fetch.safety import parse_policy

    settings = FetchSettings(policy=parse_policy("loopback"))
    ordered = sorted(urls)  # source_states comes sorted by address

    async def fetch_all(known: dict[str, FetchResult]) -> list[FetchResult]:
        async with HttpClient(settings) as client:
            return await asyncio.gather(
                *(
                    client.fetch(
                        u,
                        etag=known[u].etag if u in known else None,
                        last_modified=known[u].last_modified if u in known else None,
                    )
                    for u in ordered
                )
            )

    start = time.perf_counter()
    first = asyncio.run(fetch_all({}))
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    second = asyncio.run(fetch_all({r.url: r for r in first}))
    second_s = time.perf_counter() - start
    return {
        "feeds": len(ordered),
        "seconds": first_s,
        "seconds_304": second_s,
        "ok": sum(r.ok for r in first),
        "not_modified": sum(r.not_modified for r in second),
        "mb": sum(len(r.body) for r in first) / 1e6,
        "peak_mb": peak_mb(),
    }


def round_files(db: str, folder: str) -> dict[str, Any]:
    """The same feeds from disk through archive.ingest (its search-index catch-up
    included): the pipeline without HTTP."""
    from presswatch import open_archive

    archive = open_archive(db)
    service = archive.search_service
    catch_up = service.catch_up
    in_index = [0.0]

    def timed_catch_up(*args: Any, **kwargs: Any) -> int:
        start = time.perf_counter()
        done = int(catch_up(*args, **kwargs))
        in_index[0] += time.perf_counter() - start
        return done

    service.catch_up = timed_catch_up  # type: ignore[method-assign]
    start = time.perf_counter()
    reports = archive.ingest([folder])
    seconds = time.perf_counter() - start
    stored = archive.count()
    archive.close()
    return {
        "feeds": len(reports),
        "seconds": seconds,
        "index_s": in_index[0],
        "articles": stored,
        "failed": sum(r.status == "failed" for r in reports),
        "peak_mb": peak_mb(),
    }


def import_reader() -> None:
    import importlib

    try:
        importlib.import_module("sgmllib")
    except ImportError:  # reader's vendored feedparser wants sgmllib3k; feedparser 6.0.12+ ships
        import feedparser_sgmllib  # the same module under this name instead

        sys.modules["sgmllib"] = feedparser_sgmllib
    import reader._parser.feedparser  # noqa: F401  (reader loads it lazily, on first update)


def round_reader(db: str, urls: list[str], workers: int) -> dict[str, Any]:
    import_reader()
    from reader import make_reader

    rdr = make_reader(db)
    before = rdr.get_entry_counts().total or 0
    if not before:
        for url in urls:
            rdr.add_feed(url, exist_ok=True)
    feeds = len(list(rdr.get_feeds()))
    start = time.perf_counter()
    rdr.update_feeds(workers=workers, scheduled=False)
    seconds = time.perf_counter() - start
    after = rdr.get_entry_counts().total or 0
    failed = [f for f in rdr.get_feeds() if f.last_exception is not None]
    rdr.close()
    return {
        "feeds": feeds,
        "seconds": seconds,
        "articles": after - before,
        "stored": after,
        "problems": [f"{f.url}: {f.last_exception}" for f in failed[:3]],
        "failed": len(failed),
        "peak_mb": peak_mb(),
        "workers": workers,
    }


def child(args: argparse.Namespace) -> None:
    urls = Path(args.urls).read_text().split() if args.urls else []
    if args.child == "presswatch":
        result = round_presswatch(args.db)
    elif args.child == "client":
        result = round_client(urls)
    elif args.child == "files":
        result = round_files(args.db, args.folder)
    else:
        result = round_reader(args.db, urls, args.workers)
    print(json.dumps(result))


# -- the parent -------------------------------------------------------------------------------


def spawn(
    kind: str,
    db: Path,
    urls: Path,
    workers: int = 1,
    profile: Path | None = None,
    folder: Path | None = None,
) -> dict[str, Any] | str:
    """One round in a fresh interpreter; its figures, or why it failed."""
    cmd = [sys.executable, __file__, "--child", kind, "--db", str(db), "--urls", str(urls)]
    cmd += ["--workers", str(workers), "--folder", str(folder or "")]
    if profile is not None:
        spy = ["py-spy", "record", "--subprocesses", "--format", "raw", "-r", str(PY_SPY_RATE)]
        cmd = [*spy, "-o", str(profile), "--", *cmd]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"did not finish in {CHILD_TIMEOUT} s"
    if proc.stderr.strip() and (profile is None or proc.returncode):
        sys.stderr.write(proc.stderr[-4000:])
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return f"failed (exit {proc.returncode})"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measured(server: FeedServer, *spawn_args: Any, **spawn_kwargs: Any) -> dict[str, Any] | str:
    """A round with the server's counts for it (requests by status, CPU seconds)."""
    with counted(server) as seen:
        result = spawn(*spawn_args, **spawn_kwargs)
    if isinstance(result, dict):
        result["server"] = seen
    return result


def load() -> str:
    with contextlib.suppress(OSError):
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
    return "load unknown"


def per_s(count: float, seconds: float) -> float:
    return count / max(seconds, 1e-9)


def server_capacity(server: FeedServer) -> None:
    """What the server does with one Python client on the other core; the CPU it spends
    per request says what it could do with a core of its own."""
    n = min(4000, 4 * len(server.urls))
    with counted(server) as full:
        seconds, statuses, etags = probe(server.urls, n)
    with counted(server) as cond:
        seconds_304, statuses_304, _ = probe(server.urls, n, etags=etags)
    print("server capacity (a bare asyncio keep-alive client, 32 connections, asking gzip):")
    for label, secs, stats, seen in (
        ("full feeds", seconds, statuses, full),
        ("304s      ", seconds_304, statuses_304, cond),
    ):
        got = sum(stats.values())
        cpu_us = 1e6 * seen["cpu_s"] / max(seen["requests"], 1)
        print(
            f"  {label}: {got:,} requests in {secs:.2f}s = {per_s(got, secs):,.0f}/s "
            f"(statuses {dict(stats)}); server CPU {cpu_us:,.0f} us a request "
            f"= ~{1e6 / max(cpu_us, 1e-9):,.0f}/s on one core"
        )


def server_line(result: dict[str, Any]) -> str:
    seen = result["server"]
    statuses = ", ".join(f"{n:,}x{code}" for code, n in seen["status"].items()) or "none"
    share = 100 * seen["cpu_s"] / max(result["seconds"], 1e-9)
    return (
        f"server: {seen['requests']:,} requests ({statuses}, {seen['conditional']:,} "
        f"conditional, {seen['connections']:,} connections), {seen['body_bytes'] / 1e6:,.1f} "
        f"MB sent, CPU {seen['cpu_s']:.2f}s = {share:.0f}% of one core over the round"
    )


def row(label: str, result: dict[str, Any] | str) -> str:
    if isinstance(result, str):
        return f"{label:<34}{result}"
    return (
        f"{label:<34}{result['feeds']:>7,}{result['seconds']:>9.2f}"
        f"{per_s(result['feeds'], result['seconds']):>9,.1f}{result['articles']:>10,}"
        f"{per_s(result['articles'], result['seconds']):>12,.0f}{result['peak_mb']:>10,.0f}"
    )


def header() -> str:
    head = f"{'round':<34}{'feeds':>7}{'seconds':>9}{'feeds/s':>9}{'articles':>10}"
    head += f"{'articles/s':>12}{'peak MB':>10}"
    return head + "\n" + "-" * len(head)


def run_presswatch(
    server: FeedServer, work: Path, urls: Path, folder: Path, expect: int, profile: bool
) -> tuple[dict[str, Any] | str, dict[str, Any] | str]:
    from presswatch import open_archive

    db = work / "presswatch.db"
    archive = open_archive(str(db))
    now = datetime.now(UTC)
    with archive.store.transaction():
        for url in server.urls:
            archive.store.subscribe(url, now=now)
    archive.close()
    print(f"\npresswatch: {len(server.urls):,} sources subscribed in {db} (not timed)")
    first = measured(server, "presswatch", db, urls)
    report_presswatch("first update", first, expect, "ok")
    second = measured(server, "presswatch", db, urls)
    report_presswatch("second update (all 304)", second, 0, "unchanged")
    split(work, urls, folder, first, second)
    if profile:
        profiles(server, work, urls)
    return first, second


def report_presswatch(label: str, result: dict[str, Any] | str, expect: int, status: str) -> None:
    if isinstance(result, str):
        print(f"  {label}: {result}")
        return
    feeds = result["feeds"]
    print(
        f"  {label}: {feeds:,} feeds in {result['seconds']:.2f}s = "
        f"{per_s(feeds, result['seconds']):,.1f} feeds/s, {result['articles']:,} new articles "
        f"= {per_s(result['articles'], result['seconds']):,.0f}/s"
    )
    store_s = result["update_s"] - result["index_s"]
    close_s = result["seconds"] - result["update_s"]
    print(
        f"    fetch+parse+store {store_s:.2f}s, search index catch-up {result['index_s']:.2f}s, "
        f"collector close {close_s:.2f}s; the index then holds {result['indexed']:,} articles"
    )
    print(
        f"    peak RSS {result['peak_mb']:,.0f} MB = main {result['main_mb']:,.0f} MB + "
        f"{result['workers']} helper processes {result['workers_mb']:,.0f} MB (each at its peak)"
    )
    print(f"    {server_line(result)}")
    print(
        f"    settings (defaults): per_host {result['per_host']}, total {result['total']}, "
        f"host_spacing {result['host_spacing']}s (with {result['busiest']} feeds a host: "
        f"{result['spacing_floor_s']:.2f}s at least), full_text off"
    )
    checks = []
    if result["statuses"] != {status: feeds}:
        checks.append(f"expected {feeds:,} x {status!r}, got {result['statuses']}")
    if result["articles"] != expect:
        checks.append(f"expected {expect:,} new articles, got {result['articles']:,}")
    if status == "unchanged" and result["server"]["status"].get("304", 0) != feeds:
        checks.append(f"the server answered {result['server']['status']}, not {feeds:,} x 304")
    if result["pending"] or result["indexed"] != result["stored"]:
        checks.append(
            f"not all searchable: {result['indexed']:,} indexed of {result['stored']:,}, "
            f"{result['pending']:,} still pending"
        )
    for problem in result["problems"]:
        checks.append(problem)
    print("    check: " + ("OK" if not checks else "PROBLEM: " + "; ".join(checks)))


def split(
    work: Path,
    urls: Path,
    folder: Path,
    first: dict[str, Any] | str,
    second: dict[str, Any] | str,
) -> None:
    """Two references that say where an update's time goes: the HTTP client alone, and
    the same feeds ingested from files (the pipeline without HTTP)."""
    print("  where the time goes:")
    client = spawn("client", work / "unused.db", urls)
    if isinstance(client, str):
        print(f"    HTTP client alone: {client}")
    else:
        shares = ""
        if isinstance(first, dict) and isinstance(second, dict):
            shares = (
                f" ({100 * client['seconds'] / first['seconds']:.0f}% and "
                f"{100 * client['seconds_304'] / second['seconds']:.0f}% of the two updates)"
            )
        print(
            f"    HTTP client alone, same URLs and settings, nothing parsed or stored: "
            f"{client['feeds']:,} feeds in {client['seconds']:.2f}s "
            f"({client['ok']:,} ok, {client['mb']:,.0f} MB decompressed), then "
            f"{client['seconds_304']:.2f}s conditional ({client['not_modified']:,} x 304)"
            f"{shares}"
        )
    files = spawn("files", work / "from-files.db", urls, folder=folder)
    if isinstance(files, str):
        print(f"    the same feeds from files: {files}")
        return
    print(
        f"    the same feeds from files (archive.ingest of the folder, no HTTP): "
        f"{files['feeds']:,} files in {files['seconds']:.2f}s = "
        f"{per_s(files['articles'], files['seconds']):,.0f} articles/s, of which search "
        f"index {files['index_s']:.2f}s; peak RSS {files['peak_mb']:,.0f} MB (main process)"
    )
    if files["failed"] or (isinstance(first, dict) and files["articles"] != first["stored"]):
        print(f"    NOTE: {files['failed']} files failed, {files['articles']:,} articles stored")


def profiles(server: FeedServer, work: Path, urls: Path) -> None:
    """Both rounds again on a fresh archive under py-spy; the hottest frames."""
    if shutil.which("py-spy") is None:
        print("  --profile: py-spy is not installed (pip install py-spy)")
        return
    from presswatch import open_archive

    db = work / "profiled.db"
    archive = open_archive(str(db))
    with archive.store.transaction():
        for url in server.urls:
            archive.store.subscribe(url, now=datetime.now(UTC))
    archive.close()
    for name in ("first", "second"):
        out = work / f"py-spy-{name}.txt"
        result = measured(server, "presswatch", db, urls, profile=out)
        took = f"{result['seconds']:.2f}s" if isinstance(result, dict) else result
        print(f"\n  py-spy, {name} update ({took} under the profiler), {out}:")
        print_hot(out)


def print_hot(raw: Path, top: int = 15) -> None:
    """Where the samples fell (main thread, other threads, helper processes), own time by
    function, and inclusive time of presswatch's own functions."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    where: Counter[str] = Counter()
    total = 0
    with contextlib.suppress(OSError):
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            if any(f.startswith("process ") for f in frames[1:]):
                where["helper processes (parsing)"] += n
            elif len(frames) > 1 and frames[1].startswith("Thread._bootstrap"):
                where["other threads (the writer, the parse pool's I/O)"] += n
            else:
                where["main thread (the event loop)"] += n
            own[frames[-1]] += n
            for frame in set(frames):
                if "presswatch/" in frame:
                    inclusive[frame] += n
    if not total:
        print("    (no samples)")
        return
    shares = ", ".join(f"{k} {n / PY_SPY_RATE:.1f}s" for k, n in where.most_common())
    print(f"    samples ({PY_SPY_RATE}/s, GIL waits included): {shares}")
    print("    own time:")
    for frame, n in own.most_common(top):
        print(f"      {100 * n / total:5.1f}%  {frame[:150]}")
    print("    presswatch functions, inclusive:")
    for frame, n in inclusive.most_common(top):
        print(f"      {100 * n / total:5.1f}%  {frame[:150]}")


def run_reader(
    server: FeedServer, work: Path, urls: Path, workers: list[int], expect: int
) -> list[tuple[int, dict[str, Any] | str, dict[str, Any] | str]]:
    runs = []
    for w in workers:
        db = work / f"reader-{w}.sqlite"
        print(f"\nreader, update_feeds(workers={w}, scheduled=False), {db}:")
        first = measured(server, "reader", db, urls, workers=w)
        report_reader("first update", first, expect)
        second = measured(server, "reader", db, urls, workers=w)
        report_reader("second update (all 304)", second, 0)
        runs.append((w, first, second))
    return runs


def report_reader(label: str, result: dict[str, Any] | str, expect: int) -> None:
    if isinstance(result, str):
        print(f"  {label}: {result}")
        return
    print(
        f"  {label}: {result['feeds']:,} feeds in {result['seconds']:.2f}s = "
        f"{per_s(result['feeds'], result['seconds']):,.1f} feeds/s, {result['articles']:,} new "
        f"articles = {per_s(result['articles'], result['seconds']):,.0f}/s, "
        f"peak RSS {result['peak_mb']:,.0f} MB"
    )
    print(f"    {server_line(result)}")
    checks = []
    if result["articles"] != expect:
        checks.append(f"expected {expect:,} new entries, got {result['articles']:,}")
    if result["failed"]:
        checks.append(f"{result['failed']} feeds failed: " + "; ".join(result["problems"]))
    print("    check: " + ("OK" if not checks else "PROBLEM: " + "; ".join(checks)))


def best(results: list[dict[str, Any] | str]) -> dict[str, Any] | None:
    done = [r for r in results if isinstance(r, dict)]
    return max(done, key=lambda r: per_s(r["feeds"], r["seconds"]), default=None)


def verdict(ok: bool, text: str) -> None:
    print(f"  {'MET   ' if ok else 'MISSED'}  {text}")


def summary(
    first: dict[str, Any] | str,
    second: dict[str, Any] | str,
    readers: list[tuple[int, dict[str, Any] | str, dict[str, Any] | str]],
    feeds: int,
) -> None:
    print("\n" + "=" * 91)
    print(f"machine now: {load()} ({os.cpu_count()} CPUs, shared by the server and the client)")
    print(header())
    print(row("presswatch first update", first))
    print(row("presswatch second update (304)", second))
    for w, r1, r2 in readers:
        print(row(f"reader workers={w} first", r1))
        print(row(f"reader workers={w} second (304)", r2))
    r_first = best([r[1] for r in readers])
    r_second = best([r[2] for r in readers])
    before = READER_BEFORE[0] / READER_BEFORE[1]
    print("\ntargets (issue #4):")
    if isinstance(first, dict):
        ours = per_s(first["feeds"], first["seconds"])
        if r_first is not None:
            theirs = per_s(r_first["feeds"], r_first["seconds"])
            ratio = ours / theirs
            verdict(
                ratio >= FIRST_FACTOR,
                f"first update >= {FIRST_FACTOR:.0f}x reader: {ours:,.1f} / {theirs:,.1f} "
                f"feeds/s (reader's best, workers={r_first['workers']}) = {ratio:.1f}x",
            )
        else:
            print("  reader did not run: no ratio")
        ratio = ours / before
        print(
            f"          (against the issue's earlier reader figure, {before:.0f} feeds/s: "
            f"{ratio:.1f}x)"
        )
    else:
        print("  presswatch's first update did not run")
    if isinstance(second, dict):
        ours = per_s(second["feeds"], second["seconds"])
        verdict(
            ours >= NOT_MODIFIED_RATE,
            f"304 round >= {NOT_MODIFIED_RATE:.0f} feeds/s: {ours:,.1f} feeds/s "
            f"= {ours / NOT_MODIFIED_RATE:.2f}x the target",
        )
        if r_second is not None:
            theirs = per_s(r_second["feeds"], r_second["seconds"])
            print(
                f"          (reader's best 304 round {theirs:,.1f} feeds/s, "
                f"workers={r_second['workers']}: presswatch {ours / theirs:.1f}x)"
            )
    else:
        print("  presswatch's second update did not run")
    if feeds != 1000:
        print(f"  (the targets are set at 1,000 feeds; this run has {feeds:,})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--feeds", type=int, default=1000)
    p.add_argument("--items", type=int, default=50, help="items in each feed")
    p.add_argument("--words", type=int, default=300, help="words in each item's content")
    p.add_argument("--hosts", type=int, default=200, help="loopback addresses to spread over")
    p.add_argument("--reader-workers", default="1,8", help="update_feeds workers to try")
    p.add_argument("--reader-feeds", type=int, default=0, help="give reader only the first N")
    p.add_argument("--skip-reader", action="store_true")
    p.add_argument("--profile", action="store_true", help="also profile presswatch with py-spy")
    p.add_argument("--data", type=Path, help="keep the generated feeds here, to reuse")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--child", choices=CHILDREN, help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--urls", help=argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return

    work = Path(tempfile.mkdtemp(prefix="pw-update-bench-"))
    try:
        bench(args, work)
    finally:
        if args.keep or args.profile:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, work: Path) -> None:
    expect = args.feeds * args.items
    print(
        f"presswatch update benchmark: {args.feeds:,} feeds x {args.items} items "
        f"= {expect:,} articles, ~{args.words} words each, on up to {args.hosts} hosts"
    )
    print(f"machine: {os.cpu_count()} CPUs, {load()}; work folder {work}\n")
    folder = args.data or work / "feeds"
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with FeedServer(folder, args.feeds, args.items, args.words, args.hosts) as server:
        info = server.info
        spread = server.addresses[0]
        if len(server.addresses) > 1:
            spread += f" ... {server.addresses[-1]}"
        print(
            f"server: pid {info['pid']}, {info['feeds']:,} feeds on {len(server.addresses)} "
            f"hosts ({spread}), port {server.port}; {info['bytes'] / 1e6:,.0f} MB of RSS, "
            f"{info['gzip_bytes'] / 1e6:,.0f} MB gzipped; ready in "
            f"{time.perf_counter() - start:.1f}s"
        )
        if len(server.addresses) < min(args.hosts, args.feeds):
            print(f"  NOTE: only {len(server.addresses)} loopback addresses could be bound")
        print(f"  e.g. {server.urls[0]}")
        server_capacity(server)
        urls = work / "urls.txt"
        urls.write_text("\n".join(server.urls) + "\n")
        first, second = run_presswatch(server, work, urls, folder, expect, args.profile)
        readers: list[tuple[int, dict[str, Any] | str, dict[str, Any] | str]] = []
        if not args.skip_reader:
            reader_urls = urls
            if 0 < args.reader_feeds < args.feeds:
                reader_urls = work / "reader-urls.txt"
                reader_urls.write_text("\n".join(server.urls[: args.reader_feeds]) + "\n")
                print(f"\n(reader gets the first {args.reader_feeds:,} feeds only)")
            workers = [int(w) for w in args.reader_workers.split(",") if w.strip()]
            n = args.reader_feeds if 0 < args.reader_feeds < args.feeds else args.feeds
            readers = run_reader(server, work, reader_urls, workers, n * args.items)
    summary(first, second, readers, args.feeds)


if __name__ == "__main__":
    main()
