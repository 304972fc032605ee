"""spaCy on both cores (enrich/parallel.py): the pool gives the enricher what `nlp.pipe`
gives, in the same order; small batches stay in this process; a worker that dies costs
nothing but time."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy

from presswatch.enrich import parallel
from presswatch.enrich.entities_enricher import load_model

SEED = Path(__file__).parent / "data" / "seed.txt"


@pytest.fixture(scope="module")
def nlp() -> Any:
    return load_model()


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    found = [p.strip() for p in text.split("\n\n") if 80 < len(p.strip()) < 1500]
    assert len(found) >= parallel.MIN_TEXTS
    return found[: parallel.MIN_TEXTS + 11]


@pytest.fixture(autouse=True)
def two_workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(parallel.WORKERS_SETTING, "2")
    yield
    parallel.close()


def _seen(docs: Iterator[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            tuple((e.start_char, e.end_char, e.text, e.label_) for e in doc.ents),
            tuple(c.text for c in doc.noun_chunks),
            len(doc),
        )
        for doc in docs
    ]


def test_the_pool_finds_what_spacy_finds_in_the_same_order(nlp: Any, paragraphs: list[str]) -> None:
    expected = _seen(nlp.pipe(paragraphs))
    got = list(parallel.pipe(nlp, paragraphs))
    assert all(isinstance(doc, parallel.Analysed) for doc in got)  # it ran in the workers
    assert _seen(iter(got)) == expected
    assert any(doc.ents for doc in got)
    again = list(parallel.pipe(nlp, paragraphs[:5]))  # the pool, once up, serves small ones
    assert all(isinstance(doc, parallel.Analysed) for doc in again)
    assert _seen(iter(again)) == expected[:5]


def test_a_small_batch_stays_here_when_no_pool_runs(nlp: Any, paragraphs: list[str]) -> None:
    few = paragraphs[: parallel.MIN_TEXTS - 1]
    got = list(parallel.pipe(nlp, few))
    assert all(isinstance(doc, spacy.tokens.Doc) for doc in got)
    assert list(parallel.pipe(nlp, [])) == []


def test_one_worker_means_this_process(
    nlp: Any, paragraphs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(parallel.WORKERS_SETTING, "1")
    got = list(parallel.pipe(nlp, paragraphs))
    assert all(isinstance(doc, spacy.tokens.Doc) for doc in got)


def test_a_model_built_in_memory_stays_here(paragraphs: list[str]) -> None:
    blank = spacy.blank("en")
    got = list(parallel.pipe(blank, paragraphs))
    assert all(isinstance(doc, spacy.tokens.Doc) for doc in got)


def test_a_worker_killed_midway_loses_nothing(nlp: Any, paragraphs: list[str]) -> None:
    expected = _seen(nlp.pipe(paragraphs))
    docs = parallel.pipe(nlp, paragraphs)
    first = next(docs)
    pool = next(iter(parallel._pools.values()))
    victim = next(iter(pool._processes))  # type: ignore[attr-defined]
    os.kill(victim, signal.SIGKILL)
    rest = list(docs)
    assert _seen(iter([first, *rest])) == expected
    assert not parallel._pools  # the broken pool is gone; the next large batch starts anew
