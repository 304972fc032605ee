"""Use cases that assemble what a reader sees of one article: text with its entities,
quotes, key phrases, language and syndicated copies.

A mixin of `Archive`. Owner: issue 5 output.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presswatch.enrich.article_view import ArticleView
    from presswatch.search.service import SearchService
    from presswatch.store import Store


class ViewUseCases:
    store: Store
    search_service: SearchService
    _clock: Callable[[], datetime]

    def article_view(self, article_id: int) -> ArticleView:
        """One article with its entities, mentions, quotes, key phrases and copies."""
        raise NotImplementedError
