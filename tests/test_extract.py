"""Full text: which feed items are only teasers, and what an article page yields."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.extract.page import EXTRACTOR_VERSION, PageText, decode_html, extract_page
from presswatch.extract.summary import needs_full_text, word_count
from presswatch.formats.detect import parse_feed
from presswatch.normalize.article import feed_key, normalize_feed
from presswatch.types import Article

ROOT = Path(__file__).parent.parent
PAGES = Path(__file__).parent / "data" / "pages"
ARTICLE_URL = "https://news.example.com/2022/01/13/csto-withdrawal/"
NOW = datetime(2024, 1, 1, tzinfo=UTC)

SENTENCE = "Officials in the capital said the talks would continue next week in Almaty. "


def _article(text: str, url: str | None = "https://news.example.com/a/1") -> Article:
    return Article(
        key="url:news.example.com/a/1",
        url=url,
        original_url=url,
        guid=None,
        title="A headline",
        authors=(),
        published=None,
        published_raw=None,
        date_flag="missing",
        updated=None,
        summary=text[:600] or None,
        content_html=f"<p>{text}</p>" if text else None,
        text=text,
        language="en",
        republished_from=None,
        categories=(),
        enclosures=(),
        content_hash="0" * 64,
    )


def _words(n: int) -> str:
    """Prose of exactly `n` words, ending on a full stop."""
    words = (SENTENCE * (n // 13 + 1)).split()[:n]
    return " ".join(words).rstrip(".") + "."


def _feed_articles(path: Path) -> list[Article]:
    feed = parse_feed(path.read_bytes(), location=str(path))
    return list(normalize_feed(feed, feed_key(feed, str(path)), now=NOW))


# --- needs_full_text -------------------------------------------------------------------


def test_full_articles_of_the_seed_feed_are_not_fetched_again() -> None:
    articles = _feed_articles(ROOT / "examples" / "csto-strategic-culture.txt")
    assert len(articles) == 10
    assert not any(needs_full_text(a) for a in articles)


def test_wordpress_excerpt_item_is_fetched() -> None:
    articles = _feed_articles(Path(__file__).parent / "data" / "formats" / "rss2_wordpress.xml")
    assert needs_full_text(articles[0])


def test_short_item_is_a_teaser_whatever_its_ending() -> None:
    assert needs_full_text(_article(_words(60)))
    assert needs_full_text(_article(""))


@pytest.mark.parametrize(
    "ending",
    [
        " Lorem ipsum […]",
        " Lorem ipsum [...]",
        " Lorem ipsum [&hellip;]",
        " and then…",
        " and then...",
        " (more…)",
        "\n\nRead more",
        " Read More »",
        " [Read more]",
        "\n\nContinue reading After Kazakhstan, the Color Revolution Era Is Over →",
        " Continue reading Is the CSTO dead?",
        "\n\nЧитать далее",
        "\n\nПодробнее…",
        " Lorem ipsum […]\n\nThe post CSTO at thirty appeared first on Steppe Herald.",
    ],
)
def test_middle_length_item_with_a_teaser_ending_is_fetched(ending: str) -> None:
    assert needs_full_text(_article(_words(150) + ending))


@pytest.mark.parametrize(
    "ending",
    [
        "",
        " You can read more about it in our report.",
        " Read more about the talks in our report.",
        "\n\nThe post CSTO at thirty appeared first on Steppe Herald.",
    ],
)
def test_middle_length_item_ending_in_prose_is_kept(ending: str) -> None:
    assert not needs_full_text(_article(_words(150) + ending))


@pytest.mark.parametrize("ending", [" and then...", " Lorem […]", "\n\nRead more"])
def test_long_item_is_kept_even_with_a_teaser_ending(ending: str) -> None:
    assert not needs_full_text(_article(_words(400) + ending))


@pytest.mark.parametrize(
    "url", [None, "", "mailto:desk@example.com", "ftp://example.com/a", "urn:uuid:1", "https://"]
)
def test_item_without_a_web_page_is_not_fetched(url: str | None) -> None:
    assert not needs_full_text(_article("Short teaser […]", url=url))


def test_text_without_spaces_is_measured_in_characters() -> None:
    chinese = "集体安全条约组织的维和部队周四开始撤离哈萨克斯坦。" * 40  # ~1,000 characters
    assert word_count(chinese) > 300
    assert not needs_full_text(_article(chinese))
    assert needs_full_text(_article(chinese[:60]))
    assert word_count("one two  three\nfour") == 4


# --- extract_page ----------------------------------------------------------------------


def _page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def article() -> PageText:
    page = extract_page(_page("article.html"), ARTICLE_URL, "text/html; charset=utf-8")
    assert page is not None
    return page


def test_article_text_is_the_story_without_page_furniture(article: PageText) -> None:
    text = article.text
    assert text.startswith("Peacekeeping units of the Collective Security Treaty Organization")
    assert "Nobody expected the mechanism to be triggered so quickly" in text  # blockquote
    assert text.endswith("before spreading to Almaty and other cities.")
    for furniture in (
        "Subscribe for full access",  # navigation
        "Most read",  # sidebar
        "Fuel prices frozen",
        "morning briefing",  # newsletter box
        "Share on Twitter",
        "Unsubscribing",  # reader comments
        "shooting near the square",
        "All rights reserved",  # footer
        "Cookie notice",
        "dataLayer",  # scripts
        "By Aigerim",  # byline, kept as authors instead
    ):
        assert furniture not in text
    assert not text.startswith("CSTO troops begin withdrawal")  # the title is not repeated
    assert "\n\nA test for the alliance\n\n" in text  # paragraphs stay apart


def test_article_metadata(article: PageText) -> None:
    assert article.title == "CSTO troops begin withdrawal from Kazakhstan"
    assert article.authors == ("Aigerim Nurlanova", "Daniel Brooks")
    assert article.published == datetime(2022, 1, 13, 3, 30, tzinfo=UTC)  # 09:30 at +06:00
    assert article.site_name == "Steppe Herald"
    assert article.language == "en-GB"


def test_article_html_is_sanitized_with_absolute_links(article: PageText) -> None:
    html = article.html
    assert html is not None
    assert html.startswith("<p>Peacekeeping units")
    assert "<blockquote>" in html and "<h2>A test for the alliance</h2>" in html
    assert 'href="https://news.example.com/2022/01/06/csto-arrives/"' in html
    for unsafe in ("<script", "<style", "<form", "<html", "<body", "onclick"):
        assert unsafe not in html


def test_page_in_a_legacy_encoding_declared_by_meta() -> None:
    body = _page("cp1251.html")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    for content_type in (None, "text/html"):
        page = extract_page(body, "https://vestnik.example.ru/2022/01/13/odkb/", content_type)
        assert page is not None
        assert page.text.startswith("Подразделения коллективных миротворческих сил")
        assert "Главная" not in page.text and "Перепечатка" not in page.text
        assert page.title == "Миротворцы ОДКБ начали покидать Казахстан"
        assert page.authors == ("Анна Смирнова",)  # "Автор:" label dropped
        assert page.published == datetime(2022, 1, 13, 9, 0, tzinfo=UTC)
        assert page.site_name == "Степной вестник"
        assert page.language == "ru"


def test_http_charset_wins_over_meta() -> None:
    html = '<html><head><meta charset="windows-1251"></head><body><p>Привет</p></body></html>'
    body = html.encode("utf-8")
    assert "Привет" in decode_html(body, "text/html; charset=utf-8")
    assert "Привет" not in decode_html(body, "text/html")  # the page's own (wrong) claim
    wide_claim = '<meta charset="utf-16"><p>Привет</p>'.encode()
    assert "Привет" in decode_html(wide_claim)  # read as UTF-8, as browsers do


def test_cloudflare_challenge_served_with_200_is_no_text() -> None:
    assert extract_page(_page("challenge.html"), ARTICLE_URL, "text/html") is None


def test_challenge_recognised_by_its_title_alone() -> None:
    body = _page("article.html").replace(
        b"<title>CSTO troops begin withdrawal from Kazakhstan | Steppe Herald</title>",
        b"<title>Just a moment...</title>",
    )
    assert extract_page(body, ARTICLE_URL, "text/html") is None


def test_challenge_recognised_by_its_wording() -> None:
    words = " ".join(f"step{i}" for i in range(60))
    body = (
        "<html><head><title>news.example.com</title></head><body><main>"
        "<h1>Checking your browser before accessing news.example.com</h1>"
        f"<p>This process is automatic. Your browser will redirect you shortly. {words}</p>"
        "<p>Please allow up to 5 seconds while we check the connection.</p>"
        "</main></body></html>"
    ).encode()
    assert extract_page(body, ARTICLE_URL, "text/html") is None


@pytest.mark.parametrize("body", [b"", b"   \n", (PAGES / "empty.html").read_bytes()])
def test_empty_page_is_no_text(body: bytes) -> None:
    assert extract_page(body, ARTICLE_URL, "text/html") is None


def test_page_with_too_little_main_text_is_no_text() -> None:
    body = (
        b"<html><head><title>Brief</title></head><body><article><h1>Brief</h1>"
        b"<p>Officials confirmed the meeting will take place on Friday in Almaty.</p>"
        b"</article></body></html>"
    )
    assert extract_page(body, ARTICLE_URL, "text/html") is None


def _index_page() -> bytes:
    teasers = "".join(
        f'<article class="teaser"><h3><a href="/2022/01/{i:02d}/story/">Headline {i} on '
        "regional politics and trade</a></h3><p>A short line saying what happened in "
        f"story {i} and why it matters to readers.</p></article>"
        for i in range(1, 30)
    )
    return (
        '<html lang="en"><head><title>Security | Steppe Herald</title>'
        '<meta property="og:type" content="website"></head><body><main><h1>Security</h1>'
        f"{teasers}</main></body></html>"
    ).encode()


def test_section_page_of_teasers_is_no_text() -> None:
    assert extract_page(_index_page(), "https://news.example.com/security/", "text/html") is None


def test_home_page_after_a_redirect_is_no_text() -> None:
    body = _page("article.html")
    assert extract_page(body, "https://news.example.com/", "text/html") is None
    assert extract_page(body, ARTICLE_URL, "text/html") is not None


@pytest.mark.parametrize("content_type", ["application/pdf", "image/jpeg", "video/mp4"])
def test_binary_content_is_no_text(content_type: str) -> None:
    assert extract_page(_page("article.html"), ARTICLE_URL, content_type) is None


def test_extraction_opens_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("extract_page tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert extract_page(_page("article.html"), ARTICLE_URL, "text/html") is not None


def test_extractor_version_is_recorded() -> None:
    assert EXTRACTOR_VERSION.split() == ["trafilatura", trafilatura.__version__]


def test_deeply_nested_markup_does_not_raise() -> None:
    body = b"<html><body>" + b"<div>" * 50_000 + b"<p>deep</p>" + b"</div>" * 50_000
    assert extract_page(body, ARTICLE_URL, "text/html") is None


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.lists(
            st.sampled_from(
                [
                    "<html>",
                    "<body>",
                    "<p>",
                    "</p>",
                    "<div>",
                    "</div>",
                    "<script>",
                    "<p onclick='x()'>",
                    "</script>",
                    "<meta charset='koi8-r'>",
                    "<!--",
                    "-->",
                    "<![CDATA[",
                    "<title>",
                    "</title>",
                    "&amp;",
                    "&#0;",
                    "\x00",
                    "Word ",
                    "Слово ",
                    "<article>",
                    "</article>",
                    "<table><tr><td>",
                    "<svg>",
                    "<?xml ",
                ]
            ),
            max_size=300,
        ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    )
)
def test_hostile_bytes_never_raise(body: bytes) -> None:
    page = extract_page(body, ARTICLE_URL, "text/html")
    if page is not None:
        assert word_count(page.text) >= 40
        assert "\x00" not in page.text
        assert "<script" not in (page.html or "")
