"""Reads that assemble what one article's page or JSON shows: its mentions with offsets,
quotes, key phrases, language and syndicated copies.

Mixed into SQLStore. Owner: the article view work (issue 5 output).
"""

from __future__ import annotations

from typing import Protocol


class ViewStore(Protocol):
    """The part of `Store` that reads an article's enrichment for display."""


class ViewTables:
    """Mixin: needs `_read()` from SQLStore."""
