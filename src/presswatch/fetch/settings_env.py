"""The fetch settings a deployment sets through PRESSWATCH_* environment variables.

PRESSWATCH_ALLOW_NETWORKS   private ranges presswatch may fetch from ("loopback,10.0.0.0/8")
PRESSWATCH_USER_AGENT       the User-Agent sent with every request
PRESSWATCH_MAX_BYTES        the largest response read, decompressed: bytes, or "20MB", "512KB"
                            (KB, MB and GB count 1024s, like KiB, MiB and GiB)
PRESSWATCH_FETCH_DEADLINE   seconds one fetch may take in all, redirects included
PRESSWATCH_PER_HOST         requests in flight to one host at once

An unset or empty variable keeps the default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace

from presswatch.fetch.client import FetchSettings
from presswatch.fetch.safety import parse_policy

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?", re.IGNORECASE)
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*s?", re.IGNORECASE)


def fetch_settings_from_env(environ: Mapping[str, str] = os.environ) -> FetchSettings:
    """FetchSettings with whatever the environment sets; a ValueError naming the variable
    and an example when a value cannot be read."""
    settings = FetchSettings()

    def value(name: str) -> str | None:
        text = environ.get(name, "").strip()
        return text or None

    if (text := value("PRESSWATCH_ALLOW_NETWORKS")) is not None:
        try:
            settings = replace(settings, policy=parse_policy(text))
        except ValueError as exc:
            raise ValueError(f"PRESSWATCH_ALLOW_NETWORKS: {exc}") from None
    if (text := value("PRESSWATCH_USER_AGENT")) is not None:
        if not text.isprintable() or not text.isascii():
            raise ValueError(
                "PRESSWATCH_USER_AGENT must be one line of plain ASCII text, such as "
                "'presswatch (+https://example.org/contact)'"
            )
        settings = replace(settings, user_agent=text)
    if (text := value("PRESSWATCH_MAX_BYTES")) is not None:
        settings = replace(settings, max_bytes=_size("PRESSWATCH_MAX_BYTES", text))
    if (text := value("PRESSWATCH_FETCH_DEADLINE")) is not None:
        match = _SECONDS.fullmatch(text)
        if match is None or float(match.group(1)) <= 0:
            raise ValueError(
                f"PRESSWATCH_FETCH_DEADLINE must be a number of seconds above 0, such as 60, "
                f"not {text!r}"
            )
        settings = replace(settings, deadline=float(match.group(1)))
    if (text := value("PRESSWATCH_PER_HOST")) is not None:
        if not text.isdigit() or int(text) < 1:
            raise ValueError(
                f"PRESSWATCH_PER_HOST must be a whole number of requests, 1 or more, not {text!r}"
            )
        settings = replace(settings, per_host=int(text))
    return settings


def _size(name: str, text: str) -> int:
    match = _SIZE.fullmatch(text)
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()]) if match else 0
    if size < 1:
        raise ValueError(
            f"{name} must be a size above 0 in bytes or with a unit, such as 15728640 or "
            f"20MB, not {text!r}"
        )
    return size
