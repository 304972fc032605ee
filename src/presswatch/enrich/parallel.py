"""spaCy on every core: a pool of worker processes, each holding the model, that outlives
one batch.

spaCy's own `nlp.pipe(n_process=2)` starts its workers at every call and forks them,
which is unsafe in a process with threads (the web server, the collector) and, at the
enrichment runner's 200 articles a batch, pays the start each time. Here workers start
once per process (forkserver), load the model from the same folder the caller's model
came from, and send back only what the enricher reads of a Doc: entity spans, noun
chunks and the token count. Small batches with no pool running yet stay in this process:
starting the workers (~2 s) would cost more than it saves.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, NamedTuple

WORKERS_SETTING = "PRESSWATCH_NLP_WORKERS"
MIN_TEXTS = 64  # fewer than this, and no pool yet: run here
CHUNK = 8  # texts per task: small enough to share the tail of a batch between workers

_pools: dict[tuple[str, tuple[str, ...], int], ProcessPoolExecutor] = {}
_lock = threading.Lock()
_worker_nlp: Any = None


class Ent(NamedTuple):
    """An entity span as `doc.ents` gives it (the attributes the enricher reads)."""

    start_char: int
    end_char: int
    text: str
    label_: str


class Chunk(NamedTuple):
    text: str


@dataclass(frozen=True, slots=True)
class Analysed:
    """What the enricher reads of a spaCy Doc; `len()` is its number of tokens."""

    ents: tuple[Ent, ...]
    noun_chunks: tuple[Chunk, ...]
    tokens: int

    def __len__(self) -> int:
        return self.tokens


def workers() -> int:
    """PRESSWATCH_NLP_WORKERS, else one per CPU; 1 means everything in this process."""
    value = os.environ.get(WORKERS_SETTING, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return os.cpu_count() or 1


def pipe(nlp: Any, texts: Sequence[str], *, batch_size: int = 16) -> Iterator[Any]:
    """`nlp.pipe(texts)` in order, on every core when the batch pays for it: Docs when run
    here, `Analysed` values (the same attributes the enricher reads) from workers."""
    key = _key(nlp)
    n = workers()
    if key is None or n < 2 or not texts:
        yield from nlp.pipe(texts, batch_size=batch_size)
        return
    pool = _pool(key, n, start=len(texts) >= MIN_TEXTS)
    if pool is None:
        yield from nlp.pipe(texts, batch_size=batch_size)
        return
    chunks = [list(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
    done = 0
    try:
        for found in pool.map(_analyse, chunks):
            yield from found
            done += len(found)
    except BrokenProcessPool:  # a worker died (out of memory?): the rest here, pool gone
        _drop(key)
        yield from nlp.pipe(texts[done:], batch_size=batch_size)


def close() -> None:
    """Stop every worker (they stop by themselves when the process exits)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(close)


def _key(nlp: Any) -> tuple[str, tuple[str, ...]] | None:
    """Where the model was loaded from and what was disabled: enough for a worker to
    load the same pipeline. None for a model built in memory (it stays here)."""
    path = getattr(nlp, "path", None)
    if path is None or not os.path.isdir(path):
        return None
    return str(path), tuple(sorted(getattr(nlp, "disabled", ())))


def _pool(key: tuple[str, tuple[str, ...]], n: int, *, start: bool) -> ProcessPoolExecutor | None:
    with _lock:
        pool = _pools.get((*key, n))
        if pool is None and start:
            context = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(
                n, mp_context=context, initializer=_load, initargs=(key[0], list(key[1]))
            )
            _pools[(*key, n)] = pool
        return pool


def _drop(key: tuple[str, tuple[str, ...]]) -> None:
    with _lock:
        stale = [k for k in _pools if k[:2] == key]
        pools = [_pools.pop(k) for k in stale]
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)


def _load(path: str, disabled: list[str]) -> None:
    """In each worker, once."""
    global _worker_nlp
    import spacy

    _worker_nlp = spacy.load(path, disable=disabled)


def _analyse(texts: list[str]) -> list[Analysed]:
    return [
        Analysed(
            tuple(Ent(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents),
            tuple(Chunk(c.text) for c in doc.noun_chunks),
            len(doc),
        )
        for doc in _worker_nlp.pipe(texts, batch_size=16)
    ]
