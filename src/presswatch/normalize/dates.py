"""Feed dates to UTC, with a flag saying how far the value can be trusted.

Feeds write dates in every dialect: RFC 822 with or without zones, ISO 8601, partial
W3CDTF, and localized month names from non-English sites. A date that cannot be read is
kept by the caller as raw text; here we only say so through the flag, never raise.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["ParsedDate", "parse_date"]

_MIN_YEAR = 1900
_MAX_YEAR = 2100
_MAX_LEN = 200
_FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A UTC datetime (or None) and why it may not be what the feed meant (None: fine)."""

    value: datetime | None
    flag: str | None


_MISSING = ParsedDate(None, "missing")
_UNPARSEABLE = ParsedDate(None, "unparseable")
_OUT_OF_RANGE = ParsedDate(None, "out-of-range")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _names(*groups: tuple[int, str]) -> dict[str, int]:
    table: dict[str, int] = {}
    for number, words in groups:
        for word in words.split():
            table[word] = number
    return table


_MONTHS = _names(
    (1, "jan january januar jänner janvier janv enero ene январь января янв"),
    (2, "feb february februar février fevrier févr fevr febrero февраль февраля фев февр"),
    (3, "mar march märz maerz mär mrz mars marzo март марта мар"),
    (4, "apr april avril avr abril abr апрель апреля апр"),
    (5, "may mai mayo май мая"),
    (6, "jun june juni juin junio июнь июня июн"),
    (7, "jul july juli juillet juil julio июль июля июл"),
    (8, "aug august août aout agosto ago август августа авг"),
    (9, "sep sept september septembre septiembre setiembre сентябрь сентября сен сент"),
    (10, "oct october oktober okt octobre octubre октябрь октября окт"),
    (11, "nov november novembre noviembre ноябрь ноября ноя нояб"),
    (12, "dec december dezember dez décembre decembre déc diciembre dic декабрь декабря дек"),
)
_WEEKDAYS = _words(
    """mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday
    sun sunday montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag mo di mi do
    fr sa so die mit don fre sam son lundi mardi mercredi jeudi vendredi samedi dimanche lun mar
    mer jeu ven dim lunes martes miércoles miercoles jueves viernes sábado sabado domingo mié mie
    jue vie sáb sab понедельник вторник среда четверг пятница суббота воскресенье пн вт ср чт пт
    сб вс"""
)
_FILLER = _words("de del le à a las los um uhr г года год в at of the on")
_ZONES = {
    "gmt": 0,
    "ut": 0,
    "utc": 0,
    "z": 0,
    "wet": 0,
    "bst": 60,
    "cet": 60,
    "west": 60,
    "cest": 120,
    "mez": 60,
    "mesz": 120,
    "eet": 120,
    "eest": 180,
    "msk": 180,
    "jst": 540,
    "kst": 540,
    "hkt": 480,
    "aest": 600,
    "aedt": 660,
    "ast": -240,
    "adt": -180,
    "est": -300,
    "edt": -240,
    "cst": -360,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
    "akst": -540,
    "akdt": -480,
    "hst": -600,
}
# Military letters in today's military meaning (A = UTC+1, N = UTC-1), not RFC 822's inverted one.
_MILITARY = {chr(ord("a") + i): i + 1 for i in range(9)} | {"k": 10, "l": 11, "m": 12}
_MILITARY |= {chr(ord("n") + i): -(i + 1) for i in range(12)} | {"z": 0}

_RFC822 = re.compile(
    r"(?:[A-Za-z]{3},? )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d)(?::(\d\d))?"
    r" ([+-]\d{4}|GMT|UTC|Z)"
)
_ISO_START = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?")
_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_ISO_SPACED_ZONE = re.compile(r"\s+(?=[+-]\d\d:?\d\d$)")
_HYPHEN_NEAR_LETTER = re.compile(r"(?<=[^\W\d_])-|-(?=[^\W\d_])")
_DOTTED_DMY = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b")
_TOKEN = re.compile(
    r"(?P<time>\d{1,2}[:h]\d\d(?::\d\d(?:[.,]\d+)?)?)"
    r"|(?P<off>[+-]\d{1,2}(?::?\d\d)?)(?!\d)"
    r"|(?P<num>\d+)(?:st|nd|rd|th|er|\.)?"
    r"|(?P<word>[^\W\d_]+)\.?"
    r"|(?P<junk>[^\s])"
)


def parse_date(raw: str | None, *, now: datetime) -> ParsedDate:
    """Read a feed date as aware UTC; `now` decides what counts as "future"."""
    if raw is None or not raw.strip():
        return _MISSING
    s = " ".join(raw.split())
    if len(s) > _MAX_LEN:
        return _UNPARSEABLE
    parsed = _parse_rfc822(s)
    if parsed is None and _ISO_START.match(s):
        parsed = _parse_iso(s)
    if parsed is None:
        parsed = _parse_words(s)
    if parsed is None:
        parsed = _parse_dateutil(s)
    if parsed is None:
        return _UNPARSEABLE
    if parsed.value is None:
        return parsed
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if parsed.value > now + _FUTURE_SLACK:
        return ParsedDate(parsed.value, "future")
    return parsed


def _finish(naive: datetime, offset_minutes: int | None, has_time: bool) -> ParsedDate:
    if not _MIN_YEAR <= naive.year <= _MAX_YEAR:
        return _OUT_OF_RANGE
    if offset_minutes is None:
        return ParsedDate(naive.replace(tzinfo=UTC), "no-zone" if has_time else None)
    if offset_minutes == 0:  # most feeds: no zone to build and convert from
        return ParsedDate(naive.replace(tzinfo=UTC), None)
    value = naive.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    return ParsedDate(value.astimezone(UTC), None)


def _parse_rfc822(s: str) -> ParsedDate | None:
    """The common well-formed RSS date, read without tokenizing."""
    m = _RFC822.fullmatch(s)
    if m is None:
        return None
    day, mon, year, hour, minute, second, zone = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    offset = 0 if zone[0] not in "+-" else _offset_minutes(zone)
    if offset is None:
        return None
    return _build(
        int(year),
        month,
        int(day),
        int(hour),
        int(minute),
        int(second or 0),
        0,
        offset,
        has_time=True,
    )


def _parse_iso(s: str) -> ParsedDate | None:
    s = _ISO_SPACED_ZONE.sub("", s.upper())
    if len(s) == 4:
        return _build(int(s), 1, 1, 0, 0, 0, 0, None, has_time=False)
    if len(s) == 7 and s[4] == "-" and s[5:].isdigit():
        return _build(int(s[:4]), int(s[5:]), 1, 0, 0, 0, 0, None, has_time=False)
    try:
        value = datetime.fromisoformat(s)
    except ValueError:
        if _ISO_DAY.fullmatch(s[:10]) and (len(s) == 10 or s[10] in "T "):
            # A well-formed ISO prefix that still fails names an impossible day or time.
            return _parse_dateutil(s) or _OUT_OF_RANGE
        return None
    offset = value.utcoffset()
    has_time = len(s) > 10
    naive = value.replace(tzinfo=None)
    if offset is None:
        return _finish(naive, None, has_time)
    return _finish(naive, int(offset.total_seconds() // 60), has_time)


def _build(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    micro: int,
    offset: int | None,
    *,
    has_time: bool,
) -> ParsedDate:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return _OUT_OF_RANGE
    try:
        naive = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return _OUT_OF_RANGE
    if offset is not None and abs(offset) >= 24 * 60:
        return _UNPARSEABLE
    return _finish(naive, offset, has_time)


def _parse_words(s: str) -> ParsedDate | None:
    """Day, month name, year, time and zone in any order feeds actually use, any language."""
    text = _HYPHEN_NEAR_LETTER.sub(" ", s.lower())
    months: list[tuple[int, str]] = []
    nums: list[str] = []
    time: str | None = None
    offset: int | None = None
    pm: bool | None = None
    after_utc = False
    tokens = list(_TOKEN.finditer(text))
    for index, tok in enumerate(tokens):
        kind = tok.lastgroup
        value = tok.group(kind or 0)
        was_utc, after_utc = after_utc, False
        if kind == "word":
            if value in _MONTHS:
                months.append((_MONTHS[value], value))
            elif value in _ZONES:
                if offset is None:
                    offset = _ZONES[value]
                after_utc = value in ("utc", "gmt", "ut")
            elif value in ("am", "pm"):
                pm = value == "pm"
            elif value in _WEEKDAYS:
                continue
            elif len(value) == 1 and index == len(tokens) - 1 and time and value in _MILITARY:
                if offset is None:
                    offset = _MILITARY[value] * 60
            elif value not in _FILLER:
                return None
        elif kind == "num":
            nums.append(value)
        elif kind == "time":
            if time is not None:
                return None
            time = value
        elif kind == "off" and (offset is None or was_utc):
            offset = _offset_minutes(value)
            if offset is None:
                return None
    if len(months) > 1:
        months = [m for m in months if m[1] not in _WEEKDAYS]
    if len(months) > 1:
        return None
    ymd = _day_month_year(months[0][0] if months else None, nums, s)
    if ymd is None:
        return None
    year, month, day = ymd
    hour = minute = second = micro = 0
    if time is not None:
        hms = re.split(r"[:h.,]", time)
        hour, minute = int(hms[0]), int(hms[1])
        if len(hms) > 2:
            second = int(hms[2])
        if len(hms) > 3:
            micro = int(hms[3][:6].ljust(6, "0"))
        if pm is not None:
            if not 1 <= hour <= 12:
                return _OUT_OF_RANGE
            hour = hour % 12 + (12 if pm else 0)
    return _build(year, month, day, hour, minute, second, micro, offset, has_time=time is not None)


def _day_month_year(
    month: int | None, nums: list[str], original: str
) -> tuple[int, int, int] | None:
    if month is not None:
        if len(nums) != 2:
            return None
        first, second = nums
        if len(first) == 4 and len(second) <= 2:
            return int(first), month, int(second)
        if len(first) > 2:
            return None
        return _full_year(second), month, int(first)
    if len(nums) == 3 and _DOTTED_DMY.search(original):
        return int(nums[2]), int(nums[1]), int(nums[0])
    return None


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) <= 2:
        return year + (2000 if year < 50 else 1900)
    return year


def _offset_minutes(token: str) -> int | None:
    sign = -1 if token[0] == "-" else 1
    body = token[1:].replace(":", "")
    if len(body) <= 2:
        hours, minutes = int(body), 0
    else:
        hours, minutes = int(body[:-2]), int(body[-2:])
    if minutes >= 60:
        return None
    return sign * (hours * 60 + minutes)


def _parse_dateutil(s: str) -> ParsedDate | None:
    """Last resort for shapes we do not know; only when a year is plainly there."""
    if not re.search(r"\d{4}|\d[/.-]\d\d?[/.-]\d\d", s):
        return None
    from dateutil import parser, tz

    sentinel = datetime(1, 1, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = parser.parse(s, default=sentinel, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None
    if value.year == 1:
        return None
    has_time = bool(re.search(r"\d:\d", s))
    try:
        offset = None if isinstance(value.tzinfo, tz.tzlocal) else value.utcoffset()
    except ValueError:
        return _UNPARSEABLE
    naive = value.replace(tzinfo=None)
    minutes = None if offset is None else int(offset.total_seconds() // 60)
    if minutes is not None and abs(minutes) >= 24 * 60:
        return _UNPARSEABLE
    return _finish(naive, minutes, has_time)


_TZINFOS = {name.upper(): minutes * 60 for name, minutes in _ZONES.items()}
