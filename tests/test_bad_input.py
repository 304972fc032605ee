"""Bad input: each case gets a clear error or a recorded skip, and never touches what the
archive already holds (the seed's ten articles are checked after every case)."""

from __future__ import annotations

import codecs
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from presswatch import Archive, open_archive
from presswatch.archive import IngestReport

SEED = Path(__file__).parent / "data" / "seed.txt"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def rss(items: str, *, title: str = "Bad feed", extra: str = "", decl: str = "") -> str:
    declaration = decl or '<?xml version="1.0" encoding="utf-8"?>'
    return (
        f"{declaration}{extra}"
        '<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://bad.example/</link>"
        f"<description>d</description>{items}</channel></rss>"
    )


def item(n: int, **fields: str) -> str:
    values = {
        "title": f"Item {n}",
        "link": f"https://bad.example/{n}",
        "guid": f"bad-{n}",
        "pubDate": "Mon, 03 Jan 2022 10:00:00 +0000",
        "description": f"Body of item {n}.",
    }
    values.update(fields)
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    return f"<item>{inner}</item>"


@pytest.fixture
def archive(archive_target: str) -> Iterator[Archive]:
    with open_archive(archive_target) as a:
        a._clock = lambda: NOW  # a fixed clock keeps "future" and first-seen stable
        [report] = a.ingest([str(SEED)])
        assert report.counts.new == 10
        snapshot = _snapshot(a)
        yield a
        assert _snapshot(a) == snapshot, "the seed's articles changed"


def _snapshot(a: Archive) -> dict[int, tuple[object, ...]]:
    return {
        x.id: (x.key, x.title, x.text, x.published, x.authors)
        for x in a.articles(source="Strategic Culture")
    }


def ingest(a: Archive, data: bytes | str, content_type: str | None = None) -> IngestReport:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return a.ingest_bytes(raw, location="bad-input", content_type=content_type)


def titles(a: Archive) -> dict[str, object]:
    return {x.title: x for x in a.articles(source="bad.example")}


# -- XML attacks ---------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "lollollollollollollollollollol">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
<rss version="2.0"><channel><title>Laughs</title><link>https://bad.example/</link>
<item><title>&i;</title><link>https://bad.example/lol</link></item></channel></rss>"""


def test_billion_laughs_is_never_expanded(archive: Archive) -> None:
    report = ingest(archive, BILLION_LAUGHS)
    stored = [x for x in archive.articles() if "lol" in (x.url or "")]
    assert report.status == "failed" or all(len(x.title) < 10_000 for x in stored)


def test_quadratic_blowup_is_never_expanded(archive: Archive) -> None:
    big = "x" * 100_000
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{big}">]>'
        '<rss version="2.0"><channel><title>Quad</title><link>https://bad.example/</link>'
        f"<item><title>q</title><link>https://bad.example/q</link>"
        f"<description>{'&big;' * 20_000}</description></item></channel></rss>"
    )
    report = ingest(archive, doc)
    stored = [x for x in archive.articles() if (x.url or "").endswith("/q")]
    assert report.status == "failed" or all(len(x.text) < 1_000_000 for x in stored)


def test_external_entity_naming_a_local_file_is_not_read(archive: Archive, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doc = rss(
        item(1, title="&xxe;", description="&xxe;"),
        decl=f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>',
    )
    ingest(archive, doc)
    for x in archive.articles():
        assert "TOP-SECRET" not in x.title and "TOP-SECRET" not in x.text


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = b'<!ENTITY xxe "FETCHED-FROM-NETWORK">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_external_entity_url_is_never_fetched(archive: Archive, recorder: str) -> None:
    doc = rss(
        item(1, title="&xxe;"),
        decl=f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{recorder}/e">]>',
    )
    ingest(archive, doc)
    assert _Recorder.hits == []
    assert all("FETCHED" not in x.title for x in archive.articles())


def test_external_dtd_is_never_fetched(archive: Archive, recorder: str) -> None:
    doc = rss(item(1), decl=f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{recorder}/rss.dtd">')
    report = ingest(archive, doc)
    assert _Recorder.hits == []
    assert report.status in {"ok", "partial"}
    assert "Item 1" in titles(archive)


# -- characters and encodings -----------------------------------------------------------------


def test_html_entities_in_xml_are_read(archive: Archive) -> None:
    report = ingest(archive, rss(item(1, title="Peace&nbsp;talks &mdash; day&nbsp;2")))
    assert report.status in {"ok", "partial"}
    [title] = [t for t in titles(archive) if t.startswith("Peace")]
    assert title.replace("\xa0", " ") == "Peace talks — day 2"


def test_nul_and_control_characters_are_stripped(archive: Archive) -> None:
    report = ingest(archive, rss(item(1, title="Con\x00trol\x01 chars\x1f", description="a\x00b")))
    assert report.status in {"ok", "partial"}
    assert "Control chars" in titles(archive)


def test_truncated_document_keeps_items_read_so_far(archive: Archive) -> None:
    full = rss(item(1) + item(2) + item(3))
    assert ingest(archive, full).counts.new == 3
    cut = rss(item(1) + item(2) + item(4, description="x" * 200))
    cut = cut[: cut.index("<item><title>Item 4") + 60]
    report = ingest(archive, cut)
    assert report.status == "partial"
    assert any("truncat" in p.lower() or "malformed" in p.lower() for p in report.problems)
    assert {"Item 1", "Item 2", "Item 3"} <= set(titles(archive))  # nothing inferred deleted


def test_unescaped_ampersand_in_links(archive: Archive) -> None:
    report = ingest(archive, rss(item(1, link="https://bad.example/a?x=1&y=2")))
    assert report.status in {"ok", "partial"}
    assert titles(archive)["Item 1"].url == "https://bad.example/a?x=1&y=2"


def test_undeclared_namespace_prefix(archive: Archive) -> None:
    report = ingest(archive, rss(item(1, **{"dc:creator": "Ann Lee"})))
    assert report.status in {"ok", "partial"}
    assert "Item 1" in titles(archive)


def test_five_megabyte_title_is_cut_not_refused(archive: Archive) -> None:
    report = ingest(archive, rss(item(1, title="T" * 5_000_000)))
    assert report.status in {"ok", "partial"}
    assert any("title cut from 5,000,000" in p for p in report.problems)
    [stored] = [x for x in archive.articles() if (x.url or "").endswith("bad.example/1")]
    assert 0 < len(stored.title) <= 2_001


def test_bom_beats_a_disagreeing_declaration_and_http_charset(archive: Archive) -> None:
    doc = rss(item(1, title="Казахстан"), decl='<?xml version="1.0" encoding="iso-8859-1"?>')
    data = codecs.BOM_UTF8 + doc.encode("utf-8")
    report = ingest(archive, data, content_type="application/rss+xml; charset=windows-1252")
    assert report.status in {"ok", "partial"}
    assert "Казахстан" in titles(archive)


def test_bogus_encoding_name(archive: Archive) -> None:
    doc = rss(item(1, title="Résumé"), decl='<?xml version="1.0" encoding="x-no-such-enc"?>')
    report = ingest(archive, doc.encode("utf-8"))
    assert report.status in {"ok", "partial"}
    assert "Résumé" in titles(archive)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(archive: Archive, codec: str) -> None:
    doc = rss(item(1, title="Ташкент"), decl='<?xml version="1.0" encoding="utf-16"?>')
    report = ingest(archive, doc.encode(codec))
    assert report.status in {"ok", "partial"}, report.error
    assert "Ташкент" in titles(archive)


def test_windows_1251_without_declaration(archive: Archive) -> None:
    text = "Организация Договора о коллективной безопасности провела учения в Таджикистане"
    doc = rss(item(1, title=text, description=text + ". " + text), decl="<?xml version='1.0'?>")
    report = ingest(archive, doc.encode("windows-1251"))
    assert report.status in {"ok", "partial"}, report.error
    assert text in titles(archive)


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("the day after tomorrow", "unparseable"),
        ("Mon, 45 Foo 20222 99:99:99", "unparseable"),
        ("Sat, 01 Jan 0001 00:00:00 +0000", "out-of-range"),
    ],
)
def test_unreadable_dates_keep_their_text(archive: Archive, raw: str, flag: str) -> None:
    ingest(archive, rss(item(1, pubDate=raw)))
    stored = titles(archive)["Item 1"]
    assert stored.published is None
    assert stored.published_raw == raw
    assert stored.date_flag in {flag, "unparseable", "out-of-range"}
    assert stored.first_seen == NOW


def test_zoneless_date_is_read_as_utc_and_flagged(archive: Archive) -> None:
    ingest(archive, rss(item(1, pubDate="2022-01-03T10:00:00")))
    stored = titles(archive)["Item 1"]
    assert stored.published == datetime(2022, 1, 3, 10, tzinfo=UTC)
    assert stored.date_flag == "no-zone"


def test_future_date_is_kept_and_flagged(archive: Archive) -> None:
    ingest(archive, rss(item(1, pubDate="Fri, 01 Jan 2100 00:00:00 +0000")))
    stored = titles(archive)["Item 1"]
    assert stored.date_flag == "future"


# -- identity ----------------------------------------------------------------------------------


def test_items_without_guid_are_kept(archive: Archive) -> None:
    report = ingest(archive, rss(item(1, guid=None) + item(2, guid=None)))  # type: ignore[arg-type]
    assert report.counts.new == 2


def test_same_guid_on_every_item_keeps_each_item(archive: Archive) -> None:
    items = "".join(item(n, guid="same", link=None) for n in range(1, 4))  # type: ignore[arg-type]
    report = ingest(archive, rss(items))
    assert report.counts.new == 3
    stored = {x.title: x for x in archive.articles() if x.title.startswith("Item ")}
    assert set(stored) == {"Item 1", "Item 2", "Item 3"}
    assert {x.guid for x in stored.values()} == {"same"}  # the guid is kept as given

    # A new item in front must not take over an archived item's identity.
    items = "".join(item(n, guid="same", link=None) for n in (0, 1, 2, 3))  # type: ignore[arg-type]
    again = ingest(archive, rss(items))
    assert (again.counts.new, again.counts.updated, again.counts.unchanged) == (1, 0, 3)
    for title, old in stored.items():
        assert archive.article(old.id).article.title == title
        assert archive.article(old.id).revisions == ()


def test_distinct_items_sharing_one_link_are_all_kept(archive: Archive) -> None:
    items = "".join(item(n, link="https://bad.example/") for n in range(1, 4))
    report = ingest(archive, rss(items))
    assert (report.counts.new, report.counts.skipped) == (3, 0)


def test_identical_copies_in_one_feed_are_stored_once(archive: Archive) -> None:
    copy = item(1, guid="same", link=None)  # type: ignore[arg-type]
    report = ingest(archive, rss(copy * 3))
    assert (report.counts.new, report.counts.skipped) == (1, 2)


def test_copies_across_save_batches_change_nothing(archive: Archive) -> None:
    items = "".join(item(n, link="https://bad.example/same", guid=None) for n in range(1_001))  # type: ignore[arg-type]
    report = ingest(archive, rss(items))
    assert (report.counts.new, report.counts.updated, report.counts.skipped) == (1_001, 0, 0)
    [first] = [x for x in archive.articles() if x.title == "Item 0"]
    assert archive.article(first.id).revisions == ()


def test_guid_flipping_http_to_https_is_one_article(archive: Archive) -> None:
    first = ingest(archive, rss(item(1, link=None, guid="http://bad.example/story")))  # type: ignore[arg-type]
    again = ingest(archive, rss(item(1, link=None, guid="https://bad.example/story")))  # type: ignore[arg-type]
    assert first.counts.new == 1
    assert again.counts.new == 0


# -- not feeds, hostile values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<!DOCTYPE html><html><head><title>Home</title></head><body></body></html>", "HTML"),
        (b"", "empty"),
        (b"   \n  ", "empty"),
        (b'{"data": [1, 2, 3]}', "JSON"),
        (b"just some words in a file", "text"),
    ],
)
def test_not_a_feed_is_named(archive: Archive, body: bytes, says: str) -> None:
    report = ingest(archive, body)
    assert report.status == "failed"
    assert "not a feed" in (report.error or "")
    assert says.lower() in (report.error or "").lower()


def test_javascript_link_is_never_kept(archive: Archive) -> None:
    ingest(archive, rss(item(1, link="javascript:alert(1)")))
    stored = titles(archive)["Item 1"]
    assert stored.url is None
    assert "javascript" not in (stored.original_url or "")


def test_markup_in_titles_and_authors_stays_text(archive: Archive) -> None:
    doc = rss(
        item(
            1,
            title="&lt;script&gt;alert(1)&lt;/script&gt; Tokayev speaks",
            author="&lt;b&gt;Ann Lee&lt;/b&gt;",
            description="&lt;p&gt;Hello &lt;script&gt;alert(2)&lt;/script&gt;&lt;/p&gt;",
        )
    )
    ingest(archive, doc)
    [stored] = [x for x in archive.articles() if "Tokayev" in x.title]
    assert stored.authors == ("Ann Lee",)
    assert "alert(2)" not in (stored.content_html or "")
    assert "<script" not in stored.text


def test_hundred_thousand_items_in_bounded_memory(tmp_path: Path) -> None:
    """Run in its own process so its peak memory can be read; SQLite only (it is slow)."""
    items = "".join(
        f"<item><title>Item {n}</title><link>https://big.example/{n}</link>"
        f"<pubDate>Mon, 03 Jan 2022 10:00:00 +0000</pubDate>"
        f"<description>Body of item {n}.</description></item>"
        for n in range(100_000)
    )
    feed = tmp_path / "big.xml"
    feed.write_text(f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>')
    script = (
        "import sys\n"
        "from presswatch import open_archive\n"
        "with open_archive(sys.argv[1]) as a:\n"
        "    [r] = a.ingest([sys.argv[2]])\n"
        "    print(r.counts.new, a.count())\n"
        # VmHWM, not ru_maxrss: a child forked from a large pytest process inherits its maxrss.
        "print(next(int(l.split()[1]) for l in open('/proc/self/status')"
        " if l.startswith('VmHWM')) // 1024)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "big.db"), str(feed)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    counts, peak_mb = result.stdout.splitlines()
    assert counts == "100000 100000"
    assert int(peak_mb) < 400  # ~180 MB usual; the 300 MB target is held by benchmarks/ingest.py
