"""Following sources end to end: a real HTTP server on 127.0.0.1, a real archive on SQLite
and PostgreSQL, the collector between them.

Every failure case checks the two things an analyst relies on: the failure is visible on
the source, and what the archive held before is untouched.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from collect_fixtures import article_page, html_page, item, rss
from loopback import LoopbackServer, Reply, Request
from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.collect.collector import Collector
from presswatch.fetch.client import FetchSettings
from presswatch.fetch.safety import parse_policy
from presswatch.store.records import SourceState


def _bomb() -> bytes:
    """64 MB of zeros, gzipped to about 64 KB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(64)) + packer.flush()


LOOPBACK = FetchSettings(
    policy=parse_policy("loopback"), deadline=10.0, read_timeout=5.0, host_spacing=0.0
)


@pytest.fixture
def archive(archive_target: str) -> Iterator[Archive]:
    with open_archive(archive_target) as opened:
        yield opened


def collector(archive: Archive, **options: object) -> Collector:
    return Collector(archive, LOOPBACK, workers=1, **options)  # type: ignore[arg-type]


def follow(archive: Archive, url: str, **options: object) -> SourceState:
    with collector(archive, **options) as c:
        [report] = c.add([url])
    assert report.source is not None, report.discovery.error
    [state] = archive.store.find_sources(report.source)
    return state


def state_of(archive: Archive, location: str) -> SourceState:
    [state] = [
        s for s in archive.store.source_states(subscribed_only=False) if s.location == location
    ]
    return state


def update(archive: Archive, state: SourceState, **options: object):  # type: ignore[no-untyped-def]
    with collector(archive, **options) as c:
        [report] = c.update([archive.store.source_state(state.id)])  # type: ignore[list-item]
    return report


def titles(archive: Archive) -> set[str]:
    return {a.title for a in archive.articles()}


def wp_feed(loopback: LoopbackServer, n: int = 5, **kwargs: object) -> str:
    items = [item(i, site=loopback.base) for i in range(n)]
    return loopback.serve("/feed/", rss(items, link=loopback.base + "/"), **kwargs)  # type: ignore[arg-type]


# -- following and polling -------------------------------------------------------------------


def test_add_fetches_at_once_and_304_changes_nothing(
    archive: Archive, loopback: LoopbackServer
) -> None:
    url = wp_feed(
        loopback, headers={"ETag": '"v1"', "Last-Modified": "Mon, 10 Jan 2022 12:00:00 GMT"}
    )
    state = follow(archive, url)
    assert archive.count() == 5 and state.subscribed
    assert len(loopback.hits("/feed/")) == 1  # discovery's fetch is the first check
    assert state.etag == '"v1"' and state.next_check_at is not None
    report = update(archive, state)
    assert report.status == "unchanged" and report.http_status == 304
    conditional = loopback.hits("/feed/")[-1].headers
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == "Mon, 10 Jan 2022 12:00:00 GMT"
    assert archive.count() == 5
    [health] = archive.store.source_health(datetime.now(UTC))
    assert health.last_http_status == 304 and health.state.last_status == "unchanged"
    assert health.articles == 5 and health.state.error_streak == 0


def test_last_modified_alone_is_sent_back(archive: Archive, loopback: LoopbackServer) -> None:
    url = wp_feed(loopback, headers={"Last-Modified": "Tue, 11 Jan 2022 08:00:00 GMT"})
    state = follow(archive, url)
    assert update(archive, state).status == "unchanged"
    assert "if-none-match" not in loopback.hits("/feed/")[-1].headers


def test_new_items_arrive_on_the_next_update(archive: Archive, loopback: LoopbackServer) -> None:
    items = [item(i, site=loopback.base) for i in range(3)]
    url = loopback.serve("/feed/", rss(items))
    state = follow(archive, url)
    loopback.serve("/feed/", rss([item(-1, site=loopback.base), *items]))
    report = update(archive, state)
    assert report.status == "ok" and report.counts.new == 1 and report.counts.unchanged == 3
    assert archive.count() == 4


def test_a_feed_that_moved_for_good_is_followed_at_its_new_address(
    archive: Archive, loopback: LoopbackServer
) -> None:
    old = loopback.serve("/old-feed", rss([item(i, site=loopback.base) for i in range(5)]))
    state = follow(archive, old)
    new = wp_feed(loopback)
    loopback.route("/old-feed", lambda r: Reply(301, b"", {"Location": "/older-step"}))
    loopback.route("/older-step", lambda r: Reply(308, b"", {"Location": "/feed/"}))
    report = update(archive, state)
    assert report.moved_to == new
    moved = state_of(archive, old)
    assert moved.url == new and moved.fetch_url == new
    before = len(loopback.hits("/old-feed"))
    update(archive, moved)
    assert len(loopback.hits("/old-feed")) == before  # the old address is not asked again
    assert archive.count() == 5


def test_adding_a_moved_feed_follows_the_new_address(
    archive: Archive, loopback: LoopbackServer
) -> None:
    new = wp_feed(loopback)
    loopback.route("/old-feed", lambda r: Reply(301, b"", {"Location": "/feed/"}))
    state = follow(archive, loopback.url("/old-feed"))
    assert state.location == new


def test_a_temporary_redirect_keeps_the_address(archive: Archive, loopback: LoopbackServer) -> None:
    wp_feed(loopback)
    loopback.route("/today", lambda r: Reply(302, b"", {"Location": "/feed/"}))
    state = follow(archive, loopback.url("/today"))
    assert state.url is None and archive.count() == 5


def test_gone_retires_the_source_and_keeps_its_articles(
    archive: Archive, loopback: LoopbackServer
) -> None:
    state = follow(archive, wp_feed(loopback))
    loopback.serve("/feed/", b"gone", status=410, content_type="text/plain")
    report = update(archive, state)
    assert report.status == "gone"
    after = state_of(archive, state.location)
    assert after.retired_at is not None and "410" in (after.retired_reason or "")
    assert after.next_check_at is not None
    assert after.next_check_at - datetime.now(UTC) > timedelta(days=20)  # retried rarely
    assert after.subscribed  # never silently dropped
    assert archive.count() == 5


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, b"oops", {"Content-Type": "text/plain"}), "500"),
        (
            Reply(
                200,
                html_page(body="<h1>Just a moment...</h1><p>Checking your browser</p>"),
                {"Content-Type": "text/html"},
            ),
            "web page instead of the feed",
        ),
        (Reply(200, b"", {"Content-Type": "application/rss+xml"}), "empty"),
        (Reply(200, b"<rss><channel><item><title>cut", {}), None),
        (Reply(302, b"", {"Location": "http://169.254.169.254/latest/"}), "link-local"),
        (Reply(301, b"", {"Location": "file:///etc/passwd"}), "file"),
        (Reply(302, b"", {"Location": "/feed/"}), "redirect"),
        (Reply(200, _bomb(), {"Content-Encoding": "gzip"}), "15 MB"),
    ],
    ids=[
        "server-error",
        "challenge-page",
        "empty-200",
        "truncated",
        "redirect-to-metadata",
        "redirect-to-file",
        "redirect-loop",
        "gzip-bomb",
    ],
)
def test_a_failed_check_is_visible_and_loses_nothing(
    archive: Archive, loopback: LoopbackServer, reply: Reply, expected: str | None
) -> None:
    state = follow(archive, wp_feed(loopback))
    before = {a.key: a.text for a in archive.articles()}
    loopback.route("/feed/", lambda r: reply)
    report = update(archive, state)
    after_texts = {a.key: a.text for a in archive.articles()}
    assert {key: after_texts.get(key) for key in before} == before
    if expected is None:  # a truncated feed: what could be read is kept, marked partial
        assert report.status == "partial"
        return
    assert report.status == "error" and expected in (report.error or "")
    after = state_of(archive, state.location)
    assert after.error_streak == 1 and after.last_status == "error"
    assert after.next_check_at is not None and after.next_check_at > datetime.now(UTC)


def test_errors_back_off_longer_each_time(archive: Archive, loopback: LoopbackServer) -> None:
    state = follow(archive, wp_feed(loopback))
    loopback.serve("/feed/", b"down", status=500, content_type="text/plain")
    waits = []
    for _ in range(3):
        update(archive, state)
        after = state_of(archive, state.location)
        assert after.next_check_at is not None
        waits.append((after.next_check_at - datetime.now(UTC)).total_seconds())
    assert after.error_streak == 3
    assert waits[0] < waits[1] < waits[2]


def test_retry_after_backs_the_host_off_across_runs(
    archive: Archive, loopback: LoopbackServer
) -> None:
    state = follow(archive, wp_feed(loopback))
    loopback.serve("/feed/", b"slow down", status=429, headers={"Retry-After": "120"})
    update(archive, state)
    hits = len(loopback.hits("/feed/"))
    waiting = archive.store.host_backoff(datetime.now(UTC))
    assert "127.0.0.1" in waiting
    report = update(archive, state)  # a new collector: the backoff was kept in the archive
    assert report.status == "backoff" and len(loopback.hits("/feed/")) == hits


def test_one_bad_source_never_stops_the_others(archive: Archive, loopback: LoopbackServer) -> None:
    good = wp_feed(loopback)
    with collector(archive) as c:
        c.add([good], fetch=False)
        archive.store.subscribe(loopback.url("/missing"), now=datetime.now(UTC))
        archive.store.subscribe("http://169.254.169.254/latest/meta-data/", now=datetime.now(UTC))
        reports = c.update(archive.store.source_states())
    by = {r.source: r for r in reports}
    assert by[good].status == "ok"
    assert by[loopback.url("/missing")].status == "error"
    assert "link-local" in (by["http://169.254.169.254/latest/meta-data/"].error or "")
    assert archive.count() == 5


def test_two_sources_on_one_host_respect_the_host_limit(
    archive: Archive, loopback: LoopbackServer
) -> None:
    slow = rss([item(i, site=loopback.base) for i in range(2)])
    for path in ("/a.xml", "/b.xml", "/c.xml"):
        loopback.route(path, lambda r, body=slow: Reply(200, body, {}, delay=0.2))
    settings = FetchSettings(policy=parse_policy("loopback"), per_host=1)
    with Collector(archive, settings, workers=1) as c:
        for path in ("/a.xml", "/b.xml", "/c.xml"):
            archive.store.subscribe(loopback.url(path), now=datetime.now(UTC))
        reports = c.update(archive.store.source_states())
    assert all(r.status == "ok" for r in reports)
    assert loopback.max_active == 1


# -- discovery ---------------------------------------------------------------------------------


def test_discovery_from_a_page_follows_the_linked_feed(
    archive: Archive, loopback: LoopbackServer
) -> None:
    feed = wp_feed(loopback)
    links = (
        '<link rel="alternate" type="application/rss+xml" title="Example News" href="/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Comments Feed" '
        'href="/comments/feed/">'
    )
    page = loopback.serve("/tag/csto/", html_page(links), content_type="text/html")
    with collector(archive) as c:
        [report] = c.add([page])
    assert report.discovery.chosen == feed and report.source == feed
    assert report.discovery.feeds[0].url == feed
    assert state_of(archive, feed).site_url == page
    assert archive.count() == 5


def test_discovery_prefers_the_feed_of_the_page_named(
    archive: Archive, loopback: LoopbackServer
) -> None:
    """A WordPress tag page lists the whole site's feed first; the tag's own is wanted."""
    wp_feed(loopback)
    tag = loopback.serve("/tag/csto/feed/", rss([item(i, site=loopback.base) for i in range(2)]))
    links = (
        '<link rel="alternate" type="application/rss+xml" title="Site &raquo; Feed" '
        'href="/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Site &raquo; Comments Feed" '
        'href="/tag/csto/comments/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Site &raquo; CSTO Tag Feed" '
        'href="/tag/csto/feed/">'
    )
    page = loopback.serve("/tag/csto/", html_page(links), content_type="text/html")
    with collector(archive) as c:
        [report] = c.add([page])
    assert report.source == tag
    assert [f.url for f in report.discovery.feeds] == [
        tag,
        loopback.url("/feed/"),
        loopback.url("/tag/csto/comments/feed/"),
    ]


def test_discovery_tries_the_common_paths(archive: Archive, loopback: LoopbackServer) -> None:
    feed = wp_feed(loopback)
    page = loopback.serve("/", html_page(), content_type="text/html")
    with collector(archive) as c:
        [report] = c.add([page])
    assert report.source == feed
    assert report.discovery.feeds[-1].how == "common path"


def test_discovery_says_when_nothing_is_found(archive: Archive, loopback: LoopbackServer) -> None:
    page = loopback.serve("/about", html_page(), content_type="text/html")
    with collector(archive) as c:
        [report] = c.add([page])
    assert report.source is None and "no feed found" in (report.discovery.error or "")
    assert archive.store.source_states() == []


# -- backfill ----------------------------------------------------------------------------------


def paged_site(loopback: LoopbackServer, pages: int = 3, per_page: int = 4) -> str:
    """A WordPress feed with `pages` pages of `per_page` items; later pages 404."""
    site = loopback.base
    everything = [item(i, site=site) for i in range(pages * per_page)]

    def handle(request: Request) -> Reply:
        query = dict(p.split("=", 1) for p in request.query.split("&") if "=" in p)
        n = int(query.get("paged", "1"))
        if n > pages:
            return Reply(
                404, html_page(body="<h1>Page not found</h1>"), {"Content-Type": "text/html"}
            )
        chunk = everything[(n - 1) * per_page : n * per_page]
        return Reply(200, rss(chunk, link=site + "/"), {"Content-Type": "application/rss+xml"})

    return loopback.route("/feed/", handle)


def test_backfill_reads_every_page_then_stops(archive: Archive, loopback: LoopbackServer) -> None:
    url = paged_site(loopback, pages=3)
    with collector(archive) as c:
        report = c.backfill(url)
    assert report.complete and report.fetched == 2 and report.counts.new == 12
    assert "end" in report.stopped
    assert archive.count() == 12
    asked = [r.query for r in loopback.hits("/feed/")]
    assert asked == ["", "paged=2", "paged=3", "paged=4"]
    [(start, _, how)] = archive.store.coverage(state_of(archive, url).id)
    assert start is None and "start of the feed" in how
    # again: the pages read before are not fetched again; only the end is checked anew,
    # since new posts push older items onto a page that did not exist before
    with collector(archive) as c:
        again = c.backfill(url)
    assert again.skipped == 2 and again.fetched == 0 and again.complete
    assert [r.query for r in loopback.hits("/feed/")][4:] == ["", "paged=4"]


def test_backfill_stops_at_the_date_asked(archive: Archive, loopback: LoopbackServer) -> None:
    url = paged_site(loopback, pages=5, per_page=4)
    until = datetime(2022, 1, 4, tzinfo=UTC)  # items are a day apart from 2022-01-10 back
    with collector(archive) as c:
        report = c.backfill(url, until=until)
    assert report.complete and "2022-01-04" in report.stopped
    assert report.fetched == 1  # page 2 reaches back past the date
    [(start, _, _)] = archive.store.coverage(state_of(archive, url).id)
    assert start == until


def test_backfill_notices_a_site_that_ignores_page_numbers(
    archive: Archive, loopback: LoopbackServer
) -> None:
    url = wp_feed(loopback)  # answers every ?paged=N with the first page
    with collector(archive) as c:
        report = c.backfill(url)
    assert not report.complete and "ignores page numbers" in report.stopped
    assert len(loopback.hits("/feed/")) == 2


def test_backfill_follows_rfc5005_archives(archive: Archive, loopback: LoopbackServer) -> None:
    site = loopback.base
    prev = '<atom:link rel="prev-archive" href="{}"/>'
    loopback.serve("/archive/1", rss([item(i, site=site) for i in (6, 7)], generator=None))
    loopback.serve(
        "/archive/2",
        rss(
            [item(i, site=site) for i in (4, 5)],
            generator=None,
            extra=prev.format(site + "/archive/1"),
        ),
    )
    url = loopback.serve(
        "/current",
        rss(
            [item(i, site=site) for i in range(4)],
            generator=None,
            extra=prev.format(site + "/archive/2"),
        ),
    )
    with collector(archive) as c:
        report = c.backfill(url)
    assert report.complete and report.fetched == 2 and archive.count() == 8


def test_backfill_catches_up_after_new_posts_push_items_back(
    archive: Archive, loopback: LoopbackServer
) -> None:
    site = loopback.base
    posts = [item(i, site=site) for i in range(8)]

    def handle(request: Request) -> Reply:  # 4 a page; past the last, an empty feed
        query = dict(p.split("=", 1) for p in request.query.split("&") if "=" in p)
        n = int(query.get("paged", "1"))
        return Reply(200, rss(posts[(n - 1) * 4 : n * 4], link=site + "/"), {})

    url = loopback.route("/feed/", handle)
    with collector(archive) as c:
        assert c.backfill(url).complete
    assert archive.count() == 8
    posts[:0] = [item(-k, site=site) for k in range(1, 4)]  # 3 new posts on top
    with collector(archive) as c:
        again = c.backfill(url)
    assert again.complete and archive.count() == 11


def test_backfill_reads_on_while_pages_bring_new_articles(
    archive: Archive, loopback: LoopbackServer
) -> None:
    """Six new posts with four a page: two land on page 2, which was read before."""
    site = loopback.base
    posts = [item(i, site=site) for i in range(8)]
    served = {"posts": posts}

    def handle(request: Request) -> Reply:
        query = dict(p.split("=", 1) for p in request.query.split("&") if "=" in p)
        n = int(query.get("paged", "1"))
        chunk = served["posts"][(n - 1) * 4 : n * 4]
        if not chunk:
            return Reply(404, b"none", {"Content-Type": "text/plain"})
        return Reply(200, rss(chunk, link=site + "/"), {})

    url = loopback.route("/feed/", handle)
    with collector(archive) as c:
        assert c.backfill(url).complete
    served["posts"] = [item(-k, site=site) for k in range(1, 7)] + posts
    with collector(archive) as c:
        again = c.backfill(url)
    assert again.complete and again.counts.new == 6 and archive.count() == 14


def test_a_missing_archive_page_is_an_error_not_the_end(
    archive: Archive, loopback: LoopbackServer
) -> None:
    site = loopback.base
    prev = f'<atom:link rel="prev-archive" href="{site}/archive/gone"/>'
    url = loopback.serve(
        "/current", rss([item(i, site=site) for i in range(3)], generator=None, extra=prev)
    )
    with collector(archive) as c:
        report = c.backfill(url)
    assert not report.complete and report.error and "404" in report.stopped
    assert archive.store.coverage(state_of(archive, url).id) == []


def test_backfill_stops_at_a_web_page_without_claiming_coverage(
    archive: Archive, loopback: LoopbackServer
) -> None:
    site = loopback.base

    def handle(request: Request) -> Reply:
        if "paged=2" in request.query:
            challenge = html_page(body="<h1>Just a moment...</h1>")
            return Reply(200, challenge, {"Content-Type": "text/html"})
        return Reply(200, rss([item(i, site=site) for i in range(3)]), {})

    url = loopback.route("/feed/", handle)
    with collector(archive) as c:
        report = c.backfill(url)
    assert not report.complete and report.error and "page 2" in report.stopped
    assert archive.store.coverage(state_of(archive, url).id) == []
    assert archive.count() == 3


def test_backfill_of_a_feed_without_older_pages_claims_nothing(
    archive: Archive, loopback: LoopbackServer
) -> None:
    items = [item(i, site=loopback.base) for i in range(3)]
    url = loopback.serve("/latest.xml", rss(items, generator=None))
    with collector(archive) as c:
        report = c.backfill(url)
    assert not report.complete and "no older pages" in report.stopped
    assert archive.store.coverage(state_of(archive, url).id) == []


def test_backfill_stops_when_archive_links_loop(archive: Archive, loopback: LoopbackServer) -> None:
    site = loopback.base
    prev = '<atom:link rel="prev-archive" href="{}"/>'
    for here, there, n in (("/a", "/b", 0), ("/b", "/a", 5)):
        body = rss(
            [item(i, site=site) for i in range(n, n + 3)],
            generator=None,
            extra=prev.format(site + there),
        )
        loopback.serve(here, body)
    with collector(archive) as c:
        report = c.backfill(loopback.url("/a"))
    assert "loop" in report.stopped and not report.complete
    assert len(loopback.requests) == 2


# -- full text ---------------------------------------------------------------------------------


def test_summary_only_items_get_their_page_text(archive: Archive, loopback: LoopbackServer) -> None:
    site = loopback.base
    items = [item(i, site=site, summary_only=True) for i in range(2)]
    url = loopback.serve("/feed/", rss(items))
    for i in range(2):
        loopback.serve(f"/news/story-{i}/", article_page(i), content_type="text/html")
    follow(archive, url)
    shown = {a.title: a for a in archive.articles()}
    story = shown["Story 0: CSTO ministers meet"]
    assert story.text_from == "page" and "peacekeepers after Tokayev" in story.shown_text
    assert "[…]" in story.text  # the feed's own text is kept beside it
    assert "Home" not in story.shown_text and "Copyright" not in story.shown_text
    detail = archive.article(story.id)
    assert detail.page is not None and detail.page.status == "ok"
    assert detail.page.url == loopback.url("/news/story-0/") and detail.page.extractor
    found = archive.search("peacekeepers")
    assert found.total == 2
    assert loopback.hits("/robots.txt")


def test_robots_txt_is_respected_for_pages(archive: Archive, loopback: LoopbackServer) -> None:
    site = loopback.base
    url = loopback.serve("/feed/", rss([item(0, site=site, summary_only=True)]))
    loopback.serve("/robots.txt", b"User-agent: *\nDisallow: /news/\n", content_type="text/plain")
    loopback.serve("/news/story-0/", article_page(0), content_type="text/html")
    follow(archive, url)
    assert not loopback.hits("/news/story-0/")
    [article] = list(archive.articles())
    page = archive.store.get_page(article.id)
    assert page is not None and page.status == "robots"
    assert article.text_from == "feed"


def test_full_articles_are_not_fetched_again(archive: Archive, loopback: LoopbackServer) -> None:
    follow(archive, wp_feed(loopback))
    assert not [r for r in loopback.requests if r.route.startswith("/news/")]


def test_a_failed_page_is_not_asked_for_on_every_check(
    archive: Archive, loopback: LoopbackServer
) -> None:
    url = loopback.serve("/feed/", rss([item(0, site=loopback.base, summary_only=True)]))
    loopback.serve("/news/story-0/", b"no", status=403, content_type="text/plain")
    state = follow(archive, url)
    for _ in range(3):
        update(archive, state)
    assert len(loopback.hits("/news/story-0/")) == 1
    [article] = list(archive.articles())
    page = archive.store.get_page(article.id)
    assert page is not None and page.status == "error" and page.http_status == 403


def test_a_failed_page_is_tried_again_later_even_when_the_feed_is_unchanged(
    archive_target: str, loopback: LoopbackServer
) -> None:
    from presswatch.store import open_store

    clock = [datetime.now(UTC)]
    body = rss([item(0, site=loopback.base, summary_only=True)])
    url = loopback.serve("/feed/", body, headers={"ETag": '"same"'})
    loopback.serve("/news/story-0/", b"busy", status=500, content_type="text/plain")
    with Archive(open_store(archive_target), clock=lambda: clock[0]) as archive:
        state = follow(archive, url)
        loopback.serve("/news/story-0/", article_page(0), content_type="text/html")
        update(archive, state)  # 304, and too soon to try the page again
        assert len(loopback.hits("/news/story-0/")) == 1
        clock[0] += timedelta(hours=7)
        report = update(archive, state)
        assert report.status == "unchanged" and report.pages == 1
        assert next(iter(archive.articles())).text_from == "page"


def test_pages_wait_while_robots_txt_cannot_be_read(
    archive: Archive, loopback: LoopbackServer
) -> None:
    url = loopback.serve("/feed/", rss([item(0, site=loopback.base, summary_only=True)]))
    loopback.serve("/robots.txt", b"oops", status=500, content_type="text/plain")
    loopback.serve("/news/story-0/", article_page(0), content_type="text/html")
    state = follow(archive, url)
    [article] = list(archive.articles())
    assert archive.store.get_page(article.id) is None  # not counted as an attempt
    loopback.serve("/robots.txt", b"User-agent: *\nAllow: /\n", content_type="text/plain")
    update(archive, state)  # the next check asks again, and reads the page
    assert len(loopback.hits("/news/story-0/")) == 1
    assert next(iter(archive.articles())).text_from == "page"


# -- OPML and one-off fetches ------------------------------------------------------------------


def test_opml_import_and_export_round_trip(archive: Archive, loopback: LoopbackServer) -> None:
    opml = f"""<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>
      <outline text="central-asia">
        <outline type="rss" text="A" xmlUrl="{loopback.url("/a.xml")}"/>
        <outline type="rss" text="B" xmlUrl="{loopback.url("/b.xml")}"/>
      </outline>
      <outline type="rss" text="C" xmlUrl="{loopback.url("/c.xml")}"/>
    </body></opml>""".encode()
    with collector(archive) as c:
        added, problems = c.import_opml(opml)
        assert [new for _, new in added] == [True, True, True] and not problems
        again, _ = c.import_opml(opml)
        assert [new for _, new in again] == [False, False, False]
        exported = c.export_opml()
    states = {s.location: s for s in archive.store.source_states()}
    assert states[loopback.url("/a.xml")].collection == "central-asia"
    assert states[loopback.url("/c.xml")].collection is None
    with open_archive(archive.store.target) as same, collector(same) as c:
        reimported, _ = c.import_opml(exported)
    assert {s.url for s, _ in reimported} == set(states)


def test_ingest_url_fetches_once_without_following(
    archive: Archive, loopback: LoopbackServer
) -> None:
    url = wp_feed(loopback)
    with collector(archive) as c:
        report = c.ingest_url(url)
    assert report.status == "ok" and report.counts.new == 5
    assert archive.store.source_states() == []
    [source] = archive.store.source_states(subscribed_only=False)
    assert source.location == url and source.kind == "url"


def test_no_private_address_without_the_allowance(
    archive_target: str, loopback: LoopbackServer
) -> None:
    url = wp_feed(loopback)
    with open_archive(archive_target) as archive, Collector(archive, FetchSettings()) as c:
        report = c.ingest_url(url)
        [found] = c.add([url])
    assert report.status == "failed" and "loopback" in (report.error or "")
    assert found.source is None and "loopback" in (found.discovery.error or "")
    assert not loopback.requests
    with open_archive(archive_target) as archive:
        assert archive.count() == 0


def test_run_checks_due_sources_until_stopped(archive: Archive, loopback: LoopbackServer) -> None:
    import asyncio

    url = wp_feed(loopback)
    with collector(archive) as c:
        c.add([url], fetch=False)
        seen = []

        async def go() -> int:
            stop = asyncio.Event()

            def on_report(r: object) -> None:
                seen.append(r)
                stop.set()

            return await c.run(stop, on_report, idle=0.2)

        checks = asyncio.run(go())
    assert checks == 1 and archive.count() == 5
    assert state_of(archive, url).next_check_at is not None
    assert set(archive.enrichment_due().values()) == {0}  # enriched between rounds


def test_sources_report_the_recent_posting_rate(archive: Archive, loopback: LoopbackServer) -> None:
    from email.utils import format_datetime

    now = datetime.now(UTC)
    items = [item(i, site=loopback.base) for i in range(8)]
    for n, it in enumerate(items):  # 6 in the last 30 days, 2 older
        it["date"] = format_datetime(now - timedelta(days=5 * n + 1))
    follow(archive, loopback.serve("/feed/", rss(items)))
    [health] = archive.store.source_health(now)
    assert health.articles == 8
    assert health.per_day == pytest.approx(6 / 30)


def test_following_a_site_end_to_end(archive: Archive, loopback: LoopbackServer) -> None:
    """An analyst names a tag page; presswatch finds its feed, reads it, keeps it current,
    fills in its history and reads the pages of teaser items, and all of it is searchable."""
    site = loopback.base
    posts = [item(i, site=site, summary_only=i % 2 == 0) for i in range(9)]
    served = {"posts": posts}

    def feed(request: Request) -> Reply:
        query = dict(p.split("=", 1) for p in request.query.split("&") if "=" in p)
        n = int(query.get("paged", "1"))
        chunk = served["posts"][(n - 1) * 3 : n * 3]
        if not chunk:
            return Reply(404, b"gone", {"Content-Type": "text/plain"})
        etag = f'"{n}-{len(served["posts"])}"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, rss(chunk, link=site + "/"), {"ETag": etag})

    tag_feed = loopback.route("/tag/csto/feed/", feed)
    links = f'<link rel="alternate" type="application/rss+xml" href="{tag_feed}">'
    loopback.serve("/tag/csto/", html_page(links), content_type="text/html")
    for i in range(-1, 9):
        loopback.serve(f"/news/story-{i}/", article_page(i), content_type="text/html")

    state = follow(archive, loopback.url("/tag/csto/"))
    assert state.location == tag_feed and archive.count() == 3
    assert update(archive, state).status == "unchanged"
    served["posts"] = [item(-1, site=site, summary_only=True), *posts]
    assert update(archive, state).counts.new == 1
    with collector(archive) as c:
        back = c.backfill(tag_feed)
    assert back.complete and archive.count() == 10
    teasers = [a for a in archive.articles() if "[…]" in a.text]
    assert teasers and all(a.text_from == "page" for a in teasers)
    assert archive.search("peacekeepers").total == len(teasers)
    assert archive.search("Almaty").total == 10 - len(teasers)
    [health] = archive.store.source_health(datetime.now(UTC))
    assert health.articles == 10 and health.state.error_streak == 0 and health.coverage
