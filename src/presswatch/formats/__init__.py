"""Pure feed parsers: bytes in, `ParsedFeed` out; `parse_feed` picks the right one."""

from presswatch.formats.detect import parse_feed

__all__ = ["parse_feed"]
