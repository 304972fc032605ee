"""Items per second of presswatch's parse_feed against feedparser on WordPress-style feeds.

Run: python benchmarks/parsers.py  (prints figures and the ratio; feedparser is the baseline).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1] / "src"))

import feedparser

from presswatch.formats.detect import parse_feed

WORDS = [
    "the",
    "minister",
    "said",
    "security",
    "alliance",
    "summit",
    "talks",
    "treaty",
    "border",
    "troops",
    "exercise",
    "government",
    "parliament",
    "economy",
    "sanctions",
    "pipeline",
    "election",
    "observers",
    "regional",
]


def wordpress_feed(items: int, words: int = 600, seed: int = 1) -> bytes:
    """A feed shaped like WordPress output: CDATA description and content:encoded, dc:creator."""
    rnd = random.Random(seed)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/">\n<channel>\n'
        "<title>Example &#8211; News</title>\n"
        '<atom:link href="https://example.org/feed/" rel="self" type="application/rss+xml" />\n'
        "<link>https://example.org</link>\n<description>News</description>\n"
        "<lastBuildDate>Mon, 01 Jan 2024 10:00:00 +0000</lastBuildDate>\n"
        "<language>en-US</language>\n"
        "<sy:updatePeriod>hourly</sy:updatePeriod>\n<sy:updateFrequency>1</sy:updateFrequency>\n"
        "<generator>https://wordpress.org/?v=6.4</generator>\n"
    ]
    for i in range(items):
        paras = []
        for _ in range(words // 60):
            paras.append("<p>" + " ".join(rnd.choice(WORDS) for _ in range(60)) + ".</p>")
        body = "\n".join(paras)
        out.append(
            f"<item>\n<title>Item {i} &#8211; summit talks</title>\n"
            f"<link>https://example.org/2024/01/01/item-{i}/</link>\n"
            f"<comments>https://example.org/2024/01/01/item-{i}/#respond</comments>\n"
            "<dc:creator><![CDATA[Jane Doe]]></dc:creator>\n"
            "<pubDate>Mon, 01 Jan 2024 09:00:00 +0000</pubDate>\n"
            "<category><![CDATA[Politics]]></category>\n<category><![CDATA[Europe]]></category>\n"
            f'<guid isPermaLink="false">https://example.org/?p={1000 + i}</guid>\n'
            f"<description><![CDATA[{paras[0][:300]} [&#8230;]]]></description>\n"
            f"<content:encoded><![CDATA[{body}]]></content:encoded>\n"
            f"<wfw:commentRss>https://example.org/2024/01/01/item-{i}/feed/</wfw:commentRss>\n"
            "<slash:comments>0</slash:comments>\n</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("utf-8")


def items_per_second(parse: object, data: bytes, items: int, min_seconds: float = 1.0) -> float:
    runs = 0
    start = time.perf_counter()
    while True:
        parse(data)  # type: ignore[operator]
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return runs * items / elapsed


def _feedparser(data: bytes) -> object:
    import io

    return feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)


def main() -> None:
    items = 50
    data = wordpress_feed(items)
    assert len(parse_feed(data).entries) == items
    ours = items_per_second(parse_feed, data, items)
    theirs = items_per_second(_feedparser, data, items)
    print(f"WordPress-style feed: {items} items, ~600 words each, {len(data) / 1024:.0f} KiB")
    print(f"presswatch parse_feed: {ours:10,.0f} items/s")
    print(f"feedparser (baseline): {theirs:10,.0f} items/s")
    print(f"ratio: {ours / theirs:.1f}x feedparser")


if __name__ == "__main__":
    main()
