"""Enrichment quality on the seed, measured against the hand-made gold set
(tests/data/gold/seed.json, rules in its README).

Entities: per article, the set of canonical entities found against the gold set; a found
entity matches a gold one when any of its names (canonical or alias) is one of the gold
entity's names, case and accents ignored. Micro-averaged precision, recall and F1.
Speakers: for each gold quote with a speaker, the found quote overlapping it must name
the same entity (by the same name matching). Run this file to print the figures:

    python tests/test_enrich_quality.py
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
GOLD = json.loads((DATA / "gold" / "seed.json").read_text())

# What the current pipeline reaches (en_core_web_sm 3.8 + rules); the issue asks for
# entity F1 0.90 and speaker accuracy 0.85. These floors catch a regression; the note of
# each issue reports the figures against the targets.
ENTITY_F1_FLOOR = 0.95  # measured 0.957 (P 0.959, R 0.955); was 0.857 before rules 2
SPEAKER_FLOOR = 0.86  # measured 0.867 (39 of 45); was 0.40


def _key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in folded if not unicodedata.combining(ch))
    text = text.removeprefix("the ").replace("\u2019", "'")
    return " ".join(text.replace(".", "").split())


def measure(target: str) -> dict[str, Any]:
    from presswatch import open_archive

    with open_archive(target) as archive:
        archive.ingest([str(DATA / "seed.txt")])
        archive.enrich()
        found_total = gold_total = matched_found = matched_gold = 0
        speakers_right = speakers_total = 0
        misses: list[str] = []
        extras: list[str] = []
        per_article: list[dict[str, Any]] = []
        for article in archive.articles():
            gold = GOLD.get(article.url or "")
            if gold is None:
                continue
            gold_names = [
                {_key(e["name"]), *(_key(a) for a in e["aliases"])} for e in gold["entities"]
            ]
            detail = archive.article(article.id)
            found = detail.enrichments.get("entities", {}).get("result") or {}
            predicted: list[set[str]] = []
            for entity in found.get("entities", []):
                ids = archive.store.find_entities(entity["name"])
                names = {_key(entity["name"])}
                if ids:
                    names |= {_key(a) for a, _ in archive.store.entity_aliases_of(ids[0][0])}
                predicted.append(names)
            found_total += len(predicted)
            gold_total += len(gold_names)
            hit_pred = [p for p in predicted if any(p & g for g in gold_names)]
            hit_gold = [g for g in gold_names if any(p & g for p in predicted)]
            matched_found += len(hit_pred)
            matched_gold += len(hit_gold)
            misses += [sorted(g)[0] for g in gold_names if g not in hit_gold]
            extras += [sorted(p)[0] for p in predicted if p not in hit_pred]
            quotes = found.get("quotes", [])
            row: dict[str, Any] = {
                "title": gold["title"],
                "found": len(predicted),
                "gold": len(gold_names),
                "matched_found": len(hit_pred),
                "matched_gold": len(hit_gold),
                "speakers": 0,
                "speakers_right": 0,
                "wrong": [],
            }
            per_article.append(row)
            by_name = {
                _key(n): i
                for i, e in enumerate(gold["entities"])
                for n in [e["name"], *e["aliases"]]
            }
            for q in gold["quotes"]:
                if not q.get("speaker"):
                    continue
                speakers_total += 1
                row["speakers"] += 1
                text = _key(q["text"])
                match = next(
                    (
                        p
                        for p in quotes
                        if text[:40] in _key(p["text"]) or _key(p["text"])[:40] in text
                    ),
                    None,
                )
                said = by_name.get(_key(match["speaker"])) if match and match["speaker"] else None
                if said is not None and said == by_name.get(_key(q["speaker"])):
                    speakers_right += 1
                    row["speakers_right"] += 1
                else:
                    got = "no quote" if match is None else match.get("speaker")
                    row["wrong"].append(f"{q['text'][:50]!r}: {q['speaker']} <- {got}")
    precision = matched_found / found_total if found_total else 0.0
    recall = matched_gold / gold_total if gold_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "speaker_accuracy": speakers_right / speakers_total if speakers_total else 0.0,
        "speakers": speakers_total,
        "found": found_total,
        "gold": gold_total,
        "misses": misses,
        "extras": extras,
        "articles": per_article,
    }


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def per_article_lines(figures: dict[str, Any]) -> list[str]:
    """One line per article: entity P/R/F1 and speakers right of those with one."""
    lines = []
    for row in figures["articles"]:
        p = _ratio(row["matched_found"], row["found"])
        r = _ratio(row["matched_gold"], row["gold"])
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        speakers = f"{row['speakers_right']}/{row['speakers']}" if row["speakers"] else "-"
        lines.append(f"P {p:.3f} R {r:.3f} F1 {f1:.3f} speakers {speakers:>5}  {row['title'][:60]}")
    return lines


def test_entity_and_speaker_quality_on_the_seed(tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    figures = measure(str(tmp_path / "gold.db"))
    print(
        f"entities P {figures['precision']:.3f} R {figures['recall']:.3f} "
        f"F1 {figures['f1']:.3f}; speakers {figures['speaker_accuracy']:.3f} "
        f"of {figures['speakers']}"
    )
    assert figures["f1"] >= ENTITY_F1_FLOOR
    assert figures["speaker_accuracy"] >= SPEAKER_FLOOR


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = measure(str(Path(folder) / "gold.db"))
    hidden = ("misses", "extras", "articles")
    print(json.dumps({k: v for k, v in result.items() if k not in hidden}, indent=2))
    print("\n".join(per_article_lines(result)))
    if "-v" in sys.argv:
        for row in result["articles"]:
            for line in row["wrong"]:
                print("speaker:", line)
        print("missed:", ", ".join(sorted(set(result["misses"]))))
        print("extra:", ", ".join(sorted(set(result["extras"]))))
