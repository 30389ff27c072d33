"""Income: the output category slots of spaces, equipments and combined equipments priced by their cost
centre's tariffs (steps `{kind}_output_billing`), on a real MariaDB. Numbers worked by hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from myems_aggregation.billing import BillingStep, billing_steps
from myems_common.db import Database
from myems_common.hierarchy import own_steps
from myems_common.pipeline import Runner, mark_dirty, set_progress

D = Decimal
HOUR = timedelta(hours=1)
DAY = datetime(2026, 4, 6)  # a Monday
# 00:00-07:59 off-peak at 0.2, 08:00-23:59 on-peak at 0.5 (MyEMS rows: inclusive ends); the output category
# has a tariff, the input category another at a flat 1.0, so a mix-up of the two tables shows.
OUTPUT_TOU = (('00:00:00', '07:59:59', 'offpeak', '0.2'), ('08:00:00', '23:59:59', 'onpeak', '0.5'))
INPUT_TOU = (('00:00:00', '23:59:59', 'flat', '1.0'),)


@dataclass
class Site:
    db: Database

    def insert(self, table: str, **values: Any) -> int:
        with self.db.transaction('system') as cur:
            names = ', '.join(f'`{k}`' for k in values)
            cur.execute(
                f'INSERT INTO `{table}` ({names}) VALUES ({", ".join(["%s"] * len(values))})', [*values.values()]
            )
            return int(cur.lastrowid)

    def entity(self, table: str, center: int | None, **values: Any) -> int:
        """A space, equipment or combined equipment whose inputs and outputs count, under a cost centre."""
        return self.insert(
            table, name=f'{table} {uuid.uuid4()}', uuid=str(uuid.uuid4()), is_input_counted=1, is_output_counted=1,
            cost_center_id=center, **values,
        )  # fmt: skip

    def category(self, name: str) -> int:
        return self.insert(
            'tbl_energy_categories', name=f'{name} {uuid.uuid4()}', uuid=str(uuid.uuid4()), unit_of_measure='kWh',
            kgce=D('0.1229'), kgco2e=D('0.5'),
        )  # fmt: skip

    def tariff(self, center: int, category: int, bands: tuple[tuple[str, str, str, str], ...]) -> int:
        tariff = self.insert(
            'tbl_tariffs', name=f't {uuid.uuid4()}', uuid=str(uuid.uuid4()), energy_category_id=category,
            tariff_type='timeofuse', unit_of_price='CNY/kWh', valid_from_datetime_utc=datetime(2020, 1, 1),
            valid_through_datetime_utc=datetime(2030, 12, 31, 23, 59, 59),
        )  # fmt: skip
        for start, end, peak, price in bands:
            self.insert('tbl_tariffs_timeofuses', tariff_id=tariff, start_time_of_day=start, end_time_of_day=end,
                        peak_type=peak, price=D(price))  # fmt: skip
        self.insert('tbl_cost_centers_tariffs', cost_center_id=center, tariff_id=tariff)
        return tariff

    def slots(self, kind: str, direction: str, object_id: int, category: int, values: list[Decimal]) -> None:
        """Energy slots of one category from DAY on, hour by hour, and the roll-up's watermark after them."""
        with self.db.transaction('energy') as cur:
            cur.executemany(
                f'REPLACE INTO tbl_{kind}_{direction}_category_hourly ({kind}_id, energy_category_id,'
                ' start_datetime_utc, actual_value) VALUES (%s, %s, %s, %s)',
                [(object_id, category, DAY + i * HOUR, v) for i, v in enumerate(values)],
            )
            set_progress(cur, f'{kind}_energy', object_id, DAY + 24 * HOUR)

    def billed(self, kind: str, direction: str, object_id: int) -> dict[datetime, Decimal]:
        return dict(
            self.db.fetch_all(
                'billing',
                f'SELECT start_datetime_utc, actual_value FROM tbl_{kind}_{direction}_category_hourly'
                f' WHERE {kind}_id = %s',
                (object_id,),
            )
        )

    def unpriced(self, step: str, object_id: int) -> dict[datetime, tuple[Decimal, str]]:
        rows = self.db.fetch_all(
            'billing',
            'SELECT start_datetime_utc, energy, reason FROM tbl_unpriced_slots WHERE step = %s AND object_id = %s',
            (step, object_id),
        )
        return {t: (e, r) for t, e, r in rows}


@pytest.fixture(scope='module')
def site(fresh_databases: Any) -> Iterator[Site]:
    db = Database(fresh_databases('income'))
    yield Site(db)
    db.close()


def output_values() -> list[Decimal]:
    return [D(i + 1) for i in range(24)]  # 1 kWh at 00:00 UTC ... 24 kWh at 23:00


def income_of(values: list[Decimal]) -> dict[datetime, Decimal]:
    return {DAY + i * HOUR: v * (D('0.2') if i < 8 else D('0.5')) for i, v in enumerate(values)}


def test_the_output_billing_steps_are_built_for_the_three_kinds_with_outputs() -> None:
    names = {step.name for step in billing_steps()}
    assert {'space_output_billing', 'equipment_output_billing', 'combined_equipment_output_billing'} <= names
    assert not {'meter_output_billing', 'tenant_output_billing', 'store_output_billing'} & names
    assert len(names) == 9 + 3
    with pytest.raises(ValueError):
        BillingStep('tenant', direction='output')
    # every step the aggregation runs is one the dirty-range machinery knows to mark
    assert ('equipment_output_billing', 'billing') in own_steps('equipment')
    assert not any('output' in step for step, _ in own_steps('meter'))


def test_income_is_output_energy_times_the_band_price_and_consumption_keeps_its_own_tariff(site: Site) -> None:
    sold, bought, center = (
        site.category('heat'),
        site.category('power'),
        site.insert('tbl_cost_centers', name='cc income', uuid=str(uuid.uuid4())),
    )
    site.tariff(center, sold, OUTPUT_TOU)
    site.tariff(center, bought, INPUT_TOU)
    equipment = site.entity('tbl_equipments', center)
    site.slots('equipment', 'output', equipment, sold, output_values())
    site.slots('equipment', 'input', equipment, bought, [D(3)] * 24)
    Runner(site.db, billing_steps(kinds=('equipment',))).run_until_idle()
    income = site.billed('equipment', 'output', equipment)
    assert income == income_of(output_values())
    # by hand: off-peak 0.2 x (1+...+8) = 7.2, on-peak 0.5 x (9+...+24) = 132
    assert sum(income.values()) == D('139.2')
    assert site.billed('equipment', 'input', equipment) == {DAY + i * HOUR: D(3) for i in range(24)}
    assert site.unpriced('equipment_output_billing', equipment) == {}


def test_unpriced_outputs_are_recorded_under_the_output_step_and_an_edit_reprices_its_range(site: Site) -> None:
    sold = site.category('steam')
    bare = site.entity('tbl_spaces', None, parent_space_id=1, area=1, timezone_id=1)
    site.slots('space', 'output', bare, sold, [D(2)] * 24)
    center = site.insert('tbl_cost_centers', name='cc combined', uuid=str(uuid.uuid4()))
    site.tariff(center, sold, OUTPUT_TOU)
    combined = site.entity('tbl_combined_equipments', center)
    site.slots('combined_equipment', 'output', combined, sold, output_values())
    steps = billing_steps(kinds=('space', 'combined_equipment'))
    Runner(site.db, steps).run_until_idle()
    assert site.billed('space', 'output', bare) == {}
    assert site.unpriced('space_output_billing', bare) == {DAY + i * HOUR: (D(2), 'no cost center') for i in range(24)}
    assert site.unpriced('space_billing', bare) == {}  # no consumption: nothing to record there
    assert site.billed('combined_equipment', 'output', combined) == income_of(output_values())
    # 100 kWh more at 09:00 (on-peak): the income of that slot alone changes, by 50
    edited = output_values()
    edited[9] = D(110)
    site.slots('combined_equipment', 'output', combined, sold, edited)
    with site.db.transaction('billing') as cur:
        mark_dirty(cur, 'combined_equipment_output_billing', combined, DAY + 9 * HOUR, DAY + 10 * HOUR, 'test')
    Runner(site.db, steps).run_until_idle()
    after = site.billed('combined_equipment', 'output', combined)
    assert after[DAY + 9 * HOUR] == D('55')
    assert sum(after.values()) == D('139.2') + 50
