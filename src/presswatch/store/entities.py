"""Entities, their aliases, mentions and quotes in the archive.

Canonical entities are shared by all articles (one row per name and kind); an article's
mentions and quotes are replaced whole each time it is enriched again. Mixed into
SQLStore, whose transaction helpers it uses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from presswatch.enrich.model import Entity, Mention, Quote
from presswatch.store.columns import fold
from presswatch.store.schema import (
    articles,
    entities,
    entity_aliases,
    feeds,
    mentions,
    quotes,
)

_IN_CHUNK = 500


class EntityTables:
    """Mixin: needs `_write(work)`, `_read()` and `_failures()` from SQLStore."""

    _write: Callable[..., Any]
    _read: Callable[[], AbstractContextManager[Connection]]
    _failures: Callable[[], AbstractContextManager[None]]

    def save_entities(
        self,
        article_id: int,
        found: Sequence[Entity],
        spans: Sequence[Mention],
        said: Sequence[Quote],
    ) -> None:
        """The article's entities, mentions and quotes, replacing what it had."""

        def work(conn: Connection) -> None:
            ids: dict[tuple[str, str], int] = {}
            for entity in found:
                key = (entity.canonical, entity.kind)
                ids[key] = _entity_id(conn, *key)
                known = set(
                    conn.execute(
                        select(entity_aliases.c.alias).where(entity_aliases.c.entity_id == ids[key])
                    ).scalars()
                )
                why = "; ".join(entity.why) or None
                fresh = [a for a in dict.fromkeys(entity.aliases) if a and a not in known]
                if fresh:
                    conn.execute(
                        insert(entity_aliases),
                        [{"entity_id": ids[key], "alias": a, "why": why} for a in fresh],
                    )
            conn.execute(delete(mentions).where(mentions.c.article_id == article_id))
            conn.execute(delete(quotes).where(quotes.c.article_id == article_id))
            rows = []
            for m in spans:
                key = (m.canonical, m.kind)
                if key not in ids:
                    ids[key] = _entity_id(conn, *key)
                rows.append(
                    {
                        "article_id": article_id,
                        "start": m.start,
                        "end": m.end,
                        "entity_id": ids[key],
                        "text": m.text,
                    }
                )
            if rows:
                conn.execute(insert(mentions), _distinct(rows))
            by_name = {name: i for (name, _), i in ids.items()}
            quoted = [
                {
                    "article_id": article_id,
                    "start": q.start,
                    "end": q.end,
                    "text": q.text,
                    "speaker_id": by_name.get(q.speaker) if q.speaker else None,
                }
                for q in said
            ]
            if quoted:
                conn.execute(insert(quotes), _distinct(quoted))

        self._write(work)

    def fold_people(self) -> int:
        """Fold each person the archive knows by a surname alone, by a variant spelling
        or by a shorter form into the one person it can be ("Tokayev" and "Tokaev" here,
        "Kassym-Jomart Tokayev" there: one person), and each organization known only by
        an acronym into the one organization spelled that way; the number folded. Only
        entities still mentioned count, and a name that could be two people stays apart.
        Each fold says why in the aliases it moves."""

        from presswatch.enrich.entities import fold_people_across  # the rules load on use

        def work(conn: Connection) -> int:
            mentioned = (
                select(entities.c.id, entities.c.canonical, func.count(mentions.c.start))
                .join(mentions, mentions.c.entity_id == entities.c.id)
                .where(entities.c.kind == "person")
                .group_by(entities.c.id, entities.c.canonical)
            )
            ids: dict[str, int] = {}
            counts: dict[str, int] = {}
            for entity_id, name, count in conn.execute(mentioned):
                ids[str(name)] = int(entity_id)
                counts[str(name)] = int(count)
            folded = 0
            for name, (target, why) in fold_people_across(counts).items():
                _fold(conn, ids[name], ids[target], f"{why} (across the archive)")
                folded += 1
            folded += _fold_acronyms(conn)
            return folded

        done: int = self._write(work)
        return done

    def find_entities(self, name: str) -> list[tuple[int, str, str]]:
        """(id, canonical, kind) of entities named `name` (canonically or by an alias),
        case and accents ignored; the most mentioned first."""
        folded = name.strip().lower()
        named = select(entity_aliases.c.entity_id).where(fold(entity_aliases.c.alias) == folded)
        counted = (
            select(mentions.c.entity_id, func.count().label("n"))
            .group_by(mentions.c.entity_id)
            .subquery()
        )
        query = (
            select(entities.c.id, entities.c.canonical, entities.c.kind)
            .outerjoin(counted, counted.c.entity_id == entities.c.id)
            .where(or_(fold(entities.c.canonical) == folded, entities.c.id.in_(named)))
            .order_by(func.coalesce(counted.c.n, 0).desc(), entities.c.id)
        )
        with self._failures(), self._read() as conn:
            return [(int(r[0]), str(r[1]), str(r[2])) for r in conn.execute(query)]

    def entity_ids_for(self, name: str) -> list[int]:
        return [i for i, _, _ in self.find_entities(name)]

    def articles_mentioning(self, entity_ids: Sequence[int]) -> list[int]:
        with self._failures(), self._read() as conn:
            return sorted(
                int(i)
                for i in conn.execute(
                    select(mentions.c.article_id)
                    .where(mentions.c.entity_id.in_(list(entity_ids)))
                    .distinct()
                ).scalars()
            )

    def top_entities(
        self, article_ids: Sequence[int] | None, limit: int = 20
    ) -> list[tuple[str, str, int, int]]:
        """(canonical, kind, articles, mentions) among the articles named (all if None)."""
        query = (
            select(
                entities.c.canonical,
                entities.c.kind,
                func.count(func.distinct(mentions.c.article_id)),
                func.count(),
            )
            .join(mentions, mentions.c.entity_id == entities.c.id)
            .group_by(entities.c.id, entities.c.canonical, entities.c.kind)
        )
        rows: list[tuple[str, str, int, int]]
        with self._failures(), self._read() as conn:
            if article_ids is None:
                rows = [(str(a), str(b), int(c), int(d)) for a, b, c, d in conn.execute(query)]
            else:
                tally: Counter[tuple[str, str]] = Counter()
                hits: Counter[tuple[str, str]] = Counter()
                ordered = sorted(set(article_ids))
                for start in range(0, len(ordered), _IN_CHUNK):
                    chunk = ordered[start : start + _IN_CHUNK]
                    for name, kind, n_articles, n_mentions in conn.execute(
                        query.where(mentions.c.article_id.in_(chunk))
                    ):
                        tally[(name, kind)] += n_articles
                        hits[(name, kind)] += n_mentions
                rows = [(k[0], k[1], tally[k], hits[k]) for k in tally]
        ranked = sorted(rows, key=lambda r: (-r[2], -r[3], r[0]))
        return [(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in ranked[:limit]]

    def entity_aliases_of(self, entity_id: int) -> list[tuple[str, str | None]]:
        with self._failures(), self._read() as conn:
            return [
                (str(r[0]), r[1])
                for r in conn.execute(
                    select(entity_aliases.c.alias, entity_aliases.c.why)
                    .where(entity_aliases.c.entity_id == entity_id)
                    .order_by(entity_aliases.c.alias)
                )
            ]

    def entity_timeline(self, entity_id: int) -> list[tuple[str, int]]:
        """(YYYY-MM, articles) the entity is mentioned in."""
        when = func.coalesce(articles.c.published, articles.c.first_seen)
        query = (
            select(when, mentions.c.article_id)
            .join(articles, articles.c.id == mentions.c.article_id)
            .where(mentions.c.entity_id == entity_id)
            .distinct()
        )
        months: Counter[str] = Counter()
        with self._failures(), self._read() as conn:
            for at, _ in conn.execute(query):
                if isinstance(at, datetime):
                    months[f"{at:%Y-%m}"] += 1
        return sorted(months.items())

    def co_mentioned(self, entity_id: int, limit: int = 15) -> list[tuple[str, str, int]]:
        """Entities mentioned in the same articles: (canonical, kind, articles)."""
        same = select(mentions.c.article_id).where(mentions.c.entity_id == entity_id)
        query = (
            select(
                entities.c.canonical,
                entities.c.kind,
                func.count(func.distinct(mentions.c.article_id)).label("n"),
            )
            .join(mentions, mentions.c.entity_id == entities.c.id)
            .where(mentions.c.article_id.in_(same), entities.c.id != entity_id)
            .group_by(entities.c.id, entities.c.canonical, entities.c.kind)
            .order_by(func.count(func.distinct(mentions.c.article_id)).desc(), entities.c.id)
            .limit(limit)
        )
        with self._failures(), self._read() as conn:
            return [(str(a), str(b), int(c)) for a, b, c in conn.execute(query)]

    def entity_sources(self, entity_id: int, limit: int = 10) -> list[tuple[str, int]]:
        name = func.coalesce(feeds.c.title, feeds.c.key)
        query = (
            select(name, func.count(func.distinct(mentions.c.article_id)))
            .join(articles, articles.c.id == mentions.c.article_id)
            .join(feeds, feeds.c.id == articles.c.feed_id)
            .where(mentions.c.entity_id == entity_id)
            .group_by(name)
            .order_by(func.count(func.distinct(mentions.c.article_id)).desc(), name)
            .limit(limit)
        )
        with self._failures(), self._read() as conn:
            return [(str(a), int(b)) for a, b in conn.execute(query)]

    def find_quotes(
        self,
        *,
        speaker_ids: Sequence[int] | None = None,
        article_ids: Sequence[int] | None = None,
        limit: int = 50,
    ) -> list[tuple[int, str, str | None, datetime | None, str]]:
        """(article id, quote, speaker, published, article title), newest first."""
        when = func.coalesce(articles.c.published, articles.c.first_seen)
        query = (
            select(quotes.c.article_id, quotes.c.text, entities.c.canonical, when, articles.c.title)
            .join(articles, articles.c.id == quotes.c.article_id)
            .outerjoin(entities, entities.c.id == quotes.c.speaker_id)
            .order_by(when.desc(), quotes.c.article_id.desc(), quotes.c.start)
            .limit(limit)
        )
        if speaker_ids is not None:
            query = query.where(quotes.c.speaker_id.in_(list(speaker_ids)))
        if article_ids is not None:
            query = query.where(quotes.c.article_id.in_(list(article_ids)[:10_000]))
        with self._failures(), self._read() as conn:
            return [(int(a), str(b), c, d, str(e)) for a, b, c, d, e in conn.execute(query)]

    def article_entities(self, article_id: int) -> list[tuple[str, str, int]]:
        """The article's entities: (canonical, kind, mentions), most mentioned first."""
        query = (
            select(entities.c.canonical, entities.c.kind, func.count())
            .join(mentions, mentions.c.entity_id == entities.c.id)
            .where(mentions.c.article_id == article_id)
            .group_by(entities.c.id, entities.c.canonical, entities.c.kind)
            .order_by(func.count().desc(), entities.c.canonical)
        )
        with self._failures(), self._read() as conn:
            return [(str(a), str(b), int(c)) for a, b, c in conn.execute(query)]


def _fold_acronyms(conn: Connection) -> int:
    """An organization known in some article only by an acronym ("CSTO") folds into the
    one organization that other articles taught is spelled that way."""
    orgs = conn.execute(
        select(entities.c.id, entities.c.canonical).where(entities.c.kind == "organization")
    ).all()
    spelled: dict[str, set[int]] = {}
    for entity_id, alias in conn.execute(
        select(entity_aliases.c.entity_id, entity_aliases.c.alias)
        .join(entities, entities.c.id == entity_aliases.c.entity_id)
        .where(entities.c.kind == "organization")
    ):
        spelled.setdefault(str(alias), set()).add(int(entity_id))
    folded = 0
    for entity_id, name in orgs:
        if not (str(name).isupper() and " " not in str(name)):
            continue
        others = spelled.get(str(name), set()) - {int(entity_id)}
        if len(others) != 1:
            continue
        [target] = others
        full = conn.execute(select(entities.c.canonical).where(entities.c.id == target)).scalar()
        _fold(conn, int(entity_id), target, f"acronym of {full} (across the archive)")
        folded += 1
    return folded


def _fold(conn: Connection, source: int, target: int, why: str) -> None:
    """Move every mention, quote and alias of entity `source` to `target`, then drop it."""
    held = set(
        conn.execute(
            select(entity_aliases.c.alias).where(entity_aliases.c.entity_id == target)
        ).scalars()
    )
    for alias in conn.execute(
        select(entity_aliases.c.alias).where(entity_aliases.c.entity_id == source)
    ).scalars():
        if alias not in held:
            conn.execute(insert(entity_aliases).values(entity_id=target, alias=alias, why=why))
    conn.execute(update(mentions).where(mentions.c.entity_id == source).values(entity_id=target))
    conn.execute(update(quotes).where(quotes.c.speaker_id == source).values(speaker_id=target))
    conn.execute(delete(entity_aliases).where(entity_aliases.c.entity_id == source))
    conn.execute(delete(entities).where(entities.c.id == source))


def _entity_id(conn: Connection, canonical: str, kind: str) -> int:
    found = conn.execute(
        select(entities.c.id).where(entities.c.canonical == canonical, entities.c.kind == kind)
    ).scalar()
    if found is not None:
        return int(found)
    new = conn.execute(
        insert(entities).values(canonical=canonical, kind=kind).returning(entities.c.id)
    ).scalar_one()
    conn.execute(
        insert(entity_aliases).values(entity_id=new, alias=canonical, why="its canonical name")
    )
    return int(new)


def _distinct(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per start offset (the table's key), the first kept."""
    seen: set[int] = set()
    kept = []
    for row in rows:
        if row["start"] not in seen:
            seen.add(row["start"])
            kept.append(row)
    return kept
