from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presswatch.fetch.schedule import FeedHints, ScheduleBounds, hints_from_feed, next_check
from presswatch.formats.detect import parse_feed

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # a Wednesday
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
NO_JITTER = ScheduleBounds(jitter=0.0)


def after(**kwargs: object) -> tuple[timedelta, str]:
    kwargs.setdefault("outcome", "ok")
    kwargs.setdefault("bounds", NO_JITTER)
    when, reason = next_check(NOW, rng=random.Random(7), **kwargs)  # type: ignore[arg-type]
    return when - NOW, reason


def every(gap: timedelta, n: int = 20, newest: timedelta = MIN) -> list[datetime]:
    return [NOW - newest - gap * i for i in range(n)]


def test_without_any_hint_the_default_interval_is_used() -> None:
    interval, reason = after()
    assert interval == H
    assert reason == "no posting rhythm known yet; checked every 1 h"


def test_feed_ttl_sets_the_interval_when_nothing_is_known_of_its_posting() -> None:
    interval, reason = after(hints=FeedHints(ttl=90))
    assert interval == 90 * MIN
    assert reason.startswith("feed ttl 90 min")


def test_sy_update_period_and_frequency_divide_the_period() -> None:
    interval, reason = after(hints=FeedHints(update_period="hourly", update_frequency=2))
    assert interval == 30 * MIN
    assert "hourly/2" in reason
    interval, _ = after(hints=FeedHints(update_period="Daily"))
    assert interval == 24 * H


def test_posting_rate_sets_the_interval_at_half_the_usual_gap() -> None:
    interval, reason = after(recent=every(6 * H))
    assert interval == 3 * H
    assert reason == "posts about every 6 h; checked every 3 h"


def test_a_daily_source_is_checked_a_few_times_a_day() -> None:
    interval, _ = after(recent=every(24 * H, newest=2 * H))
    assert interval == 12 * H


def test_a_source_posting_every_minute_is_checked_at_the_minimum() -> None:
    interval, reason = after(recent=every(MIN))
    assert interval == 15 * MIN
    assert "the shortest allowed" in reason


def test_the_median_gap_ignores_a_single_burst() -> None:
    dates = every(4 * H, n=10)
    burst = [dates[0] - timedelta(seconds=s) for s in (10, 20)]
    interval, _ = after(recent=sorted(dates + burst))
    assert interval == 2 * H


def test_a_source_gone_quiet_is_checked_less_often_than_its_old_rhythm() -> None:
    interval, reason = after(recent=every(5 * MIN, newest=timedelta(days=3)))
    assert interval == 9 * H  # an eighth of the silence
    assert "quiet for 3 days" in reason


def test_future_dates_and_too_little_history_say_nothing_about_the_rhythm() -> None:
    interval, _ = after(recent=[NOW + timedelta(days=d) for d in range(1, 10)])
    assert interval == H
    interval, _ = after(recent=[NOW - H, NOW - 2 * H])
    assert interval == H


def test_feed_hints_are_a_floor_under_a_faster_posting_rate() -> None:
    interval, reason = after(hints=FeedHints(ttl=120), recent=every(5 * MIN))
    assert interval == 2 * H
    assert reason.startswith("feed ttl 120 min")


def test_a_slower_posting_rate_wins_over_a_short_ttl() -> None:
    interval, _ = after(hints=FeedHints(ttl=20), recent=every(8 * H))
    assert interval == 4 * H


def test_cache_control_max_age_is_a_floor_respected_up_to_the_maximum() -> None:
    interval, reason = after(cache_control="public, max-age=7200", recent=every(10 * MIN))
    assert interval == 2 * H
    assert "fresh for 2 h" in reason
    interval, reason = after(cache_control="max-age=604800")
    assert interval == 24 * H
    assert "the longest allowed" in reason


def test_a_short_cache_lifetime_never_makes_polling_faster() -> None:
    interval, _ = after(cache_control="max-age=60", recent=every(4 * H))
    assert interval == 2 * H
    interval, _ = after(cache_control="max-age=60")
    assert interval == H


def test_max_age_wins_over_expires_and_s_maxage_counts_only_alone() -> None:
    expires = "Wed, 01 May 2024 18:00:00 GMT"  # six hours after NOW
    assert after(cache_control="max-age=7200", expires=expires)[0] == 2 * H
    assert after(cache_control="max-age=7200, s-maxage=36000")[0] == 2 * H
    assert after(cache_control="s-maxage=10800")[0] == 3 * H
    assert after(expires=expires)[0] == 6 * H


def test_no_cache_and_no_store_give_no_floor_even_with_expires() -> None:
    expires = "Wed, 01 May 2024 18:00:00 GMT"
    assert after(cache_control="no-cache", expires=expires)[0] == H
    assert after(cache_control="no-store, max-age=7200")[0] == H
    assert after(cache_control="max-age=0", expires=expires)[0] == H


@pytest.mark.parametrize("expires", ["0", "-1", "Tue, 30 Apr 2024 12:00:00 GMT", "soon"])
def test_expired_or_unreadable_expires_is_ignored(expires: str) -> None:
    assert after(expires=expires)[0] == H


def test_error_backs_off_exponentially_up_to_the_cap() -> None:
    seen = [after(outcome="error", error_streak=n)[0] for n in (1, 2, 3, 4)]
    assert seen == [10 * MIN, 20 * MIN, 40 * MIN, 80 * MIN]
    assert after(outcome="error", error_streak=9)[0] == 24 * H
    _, reason = after(outcome="error", error_streak=3)
    assert reason == "error 3 in a row: retry in 40 min"


def test_error_streak_zero_counts_as_the_first_failure() -> None:
    assert after(outcome="error", error_streak=0)[0] == 10 * MIN


def test_a_dead_source_is_still_retried_weekly() -> None:
    interval, reason = after(outcome="error", error_streak=10)
    assert interval == timedelta(days=7)
    assert reason.startswith("dead (10 failures in a row)")
    assert "7 days" in reason


def test_a_huge_streak_below_dead_after_does_not_overflow() -> None:
    bounds = ScheduleBounds(jitter=0.0, dead_after=10**6)
    assert after(outcome="error", error_streak=5000, bounds=bounds)[0] == 24 * H


def test_a_gone_source_is_retried_rarely() -> None:
    interval, reason = after(outcome="gone")
    assert interval == timedelta(days=30)
    assert "410" in reason


def test_retry_after_wins_when_later_only() -> None:
    later = NOW + 3 * H
    interval, reason = after(outcome="error", error_streak=1, retry_after=later)
    assert interval == 3 * H
    assert "wait until 2024-05-01 15:00 UTC" in reason
    assert after(outcome="error", error_streak=1, retry_after=NOW + MIN)[0] == 10 * MIN


def test_skip_hours_push_the_check_to_the_next_allowed_hour() -> None:
    interval, reason = after(hints=FeedHints(skip_hours=(13, 14, 15)))
    assert NOW + interval == datetime(2024, 5, 1, 16, 0, tzinfo=UTC)
    assert "moved to Wed 16:00 GMT" in reason


def test_skip_days_push_the_check_to_the_next_allowed_day() -> None:
    friday_night = datetime(2024, 5, 3, 23, 30, tzinfo=UTC)
    when, _ = next_check(
        friday_night,
        outcome="ok",
        hints=FeedHints(skip_days=("Saturday", "sunday")),
        bounds=NO_JITTER,
    )
    assert when == datetime(2024, 5, 6, 0, 0, tzinfo=UTC)


def test_skipping_every_hour_or_every_day_is_ignored() -> None:
    assert after(hints=FeedHints(skip_hours=tuple(range(24))))[0] == H
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    assert after(hints=FeedHints(skip_days=days))[0] == H


def test_jitter_spreads_sources_but_a_seeded_rng_repeats() -> None:
    bounds = ScheduleBounds(jitter=0.1)
    times = {
        next_check(NOW, outcome="ok", bounds=bounds, rng=random.Random(s))[0] for s in range(20)
    }
    assert len(times) > 10
    assert all(NOW + 54 * MIN <= t <= NOW + 66 * MIN for t in times)
    first = next_check(NOW, outcome="ok", bounds=bounds, rng=random.Random(3))
    assert next_check(NOW, outcome="ok", bounds=bounds, rng=random.Random(3)) == first


def test_jitter_never_polls_faster_than_the_feed_asks() -> None:
    bounds = ScheduleBounds(jitter=0.5)
    for seed in range(30):
        when, _ = next_check(
            NOW, outcome="ok", hints=FeedHints(ttl=60), bounds=bounds, rng=random.Random(seed)
        )
        assert when >= NOW + H


def test_naive_datetimes_are_read_as_utc() -> None:
    when, _ = next_check(
        NOW.replace(tzinfo=None),
        outcome="ok",
        recent=[d.replace(tzinfo=None) for d in every(6 * H)],
        bounds=NO_JITTER,
    )
    assert when == NOW + 3 * H


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fetch outcome"):
        next_check(NOW, outcome="maybe")


def test_hints_from_a_parsed_feed() -> None:
    feed = parse_feed(
        b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>
<title>T</title><link>https://example.com/</link><ttl>45</ttl>
<sy:updatePeriod> Hourly </sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<skipHours><hour>24</hour><hour>3</hour><hour>99</hour></skipHours>
<skipDays><day>sunday</day><day>Funday</day></skipDays>
</channel></rss>"""
    )
    hints = hints_from_feed(feed)
    assert hints == FeedHints(
        ttl=45,
        update_period="hourly",
        update_frequency=4,
        skip_hours=(0, 3),
        skip_days=("Sunday",),
    )


def test_hints_from_feed_drops_meaningless_values() -> None:
    feed = parse_feed(b"<rss version='2.0'><channel><title>T</title><ttl>0</ttl></channel></rss>")
    assert hints_from_feed(feed).ttl is None


# --- properties --------------------------------------------------------------------------

hint_values = st.builds(
    FeedHints,
    ttl=st.none() | st.integers(-10, 10**6),
    update_period=st.none() | st.sampled_from(["hourly", "daily", "weekly", "monthly", "x"]),
    update_frequency=st.none() | st.integers(-2, 10**4),
)
cache_values = st.none() | st.sampled_from(
    ["no-cache", "max-age=0", "max-age=30", "public, max-age=3600", "s-maxage=999999", "junk"]
)
recent_dates = st.lists(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)).map(lambda d: NOW - d),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(
    hints=hint_values,
    cache=cache_values,
    recent=recent_dates,
    outcome=st.sampled_from(["ok", "not-modified"]),
    seed=st.integers(0, 2**32),
)
def test_successful_checks_always_land_within_bounds(
    hints: FeedHints, cache: str | None, recent: list[datetime], outcome: str, seed: int
) -> None:
    bounds = ScheduleBounds()
    when, reason = next_check(
        NOW,
        outcome=outcome,
        hints=hints,
        cache_control=cache,
        recent=recent,
        bounds=bounds,
        rng=random.Random(seed),
    )
    assert NOW + bounds.minimum <= when <= NOW + bounds.maximum
    assert reason


@settings(max_examples=200, deadline=None)
@given(
    streak=st.integers(0, 60),
    seed=st.integers(0, 2**32),
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_errors_are_retried_later_but_never_dropped(streak: int, seed: int, now: datetime) -> None:
    bounds = ScheduleBounds()
    now = now.replace(tzinfo=UTC)
    when, reason = next_check(
        now, outcome="error", error_streak=streak, bounds=bounds, rng=random.Random(seed)
    )
    limit = bounds.dead_interval * 1.1 if streak >= bounds.dead_after else bounds.error_max
    assert now < when <= now + limit
    assert reason


@settings(max_examples=200, deadline=None)
@given(
    hours=st.sets(st.integers(0, 23), max_size=24),
    days=st.sets(st.sampled_from(["Monday", "Tuesday", "Saturday", "Sunday"])),
    recent=recent_dates,
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_a_check_never_falls_in_a_skipped_hour_or_day(
    hours: set[int], days: set[str], recent: list[datetime], now: datetime
) -> None:
    now = now.replace(tzinfo=UTC)
    hints = FeedHints(skip_hours=tuple(hours), skip_days=tuple(days))
    when, _ = next_check(now, outcome="ok", hints=hints, recent=recent, rng=random.Random(1))
    assert when > now
    if len(hours) < 24:
        assert when.hour not in hours
    assert when.strftime("%A") not in days
