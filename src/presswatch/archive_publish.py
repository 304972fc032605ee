"""Use cases for publishing: topic feeds of saved queries, API tokens and alerts.

A mixin of `Archive` so that the facade stays one object. Owner: issue 6 publishing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presswatch.publish.alerts import AlertInfo, DeliveryRecord, TokenInfo
    from presswatch.search.service import SearchService
    from presswatch.store import Store


class PublishingUseCases:
    store: Store
    search_service: SearchService
    _clock: Callable[[], datetime]

    def topic_feed(
        self, query: str, fmt: str, *, limit: int = 50, base_url: str | None = None
    ) -> bytes:
        """The newest `limit` matches of `query` ("@name" for a saved query) as an RSS
        2.0, Atom 1.0 or JSON Feed 1.1 document (fmt rss|atom|json), with stable ids."""
        raise NotImplementedError

    def create_token(self, name: str) -> str:
        """A new API token's secret, shown this once; only its hash is kept."""
        raise NotImplementedError

    def check_token(self, secret: str) -> bool:
        raise NotImplementedError

    def tokens(self) -> list[TokenInfo]:
        raise NotImplementedError

    def revoke_token(self, name: str) -> bool:
        raise NotImplementedError

    def add_alert(self, query_name: str, url: str, *, secret: str | None = None) -> AlertInfo:
        raise NotImplementedError

    def alerts(self) -> list[AlertInfo]:
        raise NotImplementedError

    def remove_alert(self, alert_id: int) -> bool:
        raise NotImplementedError

    def alert_log(self, alert_id: int | None = None, limit: int = 50) -> list[DeliveryRecord]:
        raise NotImplementedError

    def deliver_alerts(self) -> list[DeliveryRecord]:
        """Post new matches of every active alert; each match is delivered once."""
        raise NotImplementedError
