"""Billing and carbon steps through the pipeline runner, on a real MariaDB."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from myems_aggregation.billing import BillingStep, bills_for
from myems_aggregation.carbon import CarbonStep
from myems_common.db import Database
from myems_common.pipeline import Runner, mark_dirty, set_progress

D = Decimal
HOUR = timedelta(hours=1)


# ------------------------------------------------------------------------ a world of tariffs, written in SQL
@dataclass
class BillingWorld:
    db: Database
    settings: Any

    def insert(self, table: str, **values: Any) -> int:
        with self.db.transaction('system') as cur:
            names = ', '.join(f'`{k}`' for k in values)
            cur.execute(
                f'INSERT INTO `{table}` ({names}) VALUES ({", ".join(["%s"] * len(values))})', list(values.values())
            )
            return int(cur.lastrowid)

    def category(self, kgco2e: str = '0.5') -> int:
        return self.insert(
            'tbl_energy_categories',
            name=f'c{id(self)}-{kgco2e}-{datetime.now().timestamp()}',
            uuid=_uuid(),
            unit_of_measure='kWh',
            kgce=Decimal('0.1229'),
            kgco2e=Decimal(kgco2e),
        )

    def cost_center(self) -> int:
        return self.insert('tbl_cost_centers', name=f'cc {datetime.now().timestamp()}', uuid=_uuid())

    def tariff(
        self,
        cost_center: int,
        category: int,
        bands: Sequence[tuple[str, str, str, str]] = (),
        structure: dict[str, Any] | None = None,
        valid: tuple[datetime, datetime] = (datetime(2020, 1, 1), datetime(2030, 12, 31, 23, 59, 59)),
        timezone: str | None = None,
        calendar: int | None = None,
    ) -> int:
        tariff = self.insert(
            'tbl_tariffs',
            name=f't {datetime.now().timestamp()}',
            uuid=_uuid(),
            energy_category_id=category,
            tariff_type='timeofuse',
            unit_of_price='CNY/kWh',
            valid_from_datetime_utc=valid[0],
            valid_through_datetime_utc=valid[1],
            timezone=timezone,
            working_calendar_id=calendar,
            structure=None if structure is None else json.dumps(structure),
        )
        for start, end, peak, price in bands:
            self.insert(
                'tbl_tariffs_timeofuses',
                tariff_id=tariff,
                start_time_of_day=start,
                end_time_of_day=end,
                peak_type=peak,
                price=Decimal(price),
            )
        self.insert('tbl_cost_centers_tariffs', cost_center_id=cost_center, tariff_id=tariff)
        return tariff

    def meter(self, category: int, cost_center: int) -> int:
        return self.insert(
            'tbl_meters',
            name=f'm {datetime.now().timestamp()}',
            uuid=_uuid(),
            energy_category_id=category,
            is_counted=1,
            hourly_low_limit=0,
            hourly_high_limit=0,
            cost_center_id=cost_center,
        )

    def space(self, cost_center: int | None) -> int:
        return self.insert(
            'tbl_spaces',
            name=f's {datetime.now().timestamp()}',
            uuid=_uuid(),
            parent_space_id=1,
            area=1,
            timezone_id=1,
            is_input_counted=1,
            is_output_counted=0,
            cost_center_id=cost_center,
        )

    def energy(self, meter: int, slots: Iterable[tuple[datetime, Decimal]], step: str = 'meter_energy') -> None:
        """Meter slots in the energy database and the meter stage's watermark after the last."""
        rows = list(slots)
        with self.db.transaction('energy') as cur:
            cur.executemany(
                'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)'
                ' ON DUPLICATE KEY UPDATE actual_value = VALUES(actual_value)',
                [(meter, t, v) for t, v in rows],
            )
            set_progress(cur, step, meter, max(t for t, _ in rows) + HOUR)

    def space_energy(
        self, space: int, category: int, slots: Iterable[tuple[datetime, Decimal]], item: int | None = None
    ) -> None:
        """A space's input category slots (and the same as one item's, if given) and its roll-up watermark."""
        rows = list(slots)
        with self.db.transaction('energy') as cur:
            cur.executemany(
                'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
                ' actual_value) VALUES (%s, %s, %s, %s)',
                [(space, category, t, v) for t, v in rows],
            )
            if item is not None:
                cur.executemany(
                    'INSERT INTO tbl_space_input_item_hourly (space_id, energy_item_id, start_datetime_utc,'
                    ' actual_value) VALUES (%s, %s, %s, %s)',
                    [(space, item, t, v) for t, v in rows],
                )
            set_progress(cur, 'space_energy', space, max(t for t, _ in rows) + HOUR)

    def rows(self, database: str, table: str, column: str, object_id: int) -> dict[datetime, Decimal]:
        found = self.db.fetch_all(
            database, f'SELECT start_datetime_utc, actual_value FROM {table} WHERE {column} = %s', (object_id,)
        )
        return dict(found)

    def unpriced(self, step: str, object_id: int) -> dict[datetime, tuple[Decimal, str]]:
        found = self.db.fetch_all(
            'billing',
            'SELECT start_datetime_utc, energy, reason FROM tbl_unpriced_slots WHERE step = %s AND object_id = %s',
            (step, object_id),
        )
        return {t: (e, r) for t, e, r in found}

    def run(self, steps: Sequence[Any]) -> int:
        return Runner(self.db, steps).run_until_idle()


def _uuid() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope='module')
def site(fresh_databases: Any) -> Iterator[BillingWorld]:
    settings = fresh_databases('billing')
    db = Database(settings)
    yield BillingWorld(db, settings)
    db.close()


# ----------------------------------------------------------------------------------------------- tests
METER = [BillingStep('meter'), CarbonStep('meter')]
MYEMS_TOU = (  # MyEMS rows: inclusive ends
    ('00:00:00', '05:59:59', 'offpeak', '0.3'),
    ('06:00:00', '21:59:59', 'onpeak', '1.0'),
    ('22:00:00', '23:59:59', 'offpeak', '0.3'),
)


def hours(start: datetime, count: int, value: Any = None) -> list[tuple[datetime, Decimal]]:
    """Hourly slots; by default with values that differ from hour to hour."""
    return [(start + i * HOUR, D(value) if value is not None else D(i % 7) + D('0.125')) for i in range(count)]


def costs(site: Any, meter: int) -> dict[datetime, Decimal]:
    return site.rows('billing', 'tbl_meter_hourly', 'meter_id', meter)


def test_cost_is_energy_times_band_price_for_every_slot(site: Any) -> None:
    category, center = site.category(), site.cost_center()
    site.tariff(center, category, MYEMS_TOU)  # no zone: the default (UTC)
    meter = site.meter(category, center)
    energy = hours(datetime(2026, 1, 5), 72)
    site.energy(meter, energy)
    site.run(METER)
    got = costs(site, meter)
    assert len(got) == 72
    for at, value in energy:
        price = D('1.0') if 6 <= at.hour < 22 else D('0.3')
        assert got[at] == value * price, at
    assert site.unpriced('meter_billing', meter) == {}


def test_weekday_weekend_bands_in_berlin_across_the_march_dst_day(site: Any) -> None:
    structure = {
        'seasons': [
            {
                'name': 'all year',
                'start': '01-01',
                'end': '12-31',
                'weekday': [
                    {'name': 'offpeak', 'start': '22:00', 'end': '08:00', 'price': '0.10'},
                    {'name': 'onpeak', 'start': '08:00', 'end': '22:00', 'price': '0.30'},
                ],
                'weekend': [{'name': 'offpeak', 'start': '00:00', 'end': '24:00', 'price': '0.20'}],
            }
        ]
    }
    category, center = site.category(), site.cost_center()
    site.tariff(center, category, structure=structure, timezone='Europe/Berlin')
    meter = site.meter(category, center)
    berlin = ZoneInfo('Europe/Berlin')
    # local Friday 27 March 2026 00:00 (CET, UTC+1) to Tuesday 31 March 00:00 (CEST, UTC+2); Sunday 29 is 23 hours
    energy = hours(datetime(2026, 3, 26, 23), 4 * 24 - 1, '2')
    site.energy(meter, energy)
    site.run(METER)
    got = costs(site, meter)
    by_day: dict[int, int] = {}
    for at, _ in energy:
        local = at.replace(tzinfo=ZoneInfo('UTC')).astimezone(berlin)
        by_day[local.day] = by_day.get(local.day, 0) + 1
        if local.weekday() >= 5:
            price = D('0.20')
        else:
            price = D('0.30') if time(8) <= local.time() < time(22) else D('0.10')
        assert got[at] == 2 * price, (at, local)
    assert by_day == {27: 24, 28: 24, 29: 23, 30: 24}
    assert got[datetime(2026, 3, 27, 7)] == D('0.6')  # Friday 08:00 CET
    assert got[datetime(2026, 3, 30, 5)] == D('0.2')  # Monday 07:00 CEST: off-peak
    assert got[datetime(2026, 3, 30, 6)] == D('0.6')  # Monday 08:00 CEST


def tier_cost(cumulative: Decimal, energy: Decimal, limit: Decimal) -> Decimal:
    below = max(min(limit - cumulative, energy), D(0))
    return below * D('1.0') + (energy - below) * D('1.5')


def expected_tiered(energy: list[tuple[datetime, Decimal]], limit: Decimal) -> dict[datetime, Decimal]:
    found, cumulative, month = {}, D(0), 0
    for at, value in energy:
        if at.month != month:
            cumulative, month = D(0), at.month
        found[at] = tier_cost(cumulative, value, limit)
        cumulative += value
    return found


def test_tiers_cross_mid_month_and_an_early_edit_reprices_the_rest_of_the_period(site: Any) -> None:
    structure = {'tiers': [{'up_to': '3605', 'adder': '0'}, {'up_to': None, 'adder': '0.5'}]}
    category, center = site.category(), site.cost_center()
    site.tariff(center, category, (('00:00:00', '23:59:59', 'flat', '1.0'),), structure=structure)
    meter = site.meter(category, center)
    energy = hours(datetime(2026, 3, 1), (31 + 3) * 24, '10')
    site.energy(meter, energy)
    step = BillingStep('meter', chunk=timedelta(days=7))  # the period is priced over several chunks
    site.run([step])
    got = costs(site, meter)
    assert got == expected_tiered(energy, D(3605))
    assert got[datetime(2026, 3, 16)] == D('12.5')  # 3600 before it: 5 kWh at 1.0, 5 at 1.5
    assert got[datetime(2026, 4, 1)] == D('10')  # a new billing period starts at the first tier
    # 100 kWh more on 2 March: the tier is crossed 10 hours earlier, every later March slot may change
    edited = datetime(2026, 3, 2, 12)
    site.energy(meter, [(edited, D(110))])
    with site.db.transaction('billing') as cur:
        mark_dirty(cur, 'meter_billing', meter, edited, edited + HOUR, 'test edit')
    site.run([step])
    energy = [(t, D(110) if t == edited else v) for t, v in energy]
    assert costs(site, meter) == expected_tiered(energy, D(3605))


def test_slots_without_tariff_cost_centre_or_band_are_recorded_not_priced(site: Any) -> None:
    category, center = site.category(), site.cost_center()
    start = datetime(2026, 2, 1, 12)
    site.tariff(center, category, (('08:00:00', '19:59:59', 'onpeak', '1'),), valid=(start, datetime(2030, 1, 1)))
    meter = site.meter(category, center)
    energy = hours(datetime(2026, 2, 1), 24)
    site.energy(meter, energy)
    bare = site.space(None)
    site.space_energy(bare, category, energy)
    site.run([*METER, BillingStep('space')])
    got = costs(site, meter)
    assert sorted(got) == [t for t, _ in energy if 12 <= t.hour < 20]
    unpriced = site.unpriced('meter_billing', meter)
    assert unpriced == {t: (v, 'no tariff' if t < start else 'no band') for t, v in energy if not 12 <= t.hour < 20}
    assert site.rows('billing', 'tbl_space_input_category_hourly', 'space_id', bare) == {}
    assert site.unpriced('space_billing', bare) == {t: (v, 'no cost center') for t, v in energy}


def test_aggregates_price_their_category_and_item_slots_and_offline_meters_run_to_their_last_slot(site: Any) -> None:
    category, center = site.category('0.25'), site.cost_center()
    site.tariff(center, category, MYEMS_TOU)
    item = site.insert('tbl_energy_items', name=f'item {category}', uuid=str(uuid.uuid4()), energy_category_id=category)
    space = site.space(center)
    energy = hours(datetime(2026, 8, 3), 30)
    site.space_energy(space, category, energy, item)
    offline = site.insert('tbl_offline_meters', name=f'offline {category}', uuid=str(uuid.uuid4()),
                          energy_category_id=category, is_counted=1, hourly_low_limit=0, hourly_high_limit=0,
                          cost_center_id=center)  # fmt: skip
    with site.db.transaction('energy') as cur:  # an uploaded month: no stage, no watermark
        cur.executemany(
            'INSERT INTO tbl_offline_meter_hourly (offline_meter_id, start_datetime_utc, actual_value)'
            ' VALUES (%s, %s, %s)',
            [(offline, t, v) for t, v in energy],
        )
    steps = [BillingStep(k) for k in ('space', 'offline_meter')] + [CarbonStep(k) for k in ('space', 'offline_meter')]
    site.run(steps)
    expected = {t: v * (D('1.0') if 6 <= t.hour < 22 else D('0.3')) for t, v in energy}
    assert site.rows('billing', 'tbl_space_input_category_hourly', 'space_id', space) == expected
    assert site.rows('billing', 'tbl_space_input_item_hourly', 'space_id', space) == expected
    assert site.rows('billing', 'tbl_offline_meter_hourly', 'offline_meter_id', offline) == expected
    assert site.rows('carbon', 'tbl_space_input_item_hourly', 'space_id', space) == {t: v / 4 for t, v in energy}
    assert site.rows('carbon', 'tbl_offline_meter_hourly', 'offline_meter_id', offline) == {t: v / 4 for t, v in energy}
    assert site.unpriced('space_billing', space) == {}


def test_an_energy_edit_recomputes_only_its_range(site: Any) -> None:
    category, center = site.category(), site.cost_center()
    site.tariff(center, category, MYEMS_TOU)
    meter = site.meter(category, center)
    energy = hours(datetime(2026, 1, 12), 24)
    site.energy(meter, energy)
    site.run(METER)
    before = costs(site, meter)
    edited, untouched = datetime(2026, 1, 12, 5), datetime(2026, 1, 12, 20)
    site.energy(meter, [(edited, D(100)), (edited + HOUR, D(200)), (untouched, D(300))])
    with site.db.transaction('billing') as cur:
        mark_dirty(cur, 'meter_billing', meter, edited, edited + 2 * HOUR, 'test edit')
    site.run(METER)
    after = costs(site, meter)
    assert after[edited] == D('30') and after[edited + HOUR] == D('200')  # 05:00 off-peak, 06:00 on-peak
    assert after[untouched] == before[untouched]  # not marked: not recomputed
    assert {t: v for t, v in after.items() if t not in (edited, edited + HOUR)} == {
        t: v for t, v in before.items() if t not in (edited, edited + HOUR)
    }


def test_carbon_uses_the_factor_valid_at_each_slot(site: Any) -> None:
    category, center = site.category('0.5'), site.cost_center()
    day = datetime(2026, 5, 2)
    site.insert(
        'tbl_emission_factors',
        energy_category_id=category,
        kgco2e=D('0.8'),
        valid_from_datetime_utc=day,
        valid_through_datetime_utc=day + timedelta(hours=23, minutes=59, seconds=59),
    )
    site.insert(
        'tbl_emission_factors',
        energy_category_id=category,
        kgco2e=D('0.9'),
        valid_from_datetime_utc=day + 12 * HOUR,
        valid_through_datetime_utc=datetime(2030, 1, 1),
    )
    meter = site.meter(category, center)
    energy = hours(datetime(2026, 5, 1), 72)
    site.energy(meter, energy)
    site.run(METER)
    got = site.rows('carbon', 'tbl_meter_hourly', 'meter_id', meter)
    for at, value in energy:
        factor = D('0.5') if at < day else D('0.8') if at < day + 12 * HOUR else D('0.9')
        assert got[at] == value * factor, at
    assert len(got) == 72


def snapshot(site: Any, meter: int) -> tuple[Any, ...]:
    return (
        site.db.fetch_all('billing', 'SELECT * FROM tbl_meter_hourly WHERE meter_id = %s ORDER BY 3', (meter,)),
        site.db.fetch_all('carbon', 'SELECT * FROM tbl_meter_hourly WHERE meter_id = %s ORDER BY 3', (meter,)),
        sorted(site.unpriced('meter_billing', meter).items()),
    )


def test_running_again_or_recomputing_everything_gives_identical_rows(site: Any) -> None:
    category, center = site.category(), site.cost_center()
    site.tariff(center, category, MYEMS_TOU, valid=(datetime(2026, 6, 2), datetime(2030, 1, 1)))
    meter = site.meter(category, center)
    energy = hours(datetime(2026, 6, 1), 48)
    site.energy(meter, energy)
    site.run(METER)
    first = snapshot(site, meter)
    assert len(first[0]) == 24 and len(first[1]) == 48 and len(first[2]) == 24
    assert site.run(METER) == 0
    with site.db.transaction('billing') as cur:
        mark_dirty(cur, 'meter_billing', meter, datetime(2026, 1, 1), datetime(2027, 1, 1), 'everything')
    with site.db.transaction('carbon') as cur:
        mark_dirty(cur, 'meter_carbon', meter, datetime(2026, 1, 1), datetime(2027, 1, 1), 'everything')
    site.run(METER)
    assert snapshot(site, meter) == first
    for database, step in (('billing', 'meter_billing'), ('carbon', 'meter_carbon')):  # from scratch
        with site.db.transaction(database) as cur:
            cur.execute('DELETE FROM tbl_pipeline_progress WHERE step = %s AND object_id = %s', (step, meter))
    site.run(METER)
    assert snapshot(site, meter) == first


def test_the_bill_of_a_period_adds_the_slot_costs(site: Any) -> None:
    structure = {'fixed_per_period': '15', 'taxes': [{'name': 'VAT', 'rate': '0.1'}]}
    category, center = site.category(), site.cost_center()
    site.tariff(center, category, MYEMS_TOU, structure=structure)
    meter = site.meter(category, center)
    energy = hours(datetime(2026, 7, 1), 31 * 24, '1')
    site.energy(meter, energy)
    site.run(METER)
    result = bills_for(site.db, 'meter', meter, category, (datetime(2026, 7, 1), datetime(2026, 8, 1)))
    energy_charge = sum(costs(site, meter).values())
    assert energy_charge == 31 * (16 * D('1.0') + 8 * D('0.3'))
    assert result.subtotal == energy_charge + 15 and result.total == ((energy_charge + 15) * D('1.1')).quantize(
        D('0.01')
    )
