"""Word knowledge the entity rules share (pure): titles, countries and their demonyms, the
words that end an organization's name, and the shapes of words that are adjectives rather
than names. Every list is general English usage, never names taken from one corpus, so
the rules built on them hold for any news text.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import pycountry

from presswatch.enrich.aliasfile import name_key


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TITLES = _words(
    """president mr mrs ms miss dr minister secretary senator sen gen general chancellor
    premier king queen prince princess pope ambassador spokesman spokeswoman
    spokesperson sheikh governor gov mayor ayatollah emir colonel col lieutenant lt
    commander judge professor prof sir lord lady chairman chairwoman rep representative
    deputy envoy marshal admiral captain sergeant archbishop bishop father rabbi imam pm
    fm mp"""
)
# what an attribution calls a person instead of naming them ("the chancellor noted")
ROLES = TITLES | _words(
    """leader head chief analyst expert official spokesman director founder ceo
    adviser advisor aide diplomat commentator journalist researcher"""
)
NOT_NAMES = _words(
    """i me he she it we they you him her us them his hers its our their your who whom this
    that these those there here mr mrs ms dr the a an and or but not no yes one today
    yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday"""
)
# words after a group's name that show it is the subject, not a modifier ("Kazakhs said")
VERBS_AFTER_GROUP = _words(
    """said say says have has had are were was is will would could can may might did do
    and or but nor who which that whose than as in of to from with at on for by into
    against over under about after before between among during"""
)
# the last word of an organization's name ("... Cooperation Group", "CSTO Secretariat")
ORG_HEADS = _words(
    """Organization Organisation Council Committee Commission Ministry Assembly Secretariat
    Union Group Agency Service Services Army Navy Forces Force Party Movement Front Bank
    Fund Club Institute Foundation Corporation Company Parliament Senate Congress Court
    Office Department Bureau Guard Brigade Alliance Bloc League Association Federation
    Board Authority Administration Government Cabinet Command Centre Center Network
    Forum Brotherhood Community Coalition Corps Police Directorate Inspectorate"""
)
# government portfolios: "Defense Minister", "Minister of Internal Affairs" are titles
PORTFOLIOS = _words(
    """defense defence foreign interior internal home affairs state security finance
    justice health education energy economy economic trade agriculture culture transport
    labour labor army navy emergency emergencies information and of development"""
)
# what a name for a document, a programme or an exercise ends with: not an entity
WORK_HEADS = _words(
    """Convention Treaty Agreement Accord Accords Corridor Doctrine Declaration Charter
    Protocol Programme Program Project Partnership Plan Strategy Act Constitution"""
)
CORPORATE_SUFFIXES = _words("corporation corp company inc ltd llc plc")
COMPASS = _words(
    """north south east west northern southern eastern western central global far
    northeast northwest southeast southwest north-east north-west south-east south-west"""
)
CONTINENTS = _words("Asia Europe Africa America Eurasia")
_CONTINENTAL = _words("Asian European African American Eurasian")
NAME_PARTICLES = _words("al el bin ibn de van von der den da di du la le ul ud ben abu ter")
FUNCTION_WORDS = _words("""of for and the on in de des du la le und to at by with""")
MONTH = re.compile(
    r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s*\d{1,2}(?:st|nd|rd|th)?$"
)
# combining forms that only ever modify ("Sino-Russian", "Euro-Atlantic" stays a name)
COMBINING = _words("Sino Russo Indo Afro Anglo Franco Turko Irano Arabo Austro Slavo")

_COUNTRY_OVERRIDES = {
    "Russian Federation": "Russia",
    "Türkiye": "Turkey",
    "Congo, The Democratic Republic of the": "Democratic Republic of the Congo",
    "Micronesia, Federated States of": "Micronesia",
    "Palestine, State of": "Palestine",
    "Virgin Islands, British": "British Virgin Islands",
    "Virgin Islands, U.S.": "U.S. Virgin Islands",
}
_COUNTRY_EXTRA = {
    "us": "United States",
    "u.s.": "United States",
    "usa": "United States",
    "u.s.a.": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "uae": "United Arab Emirates",
    "dprk": "North Korea",
    "prc": "China",
    "people's republic of china": "China",
    "russia": "Russia",
    "turkey": "Turkey",
    "czech republic": "Czechia",
    "ivory coast": "Côte d'Ivoire",
    "burma": "Myanmar",
    "holland": "Netherlands",
    "macedonia": "North Macedonia",
    "swaziland": "Eswatini",
    "vietnam": "Vietnam",
    "drc": "Democratic Republic of the Congo",
    "brunei": "Brunei Darussalam",
    "cape verde": "Cabo Verde",
    "east timor": "Timor-Leste",
}
# country names that are also everyday given names or words: never found by a text scan
_SCAN_SKIP = _words("Chad Jordan Georgia Israel Guinea Niger Mali Peru Cuba Turkey China")
_DEMONYMS = _words(
    """American British Briton English Scottish Welsh French Dutch Swiss German Greek
    Turkish Turk Polish Pole Danish Dane Swedish Swede Finnish Finn Norwegian Spanish
    Spaniard Portuguese Filipino Thai Kyrgyz Belarusian Saudi Emirati Kuwaiti Qatari
    Bahraini Lebanese Vietnamese Japanese Chinese Taiwanese Korean Czech Slovak
    Hungarian Icelandic Irish Israeli Palestinian Azerbaijani Azeri Armenian Mongolian
    Uzbek Tajik Kazakh Turkmen Afghan Pakistani Bangladeshi Nepali Russian Ukrainian
    Moldovan Romanian Bulgarian Serbian Serb Croat Croatian Bosnian Albanian Macedonian
    Slovenian Cypriot Maltese Austrian Belgian Canadian Mexican Cuban Venezuelan
    Colombian Brazilian Argentine Argentinian Chilean Peruvian Australian Egyptian
    Libyan Tunisian Algerian Moroccan Sudanese Ethiopian Somali Kenyan Nigerian Iranian
    Iraqi Syrian Jordanian Yemeni Omani Indian Indonesian Malaysian Georgian Estonian
    Latvian Lithuanian Italian Kurdish Kurd Persian Arab Uyghur Uighur Pashtun Tatar
    Chechen Baluch Hazara Tamil Sikh Circassian Abkhaz Ossetian Yazidi Druze"""
)
INVARIABLE = re.compile(r"(?:ese|ish|ch|Swiss|Kyrgyz|Turkmen|Thai|Irish|Welsh)$")
# an adjective by its ending: "Eurasian", "Turkic", "Islamist", "Western"
_ADJECTIVE_ENDING = re.compile(r"(?:ian|ean|ese|ish|ic|ist)$")
_ADJECTIVE_WORDS = _words("Western Eastern Northern Southern Soviet Latin Muslim Jewish")
# the same, for words a model calls a nationality or a group (where "-an", "-i" also tell)
_NORP_ENDING = re.compile(r"(?:an|ian|ean|ese|ish|ic|ist|i|ch)$")


# --- countries and demonyms ----------------------------------------------------------------


@cache
def _countries() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        name: str = c.name
        canonical: str = getattr(c, "common_name", None) or _COUNTRY_OVERRIDES.get(name, name)
        for n in (name, getattr(c, "official_name", None), getattr(c, "common_name", None)):
            if n:
                table[name_key(n)] = canonical
        table[name_key(canonical)] = canonical
    table.update(_COUNTRY_EXTRA)
    return table


@lru_cache(maxsize=1 << 16)
def country_of(surface: str) -> str | None:
    """The country's usual short name ("Russia" for "the Russian Federation"), or None."""
    key = name_key(surface)
    if key.startswith("the "):
        key = key[4:]
    return _countries().get(key)


@cache
def demonyms() -> frozenset[str]:
    found = set(_DEMONYMS)
    for canonical in set(_countries().values()):
        if " " in canonical or not canonical.isalpha():
            continue
        if canonical.endswith("stan") and len(canonical) >= 9:
            found.add(canonical[:-4])
        found.update({canonical + "n", canonical + "i", canonical + "ian"})
        if canonical.endswith(("a", "e")):
            found.update({canonical[:-1] + "ese", canonical[:-1] + "ian"})
    found |= _CONTINENTAL
    return frozenset(found)


@cache
def gazetteer() -> dict[str, list[tuple[str, str]]]:
    """Names worth finding where the model found nothing, by first word, longest first:
    countries ("place"), peoples in the plural ("Uzbeks": "group") and nationalities that
    are their own plural ("Turkmen": "people", to be checked in context)."""
    entries: dict[str, str] = {}
    for c in pycountry.countries:
        for n in (c.name, getattr(c, "common_name", None)):
            if n and "," not in n and "(" not in n and n not in _SCAN_SKIP:
                entries[n] = "place"
    for n in ("Russia", "Vietnam", "Britain", "Iran", "Syria", "Moldova", "Bolivia"):
        entries[n] = "place"
    for d in _DEMONYMS:
        if INVARIABLE.search(d):
            entries.setdefault(d, "people")
        elif not d.endswith("s"):
            entries.setdefault(d + "s", "group")
    table: dict[str, list[tuple[str, str]]] = {}
    for name, kind in entries.items():
        table.setdefault(name.split()[0], []).append((name, kind))
    for found in table.values():
        found.sort(key=lambda e: len(e[0]), reverse=True)
    return table


@lru_cache(maxsize=1 << 16)
def demonym(surface: str) -> tuple[str, bool] | None:
    """(singular demonym, written as a plural) when `surface` names a nationality
    ("Kazakh", "Uzbeks", "Central Asian")."""
    first, _, rest = surface.partition(" ")
    if rest and first.casefold() in COMPASS:
        surface = rest
    if surface in demonyms():
        return surface, False
    if surface.endswith("s") and surface[:-1] in demonyms():
        return surface[:-1], True
    return None


@lru_cache(maxsize=1 << 16)
def is_demonym_word(word: str) -> bool:
    """A nationality or a combining form of one ("Kazakh", "Sino")."""
    return word in demonyms() or word in COMBINING or word in _ADJECTIVE_WORDS


@lru_cache(maxsize=1 << 16)
def adjective_shaped(word: str, *, norp: bool) -> bool:
    """Does one capitalized word look like an adjective rather than a name? `norp`: the
    model called it a nationality or group, so "-an" and "-i" endings count too."""
    if " " in word or not word[:1].isupper() or word.isupper():
        return False
    if word in _ADJECTIVE_WORDS or word in demonyms():
        return True
    return bool((_NORP_ENDING if norp else _ADJECTIVE_ENDING).search(word))


# --- word shapes ---------------------------------------------------------------------------


_ACRONYM = re.compile(r"^(?:[A-Z][A-Z0-9&]{1,9}|(?:[A-Z]\.){2,5})$")


@lru_cache(maxsize=1 << 16)
def is_acronym(surface: str) -> bool:
    return bool(_ACRONYM.match(surface))


@lru_cache(maxsize=1 << 16)
def person_shaped(surface: str) -> bool:
    toks = surface.split()
    return 1 <= len(toks) <= 4 and all(
        t[0].isupper() and not t.isupper() and not is_acronym(t) for t in toks
    )


@lru_cache(maxsize=1 << 16)
def name_like_hyphens(surface: str) -> bool:
    """Every part of every word is capitalized, bar particles ("al-Nusra"): not
    "Salafi-jihadi", which is a description."""
    for word in surface.split():
        for i, part in enumerate(p for p in word.split("-") if p):
            if part[0].isupper() or part.isdigit():
                continue
            if part.casefold() in NAME_PARTICLES and i == 0:
                continue
            return False
    return True
