"""One small hierarchy of errors, so every edge can tell a user what failed and what to do."""

from __future__ import annotations


class PresswatchError(Exception):
    """Base of every error presswatch raises on purpose; its message is for the analyst."""


class NotAFeedError(PresswatchError):
    """The input is readable but is not a feed (an HTML page, an empty body, other JSON...).

    `kind` names what it is instead, so the message can say so rather than "0 articles".
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        msg = f"not a feed: this looks like {kind}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class FeedParseError(PresswatchError):
    """The input claims to be a feed but nothing usable could be recovered from it."""


class ArchiveError(PresswatchError):
    """The archive could not be opened, migrated or written."""


class SearchIndexBusy(ArchiveError):
    """Another presswatch process is writing the search index; it will catch up later."""


class UsageError(PresswatchError):
    """The user asked for something that cannot be done as asked (bad option, unknown id)."""


class QuerySyntaxError(UsageError):
    """A query that cannot be understood; says where (`position`, 0-based) and what was expected.

    `str()` gives the one-line message; `pointer()` the query with a caret under the spot.
    """

    def __init__(self, message: str, query: str, position: int) -> None:
        self.message = message
        self.query = query
        self.position = max(0, min(position, len(query)))
        super().__init__(f"{message} (at character {self.position + 1})")

    def pointer(self, width: int = 76) -> str:
        """Two lines: the part of the query around the error, and a caret under it."""
        start = max(0, self.position - width // 2)
        shown = self.query[start : start + width].replace("\n", " ").replace("\t", " ")
        lead = "..." if start else ""
        return f"  {lead}{shown}\n  {' ' * (len(lead) + self.position - start)}^"
