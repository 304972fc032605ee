"""JSON Feed 1.0 and 1.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats import parse_feed
from presswatch.types import Enclosure

DATA = Path(__file__).parent / "data" / "formats"


def test_json_feed_11() -> None:
    feed = parse_feed((DATA / "jsonfeed11.json").read_bytes(), content_type="application/feed+json")
    assert feed.format == "json1.1"
    assert (feed.title, feed.link) == ("JSON Example", "https://example.org/")
    assert feed.self_link == "https://example.org/feed.json"
    assert feed.next_link == "https://example.org/feed.json?page=2"
    assert feed.language == "en-GB"
    first, second = feed.entries
    assert (first.guid, first.link, first.title) == ("1", "https://example.org/1", "First")
    assert first.content_html == "<p>Hello</p>"
    assert first.summary_html == "Hi"
    assert (first.published_raw, first.updated_raw) == (
        "2020-01-01T10:00:00Z",
        "2020-01-02T10:00:00Z",
    )
    assert first.authors == ("Ann", "Bo")
    assert first.categories == ("a", "b")
    assert first.enclosures == (Enclosure("https://example.org/1.mp3", "audio/mpeg", 10),)
    assert '"id": "1"' in first.raw
    assert second.guid == "2"
    assert second.content_html == "Plain &lt;text&gt;"
    assert second.authors == ("Old Style",)


def test_json_feed_10_author() -> None:
    feed = parse_feed((DATA / "jsonfeed10.json").read_bytes())
    assert feed.format == "json1.0"
    assert feed.entries[0].authors == ("Ann",)


@pytest.mark.parametrize(
    "body", [b'{"error": "not found"}', b"[1, 2, 3]", b'{"version": "1", "data": []}']
)
def test_other_json_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body)
    assert info.value.kind == "JSON that is not a feed"


def test_broken_json_is_a_parse_error() -> None:
    with pytest.raises(FeedParseError):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [')
