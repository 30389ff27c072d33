"""Energy plan workbooks: planned consumption per object, energy category and month (docs/energy-plans.md).

Layout (the active sheet): row 1 headers; rows 2..1024 one planned month each:

    A object type   space, equipment, combined_equipment, tenant, store, shopfloor, meter, virtual_meter or
                    offline_meter (case and spaces/hyphens do not matter: 'Combined equipment' is fine)
    B object id     a positive whole number
    C category id   the energy category planned; required for the six entity types; for the three meter
                    types it may stay empty and, when given, must be the meter's own category
    D year          1970..2199
    E month         1..12
    F amount        the planned amount for the whole month, a number >= 0
    G notes         free text, ignored (the template puts the object's name there)

Rows without any value in A..F are skipped. The same (object, category, month) on two rows is an error.

As for the offline meter layouts (myems_common.workbooks): `read_energy_plan_file` never touches a
database and reports every problem naming sheet, row and column; `check_energy_plan_file` compares the
rows with objects and categories read from the system database (`load_plan_objects`,
`load_energy_categories`); `energy_plan_slots` spreads each month evenly over its slots in the object's
zone, 6 decimals, with the rounding remainder on the last slot so the month sums exactly to the amount.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_DOWN, Decimal
from typing import Any

import openpyxl

from myems_common.daily import zone_sql
from myems_common.series import SeriesKey
from myems_common.timeutil import iter_slots, zone
from myems_common.workbooks import (
    _HEADER_FONT,
    MAX_YEAR,
    MIN_YEAR,
    SIX_PLACES,
    Problem,
    WorkbookError,
    _amount,
    _blank,
    _Collector,
    _data_rows,
    _id,
    _num,
    _read,
    _save,
    _text,
    _whole,
    month_range,
)

log = logging.getLogger(__name__)

ENTITY_TYPES = ('space', 'equipment', 'combined_equipment', 'tenant', 'store', 'shopfloor')
METER_TYPES = ('meter', 'virtual_meter', 'offline_meter')
OBJECT_TYPES = ENTITY_TYPES + METER_TYPES
OBJECT_TABLES = {kind: f'tbl_{kind}s' for kind in OBJECT_TYPES}
DATA_COLUMNS = 6  # A..F; G is free text
HEADERS = ('Object type', 'Object id', 'Energy category id', 'Year', 'Month', 'Planned amount', 'Notes')


@dataclass(frozen=True)
class PlanRow:
    row: int
    object_type: str
    object_id: int
    category_id: int | None  # None: a meter type's own category
    year: int
    month: int
    amount: Decimal

    @property
    def label(self) -> str:
        return f'{self.object_type.replace("_", " ")} {self.object_id}'


@dataclass(frozen=True)
class EnergyPlanFile:
    sheet: str
    rows: tuple[PlanRow, ...]

    def object_ids(self) -> dict[str, list[int]]:
        """Object ids by type, sorted, each once."""
        found: dict[str, set[int]] = {}
        for row in self.rows:
            found.setdefault(row.object_type, set()).add(row.object_id)
        return {kind: sorted(ids) for kind, ids in found.items()}

    @property
    def category_ids(self) -> list[int]:
        return sorted({r.category_id for r in self.rows if r.category_id is not None})


def object_type(value: Any) -> str | None:
    """'Combined equipment', 'virtual-meter', ' SPACE ' -> the type's key; None when unknown."""
    if not isinstance(value, str):
        return None
    key = '_'.join(value.strip().lower().replace('-', ' ').replace('_', ' ').split())
    return key if key in OBJECT_TYPES else None


def _row(number: int, cells: tuple[Any, ...], found: _Collector) -> PlanRow | None:
    kind = object_type(cells[0])
    if kind is None:
        found.add(number, 'A', f'expected an object type, one of {", ".join(OBJECT_TYPES)}; got {cells[0]!r}')
    object_id = _id(cells[1])
    if object_id is None:
        found.add(number, 'B', f'expected an object id (a positive whole number), got {cells[1]!r}')
    category_id = _id(cells[2])
    if _blank(cells[2]):
        category_id = None
        if kind in ENTITY_TYPES:
            found.add(number, 'C', f'the energy category id is required for a {kind.replace("_", " ")}')
    elif category_id is None:
        found.add(number, 'C', f'expected an energy category id (a positive whole number), got {cells[2]!r}')
    year, month = _whole(cells[3]), _whole(cells[4])
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        found.add(number, 'D', f'expected the year, a whole number from {MIN_YEAR} to {MAX_YEAR}; got {cells[3]!r}')
    if month is None or not 1 <= month <= 12:
        found.add(number, 'E', f'expected the month, a whole number from 1 to 12; got {cells[4]!r}')
    amount: Decimal | None = None
    if _blank(cells[5]):
        found.add(number, 'F', 'the planned amount for the month is required')
    else:
        try:
            amount = _amount(cells[5])
        except ValueError as error:
            found.add(number, 'F', f'planned amount: {error}')
        else:
            if amount < 0:
                found.add(number, 'F', f'the planned amount cannot be negative, got {_num(amount)}')
                amount = None
    if kind is None or object_id is None or year is None or month is None or amount is None:
        return None
    if kind in ENTITY_TYPES and category_id is None:
        return None
    return PlanRow(number, kind, object_id, category_id, year, month, amount)


def read_energy_plan_file(blob: bytes) -> tuple[EnergyPlanFile | None, list[Problem]]:
    """The rows that could be read, and every problem found (None when the file is unreadable)."""
    try:
        sheet, rows = _read(blob, DATA_COLUMNS)
    except WorkbookError as error:
        return None, error.problems
    found = _Collector(sheet)
    typed = bool(rows) and object_type(rows[0][0]) is not None
    if typed:
        found.add(1, 'A', 'row 1 holds the headers, but it reads like a plan row; insert a header row above it')
    parsed: list[PlanRow] = []
    seen: dict[tuple[str, int, int | None, int, int], int] = {}
    for number, cells in _data_rows(rows, 2, found):
        typed = typed or object_type(cells[0]) is not None
        row = _row(number, cells, found)
        if row is None:
            continue
        # a meter has one category: its rows clash whatever column C says
        key = (row.object_type, row.object_id, None if row.object_type in METER_TYPES else row.category_id,
               row.year, row.month)  # fmt: skip
        if key in seen:
            category = f', energy category {row.category_id}' if row.object_type in ENTITY_TYPES else ''
            found.add(
                number,
                'B',
                f'{row.label}{category}, {row.year}-{row.month:02d} is already planned on row {seen[key]}',
            )
            continue
        seen[key] = number
        parsed.append(row)
    if found.problems and not typed:
        found.add(
            None,
            None,
            'no row names an object type in column A: is this an energy plan workbook? Its columns are A object'
            ' type, B object id, C energy category id, D year, E month, F planned amount (see the template)',
        )
    elif not found.problems and not parsed:
        found.add(2, 'A', 'no plan rows: from row 2 on, each row holds object type, object id, energy category id,'
                  ' year, month and planned amount')  # fmt: skip
    return EnergyPlanFile(sheet, tuple(parsed)), found.problems


def parse_energy_plan_file(blob: bytes) -> EnergyPlanFile:
    """Parse an energy plan workbook, or raise WorkbookError listing every problem."""
    parsed, problems = read_energy_plan_file(blob)
    if problems or parsed is None:
        raise WorkbookError(problems)
    return parsed


# ------------------------------------------------------------------------------------------ database facts
@dataclass(frozen=True)
class PlanObject:
    kind: str
    id: int
    name: str
    category_id: int | None  # a meter type's own category; None for entities
    timezone: str  # IANA name (or offset) of the object's zone


def _in(ids: Sequence[int]) -> str:
    return ', '.join(['%s'] * len(ids))


def load_plan_objects(
    cur: Any, ids: Mapping[str, Sequence[int]], default_timezone: str
) -> dict[tuple[str, int], PlanObject]:
    """The objects named in `ids` (type -> ids) that exist, with their zone, from a system-db cursor."""
    objects: dict[tuple[str, int], PlanObject] = {}
    for kind, wanted in sorted(ids.items()):
        if kind not in OBJECT_TYPES or not wanted:
            continue
        category = 'o.energy_category_id' if kind in METER_TYPES else 'NULL'
        cur.execute(
            f'SELECT o.id, o.name, {category}, {zone_sql(kind)} FROM {OBJECT_TABLES[kind]} o'
            f' WHERE o.id IN ({_in(wanted)}) ORDER BY o.id',
            list(wanted),
        )
        for object_id, name, category_id, zone_name in cur.fetchall():
            chosen = str(zone_name or default_timezone)
            try:
                zone(chosen)
            except ValueError:
                log.warning('%s %s: unknown time zone %r, using %s', kind, object_id, chosen, default_timezone)
                chosen = default_timezone
            own = int(category_id) if category_id is not None else None
            objects[kind, int(object_id)] = PlanObject(kind, int(object_id), str(name), own, chosen)
    return objects


def load_energy_categories(cur: Any, ids: Sequence[int] | None) -> dict[int, str]:
    """Energy category names by id (all when `ids` is None), from a system-db cursor."""
    if ids is not None and not ids:
        return {}
    where = '' if ids is None else f' WHERE id IN ({_in(ids)})'
    cur.execute(f'SELECT id, name FROM tbl_energy_categories{where} ORDER BY id', list(ids or ()))
    return {int(i): str(name) for i, name in cur.fetchall()}


def check_energy_plan_file(
    parsed: EnergyPlanFile, objects: Mapping[tuple[str, int], PlanObject], categories: Mapping[int, str]
) -> list[Problem]:
    """Every object and category exists; a meter's row plans the meter's own category."""
    found = _Collector(parsed.sheet)
    for row in parsed.rows:
        info = objects.get((row.object_type, row.object_id))
        if info is None:
            found.add(row.row, 'B', f'{row.label} does not exist')
        if row.category_id is not None and row.category_id not in categories:
            found.add(row.row, 'C', f'energy category {row.category_id} does not exist')
        elif info is not None and row.category_id is not None and info.category_id is not None:
            if row.category_id != info.category_id:
                own = categories.get(info.category_id)
                named = f' ({own})' if own else ''
                found.add(
                    row.row,
                    'C',
                    f'{row.label} ({info.name}) measures energy category {info.category_id}{named}, not'
                    f' {row.category_id}; leave the cell empty or give its own category',
                )
    return found.problems


# ------------------------------------------------------------------------------------------ slot rows
def spread_month(amount: Decimal, year: int, month: int, tz: tzinfo, minutes: int) -> list[tuple[datetime, Decimal]]:
    """A month's amount spread flat over the slots of the local month in `tz`, summing exactly to `amount`."""
    start, end = month_range(year, month, tz, minutes)
    slots = list(iter_slots(start, end, minutes))
    share = (amount / len(slots)).quantize(SIX_PLACES, ROUND_DOWN)
    values = [share] * (len(slots) - 1) + [amount - share * (len(slots) - 1)]
    return list(zip(slots, values, strict=True))


def plan_series(kind: str) -> SeriesKey:
    """The plan database's slot table family of an object type."""
    if kind in METER_TYPES:
        return SeriesKey('energy_plan', kind)
    return SeriesKey('energy_plan', kind, 'input', 'category')


@dataclass(frozen=True)
class PlanMonth:
    """What one row of a plan file writes: the slot range it replaces and its rows."""

    series: SeriesKey
    object_id: int
    category_id: int | None  # None for the meter types' tables, which have no category column
    start: datetime
    end: datetime
    slots: list[tuple[datetime, Decimal]]

    def rows(self) -> list[tuple[Any, ...]]:
        key = (self.object_id,) if self.category_id is None else (self.object_id, self.category_id)
        return [(*key, slot, value) for slot, value in self.slots]


def energy_plan_slots(
    parsed: EnergyPlanFile, objects: Mapping[tuple[str, int], PlanObject], minutes: int
) -> list[PlanMonth]:
    """Slot rows per (object, category, month) in the object's zone."""
    months = []
    for row in parsed.rows:
        info = objects[row.object_type, row.object_id]
        tz = zone(info.timezone)
        start, end = month_range(row.year, row.month, tz, minutes)
        category = None if row.object_type in METER_TYPES else row.category_id
        spread = spread_month(row.amount, row.year, row.month, tz, minutes)
        months.append(PlanMonth(plan_series(row.object_type), row.object_id, category, start, end, spread))
    return months


# ------------------------------------------------------------------------------------------ template
def energy_plan_template(rows: Iterable[tuple[str, int, int | None, int, int, Decimal | int, str]]) -> bytes:
    """An energy plan workbook: the header row, then (type, id, category, year, month, amount, notes) rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = 'Energy plan'
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
    for kind, object_id, category_id, year, month, amount, notes in rows:
        sheet.append([kind, object_id, category_id, year, month, amount, _text(notes)])
    for column, width in zip('ABCDEFG', (20, 12, 20, 8, 8, 18, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = 'A2'
    return _save(book)
