"""Virtual meters: slot energy from an equation over meters, offline meters and other virtual meters.

The equation is parsed by `myems_common.expression` (never evaluated as Python). Virtual meters are
processed in dependency order, so one pass brings a chain up to date. A slot is computed where every
input has a slot row; it is estimated if any input's is. A slot the equation cannot evaluate (a division
by zero, say) is left out and logged. A virtual meter's slots reach as far as all of its inputs'
(a meter's normalization watermark, an offline meter's last slot, another virtual meter's watermark);
one without inputs (a constant) runs from START_DATETIME_UTC to the last whole slot before now.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myems_common.counters import Slot
from myems_common.db import Database
from myems_common.dependencies import CycleError, evaluation_order
from myems_common.expression import EvaluationError, ExpressionError, parse
from myems_common.hierarchy import consumers
from myems_common.slotstore import replace_slots
from myems_common.timeutil import ceil_slot, floor_slot, utc_now

log = logging.getLogger(__name__)
TABLES = {
    'meter': 'tbl_meter_hourly',
    'offline_meter': 'tbl_offline_meter_hourly',
    'virtual_meter': 'tbl_virtual_meter_hourly',
}
WATERMARKS = {'meter': 'meter_energy', 'virtual_meter': 'virtual_meter_energy'}


@dataclass(frozen=True)
class Variable:
    name: str
    kind: str  # meter, offline_meter or virtual_meter
    target: int


class VirtualMeterEnergy:
    name = 'virtual_meter_energy'
    database = 'energy'
    chunk = timedelta(days=31)
    ordered = True  # inputs before the virtual meters that read them

    def __init__(self, slot_minutes: int = 60, first: datetime | None = None) -> None:
        self.slot_minutes = slot_minutes
        self.first = first or datetime(2024, 12, 31, 16)

    # ------------------------------------------------------------------ configuration
    def variables(self, db: Database, meter: int | None = None) -> dict[int, list[Variable]]:
        """The variables of every virtual meter, or of one."""
        found: dict[int, list[Variable]] = {}
        sql = 'SELECT virtual_meter_id, name, meter_type, meter_id FROM tbl_variables'
        rows = db.fetch_all('system', sql + (' WHERE virtual_meter_id = %s' if meter is not None else ''),
                            () if meter is None else (meter,))  # fmt: skip
        for owner, name, kind, target in rows:
            found.setdefault(int(owner), []).append(Variable(str(name).lower(), str(kind), int(target)))
        return found

    def objects(self, db: Database) -> Sequence[int]:
        ids = [int(r[0]) for r in db.fetch_all('system', 'SELECT id FROM tbl_virtual_meters ORDER BY id')]
        variables = self.variables(db)
        graph = {v: [x.target for x in variables.get(v, []) if x.kind == 'virtual_meter'] for v in ids}
        try:
            known = set(ids)
            return [v for v in evaluation_order(graph) if v in known]
        except CycleError as error:  # the API refuses cycles; one made by SQL stops only its own members
            log.error('%s: these virtual meters are skipped until it is broken', error)
            return [v for v in ids if v not in error.path]

    def bounds(
        self, db: Database, object_ids: Sequence[int], progress: Mapping[int, datetime]
    ) -> dict[int, tuple[datetime | None, datetime]]:
        variables = self.variables(db)
        marks = {
            (step, int(o)): t
            for step, o, t in db.fetch_all(
                'energy', 'SELECT step, object_id, processed_until_utc FROM tbl_pipeline_progress'
            )
        }
        offline = dict(
            db.fetch_all(
                'energy', 'SELECT offline_meter_id, MAX(start_datetime_utc) FROM tbl_offline_meter_hourly GROUP BY 1'
            )
        )
        slot = timedelta(minutes=self.slot_minutes)
        found: dict[int, tuple[datetime | None, datetime]] = {}
        for meter in object_ids:
            inputs = variables.get(meter, [])
            if not inputs:  # a constant equation
                found[meter] = (self.first, floor_slot(utc_now(), self.slot_minutes))
                continue
            ends = []
            for v in inputs:
                if v.kind == 'offline_meter':
                    last = offline.get(v.target)
                    ends.append(last + slot if last else None)
                else:
                    ends.append(marks.get((WATERMARKS.get(v.kind, ''), v.target)))
            if any(e is None for e in ends):
                continue  # an input has nothing yet
            start = None if meter in progress else self._first_common(db, inputs)
            if meter in progress or start is not None:
                found[meter] = (start, min(e for e in ends if e is not None))
        return found

    @staticmethod
    def _first_common(db: Database, inputs: list[Variable]) -> datetime | None:
        """The first slot every input has (the latest of their first slots)."""
        firsts = []
        for v in inputs:
            table = TABLES.get(v.kind)
            if table is None:
                return None
            row = db.fetch_one(
                'energy', f'SELECT MIN(start_datetime_utc) FROM {table} WHERE {v.kind}_id = %s', (v.target,)
            )
            if row is None or row[0] is None:
                return None
            firsts.append(row[0])
        return max(firsts)

    def dependents(self, db: Database, object_id: int) -> list[tuple[str, int, str]]:
        """Virtual meters and aggregate entities reading the virtual meter, and its billing and carbon."""
        with db.transaction('system') as cur:
            return consumers(cur, 'virtual_meter', object_id)

    # ------------------------------------------------------------------ the work
    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> list[Slot]:
        start, end = floor_slot(start, self.slot_minutes), ceil_slot(end, self.slot_minutes)
        row = db.fetch_one('system', 'SELECT name, equation FROM tbl_virtual_meters WHERE id = %s', (object_id,))
        if row is None:
            return []
        try:
            expression = parse(row[1] or '')
        except ExpressionError as error:
            log.error('virtual meter %r (%s): equation refused: %s', row[0], object_id, error)
            return []
        inputs = {v.name: v for v in self.variables(db, object_id).get(object_id, [])}
        series = {name: self._series(db, v, start, end) for name, v in inputs.items()}
        slots = []
        moment = start
        while moment < end:
            values = {name: s.get(moment) for name, s in series.items()}
            if all(v is not None for v in values.values()):
                try:
                    value = expression.evaluate({n: v[0] for n, v in values.items() if v is not None})
                    estimated = any(v[1] for v in values.values() if v is not None)
                    slots.append(Slot(moment, value.quantize(Decimal('0.000001')), estimated))
                except EvaluationError as error:
                    log.warning('virtual meter %r (%s) at %s: %s', row[0], object_id, moment, error)
            moment += timedelta(minutes=self.slot_minutes)
        return slots

    @staticmethod
    def _series(db: Database, v: Variable, start: datetime, end: datetime) -> dict[datetime, tuple[Decimal, bool]]:
        rows = db.fetch_all(
            'energy',
            f'SELECT start_datetime_utc, actual_value, is_estimated FROM {TABLES[v.kind]} WHERE {v.kind}_id = %s'
            ' AND start_datetime_utc >= %s AND start_datetime_utc < %s',
            (v.target, start, end),
        )
        return {t: (Decimal(value), bool(flag)) for t, value, flag in rows}

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: list[Slot]) -> datetime | None:
        start, end = floor_slot(start, self.slot_minutes), ceil_slot(end, self.slot_minutes)
        replace_slots(cur, TABLES['virtual_meter'], 'virtual_meter_id', object_id, start, end, result)
        return None
