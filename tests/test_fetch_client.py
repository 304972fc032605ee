"""The HTTP client against a real server on 127.0.0.1 that behaves and misbehaves on
purpose: validators, moves, errors, backoff, SSRF spellings, caps, bombs, slow servers,
per-host limits."""

from __future__ import annotations

import asyncio
import itertools
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest

from loopback import LoopbackServer, Reply, Request, SilentServer, drip
from presswatch.fetch.client import FEED_ACCEPT, FetchResult, FetchSettings, HttpClient
from presswatch.fetch.safety import parse_policy

T = TypeVar("T")
LOOPBACK = parse_policy("loopback")
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


@pytest.fixture
def loopback(shared_server: LoopbackServer) -> LoopbackServer:
    """conftest's loopback server, but one for the module (closing one takes half a
    second), emptied for each test once the last test's stragglers (a drip cut off
    mid-body) have finished."""
    until = time.monotonic() + 5
    while shared_server._active and time.monotonic() < until:
        time.sleep(0.01)
    shared_server.routes.clear()
    shared_server.requests.clear()
    shared_server.max_active = 0
    return shared_server


def run(coro: Coroutine[object, object, T]) -> T:
    return asyncio.run(coro)


def fetch_all(settings: FetchSettings, *urls: str, **kwargs: Any) -> list[FetchResult]:
    """Fetch the URLs at once on one client."""

    async def go() -> list[FetchResult]:
        async with HttpClient(settings) as client:
            return list(await asyncio.gather(*(client.fetch(u, **kwargs) for u in urls)))

    return run(go())


def fetch(url: str, settings: FetchSettings | None = None, **kwargs: Any) -> FetchResult:
    return fetch_all(settings or FetchSettings(policy=LOOPBACK), url, **kwargs)[0]


def redirect(location: str, status: int = 301) -> Callable[[Request], Reply]:
    return lambda request: Reply(status, b"", {"Location": location})


# --- ordinary answers --------------------------------------------------------------


def test_200_returns_body_and_lowercase_headers_and_sends_who_we_are(
    loopback: LoopbackServer,
) -> None:
    url = loopback.serve("/feed", FEED, headers={"ETag": '"v1"', "X-Thing": "yes"})
    settings = FetchSettings(policy=LOOPBACK, user_agent="presswatch-test/1 (+mailto:a@b.c)")
    result = fetch(url, settings)
    assert result.ok and result.body == FEED and result.error is None
    assert result.status == 200 and result.final_url == url and result.redirects == ()
    assert result.content_type == "application/rss+xml" and result.etag == '"v1"'
    assert result.headers["x-thing"] == "yes"
    assert result.received == len(FEED) and result.elapsed > 0
    sent = loopback.hits("/feed")[0].headers
    assert sent["user-agent"] == "presswatch-test/1 (+mailto:a@b.c)"
    assert sent["accept"] == FEED_ACCEPT
    assert sent["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in sent and "cookie" not in sent


def test_accept_follows_the_caller(loopback: LoopbackServer) -> None:
    url = loopback.serve("/page", b"<html></html>", content_type="text/html")
    assert fetch(url, accept="text/html").ok
    assert loopback.hits("/page")[0].headers["accept"] == "text/html"


def test_empty_200_is_ok_with_an_empty_body(loopback: LoopbackServer) -> None:
    result = fetch(loopback.serve("/empty", b""))
    assert result.ok and result.body == b""


@pytest.mark.parametrize(
    ("validator", "header", "sent"),
    [
        ("ETag", '"abc"', "if-none-match"),
        ("Last-Modified", "Sat, 01 Mar 2025 10:00:00 GMT", "if-modified-since"),
    ],
)
def test_conditional_get_gives_304_with_an_empty_body(
    loopback: LoopbackServer, validator: str, header: str, sent: str
) -> None:
    url = loopback.serve("/feed", FEED, headers={validator: header})
    first = fetch(url)
    assert first.ok and first.body == FEED
    again = fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert again.status == 304 and again.not_modified and not again.ok
    assert again.body == b"" and again.error is None
    assert loopback.hits("/feed")[1].headers[sent] == header


# --- redirects ---------------------------------------------------------------------


def test_a_feed_that_moved_301_then_308_has_a_permanent_url(loopback: LoopbackServer) -> None:
    loopback.route("/old", redirect("/middle", 301))
    loopback.route("/middle", redirect(loopback.url("/new"), 308))
    new = loopback.serve("/new", FEED)
    result = fetch(loopback.url("/old"))
    assert result.ok and result.body == FEED
    assert result.permanent_url == new and result.final_url == new
    assert result.redirects == ((301, loopback.url("/middle")), (308, new))


def test_a_temporary_hop_means_no_permanent_url(loopback: LoopbackServer) -> None:
    loopback.route("/old", redirect("/middle", 301))
    loopback.route("/middle", redirect("new?x=1#frag", 302))
    loopback.serve("/new", FEED)
    result = fetch(loopback.url("/old"))
    assert result.ok and result.permanent_url is None
    assert result.final_url == loopback.url("/new?x=1")


def test_a_permanent_move_to_a_dead_address_is_not_a_new_url(loopback: LoopbackServer) -> None:
    loopback.route("/old", redirect("/gone", 301))
    result = fetch(loopback.url("/old"))
    assert result.status == 404 and result.permanent_url is None


def test_redirect_loop_is_caught(loopback: LoopbackServer) -> None:
    loopback.route("/a", redirect("/b", 302))
    loopback.route("/b", redirect("/a", 302))
    result = fetch(loopback.url("/a"))
    assert result.error_kind == "redirects" and "loop" in (result.error or "")
    assert len(loopback.hits("/a")) == 1 and len(loopback.hits("/b")) == 1


@pytest.mark.parametrize(("hops", "ok"), [(5, True), (6, False)])
def test_at_most_five_redirects(loopback: LoopbackServer, hops: int, ok: bool) -> None:
    for i in range(hops):
        loopback.route(f"/r{i}", redirect(f"/r{i + 1}" if i + 1 < hops else "/feed"))
    loopback.serve("/feed", FEED)
    result = fetch(loopback.url("/r0"))
    assert result.ok is ok
    if not ok:
        assert result.error_kind == "redirects" and "more than 5 redirects" in (result.error or "")
        assert loopback.hits("/feed") == []


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "//0x0a000001/"]
)
def test_redirect_to_a_private_address_is_refused(loopback: LoopbackServer, target: str) -> None:
    loopback.route("/go", redirect(target, 302))
    result = fetch(loopback.url("/go"))
    assert result.error_kind == "blocked" and not result.ok
    assert (result.error or "").startswith("refused: ")
    assert "PRESSWATCH_ALLOW_NETWORKS" in (result.error or "")
    assert len(result.redirects) == 1


def test_redirect_to_a_name_that_resolves_privately_is_refused(
    loopback: LoopbackServer,
) -> None:
    loopback.route("/go", redirect("http://intranet.test/admin", 302))
    settings = FetchSettings(policy=LOOPBACK, hosts={"intranet.test": "10.0.0.1"})
    result = fetch(loopback.url("/go"), settings)
    assert result.error_kind == "blocked"
    assert "intranet.test resolves to 10.0.0.1, a private address" in (result.error or "")


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "data:text/plain,hi", "gopher://x/"]
)
def test_redirect_off_the_web_is_refused(loopback: LoopbackServer, target: str) -> None:
    loopback.route("/go", redirect(target, 301))
    result = fetch(loopback.url("/go"))
    assert result.error_kind == "scheme" and result.permanent_url is None
    assert f"redirected to {target}" in (result.error or "")


def test_a_non_web_address_is_refused(loopback: LoopbackServer) -> None:
    result = fetch("file:///etc/passwd")
    assert result.error_kind == "scheme" and result.status is None


# --- errors and backoff ------------------------------------------------------------


@pytest.mark.parametrize(("status", "text"), [(404, "404 Not Found"), (410, "410 Gone")])
def test_http_errors_carry_the_status(loopback: LoopbackServer, status: int, text: str) -> None:
    url = loopback.serve("/feed", b"nope", status=status, content_type="text/plain")
    result = fetch(url)
    assert result.status == status and result.error_kind == "http" and not result.ok
    assert (result.error or "").startswith(f"the server answered {text}")
    assert result.body == b""


def _http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, "7200", timedelta(hours=2)),
        (429, _http_date(NOW + timedelta(hours=2)), timedelta(hours=2)),
        (503, _http_date(NOW + timedelta(minutes=30)), timedelta(minutes=30)),
        (429, "5", timedelta(seconds=60)),  # clamped up
        (503, _http_date(NOW - timedelta(hours=1)), timedelta(seconds=60)),  # past: clamped
        (429, "999999", timedelta(hours=6)),  # clamped down to max_retry_after
        (503, _http_date(NOW + timedelta(days=30)), timedelta(hours=6)),
        (429, None, timedelta(minutes=10)),  # presswatch's own defaults
        (503, None, timedelta(minutes=5)),
    ],
)
def test_429_and_503_back_the_host_off(
    loopback: LoopbackServer, status: int, retry_after: str | None, wait: timedelta
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    busy = loopback.serve("/busy", b"slow down", status=status, headers=headers)
    other = loopback.serve("/other", FEED)
    clock = Clock()
    settings = FetchSettings(policy=LOOPBACK, max_retry_after=6 * 3600)

    async def go() -> tuple[FetchResult, FetchResult, dict[str, datetime], FetchResult]:
        async with HttpClient(settings, clock=clock) as client:
            first = await client.fetch(busy)
            second = await client.fetch(other)
            backoff = client.backoff()
            clock.now = NOW + wait + timedelta(seconds=1)
            third = await client.fetch(other)
            return first, second, backoff, third

    first, second, backoff, third = run(go())
    assert first.status == status and first.error_kind == "http"
    assert first.retry_after == NOW + wait
    assert backoff == {"127.0.0.1": NOW + wait}
    assert second.error_kind == "backoff" and second.retry_after == NOW + wait
    assert second.status is None and "not sent" in (second.error or "")
    assert third.ok  # the wait is over
    assert len(loopback.hits("/other")) == 1  # the backed-off fetch sent nothing


def test_backoff_seeded_from_an_earlier_run_holds(loopback: LoopbackServer) -> None:
    url = loopback.serve("/feed", FEED)
    clock = Clock()
    seed = {"127.0.0.1": NOW + timedelta(hours=1), "example.org": NOW - timedelta(hours=1)}

    async def go() -> tuple[FetchResult, dict[str, datetime]]:
        async with HttpClient(FetchSettings(policy=LOOPBACK), backoff=seed, clock=clock) as c:
            return await c.fetch(url), c.backoff()

    result, backoff = run(go())
    assert result.error_kind == "backoff" and loopback.requests == []
    assert backoff == {"127.0.0.1": NOW + timedelta(hours=1)}  # the expired one dropped


def test_connection_refused_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = fetch(f"http://127.0.0.1:{port}/feed")
    assert result.error_kind == "connect" and result.status is None


# --- network safety on the address actually connected ------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "0177.0.0.1",
        "2130706433",
        "[::ffff:127.0.0.1]",
        "127.1",
        "0x7f.1",
        "127.0.0.1",
        "0x7f000001",
        "[::1]",
        "0.0.0.0",
        "127.0.0.1.",
    ],
)
def test_literal_addresses_are_refused_before_anything_is_sent(
    loopback: LoopbackServer, host: str
) -> None:
    loopback.serve("/feed", FEED)
    result = fetch(f"http://{host}:{loopback.port}/feed", FetchSettings())
    assert result.error_kind == "blocked" and result.status is None
    assert (result.error or "").startswith("refused: ")
    assert "does not fetch from private networks" in (result.error or "")
    assert loopback.requests == []


@pytest.mark.parametrize(
    "host", ["0177.0.0.1", "2130706433", "127.1", "0x7f.1", "[::ffff:127.0.0.1]"]
)
def test_odd_spellings_reach_the_address_they_mean_when_allowed(
    loopback: LoopbackServer, host: str
) -> None:
    loopback.serve("/feed", FEED)
    result = fetch(f"http://{host}:{loopback.port}/feed")
    assert result.ok and result.body == FEED


def test_a_name_is_judged_by_the_address_it_resolves_to(loopback: LoopbackServer) -> None:
    loopback.serve("/feed", FEED)
    url = f"http://feeds.test:{loopback.port}/feed"
    hosts = {"feeds.test": "127.0.0.1"}
    refused = fetch(url, FetchSettings(hosts=hosts))
    assert refused.error_kind == "blocked" and loopback.requests == []
    assert "feeds.test resolves to 127.0.0.1, a loopback address" in (refused.error or "")
    allowed = fetch(url, FetchSettings(policy=LOOPBACK, hosts=hosts))
    assert allowed.ok
    assert loopback.hits("/feed")[0].headers["host"] == f"feeds.test:{loopback.port}"


def test_a_real_lookup_is_checked_too(loopback: LoopbackServer) -> None:
    loopback.serve("/feed", FEED)
    result = fetch(f"http://localhost:{loopback.port}/feed", FetchSettings())
    assert result.error_kind == "blocked" and "localhost resolves to" in (result.error or "")
    assert loopback.requests == []


# --- size caps and compression -----------------------------------------------------


def test_body_over_the_cap_by_content_length(loopback: LoopbackServer) -> None:
    url = loopback.serve("/big", b"x" * 2048)
    result = fetch(url, FetchSettings(policy=LOOPBACK, max_bytes=1024))
    assert result.error_kind == "too-large" and result.body == b""
    assert "the most presswatch reads" in (result.error or "") and result.received == 0


def test_body_over_the_cap_without_content_length(loopback: LoopbackServer) -> None:
    loopback.route("/stream", lambda r: Reply(200, [(0.0, b"x" * 700)] * 3))
    result = fetch(loopback.url("/stream"), FetchSettings(policy=LOOPBACK, max_bytes=1024))
    assert result.error_kind == "too-large"
    assert (result.error or "").startswith("the response is larger than 1 KB")


def test_body_at_the_cap_is_read(loopback: LoopbackServer) -> None:
    url = loopback.serve("/exact", b"x" * 1024)
    assert fetch(url, FetchSettings(policy=LOOPBACK, max_bytes=1024)).body == b"x" * 1024


def _gzip_bomb(megabytes: int) -> bytes:
    """Zeros as gzip at about 1000:1: one compressed MiB repeated (a full flush makes each
    copy byte-identical), then an empty last block and the real CRC and length."""
    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    tail = b"\x03\x00" + struct.pack("<II", crc, (megabytes << 20) & 0xFFFFFFFF)
    return head + block * (megabytes - 1) + tail


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return _gzip_bomb(1024)  # 1 GiB of zeros


def test_the_bomb_recipe_makes_valid_gzip() -> None:
    assert zlib.decompress(_gzip_bomb(4), 31) == bytes(4 << 20)


def test_gzip_bomb_stops_at_the_cap_in_bounded_memory(
    loopback: LoopbackServer, gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < 2 << 20
    url = loopback.serve("/bomb", gzip_bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        result = fetch(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error_kind == "too-large" and result.body == b""
    assert (result.error or "").startswith("the response is larger than 15 MB")
    assert peak < 64 << 20
    assert result.received < len(gzip_bomb)  # stopped early, not after reading it all


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", lambda data: zlib.compress(data, wbits=31)),
        ("x-gzip", lambda data: zlib.compress(data, wbits=31)),
        ("deflate", lambda data: zlib.compress(data)),  # zlib-wrapped, as the RFC says
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw, as some servers do
        (
            "gzip",
            lambda data: zlib.compress(data[:40], wbits=31) + zlib.compress(data[40:], wbits=31),
        ),
        ("identity", lambda data: data),
    ],
)
def test_compressed_bodies_are_decompressed(
    loopback: LoopbackServer, encoding: str, packed: Callable[[bytes], bytes]
) -> None:
    body = FEED * 50
    wire = packed(body)
    url = loopback.serve("/feed", wire, headers={"Content-Encoding": encoding})
    result = fetch(url)
    assert result.ok and result.body == body and result.received == len(wire)


def test_an_unknown_encoding_is_a_decode_error(loopback: LoopbackServer) -> None:
    url = loopback.serve("/feed", b"\x8b\x00", headers={"Content-Encoding": "br"})
    result = fetch(url)
    assert result.error_kind == "decode" and "'br'" in (result.error or "")


def test_damaged_gzip_is_a_decode_error(loopback: LoopbackServer) -> None:
    url = loopback.serve("/feed", b"\x1f\x8bnot really gzip", headers={"Content-Encoding": "gzip"})
    assert fetch(url).error_kind == "decode"


# --- slow and silent servers -------------------------------------------------------


def test_a_dripping_server_hits_the_total_deadline(loopback: LoopbackServer) -> None:
    loopback.route("/drip", lambda r: Reply(200, drip(FEED, 0.5)))
    settings = FetchSettings(policy=LOOPBACK, deadline=1.5, read_timeout=5.0)
    started = time.monotonic()
    result = fetch(loopback.url("/drip"), settings)
    took = time.monotonic() - started
    assert result.error_kind == "deadline" and "1.5 s" in (result.error or "")
    assert 1.4 < took < 2.5 and 1.4 < result.elapsed < 2.5
    assert 0 < result.received < len(FEED)


def test_a_silent_server_times_out(silent_server: SilentServer) -> None:
    settings = FetchSettings(policy=LOOPBACK, read_timeout=0.3, deadline=5.0)
    started = time.monotonic()
    result = fetch(silent_server.base + "/feed", settings)
    assert result.error_kind == "timeout" and "0.3 s" in (result.error or "")
    assert time.monotonic() - started < 2.0


def test_a_silent_server_meets_the_deadline_first_when_it_is_shorter(
    silent_server: SilentServer,
) -> None:
    settings = FetchSettings(policy=LOOPBACK, read_timeout=5.0, deadline=0.3)
    assert fetch(silent_server.base + "/feed", settings).error_kind == "deadline"


# --- limits per host and overall ---------------------------------------------------


def _slow(body: bytes, delay: float) -> Callable[[Request], Reply]:
    return lambda request: Reply(200, body, {"Content-Type": "application/rss+xml"}, delay)


def test_one_host_gets_at_most_per_host_requests_at_once(loopback: LoopbackServer) -> None:
    loopback.route("/a", _slow(FEED, 0.2))
    loopback.route("/b", _slow(FEED, 0.2))
    settings = FetchSettings(policy=LOOPBACK, per_host=1)
    results = fetch_all(settings, loopback.url("/a"), loopback.url("/b"))
    assert all(r.ok for r in results)
    assert loopback.max_active == 1


def test_different_hosts_are_fetched_in_parallel(loopback: LoopbackServer) -> None:
    loopback.route("/feed", _slow(FEED, 0.3))
    hosts = {"one.test": "127.0.0.1", "two.test": "127.0.0.1"}
    settings = FetchSettings(policy=LOOPBACK, per_host=1, hosts=hosts)
    urls = [f"http://{h}:{loopback.port}/feed" for h in hosts]
    started = time.monotonic()
    assert all(r.ok for r in fetch_all(settings, *urls))
    assert loopback.max_active == 2 and time.monotonic() - started < 0.55


def test_the_total_limit_holds_across_hosts(loopback: LoopbackServer) -> None:
    loopback.route("/feed", _slow(FEED, 0.1))
    hosts = {f"h{i}.test": "127.0.0.1" for i in range(3)}
    settings = FetchSettings(policy=LOOPBACK, total=1, hosts=hosts)
    urls = [f"http://{h}:{loopback.port}/feed" for h in hosts]
    assert all(r.ok for r in fetch_all(settings, *urls))
    assert loopback.max_active == 1


def test_host_spacing_between_request_starts(loopback: LoopbackServer) -> None:
    for path in ("/a", "/b", "/c"):
        loopback.serve(path, FEED)
    settings = FetchSettings(policy=LOOPBACK, per_host=3, host_spacing=0.25)
    results = fetch_all(settings, *(loopback.url(p) for p in ("/a", "/b", "/c")))
    assert all(r.ok for r in results)
    starts = sorted(r.started for r in loopback.requests)
    assert all(later - earlier >= 0.23 for earlier, later in itertools.pairwise(starts))


# --- TLS: the certificate is checked against the name, the address against the policy --

# A self-signed certificate for feeds.test (valid 2000-2120) and its key.
FEEDS_TEST_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBqDCCAU6gAwIBAgIUY3E9jiBiewb5D8Yv/wtyCkJmj5wwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKZmVlZHMudGVzdDAgFw0wMDAxMDEwMDAwMDBaGA8yMTIwMDEw
MTAwMDAwMFowFTETMBEGA1UEAwwKZmVlZHMudGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABO9vXSp6RSnJlZlLfi2g935GKc2hbGd6zJtyWI6F95VWb9G0LWzB
EZpwVlAhKJ8QJSICPcaDwSeTWH+GaBmX9c6jejB4MBUGA1UdEQQOMAyCCmZlZWRz
LnRlc3QwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUQCogRz8xsQ2kf3KlczWM
FrmOuOAwHwYDVR0jBBgwFoAUQCogRz8xsQ2kf3KlczWMFrmOuOAwDgYDVR0PAQH/
BAQDAgKEMAoGCCqGSM49BAMCA0gAMEUCIQDX4/uhlQMfNeeqe4hh03wSZBavyyXY
A2MtRCnyRTG9UgIgW4yUqXcf+31hArGBAmnXfIc1Vn6aBR/3wRzuGJbucgM=
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgm/wDmalxpLPBoFyZ
sihAnF2onW/s3YBP6teGdj5NNiehRANCAATvb10qekUpyZWZS34toPd+RinNoWxn
esybcliOhfeVVm/RtC1swRGacFZQISifECUiAj3Gg8Enk1h/hmgZl/XO
-----END PRIVATE KEY-----
"""


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, str, list[str | None]]]:
    """An HTTPS server on 127.0.0.1 for feeds.test: (port, CA file, server names asked)."""
    pem = tmp_path / "feeds.test.pem"
    pem.write_text(FEEDS_TEST_PEM)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    class Handle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handle)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1], str(pem), names
    finally:
        server.shutdown()
        server.server_close()


def test_tls_checks_the_name_while_connecting_to_the_checked_address(
    tls_server: tuple[int, str, list[str | None]],
) -> None:
    port, ca_file, names = tls_server
    hosts = {"feeds.test": "127.0.0.1", "other.test": "127.0.0.1"}
    settings = FetchSettings(policy=LOOPBACK, hosts=hosts, ca_file=ca_file)
    good = fetch(f"https://feeds.test:{port}/feed", settings)
    assert good.ok and good.body == FEED
    wrong = fetch(f"https://other.test:{port}/feed", settings)
    assert wrong.error_kind == "connect"
    assert "other.test's certificate could not be verified" in (wrong.error or "")
    assert names == ["feeds.test", "other.test"]
    refused = fetch(f"https://feeds.test:{port}/feed", FetchSettings(hosts=hosts, ca_file=ca_file))
    assert refused.error_kind == "blocked" and len(names) == 2


def test_each_site_keeps_its_connection_among_many_sites(loopback: LoopbackServer) -> None:
    """A site's second feed reuses the site's connection even while 100 other sites are
    being fetched: no new handshake per feed."""
    loopback.serve("/feed", b"<rss/>")
    names = {f"site-{n}.test": "127.0.0.1" for n in range(100)}
    settings = FetchSettings(policy=LOOPBACK, hosts=names, per_host=1, total=16)
    urls = [f"http://{name}:{loopback.port}/feed" for name in names]
    results = fetch_all(settings, *urls, *urls)
    assert all(r.ok for r in results)
    by_site: dict[str, set[int]] = {}
    for request in loopback.hits("/feed"):
        by_site.setdefault(request.headers["host"], set()).add(request.peer)
    assert len(by_site) == 100
    assert all(len(peers) == 1 for peers in by_site.values())


def test_pools_of_many_sites_are_trimmed_without_failing_fetches(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import presswatch.fetch.transport as transport_module

    monkeypatch.setattr(transport_module, "MAX_POOLS", 8)
    loopback.serve("/feed", b"<rss/>")
    names = {f"site-{n}.test": "127.0.0.1" for n in range(120)}
    settings = FetchSettings(policy=LOOPBACK, hosts=names, per_host=1, total=32)
    urls = [f"http://{name}:{loopback.port}/feed" for name in names]
    results = fetch_all(settings, *urls)
    assert [r.error for r in results if not r.ok] == []


def test_idle_connections_are_closed(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import presswatch.fetch.transport as transport_module

    monkeypatch.setattr(transport_module, "KEEPALIVE_EXPIRY", 0.2)
    loopback.serve("/feed", b"<rss/>")
    names = {f"site-{n}.test": "127.0.0.1" for n in range(10)}
    settings = FetchSettings(policy=LOOPBACK, hosts=names)

    async def go() -> tuple[int, int]:
        async with HttpClient(settings) as client:
            await asyncio.gather(
                *(client.fetch(f"http://{name}:{loopback.port}/feed") for name in names)
            )
            before = client.open_sites()
            await asyncio.sleep(0.3)
            await client.close_idle()
            return before, client.open_sites()

    assert run(go()) == (10, 0)
