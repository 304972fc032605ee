"""The pure half of ingest (read, parse, normalize), run in worker processes when there is
more than one document, so parsing and cleaning use every core while the archive writes.

Documents come back in the order they were named, so reports and first-seen order do
not depend on which worker was faster. Only a few documents are in flight at once, which
keeps memory bounded on folders of thousands of feeds; a very large document is left to
the caller to stream in batches.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats import parse_feed
from presswatch.normalize.article import feed_key, normalize_feed
from presswatch.store.records import PackedRaw, pack_raw
from presswatch.types import Article, ParsedFeed

LARGE_DOCUMENT = 32 * 1024 * 1024  # bigger files are streamed by the caller, not shipped


@dataclass(slots=True)
class Prepared:
    """One document, parsed and normalized, ready to store; or why it could not be."""

    raw: bytes | PackedRaw = b""
    parsed: ParsedFeed | None = None
    key: str = ""
    items: int = 0
    articles: Iterable[Article] = field(default_factory=list)
    error: str | None = None
    read_error: bool = False


def prepare(
    data: bytes, *, location: str, now: datetime, content_type: str | None = None
) -> Prepared:
    """Parse and normalize lazily: articles are produced as the caller stores them."""
    try:
        # no per-item raw text: the whole document is kept, and each article its position
        parsed = parse_feed(data, content_type=content_type, location=location, item_raw=False)
    except (NotAFeedError, FeedParseError) as exc:
        return Prepared(raw=data, error=str(exc))
    except Exception as exc:  # a parser bug on one document must not stop the others
        return Prepared(raw=data, error=f"could not be read: {type(exc).__name__}: {exc}")
    key = feed_key(parsed, location)
    articles = normalize_feed(parsed, key, now=now)
    return Prepared(raw=data, parsed=parsed, key=key, items=len(parsed.entries), articles=articles)


def prepare_file(path: str, now: datetime) -> Prepared:
    """Worker side: everything materialized and the entries dropped, to ship it cheaply."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Prepared(error=f"cannot read it: {exc.strerror}", read_error=True)
    prepared = prepare(data, location=path, now=now)
    try:
        prepared.articles = list(prepared.articles)
    except Exception as exc:  # a bug on one document must not stop the others
        prepared = Prepared(error=f"could not be read: {type(exc).__name__}: {exc}")
    if prepared.parsed is not None:
        prepared.parsed = replace(prepared.parsed, entries=())
    prepared.raw = pack_raw(data)  # hashing and compressing here spares the writer
    return prepared


def prepare_fetched(
    data: bytes,
    location: str,
    now: datetime,
    content_type: str | None,
    keep_entries: bool = False,
) -> Prepared:
    """Worker side, for a fetched body: like prepare_file, articles materialized and the
    raw bytes packed; the entries are left out unless asked for (paging needs them)."""
    prepared = prepare(data, location=location, now=now, content_type=content_type)
    try:
        prepared.articles = list(prepared.articles)
    except Exception as exc:  # a bug on one document must not stop the others
        prepared = Prepared(raw=data, error=f"could not be read: {type(exc).__name__}: {exc}")
    if prepared.parsed is not None and not keep_entries:
        prepared.parsed = replace(prepared.parsed, entries=())
    prepared.raw = pack_raw(data)
    return prepared


def prepared_in_order(
    paths: list[str], *, workers: int, now: datetime
) -> Generator[tuple[str, Future[Prepared] | None], None, None]:
    """Yield (path, future of its Prepared) in order; None means "large: prepare it
    yourself, streaming". A future may raise if its worker died: prepare it yourself then."""
    # fork: workers start at once with the package loaded and never touch the archive
    # (the writer's connections are not used in them); it needs no importable __main__.
    context = multiprocessing.get_context("fork")
    ahead = max(2, workers * 2)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        window: deque[tuple[str, Future[Prepared] | None]] = deque()
        pending = iter(paths)
        for path in pending:
            window.append((path, _submit(pool, path, now)))
            if len(window) >= ahead:
                break
        while window:
            path, future = window.popleft()
            next_path = next(pending, None)
            if next_path is not None:
                window.append((next_path, _submit(pool, next_path, now)))
            yield path, future


def _submit(pool: ProcessPoolExecutor, path: str, now: datetime) -> Future[Prepared] | None:
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > LARGE_DOCUMENT:
            return None  # pipes and huge files are read by the writer itself
    except OSError:
        pass  # the worker reports it
    try:
        return pool.submit(prepare_file, path, now)
    except Exception:  # the pool broke (a worker was killed): the caller reads it itself
        return None


def worker_count(requested: int | None) -> int:
    return requested if requested and requested > 0 else (os.cpu_count() or 1)
