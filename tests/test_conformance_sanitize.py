"""feedparser's 745 hostile-markup feeds, taken all the way through normalization: what
presswatch would render carries no script, no event handler and no dangerous URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats import parse_feed
from presswatch.normalize.article import feed_key, normalize_feed

SANITIZE = Path(__file__).parent / "data" / "conformance" / "feedparser" / "wellformed" / "sanitize"
DANGEROUS_URL = re.compile(r"^\s*(javascript|vbscript|data|livescript|mocha)\s*:", re.I)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "cite", "srcset"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _problems(html: str) -> list[str]:
    found = []
    for element in lxml.html.fragments_fromstring(f"<div>{html}</div>")[0].iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.lower() in {"script", "style", "iframe", "object", "embed", "applet", "meta"}:
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{name}=")
            if name.lower() in URL_ATTRIBUTES and DANGEROUS_URL.match(value):
                found.append(f"{name}={value[:30]}")
            if name.lower() == "style":
                found.append("style=")
    return found


def test_the_hostile_cases_are_all_here() -> None:
    assert len(list(SANITIZE.glob("*.xml"))) == 745


@pytest.mark.parametrize("path", sorted(SANITIZE.glob("*.xml")), ids=lambda p: p.stem)
def test_rendered_markup_is_safe(path: Path) -> None:
    try:
        feed = parse_feed(path.read_bytes())
    except (NotAFeedError, FeedParseError):
        return
    for article in normalize_feed(feed, feed_key(feed), now=NOW):
        for html in (article.content_html, article.summary):
            if html:
                assert _problems(html) == [], path.name
        assert not DANGEROUS_URL.match(article.url or "")
