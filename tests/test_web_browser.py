"""The web app in a real browser (Debian's chromium, driven by Playwright): what an analyst
does every day, from a search to a topic's dashboard, on an archive built from the seed.

Each test fails on any console error in the page (tests/browser.py); screenshots are kept
under test-artifacts/browser/.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from loopback import LoopbackServer
from presswatch.archive import Archive

if TYPE_CHECKING:
    from browser import ArchiveMaker, Tab

pytest_plugins = ["browser"]
SEED = Path(__file__).resolve().parent.parent / "examples" / "csto-strategic-culture.txt"

SMALL_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Dushanbe Daily</title>
  <link>http://127.0.0.1/</link>
  <description>A small feed served on loopback for the browser tests.</description>
  <item>
    <title>Varzob valley hosts CSTO drills</title>
    <link>http://127.0.0.1/news/1</link>
    <guid>dushanbe-1</guid>
    <pubDate>Wed, 12 Jan 2022 08:00:00 +0000</pubDate>
    <description>Troops from Tajikistan and Russia trained near Dushanbe this week.</description>
  </item>
  <item>
    <title>Varzob road reopens</title>
    <link>http://127.0.0.1/news/2</link>
    <guid>dushanbe-2</guid>
    <pubDate>Thu, 13 Jan 2022 08:00:00 +0000</pubDate>
    <description>The Pamir highway out of Dushanbe reopened after the snow.</description>
  </item>
</channel></rss>
"""


@pytest.fixture(scope="module")
def app_archive(make_archive: ArchiveMaker) -> Archive:
    """The seed, enriched, with the topic `csto` saved."""
    archive = make_archive([SEED])
    archive.save_query("csto", "CSTO")
    return archive


def results(tab: Tab) -> list[str]:
    return tab.page.locator("#results .result a.title").all_inner_texts()


def search(tab: Tab, query: str) -> None:
    """Type the query into the search box and press Enter, as a person does."""
    tab.go("/")
    tab.page.fill("#q", query)
    with tab.page.expect_navigation():
        tab.page.press("#q", "Enter")
    expect(tab.page.locator("#results")).to_be_visible()


def test_search_then_refine_by_a_facet(tab: Tab) -> None:
    search(tab, "CSTO")
    page = tab.page
    assert "/search?" in tab.path()
    before = results(tab)
    assert len(before) == 10
    expect(page.locator(".summary")).to_contain_text("10 articles")
    expect(page.locator("#results mark").first).to_be_visible()  # the words are highlighted
    tab.shot("search")

    year = page.locator("#facets .facet a", has_text="2018")
    expect(year).to_have_count(1)
    with page.expect_navigation():
        year.click()
    after = results(tab)
    assert 0 < len(after) < len(before)
    assert set(after) <= set(before)
    assert page.input_value("#q") == "CSTO published:2018"
    assert parse_qs(urlsplit(page.url).query)["q"] == ["CSTO published:2018"]
    expect(page.locator(".summary")).to_contain_text(f"{len(after)} articles")
    tab.shot("refined")


def test_a_bad_query_is_explained_inline(tab: Tab) -> None:
    tab.go("/search?q=CSTO%20AND%20(Kazakhstan", status=400)
    box = tab.page.locator(".error.query-error")
    expect(box).to_be_visible()
    assert tab.page.input_value("#q") == "CSTO AND (Kazakhstan"  # kept, to be corrected
    tab.shot("query-error")


def test_open_an_article_with_its_entities_highlighted(tab: Tab) -> None:
    search(tab, '"Collective Security Treaty Organization" Tokayev')
    first = tab.page.locator("#results .result a.title").first
    title = first.inner_text()
    with tab.page.expect_navigation():
        first.click()
    assert tab.path().startswith("/articles/")
    expect(tab.page.locator("h1")).to_have_text(title)
    text = tab.page.locator("#article-text")
    expect(text).to_be_visible()
    entities = text.locator("mark.entity")
    assert entities.count() >= 3
    names = {n.strip() for n in entities.all_inner_texts()}
    assert {"Kazakhstan", "Tokayev"} & {w for n in names for w in n.split()}, names
    expect(text.locator("q.quote").first).to_be_visible()
    tab.shot("article")


def test_a_topic_dashboard_draws_its_charts(tab: Tab) -> None:
    tab.go("/topics")
    with tab.page.expect_navigation():
        tab.page.get_by_role("link", name="csto", exact=True).click()
    assert tab.path().startswith("/topics/csto")
    charts = tab.page.locator(".chart svg")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 2
    attention = charts.first
    marks = attention.locator("path, rect, polyline, circle")
    assert marks.count() > 0
    box = attention.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    expect(tab.page.locator("#results .result a.title")).to_have_count(10)
    tab.shot("dashboard")

    point = attention.locator("circle[data-tip]").last  # app.js adds tooltips and downloads
    point.hover()
    tip = tab.page.locator(".chart .chart-tip").first
    expect(tip).to_be_visible()
    assert tip.inner_text() == point.get_attribute("data-tip")
    figure = tab.page.locator("figure.chart").first
    for fmt in ("SVG", "PNG"):
        with tab.page.expect_download() as download:
            figure.get_by_role("button", name=fmt, exact=True).click()
        assert download.value.suggested_filename.endswith("." + fmt.lower())
        saved = download.value.path()
        assert saved.stat().st_size > 200
        head = saved.read_bytes()[:64]
        assert head.startswith(b"<?xml") if fmt == "SVG" else head.startswith(b"\x89PNG")


def test_save_a_query_through_the_form(tab: Tab, app_archive: Archive) -> None:
    search(tab, "Kazakhstan NOT Syria")
    form = tab.page.locator("#save-query")
    assert form.locator("input[name=query]").input_value() == "Kazakhstan NOT Syria"
    form.locator("input[name=name]").fill("kazakh")
    with tab.page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(tab.page.locator(".message")).to_be_visible()
    assert tab.path().startswith("/topics/kazakh")
    expect(tab.page.locator("h1")).to_have_text("kazakh")
    expect(tab.page.locator(".chart svg").first).to_be_visible()
    assert app_archive.saved_query("kazakh").query == "Kazakhstan NOT Syria"
    tab.shot("saved")

    tab.go("/topics")
    expect(tab.page.get_by_role("link", name="kazakh", exact=True)).to_be_visible()


def test_add_a_source_from_a_loopback_server(tab: Tab, loopback: LoopbackServer) -> None:
    feed = loopback.serve("/dushanbe.xml", SMALL_FEED)
    tab.go("/sources")
    form = tab.page.locator("#add-source")
    form.locator("input[name=url]").fill(feed)
    with tab.page.expect_navigation(timeout=20_000):
        form.locator("button[type=submit]").click()
    expect(tab.page.locator(".error")).to_have_count(0)
    expect(tab.page.locator(".message").first).to_contain_text("Now following")
    expect(tab.page.locator(".message").nth(1)).to_contain_text("2 new")
    row = tab.page.locator("#sources tr.source", has_text="Dushanbe Daily")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(feed)
    assert row.locator("td").nth(2).inner_text().strip() == "2"
    assert len(loopback.hits("/dushanbe.xml")) >= 1
    tab.shot("source-added")

    search(tab, "Varzob")
    assert sorted(results(tab)) == ["Varzob road reopens", "Varzob valley hosts CSTO drills"]


def test_the_pages_carry_a_content_security_policy(tab: Tab) -> None:
    for page in ("/", "/search?q=CSTO", "/topics", "/sources"):
        response = tab.go(page)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, page
        assert "unsafe-inline" not in policy, page
