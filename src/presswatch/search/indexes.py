"""Which search engine an archive gets: tantivy beside an SQLite file, tsvector in PostgreSQL.

Chosen by measurement (docs/architecture.md, "Search"): the embedded default needs fast
ranking of common words over a million articles, which tantivy gives and FTS5 does not;
a PostgreSQL archive is shared by many machines, so its index lives in the database,
updated in the same transactions as the articles.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from presswatch.search.engine import SearchIndex
from presswatch.store import Store
from presswatch.store.sql import SQLStore
from presswatch.store.url import is_postgres_url, sqlite_path


def index_path(target: str) -> Path:
    """The folder of an SQLite archive's search index: `presswatch.db` -> `presswatch.db.search`."""
    db = sqlite_path(target)
    return db.with_name(db.name + ".search")


def open_index(store: Store) -> SearchIndex:
    if is_postgres_url(store.target):
        from presswatch.search.pg_index import PGIndex

        return PGIndex(cast(SQLStore, store))
    from presswatch.search.tantivy_index import TantivyIndex

    return TantivyIndex(index_path(store.target))
