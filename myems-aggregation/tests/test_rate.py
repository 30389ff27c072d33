"""The billing step's pricing of a run of slots agrees with the tariff engine's, period by period."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from myems_common.tariff import billing_periods, price_slots, version_from_rows
from myems_common.tariffbook import NO_TARIFF, Rate

HOUR = timedelta(hours=1)
BERLIN = ZoneInfo('Europe/Berlin')
TOU = [
    {'start_time_of_day': '00:00:00', 'end_time_of_day': '07:59:59', 'peak_type': 'offpeak', 'price': '0.2'},
    {'start_time_of_day': '08:00:00', 'end_time_of_day': '23:59:59', 'peak_type': 'onpeak', 'price': '0.45'},
]


def version(tiers: list[tuple[int, str]], billing_day: int) -> object:
    structure = {
        'tiers': [{'up_to': limit, 'adder': adder} for limit, adder in tiers[:-1]] + [{'up_to': None, 'adder': '1'}],
        'billing_day': billing_day,
    }
    row = {'id': 7, 'valid_from_datetime_utc': datetime(2026, 2, 3), 'valid_through_datetime_utc': datetime(2030, 1, 1)}
    return version_from_rows(row, TOU, structure)


@given(
    pattern=st.lists(st.integers(-5, 40), min_size=1, max_size=48),
    limits=st.lists(st.integers(1, 400), min_size=0, max_size=3, unique=True),
    billing_day=st.integers(1, 28),
    offset=st.integers(0, 24 * 40),
)
def test_the_slots_priced_from_a_start_cost_what_the_engine_says(
    pattern: list[int], limits: list[int], billing_day: int, offset: int
) -> None:
    energies = (pattern * (24 * 45))[: 24 * 45]  # 45 days from before the tariff, over two period starts
    tariff = version([(limit, f'0.0{i}') for i, limit in enumerate(sorted(limits))] + [(0, '1')], billing_day)
    rate = Rate([tariff], {7: BERLIN}, HOUR)  # type: ignore[list-item]
    first = datetime(2026, 1, 25)  # before the tariff: the first slots are unpriced
    slots = [(first + i * HOUR, Decimal(e) / 4) for i, e in enumerate(energies)]
    start = first + offset * HOUR
    costs, unpriced = rate.price(slots, start)
    expected: dict[datetime, Decimal | None] = {}
    for begin, end in billing_periods(first, first + len(slots) * HOUR, BERLIN, billing_day):
        inside = [s for s in slots if begin <= s[0] < end]
        for priced in price_slots([tariff], inside, HOUR, BERLIN):  # type: ignore[list-item]
            expected[priced.start_utc] = priced.cost
    assert dict(costs) == {t: c for t, c in expected.items() if t >= start and c is not None}
    assert {t: (e, reason) for t, e, reason in unpriced} == {
        t: (e, NO_TARIFF) for t, e in slots if t >= start and expected[t] is None
    }
