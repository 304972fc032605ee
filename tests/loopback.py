"""A real HTTP server on 127.0.0.1 for the fetching tests: serves fixtures, and misbehaves
on purpose when told to (slow drips, redirect loops, bombs, silence).

Routes map a path (without the query) to a handler that gets the request and returns a
`Reply`. Every request is logged with its headers and timing, and the server tracks how
many requests were in flight at once, so tests can check per-host limits.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str  # with the query
    headers: dict[str, str]  # lowercase names
    started: float = 0.0
    finished: float = 0.0
    peer: int = 0  # the client's port: one per TCP connection

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> str:
        return urlsplit(self.path).query


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[tuple[float, bytes]] = b""  # bytes, or (delay, chunk) pairs
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the status line is sent


Handler = Callable[[Request], Reply]


def static(
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/rss+xml",
    headers: dict[str, str] | None = None,
) -> Handler:
    """Always the same reply; honours If-None-Match / If-Modified-Since when `headers`
    carry an ETag / Last-Modified, as a well-behaved server does."""
    fixed = {"Content-Type": content_type, **(headers or {})}

    def handle(request: Request) -> Reply:
        etag, modified = fixed.get("ETag"), fixed.get("Last-Modified")
        if (etag and request.headers.get("if-none-match") == etag) or (
            modified and request.headers.get("if-modified-since") == modified
        ):
            return Reply(304, b"", {k: v for k, v in fixed.items() if k != "Content-Type"})
        return Reply(status, body, dict(fixed))

    return handle


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._active = 0
        self.max_active = 0
        server = self

        class Handle(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                # the client may hang up on purpose (a cap or a deadline)
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    super().handle()

            def do_GET(self) -> None:
                server._serve(self)

            do_HEAD = do_GET

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def serve(self, path: str, body: bytes, **kwargs: object) -> str:
        return self.route(path, static(body, **kwargs))  # type: ignore[arg-type]

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.route == path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        request = Request(
            h.command,
            h.path,
            {k.lower(): v for k, v in h.headers.items()},
            time.monotonic(),
            peer=h.client_address[1],
        )
        with self._lock:
            self.requests.append(request)
            self._active += 1
            self.max_active = max(self.max_active, self._active)
        try:
            handler = self.routes.get(request.route)
            reply = handler(request) if handler else Reply(404, b"not found", {})
            if reply.delay:
                time.sleep(reply.delay)
            h.send_response(reply.status)
            for name, value in reply.headers.items():
                h.send_header(name, value)
            if isinstance(reply.body, bytes):
                h.send_header("Content-Length", str(len(reply.body)))
                h.end_headers()
                if h.command != "HEAD":
                    h.wfile.write(reply.body)
            else:
                h.send_header("Connection", "close")
                h.end_headers()
                for pause, chunk in reply.body:
                    time.sleep(pause)
                    h.wfile.write(chunk)
                    h.wfile.flush()
                h.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        finally:
            request.finished = time.monotonic()
            with self._lock:
                self._active -= 1


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers (until closed)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        for conn in self._held:
            conn.close()
        self._sock.close()


def drip(data: bytes, every: float) -> Iterator[tuple[float, bytes]]:
    """One byte every `every` seconds."""
    for i in range(len(data)):
        yield every, data[i : i + 1]
