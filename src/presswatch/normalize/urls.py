"""Canonical URLs, so one article reached through many spellings of its address has one key.

Feeds link the same story with tracking parameters, odd case, default ports, fragments and
relative paths; the archive must fold those together without ever merging two different
pages. The rules follow RFC 3986 normalization plus a list of known click-tracking
parameters, and never flip http/https (the identity form folds that instead).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

__all__ = ["canonical_url", "url_identity"]

_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "_ga",
        "_gl",
        "igshid",
        "ref_src",
        "ref_url",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
        "rb_clickid",
        "s_cid",
        "srsltid",
        "wt.mc_id",
        "cmpid",
    }
)
_TRACKING_PREFIXES = ("utm_", "hsa_")

# Characters kept literally (RFC 3986 unreserved + sub-delims + ":@/"); "?" is legal in a query.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SAFE_PATH = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_SAFE_QUERY = _SAFE_PATH | {"?"}
_HOST_OK = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_IPV6_OK = re.compile(r"\[[0-9a-f:.]+\]")
_STRIP = "".join(chr(c) for c in range(0x21)) + "\x7f"
_TAB_NL = str.maketrans("", "", "\t\n\r")
_DEFAULT_PORT = {"http": "80", "https": "443"}


def web_address(href: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) address with a host, or None. The feed: pseudo-scheme some
    sites and subscription lists use ("feed://host/x", "feed:https://host/x") is unwrapped;
    fragments are dropped."""
    if not href:
        return None
    low = href.lower()
    if low.startswith("feed://"):
        href = "http://" + href[len("feed://") :]
    elif low.startswith("feed:"):
        href = href[len("feed:") :]
    try:
        url = urljoin(base, href) if base else href
        url = url.split("#", 1)[0]
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Return the canonical http(s) form of `url`, or None when it is not a web address.

    Never raises: feeds carry every kind of garbage in their links, and a bad link must
    cost the article its URL, not the whole ingest.
    """
    if url is None:
        return None
    try:
        return _canonical(url, base)
    except (ValueError, UnicodeError):
        return None


def url_identity(canonical: str) -> str:
    """The canonical URL without scheme and leading "www.", so http/https and www flips meet."""
    rest = canonical
    for prefix in ("https://", "http://"):
        if rest[: len(prefix)].lower() == prefix:
            rest = rest[len(prefix) :]
            break
    if rest.startswith("www."):
        host_end = len(rest)
        for sep in "/?#":
            i = rest.find(sep)
            if i != -1:
                host_end = min(host_end, i)
        if "." in rest[4:host_end]:
            rest = rest[4:]
    return rest


# Already canonical but for dot segments: what nearly every feed links to.
_PLAIN = re.compile(r"(https?)://([a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(/[A-Za-z0-9._~/-]*)?")


def _canonical(url: str, base: str | None) -> str | None:
    url = _tidy(url)
    if not url:
        return None
    if base:
        base = _tidy(base)
    plain = _PLAIN.fullmatch(url)
    # urljoin keeps such a URL as it is, unless it raises on the base first.
    if plain and (not base or (base.isascii() and "[" not in base and "]" not in base)):
        return f"{plain[1]}://{plain[2]}{_remove_dot_segments(plain[3] or '/')}"
    if base:
        url = urljoin(base, url)
    scheme_end = url.find(":")
    if scheme_end == -1:
        return None
    scheme = url[:scheme_end].lower()
    if scheme not in _DEFAULT_PORT:
        return None
    rest = url[scheme_end + 1 :]
    query_at = rest.find("?")
    head, tail = (rest, "") if query_at == -1 else (rest[:query_at], rest[query_at:])
    rest = head.replace("\\", "/") + tail  # browsers read "\" as "/" in http(s) URLs
    parts = urlsplit(scheme + ":" + rest)
    host = _host(parts.netloc, scheme)
    if host is None:
        return None
    path = _remove_dot_segments(_fix_escapes(parts.path, _SAFE_PATH)) or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = _clean_query(parts.query)
    return f"{scheme}://{host}{path}{'?' + query if query else ''}"


def _tidy(url: str) -> str:
    url = url.strip(_STRIP)
    return url.translate(_TAB_NL) if "\t" in url or "\n" in url or "\r" in url else url


def _host(netloc: str, scheme: str) -> str | None:
    hostport = netloc.rpartition("@")[2]  # credentials never belong in an archive key
    port = ""
    if hostport.startswith("["):
        close = hostport.find("]")
        if close == -1:
            return None
        host, after = hostport[: close + 1].lower(), hostport[close + 1 :]
        if after:
            if not after.startswith(":"):
                return None
            port = after[1:]
        if not _IPV6_OK.fullmatch(host):
            return None
    else:
        raw_host, _, port = hostport.partition(":")
        ascii_host = _ascii_host(raw_host)
        if ascii_host is None:
            return None
        host = ascii_host
    if port:
        if not port.isascii() or not port.isdigit() or int(port) > 65535:
            return None
        port = str(int(port))
        if port == _DEFAULT_PORT[scheme]:
            port = ""
    return f"{host}:{port}" if port else host


def _ascii_host(host: str) -> str | None:
    host = host.lower().rstrip(".")
    if not host.isascii():
        labels = []
        for label in host.split("."):
            labels.append(label.encode("idna").decode("ascii") if not label.isascii() else label)
        host = ".".join(labels).lower()
    if not _HOST_OK.fullmatch(host):
        return None
    return host


def _fix_escapes(part: str, safe: frozenset[str]) -> str:
    """Uppercase escapes, decode unreserved ones, escape what may not appear literally."""
    if "%" not in part and all(ch in safe for ch in part):
        return part
    out = []
    i = 0
    n = len(part)
    while i < n:
        ch = part[i]
        if ch == "%" and i + 2 < n and part[i + 1] in _HEX and part[i + 2] in _HEX:
            decoded = chr(int(part[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else part[i : i + 3].upper())
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


_HEX = frozenset("0123456789ABCDEFabcdef")


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    segments = path.split("/")
    if not any(s in (".", "..") for s in segments):
        return path
    out: list[str] = []
    for seg in segments[1:] if path.startswith("/") else segments:
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/" + "/".join(out)


def _clean_query(query: str) -> str:
    if not query:
        return ""
    kept = []
    for param in _fix_escapes(query, _SAFE_QUERY).split("&"):
        if not param:
            continue
        key = param.partition("=")[0].lower()
        if key in _TRACKING_EXACT or key.startswith(_TRACKING_PREFIXES):
            continue
        kept.append(param)
    return "&".join(kept)
