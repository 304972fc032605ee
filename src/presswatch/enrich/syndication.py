"""Syndication: which archived articles carry the same text as each new one.

Unlike the other enrichers this one keeps state, the MinHash index over every article
done so far; it is rebuilt from the stored signatures when first used, and each new
article's signature and verified copies are stored as it is done. The matching itself is
pure (dedupe/near.py); this is its edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from presswatch.dedupe import Document, NearIndex, Signature, SignatureError
from presswatch.dedupe.near import BANDS
from presswatch.dedupe.shingles import NUM_PERM
from presswatch.enrich.base import EnrichInput, EnrichResult

if TYPE_CHECKING:
    from presswatch.store import Store


class SyndicationEnricher:
    name = "syndication"

    def __init__(self, store: Store) -> None:
        self._store = store
        self._index: NearIndex | None = None
        rule = NearIndex(lambda _id: None).rule
        self.version = (
            f"minhash {NUM_PERM}/{BANDS}; jaccard {rule.jaccard} or containment "
            f"{rule.containment} with {rule.min_common} in common"
        )

    def _text_of(self, doc_id: str) -> str | None:
        found = self._store.enrich_inputs([int(doc_id)])
        return found[0].text if found else None

    def _the_index(self) -> NearIndex:
        if self._index is None:
            index = NearIndex(self._text_of)
            for batch in self._store.near_signatures():
                for article_id, data in batch:
                    try:
                        index.add_signature(str(article_id), Signature.from_bytes(data))
                    except SignatureError:
                        continue  # from another version: that article is redone anyway
            self._index = index
        return self._index

    def run(self, batch: Sequence[EnrichInput]) -> list[EnrichResult]:
        index = self._the_index()
        results = []
        for article in batch:
            doc = Document(str(article.id), article.text, None, "")
            matches, signature = index.add_signed(doc)
            pairs = [
                (
                    int(m.id),
                    m.overlap.jaccard,
                    m.overlap.containment,
                    m.overlap.common,
                    m.overlap.identical,
                )
                for m in matches
            ]
            self._store.save_near(article.id, signature.to_bytes() if signature else None, pairs)
            if signature is None:
                results.append(
                    EnrichResult(
                        article.id, "skipped", error="fewer than five words: nothing to compare"
                    )
                )
            else:
                results.append(EnrichResult(article.id, "ok", {"copies": len(pairs)}))
        return results
