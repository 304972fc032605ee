"""robots.txt rules for article pages (pure: text in, decisions out).

The rules follow RFC 9309 rather than urllib.robotparser, which differs in two ways that
matter for news sites: it takes the first rule that matches where the RFC takes the
longest ("Disallow: /" then "Allow: /news/" opens /news/ to everyone else but blocks it
there), and it reads "*" and "$" in paths literally ("Disallow: /*?s=" never matches).
Crawl-delay is not in the RFC but sites use it to ask for spacing, so it is read too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

__all__ = ["AGENT", "MAX_ROBOTS_CHARS", "Robots", "robots_from_status", "robots_url"]

AGENT = "presswatch"  # the product token robots.txt groups are matched against
MAX_ROBOTS_CHARS = 500 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB

_USER_AGENT_KEYS = frozenset({"user-agent", "useragent", "user agent"})
_ALLOW_KEYS = frozenset({"allow"})
_DISALLOW_KEYS = frozenset({"disallow", "dissallow", "dissalow", "disalow", "diasllow"})
_DELAY_KEYS = frozenset({"crawl-delay", "crawldelay", "crawl delay"})
_TOKEN = re.compile(r"[A-Za-z_-]+")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SAFE = "/?#[]@!$&'()*+,;=:%~"  # already meaningful in a URL: left as written


@dataclass(frozen=True, slots=True)
class Robots:
    """Parsed rules for one host, for one crawler (`agent`, matched case-insensitively).

    RFC 9309: a robots.txt that is missing or refused (any 4xx, 401 and 403 included)
    allows everything; a server error (5xx) or no answer at all disallows everything for
    now, and the caller tries again later. `disallow_all` records that second case.
    """

    text: str
    agent: str = AGENT
    disallow_all: bool = False

    def allows(self, url: str) -> bool:
        """May the page at `url` (an absolute URL or a path on this host) be fetched?
        An address that cannot be read is not."""
        if self.disallow_all:
            return False
        try:
            target = _target(url)
        except ValueError:
            return False
        if target == "/robots.txt":
            return True
        return _group(self.text, self.agent).allows(target)

    def crawl_delay(self) -> float | None:
        """Seconds the site asks between requests from this crawler, if it says."""
        if self.disallow_all:
            return None
        return _group(self.text, self.agent).delay


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    length: int  # how specific the rule is: the longest matching rule wins
    allow: bool


@dataclass(frozen=True, slots=True)
class _Group:
    rules: tuple[_Rule, ...] = ()
    delay: float | None = None

    def allows(self, target: str) -> bool:
        best: _Rule | None = None
        for rule in self.rules:
            if rule.pattern.match(target) is None:
                continue
            if (
                best is None
                or rule.length > best.length
                or (rule.length == best.length and rule.allow and not best.allow)
            ):
                best = rule
        return best is None or best.allow


_EVERYTHING = _Group()


def robots_url(url: str) -> str:
    """The robots.txt that governs `url`: scheme, host and port, path /robots.txt.

    Raises ValueError for anything but an http(s) URL with a host.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        raise ValueError(f"not a web address: {url!r}")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = 80 if scheme == "http" else 443
    netloc = host if port is None or port == default else f"{host}:{port}"
    return f"{scheme}://{netloc}/robots.txt"


def robots_from_status(status: int | None, text: str, agent: str = AGENT) -> Robots:
    """What a fetch of robots.txt means, from its final status (None: no answer).

    2xx: the rules in `text`. 3xx left after following redirects and 4xx (RFC 9309,
    including 401 and 403): no rules, everything allowed. 429 Too Many Requests, 5xx,
    anything else, or no answer: everything disallowed until a later fetch succeeds; the
    RFC allows all 4xx, but a site asking us to slow down is not one that lets us in.
    """
    if status is not None:
        if 200 <= status < 300:
            return Robots(text, agent)
        if 300 <= status < 500 and status != 429:
            return Robots("", agent)
    return Robots("", agent, disallow_all=True)


def _target(url: str) -> str:
    """The path and query a rule is matched against, in the same escaped form as rules."""
    if url.startswith("/"):
        path, _, query = url.partition("#")[0].partition("?")
    else:
        parts = urlsplit(url)
        path, query = parts.path, parts.query
    target = (path or "/") + (f"?{query}" if query else "")
    return _normalize(target)


def _normalize(path: str) -> str:
    """One spelling for equal paths: non-ASCII percent-encoded as UTF-8, escapes of
    unreserved characters decoded, other escapes in upper case."""
    path = quote(path, safe=_SAFE)
    return _ESCAPE.sub(_unescape, path) if "%" in path else path


def _unescape(m: re.Match[str]) -> str:
    char = chr(int(m.group(1), 16))
    return char if char in _UNRESERVED else f"%{m.group(1).upper()}"


def _compile(value: str) -> _Rule | None:
    value = _normalize(value.strip())
    if not value:
        return None
    anchored = value.endswith("$")
    body = value[:-1] if anchored else value
    regex = ".*".join(re.escape(piece) for piece in body.split("*"))
    return _Rule(re.compile(regex + (r"\Z" if anchored else ""), re.DOTALL), len(value), False)


@lru_cache(maxsize=64)
def _group(text: str, agent: str) -> _Group:
    """The rules for `agent`: every group naming it, merged, else every "*" group."""
    mine: list[_Rule] = []
    anyone: list[_Rule] = []
    mine_delay: float | None = None
    anyone_delay: float | None = None
    found_mine = found_anyone = False
    token = agent.strip().lower()

    agents: list[str] = []
    in_rules = False
    for raw in text[:MAX_ROBOTS_CHARS].lstrip("\ufeff").splitlines():
        line = raw.split("#", 1)[0]
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = " ".join(key.split()).lower()
        value = value.strip()
        if key in _USER_AGENT_KEYS:
            if in_rules:
                agents, in_rules = [], False
            m = _TOKEN.match(value)
            agents.append("*" if value.startswith("*") else (m.group(0).lower() if m else ""))
            continue
        if key not in _ALLOW_KEYS and key not in _DISALLOW_KEYS and key not in _DELAY_KEYS:
            continue  # sitemap and unknown lines neither start nor end a group
        if not agents:
            continue  # rules before any user-agent line belong to no group
        in_rules = True
        is_mine = token in agents
        is_anyone = "*" in agents
        found_mine |= is_mine
        found_anyone |= is_anyone
        if key in _DELAY_KEYS:
            delay = _delay(value)
            if delay is not None:
                if is_mine and mine_delay is None:
                    mine_delay = delay
                if is_anyone and anyone_delay is None:
                    anyone_delay = delay
            continue
        rule = _compile(value)
        if rule is None:
            continue  # "Disallow:" with nothing after it allows everything
        if key in _ALLOW_KEYS:
            rule = _Rule(rule.pattern, rule.length, True)
        if is_mine:
            mine.append(rule)
        if is_anyone:
            anyone.append(rule)
    if found_mine:
        return _Group(tuple(mine), mine_delay)
    if found_anyone:
        return _Group(tuple(anyone), anyone_delay)
    return _EVERYTHING


def _delay(value: str) -> float | None:
    try:
        delay = float(value)
    except ValueError:
        return None
    return delay if math.isfinite(delay) and delay >= 0 else None
