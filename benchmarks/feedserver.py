"""A loopback feed server for benchmarks: many WordPress-like RSS feeds on many hosts.

    python benchmarks/feedserver.py [--feeds 1000] [--items 50] [--words 300] [--hosts 200]
                                    [--folder DIR] [--port N]

Real news feeds live on many hosts and a fetcher keeps per-host limits, so the feeds are
spread over loopback addresses (Linux routes all of 127.0.0.0/8 to lo): one listening
socket per address, 127.0.1.1, 127.0.1.2, ..., all on one port, feed n at
http://ADDRESS:PORT/feed/n. Where those addresses cannot be bound, everything is served
from 127.0.0.1.

The server is meant to run in its own process (`FeedServer` starts it), so it never
competes with the measured process for the GIL. It is a bare asyncio HTTP/1.1 server with
keep-alive and pipelining; bodies are built once at start (identity and gzip), each feed
with a weak ETag and a Last-Modified from its lastBuildDate, and a conditional request
that matches gets 304. It prints one JSON line when ready and stops on SIGTERM or, with
--watch-stdin, when its stdin closes (so it never outlives the benchmark). GET /_stats
reports requests by status and the server's own CPU time; GET /_reset clears the counts.

`probe` is a minimal keep-alive client for measuring the server's own capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import gzip
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from feedgen import write_feeds  # noqa: E402

MAX_HOSTS = 254 * 16
_BUILD_DATE = re.compile(rb"<lastBuildDate>([^<]+)</lastBuildDate>")


# -- the layout shared by server and clients --------------------------------------------------


def address(index: int) -> str:
    """The loopback address of host `index`: 127.0.1.1, ..., 127.0.1.254, 127.0.2.1, ..."""
    return f"127.0.{1 + index // 254}.{1 + index % 254}"


def host_of(feed: int, feeds: int, hosts: int) -> int:
    """Feeds go to hosts in runs (feeds 0-4 on host 0 with 1,000 feeds on 200 hosts)."""
    return feed * hosts // feeds


def feed_urls(port: int, addresses: Sequence[str], feeds: int) -> list[str]:
    hosts = len(addresses)
    return [f"http://{addresses[host_of(n, feeds, hosts)]}:{port}/feed/{n}" for n in range(feeds)]


# -- the feeds --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feed:
    body: bytes
    gzipped: bytes
    etag: str  # weak: the same tag for the identity and the gzip body, as nginx sends it
    last_modified: str
    modified_at: float  # POSIX seconds


def load_feeds(folder: Path, feeds: int, items: int, words: int, seed: int = 1) -> list[Feed]:
    """Generate the feeds into `folder` (reused when the same shape is already there), then
    read and compress them."""
    shape = folder / ".shape"
    want = f"{feeds} {items} {words} {seed}"
    if not (shape.exists() and shape.read_text() == want):
        for old in folder.glob("feed*.xml"):
            old.unlink()
        write_feeds(folder, feeds, items, words, seed)
        shape.write_text(want)
    loaded = []
    for n in range(feeds):
        body = (folder / f"feed{n:03d}.xml").read_bytes()
        found = _BUILD_DATE.search(body)
        when = parsedate_to_datetime(found.group(1).decode()) if found else None
        stamp = when.timestamp() if when else 1_700_000_000.0
        loaded.append(
            Feed(
                body=body,
                gzipped=gzip.compress(body, 6, mtime=0),
                etag='W/"' + hashlib.sha1(body).hexdigest()[:20] + '"',
                last_modified=formatdate(stamp, usegmt=True),
                modified_at=stamp,
            )
        )
    return loaded


def not_modified(feed: Feed, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110: If-None-Match (weak comparison) wins; If-Modified-Since only without it."""
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        mine = feed.etag.removeprefix("W/")
        return "*" in tags or any(t.removeprefix("W/") == mine for t in tags)
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(feed.modified_at) <= since
    return False


# -- the server -------------------------------------------------------------------------------


@dataclass
class Stats:
    requests: int = 0
    connections: int = 0
    body_bytes: int = 0
    gzip: int = 0
    conditional: int = 0
    status: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "connections": self.connections,
            "body_bytes": self.body_bytes,
            "gzip": self.gzip,
            "conditional": self.conditional,
            "status": {str(k): v for k, v in sorted(self.status.items())},
            "cpu_s": time.process_time(),
        }


class _Clock:
    """The Date header, formatted once a second rather than once a request."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second, self._text = second, formatdate(second, usegmt=True)
        return self._text


class FeedProtocol(asyncio.Protocol):
    """One connection to one host: parse requests as they come, answer in order."""

    def __init__(self, server: Server, host: int) -> None:
        self.server = server
        self.host = host
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.stats.connections += 1
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self._close()
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            lines = head.split("\r\n")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            skip = end + 4 + int(headers.get("content-length", "0") or 0)
            if len(self.buffer) < skip:
                return
            del self.buffer[:skip]
            self.respond(lines[0], headers)

    def respond(self, request_line: str, headers: dict[str, str]) -> None:
        assert self.transport is not None
        server = self.server
        stats = server.stats
        parts = request_line.split(" ")
        method, target, version = [*parts, "", "", ""][:3]
        keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        body = b""
        extra = ""
        if method not in ("GET", "HEAD"):
            status, body = 405, b"only GET and HEAD\n"
        elif target.startswith("/feed/"):
            status, body, extra = self._feed(target[6:], headers)
        elif target == "/_stats":
            status, body = 200, json.dumps(stats.as_dict()).encode()
        elif target == "/_reset":
            server.stats = Stats()
            status, body = 200, b"{}"
        else:
            status, body = 404, b"not found\n"
        if not target.startswith("/_"):  # the benchmark's own calls are not counted
            stats.requests += 1
            stats.status[status] += 1
            stats.body_bytes += len(body) if method != "HEAD" else 0
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed"}
        head = (
            f"HTTP/1.1 {status} {reason.get(status, 'OK')}\r\n"
            f"Date: {server.clock.now()}\r\nServer: feedserver\r\n{extra}"
        )
        if status != 304:
            head += f"Content-Length: {len(body)}\r\n"
        if not keep:
            head += "Connection: close\r\n"
        self.transport.write(head.encode("latin-1") + b"\r\n")
        if body and method != "HEAD":
            self.transport.write(body)
        if not keep:
            self._close()

    def _feed(self, number: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
        server = self.server
        if not number.isdigit() or int(number) >= len(server.feeds):
            return 404, b"no such feed\n", ""
        n = int(number)
        if server.hosts > 1 and host_of(n, len(server.feeds), server.hosts) != self.host:
            return 404, b"this feed lives on another host\n", ""
        feed = server.feeds[n]
        validators = f"ETag: {feed.etag}\r\nLast-Modified: {feed.last_modified}\r\n"
        conditional = headers.get("if-none-match"), headers.get("if-modified-since")
        if conditional != (None, None):
            server.stats.conditional += 1
            if not_modified(feed, *conditional):
                return 304, b"", validators
        extra = "Content-Type: application/rss+xml; charset=UTF-8\r\nVary: Accept-Encoding\r\n"
        extra += validators
        if "gzip" in headers.get("accept-encoding", ""):
            server.stats.gzip += 1
            return 200, feed.gzipped, extra + "Content-Encoding: gzip\r\n"
        return 200, feed.body, extra

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


@dataclass
class Server:
    feeds: list[Feed]
    hosts: int
    stats: Stats = field(default_factory=Stats)
    clock: _Clock = field(default_factory=_Clock)


def bind(hosts: int, port: int = 0) -> tuple[int, list[socket.socket]]:
    """One listening socket per loopback address, all on one port; fewer addresses (down
    to 127.0.0.1 alone) where the system will not bind them."""
    for _ in range(10):
        sockets: list[socket.socket] = []
        chosen = port
        try:
            for index in range(hosts):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sockets.append(sock)
                sock.bind((address(index) if hosts > 1 else "127.0.0.1", chosen))
                sock.listen(1024)
                sock.setblocking(False)
                chosen = sock.getsockname()[1]
            return chosen, sockets
        except OSError as exc:
            for sock in sockets:
                sock.close()
            if exc.errno == errno.EADDRNOTAVAIL and hosts > 1:
                hosts = 1  # not Linux: one address only
            elif exc.errno != errno.EADDRINUSE or port:
                raise
    raise OSError(errno.EADDRINUSE, "no port free on every loopback address")


async def serve(
    feeds: list[Feed], hosts: int, port: int, ready: IO[str], watch_stdin: bool = False
) -> None:
    hosts = max(1, min(hosts, len(feeds), MAX_HOSTS))
    port, sockets = bind(hosts, port)
    hosts = len(sockets)
    server = Server(feeds, hosts)
    loop = asyncio.get_running_loop()
    listeners = [
        await loop.create_server(lambda i=i: FeedProtocol(server, i), sock=sock)  # type: ignore[misc]
        for i, sock in enumerate(sockets)
    ]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if watch_stdin:  # the parent closing our stdin means it is gone

        class _Eof(asyncio.Protocol):
            def connection_lost(self, exc: Exception | None) -> None:
                stop.set()

        with contextlib.suppress(OSError, ValueError):
            await loop.connect_read_pipe(_Eof, sys.stdin)
    addresses = [s.getsockname()[0] for s in sockets]
    info = {
        "port": port,
        "addresses": addresses,
        "feeds": len(feeds),
        "bytes": sum(len(f.body) for f in feeds),
        "gzip_bytes": sum(len(f.gzipped) for f in feeds),
        "pid": os.getpid(),
    }
    ready.write(json.dumps(info) + "\n")
    ready.flush()
    await stop.wait()
    for listener in listeners:
        listener.close()


# -- the parent's handle ----------------------------------------------------------------------


class FeedServer:
    """Start the server in its own interpreter; `urls`, `stats()`, `reset()`, `close()`."""

    def __init__(
        self, folder: Path, feeds: int, items: int, words: int, hosts: int, timeout: float = 600
    ) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--folder", str(folder)]
        cmd += ["--feeds", str(feeds), "--items", str(items), "--words", str(words)]
        cmd += ["--hosts", str(hosts), "--watch-stdin"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = _readline(self.proc.stdout, timeout)
        if not line:
            self.close()
            raise RuntimeError(f"the feed server did not start (exit {self.proc.poll()})")
        self.info: dict[str, Any] = json.loads(line)
        self.port: int = self.info["port"]
        self.addresses: list[str] = self.info["addresses"]
        self.urls = feed_urls(self.port, self.addresses, feeds)

    def _get(self, path: str) -> dict[str, Any]:
        with socket.create_connection((self.addresses[0], self.port), timeout=10) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        result: dict[str, Any] = json.loads(data.split(b"\r\n\r\n", 1)[1])
        return result

    def stats(self) -> dict[str, Any]:
        """Counts since the last reset (this request included), CPU seconds in all."""
        return self._get("/_stats")

    def reset(self) -> None:
        self._get("/_reset")

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(10)

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _readline(stream: IO[str], timeout: float) -> str:
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        if not sel.select(timeout):
            return ""
    return stream.readline()


@contextlib.contextmanager
def counted(server: FeedServer) -> Iterator[dict[str, Any]]:
    """The server's counts and CPU seconds over the block (filled in on exit)."""
    before = server.stats()
    server.reset()
    figures: dict[str, Any] = {}
    try:
        yield figures
    finally:
        after = server.stats()
        figures.update(after)
        figures["cpu_s"] = after["cpu_s"] - before["cpu_s"]
        figures["connections"] -= 1  # the one that asked for these figures


# -- a minimal client, to measure the server itself -------------------------------------------


async def _worker(
    urls: list[str], etags: dict[str, str], learned: dict[str, str], counts: Counter[int]
) -> None:
    parts = urlsplit(urls[0])
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        for url in urls:
            extra = f"If-None-Match: {etags[url]}\r\n" if url in etags else ""
            writer.write(
                f"GET {urlsplit(url).path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Accept-Encoding: gzip\r\n{extra}\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "etag":
                    learned[url] = value.strip()
            if length:
                await reader.readexactly(length)
            counts[int(head[9:12])] += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def probe(
    urls: Sequence[str],
    requests: int,
    connections: int = 32,
    etags: dict[str, str] | None = None,
) -> tuple[float, Counter[int], dict[str, str]]:
    """`requests` GETs over `connections` keep-alive connections, each to one host, asking
    gzip like a feed reader; with `etags` (url -> tag), conditional GETs. The seconds
    taken, the statuses, and the ETags seen (for a conditional run after)."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(urlsplit(url).netloc, []).append(url)
    groups = list(by_host.values())
    per = max(1, requests // connections)
    jobs = [
        [groups[c % len(groups)][i % len(groups[c % len(groups)])] for i in range(per)]
        for c in range(connections)
    ]
    counts: Counter[int] = Counter()
    learned: dict[str, str] = {}

    async def run() -> None:
        await asyncio.gather(*(_worker(job, etags or {}, learned, counts) for job in jobs))

    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start, counts, learned


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--feeds", type=int, default=1000)
    p.add_argument("--items", type=int, default=50)
    p.add_argument("--words", type=int, default=300, help="words in each item's content")
    p.add_argument("--hosts", type=int, default=200)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--folder", type=Path, default=Path("/tmp/presswatch-feedserver"))
    p.add_argument("--watch-stdin", action="store_true", help="stop when stdin closes")
    args = p.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    feeds = load_feeds(args.folder, args.feeds, args.items, args.words)
    asyncio.run(serve(feeds, args.hosts, args.port, sys.stdout, args.watch_stdin))


if __name__ == "__main__":
    main()
