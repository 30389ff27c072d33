from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myems_common.timeutil import (
    PERIODS,
    bucket_label,
    bucket_start,
    bucket_starts,
    ceil_slot,
    floor_slot,
    group_by_bucket,
    iter_slots,
    next_bucket_start,
    parse_utc_offset,
    to_local,
    to_utc,
    zone,
)

BERLIN = zone('Europe/Berlin')
ZONES = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'America/St_Johns',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Adelaide',
    'Pacific/Chatham',
    'America/Santiago',
    'Asia/Tehran',
    '-05:00',
    '+05:30',
    '-09:30',
]


def hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def test_offsets_keep_sign_and_minutes() -> None:
    assert parse_utc_offset('+05:30').utcoffset(None) == timedelta(hours=5, minutes=30)
    assert parse_utc_offset('-05:00').utcoffset(None) == timedelta(hours=-5)
    assert parse_utc_offset('-0930').utcoffset(None) == timedelta(hours=-9, minutes=-30)
    for bad in ('8', '+8:00', '+15:00', '+05:75', 'UTC+1'):
        with pytest.raises(ValueError):
            parse_utc_offset(bad)


def test_unknown_zone_is_named() -> None:
    with pytest.raises(ValueError, match='Mars/Base'):
        zone('Mars/Base')


def test_slots() -> None:
    t = datetime(2025, 5, 1, 10, 47, 13)
    assert floor_slot(t, 60) == datetime(2025, 5, 1, 10)
    assert floor_slot(t, 15) == datetime(2025, 5, 1, 10, 45)
    assert ceil_slot(t, 30) == datetime(2025, 5, 1, 11)
    assert ceil_slot(datetime(2025, 5, 1, 11), 30) == datetime(2025, 5, 1, 11)
    assert len(list(iter_slots(datetime(2025, 5, 1), datetime(2025, 5, 2), 15))) == 96


def test_berlin_dst_days_have_23_and_25_hours() -> None:
    spring = bucket_starts(datetime(2025, 3, 29, 12), datetime(2025, 3, 31, 12), 'daily', BERLIN)
    assert [hours(a, b) for a, b in zip(spring, spring[1:], strict=False)] == [24, 23]
    autumn = bucket_starts(datetime(2025, 10, 25, 12), datetime(2025, 10, 27, 12), 'daily', BERLIN)
    assert [hours(a, b) for a, b in zip(autumn, autumn[1:], strict=False)] == [24, 25]
    day = bucket_start(datetime(2025, 3, 30, 12), 'daily', BERLIN)
    assert len(list(iter_slots(day, next_bucket_start(day, 'daily', BERLIN), 60))) == 23


def test_weeks_start_on_local_monday_and_months_and_years_on_local_firsts() -> None:
    week = bucket_start(datetime(2025, 1, 8, 12), 'weekly', BERLIN)
    assert to_local(week, BERLIN).replace(tzinfo=None) == datetime(2025, 1, 6)
    new_york = zone('America/New_York')
    month = bucket_start(datetime(2025, 3, 1, 3), 'monthly', new_york)  # still February in New York
    assert to_local(month, new_york).replace(tzinfo=None) == datetime(2025, 2, 1)
    year = bucket_start(datetime(2025, 1, 1, 2), 'yearly', zone('-05:00'))
    assert year == datetime(2024, 1, 1, 5)
    assert next_bucket_start(year, 'yearly', zone('-05:00')) == datetime(2025, 1, 1, 5)


def test_half_hour_and_negative_offsets_are_exact() -> None:
    kolkata = zone('Asia/Kolkata')
    assert bucket_start(datetime(2025, 6, 1, 12), 'daily', kolkata) == datetime(2025, 5, 31, 18, 30)
    st_johns = zone('America/St_Johns')
    assert bucket_start(datetime(2025, 1, 15, 12), 'daily', st_johns) == datetime(2025, 1, 15, 3, 30)


def test_labels_follow_myems_prefix_lengths() -> None:
    start = to_utc(datetime(2025, 7, 1), BERLIN)
    assert bucket_label(start, 'hourly', BERLIN) == '2025-07-01T00:00:00'
    assert bucket_label(start, 'daily', BERLIN) == '2025-07-01'
    assert bucket_label(start, 'monthly', BERLIN) == '2025-07'
    assert bucket_label(start, 'yearly', BERLIN) == '2025'


def test_local_gaps_and_ambiguous_times() -> None:
    assert to_utc(datetime(2025, 3, 30, 2, 30), BERLIN) == datetime(2025, 3, 30, 1)  # gap -> its end
    assert to_utc(datetime(2025, 10, 26, 2, 30), BERLIN) == datetime(2025, 10, 26, 0, 30)  # first occurrence
    santiago = zone('America/Santiago')  # DST begins at local midnight: that day starts at 01:00
    day = bucket_start(datetime(2025, 9, 7, 12), 'daily', santiago)
    assert to_local(day, santiago).hour == 1
    assert hours(day, next_bucket_start(day, 'daily', santiago)) == 23


def test_every_bucket_is_listed_and_empty_ones_are_none() -> None:
    start, end = to_utc(datetime(2025, 3, 28), BERLIN), to_utc(datetime(2025, 4, 2), BERLIN)
    rows = [(datetime(2025, 3, 30, 10), Decimal('2.5')), (datetime(2025, 3, 30, 11), Decimal('1.5'))]
    grouped = group_by_bucket(rows, start, end, 'daily', BERLIN)
    assert len(grouped) == 5
    assert [v for _, v in grouped] == [None, None, Decimal('4.0'), None, None]


@st.composite
def ranges(draw: st.DrawFn) -> tuple[datetime, datetime, str, str]:
    start = draw(st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2030, 1, 1)))
    start = floor_slot(start, 60)
    length = draw(st.integers(min_value=1, max_value=24 * 400))
    period = draw(st.sampled_from(PERIODS))
    if period == 'hourly':
        length = min(length, 24 * 20)
    return start, start + timedelta(hours=length), period, draw(st.sampled_from(ZONES))


@settings(max_examples=200, deadline=None)
@given(ranges())
def test_buckets_are_contiguous_cover_the_range_and_start_at_local_boundaries(
    case: tuple[datetime, datetime, str, str],
) -> None:
    start, end, period, name = case
    tz = zone(name)
    starts = bucket_starts(start, end, period, tz)
    assert starts[0] <= start < next_bucket_start(starts[0], period, tz)
    assert starts[-1] < end <= next_bucket_start(starts[-1], period, tz)
    for a, b in zip(starts, starts[1:], strict=False):
        assert next_bucket_start(a, period, tz) == b
        assert a < b
    if period != 'hourly':
        for s in starts:
            assert bucket_start(s, period, tz) == s
            assert to_local(s - timedelta(seconds=1), tz).date() < to_local(s, tz).date()  # first instant of a day


@settings(max_examples=150, deadline=None)
@given(ranges(), st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60), st.randoms())
def test_bucket_sums_equal_the_total(case: tuple[datetime, datetime, str, str], values: list[int], rnd: object) -> None:
    start, end, period, name = case
    tz = zone(name)
    slots = list(iter_slots(start, end, 60))
    rows = [(rnd.choice(slots), Decimal(v) / 1000) for v in values]  # type: ignore[attr-defined]
    grouped = group_by_bucket(rows, start, end, period, tz)
    assert sum((v for _, v in grouped if v is not None), Decimal(0)) == sum(v for _, v in rows)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1)),
    st.integers(min_value=1, max_value=7200),
    st.sampled_from(ZONES),
)
def test_local_to_utc_never_goes_backwards(local: datetime, seconds: int, name: str) -> None:
    tz = zone(name)
    assert to_utc(local, tz) <= to_utc(local + timedelta(seconds=seconds), tz)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1)), st.sampled_from(ZONES))
def test_utc_round_trips_through_local_wall_time(utc: datetime, name: str) -> None:
    tz = zone(name)
    local = to_local(utc, tz)
    back = to_utc(local.replace(tzinfo=None), tz)
    if local.fold == 0:
        assert back == utc
    else:  # the second occurrence of an ambiguous wall time maps to the first
        assert back < utc
