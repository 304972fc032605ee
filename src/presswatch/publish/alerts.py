"""Alerts on saved queries: what is kept about them, and the signed payload sent.

Pure: the HTTP delivery lives in collect/alerts.py. Owner: issue 6 publishing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as listed; the secret itself is shown once, at creation."""

    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class AlertInfo:
    """A webhook on a saved query. `secret` signs each body (HMAC-SHA256)."""

    id: int
    query_name: str
    url: str
    secret: str
    created_at: datetime
    active: bool


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One article's delivery to one alert: status is 'pending', 'delivered' or 'failed'
    (gave up after the last retry)."""

    alert_id: int
    article_id: int
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    updated_at: datetime
    next_attempt_at: datetime | None
