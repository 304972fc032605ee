from __future__ import annotations

import re
from pathlib import Path

import pytest

from presswatch.normalize import (
    extract_byline,
    extract_source_line,
    html_to_text,
    person_name,
    split_authors,
)

SEED = Path(__file__).parent / "data" / "seed.txt"
# The dump flattens each item's title, link, date and guid onto the line before its text.
_ITEM_HEAD = re.compile(
    r"https?://\S+ \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} https?://\S+ ?"
)


def seed_items() -> list[list[str]]:
    """The text paragraphs of each seed item, as html_to_text would give them."""
    items = []
    for chunk in re.split(r"^\]\]>$", SEED.read_text(encoding="utf-8"), flags=re.MULTILINE):
        head = _ITEM_HEAD.search(chunk)
        if head is None:
            continue
        items.append(html_to_text(chunk[head.end() :]).split("\n\n"))
    return items


# (authors, republished_from) per seed item, in file order.
SEED_EXPECTED = [
    (("Pepe Escobar",), "thecradle.co"),
    (("Paul Robinson",), "irrussianality.wordpress.com"),
    ((), None),
    (("Stephen Lendman",), "stephenlendman.org"),
    (("Rick Rozoff",), "ANTI-BELLUM"),
    ((), None),
    ((), None),
    ((), None),
    ((), None),
    ((), None),
]


def test_seed_has_the_expected_items() -> None:
    assert len(seed_items()) == len(SEED_EXPECTED)


@pytest.mark.parametrize(("index", "expected"), list(enumerate(SEED_EXPECTED)))
def test_seed_bylines_and_source_lines(
    index: int, expected: tuple[tuple[str, ...], str | None]
) -> None:
    paragraphs = seed_items()[index]
    authors, without_byline = extract_byline(paragraphs)
    source, without_source = extract_source_line(paragraphs)
    assert (authors, source) == expected
    if authors:
        assert len(without_byline) == len(paragraphs) - 1
        assert not any(p.startswith("By ") for p in without_byline[:3])
    else:
        assert without_byline == paragraphs
    if source:
        assert without_source == paragraphs[:-1]
    else:
        assert without_source == paragraphs


def test_seed_escobar_byline_is_second_paragraph() -> None:
    paragraphs = seed_items()[0]
    assert paragraphs[1] == "By Pepe ESCOBAR"
    _, rest = extract_byline(paragraphs)
    assert rest[0] == paragraphs[0] and rest[1] == paragraphs[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Pepe ESCOBAR", "Pepe Escobar"),
        ("Stephen LENDMAN", "Stephen Lendman"),
        ("Rick ROZOFF", "Rick Rozoff"),
        ("Paul McFaul", "Paul McFaul"),
        ("PAUL MCFAUL", "Paul McFaul"),
        ("Ursula von der Leyen", "Ursula von der Leyen"),
        ("URSULA VON DER LEYEN", "Ursula von der Leyen"),
        ("JEAN-LUC O'NEILL", "Jean-Luc O'Neill"),
        ("Jean-Luc O'Neill", "Jean-Luc O'Neill"),
        ("ANGUS MACDONALD", "Angus MacDonald"),
        ("ALEX MACHADO", "Alex Machado"),
        ("JOHN SMITH III", "John Smith III"),
        ("ИВАН ПЕТРОВ", "Иван Петров"),
        ("By Ann Lee", "Ann Lee"),
        ("  by   ANN    LEE.  ", "Ann Lee"),
        ("<b>Ann</b>", "Ann"),
        ("<b>Ann</b> <i>Lee</i>", "Ann Lee"),
        ("Ann Lee,", "Ann Lee"),
    ],
)
def test_person_name(raw: str, expected: str) -> None:
    assert person_name(raw) == expected


def test_person_name_never_returns_markup() -> None:
    assert "<" not in person_name("<script>x</script>Ann <img src=x onerror=y>")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann Lee and Bob Roe", ("Ann Lee", "Bob Roe")),
        ("Ann Lee, Bob Roe", ("Ann Lee", "Bob Roe")),
        ("Ann Lee, Bob Roe & Cy Doe", ("Ann Lee", "Bob Roe", "Cy Doe")),
        ("ann@example.com (Ann Lee)", ("Ann Lee",)),
        ("Ann Lee <ann@example.com>", ("Ann Lee",)),
        ("By Pepe ESCOBAR", ("Pepe Escobar",)),
        ("Ann Lee &amp; Bob Roe", ("Ann Lee", "Bob Roe")),
        ("Ann Lee, Ann Lee", ("Ann Lee",)),
        ("ann@example.com", ("ann@example.com",)),
        ("noreply@blogger.com (Unknown)", ()),
        ("", ()),
    ],
)
def test_split_authors(raw: str, expected: tuple[str, ...]) -> None:
    assert split_authors(raw) == expected


@pytest.mark.parametrize(
    ("paragraph", "authors"),
    [
        ("By Pepe ESCOBAR", ("Pepe Escobar",)),
        ("By Pepe ESCOBAR, Asia Times", ("Pepe Escobar",)),
        ("BY RICK ROZOFF", ("Rick Rozoff",)),
        ("by: Ann Lee", ("Ann Lee",)),
        ("By: Ann Lee", ("Ann Lee",)),
        ("Written by Ann Lee and Bob Roe", ("Ann Lee", "Bob Roe")),
        ("By Ann Lee, Bob Roe and Cy Doe, Reuters", ("Ann Lee", "Bob Roe", "Cy Doe")),
        ("By Ann Lee | Reuters", ("Ann Lee",)),
        ("By Ann Lee – Special to the Times", ("Ann Lee",)),
        ("By Ann Lee\nAsia Times", ("Ann Lee",)),
        ("By J. R. R. Tolkien", ("J. R. R. Tolkien",)),
        ("By Ursula von der Leyen", ("Ursula von der Leyen",)),
    ],
)
def test_extract_byline_finds_names(paragraph: str, authors: tuple[str, ...]) -> None:
    found, rest = extract_byline(["Lead paragraph.", paragraph, "Body."])
    assert found == authors
    assert rest == ["Lead paragraph.", "Body."]


@pytest.mark.parametrize(
    "paragraph",
    [
        "By the end of the year the troops left.",
        "By Monday, the troops had left the city.",
        "By Friday the troops had left.",
        "By 2025, half of the budget will be gone.",
        "By contrast, Russia said nothing.",
        "By Now Everyone Knows This Is A True Story",
        "Byzantine politics returned to Ankara.",
        "Bob Roe",
    ],
)
def test_extract_byline_ignores_prose(paragraph: str) -> None:
    paragraphs = [paragraph, "Body."]
    assert extract_byline(paragraphs) == ((), paragraphs)


def test_extract_byline_only_looks_at_first_three_paragraphs() -> None:
    paragraphs = ["One.", "Two.", "Three.", "By Ann Lee", "Five."]
    assert extract_byline(paragraphs) == ((), paragraphs)


@pytest.mark.parametrize(
    ("last", "source"),
    [
        ("thecradle.co", "thecradle.co"),
        ("irrussianality.wordpress.com", "irrussianality.wordpress.com"),
        ("stephenlendman.org", "stephenlendman.org"),
        ("www.rt.com", "www.rt.com"),
        ("https://thecradle.co/article/some-story", "thecradle.co"),
        ("ANTI-BELLUM", "ANTI-BELLUM"),
        ("Source: Asia Times", "Asia Times"),
        ("Source: https://www.rt.com/news/123/", "www.rt.com"),
        ("Originally published at irrussianality.wordpress.com.", "irrussianality.wordpress.com"),
        ("This article was originally published on The Saker", "The Saker"),
        ("Originally appeared in Consortium News", "Consortium News"),
        ("Republished from Consortium News", "Consortium News"),
    ],
)
def test_extract_source_line_finds_source(last: str, source: str) -> None:
    found, rest = extract_source_line(["Body one.", "Body two.", last, "", "  "])
    assert found == source
    assert rest == ["Body one.", "Body two."]


@pytest.mark.parametrize(
    "last",
    [
        "It might as well be the last. Beware the rage of a humiliated Empire.",
        "That is it.",
        "The end",
        "U.S.",
        "Follow us on Telegram",
        "Thank you for reading!",
        "e.g.",
        "OK",
    ],
)
def test_extract_source_line_ignores_ordinary_endings(last: str) -> None:
    paragraphs = ["Body.", last]
    assert extract_source_line(paragraphs) == (None, paragraphs)


def test_extract_source_line_empty() -> None:
    assert extract_source_line([]) == (None, [])
    assert extract_source_line(["", " "]) == (None, ["", " "])
