"""Ingest throughput: presswatch against `reader` and against a bare lxml+sqlite3 loop.

    python benchmarks/ingest.py [--feeds 200] [--items 50] [--words 600] [--pg URL]

The issue's targets: >= 5,000 articles/s into SQLite, >= 5x `reader` (lemon24/reader, a
feedparser-based library) on the same files, within 2x of the bare loop (the floor: parse,
pull five fields, insert), and a peak RSS under 300 MB at 100,000 articles. Each system
runs in its own subprocess so its peak RSS is its own; the child reports back as JSON on
stdout. A benchmark, not a test: it exits 0 whether the targets are met or not.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]  # the working tree's presswatch, uninstalled

from feedgen import write_feeds  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/"
CONTENT_NS = "{http://purl.org/rss/1.0/modules/content/}encoded"

# -- the systems, each run inside a child process ---------------------------------------


def run_presswatch(folder: Path, files: list[Path], target: str) -> int:
    from presswatch import open_archive

    archive = open_archive(target)
    try:
        reports = archive.ingest([str(folder)])
    finally:
        archive.close()
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        print(f"presswatch: {len(failed)} inputs failed, first: {failed[0].error}", file=sys.stderr)
    return sum(r.counts.new + r.counts.updated + r.counts.unchanged for r in reports)


def import_reader() -> None:
    try:
        importlib.import_module("sgmllib")
    except ImportError:  # reader's vendored feedparser wants sgmllib3k; feedparser 6.0.12+ ships
        import feedparser_sgmllib  # the same module under this name instead

        sys.modules["sgmllib"] = feedparser_sgmllib
    import reader._parser.feedparser  # noqa: F401  (reader loads it lazily, on first update)


def run_reader(folder: Path, files: list[Path], target: str) -> int:
    from reader import make_reader

    rdr = make_reader(target, feed_root=str(folder))
    try:
        for path in files:
            rdr.add_feed(path.name)
        rdr.update_feeds()
        return int(rdr.get_entry_counts().total or 0)
    finally:
        rdr.close()


def run_bare(folder: Path, files: list[Path], target: str) -> int:
    import sqlite3

    from lxml import etree

    db = sqlite3.connect(target)
    db.execute(
        "CREATE TABLE article (id INTEGER PRIMARY KEY, title TEXT, link TEXT, guid TEXT UNIQUE,"
        " published TEXT, content TEXT)"
    )
    total = 0
    for path in files:
        root = etree.fromstring(path.read_bytes())
        rows = [
            (
                item.findtext("title"),
                item.findtext("link"),
                item.findtext("guid"),
                item.findtext("pubDate"),
                item.findtext(CONTENT_NS),
            )
            for item in root.iter("item")
        ]
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO article (title, link, guid, published, content)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        total += len(rows)
    db.close()
    return total


SYSTEMS = {"presswatch": run_presswatch, "reader": run_reader, "bare": run_bare}
# imported before the clock starts: the figures are for ingesting, not for starting Python
IMPORTS = {"presswatch": ["presswatch"], "reader": [], "bare": ["lxml.etree", "sqlite3"]}


def peak_mb() -> float:
    """VmHWM where /proc has it (Linux), else ru_maxrss (KiB on Linux, bytes on macOS)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


class TreeMemory:
    """presswatch parses in worker processes (forked from a forkserver, so they are not our
    children for getrusage): poll /proc and keep the largest total RSS of our descendants,
    so the figure is the whole ingest's memory, not the main process's alone."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.5):
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                with contextlib.suppress(OSError, ValueError, IndexError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry.name)] = int(fields[1])
                    rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
            total = 0
            for pid in rss:
                walker = pid
                while walker in parents and walker != me and walker > 1:
                    walker = parents[walker]
                if walker == me and pid != me:
                    total += rss[pid]
            self.peak_kb = max(self.peak_kb, total)


def child(args: argparse.Namespace) -> None:
    folder = Path(args.folder)
    files = sorted(folder.glob("*.xml"))[: args.limit or None]
    run = SYSTEMS[args.child]
    if args.child == "reader":
        import_reader()
    for module in IMPORTS[args.child]:
        importlib.import_module(module)
    profiler = None
    if args.profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with TreeMemory() as workers:
        start = time.perf_counter()
        articles = run(folder, files, args.target)
        seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile_to)
    result = {
        "articles": articles,
        "seconds": seconds,
        "bytes": sum(p.stat().st_size for p in files),
        "feeds": len(files),
        "peak_mb": peak_mb() + workers.peak_kb / 1024,
    }
    print(json.dumps(result))


# -- the parent: data, children, table ---------------------------------------------------


def spawn(
    system: str, folder: Path, target: str, limit: int = 0, profile: str = ""
) -> dict[str, Any] | str:
    """Run one system in a fresh interpreter; its JSON result, or the reason it failed."""
    cmd = [sys.executable, __file__, "--child", system, "--folder", str(folder)]
    cmd += ["--target", target, "--limit", str(limit)]
    if profile:
        cmd += ["--profile-to", profile]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.stderr.strip():
        sys.stderr.write(proc.stderr)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return f"failed (exit {proc.returncode})"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@contextlib.contextmanager
def pg_database(server_url: str) -> Iterator[str | None]:
    """A fresh database on the server for one run, dropped after; None when unreachable."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"presswatch_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped: cannot connect ({str(exc).strip()})", file=sys.stderr)
        yield None
        return
    try:
        conn.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def rate(result: dict[str, Any]) -> float:
    return float(result["articles"]) / max(float(result["seconds"]), 1e-9)


def print_table(rows: list[tuple[str, dict[str, Any] | str]]) -> None:
    head = f"{'system':<24}{'articles':>10}{'seconds':>10}{'articles/s':>12}{'MB/s':>9}"
    print(head + f"{'peak MB':>10}")
    print("-" * (len(head) + 10))
    for name, res in rows:
        if isinstance(res, str):
            print(f"{name:<24}{res}")
            continue
        mbs = res["bytes"] / 1e6 / max(res["seconds"], 1e-9)
        print(
            f"{name:<24}{res['articles']:>10,}{res['seconds']:>10.2f}{rate(res):>12,.0f}"
            f"{mbs:>9.2f}{res['peak_mb']:>10.1f}"
        )


def verdicts(
    pw: dict[str, Any] | str, rd: dict[str, Any] | str, bare: dict[str, Any] | str, total: int
) -> None:
    print()
    if isinstance(pw, str):
        print("targets: presswatch did not run, nothing to judge")
        return

    def line(ok: bool, text: str) -> None:
        print(f"  {'PASS' if ok else 'MISS'}  {text}")

    print("targets (issue):")
    line(rate(pw) >= 5000, f">= 5,000 articles/s into SQLite: {rate(pw):,.0f}")
    if isinstance(rd, dict):
        ratio = rate(pw) / rate(rd)
        print(f"  presswatch / reader = {ratio:.1f}x")
        line(ratio >= 5, f">= 5x reader: {ratio:.1f}x")
    if isinstance(bare, dict):
        ratio = rate(bare) / rate(pw)
        print(f"  bare loop / presswatch = {ratio:.2f}x")
        line(ratio <= 2, f"within 2x of the bare loop: {ratio:.2f}x")
    note = "" if total >= 100_000 else f" (target is set at 100,000; this run has {total:,})"
    line(pw["peak_mb"] < 300, f"peak < 300 MB: {pw['peak_mb']:.0f} MB{note}")


def print_hotspots(stats_file: str, top: int) -> None:
    """Own time names the slow leaf; cumulative time within presswatch names the step to fix."""
    import pstats

    raw: dict[tuple[str, int, str], Any] = pstats.Stats(stats_file).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in raw.values())

    def name(key: tuple[str, int, str]) -> str:
        file, lineno, func = key
        return f"{func} ({Path(file).name}:{lineno})" if lineno else func

    print(f"\npresswatch hotspots by own time (cProfile; {total:.2f}s profiled):")
    for key, (_cc, ncalls, tottime, _cum, callers) in sorted(
        raw.items(), key=lambda kv: kv[1][2], reverse=True
    )[:top]:
        via = ""
        if not key[1] and callers:  # a builtin: say who calls it most
            caller = max(callers.items(), key=lambda kv: kv[1][2])[0]
            via = f"  <- {name(caller)}"
        print(f"  {100 * tottime / total:5.1f}%  {tottime:6.2f}s  {ncalls:>9}  {name(key)}{via}")
    print("\npresswatch steps by cumulative time (functions in src/presswatch):")
    ours = [kv for kv in raw.items() if f"{os.sep}presswatch{os.sep}" in kv[0][0]]
    for key, (_cc, ncalls, _own, cumtime, _) in sorted(ours, key=lambda kv: kv[1][3], reverse=True)[
        :top
    ]:
        print(f"  {100 * cumtime / total:5.1f}%  {cumtime:6.2f}s  {ncalls:>9}  {name(key)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--feeds", type=int, default=200, help="feed files to make (50 items each)")
    p.add_argument("--items", type=int, default=50)
    p.add_argument("--words", type=int, default=600)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL ('' to skip)")
    p.add_argument("--reader-feeds", type=int, default=200, help="cap reader at this many feeds")
    p.add_argument("--data", help="keep the generated feeds under this folder, to reuse")
    p.add_argument("--profile", action="store_true", help="also profile presswatch (SQLite)")
    p.add_argument("--top", type=int, default=25, help="hotspots to list with --profile")
    p.add_argument("--child", choices=sorted(SYSTEMS), help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--target", help=argparse.SUPPRESS)
    p.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        work = Path(tmp)
        shape = f"rss-{args.feeds}x{args.items}x{args.words}-seed{args.seed}"
        folder = (Path(args.data) if args.data else work) / shape
        done = folder / ".complete"
        start = time.perf_counter()
        if done.exists():
            files = sorted(folder.glob("*.xml"))
            print(f"reusing {len(files)} feeds in {folder}")
        else:
            files = write_feeds(folder, args.feeds, args.items, args.words, args.seed)
            done.touch()
            print(f"generated {len(files)} feeds in {time.perf_counter() - start:.1f}s")
        size = sum(f.stat().st_size for f in files)
        total = len(files) * args.items
        print(
            f"input: {len(files)} feeds x {args.items} items = {total:,} articles, "
            f"{size / 1e6:.1f} MB, ~{args.words} words each\n"
        )

        rows: list[tuple[str, dict[str, Any] | str]] = []
        pw = spawn("presswatch", folder, str(work / "presswatch.db"))
        rows.append(("presswatch (SQLite)", pw))
        if args.pg:
            with pg_database(args.pg) as url:
                rows.append(
                    (
                        "presswatch (PostgreSQL)",
                        spawn("presswatch", folder, url) if url else "skipped: server unreachable",
                    )
                )
        cap = args.reader_feeds if 0 < args.reader_feeds < len(files) else 0
        rd = spawn("reader", folder, str(work / "reader.sqlite"), limit=cap)
        rows.append((f"reader{f' (first {cap} feeds)' if cap else ''}", rd))
        bare = spawn("bare", folder, str(work / "bare.sqlite"))
        rows.append(("bare lxml+sqlite3 loop", bare))

        print_table(rows)
        if cap:
            print(f"(reader capped at the first {cap} feeds; its rate is compared as is)")
        verdicts(pw, rd, bare, total)

        if args.profile:
            stats = str(work / "presswatch.prof")
            spawn("presswatch", folder, str(work / "profiled.db"), profile=stats)
            print_hotspots(stats, args.top)


if __name__ == "__main__":
    main()
