"""Which addresses presswatch may connect to, in every spelling a URL host can take, and
the fetch settings read from the environment (pure: no network)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.fetch.safety import (
    AddressPolicy,
    embedded_ipv4,
    literal_address,
    parse_policy,
)
from presswatch.fetch.settings_env import fetch_settings_from_env

V4 = ipaddress.IPv4Address
DEFAULT = AddressPolicy()


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),  # WHATWG reads an empty hex number as 0
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("169.16689662", "169.254.169.254"),
        ("%31%32%37.0.0.1", "127.0.0.1"),
        ("１２７.０.０.１", "127.0.0.1"),  # full-width digits, as IDNA maps them
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("[fe80::1%25eth0]", "fe80::1"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
        ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
        ("[2606:4700::1111]", "2606:4700::1111"),
    ],
)
def test_literal_address_reads_every_spelling(host: str, expected: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "feeds.example.org.",
        "localhost",
        "1.2.3.4.5",
        "256.0.0.1",
        "1.16777216",
        "0x1g.0.0.1",
        "08.0.0.1",
        "1.2.3.-4",
        "1_0.0.0.1",
        "[not:an:address]",
        "",
    ],
)
def test_literal_address_leaves_names_to_dns(host: str) -> None:
    assert literal_address(host) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.255.254", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.255", "a carrier-grade NAT address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("0.0.0.0", "the unspecified address"),
        ("0.1.2.3", "a 'this network' address"),
        ("255.255.255.255", "the broadcast address"),
        ("240.0.0.1", "a reserved address"),
        ("192.0.0.8", "a reserved address"),
        ("192.88.99.1", "a reserved address"),
        ("192.0.2.1", "a documentation address"),
        ("198.51.100.7", "a documentation address"),
        ("203.0.113.9", "a documentation address"),
        ("198.18.0.1", "a benchmarking address"),
        ("::1", "a loopback address"),
        ("::", "the unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a unique-local address"),
        ("fd12:3456::1", "a unique-local address"),
        ("fec0::1", "a site-local address"),
        ("ff02::1", "a multicast address"),
        ("2001:db8::1", "a documentation address"),
        ("2001::1", "a reserved address"),  # Teredo
        ("100::1", "a reserved address"),
        ("::ffff:10.0.0.1", "a private address (10.0.0.1)"),
        ("::ffff:127.0.0.1", "a loopback address (127.0.0.1)"),
        ("::10.0.0.1", "a private address (10.0.0.1)"),
        ("64:ff9b::169.254.169.254", "a link-local address (169.254.169.254)"),
        ("2002:7f00:1::1", "a loopback address (127.0.0.1)"),
        ("2002:c0a8:101::", "a private address (192.168.1.1)"),
    ],
)
def test_default_policy_refuses_non_public_addresses(address: str, reason: str) -> None:
    assert DEFAULT.check(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "172.32.0.1",
        "172.15.255.255",
        "100.128.0.1",
        "100.63.255.255",
        "192.169.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::8.8.8.8",
        "2002:808:808::1",
    ],
)
def test_default_policy_allows_public_addresses(address: str) -> None:
    assert DEFAULT.check(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("allowance", "allowed", "still_refused"),
    [
        (
            "loopback",
            ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"],
            ["10.0.0.1", "0.0.0.0", "169.254.169.254"],
        ),
        (
            "private",
            ["10.0.0.1", "172.20.1.1", "192.168.0.10", "::ffff:192.168.0.10"],
            ["127.0.0.1", "100.64.0.1", "fd00::1"],
        ),
        ("link-local", ["169.254.169.254", "fe80::1"], ["10.0.0.1"]),
        ("cgnat", ["100.64.0.1"], ["10.0.0.1"]),
        ("unique-local", ["fd00::1", "fc00::5"], ["fe80::1", "fec0::1"]),
        ("10.1.0.0/16", ["10.1.2.3"], ["10.2.0.1", "127.0.0.1"]),
        ("224.0.0.0/4, fd00::/8", ["239.1.1.1", "fd00::2"], ["fc00::1"]),
        ("loopback,10.0.0.0/8", ["127.0.0.1", "10.9.9.9"], ["192.168.0.1"]),
    ],
)
def test_allowances_open_only_what_they_name(
    allowance: str, allowed: list[str], still_refused: list[str]
) -> None:
    policy = parse_policy(allowance)
    for address in allowed:
        assert policy.check(ipaddress.ip_address(address)) is None, address
    for address in still_refused:
        assert policy.check(ipaddress.ip_address(address)) is not None, address


def test_parse_policy_normalizes_and_defaults() -> None:
    assert parse_policy(None) == AddressPolicy()
    assert parse_policy("  ") == AddressPolicy()
    assert parse_policy("Loopback , 10.0.0.1/8 loopback").allow == ("loopback", "10.0.0.0/8")


@pytest.mark.parametrize("text", ["lo", "everything", "10.0.0.0/33", "10.0.0.0/8,intranet"])
def test_parse_policy_refuses_unknown_names_clearly(text: str) -> None:
    with pytest.raises(ValueError, match="loopback, private, link-local, cgnat, unique-local"):
        parse_policy(text)


def test_policy_built_directly_is_checked_too() -> None:
    with pytest.raises(ValueError, match="not a network"):
        AddressPolicy(allow=("bogus",))


# --- every spelling of a blocked IPv4 address is refused ---------------------------

BLOCKED_V4 = [
    ipaddress.IPv4Network(net)
    for net in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "192.0.2.0/24",
        "198.18.0.0/15",
    )
]


@st.composite
def blocked_ipv4(draw: st.DrawFn) -> V4:
    net = draw(st.sampled_from(BLOCKED_V4))
    return V4(int(net.network_address) + draw(st.integers(0, net.num_addresses - 1)))


@st.composite
def ipv4_spelling(draw: st.DrawFn, address: V4) -> str:
    """A way libc and browsers accept to write `address`: 1 to 4 parts (the last fills the
    remaining bytes), each decimal, octal or hex, maybe with a trailing dot."""
    count = draw(st.integers(1, 4))
    value = int(address)
    front = [(value >> (8 * (3 - i))) & 0xFF for i in range(count - 1)]
    last = value & ((1 << (8 * (5 - count))) - 1)
    parts = []
    for number in [*front, last]:
        style = draw(st.sampled_from(["dec", "oct", "hex", "HEX"]))
        if style == "dec":
            parts.append(str(number))
        elif style == "oct":
            parts.append("0" * draw(st.integers(1, 3)) + format(number, "o"))
        else:
            parts.append(
                ("0x" if style == "hex" else "0X") + format(number, "x" if style == "hex" else "X")
            )
    return ".".join(parts) + draw(st.sampled_from(["", "."]))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_every_spelling_of_a_blocked_ipv4_is_refused(data: st.DataObject) -> None:
    address = data.draw(blocked_ipv4())
    spelled = data.draw(ipv4_spelling(address))
    assert literal_address(spelled) == address
    assert DEFAULT.check(address) is not None
    if not spelled.endswith("."):  # libc reads the same spellings the same way
        assert socket.inet_aton(spelled) == address.packed


@settings(max_examples=300, deadline=None)
@given(blocked_ipv4(), st.sampled_from(["mapped", "mapped-hex", "compatible", "nat64", "6to4"]))
def test_ipv6_forms_carrying_a_blocked_ipv4_are_refused(address: V4, form: str) -> None:
    high, low = int(address) >> 16, int(address) & 0xFFFF
    spelled = {
        "mapped": f"[::ffff:{address}]",
        "mapped-hex": f"[::ffff:{high:x}:{low:x}]",
        "compatible": f"[::{high:x}:{low:x}]",
        "nat64": f"[64:ff9b::{address}]",
        "6to4": f"[2002:{high:x}:{low:x}::1]",
    }[form]
    parsed = literal_address(spelled)
    assert parsed is not None and parsed.version == 6
    if int(address) > 1 or form != "compatible":  # ::, ::1 are themselves
        assert embedded_ipv4(parsed) == address
    assert DEFAULT.check(parsed) is not None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789abcdefxX.", min_size=1, max_size=16))
def test_whatever_libc_reads_as_an_address_is_read_the_same(text: str) -> None:
    try:
        expected = V4(socket.inet_aton(text))
    except OSError:
        return
    assert literal_address(text) == expected


# Python may count these as global; presswatch refuses them as reserved (no feed lives there).
REFUSED_GLOBAL = [ipaddress.IPv4Network(n) for n in ("192.0.0.0/24", "192.88.99.0/24")]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_public_ipv4_is_allowed_in_any_spelling(value: int) -> None:
    address = V4(value)
    if not address.is_global or address.is_multicast or any(address in n for n in REFUSED_GLOBAL):
        return
    assert DEFAULT.check(address) is None
    assert literal_address(str(value)) == address
    assert DEFAULT.check(ipaddress.IPv6Address(f"::ffff:{address}")) is None


# --- the fetch settings from the environment ----------------------------------------


def test_settings_from_an_empty_environment_are_the_defaults() -> None:
    from presswatch.fetch.client import FetchSettings

    assert fetch_settings_from_env({}) == FetchSettings()
    assert fetch_settings_from_env({"PRESSWATCH_MAX_BYTES": " "}) == FetchSettings()


def test_settings_from_the_environment() -> None:
    settings = fetch_settings_from_env(
        {
            "PRESSWATCH_ALLOW_NETWORKS": "loopback,10.0.0.0/8",
            "PRESSWATCH_USER_AGENT": "archive-bot/1 (+https://example.org)",
            "PRESSWATCH_MAX_BYTES": "20MB",
            "PRESSWATCH_FETCH_DEADLINE": "90",
            "PRESSWATCH_PER_HOST": "4",
        }
    )
    assert settings.policy == parse_policy("loopback,10.0.0.0/8")
    assert settings.user_agent == "archive-bot/1 (+https://example.org)"
    assert settings.max_bytes == 20 * 1024 * 1024
    assert settings.deadline == 90.0
    assert settings.per_host == 4


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", 1 << 20),
        ("512KB", 512 << 10),
        ("512 kib", 512 << 10),
        ("1.5M", 3 << 19),
        ("2GiB", 2 << 30),
        ("100b", 100),
    ],
)
def test_max_bytes_takes_units(text: str, size: int) -> None:
    assert fetch_settings_from_env({"PRESSWATCH_MAX_BYTES": text}).max_bytes == size


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PRESSWATCH_MAX_BYTES", "lots", "PRESSWATCH_MAX_BYTES must be a size"),
        ("PRESSWATCH_MAX_BYTES", "0", "PRESSWATCH_MAX_BYTES must be a size"),
        ("PRESSWATCH_MAX_BYTES", "-5MB", "PRESSWATCH_MAX_BYTES must be a size"),
        ("PRESSWATCH_FETCH_DEADLINE", "soon", "PRESSWATCH_FETCH_DEADLINE must be a number"),
        ("PRESSWATCH_FETCH_DEADLINE", "0", "PRESSWATCH_FETCH_DEADLINE must be a number"),
        ("PRESSWATCH_PER_HOST", "0", "PRESSWATCH_PER_HOST must be a whole number"),
        ("PRESSWATCH_PER_HOST", "two", "PRESSWATCH_PER_HOST must be a whole number"),
        ("PRESSWATCH_ALLOW_NETWORKS", "intranet", "PRESSWATCH_ALLOW_NETWORKS: 'intranet'"),
        ("PRESSWATCH_USER_AGENT", "bot\r\nX-Evil: 1", "PRESSWATCH_USER_AGENT must be one line"),
    ],
)
def test_bad_environment_values_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fetch_settings_from_env({name: value})
