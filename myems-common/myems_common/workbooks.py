"""Offline meter and data repair workbooks in MyEMS's layouts: parsing, validation, templates, slot rows.

Offline meter file (the active sheet): row 1 free headers; A2 year, B2 month; rows 3..1024 one offline
meter each: A id, B name (required), C free text, D..AH the daily consumption of days 1..31.

* A row ends at its first empty day cell (as in MyEMS). A value after that gap would be ignored, so it is
  an error naming the cell. Cells of days the month does not have (30 February) must stay empty.
* A row without any day value is skipped: a template lists every offline meter, and a row left blank must
  not wipe what another file stored for that meter and month.
* The same meter on two rows is an error.

Data repair file (the active sheet): row 1 header; rows 2..1024: A point id, B point name (required),
C local time as text 'YYYY-MM-DD HH:MM:SS' (or a real date/time cell), D the cumulative value. Unlike
MyEMS, a file may repair several points; each (point, time) appears once.

Parsing never touches a database: `parse_*` turns bytes into rows or raises WorkbookError listing every
problem it found, each naming sheet, row and column. `check_*` compares parsed rows with facts read from
the system database (`load_*`), and `*_slots` / `repair_readings` compute the rows the pipeline writes.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

from myems_common.timeutil import ceil_slot, iter_slots, to_utc, zone

log = logging.getLogger(__name__)
T = TypeVar('T')

LAST_ROW = 1024  # both layouts end here
FIRST_DAY_COLUMN = 4  # D
DAY_COLUMNS = 31  # D..AH
MIN_YEAR, MAX_YEAR = 1970, 2199
SIX_PLACES = Decimal('0.000001')
DECIMAL_LIMIT = Decimal('999999999999999.999999')  # DECIMAL(21,6)
TIME_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M', '%Y-%m-%d')
ENERGY_VALUE = 'ENERGY_VALUE'
MAX_ID = 2**63 - 1


# ------------------------------------------------------------------------------------------ problems
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workbook, where it is and what is wrong."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f'sheet {self.sheet!r}'] if self.sheet else []
        if self.row is not None:
            where.append(f'row {self.row}')
        if self.column is not None:
            where.append(f'column {self.column}')
        return f'{", ".join(where)}: {self.message}' if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {'sheet': self.sheet, 'row': self.row, 'column': self.column, 'message': str(self)}


class WorkbookError(ValueError):
    """A workbook that cannot be used; `problems` lists everything found, in sheet order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - 1
        super().__init__(str(self.problems[0]) + (f' (and {more} more problems)' if more > 0 else ''))


def in_sheet_order(problems: Iterable[Problem]) -> list[Problem]:
    """Problems sorted by row, then column; problems of the whole file last."""

    def key(p: Problem) -> tuple[int, int]:
        column = column_index_from_string(p.column) if p.column else 0
        return (p.row if p.row is not None else 10**9, column)

    return sorted(problems, key=key)


def summary(problems: Sequence[Problem]) -> str:
    """The first problem, and how many more there are."""
    return str(WorkbookError(problems))


# ------------------------------------------------------------------------------------------ cells
def _num(value: Decimal) -> str:
    """A Decimal for people: 1000.000000 -> '1000', 0.500000 -> '0.5'."""
    return format(value.normalize(), 'f') if value else '0'


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _id(value: Any) -> int | None:
    """A positive BIGINT id, or None."""
    number = _whole(value)
    return number if number is not None and 0 < number <= MAX_ID else None


def _whole(value: Any) -> int | None:
    """A whole number from an int, an integral float or Decimal, or digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return int(value)
    text = value.strip().lstrip('+') if isinstance(value, str) else ''
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def _amount(value: Any) -> Decimal:
    """A finite number that fits DECIMAL(21,6), rounded to 6 decimals; ValueError names what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f'expected a number, got {value!r}')
    try:
        number = Decimal(str(value).strip().replace(',', '')) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f'expected a number, got {value!r}') from None
    if not number.is_finite():
        raise ValueError(f'expected a finite number, got {value!r}')
    if number.copy_abs() > DECIMAL_LIMIT:  # copy_abs: no context, so no overflow on 1e999999999
        raise ValueError(f'{value!r} is too large (at most 15 digits before the decimal point)')
    return number.quantize(SIX_PLACES, ROUND_HALF_EVEN)


def _local_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        rounded = value.replace(tzinfo=None, microsecond=0)
        return rounded + timedelta(seconds=1) if value.microsecond >= 500_000 else rounded
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        text = value.strip()
        for pattern in TIME_FORMATS:
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                continue
    raise ValueError(f"expected a local time like '2026-03-07 14:00:00', got {value!r}")


def _read(blob: bytes, columns: int) -> tuple[str, list[tuple[Any, ...]]]:
    """Title of the active sheet and its first LAST_ROW + 1 rows, each padded to `columns` cells."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(blob), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a corrupt file
        raise WorkbookError([Problem('', None, None, f'not a readable .xlsx workbook: {error}')]) from None
    try:
        sheet = book.active
        if sheet is None or not hasattr(sheet, 'iter_rows'):
            raise WorkbookError([Problem('', None, None, 'the workbook has no active worksheet')])
        rows = []
        for row in sheet.iter_rows(min_row=1, max_row=LAST_ROW + 1, max_col=columns, values_only=True):
            rows.append(tuple(row) + (None,) * (columns - len(row)))
        return str(sheet.title), rows
    finally:
        book.close()


class _Collector:
    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.problems: list[Problem] = []

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.sheet, row, column, message))


def _data_rows(rows: list[tuple[Any, ...]], first: int, found: _Collector) -> Iterable[tuple[int, tuple[Any, ...]]]:
    """(row number, cells) of the non-empty rows from `first` on; data past LAST_ROW is an error."""
    for number in range(first, len(rows) + 1):
        cells = rows[number - 1]
        if all(_blank(c) for c in cells):
            continue
        if number > LAST_ROW:
            found.add(number, None, f'the layout ends at row {LAST_ROW}; split the data into several files')
            return
        yield number, cells


# ------------------------------------------------------------------------------------------ offline meter files
def day_column(day: int) -> str:
    return str(get_column_letter(FIRST_DAY_COLUMN + day - 1))


@dataclass(frozen=True)
class OfflineMeterRow:
    row: int
    meter_id: int
    name: str
    days: dict[date, Decimal]  # local dates of the month, in order


@dataclass(frozen=True)
class OfflineMeterFile:
    sheet: str
    year: int
    month: int
    rows: tuple[OfflineMeterRow, ...]

    @property
    def meter_ids(self) -> list[int]:
        return [r.meter_id for r in self.rows]


def _header(rows: list[tuple[Any, ...]], found: _Collector) -> tuple[int, int] | None:
    cells = rows[1] if len(rows) > 1 else (None,) * 3
    year, month = _whole(cells[0]), _whole(cells[1])
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        found.add(2, 'A', f'A2 must hold the year, a whole number from {MIN_YEAR} to {MAX_YEAR}; got {cells[0]!r}')
    if month is None or not 1 <= month <= 12:
        found.add(2, 'B', f'B2 must hold the month, a whole number from 1 to 12; got {cells[1]!r}')
    if found.problems and isinstance(cells[1], str) and not _blank(cells[2]):
        found.add(None, None, 'this looks like a data repair file (point, name, time, value); upload it there')
    return None if found.problems or year is None or month is None else (year, month)


def _meter_days(number: int, cells: tuple[Any, ...], year: int, month: int, found: _Collector) -> dict[date, Decimal]:
    days: dict[date, Decimal] = {}
    gap: int | None = None
    for day in range(1, DAY_COLUMNS + 1):
        value, column = cells[FIRST_DAY_COLUMN + day - 2], day_column(day)
        try:
            when = date(year, month, day)
        except ValueError:
            if not _blank(value):
                found.add(number, column, f'{year}-{month:02d} has no day {day}; leave this cell empty')
            continue
        if _blank(value):
            gap = day if gap is None else gap
            continue
        if gap is not None:
            found.add(
                number,
                column,
                f'day {day} has a value but day {gap} ({day_column(gap)}{number}) is empty, and a row ends at its'
                ' first empty day; fill the gap or clear the cells after it',
            )
            continue
        try:
            amount = _amount(value)
        except ValueError as error:
            found.add(number, column, f'day {day}: {error}')
            continue
        if amount < 0:
            found.add(number, column, f'day {day}: consumption cannot be negative, got {_num(amount)}')
            continue
        days[when] = amount
    return days


def read_offline_meter_file(blob: bytes) -> tuple[OfflineMeterFile | None, list[Problem]]:
    """The rows that could be read, and every problem found (None when the header is unusable).

    The rows let a caller check meters against the database and report those problems too."""
    try:
        sheet, rows = _read(blob, FIRST_DAY_COLUMN + DAY_COLUMNS - 1)
    except WorkbookError as error:
        return None, error.problems
    found = _Collector(sheet)
    header = _header(rows, found)
    if header is None:
        return None, found.problems
    year, month = header
    parsed: list[OfflineMeterRow] = []
    seen: dict[int, int] = {}
    for number, cells in _data_rows(rows, 3, found):
        meter_id = _id(cells[0])
        usable = False
        if meter_id is None:
            found.add(number, 'A', f'expected an offline meter id (a positive whole number), got {cells[0]!r}')
        elif meter_id in seen:
            found.add(number, 'A', f'offline meter {meter_id} is already on row {seen[meter_id]}')
        else:
            seen[meter_id] = number
            usable = True
        if _blank(cells[1]):
            found.add(number, 'B', 'the offline meter name is required')
        days = _meter_days(number, cells, year, month, found)
        if usable and meter_id is not None and days:
            parsed.append(OfflineMeterRow(number, meter_id, str(cells[1]).strip(), days))
    if not found.problems and not parsed:
        found.add(3, 'D', 'no daily values: from row 3 on, each row holds an offline meter and its days in D..AH')
    return OfflineMeterFile(sheet, year, month, tuple(parsed)), found.problems


def _strict(parsed: T | None, problems: list[Problem]) -> T:
    if problems or parsed is None:
        raise WorkbookError(problems)
    return parsed


def parse_offline_meter_file(blob: bytes) -> OfflineMeterFile:
    """Parse an offline meter workbook, or raise WorkbookError listing every problem."""
    return _strict(*read_offline_meter_file(blob))


@dataclass(frozen=True)
class OfflineMeterInfo:
    id: int
    name: str
    hourly_low_limit: Decimal
    hourly_high_limit: Decimal
    timezone: str  # IANA name of the meter's space, else the default zone


def day_slots(day: date, tz: tzinfo, minutes: int) -> list[datetime]:
    """UTC slot starts of the local day [midnight, next midnight) in `tz`: 23 or 25 hours on DST days.

    Where local midnight is not on a slot boundary (a zone at +05:30 with 60-minute slots), the day takes
    the slots that start within it, so every slot belongs to exactly one day.
    """
    start = ceil_slot(to_utc(datetime.combine(day, time()), tz), minutes)
    end = ceil_slot(to_utc(datetime.combine(day + timedelta(days=1), time()), tz), minutes)
    return list(iter_slots(start, end, minutes))


def month_range(year: int, month: int, tz: tzinfo, minutes: int) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the slots of a local month, consistent with day_slots."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return (
        ceil_slot(to_utc(datetime.combine(first, time()), tz), minutes),
        ceil_slot(to_utc(datetime.combine(following, time()), tz), minutes),
    )


def spread_day(amount: Decimal, day: date, tz: tzinfo, minutes: int) -> list[tuple[datetime, Decimal]]:
    """The day's consumption spread flat over its slots, 6 decimals, summing exactly to `amount`."""
    slots = day_slots(day, tz, minutes)
    share = (amount / len(slots)).quantize(SIX_PLACES, ROUND_DOWN)
    values = [share] * (len(slots) - 1) + [amount - share * (len(slots) - 1)]
    return list(zip(slots, values, strict=True))


def check_offline_meter_file(
    parsed: OfflineMeterFile, meters: Mapping[int, OfflineMeterInfo], minutes: int
) -> list[Problem]:
    """Every meter exists and every day's hourly average lies within the meter's hourly limits."""
    found = _Collector(parsed.sheet)
    for row in parsed.rows:
        info = meters.get(row.meter_id)
        if info is None:
            found.add(row.row, 'A', f'offline meter {row.meter_id} does not exist')
            continue
        tz = zone(info.timezone)
        for day, amount in row.days.items():
            hours = Decimal(len(day_slots(day, tz, minutes)) * minutes) / 60
            hourly = amount / hours
            if not info.hourly_low_limit <= hourly <= info.hourly_high_limit:
                limits = f'[{_num(info.hourly_low_limit)}, {_num(info.hourly_high_limit)}]'
                found.add(
                    row.row,
                    day_column(day.day),
                    f'day {day.day}: {_num(amount)} over {_num(hours)} h is {_num(hourly.quantize(SIX_PLACES))}'
                    f' per hour, outside the hourly limits {limits} of offline meter {info.id} ({info.name})',
                )
    return found.problems


@dataclass(frozen=True)
class MeterMonth:
    """What one row of an offline meter file writes: the month range to replace and its slot rows."""

    meter_id: int
    start: datetime
    end: datetime
    slots: list[tuple[datetime, Decimal]]


def offline_meter_slots(
    parsed: OfflineMeterFile, meters: Mapping[int, OfflineMeterInfo], minutes: int
) -> list[MeterMonth]:
    """Slot rows per meter: each day spread over its local day in the meter's zone."""
    months = []
    for row in parsed.rows:
        tz = zone(meters[row.meter_id].timezone)
        start, end = month_range(parsed.year, parsed.month, tz, minutes)
        slots = [slot for day, amount in row.days.items() for slot in spread_day(amount, day, tz, minutes)]
        months.append(MeterMonth(row.meter_id, start, end, slots))
    return months


# ------------------------------------------------------------------------------------------ data repair files
@dataclass(frozen=True)
class RepairRow:
    row: int
    point_id: int
    name: str
    local_time: datetime
    value: Decimal


@dataclass(frozen=True)
class DataRepairFile:
    sheet: str
    rows: tuple[RepairRow, ...]

    @property
    def point_ids(self) -> list[int]:
        return sorted({r.point_id for r in self.rows})


def _repair_hint(rows: list[tuple[Any, ...]], found: _Collector) -> None:
    cells = rows[1] if len(rows) > 1 else (None,) * 4
    month = _whole(cells[1])
    if _whole(cells[0]) is not None and month is not None and 1 <= month <= 12 and _blank(cells[2]):
        found.add(None, None, 'this looks like an offline meter file (A2 year, B2 month); upload it there')


def read_data_repair_file(blob: bytes) -> tuple[DataRepairFile | None, list[Problem]]:
    """The rows that could be read, and every problem found (None when the file is unreadable)."""
    try:
        sheet, rows = _read(blob, 4)
    except WorkbookError as error:
        return None, error.problems
    found = _Collector(sheet)
    parsed: list[RepairRow] = []
    seen: dict[tuple[int, datetime], int] = {}
    for number, cells in _data_rows(rows, 2, found):
        point_id = _id(cells[0])
        if point_id is None:
            found.add(number, 'A', f'expected a point id (a positive whole number), got {cells[0]!r}')
        if _blank(cells[1]):
            found.add(number, 'B', 'the point name is required')
        local: datetime | None = None
        try:
            local = _local_time(cells[2])
        except ValueError as error:
            found.add(number, 'C', str(error))
        value: Decimal | None = None
        try:
            value = _amount(cells[3])
        except ValueError as error:
            found.add(number, 'D', str(error))
        if point_id is None or local is None or value is None:
            continue
        if (point_id, local) in seen:
            found.add(number, 'C', f'point {point_id} at {local} is already on row {seen[point_id, local]}')
            continue
        seen[point_id, local] = number
        parsed.append(RepairRow(number, point_id, str(cells[1]).strip(), local, value))
    if found.problems:
        _repair_hint(rows, found)
    elif not parsed:
        found.add(2, 'A', 'no readings: from row 2 on, each row holds point id, point name, local time and value')
    return DataRepairFile(sheet, tuple(parsed)), found.problems


def parse_data_repair_file(blob: bytes) -> DataRepairFile:
    """Parse a data repair workbook, or raise WorkbookError listing every problem."""
    return _strict(*read_data_repair_file(blob))


@dataclass(frozen=True)
class PointInfo:
    id: int
    name: str
    object_type: str
    low_limit: Decimal
    high_limit: Decimal


def check_data_repair_file(parsed: DataRepairFile, points: Mapping[int, PointInfo]) -> list[Problem]:
    """Every point exists and counts energy, and every value lies within the point's limits."""
    found = _Collector(parsed.sheet)
    reported: set[int] = set()
    for row in parsed.rows:
        info = points.get(row.point_id)
        if info is None or info.object_type != ENERGY_VALUE:
            if row.point_id not in reported:  # once per point, not once per row
                reported.add(row.point_id)
                why = 'does not exist' if info is None else f'is an {info.object_type} point, not an ENERGY_VALUE point'
                found.add(row.row, 'A', f'point {row.point_id} {why}')
            continue
        if not info.low_limit <= row.value <= info.high_limit:
            found.add(
                row.row,
                'D',
                f'{_num(row.value)} is outside the limits [{_num(info.low_limit)}, {_num(info.high_limit)}] of point'
                f' {info.id} ({info.name})',
            )
    return found.problems


def repair_readings(parsed: DataRepairFile, tz: tzinfo) -> dict[int, list[tuple[datetime, Decimal]]]:
    """Readings per point as (naive UTC time, value), in time order."""
    readings: dict[int, list[tuple[datetime, Decimal]]] = {}
    for row in parsed.rows:
        readings.setdefault(row.point_id, []).append((to_utc(row.local_time, tz), row.value))
    return {point: sorted(rows) for point, rows in sorted(readings.items())}


# ------------------------------------------------------------------------------------------ database facts
def _in(ids: Sequence[int]) -> str:
    return ', '.join(['%s'] * len(ids))


def load_offline_meters(cur: Any, ids: Sequence[int] | None, default_timezone: str) -> dict[int, OfflineMeterInfo]:
    """Offline meters (all when `ids` is None) with their limits and zone, from a system-db cursor.

    The zone is that of the first space (lowest id) the meter is linked to, else `default_timezone`.
    """
    if ids is not None and not ids:
        return {}
    where = '' if ids is None else f' WHERE m.id IN ({_in(ids)})'
    cur.execute(
        'SELECT m.id, m.name, m.hourly_low_limit, m.hourly_high_limit,'
        ' (SELECT z.name FROM tbl_spaces_offline_meters sm JOIN tbl_spaces s ON s.id = sm.space_id'
        '  JOIN tbl_timezones z ON z.id = s.timezone_id WHERE sm.offline_meter_id = m.id'
        '  ORDER BY sm.space_id LIMIT 1)'
        f' FROM tbl_offline_meters m{where} ORDER BY m.id',
        list(ids or ()),
    )
    meters = {}
    for meter_id, name, low, high, zone_name in cur.fetchall():
        chosen = zone_name or default_timezone
        try:
            zone(chosen)
        except ValueError:
            log.warning('offline meter %s: unknown time zone %r, using %s', meter_id, chosen, default_timezone)
            chosen = default_timezone
        meters[int(meter_id)] = OfflineMeterInfo(int(meter_id), str(name), Decimal(low), Decimal(high), chosen)
    return meters


def load_points(cur: Any, ids: Sequence[int]) -> dict[int, PointInfo]:
    """Points by id with their object type and limits, from a system-db cursor."""
    if not ids:
        return {}
    cur.execute(
        f'SELECT id, name, object_type, low_limit, high_limit FROM tbl_points WHERE id IN ({_in(ids)})', list(ids)
    )
    return {
        int(i): PointInfo(int(i), str(name), str(kind), Decimal(low), Decimal(high))
        for i, name, kind, low, high in cur.fetchall()
    }


# ------------------------------------------------------------------------------------------ templates
_HEADER_FONT = Font(bold=True)
_UNUSED = PatternFill('solid', fgColor='D9D9D9')


def _text(name: str) -> str:
    """A name as a cell can hold it: control characters that .xlsx forbids are dropped."""
    return str(ILLEGAL_CHARACTERS_RE.sub('', name))


def _save(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return bytes(out.getvalue())


def offline_meter_template(year: int, month: int, meters: Iterable[tuple[int, str]]) -> bytes:
    """An offline meter workbook for one month, one row per (id, name), days left empty to fill in."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = f'{year}-{month:02d}'
    headers = ['Year / offline meter id', 'Month / name', 'Notes']
    sheet.append(headers + [f'Day {day}' for day in range(1, DAY_COLUMNS + 1)])
    sheet.append([year, month])
    for meter_id, name in meters:
        sheet.append([meter_id, _text(name)])
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
    for day in range(1, DAY_COLUMNS + 1):
        try:
            date(year, month, day)
        except ValueError:  # the month has no such day: grey the column as a hint to leave it empty
            for row in range(1, max(sheet.max_row, 3) + 1):
                sheet[f'{day_column(day)}{row}'].fill = _UNUSED
    sheet.column_dimensions['A'].width = 22
    sheet.column_dimensions['B'].width = 32
    sheet.column_dimensions['C'].width = 16
    sheet.freeze_panes = 'D3'
    return _save(book)


def data_repair_template(point: PointInfo, readings: Iterable[tuple[datetime, Decimal]]) -> bytes:
    """A data repair workbook for one point; `readings` (local time, value) pre-fill rows to edit."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = 'Data repair'
    sheet.append(['Point id', 'Point name', 'Local time (YYYY-MM-DD HH:MM:SS)', 'Value'])
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
    rows = 0
    for local, value in readings:
        sheet.append([point.id, _text(point.name), local.strftime('%Y-%m-%d %H:%M:%S'), value])
        rows += 1
    if not rows:
        sheet.append([point.id, _text(point.name)])
    sheet.column_dimensions['B'].width = 32
    sheet.column_dimensions['C'].width = 34
    sheet.column_dimensions['D'].width = 20
    return _save(book)
