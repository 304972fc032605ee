"""A real webhook receiver on 127.0.0.1 for the alert tests: checks each delivery's
HMAC signature the way a user's receiver would, and can fail on purpose (N times, then
succeed) or hold a request open (to stop presswatch in the middle of a POST).
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from presswatch.publish.alerts import verify_signature


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]  # lowercase names
    body: bytes
    signed: bool  # the signature matched the receiver's secret
    answered: int

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, secret: str, *, fail_first: int = 0, fail_status: int = 500) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.retry_after: str | None = None
        self.deliveries: list[Delivery] = []
        self.received = threading.Event()  # set at each request, before answering
        self.hold: threading.Event | None = None  # when set by a test: wait for it to answer
        self._lock = threading.Lock()
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once, as real servers do

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    super().handle()

            def do_POST(self) -> None:
                receiver._serve(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def signed_payloads(self) -> list[Any]:
        return [d.payload for d in self.deliveries if d.signed and 200 <= d.answered < 300]

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length)
        headers = {k.lower(): v for k, v in h.headers.items()}
        signed = verify_signature(self.secret, body, headers.get("x-presswatch-signature"))
        with self._lock:
            failing = len(self.deliveries) < self.fail_first
            status = 401 if not signed else (self.fail_status if failing else 200)
            self.deliveries.append(Delivery(h.path, headers, body, signed, status))
        self.received.set()
        if self.hold is not None:
            self.hold.wait(30)
        reply = b"ok" if status == 200 else b"receiver is down for maintenance"
        h.send_response(status)
        if status != 200 and self.retry_after is not None:
            h.send_header("Retry-After", self.retry_after)
        h.send_header("Content-Length", str(len(reply)))
        h.end_headers()
        h.wfile.write(reply)
