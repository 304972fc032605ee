"""feedparser's own test feeds run through parse_feed (a copy lives in data/conformance).

Every file must come out as a ParsedFeed or one of our two errors, quickly. The
`agreement()` report (run this file as a script) translates feedparser's `Expect:` lines
about fields both parsers understand into checks on a feedparser-shaped view of our result.
"""

from __future__ import annotations

import ast
import re
import sys
import time
from pathlib import Path
from typing import Any

from presswatch.errors import FeedParseError, NotAFeedError
from presswatch.formats import parse_feed
from presswatch.types import ParsedFeed

ROOT = Path(__file__).parent / "data" / "conformance" / "feedparser"
FILES = sorted(p for p in ROOT.rglob("*") if p.suffix in (".xml", ".json"))
_HEADER = re.compile(rb"Header:\s*Content-type:\s*([^\r\n]+)", re.IGNORECASE)
_EXPECT = re.compile(r"Expect:\s*(.*?)\s*(?:-->|\n\s*Description:|\Z)", re.DOTALL)
ENTRY_KEYS = {
    "title", "link", "id", "guid", "published", "updated", "issued", "modified", "created",
    "author", "author_detail", "authors", "content", "summary", "description",
}  # fmt: skip
FEED_KEYS = {"title", "link", "updated", "modified", "subtitle", "tagline", "description"}
INNER_KEYS = {"name", "value"}
# what these folders test is URI resolution and sanitizing, done after parsing here
SKIPPED = {"sanitize", "base"}


def run(path: Path) -> ParsedFeed | Exception:
    data = path.read_bytes()
    header = _HEADER.search(data[:1000])
    content_type = header.group(1).decode().strip() if header else None
    try:
        return parse_feed(data, content_type=content_type)
    except (NotAFeedError, FeedParseError) as exc:
        return exc


def test_copy_is_complete() -> None:
    assert len(FILES) > 2000
    assert (ROOT / "LICENSE").is_file() and (ROOT / "README.md").is_file()


def test_every_file_parses_or_raises_our_errors_quickly() -> None:
    slow = []
    total = time.monotonic()
    for path in FILES:
        start = time.monotonic()
        result = run(path)
        if time.monotonic() - start > 2:
            slow.append(path.name)
        if isinstance(result, ParsedFeed):
            assert result.format, path
            assert len(repr(result)) < 1_000_000, path
    assert slow == []
    assert time.monotonic() - total < 60


def _view(feed: ParsedFeed) -> dict[str, Any]:
    import feedparser

    d = feedparser.FeedParserDict

    def entry(e: Any) -> Any:
        out = d()
        for key, value in (
            ("title", e.title),
            ("link", e.link),
            ("id", e.guid),
            ("published", e.published_raw),
            ("updated", e.updated_raw),
            ("summary", e.summary_html),
        ):
            if value is not None:
                out[key] = value
        if e.authors:
            out["author"] = e.authors[0]
            out["author_detail"] = d(name=e.authors[0])
            out["authors"] = [d(name=a) for a in e.authors]
        if e.content_html is not None:
            out["content"] = [d(value=e.content_html)]
        return out

    feed_view = d()
    for key, value in (
        ("title", feed.title),
        ("link", feed.link),
        ("updated", feed.updated_raw),
        ("subtitle", feed.description),
    ):
        if value is not None:
            feed_view[key] = value
    return {
        "bozo": bool(feed.problems),
        "feed": feed_view,
        "entries": [entry(e) for e in feed.entries],
    }


def _keys(node: ast.AST) -> list[tuple[str, list[str]]]:
    """Subscript chains rooted at feed/entries, as (root, [string keys])."""
    chains = []
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Subscript) or isinstance(
            getattr(sub, "_parent", None), ast.Subscript
        ):
            continue
        keys: list[str] = []
        cur: ast.AST = sub
        while isinstance(cur, ast.Subscript | ast.Attribute):
            if isinstance(cur, ast.Attribute):
                keys.append(cur.attr)
                cur = cur.value
                continue
            sl = cur.slice
            if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
                keys.append(sl.value)
            for child in ast.iter_child_nodes(cur):
                child._parent = cur  # type: ignore[attr-defined]
            cur = cur.value
        if isinstance(cur, ast.Name):
            chains.append((cur.id, keys[::-1]))
    return chains


def concerns_shared_fields(expect: str) -> bool:
    try:
        tree = ast.parse(expect, mode="eval")
    except SyntaxError:
        return False
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if not names <= {"bozo", "feed", "entries", "len", "True", "False", "None"}:
        return False
    chains = _keys(tree)
    if not chains:
        return False
    for root, keys in chains:
        allowed = ENTRY_KEYS if root == "entries" else FEED_KEYS
        if not keys or keys[0] not in allowed or not set(keys[1:]) <= INNER_KEYS:
            return False
    return True


def agreement() -> tuple[int, int, list[str]]:
    agree = total = 0
    disagreements = []
    for path in FILES:
        if SKIPPED & set(path.relative_to(ROOT).parts) or path.suffix != ".xml":
            continue
        m = _EXPECT.search(path.read_text("utf-8", errors="replace")[:3000])
        if not m or not concerns_shared_fields(m.group(1)):
            continue
        total += 1
        result = run(path)
        ok = False
        if isinstance(result, ParsedFeed):
            try:
                ok = bool(eval(m.group(1), {"__builtins__": {"len": len}}, _view(result)))
            except Exception:
                ok = False
        if ok:
            agree += 1
        else:
            disagreements.append(str(path.relative_to(ROOT)))
    return agree, total, disagreements


def test_agreement_with_feedparser_on_shared_fields() -> None:
    agree, total, _ = agreement()
    assert total > 300
    assert agree / total > 0.8


if __name__ == "__main__":
    agree, total, bad = agreement()
    if "-v" in sys.argv:
        print("\n".join(bad))
    print(f"agree {agree} of {total}")
