"""Feeds written from the archive read back, through presswatch's own parser, as they went in."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from presswatch.formats import parse_feed
from presswatch.publish import Channel, PublishItem, write_atom, write_json_feed, write_rss
from presswatch.store.records import StoredArticle
from presswatch.types import Enclosure, ParsedEntry, ParsedFeed

SEED_TXT = Path(__file__).parent / "data" / "seed.txt"
SEEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

Writer = Callable[[Channel, Iterable[PublishItem]], bytes]
WRITERS: dict[str, Writer] = {"rss": write_rss, "atom": write_atom, "json": write_json_feed}
FORMATS = {"rss": "rss2.0", "atom": "atom1.0", "json": "json1.1"}


@dataclass(frozen=True)
class Item:
    title: str
    url: str | None = None
    guid: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    summary: str | None = None
    content_html: str | None = None
    text: str = ""
    categories: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    republished_from: str | None = None
    first_seen: datetime = SEEN


CHANNEL = Channel(
    title="Example – News",
    link="https://example.org/",
    description="All the news",
    language="en-US",
    self_url="https://example.org/feed/",
    update_period="hourly",
    update_frequency=1,
    ttl=60,
)

ITEMS = (
    Item(
        title="First story",
        url="https://example.org/2024/01/first/",
        guid="https://example.org/?p=1",
        published=datetime(2024, 1, 14, 15, 31, 7, tzinfo=UTC),
        authors=("Ann Author", "Bob Writer"),
        summary="A short summary",
        content_html="<p>Body <b>one</b></p>\n<p>Second paragraph</p>",
        text="Body one\n\nSecond paragraph",
        categories=("Politics", "Asia"),
        enclosures=(Enclosure(url="https://example.org/a.mp3", type="audio/mpeg", length=1234),),
    ),
    Item(
        title="Second story",
        url="https://example.org/2024/01/second/",
        guid="https://example.org/2024/01/second/",
        published=datetime(2024, 1, 9, 20, 0, 53, tzinfo=timezone(timedelta(hours=3))),
        authors=("Cy Reporter",),
        content_html="<p>Body two</p>",
        text="Body two",
    ),
)


def read_back(fmt: str, data: bytes) -> ParsedFeed:
    feed = parse_feed(data)
    assert feed.format == FORMATS[fmt]
    assert feed.problems == ()
    return feed


def date_of(fmt: str, entry: ParsedEntry) -> datetime:
    assert entry.published_raw is not None
    if fmt == "rss":
        assert entry.published_raw.endswith(" +0000")
        return parsedate_to_datetime(entry.published_raw)
    assert entry.published_raw.endswith("Z")
    return datetime.fromisoformat(entry.published_raw)


def assert_well_formed(fmt: str, data: bytes) -> None:
    if fmt == "json":
        json.loads(data.decode("utf-8"))
    else:
        etree.fromstring(data, etree.XMLParser(recover=False, resolve_entities=False))


@pytest.mark.parametrize("fmt", WRITERS)
def test_items_read_back_the_same(fmt: str) -> None:
    feed = read_back(fmt, WRITERS[fmt](CHANNEL, ITEMS))

    assert [e.title for e in feed.entries] == ["First story", "Second story"]
    assert [e.link for e in feed.entries] == [i.url for i in ITEMS]
    assert [e.guid for e in feed.entries] == [i.guid for i in ITEMS]
    assert [date_of(fmt, e) for e in feed.entries] == [
        datetime(2024, 1, 14, 15, 31, 7, tzinfo=UTC),
        datetime(2024, 1, 9, 17, 0, 53, tzinfo=UTC),
    ]
    assert [e.authors for e in feed.entries] == [("Ann Author", "Bob Writer"), ("Cy Reporter",)]
    assert [e.categories for e in feed.entries] == [("Politics", "Asia"), ()]
    assert [e.content_html for e in feed.entries] == [i.content_html for i in ITEMS]
    assert feed.entries[0].summary_html == "A short summary"
    [enclosure] = feed.entries[0].enclosures
    assert (enclosure.url, enclosure.type, enclosure.length) == (
        "https://example.org/a.mp3",
        "audio/mpeg",
        1234,
    )


def test_rss_guid_is_a_permalink_only_when_it_is_the_link() -> None:
    feed = read_back("rss", write_rss(CHANNEL, ITEMS))
    assert [e.guid_is_permalink for e in feed.entries] == [False, True]


def test_rss_is_shaped_like_wordpress() -> None:
    data = write_rss(CHANNEL, ITEMS)
    root = etree.fromstring(data)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert root.get("version") == "2.0"
    assert set(root.nsmap) == {"content", "dc", "atom", "sy"}
    assert b"<dc:creator>Ann Author</dc:creator>" in data
    assert b"<content:encoded><![CDATA[<p>Body <b>one</b></p>" in data

    feed = read_back("rss", data)
    assert (feed.title, feed.link, feed.description) == (
        "Example – News",
        "https://example.org/",
        "All the news",
    )
    assert (feed.language, feed.update_period, feed.update_frequency, feed.ttl) == (
        "en-US",
        "hourly",
        1,
        60,
    )
    assert (feed.self_link, feed.generator) == ("https://example.org/feed/", "presswatch")
    # No channel date given: the newest item dates the feed.
    assert feed.updated_raw == "Sun, 14 Jan 2024 15:31:07 +0000"


@pytest.mark.parametrize("fmt", ["atom", "json"])
def test_channel_reads_back(fmt: str) -> None:
    channel = Channel(
        title="T & <T>",
        link="https://example.org/",
        description="D",
        language="ru",
        self_url="https://example.org/feed",
        updated=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
    )
    feed = read_back(fmt, WRITERS[fmt](channel, ITEMS))
    assert (feed.title, feed.link, feed.self_link) == (
        "T & <T>",
        "https://example.org/",
        "https://example.org/feed",
    )
    assert (feed.description, feed.language) == ("D", "ru")
    if fmt == "atom":
        assert feed.updated_raw == "2024-05-01T08:00:00Z"


@pytest.mark.parametrize("fmt", WRITERS)
def test_undated_item_is_dated_by_first_seen(fmt: str) -> None:
    item = Item(title="Undated", url="https://example.org/u", text="x")
    [entry] = read_back(fmt, WRITERS[fmt](CHANNEL, [item])).entries
    assert date_of(fmt, entry) == SEEN


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_text_only_item_is_published_as_escaped_paragraphs(fmt: str) -> None:
    item = Item(title="Plain", url="https://example.org/p", text="a < b & c\n\nsecond")
    [entry] = read_back(fmt, WRITERS[fmt](CHANNEL, [item])).entries
    assert entry.content_html == "<p>a &lt; b &amp; c</p><p>second</p>"


def test_json_feed_carries_text_and_html() -> None:
    item = Item(title="Plain", url="https://example.org/p", text="a < b", summary="s < t")
    doc = json.loads(write_json_feed(CHANNEL, [item]))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    [out] = doc["items"]
    assert out["content_text"] == "a < b"
    assert out["content_html"] == "<p>a &lt; b</p>"
    assert out["summary"] == "s < t"
    assert out["id"] == "https://example.org/p"


@pytest.mark.parametrize("fmt", WRITERS)
def test_hostile_values_stay_well_formed_and_come_back_as_text(fmt: str) -> None:
    item = Item(
        title="<script>alert(1)</script> & Co \x00\x07\x1b\ufffe\ud800 🚀 Привет",
        url="https://example.org/?a=1&b=<2>",
        guid="id-]]>-\x01",
        authors=("Иван <Петров> & \x0bSons",),
        categories=("Новости & <more>",),
        summary="1 < 2 \x08]]>",
        content_html="<p>x ]]> y &amp; z</p><script>1</script>\x00 😀",
        first_seen=SEEN,
    )
    channel = Channel(title="Hostile ]]> & <\x00>", link="https://example.org/?x=1&y=2")
    data = WRITERS[fmt](channel, [item])
    assert_well_formed(fmt, data)

    feed = read_back(fmt, data)
    assert feed.title == "Hostile ]]> & <>"
    [entry] = feed.entries
    assert entry.title == "<script>alert(1)</script> & Co  🚀 Привет"
    assert entry.link == "https://example.org/?a=1&b=<2>"
    assert entry.guid == "id-]]>-"
    assert entry.authors == ("Иван <Петров> & Sons",)
    assert entry.categories == ("Новости & <more>",)
    assert entry.summary_html == "1 &lt; 2 ]]&gt;"
    assert entry.content_html == "<p>x ]]> y &amp; z</p><script>1</script> 😀"


def test_carriage_returns_in_content_survive() -> None:
    item = Item(title="CR", url="https://example.org/cr", content_html="<p>a\r\nb</p>")
    [entry] = read_back("rss", write_rss(CHANNEL, [item])).entries
    assert entry.content_html == "<p>a\r\nb</p>"


@pytest.mark.parametrize("fmt", WRITERS)
def test_empty_item_list_is_a_valid_empty_feed(fmt: str) -> None:
    data = WRITERS[fmt](Channel(title="Nothing yet", link=None), [])
    assert_well_formed(fmt, data)
    feed = read_back(fmt, data)
    assert (feed.title, feed.entries) == ("Nothing yet", ())


@pytest.mark.parametrize("fmt", WRITERS)
def test_items_may_be_a_one_shot_generator(fmt: str) -> None:
    feed = read_back(fmt, WRITERS[fmt](CHANNEL, (item for item in ITEMS)))
    assert len(feed.entries) == 2


@pytest.mark.parametrize("fmt", ["atom", "json"])
def test_items_without_guid_or_url_get_stable_distinct_ids(fmt: str) -> None:
    items = [Item(title="A", text="one"), Item(title="B", text="two")]
    first = [e.guid for e in read_back(fmt, WRITERS[fmt](CHANNEL, items)).entries]
    again = [e.guid for e in read_back(fmt, WRITERS[fmt](CHANNEL, items)).entries]
    assert first == again
    assert all(g and g.startswith("tag:presswatch,2024-03-01:") for g in first)
    assert first[0] != first[1]


@pytest.mark.parametrize("fmt", WRITERS)
def test_stored_articles_publish_directly(fmt: str) -> None:
    article = StoredArticle(
        id=1,
        key="url:example.org/s",
        source="Example",
        feed_url=None,
        guid=None,
        url="https://example.org/s",
        original_url="https://example.org/s",
        title="Stored",
        authors=("Ann Author",),
        published=datetime(2022, 1, 6, 17, 11, 2, tzinfo=UTC),
        published_raw=None,
        date_flag=None,
        updated=None,
        summary=None,
        text="Stored text",
        content_html="<p>Stored text</p>",
        language="en",
        republished_from="stephenlendman.org",
        first_seen=SEEN,
        last_seen=SEEN,
        categories=(),
        enclosures=(),
    )
    [entry] = read_back(fmt, WRITERS[fmt](CHANNEL, [article])).entries
    assert (entry.title, entry.link, entry.content_html) == (
        "Stored",
        "https://example.org/s",
        "<p>Stored text</p>",
    )
    assert date_of(fmt, entry) == datetime(2022, 1, 6, 17, 11, 2, tzinfo=UTC)


def _legal(text: str) -> str:
    return "".join(
        c
        for c in text
        if c in "\t\n\r"
        or (c >= "\x20" and c not in "\ufffe\uffff" and not "\ud800" <= c <= "\udfff")
    )


@settings(max_examples=100, deadline=None)
@given(title=st.text(min_size=1, max_size=40), content=st.text(min_size=1, max_size=40))
def test_any_text_survives_rss_and_atom(title: str, content: str) -> None:
    item = Item(title=title, url="https://example.org/h", content_html=content)
    body = _legal(content)
    for fmt in ("rss", "atom"):
        data = WRITERS[fmt](CHANNEL, [item])
        assert_well_formed(fmt, data)
        [entry] = read_back(fmt, data).entries
        assert (entry.title or "") == _legal(title).strip()
        assert entry.content_html == (body if body.strip() else None)


def test_seed_round_trips_through_rss() -> None:
    seed = parse_feed(SEED_TXT.read_bytes())
    assert len(seed.entries) == 10
    channel = Channel(
        title=seed.title or "",
        link=seed.link,
        description=seed.description,
        language=seed.language,
        update_period=seed.update_period,
        update_frequency=seed.update_frequency,
        updated=parsedate_to_datetime(seed.updated_raw) if seed.updated_raw else None,
    )
    items = [
        Item(
            title=e.title or "",
            url=e.link,
            guid=e.guid,
            published=parsedate_to_datetime(e.published_raw) if e.published_raw else None,
            content_html=e.content_html,
        )
        for e in seed.entries
    ]

    out = read_back("rss", write_rss(channel, items))

    assert (out.title, out.link, out.language) == (seed.title, seed.link, seed.language)
    assert out.updated_raw == seed.updated_raw == "Sun, 10 Apr 2022 20:53:47 +0000"
    assert [e.title for e in out.entries] == [e.title for e in seed.entries]
    assert [e.link for e in out.entries] == [e.link for e in seed.entries]
    assert [e.guid for e in out.entries] == [e.guid for e in seed.entries]
    assert [e.published_raw for e in out.entries] == [e.published_raw for e in seed.entries]
    assert [e.content_html for e in out.entries] == [e.content_html for e in seed.entries]
    assert out.entries[0].title == "After Kazakhstan, the Color Revolution Era Is Over"
