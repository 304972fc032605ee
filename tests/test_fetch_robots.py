"""robots.txt decisions: RFC 9309 matching, status handling, and the robots.txt address."""

from __future__ import annotations

import random
import urllib.robotparser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.fetch.robots import AGENT, Robots, robots_from_status, robots_url

NEWS_SITE = """\
# robots.txt for a news site
User-agent: *
Disallow: /
Allow: /news/
Disallow: /*?s=
Disallow: /*.pdf$
Crawl-delay: 5

User-agent: Googlebot
Disallow: /private/
"""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example.com/news/2022/01/13/csto/", True),
        ("https://news.example.com/about/", False),
        ("https://news.example.com/", False),
        ("https://news.example.com/search?s=csto", False),
        ("https://news.example.com/news/report.pdf", False),
        ("https://news.example.com/news/report.pdf?download=1", True),  # "$" anchors the end
        ("/news/today", True),  # a bare path is read against the same rules
    ],
)
def test_longest_rule_wins_and_wildcards_match(url: str, expected: bool) -> None:
    assert Robots(NEWS_SITE).allows(url) is expected


def test_allow_wins_a_tie_between_equally_long_rules() -> None:
    robots = Robots("User-agent: *\nDisallow: /page\nAllow: /page\n")
    assert robots.allows("https://x.org/page")


def test_longer_disallow_beats_shorter_allow() -> None:
    robots = Robots("User-agent: *\nAllow: /news/\nDisallow: /news/drafts/\n")
    assert robots.allows("https://x.org/news/today")
    assert not robots.allows("https://x.org/news/drafts/one")


def test_rule_order_inside_a_group_does_not_matter() -> None:
    lines = ["Allow: /a/b/", "Disallow: /a/", "Disallow: /*.php$", "Allow: /a/b/c.php$"]
    urls = ["/a/x", "/a/b/y", "/a/b/c.php", "/a/b/d.php", "/z.php", "/q"]
    expected = [Robots("User-agent: *\n" + "\n".join(lines)).allows(u) for u in urls]
    assert expected == [False, True, True, False, False, True]
    rng = random.Random(7)
    for _ in range(10):
        rng.shuffle(lines)
        robots = Robots("User-agent: *\n" + "\n".join(lines))
        assert [robots.allows(u) for u in urls] == expected


def test_our_own_group_replaces_the_star_group() -> None:
    text = "User-agent: *\nDisallow: /\n\nUser-agent: PressWatch/1.0\nDisallow: /drafts/\n"
    robots = Robots(text)
    assert robots.allows("https://x.org/news/1")
    assert not robots.allows("https://x.org/drafts/1")
    assert not Robots(text, agent="otherbot").allows("https://x.org/news/1")


def test_groups_naming_us_twice_are_merged() -> None:
    text = (
        "User-agent: presswatch\nDisallow: /a/\n\n"
        "User-agent: otherbot\nDisallow: /b/\n\n"
        "User-agent: presswatch\nDisallow: /c/\n"
    )
    robots = Robots(text)
    assert not robots.allows("/a/1")
    assert robots.allows("/b/1")
    assert not robots.allows("/c/1")


def test_consecutive_user_agent_lines_share_one_group() -> None:
    robots = Robots("User-agent: otherbot\nUser-agent: presswatch\nDisallow: /private/\n")
    assert not robots.allows("/private/x")
    assert robots.allows("/public/x")


def test_a_similar_agent_name_is_not_ours() -> None:
    robots = Robots("User-agent: presswatch-images\nDisallow: /\n")
    assert robots.allows("/news/1")


def test_empty_disallow_allows_everything() -> None:
    robots = Robots("User-agent: *\nDisallow: /\n\nUser-agent: presswatch\nDisallow:\n")
    assert robots.allows("/anything")


def test_rules_before_any_user_agent_and_comments_are_ignored() -> None:
    text = (
        "\ufeffDisallow: /\n# User-agent: *\nUser-agent: * # everyone\nDisallow: /tmp/ # scratch\n"
    )
    robots = Robots(text)
    assert robots.allows("/news/1")
    assert not robots.allows("/tmp/1")


def test_no_group_for_anyone_allows_everything() -> None:
    assert Robots("User-agent: otherbot\nDisallow: /\n").allows("/news/1")
    assert Robots("").allows("/news/1")
    assert Robots("<html><body>Not found</body></html>").allows("/news/1")


def test_robots_txt_itself_is_always_allowed() -> None:
    assert Robots("User-agent: *\nDisallow: /\n").allows("https://x.org/robots.txt")


def test_percent_encoding_is_compared_in_one_form() -> None:
    robots = Robots("User-agent: *\nDisallow: /%7Ejoe/\nDisallow: /новости/\n")
    assert not robots.allows("https://x.org/~joe/page")
    assert not robots.allows("https://x.org/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1")
    assert not robots.allows("https://x.org/новости/1")
    assert robots.allows("https://x.org/news/1")


def test_query_is_part_of_what_rules_match() -> None:
    robots = Robots("User-agent: *\nDisallow: /news?print=1\n")
    assert not robots.allows("https://x.org/news?print=1")
    assert robots.allows("https://x.org/news")


def test_an_unreadable_address_is_not_allowed() -> None:
    assert not Robots("").allows("http://[::1/")


def test_crawl_delay_comes_from_the_group_that_applies() -> None:
    assert Robots(NEWS_SITE).crawl_delay() == 5.0
    text = "User-agent: *\nCrawl-delay: 10\n\nUser-agent: presswatch\nCrawl-delay: 2.5\n"
    assert Robots(text).crawl_delay() == 2.5
    assert Robots(text, agent="otherbot").crawl_delay() == 10.0
    assert Robots("User-agent: *\nDisallow: /x\n").crawl_delay() is None


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_unreadable_crawl_delay_is_ignored(value: str) -> None:
    assert Robots(f"User-agent: *\nCrawl-delay: {value}\n").crawl_delay() is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451, 301])
def test_missing_or_refused_robots_allows_all(status: int) -> None:
    robots = robots_from_status(status, "User-agent: *\nDisallow: /\n", AGENT)
    assert robots.allows("https://x.org/news/1")


@pytest.mark.parametrize("status", [None, 429, 500, 502, 503, 504, 101])
def test_server_error_or_no_answer_disallows_all_for_now(status: int | None) -> None:
    robots = robots_from_status(status, "", AGENT)
    assert not robots.allows("https://x.org/news/1")
    assert robots.crawl_delay() is None


def test_ok_status_uses_the_rules() -> None:
    robots = robots_from_status(200, NEWS_SITE, AGENT)
    assert robots.allows("https://x.org/news/1")
    assert not robots.allows("https://x.org/about")


def test_robots_is_a_hashable_value() -> None:
    a = robots_from_status(200, NEWS_SITE, AGENT)
    b = Robots(NEWS_SITE, AGENT)
    assert a == b and hash(a) == hash(b)
    assert len({a, b, robots_from_status(None, "", AGENT)}) == 2
    with pytest.raises(AttributeError):
        a.text = ""  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example.com/2022/01/13/csto/?a=1#x", "https://news.example.com/robots.txt"),
        ("HTTPS://User:secret@News.Example.COM/a", "https://news.example.com/robots.txt"),
        ("http://news.example.com:80/a", "http://news.example.com/robots.txt"),
        ("https://news.example.com:443/a", "https://news.example.com/robots.txt"),
        ("http://127.0.0.1:8080/feed/", "http://127.0.0.1:8080/robots.txt"),
        ("http://[::1]:8081/x", "http://[::1]:8081/robots.txt"),
    ],
)
def test_robots_url_keeps_scheme_host_and_port(url: str, expected: str) -> None:
    assert robots_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://x.org/a", "file:///etc/passwd", "/news/1", "https:///a"])
def test_robots_url_refuses_what_is_not_a_web_address(url: str) -> None:
    with pytest.raises(ValueError):
        robots_url(url)


_segment = st.text(alphabet="abcxyz", min_size=1, max_size=3)
_path = st.lists(_segment, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))


@settings(max_examples=200, deadline=None)
@given(st.lists(_path, min_size=1, max_size=5), _path)
def test_plain_disallow_rules_agree_with_the_standard_library(
    disallowed: list[str], target: str
) -> None:
    # Without Allow lines or wildcards, longest-match and first-match give one answer.
    text = "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in disallowed)
    reference = urllib.robotparser.RobotFileParser()
    reference.parse(text.splitlines())
    url = f"https://x.org{target}"
    assert Robots(text).allows(url) == reference.can_fetch(AGENT, url)
