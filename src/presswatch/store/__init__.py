"""The archive storage: one `Store` protocol, one SQLAlchemy implementation, two backends.

`open_store` takes an SQLite file path (the embedded default) or a `postgresql://` URL,
creates or migrates the schema, and returns a ready `Store`.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from presswatch.errors import ArchiveError
from presswatch.store.engine import create_archive_engine, explain_failure
from presswatch.store.migrations import migrate
from presswatch.store.protocol import Store
from presswatch.store.records import (
    ArticleDetail,
    FeedSighting,
    FetchRecord,
    IngestCounts,
    PackedRaw,
    RevisionRecord,
    SourceSummary,
    StoredArticle,
    pack_raw,
)
from presswatch.store.sql import SQLStore
from presswatch.store.url import describe_target, is_postgres_url


def open_store(target: str) -> Store:
    """Open the archive at `target`, creating it (the file, not its folder) and migrating it.

    Raises ArchiveError, with a message for the analyst, when it cannot be opened or reached.
    """
    engine = create_archive_engine(target)
    try:
        migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise explain_failure(target, exc) from exc
    except ArchiveError:
        engine.dispose()
        raise
    return SQLStore(engine, target)


__all__ = [
    "ArticleDetail",
    "FeedSighting",
    "FetchRecord",
    "IngestCounts",
    "PackedRaw",
    "RevisionRecord",
    "SQLStore",
    "SourceSummary",
    "Store",
    "StoredArticle",
    "describe_target",
    "is_postgres_url",
    "open_store",
    "pack_raw",
]
