"""Cost of each normalizer on a typical article, against the ingest budget.

Baseline: the ingest must reach 5,000 articles/s on 2 cores, so every normalizer gets
at most 50 µs per call on a ~600-word WordPress-like article. Run:

    python benchmarks/normalize.py
"""

from __future__ import annotations

import random
import sys
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import nh3

try:
    import presswatch.normalize as norm
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import presswatch.normalize as norm

BUDGET_US = 50.0
WORDS = str.split(
    "the of and to in a is that for on with as was by it from at his an were are which this "
    "be or has had not have but its after first new also who their they been more one two "
    "Kazakhstan Russia CSTO Tokayev Eurasian security council government president forces "
    "intervention coup revolution protests Almaty Moscow Washington NATO integration"
)


def wordpress_article(words: int = 600, seed: int = 7) -> str:
    """HTML shaped like a WordPress content:encoded body: figures, links, entities, an embed."""
    rng = random.Random(seed)
    paragraphs = ['<p class="byline">By Pepe ESCOBAR</p>']
    written = 0
    while written < words:
        n = rng.randint(30, 70)
        text = " ".join(rng.choice(WORDS) for _ in range(n))
        cut = text.split(" ")
        cut[3] = f'<a href="/news/2022/01/{rng.randint(1, 99)}/story/?utm_source=rss">{cut[3]}</a>'
        cut[8] = f"<strong>{cut[8]}</strong>"
        cut[12] = f"&#8220;{cut[12]}&#8221; it&#8217;s"
        paragraphs.append(f'<p style="text-align: justify;">{" ".join(cut)}.</p>')
        written += n
        if len(paragraphs) == 4:
            paragraphs.append(
                '<figure class="wp-block-image size-large"><img loading="lazy" width="780" '
                'height="470" src="https://www.example.org/wp-content/uploads/2022/01/a.jpg" '
                'class="wp-image-778771" srcset="a-300.jpg 300w, a-768.jpg 768w" alt="">'
                "<figcaption>Caption &amp; credit</figcaption></figure>"
            )
        if len(paragraphs) == 7:
            paragraphs.append(
                '<blockquote class="twitter-tweet"><p lang="en">A tweet</p>&mdash; Someone '
                '<a href="https://twitter.com/x/status/1?ref_src=twsrc">Jan 7</a></blockquote>'
                '<script async src="https://platform.twitter.com/widgets.js"></script>'
            )
    paragraphs.append("<ul><li>One point</li><li>Another point</li></ul>")
    paragraphs.append("<p>thecradle.co</p>")
    return "\n".join(paragraphs)


def per_call_us(fn: Callable[[], object], number: int = 2000) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    html = wordpress_article()
    base = "https://www.strategic-culture.org/news/2022/01/14/after-kazakhstan/"
    sanitized = norm.sanitize_html(html, base)
    text = norm.html_to_text(sanitized)
    paragraphs = text.split("\n\n")
    now = datetime(2024, 1, 1, tzinfo=UTC)
    url = "HTTPS://WWW.Strategic-Culture.org:443/news/2022/01/14/after/?utm_source=rss&p=778770#c"
    cases: list[tuple[str, Callable[[], object]]] = [
        ("canonical_url", lambda: norm.canonical_url(url)),
        ("canonical_url (relative)", lambda: norm.canonical_url("../x/?fbclid=1", base)),
        ("url_identity", lambda: norm.url_identity("https://www.example.com/a?b=1")),
        ("parse_date RFC 822", lambda: norm.parse_date("Fri, 14 Jan 2022 15:31:07 +0000", now=now)),
        ("parse_date ISO 8601", lambda: norm.parse_date("2022-01-14T15:31:07+03:00", now=now)),
        (
            "parse_date broken/localized",
            lambda: norm.parse_date("пт, 14 января 2022 15:31", now=now),
        ),
        ("parse_date dateutil fallback", lambda: norm.parse_date("14/01/2022 3:31 PM", now=now)),
        ("nh3.clean defaults (floor)", lambda: nh3.clean(html)),
        ("sanitize_html (base url)", lambda: norm.sanitize_html(html, base)),
        ("sanitize_html (no base)", lambda: norm.sanitize_html(html)),
        ("html_to_text (sanitized)", lambda: norm.html_to_text(sanitized)),
        ("html_to_text (raw)", lambda: norm.html_to_text(html)),
        ("text_to_html", lambda: norm.text_to_html(text)),
        ("looks_like_html", lambda: norm.looks_like_html(text)),
        ("person_name", lambda: norm.person_name("By Pepe ESCOBAR,")),
        ("split_authors", lambda: norm.split_authors("ann@example.com (Ann LEE and Bob Roe)")),
        ("extract_byline", lambda: norm.extract_byline(paragraphs)),
        ("extract_source_line", lambda: norm.extract_source_line(paragraphs)),
    ]
    print(f"article: {len(text.split())} words, {len(html)} chars of HTML")
    print(f"baseline: budget {BUDGET_US:.0f} µs/call (5,000 articles/s on 2 cores)")
    print(f"{'function':32} {'µs/call':>9} {'of budget':>10}")
    total = 0.0
    for name, fn in cases:
        us = per_call_us(fn, number=500 if "html" in name else 2000)
        if not any(word in name for word in ("fallback", "floor", "no base", "raw")):
            total += us
        flag = "" if us <= BUDGET_US else "  OVER BUDGET"
        print(f"{name:32} {us:9.2f} {us / BUDGET_US:9.0%}{flag}")
    print(
        f"{'one article, typical path':32} {total:9.2f} µs  -> {1e6 / total:,.0f} articles/s/core"
    )


if __name__ == "__main__":
    main()
