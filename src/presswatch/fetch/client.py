"""The one HTTP client for every outbound request: feeds, pages, discovery, OPML, robots.

Safety is decided where the socket is opened: requests go through our own httpx transport
(transport.py) whose connector resolves the name itself and connects only to an
address the policy allows, so the address checked is the address connected (DNS rebinding
gains nothing), on every redirect hop, which we follow ourselves. A URL host that spells an
address (2130706433, 0177.0.0.1) is read the way libc would and judged before anything is
sent; TLS still checks the certificate against the host name.

Bodies are read raw and decompressed here in bounded steps, so neither a large response
nor a small gzip bomb can grow past `max_bytes` in memory. Failures never raise: they come
back as a FetchResult with `error` written for an analyst.
"""

from __future__ import annotations

import asyncio
import base64
import http
import ipaddress
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from presswatch.fetch.limiter import HostLimiter, LocalLimiter, holding
from presswatch.fetch.safety import (
    AddressPolicy,
    BlockedAddress,
    literal_address,
)
from presswatch.fetch.transport import (
    CheckedTransport,
    refusal,
)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

MAX_BYTES_SETTING = "PRESSWATCH_MAX_BYTES"
DEADLINE_SETTING = "PRESSWATCH_FETCH_DEADLINE"

REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
MIN_RETRY_AFTER = 60.0  # seconds; a shorter Retry-After is raised to this
# How long a host that answers 429/503 without Retry-After is left alone (then clamped
# like Retry-After): "too many requests" is a clear request to slow down, a bare 503 may
# be a passing fault.
DEFAULT_BACKOFF = {429: 600.0, 503: 300.0}
_STEP = 256 * 1024  # most bytes one decompression step may produce
_DRAIN = 64 * 1024  # most bytes read from a body we do not keep, to reuse its connection
_WIRE_SLACK = 1024 * 1024  # compressed bytes beyond max_bytes that may still be read


@dataclass(frozen=True, slots=True)
class FetchSettings:
    user_agent: str = "presswatch (+https://github.com/presswatch/presswatch; news archive)"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # between bytes
    deadline: float = 60.0  # the whole fetch, redirects included
    max_bytes: int = 15 * 1024 * 1024  # decompressed body
    max_redirects: int = 5
    per_host: int = 2  # requests in flight to one host
    host_spacing: float = 0.25  # seconds between request starts to one host
    total: int = 64  # requests in flight overall
    max_retry_after: float = 24 * 3600.0  # Retry-After is clamped into [60 s, this]
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    # test/benchmark hook: host name -> address, consulted before DNS (like /etc/hosts)
    hosts: Mapping[str, str] = field(default_factory=dict)
    # certificates to trust instead of the public ones (an intranet's own CA, or tests)
    ca_file: str | None = None

    def __post_init__(self) -> None:
        positive = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "deadline": self.deadline,
            "max_bytes": self.max_bytes,
            "per_host": self.per_host,
            "total": self.total,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"the fetch setting {name} must be more than 0, not {value}")
        if self.max_redirects < 0 or self.host_spacing < 0 or self.max_retry_after < 0:
            raise ValueError("max_redirects, host_spacing and max_retry_after cannot be negative")


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # as asked
    final_url: str  # after redirects
    status: int | None  # of the last response; None when none came
    body: bytes = b""  # decompressed; empty on 304 and on errors
    headers: Mapping[str, str] = field(default_factory=dict)  # last response, lowercase names
    redirects: tuple[tuple[int, str], ...] = ()  # (status, location) per hop
    # set when EVERY hop was 301/308 and the new address answered 2xx or 304
    permanent_url: str | None = None
    elapsed: float = 0.0  # seconds, from the first request sent (waiting for a turn excluded)
    received: int = 0  # body bytes read off the wire (compressed), all hops
    error: str | None = None  # for the analyst: what went wrong and, if useful, what to do
    error_kind: str | None = None
    # blocked | scheme | url | timeout | deadline | too-large | redirects | connect | http |
    # decode | backoff (the host asked us to wait; nothing was sent) | internal (a bug)
    retry_after: datetime | None = None  # 429/503 Retry-After, clamped, as a UTC time

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.error is None and self.status == 304

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


class HttpClient:
    """Use as `async with HttpClient(settings) as client: await client.fetch(url)`.

    Never raises for a failed fetch: every failure is a FetchResult with `error` set.
    Per-host concurrency and spacing hold across all concurrent callers; a 429/503 backs
    that host off (later fetches to it return error_kind "backoff" without sending) until
    the time its Retry-After gives, clamped, or DEFAULT_BACKOFF without one; `backoff`
    seeds that from earlier runs. One client serves one event loop.

    The per-host limits and backoffs live in `limiter`: by default a LocalLimiter for this
    client alone; a RedisLimiter shares them with every worker (fetch/limiter.py).
    """

    def __init__(
        self,
        settings: FetchSettings = FetchSettings(),
        *,
        backoff: Mapping[str, datetime] | None = None,
        clock: Callable[[], datetime] | None = None,
        limiter: HostLimiter | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock or _utcnow
        self._limiter = limiter or LocalLimiter(settings.per_host, settings.host_spacing)
        if backoff:
            self._limiter.seed_backoff(backoff)
        self._total = asyncio.Semaphore(settings.total)
        # httpx's AsyncClient is not used: it parses every Location itself (failing on
        # spellings and schemes we must judge) and brings cookies and proxies from the
        # environment; requests go straight to the checked transport instead.
        self._transport = CheckedTransport(settings)
        self._timeouts = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.deadline,
        ).as_dict()

    async def __aenter__(self) -> HttpClient:
        return self

    async def close_idle(self) -> None:
        """Close connections kept alive longer than they are useful (between rounds)."""
        await self._transport.close_idle()

    def open_sites(self) -> int:
        """Sites whose connections are kept open for reuse."""
        return self._transport.open_sites()

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._transport.aclose()
        finally:
            await self._limiter.aclose()

    def backoff(self) -> dict[str, datetime]:
        """Hosts currently backed off, and until when (to persist between runs)."""
        return self._limiter.backoffs(self._clock())

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        headers = {"Accept": accept}
        for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)):
            if value and _header_safe(value):
                headers[name] = value
        run = _Run(url)
        try:
            return await self._follow(run, headers)
        except _Failure as failure:
            return run.failed(failure)
        except BlockedAddress as exc:
            return run.failed(_Failure("blocked", str(exc)))
        except Exception as exc:  # a failed fetch never raises
            return run.failed(_explain(exc, run.current, self.settings))

    async def _follow(self, run: _Run, headers: dict[str, str]) -> FetchResult:
        loop = asyncio.get_running_loop()
        deadline = asyncio.timeout(None)
        try:
            async with deadline:
                while True:
                    target, host = self._prepare(run)
                    await self._check_backoff(host)
                    async with self._turn(host):
                        await self._check_backoff(host)  # it may have answered 429 meanwhile
                        if run.started is None:
                            run.started = loop.time()
                            deadline.reschedule(run.started + self.settings.deadline)
                        request = self._request(target, headers)
                        response = await self._transport.handle_async_request(request)
                        try:
                            result = await self._answer(run, host, response)
                        finally:
                            await response.aclose()
                    if result is not None:
                        return result
        except TimeoutError:
            if not deadline.expired():
                raise
            raise _Failure(
                "deadline",
                f"the fetch took longer than {self.settings.deadline:g} s in all, the most "
                f"presswatch allows (setting {DEADLINE_SETTING}); the server may be "
                "overloaded or sending very slowly",
            ) from None

    def _request(self, url: httpx.URL, headers: dict[str, str]) -> httpx.Request:
        sent = {
            "User-Agent": self.settings.user_agent,
            "Accept-Encoding": "gzip, deflate",
            **headers,
        }
        if url.username or url.password:  # credentials go only where their URL points
            pair = f"{url.username}:{url.password}".encode()
            sent["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return httpx.Request("GET", url, headers=sent, extensions={"timeout": self._timeouts})

    def _prepare(self, run: _Run) -> tuple[httpx.URL, str]:
        """The URL to ask for, with a host that spells an address judged and written out
        plainly, and the host's key for limits and backoff."""
        url = run.current
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise _Failure("url", f"{url!r} is not a web address presswatch can read") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            if run.redirects:
                message = f"refused: the server redirected to {url}; presswatch follows"
            else:
                message = f"refused: {url} is not a web address; presswatch fetches"
            raise _Failure("scheme", message + " only http and https addresses")
        host = parts.hostname
        if not host:
            raise _Failure("url", f"{url!r} has no host name")
        netloc, key = parts.netloc, host.rstrip(".")
        address = literal_address(host)
        if address is not None:
            reason = self.settings.policy.check(address)
            if reason is not None:
                raise _Failure("blocked", refusal(host, address, reason, resolved=False))
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped  # the same host, reachable without IPv6
            userinfo = netloc.rpartition("@")[0] + "@" if "@" in netloc else ""
            spelled = f"[{address}]" if address.version == 6 else str(address)
            netloc = userinfo + spelled + (f":{port}" if port is not None else "")
            key = str(address)
        target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
        try:
            return httpx.URL(target), key
        except httpx.InvalidURL as exc:
            raise _Failure(
                "url", f"{url!r} is not a web address presswatch can read ({exc})"
            ) from None

    @asynccontextmanager
    async def _turn(self, host: str) -> AsyncIterator[None]:
        """Wait until this host has a free slot and its spacing has passed, then for a
        slot overall."""
        async with holding(self._limiter, host), self._total:
            yield

    async def _check_backoff(self, host: str) -> None:
        until = await self._limiter.backoff_until(host, self._clock())
        if until is None:
            return
        raise _Failure(
            "backoff",
            f"not sent: {host} asked presswatch to wait until {until:%Y-%m-%d %H:%M} UTC "
            "(it answered 429 or 503 earlier)",
            retry_after=until,
        )

    async def _answer(self, run: _Run, host: str, response: httpx.Response) -> FetchResult | None:
        """The result this response settles, or None when it redirects elsewhere."""
        status = response.status_code
        run.status = status
        run.headers = {name.lower(): value for name, value in response.headers.items()}
        location = run.headers.get("location", "").strip()
        if status in REDIRECTS and location:
            await self._drain(run, response)
            self._redirect(run, status, location)
            return None
        if status == 304:
            await self._drain(run, response)
            return run.result()
        if 200 <= status < 300:
            return run.result(await self._read_body(run, response))
        await self._drain(run, response)
        retry_after = None
        message = f"the server answered {_status_text(status, response.reason_phrase)}"
        if status in (429, 503):
            retry_after = await self._back_off(host, status, run.headers.get("retry-after"))
            message += (
                f"; presswatch will not ask {host} again before {retry_after:%Y-%m-%d %H:%M} UTC"
            )
        elif status in REDIRECTS or 300 <= status < 400:
            message += " without saying where to go"
        else:
            message += _STATUS_HINTS.get(status, "")
        raise _Failure("http", message, retry_after=retry_after)

    def _redirect(self, run: _Run, status: int, location: str) -> None:
        try:
            target = urljoin(run.current, location)
            target = urlunsplit(urlsplit(target)._replace(fragment=""))
        except ValueError:
            raise _Failure(
                "url", f"the server redirected to {location!r}, which is not a web address"
            ) from None
        run.redirects.append((status, target))
        if len(run.redirects) > self.settings.max_redirects:
            raise _Failure(
                "redirects",
                f"more than {self.settings.max_redirects} redirects (the last to {target}); "
                "the address may be out of date or the site misconfigured",
            )
        if target in run.visited:
            raise _Failure(
                "redirects",
                f"a redirect loop: {run.current} leads back to {target}; the site is "
                "misconfigured or refuses automated readers",
            )
        run.visited.add(target)
        run.current = target

    async def _back_off(self, host: str, status: int, header: str | None) -> datetime:
        now = self._clock()
        delay = _retry_after_seconds(header, now)
        if delay is None:
            delay = DEFAULT_BACKOFF[status]
        delay = min(max(delay, MIN_RETRY_AFTER), self.settings.max_retry_after)
        until = now + timedelta(seconds=delay)
        await self._limiter.set_backoff(host, until, now)
        return until

    async def _read_body(self, run: _Run, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        coding = _coding(run.headers.get("content-encoding"))
        length = _content_length(run.headers.get("content-length"))
        if length is not None and length > cap:
            raise _Failure(
                "too-large",
                f"the response is {_size(length)}, larger than {_size(cap)}, the most "
                f"presswatch reads; if the source is genuine, raise the limit "
                f"(setting {MAX_BYTES_SETTING})",
            )
        inflater = _Inflater(coding) if coding else None
        body = bytearray()
        try:
            async with aclosing(_raw(response)) as chunks:
                async for chunk in chunks:
                    run.received += len(chunk)
                    if inflater is None:
                        body += chunk
                    else:
                        for piece in inflater.feed(chunk, cap + 1 - len(body)):
                            body += piece
                    if len(body) > cap or run.received > cap + _WIRE_SLACK:
                        raise _Failure(
                            "too-large",
                            f"the response is larger than {_size(cap)}, the most presswatch "
                            "reads; if the source is genuine, raise the limit "
                            f"(setting {MAX_BYTES_SETTING})",
                        )
        except zlib.error as exc:
            raise _Failure(
                "decode",
                f"the response says it is {coding}-compressed but could not be "
                f"decompressed ({exc}); the server sent damaged data",
            ) from None
        return bytes(body)

    async def _drain(self, run: _Run, response: httpx.Response) -> None:
        """Read a little of a body we do not keep, so a short one leaves the connection
        reusable; a long one is cut off with the connection."""
        read = 0
        async with aclosing(_raw(response)) as chunks:
            async for chunk in chunks:
                run.received += len(chunk)
                read += len(chunk)
                if read > _DRAIN:
                    break


class _Failure(Exception):
    def __init__(self, kind: str, message: str, *, retry_after: datetime | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


@dataclass(slots=True)
class _Run:
    """What one fetch has learnt so far, hop by hop."""

    url: str
    current: str = ""
    visited: set[str] = field(default_factory=set)
    redirects: list[tuple[int, str]] = field(default_factory=list)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    received: int = 0
    started: float | None = None

    def __post_init__(self) -> None:
        self.current = self.url
        self.visited.add(self.url.split("#", 1)[0])

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return asyncio.get_running_loop().time() - self.started

    def result(self, body: bytes = b"") -> FetchResult:
        permanent = bool(self.redirects) and all(s in PERMANENT for s, _ in self.redirects)
        return FetchResult(
            url=self.url,
            final_url=self.current,
            status=self.status,
            body=body,
            headers=self.headers,
            redirects=tuple(self.redirects),
            permanent_url=self.current if permanent else None,
            elapsed=self.elapsed(),
            received=self.received,
        )

    def failed(self, failure: _Failure) -> FetchResult:
        return FetchResult(
            url=self.url,
            final_url=self.current,
            status=self.status if failure.kind in ("http", "too-large", "decode") else None,
            headers=self.headers if failure.kind == "http" else {},
            redirects=tuple(self.redirects),
            elapsed=self.elapsed(),
            received=self.received,
            error=failure.message,
            error_kind=failure.kind,
            retry_after=failure.retry_after,
        )


class _Inflater:
    """gzip or deflate (zlib-wrapped or raw, as servers differ) decompressed in bounded
    steps: one step never produces more than the room left, so a small bomb never becomes
    a large buffer."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._head = b""
        self._z: Any = None
        self._pending = False  # zlib may hold output it had no room to give

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        if self._z is None:
            data, self._head = self._head + data, b""
            if self._coding == "deflate":
                if len(data) < 2:
                    self._head = data
                    return
                wbits = zlib.MAX_WBITS if _zlib_header(data) else -zlib.MAX_WBITS
            else:
                wbits = 16 + zlib.MAX_WBITS
            self._z = zlib.decompressobj(wbits)
        while room > 0:
            z = self._z
            if z.eof:
                rest = z.unused_data + data
                if self._coding == "gzip" and rest.startswith(b"\x1f\x8b"):
                    self._z, data = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
                    continue
                return  # bytes after the end of the stream are ignored, as browsers do
            if not data and not self._pending:
                return
            limit = min(room, _STEP)
            piece = z.decompress(data, limit)
            data = z.unconsumed_tail
            self._pending = len(piece) == limit
            if piece:
                room -= len(piece)
                yield piece


def _raw(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    """The body as sent (compressed), as a generator `aclosing` can close early."""
    return cast(AsyncGenerator[bytes, None], response.aiter_raw())


def _zlib_header(data: bytes) -> bool:
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and ((cmf << 8) | flg) % 31 == 0


_CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "x-deflate": "deflate"}


def _coding(header: str | None) -> str | None:
    codings = [c.strip().lower() for c in (header or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _CODINGS:
        return _CODINGS[codings[0]]
    raise _Failure(
        "decode",
        f"the server compressed the response as {header!r}, which presswatch cannot read "
        "(it asks for gzip or deflate)",
    )


def _content_length(header: str | None) -> int | None:
    if header is None or not header.strip().isdigit():
        return None
    return int(header.strip())


def _retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date; None if absent or
    unreadable."""
    text = (header or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return (_aware(when) - now).total_seconds()


_STATUS_HINTS = {
    401: "; the source needs a login",
    403: "; the source may refuse automated readers",
    404: "; the address may have changed",
    410: "; the source was removed for good",
}


def _status_text(status: int, reason: str) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} {reason}".strip()


def _explain(exc: Exception, url: str, settings: FetchSettings) -> _Failure:
    """An exception from httpx (or a bug) as a failure an analyst can read."""
    try:
        host = urlsplit(url).hostname or url
    except ValueError:
        host = url
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return _Failure(
            "timeout", f"could not connect to {host} within {settings.connect_timeout:g} s"
        )
    if isinstance(exc, httpx.ReadTimeout):
        return _Failure(
            "timeout",
            f"{host} stopped answering: nothing arrived for {settings.read_timeout:g} s",
        )
    if isinstance(exc, httpx.PoolTimeout):
        return _Failure("timeout", "no connection came free in time: too many fetches at once")
    if isinstance(exc, httpx.TimeoutException):
        return _Failure("timeout", f"{host} took too long to take the request")
    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in detail:
        return _Failure(
            "connect",
            f"{host}'s certificate could not be verified ({detail}); the site is "
            "misconfigured, or something between presswatch and it intercepts the connection",
        )
    if isinstance(exc, httpx.ConnectError):
        return _Failure("connect", f"could not connect to {host} ({detail})")
    if isinstance(exc, httpx.RemoteProtocolError):
        return _Failure(
            "connect", f"{host} broke off the connection or did not answer in HTTP ({detail})"
        )
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return _Failure("url", f"{url!r} is not a web address presswatch can read ({detail})")
    if isinstance(exc, httpx.TransportError):
        return _Failure("connect", f"the connection to {host} failed ({detail})")
    return _Failure(
        "internal",
        f"presswatch failed while fetching {url} ({type(exc).__name__}: {detail}); "
        "please report this",
    )


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f}".rstrip("0").rstrip(".") + " MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.1f}".rstrip("0").rstrip(".") + " KB"
    return f"{n} bytes"


def _header_safe(value: str) -> bool:
    return not any(c in value for c in "\r\n\0")


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)
