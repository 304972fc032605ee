"""Direct quotations and who said them (pure: text and resolved mentions in, quotes out).

An analyst asks "what did Tokayev say about the CSTO": that needs the words a person or
organization actually said, not every phrase in quotation marks. The rules below lean
towards leaving a speaker unknown rather than naming the wrong one.

Marks. Double marks open a quote: straight "...", curly “...”, guillemets «...», low „...“
(closed by “, ” or "). Sloppy mixes ("...” or “...") close each other. Straight double
marks are told apart by what touches them (a space before: opening; text before:
closing). Single curly ‘...’ (and ‚...‘, ‹...›) count only as a whole quote of at least
MIN_SINGLE_WORDS words, since ’ is also the apostrophe (it closes a quote only when no
letter follows it); straight single marks are never quote marks. Marks of another style
inside a quote are nested quotes and stay part of its text; only the outermost quote is
reported. An opening mark followed by another of the same style before any closing one
was never closed: it is dropped and the new one starts a quote. A quote never crosses a
blank line (a paragraph) nor runs past MAX_QUOTE_CHARS; an unclosed quote is skipped,
except the journalistic multi-paragraph quote: a paragraph that ends inside a quote and
the next paragraph opens with a quote mark continue one quote (each paragraph a segment,
all with the same speaker); if that chain never closes it is skipped whole.

Scare quotes and titles. Fewer than MIN_WORDS words, or words all capitalized like a
title, with no saying verb within NEAR_CHARS of the marks in the same sentence (a passive
"it can be said", or a verb that leads into the next quote, does not count): not a quote
("the “regime”"). A short quote of two or three words is still a partial quotation when
it was edited ("distract(s) attention", "[the]", "…") or when a speaker is at hand: an
earlier quote of the same paragraph has one, or a colon closes a lead-in that names one
("X applied the terminology: it was a “hybrid terrorist attack”").

Speakers, nearest clue first (only person and organization mentions can speak):
- "“...,” Putin said" / "said Putin" / "“...,” Kremlin spokesman Dmitry Peskov told
  reporters" / "X, the chairman, added" after the quote (tried first when the quote ends
  in a comma, ? or !), and "Putin said: “...”" / "Putin said that “...”" before it (the
  subject is the mention nearest before the verb; for "saying"/"adding" forms the
  sentence's first person or pronoun). Verbs: said, told, added, wrote, noted, stressed,
  warned, claimed, asked, insisted, stated and the like (SAYING_VERBS).
- "according to X" before or after the quote: the first person named after it, else the
  first organization.
- "he said" / "she added" / "it said": the most recent person (organization for "it")
  named outside quotes in the same or the two previous sentences. Gender is not checked.
- "the Kazakh president said": the most recent person mention before the quote that
  carries that title word ("Kazakh President Kassym-Jomart Tokayev",
  "Tokayev, the president of ..."); no such mention, no speaker.
- "the Turkmen president spoke of “...”": a role word right before the verb is read as
  above before any other name in the lead ("At a summit of the Council the president").
- "X, the leader of Y, spoke of A and B and said: “...”": a verb joined by "and" shares
  the clause's subject, its first person (not the nearest name).
- "was praised by X": the agent X ("by the latter": the last one named before); a
  passive with no agent names the one spoken about, so nobody.
- "X went further: ... “...”": a colon in the quote's own sentence after a named speaker.
- No clue of its own: a quote inherits the speaker of the quote just before it in the
  same paragraph when nobody else is named in between ("“A,” he said. “B.”"); else the
  subject of the paragraph's last saying verb in the same or the two sentences before,
  when nobody is named after it ("Tokayev framed it succinctly. Riots were “...”");
  a lead-in ending in a colon that names nobody ("But here's the clincher: “...”")
  continues the previous paragraph's speaker when nobody is named since; a paragraph
  that opens with a quote inherits from a previous paragraph that ends in a colon ("A
  statement by the Foreign Ministry said the following:") or that itself opened with a
  quote, across up to QUIET_PARAGRAPHS short paragraphs naming nobody (a list of
  points made one by one). An attribution that names someone the article does not
  ("one source said", "the article says") never inherits.

Offsets: `start`/`end` cover the words inside the marks (surrounding spaces and a
trailing comma left out), so text[start:end] == quote.text; `speaker_start`/`speaker_end`
are the offsets of the mention that named the speaker (the antecedent, for pronouns).
Everything is a single scan of the marks plus bounded look-arounds, so a 5 MB text costs
about what its marks cost.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from presswatch.enrich.model import Mention, Quote
from presswatch.enrich.names import ROLES

MIN_WORDS = 4
MIN_SINGLE_WORDS = 6
MAX_QUOTE_CHARS = 3_000
LEAD_CHARS = 300  # how far before a quote its lead-in ("Putin said:") is looked for
TAIL_CHARS = 160  # how far after a quote its attribution (", Putin said") is looked for
MAX_LEAD_WORDS = 3  # "It’s “a crime!”" still opens its paragraph with a quote
NEAR_CHARS = 40  # a saying verb this close to the marks makes a short quote a real one
PRONOUN_CHARS = 700
TITLE_CHARS = 3_000
MAX_DEPTH = 4
QUIET_PARAGRAPHS = 2  # a list of quotes may go on after this many paragraphs naming nobody
QUIET_CHARS = 400
SPEAKER_KINDS = frozenset({"person", "organization"})

SAYING_VERBS = (
    "said|says|say|told|tells|added|adds|wrote|writes|noted|stressed|stresses|warned|warns|"
    "claimed|asked|asks|insisted|insists|stated|declared|declares|explained|explains|"
    "argued|argues|replied|answered|announced|announces|emphasi[sz]ed|emphasi[sz]es|"
    "remarked|commented|concluded|recalled|admitted|acknowledged|tweeted|urged|"
    "spoke|speaks|accused|accuses|dismissed|dismisses|described|describes|branded|"
    "dubbed|termed|framed|frames|promised|promises|vowed|vows|pledged|denounced|"
    "condemned|praised|praises|reads|referred|blamed|blames|"
    r"underlined|pointed\s+out|told\s+reporters"
)
PARTICIPLES = (
    "saying|adding|noting|stressing|warning|claiming|asking|insisting|writing|telling|"
    "stating|declaring|explaining|arguing|emphasi[sz]ing|recalling|urging|remarking|"
    "speaking|accusing|dismissing|describing|referring|blaming|promising|vowing|praising|"
    "branding|denouncing"
)
_VERB = rf"(?:{SAYING_VERBS})"
_NEAR_VERB_RE = re.compile(
    rf"(?<!\bbe )(?<!\bbeen )(?<!\bis )(?<!\bwas )\b(?:{SAYING_VERBS})\b"
    rf"|\b(?:{PARTICIPLES})\b|\b[Aa]ccording\s+to\b"
)
_PASSIVE_RE = re.compile(r"\b(?:is|are|was|were|been|being|be)\s+(?:\w+ly\s+)?$")
_AGENT_RE = re.compile(r"\s+by\s+(?P<latter>the\s+(?:latter|former)\b)?")
_COORDINATED_RE = re.compile(r"\b(?:and|but)\s+(?:\w+ly\s+)?$")
_TAIL_SAID_RE = re.compile(rf"[\s,;:—–-]*(?:[\w’'.-]+\s+){{0,5}}?{_VERB}\b")
# what may stand before a saying verb that has no subject of its own ("and added:")
_BARE_LEAD_WORDS = frozenset({"and", "but", "then", "also", "later", "further", "so", "as"})
_EDITED_RE = re.compile(r"\((?:\w{1,3}|sic)\)|\[|…|\.\.\.")
_LEADS_INTO_QUOTE_RE = re.compile(r"[^\S\n,:]*[,:]?[^\S\n]*(?:that\s+)?[\"“„«‘]")
_VERB_IN_LEAD_RE = re.compile(rf"\b(?:(?P<fin>{SAYING_VERBS})|(?P<part>{PARTICIPLES}))\b")
_FINITE_VERB_RE = re.compile(rf"\b(?:{SAYING_VERBS})\b")
_ACCORDING_RE = re.compile(r"\b[Aa]ccording\s+to\b")
_PUNCT = r"[\s,;:—–-]*"
_TAIL_PRONOUN_RE = re.compile(rf"{_PUNCT}(?P<p>he|she|it|He|She|It)(?:\s+\w+ly)?\s+{_VERB}\b")
_TAIL_VERB_FIRST_RE = re.compile(rf"{_PUNCT}(?P<v>{_VERB})\b(?:\s+(?P<p>he|she)\b)?")
_TAIL_TITLE_RE = re.compile(
    rf"{_PUNCT}[Tt]he\s+(?:[\w-]+\s+){{0,3}}?(?P<h>[a-z]+)(?:\s+\w+ly)?\s+{_VERB}\b"
)
_AFTER_SPEAKER_RE = re.compile(
    rf"(?:\s*\([^)]{{0,40}}\))?(?:\s*,[^.!?;“”\"]{{0,80}}?,)?"
    rf"(?:\s+(?:has|had|also|later|then|again|would|will|did|\w+ly))*\s+{_VERB}\b"
)
_TAIL_PREFIX_RE = re.compile(r"[\s,;:—–-]*(?:[\w’'.-]+\s+){0,4}")
_LEAD_TITLE_RE = re.compile(r"\b[Tt]he\s+(?:[\w-]+\s+){0,3}?(?P<h>[a-z]+)[\s,]*(?:\w+ly\s+)?$")
_PRONOUN_BEFORE_RE = re.compile(r"\b(?P<p>[Hh]e|[Ss]he|[Ii]t)\s+(?:\w+ly\s+)?$")
_SUBJECT_PRONOUN_RE = re.compile(r"\b(?:[Hh]e|[Ss]he)\b")
_SENTENCE_END_RE = re.compile(r"[.!?…][\"”’»)]*\s+(?=[\"“„«‘(\[]?[A-Z\d])|\n\s*\n")
_PARAGRAPH_RE = re.compile(r"\n[^\S\n]*\n\s*")
_WORD_RE = re.compile(r"\w+(?:[’']\w+)*")
_SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
)
_EVENT_RE = re.compile('["“”„«»‘’‚‹›]|\n[^\\S\n]*\n\\s*')

_DOUBLE_OPENERS = frozenset('"“„«')
_CLOSERS = {
    "“": frozenset('”"“'),
    '"': frozenset('"”“'),
    "„": frozenset('“”"'),
    "«": frozenset("»"),
    "‘": frozenset("’"),
    "‚": frozenset("‘’"),
    "‹": frozenset("›"),
}
_SAME_STYLE = {'"': "“", "“": "“", "„": "„", "«": "«", "‘": "‘", "‚": "‚", "‹": "‹"}
_OPEN_CONTEXT = frozenset(" \t\n\r([{—–-/") | frozenset(_CLOSERS)


@dataclass(slots=True)
class _Candidate:
    segments: list[tuple[int, int]]  # inner spans, one per paragraph
    open_pos: int  # the first opening mark
    close_end: int  # just after the last closing mark
    single: bool
    paragraph_led: bool
    para_index: int  # paragraph of the last segment
    first_para_index: int
    speaker: Mention | None = None


class _Mentions:
    """Speaker-capable mentions sorted by offset, looked up by range in log time."""

    def __init__(self, mentions: Sequence[Mention], quote_spans: list[tuple[int, int]]) -> None:
        eligible = sorted(
            (m for m in mentions if m.kind in SPEAKER_KINDS and m.end > m.start),
            key=lambda m: (m.start, m.end),
        )
        self.items = eligible
        self.starts = [m.start for m in eligible]
        self.quote_starts = [s for s, _ in quote_spans]
        self.quote_spans = quote_spans

    def between(self, lo: int, hi: int) -> list[Mention]:
        i = bisect.bisect_left(self.starts, lo)
        found: list[Mention] = []
        while i < len(self.items) and self.items[i].start < hi:
            if self.items[i].end <= hi:
                found.append(self.items[i])
            i += 1
        return found

    def before(self, pos: int, lo: int, limit: int) -> list[Mention]:
        """Mentions in [lo, pos), nearest first, outside quotes, at most `limit`."""
        i = bisect.bisect_left(self.starts, pos)
        found: list[Mention] = []
        while i > 0 and len(found) < limit:
            i -= 1
            m = self.items[i]
            if m.start < lo:
                break
            if m.end <= pos and not self.inside_quote(m.start):
                found.append(m)
        return found

    def inside_quote(self, pos: int) -> bool:
        i = bisect.bisect_right(self.quote_starts, pos) - 1
        return i >= 0 and self.quote_spans[i][0] <= pos < self.quote_spans[i][1]


def _prefer_person(found: Sequence[Mention]) -> Mention | None:
    for m in found:
        if m.kind == "person":
            return m
    return found[0] if found else None


def _scan(text: str) -> list[_Candidate]:
    """One pass over the marks and blank lines: the outermost closed quotes (and chains
    of paragraph-continued ones), in text order."""
    found: list[_Candidate] = []
    stack: list[tuple[str, int]] = []  # (opening mark, its offset)
    chain: list[tuple[int, int]] = []
    chain_first = (0, 0, 0)  # open_pos, paragraph start, paragraph index of the chain
    para_start = 0
    para_index = 0
    n = len(text)
    for m in _EVENT_RE.finditer(text):
        pos = m.start()
        mark = m.group()
        if stack and pos - stack[0][1] > MAX_QUOTE_CHARS:
            stack.clear()
            chain = []
        if mark[0] == "\n":
            if stack and _continues(stack, text, m.end()):
                if not chain:
                    chain_first = (stack[0][1], para_start, para_index)
                chain.append((stack[0][1] + 1, pos))
            else:
                chain = []
            stack.clear()
            para_start = m.end()
            para_index += 1
            continue
        prev = text[pos - 1] if pos else " "
        nxt = text[pos + 1] if pos + 1 < n else " "
        role = _role(mark, prev, nxt, stack)
        if role == "open":
            same = _SAME_STYLE[mark]
            for depth, (opened, _) in enumerate(stack):
                if _SAME_STYLE[opened] == same:
                    del stack[depth:]
                    if depth == 0:
                        chain = []
                    break
            if len(stack) >= MAX_DEPTH:
                stack.clear()
                chain = []
            stack.append((mark, pos))
        elif role == "close":
            for depth in range(len(stack) - 1, -1, -1):
                if mark in _CLOSERS[stack[depth][0]]:
                    opened, open_pos = stack[depth]
                    del stack[depth:]
                    if depth == 0:
                        segments = [*chain, (open_pos + 1, pos)]
                        if chain:
                            first_open, first_para_start, first_index = chain_first
                        else:
                            first_open, first_index = open_pos, para_index
                            first_para_start = para_start
                        led = first_open - first_para_start < 20 and not (
                            text[first_para_start:first_open].strip()
                        )
                        found.append(
                            _Candidate(
                                segments=segments,
                                open_pos=first_open,
                                close_end=pos + 1,
                                single=opened not in _DOUBLE_OPENERS,
                                paragraph_led=led,
                                para_index=para_index,
                                first_para_index=first_index,
                            )
                        )
                        chain = []
                    break
    return found


def _continues(stack: list[tuple[str, int]], text: str, at: int) -> bool:
    """A paragraph ended inside a quote: it goes on only if the next paragraph opens with
    a double quote mark (the journalistic multi-paragraph quote)."""
    return stack[0][0] in _DOUBLE_OPENERS and at < len(text) and text[at] in _DOUBLE_OPENERS


def _role(mark: str, prev: str, nxt: str, stack: list[tuple[str, int]]) -> str:
    tops = {opened for opened, _ in stack}
    if mark in "”»›":
        return "close"
    if mark in "„«‹‚":
        return "open"
    if mark == '"':
        if (prev.isspace() or prev in _OPEN_CONTEXT) and not nxt.isspace():
            return "open"
        if not prev.isspace():
            return "close"
        return "skip"
    if mark == "“":
        if "„" in tops:
            return "close"
        english_open = bool(tops & {"“", '"'})
        if english_open and not prev.isspace() and (nxt.isspace() or nxt in ",.;:!?"):
            return "close"
        return "skip" if nxt.isspace() else "open"
    if mark == "‘":
        if "‚" in tops:
            return "close"
        return "skip" if nxt.isspace() else "open"
    if mark == "’":
        if tops & {"‘", "‚"} and not (nxt.isalnum()):
            return "close"
        return "skip"
    return "skip"


def _last(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text, lo, hi):  # noqa: B007
        pass
    return found


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _sentence_start(text: str, lo: int, pos: int) -> int:
    """Start of the sentence holding `pos`, not before `lo`."""
    start = lo
    for m in _SENTENCE_END_RE.finditer(text, lo, min(len(text), pos + 2)):
        if m.end() <= pos:
            start = m.end()
    return start


def _sentence_end(text: str, pos: int, hi: int) -> int:
    m = _SENTENCE_END_RE.search(text, pos, hi)
    return m.start() + 1 if m else hi


class _Attributor:
    def __init__(self, text: str, mentions: _Mentions) -> None:
        self.text = text
        self.mentions = mentions

    def pronoun(self, pos: int, pronoun: str) -> Mention | None:
        """The most recent person (organization for "it") outside quotes in the same or
        the two previous sentences."""
        text = self.text
        lo = max(0, pos - PRONOUN_CHARS)
        ends = [m.end() for m in _SENTENCE_END_RE.finditer(text, lo, pos)]
        start = ends[-3] if len(ends) >= 3 else lo
        kind = "organization" if pronoun.lower() == "it" else "person"
        for m in self.mentions.before(pos, start, 40):
            if m.kind == kind:
                return m
        return None

    def title(self, pos: int, head: str) -> Mention | None:
        """The most recent person named with this title ("President Tokayev")."""
        text = self.text
        word = re.compile(rf"\b{re.escape(head)}\b", re.IGNORECASE)
        after = re.compile(
            rf",\s+(?:the\s+)?(?:[\w-]+\s+){{0,4}}?{re.escape(head)}\b", re.IGNORECASE
        )
        for m in self.mentions.before(pos, pos - TITLE_CHARS, 60):
            if m.kind != "person":
                continue
            left = text[max(0, m.start - 40) : m.start]
            if word.search(left) or word.search(m.text) or after.match(text, m.end, m.end + 80):
                return m
        return None

    def lead(self, lo: int, hi: int) -> tuple[Mention | None, str]:
        """Who the words before a quote name as its speaker, and what cue they hold when
        they name nobody: "verb" (a saying verb with no subject of its own: "adding:"),
        "colon" (a lead-in ending in a colon: "But here's the clincher:") or ""."""
        text = self.text
        according = _last(_ACCORDING_RE, text, lo, hi)
        if according is not None:
            found = _prefer_person(self.mentions.between(according.end(), hi))
            if found:
                return found, ""
        verb = _last(_VERB_IN_LEAD_RE, text, lo, hi)
        if verb is not None:
            return self.verb_subject(lo, hi, verb)
        colon = text.rfind(":", lo, hi)
        if colon >= 0:
            named = self.mentions.between(lo, colon)
            if named:
                return named[-1], ""
            return None, "colon"
        return None, ""

    def verb_subject(self, lo: int, hi: int, verb: re.Match[str]) -> tuple[Mention | None, str]:
        text = self.text
        before = text[lo : verb.start()]
        p = _PRONOUN_BEFORE_RE.search(before)
        if p:
            said = self.pronoun(lo + p.start(), p.group("p"))
            return said, "" if said else "unresolved"
        subjects = self.mentions.between(lo, verb.start())
        if verb.group("part"):
            pronoun = _SUBJECT_PRONOUN_RE.search(text, lo, verb.start())
            if pronoun and (not subjects or pronoun.start() < subjects[0].start):
                return self.pronoun(pronoun.start(), pronoun.group()), ""
            if subjects:
                return subjects[0], ""
            return None, "verb"
        if _PASSIVE_RE.search(before):
            agent = self.agent(verb, subjects)
            return agent, "" if agent else "unresolved"
        t = _LEAD_TITLE_RE.search(before)
        if t and t.group("h") in ROLES:
            titled = self.title(lo, t.group("h"))
            if titled is not None:
                return titled, ""
        if subjects:
            if _COORDINATED_RE.search(before):
                return _prefer_person(subjects), ""
            return subjects[-1], ""
        following = self.mentions.between(verb.end(), min(hi, verb.end() + 60))
        if following:
            return _prefer_person(following), ""
        if t:
            titled = self.title(lo, t.group("h"))
            return titled, "" if titled else "unresolved"
        if any(w.casefold() not in _BARE_LEAD_WORDS for w in _words(before)):
            return None, "unresolved"
        return None, "verb"

    def agent(self, verb: re.Match[str], subjects: Sequence[Mention]) -> Mention | None:
        """ "was praised by X": X; "by the latter": the last one named before. A passive
        with no agent names the one spoken about, not the speaker: nobody."""
        m = _AGENT_RE.match(self.text, verb.end())
        if m is None:
            return None
        if m.group("latter"):
            if not subjects:
                return None
            return subjects[-1] if "latter" in m.group("latter") else subjects[0]
        return _prefer_person(self.mentions.between(m.end(), m.end() + 80))

    def clause(self, lo: int, hi: int) -> Mention | None:
        """The speaker of the paragraph's last saying verb before `hi` (in the same or the
        two sentences before), outside quotes, when nobody is named between it and `hi`
        ("Tokayev framed it succinctly. Riots were “hidden behind unplanned protests.”")."""
        text = self.text
        lo = max(lo, hi - PRONOUN_CHARS)
        ends = [m.end() for m in _SENTENCE_END_RE.finditer(text, lo, hi)]
        lo = ends[-3] if len(ends) >= 3 else lo
        verb = None
        for found in _FINITE_VERB_RE.finditer(text, lo, hi):
            if not self.mentions.inside_quote(found.start()):
                verb = found
        if verb is None or self.mentions.before(hi, verb.end(), 1):
            return None
        start = _sentence_start(text, lo, verb.start())
        before = text[start : verb.start()]
        if _PASSIVE_RE.search(before):
            return None
        p = _PRONOUN_BEFORE_RE.search(before)
        if p:
            return self.pronoun(start + p.start(), p.group("p"))
        subjects = self.mentions.before(verb.start(), start, 8)
        return subjects[0] if subjects else None

    def tail(self, lo: int, hi: int) -> Mention | None:
        text = self.text
        p = _TAIL_PRONOUN_RE.match(text, lo, hi)
        if p:
            return self.pronoun(lo, p.group("p"))
        v = _TAIL_VERB_FIRST_RE.match(text, lo, hi)
        if v:
            if v.group("p"):
                return self.pronoun(lo, v.group("p"))
            stop = re.compile(r"[,.;:!?]").search(text, v.end(), hi)
            found = _prefer_person(self.mentions.between(v.end(), stop.start() if stop else hi))
            if found:
                return found
        for m in self.mentions.between(lo, min(hi, lo + 50)):
            prefix = _TAIL_PREFIX_RE.match(text, lo, m.start)
            if prefix and prefix.end() == m.start and _AFTER_SPEAKER_RE.match(text, m.end, hi):
                return m
        according = _ACCORDING_RE.search(text, lo, hi)
        if according:
            found = _prefer_person(self.mentions.between(according.end(), hi))
            if found:
                return found
        t = _TAIL_TITLE_RE.match(text, lo, hi)
        if t:
            return self.title(lo, t.group("h"))
        return None

    def said_after(self, lo: int, hi: int) -> bool:
        """Do the words after a quote attribute it ("one source said"), even to nobody
        this article names? Then it continues no one else's quote."""
        return bool(_TAIL_SAID_RE.match(self.text, lo, hi))


def _is_quote(text: str, cand: _Candidate, lead_lo: int, tail_hi: int, backed: bool) -> bool:
    """`backed`: a named speaker is at hand for a short quote (an earlier quote of the
    same paragraph has one, or a colon closes a lead-in that names one)."""
    words = [w for s, e in cand.segments for w in _words(text[s:e])]
    if not words:
        return False
    if len(cand.segments) > 1:
        return True
    if cand.single and len(words) < MIN_SINGLE_WORDS:
        return False
    (s, e) = cand.segments[0]
    if _NEAR_VERB_RE.search(text, max(lead_lo, cand.open_pos - NEAR_CHARS), cand.open_pos):
        return True
    verb = _NEAR_VERB_RE.search(text, cand.close_end, min(tail_hi, cand.close_end + NEAR_CHARS))
    if verb and not _LEADS_INTO_QUOTE_RE.match(text, verb.end()):
        return True
    title_like = all(w[0].isupper() or w.lower() in _SMALL_WORDS for w in words)
    if len(words) < MIN_WORDS:
        # a short quote is a partial quotation, not a scare quote, when it was edited
        # ("distract(s) attention") or when someone it can belong to is at hand
        edited = bool(_EDITED_RE.search(text, s, e))
        return len(words) >= 2 and not title_like and (edited or backed)
    return not (title_like and not re.search(r"[.!?,;:]", text[s:e]))


def _same(m: Mention, speaker: Mention | None) -> bool:
    return speaker is not None and m.canonical == speaker.canonical


def _named_colon(text: str, index: _Mentions, lo: int, hi: int) -> bool:
    colon = text.rfind(":", lo, hi)
    return colon >= 0 and bool(index.between(lo, colon))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def find_quotes(text: str, mentions: Sequence[Mention]) -> list[Quote]:
    """The direct quotations in `text` with their speakers (see the module docstring)."""
    if not text:
        return []
    candidates = _scan(text)
    spans = [(c.open_pos, c.close_end) for c in candidates]
    index = _Mentions(mentions, spans)
    attribute = _Attributor(text, index)
    paragraphs = [0] + [m.end() for m in _PARAGRAPH_RE.finditer(text)]
    accepted: list[_Candidate] = []
    for i, cand in enumerate(candidates):
        first_start, last_end = cand.segments[0][0], cand.segments[-1][1]
        para_lo = paragraphs[cand.first_para_index]
        para_hi = (
            paragraphs[cand.para_index + 1] if cand.para_index + 1 < len(paragraphs) else len(text)
        )
        prev_close = candidates[i - 1].close_end if i else 0
        lead_lo = max(para_lo, prev_close, cand.open_pos - LEAD_CHARS)
        lead_lo = _sentence_start(text, lead_lo, cand.open_pos)
        next_open = candidates[i + 1].open_pos if i + 1 < len(candidates) else len(text)
        tail_hi = min(para_hi, next_open, cand.close_end + TAIL_CHARS)
        tail_hi = _sentence_end(text, cand.close_end, tail_hi)
        # words after a finished quote that go on into another quote are that one's lead-in
        sentence_hi = min(para_hi, cand.close_end + TAIL_CHARS)
        leads_next = next_open < _sentence_end(text, cand.close_end, sentence_hi)
        last = accepted[-1] if accepted else None
        backed = (
            last is not None
            and last.speaker is not None
            and last.para_index == cand.first_para_index
        ) or _named_colon(text, index, lead_lo, cand.open_pos)
        if not _is_quote(text, cand, lead_lo, tail_hi, backed):
            continue
        if not cand.paragraph_led and cand.open_pos - para_lo < 40:
            before = text[para_lo : cand.open_pos]
            short = len(_words(before)) <= MAX_LEAD_WORDS and ":" not in before
            cand.paragraph_led = short and not index.between(para_lo, cand.open_pos)
        ends_open = text[first_start:last_end].rstrip()[-1:] in {",", "?", "!", "—", "–", "-"}
        speaker: Mention | None = None
        cue = ""
        tail_said = False
        if ends_open:
            speaker = attribute.tail(cand.close_end, tail_hi)
            tail_said = speaker is None and attribute.said_after(cand.close_end, tail_hi)
        if speaker is None:
            speaker, cue = attribute.lead(lead_lo, cand.open_pos)
        if speaker is None and not ends_open and not leads_next:
            speaker = attribute.tail(cand.close_end, tail_hi)
        if speaker is None and not tail_said and cue != "unresolved":
            speaker = _inherited(text, cand, accepted, index, paragraphs, attribute, cue)
        cand.speaker = speaker
        accepted.append(cand)
    quotes: list[Quote] = []
    for cand in accepted:
        for s, e in cand.segments:
            s, e = _trimmed(text, s, e)
            if s >= e:
                continue
            sp = cand.speaker
            quotes.append(
                Quote(
                    start=s,
                    end=e,
                    text=text[s:e],
                    speaker=sp.canonical if sp else None,
                    speaker_start=sp.start if sp else None,
                    speaker_end=sp.end if sp else None,
                )
            )
    return quotes


def _inherited(
    text: str,
    cand: _Candidate,
    accepted: list[_Candidate],
    index: _Mentions,
    paragraphs: list[int],
    attribute: _Attributor,
    cue: str,
) -> Mention | None:
    """A quote with no clue of its own takes the speaker of the one it continues, or of
    the saying verb its paragraph has before it."""
    prev = accepted[-1] if accepted else None
    para = cand.first_para_index
    if prev is not None and prev.para_index == para:
        gap_lo, gap_hi = prev.close_end, cand.open_pos
        others = [m for m in index.between(gap_lo, gap_hi) if not _same(m, prev.speaker)]
        if cue == "verb" or (gap_hi - gap_lo < 200 and not others):
            return prev.speaker
        return None
    said = attribute.clause(paragraphs[para], cand.open_pos)
    if said is not None:
        return said
    quiet = prev is not None and not index.before(cand.open_pos, prev.close_end, 1)
    if cue == "colon" and prev is not None and prev.para_index == para - 1 and quiet:
        return prev.speaker
    if not cand.paragraph_led or para == 0:
        return None
    prev_lo = paragraphs[para - 1]
    prev_text = text[prev_lo : cand.open_pos].rstrip()
    if prev_text.endswith(":"):
        colon = prev_lo + len(prev_text) - 1
        lo = prev_lo
        if prev is not None and prev.para_index == para - 1:
            lo = max(lo, prev.close_end)
        lo = _sentence_start(text, max(lo, colon - LEAD_CHARS), colon)
        speaker, lead_cue = attribute.lead(lo, colon)
        if speaker is not None:
            return speaker
        if lead_cue == "verb" and prev is not None and prev.para_index == para - 1:
            return prev.speaker
        return None
    if prev is None:
        return None
    if prev.para_index == para - 1:
        rest = text[prev.close_end : paragraphs[para]]
        if prev.paragraph_led or not _WORD_RE.search(rest):
            return prev.speaker
    elif (
        para - prev.para_index <= 1 + QUIET_PARAGRAPHS
        and prev.paragraph_led
        and quiet
        and cand.open_pos - prev.close_end <= QUIET_CHARS
    ):
        return prev.speaker
    return None
