from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.normalize import html_to_text, looks_like_html, sanitize_html, text_to_html
from presswatch.normalize.html import html_paragraphs, sanitize_to_paragraphs

BASE = "https://example.com/news/story.html"


def test_sanitize_keeps_article_markup() -> None:
    html = (
        "<h2>Title</h2><p>Some <strong>bold</strong> and <em>em</em> text.</p>"
        "<blockquote><p>quoted</p></blockquote><ul><li>one</li></ul>"
        '<figure><img src="https://example.com/i.png" alt="A cat" width="10">'
        "<figcaption>cap</figcaption></figure>"
        "<table><tr><td>cell</td></tr></table>"
    )
    out = sanitize_html(html)
    for fragment in (
        "<h2>Title</h2>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<blockquote><p>quoted</p></blockquote>",
        "<li>one</li>",
        '<img src="https://example.com/i.png" alt="A cat" width="10">',
        "<figcaption>cap</figcaption>",
        "<td>cell</td>",
    ):
        assert fragment in out


def test_sanitize_drops_dangerous_content_entirely() -> None:
    html = (
        "<p>ok</p><script>alert('s')</script><style>p{color:red}</style>"
        "<iframe src='https://evil.example/'>frame text</iframe>"
        "<object data='x.swf'>object text</object>"
    )
    out = sanitize_html(html)
    assert out == "<p>ok</p>"


def test_sanitize_removes_event_handlers_and_unknown_attributes() -> None:
    out = sanitize_html(
        '<p onclick="steal()" style="x" class="c" id="i">t</p><img src=x onerror=y>'
    )
    assert "onclick" not in out and "onerror" not in out
    assert "style" not in out and "class" not in out
    assert out.startswith("<p>t</p>")


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)",
        "jav\tascript:alert(1)",
        "javascript&colon;alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
    ],
)
def test_no_script_url_survives(href: str) -> None:
    for base in (None, BASE):
        out = sanitize_html(f'<a href="{href}">x</a><img src="{href}">', base)
        assert not re.search(r"(?i)(javascript|vbscript|data)\s*:", out)
        assert "href=" not in out and "src=" not in out


def test_links_get_rel_and_keep_http_https_mailto() -> None:
    out = sanitize_html(
        '<a href="https://a.example/">a</a><a href="http://b.example/">b</a>'
        '<a href="mailto:ann@example.com">m</a><a href="ftp://c.example/">f</a>'
    )
    assert out.count('rel="noopener noreferrer nofollow"') == 4
    assert 'href="https://a.example/"' in out
    assert 'href="http://b.example/"' in out
    assert 'href="mailto:ann@example.com"' in out
    assert "ftp:" not in out


def test_relative_urls_resolve_against_base() -> None:
    out = sanitize_html('<a href="../other.html">o</a><img src="/img/a.png" alt="">', BASE)
    assert 'href="https://example.com/other.html"' in out
    assert 'src="https://example.com/img/a.png"' in out


def test_relative_urls_stay_relative_without_base() -> None:
    out = sanitize_html('<a href="/x">x</a>')
    assert 'href="/x"' in out


def test_relative_urls_are_dropped_when_base_is_not_web() -> None:
    out = sanitize_html('<a href="x">x</a>', "javascript:alert(1)//")
    assert "href" not in out


def test_control_characters_are_stripped() -> None:
    assert sanitize_html("<p>a\x00b\x07c\x1fd</p>") == "<p>abcd</p>"


@settings(max_examples=300)
@given(
    st.text(
        alphabet=st.sampled_from(list("<>/=\"' ajvscriptJAVSCRIPT:&#;x9onerrorhf\t\x00")),
        max_size=60,
    )
)
def test_sanitized_output_never_carries_script(html: str) -> None:
    out = sanitize_html(f"<a href='{html}'>{html}</a><img src=\"{html}\">", BASE)
    assert "<script" not in out.lower()
    for value in re.findall(r'(?:href|src)="([^"]*)"', out):
        assert value.startswith(("http://", "https://", "mailto:"))


def test_html_to_text_paragraphs() -> None:
    html = (
        "<h2>Head</h2>\n<p>First  para\nwraps &amp; goes <b>on</b>.</p>"
        "<p>Line one<br>line two</p><div>Div block</div>"
        "<ul><li>item one</li><li>item two</li></ul>"
        "<blockquote>Quoted</blockquote>after<br><br>br para"
        "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
    )
    assert html_to_text(html) == (
        "Head\n\nFirst para wraps & goes on.\n\nLine one\nline two\n\nDiv block\n\n"
        "item one\n\nitem two\n\nQuoted\n\nafter\n\nbr para\n\na b\n\nc"
    )


def test_html_to_text_drops_script_style_comments() -> None:
    html = "<p>keep</p><script>var x = '<p>no</p>';</script><style>p{}</style><!-- <p>c</p> -->"
    assert html_to_text(html) == "keep"


def test_html_to_text_entities_decoded_once() -> None:
    assert html_to_text("<p>AT&amp;T &lt;b&gt; &#8220;q&#8221; &nbsp;x</p>") == "AT&T <b> “q” x"


def test_html_to_text_plain_text_keeps_paragraphs() -> None:
    text = "First paragraph\nstill first.\n\n\nSecond  paragraph.\n \nThird."
    assert html_to_text(text) == "First paragraph\nstill first.\n\nSecond paragraph.\n\nThird."


def test_html_to_text_inline_only_markup_keeps_blank_line_paragraphs() -> None:
    html = 'One with <a href="x">a link</a>.\n\nTwo &amp; more.'
    assert html_to_text(html) == "One with a link.\n\nTwo & more."


def test_html_to_text_has_no_outer_whitespace() -> None:
    assert html_to_text("  <p>  x  </p>  \n") == "x"
    assert html_to_text("") == ""


def test_text_to_html_escapes_and_paragraphs() -> None:
    assert text_to_html("a < b & c\nnext\n\n<script>") == (
        "<p>a &lt; b &amp; c<br>next</p><p>&lt;script&gt;</p>"
    )


def test_text_round_trip() -> None:
    text = "Para one\nline two.\n\nPara & two."
    assert html_to_text(text_to_html(text)) == text
    assert html_to_text(sanitize_html(text_to_html(text))) == text


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("<p>x</p>", True),
        ("a<br/>b", True),
        ("Tom &amp; Jerry", True),
        ("&#8220;quoted&#8221;", True),
        ("plain text", False),
        ("a < b and c > d", False),
        ("AT&T", False),
    ],
)
def test_looks_like_html(s: str, expected: bool) -> None:
    assert looks_like_html(s) is expected


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_html_to_text_output_is_tidy(html: str) -> None:
    text = html_to_text(html)
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "\x00" not in text and "\x01" not in text


def test_html_to_text_any_tag_case_and_unclosed_script() -> None:
    assert html_to_text("<P>one</P><SCRIPT>x</SCRIPT><Style>y</Style><p>two<script>tail") == (
        "one\n\ntwo"
    )


def test_sanitize_resolves_query_fragment_and_protocol_relative() -> None:
    out = sanitize_html('<a href="?page=2">p</a><a href="//cdn.example.org/x">c</a>', BASE)
    assert 'href="https://example.com/news/story.html?page=2"' in out
    assert 'href="https://cdn.example.org/x"' in out


def test_bare_paragraph_markup_reads_like_any_other_markup() -> None:
    bare = "<p>One \u00a0 two\tthree</p>\n<p>Line<br>next<br><br>new &amp; para</p><br>tail "
    # The same markup spelled so that the full tokenizer has to read it.
    spelled = bare.replace("<p>", "<P >").replace("</p>", "</P >").replace("<br>", "<BR/>")
    expected = ["One two three", "Line\nnext", "new & para", "tail"]
    assert html_paragraphs(bare) == expected
    assert html_paragraphs(spelled) == expected
    assert html_to_text(bare) == "\n\n".join(expected)


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["<p>", "</p>", "<br>", "<b>", " ", "\n", "\xa0", "a", "&amp;"])))
def test_bare_markup_fast_path_matches_tokenizer(pieces: list[str]) -> None:
    bare = "".join(pieces)
    spelled = bare.replace("<p>", "<P >").replace("</p>", "</P >").replace("<br>", "<BR/>")
    assert html_paragraphs(bare) == html_paragraphs(spelled)
    assert html_to_text(bare) == "\n\n".join(html_paragraphs(bare))


@settings(max_examples=300)
@given(st.lists(st.text(alphabet=st.sampled_from(list(" \n\t\xa0ab&;#x<>")), max_size=12)))
def test_wordpress_paragraphs_read_like_any_other_markup(texts: list[str]) -> None:
    autop = "<p>" + "</p>\n<p>".join(texts) + "</p>\n"
    spelled = autop.replace("<p>", "<P >").replace("</p>", "</P >")
    assert html_paragraphs(autop) == html_paragraphs(spelled)


@pytest.mark.parametrize(
    ("html", "from_xml"),
    [
        ("<p>a\x01b\x00c</p>", False),
        ("<p>a&#1;b&#x7f;c</p><p>d&#11;e</p>", False),
        ("<p>a\x7fb</p>\n<p>c&#1;d</p>", True),  # XML text: DEL, and references, only
        ('<p><a href="#top">t</a> &#x1F;x</p>', True),
    ],
)
def test_sanitize_to_paragraphs_is_sanitize_then_paragraphs(html: str, from_xml: bool) -> None:
    clean = sanitize_html(html)
    assert sanitize_to_paragraphs(html, from_xml=from_xml) == (clean, html_paragraphs(clean))
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "".join(html_paragraphs(clean)))


def test_a_details_summary_stays_apart_from_what_it_folds() -> None:
    """Folded sections keep their label apart, so "More" does not glue onto the next
    word and turn "Kyrgyzstan" into a different name."""
    html = "<details><summary>More</summary>Kyrgyzstan joined.</details>"
    assert html_to_text(sanitize_html(html)) == "More\n\nKyrgyzstan joined."
