"""Offline meter and data repair workbooks: parsing, validation, slot rows, templates (no database)."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from myems_common.timeutil import zone
from myems_common.workbooks import (
    LAST_ROW,
    DataRepairFile,
    OfflineMeterInfo,
    PointInfo,
    WorkbookError,
    check_data_repair_file,
    check_offline_meter_file,
    data_repair_template,
    day_slots,
    month_range,
    offline_meter_slots,
    offline_meter_template,
    parse_data_repair_file,
    parse_offline_meter_file,
    read_data_repair_file,
    read_offline_meter_file,
    repair_readings,
    spread_day,
)

BERLIN = zone('Europe/Berlin')


def book_bytes(rows: list[list[Any]], title: str = 'March') -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def offline(year: int = 2026, month: int = 3, meters: list[list[Any]] | None = None, title: str = 'March') -> bytes:
    rows = [['year', 'month', 'notes', *range(1, 32)], [year, month]]
    return book_bytes(rows + (meters if meters is not None else [[7, 'Diesel', '', 24, 48.5]]), title)


def problems_of(blob: bytes, parse: Any = parse_offline_meter_file) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse(blob)
    return [str(p) for p in caught.value.problems]


# ------------------------------------------------------------------------------------------ offline meter files
def test_an_offline_meter_file_is_parsed_row_by_row() -> None:
    parsed = parse_offline_meter_file(offline(meters=[[7, 'Diesel', 'x', 24, '48.5'], [8, 'Water', None, 0]]))
    assert (parsed.sheet, parsed.year, parsed.month, parsed.meter_ids) == ('March', 2026, 3, [7, 8])
    assert parsed.rows[0].row == 3 and parsed.rows[1].row == 4
    assert parsed.rows[0].days == {date(2026, 3, 1): Decimal('24'), date(2026, 3, 2): Decimal('48.5')}
    assert parsed.rows[1].days == {date(2026, 3, 1): Decimal(0)}


def test_the_first_empty_day_ends_a_row_and_a_value_after_it_is_an_error() -> None:
    found = problems_of(offline(meters=[[7, 'Diesel', '', 1, 2, None, 4]]))
    assert found == [
        "sheet 'March', row 3, column G: day 4 has a value but day 3 (F3) is empty, and a row ends at its first"
        ' empty day; fill the gap or clear the cells after it'
    ]


def test_days_a_month_does_not_have_must_stay_empty() -> None:
    full = [7, 'Diesel', ''] + [1] * 28
    assert len(parse_offline_meter_file(offline(2026, 2, [full])).rows[0].days) == 28
    found = problems_of(offline(2026, 2, [full + [5]]))
    assert found == ["sheet 'March', row 3, column AF: 2026-02 has no day 29; leave this cell empty"]
    leap = parse_offline_meter_file(offline(2028, 2, [full + [5]]))
    assert leap.rows[0].days[date(2028, 2, 29)] == Decimal(5)


def test_every_problem_is_listed_with_sheet_row_and_column() -> None:
    rows = [[7, 'A', '', 1], [7, 'B', '', 2], ['x', '', '', 'lots'], [9, 'C', '', -1], [10, 'D', '', True]]
    found = problems_of(offline(meters=rows, title='Mar'))
    assert found == [
        "sheet 'Mar', row 4, column A: offline meter 7 is already on row 3",
        "sheet 'Mar', row 5, column A: expected an offline meter id (a positive whole number), got 'x'",
        "sheet 'Mar', row 5, column B: the offline meter name is required",
        "sheet 'Mar', row 5, column D: day 1: expected a number, got 'lots'",
        "sheet 'Mar', row 6, column D: day 1: consumption cannot be negative, got -1",
        "sheet 'Mar', row 7, column D: day 1: expected a number, got True",
    ]


@pytest.mark.parametrize(
    ('year', 'month', 'expected'),
    [
        ('2026', 13, 'column B: B2 must hold the month, a whole number from 1 to 12; got 13'),
        (26, 3, 'column A: A2 must hold the year, a whole number from 1970 to 2199; got 26'),
        (None, 3, 'column A: A2 must hold the year'),
        (2026.5, 3, 'column A: A2 must hold the year'),
    ],
)
def test_the_header_cells_hold_year_and_month(year: Any, month: Any, expected: str) -> None:
    found = problems_of(offline(year, month))
    assert len(found) == 1 and found[0].startswith("sheet 'March', row 2, " + expected)


def test_a_data_repair_file_uploaded_as_an_offline_meter_file_is_recognised() -> None:
    blob = book_bytes([['id', 'name', 'time', 'value'], [5, 'Main kWh', '2026-03-01 00:00:00', 10]])
    found = problems_of(blob)
    assert found[-1] == "sheet 'March': this looks like a data repair file (point, name, time, value); upload it there"
    assert any('row 2, column B' in p for p in found)


def test_rows_without_days_are_skipped_and_a_file_without_any_day_is_refused() -> None:
    parsed = parse_offline_meter_file(offline(meters=[[7, 'Diesel'], [8, 'Water', '', 3]]))
    assert parsed.meter_ids == [8]
    assert problems_of(offline(meters=[[7, 'Diesel']])) == [
        "sheet 'March', row 3, column D: no daily values: from row 3 on, each row holds an offline meter and its"
        ' days in D..AH'
    ]


def test_rows_past_the_layout_are_refused_and_corrupt_bytes_too() -> None:
    book = openpyxl.Workbook()
    book.active.append(['h'])
    book.active.append([2026, 3])
    book.active.append([7, 'Diesel', '', 1])
    book.active.cell(row=LAST_ROW + 1, column=1, value=8)
    out = io.BytesIO()
    book.save(out)
    assert problems_of(out.getvalue()) == [
        f"sheet 'Sheet', row {LAST_ROW + 1}: the layout ends at row 1024; split the data into several files"
    ]
    assert problems_of(b'PK\x03\x04 not really')[0].startswith('not a readable .xlsx workbook')


def meter(meter_id: int = 7, low: str = '0', high: str = '10', tz: str = 'Europe/Berlin') -> OfflineMeterInfo:
    return OfflineMeterInfo(meter_id, 'Diesel', Decimal(low), Decimal(high), tz)


def test_meters_must_exist_and_days_stay_within_the_hourly_limits() -> None:
    # 2026-03-29 is 23 hours long in Berlin: 240 kWh is too much there, 230 is exactly 10 kWh per hour
    days = [7, 'Diesel', ''] + [240] * 28 + [240, 230]
    parsed = parse_offline_meter_file(offline(meters=[days, [8, 'Gone', '', 1]]))
    found = [str(p) for p in check_offline_meter_file(parsed, {7: meter()}, 60)]
    assert found == [
        "sheet 'March', row 3, column AF: day 29: 240 over 23 h is 10.434783 per hour, outside the hourly limits"
        ' [0, 10] of offline meter 7 (Diesel)',
        "sheet 'March', row 4, column A: offline meter 8 does not exist",
    ]
    exact = parse_offline_meter_file(offline(meters=[[7, 'Diesel', ''] + [240] * 28 + [230]]))
    assert check_offline_meter_file(exact, {7: meter()}, 60) == []
    low = parse_offline_meter_file(offline(meters=[[7, 'Diesel', '', 23.9]]))
    assert [p.column for p in check_offline_meter_file(low, {7: meter(low='1')}, 60)] == ['D']


def test_local_days_become_utc_slots_in_the_meters_zone() -> None:
    assert len(day_slots(date(2026, 3, 29), BERLIN, 60)) == 23
    assert len(day_slots(date(2026, 10, 25), BERLIN, 60)) == 25
    assert len(day_slots(date(2026, 10, 25), BERLIN, 15)) == 100
    assert day_slots(date(2026, 3, 1), BERLIN, 60)[0] == datetime(2026, 2, 28, 23)
    # +05:30 with hourly slots: the day takes the slots that start within it
    kolkata = day_slots(date(2026, 3, 1), zone('Asia/Kolkata'), 60)
    assert (kolkata[0], len(kolkata)) == (datetime(2026, 2, 28, 19), 24)
    assert month_range(2026, 12, BERLIN, 60) == (datetime(2026, 11, 30, 23), datetime(2026, 12, 31, 23))


def test_a_day_is_spread_flat_and_the_rounding_remainder_goes_to_the_last_slot() -> None:
    slots = spread_day(Decimal('100'), date(2026, 3, 29), BERLIN, 60)
    assert [v for _, v in slots[:2]] == [Decimal('4.347826')] * 2
    assert slots[-1] == (datetime(2026, 3, 29, 21), Decimal('4.347828'))
    assert sum(v for _, v in slots) == Decimal(100)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**12, places=6, allow_nan=False, allow_infinity=False),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe']),
    st.sampled_from([15, 30, 60]),
)
def test_spread_values_sum_exactly_to_the_day_and_are_never_negative(
    amount: Decimal, day: date, name: str, minutes: int
) -> None:
    slots = spread_day(amount, day, zone(name), minutes)
    assert sum(v for _, v in slots) == amount
    assert all(v >= 0 and v == v.quantize(Decimal('0.000001')) for _, v in slots)
    starts = [s for s, _ in slots]
    assert starts == sorted(starts) and all(s.minute % minutes == 0 for s in starts)
    assert len(starts) * minutes in range(22 * 60, 26 * 60 + 1)


def test_a_month_gives_the_rows_of_each_meter_in_its_own_zone() -> None:
    parsed = parse_offline_meter_file(offline(meters=[[7, 'Diesel', '', 24, 24], [8, 'Water', '', 48]]))
    months = offline_meter_slots(parsed, {7: meter(), 8: meter(8, tz='UTC')}, 60)
    assert [(m.meter_id, m.start, m.end, len(m.slots)) for m in months] == [
        (7, datetime(2026, 2, 28, 23), datetime(2026, 3, 31, 22), 48),
        (8, datetime(2026, 3, 1), datetime(2026, 4, 1), 24),
    ]
    assert months[1].slots[0] == (datetime(2026, 3, 1), Decimal(2))


# ------------------------------------------------------------------------------------------ data repair files
def repair(rows: list[list[Any]]) -> bytes:
    return book_bytes([['point id', 'name', 'time', 'value'], *rows], 'Repair')


def test_a_data_repair_file_accepts_text_and_real_datetimes_and_several_points() -> None:
    parsed = parse_data_repair_file(
        repair(
            [
                [5, 'Main kWh', '2026-03-01 01:00:00', 10],
                [5, 'Main kWh', datetime(2026, 3, 1, 1, 59, 59, 999_999), '9.5'],
                [6, 'Sub kWh', '2026-03-01T02:00', 3],
            ]
        )
    )
    assert parsed.point_ids == [5, 6] and [r.row for r in parsed.rows] == [2, 3, 4]
    assert parsed.rows[1].local_time == datetime(2026, 3, 1, 2)  # rounded to the second
    assert parsed.rows[0].value == Decimal(10)
    # the same local time twice: refused
    again = problems_of(
        repair([[5, 'Main', '2026-03-01 01:00:00', 1], [5, 'Main', '2026-03-01 01:00:00', 2]]), parse_data_repair_file
    )
    assert again == ["sheet 'Repair', row 3, column C: point 5 at 2026-03-01 01:00:00 is already on row 2"]


def test_repair_rows_name_each_bad_cell_and_an_offline_meter_file_is_recognised() -> None:
    found = problems_of(repair([[0, '', 'yesterday', 'x']]), parse_data_repair_file)
    assert found == [
        "sheet 'Repair', row 2, column A: expected a point id (a positive whole number), got 0",
        "sheet 'Repair', row 2, column B: the point name is required",
        "sheet 'Repair', row 2, column C: expected a local time like '2026-03-07 14:00:00', got 'yesterday'",
        "sheet 'Repair', row 2, column D: expected a number, got 'x'",
    ]
    found = problems_of(offline(), parse_data_repair_file)
    assert found[-1].endswith('this looks like an offline meter file (A2 year, B2 month); upload it there')
    assert problems_of(repair([]), parse_data_repair_file)[0].startswith("sheet 'Repair', row 2, column A: no readings")


def test_repair_values_must_suit_an_existing_energy_point() -> None:
    parsed = parse_data_repair_file(
        repair(
            [[5, 'Main', '2026-03-01 00:00:00', 1001], [5, 'Main', '2026-03-01 01:00:00', 5], [6, 'T', '2026-03-01', 1]]
            + [[9, 'X', '2026-03-01', 1], [9, 'X', '2026-03-02', 1]]
        )
    )
    points = {
        5: PointInfo(5, 'Main', 'ENERGY_VALUE', Decimal(0), Decimal(1000)),
        6: PointInfo(6, 'T', 'ANALOG_VALUE', Decimal(0), Decimal(1000)),
    }
    assert [str(p) for p in check_data_repair_file(parsed, points)] == [
        "sheet 'Repair', row 2, column D: 1001 is outside the limits [0, 1000] of point 5 (Main)",
        "sheet 'Repair', row 4, column A: point 6 is an ANALOG_VALUE point, not an ENERGY_VALUE point",
        "sheet 'Repair', row 5, column A: point 9 does not exist",
    ]


def test_repair_readings_are_converted_to_utc_and_sorted_per_point() -> None:
    parsed = parse_data_repair_file(
        repair([[5, 'M', '2026-03-01 10:00:00', 2], [5, 'M', '2026-03-01 09:00:00', 1], [4, 'N', '2026-03-01', 3]])
    )
    readings = repair_readings(parsed, zone('+08:00'))
    assert readings == {
        4: [(datetime(2026, 2, 28, 16), Decimal(3))],
        5: [(datetime(2026, 3, 1, 1), Decimal(1)), (datetime(2026, 3, 1, 2), Decimal(2))],
    }
    assert isinstance(parsed, DataRepairFile)


# ------------------------------------------------------------------------------------------ templates
def test_the_offline_meter_template_parses_back_once_filled_in() -> None:
    blob = offline_meter_template(2026, 2, [(7, 'Diesel'), (8, 'Water')])
    book = openpyxl.load_workbook(io.BytesIO(blob))
    sheet = book.active
    assert (sheet.title, sheet['A2'].value, sheet['B2'].value, sheet['A4'].value, sheet['B4'].value) == (
        '2026-02',
        2026,
        2,
        8,
        'Water',
    )
    assert sheet['AF1'].fill.fgColor.rgb.endswith('D9D9D9') and not sheet['AE1'].fill.fgColor.rgb.endswith('D9D9D9')
    with pytest.raises(WorkbookError):  # nothing filled in yet
        parse_offline_meter_file(blob)
    sheet['D4'] = 12.5
    out = io.BytesIO()
    book.save(out)
    parsed = parse_offline_meter_file(out.getvalue())
    assert parsed.meter_ids == [8] and parsed.rows[0].days == {date(2026, 2, 1): Decimal('12.5')}


def test_template_names_lose_the_control_characters_a_workbook_cannot_hold() -> None:
    blob = offline_meter_template(2026, 3, [(7, 'Die\x01sel\x1f')])
    assert openpyxl.load_workbook(io.BytesIO(blob)).active['B3'].value == 'Diesel'
    point = PointInfo(5, 'Main\x00 kWh', 'ENERGY_VALUE', Decimal(0), Decimal(1))
    assert openpyxl.load_workbook(io.BytesIO(data_repair_template(point, []))).active['B2'].value == 'Main kWh'


def test_the_data_repair_template_round_trips() -> None:
    point = PointInfo(5, 'Main kWh', 'ENERGY_VALUE', Decimal(0), Decimal(10**6))
    blob = data_repair_template(point, [(datetime(2026, 3, 1, 8), Decimal('12.25'))])
    parsed = parse_data_repair_file(blob)
    assert [(r.point_id, r.name, r.local_time, r.value) for r in parsed.rows] == [
        (5, 'Main kWh', datetime(2026, 3, 1, 8), Decimal('12.25'))
    ]
    empty = problems_of(data_repair_template(point, []), parse_data_repair_file)
    assert [p.split(': ')[0] for p in empty] == [
        "sheet 'Data repair', row 2, column C",
        "sheet 'Data repair', row 2, column D",
    ]


CELLS = st.one_of(
    st.none(),
    st.text(max_size=12).map(lambda t: ILLEGAL_CHARACTERS_RE.sub('', t)),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(['2026-03-01 00:00:00', '1e999999999', 'NaN', '12', '+3', '-1']),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(CELLS, max_size=8), min_size=1, max_size=6))
def test_any_cells_give_rows_or_problems_never_an_exception(rows: list[list[Any]]) -> None:
    blob = book_bytes(rows)
    for read in (read_offline_meter_file, read_data_repair_file):
        parsed, problems = read(blob)
        assert parsed is not None or problems
        assert all(p.sheet == 'March' for p in problems)
