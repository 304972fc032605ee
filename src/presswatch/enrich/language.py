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
    sample = text[:SAMPLE]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None, 0.0
    values = _the_detector().compute_language_confidence_values(sample)
    if not values:
        return None, 0.0
    best = values[0]
    if best.value < MIN_CONFIDENCE:
        return None, round(best.value, 3)
    return best.language.iso_code_639_1.name.lower(), round(best.value, 3)


class LanguageEnricher:
    name = "language"
    version = f"lingua {package_version('lingua-language-detector')}; min {MIN_CONFIDENCE}"

    def run(self, batch: Sequence[EnrichInput]) -> list[EnrichResult]:
        results = []
        for article in batch:
            text = f"{article.title}\n{article.text}" if article.title else article.text
            language, confidence = detect(text)
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
