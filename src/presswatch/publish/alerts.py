"""Alerts on saved queries: what is kept about them, and the signed payload sent.

Pure: the HTTP delivery lives in collect/alerts.py.

A receiver checks a delivery by computing HMAC-SHA256 of the exact request body with the
alert's secret and comparing it, in constant time, with `X-Presswatch-Signature`
("sha256=" + hex). The body carries `sent_at` (also sent as `X-Presswatch-Timestamp`,
Unix seconds), so the signature covers the time too and a receiver can refuse old
replays. `X-Presswatch-Delivery` ("alert:article") is the same on every retry of one
match: a receiver that keeps it can drop the rare second copy (see collect/alerts.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from presswatch.store.records import StoredArticle

SIGNATURE_HEADER = "X-Presswatch-Signature"
TIMESTAMP_HEADER = "X-Presswatch-Timestamp"
DELIVERY_HEADER = "X-Presswatch-Delivery"
EXCERPT_CHARS = 1_000
"""Characters of the article's text in a payload: enough to judge it, small to post."""
TOKEN_PREFIX = "pw_"
DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed", "interrupted")


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as listed; the secret itself is shown once, at creation."""

    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class AlertInfo:
    """A webhook on a saved query. `secret` signs each body (HMAC-SHA256).

    `query` is the saved query's text now; the counts are of its deliveries by status.
    """

    id: int
    query_name: str
    url: str
    secret: str
    created_at: datetime
    active: bool
    query: str = ""
    delivered: int = 0
    pending: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One article's delivery to one alert: status is 'pending' (waiting for its next
    attempt), 'sending' (a POST under way), 'delivered' (a 2xx came back), 'failed' (gave
    up after the last retry) or 'interrupted' (presswatch stopped during the POST, so it
    may have arrived; never sent again)."""

    alert_id: int
    article_id: int
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    updated_at: datetime
    next_attempt_at: datetime | None
    article_title: str = ""
    article_url: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: `base` after the first failure, doubling up to `cap`; after
    `max_attempts` attempts the delivery is given up. The defaults try 10 times over
    about 8.5 hours (1, 2, 4 ... 256 minutes apart)."""

    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 10

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("a retry policy needs max_attempts >= 1 and 0 < base <= cap")

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        exponent = min(max(attempts - 1, 0), 40)
        grown: timedelta = self.base * (2**exponent)
        return min(grown, self.cap)

    def next_attempt(
        self, attempts: int, now: datetime, *, retry_after: datetime | None = None
    ) -> datetime | None:
        """When to try again after `attempts` failed attempts; None to give up. A receiver's
        Retry-After is honoured when later, up to the cap."""
        if attempts >= self.max_attempts:
            return None
        when = now + self.delay(attempts)
        if retry_after is not None and retry_after > when:
            when = min(retry_after, now + self.cap)
        return when


# -- secrets and signatures ------------------------------------------------------------


def new_secret(prefix: str = "") -> str:
    """256 random bits, URL-safe: an API token (prefixed "pw_") or an alert's signing key."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(secret: str) -> str:
    """What is kept of an API token. A plain sha256 suffices: the secret is 256 random
    bits, so there is nothing to guess that a slow, salted hash would protect."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def signature(secret: str, body: bytes) -> str:
    """The `X-Presswatch-Signature` value for `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


def delivery_headers(
    secret: str, body: bytes, sent_at: datetime, alert_id: int, article_id: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
        TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
        DELIVERY_HEADER: f"{alert_id}:{article_id}",
    }


# -- the payload -----------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def match_payload(
    alert: AlertInfo,
    article: StoredArticle,
    *,
    sent_at: datetime,
    attempt: int,
) -> bytes:
    """The JSON body posted for one match (UTF-8, keys in a fixed order)."""
    text = article.shown_text
    doc: dict[str, Any] = {
        "event": "match",
        "delivery": f"{alert.id}:{article.id}",
        "attempt": attempt,
        "sent_at": _iso(sent_at),
        "alert": {"id": alert.id, "query_name": alert.query_name, "query": alert.query},
        "article": {
            "id": article.id,
            "title": article.title,
            "url": article.url,
            "guid": article.guid,
            "published": _iso(article.published),
            "first_seen": _iso(article.first_seen),
            "authors": list(article.authors),
            "source": article.source,
            "language": article.language,
            "summary": article.summary,
            "excerpt": text[:EXCERPT_CHARS],
            "excerpt_truncated": len(text) > EXCERPT_CHARS,
        },
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
