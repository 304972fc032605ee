"""Hostile feed content in a real browser: nothing it carries runs, loads or navigates.

tests/data/hostile/ holds an RSS and an Atom feed whose titles, authors, links and bodies
carry scripts, event handlers, `javascript:` links (also `java&#x09;script:`,
`JaVaScRiPt:`, entity-encoded), SVG with onload, meta refresh, forms, iframes, `]]>` and
markup in titles, and escaped markup that must stay visible as words. Every payload
tries to set window.__pwned, set document.title to "pwned", open a dialog, navigate, or
load a URL containing "pwned". Each page an analyst would open on such articles (search
results, the article, a topic dashboard, an entity, the sources, the raw item) is checked
for all of that, and for the dangerous markup itself being gone from the DOM.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

import pytest
from lxml import etree
from playwright.sync_api import Browser, Response, expect

from presswatch.archive import Archive

if TYPE_CHECKING:
    from browser import ArchiveMaker, Tab

pytest_plugins = ["browser"]
HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
EVERYTHING = "CSTO OR Kazakhstan OR NATO"
MARKUP_QUERY = (
    "Kazakhstan OR \"</script><script>window.__pwned='query'</script>"
    "<img src=/pwned/query onerror=alert('pwned')>\""
)

# What a page must not hold, whatever the articles say. Content boxes are where article
# text, titles, snippets and quotes are shown: only text and the app's own marks there.
DANGER = r"""
() => {
  const bad = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
  const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href",
    "data", "poster", "background", "cite", "ping", "srcset", "codebase", "lowsrc"]);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const n = attr.name.toLowerCase();
      if (n.startsWith("on")) bad.push(`${name(el)} has the handler ${n}="${attr.value}"`);
      if (n === "srcdoc") bad.push(`${name(el)} has srcdoc`);
      if (URL_ATTRIBUTES.has(n)) {
        const v = attr.value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
        if (/^(javascript|vbscript|livescript):|^data:text\/html/.test(v)) {
          bad.push(`${name(el)} ${n}="${attr.value}"`);
        }
      }
    }
  }
  const frames = "iframe, frame, frameset, object, embed, applet, portal, base, meta[http-equiv]";
  for (const el of document.querySelectorAll(frames)) bad.push(`a ${name(el)} element`);
  for (const el of document.querySelectorAll("style")) bad.push(`a style element`);
  for (const s of document.querySelectorAll("script")) {
    const src = s.getAttribute("src");
    if (src) {
      const u = new URL(src, location.href);
      if (u.origin !== location.origin || !u.pathname.startsWith("/static/")) {
        bad.push(`a script from ${src}`);
      }
    } else if (s.getAttribute("type") !== "application/json") {
      bad.push(`an inline script: ${s.textContent.slice(0, 80)}`);
    }
  }
  for (const f of document.querySelectorAll("form")) {
    const action = f.getAttribute("action") || "";
    if (!action.startsWith("/") || action.startsWith("//")) bad.push(`a form to ${action}`);
  }
  const boxes = "#article-text, .article-text, .feed-html, #results, .snippet, .quotes, "
    + ".clusters, .terms, .entities, #sources, .facets, h1, title";
  const inside = "script, style, link, iframe, form, input, button, textarea, select, svg, "
    + "math, img, object, embed, meta, base, video, audio, source, [style]";
  for (const box of document.querySelectorAll(boxes)) {
    for (const el of box.querySelectorAll(inside)) bad.push(`${name(el)} inside ${name(box)}`);
    for (const a of box.querySelectorAll("a[href]")) {
      if (!["http:", "https:", "mailto:"].includes(a.protocol)) {
        bad.push(`a ${a.protocol} link inside ${name(box)}`);
      }
    }
  }
  return bad;
}
"""


@pytest.fixture(scope="module")
def app_archive(make_archive: ArchiveMaker) -> Archive:
    archive = make_archive([HOSTILE / "hostile.rss", HOSTILE / "hostile.atom"])
    archive.save_query("hostile", EVERYTHING)
    archive.save_query("markup", MARKUP_QUERY)
    return archive


def article_ids(archive: Archive) -> dict[str, int]:
    """Each hostile article's id by a word of its title."""
    ids = {}
    for a in archive.articles():
        word = next(w for w in ("Almaty", "talks", "leave") if w in a.title)
        ids[word] = a.id
    assert len(ids) == 3, ids
    return ids


def visit(tab: Tab, path: str, *, status: int = 200) -> Response:
    """Open the page, open its folded parts, give payloads time to fire, and check that
    none did and that none of the dangerous markup reached the DOM."""
    response = tab.go(path, status=status)
    page = tab.page
    policy = response.headers.get("content-security-policy", "")
    scripts_only_ours = "script-src 'self'" in policy or (
        "default-src 'none'" in policy and "script-src" not in policy
    )
    assert scripts_only_ours and "unsafe-" not in policy, (path, policy)
    for summary in page.locator("details > summary").all():
        summary.click()
    for link in page.locator("#article-text a, .feed-html a, #results a").all()[:20]:
        link.hover()
    page.wait_for_timeout(150)
    assert page.evaluate("() => typeof window.__pwned") == "undefined", path
    assert page.evaluate("() => typeof parent.__pwned") == "undefined", path
    assert page.title() != "pwned", path
    assert page.url == response.url, f"{path} navigated to {page.url}"
    loads = [u for u, kind in tab.requests if "pwned" in u.lower() and kind != "document"]
    assert not loads, f"{path} loaded {loads}"
    danger = page.evaluate(DANGER)
    assert not danger, f"{path}:\n  " + "\n  ".join(danger)
    return response


def test_search_results_show_hostile_titles_as_text(tab: Tab) -> None:
    visit(tab, "/search?" + urlencode({"q": EVERYTHING}))
    titles = tab.page.locator("#results .result a.title")
    expect(titles).to_have_count(3)
    shown = "\n".join(titles.all_inner_texts())
    assert "<script>window.__pwned='title script'</script>CSTO summit" in shown
    assert "]]> in Almaty" in shown
    assert "<svg onload=\"window.__pwned='title svg'\"> Kazakhstan talks" in shown
    expect(tab.page.locator("#facets")).to_contain_text("Mallory")
    tab.shot("results")
    for facet, count in (("Hostile <script>", 2), ("> Trudy", 1)):  # refined queries quote them
        link = tab.page.locator("#facets .facet a", has_text=facet)
        with tab.page.expect_navigation():
            link.click()
        expect(tab.page.locator("#results .result")).to_have_count(count)
        assert not tab.page.evaluate(DANGER)
        tab.page.go_back()
    visit(tab, "/search?" + urlencode({"q": "escaped text"}))
    expect(tab.page.locator("#results .snippet").first).to_contain_text("<script>")
    visit(tab, "/search?" + urlencode({"q": MARKUP_QUERY}))
    assert tab.page.input_value("#q") == MARKUP_QUERY
    visit(tab, "/")


def test_article_pages_keep_the_words_and_drop_the_code(tab: Tab, app_archive: Archive) -> None:
    ids = article_ids(app_archive)
    for word, article_id in ids.items():
        visit(tab, f"/articles/{article_id}")
        tab.shot(f"article-{word}")
        if word == "leave":  # the Atom entry's XHTML content
            expect(tab.page.locator("#article-text")).to_contain_text("Sergei Lavrov said")

    visit(tab, f"/articles/{ids['Almaty']}")
    expect(tab.page.locator("h1")).to_have_text(
        "<script>window.__pwned='title script'</script>CSTO summit "
        '<img src="/pwned/title-img" onerror="window.__pwned=\'title img\'"> ]]> in Almaty'
    )
    expect(tab.page.locator(".meta").first).to_contain_text("Eve Mallory")
    text = tab.page.locator("#article-text")
    expect(text.locator("mark.entity").first).to_be_visible()
    expect(text).to_contain_text("Read the statement or the annex")
    expect(tab.page.locator("a.original")).to_have_count(0)  # its only link was javascript:

    visit(tab, f"/articles/{ids['talks']}")
    text = tab.page.locator("#article-text")
    expect(text).to_contain_text("<script>window.__pwned='escaped text'</script>")
    quote_mark = text.locator("q.quote")
    expect(quote_mark.first).to_contain_text("<img src=/pwned/quote onerror=")
    tab.shot("escaped-markup")


def test_topic_dashboards_draw_hostile_data_safely(tab: Tab) -> None:
    for name in ("hostile", "markup"):
        visit(tab, f"/topics/{name}")
        charts = tab.page.locator(".chart svg")
        expect(charts.first).to_be_visible()
        assert charts.first.locator("path, rect, polyline, circle").count() > 0
        tab.shot(f"topic-{name}")
    expect(tab.page.locator("code").first).to_have_text(MARKUP_QUERY)
    visit(tab, "/topics")
    visit(tab, "/compare?" + urlencode([("q", EVERYTHING), ("q", MARKUP_QUERY)]))


def test_entity_pages_show_hostile_quotes_as_text(tab: Tab) -> None:
    visit(tab, "/entities/" + quote("Vladimir Putin", safe=""))
    expect(tab.page.locator(".quotes").first).to_contain_text("<img src=/pwned/quote onerror=")
    tab.shot("entity")
    visit(tab, "/entities/Kazakhstan")


def test_sources_show_hostile_feed_titles_as_text(tab: Tab) -> None:
    visit(tab, "/sources")
    expect(tab.page.locator("#sources")).to_contain_text(
        "Hostile <script>window.__pwned='channel title'</script> Wire"
    )
    tab.shot("sources")


def test_the_raw_item_is_plain_text_in_a_sandbox(tab: Tab, app_archive: Archive) -> None:
    visit(tab, f"/articles/{article_ids(app_archive)['Almaty']}")
    raw = tab.page.get_by_role("link", name="the item").first
    href = raw.get_attribute("href")
    assert href is not None
    response = visit(tab, href)
    assert response.headers["content-type"].startswith("text/plain")
    assert "sandbox" in response.headers.get("content-security-policy", "")
    expect(tab.page.locator("body")).to_contain_text(
        "<script>window.__pwned='body script'</script>"
    )
    tab.shot("raw-item")


def test_markup_in_addresses_and_forms_is_shown_as_text(tab: Tab) -> None:
    """What a link from elsewhere can put in front of the analyst: a query that does not
    parse (shown back with a caret), a topic or entity that does not exist, odd options."""
    bad_query = "(Kazakhstan <img src=/pwned/error onerror=\"window.__pwned='error'\">"
    visit(tab, "/search?" + urlencode({"q": bad_query}), status=400)
    expect(tab.page.locator(".query-error")).to_be_visible()
    assert tab.page.input_value("#q") == bad_query
    tab.shot("query-error")
    script = "<script>window.__pwned='address'</script>"
    visit(tab, "/search?" + urlencode({"q": "CSTO", "sort": script, "page": script}))
    visit(tab, "/topics/" + quote(script, safe=""), status=404)
    visit(tab, "/entities/" + quote(script, safe=""), status=404)
    expect(tab.page.locator(".error").first).to_contain_text(script)
    visit(
        tab, "/compare?" + urlencode([("q", script), ("q", bad_query), ("by", script)]), status=400
    )
    visit(tab, "/topics?" + urlencode({"q": script, "message": script}))
    expect(tab.page.locator(".message")).to_have_count(0)
    form = tab.page.locator("#save-query")
    form.locator("input[name=name]").fill("quoted")
    form.locator("input[name=query]").fill(bad_query)
    tab.allow_status(400, "/topics")
    with tab.page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(tab.page.locator(".query-error")).to_be_visible()
    assert tab.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert not tab.page.evaluate(DANGER)


def test_the_checks_would_see_the_payloads_if_they_got_through(browser: Browser) -> None:
    """The same checks on the feed's raw HTML, put in a page as it is: they must fire, or
    the tests above would pass on a page that lets everything through."""
    feed = etree.parse(str(HOSTILE / "hostile.rss"))
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    bodies = [e.text or "" for e in feed.iter(encoded)]
    page = browser.new_page()
    try:
        page.route("**/*", lambda route: route.abort())
        page.on("dialog", lambda dialog: dialog.dismiss())
        page.set_content("<!doctype html><div id=article-text>" + bodies[0] + "</div>")
        page.wait_for_timeout(150)
        assert page.evaluate("() => typeof window.__pwned") != "undefined"
        found = "\n".join(page.evaluate(DANGER))
        for sign in ("onerror", "onclick", "onload", "javascript:", "JaVaScRiPt:", "vbscript:"):
            assert sign in found, sign
        for element in ("iframe", "meta", "form inside", "svg inside", "an inline script"):
            assert element in found, element
        assert "java\tscript:" in found  # the tab, decoded as a browser decodes it
    finally:
        page.close()
