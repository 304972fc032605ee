"""The web pages, through FastAPI's TestClient, over a real SQLite archive holding the
seed (10 CSTO articles) and the hostile feed, enriched.

What an analyst relies on: search with highlighted results, inline query errors and
refinement; the topic dashboard with its charts and their data; the article with its
entities and quotes marked and its provenance; entities; sources (adding one from a real
loopback server, importing OPML); and the security rules (headers, CSRF, no state change
on GET, no URL from the Host header, hostile text never becoming markup).
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collect_fixtures import item, rss
from conftest import postgres_database
from loopback import LoopbackServer
from presswatch.archive import Archive, open_archive
from presswatch.errors import UsageError
from presswatch.web import pages
from presswatch.web.app import BackgroundEnrichment, create_app
from presswatch.web.markup import Span, highlight, raw_item
from presswatch.web.recent import Generation, Recent
from presswatch.web.security import CSRF_COOKIE
from presswatch.web.settings import WebSettings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "csto-strategic-culture.txt"
HOSTILE = ROOT / "tests" / "data" / "hostile" / "hostile.rss"
HTTPS = "https://testserver"  # the base URL is https, so the CSRF cookie is Secure
SETTINGS = WebSettings(
    base_url="https://news.example.org/pw", secret_key=b"k" * 32, enrich_in_background=False
)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    target = tmp_path_factory.mktemp("web") / "archive.db"
    with open_archive(target) as archive:
        reports = archive.ingest([str(SEED), str(HOSTILE)], workers=1)
        assert [r.status for r in reports] == ["ok", "ok"]
        archive.enrich()
        yield archive


@pytest.fixture(scope="module")
def client(archive: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(archive, SETTINGS), base_url=HTTPS) as client:
        yield client


@pytest.fixture
def fresh(archive: Archive) -> Iterator[TestClient]:
    """A browser with no cookie yet."""
    with TestClient(create_app(archive, SETTINGS), base_url=HTTPS) as client:
        yield client


def csrf(client: TestClient | httpx.Client, page: str = "/topics") -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get(page).text)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def first_id(archive: Archive, query: str) -> int:
    return archive.search(query, limit=1).hits[0].article.id


class Tags(HTMLParser):
    """Every start tag with its attributes, to look at the markup as a browser would."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def having(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(v in (a.get(k.rstrip("_")) or "").split() for k, v in attrs.items())
        ]


# -- search ------------------------------------------------------------------------------


def test_search_shows_ranked_results_with_matches_marked(
    client: TestClient, archive: Archive
) -> None:
    total = archive.search("CSTO", limit=0).total
    assert total == 12  # the seed's 10 and the hostile feed's 2
    page = client.get("/search", params={"q": "CSTO"})
    assert page.status_code == 200
    assert "12 articles match" in page.text
    results = page.text.split('id="results"', 1)[1].split("</ol>", 1)[0]
    assert results.count('class="result"') == 12
    assert "<mark>CSTO</mark>" in results
    links = Tags(results).having("a", class_="title")
    assert all(re.fullmatch(r"/articles/\d+", a["href"] or "") for a in links)


def test_a_query_error_is_shown_inline_with_its_position(client: TestClient) -> None:
    page = client.get("/search", params={"q": "CSTO AND (Kazakhstan"})
    assert page.status_code == 400
    assert 'class="error query-error"' in page.text
    assert '<span class="error-at">' in page.text
    assert 'value="CSTO AND (Kazakhstan"' in page.text  # the query stays in the box to fix


def test_sort_and_page_come_from_allowlists(client: TestClient) -> None:
    newest = client.get("/search", params={"q": "CSTO", "sort": "newest"}).text
    first = re.search(r'class="title" href="/articles/(\d+)"', newest)
    archive_newest = client.app.state.archive.search("CSTO", sort="newest", limit=1)  # type: ignore[attr-defined]
    assert first and int(first.group(1)) == archive_newest.hits[0].article.id
    odd = client.get("/search", params={"q": "CSTO", "sort": "id; DROP TABLE", "page": "x"})
    assert odd.status_code == 200
    assert '<option value="relevance" selected>' in odd.text


def test_pagination_walks_the_results(
    client: TestClient, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    page = client.get("/search", params={"q": "CSTO", "sort": "newest", "page": 2}).text
    assert "Page 2 of 4" in page  # 12 matches
    shown = [int(i) for i in re.findall(r'class="title" href="/articles/(\d+)"', page)]
    expected = archive.search("CSTO", sort="newest", limit=3, offset=3).hits
    assert shown == [h.article.id for h in expected]
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert "page=3" in re.search(r'rel="next" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    beyond = client.get("/search", params={"q": "CSTO", "page": 99}).text
    assert "Page 4 of 4" in beyond and beyond.count('class="result"') == 3


def test_facets_refine_the_query(client: TestClient) -> None:
    page = client.get("/search", params={"q": "CSTO"})
    facets = page.text.split('id="facets"', 1)[1].split("</aside>", 1)[0]
    links = [a["href"] or "" for a in Tags(facets).having("a")]
    assert links and all(h.startswith("/search?q=") for h in links)
    narrowed = client.get(links[0])
    assert narrowed.status_code == 200
    count = re.search(r"([\d,]+) articles? match", narrowed.text)
    assert count and int(count.group(1).replace(",", "")) <= 12


def test_export_links_give_the_matches(client: TestClient) -> None:
    page = client.get("/search", params={"q": "CSTO"}).text
    assert "/export?q=CSTO&amp;format=csv" in page
    exported = client.get("/export", params={"q": "CSTO", "format": "csv"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert len(rows) == 13  # a header and the 12 articles


def test_home_lists_topics_and_latest_articles(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="q"' in page.text
    assert "articles archived" in page.text


# -- security ----------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for url in ("/", "/search?q=CSTO", "/no-such-page", "/static/app.js", "/api/openapi.json"):
        headers = client.get(url).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_pages_hold_no_inline_script_or_style(client: TestClient, archive: Archive) -> None:
    article = first_id(archive, "CSTO")
    for url in ("/", "/search?q=CSTO", f"/articles/{article}", "/entities/Russia", "/sources"):
        tags = Tags(client.get(url).text)
        assert not [a for t, a in tags.tags if t == "script" and not a.get("src")]
        assert not [t for t, _ in tags.tags if t == "style"]
        assert not [a for _, a in tags.tags if "style" in a or any(k.startswith("on") for k in a)]


def test_a_post_without_the_token_changes_nothing(fresh: TestClient, archive: Archive) -> None:
    refused = fresh.post("/topics", data={"name": "forged", "query": "CSTO"})
    assert refused.status_code == 403
    assert 'class="error"' in refused.text
    forged = fresh.post("/topics", data={"name": "forged", "query": "CSTO", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert "forged" not in [s.name for s in archive.saved_queries()]


def test_a_token_is_bound_to_its_browser(fresh: TestClient, archive: Archive) -> None:
    token = csrf(fresh)
    with TestClient(create_app(archive, SETTINGS), base_url=HTTPS) as other:
        other.get("/topics")  # a cookie of its own
        stolen = other.post("/topics", data={"name": "stolen", "query": "x", "csrf_token": token})
    assert stolen.status_code == 403
    assert fresh.cookies.get(CSRF_COOKIE)


def test_saving_a_query_redirects_to_its_dashboard(client: TestClient, archive: Archive) -> None:
    token = csrf(client)
    saved = client.post(
        "/topics",
        data={"name": "csto", "query": "CSTO", "csrf_token": token},
        headers={"host": "evil.example"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/topics/csto?message=saved"  # never from Host
    assert archive.saved_query("csto").query == "CSTO"
    page = client.get(saved.headers["location"])
    assert '<p class="message" role="status">The query is saved.</p>' in page.text


def test_saving_a_bad_query_says_why_and_keeps_the_form(client: TestClient) -> None:
    token = csrf(client)
    page = client.post(
        "/topics", data={"name": "broken", "query": 'CSTO "unclosed', "csrf_token": token}
    )
    assert page.status_code == 400
    assert 'class="error query-error"' in page.text
    assert 'value="broken"' in page.text


def test_get_never_changes_state(client: TestClient, archive: Archive) -> None:
    archive.save_query("keepme", "Kazakhstan")
    asked = client.get("/topics/keepme/delete")  # a page that asks first
    assert asked.status_code == 200 and 'id="delete-topic"' in asked.text
    assert archive.saved_query("keepme").query == "Kazakhstan"
    token = csrf(client)
    deleted = client.post(
        "/topics/keepme/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    with pytest.raises(UsageError):
        archive.saved_query("keepme")


def test_feeds_use_the_configured_base_url_not_the_host(
    client: TestClient, archive: Archive
) -> None:
    archive.save_query("kz", "Kazakhstan")
    feed = client.get("/topics/kz/feed.rss", headers={"host": "evil.example"})
    assert feed.status_code == 200
    assert "evil.example" not in feed.text
    assert "https://news.example.org/pw" in feed.text


def test_hostile_text_never_becomes_markup(client: TestClient, archive: Archive) -> None:
    hostile = first_id(archive, "Almaty")
    pages = [
        client.get(f"/articles/{hostile}").text,
        client.get("/search", params={"q": "Almaty"}).text,
        client.get("/").text,
    ]
    for html in pages:
        tags = Tags(html)
        assert [a["src"] for t, a in tags.tags if t == "script"] == ["/static/app.js"]
        assert not [t for t, _ in tags.tags if t in ("iframe", "object", "embed", "svg", "img")]
        assert not [a for t, a in tags.tags if t == "meta" and "http-equiv" in a]
        assert all((a.get("action") or "").startswith("/") for t, a in tags.tags if t == "form")
        for _, attrs in tags.tags:
            assert not any(k.startswith("on") for k in attrs)
            for key in ("href", "src", "action"):
                value = re.sub(r"\s", "", attrs.get(key) or "").lower()
                assert not value.startswith(("javascript:", "vbscript:", "data:"))


# -- topic dashboard ---------------------------------------------------------------------


def test_topic_dashboard_draws_attention_with_gaps(client: TestClient, archive: Archive) -> None:
    archive.save_query("cstotopic", "CSTO")
    page = client.get("/topics/cstotopic")
    assert page.status_code == 200
    charts = re.findall(r'<figure class="chart".*?</figure>', page.text, re.S)
    assert len(charts) == 3  # articles, share, sources
    timeline = archive.timeline(["@cstotopic"], by="month")
    assert any(timeline.gaps)  # the seed has months with nothing archived
    assert charts[0].count('class="gap"') == sum(timeline.gaps)
    assert "strategic-culture.org" in charts[2]
    latest = page.text.split("Latest articles", 1)[1]
    assert latest.count('class="result"') == 10


def test_the_dashboard_s_slower_sections_load_on_their_own(
    client: TestClient, archive: Archive
) -> None:
    archive.save_query("cstotopic", "CSTO")
    page = client.get("/topics/cstotopic").text
    parts = re.findall(r'data-src="(/topics/cstotopic/part/\w+)"', page)
    assert sorted(p.rsplit("/", 1)[1] for p in parts) == ["clusters", "entities", "quotes", "terms"]
    entities = client.get("/topics/cstotopic/part/entities", headers={"x-fragment": "1"})
    assert entities.status_code == 200
    assert not entities.text.lstrip().startswith("<!doctype")  # just the section
    assert 'href="/entities/Russia"' in entities.text
    assert "Collective Security Treaty Organization" in entities.text
    quotes = client.get("/topics/cstotopic/part/quotes").text  # without the script: a page
    assert quotes.lstrip().startswith("<!doctype") and '<q class="quote">' in quotes
    assert "Vladimir Putin" in quotes
    assert client.get("/topics/cstotopic/part/secrets").status_code == 404


def test_a_chart_s_data_downloads_as_csv(client: TestClient, archive: Archive) -> None:
    page = client.get("/topics/csto").text if archive.saved_queries() else ""
    link = re.search(r'class="csv" href="([^"]+)"', page)
    assert link
    data = client.get(link.group(1).replace("&amp;", "&"))
    assert data.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(data.text)))
    timeline = archive.timeline(["@csto"], by="month")
    assert [int(r["@csto"]) for r in rows] == timeline.counts["@csto"]
    assert [r["gap"] == "yes" for r in rows] == timeline.gaps


def test_an_unknown_topic_is_not_found(client: TestClient) -> None:
    page = client.get("/topics/nosuchtopic")
    assert page.status_code == 404
    assert "no saved query named" in page.text


def test_compare_draws_each_query(client: TestClient) -> None:
    page = client.get("/compare", params=[("q", "CSTO"), ("q", "Kazakhstan"), ("by", "month")])
    assert page.status_code == 200
    chart = re.search(r'<figure class="chart".*?</figure>', page.text, re.S)
    assert chart and chart.group(0).count('class="series"') == 2
    assert chart.group(0).count('class="legend-item"') == 2
    too_many = client.get("/compare", params=[("q", f"w{i}") for i in range(5)])
    assert too_many.status_code == 400


def test_compare_points_at_the_bad_query(client: TestClient) -> None:
    page = client.get("/compare", params=[("q", "CSTO"), ("q", "Kazakhstan AND")])
    assert page.status_code == 400
    assert "Kazakhstan AND" in page.text and 'class="error query-error"' in page.text


# -- article -----------------------------------------------------------------------------


def test_article_marks_entities_and_quotes(client: TestClient, archive: Archive) -> None:
    article_id = first_id(archive, '"Color Revolution"')
    page = client.get(f"/articles/{article_id}")
    assert page.status_code == 200
    text = page.text.split('id="article-text"', 1)[1].split("</div>", 1)[0]
    assert '<mark class="entity" data-kind="place"' in text
    assert 'href="/entities/Kazakhstan"' in text
    assert '<q class="quote"' in text
    assert "Vladimir Putin" in text
    # the marks only add tags: the text read without them is the article's text
    plain = re.sub(r"<[^>]+>", "", text.split(">", 1)[1])
    assert "Kazakhstan" in plain and "<" not in plain


def test_article_shows_provenance_and_the_raw_item(client: TestClient, archive: Archive) -> None:
    article_id = first_id(archive, '"Color Revolution"')
    detail = archive.article(article_id)
    page = client.get(f"/articles/{article_id}").text
    assert "Provenance" in page and escape(detail.feeds[0].guid or "") in page
    raw_link = f"/articles/{article_id}/fetches/{detail.fetches[0].id}/raw"
    assert raw_link in page
    raw = client.get(raw_link)
    assert raw.headers["content-type"].startswith("text/plain")
    assert raw.headers["content-security-policy"].startswith("sandbox")
    assert detail.article.title.split(",")[0] in raw.text
    whole = client.get(raw_link, params={"whole": 1})
    assert len(whole.text) >= len(raw.text)
    assert f'href="{escape(detail.article.url or "")}"' in page  # the original


def test_an_unknown_article_is_not_found(client: TestClient) -> None:
    assert client.get("/articles/999999").status_code == 404
    assert client.get("/articles/not-a-number").status_code in (404, 422)


def test_hostile_article_html_is_sanitized(client: TestClient, archive: Archive) -> None:
    article_id = first_id(archive, "Almaty")
    page = client.get(f"/articles/{article_id}").text
    assert "<script>" not in page.replace('<script src="/static/app.js" defer></script>', "")
    assert "&lt;script&gt;" in page  # the title's script is shown as text, not run
    assert "javascript:" not in re.sub(r">[^<]*<", "><", page).lower()


# -- entity ------------------------------------------------------------------------------


def test_entity_page_shows_names_mentions_and_network(client: TestClient) -> None:
    page = client.get("/entities/Collective Security Treaty Organization")
    assert page.status_code == 200
    assert "Why it is this entity" in page.text
    assert 'data-kind="network"' in page.text
    assert 'data-kind="line"' in page.text
    assert 'href="/entities/Russia"' in page.text
    assert client.get("/entities/Nobody Atall").status_code == 404
    links = re.findall(r'class="csv" href="([^"]+)"', page.text)
    assert len(links) == 3  # mentions over time, network, sources
    network = client.get(links[1].replace("&amp;", "&"))
    rows = list(csv.DictReader(io.StringIO(network.text)))
    assert {"entity": "Russia", "kind": "place"}.items() <= rows[0].items()


# -- sources -----------------------------------------------------------------------------


def test_sources_page_shows_health(client: TestClient) -> None:
    page = client.get("/sources")
    assert page.status_code == 200
    assert "CSTO – Strategic Culture Foundation" in page.text
    assert 'id="add-source"' in page.text and 'name="url"' in page.text


def test_add_a_source_from_a_loopback_site(
    client: TestClient, archive: Archive, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESSWATCH_ALLOW_NETWORKS", "loopback")
    loopback.serve(
        "/feed/",
        rss([item(i, site=loopback.base) for i in range(3)], title="Steppe Loopback Times"),
    )
    page_html = (
        '<html><head><link rel="alternate" type="application/rss+xml" '
        f'href="{loopback.url("/feed/")}"></head><body>News</body></html>'
    ).encode()
    loopback.serve("/news/", page_html, content_type="text/html")
    before = archive.count()
    token = csrf(client, "/sources")
    page = client.post("/sources", data={"url": loopback.url("/news/"), "csrf_token": token})
    assert page.status_code == 200, page.text
    assert "Now following" in page.text and 'class="message"' in page.text
    assert archive.count() == before + 3
    assert "Steppe Loopback Times" in client.get("/sources").text
    bad = client.post("/sources", data={"url": "ftp://nope", "csrf_token": token})
    assert bad.status_code == 400 and 'class="error"' in bad.text


def test_import_an_opml_list(client: TestClient, archive: Archive) -> None:
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        b'<outline text="Central Asia"><outline type="rss" text="Steppe Daily" '
        b'xmlUrl="https://steppe.example/feed/"/></outline></body></opml>'
    )
    token = csrf(client, "/sources")
    page = client.post(
        "/sources/opml",
        data={"csrf_token": token},
        files={"opml": ("list.opml", opml, "text/x-opml")},
    )
    assert page.status_code == 200
    assert "1 new source(s) followed" in page.text
    assert "https://steppe.example/feed/" in client.get("/sources").text
    assert "Central Asia" in client.get("/sources").text  # its collection


# -- pure helpers -----------------------------------------------------------------------


def test_highlight_nests_marks_inside_quotes_and_escapes_text() -> None:
    text = 'Putin said "<b>Kazakhstan</b> is calm" today.'
    quote_start = text.index('"') + 1
    quote_end = text.index('" today')
    mentions = [
        Span(0, 5, "Vladimir Putin", "person"),
        Span(text.index("Kazakhstan") - 3, text.index("Kazakhstan") + 10, "Kazakhstan", "place"),
    ]
    html = str(highlight(text, mentions, [Span(quote_start, quote_end, "Putin", "quote")]))
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert html.startswith('<mark class="entity" data-kind="person"')
    assert html.index('<q class="quote"') < html.index('data-kind="place"') < html.index("</q>")
    assert (
        re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
        == text
    )


def test_highlight_drops_spans_outside_the_text_and_overlaps() -> None:
    text = "CSTO and NATO"
    html = str(
        highlight(
            text,
            [
                Span(0, 4, "CSTO", "organization"),
                Span(2, 8, "x", "organization"),
                Span(40, 50, "y", "p"),
            ],
            [],
        )
    )
    assert html.count("<mark") == 1
    assert re.sub(r"<[^>]+>", "", html) == text


def test_raw_item_finds_the_article_s_element() -> None:
    doc = "<rss><item><guid>a</guid></item><item><guid>b</guid><title>B</title></item></rss>"
    assert raw_item(doc, ["b"]) == "<item><guid>b</guid><title>B</title></item>"
    assert raw_item("plain text dump", ["b"]) is None


def test_a_server_answers_only_to_its_own_names() -> None:
    local = WebSettings().with_listening_host("127.0.0.1")
    assert local.allowed_hosts == {"127.0.0.1", "localhost", "::1"}
    published = WebSettings(base_url="https://news.example.org").with_listening_host("0.0.0.0")
    assert published.allowed_hosts is not None and "news.example.org" in published.allowed_hosts
    assert WebSettings().with_listening_host("0.0.0.0").allowed_hosts is None


def test_settings_refuse_bad_values() -> None:
    assert load_settings({}).base_url is None
    assert (
        load_settings({"PRESSWATCH_BASE_URL": "https://x.org/pw/"}).base_url == "https://x.org/pw"
    )
    for env in (
        {"PRESSWATCH_BASE_URL": "javascript:alert(1)"},
        {"PRESSWATCH_API_READ": "maybe"},
        {"PRESSWATCH_SECRET_KEY": "short"},
    ):
        with pytest.raises(UsageError):
            load_settings(env)


# -- serving -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on loopback in a thread, as `presswatch serve` runs it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_concurrent_readers_and_a_writer_keep_the_index_whole(tmp_path: Path) -> None:
    """Pages run in a thread pool over one archive: searches racing an ingest all answer,
    and the index ends with each article once (its catch-up is serialized)."""
    feed = rss([item(i, site="https://wire.example") for i in range(40)], title="Wire")
    with open_archive(tmp_path / "busy.db") as archive:
        archive.ingest([str(SEED)], workers=1)
        app = create_app(archive, WebSettings(secret_key=b"k" * 32))
        with served(app) as base, httpx.Client(base_url=base, timeout=30) as http:

            def search(n: int) -> int:
                return http.get("/search", params={"q": f"CSTO OR story{n % 3}"}).status_code

            with ThreadPoolExecutor(12) as pool:
                answers = [pool.submit(search, n) for n in range(60)]
                for start in range(0, 40, 10):  # four documents, each leaving work in the log
                    part = rss(
                        [item(i, site="https://wire.example") for i in range(start, start + 10)],
                        title="Wire",
                    )
                    pool.submit(archive.ingest_bytes, part, location=f"wire-{start}.xml").result()
                assert {a.result() for a in answers} == {200}
            assert http.get("/search", params={"q": "Almaty"}).status_code == 200
        assert feed  # the same items as the four parts
        assert archive.search_service.index.doc_count() == archive.count() == 50


def test_background_enrichment_enriches_what_arrives(tmp_path: Path) -> None:
    with open_archive(tmp_path / "fresh.db") as archive:
        archive.ingest_bytes(
            rss([item(i, site="https://wire.example") for i in range(3)], title="Wire"),
            location="wire.xml",
        )
        assert any(archive.enrichment_due().values())
        worker = BackgroundEnrichment(archive, idle=0.1)
        worker.start()
        try:
            deadline = time.monotonic() + 120
            while any(archive.enrichment_due().values()):
                assert time.monotonic() < deadline, "enrichment did not finish"
                time.sleep(0.2)
        finally:
            worker.stop()
        assert worker.enriched >= 9  # three articles, three enrichers
        with TestClient(create_app(archive, SETTINGS), base_url=HTTPS) as client:
            page = client.get(f"/articles/{first_id(archive, 'Almaty')}").text
        assert '<mark class="entity"' in page


def test_serve_binds_to_loopback_and_stops_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    port = free_port()
    env = {**os.environ, "PRESSWATCH_WEB_ENRICH": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "presswatch", "--db", str(db), "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "presswatch serve did not answer"
                time.sleep(0.2)
        assert page.status_code == 200 and 'id="q"' in page.text
        rebound = httpx.get(f"http://127.0.0.1:{port}/", headers={"host": f"evil.example:{port}"})
        assert rebound.status_code == 400 and "does not answer to this host" in rebound.text
        assert httpx.get(f"http://127.0.0.1:{port}/", headers={"host": "localhost"}).is_success
        listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        mine = [line for line in listening.splitlines() if f":{port} " in line]
        assert mine and all("127.0.0.1:" in line for line in mine)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
    assert process.stderr is not None
    assert f"http://127.0.0.1:{port}/" in process.stderr.read()


def test_a_change_made_through_the_app_shows_at_once(tmp_path: Path) -> None:
    """Dashboards keep their aggregates for a while (web/recent.py), but a form that
    changes the archive drops them, so the next page shows the change."""
    with open_archive(tmp_path / "cache.db") as archive:
        archive.ingest([str(SEED)], workers=1)
        archive.save_query("csto", "CSTO")
        with TestClient(create_app(archive, SETTINGS), base_url=HTTPS) as client:
            first = client.get("/topics/csto/part/entities").text
            assert "Collective Security Treaty Organization" not in first  # not enriched yet
            archive.enrich()
            assert client.get("/topics/csto/part/entities").text == first  # kept a moment
            token = csrf(client)
            client.post("/topics", data={"name": "other", "query": "NATO", "csrf_token": token})
            again = client.get("/topics/csto/part/entities").text
            assert "Collective Security Treaty Organization" in again


def test_recent_results_expire_and_a_clear_wins_over_a_slow_compute() -> None:
    recent = Recent(ttl=0.2)
    calls: list[int] = []
    assert recent.get("k", lambda: calls.append(1) or 1) == 1
    assert recent.get("k", lambda: calls.append(2) or 2) == 1
    time.sleep(0.25)
    assert recent.get("k", lambda: calls.append(3) or 3) == 3

    def slow() -> int:
        recent.clear()  # a write lands while this was being computed
        return 4

    recent.clear()
    assert recent.get("k", slow) == 4
    assert recent.get("k", lambda: 5) == 5  # the result computed across the clear was not kept
    assert Recent(ttl=0).get("k", lambda: 6) == 6


def test_a_clear_in_one_process_drops_what_the_others_keep(tmp_path: Path) -> None:
    shared = tmp_path / "generation"
    here, there = (
        Recent(ttl=3600, shared=Generation(shared)),
        Recent(ttl=3600, shared=Generation(shared)),
    )
    assert here.get("k", lambda: 1) == 1 and there.get("k", lambda: 2) == 2
    here.clear()  # a form answered by this process
    assert there.get("k", lambda: 3) == 3
    assert here.get("k", lambda: 4) == 4
    assert there.get("k", lambda: 5) == 3 and here.get("k", lambda: 6) == 4


def test_the_pages_answer_on_postgresql() -> None:
    with postgres_database() as url, open_archive(url) as archive:
        archive.ingest([str(SEED)], workers=1)
        archive.save_query("csto", "CSTO")
        article = first_id(archive, "CSTO")
        with TestClient(create_app(archive, SETTINGS), base_url=HTTPS) as client:
            for page in (
                "/search?q=CSTO",
                "/topics/csto",
                "/topics/csto/part/terms",
                f"/articles/{article}",
                "/sources",
                "/compare?q=CSTO&q=Kazakhstan",
            ):
                assert client.get(page).status_code == 200, page
            assert "10 articles match" in client.get("/search?q=CSTO").text


def test_a_topic_whose_query_broke_says_why(client: TestClient, archive: Archive) -> None:
    archive.save_query("base", "CSTO")
    archive.save_query("refers", "@base AND Russia")
    archive.delete_query("base")
    page = client.get("/topics/refers")
    assert page.status_code == 400
    assert 'class="error query-error"' in page.text and "base" in page.text


def test_two_worker_processes_see_what_either_writes(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """`serve --workers 2`: a form signed by one worker is accepted by the other, a saved
    query changed through one shows at once in the pages both keep (kept an hour here),
    and articles added through one become searchable in both."""
    db = tmp_path / "workers.db"
    with open_archive(db) as archive:
        archive.ingest([str(SEED)], workers=1)
        archive.save_query("topic", "CSTO")
        narrower = archive.search("CSTO AND Kazakhstan", limit=1).total
        almaty = archive.search("Almaty", limit=1).total
    assert 0 < narrower < 10
    loopback.serve("/feed/", rss([item(i, site=loopback.base) for i in range(3)], title="Wire"))
    port = free_port()
    env = {
        **os.environ,
        "PRESSWATCH_WEB_ENRICH": "0",
        "PRESSWATCH_WEB_CACHE_SECONDS": "3600",
        "PRESSWATCH_ALLOW_NETWORKS": "loopback",
    }
    command = [sys.executable, "-m", "presswatch", "--db", str(db), "serve"]
    command += ["--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"

    def says(query: str) -> str:
        page = httpx.get(f"{base}/search", params={"q": query}, timeout=30).text
        found = re.search(r"([\d,]+) articles? match", page)
        return found.group(1) if found else "none"

    def matches(query: str) -> set[str]:
        """What the search page says, asked 48 times on new connections, 8 at a time (so
        both workers answer: an idle worker takes a new connection first)."""
        with ThreadPoolExecutor(8) as pool:
            return set(pool.map(says, [query] * 48))

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/static/app.css", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "presswatch serve --workers 2 did not answer"
                time.sleep(0.2)
        assert matches("@topic") == {"10"}  # now kept by both workers
        with httpx.Client(base_url=base, timeout=30) as first:
            token = csrf(first)
            cookies = first.cookies
        with httpx.Client(base_url=base, timeout=30, cookies=cookies) as browser:
            form = {"name": "topic", "query": "CSTO AND Kazakhstan", "csrf_token": token}
            assert browser.post("/topics", data=form).status_code == 303
        with httpx.Client(base_url=base, timeout=30, cookies=cookies) as browser:
            source = {"url": loopback.url("/feed/"), "csrf_token": token}
            added = browser.post("/sources", data=source)
            assert added.status_code == 200 and "Now following" in added.text
        assert matches("@topic") == {str(narrower)}
        deadline = time.monotonic() + 20
        while (found := matches("Almaty")) != {str(almaty + 3)}:
            assert time.monotonic() < deadline, f"the new articles are not found by all: {found}"
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
