"""What every response and every form carries: security headers and CSRF protection.

Headers: a strict Content-Security-Policy (scripts and styles only from our own static
files, nothing inline, no framing), nosniff and a same-origin referrer policy, on every
response unless the route set its own (raw documents are served sandboxed).

CSRF: a signed double-submit token. Each browser gets a random cookie; each form carries
HMAC(secret key, cookie) and every unsafe request must send it back (the form field
`csrf_token` or the `X-CSRF-Token` header). Another site can neither read the cookie nor
sign one of its own, so it cannot forge the field. The check is a dependency of the pages
router, so a new POST route is protected without remembering to.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from presswatch.errors import PresswatchError

CSRF_COOKIE = "presswatch_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class CsrfRejected(PresswatchError):
    """A form sent without the token this browser was given: refused, nothing changed."""


def sign(key: bytes, raw: str) -> str:
    return hmac.new(key, raw.encode("ascii"), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token to put in this page's forms (signed from the browser's cookie)."""
    key: bytes = request.app.state.settings.secret_key
    return sign(key, str(request.state.csrf_raw))


async def require_csrf(request: Request) -> None:
    """Refuse an unsafe request that does not carry this browser's signed token."""
    if request.method in SAFE_METHODS:
        return
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None:
        kind = request.headers.get("content-type", "")
        if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    raw = request.cookies.get(CSRF_COOKIE, "")
    expected = sign(request.app.state.settings.secret_key, raw) if _TOKEN.fullmatch(raw) else ""
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise CsrfRejected(
            "This form was sent without a valid security token (it may be older than the "
            "app's last restart, or come from another site). Nothing was changed: reload "
            "the page and send it again."
        )


class SecurityMiddleware:
    """Gives each browser its CSRF cookie and each response the security headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secure_cookie: bool = False,
        allowed_hosts: frozenset[str] | None = None,
    ) -> None:
        self.app = app
        self.secure_cookie = secure_cookie
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = {}
        host = ""
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookies.update(cookie_parser(value.decode("latin-1")))
            elif name == b"host":
                host = value.decode("latin-1")
        if self.allowed_hosts is not None and host_name(host) not in self.allowed_hosts:
            await unknown_host(send)
            return
        raw = cookies.get(CSRF_COOKIE, "")
        fresh = not _TOKEN.fullmatch(raw)
        if fresh:
            raw = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_raw"] = raw

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if fresh:
                    cookie = f"{CSRF_COOKIE}={raw}; Path=/; HttpOnly; SameSite=Lax"
                    headers.append(
                        "set-cookie", cookie + ("; Secure" if self.secure_cookie else "")
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(host: str) -> str:
    """The name in a Host header, without the port: "[::1]:8000" -> "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def unknown_host(send: Send) -> None:
    body = (
        b"presswatch does not answer to this host name. Open it by the address it was "
        b"started on (e.g. http://127.0.0.1:8000/), or set PRESSWATCH_BASE_URL to the "
        b"address it is published at.\n"
    )
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})
