"""Syndication clusters among a query's matches: the same story across outlets, with the
original named (the earliest copy, or the one a "republished from" line names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from presswatch.dedupe import Document, Overlap, Pair, build_clusters
from presswatch.search.documents import outlet_name

if TYPE_CHECKING:
    from presswatch.search.service import SearchService
    from presswatch.store import Store
    from presswatch.store.records import StoredArticle

SCAN = 1_000  # the newest matches looked at
_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ClusterMember:
    article: StoredArticle
    role: str  # original | copy | folded (an exact repeat from the same outlet)
    overlap: Overlap | None  # with the original


@dataclass(frozen=True, slots=True)
class ClusterView:
    original: StoredArticle
    why: str  # earliest | republished_from
    members: tuple[ClusterMember, ...]  # the original first

    @property
    def outlets(self) -> int:
        return len({m.article.source for m in self.members})


def clusters_for(
    store: Store, search: SearchService, query: str, *, limit: int = 20
) -> list[ClusterView]:
    """The clusters holding at least one of the query's newest matches, newest first."""
    matched = search.matching_ids(query, limit=SCAN)
    rows = store.near_pairs_around(matched)
    ids = {x for r in rows for x in r[:2]}
    docs = []
    for article_id, when, feed, link, republished in store.cluster_members(sorted(ids)):
        outlet = outlet_name(feed, link, feed)
        aliases = tuple(dict.fromkeys(n for n in (feed, outlet) if n))
        docs.append(Document(str(article_id), "", when, outlet, republished, aliases=aliases))
    pairs = [Pair(str(a), str(b), Overlap(j, c, n, same)) for a, b, j, c, n, same in rows]
    found = build_clusters(docs, pairs)
    wanted = {str(i) for i in matched}
    found = tuple(c for c in found if any(m.id in wanted for m in c.members))
    newest_first = sorted(
        found, key=lambda c: max(m.published or _EPOCH for m in c.members), reverse=True
    )
    chosen = newest_first[:limit]
    articles = {
        a.id: a
        for a in store.articles_by_ids(sorted({int(m.id) for c in chosen for m in c.members}))
    }
    views = []
    for c in chosen:
        members = tuple(
            ClusterMember(articles[int(m.id)], m.role, m.overlap)
            for m in c.members
            if int(m.id) in articles
        )
        views.append(ClusterView(articles[int(c.original)], c.why, members))
    return views
