"""Benchmark of aggregation: energy roll-ups, billing and carbon of 100 meters x 30 days of hourly slots.

    .venv/bin/python bench/aggregation.py [--meters 100] [--days 30]

The meters' hourly slots (72,000 meter-hours) are written straight into myems_energy_db with their
normalization watermarks, as the normalization daemon leaves them. The campus is a four-level space tree
(root, 4 buildings, 16 floors, 32 rooms) with the meters on rooms, floors, equipments, tenants, stores and
the root, one cost centre with a MyEMS time-of-use tariff (three bands) and an emission factor. The
databases are ``myems_bench_agg_<key>_db`` on the test stack's MariaDB, rebuilt each run.

Measured, with the aggregation daemon's steps in this process (PIPELINE_WORKERS threads, as deployed):

* from scratch: every entity's energy, and the billing and carbon of every meter and entity, until idle;
* passes: passes with work (1 = the tree in one pass), and the root's hours after the first; the idle pass
  that finds nothing left is timed apart;
* incremental hour: one more hour of every meter, then until idle;
* checks: the root's hourly input equals the sum of the counted meters; each cost equals energy x price.

Prints a table and writes bench/results/aggregation.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from common import bench_settings, recreate_databases, write_result  # bench/common.py

from myems_aggregation.__main__ import steps as aggregation_steps
from myems_common.db import Database, bulk_insert
from myems_common.logsetup import setup_logging
from myems_common.pipeline import Runner, set_progress

log = logging.getLogger('bench.aggregation')
PREFIX = 'myems_bench_agg_'
T0 = datetime(2026, 1, 1)
PRICES = (('00:00:00', '07:59:59', 'offpeak', '0.30'), ('08:00:00', '17:59:59', 'onpeak', '0.90'))
PRICES += (('18:00:00', '23:59:59', 'midpeak', '0.60'),)
KGCO2E = Decimal('0.581')


def insert(cur: Any, table: str, **values: Any) -> int:
    cur.execute(
        f'INSERT INTO {table} ({", ".join(values)}) VALUES ({", ".join(["%s"] * len(values))})', list(values.values())
    )
    return int(cur.lastrowid)


def campus(db: Database, meters: int) -> dict[int, str]:
    """The configuration; returns where each meter is linked."""
    with db.transaction('system') as cur:
        insert(cur, 'tbl_energy_categories', id=1, name='Electricity', uuid='e1', unit_of_measure='kWh', kgce=0.1229,
               kgco2e=KGCO2E)  # fmt: skip
        insert(cur, 'tbl_cost_centers', id=1, name='campus', uuid='c1')
        tariff = insert(cur, 'tbl_tariffs', name='TOU', uuid='t1', energy_category_id=1, tariff_type='timeofuse',
                        unit_of_price='EUR/kWh', valid_from_datetime_utc='2020-01-01',
                        valid_through_datetime_utc='2030-12-31 23:59:59')  # fmt: skip
        for start, end, band, price in PRICES:
            insert(cur, 'tbl_tariffs_timeofuses', tariff_id=tariff, start_time_of_day=start, end_time_of_day=end,
                   peak_type=band, price=Decimal(price))  # fmt: skip
        insert(cur, 'tbl_cost_centers_tariffs', cost_center_id=1, tariff_id=tariff)
        cur.execute('DELETE FROM tbl_spaces')

        def space(name: str, parent: int | None) -> int:
            return insert(cur, 'tbl_spaces', name=name, uuid=name, parent_space_id=parent, area=100, timezone_id=1,
                          is_input_counted=1, is_output_counted=1, cost_center_id=1)  # fmt: skip

        root = space('root', None)
        rooms, floors = [], []
        for b in range(4):
            building = space(f'building {b}', root)
            for f in range(4):
                floors.append(space(f'floor {b}.{f}', building))
                rooms += [space(f'room {b}.{f}.{r}', floors[-1]) for r in range(2)]
        equipments = [
            insert(
                cur,
                'tbl_equipments',
                name=f'equipment {e}',
                uuid=f'q{e}',
                is_input_counted=1,
                is_output_counted=1,
                cost_center_id=1,
            )  # fmt: skip
            for e in range(5)
        ]
        for e, equipment in enumerate(equipments):
            insert(cur, 'tbl_spaces_equipments', space_id=rooms[e], equipment_id=equipment)
        tenants = [
            insert(
                cur,
                'tbl_tenants',
                name=f'tenant {t}',
                uuid=f'n{t}',
                buildings='b',
                floors='1',
                rooms='1',
                area=50,
                tenant_type_id=1,
                is_input_counted=1,
                is_key_tenant=0,
                lease_number='L',
                lease_start_datetime_utc='2020-01-01',
                lease_end_datetime_utc='2030-01-01',
                is_in_lease=1,
                contact_id=1,
                cost_center_id=1,
            )  # fmt: skip
            for t in range(5)
        ]
        for t, tenant in enumerate(tenants):
            insert(cur, 'tbl_spaces_tenants', space_id=floors[t], tenant_id=tenant)
        # meters: 2 per room, 1 per floor, 1 in and 1 out per equipment, 1 per tenant, the rest on the root
        places = [('space', r) for r in rooms for _ in range(2)] + [('space', f) for f in floors]
        places += [('equipment', e) for e in equipments for _ in range(2)] + [('tenant', t) for t in tenants]
        places = (places + [('space', root)] * meters)[:meters]
        where: dict[int, str] = {}
        outputs = set()
        for m, (kind, entity) in enumerate(places, 1):
            insert(cur, 'tbl_meters', id=m, name=f'meter {m}', uuid=f'm{m}', energy_category_id=1, is_counted=1,
                   hourly_low_limit=0, hourly_high_limit=0, cost_center_id=1)  # fmt: skip
            if kind == 'equipment':
                is_output = entity in outputs
                outputs.add(entity)
                insert(cur, 'tbl_equipments_meters', equipment_id=entity, meter_id=m, is_output=is_output)
                where[m] = 'equipment output' if is_output else 'equipment input'
            else:
                insert(cur, f'tbl_{kind}s_meters', **{f'{kind}_id': entity, 'meter_id': m})
                where[m] = kind
    return where


def meter_hours(db: Database, meters: int, start: datetime, hours: int) -> None:
    """Hourly slots of every meter for `hours` from `start`, and its watermark, as normalization leaves them."""
    rng = random.Random(start.toordinal())
    with db.transaction('energy') as cur:
        for m in range(1, meters + 1):
            rows = [
                (m, start + timedelta(hours=h), Decimal(rng.randint(1000, 90000)) / 1000, False) for h in range(hours)
            ]
            bulk_insert(
                cur, 'tbl_meter_hourly', ('meter_id', 'start_datetime_utc', 'actual_value', 'is_estimated'), rows
            )
            set_progress(cur, 'meter_energy', m, start + timedelta(hours=hours))


def check(db: Database, where: dict[int, str], root: int) -> dict[str, Any]:
    counted = [m for m, place in where.items() if place != 'equipment output']
    marks = ', '.join(['%s'] * len(counted))
    meters = dict(
        db.fetch_all(
            'energy',
            'SELECT start_datetime_utc, SUM(actual_value) FROM tbl_meter_hourly'
            f' WHERE meter_id IN ({marks}) GROUP BY 1',
            counted,
        )
    )
    tops = dict(
        db.fetch_all(
            'energy',
            'SELECT start_datetime_utc, actual_value FROM tbl_space_input_category_hourly WHERE space_id = %s',
            (root,),
        )
    )
    prices = {band: Decimal(price) for *_, band, price in PRICES}
    costs = db.fetch_all(
        'billing',
        'SELECT e.meter_id, e.start_datetime_utc, e.actual_value, b.actual_value'
        f' FROM {db.settings.db("energy").database}.tbl_meter_hourly e JOIN tbl_meter_hourly b'
        ' ON b.meter_id = e.meter_id AND b.start_datetime_utc = e.start_datetime_utc',
    )
    wrong = 0
    for _, moment, energy, cost in costs:
        band = 'offpeak' if moment.hour < 8 else 'onpeak' if moment.hour < 18 else 'midpeak'  # the zone is UTC
        wrong += cost != (energy * prices[band]).quantize(Decimal('0.000001'))
    carbon = db.fetch_one('carbon', 'SELECT COUNT(*) FROM tbl_meter_hourly')
    return {
        'root_hours': len(tops),
        'root_equals_meters': tops == meters,
        'meter_costs_checked': len(costs),
        'meter_costs_wrong': wrong,
        'meter_carbon_rows': carbon[0] if carbon else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--meters', type=int, default=100)
    parser.add_argument('--days', type=int, default=30)
    args = parser.parse_args()
    setup_logging('WARNING')
    settings = bench_settings(PREFIX)
    recreate_databases(settings)
    db = Database(settings)
    where = campus(db, args.meters)
    hours = args.days * 24
    meter_hours(db, args.meters, T0, hours)
    root = db.fetch_one('system', "SELECT id FROM tbl_spaces WHERE name = 'root'")[0]
    workers = int(os.environ.get('PIPELINE_WORKERS', '4'))
    runner = Runner(db, aggregation_steps(settings), workers=workers)

    began = time.monotonic()
    passes = 0
    while True:  # passes until one finds nothing to do; that last, idle pass is timed apart
        pass_began = time.monotonic()
        chunks = sum(runner.run_pass(step).chunks for step in runner.steps)
        if not chunks:
            idle_pass = time.monotonic() - pass_began
            break
        passes += 1
        if passes == 1:
            root_after_one_pass = db.fetch_one(
                'energy', 'SELECT COUNT(*) FROM tbl_space_input_category_hourly WHERE space_id = %s', (root,)
            )[0]
    scratch = time.monotonic() - began - idle_pass

    meter_hours(db, args.meters, T0 + timedelta(hours=hours), 1)
    began = time.monotonic()
    runner.run_until_idle()
    incremental = time.monotonic() - began

    result = {
        'meters': args.meters,
        'days': args.days,
        'meter_hours': args.meters * hours,
        'steps': len(runner.steps),
        'from_scratch_s': round(scratch, 2),
        'passes': passes,
        'root_hours_after_one_pass': root_after_one_pass,
        'idle_pass_s': round(idle_pass, 3),
        'incremental_hour_s': round(incremental, 3),
        **check(db, where, root),
    }
    table = '\n'.join(f'{k:24} {v}' for k, v in result.items())
    print(table)  # noqa: T201 - the benchmark's output
    log.warning('wrote %s', write_result('aggregation', {**result, 'table': table}))
    db.close()


if __name__ == '__main__':
    main()
