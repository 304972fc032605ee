"""The language an article is written in, found from its text (lingua: the models ship in
the package, nothing is downloaded).

The feed's declared language is kept beside it: feeds often declare one language for
everything they carry, or none. Short or mixed texts give a low confidence, and below
MIN_CONFIDENCE the language is left unknown rather than guessed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib.metadata import version as package_version

from lingua import LanguageDetector, LanguageDetectorBuilder

from presswatch.enrich.base import EnrichInput, EnrichResult

MIN_CONFIDENCE = 0.5
MIN_LETTERS = 20  # fewer letters than this say too little to tell a language
SAMPLE = 4_000  # characters read from the start of the text: enough, and bounded
_detector: LanguageDetector | None = None
_lock = threading.Lock()


def _the_detector() -> LanguageDetector:
    """Built once per process (its models load lazily, per language, on first use)."""
    global _detector
    with _lock:
        if _detector is None:
            _detector = LanguageDetectorBuilder.from_all_languages().build()
        return _detector


def detect(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code or None, confidence) of the text."""
    return detect_many([text])[0]


def detect_many(texts: Sequence[str]) -> list[tuple[str | None, float]]:
    """detect() for many texts at once, spread over the CPUs by lingua itself."""
    samples = [text[:SAMPLE] for text in texts]
    readable = [i for i, s in enumerate(samples) if sum(ch.isalpha() for ch in s) >= MIN_LETTERS]
    found: list[tuple[str | None, float]] = [(None, 0.0)] * len(samples)
    if not readable:
        return found
    detector = _the_detector()
    values = detector.compute_language_confidence_values_in_parallel([samples[i] for i in readable])
    for i, ranked in zip(readable, values, strict=True):
        if not ranked:
            continue
        best = ranked[0]
        code = best.language.iso_code_639_1.name.lower()
        found[i] = (code if best.value >= MIN_CONFIDENCE else None, round(best.value, 3))
    return found


class LanguageEnricher:
    name = "language"
    version = f"lingua {package_version('lingua-language-detector')}; min {MIN_CONFIDENCE}"

    def run(self, batch: Sequence[EnrichInput]) -> list[EnrichResult]:
        texts = [f"{a.title}\n{a.text}" if a.title else a.text for a in batch]
        results = []
        for article, (language, confidence) in zip(batch, detect_many(texts), strict=True):
            payload = {
                "language": language,
                "confidence": confidence,
                "declared": article.declared_language,
            }
            if language is None:
                results.append(
                    EnrichResult(
                        article.id,
                        "skipped",
                        payload,
                        error="too little text, or too mixed, to tell its language",
                    )
                )
            else:
                results.append(EnrichResult(article.id, "ok", payload))
        return results
