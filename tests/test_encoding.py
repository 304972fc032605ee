"""How bytes become text: BOM, HTTP charset, XML declaration and sniffing, with disagreements."""

from __future__ import annotations

import codecs

from presswatch.formats import parse_feed
from presswatch.formats.encoding import decode

CYRILLIC = (
    '<rss version="2.0"><channel><title>Новости дня</title><item>'
    "<title>Президент подписал указ о новых мерах</title>"
    "<description>В Москве прошло совещание по вопросам экономики и бюджета.</description>"
    "</item></channel></rss>"
)


def rss(title: str, decl: str = "") -> str:
    head = f'<?xml version="1.0" encoding="{decl}"?>' if decl else ""
    return f'{head}<rss version="2.0"><channel><title>{title}</title></channel></rss>'


def test_bom_wins_over_http_charset_and_declaration() -> None:
    body = codecs.BOM_UTF8 + rss("Zürich", decl="iso-8859-1").encode("utf-8")
    feed = parse_feed(body, content_type="application/rss+xml; charset=windows-1251")
    assert feed.title == "Zürich"
    assert (feed.encoding, feed.encoding_reason) == ("utf-8", "BOM")
    assert any("HTTP charset" in p and "BOM" in p for p in feed.problems)
    assert any("XML declaration" in p for p in feed.problems)


def test_http_charset_wins_over_declaration() -> None:
    body = rss("Zürich", decl="utf-8").encode("iso-8859-1")
    feed = parse_feed(body, content_type='text/xml; charset="ISO-8859-1"')
    assert feed.title == "Zürich"
    assert (feed.encoding, feed.encoding_reason) == ("iso8859-1", "HTTP charset")
    assert any("XML declaration says 'utf-8'" in p for p in feed.problems)


def test_declaration_used_without_http_charset() -> None:
    feed = parse_feed(rss("Zürich", decl="ISO-8859-1").encode("iso-8859-1"))
    assert (feed.title, feed.encoding_reason) == ("Zürich", "XML declaration")


def test_bogus_declared_encoding_falls_back_and_is_recorded() -> None:
    feed = parse_feed(rss("Zürich", decl="bogus-enc").encode("utf-8"))
    assert feed.title == "Zürich"
    assert feed.encoding == "utf-8"
    assert feed.encoding_reason.startswith("declared 'bogus-enc' is unknown")
    assert "declared 'bogus-enc' is unknown" in feed.problems


def test_declaration_that_fails_to_decode_falls_back() -> None:
    feed = parse_feed(rss("Zürich", decl="us-ascii").encode("utf-8"))
    assert feed.title == "Zürich"
    assert any("fails to decode" in p for p in feed.problems)


def test_utf16_with_bom() -> None:
    body = rss("Ελλάδα", decl="utf-16").encode("utf-16")
    feed = parse_feed(body)
    assert feed.title == "Ελλάδα"
    assert feed.encoding_reason == "BOM"


def test_utf16_without_bom_by_nul_pattern() -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        feed = parse_feed(rss("Ελλάδα").encode(codec))
        assert feed.title == "Ελλάδα"
        assert feed.encoding == codec


def test_windows_1251_without_declaration_is_sniffed() -> None:
    feed = parse_feed(CYRILLIC.encode("windows-1251"))
    assert feed.title == "Новости дня"
    assert feed.entries[0].title == "Президент подписал указ о новых мерах"
    assert feed.encoding == "cp1251"
    assert feed.encoding_reason == "sniffed (charset-normalizer)"


def test_latin1_declared_with_windows_1252_quotes() -> None:
    body = rss("\u201cquoted\u201d", decl="iso-8859-1").encode("cp1252")
    assert parse_feed(body).title == "\u201cquoted\u201d"


def test_decode_strips_controls_but_keeps_whitespace() -> None:
    result = decode(b"a\x00b\x07c\td\ne\rf")
    assert result.text == "abc\td\ne\rf"
    assert "removed NUL/control characters" in result.problems


def test_valid_utf8_without_declaration() -> None:
    result = decode(rss("Zürich").encode())
    assert (result.encoding, result.reason, result.problems) == (
        "utf-8",
        "default (valid UTF-8)",
        (),
    )
