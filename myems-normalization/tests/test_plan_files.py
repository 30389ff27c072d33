"""Energy plan files processed into myems_energy_plan_db: monthly amounts spread over the local month's slots."""

from __future__ import annotations

import dataclasses
import io
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from myems_common.db import Database
from myems_common.planbooks import (
    check_energy_plan_file,
    load_energy_categories,
    load_plan_objects,
    parse_energy_plan_file,
    read_energy_plan_file,
)
from myems_common.workbooks import WorkbookError
from myems_normalization.__main__ import UPLOADS, process_uploads
from myems_normalization.plans import FILES, process_energy_plan_file

HEADER = ['Object type', 'Object id', 'Energy category id', 'Year', 'Month', 'Planned amount']
MARCH = datetime(2026, 2, 28, 23)  # local midnight 1 March 2026 in Berlin (UTC+1)
APRIL = datetime(2026, 3, 31, 22)  # local midnight 1 April 2026 in Berlin (UTC+2)


@pytest.fixture(scope='module')
def db(settings: Any) -> Iterator[Database]:
    """A Database with hourly slots whose default zone is UTC."""
    database = Database(dataclasses.replace(settings, default_timezone='UTC', minutes_to_count=60))
    yield database
    database.close()


def workbook(rows: list[list[Any]], title: str = 'Plan') -> bytes:
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def insert(db: Database, key: str, sql: str, params: tuple[Any, ...] = ()) -> int:
    with db.transaction(key) as cur:
        cur.execute(sql, params)
        return int(cur.lastrowid)


def queue(db: Database, blob: bytes) -> int:
    return insert(
        db,
        'historical',
        f'INSERT INTO {FILES} (file_name, uuid, upload_datetime_utc, status, file_object)'
        " VALUES ('plan.xlsx', %s, UTC_TIMESTAMP(), 'new', %s)",
        (str(uuid.uuid4()), blob),
    )


def status(db: Database, file_id: int) -> str:
    row = db.fetch_one('historical', f'SELECT status FROM {FILES} WHERE id = %s', (file_id,))
    assert row is not None
    return str(row[0])


def category(db: Database, name: str) -> int:
    return insert(
        db,
        'system',
        "INSERT INTO tbl_energy_categories (name, uuid, unit_of_measure, kgce, kgco2e) VALUES (%s, %s, 'kWh', 0, 0)",
        (name, str(uuid.uuid4())),
    )


def space(db: Database, zone_name: str) -> int:
    return insert(
        db,
        'system',
        'INSERT INTO tbl_spaces (name, uuid, area, timezone_id, is_input_counted, is_output_counted)'
        ' VALUES (%s, %s, 1, (SELECT id FROM tbl_timezones WHERE name = %s), 1, 1)',
        (f'space-{uuid.uuid4().hex[:6]}', str(uuid.uuid4()), zone_name),
    )


def offline_meter(db: Database, category_id: int) -> int:
    return insert(
        db,
        'system',
        'INSERT INTO tbl_offline_meters (name, uuid, energy_category_id, is_counted, hourly_low_limit,'
        ' hourly_high_limit, cost_center_id) VALUES (%s, %s, %s, 1, 0, 100, 1)',
        (f'om-{uuid.uuid4().hex[:6]}', str(uuid.uuid4()), category_id),
    )


def equipment(db: Database, linked_space: int) -> int:
    found = insert(
        db,
        'system',
        'INSERT INTO tbl_equipments (name, uuid, is_input_counted, is_output_counted, cost_center_id)'
        ' VALUES (%s, %s, 1, 1, 1)',
        (f'eq-{uuid.uuid4().hex[:6]}', str(uuid.uuid4())),
    )
    insert(db, 'system', 'INSERT INTO tbl_spaces_equipments (space_id, equipment_id) VALUES (%s, %s)',
           (linked_space, found))  # fmt: skip
    return found


def space_slots(db: Database, space_id: int, category_id: int) -> list[tuple[datetime, Decimal]]:
    return [
        (when, value)
        for when, value in db.fetch_all(
            'energy_plan',
            'SELECT start_datetime_utc, actual_value FROM tbl_space_input_category_hourly'
            ' WHERE space_id = %s AND energy_category_id = %s ORDER BY start_datetime_utc',
            (space_id, category_id),
        )
    ]


def in_range(rows: list[tuple[datetime, Decimal]], start: datetime, end: datetime) -> list[tuple[datetime, Decimal]]:
    return [(when, value) for when, value in rows if start <= when < end]


def plan_row_counts(db: Database) -> int:
    tables = ('tbl_space_input_category_hourly', 'tbl_equipment_input_category_hourly', 'tbl_offline_meter_hourly')
    return sum(int(db.fetch_all('energy_plan', f'SELECT COUNT(*) FROM {t}')[0][0]) for t in tables)


def test_the_chore_processes_energy_plan_files() -> None:
    assert ('tbl_energy_plan_files', process_energy_plan_file) in UPLOADS


def test_a_month_is_spread_over_the_local_months_slots_and_sums_exactly(db: Database) -> None:
    electricity, gas = category(db, 'Electricity'), category(db, 'Gas')
    berlin, plain = space(db, 'Europe/Berlin'), offline_meter(db, gas)
    machine = equipment(db, berlin)
    blob = workbook(
        [
            HEADER,
            ['space', berlin, electricity, 2026, 3, 1000],
            ['Space', berlin, electricity, 2026, 4, '720.5'],
            ['space', berlin, gas, 2026, 3, 0],
            ['Equipment', machine, gas, 2026, 3, 743],
            ['offline meter', plain, None, 2026, 2, 10],
        ]
    )
    file_id = queue(db, blob)
    assert process_energy_plan_file(db, file_id) == 'done'
    assert status(db, file_id) == 'done'
    assert process_energy_plan_file(db, file_id) is None  # done files are left alone

    written = space_slots(db, berlin, electricity)
    march = in_range(written, MARCH, APRIL)
    assert len(march) == 743  # 31 days less the hour DST skips on 29 March
    assert march[0][0] == MARCH and march[-1][0] == APRIL - timedelta(hours=1)
    assert sum(v for _, v in march) == Decimal(1000)
    share = Decimal('1.345895')  # 1000 / 743 rounded down to 6 decimals
    assert all(v == share for _, v in march[:-1]) and march[-1][1] == 1000 - share * 742
    april = in_range(written, APRIL, datetime(2026, 4, 30, 22))
    assert len(april) == 720 and sum(v for _, v in april) == Decimal('720.5')
    assert len(written) == 743 + 720
    assert {v for _, v in space_slots(db, berlin, gas)} == {Decimal(0)} and len(space_slots(db, berlin, gas)) == 743

    # an equipment takes its first space's zone: Berlin
    equipment_rows = db.fetch_all(
        'energy_plan',
        'SELECT start_datetime_utc, actual_value FROM tbl_equipment_input_category_hourly'
        ' WHERE equipment_id = %s AND energy_category_id = %s ORDER BY 1',
        (machine, gas),
    )
    assert len(equipment_rows) == 743 and equipment_rows[0] == (MARCH, Decimal(1))
    # an offline meter without a space is in the default zone (UTC); its table has no category column
    meter_rows = db.fetch_all(
        'energy_plan',
        'SELECT start_datetime_utc, actual_value FROM tbl_offline_meter_hourly WHERE offline_meter_id = %s ORDER BY 1',
        (plain,),
    )
    assert len(meter_rows) == 28 * 24 and meter_rows[0][0] == datetime(2026, 2, 1)
    assert sum(v for _, v in meter_rows) == 10


def test_re_uploading_a_month_replaces_only_that_objects_category_and_month(db: Database) -> None:
    electricity, gas = category(db, 'Electricity'), category(db, 'Gas')
    berlin = space(db, 'Europe/Berlin')
    first = queue(
        db,
        workbook(
            [
                HEADER,
                ['space', berlin, electricity, 2026, 3, 1000],
                ['space', berlin, electricity, 2026, 4, 100],
                ['space', berlin, gas, 2026, 3, 50],
            ]
        ),
    )
    assert process_energy_plan_file(db, first) == 'done'
    second = queue(db, workbook([HEADER, ['space', berlin, electricity, 2026, 3, '12.345678']]))
    assert process_uploads(db) >= 1  # the normalization chore picks it up
    assert status(db, second) == 'done'
    written = space_slots(db, berlin, electricity)
    march = in_range(written, MARCH, APRIL)
    assert len(march) == 743 and sum(v for _, v in march) == Decimal('12.345678')
    assert march[0][1] == Decimal('0.016615')
    assert sum(v for _, v in in_range(written, APRIL, datetime(2026, 5, 1))) == 100  # April untouched
    assert sum(v for _, v in space_slots(db, berlin, gas)) == 50  # another category untouched


def problems_of(blob: bytes) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse_energy_plan_file(blob)
    return [str(p) for p in caught.value.problems]


def test_the_parser_names_sheet_row_and_column_of_every_problem() -> None:
    blob = workbook(
        [
            HEADER,
            ['space', 1, 1, 2026, 3, 10],
            ['garage', 'x', None, 1969, 13, 'lots'],
            ['space', 2, None, 2026, 3, -5],
            ['space', 1, 1, 2026.0, '3', 20],
            ['meter', 4, None, 2026, 3, 1],
            ['Meter', 4, 7, 2026, 3, 2],
            ['equipment', 5, 1, 2026, 3, None],
        ]
    )
    assert problems_of(blob) == [
        "sheet 'Plan', row 3, column A: expected an object type, one of space, equipment, combined_equipment, tenant,"
        " store, shopfloor, meter, virtual_meter, offline_meter; got 'garage'",
        "sheet 'Plan', row 3, column B: expected an object id (a positive whole number), got 'x'",
        "sheet 'Plan', row 3, column D: expected the year, a whole number from 1970 to 2199; got 1969",
        "sheet 'Plan', row 3, column E: expected the month, a whole number from 1 to 12; got 13",
        "sheet 'Plan', row 3, column F: planned amount: expected a number, got 'lots'",
        "sheet 'Plan', row 4, column C: the energy category id is required for a space",
        "sheet 'Plan', row 4, column F: the planned amount cannot be negative, got -5",
        "sheet 'Plan', row 5, column B: space 1, energy category 1, 2026-03 is already planned on row 2",
        "sheet 'Plan', row 7, column B: meter 4, 2026-03 is already planned on row 6",
        "sheet 'Plan', row 8, column F: the planned amount for the month is required",
    ]


def test_a_workbook_of_another_layout_is_recognised() -> None:
    offline = workbook([['year', 'month'], [2026, 3], [7, 'Boiler', '', 24, 24]], title='2026-03')
    found = problems_of(offline)
    assert found[0].startswith("sheet '2026-03', row 2, column A: expected an object type")
    assert found[-1].startswith("sheet '2026-03': no row names an object type in column A: is this an energy plan")
    assert problems_of(workbook([['space', 1, 1, 2026, 3, 10]])) == [
        "sheet 'Plan', row 1, column A: row 1 holds the headers, but it reads like a plan row; insert a header row"
        ' above it'
    ]
    assert problems_of(b'PK\x03\x04 broken')[0].startswith('not a readable .xlsx workbook')


def test_objects_and_categories_are_checked_against_the_system_database(db: Database) -> None:
    electricity, gas = category(db, 'Electricity'), category(db, 'Gas')
    meter = offline_meter(db, gas)
    blob = workbook(
        [
            HEADER,
            ['space', 10**9, electricity, 2026, 3, 1],
            ['offline_meter', meter, electricity, 2026, 3, 1],
            ['offline_meter', meter, gas, 2026, 4, 1],
            ['space', 1, 10**9, 2026, 3, 1],
        ]
    )
    parsed, found = read_energy_plan_file(blob)
    assert parsed is not None and found == []
    with db.transaction('system') as cur:
        objects = load_plan_objects(cur, parsed.object_ids(), 'UTC')
        categories = load_energy_categories(cur, parsed.category_ids)
    problems = [str(p) for p in check_energy_plan_file(parsed, objects, categories)]
    name = objects['offline_meter', meter].name
    assert problems == [
        "sheet 'Plan', row 2, column B: space 1000000000 does not exist",
        f"sheet 'Plan', row 3, column C: offline meter {meter} ({name}) measures energy category {gas} (Gas), not"
        f' {electricity}; leave the cell empty or give its own category',
        "sheet 'Plan', row 5, column C: energy category 1000000000 does not exist",
    ]


@pytest.mark.parametrize(
    ('case', 'expected'),
    [
        ('corrupt', 'not a readable .xlsx workbook'),
        ('layout', 'no row names an object type in column A'),
        ('unknown space', 'row 3, column B: space 1000000000 does not exist'),
        ('negative', 'row 3, column F: the planned amount cannot be negative, got -1.5'),
    ],
)
def test_a_bad_file_is_an_error_and_writes_nothing(
    case: str, expected: str, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    electricity, berlin = category(db, 'Electricity'), space(db, 'Europe/Berlin')
    good = ['space', berlin, electricity, 2026, 3, 100]
    blobs = {
        'corrupt': b'PK\x03\x04 this is not a workbook',
        'layout': workbook([['year', 'month'], [2026, 3], [1, 'Boiler', '', 24]]),
        'unknown space': workbook([HEADER, good, ['space', 10**9, electricity, 2026, 3, 1]]),
        'negative': workbook([HEADER, good, ['space', berlin, electricity, 2026, 4, -1.5]]),
    }
    before = plan_row_counts(db)
    file_id = queue(db, blobs[case])
    with caplog.at_level(logging.ERROR, logger='myems_normalization'):
        assert process_energy_plan_file(db, file_id) == 'error'
    assert status(db, file_id) == 'error'
    assert plan_row_counts(db) == before and space_slots(db, berlin, electricity) == []
    assert any(expected in record.getMessage() for record in caplog.records), caplog.text
