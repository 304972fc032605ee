from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.normalize import ParsedDate, parse_date

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
JAN14 = datetime(2022, 1, 14, 15, 31, 7, tzinfo=UTC)
JAN14_NOSEC = datetime(2022, 1, 14, 15, 31, tzinfo=UTC)
JAN14_DAY = datetime(2022, 1, 14, tzinfo=UTC)


def parse(raw: str | None) -> ParsedDate:
    return parse_date(raw, now=NOW)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Fri, 14 Jan 2022 15:31:07 +0000", JAN14),
        ("Fri, 14 Jan 2022 15:31:07 GMT", JAN14),
        ("Fri, 14 Jan 2022 15:31:07 UT", JAN14),
        ("Fri, 14 Jan 2022 15:31:07 UTC", JAN14),
        ("Fri, 14 Jan 2022 15:31:07 Z", JAN14),
        ("Fri, 14 Jan 2022 10:31:07 EST", JAN14),
        ("Fri, 14 Jan 2022 11:31:07 EDT", JAN14),
        ("Fri, 14 Jan 2022 09:31:07 CST", JAN14),
        ("Fri, 14 Jan 2022 10:31:07 CDT", JAN14),
        ("Fri, 14 Jan 2022 08:31:07 MST", JAN14),
        ("Fri, 14 Jan 2022 09:31:07 MDT", JAN14),
        ("Fri, 14 Jan 2022 07:31:07 PST", JAN14),
        ("Fri, 14 Jan 2022 08:31:07 PDT", JAN14),
        ("Fri, 14 Jan 2022 18:31:07 +0300", JAN14),
        ("Fri, 14 Jan 2022 16:31:07 A", JAN14),
        ("Fri, 14 Jan 2022 14:31:07 N", JAN14),
        ("Fri, 14 Jan 2022 15:31:07 +0000 GMT", JAN14),
        ("Fri, 14 Jan 2022 15:31:07 +0000 (UTC)", JAN14),
        ("14 Jan 2022 15:31:07 +0000", JAN14),
        ("Mon, 14 Jan 2022 15:31:07 +0000", JAN14),
        ("Fri, 14 Jan 22 15:31:07 +0000", JAN14),
        ("Fri,   14  Jan  2022   15:31:07   +0000", JAN14),
        ("Fri, 14 Jan 2022 15:31 +0000", JAN14_NOSEC),
        ("Tue, 6 Sept 2022 15:31:07 +0000", datetime(2022, 9, 6, 15, 31, 7, tzinfo=UTC)),
        ("Sun, 4 Sep 2022 15:31:07 GMT", datetime(2022, 9, 4, 15, 31, 7, tzinfo=UTC)),
        ("Friday, January 14, 2022 3:31:07 PM GMT", JAN14),
        ("14-Jan-2022 15:31:07 +0000", JAN14),
        ("2022-01-14T15:31:07Z", JAN14),
        ("2022-01-14t15:31:07z", JAN14),
        ("2022-01-14T15:31:07+00:00", JAN14),
        ("2022-01-14T18:31:07+03:00", JAN14),
        ("2022-01-14T10:31:07-05:00", JAN14),
        ("2022-01-14T18:31:07+0300", JAN14),
        ("2022-01-14T15:31Z", JAN14_NOSEC),
        ("2022-01-14T15:31:07.250Z", JAN14.replace(microsecond=250000)),
        ("2022-01-14T15:31:07.123456789Z", JAN14.replace(microsecond=123456)),
        ("2022-01-14 15:31:07 +0000", JAN14),
        ("2022-01-14", JAN14_DAY),
        ("2022-01", datetime(2022, 1, 1, tzinfo=UTC)),
        ("2022", datetime(2022, 1, 1, tzinfo=UTC)),
        # Localized month and weekday names.
        ("14 января 2022 18:31:07 +0300", JAN14),
        ("пт, 14 янв 2022 15:31:07 +0000", JAN14),
        ("Пятница, 14 Января 2022 г. 15:31:07 GMT", JAN14),
        ("3 февраля 2022", datetime(2022, 2, 3, tzinfo=UTC)),
        ("1 сентября 2022", datetime(2022, 9, 1, tzinfo=UTC)),
        ("Fr, 14. Jan 2022 16:31:07 +0100", JAN14),
        ("Freitag, 14. Januar 2022 16:31:07 MEZ", JAN14),
        ("3. März 2022", datetime(2022, 3, 3, tzinfo=UTC)),
        ("vendredi 14 janvier 2022 16:31:07 +0100", JAN14),
        ("ven., 14 janv. 2022 15:31:07 GMT", JAN14),
        ("mar. 15 févr. 2022", datetime(2022, 2, 15, tzinfo=UTC)),
        ("1er août 2022", datetime(2022, 8, 1, tzinfo=UTC)),
        ("viernes, 14 de enero de 2022 16:31:07 +0100", JAN14),
        ("vie, 14 ene 2022 15:31:07 GMT", JAN14),
        ("14 de diciembre de 2021", datetime(2021, 12, 14, tzinfo=UTC)),
    ],
)
def test_parses_to_utc(raw: str, expected: datetime) -> None:
    result = parse(raw)
    assert result == ParsedDate(expected, None)
    assert result.value is not None and result.value.utcoffset() is not None


@pytest.mark.parametrize(
    "raw",
    [
        "Fri, 14 Jan 2022 15:31:07",
        "2022-01-14T15:31:07",
        "2022-01-14 15:31:07",
        "14 января 2022 15:31:07",
    ],
)
def test_time_without_zone_is_read_as_utc_and_flagged(raw: str) -> None:
    assert parse(raw) == ParsedDate(JAN14, "no-zone")


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t"])
def test_missing(raw: str | None) -> None:
    assert parse(raw) == ParsedDate(None, "missing")


@pytest.mark.parametrize(
    "raw", ["garbage", "yesterday", "1", "Jan", "14 Jan", "12:30", "2022 2023 2024", "n/a"]
)
def test_unparseable(raw: str) -> None:
    assert parse(raw) == ParsedDate(None, "unparseable")


@pytest.mark.parametrize(
    "raw",
    [
        "Fri, 31 Feb 2022 10:00:00 GMT",
        "2022-02-30",
        "2022-13-01T00:00:00Z",
        "0000-00-00 00:00:00",
        "Sat, 01 Jan 1870 00:00:00 GMT",
        "2999-01-01T00:00:00Z",
        "1899-12-31",
        "Fri, 14 Jan 2022 25:31:07 GMT",
    ],
)
def test_out_of_range(raw: str) -> None:
    assert parse(raw) == ParsedDate(None, "out-of-range")


def test_future_keeps_value() -> None:
    assert parse("2024-06-03T00:00:00Z") == ParsedDate(datetime(2024, 6, 3, tzinfo=UTC), "future")


def test_less_than_a_day_ahead_is_not_future() -> None:
    assert parse("2024-06-02T06:00:00Z").flag is None


def test_naive_now_is_taken_as_utc() -> None:
    result = parse_date("2024-06-03T00:00:00Z", now=NOW.replace(tzinfo=None))
    assert result.flag == "future"


@settings(max_examples=400)
@given(st.one_of(st.none(), st.text(max_size=80)))
def test_never_raises_on_any_text(raw: str | None) -> None:
    result = parse(raw)
    assert result.value is None or result.value.utcoffset() is not None


_date_like = st.builds(
    lambda wd, day, mon, year, time, zone: f"{wd}{day} {mon} {year} {time} {zone}".strip(),
    st.sampled_from(["", "Fri, ", "Mon ", "пт, ", "Freitag, "]),
    st.integers(min_value=-1, max_value=40),
    st.sampled_from(["Jan", "Sept", "января", "März", "août", "ene", "Foo", ""]),
    st.integers(min_value=-5, max_value=99999),
    st.sampled_from(["", "15:31", "15:31:07", "25:61:61", "3:31 pm", "15:31:07.123"]),
    st.sampled_from(["", "GMT", "+0000", "-2400", "+99:99", "Z", "J", "EST", "(UTC)", "+03:00"]),
)


@settings(max_examples=600)
@given(_date_like)
def test_never_raises_on_date_like_text(raw: str) -> None:
    result = parse(raw)
    if result.value is not None:
        assert result.value.tzinfo is UTC
        assert 1899 <= result.value.year <= 2101
