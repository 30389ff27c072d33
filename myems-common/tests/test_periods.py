"""Report buckets: worked examples in awkward zones, then properties over random zones and ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from myems_common.periods import (
    PERIOD_TYPES,
    Bucket,
    align,
    bucket_sums,
    buckets,
    floor_to_slot,
    is_working,
    parse_local,
    working_split,
)

HOUR = timedelta(hours=1)
TRICKY_ZONES = (
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'America/Los_Angeles',
    'America/St_Johns',
    'America/Santiago',
    'America/Havana',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Sydney',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Europe/Dublin',
)


def spans(bucket_list: list[Bucket]) -> list[tuple[datetime, datetime]]:
    return [(bucket.start_utc, bucket.end_utc) for bucket in bucket_list]


def labels(bucket_list: list[Bucket]) -> list[str]:
    return [bucket.label for bucket in bucket_list]


def hours(bucket: Bucket) -> float:
    return (bucket.end_utc - bucket.start_utc) / HOUR


# --- worked examples ---------------------------------------------------------------------------------


def test_berlin_spring_day_has_23_hourly_buckets() -> None:
    day = buckets(datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22), 'hourly', ZoneInfo('Europe/Berlin'))
    assert len(day) == 23
    assert labels(day)[:3] == ['2026-03-29T00:00:00', '2026-03-29T01:00:00', '2026-03-29T03:00:00']
    assert '2026-03-29T02:00:00' not in labels(day)


def test_berlin_autumn_day_has_25_hourly_buckets_with_the_repeated_label() -> None:
    day = buckets(datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23), 'hourly', ZoneInfo('Europe/Berlin'))
    assert len(day) == 25
    assert labels(day)[2:5] == ['2026-10-25T02:00:00', '2026-10-25T02:00:00', '2026-10-25T03:00:00']
    assert [bucket.start_utc for bucket in day[2:4]] == [datetime(2026, 10, 25, 0), datetime(2026, 10, 25, 1)]
    assert [bucket.local_start.fold for bucket in day[2:4]] == [0, 1]


def test_new_york_days_around_both_changes() -> None:
    new_york = ZoneInfo('America/New_York')
    spring = buckets(datetime(2026, 3, 7, 5), datetime(2026, 3, 10, 4), 'daily', new_york)
    assert spans(spring) == [
        (datetime(2026, 3, 7, 5), datetime(2026, 3, 8, 5)),
        (datetime(2026, 3, 8, 5), datetime(2026, 3, 9, 4)),  # 23 hours
        (datetime(2026, 3, 9, 4), datetime(2026, 3, 10, 4)),
    ]
    assert labels(spring) == ['2026-03-07', '2026-03-08', '2026-03-09']
    autumn = buckets(datetime(2026, 10, 31, 4), datetime(2026, 11, 3, 5), 'daily', new_york)
    assert [hours(bucket) for bucket in autumn] == [24, 25, 24]
    assert labels(autumn) == ['2026-10-31', '2026-11-01', '2026-11-02']


def test_kolkata_days_start_at_1830_utc_the_day_before() -> None:
    days = buckets(datetime(2026, 5, 31, 18, 30), datetime(2026, 6, 2, 18, 30), 'daily', ZoneInfo('Asia/Kolkata'))
    assert spans(days) == [
        (datetime(2026, 5, 31, 18, 30), datetime(2026, 6, 1, 18, 30)),
        (datetime(2026, 6, 1, 18, 30), datetime(2026, 6, 2, 18, 30)),
    ]
    assert labels(days) == ['2026-06-01', '2026-06-02']
    # An hourly slot 18:00-19:00 UTC starts at 23:30 local: it belongs to the earlier day.
    sums = bucket_sums([(datetime(2026, 6, 1, 18), Decimal(1)), (datetime(2026, 6, 1, 19), Decimal(2))], days)
    assert sums == [Decimal(1), Decimal(2)]


def test_st_johns_minus_0330() -> None:
    st_johns = ZoneInfo('America/St_Johns')
    days = buckets(datetime(2026, 1, 5, 3, 30), datetime(2026, 1, 7, 3, 30), 'daily', st_johns)
    assert spans(days) == [
        (datetime(2026, 1, 5, 3, 30), datetime(2026, 1, 6, 3, 30)),
        (datetime(2026, 1, 6, 3, 30), datetime(2026, 1, 7, 3, 30)),
    ]
    assert labels(days) == ['2026-01-05', '2026-01-06']
    slots = buckets(datetime(2026, 1, 5, 3), datetime(2026, 1, 5, 5), 'hourly', st_johns)
    assert labels(slots) == ['2026-01-04T23:30:00', '2026-01-05T00:30:00']


def test_kathmandu_quarter_hour_slots() -> None:
    slots = buckets(
        datetime(2026, 1, 1, 18),
        datetime(2026, 1, 1, 18, 45),
        'hourly',
        ZoneInfo('Asia/Kathmandu'),
        slot=timedelta(minutes=15),
    )
    assert labels(slots) == ['2026-01-01T23:45:00', '2026-01-02T00:00:00', '2026-01-02T00:15:00']
    day = buckets(datetime(2026, 1, 1, 18, 15), datetime(2026, 1, 2, 18, 15), 'daily', ZoneInfo('Asia/Kathmandu'))
    assert labels(day) == ['2026-01-02']


def test_weeks_start_on_local_monday() -> None:
    weeks = buckets(datetime(2026, 1, 5, 5), datetime(2026, 1, 26, 5), 'weekly', ZoneInfo('America/New_York'))
    assert spans(weeks) == [
        (datetime(2026, 1, 5, 5), datetime(2026, 1, 12, 5)),
        (datetime(2026, 1, 12, 5), datetime(2026, 1, 19, 5)),
        (datetime(2026, 1, 19, 5), datetime(2026, 1, 26, 5)),
    ]
    assert labels(weeks) == ['2026-01-05', '2026-01-12', '2026-01-19']
    assert all(bucket.local_start.weekday() == 0 for bucket in weeks)
    # A range from a Wednesday: the first week is clipped but still labelled with its Monday.
    clipped = buckets(datetime(2026, 1, 7, 5), datetime(2026, 1, 19, 5), 'weekly', ZoneInfo('America/New_York'))
    assert spans(clipped)[0] == (datetime(2026, 1, 7, 5), datetime(2026, 1, 12, 5))
    assert labels(clipped) == ['2026-01-05', '2026-01-12']


def test_sydney_months_follow_southern_dst() -> None:
    months = buckets(datetime(2025, 12, 31, 13), datetime(2026, 12, 31, 13), 'monthly', ZoneInfo('Australia/Sydney'))
    assert labels(months) == [f'2026-{month:02d}' for month in range(1, 13)]
    starts = [bucket.start_utc for bucket in months]
    assert starts[:4] == [
        datetime(2025, 12, 31, 13),
        datetime(2026, 1, 31, 13),
        datetime(2026, 2, 28, 13),
        datetime(2026, 3, 31, 13),
    ]
    assert starts[4] == datetime(2026, 4, 30, 14)  # AEST +10 from 5 April
    assert starts[9:] == [datetime(2026, 9, 30, 14), datetime(2026, 10, 31, 13), datetime(2026, 11, 30, 13)]
    assert hours(months[3]) == 30 * 24 + 1  # April gains the hour
    assert hours(months[9]) == 31 * 24 - 1  # October loses one


def test_los_angeles_years() -> None:
    years = buckets(datetime(2026, 1, 1, 8), datetime(2028, 1, 1, 8), 'yearly', ZoneInfo('America/Los_Angeles'))
    assert spans(years) == [
        (datetime(2026, 1, 1, 8), datetime(2027, 1, 1, 8)),
        (datetime(2027, 1, 1, 8), datetime(2028, 1, 1, 8)),
    ]
    assert labels(years) == ['2026', '2027']


def test_a_range_starting_mid_day_clips_the_first_and_last_buckets() -> None:
    days = buckets(datetime(2026, 6, 1, 15, 20), datetime(2026, 6, 3, 9), 'daily', ZoneInfo('Europe/Berlin'))
    assert spans(days) == [
        (datetime(2026, 6, 1, 15, 20), datetime(2026, 6, 1, 22)),
        (datetime(2026, 6, 1, 22), datetime(2026, 6, 2, 22)),
        (datetime(2026, 6, 2, 22), datetime(2026, 6, 3, 9)),
    ]
    assert labels(days) == ['2026-06-01', '2026-06-02', '2026-06-03']
    assert days[0].local_start == datetime(2026, 6, 1, 17, 20, tzinfo=ZoneInfo('Europe/Berlin'))
    slots = buckets(datetime(2026, 6, 1, 15, 20), datetime(2026, 6, 1, 17), 'hourly', ZoneInfo('Europe/Berlin'))
    assert spans(slots)[0] == (datetime(2026, 6, 1, 15, 20), datetime(2026, 6, 1, 16))
    assert labels(slots) == ['2026-06-01T17:00:00', '2026-06-01T18:00:00']


def test_havana_day_without_midnight_starts_at_the_first_instant() -> None:
    havana = ZoneInfo('America/Havana')
    days = buckets(datetime(2026, 3, 7, 5), datetime(2026, 3, 10, 4), 'daily', havana)
    assert spans(days) == [
        (datetime(2026, 3, 7, 5), datetime(2026, 3, 8, 5)),  # ends at 00:00 CST = 01:00 CDT, the gap end
        (datetime(2026, 3, 8, 5), datetime(2026, 3, 9, 4)),  # 23 hours from 01:00 CDT
        (datetime(2026, 3, 9, 4), datetime(2026, 3, 10, 4)),
    ]
    assert labels(days) == ['2026-03-07', '2026-03-08', '2026-03-09']
    assert days[1].local_start.replace(tzinfo=None) == datetime(2026, 3, 8, 1)
    assert parse_local('2026-03-08', havana) == datetime(2026, 3, 8, 5)
    # Fall back from 01:00 CDT to 00:00 CST on 1 November: midnight happens twice, the day starts at the first.
    autumn = buckets(datetime(2026, 10, 31, 4), datetime(2026, 11, 3, 5), 'daily', havana)
    assert spans(autumn)[1] == (datetime(2026, 11, 1, 4), datetime(2026, 11, 2, 5))
    assert parse_local('2026-11-01', havana) == datetime(2026, 11, 1, 4)


def test_santiago_midnight_changes() -> None:
    santiago = ZoneInfo('America/Santiago')
    # Spring forward at local midnight on 6 September 2026: 00:00 -04 becomes 01:00 -03.
    spring = buckets(datetime(2026, 9, 5, 4), datetime(2026, 9, 7, 3), 'daily', santiago)
    assert spans(spring) == [
        (datetime(2026, 9, 5, 4), datetime(2026, 9, 6, 4)),
        (datetime(2026, 9, 6, 4), datetime(2026, 9, 7, 3)),
    ]
    # Fall back at local midnight on 5 April 2026: 24:00 -03 becomes 23:00 -04 on the 4th, a 25-hour day.
    autumn = buckets(datetime(2026, 4, 4, 3), datetime(2026, 4, 6, 4), 'daily', santiago)
    assert labels(autumn) == ['2026-04-04', '2026-04-05']
    assert [hours(bucket) for bucket in autumn] == [25, 24]


def test_invalid_arguments_are_named() -> None:
    berlin = ZoneInfo('Europe/Berlin')
    with pytest.raises(ValueError, match='unknown period type'):
        buckets(datetime(2026, 1, 1), datetime(2026, 1, 2), 'fortnightly', berlin)
    with pytest.raises(ValueError, match='not before end'):
        buckets(datetime(2026, 1, 2), datetime(2026, 1, 2), 'daily', berlin)
    with pytest.raises(ValueError, match='naive UTC'):
        buckets(datetime(2026, 1, 1, tzinfo=berlin), datetime(2026, 1, 2), 'daily', berlin)
    with pytest.raises(ValueError, match='divides a day'):
        buckets(datetime(2026, 1, 1), datetime(2026, 1, 2), 'hourly', berlin, slot=timedelta(minutes=7))
    with pytest.raises(ValueError, match='unknown period type'):
        align([], [], 'quarterly')


# --- sums, working days, alignment, parsing ------------------------------------------------------------


def test_bucket_sums_keeps_none_for_empty_buckets_and_ignores_rows_outside() -> None:
    days = buckets(datetime(2026, 1, 1), datetime(2026, 1, 4), 'daily', ZoneInfo('UTC'))
    rows = [
        (datetime(2025, 12, 31, 23), Decimal(100)),
        (datetime(2026, 1, 1, 0), Decimal('1.5')),
        (datetime(2026, 1, 1, 23), Decimal('2.5')),
        (datetime(2026, 1, 3, 5), Decimal(0)),
        (datetime(2026, 1, 4), Decimal(100)),
    ]
    assert bucket_sums(rows, days) == [Decimal(4), None, Decimal(0)]
    with pytest.raises(ValueError, match='in order and disjoint'):
        bucket_sums(rows, [days[1], days[0]])


def test_working_days_come_only_from_the_set() -> None:
    zone = ZoneInfo('Asia/Kolkata')
    holiday = date(2026, 1, 26)
    days = buckets(datetime(2026, 1, 23, 18, 30), datetime(2026, 1, 27, 18, 30), 'daily', zone)
    assert labels(days) == ['2026-01-24', '2026-01-25', '2026-01-26', '2026-01-27']
    assert [is_working(day, 'daily', frozenset({holiday})) for day in days] == [True, True, False, True]
    slots = buckets(datetime(2026, 1, 25, 18), datetime(2026, 1, 25, 20), 'hourly', zone)
    assert labels(slots) == ['2026-01-25T23:30:00', '2026-01-26T00:30:00']
    assert [is_working(slot, 'hourly', frozenset({holiday})) for slot in slots] == [True, False]
    week = buckets(datetime(2026, 1, 18, 18, 30), datetime(2026, 1, 25, 18, 30), 'weekly', zone)
    assert is_working(week[0], 'weekly', frozenset({holiday})) is None
    rows = [(datetime(2026, 1, 25, 18), Decimal(1)), (datetime(2026, 1, 25, 19), Decimal(2))]
    months = buckets(datetime(2025, 12, 31, 18, 30), datetime(2026, 1, 31, 18, 30), 'monthly', zone)
    assert working_split(rows, months, zone, frozenset({holiday})) == ([Decimal(1)], [Decimal(2)])


def test_align_by_calendar_position() -> None:
    utc = ZoneInfo('UTC')
    # Base from 15 January: January (clipped), February, March; reporting February to April.
    base = buckets(datetime(2025, 1, 15), datetime(2025, 4, 1), 'monthly', utc)
    reporting = buckets(datetime(2026, 2, 1), datetime(2026, 5, 1), 'monthly', utc)
    assert align(base, reporting, 'monthly') == [0, 1, 2]
    # A base list with a bucket left out (say, only months with data): positions, not list indexes.
    assert align([base[0], base[2]], reporting, 'monthly') == [0, None, 1]
    # A longer reporting period pairs its extra buckets with nothing.
    long_reporting = buckets(datetime(2026, 1, 1), datetime(2026, 7, 1), 'monthly', utc)
    assert align(base, long_reporting, 'monthly') == [0, 1, 2, None, None, None]
    assert align([], reporting, 'monthly') == [None, None, None]


def test_align_across_a_skipped_day() -> None:
    apia = ZoneInfo('Pacific/Apia')  # skipped 30 December 2011, crossing the date line
    base = buckets(datetime(2011, 12, 27, 10), datetime(2011, 12, 31, 10), 'daily', apia)
    assert labels(base) == ['2011-12-27', '2011-12-28', '2011-12-29', '2011-12-31']
    reporting = buckets(datetime(2012, 12, 26, 10), datetime(2012, 12, 31, 10), 'daily', apia)
    assert labels(reporting) == ['2012-12-27', '2012-12-28', '2012-12-29', '2012-12-30', '2012-12-31']
    # Positional pairing would set 30 December against the 31st, and the 31st against nothing.
    assert align(base, reporting, 'daily') == [0, 1, 2, None, 3]


def test_align_weeks_years_and_slots() -> None:
    berlin = ZoneInfo('Europe/Berlin')
    base = buckets(datetime(2025, 1, 1), datetime(2025, 1, 20), 'weekly', berlin)
    reporting = buckets(datetime(2026, 1, 4, 23), datetime(2026, 1, 18, 23), 'weekly', berlin)
    assert align(base, reporting, 'weekly') == [0, 1]
    years = buckets(datetime(2020, 6, 1), datetime(2023, 1, 1), 'yearly', berlin)
    assert align(years, years[1:], 'yearly') == [0, 1, 2]
    quarter = timedelta(minutes=15)
    slots = buckets(datetime(2026, 1, 1, 0, 5), datetime(2026, 1, 1, 1), 'hourly', berlin, slot=quarter)
    later = buckets(datetime(2026, 1, 2), datetime(2026, 1, 2, 0, 45), 'hourly', berlin, slot=quarter)
    assert align(slots, later, 'hourly', slot=quarter) == [0, 1, 2]
    assert align(slots, later[1:], 'hourly', slot=quarter) == [0, 1]


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        ('2026-06-01T12:34:56', datetime(2026, 6, 1, 10, 34, 56)),
        ('2026-06-01T12:34', datetime(2026, 6, 1, 10, 34)),
        ('2026-06-01', datetime(2026, 5, 31, 22)),
        ('2026-03-29T02:30:00', datetime(2026, 3, 29, 1)),  # in the gap: the instant the gap ends
        ('2026-10-25T02:30:00', datetime(2026, 10, 25, 0, 30)),  # ambiguous: the first occurrence
    ],
)
def test_parse_local(text: str, expected: datetime) -> None:
    assert parse_local(text, ZoneInfo('Europe/Berlin')) == expected


@pytest.mark.parametrize(
    'text', ['', 'yesterday', '2026-02-30', '2026-06-01T25:00', '2026-06-01T12:00:00+02:00', '2026/06/01']
)
def test_parse_local_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match='local date-time'):
        parse_local(text, ZoneInfo('Europe/Berlin'))


def test_floor_to_slot() -> None:
    assert floor_to_slot(datetime(2026, 1, 1, 10, 44, 59), timedelta(minutes=15)) == datetime(2026, 1, 1, 10, 30)
    assert floor_to_slot(datetime(2026, 1, 1, 10, 30), timedelta(minutes=30)) == datetime(2026, 1, 1, 10, 30)
    assert floor_to_slot(datetime(2026, 1, 1, 10, 59), HOUR) == datetime(2026, 1, 1, 10)


# --- properties ----------------------------------------------------------------------------------------

MAX_SPAN = {'hourly': 4, 'daily': 60, 'weekly': 200, 'monthly': 800, 'yearly': 2000}  # days
SLOTS = (timedelta(minutes=15), timedelta(minutes=30), HOUR)


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """The zone's UTC offset changes in 2019-2030 (naive UTC), found day by day, then to the quarter hour."""
    zone = ZoneInfo(zone_name)

    def offset(moment: datetime) -> timedelta | None:
        return moment.replace(tzinfo=UTC).astimezone(zone).utcoffset()

    found: list[datetime] = []
    moment = datetime(2019, 1, 1)
    while moment < datetime(2031, 1, 1):
        following = moment + timedelta(days=1)
        if offset(following) != offset(moment):
            change = moment
            while offset(change) == offset(moment):
                change += timedelta(minutes=15)
            found.append(change)
        moment = following
    return tuple(found) or (datetime(2026, 1, 1),)


@st.composite
def tricky_starts(draw: st.DrawFn, zone_name: str) -> datetime:
    """Half the time anywhere in 2019-2028, half the time within three days of an offset change."""
    if draw(st.booleans()):
        return datetime(2019, 1, 1) + timedelta(minutes=5 * draw(st.integers(0, 12 * 24 * 366 * 10)))
    change = draw(st.sampled_from(transitions(zone_name)))
    return change + timedelta(minutes=5 * draw(st.integers(-12 * 24 * 3, 12 * 24 * 3)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ZoneInfo, str, timedelta, datetime, datetime]:
    zone_name = draw(st.sampled_from(TRICKY_ZONES))
    zone = ZoneInfo(zone_name)
    period_type = draw(st.sampled_from(PERIOD_TYPES))
    slot = draw(st.sampled_from(SLOTS))
    start = draw(tricky_starts(zone_name))
    length = timedelta(minutes=5 * draw(st.integers(1, 12 * 24 * MAX_SPAN[period_type])))
    return zone, period_type, slot, start, start + length


def slot_rows(data: st.DataObject, start: datetime, end: datetime, slot: timedelta) -> list[tuple[datetime, Decimal]]:
    first = floor_to_slot(start, slot) - slot
    count = (end - first) // slot + 2
    offsets = data.draw(st.lists(st.integers(0, count), max_size=60))
    values = data.draw(st.lists(st.decimals(-1000, 1000, places=3), min_size=len(offsets), max_size=len(offsets)))
    return [(first + offset * slot, value) for offset, value in zip(offsets, values, strict=True)]


@given(scenarios())
def test_buckets_tile_the_range(scenario: tuple[ZoneInfo, str, timedelta, datetime, datetime]) -> None:
    zone, period_type, slot, start, end = scenario
    result = buckets(start, end, period_type, zone, slot)
    assert result[0].start_utc == start
    assert result[-1].end_utc == end
    for before, after in zip(result, result[1:], strict=False):
        assert before.end_utc == after.start_utc
        assert period_type == 'hourly' or before.label < after.label  # wall times repeat in a fall-back
    assert all(bucket.start_utc < bucket.end_utc for bucket in result)
    length = {'hourly': 19, 'daily': 10, 'weekly': 10, 'monthly': 7, 'yearly': 4}[period_type]
    assert all(len(bucket.label) == length for bucket in result)
    # (Aware datetimes in a fold never compare equal across zones, hence the conversion.)
    utc = ZoneInfo('UTC')
    assert all(bucket.local_start.astimezone(utc).replace(tzinfo=None) == bucket.start_utc for bucket in result)


@given(st.sampled_from(TRICKY_ZONES), st.integers(0, 3650), st.sampled_from(SLOTS))
def test_whole_days_last_23_to_25_hours(zone_name: str, offset: int, slot: timedelta) -> None:
    zone = ZoneInfo(zone_name)
    start = parse_local((date(2019, 1, 1) + timedelta(days=offset)).isoformat(), zone)
    days = buckets(start, start + timedelta(days=3), 'daily', zone, slot)
    for day in days[1:-1]:  # whole days only
        assert hours(day) in (23, 23.5, 24, 24.5, 25)
        assert day.local_start.date().isoformat() == day.label
        slots = buckets(floor_to_slot(day.start_utc, slot), day.end_utc, 'hourly', zone, slot)
        inside = [bucket for bucket in slots if bucket.start_utc >= day.start_utc]
        assert abs(len(inside) * slot - (day.end_utc - day.start_utc)) < slot


@given(st.data(), scenarios())
def test_sums_and_working_split_add_up(
    data: st.DataObject, scenario: tuple[ZoneInfo, str, timedelta, datetime, datetime]
) -> None:
    zone, period_type, slot, start, end = scenario
    result = buckets(start, end, period_type, zone, slot)
    rows = slot_rows(data, start, end, slot)
    sums = bucket_sums(rows, result)
    assert sum((value or Decimal(0) for value in sums), Decimal(0)) == sum(
        (value for moment, value in rows if start <= moment < end), Decimal(0)
    )
    counts = bucket_sums([(moment, Decimal(1)) for moment, _ in rows], result)
    assert [count is None for count in counts] == [value is None for value in sums]
    holidays = frozenset(data.draw(st.sets(st.dates(date(2018, 12, 25), date(2031, 1, 5)), max_size=200)))
    working, resting = working_split(rows, result, zone, holidays)
    assert [w + r for w, r in zip(working, resting, strict=True)] == [value or Decimal(0) for value in sums]
    if period_type in ('hourly', 'daily'):
        for bucket, w, r in zip(result, working, resting, strict=True):
            assert (r if is_working(bucket, period_type, holidays) else w) == 0


@given(st.data(), st.sampled_from(TRICKY_ZONES), st.sampled_from(SLOTS))
def test_parse_local_round_trips_hourly_labels(data: st.DataObject, zone_name: str, slot: timedelta) -> None:
    zone = ZoneInfo(zone_name)
    start = floor_to_slot(data.draw(tricky_starts(zone_name)), slot)
    for bucket in buckets(start, start + timedelta(hours=6), 'hourly', zone, slot):
        parsed = parse_local(bucket.label, zone)
        if bucket.local_start.fold == 0:
            assert parsed == bucket.start_utc
        else:  # the repeated wall time of a fall-back: parsing gives its first occurrence
            assert parsed < bucket.start_utc
            assert to_label(parsed, zone) == bucket.label


def to_label(moment: datetime, zone: ZoneInfo) -> str:
    return buckets(moment, moment + timedelta(minutes=1), 'hourly', zone, timedelta(minutes=1))[0].label


@pytest.mark.parametrize('zone_name', TRICKY_ZONES)
def test_every_day_of_five_years(zone_name: str) -> None:
    """Exhaustive over 2024-2028: each day starts on its own local date and lasts 23 to 25 hours."""
    zone = ZoneInfo(zone_name)
    days = buckets(parse_local('2024-01-01', zone), parse_local('2029-01-01', zone), 'daily', zone)
    assert len(days) == (date(2029, 1, 1) - date(2024, 1, 1)).days
    assert all(day.local_start.date().isoformat() == day.label for day in days)
    assert {hours(day) for day in days} <= {23, 23.5, 24, 24.5, 25}
