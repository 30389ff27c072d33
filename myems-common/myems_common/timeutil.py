"""UTC slot arithmetic and report bucketing in IANA time zones.

Stored datetimes are naive UTC. A slot row covers [start, start + slot). Report buckets (day, week
from Monday, month, year) start at local midnight in the entity's zone, so a DST day has 23 or 25
hourly slots. Local times that do not exist (spring forward) map to the first instant after the gap;
ambiguous ones (fall back) map to their first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERIODS = ('hourly', 'daily', 'weekly', 'monthly', 'yearly')
_OFFSET = re.compile(r'^([+-])(\d{2}):?(\d{2})$')
_LABEL_LENGTH = {'hourly': 19, 'daily': 10, 'weekly': 10, 'monthly': 7, 'yearly': 4}


def parse_utc_offset(text: str) -> timezone:
    """'+05:30' or '-0300' -> a fixed-offset tzinfo; sign and minutes are honoured."""
    match = _OFFSET.match(text.strip())
    if not match:
        raise ValueError(f'not a UTC offset like +08:00: {text!r}')
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        raise ValueError(f'UTC offset out of range: {text!r}')
    return timezone(-delta if sign == '-' else delta)


@lru_cache(maxsize=512)
def zone(name: str | None) -> tzinfo:
    """An IANA zone ('Europe/Berlin'), a fixed offset ('+08:00') or UTC for None/''."""
    if not name:
        return UTC
    if name[0] in '+-':
        return parse_utc_offset(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'unknown time zone {name!r}') from None


def utc_now() -> datetime:
    """The current time as naive UTC, the storage convention."""
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def to_local(utc: datetime, tz: tzinfo) -> datetime:
    """Naive UTC -> aware local datetime."""
    return utc.replace(tzinfo=UTC).astimezone(tz)


def to_utc(local: datetime, tz: tzinfo) -> datetime:
    """Naive local wall time in `tz` -> naive UTC.

    Ambiguous times take their first occurrence. A time inside a DST gap does not exist; it maps to
    the instant the gap ends, so the mapping never goes backwards as the wall time moves forwards.
    """
    if local.tzinfo is not None:
        return _naive_utc(local)
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first <= second:
        return first.replace(tzinfo=None)
    # A gap: `second` lies before the transition and `first` after it; find the transition.
    low, high = second, first
    after = first.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(tzinfo=None, microsecond=0)


def floor_slot(value: datetime, minutes: int) -> datetime:
    """Round a naive UTC datetime down to a slot boundary (slots are aligned to the UTC hour)."""
    value = _naive_utc(value)
    return value.replace(minute=value.minute - value.minute % minutes, second=0, microsecond=0)


def ceil_slot(value: datetime, minutes: int) -> datetime:
    floored = floor_slot(value, minutes)
    return floored if floored == _naive_utc(value) else floored + timedelta(minutes=minutes)


def iter_slots(start: datetime, end: datetime, minutes: int) -> Iterator[datetime]:
    """Slot starts s with start <= s < end, start floored to a slot boundary."""
    step = timedelta(minutes=minutes)
    current = floor_slot(start, minutes)
    while current < end:
        yield current
        current += step


def slot_count(start: datetime, end: datetime, minutes: int) -> int:
    return sum(1 for _ in iter_slots(start, end, minutes))


def _local_bucket_date(local: datetime, period: str) -> date:
    day = local.date()
    if period == 'daily':
        return day
    if period == 'weekly':
        return day - timedelta(days=day.weekday())
    if period == 'monthly':
        return day.replace(day=1)
    if period == 'yearly':
        return day.replace(month=1, day=1)
    raise ValueError(f'unknown period type {period!r}; expected one of {", ".join(PERIODS)}')


def _next_local_date(day: date, period: str) -> date:
    if period == 'daily':
        return day + timedelta(days=1)
    if period == 'weekly':
        return day + timedelta(days=7)
    if period == 'monthly':
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def _midnight_utc(day: date, tz: tzinfo) -> datetime:
    return to_utc(datetime(day.year, day.month, day.day), tz)


def bucket_start(utc: datetime, period: str, tz: tzinfo, slot_minutes: int = 60) -> datetime:
    """Naive UTC start of the bucket of `period` that contains the instant `utc`."""
    if period == 'hourly':
        return floor_slot(utc, slot_minutes)
    day = _local_bucket_date(to_local(_naive_utc(utc), tz), period)
    start = _midnight_utc(day, tz)
    if start > _naive_utc(utc):  # only possible if local midnight fell in a gap after `utc`
        start = _midnight_utc(_local_bucket_date(to_local(start - timedelta(days=1), tz), period), tz)
    return start


def next_bucket_start(start_utc: datetime, period: str, tz: tzinfo, slot_minutes: int = 60) -> datetime:
    """The UTC start of the bucket after the one starting at `start_utc`."""
    if period == 'hourly':
        return start_utc + timedelta(minutes=slot_minutes)
    day = _local_bucket_date(to_local(start_utc, tz), period)
    return _midnight_utc(_next_local_date(day, period), tz)


def bucket_starts(start: datetime, end: datetime, period: str, tz: tzinfo, slot_minutes: int = 60) -> list[datetime]:
    """UTC starts of every bucket that overlaps [start, end), empty ones included."""
    if period not in PERIODS:
        raise ValueError(f'unknown period type {period!r}; expected one of {", ".join(PERIODS)}')
    starts: list[datetime] = []
    current = bucket_start(start, period, tz, slot_minutes)
    while current < end:
        starts.append(current)
        current = next_bucket_start(current, period, tz, slot_minutes)
    return starts


def bucket_label(start_utc: datetime, period: str, tz: tzinfo) -> str:
    """MyEMS's label: the local bucket start as an ISO prefix (19, 10, 10, 7 or 4 characters)."""
    local = to_local(start_utc, tz).replace(tzinfo=None)
    return local.isoformat(timespec='seconds')[: _LABEL_LENGTH[period]]


def group_by_bucket(
    rows: Iterable[tuple[datetime, Decimal]],
    start: datetime,
    end: datetime,
    period: str,
    tz: tzinfo,
    slot_minutes: int = 60,
) -> list[tuple[datetime, Decimal | None]]:
    """Sum (slot_start_utc, value) rows into buckets; every bucket is listed, empty ones as None.

    One pass over the rows (a dict lookup each), not buckets x rows. Rows outside [start, end) are
    ignored.
    """
    starts = bucket_starts(start, end, period, tz, slot_minutes)
    sums: dict[datetime, Decimal | None] = dict.fromkeys(starts)
    cache: dict[datetime, datetime] = {}
    for slot, value in rows:
        if slot < start or slot >= end:
            continue
        bucket = cache.get(slot)
        if bucket is None:
            bucket = bucket_start(slot, period, tz, slot_minutes)
            cache[slot] = bucket
        previous = sums[bucket]
        sums[bucket] = value if previous is None else previous + value
    return list(sums.items())
