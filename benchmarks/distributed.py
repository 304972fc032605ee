"""Scale-out throughput: the first update of 2,000 live feeds through 1, 2 and 4 workers.

    python benchmarks/distributed.py [--sources 2000] [--items 50] [--words 300]
                                     [--hosts 200] [--workers 1,2,4] [--threads 4]
                                     [--skip-embedded] [--data DIR]

The feeds (feedgen.py, WordPress-like, ~300 words an item) are served by feedserver.py in
its own process from `--hosts` loopback addresses. For each worker count: a fresh
PostgreSQL database, every URL followed (not timed), then N `presswatch worker
--processes 1 --threads T` processes and one `presswatch scheduler` on a fresh Redis
namespace, timed from the scheduler's start until every source has been checked and the
search index has caught up (articles stored and searchable, as in benchmarks/update.py).

Reference: the embedded default, `presswatch update --all` in one process, on SQLite (the
default) and on PostgreSQL, over the same feeds.

Where the time goes is measured, not guessed: CPU seconds of the workers (all their
processes), of PostgreSQL (the server processes serving the run's database, and all of
them, which includes its background writers and anything else the server does), of
Redis and of the feed server, over each run, beside the run's wall time times the
machine's cores; and the whole machine's busy share and load average, so a run on a
machine busy with other work says so. Scaling efficiency is (articles/s with N workers)
/ (N x articles/s with 1 worker). A benchmark, not a test: it exits 0 either way.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]

import psycopg  # noqa: E402
import redis  # noqa: E402
from feedserver import FeedServer, counted  # noqa: E402

PG_ADMIN = os.environ.get("PRESSWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = "redis://127.0.0.1:6379/0"
RUNNER = (
    "import sys\n"
    "from presswatch.cli import cli, main\n"
    "from presswatch.cli_workers import COMMANDS\n"
    "for c in COMMANDS:\n"
    "    cli.commands.setdefault(c.name or '', c)\n"
    "main(sys.argv[1:])\n"
)
TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pids: set[int]) -> float:
    """CPU seconds (user + system, children waited for included) of these processes."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / TICK
    return total


def pids_where(test: Any) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if test(int(entry.name), stat):
                    found.add(int(entry.name))
    return found


def postgres_pids() -> set[int]:
    return pids_where(lambda _pid, stat: "(postgres)" in stat)


def backend_pids(database: str) -> set[int]:
    """PostgreSQL's processes serving connections to `database` (named in their title)."""
    found = set()
    for pid in postgres_pids():
        with contextlib.suppress(OSError):
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if f" {database} " in title:
                found.add(pid)
    return found


class Backends:
    """CPU seconds of one database's backends over a run: sampled while it runs, since a
    backend that exits takes its counters with it (the workers' pooled ones do not)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.start = {pid: cpu_of({pid}) for pid in backend_pids(database)}
        self.last = dict(self.start)

    def sample(self) -> None:
        for pid in backend_pids(self.database):
            self.last[pid] = cpu_of({pid})

    def cpu(self) -> float:
        self.sample()
        return sum(v - self.start.get(pid, 0.0) for pid, v in self.last.items())


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / TICK, sum(fields) / TICK


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def group_pids(pgid: int) -> set[int]:
    return pids_where(lambda _pid, stat: int(stat.rsplit(")", 1)[1].split()[2]) == pgid)


def redis_cpu() -> float:
    info = redis.Redis.from_url(REDIS_URL).info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


@contextlib.contextmanager
def database() -> Iterator[str]:
    name = f"pw_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def follow(target: str, urls: list[str]) -> None:
    from datetime import UTC, datetime

    from presswatch import open_archive

    with open_archive(target) as archive, archive.store.transaction():
        now = datetime.now(UTC)
        for url in urls:
            archive.store.subscribe(url, now=now)


def progress(db: str) -> tuple[int, int, int]:
    with psycopg.connect(db) as conn:
        checked = conn.execute("SELECT count(*) FROM sources WHERE last_fetch_at IS NOT NULL")
        done = int(checked.fetchone()[0])  # type: ignore[index]
        articles = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])  # type: ignore[index]
        pending = int(conn.execute("SELECT count(*) FROM search_pending").fetchone()[0])  # type: ignore[index]
    return done, articles, pending


def distributed(
    urls: list[str], server: FeedServer, workers: int, threads: int, logs: Path
) -> dict[str, Any]:
    with database() as db:
        follow(db, urls)
        env = dict(os.environ)
        env.update(
            PRESSWATCH_DB=db,
            PRESSWATCH_BROKER=REDIS_URL,
            PRESSWATCH_NAMESPACE=f"pwbench-{uuid.uuid4().hex[:8]}",
            PRESSWATCH_ALLOW_NETWORKS="loopback",
            PRESSWATCH_SCHEDULER_EVERY="1",
            PRESSWATCH_ENRICH_BATCH="0",
            PRESSWATCH_ALERTS_EVERY="0",
        )
        procs: list[subprocess.Popen[bytes]] = []

        def start(*args: str, log: str) -> subprocess.Popen[bytes]:
            out = open(logs / log, "wb")  # noqa: SIM115  (the process holds it)
            proc = subprocess.Popen(
                [sys.executable, "-c", RUNNER, *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            procs.append(proc)
            return proc

        try:
            pool = [
                start("worker", "--processes", "1", "--threads", str(threads), log=f"w{i}.log")
                for i in range(workers)
            ]
            time.sleep(3)  # the workers boot (imports, connections) before the clock starts
            pg_before = cpu_of(postgres_pids())
            backends = Backends(db.rsplit("/", 1)[1])
            redis_before = redis_cpu()
            machine_before, load_before = machine_cpu(), load()
            with counted(server) as served:
                started = time.perf_counter()
                start("scheduler", "-q", log="scheduler.log")
                while True:
                    done, articles, pending = progress(db)
                    if done == len(urls) and pending == 0:
                        break
                    backends.sample()
                    time.sleep(0.25)
                elapsed = time.perf_counter() - started
                worker_cpu = sum(cpu_of(group_pids(p.pid)) for p in pool)
                pg_cpu = cpu_of(postgres_pids()) - pg_before
                pg_own = backends.cpu()
                broker_cpu = redis_cpu() - redis_before
                machine_after = machine_cpu()
        finally:
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 15)
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
    return {
        "workers": workers,
        "seconds": elapsed,
        "articles": articles,
        "rate": articles / elapsed,
        "worker_cpu": worker_cpu,
        "pg_cpu": pg_cpu,
        "pg_own": pg_own,
        "redis_cpu": broker_cpu,
        "server_cpu": served["cpu_s"],
        "machine": (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1]),
        "load": f"{load_before} -> {load()}",
    }


def embedded(urls: list[str], server: FeedServer, target: str) -> dict[str, Any]:
    follow(target, urls)
    env = dict(os.environ, PRESSWATCH_ALLOW_NETWORKS="loopback")
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg_before = cpu_of(postgres_pids())
    machine_before, load_before = machine_cpu(), load()
    with counted(server) as served:
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, "--db", target, "update", "--all", "-q"],
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
    machine_after = machine_cpu()
    if proc.returncode not in (0, 1):
        print(proc.stderr[-2000:], file=sys.stderr)
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    from presswatch import open_archive

    with open_archive(target) as archive:
        articles = archive.count()
    return {
        "seconds": elapsed,
        "articles": articles,
        "rate": articles / elapsed,
        "cpu": own.ru_utime + own.ru_stime - children.ru_utime - children.ru_stime,
        "pg_cpu": cpu_of(postgres_pids()) - pg_before,
        "server_cpu": served["cpu_s"],
        "machine": (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1]),
        "load": f"{load_before} -> {load()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--data", type=Path, help="keep the generated feeds here")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="pw-distributed-"))
    folder = args.data or scratch / "feeds"
    cores = os.cpu_count() or 1
    print(
        f"{args.sources} sources x {args.items} items (~{args.words} words) on "
        f"{args.hosts} loopback hosts; {cores} cores; workers {counts}, "
        f"{args.threads} threads each"
    )
    try:
        with FeedServer(folder, args.sources, args.items, args.words, args.hosts) as server:
            urls = server.urls
            runs = []
            for n in counts:
                logs = scratch / f"logs-{n}"
                logs.mkdir()
                r = distributed(urls, server, n, args.threads, logs)
                runs.append(r)
                busy = r["worker_cpu"] + r["pg_own"] + r["redis_cpu"] + r["server_cpu"]
                print(
                    f"{n} worker(s): {r['articles']} articles in {r['seconds']:.1f} s = "
                    f"{r['rate']:.0f} articles/s; CPU s: workers {r['worker_cpu']:.1f} "
                    f"({r['worker_cpu'] / r['articles'] * 1000:.2f} ms/article), "
                    f"PostgreSQL {r['pg_own']:.1f} for this database ({r['pg_cpu']:.1f} all), "
                    f"Redis {r['redis_cpu']:.1f}, feed server {r['server_cpu']:.1f}; "
                    f"this run {busy / (r['seconds'] * cores):.0%} of {cores} cores, "
                    f"machine {r['machine']:.0%} busy, load {r['load']}",
                    flush=True,
                )
            base = runs[0]["rate"] / runs[0]["workers"]
            for r in runs[1:]:
                efficiency = r["rate"] / (r["workers"] * base)
                print(f"scaling {runs[0]['workers']} -> {r['workers']}: {efficiency:.0%} efficient")
            if not args.skip_embedded:
                lite = embedded(urls, server, str(scratch / "embedded.db"))
                print(
                    f"embedded (update --all, SQLite): {lite['articles']} articles in "
                    f"{lite['seconds']:.1f} s = {lite['rate']:.0f} articles/s; CPU s: "
                    f"presswatch {lite['cpu']:.1f}; machine {lite['machine']:.0%} busy, "
                    f"load {lite['load']}",
                    flush=True,
                )
                with database() as db:
                    pg = embedded(urls, server, db)
                print(
                    f"embedded (update --all, PostgreSQL): {pg['articles']} articles in "
                    f"{pg['seconds']:.1f} s = {pg['rate']:.0f} articles/s; CPU s: presswatch "
                    f"{pg['cpu']:.1f}, PostgreSQL {pg['pg_cpu']:.1f} (all); machine "
                    f"{pg['machine']:.0%} busy, load {pg['load']}",
                    flush=True,
                )
                for r in runs:
                    ratio = r["rate"] / lite["rate"]
                    print(f"{r['workers']} worker(s) / embedded SQLite: {ratio:.2f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
