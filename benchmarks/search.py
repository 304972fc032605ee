"""Search speed: presswatch's search, timeline and top terms over a million news articles,
beside a bare SQLite FTS5 index (the floor) and the library `reader`.

    python benchmarks/search.py [--articles 1000000] [--cache DIR] [--pg URL|default]
                                [--rounds 5] [--reader-articles 10000] [--no-reader] [--no-fts]
                                [--rebuild]

The issue's targets (#3), for the embedded default at 1,000,000 articles on this 2-core
machine: search p95 under 50 ms (limit 20, with snippets), timeline p95 under 500 ms (by
week, 3 queries, normalized), top terms under 2 s; the PostgreSQL deployment within 3x of
those; ingest still >= 5,000 articles/s with indexing on.

The corpus comes from newsgen.py (deterministic; `--articles 20000` for a quick run). Its
RSS files, the archive built from them (db file and its `<db>.search/` index), the FTS5
floor and reader's database are kept under --cache, keyed by the generator's version and
the size, so a second run goes straight to the measurements; build figures are printed
when built and remembered for later runs (--rebuild builds the archives again). With
--pg, the same files go into PostgreSQL (`--pg default`: postgresql://postgres@127.0.0.1:5432/,
database presswatch_search_bench, also kept between runs).

Each query is run once to warm up, then --rounds times; latencies are wall-clock
(time.perf_counter) through the public facade (`Archive.search`, `.timeline`, `.top`).
Match counts are checked against FTS5 (same words, same articles) and, with --pg, between
the two backends. The baselines: a bare FTS5 table over the same titles and texts (top
20 by bm25 with a snippet: the floor), and reader's search_entries over the first
--reader-articles of the corpus. A benchmark, not a test: it exits 0 whether the targets
are met or not.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]  # the working tree's presswatch, uninstalled

from newsgen import GAP, corpus_key, write_corpus  # noqa: E402

DEFAULT_CACHE = Path("/tmp/presswatch-search-bench")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/"
PG_DATABASE = "presswatch_search_bench"
TARGET_N = 1_000_000
TARGETS_MS = {"search": 50.0, "timeline": 500.0, "top terms": 2000.0}
PG_FACTOR = 3.0
INGEST_TARGET = 5_000


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    text: str
    fts: str | None = None  # the same query in FTS5 syntax, where it translates directly
    reader: bool = False  # also timed on reader (single terms and phrases)


def _same(kind: str, text: str, reader: bool = False) -> Query:
    return Query(kind, text, text, reader)


# Rare to common single terms, phrases, boolean mixes, fields, dates, prefixes, proximity,
# a saved query. Share of articles matching: Zhanbolatov ~0.07% (~650 in a million),
# Tokayev ~1.5%, CSTO ~3%, Kazakhstan ~7.5%, Russia ~24%, government ~55%, security ~79%.
QUERIES = (
    _same("term", "Zhanbolatov", reader=True),
    _same("term", "Tokayev", reader=True),
    _same("term", "CSTO", reader=True),
    _same("term", "Kyrgyzstan", reader=True),
    _same("term", "Kazakhstan", reader=True),
    _same("term", "Russia", reader=True),
    _same("term", "government", reader=True),
    _same("term", "security", reader=True),
    _same("phrase", '"Collective Security Treaty Organization"', reader=True),
    _same("phrase", '"color revolution"', reader=True),
    _same("phrase", '"the government"', reader=True),
    _same("phrase", '"Kassym-Jomart Tokayev"', reader=True),
    _same("boolean", "CSTO AND Kazakhstan"),
    _same("boolean", "CSTO AND (Kazakhstan OR Kyrgyzstan) NOT title:Turkic"),
    _same("boolean", "Kazakhstan OR Kyrgyzstan OR Tajikistan"),
    _same("boolean", "security NOT Russia"),
    Query(
        "boolean",
        "(peacekeeping OR peacekeepers) -Russia",
        "(peacekeeping OR peacekeepers) NOT Russia",
    ),
    _same("boolean", "security government organization"),
    _same("field", "title:CSTO"),
    Query("field", "author:escobar"),
    Query("field", "source:steppepost Kazakhstan"),
    Query("field", "lang:ru AND Tokayev"),
    Query("field", "republished_from:tass"),
    Query("date", "CSTO published:2022"),
    Query("date", "Kazakhstan published:[2021-06-01 TO 2022-01-31]"),
    Query("date", "security published:2019-07"),
    _same("prefix", "kazakh*"),
    _same("prefix", "peace*"),
    Query("near", '"csto peacekeeping"~10', "NEAR(csto peacekeeping, 10)"),
    Query(
        "saved",
        "@csto AND Armenia",
        '(CSTO OR "Collective Security Treaty Organization") AND Armenia',
    ),
)
SAVED = ("csto", 'CSTO OR "Collective Security Treaty Organization"')
NEWEST = (
    "CSTO",
    "security",
    "Kazakhstan OR Kyrgyzstan OR Tajikistan",
    "kazakh*",
    '"the government"',
)
TIMELINES = (
    ("CSTO", "Kazakhstan", "Kyrgyzstan"),
    ("security", "government", "Russia"),
    ('"Collective Security Treaty Organization"', "peacekeeping", "kazakh*"),
    ("CSTO AND Kazakhstan", "title:CSTO", "Tokayev OR Putin"),
    ("Ukraine", "NATO", '"the government"'),
)
TOP_TERMS = ("CSTO", "Kazakhstan OR Kyrgyzstan", "peacekeeping", "Tokayev", "security")
TOP_SOURCES = (("sources", "CSTO"), ("sources", "security"), ("authors", "Kazakhstan"))


# -- small helpers ----------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: p95 of 20 values is the 19th)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summary(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    return f"p50 {pct(values, 50):8.1f}  p95 {pct(values, 95):8.1f}  max {max(values):8.1f} ms"


def timed(call: Callable[[], Any], rounds: int) -> tuple[list[float], Any]:
    """Warm up once, then `rounds` timed calls; (latencies in ms, the last result)."""
    result = call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def peak_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def has_mark(parts: Any) -> bool:
    """Whether a title or snippet marks a match: (text, is_match) pieces, or a string
    rendered with the default [marks]."""
    if isinstance(parts, str):
        return "[" in parts
    return any(isinstance(p, tuple) and len(p) == 2 and p[1] for p in parts)


def load() -> str:
    """Other work on the machine skews every figure: say how busy it was."""
    with contextlib.suppress(OSError):
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
    return "load unknown"


def reset_peak() -> bool:
    """Restart the peak-RSS count (Linux), so the query phase's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n < 10e9 else f"{n / 1e9:,.1f} GB"


def load_json(path: Path) -> dict[str, Any] | None:
    with contextlib.suppress(OSError, ValueError):
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    return None


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- the corpus and the archive ----------------------------------------------------------------


def corpus(cache: Path, articles: int) -> Path:
    folder = cache / corpus_key(articles) / "feeds"
    done = folder / ".complete"
    if done.exists():
        files = sorted(folder.glob("*.xml"))
        print(f"corpus: reusing {len(files)} feed files in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        files = write_corpus(folder, articles)
        done.touch()
        seconds = time.perf_counter() - start
        print(
            f"corpus: generated {articles:,} articles in {len(files)} files in {seconds:.1f}s "
            f"({articles / seconds:,.0f} articles/s)"
        )
    size = sum(f.stat().st_size for f in files)
    print(
        f"        {size / 1e6:,.0f} MB of RSS, ~300 words an article, 2015-2024, "
        f"collection gap {GAP[0]} to {GAP[1]}"
    )
    return folder


def build(archive: Any, folder: Path, articles: int) -> dict[str, Any]:
    """Ingest the feeds (the ingest ends by bringing the index up to date: that part is
    timed on its own), then rebuild the index from scratch; the figures."""
    service = archive.search_service
    catch_up = service.catch_up
    in_catch_up = [0.0]

    def timed_catch_up(*args: Any, **kwargs: Any) -> int:
        start = time.perf_counter()
        done = int(catch_up(*args, **kwargs))
        in_catch_up[0] += time.perf_counter() - start
        return done

    service.catch_up = timed_catch_up
    try:
        start = time.perf_counter()
        reports = archive.ingest([str(folder)])
        total_s = time.perf_counter() - start
        start = time.perf_counter()
        catch_up()
        left_s = time.perf_counter() - start
    finally:
        del service.catch_up
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        print(f"  {len(failed)} feed files failed, first: {failed[0].error}", file=sys.stderr)
    stored = archive.count()
    start = time.perf_counter()
    docs = archive.reindex()
    index_s = time.perf_counter() - start
    return {
        "articles": stored,
        "expected": articles,
        "total_s": total_s + left_s,
        "catch_up_s": in_catch_up[0] + left_s,
        "index_docs": docs,
        "index_s": index_s,
    }


def ingest_rate(fig: dict[str, Any]) -> float:
    """Articles a second from files to searchable: the figure the ingest target is about."""
    return float(fig["articles"]) / max(float(fig["total_s"]), 1e-9)


def print_build(fig: dict[str, Any], fresh: bool) -> None:
    when = "built now" if fresh else "built earlier, figures from then"
    store_s = fig["total_s"] - fig["catch_up_s"]
    print(f"  build ({when}):")
    print(
        f"    ingest to searchable: {fig['articles']:,} articles in {fig['total_s']:,.1f}s = "
        f"{ingest_rate(fig):,.0f} articles/s"
    )
    print(
        f"      of which storing {store_s:,.1f}s ({fig['articles'] / max(store_s, 1e-9):,.0f}/s), "
        f"indexing them {fig['catch_up_s']:,.1f}s "
        f"({fig['articles'] / max(fig['catch_up_s'], 1e-9):,.0f}/s)"
    )
    print(
        f"    index build (reindex): {fig['index_docs']:,} docs in {fig['index_s']:,.1f}s = "
        f"{fig['index_docs'] / fig['index_s']:,.0f} docs/s"
    )
    if fig["articles"] != fig["expected"]:
        print(f"    NOTE: {fig['expected']:,} articles generated, {fig['articles']:,} stored")


def sqlite_archive(
    cache: Path, folder: Path, articles: int, rebuild: bool = False
) -> tuple[Any, Path, dict[str, Any], bool]:
    from presswatch import open_archive

    key = corpus_key(articles)
    db = cache / key / "presswatch.db"
    stamp = cache / key / "presswatch.build.json"
    fig = load_json(stamp)
    fresh = rebuild or fig is None or not db.exists()
    if fresh:
        stamp.unlink(missing_ok=True)
        for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            stale.unlink(missing_ok=True)
        shutil.rmtree(f"{db}.search", ignore_errors=True)
        print(f"archive: building {db} ...", flush=True)
        archive = open_archive(str(db))
        fig = build(archive, folder, articles)
        stamp.write_text(json.dumps(fig, indent=1))
    else:
        print(f"archive: reusing {db}")
        archive = open_archive(str(db))
    assert fig is not None
    return archive, db, fig, fresh


@contextlib.contextmanager
def pg_archive(
    url: str, cache: Path, folder: Path, articles: int, rebuild: bool = False
) -> Iterator[tuple[Any, dict[str, Any], bool] | None]:
    """The same corpus in PostgreSQL (database PG_DATABASE, kept between runs and rebuilt
    when it holds another corpus); None when the server cannot be reached."""
    import psycopg

    from presswatch import open_archive

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    target = urlunsplit(parts._replace(path=f"/{PG_DATABASE}"))
    key = corpus_key(articles)
    stamp = cache / f"postgresql-{PG_DATABASE}.build.json"
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped: cannot connect ({str(exc).strip()})")
        yield None
        return
    with conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)
        ).fetchone()
        fig = load_json(stamp)
        fresh = rebuild or not (exists and fig and fig.get("key") == key)
        if fresh:
            stamp.unlink(missing_ok=True)
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    archive = open_archive(target)
    try:
        if fresh:
            print(f"PostgreSQL: building {target} ...", flush=True)
            fig = build(archive, folder, articles) | {"key": key}
            stamp.write_text(json.dumps(fig, indent=1))
        else:
            print(f"PostgreSQL: reusing {target}")
        assert fig is not None
        yield archive, fig, fresh
    finally:
        archive.close()


# -- measuring presswatch ----------------------------------------------------------------------


@dataclass
class Measured:
    search: dict[str, list[float]]
    totals: dict[str, int]
    newest: dict[str, list[float]]
    timeline: list[float]
    gaps: int
    top_terms: dict[str, list[float]]
    top_terms_example: list[str]
    top_other: dict[str, list[float]]
    failures: dict[str, str]
    peak_mb: float = 0.0

    def all_search(self) -> list[float]:
        return [t for ts in self.search.values() for t in ts]


def measure(archive: Any, rounds: int, label: str) -> Measured:
    m = Measured({}, {}, {}, [], 0, {}, [], {}, {})
    with contextlib.suppress(Exception):
        archive.save_query(*SAVED)

    def guard(name: str, call: Callable[[], Any], n: int) -> tuple[list[float], Any]:
        try:
            return timed(call, n)
        except Exception as exc:
            m.failures[name] = f"{type(exc).__name__}: {exc}"
            return [], None

    print(f"\n{label}: search, relevance, limit 20, snippets ({rounds} rounds after a warm-up)")
    for q in QUERIES:
        times, result = guard(
            q.text, lambda q=q: archive.search(q.text, sort="relevance", limit=20), rounds
        )
        if result is not None:
            m.search[q.text] = times
            m.totals[q.text] = result.total
            text_query = q.kind in ("term", "phrase", "prefix", "near")
            marked = any(has_mark(h.title) or has_mark(h.snippet) for h in result.hits)
            if text_query and result.hits and not marked:
                m.failures.setdefault(q.text, "no snippet marks a match")
    for q in NEWEST:
        times, _ = guard(
            f"newest {q}", lambda q=q: archive.search(q, sort="newest", limit=20), rounds
        )
        if times:
            m.newest[q] = times
    for triple in TIMELINES:
        times, tl = guard(
            " | ".join(triple),
            lambda t=triple: archive.timeline(list(t), by="week", normalize=True),
            max(2, rounds // 2),
        )
        m.timeline += times
        if tl is not None:
            m.gaps = sum(tl.gaps)
    for q in TOP_TERMS:
        times, rows = guard(f"top terms {q}", lambda q=q: archive.top("terms", q, limit=20), 2)
        if times:
            m.top_terms[q] = times
            if not m.top_terms_example and rows:
                m.top_terms_example = [f"{r.value}" for r in rows[:12]]
    for kind, q in TOP_SOURCES:
        times, _ = guard(f"top {kind} {q}", lambda k=kind, q=q: archive.top(k, q, limit=20), rounds)
        if times:
            m.top_other[f"{kind} {q}"] = times
    m.peak_mb = peak_mb()
    return m


# -- the FTS5 floor --------------------------------------------------------------------------


def fts_floor(
    cache: Path, db: Path, articles: int
) -> tuple[sqlite3.Connection, dict[str, Any], bool]:
    """A plain FTS5 table over the archive's titles and texts (title weighing 2, as ours)."""
    path = cache / corpus_key(articles) / "fts5-floor.db"
    stamp = cache / corpus_key(articles) / "fts5-floor.build.json"
    fig = load_json(stamp)
    fresh = fig is None or not path.exists()
    if fresh:
        stamp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        print("FTS5 floor: building ...", flush=True)
        conn = sqlite3.connect(path)
        conn.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, text,"
            " tokenize='unicode61 remove_diacritics 2')"
        )
        conn.execute("INSERT INTO fts(fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)')")
        source = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        start = time.perf_counter()
        rows = source.execute("SELECT id, title, text FROM articles ORDER BY id")
        n = 0
        with conn:
            while batch := rows.fetchmany(5000):
                conn.executemany("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)", batch)
                n += len(batch)
        seconds = time.perf_counter() - start
        source.close()
        fig = {"docs": n, "seconds": seconds}
        stamp.write_text(json.dumps(fig))
    else:
        conn = sqlite3.connect(path)
    assert fig is not None
    fig["bytes"] = path.stat().st_size
    return conn, fig, fresh


FTS_TOP = (
    "SELECT rowid, rank, snippet(fts, 1, '[', ']', '…', 24) FROM fts WHERE fts MATCH ?"
    " ORDER BY rank LIMIT 20"
)


def measure_fts(
    conn: sqlite3.Connection, rounds: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    times: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for q in QUERIES:
        if q.fts is None:
            continue
        fts = q.fts
        times[q.text], _ = timed(lambda f=fts: conn.execute(FTS_TOP, (f,)).fetchall(), rounds)
        counts[q.text] = conn.execute(
            "SELECT count(*) FROM fts WHERE fts MATCH ?", (fts,)
        ).fetchone()[0]
    return times, counts


# -- reader -----------------------------------------------------------------------------------


def import_reader() -> None:
    try:
        importlib.import_module("sgmllib")
    except ImportError:  # reader's vendored feedparser wants sgmllib3k; feedparser 6.0.12+ ships
        import feedparser_sgmllib  # the same module under this name instead

        sys.modules["sgmllib"] = feedparser_sgmllib
    import reader._parser.feedparser  # noqa: F401  (reader loads it lazily, on first update)


def reader_db(
    cache: Path, folder: Path, articles: int, wanted: int
) -> tuple[Any, dict[str, Any], bool]:
    """reader over the first feed files (oldest first) up to `wanted` entries, search on."""
    import_reader()
    from reader import make_reader

    path = cache / corpus_key(articles) / f"reader-{wanted}.sqlite"
    stamp = cache / corpus_key(articles) / f"reader-{wanted}.build.json"
    fig = load_json(stamp)
    fresh = fig is None or not path.exists()
    if fresh:
        stamp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        files, count = [], 0
        for f in sorted(folder.glob("*.xml")):
            if count >= wanted:
                break
            files.append(f)
            count += f.read_bytes().count(b"<item>")
        print(f"reader: adding {len(files)} feed files ({count:,} entries) ...", flush=True)
        rdr = make_reader(str(path), feed_root=str(folder))
        start = time.perf_counter()
        for f in files:
            rdr.add_feed(f.name)
        rdr.update_feeds()
        update_s = time.perf_counter() - start
        start = time.perf_counter()
        rdr.enable_search()
        rdr.update_search()
        search_s = time.perf_counter() - start
        entries = int(rdr.get_entry_counts().total or 0)
        fig = {"entries": entries, "update_s": update_s, "index_s": search_s}
        stamp.write_text(json.dumps(fig))
    else:
        rdr = make_reader(str(path), feed_root=str(folder))
    assert fig is not None
    return rdr, fig, fresh


def measure_reader(rdr: Any, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for q in QUERIES:
        if q.reader and q.fts:
            fts = q.fts
            times[q.text], _ = timed(lambda f=fts: list(islice(rdr.search_entries(f), 20)), rounds)
    return times


# -- the report ---------------------------------------------------------------------------------


def verdict(ok: bool, text: str) -> None:
    print(f"  {'PASS' if ok else 'MISS'}  {text}")


def print_queries(
    m: Measured,
    fts: dict[str, list[float]],
    fts_counts: dict[str, int],
    same_as: Measured | None = None,
) -> None:
    """The per-query table; a count that differs from FTS5's (same words, same articles)
    or from the embedded engine's (`same_as`) is flagged beside it."""
    print(f"\n  {'#':>2} {'kind':<8}{'query':<52}{'matches':>10}{'p50 ms':>9}{'max ms':>9}", end="")
    print(f"{'FTS5 ms':>9}{'vs FTS5':>8}" if fts else "")
    for i, q in enumerate(QUERIES, 1):
        ts = m.search.get(q.text)
        line = f"  {i:>2} {q.kind:<8}{short(q.text, 51):<52}"
        if not ts:
            print(line + f"failed: {m.failures.get(q.text, '?')}")
            continue
        line += f"{m.totals[q.text]:>10,}{statistics.median(ts):>9.1f}{max(ts):>9.1f}"
        if q.text in fts:
            f50 = statistics.median(fts[q.text])
            line += f"{f50:>9.1f}{statistics.median(ts) / max(f50, 1e-3):>7.1f}x"
            if fts_counts.get(q.text) != m.totals[q.text]:
                line += f"  (FTS5 finds {fts_counts.get(q.text, 0):,})"
        if same_as is not None and same_as.totals.get(q.text, -1) != m.totals[q.text]:
            line += f"  (embedded finds {same_as.totals.get(q.text, 0):,})"
        print(line)
        if q.text in m.failures:
            print(f"       NOTE: {m.failures[q.text]}")
    checks = []
    if fts_counts:
        agree = sum(fts_counts[q] == m.totals.get(q) for q in fts_counts)
        checks.append(f"{agree} of {len(fts_counts)} agree with FTS5")
    if same_as is not None:
        agree = sum(same_as.totals.get(q.text, -1) == m.totals.get(q.text) for q in QUERIES)
        checks.append(f"{agree} of {len(QUERIES)} agree with the embedded engine")
    if checks:
        print(f"  match counts: {'; '.join(checks)}")


def print_measured(label: str, m: Measured, factor: float) -> None:
    def target(name: str) -> float:
        return TARGETS_MS[name] * factor

    searches = m.all_search()
    newest = [t for ts in m.newest.values() for t in ts]
    terms = [t for ts in m.top_terms.values() for t in ts]
    others = [t for ts in m.top_other.values() for t in ts]
    print(f"\n{label}:")
    print(
        f"  search (30 queries, relevance)     {summary(searches)}"
        f"   target p95 < {target('search'):,.0f} ms"
    )
    print(f"  search sorted newest ({len(m.newest)} queries)   {summary(newest)}")
    print(
        f"  timeline (week, 3 queries, shares) {summary(m.timeline)}   target p95 < "
        f"{target('timeline'):,.0f} ms   ({m.gaps} gap weeks marked)"
    )
    print(
        f"  top terms ({len(m.top_terms)} queries)            {summary(terms)}"
        f"   target < {target('top terms'):,.0f} ms"
    )
    print(f"  top sources/authors ({len(m.top_other)})         {summary(others)}")
    if m.top_terms_example:
        print(f"  top terms for {TOP_TERMS[0]!r}: {', '.join(m.top_terms_example)}")
    for name, error in m.failures.items():
        if name not in m.search:
            print(f"  FAILED {name}: {error}")


def print_verdicts(
    label: str, m: Measured, factor: float, n: int, rate: float | None, built_now: bool
) -> None:
    note = "" if n >= TARGET_N else f" [targets are set at {TARGET_N:,}; this run has {n:,}]"
    print(f"\ntargets, {label}{note}:")
    searches = m.all_search()
    if searches:
        p95 = pct(searches, 95)
        verdict(
            p95 < TARGETS_MS["search"] * factor,
            f"search p95 < {TARGETS_MS['search'] * factor:,.0f} ms: {p95:,.1f} ms",
        )
    if m.timeline:
        p95 = pct(m.timeline, 95)
        verdict(
            p95 < TARGETS_MS["timeline"] * factor,
            f"timeline p95 < {TARGETS_MS['timeline'] * factor:,.0f} ms: {p95:,.1f} ms",
        )
    terms = [t for ts in m.top_terms.values() for t in ts]
    if terms:
        worst = max(terms)
        verdict(
            worst < TARGETS_MS["top terms"] * factor,
            f"top terms < {TARGETS_MS['top terms'] * factor:,.0f} ms: {worst:,.0f} ms (max)",
        )
    if rate is not None:
        verdict(
            rate >= INGEST_TARGET,
            f"ingest to searchable >= {INGEST_TARGET:,} articles/s: {rate:,.0f}"
            f"{'' if built_now else ' (figure from when the archive was built)'}",
        )


def print_ratios(
    m: Measured, fts: dict[str, list[float]], rdr: dict[str, list[float]], rdr_entries: int, n: int
) -> None:
    if fts:
        ours = [t for q in fts for t in m.search.get(q, [])]
        floor = [t for ts in fts.values() for t in ts]
        print(
            f"\nvs the FTS5 floor ({len(fts)} queries that translate directly; "
            f"the same {n:,} articles):"
        )
        print(f"  FTS5 top-20 + snippet  {summary(floor)}")
        print(f"  presswatch, same set   {summary(ours)}")
        if ours and floor:
            print(
                f"  presswatch / FTS5: p50 {pct(ours, 50) / pct(floor, 50):.2f}x, "
                f"p95 {pct(ours, 95) / pct(floor, 95):.2f}x, max {max(ours) / max(floor):.2f}x"
                "  (below 1 = faster than the floor)"
            )
        skipped = [q.text for q in QUERIES if q.fts is None]
        print(f"  not translated (fields FTS5 does not hold, dates): {', '.join(skipped)}")
    if rdr:
        ours = [t for q in rdr for t in m.search.get(q, [])]
        theirs = [t for ts in rdr.values() for t in ts]
        print(
            f"\nvs reader ({len(rdr)} single-term and phrase queries; "
            f"reader holds {rdr_entries:,} articles, presswatch {n:,}):"
        )
        print(f"  reader search_entries, first 20  {summary(theirs)}")
        print(f"  presswatch, same queries         {summary(ours)}")
        if ours and theirs:
            print(
                f"  reader / presswatch: p50 {pct(theirs, 50) / pct(ours, 50):,.0f}x, "
                f"p95 {pct(theirs, 95) / pct(ours, 95):,.0f}x "
                f"(presswatch searching {n / max(rdr_entries, 1):,.0f}x the articles)"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--articles", type=int, default=TARGET_N)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--pg", default="", help="PostgreSQL server URL, or 'default' for " + DEFAULT_PG)
    p.add_argument("--rounds", type=int, default=5, help="timed runs of each search")
    p.add_argument("--reader-articles", type=int, default=10_000)
    p.add_argument("--no-reader", action="store_true")
    p.add_argument("--no-fts", action="store_true")
    p.add_argument(
        "--rebuild", action="store_true", help="build the archives again (the corpus is kept)"
    )
    args = p.parse_args()
    n: int = args.articles
    args.cache.mkdir(parents=True, exist_ok=True)
    print(f"presswatch search benchmark: {n:,} articles, cache {args.cache}")
    print(f"machine: {os.cpu_count()} CPUs, {load()}\n")

    folder = corpus(args.cache, n)
    archive, db, fig, fresh = sqlite_archive(args.cache, folder, n, args.rebuild)
    print_build(fig, fresh)
    index_dir = Path(f"{db}.search")
    db_bytes = sum(size_of(Path(f"{db}{s}")) for s in ("", "-wal", "-shm"))
    print(
        f"  on disk: archive {mb(db_bytes)}, "
        f"search index {mb(size_of(index_dir))} ({index_dir.name}/)"
    )
    build_peak = peak_mb()
    measured_peak_note = " (query phase only)" if reset_peak() else " (whole run)"
    try:
        m = measure(archive, args.rounds, "embedded (SQLite + index)")
    finally:
        archive.close()

    fts_times: dict[str, list[float]] = {}
    fts_counts: dict[str, int] = {}
    if not args.no_fts:
        conn, ffig, ffresh = fts_floor(args.cache, db, n)
        print(
            f"  FTS5 floor build{'' if ffresh else ' (earlier)'}: "
            f"{ffig['docs']:,} docs in {ffig['seconds']:,.1f}s = "
            f"{ffig['docs'] / ffig['seconds']:,.0f} docs/s, {mb(ffig['bytes'])}"
        )
        fts_times, fts_counts = measure_fts(conn, args.rounds)
        conn.close()

    rdr_times: dict[str, list[float]] = {}
    rdr_entries = 0
    if not args.no_reader:
        try:
            rdr, rfig, rfresh = reader_db(args.cache, folder, n, min(args.reader_articles, n))
        except Exception as exc:
            print(f"reader skipped: {type(exc).__name__}: {exc}")
        else:
            rdr_entries = rfig["entries"]
            print(
                f"  reader build{'' if rfresh else ' (earlier)'}: "
                f"{rdr_entries:,} entries, update_feeds "
                f"{rfig['update_s']:,.1f}s, search index {rfig['index_s']:,.1f}s"
            )
            rdr_times = measure_reader(rdr, max(1, min(args.rounds, 3)))
            rdr.close()

    print("\n" + "=" * 100)
    print(f"machine now: {load()} (other work on the {os.cpu_count()} CPUs slows every figure)")
    print_queries(m, fts_times, fts_counts)
    print_measured(f"embedded default (SQLite + index), {n:,} articles", m, 1.0)
    print(
        f"  peak RSS: {m.peak_mb:,.0f} MB{measured_peak_note}; "
        f"{build_peak:,.0f} MB before the queries ({'build' if fresh else 'open'})"
    )
    print_ratios(m, fts_times, rdr_times, rdr_entries, n)
    print_verdicts("embedded default", m, 1.0, n, ingest_rate(fig), fresh)

    if args.pg:
        try:
            run_pg(DEFAULT_PG if args.pg == "default" else args.pg, args, folder, m)
        except Exception as exc:  # a failed PostgreSQL run still leaves the figures above
            print(f"\nPostgreSQL run failed: {type(exc).__name__}: {short(str(exc), 400)}")


def run_pg(url: str, args: argparse.Namespace, folder: Path, embedded: Measured) -> None:
    n: int = args.articles
    with pg_archive(url, args.cache, folder, n, args.rebuild) as got:
        if got is None:
            return
        pg, fig, fresh = got
        print_build(fig, fresh)
        pm = measure(pg, args.rounds, "PostgreSQL")
        print_queries(pm, {}, {}, same_as=embedded)
        print_measured(f"PostgreSQL, {n:,} articles", pm, PG_FACTOR)
        if embedded.all_search() and pm.all_search():
            ratio = pct(pm.all_search(), 95) / pct(embedded.all_search(), 95)
            print(f"  PostgreSQL / embedded: search p95 {ratio:.1f}x")
        label = f"PostgreSQL (within {PG_FACTOR:.0f}x)"
        print_verdicts(label, pm, PG_FACTOR, n, ingest_rate(fig), fresh)


if __name__ == "__main__":
    main()
