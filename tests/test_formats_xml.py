"""Golden feeds per format, malformed input, and hostile XML through parse_feed."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from presswatch.formats import parse_feed
from presswatch.types import Enclosure

DATA = Path(__file__).parent / "data" / "formats"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_rss2_wordpress_channel() -> None:
    feed = parse_feed(read("rss2_wordpress.xml"))
    assert feed.format == "rss2.0"
    assert feed.parser == "lxml"
    assert feed.title == "CSTO – Strategic Culture Foundation"
    assert feed.link == "https://example.org"
    assert feed.self_link == "https://example.org/category/csto/feed/"
    assert feed.next_link == "https://example.org/category/csto/feed/?paged=2"
    assert feed.prev_archive_link == "https://example.org/archive/2019/feed/"
    assert feed.language == "en-US"
    assert feed.generator == "https://wordpress.org/?v=4.9.16"
    assert feed.updated_raw == "Fri, 15 Mar 2019 14:03:36 +0000"
    assert (feed.ttl, feed.update_period, feed.update_frequency) == (30, "hourly", 2)
    assert feed.update_base == "2000-01-01T12:00+00:00"
    assert feed.skip_hours == (0, 1)
    assert feed.skip_days == ("Saturday", "Sunday")
    assert feed.image == "https://example.org/logo.png"
    assert feed.problems == ()
    assert len(feed.entries) == 2


def test_rss2_wordpress_item() -> None:
    first, second = parse_feed(read("rss2_wordpress.xml")).entries
    assert first.title == "Armenia & the <CSTO>"
    assert first.link == "https://example.org/2019/03/15/armenia-csto/"
    assert first.guid == "https://example.org/?p=42"
    assert first.guid_is_permalink is False
    assert first.published_raw == "Fri, 15 Mar 2019 14:03:36 +0000"
    assert first.authors == ("Jane Doe",)
    assert first.categories == ("CSTO", "Armenia", "Security")
    assert first.summary_html == "<p>Short excerpt [&#8230;]</p>"
    assert first.content_html == "<p>The full <b>text</b>.</p>"
    assert first.comments == "https://example.org/2019/03/15/armenia-csto/#respond"
    assert first.enclosures == (
        Enclosure("https://example.org/a.mp3", "audio/mpeg", 1234),
        Enclosure("https://example.org/v.mp4", "video/mp4", 99, medium="video"),
        Enclosure("https://example.org/t.jpg", medium="image"),
    )
    assert first.raw.startswith("<item") and first.raw.endswith("</item>")
    assert "Short excerpt" in first.raw
    # no <link>: left for normalization to decide from the permalink guid
    assert second.link is None
    assert second.guid == "https://example.org/?p=43"
    assert second.guid_is_permalink is None
    assert second.authors == ("Podcast Host",)  # itunes:author as fallback
    assert second.summary_html == "plain & simple"


def test_guid_keeps_inner_characters() -> None:
    body = (
        b'<rss version="2.0"><channel><item><guid>  a  b?x=1&amp;y </guid></item></channel></rss>'
    )
    assert parse_feed(body).entries[0].guid == "a  b?x=1&y"


def test_rss1_rdf() -> None:
    feed = parse_feed(read("rss1_rdf.xml"))
    assert feed.format == "rss1.0"
    assert (feed.title, feed.link, feed.language) == ("RDF Site", "http://example.com/", "de")
    assert feed.updated_raw == "2004-01-01T10:00:00Z"
    assert feed.image == "http://example.com/logo.gif"
    (entry,) = feed.entries
    assert entry.guid == "http://example.com/1"
    assert entry.title == "First RDF item"
    assert entry.published_raw == "2004-01-01T09:00:00+01:00"
    assert entry.authors == ("Erika Mustermann",)
    assert entry.categories == ("News",)
    assert entry.content_html == "<p>Body one</p>"
    assert entry.summary_html == "Summary one"


def test_rss091_with_netscape_doctype_and_html_entities() -> None:
    feed = parse_feed(read("rss091.xml"))
    assert feed.format == "rss0.91"
    assert feed.encoding == "iso8859-1"
    assert feed.title == "Café News"
    assert feed.entries[0].title == "Crème brûlée"


@pytest.mark.parametrize("version", ["0.91", "0.92", "0.93", "0.94"])
def test_rss09x_versions(version: str) -> None:
    body = f'<rss version="{version}"><channel><title>t</title></channel></rss>'.encode()
    feed = parse_feed(body)
    assert feed.format == f"rss{version}"
    assert feed.entries == ()


def test_rss090() -> None:
    body = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Old</title>'
        b"<link>http://x/</link></channel><item><title>I</title><link>http://x/i</link></item>"
        b"</rdf:RDF>"
    )
    feed = parse_feed(body)
    assert feed.format == "rss0.90"
    assert feed.entries[0].link == "http://x/i"


def test_atom10() -> None:
    feed = parse_feed(read("atom10.xml"))
    assert feed.format == "atom1.0"
    assert (feed.title, feed.description, feed.language) == ("Atom Example", "All the news", "en")
    assert feed.link == "http://example.org/"
    assert feed.self_link == "http://example.org/feed.atom"
    assert feed.next_link == "http://example.org/feed.atom?page=2"
    assert feed.updated_raw == "2003-12-13T18:30:02Z"
    assert feed.image == "http://example.org/logo.png"
    first, second = feed.entries
    assert first.title == "Atom <em>rocks</em>" and first.title_is_html
    assert first.guid == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert first.link == "http://example.org/2003/12/13/atom03"
    assert first.published_raw == "2003-12-13T08:29:29-04:00"
    assert first.updated_raw == "2003-12-13T18:30:02Z"
    assert first.authors == ("John Doe", "Mary Roe")
    assert first.categories == ("tech",)
    assert first.summary_html == "Some text &lt;not html&gt;."
    assert first.content_html == "<p>Hello <b>world</b></p>"
    assert first.enclosures == (
        Enclosure("http://example.org/audio.mp3", "audio/mpeg", 1337, title="Audio"),
    )
    assert second.title == "Deuxième" and not second.title_is_html
    assert second.language == "fr"
    assert second.content_html == "<p>Bonjour</p>"
    assert second.enclosures == (Enclosure("http://example.org/thumb.jpg", medium="image"),)


def test_atom03() -> None:
    feed = parse_feed(read("atom03.xml"))
    assert feed.format == "atom0.3"
    assert (feed.title, feed.description) == ("Atom 0.3 feed", "Old atom")
    (entry,) = feed.entries
    assert entry.published_raw == "2003-12-13T08:29:29-04:00"
    assert entry.updated_raw == "2003-12-13T18:30:02Z"
    assert entry.authors == ("Old Author",)
    assert entry.content_html == "<p>escaped</p>"
    assert entry.summary_html == "<p>base64</p>"


def test_markup_in_rss_title_and_author_is_text() -> None:
    body = (
        b'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item>'
        b"<title>A <b>bold</b> &lt;script&gt;</title><dc:creator>&lt;i&gt;Bob&lt;/i&gt;</dc:creator>"  # noqa: E501
        b"</item></channel></rss>"
    )
    entry = parse_feed(body).entries[0]
    assert entry.title == "A bold <script>"
    assert not entry.title_is_html
    assert entry.authors == ("<i>Bob</i>",)


def test_zero_item_feed_is_a_feed() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>')
    assert feed.title == "Quiet" and feed.entries == ()


# --- malformed -------------------------------------------------------------------------


def test_html_entity_in_xml_is_repaired() -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>a&nbsp;b &eacute;</title></item></channel></rss>'
    )
    feed = parse_feed(body)
    assert feed.entries[0].title == "a\xa0b é"
    assert feed.parser == "lxml"
    assert any("malformed XML" in p and "line 1" in p and "entities" in p for p in feed.problems)


def test_bare_ampersand_is_repaired() -> None:
    body = b'<rss version="2.0"><channel><item><title>Q & A</title><link>http://x/?a=1&b=2</link></item></channel></rss>'
    entry = parse_feed(body).entries[0]
    assert (entry.title, entry.link) == ("Q & A", "http://x/?a=1&b=2")


def test_undeclared_prefix_is_repaired() -> None:
    body = b'<rss version="2.0"><channel><item><title>t</title><media:content url="http://x/a.jpg" medium="image"/><dc:creator>Ann</dc:creator></item></channel></rss>'  # noqa: E501
    feed = parse_feed(body)
    entry = feed.entries[0]
    assert entry.authors == ("Ann",)
    assert entry.enclosures == (Enclosure("http://x/a.jpg", medium="image"),)
    assert any("undeclared namespace" in p for p in feed.problems)


def test_truncated_document_keeps_items_read() -> None:
    items = "".join(f"<item><title>i{n}</title><guid>g{n}</guid></item>" for n in range(3))
    body = f'<rss version="2.0"><channel><title>T</title>{items}<item><title>cut he'.encode()
    feed = parse_feed(body)
    assert feed.truncated
    assert [e.guid for e in feed.entries] == ["g0", "g1", "g2"]
    assert feed.title == "T"
    assert any("truncated" in p for p in feed.problems)


def test_badly_broken_feed_falls_back_to_feedparser() -> None:
    body = b'<rss version="2.0"><channel><title>T</title><item><title>one</title></itm><item><title>two</title></item></channel></rss>'  # noqa: E501
    feed = parse_feed(body)
    assert feed.parser == "feedparser"
    assert "one" in [e.title for e in feed.entries]
    assert any("recovered with feedparser" in p for p in feed.problems)


def test_control_characters_are_removed() -> None:
    body = b'<rss version="2.0"><channel><item><title>a\x00b\x0cc</title></item></channel></rss>'
    feed = parse_feed(body)
    assert feed.entries[0].title == "abc"
    assert any("control" in p for p in feed.problems)


# --- hostile XML -----------------------------------------------------------------------

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><description>&lol9;</description></item>BROKEN</channel></rss>"""  # noqa: E501


def _assert_small(feed: object) -> None:
    assert len(repr(feed)) < 20_000


@pytest.mark.parametrize("broken", [False, True])
def test_billion_laughs_is_inert(broken: bool) -> None:
    body = LAUGHS if broken else LAUGHS.replace(b"BROKEN", b"")
    start = time.monotonic()
    feed = parse_feed(body)
    assert time.monotonic() - start < 2
    _assert_small(feed)
    assert "lollollol" not in repr(feed)


def test_billion_laughs_through_feedparser_is_inert() -> None:
    from presswatch.formats.fallback import parse_with_feedparser

    start = time.monotonic()
    feed = parse_with_feedparser(LAUGHS.decode())
    assert time.monotonic() - start < 2
    assert "lollollol" not in repr(feed)


def test_quadratic_blowup_is_inert() -> None:
    big = "x" * 100_000
    refs = "&a;" * 20_000
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{big}">]>'
        f'<rss version="2.0"><channel><item><title>{refs}</title></item></channel></rss>'
    ).encode()
    start = time.monotonic()
    feed = parse_feed(body)
    assert time.monotonic() - start < 2
    assert "x" * 1000 not in feed.entries[0].title


@pytest.mark.parametrize("broken", [b"", b"<broken"])
def test_external_file_entity_is_never_read(tmp_path: Path, broken: bytes) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://'
        + str(secret).encode()
        + b'"><!ENTITY pw SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>&xxe;</title><item><title>&pw;&xxe;</title>'
        b"<description>&xxe;</description></item>" + broken + b"</channel></rss>"
    )
    feed = parse_feed(body)
    assert "TOP-SECRET" not in repr(feed)
    assert "root:" not in repr(feed)


class _Listener:
    """A loopback socket that records whether anything connected to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.mark.parametrize("broken", [b"", b"<broken"])
def test_network_entities_and_dtds_are_never_fetched(broken: bytes) -> None:
    listener = _Listener()
    try:
        url = f"http://127.0.0.1:{listener.port}".encode()
        bodies = [
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e SYSTEM "' + url + b'/e">]>'
            b'<rss version="2.0"><channel><title>&e;</title>' + broken + b"</channel></rss>",
            b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "' + url + b'/rss.dtd">'
            b'<rss version="2.0"><channel><title>&custom;</title>' + broken + b"</channel></rss>",
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "' + url + b'/p.dtd"> %p;]>'
            b'<rss version="2.0"><channel><title>t</title>' + broken + b"</channel></rss>",
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e SYSTEM "http://127.0.0.1:9/">]>'
            b'<rss version="2.0"><channel><title>&e;</title>' + broken + b"</channel></rss>",
        ]
        for body in bodies:
            try:
                parse_feed(body)
            except Exception as exc:  # only our own errors may escape
                assert type(exc).__module__ == "presswatch.errors"
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


def test_five_megabyte_title_does_not_hang() -> None:
    title = "word " * 1_000_000
    body = (
        f'<rss version="2.0"><channel><item><title>{title}</title></item></channel></rss>'.encode()
    )
    start = time.monotonic()
    feed = parse_feed(body)
    assert time.monotonic() - start < 5
    assert len(feed.entries[0].title or "") > 4_000_000


def test_hundred_thousand_items_bounded_memory() -> None:
    script = """
from presswatch.formats import parse_feed
items = "".join(
    f"<item><title>Item {n}</title><link>http://example.org/{n}</link><guid>g{n}</guid>"
    f"<description>Some text about item {n} a little longer than a title.</description></item>"
    for n in range(100_000)
)
body = f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
del items
feed = parse_feed(body)
assert len(feed.entries) == 100_000, len(feed.entries)
assert feed.entries[-1].guid == "g99999"
# VmHWM, not ru_maxrss: a child forked from a large pytest process inherits its maxrss.
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) // 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    # ~155 MB is usual; the whole tree plus every item held twice would pass 600 MB
    assert int(out.stdout.strip()) < 400, out.stdout


def _variants() -> list[bytes]:
    wordpress = read("rss2_wordpress.xml")
    return [
        wordpress,
        read("atom10.xml"),
        read("rss1_rdf.xml"),
        b"PHP Warning: headers sent\n" + wordpress,  # junk before the XML
        wordpress.replace(b"</title>", b" AT&T</title>", 1),  # repaired first
    ]


@pytest.mark.parametrize("data", _variants())
def test_items_without_their_raw_are_otherwise_the_same(data: bytes) -> None:
    whole = parse_feed(data)
    lean = parse_feed(data, item_raw=False)
    assert whole.entries and all(e.raw for e in whole.entries)
    assert all(e.raw == "" for e in lean.entries)
    assert lean == dataclasses.replace(
        whole, entries=tuple(dataclasses.replace(e, raw="") for e in whole.entries)
    )
