"""The connection layer under the HTTP client: where the address policy meets the socket.

CheckedBackend resolves each host itself and connects only to an address the policy
allows, so the address checked is the address connected. CheckedTransport maps httpx
requests onto httpcore pools, one small pool per site, kept while useful.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import httpcore
import httpx

from presswatch.fetch.safety import (
    AddressPolicy,
    BlockedAddress,
    IPAddress,
    embedded_ipv4,
    literal_address,
)

if TYPE_CHECKING:
    from presswatch.fetch.client import FetchSettings

ALLOW_SETTING = "PRESSWATCH_ALLOW_NETWORKS"
KEEPALIVE_EXPIRY = 20.0  # seconds an idle connection is kept for reuse
MAX_POOLS = 256  # sites whose idle connections are kept at once (at most 2 each by default)


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address policy in front: the host is resolved
    here (the `hosts` map first, then getaddrinfo on the event loop), every address is
    checked, and only an allowed one is connected to. TLS still uses the host name:
    httpcore passes it to start_tls separately as server_hostname (SNI and certificate)."""

    def __init__(self, policy: AddressPolicy, hosts: Mapping[str, str] | None = None) -> None:
        self._policy = policy
        self._hosts = {name.lower().rstrip("."): addr for name, addr in (hosts or {}).items()}
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        until = None if timeout is None else loop.time() + timeout
        addresses, resolved = await self._resolve(host, port, timeout)
        allowed = [address for address in addresses if self._policy.check(address) is None]
        if not allowed:
            first = addresses[0]
            reason = self._policy.check(first) or ""
            raise BlockedAddress(refusal(host, first, reason, resolved=resolved))
        failure: Exception | None = None
        for address in allowed:
            left = None if until is None else until - loop.time()
            if left is not None and left <= 0:
                break
            try:
                if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                    address = address.ipv4_mapped
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=left,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectTimeout(f"no answer from {host} in {timeout:g} s")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("refused: presswatch does not connect to local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _resolve(
        self, host: str, port: int, timeout: float | None
    ) -> tuple[list[IPAddress], bool]:
        """The addresses to try, and whether they came from a name (not spelled out)."""
        literal = literal_address(host)
        if literal is not None:
            return [literal], False
        name = host.lower().rstrip(".")
        if name in self._hosts:
            mapped = literal_address(self._hosts[name])
            if mapped is None:
                raise httpcore.ConnectError(f"the hosts setting maps {name} to no address")
            return [mapped], True
        try:
            async with asyncio.timeout(timeout):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"looking up {host} took over {timeout:g} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"could not find {host} ({exc.strerror or exc})") from None
        addresses: list[IPAddress] = []
        for info in infos:
            address = literal_address(str(info[4][0]))
            if address is not None and address not in addresses:
                addresses.append(address)
        if not addresses:
            raise httpcore.ConnectError(f"could not find {host} (no addresses)")
        return addresses, True


class CheckedTransport(httpx.AsyncBaseTransport):
    """httpx's transport over httpcore pools that connect through CheckedBackend
    (the same request/response mapping as httpx.AsyncHTTPTransport, without proxies).

    One small pool per site, so a site's kept-alive connections are reused for its next
    feed or page instead of being closed to make room for other sites (one shared pool
    also scans all its connections on every request). The least recently used idle
    pools are closed beyond MAX_POOLS.
    """

    def __init__(self, settings: FetchSettings) -> None:
        self._settings = settings
        self._ssl = (
            ssl.create_default_context(cafile=settings.ca_file)
            if settings.ca_file
            else httpx.create_ssl_context()
        )
        self._backend = CheckedBackend(settings.policy, settings.hosts)
        self._pools: OrderedDict[tuple[bytes, bytes, int | None], httpcore.AsyncConnectionPool] = (
            OrderedDict()
        )
        self._busy: dict[tuple[bytes, bytes, int | None], int] = {}
        self._used: dict[tuple[bytes, bytes, int | None], float] = {}

    def _pool(self, key: tuple[bytes, bytes, int | None]) -> httpcore.AsyncConnectionPool:
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl,
                max_connections=self._settings.per_host,
                max_keepalive_connections=self._settings.per_host,
                keepalive_expiry=KEEPALIVE_EXPIRY,
                network_backend=self._backend,
            )
        self._pools.move_to_end(key)
        self._used[key] = time.monotonic()
        return pool

    def open_sites(self) -> int:
        return len(self._pools)

    async def close_idle(self) -> None:
        """Close the pools of sites not used for KEEPALIVE_EXPIRY, and the least recently
        used beyond MAX_POOLS. Victims leave the table before any await, so a request
        arriving meanwhile gets a fresh pool and never a closing one."""
        now = time.monotonic()
        idle = [k for k in self._pools if not self._busy.get(k)]
        excess = max(0, len(self._pools) - MAX_POOLS)
        victims = [
            k for n, k in enumerate(idle) if n < excess or now - self._used[k] > KEEPALIVE_EXPIRY
        ]
        pools = [self._pools.pop(k) for k in victims]
        for key in victims:
            self._used.pop(key, None)
        for pool in pools:
            await pool.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=cast(Any, request.stream),
            extensions=request.extensions,
        )
        key = (request.url.raw_scheme, request.url.raw_host.lower(), request.url.port)
        pool = self._pool(key)
        self._busy[key] = self._busy.get(key, 0) + 1
        await self.close_idle()
        try:
            with httpx_errors():
                response = await pool.handle_async_request(core)
        except BaseException:
            self._release(key)
            raise
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream, lambda: self._release(key)),
            extensions=response.extensions,
        )

    def _release(self, key: tuple[bytes, bytes, int | None]) -> None:
        left = self._busy.get(key, 1) - 1
        if left > 0:
            self._busy[key] = left
        else:
            self._busy.pop(key, None)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        try:
            if hasattr(self._stream, "aclose"):
                await self._stream.aclose()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()


_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, mapped in _ERRORS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from exc
        raise


def refusal(host: str, address: IPAddress, reason: str, *, resolved: bool) -> str:
    shown = host.strip("[]")
    if resolved:
        subject = f"{shown} resolves to {address}, {reason}"
    elif shown == str(address) or embedded_ipv4(address) is not None:
        subject = f"{shown} is {reason}"
    else:
        subject = f"{shown} means {address}, {reason}"
    return (
        f"refused: {subject}; presswatch does not fetch from private networks unless "
        f"allowed (setting {ALLOW_SETTING})"
    )
