"""Text dumps of feeds: recognised by shape, damaged ones kept as far as they go."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats import parse_feed

SEED = (Path(__file__).parent / "data" / "seed.txt").read_bytes()


def test_seed_channel_metadata() -> None:
    feed = parse_feed(SEED)
    assert feed.format == "textdump"
    assert (feed.title, feed.link, feed.language) == (
        "CSTO – Strategic Culture Foundation",
        "https://www.strategic-culture.org",
        "en-US",
    )
    assert feed.description and feed.description.startswith("Strategic Culture Foundation")
    assert feed.updated_raw == "Sun, 10 Apr 2022 20:53:47 +0000"
    assert (feed.update_period, feed.update_frequency) == ("hourly", 1)
    assert feed.generator == "https://wordpress.org/?v=4.9.16"
    assert len(feed.entries) == 10 and not feed.truncated and not feed.problems


def test_cut_off_dump_keeps_the_items_before_the_cut() -> None:
    text = SEED.decode("utf-8")
    cut = text.rindex("]]>") - 200  # inside the last item's body
    feed = parse_feed(text[:cut].encode("utf-8"))
    assert feed.truncated
    assert len(feed.entries) == 9
    assert any("ends inside an item" in p for p in feed.problems)


def test_plain_text_is_not_a_feed_dump() -> None:
    with pytest.raises(NotAFeedError, match="plain text"):
        parse_feed(b"Meeting notes\n\nThe CSTO summit is on Monday.\n")


def test_a_huge_line_of_urls_is_refused_quickly() -> None:
    line = " ".join(f"https://example.org/{n}" for n in range(8_000))
    start = time.perf_counter()
    with pytest.raises(NotAFeedError):
        parse_feed((line + "\n]]>\n").encode())
    assert time.perf_counter() - start < 5  # quadratic scanning took 30 s here


def test_dump_shaped_text_that_cannot_be_read_is_a_clear_error() -> None:
    text = "https://example.org Mon, 03 Jan 2022 10:00:00 +0000\n]]>\n"
    with pytest.raises(FeedParseError, match="text dump of a feed"):
        parse_feed(text.encode())
