from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.normalize import canonical_url, url_identity


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.COM", "http://www.example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("  https://example.com/a \n", "https://example.com/a"),
        (
            "https://example.com/a?utm_source=rss&id=7&utm_medium=feed&fbclid=X&b=2",
            "https://example.com/a?id=7&b=2",
        ),
        ("https://example.com/a?gclid=1&UTM_CAMPAIGN=x", "https://example.com/a"),
        ("https://example.com/a?z=1&a=2", "https://example.com/a?z=1&a=2"),
        ("https://example.com/%7euser/%e2%82%ac", "https://example.com/~user/%E2%82%AC"),
        ("https://example.com/caf\u00e9 menu", "https://example.com/caf%C3%A9%20menu"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://b\u00fccher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://example.com./a", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"),
    ],
)
def test_canonical_url_normalizes(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_http_and_https_stay_distinct_in_canonical_form() -> None:
    assert canonical_url("http://example.com/a") == "http://example.com/a"
    assert canonical_url("https://example.com/a") == "https://example.com/a"


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        ("/news/1", "https://example.com/feed/", "https://example.com/news/1"),
        (
            "story.html",
            "https://example.com/news/index.html",
            "https://example.com/news/story.html",
        ),
        ("//cdn.example.com/i.png", "https://example.com/", "https://cdn.example.com/i.png"),
        ("https://other.org/x", "https://example.com/", "https://other.org/x"),
    ],
)
def test_canonical_url_resolves_against_base(raw: str, base: str, expected: str) -> None:
    assert canonical_url(raw, base) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "mailto:ann@example.com",
        "ftp://example.com/file",
        "not a url",
        "/relative/without/base",
        "http://",
        "http://exa mple.com/",
        "http://[::1/",
        "http://example.com:99999/",
    ],
)
def test_canonical_url_rejects_non_web(raw: str | None) -> None:
    assert canonical_url(raw) is None


def test_relative_javascript_against_base_is_rejected() -> None:
    assert canonical_url("javascript:alert(1)", "https://example.com/") is None


@pytest.mark.parametrize(
    ("canonical", "identity"),
    [
        ("https://www.example.com/a?b=1", "example.com/a?b=1"),
        ("http://example.com/a?b=1", "example.com/a?b=1"),
        ("https://example.com/a/", "example.com/a/"),
        ("https://www2.example.com/a", "www2.example.com/a"),
        ("https://example.com:8080/a", "example.com:8080/a"),
        ("https://www.com/a", "www.com/a"),
    ],
)
def test_url_identity(canonical: str, identity: str) -> None:
    assert url_identity(canonical) == identity


def test_scheme_and_www_flips_share_identity() -> None:
    spellings = [
        "http://www.Example.com/story?id=3&utm_source=x",
        "https://example.com/story?id=3#comments",
        "HTTPS://WWW.EXAMPLE.COM:443/story?id=3",
    ]
    identities = set()
    for raw in spellings:
        canonical = canonical_url(raw)
        assert canonical is not None
        identities.add(url_identity(canonical))
    assert identities == {"example.com/story?id=3"}


_url_chars = st.text(
    alphabet=st.sampled_from(list("aZ09-._~%/?#&=:@!$'()*+,;[] \t\\\u00e9\u4e2d\x00\ud800")),
    max_size=40,
)
_urls = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "https", "HTTP", "hTTps", "ftp", "javascript"]),
        st.text(alphabet="abcXYZ09.-:[]@\u00fc", max_size=20),
        _url_chars,
    ),
)


@settings(max_examples=500)
@given(_urls, st.one_of(st.none(), _urls))
def test_canonical_url_never_raises_and_is_idempotent(url: str, base: str | None) -> None:
    once = canonical_url(url, base)
    if once is not None:
        assert once.startswith(("http://", "https://"))
        assert "#" not in once
        assert canonical_url(once) == once
        assert url_identity(once) == url_identity(url_identity(once))


def test_absolute_links_keep_their_own_site_whatever_the_base() -> None:
    base = "https://other.org/x/"
    assert canonical_url("https://example.com/a/./b/../c", base) == "https://example.com/a/c"
    assert canonical_url("https://example.com", base) == "https://example.com/"
    assert canonical_url("https://EXAMPLE.com/a/?utm_source=x", base) == "https://example.com/a/"
    assert canonical_url("https://example.com/a", "http://[::1/") is None  # unusable base


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        ("feed://example.org/rss", None, "http://example.org/rss"),
        ("feed:https://example.org/rss", None, "https://example.org/rss"),
        ("/feed/#top", "https://example.org/tag/csto/", "https://example.org/feed/"),
        ("javascript:alert(1)", "https://example.org/", None),
        ("file:///etc/passwd", None, None),
        ("http:///no-host", None, None),
        ("", "https://example.org/", None),
    ],
)
def test_web_address(href: str, base: str | None, expected: str | None) -> None:
    from presswatch.normalize.urls import web_address

    assert web_address(href, base) == expected
