"""WordPress-style RSS 2.0 feeds made up on the spot, for benchmarks.

Real feeds cannot ship in the repo at the sizes a benchmark needs (100,000 articles), so
this writes look-alikes of what WordPress serves: long `content:encoded` CDATA bodies in
<p> paragraphs, bylines and trailing source lines, categories, `dc:creator`, `sy:*`.
The prose is random words put into sentence shapes, seeded so every run reads the same
bytes and figures stay comparable between runs and machines.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["write_feed", "write_feeds"]


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_DET = _words("the the the a a a this that every no some one")
_ADJ = _words(
    "new old foreign national local regional economic political military public private "
    "early late major minor key senior former current annual strategic financial social "
    "legal official recent serious growing rising falling long short wide narrow strong "
    "weak quiet sudden broad urban rural northern southern eastern western central global "
    "domestic independent joint small large fresh bitter cautious controversial unexpected"
)
_NOUN = _words(
    "government minister president official report analyst market company bank court "
    "election vote policy law agreement treaty summit meeting council committee agency "
    "budget tax price rate inflation economy trade deal border region city village army "
    "troop force protest crowd leader party opposition campaign coalition parliament "
    "ministry statement interview investigation inquiry source document plan proposal "
    "decision crisis conflict war peace security energy oil gas pipeline sanction export "
    "import industry worker union strike farmer harvest drought flood storm school hospital "
    "doctor patient study researcher university network platform user data deadline week "
    "month year spokesman spokeswoman journalist newspaper broadcaster audience reform "
    "question answer problem solution risk threat pressure demand supply debt loan fund"
)
_PNOUN = _words(
    "Washington|Moscow|Beijing|Brussels|London|Paris|Berlin|Ankara|Tehran|Delhi|Tokyo|Kyiv|"
    "Warsaw|Cairo|Nairobi|Lagos|Brasilia|Ottawa|Canberra|Astana|Bishkek|Tashkent|Baku|"
    "Yerevan|Tbilisi|Minsk|Riga|Vilnius|Tallinn|Helsinki|Stockholm|Oslo|Madrid|Rome|Athens|"
    "NATO|the EU|the UN|the IMF|the World Bank|the Kremlin|the White House|the Pentagon",
    "|",
)
_VERB = _words(
    "said announced warned rejected approved criticised welcomed signed proposed denied "
    "confirmed reported described questioned blocked backed delayed expanded cut raised "
    "lowered ordered urged demanded promised launched ended opened closed reviewed "
    "challenged accepted discussed outlined suspended extended defended attacked praised "
    "noted argued suggested revealed claimed acknowledged dismissed"
)
_PREP = _words("in on at for with against after before during under over across into about")
_CONJ = _words("and but while because although as since so yet whereas")
_ADV = _words(
    "quickly sharply widely publicly privately reportedly largely partly increasingly "
    "already still again openly quietly formally finally"
)
_POSS = _words("government’s ministry’s country’s region’s party’s leader’s company’s city’s")
_FIRST = _words(
    "Anna Pepe Paul Maria John Elena Ahmed Li Sofia David Olga Carlos Fatima James Irina "
    "Kenji Amara Lucas Nadia Peter Rick Stephen Laura Tomas Yuki Omar Hana Ivan Grace Mehmet"
)
_LAST = _words(
    "Smith Escobar Robinson Lendman Rozoff Petrova Garcia Nguyen Kowalski Haddad Okafor "
    "Schmidt Rossi Tanaka Novak Silva Ivanova Murphy Chen Dubois Larsen Yilmaz Costa Weber"
)
_OUTLET = _words(
    "example-outlet.org globalwire.example newsdesk.example reporters-agency.net "
    "thedailyledger.example worldpress-review.org"
)
_CATEGORY = _words(
    "Politics|Economy|World|Europe|Asia|Africa|Americas|Middle East|Energy|Security|Analysis|"
    "Opinion|Interviews|Culture|Science|Technology|Climate|Trade|Diplomacy|Media",
    "|",
)
_TITLE_SHAPES = (
    "{P} and {Q} Clash Over {N}",
    "Why the {A} {N} Matters",
    "{P} {V} {A} {N}",
    "The {A} {N}: What Comes Next",
    "Inside the {N} That Shook {P}",
    "{A} {N} Tests {P}’s Patience",
)


class _Prose:
    """Sentence-shaped random text; every choice goes through one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def noun_phrase(self) -> list[str]:
        c = self.rng.choice
        roll = self.rng.random()
        if roll < 0.15:
            return [c(_PNOUN)]
        if roll < 0.25:
            return ["the", c(_POSS), c(_NOUN)]
        words = [c(_ADJ), c(_NOUN)] if roll < 0.6 else [c(_NOUN)]
        det = c(_DET)
        if det == "a" and words[0][0] in "aeio":
            det = "an"
        return [det, *words]

    def sentence(self) -> str:
        r = self.rng
        words = self.noun_phrase()
        if r.random() < 0.2:
            words.append(r.choice(_ADV))
        words.append(r.choice(_VERB))
        words += self.noun_phrase()
        for _ in range(r.randint(0, 2)):
            words.append(r.choice(_PREP))
            words += self.noun_phrase()
        if r.random() < 0.35:
            words.append(r.choice(_CONJ))
            words += self.noun_phrase()
            words.append(r.choice(_VERB))
            words += self.noun_phrase()
        if r.random() < 0.1:
            words.insert(len(words) // 2, f"{r.randint(2, 999)}")
        text = " ".join(words)
        if r.random() < 0.08:
            text = f"“{text[0].upper()}{text[1:]},” {r.choice(_FIRST)} {r.choice(_LAST)} said"
        return f"{text[0].upper()}{text[1:]}."

    def paragraphs(self, words: int) -> list[str]:
        out: list[str] = []
        count = 0
        while count < words:
            sentences = [self.sentence() for _ in range(self.rng.randint(2, 5))]
            para = " ".join(sentences)
            count += para.count(" ") + 1
            out.append(para)
        return out

    def title(self) -> str:
        c = self.rng.choice
        shape = c(_TITLE_SHAPES)
        places = [p.removeprefix("the ") for p in self.rng.sample(_PNOUN, 2)]
        return shape.format(
            P=places[0],
            Q=places[1],
            N=c(_NOUN).title(),
            A=c(_ADJ).title(),
            V=c(_VERB).title(),
        )


def _item(prose: _Prose, site: str, post_id: int, when: datetime, words: int) -> str:
    r = prose.rng
    title = prose.title()
    first, last = r.choice(_FIRST), r.choice(_LAST)
    paras = prose.paragraphs(words)
    if r.random() < 0.4:
        name = last.upper() if r.random() < 0.5 else last
        paras.insert(1 if r.random() < 0.5 else 0, f"By {first} {name}")
    if r.random() < 0.3:
        paras.append(r.choice(_OUTLET))
    slug = "-".join(title.lower().replace("’", "").replace(":", "").split())
    link = f"https://{site}/{when:%Y/%m/%d}/{slug}/"
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paras)
    lead = next(p for p in paras if not p.startswith("By "))
    excerpt = " ".join(lead.split()[:55])
    cats = "".join(
        f"\n\t\t<category><![CDATA[{cat}]]></category>"
        for cat in r.sample(_CATEGORY, r.randint(1, 4))
    )
    return f"""	<item>
		<title>{escape(title)}</title>
		<link>{link}</link>
		<comments>{link}#respond</comments>
		<dc:creator><![CDATA[{first} {last}]]></dc:creator>
		<pubDate>{format_datetime(when)}</pubDate>{cats}
		<guid isPermaLink="false">https://{site}/?p={post_id}</guid>
		<description><![CDATA[{escape(excerpt)} [&#8230;]]]></description>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<wfw:commentRss>{link}feed/</wfw:commentRss>
		<slash:comments>{r.randint(0, 40)}</slash:comments>
	</item>
"""


def write_feed(path: Path, number: int, items: int, words: int, rng: random.Random) -> Path:
    """One site's feed: host feedNNN.example, newest item first, as WordPress orders them."""
    prose = _Prose(rng)
    site = f"feed{number:03d}.example"
    newest = datetime(2024, 6, 1, tzinfo=UTC) - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
    head = f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>

<channel>
	<title>Feed {number} – {escape(prose.title())}</title>
	<atom:link href="https://{site}/feed/" rel="self" type="application/rss+xml" />
	<link>https://{site}</link>
	<description>{escape(prose.sentence())}</description>
	<lastBuildDate>{format_datetime(newest)}</lastBuildDate>
	<language>en-US</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<sy:updateFrequency>1</sy:updateFrequency>
	<generator>https://wordpress.org/?v=6.5.3</generator>
"""
    parts = [head]
    when = newest
    post_id = 10_000 + number * 1_000
    for _ in range(items):
        post_id += rng.randint(1, 9)
        parts.append(_item(prose, site, post_id, when, words))
        when -= timedelta(minutes=rng.randint(20, 60 * 36), seconds=rng.randint(0, 59))
    parts.append("</channel>\n</rss>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def write_feeds(
    folder: str | Path, feeds: int, items: int, words: int, seed: int = 1
) -> list[Path]:
    """Write `feeds` files feed000.xml… into `folder`; same arguments, same bytes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_feed(folder / f"feed{n:03d}.xml", n, items, words, random.Random(f"{seed}:{n}"))
        for n in range(feeds)
    ]
