"""Publishing the archive back out: pure writers, values in and feed bytes out."""

from presswatch.publish.atom import write_atom
from presswatch.publish.feeds import Channel, PublishItem
from presswatch.publish.jsonfeed import write_json_feed
from presswatch.publish.rss import write_rss

__all__ = ["Channel", "PublishItem", "write_atom", "write_json_feed", "write_rss"]
