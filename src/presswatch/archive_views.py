"""Use cases that assemble what a reader sees of one article: text with its entities,
quotes, key phrases, language and syndicated copies.

A mixin of `Archive`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from presswatch.errors import UsageError

if TYPE_CHECKING:
    from presswatch.dedupe import Overlap
    from presswatch.enrich.article_view import ArticleEnrichment, ArticleView, CopyView
    from presswatch.search.service import SearchService
    from presswatch.store import Store

COPY_HOPS = 3  # copies of copies, as far as `presswatch clusters` looks


class ViewUseCases:
    store: Store
    search_service: SearchService
    _clock: Callable[[], datetime]

    def article_view(self, article_id: int) -> ArticleView:
        """One article with its entities, mentions, quotes, key phrases and copies."""
        from presswatch.enrich.article_view import ArticleView

        detail = self.store.get_article(article_id)
        found = self.article_enrichments([article_id]).get(article_id)
        if detail is None or found is None:
            raise UsageError(f"no article with id {article_id} in this archive")
        return ArticleView.of(detail, found)

    def article_enrichments(self, ids: Sequence[int]) -> dict[int, ArticleEnrichment]:
        """The enrichment part of each named article's view, read in a few queries for all
        of them (for listings); ids that name nothing are left out."""
        from presswatch.enrich.article_view import enrichment

        rows = self.store.view_rows(ids)
        copies = _copies(self.store, sorted(rows))
        return {i: enrichment(r, *copies.get(i, ((), None))) for i, r in rows.items()}

    def entity_aliases(
        self, entities: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
        """(name, kind) -> every name each entity went by and why it was merged, for a
        listing of entities (one read for all of them)."""
        return self.store.entity_aliases_by_name(entities)


def _copies(store: Store, ids: list[int]) -> dict[int, tuple[tuple[CopyView, ...], str | None]]:
    """Each article's other members of its syndication cluster (with their overlap with
    it), and its own role there."""
    from presswatch.dedupe import Document, Pair, build_clusters
    from presswatch.dedupe import Overlap as Measured
    from presswatch.enrich.article_view import CopyView
    from presswatch.search.documents import outlet_name

    if not ids:
        return {}
    rows = store.near_pairs_around(ids, hops=COPY_HOPS)
    if not rows:
        return {}
    direct: dict[tuple[int, int], Overlap] = {}
    for a, b, jaccard, containment, common, same in rows:
        direct[(a, b)] = direct[(b, a)] = Measured(jaccard, containment, common, same)
    docs = []
    for article_id, when, feed, link, republished in store.cluster_members(
        sorted({x for r in rows for x in r[:2]})
    ):
        outlet = outlet_name(feed, link, feed)
        aliases = tuple(dict.fromkeys(n for n in (feed, outlet) if n))
        docs.append(Document(str(article_id), "", when, outlet, republished, aliases=aliases))
    known = {d.id for d in docs}
    pairs = [
        Pair(str(a), str(b), o)
        for (a, b), o in direct.items()
        if a < b and {str(a), str(b)} <= known
    ]
    clusters = build_clusters(docs, pairs)
    wanted = set(ids)
    member_of = {int(m.id): c for c in clusters for m in c.members if int(m.id) in wanted}
    needed = {
        (i, int(m.id))
        for i, c in member_of.items()
        for m in c.members
        if int(m.id) != i and (i, int(m.id)) not in direct
    }
    measured = _measure(store, needed)
    listed = sorted({int(m.id) for c in member_of.values() for m in c.members})
    stored = {a.id: a for a in store.articles_by_ids(listed)}
    out: dict[int, tuple[tuple[CopyView, ...], str | None]] = {}
    for i, cluster in member_of.items():
        copies = []
        own_role: str | None = None
        for m in cluster.members:
            other = int(m.id)
            if other == i:
                own_role = m.role
                continue
            o = direct.get((i, other)) or measured.get((i, other))
            copy = stored.get(other)
            if copy is None:
                continue
            copies.append(
                CopyView(
                    article_id=other,
                    source=copy.source,
                    title=copy.title,
                    url=copy.url,
                    published=copy.published,
                    overlap=o.jaccard if o else 0.0,
                    containment=o.containment if o else 0.0,
                    role=m.role,
                )
            )
        out[i] = (tuple(copies), own_role)
    return out


def _measure(store: Store, needed: set[tuple[int, int]]) -> dict[tuple[int, int], Overlap]:
    """Exact overlap of pairs in one cluster that were linked only through other copies."""
    if not needed:
        return {}
    from presswatch.dedupe import measure, shingles

    texts = {a.id: a.text for a in store.enrich_inputs(sorted({x for p in needed for x in p}))}
    cache = {i: shingles(t) for i, t in texts.items()}
    return {(a, b): measure(cache[a], cache[b]) for a, b in needed if a in cache and b in cache}
