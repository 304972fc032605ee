"""Which network addresses presswatch may connect to (pure).

A feed or a page can point anywhere, so a hostile one could make presswatch fetch from the
machine it runs on or the network behind it (cloud metadata at 169.254.169.254, an admin
page on 10.0.0.1). By default only public unicast addresses are allowed; an explicit
allowance names private ranges ("loopback", "private", "link-local", "cgnat",
"unique-local" or CIDRs like "10.1.0.0/16") that are then allowed too.

Hosts are read the way browsers and libc read them, because that is how they will be
connected to: 2130706433, 0x7f.1, 0177.0.0.1 and 127.1 are all 127.0.0.1. IPv6 forms that
carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedAddress(Exception):
    """Raised by the client's connector; carries a message for the analyst."""


# Names an allowance may use, and what each covers.
NAMED_RANGES: dict[str, tuple[str, ...]] = {
    "loopback": ("127.0.0.0/8", "::1/128"),
    "private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    "link-local": ("169.254.0.0/16", "fe80::/10"),
    "cgnat": ("100.64.0.0/10",),
    "unique-local": ("fc00::/7",),
}

# (range, kind, how an analyst reads it); the first match wins. Kinds that are keys of
# NAMED_RANGES can be allowed by name, the others only by an explicit CIDR.
_SPECIAL: tuple[tuple[str, str, str], ...] = (
    ("255.255.255.255/32", "broadcast", "the broadcast address"),
    ("0.0.0.0/32", "unspecified", "the unspecified address"),
    ("0.0.0.0/8", "this-network", "a 'this network' address"),
    ("127.0.0.0/8", "loopback", "a loopback address"),
    ("10.0.0.0/8", "private", "a private address"),
    ("172.16.0.0/12", "private", "a private address"),
    ("192.168.0.0/16", "private", "a private address"),
    ("169.254.0.0/16", "link-local", "a link-local address"),
    ("100.64.0.0/10", "cgnat", "a carrier-grade NAT address"),
    ("224.0.0.0/4", "multicast", "a multicast address"),
    ("240.0.0.0/4", "reserved", "a reserved address"),
    ("192.0.0.0/24", "reserved", "a reserved address"),
    ("192.88.99.0/24", "reserved", "a reserved address"),
    ("192.0.2.0/24", "documentation", "a documentation address"),
    ("198.51.100.0/24", "documentation", "a documentation address"),
    ("203.0.113.0/24", "documentation", "a documentation address"),
    ("198.18.0.0/15", "benchmark", "a benchmarking address"),
    ("::/128", "unspecified", "the unspecified address"),
    ("::1/128", "loopback", "a loopback address"),
    ("fc00::/7", "unique-local", "a unique-local address"),
    ("fe80::/10", "link-local", "a link-local address"),
    ("fec0::/10", "site-local", "a site-local address"),
    ("ff00::/8", "multicast", "a multicast address"),
    ("64:ff9b:1::/48", "reserved", "a reserved address"),
    ("2001:db8::/32", "documentation", "a documentation address"),
    ("3fff::/20", "documentation", "a documentation address"),
    ("2001::/23", "reserved", "a reserved address"),  # Teredo, ORCHID, AS112 and kin
)
_SPECIAL_NETS = tuple((ipaddress.ip_network(net), kind, label) for net, kind, label in _SPECIAL)
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.IPv6Network("2002::/16")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any:
    connecting to it reaches that IPv4 host, so it is judged as that host."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    bare = ipaddress.IPv6Address(int(address))
    if bare in _MAPPED or bare in _NAT64 or (bare in _COMPATIBLE and int(bare) > 1):
        return ipaddress.IPv4Address(int(bare) & 0xFFFFFFFF)
    if bare in _SIXTOFOUR:
        return ipaddress.IPv4Address((int(bare) >> 80) & 0xFFFFFFFF)
    return None


def classify(address: IPAddress) -> tuple[str, str, IPAddress] | None:
    """(kind, label, the address judged) for a non-public address; None for a public one.

    The address judged is the embedded IPv4 address for IPv6 forms that carry one."""
    judged: IPAddress = embedded_ipv4(address) or address
    if isinstance(judged, ipaddress.IPv6Address):
        judged = ipaddress.IPv6Address(int(judged))  # without a zone id
    for net, kind, label in _SPECIAL_NETS:
        if net.version == judged.version and judged in net:
            return kind, label, judged
    if isinstance(judged, ipaddress.IPv6Address) and judged not in _GLOBAL_UNICAST_V6:
        return "reserved", "a reserved address", judged
    return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    allow: tuple[str, ...] = ()  # named ranges or CIDRs allowed beyond the public internet
    _names: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())
    _networks: tuple[Network, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        names: set[str] = set()
        networks: list[Network] = []
        for item in self.allow:
            name = item.strip().lower()
            if name in NAMED_RANGES:
                names.add(name)
            else:
                networks.append(_network(item))
        object.__setattr__(self, "_names", frozenset(names))
        object.__setattr__(self, "_networks", tuple(networks))

    def check(self, address: IPAddress) -> str | None:
        """None when allowed, else why not: "a loopback address", or for an IPv6 form that
        carries an IPv4 address "a loopback address (127.0.0.1)"."""
        found = classify(address)
        if found is None:
            return None
        kind, label, judged = found
        if kind in self._names:
            return None
        for net in self._networks:
            for candidate in (address, judged):
                if net.version == candidate.version and candidate in net:
                    return None
        if judged.version != address.version:
            return f"{label} ({judged})"
        return label


def parse_policy(text: str | None) -> AddressPolicy:
    """From a setting such as "loopback,10.0.0.0/8"; a clear ValueError on unknown names."""
    items = [part for part in re.split(r"[\s,;]+", text or "") if part]
    allow: list[str] = []
    for item in items:
        name = item.lower()
        allow.append(name if name in NAMED_RANGES else str(_network(item)))
    return AddressPolicy(tuple(dict.fromkeys(allow)))


def _network(text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        names = ", ".join(NAMED_RANGES)
        raise ValueError(
            f"{text.strip()!r} is not a network presswatch knows; allow one of {names}, "
            "or a range such as 10.0.0.0/8 or fd00::/8"
        ) from None


_HEX = frozenset("0123456789abcdef")
_DEC = frozenset("0123456789")
_OCT = frozenset("01234567")


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host spells, in every form browsers and libc accept: dotted,
    decimal (2130706433), octal (0177.0.0.1), hex (0x7f.1), short (127.1), bracketed IPv6
    with or without a zone id, a trailing dot. IPv6 forms that carry an IPv4 address are
    returned as written; `check` judges them by the IPv4 address. None for a name that
    needs DNS."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        text = text.split("%", 1)[0]  # zone id, "%25eth0" in a URL or "%eth0"
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    text = unicodedata.normalize("NFKC", unquote(text)).replace("\u3002", ".").lower()
    if text.endswith(".") and len(text) > 1:
        text = text[:-1]
    return _ipv4(text)


def _ipv4(text: str) -> ipaddress.IPv4Address | None:
    """The WHATWG URL / inet_aton reading: one to four parts, each decimal, octal (leading
    0) or hex (0x); the last part fills the remaining bytes."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    *front, last = numbers
    if any(n > 255 for n in front) or last >= 256 ** (4 - len(front)):
        return None
    value = last
    for i, n in enumerate(front):
        value |= n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int | None:
    if part.startswith("0x"):
        digits, base, allowed = part[2:], 16, _HEX
        if not digits:
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base, allowed = part[1:], 8, _OCT
    else:
        digits, base, allowed = part, 10, _DEC
    if not digits or not set(digits) <= allowed:
        return None
    return int(digits, base)
