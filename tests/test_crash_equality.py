"""Crash equality: cleaning, normalization and aggregation killed with SIGKILL at random moments during a
30-day backfill, then restarted, leave exactly the rows of an uninterrupted run.

Two identical sets of databases get the same 30 days of readings from 8 meters (with a dip, a spike, a reset,
a rollover and a gap among them) on a small campus (a space with a child space and a tenant). The reference
set is processed in one go in this process; the other by the real daemons (`python -m myems_cleaning`,
`python -m myems_normalization`, `python -m myems_aggregation`), each killed several times at seeded random
moments and started again, until they have nothing left to do. Every derived table is compared.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from myems_aggregation.__main__ import steps as aggregation_steps
from myems_cleaning.energy import EnergyCleaning
from myems_common.config import database_env
from myems_common.counterdata import points_behind, undecided
from myems_common.db import Database
from myems_common.pipeline import Runner
from myems_common.readings import ENERGY, Reading, write_batch
from myems_normalization.meters import MeterEnergy

T0 = datetime(2026, 1, 1)
DAYS = 30
METERS = 8
KILLS = 4
DERIVED = ('energy', 'billing', 'carbon')  # the databases pipeline steps write


def readings(meter: int) -> list[tuple[datetime, Decimal]]:
    """15-minute counter readings with a daily shape, and one fault per meter for the first five."""
    rng = random.Random(meter)
    value = Decimal(rng.randint(1000, 90000))
    rows = []
    for i in range(DAYS * 96 + 1):
        moment = T0 + timedelta(minutes=15 * i, seconds=rng.randint(0, 20))
        hour = moment.hour
        value += Decimal(rng.randint(1, 50 if 7 <= hour < 19 else 10)) / 4
        rows.append((moment, value))
    fault = 500 + meter * 300
    if meter == 1:
        rows[fault] = (rows[fault][0], rows[fault][1] - 700)  # dip
    elif meter == 2:
        rows[fault] = (rows[fault][0], rows[fault][1] * 3)  # spike
    elif meter == 3:
        rows = rows[:fault] + [(t, v - rows[fault][1] + 2) for t, v in rows[fault:]]  # reset
    elif meter == 4:
        wrap = Decimal(10) ** len(str(int(rows[fault][1])))  # the register size just above the value
        rows = rows[:fault] + [(t, v - rows[fault][1] + wrap - 3) for t, v in rows[fault:]]
        rows = [(t, v % wrap) for t, v in rows]  # rollover
    elif meter == 5:
        rows = rows[:fault] + rows[fault + 40 :]  # a ten-hour gap
    return rows


def seed(db: Database) -> None:
    with db.transaction('system') as cur:
        for meter in range(1, METERS + 1):
            cur.execute(
                'INSERT INTO tbl_data_sources (name, uuid, gateway_id, protocol, connection) VALUES'
                " (%s, UUID(), 1, 'modbus-tcp', '{}')",
                (f'source {meter}',),
            )
            cur.execute(
                'INSERT INTO tbl_points (id, name, data_source_id, object_type, units, high_limit, low_limit, is_trend,'
                " address) VALUES (%s, %s, %s, 'ENERGY_VALUE', 'kWh', 1e12, 0, 1, '{}')",
                (meter, f'counter {meter}', cur.lastrowid),
            )
            cur.execute(
                'INSERT INTO tbl_meters (id, name, uuid, energy_category_id, is_counted, hourly_low_limit,'
                ' hourly_high_limit, cost_center_id) VALUES (%s, %s, UUID(), 1, 1, 0, 0, 1)',
                (meter, f'meter {meter}'),
            )
            cur.execute('INSERT INTO tbl_meters_points (meter_id, point_id) VALUES (%s, %s)', (meter, meter))
        campus(cur)
    with db.transaction('historical') as cur:
        for meter in range(1, METERS + 1):
            write_batch(cur, [Reading(meter, ENERGY, t, v) for t, v in readings(meter)])


def campus(cur: Any) -> None:
    """Meters 1-4 in a wing, 5 and 6 on the campus, 7 and 8 a tenant's in the wing."""
    space = (
        'INSERT INTO tbl_spaces (id, name, uuid, parent_space_id, area, timezone_id, is_input_counted,'
        ' is_output_counted, cost_center_id) VALUES (%s, %s, UUID(), %s, 100, 1, 1, 1, 1)'
    )
    cur.execute(space, (100, 'campus', None))
    cur.execute(space, (101, 'wing', 100))
    cur.execute(
        'INSERT INTO tbl_tenants (id, name, uuid, buildings, floors, rooms, area, tenant_type_id, is_input_counted,'
        ' is_key_tenant, lease_number, lease_start_datetime_utc, lease_end_datetime_utc, is_in_lease, contact_id,'
        " cost_center_id) VALUES (1, 'shop', UUID(), 'b', '1', '1', 50, 1, 1, 0, 'L', '2026-01-01', '2030-01-01',"
        ' 1, 1, 1)'
    )
    cur.execute('INSERT INTO tbl_spaces_tenants (space_id, tenant_id) VALUES (101, 1)')
    for meter in range(1, METERS + 1):
        table, entity = ('tbl_tenants_meters', 'tenant_id') if meter > 6 else ('tbl_spaces_meters', 'space_id')
        cur.execute(f'INSERT INTO {table} ({entity}, meter_id) VALUES (%s, %s)', (101 if meter <= 4 else 100, meter))
    cur.execute('UPDATE tbl_tenants_meters SET tenant_id = 1')


def derived_tables(db: Database) -> list[tuple[str, str, list[str]]]:
    """(settings key, table, columns but the surrogate id) of every table a pipeline step writes."""
    found = []
    for key in DERIVED:
        rows = db.fetch_all(
            key,
            'SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS'
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'tbl_pipeline_%%' GROUP BY TABLE_NAME",
        )
        found += [(key, str(table), [c for c in str(columns).split(',') if c != 'id']) for table, columns in rows]
    return found


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    found = {
        'flags': db.fetch_all(
            'historical', 'SELECT point_id, utc_date_time, is_bad, bad_reason FROM tbl_energy_value ORDER BY 1, 2'
        ),
    }
    for key, table, columns in derived_tables(db):
        order = ', '.join(str(i + 1) for i in range(len(columns)))  # every column: keys may be wider than three
        found[f'{key}.{table}'] = db.fetch_all(key, f'SELECT {", ".join(columns)} FROM {table} ORDER BY {order}')
    return found


@pytest.fixture
def pair(fresh_databases: Any) -> Iterator[tuple[Any, Any]]:
    made = [fresh_databases('crash_ref'), fresh_databases('crash_run')]
    yield made[0], made[1]


def daemon(module: str, settings: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **database_env(settings),
        'CLEANING_INTERVAL_SECONDS': '0.2',
        'NORMALIZATION_INTERVAL_SECONDS': '0.2',
        'AGGREGATION_INTERVAL_SECONDS': '0.2',
        'PIPELINE_CHUNK_HOURS': '6',  # many small transactions, so a kill lands in the middle of the work
        'LOG_LEVEL': 'WARNING',
    }
    return subprocess.Popen([sys.executable, '-m', module], env=env)


def progress(db: Database) -> int:
    """Readings decided plus slots written (meters, and entities' energy, cost and carbon)."""
    decided = db.fetch_one('historical', 'SELECT COUNT(*) FROM tbl_energy_value')[0] - undecided(db)
    written = sum(int(db.fetch_one(key, f'SELECT COUNT(*) FROM {table}')[0]) for key, table, _ in derived_tables(db))
    return int(decided) + written


def idle(db: Database) -> bool:
    """Every reading decided and every meter's slots up to its last good reading's slot."""
    if points_behind(db):
        return False
    done = db.fetch_all(
        'energy', "SELECT object_id, processed_until_utc FROM tbl_pipeline_progress WHERE step = 'meter_energy'"
    )
    last = T0 + timedelta(days=DAYS) - timedelta(hours=1)
    if len(done) != METERS or any(until < last for _, until in done):
        return False
    marks = {step: until for step, until in db.fetch_all(
        'energy', 'SELECT step, MIN(processed_until_utc) FROM tbl_pipeline_progress GROUP BY step'
    )}  # fmt: skip
    if any(marks.get(step, T0) < last for step in ('space_energy', 'tenant_energy')):
        return False
    return all(
        not db.fetch_one(key, 'SELECT COUNT(*) FROM tbl_pipeline_dirty_ranges')[0]
        for key in ('energy', 'billing', 'carbon')
    )


def test_killed_daemons_leave_the_rows_of_an_uninterrupted_run(pair: tuple[Any, Any]) -> None:
    reference_settings, crashed_settings = pair
    reference, crashed = Database(reference_settings), Database(crashed_settings)
    try:
        seed(reference)
        seed(crashed)
        Runner(
            reference,
            [
                EnergyCleaning(reference_settings.db('energy').database),
                MeterEnergy(60, chunk=timedelta(days=2)),
                *aggregation_steps(reference_settings),
            ],
        ).run_until_idle()
        expected = snapshot(reference)
        assert len(expected['energy.tbl_meter_hourly']) >= METERS * (DAYS * 24 - 2)
        assert len(expected['energy.tbl_space_input_category_hourly']) >= 2 * (DAYS * 24 - 2)

        rng = random.Random(2026)
        modules = ('myems_cleaning', 'myems_normalization', 'myems_aggregation')
        total = sum(len(rows) for rows in expected.values())
        kills, midway = 0, 0
        for round_ in range(KILLS):
            running = [daemon(m, crashed_settings) for m in modules]
            # a random point of this round's share of the first two thirds of the work: the daemons are fast, and
            # a kill aimed near the end could land after everything is done
            goal = total * (round_ + rng.uniform(0.2, 0.8)) / (KILLS * 1.5)
            deadline = time.monotonic() + 60
            while progress(crashed) < goal and time.monotonic() < deadline:
                time.sleep(0.01)
            for process in running:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
            midway += 0 < progress(crashed) < total
        running = [daemon(m, crashed_settings) for m in modules]  # the last start, left to finish
        time.sleep(3)  # past start-up, so SIGTERM below finds the handlers installed
        deadline = time.monotonic() + 240
        while not idle(crashed) and time.monotonic() < deadline:
            time.sleep(0.5)
        for process in running:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, 'a daemon did not stop cleanly on SIGTERM'
        assert idle(crashed), 'the restarted daemons did not finish the backfill'
        got = snapshot(crashed)
        assert kills == KILLS * len(modules) and midway == KILLS, (
            f'only {midway} kills landed in the middle of the work'
        )
        assert got.keys() == expected.keys()
        for name, rows in expected.items():
            assert got[name] == rows, f'{name} differs'
    finally:
        for process in running if 'running' in locals() else []:
            if process.poll() is None:
                process.kill()
        reference.close()
        crashed.close()
