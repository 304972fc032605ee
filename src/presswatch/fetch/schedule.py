"""When to check a source next: pure, from what the feed and the server said and what it posts.

A source that posts daily need not be polled every quarter hour, and one that posts every
minute should not wait a day; the observed posting rate sets the pace. What the feed
(ttl, sy:updatePeriod) and the server (Cache-Control, Expires) ask for is a floor we never
poll faster than, because ignoring it is impolite and earns nothing new. Failures back off
exponentially so a broken host is not hammered, but no source is ever dropped: a dead one
is still tried weekly. Jitter keeps many sources from falling due at the same second.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import pairwise

from presswatch.types import ParsedFeed


@dataclass(frozen=True, slots=True)
class ScheduleBounds:
    """The configured limits every computed interval is clamped into."""

    minimum: timedelta = timedelta(minutes=15)
    maximum: timedelta = timedelta(hours=24)
    default: timedelta = timedelta(hours=1)
    error_base: timedelta = timedelta(minutes=10)
    error_max: timedelta = timedelta(hours=24)
    dead_after: int = 10  # consecutive failures after which a source counts as dead
    dead_interval: timedelta = timedelta(days=7)
    gone_interval: timedelta = timedelta(days=30)  # a retired (410) source, retried rarely
    jitter: float = 0.1  # +/- fraction applied to every interval


@dataclass(frozen=True, slots=True)
class FeedHints:
    """What the feed itself says about its rhythm (from ParsedFeed / the feeds table)."""

    ttl: int | None = None  # minutes
    update_period: str | None = None  # hourly | daily | weekly | monthly | yearly
    update_frequency: int | None = None
    skip_hours: tuple[int, ...] = ()  # 0-23, GMT
    skip_days: tuple[str, ...] = ()  # Monday..Sunday


OUTCOMES = ("ok", "not-modified", "error", "gone")
RATE_WINDOW = 20  # the latest posts whose gaps give the posting rate
_MIN_POSTS = 3  # fewer dates than this say nothing about a rhythm
_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DIRECTIVE = re.compile(r"([A-Za-z-]+)\s*(?:=\s*\"?(\d+)\"?)?")


def hints_from_feed(feed: ParsedFeed) -> FeedHints:
    """The feed's own scheduling hints, cleaned of values no schedule can use.

    Hour 24 is read as 0 (some feeds count 1-24); day names are matched case-blind and
    stored capitalized; a ttl or frequency of zero or less means nothing.
    """
    hours = sorted({h % 24 for h in feed.skip_hours if 0 <= h <= 24})
    days = [d.strip().lower() for d in feed.skip_days if d]
    return FeedHints(
        ttl=feed.ttl if feed.ttl is not None and feed.ttl > 0 else None,
        update_period=(feed.update_period or "").strip().lower() or None,
        update_frequency=(
            feed.update_frequency
            if feed.update_frequency is not None and feed.update_frequency > 0
            else None
        ),
        skip_hours=tuple(hours),
        skip_days=tuple(d.capitalize() for d in _DAYS if d in days),
    )


def next_check(
    now: datetime,
    *,
    outcome: str,  # ok | not-modified | error | gone
    hints: FeedHints = FeedHints(),
    cache_control: str | None = None,
    expires: str | None = None,
    recent: Sequence[datetime] = (),  # publication dates of the source's recent articles
    error_streak: int = 0,  # consecutive failures INCLUDING this one when outcome == error
    retry_after: datetime | None = None,
    bounds: ScheduleBounds = ScheduleBounds(),
    rng: random.Random | None = None,
) -> tuple[datetime, str]:
    """The next time to check, and a short reason an analyst can read ("feed ttl 60 min").

    Naive datetimes are read as UTC; the result is aware UTC, always after `now`. With
    outcome ok/not-modified the interval lies within [bounds.minimum, bounds.maximum]
    unless the feed's skipHours/skipDays or the server's Retry-After push it later.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown fetch outcome {outcome!r}; expected one of {OUTCOMES}")
    now = _utc(now)
    rng = rng if rng is not None else random.Random()
    if outcome == "gone":
        interval = _jittered(bounds.gone_interval, bounds.jitter, rng)
        reason = f"gone (the server said 410): retried every {_human(bounds.gone_interval)}"
    elif outcome == "error":
        interval, reason = _error_interval(max(1, error_streak), bounds, rng)
    else:
        base, least, reason = _ok_interval(now, hints, cache_control, expires, recent, bounds)
        interval = _clamp(_jittered(base, bounds.jitter, rng), least, bounds.maximum)
    when = now + max(interval, timedelta(seconds=1))
    if retry_after is not None and _utc(retry_after) > when:
        when = _utc(retry_after)
        reason += f"; the server asked us to wait until {when:%Y-%m-%d %H:%M} UTC"
    moved = _out_of_skipped(when, hints)
    if moved != when:
        when = moved
        reason += f"; the feed skips some hours/days: moved to {when:%a %H:%M} GMT"
    return when, reason


def _ok_interval(
    now: datetime,
    hints: FeedHints,
    cache_control: str | None,
    expires: str | None,
    recent: Sequence[datetime],
    bounds: ScheduleBounds,
) -> tuple[timedelta, timedelta, str]:
    """The interval after a successful check, the least it may become, and why (no jitter).

    Without a posting history the feed's own ttl/sy hint is the best guess at its rhythm;
    a Cache-Control/Expires lifetime says only how soon asking again is pointless, so it
    is a floor and never sets the pace by itself.
    """
    feed = _feed_floor(hints)
    cache = _cache_floor(now, cache_control, expires)
    base = _rate(now, recent) or feed or (bounds.default, "no posting rhythm known yet")
    for floor in (feed, cache):
        if floor is not None and floor[0] > base[0]:
            base = floor
    interval, label = base
    least = max([bounds.minimum] + [f[0] for f in (feed, cache) if f is not None])
    least = min(least, bounds.maximum)
    note = ""
    if interval < bounds.minimum:
        interval, note = bounds.minimum, " (the shortest allowed)"
    elif interval > bounds.maximum:
        interval, note = bounds.maximum, " (the longest allowed)"
    return interval, least, f"{label}; checked every {_human(interval)}{note}"


def _feed_floor(hints: FeedHints) -> tuple[timedelta, str] | None:
    found: list[tuple[timedelta, str]] = []
    if hints.ttl is not None and hints.ttl > 0:
        found.append((timedelta(minutes=hints.ttl), f"feed ttl {hints.ttl} min"))
    period = _PERIODS.get((hints.update_period or "").strip().lower())
    if period is not None:
        freq = (
            hints.update_frequency if hints.update_frequency and hints.update_frequency > 0 else 1
        )
        every = period / freq
        name = (hints.update_period or "").strip().lower()
        said = name if freq == 1 else f"{name}/{freq}"
        found.append((every, f"feed says it updates {said}"))
    return max(found, key=lambda f: f[0]) if found else None


def _cache_floor(
    now: datetime, cache_control: str | None, expires: str | None
) -> tuple[timedelta, str] | None:
    """How long the server says its answer stays fresh, read as we are a private cache.

    no-cache/no-store mean the answer is stale at once (no floor, Expires ignored);
    max-age wins over Expires; s-maxage counts only without max-age, since a shared cache
    in front of the origin would hand us the same copy until then.
    """
    directives: dict[str, int | None] = {}
    for part in (cache_control or "").split(","):
        m = _DIRECTIVE.match(part.strip())
        if m:
            directives[m.group(1).lower()] = int(m.group(2)) if m.group(2) else None
    if "no-cache" in directives or "no-store" in directives:
        return None
    for name in ("max-age", "s-maxage"):
        seconds = directives.get(name)
        if seconds is not None:
            if seconds <= 0:
                return None
            fresh = timedelta(seconds=seconds)
            return fresh, f"the server says the feed stays fresh for {_human(fresh)}"
    if expires:
        try:
            at = _utc(parsedate_to_datetime(expires.strip()))
        except (TypeError, ValueError, IndexError):
            return None
        if at > now:
            fresh = at - now
            return fresh, f"the server says the feed stays fresh for {_human(fresh)} (Expires)"
    return None


def _rate(now: datetime, recent: Sequence[datetime]) -> tuple[timedelta, str] | None:
    """Half the median gap between the latest posts, so a new post waits half a gap on average.

    A source that has gone quiet for more than four usual gaps has changed its rhythm, so
    a quarter of the silence counts as the gap instead. Future dates (wrong clocks,
    scheduled posts) are left out.
    """
    dates = sorted((d for d in map(_utc, recent) if d <= now), reverse=True)[:RATE_WINDOW]
    if len(dates) < _MIN_POSTS:
        return None
    gaps = sorted(a - b for a, b in pairwise(dates))
    middle = len(gaps) // 2
    gap = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
    gap = max(gap, timedelta(seconds=1))
    silence = now - dates[0]
    if silence / 4 > gap:
        label = f"posts about every {_human(gap)} but quiet for {_human(silence)}"
        return silence / 8, label
    return gap / 2, f"posts about every {_human(gap)}"


def _error_interval(
    streak: int, bounds: ScheduleBounds, rng: random.Random
) -> tuple[timedelta, str]:
    if streak >= bounds.dead_after:
        interval = _jittered(bounds.dead_interval, bounds.jitter, rng)
        why = f"dead ({streak} failures in a row): retried every {_human(bounds.dead_interval)}"
        return interval, why
    doubled = bounds.error_base.total_seconds() * 2.0 ** min(streak - 1, 64)
    delay = min(timedelta(seconds=min(doubled, 1e12)), bounds.error_max)
    interval = min(_jittered(delay, bounds.jitter, rng), bounds.error_max)
    return interval, f"error {streak} in a row: retry in {_human(delay)}"


def _out_of_skipped(when: datetime, hints: FeedHints) -> datetime:
    """The first moment at or after `when` outside the feed's skipHours and skipDays (GMT).

    A feed that skips every hour (or every day) would never be checked, so such a list is
    ignored rather than obeyed.
    """
    hours = {h % 24 for h in hints.skip_hours if 0 <= h <= 24}
    days = {_DAYS.index(d.strip().lower()) for d in hints.skip_days if d.strip().lower() in _DAYS}
    if len(hours) >= 24:
        hours = set()
    if len(days) >= 7:
        days = set()
    if not hours and not days:
        return when
    moved = when
    for _ in range(8 * 24):
        if moved.hour not in hours and moved.weekday() not in days:
            return moved
        moved = moved.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return when


def _jittered(interval: timedelta, jitter: float, rng: random.Random) -> timedelta:
    if jitter <= 0:
        return interval
    return interval * (1 + rng.uniform(-jitter, jitter))


def _clamp(value: timedelta, low: timedelta, high: timedelta) -> timedelta:
    return max(low, min(value, high))


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _human(span: timedelta) -> str:
    """A duration as an analyst would say it: "45 s", "40 min", "3 h", "1 h 30 min", "7 days"."""
    seconds = round(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"
    days = seconds / 86400
    if days >= 10 or abs(days - round(days)) < 0.05:
        return f"{round(days):,} days"
    return f"{days:.1f} days"
