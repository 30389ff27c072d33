"""Offline meter and data repair files processed into the energy and historical databases."""

from __future__ import annotations

import dataclasses
import io
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from myems_cleaning.energy import EnergyCleaning
from myems_common.db import Database
from myems_common.pipeline import Runner
from myems_common.readings import ENERGY, Reading, write_batch
from myems_normalization.meters import MeterEnergy
from myems_normalization.offline import process_offline_meter_file
from myems_normalization.repair import METER_STEP, process_data_repair_file


@pytest.fixture(scope='module')
def db(settings: Any) -> Iterator[Database]:
    """A Database whose UTC_OFFSET is +08:00 (data repair times) and default zone UTC."""
    database = Database(dataclasses.replace(settings, utc_offset='+08:00', default_timezone='UTC'))
    yield database
    database.close()


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def queue(db: Database, table: str, blob: bytes) -> int:
    with db.transaction('historical') as cur:
        cur.execute(
            f'INSERT INTO {table} (file_name, uuid, upload_datetime_utc, status, file_object)'
            " VALUES ('f.xlsx', %s, UTC_TIMESTAMP(), 'new', %s)",
            (str(uuid.uuid4()), blob),
        )
        return int(cur.lastrowid)


def status(db: Database, table: str, file_id: int) -> str:
    row = db.fetch_one('historical', f'SELECT status FROM {table} WHERE id = %s', (file_id,))
    assert row is not None
    return str(row[0])


def insert(db: Database, key: str, sql: str, params: tuple[Any, ...]) -> int:
    with db.transaction(key) as cur:
        cur.execute(sql, params)
        return int(cur.lastrowid)


def offline_meter(db: Database, high: str = '100') -> int:
    return insert(
        db,
        'system',
        'INSERT INTO tbl_offline_meters (name, uuid, energy_category_id, is_counted, hourly_low_limit,'
        ' hourly_high_limit, cost_center_id) VALUES (%s, %s, 1, 1, 0, %s, 1)',
        (f'om-{uuid.uuid4().hex[:6]}', str(uuid.uuid4()), high),
    )


def dirty(db: Database, reason: str) -> set[tuple[str, int, datetime, datetime]]:
    rows = db.fetch_all(
        'energy',
        'SELECT step, object_id, start_datetime_utc, end_datetime_utc FROM tbl_pipeline_dirty_ranges WHERE reason = %s',
        (reason,),
    )
    return {(str(s), int(o), a, b) for s, o, a, b in rows}


def slots(db: Database, meter_id: int) -> list[tuple[Any, ...]]:
    sql = 'SELECT start_datetime_utc, actual_value FROM tbl_offline_meter_hourly WHERE offline_meter_id = %s'
    return db.fetch_all('energy', sql + ' ORDER BY start_datetime_utc', (meter_id,))


# ------------------------------------------------------------------------------------------ offline meters
def test_an_offline_meter_month_is_spread_in_the_meters_zone_replaced_and_marked_dirty(db: Database) -> None:
    berlin, plain = offline_meter(db), offline_meter(db)
    space = insert(
        db,
        'system',
        'INSERT INTO tbl_spaces (name, uuid, area, timezone_id, is_input_counted, is_output_counted)'
        " VALUES ('Hall', %s, 1, (SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'), 1, 1)",
        (str(uuid.uuid4()),),
    )
    insert(db, 'system', 'INSERT INTO tbl_spaces_offline_meters (space_id, offline_meter_id) VALUES (%s, %s)',
           (space, berlin))  # fmt: skip
    insert(db, 'system', "INSERT INTO tbl_variables (name, virtual_meter_id, meter_type, meter_id)"
           " VALUES ('x', 4242, 'offline_meter', %s)", (berlin,))  # fmt: skip
    # a slot of April that a March file must leave alone
    insert(db, 'energy', 'INSERT INTO tbl_offline_meter_hourly (offline_meter_id, start_datetime_utc, actual_value)'
           ' VALUES (%s, %s, 5)', (berlin, datetime(2026, 3, 31, 22)))  # fmt: skip
    header = [['year', 'month'], [2026, 3]]
    # Berlin: days 1..27 zero, day 28 (24 h) 240, day 29 (23 h, DST starts) 230; UTC: days 1 and 2
    first = queue(db, 'tbl_offline_meter_files', workbook(header + [[berlin, 'B', '', *[0] * 27, 240, 230],
                                                                     [plain, 'P', '', 10, 20]]))  # fmt: skip
    assert process_offline_meter_file(db, first) == 'done'
    assert status(db, 'tbl_offline_meter_files', first) == 'done'
    written = slots(db, berlin)
    assert len(written) == 24 * 27 + 24 + 23 + 1  # the April slot is still there
    by_day: dict[str, Decimal] = {}
    for when, value in written[:-1]:
        local = (when + timedelta(hours=2 if when >= datetime(2026, 3, 29, 1) else 1)).date().isoformat()
        by_day[local] = by_day.get(local, Decimal(0)) + value
    assert by_day['2026-03-28'] == 240 and by_day['2026-03-29'] == 230 and by_day['2026-03-01'] == 0
    assert written[0][0] == datetime(2026, 2, 28, 23) and written[-1] == (datetime(2026, 3, 31, 22), Decimal(5))
    assert [v for _, v in slots(db, plain)][:2] == [Decimal('0.416666'), Decimal('0.416666')]
    assert sum(v for _, v in slots(db, plain)) == 30
    assert dirty(db, f'offline meter file {first}') == {
        ('space_energy', space, datetime(2026, 2, 28, 23), datetime(2026, 3, 31, 22)),
        ('virtual_meter_energy', 4242, datetime(2026, 2, 28, 23), datetime(2026, 3, 31, 22)),
    }

    # processing the same file again (a crash before the status commit) writes the same rows
    with db.transaction('historical') as cur:
        cur.execute("UPDATE tbl_offline_meter_files SET status = 'new' WHERE id = %s", (first,))
    assert process_offline_meter_file(db, first) == 'done'
    assert slots(db, berlin) == written
    assert process_offline_meter_file(db, first) is None  # done files are left alone

    # a second file for the month replaces it: only day 1 remains
    second = queue(db, 'tbl_offline_meter_files', workbook(header + [[berlin, 'B', '', 48]]))
    assert process_offline_meter_file(db, second) == 'done'
    assert slots(db, berlin) == [(datetime(2026, 2, 28, 23) + timedelta(hours=h), Decimal(2)) for h in range(24)] + [
        (datetime(2026, 3, 31, 22), Decimal(5))
    ]
    assert len(slots(db, plain)) == 48  # a meter not in the file keeps its month


def test_an_offline_meter_file_that_became_invalid_is_an_error_and_writes_nothing(db: Database) -> None:
    meter = offline_meter(db, high='1')
    blob = workbook([['h'], [2026, 4], [meter, 'M', '', 12], [meter + 10_000, 'Gone', '', 1]])
    file_id = queue(db, 'tbl_offline_meter_files', blob)
    assert process_offline_meter_file(db, file_id) == 'error'
    assert status(db, 'tbl_offline_meter_files', file_id) == 'error'
    assert slots(db, meter) == []
    corrupt = queue(db, 'tbl_offline_meter_files', b'PK\x03\x04 broken')
    assert process_offline_meter_file(db, corrupt) == 'error'


# ------------------------------------------------------------------------------------------ data repair
def energy_point(db: Database, high: str = '1000000') -> int:
    return insert(
        db,
        'system',
        'INSERT INTO tbl_points (name, data_source_id, object_type, units, high_limit, low_limit, is_trend, address)'
        " VALUES (%s, 1, 'ENERGY_VALUE', 'kWh', %s, 0, 1, '{}')",
        (f'p-{uuid.uuid4().hex[:6]}', high),
    )


def flags(db: Database, point: int) -> dict[datetime, str]:
    sql = 'SELECT utc_date_time, bad_reason FROM tbl_energy_value WHERE point_id = %s AND is_bad = 1'
    return dict(db.fetch_all('historical', sql, (point,)))


def hourly(db: Database, meter: int) -> list[tuple[Any, ...]]:
    sql = 'SELECT start_datetime_utc, actual_value FROM tbl_meter_hourly WHERE meter_id = %s ORDER BY 1'
    return db.fetch_all('energy', sql, (meter,))


def readings(db: Database, point: int) -> list[tuple[Any, ...]]:
    sql = 'SELECT utc_date_time, actual_value, is_bad FROM tbl_energy_value WHERE point_id = %s'
    return db.fetch_all('historical', sql + ' ORDER BY utc_date_time', (point,))


def test_a_data_repair_file_replaces_the_range_of_each_point_and_asks_meters_to_recompute(db: Database) -> None:
    point, other = energy_point(db), energy_point(db)
    insert(db, 'system', 'INSERT INTO tbl_meters_points (meter_id, point_id) VALUES (777, %s)', (point,))
    start = datetime(2026, 3, 1)  # UTC; 08:00 local at +08:00
    with db.transaction('historical') as cur:
        for p in (point, other):
            cur.executemany(
                'INSERT INTO tbl_energy_value (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
                [(p, start + timedelta(minutes=15 * i), Decimal(i)) for i in range(12)],
            )
            cur.execute(
                'INSERT INTO tbl_energy_value_latest (point_id, utc_date_time, actual_value) VALUES (%s, %s, 11)',
                (p, start + timedelta(minutes=165)),
            )
    # replace 08:30..09:00 local of `point` with two readings; move `other`'s last reading
    blob = workbook(
        [
            ['id', 'name', 'time', 'value'],
            [point, 'P', '2026-03-01 08:30:00', 2.5],
            [point, 'P', datetime(2026, 3, 1, 9, 0), 3.5],
            [other, 'O', '2026-03-01 10:45:00', 99],
        ]
    )
    file_id = queue(db, 'tbl_data_repair_files', blob)
    assert process_data_repair_file(db, file_id) == 'done'
    assert status(db, 'tbl_data_repair_files', file_id) == 'done'
    after = readings(db, point)
    assert [(w.minute, w.hour, v) for w, v, _ in after[:6]] == [
        (0, 0, 0), (15, 0, 1), (30, 0, Decimal('2.5')), (0, 1, Decimal('3.5')), (15, 1, 5), (30, 1, 6)
    ]  # fmt: skip
    assert len(after) == 12 - 3 + 2 and all(bad is None for _, _, bad in after)  # cleaning decides them
    assert readings(db, other)[-1] == (start + timedelta(minutes=165), Decimal(99), None)
    latest = db.fetch_one(
        'historical', 'SELECT actual_value FROM tbl_energy_value_latest WHERE point_id = %s', (other,)
    )
    assert latest is not None and latest[0] == 99
    # the meter recomputes from the slot of the reading before to the slot of the reading after
    assert dirty(db, f'data repair file {file_id}') == {
        (METER_STEP, 777, datetime(2026, 3, 1), datetime(2026, 3, 1, 2))
    }
    # and cleaning decides the range again, an hour (CLEANING_RECOVERY_MINUTES) beyond its neighbours
    recleaned = db.fetch_all(
        'historical',
        'SELECT object_id, start_datetime_utc, end_datetime_utc FROM tbl_pipeline_dirty_ranges WHERE step = %s'
        ' AND object_id IN (%s, %s)',
        ('energy_cleaning', point, other),
    )
    assert set(recleaned) == {
        (point, datetime(2026, 2, 28, 23, 15), datetime(2026, 3, 1, 2, 15, 1)),
        (other, datetime(2026, 3, 1, 1, 30), datetime(2026, 3, 1, 3, 45, 1)),
    }


def test_a_repair_out_of_the_points_limits_is_an_error_and_changes_nothing(db: Database) -> None:
    point = energy_point(db, high='10')
    with db.transaction('historical') as cur:
        cur.execute(
            'INSERT INTO tbl_energy_value (point_id, utc_date_time, actual_value) VALUES (%s, %s, 1)',
            (point, datetime(2026, 3, 1)),
        )
    blob = workbook([['h'], [point, 'P', '2026-03-01 08:00:00', 5], [point, 'P', '2026-03-01 09:00:00', 11]])
    file_id = queue(db, 'tbl_data_repair_files', blob)
    assert process_data_repair_file(db, file_id) == 'error'
    assert status(db, 'tbl_data_repair_files', file_id) == 'error'
    assert readings(db, point) == [(datetime(2026, 3, 1), Decimal(1), None)]


def test_a_repair_has_its_neighbours_cleaned_again_and_the_meter_recomputed(db: Database) -> None:
    """A reading flagged as a spike stops being one when the repair shows the counter really went on from
    there: cleaning decides the neighbourhood again and the meter's slots follow."""
    point = energy_point(db)
    meter = 900 + point
    insert(db, 'system', 'INSERT INTO tbl_meters_points (meter_id, point_id) VALUES (%s, %s)', (meter, point))
    start = datetime(2026, 3, 2)  # UTC
    values = [100, 110, 2000, 120, 130] + [130 + 10 * i for i in range(1, 8)]  # 2000 looks like a spike
    rows = [(start + timedelta(minutes=15 * i), Decimal(v)) for i, v in enumerate(values)]
    with db.transaction('historical') as cur:
        write_batch(cur, [Reading(point, ENERGY, t, v) for t, v in rows])
    steps = [EnergyCleaning(db.settings.db('energy').database), MeterEnergy(60)]
    Runner(db, steps).run_until_idle()
    assert flags(db, point) == {rows[2][0]: 'spike'}
    assert hourly(db, meter) == [(start, Decimal(30)), (start + timedelta(hours=1), Decimal(40))]
    # the truth: from 00:30 on the counter stood 1,900 higher (the readings after it were mis-scaled)
    fixed = [[point, 'P', (t + timedelta(hours=8)).strftime('%Y-%m-%d %H:%M:%S'), float(v + 1890)] for t, v in rows[3:]]
    file_id = queue(db, 'tbl_data_repair_files', workbook([['id', 'name', 'time', 'value'], *fixed]))
    assert process_data_repair_file(db, file_id) == 'done'
    Runner(db, steps).run_until_idle()
    assert flags(db, point) == {}  # 2000 (00:30) is followed by 2010: not a spike any more
    # 00:00-01:00 runs from 100 to 130 + 1890; 01:00-02:00 from 2020 to 2060
    assert hourly(db, meter) == [(start, Decimal(1920)), (start + timedelta(hours=1), Decimal(40))]
