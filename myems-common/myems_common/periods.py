"""Report time buckets: exact, pure and time-zone aware.

Slot rows carry a naive UTC slot start; a slot covers [start, start + slot). Reports group them into
buckets in the entity's IANA zone: one bucket per slot ('hourly'), or a local day, a week from local
Monday, a month from the local 1st, a year from local 1 January. A local midnight that does not exist
(the zone springs forward at midnight) starts the day at the first instant that exists; an ambiguous
one (falls back at midnight) starts it at the first occurrence. Every bucket is clipped to the requested
range, so the buckets of a range tile it exactly.

The arithmetic of single instants (wall time <-> UTC, the period containing an instant) lives in
`myems_common.timeutil`; this module builds the lists a report walks over, sums rows into them and
pairs the buckets of a base period with those of a reporting period. See docs/periods.md.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache

from myems_common.timeutil import PERIODS, bucket_label, bucket_start, next_bucket_start, to_local, to_utc

PERIOD_TYPES: tuple[str, ...] = PERIODS
HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1)
_LOCAL_TEXT = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$')


@dataclass(frozen=True)
class Bucket:
    """One report bucket: [start_utc, end_utc) in naive UTC.

    `label` names the calendar bucket in local time, MyEMS style: hourly 'YYYY-MM-DDTHH:MM:SS' (the local
    wall time of the slot start), daily and weekly 'YYYY-MM-DD' (the day, the Monday), monthly 'YYYY-MM',
    yearly 'YYYY'. A bucket clipped by the range keeps the label of its whole calendar bucket, while
    `local_start` is the aware local time of `start_utc` itself.
    """

    start_utc: datetime
    end_utc: datetime
    label: str
    local_start: datetime


def _check_period(period_type: str) -> None:
    if period_type not in PERIOD_TYPES:
        raise ValueError(f'unknown period type {period_type!r}; expected one of {", ".join(PERIOD_TYPES)}')


def _check_slot(slot: timedelta) -> None:
    if slot <= timedelta(0) or _DAY % slot:
        raise ValueError(f'slot must be a positive duration that divides a day evenly, not {slot}')


def _check_naive(name: str, value: datetime) -> None:
    if value.tzinfo is not None:
        raise ValueError(f'{name} must be a naive UTC datetime, got {value.isoformat()}')


def floor_to_slot(moment_utc: datetime, slot: timedelta) -> datetime:
    """The start of the slot containing a naive UTC instant; slots are aligned to midnight UTC."""
    _check_slot(slot)
    _check_naive('moment_utc', moment_utc)
    return moment_utc - (moment_utc - _EPOCH) % slot


def _calendar_bucket(moment: datetime, period_type: str, zone: tzinfo, slot: timedelta) -> tuple[datetime, datetime]:
    """The whole (unclipped) calendar bucket containing the naive UTC instant `moment`."""
    if period_type == 'hourly':
        start = floor_to_slot(moment, slot)
        return start, start + slot
    start = bucket_start(moment, period_type, zone)
    return start, next_bucket_start(start, period_type, zone)


def buckets(
    start_utc: datetime, end_utc: datetime, period_type: str, zone: tzinfo, slot: timedelta = HOUR
) -> list[Bucket]:
    """Every bucket overlapping [start_utc, end_utc), in order, each clipped to the range.

    'hourly' is one bucket per slot. The first bucket starts at `start_utc` and the last ends at
    `end_utc` even when the range begins or ends inside a bucket. The lists of recent ranges are kept
    (reports ask for the same ranges again and again), so a call costs a copy of the list.
    """
    return list(_buckets(start_utc, end_utc, period_type, zone, slot))


@lru_cache(maxsize=512)
def _buckets(
    start_utc: datetime, end_utc: datetime, period_type: str, zone: tzinfo, slot: timedelta
) -> tuple[Bucket, ...]:
    _check_period(period_type)
    _check_slot(slot)
    _check_naive('start_utc', start_utc)
    _check_naive('end_utc', end_utc)
    if start_utc >= end_utc:
        raise ValueError(f'empty range: start {start_utc.isoformat()} is not before end {end_utc.isoformat()}')
    result: list[Bucket] = []
    current = start_utc
    while current < end_utc:
        natural, following = _calendar_bucket(current, period_type, zone, slot)
        stop = min(following, end_utc)
        result.append(Bucket(current, stop, bucket_label(natural, period_type, zone), to_local(current, zone)))
        current = stop
    return tuple(result)


class _Locator:
    """Finds the bucket holding an instant by bisecting the bucket starts (buckets sorted, disjoint)."""

    def __init__(self, bucket_list: Sequence[Bucket]) -> None:
        for before, after in zip(bucket_list, bucket_list[1:], strict=False):
            if after.start_utc < before.end_utc:
                raise ValueError(f'buckets must be in order and disjoint: {before.label} overlaps {after.label}')
        self._buckets = bucket_list
        self._starts = [bucket.start_utc for bucket in bucket_list]

    def index(self, moment: datetime) -> int | None:
        position = bisect_right(self._starts, moment) - 1
        if position >= 0 and moment < self._buckets[position].end_utc:
            return position
        return None


def bucket_sums(rows: Iterable[tuple[datetime, Decimal]], bucket_list: Sequence[Bucket]) -> list[Decimal | None]:
    """Sum (naive UTC slot start, value) rows per bucket (start_utc <= t < end_utc).

    A bucket that no row falls in is None, not 0, so a report can tell "no data" from a zero reading.
    Rows outside every bucket are ignored. One pass over the rows, a bisection each.
    """
    locator = _Locator(bucket_list)
    sums: list[Decimal | None] = [None] * len(bucket_list)
    for moment, value in rows:
        position = locator.index(moment)
        if position is None:
            continue
        previous = sums[position]
        sums[position] = value if previous is None else previous + value
    return sums


def _calendar_key(bucket: Bucket, period_type: str, slot: timedelta) -> int:
    """A number that grows by one from each calendar bucket to the next (slot, day, week, month, year)."""
    if period_type == 'hourly':
        return (floor_to_slot(bucket.start_utc, slot) - _EPOCH) // slot
    day = bucket.local_start.date()
    if period_type == 'daily':
        return day.toordinal()
    if period_type == 'weekly':
        return (day.toordinal() - 1) // 7  # date.min, ordinal 1, is a Monday
    if period_type == 'monthly':
        return day.year * 12 + day.month - 1
    return day.year


def align(
    base: Sequence[Bucket], reporting: Sequence[Bucket], period_type: str, slot: timedelta = HOUR
) -> list[int | None]:
    """For each reporting bucket, the index of the base bucket at the same calendar position, or None.

    The calendar position of a bucket is how many calendar buckets (slots, local days, weeks, months,
    years) its own calendar bucket lies after the first bucket's, counted on the calendar, not in the
    list: the first bucket of either list is position 0 even when clipped. Reporting position k pairs
    with base position k; a position the base list lacks (shorter period, a bucket left out of the
    list, a day the zone skipped) pairs with None. For the contiguous lists `buckets` returns this
    is list position, except where the calendar skips a unit; see docs/periods.md.
    """
    _check_period(period_type)
    _check_slot(slot)
    if not base or not reporting:
        return [None] * len(reporting)
    base_origin = _calendar_key(base[0], period_type, slot)
    by_position = {_calendar_key(bucket, period_type, slot) - base_origin: index for index, bucket in enumerate(base)}
    origin = _calendar_key(reporting[0], period_type, slot)
    return [by_position.get(_calendar_key(bucket, period_type, slot) - origin) for bucket in reporting]


def is_working(bucket: Bucket, period_type: str, non_working: frozenset[date]) -> bool | None:
    """Whether a daily or hourly bucket falls on a working day: its local date is not in `non_working`.

    Weekends are not special: only the set decides. Weekly, monthly and yearly buckets mix working and
    non-working days, so they give None; use `working_split` for them.
    """
    _check_period(period_type)
    if period_type not in ('hourly', 'daily'):
        return None
    return date.fromisoformat(bucket.label[:10]) not in non_working


def working_split(
    rows: Iterable[tuple[datetime, Decimal]],
    bucket_list: Sequence[Bucket],
    zone: tzinfo,
    non_working: frozenset[date],
) -> tuple[list[Decimal], list[Decimal]]:
    """Per bucket, the sum of the rows on working days and the sum on non-working days.

    A row's day is the local date of its slot start. Both lists have one entry per bucket, 0 where
    nothing fell; for each bucket the two add up to `bucket_sums` (None counting as 0).
    """
    locator = _Locator(bucket_list)
    working = [Decimal(0)] * len(bucket_list)
    resting = [Decimal(0)] * len(bucket_list)
    if not bucket_list:
        return working, resting
    # the UTC spans of the non-working days in range: a row is placed by bisection, never converted
    first = to_local(bucket_list[0].start_utc, zone).date() - timedelta(days=1)
    last = to_local(bucket_list[-1].end_utc, zone).date() + timedelta(days=1)
    days = sorted(d for d in non_working if first <= d <= last)
    spans = [(bucket_start(to_utc(datetime(d.year, d.month, d.day), zone), 'daily', zone), d) for d in days]
    starts = [start for start, _ in spans]
    ends = [next_bucket_start(start, 'daily', zone) for start in starts]
    for moment, value in rows:
        position = locator.index(moment)
        if position is None:
            continue
        day = bisect_right(starts, moment) - 1
        if day >= 0 and moment < ends[day]:
            resting[position] += value
        else:
            working[position] += value
    return working, resting


def parse_local(text: str, zone: tzinfo) -> datetime:
    """Local wall time 'YYYY-MM-DDTHH:MM:SS', 'YYYY-MM-DDTHH:MM' or 'YYYY-MM-DD' in `zone` -> naive UTC.

    A wall time in a spring-forward gap maps to the instant just after the gap; an ambiguous one
    (fall back) to its first occurrence.
    """
    match = _LOCAL_TEXT.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'not a local date-time like 2026-03-29T02:30:00 or a date like 2026-03-29: {text!r}')
    year, month, day, hour, minute, second = (int(part) for part in match.groups(default='0'))
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise ValueError(f'not a valid local date-time: {text!r} ({error})') from None
    return to_utc(local, zone)
