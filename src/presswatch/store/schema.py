"""The archive's tables as the queries see them (the current schema version).

sources      one row per place we read from (file path, '-', URL); health counters.
feeds        one row per feed identity (`key`), with the channel metadata last seen.
blobs        raw fetched bytes, zlib-compressed, deduplicated by sha256 ("keep the raw").
fetches      one row per read of a source: outcome, how it was decoded, counts, raw blob.
             status is 'running' until finished, then 'ok' | 'partial' | 'error'.
articles     one row per article identity (`key`, archive-wide UNIQUE); `feed_id`,
             `source_id` and `fetch_id` are where it was first seen.
article_feeds one row per (article, feed): the guid that feed used, the last fetch and
             position it was seen at, first/last seen. An article syndicated in two feeds
             is one article with two rows here.
revisions    the EARLIER text of an article, saved each time a fetch changes it.
hosts        per web host: until when it asked us to wait (429/503 Retry-After).
source_pages the older pages of a source already read by backfill (never fetched again).
coverage     date ranges of a source known to be complete (backfill reached them).
article_pages the article's own web page, fetched when the feed had only a summary: its
             extracted text is shown and searched instead of the feed's, which is kept.
enrichments  what each enricher (language, ...) found for an article, with the enricher's
             version and the article's content hash it saw: a row that does not match
             both is stale, and `presswatch enrich` does the article again.
entities     canonical entities (name, kind) across the archive; entity_aliases the names
             each went by and why they were merged; mentions each resolved span of an
             article (character offsets into the text shown); quotes direct quotations
             with their speaker.
near_signatures / near_pairs  syndication: each article's MinHash signature (to rebuild the
             index at start) and the verified copies found, a < b.
saved_queries named queries (`@name` inside other queries).
api_tokens   API tokens by name: only the sha256 of each secret is kept.
alerts       webhooks on saved queries: the URL, the secret that signs each body, whether
             active. A removed alert is deleted with its pending list and log; its id is
             never reused.
alert_pending where each alert starts: a trigger on `articles` adds (alert, article) for
             every article stored while the alert is active, so an alert receives what
             arrives after it was created, never the archive's history. Delivering reads
             the rows whose article the search index has caught up with, keeps the
             matches in alert_deliveries and deletes the rows it read.
alert_deliveries one row per (alert, article) matched, so a match is queued once and
             sent again only after an attempt that failed. status 'pending'
             (next_attempt_at says when), 'sending' (claimed by a deliverer; the POST is
             under way), 'delivered' (a 2xx came back), 'failed' (gave up after the last
             retry) or 'interrupted' (presswatch stopped during the POST: it may have
             arrived, and it is not sent again).
search_pending the change log of the search index: ids of articles written since the index
             last caught up. Triggers on `articles` (and article_pages, mentions,
             entity_aliases) fill it in the writing transaction. On PostgreSQL a catch-up
             claims its rows (FOR UPDATE SKIP LOCKED) and a trigger takes the row's lock
             (ON CONFLICT DO UPDATE), so a write waits for the catch-up holding its article
             and adds it again after: the index never keeps text older than the archive's.
             On PostgreSQL the index itself is the table `search_docs` (tsvector per field,
             GIN-indexed), created by migration 3 and written by search/pg_index.py.
schema_version one row per applied migration.

No article is ever deleted (revoked tokens and removed alerts are). The tables are
created and changed only by migrations.py; a contract test checks that the migrated
database matches these definitions.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

from presswatch.store.columns import CleanText, JSONValue, UTCDateTime

metadata = MetaData()

Id = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column[int]:
    return Column("id", Id, Identity(), primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = True) -> Column[int]:
    return Column(name, Id, ForeignKey(target), nullable=nullable)


sources = Table(
    "sources",
    metadata,
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
    # live collection (migration 4)
    Column("url", CleanText),
    Column("subscribed", Integer, nullable=False, server_default="0"),
    Column("collection", CleanText),
    Column("title", CleanText),
    Column("site_url", CleanText),
    Column("etag", CleanText),
    Column("last_modified", CleanText),
    Column("next_check_at", UTCDateTime),
    Column("schedule_reason", CleanText),
    Column("error_streak", Integer, nullable=False, server_default="0"),
    Column("retired_at", UTCDateTime),
    Column("retired_reason", CleanText),
)

feeds = Table(
    "feeds",
    metadata,
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

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

fetches = Table(
    "fetches",
    metadata,
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
    # HTTP fetches (migration 4)
    Column("purpose", String(16)),
    Column("url", CleanText),
    Column("http_status", Integer),
    Column("elapsed_ms", Integer),
    Column("bytes", BigInteger),
    Column("etag", CleanText),
    Column("last_modified", CleanText),
)

articles = Table(
    "articles",
    metadata,
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
    metadata,
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
    metadata,
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

saved_queries = Table(
    "saved_queries",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("query", CleanText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

search_pending = Table(
    "search_pending",
    metadata,
    Column("article_id", Id, primary_key=True),
)

hosts = Table(
    "hosts",
    metadata,
    Column("host", CleanText, primary_key=True),
    Column("backoff_until", UTCDateTime),
    Column("reason", CleanText),
)

source_pages = Table(
    "source_pages",
    metadata,
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
    metadata,
    _id(),
    _ref("source_id", "sources.id", nullable=False),
    Column("start", UTCDateTime),
    Column("end", UTCDateTime, nullable=False),
    Column("how", CleanText, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

article_pages = Table(
    "article_pages",
    metadata,
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

enrichments = Table(
    "enrichments",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
    Column("enricher", String(32), primary_key=True),
    Column("version", String(64), nullable=False),
    Column("content_hash", String(128), nullable=False),
    Column("done_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", CleanText),
    Column("result", JSONValue),
)

entities = Table(
    "entities",
    metadata,
    _id(),
    Column("canonical", CleanText, nullable=False),
    Column("kind", String(16), nullable=False),
)

entity_aliases = Table(
    "entity_aliases",
    metadata,
    Column("entity_id", Id, ForeignKey("entities.id"), primary_key=True),
    Column("alias", CleanText, primary_key=True),
    Column("why", CleanText),
)

mentions = Table(
    "mentions",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
    Column("start", Integer, primary_key=True),
    Column("end", Integer, nullable=False),
    _ref("entity_id", "entities.id", nullable=False),
    Column("text", CleanText, nullable=False),
)

quotes = Table(
    "quotes",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
    Column("start", Integer, primary_key=True),
    Column("end", Integer, nullable=False),
    Column("text", CleanText, nullable=False),
    _ref("speaker_id", "entities.id"),
)

near_signatures = Table(
    "near_signatures",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
    Column("signature", LargeBinary, nullable=False),
)

near_pairs = Table(
    "near_pairs",
    metadata,
    Column("a", Id, ForeignKey("articles.id"), primary_key=True),
    Column("b", Id, ForeignKey("articles.id"), primary_key=True),
    Column("jaccard", Float, nullable=False),
    Column("containment", Float, nullable=False),
    Column("common", Integer, nullable=False),
    Column("identical", Integer, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
)

alerts = Table(
    "alerts",
    metadata,
    _id(),
    Column("query_name", String(64), ForeignKey("saved_queries.name"), nullable=False),
    Column("url", CleanText, nullable=False),
    Column("secret", CleanText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Integer, nullable=False, server_default="1"),
    sqlite_autoincrement=True,
)

alert_pending = Table(
    "alert_pending",
    metadata,
    Column("alert_id", Id, primary_key=True),  # not a foreign key: see migrations._v6
    Column("article_id", Id, ForeignKey("articles.id"), primary_key=True),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
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

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", UTCDateTime, nullable=False),
    Column("description", CleanText, nullable=False),
)
