"""The web app's settings, read once from the environment when the app is made.

- PRESSWATCH_BASE_URL (unset): the app's public address, e.g. https://news.example.org
  or http://127.0.0.1:8000/presswatch. The only source of absolute URLs (topic feeds,
  alerts); never taken from a request's Host header. Unset, pages use relative links.
- PRESSWATCH_API_READ (open): `open` lets anyone who reaches the app read the API;
  `token` asks for an API token to read too (writing always needs one).
- PRESSWATCH_SECRET_KEY (random): signs the forms' CSRF tokens, 16 characters or more.
  Unset, a random key is made per process, so a restart asks open forms to be reloaded.
- PRESSWATCH_WEB_CACHE_SECONDS (30): how long search results, facets, timelines and
  their charts, top lists and the dashboard's sections are kept (web/recent.py); 0
  computes them at every request. A change made through the app drops them at once.
- PRESSWATCH_WEB_ENRICH (1): `presswatch serve` enriches due articles in the background;
  0 leaves that to `presswatch enrich`.

Bad values stop the app at start with a message naming the variable, rather than a
request failing later.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlsplit

from presswatch.errors import UsageError

ApiRead = Literal["open", "token"]


@dataclass(frozen=True, slots=True)
class WebSettings:
    base_url: str | None = None
    """Without a trailing slash; None when unset (pages then use relative links only)."""
    api_read: ApiRead = "open"
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    enrich_in_background: bool = True
    cache_seconds: float = 30.0
    allowed_hosts: frozenset[str] | None = None
    """Host names requests may carry (None: any). `presswatch serve` sets it, so a page
    on another site whose name is made to resolve to 127.0.0.1 (DNS rebinding) cannot
    read the app as if it were its own."""

    def with_listening_host(self, host: str) -> WebSettings:
        """These settings with the hosts a server listening on `host` answers to: the
        loopback names, that address and the base URL's host. Listening on every
        address (0.0.0.0) without a base URL, any host is answered."""
        wildcard = host in ("0.0.0.0", "::", "")
        if wildcard and self.base_url is None:
            return replace(self, allowed_hosts=None)
        hosts = {"127.0.0.1", "localhost", "::1"}
        if not wildcard:
            hosts.add(host.strip("[]").lower())
        if self.base_url is not None:
            hosts.add((urlsplit(self.base_url).hostname or "").lower())
        return replace(self, allowed_hosts=frozenset(hosts))

    def absolute(self, path: str) -> str | None:
        """`path` (starting with /) under the configured base URL, or None without one."""
        if self.base_url is None:
            return None
        return self.base_url + path


def load_settings(environ: Mapping[str, str] | None = None) -> WebSettings:
    env = os.environ if environ is None else environ
    base = env.get("PRESSWATCH_BASE_URL", "").strip() or None
    if base is not None:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise UsageError(
                f"PRESSWATCH_BASE_URL={base!r} is not a web address: write it as "
                "https://news.example.org or http://127.0.0.1:8000/presswatch"
            )
        base = base.rstrip("/")
    read = env.get("PRESSWATCH_API_READ", "open").strip().lower() or "open"
    if read not in ("open", "token"):
        raise UsageError(f"PRESSWATCH_API_READ must be open or token, not {read!r}")
    key = env.get("PRESSWATCH_SECRET_KEY", "")
    if key and len(key) < 16:
        raise UsageError(
            "PRESSWATCH_SECRET_KEY is too short to sign forms: use 16 characters or more"
        )
    enrich = env.get("PRESSWATCH_WEB_ENRICH", "1").strip().lower()
    if enrich not in ("1", "0", "true", "false", "yes", "no", ""):
        raise UsageError(f"PRESSWATCH_WEB_ENRICH must be 1 or 0, not {enrich!r}")
    cache = env.get("PRESSWATCH_WEB_CACHE_SECONDS", "30").strip() or "30"
    try:
        cache_seconds = float(cache)
    except ValueError:
        cache_seconds = -1.0
    if not 0 <= cache_seconds <= 86_400:
        raise UsageError(
            f"PRESSWATCH_WEB_CACHE_SECONDS must be seconds (0 to 86400), not {cache!r}"
        )
    return WebSettings(
        base_url=base,
        api_read="token" if read == "token" else "open",
        secret_key=key.encode() if key else secrets.token_bytes(32),
        enrich_in_background=enrich not in ("0", "false", "no"),
        cache_seconds=cache_seconds,
    )
