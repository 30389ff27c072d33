"""The tariff engine: slot pricing, MyEMS rows, the JSON structure and bills.

Expected costs are worked out by hand in the comments.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from myems_common.tariff import (
    Bill,
    DaySchedules,
    DemandCharge,
    Period,
    PowerFactorRule,
    Season,
    SlotPrice,
    TariffVersion,
    Tax,
    Tier,
    bill,
    billing_periods,
    check_coverage,
    minor_unit,
    parse_structure,
    price_slots,
    version_from_rows,
)

D = Decimal
UTC = ZoneInfo('UTC')
BERLIN = ZoneInfo('Europe/Berlin')
NEW_YORK = ZoneInfo('America/New_York')
KOLKATA = ZoneInfo('Asia/Kolkata')
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


def band(name: str, start: str, end: str, price: str) -> Period:
    return Period(name, time.fromisoformat(start), time.fromisoformat(end), D(price))


# A weekday schedule: offpeak 0.10 from 22:00 to 08:00 (wrapping midnight), onpeak 0.30 from 08:00 to 22:00.
DAY = (band('offpeak', '22:00', '08:00', '0.10'), band('onpeak', '08:00', '22:00', '0.30'))


def version(*bands: Period, **fields: object) -> TariffVersion:
    """A version valid 2000..2099, EUR, one all-year season with `bands` (default DAY) every day."""
    values: dict[str, object] = {
        'id': 1,
        'valid_from': datetime(2000, 1, 1),
        'valid_through': datetime(2099, 12, 31, 23, 59, 59),
        'currency': 'EUR',
        'seasons': (Season('all year', (1, 1), (12, 31), DaySchedules(bands or DAY)),),
    }
    values.update(fields)
    return TariffVersion(**values)


def costs(prices: list[SlotPrice]) -> list[Decimal | None]:
    return [p.cost for p in prices]


def total_cost(prices: list[SlotPrice]) -> Decimal:
    return sum((p.cost or D(0) for p in prices), D(0))


# --- time of use ----------------------------------------------------------------------------------------


def test_weekday_weekend_and_holiday_schedules() -> None:
    weekday = (band('onpeak', '00:00', '00:00', '0.30'),)
    weekend = (band('weekend', '00:00', '00:00', '0.08'),)
    holiday = (band('holiday', '00:00', '00:00', '0.05'),)
    seasons = (Season('all', (1, 1), (12, 31), DaySchedules(weekday, weekend, holiday)),)
    tariff = version(seasons=seasons, holidays=frozenset({date(2026, 1, 1)}))
    slots = [
        (datetime(2026, 1, 7, 12), D(2)),  # Wednesday: 2 kWh x 0.30 = 0.60
        (datetime(2026, 1, 10, 12), D(2)),  # Saturday: 2 kWh x 0.08 = 0.16
        (datetime(2026, 1, 11, 12), D(2)),  # Sunday: 2 kWh x 0.08 = 0.16
        (datetime(2026, 1, 1, 12), D(2)),  # Thursday, but a holiday: 2 kWh x 0.05 = 0.10
    ]
    priced = [price_slots([tariff], [item], HOUR, UTC)[0] for item in slots]
    assert costs(priced) == [D('0.60'), D('0.16'), D('0.16'), D('0.10')]
    assert [p.period for p in priced] == ['onpeak', 'weekend', 'weekend', 'holiday']
    # Without a holiday schedule a holiday is priced as a weekend day: 2 x 0.08 = 0.16.
    no_holiday = (Season('all', (1, 1), (12, 31), DaySchedules(weekday, weekend)),)
    plain = version(seasons=no_holiday, holidays=frozenset({date(2026, 1, 1)}))
    assert costs(price_slots([plain], [slots[3]], HOUR, UTC)) == [D('0.16')]


def test_bands_wrap_midnight_and_price_by_local_start() -> None:
    tariff = version()  # offpeak 22:00-08:00 at 0.10, onpeak 08:00-22:00 at 0.30
    slots = [(datetime(2026, 1, 5, hour), D(1)) for hour in (7, 8, 21, 22, 23, 0)]
    # 07:00 offpeak 0.10; 08:00 and 21:00 onpeak 0.30; 22:00, 23:00 and (next day) 00:00 offpeak 0.10.
    assert costs(price_slots([tariff], sorted(slots), HOUR, UTC)) == [
        D('0.10'),
        D('0.10'),
        D('0.30'),
        D('0.30'),
        D('0.10'),
        D('0.10'),
    ]


def test_season_changes_on_its_local_date() -> None:
    summer = Season('summer', (6, 1), (9, 30), DaySchedules((band('flat', '00:00', '00:00', '0.40'),)))
    # Winter wraps the year end: 1 October .. 31 May.
    winter = Season('winter', (10, 1), (5, 31), DaySchedules((band('flat', '00:00', '00:00', '0.20'),)))
    tariff = version(seasons=(summer, winter))
    slots = [
        (datetime(2026, 5, 31, 21), D(1)),  # 23:00 CEST on 31 May: winter, 1 x 0.20 = 0.20
        (datetime(2026, 5, 31, 22), D(1)),  # 00:00 CEST on 1 June: summer, 1 x 0.40 = 0.40
        (datetime(2026, 9, 30, 21), D(1)),  # 23:00 CEST on 30 September: summer, 0.40
        (datetime(2026, 9, 30, 22), D(1)),  # 00:00 CEST on 1 October: winter, 0.20
    ]
    assert costs(price_slots([tariff], slots, HOUR, BERLIN)) == [D('0.20'), D('0.40'), D('0.40'), D('0.20')]
    # A date in no season falls back to the first season: summer only, priced 0.40 in January.
    only_summer = version(seasons=(summer,))
    assert costs(price_slots([only_summer], [(datetime(2026, 1, 15), D(1))], HOUR, BERLIN)) == [D('0.40')]


def test_half_hour_offset_zone() -> None:
    # Asia/Kolkata is UTC+05:30: 02:00 UTC is 07:30 IST (offpeak), 02:30 UTC is 08:00 IST (onpeak).
    slots = [(datetime(2026, 1, 5, 2), D(2)), (datetime(2026, 1, 5, 2, 30), D(2))]
    priced = price_slots([version()], slots, timedelta(minutes=30), KOLKATA)
    # 2 x 0.10 = 0.20 and 2 x 0.30 = 0.60.
    assert costs(priced) == [D('0.20'), D('0.60')]
    assert [p.period for p in priced] == ['offpeak', 'onpeak']


def test_dst_spring_day_has_23_priced_hours() -> None:
    # Europe/Berlin, Sunday 29 March 2026: 02:00 CET jumps to 03:00 CEST. The local day runs from
    # 2026-03-28 23:00 UTC to 2026-03-29 22:00 UTC: 23 hourly slots of 1 kWh.
    start, end = datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22)
    slots = [(start + i * HOUR, D(1)) for i in range((end - start) // HOUR)]
    assert len(slots) == 23
    priced = price_slots([version()], slots, HOUR, BERLIN)
    # Local hours 00, 01, 03, 04, 05, 06, 07 (no 02) and 22, 23 are offpeak: 9 x 0.10 = 0.90;
    # 08..21 are onpeak: 14 x 0.30 = 4.20. The day costs 0.90 + 4.20 = 5.10.
    assert [p.period for p in priced].count('offpeak') == 9
    assert total_cost(priced) == D('5.10')
    # 07:00 CEST is 05:00 UTC (offpeak); 08:00 CEST is 06:00 UTC, the first onpeak hour.
    assert priced[6].start_utc == datetime(2026, 3, 29, 5) and priced[6].period == 'offpeak'
    assert priced[7].start_utc == datetime(2026, 3, 29, 6) and priced[7].period == 'onpeak'


def test_dst_fall_day_prices_the_repeated_hour_twice() -> None:
    # America/New_York, Sunday 1 November 2026: 02:00 EDT falls back to 01:00 EST, so 01:00-02:00 local
    # happens twice. The local day runs from 04:00 UTC to 05:00 UTC next day: 25 hourly slots of 1 kWh.
    early = band('early', '01:00', '02:00', '0.50')
    rest = band('rest', '02:00', '01:00', '0.10')  # wraps: 02:00..24:00 and 00:00..01:00
    start, end = datetime(2026, 11, 1, 4), datetime(2026, 11, 2, 5)
    slots = [(start + i * HOUR, D(1)) for i in range((end - start) // HOUR)]
    assert len(slots) == 25
    priced = price_slots([version(early, rest)], slots, HOUR, NEW_YORK)
    # 05:00 UTC is 01:00 EDT and 06:00 UTC is 01:00 EST: both 'early', 2 x 0.50 = 1.00;
    # the other 23 hours are 'rest', 23 x 0.10 = 2.30. The day costs 3.30.
    assert [p.start_utc.hour for p in priced if p.period == 'early'] == [5, 6]
    assert total_cost(priced) == D('3.30')


# --- tiers and blocks -----------------------------------------------------------------------------------


def test_tier_boundary_inside_a_slot() -> None:
    flat = band('flat', '00:00', '00:00', '0.20')
    tiers = (Tier(D(100), D(0)), Tier(None, D('0.05')))  # first 100 kWh at 0.20, the rest at 0.25
    slots = [(datetime(2026, 1, 15, 10), D(5)), (datetime(2026, 1, 15, 11), D(4))]
    # Mid-month: 98 kWh already consumed in the billing period.
    priced = price_slots([version(flat, tiers=tiers)], slots, HOUR, UTC, consumed_before=D(98))
    # Slot 1 goes from 98 to 103: 2 kWh x 0.20 = 0.40 and 3 kWh x 0.25 = 0.75, together 1.15.
    # Slot 2 goes from 103 to 107: all above 100, 4 x 0.25 = 1.00.
    assert costs(priced) == [D('1.15'), D('1.00')]


def test_block_rates_from_structure() -> None:
    structure = {
        'blocks': [{'size': 50, 'adder': 0}, {'size': 100, 'adder': '0.02'}, {'size': None, 'adder': '0.05'}],
    }
    parsed = parse_structure(structure)
    # Blocks of 50 and 100 kWh become tier limits 50 and 150.
    assert [tier.up_to for tier in parsed.tiers] == [D(50), D(150), None]
    flat = band('flat', '00:00', '00:00', '0.10')
    tariff = version(flat, tiers=parsed.tiers)
    slots = [(datetime(2026, 1, 2, hour), energy) for hour, energy in ((0, D(40)), (1, D(40)), (2, D(100)))]
    # Slot 1, 0 -> 40: 40 x 0.10 = 4.00.
    # Slot 2, 40 -> 80: 10 x 0.10 = 1.00 + 30 x 0.12 = 3.60, together 4.60.
    # Slot 3, 80 -> 180: 70 x 0.12 = 8.40 + 30 x 0.15 = 4.50, together 12.90.
    assert costs(price_slots([tariff], slots, HOUR, UTC)) == [D('4.00'), D('4.60'), D('12.90')]


def test_negative_energy_walks_back_down_the_tiers() -> None:
    flat = band('flat', '00:00', '00:00', '0.20')
    tariff = version(flat, tiers=(Tier(D(10), D(0)), Tier(None, D('0.05'))))
    slots = [(datetime(2026, 1, 2, 0), D(12)), (datetime(2026, 1, 2, 1), D(-4))]
    # 0 -> 12: 10 x 0.20 + 2 x 0.25 = 2.50; 12 -> 8: -2 x 0.25 - 2 x 0.20 = -0.90.
    assert costs(price_slots([tariff], slots, HOUR, UTC)) == [D('2.50'), D('-0.90')]


# --- versions -------------------------------------------------------------------------------------------


def test_overlapping_versions_latest_valid_from_wins() -> None:
    year = version(band('flat', '00:00', '00:00', '0.10'), id=1, valid_from=datetime(2026, 1, 1))
    march = version(
        band('flat', '00:00', '00:00', '0.20'),
        id=2,
        valid_from=datetime(2026, 3, 1),
        valid_through=datetime(2026, 3, 31, 23, 59, 59),
    )
    slots = [
        (datetime(2026, 2, 28, 23), D(1)),  # before March: version 1, 0.10
        (datetime(2026, 3, 1, 0), D(1)),  # both valid, March has the later valid_from: 0.20
        (datetime(2026, 3, 31, 23), D(1)),  # the last hour of March: 0.20
        (datetime(2026, 4, 1, 0), D(1)),  # through 23:59:59 is inclusive, so April is version 1 again: 0.10
    ]
    for versions in ([year, march], [march, year]):  # the order given does not matter
        priced = price_slots(versions, slots, HOUR, UTC)
        assert costs(priced) == [D('0.10'), D('0.20'), D('0.20'), D('0.10')]
        assert [p.version_id for p in priced] == [1, 2, 2, 1]


def test_gap_between_versions_is_unpriced() -> None:
    first = version(id=1, valid_through=datetime(2026, 1, 10, 23, 59, 59))
    second = version(id=2, valid_from=datetime(2026, 1, 12))
    slots = [(datetime(2026, 1, 10, 23), D(1)), (datetime(2026, 1, 11, 12), D(5)), (datetime(2026, 1, 12), D(1))]
    priced = price_slots([first, second], slots, HOUR, UTC)
    # 23:00 offpeak 0.10 (version 1); 11 January no version; 00:00 on the 12th offpeak 0.10 (version 2).
    assert costs(priced) == [D('0.10'), None, D('0.10')]
    assert [(p.version_id, p.period) for p in priced] == [(1, 'offpeak'), (None, None), (2, 'offpeak')]


def test_slots_must_ascend() -> None:
    with pytest.raises(ValueError, match='ascend'):
        price_slots([version()], [(datetime(2026, 1, 1, 1), D(1)), (datetime(2026, 1, 1), D(1))], HOUR, UTC)


# --- MyEMS rows -----------------------------------------------------------------------------------------

MYEMS_TARIFF = {
    'id': 7,
    'valid_from_datetime_utc': datetime(2020, 1, 1),
    'valid_through_datetime_utc': datetime(2030, 12, 31, 23, 59, 59),
}


def _rows(edge: object) -> list[dict[str, object]]:
    """MyEMS TOU rows with inclusive ends, edges converted by `edge` (time or timedelta)."""
    spans = [
        ('00:00:00', '05:59:59', 'offpeak', '0.3'),
        ('06:00:00', '21:59:59', 'onpeak', '1.0'),
        ('22:00:00', '23:59:59', 'offpeak', '0.3'),
    ]
    return [
        {'start_time_of_day': edge(s), 'end_time_of_day': edge(e), 'peak_type': kind, 'price': D(p)}  # type: ignore[operator]
        for s, e, kind, p in spans
    ]


def _as_timedelta(text: str) -> timedelta:
    parsed = time.fromisoformat(text)
    return timedelta(hours=parsed.hour, minutes=parsed.minute, seconds=parsed.second)


@pytest.mark.parametrize('edge', [time.fromisoformat, _as_timedelta], ids=['time', 'timedelta'])
def test_myems_rows_with_inclusive_ends(edge: object) -> None:
    tariff = version_from_rows(MYEMS_TARIFF, _rows(edge), None)
    assert (tariff.id, tariff.currency, tariff.valid_through) == (7, 'CNY', datetime(2030, 12, 31, 23, 59, 59))
    assert check_coverage(tariff.seasons[0].schedules.weekday) is None  # 05:59:59 reaches 06:00
    quarters = [(datetime(2026, 1, 5, h, m), D(1)) for h, m in ((5, 45), (6, 0), (21, 45), (22, 0), (23, 45))]
    priced = price_slots([tariff], quarters, QUARTER, UTC)
    # 05:45 offpeak 0.3; 06:00 and 21:45 onpeak 1.0; 22:00 and 23:45 offpeak 0.3 (1 kWh each).
    assert [p.period for p in priced] == ['offpeak', 'onpeak', 'onpeak', 'offpeak', 'offpeak']
    assert costs(priced) == [D('0.3'), D('1.0'), D('1.0'), D('0.3'), D('0.3')]


def test_myems_rows_with_exclusive_ends_and_midnight() -> None:
    rows = [
        {'start_time_of_day': '00:00', 'end_time_of_day': '06:00', 'peak_type': 'offpeak', 'price': '0.3'},
        {'start_time_of_day': '06:00', 'end_time_of_day': '00:00', 'peak_type': 'onpeak', 'price': 1},
    ]
    tariff = version_from_rows({**MYEMS_TARIFF, 'currency': 'eur'}, rows, None)
    assert tariff.currency == 'EUR'
    assert check_coverage(tariff.seasons[0].schedules.weekday) is None
    slots = [(datetime(2026, 1, 5, 5, 45), D(1)), (datetime(2026, 1, 5, 6), D(1)), (datetime(2026, 1, 5, 23, 45), D(1))]
    assert [p.period for p in price_slots([tariff], slots, QUARTER, UTC)] == ['offpeak', 'onpeak', 'onpeak']


def test_check_coverage_names_gaps_and_overlaps() -> None:
    gap = [band('a', '00:00:00', '20:59:59', '1'), band('b', '22:00:00', '23:59:59', '1')]
    assert check_coverage(gap) == 'gap from 21:00:00 to 22:00:00'
    overlap = [band('a', '00:00', '12:00', '1'), band('b', '11:00', '00:00', '1')]
    assert check_coverage(overlap) == "overlap from 11:00:00 to 12:00:00: 'a', 'b'"
    assert check_coverage([]) is not None


def test_rows_with_a_gap_leave_the_gap_unpriced() -> None:
    rows = _rows(time.fromisoformat)[:2]  # no 22:00..23:59:59 row
    tariff = version_from_rows(MYEMS_TARIFF, rows, None)
    priced = price_slots([tariff], [(datetime(2026, 1, 5, 22), D(2))], HOUR, UTC)
    assert (priced[0].cost, priced[0].period, priced[0].version_id) == (None, None, 7)


# --- the JSON structure ---------------------------------------------------------------------------------

STRUCTURE = {
    'seasons': [
        {
            'name': 'summer',
            'start': '06-01',
            'end': '09-30',
            'weekday': [
                {'name': 'offpeak', 'start': '22:00', 'end': '08:00', 'price': '0.12'},
                {'name': 'onpeak', 'start': '08:00', 'end': '22:00', 'price': '0.35'},
            ],
            'weekend': [{'name': 'offpeak', 'start': '00:00', 'end': '24:00', 'price': '0.12'}],
        },
        {
            'name': 'winter',
            'start': '10-01',
            'end': '05-31',
            'weekday': [{'name': 'flat', 'start': '00:00', 'end': '00:00', 'price': 0.2}],
        },
    ],
    'tiers': [{'up_to': 1000, 'adder': 0}, {'up_to': None, 'adder': '0.03'}],
    'demand': [{'price': '9.5', 'window_minutes': 15, 'periods': ['onpeak']}],
    'fixed_per_period': '12.50',
    'power_factor': {'target': '0.90', 'surcharge_per_hundredth': '0.005'},
    'taxes': [{'name': 'VAT', 'rate': '0.19'}],
    'minimum_bill': 20,
    'billing_day': 15,
}


def test_structure_builds_a_version() -> None:
    tariff = version_from_rows(MYEMS_TARIFF, _rows(time.fromisoformat), STRUCTURE, frozenset({date(2026, 7, 1)}))
    assert [season.name for season in tariff.seasons] == ['summer', 'winter']  # the TOU rows are replaced
    assert tariff.seasons[1].start == (10, 1) and tariff.seasons[0].schedules.holiday is None
    assert tariff.seasons[1].schedules.weekday[0].price == D('0.2')
    assert tariff.tiers[0].up_to == D(1000) and tariff.demand[0].periods == ('onpeak',)
    assert (tariff.fixed_per_period, tariff.minimum_bill, tariff.billing_day) == (D('12.50'), D(20), 15)
    assert tariff.power_factor is not None and tariff.power_factor.max_credit == D(0)
    assert tariff.taxes[0].rate == D('0.19') and tariff.holidays == frozenset({date(2026, 7, 1)})
    # JSON text is accepted too; floats are read as decimals, never binary floats.
    assert parse_structure('{"fixed_per_period": 0.1}').fixed_per_period == D('0.1')


@pytest.mark.parametrize(
    ('change', 'message'),
    [
        (
            lambda s: s['seasons'][1]['weekday'][0].update(price='cheap'),
            'seasons[1].weekday[0].price: not a number',
        ),
        (lambda s: s['seasons'][0]['weekday'][1].update(end='25:00'), 'seasons[0].weekday[1].end: not a time'),
        (lambda s: s['seasons'][0].update(start='02-30'), 'seasons[0].start: no such day'),
        (lambda s: s['seasons'][0].pop('weekday'), 'seasons[0].weekday: missing'),
        (lambda s: s['seasons'][0].update(weekend=[]), 'seasons[0].weekend: must be a non-empty list'),
        (lambda s: s['tiers'][0].update(up_to=None), 'tiers[0].up_to: only the last may be null'),
        (lambda s: s['tiers'].insert(1, {'up_to': 500, 'adder': 0}), 'tiers[1].up_to: must be above'),
        (lambda s: s.update(blocks=[{'size': 1, 'adder': 0}]), 'blocks: give tiers or blocks, not both'),
        (lambda s: s['demand'][0].update(window_minutes='15'), 'demand[0].window_minutes: not a whole number'),
        (lambda s: s['power_factor'].update(target='1.2'), 'power_factor.target: must be at most 1'),
        (lambda s: s['taxes'][0].update(rate=True), 'taxes[0].rate: not a number'),
        (lambda s: s.update(billing_day=31), 'billing_day: must be 1..28'),
        (lambda s: s.update(colour='red'), 'structure.colour: unknown field'),
    ],
)
def test_structure_errors_name_the_field(change: object, message: str) -> None:
    structure = copy.deepcopy(STRUCTURE)
    change(structure)  # type: ignore[operator]
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_structure(structure)


def test_structure_must_be_an_object() -> None:
    with pytest.raises(ValueError, match='structure: not valid JSON'):
        parse_structure('{')
    with pytest.raises(ValueError, match='structure: must be an object'):
        parse_structure([1])


def test_minor_units() -> None:
    assert [minor_unit(code) for code in ('JPY', 'KRW', 'EUR', 'cny', 'KWD', 'BHD', 'OMR', 'JOD', 'TND', 'XYZ')] == [
        0,
        0,
        2,
        2,
        3,
        3,
        3,
        3,
        3,
        2,
    ]


# --- billing periods ------------------------------------------------------------------------------------


def test_billing_periods_start_at_local_midnight_of_the_billing_day() -> None:
    periods = billing_periods(datetime(2026, 3, 20), datetime(2026, 5, 1), BERLIN, billing_day=15)
    # 15 March 00:00 CET = 14 March 23:00 UTC; 15 April 00:00 CEST = 14 April 22:00 UTC; and 15 May.
    assert periods == [
        (datetime(2026, 3, 14, 23), datetime(2026, 4, 14, 22)),
        (datetime(2026, 4, 14, 22), datetime(2026, 5, 14, 22)),
    ]
    # Calendar months in UTC; December rolls into January.
    assert billing_periods(datetime(2026, 12, 31), datetime(2027, 1, 1, 1), UTC) == [
        (datetime(2026, 12, 1), datetime(2027, 1, 1)),
        (datetime(2027, 1, 1), datetime(2027, 2, 1)),
    ]
    assert billing_periods(datetime(2026, 1, 1), datetime(2026, 1, 1), UTC) == []


# --- properties -----------------------------------------------------------------------------------------

ZONES = [UTC, BERLIN, NEW_YORK, KOLKATA]
energies = st.decimals(min_value=D(-2), max_value=D(60), places=3)
tier_sets = st.sampled_from(
    [
        (),
        (Tier(D(100), D(0)), Tier(None, D('0.05'))),
        (Tier(D(20), D('-0.01')), Tier(D(300), D('0.02')), Tier(None, D('0.07'))),
    ]
)


@st.composite
def slot_series(draw: st.DrawFn) -> tuple[list[tuple[datetime, Decimal]], timedelta, ZoneInfo]:
    """Ascending slots (some missing) from the start of March 2026, across the Berlin and New York DST days."""
    slot = draw(st.sampled_from([QUARTER, timedelta(minutes=30), HOUR]))
    start = datetime(2026, 3, 1) + draw(st.integers(0, 2000)) * slot
    present = draw(st.lists(st.tuples(st.booleans(), energies), min_size=1, max_size=80))
    slots = [(start + index * slot, energy) for index, (keep, energy) in enumerate(present) if keep or index == 0]
    return slots, slot, draw(st.sampled_from(ZONES))


@given(slot_series(), tier_sets, energies)
def test_splitting_the_slots_gives_the_same_costs(
    series: tuple[list[tuple[datetime, Decimal]], timedelta, ZoneInfo], tiers: tuple[Tier, ...], before: Decimal
) -> None:
    slots, slot, zone = series
    tariff = version(tiers=tiers)
    whole = price_slots([tariff], slots, slot, zone, consumed_before=before)
    for cut in (0, len(slots) // 2, len(slots)):
        head = price_slots([tariff], slots[:cut], slot, zone, consumed_before=before)
        consumed = before + sum((energy for _, energy in slots[:cut]), D(0))
        assert head + price_slots([tariff], slots[cut:], slot, zone, consumed_before=consumed) == whole


@given(slot_series())
def test_without_tiers_a_slot_costs_energy_times_band_price(
    series: tuple[list[tuple[datetime, Decimal]], timedelta, ZoneInfo],
) -> None:
    slots, slot, zone = series
    prices = {'offpeak': D('0.10'), 'onpeak': D('0.30')}
    for priced in price_slots([version()], slots, slot, zone):
        assert priced.period is not None
        assert priced.cost == (priced.energy * prices[priced.period]).quantize(D('0.000001'))


# --- bills ----------------------------------------------------------------------------------------------

JANUARY = (datetime(2026, 1, 1), datetime(2026, 2, 1))
FLAT = band('flat', '00:00', '00:00', '0.10')


def lines(result: Bill) -> list[tuple[str, str, Decimal, Decimal]]:
    return [(line.kind, line.label, line.quantity, line.amount) for line in result.lines]


def quarters(day: datetime, *energies: str) -> list[tuple[datetime, Decimal]]:
    return [(day + index * QUARTER, D(energy)) for index, energy in enumerate(energies)]


def test_demand_over_a_15_minute_window() -> None:
    tariff = version(FLAT, demand=(DemandCharge(D(10)),))
    result = bill([tariff], quarters(datetime(2026, 1, 5, 10), '1', '3', '2', '0.5'), QUARTER, UTC, JANUARY)
    # Energy 1 + 3 + 2 + 0.5 = 6.5 kWh x 0.10 = 0.65.
    # Demand: the highest quarter holds 3 kWh, 3 / 0.25 h = 12 kW; 12 kW x 10 = 120.00.
    assert lines(result) == [('energy', 'flat', D('6.5'), D('0.65')), ('demand', 'demand 15 min', D(12), D(120))]
    assert (result.subtotal, result.total, result.currency) == (D('120.65'), D('120.65'), 'EUR')


def test_demand_with_slots_longer_than_the_window() -> None:
    tariff = version(FLAT, demand=(DemandCharge(D(10)),))
    slots = [(datetime(2026, 1, 5, 10), D(20)), (datetime(2026, 1, 5, 11), D(8))]
    result = bill([tariff], slots, HOUR, UTC, JANUARY)
    # Hourly slots cannot show a 15-minute peak: demand = 20 kWh / 1 h = 20 kW (not 20 / 0.25); x 10 = 200.
    # Energy 28 x 0.10 = 2.80; total 202.80.
    assert lines(result)[1] == ('demand', 'demand 15 min', D(20), D(200))
    assert result.total == D('202.80')


def test_demand_over_a_rolling_60_minute_window() -> None:
    tariff = version(FLAT, demand=(DemandCharge(D(10), window_minutes=60),))
    slots = quarters(datetime(2026, 1, 5, 10), '1', '3', '2', '0.5', '4', '0')
    result = bill([tariff], slots, QUARTER, UTC, JANUARY)
    # Windows of four quarters starting at each quarter:
    #   10:00  1 + 3 + 2 + 0.5 = 6.5      10:15  3 + 2 + 0.5 + 4 = 9.5     10:30  2 + 0.5 + 4 + 0 = 6.5
    #   10:45  0.5 + 4 + 0 = 4.5          11:00  4 + 0 = 4                 11:15  0
    # The clock hours 10:00 and 11:00 would show only 6.5 and 4; the rolling window finds 9.5 kWh / 1 h = 9.5 kW.
    # Demand 9.5 x 10 = 95.00; energy 10.5 x 0.10 = 1.05; total 96.05.
    assert lines(result)[1] == ('demand', 'demand 60 min', D('9.5'), D(95))
    assert result.total == D('96.05')


def test_demand_limited_to_a_band() -> None:
    charges = (DemandCharge(D(10), periods=('onpeak',)), DemandCharge(D(1)))
    slots = [
        (datetime(2026, 1, 5, 7, 45), D(8)),  # offpeak (08:00 starts onpeak): 32 kW
        (datetime(2026, 1, 5, 8), D(3)),  # onpeak: 12 kW
        (datetime(2026, 1, 5, 21, 45), D(2)),  # onpeak: 8 kW
        (datetime(2026, 1, 5, 22), D(5)),  # offpeak: 20 kW
    ]
    result = bill([version(demand=charges)], slots, QUARTER, UTC, JANUARY)
    # Energy: offpeak 8 + 5 = 13 kWh x 0.10 = 1.30; onpeak 3 + 2 = 5 kWh x 0.30 = 1.50.
    # Onpeak demand: max(12, 8) = 12 kW x 10 = 120.00. All-hours demand: 32 kW x 1 = 32.00.
    assert lines(result) == [
        ('energy', 'offpeak', D(13), D('1.30')),
        ('energy', 'onpeak', D(5), D('1.50')),
        ('demand', 'demand onpeak 15 min', D(12), D(120)),
        ('demand', 'demand 15 min', D(32), D(32)),
    ]
    # 1.30 + 1.50 + 120 + 32 = 154.80.
    assert result.total == D('154.80')


def test_fixed_charge_and_its_proration_between_versions() -> None:
    first = version(FLAT, id=1, fixed_per_period=D(31), valid_through=datetime(2026, 1, 10, 23, 59, 59))
    second = version(FLAT, id=2, fixed_per_period=D(62), valid_from=datetime(2026, 1, 11))
    whole = bill([version(FLAT, fixed_per_period=D(31))], [], HOUR, UTC, JANUARY)
    # The whole of January: 31.00, quantity 31 days.
    assert lines(whole) == [('fixed', 'fixed', D(31), D(31))]
    result = bill([first, second], [], HOUR, UTC, JANUARY)
    # Version 1 covers 1..10 January: 31 x 10/31 = 10.00; version 2 covers 11..31: 62 x 21/31 = 42.00.
    assert lines(result) == [('fixed', 'fixed (tariff 1)', D(10), D(10)), ('fixed', 'fixed (tariff 2)', D(21), D(42))]
    assert result.total == D('52.00')
    # A version starting mid-period with none before it: 42.00 only, and the energy before it is unpriced.
    late = bill([second], [(datetime(2026, 1, 5), D(3))], HOUR, UTC, JANUARY)
    assert (late.total, late.energy, late.unpriced_energy) == (D('42.00'), D(3), D(3))
    assert lines(late) == [('fixed', 'fixed', D(21), D(42))]


def test_demand_is_prorated_between_versions() -> None:
    first = version(FLAT, id=1, demand=(DemandCharge(D(10)),), valid_through=datetime(2026, 1, 10, 23, 59, 59))
    second = version(FLAT, id=2, demand=(DemandCharge(D(10)),), valid_from=datetime(2026, 1, 11))
    result = bill([first, second], [(datetime(2026, 1, 20), D(3))], QUARTER, UTC, JANUARY)
    # Billing demand over the period: 3 kWh / 0.25 h = 12 kW. Version 1: 10 x 12 x 10/31 = 38.709677...
    # Version 2: 10 x 12 x 21/31 = 81.290322... (6 decimals: 38.709677 + 81.290323 = 120.000000).
    # Energy: 3 x 0.10 = 0.30 (version 2). Total 120.30.
    assert lines(result)[1:] == [
        ('demand', 'demand 15 min (tariff 1)', D(12), D('38.709677')),
        ('demand', 'demand 15 min (tariff 2)', D(12), D('81.290323')),
    ]
    assert result.total == D('120.30')


def test_power_factor_surcharge_and_credit() -> None:
    rule = PowerFactorRule(D('0.90'), D('0.005'), credit_per_hundredth=D('0.0015'), max_credit=D('0.0075'))
    tariff = version(FLAT, demand=(DemandCharge(D('0.2')),), power_factor=rule)
    slots = [(datetime(2026, 1, 5, 10), D(500)), (datetime(2026, 1, 5, 11), D(500))]
    # Energy 1000 x 0.10 = 100; demand 500 kW (hourly slots) x 0.2 = 100; the base is 200.
    cases = [
        # 0.853 rounds to 0.85: 5 hundredths below 0.90, 5 x 0.005 = 2.5 % of 200 = +5.00.
        (D('0.853'), D('5.00'), D('205.00')),
        # 0.93: 3 hundredths above, 3 x 0.0015 = 0.45 % of 200 = -0.90.
        (D('0.93'), D('-0.90'), D('199.10')),
        # 0.98: 8 x 0.0015 = 1.2 %, capped at 0.75 % of 200 = -1.50.
        (D('0.98'), D('-1.50'), D('198.50')),
    ]
    for measured, adjustment, total in cases:
        result = bill([tariff], slots, HOUR, UTC, JANUARY, power_factor=measured)
        assert lines(result)[-1][::3] == ('power_factor', adjustment)
        assert result.total == total
    # At the target, or without a measured power factor, nothing is added: 200.00.
    assert bill([tariff], slots, HOUR, UTC, JANUARY, power_factor=D('0.9')).total == D('200.00')
    assert bill([tariff], slots, HOUR, UTC, JANUARY).total == D('200.00')


def test_taxes_on_the_subtotal() -> None:
    taxes = (Tax('VAT', D('0.19')), Tax('electricity tax', D('0.05')))
    result = bill([version(FLAT, taxes=taxes)], [(datetime(2026, 1, 5), D(1000))], HOUR, UTC, JANUARY)
    # Subtotal 1000 x 0.10 = 100.00; VAT 19 % = 19.00; electricity tax 5 % = 5.00 (both on the subtotal).
    assert lines(result)[1:] == [('tax', 'VAT', D(100), D(19)), ('tax', 'electricity tax', D(100), D(5))]
    assert (result.subtotal, result.total) == (D(100), D('124.00'))


def test_minimum_bill() -> None:
    tariff = version(FLAT, fixed_per_period=D(2), minimum_bill=D(5), taxes=(Tax('VAT', D('0.19')),))
    result = bill([tariff], [(datetime(2026, 1, 5), D(10))], HOUR, UTC, JANUARY)
    # Energy 10 x 0.10 = 1.00, fixed 2.00: 3.00 is below the minimum of 5, so 2.00 tops it up.
    # VAT on 5.00 is 0.95; total 5.95.
    assert lines(result) == [
        ('energy', 'flat', D(10), D('1.00')),
        ('fixed', 'fixed', D(31), D(2)),
        ('minimum', 'minimum bill', D(0), D(2)),
        ('tax', 'VAT', D(5), D('0.95')),
    ]
    assert (result.subtotal, result.total) == (D(5), D('5.95'))


@pytest.mark.parametrize(
    ('currency', 'price', 'total'),
    [
        # 1 kWh x 12.3456: yen have no minor unit, euro cents 2 decimals, Kuwaiti fils 3.
        ('JPY', '12.3456', '12'),
        ('EUR', '12.3456', '12.35'),
        ('KWD', '12.3456', '12.346'),
        # Halves round up (half even would give 0.12, 0 and 0.012).
        ('EUR', '0.125', '0.13'),
        ('JPY', '0.5', '1'),
        ('KWD', '0.0125', '0.013'),
    ],
)
def test_total_rounds_to_the_minor_unit(currency: str, price: str, total: str) -> None:
    tariff = version(band('flat', '00:00', '00:00', price), currency=currency)
    result = bill([tariff], [(datetime(2026, 1, 5), D(1))], HOUR, UTC, JANUARY)
    assert result.subtotal == D(price) and str(result.total) == total


def test_bill_reports_unpriced_energy_in_a_gap_between_versions() -> None:
    first = version(id=1, fixed_per_period=D(31), valid_through=datetime(2026, 1, 10, 23, 59, 59))
    second = version(id=2, fixed_per_period=D(31), valid_from=datetime(2026, 1, 12))
    slots = [(datetime(2026, 1, 5), D(1)), (datetime(2026, 1, 11, 12), D(5)), (datetime(2026, 1, 20, 12), D(1))]
    result = bill([first, second], slots, HOUR, UTC, JANUARY)
    # 5 January 00:00 offpeak 1 x 0.10; 11 January no version (5 kWh unpriced); 20 January 12:00 onpeak 1 x 0.30.
    # Fixed: version 1 for 10 days 31 x 10/31 = 10.00, version 2 for 20 days 31 x 20/31 = 20.00; 11 January unbilled.
    assert (result.energy, result.unpriced_energy) == (D(7), D(5))
    assert result.total == D('30.40')


def test_bill_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match='outside the billing period'):
        bill([version()], [(datetime(2026, 2, 1), D(1))], HOUR, UTC, JANUARY)
    other = version(id=2, currency='USD', valid_from=datetime(2026, 1, 15))
    with pytest.raises(ValueError, match='different currencies'):
        bill([version(), other], [], HOUR, UTC, JANUARY)
    with pytest.raises(ValueError, match='power factor'):
        bill([version()], [], HOUR, UTC, JANUARY, power_factor=D('1.5'))


@given(slot_series(), tier_sets)
def test_energy_lines_add_up_to_the_slot_costs(
    series: tuple[list[tuple[datetime, Decimal]], timedelta, ZoneInfo], tiers: tuple[Tier, ...]
) -> None:
    slots, slot, zone = series
    tariff = version(tiers=tiers)
    period = (slots[0][0], slots[-1][0] + slot)
    result = bill([tariff], slots, slot, zone, period)
    slot_costs = total_cost(price_slots([tariff], slots, slot, zone))
    assert sum((line.amount for line in result.lines if line.kind == 'energy'), D(0)) == slot_costs
    assert result.energy == sum((energy for _, energy in slots), D(0)) and result.unpriced_energy == 0


@given(
    slot_series(),
    st.sampled_from(['JPY', 'EUR', 'KWD', 'CNY']),
    st.decimals(min_value=D(0), max_value=D(100), places=4),
    st.decimals(min_value=D('0.5'), max_value=D(1), places=3),
)
def test_total_is_a_multiple_of_the_minor_unit(
    series: tuple[list[tuple[datetime, Decimal]], timedelta, ZoneInfo],
    currency: str,
    fixed: Decimal,
    power_factor: Decimal,
) -> None:
    slots, slot, zone = series
    tariff = version(
        currency=currency,
        fixed_per_period=fixed,
        demand=(DemandCharge(D('3.3333')),),
        power_factor=PowerFactorRule(D('0.9'), D('0.0051'), D('0.0013'), D('0.01')),
        taxes=(Tax('VAT', D('0.077')),),
        minimum_bill=D('7.777'),
    )
    result = bill([tariff], slots, slot, zone, (slots[0][0], slots[-1][0] + slot), power_factor)
    assert result.total % D(1).scaleb(-minor_unit(currency)) == 0
    assert abs(result.total - result.subtotal - sum((li.amount for li in result.lines if li.kind == 'tax'), D(0))) <= 1
