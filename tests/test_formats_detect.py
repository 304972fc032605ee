"""Inputs that are not feeds say what they are instead of yielding zero articles."""

from __future__ import annotations

import pytest

from presswatch.errors import NotAFeedError
from presswatch.formats import parse_feed


def kind_of(body: bytes, **kw: str) -> NotAFeedError:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body, **kw)
    return info.value


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"\xef\xbb\xbf", b"\x00\x00"])
def test_empty_body(body: bytes) -> None:
    assert kind_of(body).kind == "an empty body"


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>Sign in &amp; stay</title></head><body></body></html>",
        b"<html><head><title>Sign in &amp; stay</title></head></html>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Sign in &amp; stay</title></head></html>',  # noqa: E501
        b"\n\n<!-- generated --><HTML><HEAD><TITLE>Sign in &amp; stay</TITLE><body><p>unclosed",
    ],
)
def test_html_page_with_title(body: bytes) -> None:
    error = kind_of(body, content_type="text/html")
    assert error.kind == "an HTML page"
    assert error.detail == "Sign in & stay"
    assert "HTML page" in str(error)


def test_other_xml_names_its_root() -> None:
    error = kind_of(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><g/></svg>')
    assert error.kind == "an XML document that is not a feed (root <svg>)"


def test_other_malformed_xml_names_its_root() -> None:
    error = kind_of(b"<sitemap><url>a & b</url><oops></sitemap>")
    assert error.kind == "an XML document that is not a feed (root <sitemap>)"


def test_plain_text_is_not_a_feed() -> None:
    error = kind_of(b"Just some words.\nNothing here looks like a feed.\n")
    assert error.kind == "plain text that is not a feed dump"


def test_junk_before_the_xml_is_skipped() -> None:
    body = b'Warning: something in /var/www/x.php\n<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'  # noqa: E501
    feed = parse_feed(body)
    assert feed.title == "T"
    assert any("junk before the XML" in p for p in feed.problems)


def test_leading_whitespace_before_declaration() -> None:
    body = (
        b'\n\n  <?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    )
    assert parse_feed(body).title == "T"
