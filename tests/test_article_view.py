"""What a reader is shown of one article (Archive.article_view), on SQLite and PostgreSQL:
the seed and two crafted feeds (one Russian) plus a reprint of a seed article, before and
after enrichment. Offsets must land on the very words in the text returned."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import BACKENDS, archive_at
from presswatch import open_archive
from presswatch.archive import Archive
from presswatch.enrich.article_view import ArticleView, article_view_json
from presswatch.errors import UsageError
from presswatch.store.records import PageRecord
from search_corpus import EURASIA, _rss, write_corpus

ESCOBAR = "After Kazakhstan, the Color Revolution Era Is Over"
REPRINTS = "Eurasia Reprints"


@dataclass
class Built:
    archive: Archive
    before: dict[int, ArticleView]  # every article's view before enrichment
    feeds: Path


def _reprint(archive: Archive, folder: Path) -> Path:
    """A second outlet carrying the Escobar article: new headline, first paragraph cut,
    its own boilerplate added."""
    original = next(a for a in archive.articles() if a.title == ESCOBAR)
    body = original.text.split("\n\n", 1)[1]
    body += "\n\nSubscribe to Eurasia Reprints for more analysis from around the region."
    path = folder / "reprints.xml"
    item = ("Escobar: the colour revolution era is over", body, "", "Sat, 15 Jan 2022 09:00 +0000")
    path.write_text(
        _rss(REPRINTS, "https://reprints.example/", "en", [item], "story"), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("views")
    files = write_corpus(folder / "feeds")
    with archive_at(request.param, folder) as target, open_archive(target) as archive:
        reports = archive.ingest([str(f) for f in files])
        reports += archive.ingest([str(_reprint(archive, folder / "feeds"))])
        assert all(r.status == "ok" for r in reports), reports
        before = {a.id: archive.article_view(a.id) for a in archive.articles()}
        archive.enrich()
        yield Built(archive, before, folder / "feeds")


def _by_title(archive: Archive, title: str) -> int:
    return next(a.id for a in archive.articles() if a.title == title)


def _lines_up(view: ArticleView) -> None:
    for m in view.mentions:
        assert m.text and view.text[m.start : m.end] == m.text, m
    for q in view.quotes:
        assert q.text and view.text[q.start : q.end] == q.text, q
    assert sum(e.mentions for e in view.entities) == len(view.mentions)
    assert {(m.name, m.kind) for m in view.mentions} == {(e.name, e.kind) for e in view.entities}


def test_before_enrichment_every_article_is_pending(built: Built) -> None:
    archive = built.archive
    for article_id, view in built.before.items():
        stored = archive.article(article_id).article
        assert view.status == "pending" and "presswatch enrich" in (view.reason or "")
        assert view.language is None and view.declared_language == stored.language
        assert not (view.entities or view.mentions or view.quotes or view.key_phrases)
        assert view.text == stored.shown_text
    declared = {v.declared_language for v in built.before.values()}
    assert declared == {"en-US", "en", "ru-RU"}


def test_the_seed_article_as_a_reader_sees_it(built: Built) -> None:
    view = built.archive.article_view(_by_title(built.archive, ESCOBAR))
    assert (view.status, view.reason) == ("analysed", None)
    assert (view.language, view.declared_language) == ("en", "en-US")
    assert view.detail.article.title == ESCOBAR
    _lines_up(view)
    kinds = {e.name: e.kind for e in view.entities}
    assert kinds["Collective Security Treaty Organization"] == "organization"
    assert kinds["Kassym-Jomart Tokayev"] == "person"
    assert kinds["Vladimir Putin"] == "person"
    assert kinds["Kazakhstan"] == "place"
    everywhere = [
        m for a in built.archive.articles() for m in built.archive.article_view(a.id).mentions
    ]
    names = {m.name for m in everywhere if m.text == "CSTO"}
    assert names == {"Collective Security Treaty Organization"}  # the acronym, resolved
    said = {q.text: q.speaker for q in view.quotes}
    assert said["it was necessary to react without delay."] == "Vladimir Putin"
    assert "Kazakhstan" in view.key_phrases


def test_every_offset_lines_up_with_the_text_returned(built: Built) -> None:
    archive = built.archive
    analysed = 0
    for article in archive.articles():
        view = archive.article_view(article.id)
        _lines_up(view)
        analysed += view.status == "analysed"
    assert analysed >= 10 + len(EURASIA) - 1  # every English article (one may be too short)


def test_a_russian_article_is_not_analysed_and_says_why(built: Built) -> None:
    archive = built.archive
    russian = [a for a in archive.articles() if a.language == "ru-RU"]
    assert len(russian) == 3
    for article in russian:
        view = archive.article_view(article.id)
        assert (view.status, view.language, view.declared_language) == (
            "not analysed",
            "ru",
            "ru-RU",
        )
        assert "Russian" in (view.reason or "") and "English" in (view.reason or "")
        assert not (view.entities or view.mentions or view.quotes or view.key_phrases)
        assert view.text == article.text


def test_a_reprint_in_another_outlet_is_listed_as_a_copy(built: Built) -> None:
    archive = built.archive
    original, reprint = (
        _by_title(archive, ESCOBAR),
        next(a.id for a in archive.articles() if a.source == REPRINTS),
    )
    view = archive.article_view(original)
    assert view.role == "original"
    [copy] = view.copies
    assert (copy.article_id, copy.source, copy.role) == (reprint, REPRINTS, "copy")
    assert copy.containment > 0.95 and 0.8 < copy.overlap < 1.0
    assert copy.published == datetime(2022, 1, 15, 9, tzinfo=UTC)
    back = archive.article_view(reprint)
    assert back.role == "copy"
    assert [(c.article_id, c.role) for c in back.copies] == [(original, "original")]
    assert back.copies[0].overlap == pytest.approx(copy.overlap)
    lone = archive.article_view(_by_title(archive, "Turkic states summit"))
    assert lone.copies == () and lone.role is None


def test_a_listing_reads_the_same_as_one_article_at_a_time(built: Built) -> None:
    archive = built.archive
    ids = [a.id for a in archive.articles()]
    many = archive.article_enrichments([*ids, 999_999])
    assert sorted(many) == sorted(ids)
    for article_id in ids:
        one = archive.article_view(article_id)
        assert article_view_json(many[article_id]) == article_view_json(one)


def test_json_carries_the_view(built: Built) -> None:
    view = built.archive.article_view(_by_title(built.archive, ESCOBAR))
    record = article_view_json(view)
    assert record["language"] == "en" and record["declared_language"] == "en-US"
    assert record["analysis"] == {"status": "analysed", "reason": None}
    text = record["text"]
    for m in record["mentions"]:
        assert text[m["start"] : m["end"]] == m["text"]
    for q in record["quotes"]:
        assert text[q["start"] : q["end"]] == q["text"]
    putin = next(e for e in record["entities"] if e["name"] == "Vladimir Putin")
    assert putin["kind"] == "person" and putin["mentions"] >= 3
    assert record["syndication_role"] == "original"
    [copy] = record["copies"]
    assert copy["source"] == REPRINTS and copy["role"] == "copy"
    assert copy["published"] == "2022-01-15T09:00:00Z" and copy["containment"] > 0.95


def test_a_page_read_after_the_analysis_keeps_the_offsets_on_the_text_analysed(
    built: Built,
) -> None:
    archive = built.archive
    article_id = _by_title(archive, "Kazakhstan unrest: what we know")
    before = archive.article_view(article_id)
    assert before.text_from == "feed" and before.mentions
    page = "Menu | Login\n\n" + before.text + "\n\nMore from Eurasia Monitor: Almaty, CSTO."
    archive.store.save_page(
        article_id,
        PageRecord(
            url="https://eurasia-monitor.example/news/1/",
            fetched_at=datetime(2022, 1, 8, tzinfo=UTC),
            status="ok",
            text=page,
        ),
    )
    assert archive.article(article_id).article.shown_text == page
    after = archive.article_view(article_id)
    assert after.text_from == "feed" and after.text == before.text
    assert after.mentions == before.mentions
    _lines_up(after)


def test_changed_text_is_pending_until_analysed_again(built: Built) -> None:
    archive = built.archive
    changed = [
        (t, "Breaking: " + body if t.startswith("Tokáev") else body, who, when)
        for t, body, who, when in EURASIA
    ]
    path = built.feeds / "eurasia-changed.xml"
    path.write_text(
        _rss("Eurasia Monitor", "https://eurasia-monitor.example/", "en", changed, "news"),
        encoding="utf-8",
    )
    [report] = archive.ingest([str(path)])
    assert report.counts.updated == 1
    article_id = _by_title(archive, "Tokáev thanks allies")
    view = archive.article_view(article_id)
    assert view.status == "pending" and "changed" in (view.reason or "")
    _lines_up(view)  # spans that no longer land on their words are left out
    archive.enrich()
    again = archive.article_view(article_id)
    assert again.status == "analysed" and again.text.startswith("Breaking: ")
    _lines_up(again)
    assert any(m.text == "Tokaev" for m in again.mentions)


def test_an_unknown_article_is_a_usage_error(built: Built) -> None:
    with pytest.raises(UsageError, match="no article with id 999999"):
        built.archive.article_view(999_999)
