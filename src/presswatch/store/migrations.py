"""Versioned, atomic schema migrations, run at every open for both backends.

Each migration is a Python function applied in its own transaction together with its
row in `schema_version`, so a crash leaves the archive at the previous version, never
half-way. Opening an up-to-date archive only reads the version. Concurrent openers are
serialized (PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE) and re-check the version
after taking the lock.

Migrations are frozen history: never edit one that has shipped. `_v1` therefore holds
its own copy of the initial tables; schema.py describes the current shape and a test
checks that the two agree after all migrations ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
)

from presswatch.errors import ArchiveError
from presswatch.store.columns import CleanText, JSONValue, UTCDateTime
from presswatch.store.schema import schema_version

_PG_LOCK_ID = 7_204_913_305  # arbitrary, constant: "presswatch migrations"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _v1(conn: Connection) -> None:
    md = MetaData()
    Id = BigInteger().with_variant(Integer(), "sqlite")

    def _id() -> Column[int]:
        return Column("id", Id, Identity(), primary_key=True)

    def _ref(name: str, target: str, *, nullable: bool = True) -> Column[int]:
        return Column(name, Id, ForeignKey(target), nullable=nullable)

    Table(
        "sources",
        md,
        _id(),
        Column("location", CleanText, nullable=False, unique=True),
        Column("kind", String(8), nullable=False),
        Column("added_at", UTCDateTime, nullable=False),
        Column("last_fetch_at", UTCDateTime),
        Column("last_status", String(16)),
        Column("last_error", CleanText),
        Column("fetch_count", Integer, nullable=False),
        Column("error_count", Integer, nullable=False),
        _ref("feed_id", "feeds.id"),
    )

    Table(
        "feeds",
        md,
        _id(),
        Column("key", CleanText, nullable=False, unique=True),
        Column("title", CleanText),
        Column("link", CleanText),
        Column("link_host", CleanText),
        Column("self_url", CleanText),
        Column("description", CleanText),
        Column("language", CleanText),
        Column("generator", CleanText),
        Column("format", String(16)),
        Column("ttl", Integer),
        Column("update_period", CleanText),
        Column("update_frequency", Integer),
        Column("update_base", CleanText),
        Column("skip_hours", JSONValue),
        Column("skip_days", JSONValue),
        Column("next_url", CleanText),
        Column("prev_archive_url", CleanText),
        Column("image", CleanText),
        Column("updated_raw", CleanText),
        Column("first_seen", UTCDateTime, nullable=False),
        Column("last_seen", UTCDateTime, nullable=False),
    )

    Table(
        "blobs",
        md,
        Column("sha256", String(64), primary_key=True),
        Column("size", BigInteger, nullable=False),
        Column("data", LargeBinary, nullable=False),
    )

    fetches = Table(
        "fetches",
        md,
        _id(),
        _ref("source_id", "sources.id", nullable=False),
        _ref("feed_id", "feeds.id"),
        Column("started_at", UTCDateTime, nullable=False),
        Column("finished_at", UTCDateTime),
        Column("status", String(16), nullable=False),
        Column("error", CleanText),
        Column("format", String(16)),
        Column("parser", String(32)),
        Column("encoding", CleanText),
        Column("encoding_reason", CleanText),
        Column("problems", JSONValue),
        Column("blob_sha256", String(64), ForeignKey("blobs.sha256")),
        Column("items", Integer, nullable=False),
        Column("new", Integer, nullable=False),
        Column("updated", Integer, nullable=False),
        Column("unchanged", Integer, nullable=False),
        Column("skipped", Integer, nullable=False),
        Column("skipped_reasons", JSONValue),
    )

    articles = Table(
        "articles",
        md,
        _id(),
        Column("key", CleanText, nullable=False, unique=True),
        Column("url", CleanText),
        Column("original_url", CleanText),
        Column("guid", CleanText),
        Column("title", CleanText, nullable=False),
        Column("authors", JSONValue, nullable=False),
        Column("published", UTCDateTime),
        Column("published_raw", CleanText),
        Column("date_flag", String(16)),
        Column("updated", UTCDateTime),
        Column("first_seen", UTCDateTime, nullable=False),
        Column("last_seen", UTCDateTime, nullable=False),
        Column("summary", CleanText),
        Column("content_html", CleanText),
        Column("text", CleanText, nullable=False),
        Column("language", CleanText),
        Column("republished_from", CleanText),
        Column("categories", JSONValue, nullable=False),
        Column("enclosures", JSONValue, nullable=False),
        Column("content_hash", String(128), nullable=False),
        _ref("feed_id", "feeds.id", nullable=False),
        _ref("source_id", "sources.id", nullable=False),
        _ref("fetch_id", "fetches.id"),
    )

    article_feeds = Table(
        "article_feeds",
        md,
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
        Column("feed_id", Id, ForeignKey("feeds.id"), primary_key=True),
        Column("guid", CleanText),
        _ref("fetch_id", "fetches.id"),
        Column("position", Integer, nullable=False),
        Column("first_seen", UTCDateTime, nullable=False),
        Column("last_seen", UTCDateTime, nullable=False),
    )

    revisions = Table(
        "revisions",
        md,
        _id(),
        _ref("article_id", "articles.id", nullable=False),
        Column("replaced_at", UTCDateTime, nullable=False),
        _ref("fetch_id", "fetches.id"),
        Column("title", CleanText, nullable=False),
        Column("authors", JSONValue, nullable=False),
        Column("summary", CleanText),
        Column("content_html", CleanText),
        Column("text", CleanText, nullable=False),
        Column("content_hash", String(128), nullable=False),
    )

    Index("ix_articles_published", articles.c.published)
    Index("ix_articles_guid", articles.c.guid)
    Index("ix_articles_feed_id", articles.c.feed_id)
    Index("ix_article_feeds_feed_guid", article_feeds.c.feed_id, article_feeds.c.guid)
    Index("ix_fetches_source_id", fetches.c.source_id)
    Index("ix_revisions_article_id", revisions.c.article_id)
    md.create_all(conn)


def _v2(conn: Connection) -> None:
    # Timelines order and filter by COALESCE(published, first_seen); an index on
    # `published` alone serves neither, and costs every insert.
    conn.execute(text("DROP INDEX ix_articles_published"))
    md = MetaData()
    articles = Table(
        "articles",
        md,
        Column("id", Integer, primary_key=True),
        Column("published", UTCDateTime),
        Column("first_seen", UTCDateTime),
    )
    Index(
        "ix_articles_timeline",
        func.coalesce(articles.c.published, articles.c.first_seen),
        articles.c.id,
    ).create(conn)


_INDEXED_COLUMNS = "title, text, authors, url, original_url, language, republished_from, published"

_PG_SEARCH_DOCS = """
CREATE TABLE search_docs (
    article_id BIGINT PRIMARY KEY REFERENCES articles(id),
    at TIMESTAMPTZ NOT NULL,
    sample_key BIGINT NOT NULL,
    outlet TEXT NOT NULL,
    authors TEXT[] NOT NULL,
    republished_from TEXT,
    tsv_title TSVECTOR NOT NULL,
    tsv_text TSVECTOR NOT NULL,
    tsv_author TSVECTOR NOT NULL,
    tsv_source TSVECTOR NOT NULL,
    tsv_url TSVECTOR NOT NULL,
    tsv_lang TSVECTOR NOT NULL,
    tsv_republished_from TSVECTOR NOT NULL
)
"""


def _v3(conn: Connection) -> None:
    # Search: saved queries, and a change log of articles the search index has not
    # caught up with. Triggers fill the log in the writing transaction itself, so no code
    # path can change an article without the index hearing of it.
    md = MetaData()
    Table(
        "saved_queries",
        md,
        Column("name", String(64), primary_key=True),
        Column("query", CleanText, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )
    Table(
        "search_pending",
        md,
        Column("article_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    md.create_all(conn)
    conn.execute(text("INSERT INTO search_pending (article_id) SELECT id FROM articles"))
    if conn.dialect.name == "sqlite":
        conn.execute(
            text(
                "CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN "
                "INSERT OR IGNORE INTO search_pending (article_id) VALUES (NEW.id); END"
            )
        )
        conn.execute(
            text(
                f"CREATE TRIGGER articles_search_update AFTER UPDATE OF {_INDEXED_COLUMNS} "
                "ON articles BEGIN "
                "INSERT OR IGNORE INTO search_pending (article_id) VALUES (NEW.id); END"
            )
        )
        return
    conn.execute(
        text(
            "CREATE FUNCTION presswatch_search_pending() RETURNS trigger AS $$ BEGIN "
            "INSERT INTO search_pending (article_id) VALUES (NEW.id) "
            "ON CONFLICT DO NOTHING; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER articles_search_insert AFTER INSERT ON articles "
            "FOR EACH ROW EXECUTE FUNCTION presswatch_search_pending()"
        )
    )
    conn.execute(
        text(
            f"CREATE TRIGGER articles_search_update AFTER UPDATE OF {_INDEXED_COLUMNS} "
            "ON articles FOR EACH ROW EXECUTE FUNCTION presswatch_search_pending()"
        )
    )
    conn.execute(text(_PG_SEARCH_DOCS))
    for column in ("title", "text", "author", "source", "url", "lang", "republished_from"):
        conn.execute(
            text(f"CREATE INDEX ix_search_docs_{column} ON search_docs USING gin (tsv_{column})")
        )
    conn.execute(text("CREATE INDEX ix_search_docs_at ON search_docs (at, article_id)"))
    conn.execute(text("CREATE INDEX ix_search_docs_sample ON search_docs (sample_key)"))


def _add_columns(conn: Connection, table: str, columns: list[Column[Any]]) -> None:
    for column in columns:
        ddl = column.type.compile(dialect=conn.dialect)
        extra = f" DEFAULT {column.server_default.arg} NOT NULL" if column.server_default else ""  # type: ignore[attr-defined]
        conn.execute(text(f'ALTER TABLE {table} ADD COLUMN "{column.name}" {ddl}{extra}'))


def _v4(conn: Connection) -> None:
    # Live collection: sources polled over HTTP (validators, schedule, health), fetch
    # records with their HTTP outcome, per-host backoff, backfill pages and coverage,
    # and article pages fetched for full text (indexed in place of the feed's summary).
    Id = BigInteger().with_variant(Integer(), "sqlite")
    _add_columns(
        conn,
        "sources",
        [
            Column("url", CleanText),
            Column("subscribed", Integer, server_default="0"),
            Column("collection", CleanText),
            Column("title", CleanText),
            Column("site_url", CleanText),
            Column("etag", CleanText),
            Column("last_modified", CleanText),
            Column("next_check_at", UTCDateTime),
            Column("schedule_reason", CleanText),
            Column("error_streak", Integer, server_default="0"),
            Column("retired_at", UTCDateTime),
            Column("retired_reason", CleanText),
        ],
    )
    _add_columns(
        conn,
        "fetches",
        [
            Column("purpose", String(16)),
            Column("url", CleanText),
            Column("http_status", Integer),
            Column("elapsed_ms", Integer),
            Column("bytes", BigInteger),
            Column("etag", CleanText),
            Column("last_modified", CleanText),
        ],
    )
    md = MetaData()
    Table("sources", md, Column("id", Id, primary_key=True))
    Table("articles", md, Column("id", Id, primary_key=True))
    Table(
        "hosts",
        md,
        Column("host", CleanText, primary_key=True),
        Column("backoff_until", UTCDateTime),
        Column("reason", CleanText),
    )
    Table(
        "source_pages",
        md,
        Column("source_id", Id, ForeignKey("sources.id"), primary_key=True),
        Column("url", CleanText, primary_key=True),
        Column("page", Integer, nullable=False),
        Column("fetched_at", UTCDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("items", Integer, nullable=False),
        Column("new", Integer, nullable=False),
        Column("oldest", UTCDateTime),
        Column("newest", UTCDateTime),
        Column("older_url", CleanText),
    )
    coverage = Table(
        "coverage",
        md,
        Column("id", Id, Identity(), primary_key=True),
        Column("source_id", Id, ForeignKey("sources.id"), nullable=False),
        Column("start", UTCDateTime),
        Column("end", UTCDateTime, nullable=False),
        Column("how", CleanText, nullable=False),
        Column("recorded_at", UTCDateTime, nullable=False),
    )
    Index("ix_coverage_source", coverage.c.source_id)
    Table(
        "article_pages",
        md,
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
        Column("url", CleanText, nullable=False),
        Column("fetched_at", UTCDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("http_status", Integer),
        Column("error", CleanText),
        Column("extractor", CleanText),
        Column("title", CleanText),
        Column("authors", JSONValue),
        Column("published", UTCDateTime),
        Column("site_name", CleanText),
        Column("language", CleanText),
        Column("text", CleanText),
        Column("html", CleanText),
        Column("attempts", Integer, nullable=False, server_default="1"),
    )
    for name in ("hosts", "source_pages", "coverage", "article_pages"):
        md.tables[name].create(conn)
    # A page's text is searched in place of the feed's: the index hears of it.
    if conn.dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            conn.execute(
                text(
                    f"CREATE TRIGGER article_pages_search_{event.lower()} AFTER {event} "
                    "ON article_pages BEGIN INSERT OR IGNORE INTO search_pending (article_id) "
                    "VALUES (NEW.article_id); END"
                )
            )
        return
    conn.execute(
        text(
            "CREATE FUNCTION presswatch_page_pending() RETURNS trigger AS $$ BEGIN "
            "INSERT INTO search_pending (article_id) VALUES (NEW.article_id) "
            "ON CONFLICT DO NOTHING; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER article_pages_search AFTER INSERT OR UPDATE ON article_pages "
            "FOR EACH ROW EXECUTE FUNCTION presswatch_page_pending()"
        )
    )


def _v5(conn: Connection) -> None:
    # Enrichment: one row per (article, enricher) with the enricher's version and the
    # content hash it saw, so what is missing or stale is found by comparison alone and
    # ingest never pays for it.
    Id = BigInteger().with_variant(Integer(), "sqlite")
    md = MetaData()
    Table("articles", md, Column("id", Id, primary_key=True))
    Table(
        "enrichments",
        md,
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
        Column("enricher", String(32), primary_key=True),
        Column("version", String(64), nullable=False),
        Column("content_hash", String(128), nullable=False),
        Column("done_at", UTCDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("error", CleanText),
        Column("result", JSONValue),
    )
    Table(
        "near_signatures",
        md,
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
        Column("signature", LargeBinary, nullable=False),
    )
    pairs = Table(
        "near_pairs",
        md,
        Column("a", Id, ForeignKey("articles.id"), primary_key=True),
        Column("b", Id, ForeignKey("articles.id"), primary_key=True),
        Column("jaccard", Float, nullable=False),
        Column("containment", Float, nullable=False),
        Column("common", Integer, nullable=False),
        Column("identical", Integer, nullable=False),
    )
    Index("ix_near_pairs_b", pairs.c.b)
    known = Table(
        "entities",
        md,
        Column("id", Id, Identity(), primary_key=True),
        Column("canonical", CleanText, nullable=False),
        Column("kind", String(16), nullable=False),
    )
    Index("ux_entities_name", known.c.canonical, known.c.kind, unique=True)
    Table(
        "entity_aliases",
        md,
        Column("entity_id", Id, ForeignKey("entities.id"), primary_key=True),
        Column("alias", CleanText, primary_key=True),
        Column("why", CleanText),
    )
    said = Table(
        "mentions",
        md,
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
        Column("start", Integer, primary_key=True),
        Column("end", Integer, nullable=False),
        Column("entity_id", Id, ForeignKey("entities.id"), nullable=False),
        Column("text", CleanText, nullable=False),
    )
    Index("ix_mentions_entity", said.c.entity_id, said.c.article_id)
    quoted = Table(
        "quotes",
        md,
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
        Column("start", Integer, primary_key=True),
        Column("end", Integer, nullable=False),
        Column("text", CleanText, nullable=False),
        Column("speaker_id", Id, ForeignKey("entities.id")),
    )
    Index("ix_quotes_speaker", quoted.c.speaker_id)
    for name in (
        "enrichments",
        "near_signatures",
        "near_pairs",
        "entities",
        "entity_aliases",
        "mentions",
        "quotes",
    ):
        md.tables[name].create(conn)
    # entity: searches the names of what an article mentions, so the index hears of
    # every change to its mentions, and of every new name of an entity it mentions.
    if conn.dialect.name == "sqlite":
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            conn.execute(
                text(
                    f"CREATE TRIGGER mentions_search_{event.lower()} AFTER {event} ON mentions "
                    "BEGIN INSERT OR IGNORE INTO search_pending (article_id) "
                    f"VALUES ({row}.article_id); END"
                )
            )
        conn.execute(
            text(
                "CREATE TRIGGER entity_aliases_search AFTER INSERT ON entity_aliases BEGIN "
                "INSERT OR IGNORE INTO search_pending (article_id) SELECT DISTINCT article_id "
                "FROM mentions WHERE entity_id = NEW.entity_id; END"
            )
        )
        return
    conn.execute(
        text(
            "CREATE FUNCTION presswatch_mention_pending() RETURNS trigger AS $$ BEGIN "
            "INSERT INTO search_pending (article_id) VALUES "
            "(CASE WHEN TG_OP = 'DELETE' THEN OLD.article_id ELSE NEW.article_id END) "
            "ON CONFLICT DO NOTHING; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER mentions_search AFTER INSERT OR UPDATE OR DELETE ON mentions "
            "FOR EACH ROW EXECUTE FUNCTION presswatch_mention_pending()"
        )
    )
    conn.execute(
        text(
            "CREATE FUNCTION presswatch_alias_pending() RETURNS trigger AS $$ BEGIN "
            "INSERT INTO search_pending (article_id) SELECT DISTINCT article_id FROM mentions "
            "WHERE entity_id = NEW.entity_id ON CONFLICT DO NOTHING; RETURN NULL; END $$ "
            "LANGUAGE plpgsql"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER entity_aliases_search AFTER INSERT ON entity_aliases "
            "FOR EACH ROW EXECUTE FUNCTION presswatch_alias_pending()"
        )
    )
    conn.execute(text("ALTER TABLE search_docs ADD COLUMN tsv_entity TSVECTOR NOT NULL DEFAULT ''"))
    conn.execute(text("CREATE INDEX ix_search_docs_entity ON search_docs USING gin (tsv_entity)"))


def _v6(conn: Connection) -> None:
    # Publishing: API tokens (only a hash kept), webhook alerts on saved queries, and their
    # deliveries. An alert starts when it is created: a trigger notes every article stored
    # after that, for each active alert, in `alert_pending` (in the writing transaction, so
    # nothing committed later is missed, whatever order concurrent writers commit in);
    # delivering reads that list, keeps the matches and clears what it read.
    Id = BigInteger().with_variant(Integer(), "sqlite")
    md = MetaData()
    Table("articles", md, Column("id", Id, primary_key=True))
    Table("saved_queries", md, Column("name", String(64), primary_key=True))
    Table(
        "api_tokens",
        md,
        Column("name", String(64), primary_key=True),
        Column("hash", String(64), nullable=False, unique=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("last_used_at", UTCDateTime),
    )
    Table(
        "alerts",
        md,
        Column("id", Id, Identity(), primary_key=True),
        Column("query_name", String(64), ForeignKey("saved_queries.name"), nullable=False),
        Column("url", CleanText, nullable=False),
        Column("secret", CleanText, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("active", Integer, nullable=False, server_default="1"),
        sqlite_autoincrement=True,  # a removed alert's id is never given to a new one
    )
    Table(
        "alert_pending",
        md,
        # not a foreign key: an article stored while its alert is being removed must not
        # fail for it; a row left for a removed alert (whose id is never reused) is ignored
        Column("alert_id", Id, primary_key=True),
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
    )
    deliveries = Table(
        "alert_deliveries",
        md,
        Column("alert_id", Id, ForeignKey("alerts.id"), primary_key=True),
        Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("last_status_code", Integer),
        Column("last_error", CleanText),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("next_attempt_at", UTCDateTime),
    )
    Index("ix_alert_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
    Index("ix_alert_deliveries_updated", deliveries.c.updated_at)
    for name in ("api_tokens", "alerts", "alert_pending", "alert_deliveries"):
        md.tables[name].create(conn)
    if conn.dialect.name == "sqlite":
        conn.execute(
            text(
                "CREATE TRIGGER articles_alert_pending AFTER INSERT ON articles BEGIN "
                "INSERT OR IGNORE INTO alert_pending (alert_id, article_id) "
                "SELECT id, NEW.id FROM alerts WHERE active = 1; END"
            )
        )
        return
    conn.execute(
        text(
            "CREATE FUNCTION presswatch_alert_pending() RETURNS trigger AS $$ BEGIN "
            "INSERT INTO alert_pending (alert_id, article_id) "
            "SELECT id, NEW.id FROM alerts WHERE active = 1 "
            "ON CONFLICT DO NOTHING; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER articles_alert_pending AFTER INSERT ON articles "
            "FOR EACH ROW EXECUTE FUNCTION presswatch_alert_pending()"
        )
    )


def _v7(conn: Connection) -> None:
    # Several processes (workers) catch the search index up at once on PostgreSQL, each
    # claiming its backlog rows with FOR UPDATE SKIP LOCKED. A trigger that found its
    # article already in the backlog did nothing: when that row was claimed, a catch-up
    # holding the article's earlier text deleted it at commit, and the index kept the old
    # text with nothing left pending. Touching the row instead takes its lock: a write
    # waits for the catch-up holding it, then adds the row again (or, if it got there
    # first, keeps the catch-ups off the row until its text is committed). SQLite has one
    # writer at a time, so its triggers stay as they are.
    if conn.dialect.name != "postgresql":
        return
    upsert = "ON CONFLICT (article_id) DO UPDATE SET article_id = EXCLUDED.article_id"
    conn.execute(
        text(
            "CREATE OR REPLACE FUNCTION presswatch_search_pending() RETURNS trigger AS $$ "
            f"BEGIN INSERT INTO search_pending (article_id) VALUES (NEW.id) {upsert}; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    conn.execute(
        text(
            "CREATE OR REPLACE FUNCTION presswatch_page_pending() RETURNS trigger AS $$ "
            f"BEGIN INSERT INTO search_pending (article_id) VALUES (NEW.article_id) {upsert}; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    conn.execute(
        text(
            "CREATE OR REPLACE FUNCTION presswatch_mention_pending() RETURNS trigger AS $$ "
            "BEGIN INSERT INTO search_pending (article_id) VALUES "
            "(CASE WHEN TG_OP = 'DELETE' THEN OLD.article_id ELSE NEW.article_id END) "
            f"{upsert}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    # in id order, so two writers adding overlapping sets take the row locks in one order
    conn.execute(
        text(
            "CREATE OR REPLACE FUNCTION presswatch_alias_pending() RETURNS trigger AS $$ "
            "BEGIN INSERT INTO search_pending (article_id) SELECT DISTINCT article_id "
            f"FROM mentions WHERE entity_id = NEW.entity_id ORDER BY article_id {upsert}; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial tables", _v1),
    Migration(2, "timeline index on COALESCE(published, first_seen), id", _v2),
    Migration(3, "search: saved queries, index change log (and PostgreSQL search_docs)", _v3),
    Migration(4, "live collection: HTTP sources, fetch records, backfill, article pages", _v4),
    Migration(5, "enrichment: results per enricher, syndication, entities, quotes", _v5),
    Migration(6, "publishing: API tokens, alerts on saved queries and their deliveries", _v6),
    Migration(7, "PostgreSQL: a write re-adds an article its catch-up has claimed", _v7),
)
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, "schema_version"):
        return 0
    return int(
        conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one()
    )


def migrate(engine: Engine, *, upto: int = LATEST) -> int:
    """Bring the archive to version `upto`, one transaction per migration; return the version."""
    while True:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            schema_version.create(conn, checkfirst=True)
            version = current_version(conn)
            if version > LATEST:
                raise ArchiveError(
                    f"this archive is at schema version {version}, newer than this presswatch "
                    f"knows (up to {LATEST}): upgrade presswatch to open it"
                )
            pending = [m for m in MIGRATIONS if version < m.version <= upto]
            if not pending:
                return version
            step = pending[0]
            step.apply(conn)
            conn.execute(
                insert(schema_version).values(
                    version=step.version,
                    applied_at=datetime.now(UTC),
                    description=step.description,
                )
            )
