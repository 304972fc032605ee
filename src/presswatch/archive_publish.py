"""Use cases for publishing: topic feeds of saved queries, API tokens and alerts.

A mixin of `Archive` so that the facade stays one object.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from presswatch.errors import UsageError
from presswatch.publish.alerts import (
    TOKEN_PREFIX,
    AlertInfo,
    DeliveryRecord,
    RetryPolicy,
    TokenInfo,
    new_secret,
    token_hash,
)
from presswatch.publish.feeds import topic_channel
from presswatch.query.parser import SAVED_NAME

if TYPE_CHECKING:
    from presswatch.fetch.client import FetchSettings
    from presswatch.search.service import SearchService
    from presswatch.store import Store

FEED_FORMATS = ("rss", "atom", "json")
MAX_FEED_ITEMS = 1_000
MAX_LOG = 1_000
MAX_NAME = 64
MIN_SECRET = 16
TOKEN_TOUCH_EVERY = timedelta(minutes=1)
"""A token's last use is written at most this often, so reads with a token stay reads."""


class PublishingUseCases:
    store: Store
    search_service: SearchService
    _clock: Callable[[], datetime]

    # -- topic feeds --------------------------------------------------------------------

    def topic_feed(
        self, query: str, fmt: str, *, limit: int = 50, base_url: str | None = None
    ) -> bytes:
        """The newest `limit` matches of `query` ("@name" for a saved query) as an RSS
        2.0, Atom 1.0 or JSON Feed 1.1 document (fmt rss|atom|json), with stable ids.

        Links to the feed itself and to presswatch come from `base_url` (the deployment's
        PRESSWATCH_BASE_URL), never from a request; without it the feed has none."""
        from presswatch.publish import write_atom, write_json_feed, write_rss

        chosen = "json" if fmt == "jsonfeed" else fmt
        if chosen not in FEED_FORMATS:
            raise UsageError(f"unknown feed format {fmt!r}: choose one of rss, atom, json")
        if not 1 <= limit <= MAX_FEED_ITEMS:
            raise UsageError(f"a feed holds 1 to {MAX_FEED_ITEMS} articles, not {limit}")
        query = query.strip()
        if not query:
            raise UsageError("give a query or a saved query's @name to publish")
        saved = None
        if query.startswith("@") and SAVED_NAME.fullmatch(query[1:]):
            saved = self.search_service.saved_query(query[1:])
        ids = self.search_service.matching_ids(query, limit=limit)
        items = self.store.articles_by_ids(ids)
        try:
            channel = topic_channel(
                query,
                chosen,
                saved_name=saved.name if saved else None,
                saved_text=saved.query if saved else None,
                base_url=base_url,
                languages={a.language for a in items},
            )
        except ValueError as exc:
            raise UsageError(f"PRESSWATCH_BASE_URL: {exc}") from None
        writer = {"rss": write_rss, "atom": write_atom, "json": write_json_feed}[chosen]
        return writer(channel, items)

    # -- API tokens ---------------------------------------------------------------------

    def create_token(self, name: str) -> str:
        """A new API token's secret, shown this once; only its hash is kept."""
        _check_name(name, "an API token")
        secret = new_secret(TOKEN_PREFIX)
        if not self.store.add_token(name, token_hash(secret), self._clock()):
            raise UsageError(
                f"there is already a token named {name!r}: revoke it first "
                f"(presswatch token revoke {name}) or choose another name"
            )
        return secret

    def check_token(self, secret: str) -> bool:
        """Whether `secret` is a live token. Every kept hash is compared, in constant
        time, so neither the answer's timing nor its order says which one came close."""
        if not secret:
            return False
        digest = token_hash(secret)
        found: str | None = None
        for name, kept in self.store.token_hashes():
            if hmac.compare_digest(kept, digest):
                found = name
        if found is None:
            return False
        now = self._clock()
        touched: dict[str, datetime] = self.__dict__.setdefault("_tokens_touched", {})
        last = touched.get(found)
        if last is None or now - last >= TOKEN_TOUCH_EVERY:
            touched[found] = now
            self.store.touch_token(found, now)
        return True

    def tokens(self) -> list[TokenInfo]:
        return self.store.list_tokens()

    def revoke_token(self, name: str) -> bool:
        """Delete the token; requests carrying it are refused from now on."""
        return self.store.delete_token(name)

    # -- alerts -------------------------------------------------------------------------

    def add_alert(self, query_name: str, url: str, *, secret: str | None = None) -> AlertInfo:
        """POST each article stored from now on that matches the saved query to `url`.

        The archive's earlier articles are not sent: an alert is about what arrives."""
        name = query_name.removeprefix("@")
        self.search_service.saved_query(name)  # a clear error when there is none
        _check_webhook_url(url)
        if secret is None:
            secret = new_secret()
        elif len(secret) < MIN_SECRET or not secret.isprintable():
            raise UsageError(
                f"an alert's secret signs every delivery: give at least {MIN_SECRET} "
                "printable characters, or leave it out and presswatch makes one"
            )
        alert_id = self.store.add_alert(name, url.strip(), secret, self._clock())
        [alert] = self.store.list_alerts(alert_id=alert_id)
        return alert

    def alerts(self) -> list[AlertInfo]:
        return self.store.list_alerts()

    def alert(self, alert_id: int) -> AlertInfo:
        found = self.store.list_alerts(alert_id=alert_id)
        if not found:
            raise UsageError(f"no alert with id {alert_id} (see presswatch alerts list)")
        return found[0]

    def remove_alert(self, alert_id: int) -> bool:
        """Delete the alert with its delivery log; nothing more is sent for it."""
        return self.store.delete_alert(alert_id)

    def alert_log(self, alert_id: int | None = None, limit: int = 50) -> list[DeliveryRecord]:
        """Deliveries, the most recently changed first (of one alert, or of all)."""
        if not 1 <= limit <= MAX_LOG:
            raise UsageError(f"show 1 to {MAX_LOG} deliveries, not {limit}")
        if alert_id is not None:
            self.alert(alert_id)
        return self.store.delivery_log(alert_id, limit)

    def deliver_alerts(
        self,
        *,
        settings: FetchSettings | None = None,
        retry: RetryPolicy | None = None,
        on_problem: Callable[[int, str], None] | None = None,
    ) -> list[DeliveryRecord]:
        """Post new matches of every active alert; each match is delivered once.

        Settings default to the environment's (PRESSWATCH_ALLOW_NETWORKS and friends);
        `on_problem(alert_id, message)` hears of alerts whose query cannot be run."""
        import asyncio

        from presswatch.collect.alerts import deliver
        from presswatch.fetch.settings_env import fetch_settings_from_env

        if settings is None:
            try:
                settings = fetch_settings_from_env()
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        return asyncio.run(
            deliver(
                self.store,
                self.search_service,
                settings,
                now=self._clock,
                retry=retry or RetryPolicy(),
                on_problem=on_problem,
            )
        )


def _check_name(name: str, what: str) -> None:
    if len(name) > MAX_NAME or not SAVED_NAME.fullmatch(name):
        raise UsageError(
            f"{name!r} cannot name {what}: use letters, digits, _ and -, starting with a "
            f"letter (at most {MAX_NAME})"
        )


def _check_webhook_url(url: str) -> None:
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or not url.isprintable()
        or " " in url
    ):
        raise UsageError(
            f"{url!r} is not a web address to post alerts to: give an http:// or https:// URL"
        )
