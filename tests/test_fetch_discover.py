from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.fetch.discover import FoundFeed, common_paths, linked_feeds, looks_like_html
from presswatch.fetch.paging import is_wordpress, older_page, wordpress_page
from presswatch.types import ParsedEntry, ParsedFeed

PAGE = "https://example.com/tag/csto/"

WORDPRESS_HEAD = b"""<!DOCTYPE html>
<html lang="en-US"><head>
<meta charset="UTF-8">
<title>CSTO Archives - Strategic Culture</title>
<link rel="alternate" type="application/rss+xml" title="Strategic Culture &raquo; Feed"
      href="https://example.com/feed/" />
<link rel="alternate" type="application/rss+xml" title="Strategic Culture &raquo; Comments Feed"
      href="https://example.com/comments/feed/" />
<link rel="alternate" type="application/rss+xml" title="Strategic Culture &raquo; CSTO Tag Feed"
      href="/tag/csto/feed/" />
<link rel="alternate" title="JSON" type="application/json"
      href="https://example.com/wp-json/wp/v2/tags/42" />
<link rel="alternate" type="application/json+oembed" href="https://example.com/oembed?x" />
<link rel="https://api.w.org/" href="https://example.com/wp-json/" />
<link rel="alternate" hreflang="ru" href="https://example.com/ru/tag/csto/" />
</head><body><p>Hello</p></body></html>"""


def test_wordpress_page_feeds_in_page_order_with_comments_last() -> None:
    found = linked_feeds(WORDPRESS_HEAD, PAGE)
    assert found == [
        FoundFeed(
            "https://example.com/feed/",
            "application/rss+xml",
            "Strategic Culture » Feed",
            "linked from the page",
        ),
        FoundFeed(
            "https://example.com/tag/csto/feed/",
            "application/rss+xml",
            "Strategic Culture » CSTO Tag Feed",
            "linked from the page",
        ),
        FoundFeed(
            "https://example.com/comments/feed/",
            "application/rss+xml",
            "Strategic Culture » Comments Feed",
            "linked from the page",
        ),
    ]


def test_every_feed_type_is_found_and_rel_is_a_list() -> None:
    html = b"""<html><head>
    <link rel="Alternate" type="application/atom+xml" href="atom.xml">
    <link rel="alternate feed" type="application/rdf+xml" href="/index.rdf">
    <link rel="home alternate" type="application/feed+json" href="/feed.json">
    <link rel="alternate" type="APPLICATION/RSS+XML; charset=utf-8" href="/rss">
    <link rel="stylesheet" type="application/rss+xml" href="/not-a-feed.xml">
    <link rel="alternative" type="application/rss+xml" href="/typo.xml">
    </head></html>"""
    found = linked_feeds(html, "https://example.com/blog/post.html")
    assert [(f.url, f.type) for f in found] == [
        ("https://example.com/blog/atom.xml", "application/atom+xml"),
        ("https://example.com/index.rdf", "application/rdf+xml"),
        ("https://example.com/feed.json", "application/feed+json"),
        ("https://example.com/rss", "application/rss+xml"),
    ]


def test_plain_json_and_xml_links_count_only_when_they_look_like_feeds() -> None:
    html = b"""<html><head>
    <link rel="alternate" type="application/json" title="JSON Feed" href="/feed.json">
    <link rel="alternate" type="application/json" title="JSON" href="/wp-json/wp/v2/posts/7">
    <link rel="alternate" type="application/json" href="/api/data.json">
    <link rel="alternate" type="text/xml" title="RSS" href="/backend.php">
    <link rel="alternate" type="application/xml" href="/sitemap.xml">
    </head></html>"""
    found = linked_feeds(html, "https://example.com/")
    assert [f.url for f in found] == [
        "https://example.com/feed.json",
        "https://example.com/backend.php",
    ]


def test_relative_links_resolve_against_base_href() -> None:
    html = b"""<html><head><base href="/news/">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    </head></html>"""
    found = linked_feeds(html, "https://example.com/a/b/page")
    assert [f.url for f in found] == ["https://example.com/news/rss.xml"]
    unsafe_base = html.replace(b"/news/", b"javascript:void(0)/")
    found = linked_feeds(unsafe_base, "https://example.com/a/b/page")
    assert [f.url for f in found] == ["https://example.com/a/b/rss.xml"]


def test_unsafe_schemes_are_skipped_feed_scheme_is_unwrapped_and_duplicates_dropped() -> None:
    html = b"""<html><head>
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">
    <link rel="alternate" type="application/rss+xml" href="ftp://example.com/rss">
    <link rel="alternate" type="application/rss+xml" href="feed://example.com/rss">
    <link rel="alternate" type="application/atom+xml" href="feed:https://example.com/atom">
    <link rel="alternate" type="application/rss+xml" href="  http://example.com/rss#top ">
    <link rel="alternate" type="application/rss+xml" href="">
    <link rel="alternate" type="application/rss+xml">
    </head></html>"""
    found = linked_feeds(html, "https://example.com/")
    assert [f.url for f in found] == ["http://example.com/rss", "https://example.com/atom"]


def test_broken_html_still_yields_its_feeds() -> None:
    html = b"""<html><head><title>Broken <b>page</title></b></head></head>
    <link rel=alternate type=application/rss+xml href=/feed/ title="Main feed">
    <div><p>unclosed <table><tr><td></span></html>
    <link rel="alternate" type="application/atom+xml" href="/atom.xml" title="Atom">"""
    found = linked_feeds(html, "https://example.com/")
    assert [f.url for f in found] == ["https://example.com/feed/", "https://example.com/atom.xml"]


def test_titles_are_decoded_from_the_declared_charset() -> None:
    html = (
        '<html><head><meta charset="windows-1251">'
        '<link rel="alternate" type="application/rss+xml" title="Новости — лента" href="/rss">'
        "</head></html>"
    ).encode("cp1251")
    assert linked_feeds(html, "https://example.ru/")[0].title == "Новости — лента"
    utf8 = (
        '<html><head><link rel="alternate" type="application/rss+xml" title="Café" href="/r">'
        "</head></html>"
    ).encode()
    assert linked_feeds(utf8, "https://example.fr/")[0].title == "Café"


@pytest.mark.parametrize("html", [b"", b"   ", b"<!-- nothing -->", b"\x00\xff\xfe garbage"])
def test_empty_or_junk_pages_link_no_feeds(html: bytes) -> None:
    assert linked_feeds(html, "https://example.com/") == []


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_a_linked_feed_is_found_whatever_junk_follows(html: bytes) -> None:
    page = b"<html><link rel=alternate type=application/rss+xml href=/x>" + html
    found = linked_feeds(page, PAGE)
    assert found[0].url == "https://example.com/x"
    assert all(feed.url.startswith(("http://", "https://")) for feed in found)


# --- common paths ------------------------------------------------------------------------


def test_common_paths_try_the_page_folder_first_then_the_site_root() -> None:
    paths = common_paths("https://example.com/tag/csto?x=1#frag")
    assert paths[:3] == [
        "https://example.com/tag/csto/feed/",
        "https://example.com/tag/csto/rss",
        "https://example.com/tag/csto/rss.xml",
    ]
    assert "https://example.com/tag/csto/feed.json" in paths
    root = paths[paths.index("https://example.com/feed/") :]
    assert root[:2] == ["https://example.com/feed/", "https://example.com/rss"]
    assert {"https://example.com/atom.xml", "https://example.com/index.xml"} <= set(root)
    assert len(paths) == len(set(paths))


def test_common_paths_from_a_file_page_use_its_folder_and_from_the_root_only_the_root() -> None:
    assert common_paths("https://example.com/news/index.html")[0] == (
        "https://example.com/news/feed/"
    )
    root_only = common_paths("https://example.com")
    assert root_only[0] == "https://example.com/feed/"
    assert all(p.count("/") == 3 or p.endswith("/feed/") for p in root_only)
    assert common_paths("ftp://example.com/") == []


# --- looks_like_html ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", None),
        (b"\xef\xbb\xbf  \n<!-- cf --><!doctype HTML>", "text/xml"),
        (b"<html lang=en><head>", "application/rss+xml"),
        (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">', None),
        (b"<div>Access denied</div>", "text/html; charset=utf-8"),
        ("<!DOCTYPE html>".encode("utf-16"), None),
    ],
)
def test_html_pages_are_recognized(body: bytes, content_type: str | None) -> None:
    assert looks_like_html(body, content_type)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'<?xml version="1.0"?><rss version="2.0"><channel>', "text/html"),
        (b"<rss version='2.0'>", "text/html; charset=UTF-8"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom">', "text/html"),
        (b"  <!-- generated --> <rdf:RDF xmlns:rdf='x'>", "text/html"),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN">', "text/html"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "text/html"),
        (b"", "text/html"),
        (b"<unknown/>", "application/xml"),
    ],
)
def test_feeds_and_empty_bodies_are_not_html(body: bytes, content_type: str | None) -> None:
    assert not looks_like_html(body, content_type)


# --- paging ------------------------------------------------------------------------------

WP_URL = "https://example.com/tag/csto/feed/"


def _feed(**kwargs: object) -> ParsedFeed:
    kwargs.setdefault("entries", (ParsedEntry(guid="https://example.com/?p=1"),))
    return ParsedFeed(format="rss2.0", **kwargs)  # type: ignore[arg-type]


def test_wordpress_is_recognized_by_generator() -> None:
    assert is_wordpress(_feed(generator="https://wordpress.org/?v=6.4.2"), "https://x.org/rss")
    assert is_wordpress(_feed(generator="http://wordpress.com/"), "https://x.org/rss")
    assert not is_wordpress(_feed(generator="Hugo -- gohugo.io"), "https://x.org/index.xml")


def test_wordpress_without_generator_is_recognized_by_its_feed_path_and_guids() -> None:
    wp_guids = tuple(ParsedEntry(guid=f"https://example.com/?p={n}") for n in range(5))
    assert is_wordpress(_feed(entries=wp_guids), WP_URL)
    assert is_wordpress(_feed(entries=wp_guids), "https://example.com/?feed=rss2")
    assert not is_wordpress(_feed(entries=wp_guids), "https://example.com/rss.xml")
    other = tuple(ParsedEntry(guid=f"urn:uuid:{n}") for n in range(5))
    assert not is_wordpress(_feed(entries=other), WP_URL)
    assert is_wordpress(_feed(entries=other), WP_URL + "?paged=3")


@pytest.mark.parametrize(
    ("url", "page", "expected"),
    [
        (WP_URL, 2, WP_URL + "?paged=2"),
        (WP_URL + "?paged=2", 3, WP_URL + "?paged=3"),
        (WP_URL + "?paged=5", 1, WP_URL),
        ("https://example.com/?feed=rss2&cat=4", 2, "https://example.com/?feed=rss2&cat=4&paged=2"),
        (
            "https://example.com/feed/?q=a%20b&paged=2&x=",
            4,
            "https://example.com/feed/?q=a%20b&x=&paged=4",
        ),
        ("https://example.com/feed/#top", 2, "https://example.com/feed/?paged=2"),
    ],
)
def test_wordpress_page_sets_paged_and_keeps_the_rest(url: str, page: int, expected: str) -> None:
    assert wordpress_page(url, page) == expected


def test_wordpress_page_refuses_page_zero() -> None:
    with pytest.raises(ValueError):
        wordpress_page(WP_URL, 0)


def test_older_page_prefers_rfc5005_prev_archive_resolved_against_the_feed() -> None:
    feed = _feed(generator="https://wordpress.org/?v=6.4.2", prev_archive_link="archive/2023-12")
    assert older_page(feed, WP_URL, 1) == "https://example.com/tag/csto/feed/archive/2023-12"


def test_older_page_follows_next_links_of_paged_feeds() -> None:
    feed = _feed(next_link="https://example.com/feed.json?page=2")
    assert older_page(feed, "https://example.com/feed.json", 1) == (
        "https://example.com/feed.json?page=2"
    )


def test_older_page_walks_wordpress_pages_until_one_is_empty() -> None:
    wp = _feed(generator="https://wordpress.org/?v=6.4.2")
    assert older_page(wp, WP_URL, 1) == WP_URL + "?paged=2"
    assert older_page(wp, WP_URL + "?paged=2", 2) == WP_URL + "?paged=3"
    assert older_page(_feed(generator="https://wordpress.org/", entries=()), WP_URL, 3) is None


def test_older_page_is_none_for_other_feeds_and_for_links_to_nowhere_safe() -> None:
    assert older_page(_feed(), "https://example.com/atom.xml", 1) is None
    for link in ("file:///etc/passwd", "javascript:x()", "https://example.com/atom.xml", "  "):
        assert older_page(_feed(prev_archive_link=link), "https://example.com/atom.xml", 1) is None
