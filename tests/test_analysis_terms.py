"""Top terms: what distinguishes the matching articles from the archive, not raw frequency."""

from __future__ import annotations

from presswatch.analysis.stopwords import STOP_WORDS
from presswatch.analysis.terms import TermScore, distinctive_terms
from presswatch.text.tokens import fold

COMMON = [
    "The government said on Monday that the president would meet officials and people "
    "from the regions in 2022.",
    "According to the president, the government has also said that people will be told more.",
    "Officials from the government told reporters the president was in the capital.",
]

CSTO = [
    "CSTO peacekeeping troops arrived in Kazakhstan after the Collective Security Treaty "
    "Organization agreed to the request.",
    "The Collective Security Treaty Organization said its peacekeeping mission in "
    "Kazakhstan would end soon, a CSTO spokesman confirmed.",
    "Russian paratroopers led the peacekeeping force the CSTO sent to Kazakhstan by the "
    "decision of the Collective Security Treaty Organization.",
    "Kazakhstan asked the Collective Security Treaty Organization for peacekeeping help "
    "during the unrest in Almaty.",
    "The CSTO peacekeeping contingent guarded airports in Kazakhstan, the Collective "
    "Security Treaty Organization said.",
    "Peacekeeping units from Armenia and Belarus joined the Collective Security Treaty "
    "Organization deployment in Kazakhstan.",
    "After the unrest in Almaty, Kazakhstan thanked the Collective Security Treaty "
    "Organization for its peacekeeping role.",
    "The last peacekeeping troops left Kazakhstan, the CSTO and the Collective Security "
    "Treaty Organization confirmed.",
]

OTHER = [
    "The central bank raised interest rates as inflation climbed.",
    "Farmers expect a record wheat harvest after a wet spring.",
    "The football club signed a new striker before the season.",
    "Heavy snow closed mountain roads across the north.",
    "Parliament debated the budget for schools and hospitals.",
    "Oil prices fell as exporters increased production.",
    "A new metro line opened in the capital with ten stations.",
    "Elections for the city council will be held in autumn.",
    "Scientists reported a rise in air pollution in winter.",
    "The national team won the regional volleyball championship.",
]


def _corpus() -> tuple[list[str], list[str]]:
    """Eight CSTO articles and sixty others, all sharing the same everyday news phrasing."""
    foreground = [f"{COMMON[i % len(COMMON)]} {text}" for i, text in enumerate(CSTO)]
    others = [f"{COMMON[i % len(COMMON)]} {OTHER[i % len(OTHER)]}" for i in range(60)]
    return foreground, others + foreground


def _terms(result: list[TermScore]) -> list[str]:
    return [t.term for t in result]


def test_topic_words_and_phrases_come_first_and_common_words_do_not_appear() -> None:
    foreground, background = _corpus()
    terms = _terms(distinctive_terms(foreground, background, limit=10))
    assert {"peacekeeping", "kazakhstan", "collective security"} <= set(terms[:6])
    for common in ("government", "president", "officials", "people"):
        assert common not in terms


def test_scores_are_ranked_and_counts_are_article_counts() -> None:
    foreground, background = _corpus()
    result = distinctive_terms(foreground, background)
    scores = [t.score for t in result]
    assert scores == sorted(scores, reverse=True)
    assert all(t.score >= 1.0 for t in result)
    peacekeeping = next(t for t in result if t.term == "peacekeeping")
    assert peacekeeping.count == 8  # every CSTO article, counted once each
    assert peacekeeping.background == 8  # the background here holds the foreground too


def test_stop_words_and_numbers_never_appear() -> None:
    foreground, background = _corpus()
    for term in _terms(distinctive_terms(foreground, background, limit=100)):
        for word in term.split():
            assert word not in STOP_WORDS
            assert len(word) >= 2
        assert not term.replace(" ", "").isdigit()


def test_a_phrase_replaces_the_words_that_only_occur_inside_it() -> None:
    foreground, background = _corpus()
    terms = _terms(distinctive_terms(foreground, background, limit=30))
    assert "collective security" in terms
    assert "collective" not in terms
    # One name is shown once, not as each of its overlapping word pairs.
    assert "security treaty" not in terms
    assert "treaty organization" not in terms


def test_the_query_words_can_be_left_out() -> None:
    foreground, background = _corpus()
    assert "csto" in _terms(distinctive_terms(foreground, background, limit=30))
    kept = _terms(distinctive_terms(foreground, background, limit=30, exclude=["CSTO"]))
    assert not [t for t in kept if "csto" in t.split()]
    assert "peacekeeping" in kept
    by_prefix = _terms(distinctive_terms(foreground, background, exclude_prefixes=["kazakh"]))
    assert not [t for t in by_prefix if t.startswith("kazakh") or " kazakh" in t]


def test_terms_more_common_in_the_background_are_not_listed() -> None:
    foreground = ["peacekeeping in Kazakhstan"] * 6 + ["wheat harvest in Kazakhstan"]
    background = ["wheat harvest and wheat prices"] * 50 + ["peacekeeping"] * 2
    terms = _terms(distinctive_terms(foreground, background))
    assert terms[0] in {"peacekeeping", "kazakhstan"}
    assert "wheat" not in terms and "harvest" not in terms


def test_a_word_in_one_article_of_many_is_not_a_top_term() -> None:
    foreground = ["peacekeeping mission"] * 6 + ["peacekeeping mission near Zhanaozen"]
    background = ["weather report"] * 20
    assert "zhanaozen" not in _terms(distinctive_terms(foreground, background))
    # With very few articles, one article is all there is to go on.
    assert "zhanaozen" in _terms(distinctive_terms(foreground[-2:], background))


def test_russian_text_is_scored_without_its_function_words() -> None:
    foreground = [
        "Миротворцы ОДКБ, которые прибыли в Казахстан, это подразделения из России.",
        "Миротворцы ОДКБ охраняют аэропорт, так как её попросил Казахстан.",
        "Он сказал, что миротворцы ОДКБ покинут Казахстан уже через неделю.",
        "Миротворцы ОДКБ и её мандат: что это значит для Казахстан и его соседей.",
        "Это был первый раз, когда миротворцы ОДКБ были в Казахстан.",
    ]
    background = [
        "Это погода на неделю: он сказал, что будет снег, и её не ждали.",
        "Цены на нефть, которые упали, это плохо для бюджета, сказал он.",
        "Футбольный клуб, который был лидером, проиграл, так как его игроки устали.",
    ] * 10
    terms = _terms(distinctive_terms(foreground, background, limit=10))
    assert terms[:2] == ["казахстан", "миротворцы одкб"]
    for stop in ("это", "которые", "ее", "его", "сказал", "что", "так"):
        assert fold(stop) not in terms


def test_nothing_to_score_gives_an_empty_list() -> None:
    assert distinctive_terms([], ["some background text"]) == []
    assert distinctive_terms(["the and of"] * 3, ["weather"]) == []
    assert distinctive_terms(["peacekeeping"] * 3, ["weather"], limit=0) == []
    assert distinctive_terms(["peacekeeping mission"] * 3, []) == []
    assert _terms(distinctive_terms(["peacekeeping mission"] * 3, ["weather"])) != []
