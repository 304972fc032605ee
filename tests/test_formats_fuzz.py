"""Whatever bytes arrive, parsing ends in a feed or in one of our errors, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats import parse_feed

SEED_XML = (Path(__file__).parent / "data" / "seed.xml").read_bytes()


def _parses_or_refuses(data: bytes) -> None:
    try:
        feed = parse_feed(data)
    except (NotAFeedError, FeedParseError):
        return
    for entry in feed.entries:
        assert entry.title is None or "\x00" not in entry.title


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_random_bytes(data: bytes) -> None:
    _parses_or_refuses(data)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(SEED_XML)), st.binary(max_size=40))
def test_damaged_real_feed(cut: int, junk: bytes) -> None:
    """A real feed cut short or with junk spliced in: items before the damage survive."""
    _parses_or_refuses(SEED_XML[:cut] + junk + SEED_XML[cut + len(junk) :])


@settings(max_examples=150, deadline=None)
@given(
    st.text(max_size=200),
    st.sampled_from(["rss", "feed", "rdf:RDF", "channel", "item", "entry", "html"]),
)
def test_markup_shaped_text(text: str, root: str) -> None:
    doc = f"<?xml version='1.0'?><{root}><title>{text}</title><item>{text}</item></{root}>"
    _parses_or_refuses(doc.encode("utf-8", "surrogatepass"))
