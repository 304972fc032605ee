"""The seed feed (a tag-stripped WordPress category feed about the CSTO) read exactly.

Runs on both backends: the same 10 articles with the same fields on SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from presswatch import open_archive

DATA = Path(__file__).parent / "data"
SEED_TXT = DATA / "seed.txt"
SEED_XML = DATA / "seed.xml"

BASE = "https://www.strategic-culture.org/news/"
EXPECTED = [
    # title, link path, published (UTC), guid, authors, republished_from
    (
        "After Kazakhstan, the Color Revolution Era Is Over",
        "2022/01/14/after-kazakhstan-color-revolution-era-over/",
        (2022, 1, 14, 15, 31, 7),
        "https://www.strategic-culture.org/?post_type=article&p=778770",
        ("Pepe Escobar",),
        "thecradle.co",
    ),
    (
        "The Worse the Better – How Twitter Views Kazakhstan",
        "2022/01/09/the-worse-the-better-how-twitter-views-kazakhstan/",
        (2022, 1, 9, 17, 0, 53),
        "https://www.strategic-culture.org/?post_type=article&p=777048",
        ("Paul Robinson",),
        "irrussianality.wordpress.com",
    ),
    (
        "Kazakh Chaos on Cue Ahead of Crunch Russia-U.S. Security Negotiations",
        "2022/01/07/kazakh-chaos-on-cue-ahead-of-crunch-russia-us-security-negotiations/",
        (2022, 1, 7, 20, 39, 4),
        "https://www.strategic-culture.org/?post_type=article&p=775444",
        (),
        None,
    ),
    (
        "Made-in-the-USA Kazakhstan Violence?",
        "2022/01/06/made-in-usa-kazakhstan-violence/",
        (2022, 1, 6, 17, 11, 2),
        "https://www.strategic-culture.org/?post_type=article&p=775415",
        ("Stephen Lendman",),
        "stephenlendman.org",
    ),
    (
        "Turkey Expanding Multinational Turkic Council to Counteract CSTO, SCO in "
        "‘Eurasian Continent’",
        "2021/06/29/turkey-expanding-multinational-turkic-council-to-counteract-csto-sco-"
        "in-eurasian-continent/",
        (2021, 6, 29, 12, 40, 23),
        "https://www.strategic-culture.org/?post_type=article&p=742716",
        ("Rick Rozoff",),
        "ANTI-BELLUM",
    ),
    (
        "China Joins Afghanistan, Pakistan, Tajikistan in Security Alliance",
        "2018/10/25/china-joins-afghanistan-pakistan-tajikistan-security-alliance/",
        (2018, 10, 25, 7, 55, 0),
        "https://strategic-culture.lo/news/2018/10/25/china-joins-afghanistan-pakistan-tajikistan-security-alliance/",
        (),
        None,
    ),
    (
        "Azerbaijan Mulls Cooperation with CSTO",
        "2018/08/28/azerbaijan-mulls-cooperation-with-csto/",
        (2018, 8, 28, 9, 55, 0),
        "https://strategic-culture.lo/news/2018/08/28/azerbaijan-mulls-cooperation-with-csto/",
        (),
        None,
    ),
    (
        "CSTO Goes Through Reform to Reflect Its Growing International Clout",
        "2018/08/25/csto-goes-through-reform-reflect-growing-international-clout/",
        (2018, 8, 25, 11, 41, 16),
        "https://strategic-culture.lo/news/2018/08/25/csto-goes-through-reform-reflect-growing-international-clout/",
        (),
        None,
    ),
    (
        "ISIS in Afghanistan: Central Asia Faces Risk of Spillover",
        "2018/07/26/isis-afghanistan-central-asia-faces-risk-spillover/",
        (2018, 7, 26, 9, 55, 0),
        "https://strategic-culture.lo/news/2018/07/26/isis-afghanistan-central-asia-faces-risk-spillover/",
        (),
        None,
    ),
    (
        "CSTO Sets Up Peacekeeping Force",
        "2018/02/11/csto-sets-up-peacekeeping-force/",
        (2018, 2, 11, 8, 45, 0),
        "https://strategic-culture.lo/news/2018/02/11/csto-sets-up-peacekeeping-force/",
        (),
        None,
    ),
]


@pytest.fixture
def archive(archive_target: str):
    with open_archive(archive_target) as a:
        yield a


def test_seed_gives_exactly_its_ten_articles(archive) -> None:
    [report] = archive.ingest([str(SEED_TXT)])
    assert report.status == "ok", report.error
    assert report.feed_title == "CSTO – Strategic Culture Foundation"
    assert (report.counts.new, report.counts.updated, report.counts.skipped) == (10, 0, 0)

    got = list(archive.articles())
    assert len(got) == 10
    for article, (title, path, when, guid, authors, republished) in zip(got, EXPECTED, strict=True):
        assert article.title == title
        assert article.url == BASE + path
        assert article.published == datetime(*when, tzinfo=UTC)
        assert article.guid == guid
        assert article.authors == authors
        assert article.republished_from == republished
        assert article.source == "CSTO – Strategic Culture Foundation"
        assert article.language == "en-US"


def test_bylines_and_source_lines_leave_the_text(archive) -> None:
    archive.ingest([str(SEED_TXT)])
    by_title = {a.title: a for a in archive.articles()}
    escobar = by_title[EXPECTED[0][0]]
    assert "ESCOBAR" not in escobar.text
    assert not escobar.text.rstrip().endswith("thecradle.co")
    assert escobar.text.startswith("What happened in Kazakhstan increasingly looks like")
    assert escobar.summary.startswith("What happened in Kazakhstan")
    assert "\n\nThe year 2022 started with Kazakhstan on fire" in escobar.text
    assert escobar.text.rstrip().endswith("Beware the rage of a humiliated Empire.")
    robinson = by_title[EXPECTED[1][0]]
    assert robinson.text.startswith("Various commentators have suggested")
    rozoff = by_title[EXPECTED[4][0]]
    assert "ANTI-BELLUM" not in rozoff.text


def test_reingest_adds_nothing(archive, tmp_path: Path) -> None:
    archive.ingest([str(SEED_TXT)])
    before = {a.id: (a.key, a.title, a.text) for a in archive.store.iter_articles()}
    copy = tmp_path / "copy-of-seed.txt"
    shutil.copy(SEED_TXT, copy)
    reports = archive.ingest([str(SEED_TXT), str(copy)])
    for report in reports:
        assert report.status == "ok"
        assert (report.counts.new, report.counts.updated, report.counts.unchanged) == (0, 0, 10)
    after = {a.id: (a.key, a.title, a.text) for a in archive.store.iter_articles()}
    assert after == before


def test_xml_form_gives_the_same_articles(archive) -> None:
    archive.ingest([str(SEED_TXT)])
    before = {a.id: a for a in archive.articles()}
    [report] = archive.ingest([str(SEED_XML)])
    assert report.status == "ok", report.error
    assert (report.counts.new, report.counts.updated, report.counts.unchanged) == (0, 0, 10)
    after = {a.id: a for a in archive.articles()}
    assert after.keys() == before.keys()
    for article_id, article in after.items():
        old = before[article_id]
        assert (
            article.title,
            article.url,
            article.published,
            article.guid,
            article.authors,
            article.republished_from,
            article.text,
            article.summary,
        ) == (
            old.title,
            old.url,
            old.published,
            old.guid,
            old.authors,
            old.republished_from,
            old.text,
            old.summary,
        )
    [source_a, source_b] = sorted(archive.sources(), key=lambda s: s.location)
    assert source_a.feed_title == source_b.feed_title


def test_xml_form_alone_matches_expectations(archive) -> None:
    archive.ingest([str(SEED_XML)])
    got = list(archive.articles())
    assert [a.title for a in got] == [e[0] for e in EXPECTED]
    assert [a.authors for a in got] == [e[4] for e in EXPECTED]
    assert [a.republished_from for a in got] == [e[5] for e in EXPECTED]


def test_changed_article_keeps_its_earlier_text(archive, tmp_path: Path) -> None:
    archive.ingest([str(SEED_XML)])
    [target] = [a for a in archive.articles() if a.title == EXPECTED[6][0]]
    edited = tmp_path / "edited.xml"
    edited.write_text(
        SEED_XML.read_text(encoding="utf-8").replace(
            "have recently entered the public discourse in Azerbaijan",
            "have lately entered the public debate in Azerbaijan",
        ),
        encoding="utf-8",
    )
    [report] = archive.ingest([str(edited)])
    assert (report.counts.new, report.counts.updated, report.counts.unchanged) == (0, 1, 9)
    detail = archive.article(target.id)
    assert "lately entered the public debate" in detail.article.text
    [revision] = detail.revisions
    assert "recently entered the public discourse" in revision.text
    assert archive.count() == 10
