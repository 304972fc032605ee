"""A small corpus that exercises the query language: two outlets, two languages, accents,
Cyrillic, abbreviations, authors, dates across years and an undated article."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

SEED = Path(__file__).parent / "data" / "seed.txt"

# (title, text, author, date or None)
EURASIA = [
    (
        "CSTO peacekeepers land in Kazakhstan",
        "CSTO peacekeeping forces arrived in Almaty "
        "after President Tokayev asked the Collective Security Treaty Organization for help.",
        "Anna Petrova",
        "Thu, 06 Jan 2022 10:00:00 +0000",
    ),
    (
        "Kazakhstan unrest: what we know",
        "Protests in Kazakhstan spread to Almaty. The "
        "peacekeeping forces of the CSTO were deployed within days.",
        "John Smith",
        "Fri, 07 Jan 2022 12:30:00 +0000",
    ),
    (
        "Tokáev thanks allies",
        "Kassym-Jomart Tokáev thanked the CSTO and Vladimir Putin. "
        "Tokaev said the mission was over.",
        "Anna Petrova",
        "Thu, 13 Jan 2022 09:00:00 +0000",
    ),
    (
        "Kyrgyzstan and Tajikistan border clash",
        "Kyrgyzstan accused Tajikistan of shelling. "
        "The CSTO did not intervene, to the dismay of Bishkek.",
        "Aidar Bekov",
        "Sat, 17 Sep 2022 08:00:00 +0000",
    ),
    (
        "Armenia asks the CSTO for help",
        "Yerevan invoked article 4; the CSTO sent a fact-finding mission instead of peacekeepers.",
        "John Smith",
        "Wed, 14 Sep 2022 15:00:00 +0000",
    ),
    (
        "U.S. officials watch Central Asia",
        "U.S. officials said the deployment to Kazakhstan "
        "set a precedent. The U.S. State Department asked questions.",
        "Mary O'Neil",
        "Mon, 10 Jan 2022 18:00:00 +0000",
    ),
    (
        "Turkic states summit",
        "The Organization of Turkic States met in Samarkand; "
        "Kazakhstan and Kyrgyzstan attended. No word on the CSTO.",
        "Aidar Bekov",
        "Fri, 11 Nov 2022 11:00:00 +0000",
    ),
    (
        "Collective security in 2021",
        "A review of collective security arrangements: the "
        "Collective Security Treaty Organization held drills in Tajikistan.",
        "Anna Petrova",
        "Tue, 19 Oct 2021 07:45:00 +0000",
    ),
    (
        "Kazakhs return to work",
        "Kazakhs returned to work as the peacekeeping mission ended; Kazakhstani banks reopened.",
        "John Smith",
        "Tue, 18 Jan 2022 06:00:00 +0000",
    ),
    (
        "Undated note on the CSTO",
        "A note without a date about peacekeeping and the CSTO.",
        "",
        None,
    ),
    (
        "Peace talks, keeping hope",
        "Peace keeping is not peacekeeping; talks about peace and keeping calm in Kyrgyzstan.",
        "Mary O'Neil",
        "Sun, 02 Jan 2022 10:00:00 +0000",
    ),
    (
        "Drills near the border",
        "Russian and Kazakh troops held drills. CSTO officials "
        "watched; peacekeeping was not on the agenda.",
        "Aidar Bekov",
        "Mon, 05 Jun 2023 10:00:00 +0000",
    ),
]

RUSSIAN = [
    (
        "ОДКБ направила миротворцев в Казахстан",
        "Миротворцы ОДКБ прибыли в Алматы. Токаев поблагодарил союзников.",
        "Иван Ёлкин",
        "Thu, 06 Jan 2022 14:00:00 +0300",
    ),
    (
        "Ёлка и ОДКБ",
        "Заседание ОДКБ прошло в Москве; ёлка стояла в зале.",
        "Иван Ёлкин",
        "Sat, 25 Dec 2021 10:00:00 +0300",
    ),
    (
        "Кыргызстан и Таджикистан",
        "Пограничный конфликт; ОДКБ не вмешалась.",
        "Анна Петрова",
        "Sat, 17 Sep 2022 10:00:00 +0300",
    ),
]


def _rss(
    title: str, link: str, language: str, items: list[tuple[str, str, str, str | None]], slug: str
) -> str:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{escape(title)}</title><link>{link}</link><language>{language}</language>",
    ]
    for i, (t, body, author, date) in enumerate(items):
        parts.append("<item>")
        parts.append(f"<title>{escape(t)}</title><link>{link}{slug}/{i}/</link>")
        parts.append(f"<guid>{link}{slug}/{i}/</guid>")
        if date:
            parts.append(f"<pubDate>{date}</pubDate>")
        if author:
            parts.append(f"<dc:creator>{escape(author)}</dc:creator>")
        parts.append(f"<description>{escape(body)}</description></item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def write_corpus(folder: Path) -> list[Path]:
    """The seed feed plus two crafted feeds, as files to ingest."""
    folder.mkdir(parents=True, exist_ok=True)
    eurasia = folder / "eurasia.xml"
    eurasia.write_text(
        _rss("Eurasia Monitor", "https://eurasia-monitor.example/", "en", EURASIA, "news"),
        encoding="utf-8",
    )
    russian = folder / "vestnik.xml"
    russian.write_text(
        _rss("Вестник Евразии", "https://vestnik.example.ru/", "ru-RU", RUSSIAN, "novosti"),
        encoding="utf-8",
    )
    seed = folder / "seed.txt"
    seed.write_bytes(SEED.read_bytes())
    return [seed, eurasia, russian]
