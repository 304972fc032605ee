"""presswatch: turn news feeds into a searchable, analyzable archive.

The public face: `open_archive` gives an `Archive`, whose methods are the use cases.
"""

from presswatch.archive import Archive, IngestReport, open_archive
from presswatch.types import Article, Enclosure, ParsedEntry, ParsedFeed

__all__ = [
    "Archive",
    "Article",
    "Enclosure",
    "IngestReport",
    "ParsedEntry",
    "ParsedFeed",
    "open_archive",
]
