from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.errors import PresswatchError
from presswatch.formats.opml import NotOpmlError, Subscription, parse_opml, write_opml

FEEDLY_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My subscriptions in feedly Cloud</title></head>
  <body>
    <outline text="Central Asia" title="Central Asia">
      <outline type="rss" text="Eurasianet" title="Eurasianet"
               xmlUrl="https://eurasianet.org/feed" htmlUrl="https://eurasianet.org"/>
      <outline text="Kazakhstan">
        <outline type="rss" text="Astana Times" xmlUrl="https://astanatimes.com/feed/"/>
      </outline>
    </outline>
    <outline type="atom" text="Top level" xmlUrl="https://example.com/atom.xml"/>
  </body>
</opml>"""


def test_a_reader_export_with_nested_folders() -> None:
    doc = parse_opml(FEEDLY_EXPORT)
    assert doc.title == "My subscriptions in feedly Cloud"
    assert doc.subscriptions == (
        Subscription(
            url="https://eurasianet.org/feed",
            title="Eurasianet",
            html_url="https://eurasianet.org",
            collection="Central Asia",
        ),
        Subscription(
            url="https://astanatimes.com/feed/", title="Astana Times", collection="Kazakhstan"
        ),
        Subscription(url="https://example.com/atom.xml", title="Top level"),
    )
    assert doc.problems == ()


def test_attribute_names_in_any_case_and_missing_types_are_read() -> None:
    doc = parse_opml(
        b"""<opml version="2.0"><head/><body>
        <outline text="a" xmlurl="https://a.example/rss"/>
        <outline text="b" XMLURL="https://b.example/rss" HTMLURL="https://b.example/"/>
        <outline title="c" xmlUrl="https://c.example/rss" type="RSS"/>
        </body></opml>"""
    )
    assert [(s.url, s.title, s.html_url) for s in doc.subscriptions] == [
        ("https://a.example/rss", "a", None),
        ("https://b.example/rss", "b", "https://b.example/"),
        ("https://c.example/rss", "c", None),
    ]
    assert doc.title is None


def test_outlines_that_are_not_feeds_are_skipped_with_a_reason() -> None:
    doc = parse_opml(
        b"""<opml version="2.0"><body>
        <outline text="Just a note"/>
        <outline text="Local" xmlUrl="file:///etc/passwd"/>
        <outline text="Script" xmlUrl="javascript:alert(1)"/>
        <outline text="Other list" type="include" xmlUrl="https://example.com/more.opml"/>
        <outline text="Kept" xmlUrl=" https://example.com/rss "/>
        <outline text="Again" xmlUrl="https://example.com/rss#x"/>
        </body></opml>"""
    )
    assert [s.url for s in doc.subscriptions] == ["https://example.com/rss"]
    problems = "\n".join(doc.problems)
    assert len(doc.problems) == 5
    assert "'Just a note': no feed address" in problems
    assert "file:///etc/passwd" in problems
    assert "javascript:alert(1)" in problems
    assert "type 'include'" in problems
    assert "'Again': listed twice" in problems


def test_feed_scheme_addresses_are_read_as_web_addresses() -> None:
    doc = parse_opml(
        b"""<opml version="1.0"><body>
        <outline text="a" xmlUrl="feed://example.com/rss"/>
        <outline text="b" xmlUrl="feed:https://example.org/atom"/>
        </body></opml>"""
    )
    assert [s.url for s in doc.subscriptions] == [
        "http://example.com/rss",
        "https://example.org/atom",
    ]


def test_a_title_that_is_only_the_address_is_no_title() -> None:
    doc = parse_opml(
        b'<opml><body><outline text="https://e.example/rss" xmlUrl="https://e.example/rss"/>'
        b"</body></opml>"
    )
    assert doc.subscriptions == (Subscription(url="https://e.example/rss"),)


def test_common_exporter_mistakes_are_repaired_and_said() -> None:
    doc = parse_opml(
        b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0"><head><title>News &amp; views</title></head><body>
<outline text="Caf\xe9&nbsp;Babel &mdash; Europe" xmlUrl="https://example.com/?feed=rss2&cat=4"/>
</body></opml>"""
    )
    (sub,) = doc.subscriptions
    assert sub.url == "https://example.com/?feed=rss2&cat=4"
    assert sub.title == "Caf\u00e9\u00a0Babel \u2014 Europe"
    assert doc.title == "News & views"
    assert any("unescaped '&'" in p for p in doc.problems)


def test_entities_are_never_expanded() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&b;&ext;" xmlUrl="https://example.com/rss"/></body></opml>"""
    (sub,) = parse_opml(bomb).subscriptions
    assert sub.url == "https://example.com/rss"
    assert "aaaaaaaaaa" not in (sub.title or "")
    assert "root:" not in (sub.title or "")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "an empty file"),
        (b"  \n ", "an empty file"),
        (b"<!DOCTYPE html><html><body>Login</body></html>", "an HTML page"),
        (b"<html><head><title>x</title></head></html>", "an HTML page"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "presswatch add"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "presswatch add"),
        (b"<urlset><url/></urlset>", "<urlset>"),
        (b'{"subscriptions": []}', "JSON"),
        (b"https://example.com/feed\nhttps://example.org/rss\n", "plain text"),
    ],
)
def test_input_that_is_not_opml_is_refused_with_what_it_looks_like(data: bytes, kind: str) -> None:
    with pytest.raises(NotOpmlError) as info:
        parse_opml(data)
    assert isinstance(info.value, PresswatchError)
    assert str(info.value).startswith("not an OPML subscription list")
    assert kind in str(info.value)


def test_write_groups_by_collection_and_reads_back() -> None:
    subs = [
        Subscription("https://a.example/rss", "A & B <news>", "https://a.example/", "Asia"),
        Subscription("https://b.example/feed?x=1&y='2'", None, None, None),
        Subscription("https://c.example/atom", 'C "quoted"', None, "Asia"),
        Subscription("https://d.example/rss", "D", None, "Europe"),
    ]
    data = write_opml("Exported from presswatch", subs)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert data.count(b'text="Asia"') == 1
    doc = parse_opml(data)
    assert doc.title == "Exported from presswatch"
    assert doc.problems == ()
    assert sorted(doc.subscriptions, key=lambda s: s.url) == subs


# --- round trip --------------------------------------------------------------------------

_xml_chars = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\ufffe\uffff",
    min_codepoint=0x20,
) | st.sampled_from("\t\n\r")
_titles = st.none() | st.text(_xml_chars, max_size=40)
_path = st.text(st.sampled_from("abcXYZ019-._~!$&'()*+,;=:@%/?\"<>[]{}|\\^`"), max_size=30)
_hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|example)", fullmatch=True)


@st.composite
def _subscriptions(draw: st.DrawFn) -> list[Subscription]:
    count = draw(st.integers(0, 8))
    subs = []
    for n in range(count):
        scheme = draw(st.sampled_from(["http", "https"]))
        url = f"{scheme}://{draw(_hosts)}/{n}/{draw(_path)}"
        home = draw(st.none() | _hosts.map(lambda h: f"https://{h}/"))
        subs.append(Subscription(url, draw(_titles), home, draw(_titles)))
    return subs


def _as_read(sub: Subscription) -> Subscription:
    title = (sub.title or "").strip() or None
    collection = (sub.collection or "").strip() or None
    return Subscription(
        url=sub.url.strip(),
        title=None if title == sub.url.strip() else title,
        html_url=sub.html_url,
        collection=collection,
    )


@settings(max_examples=150, deadline=None)
@given(title=st.text(_xml_chars, max_size=40), subs=_subscriptions())
def test_write_then_parse_gives_back_every_subscription(
    title: str, subs: list[Subscription]
) -> None:
    doc = parse_opml(write_opml(title, subs))
    assert doc.title == (title.strip() or None)
    assert doc.problems == ()
    expected = [_as_read(s) for s in subs]
    assert sorted(doc.subscriptions, key=lambda s: s.url) == sorted(expected, key=lambda s: s.url)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_either_parse_or_raise_an_analyst_error(data: bytes) -> None:
    try:
        doc = parse_opml(b"<opml><body>" + data)
    except PresswatchError:
        return
    assert all(s.url.startswith(("http://", "https://")) for s in doc.subscriptions)
