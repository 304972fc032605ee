"""API tokens, alerts on saved queries and their delivery log.

Mixed into SQLStore. Owner: the alerts/publishing work (issue 6).
"""

from __future__ import annotations

from typing import Protocol


class AccessStore(Protocol):
    """The part of `Store` that keeps tokens, alerts and deliveries."""


class AccessTables:
    """Mixin: needs `_write(work)` and `_read()` from SQLStore."""
