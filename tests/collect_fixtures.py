"""Feeds and pages for the collection tests, written as a real site would serve them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

BASE_DATE = datetime(2022, 1, 10, 12, 0, tzinfo=UTC)


def item(n: int, *, site: str, summary_only: bool = False, days_apart: float = 1.0) -> dict:
    when = BASE_DATE - timedelta(days=n * days_apart)
    body = " ".join(
        f"Paragraph {k} of story {n} on the CSTO summit in Almaty and collective security."
        for k in range(40)
    )
    return {
        "title": f"Story {n}: CSTO ministers meet",
        "link": f"{site}/news/story-{n}/",
        "guid": f"{site}/?p={1000 + n}",
        "date": format_datetime(when),
        "description": (
            f"Ministers of the CSTO met in Almaty for story {n} [&#8230;]"
            if summary_only
            else body[:200]
        ),
        "content": None if summary_only else f"<p>{body}</p>",
    }


def rss(
    items: list[dict],
    *,
    title: str = "Example News",
    link: str = "https://example.test/",
    generator: str | None = "https://wordpress.org/?v=6.4.2",
    extra: str = "",
) -> bytes:
    entries = []
    for it in items:
        content = (
            f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>"
            if it.get("content")
            else ""
        )
        entries.append(
            f"<item><title>{escape(it['title'])}</title><link>{escape(it['link'])}</link>"
            f'<guid isPermaLink="false">{escape(it["guid"])}</guid>'
            f"<pubDate>{it['date']}</pubDate>"
            f"<description>{escape(it['description'])}</description>{content}</item>"
        )
    gen = f"<generator>{escape(generator)}</generator>" if generator else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>News</description>{gen}{extra}{''.join(entries)}</channel></rss>"
    ).encode()


def article_page(n: int, *, title: str | None = None) -> bytes:
    paragraphs = "".join(
        f"<p>Full text paragraph {k} of story {n}: the Collective Security Treaty "
        f"Organization sent peacekeepers after Tokayev asked for help, officials said.</p>"
        for k in range(12)
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title or f'Story {n}'} | Example News</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world/'>World</a></nav>"
        f"<article><h1>{title or f'Story {n}'}</h1><p class='byline'>By Jane Roe</p>"
        f"{paragraphs}</article>"
        "<footer>Copyright Example News. All rights reserved.</footer></body></html>"
    ).encode()


def html_page(links: str = "", body: str = "<p>Welcome</p>") -> bytes:
    return (
        f"<!doctype html><html><head><title>Example News</title>{links}</head>"
        f"<body>{body}</body></html>"
    ).encode()
