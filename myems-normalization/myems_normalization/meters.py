"""Meter normalization: slot energy from the cleaned counter readings of each meter's energy points.

A meter's slots run from the slot of its first good reading up to the last slot whose end its readings
reach (on every energy point it has): a slot is written once the readings after it exist, never before
and never as a placeholder zero. A meter with several energy points adds them up. Slot values come from
`myems_common.counters.slot_energy` (interpolation at slot boundaries, resets and rollovers, gaps spread
in proportion to time and marked estimated).

Recomputing a range (late or re-cleaned readings, a repair) replaces its rows: rows the new result does
not have are deleted, the others upserted, and the virtual meters using the meter are marked dirty.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myems_common.counters import Slot, slot_energy
from myems_common.db import Database
from myems_common.slotstore import replace_slots
from myems_common.timeutil import ceil_slot, floor_slot

log = logging.getLogger(__name__)
TABLE = 'tbl_meter_hourly'


class MeterEnergy:
    name = 'meter_energy'
    database = 'energy'

    def __init__(self, slot_minutes: int = 60, gap: timedelta | None = None, chunk: timedelta | None = None) -> None:
        self.slot_minutes = slot_minutes
        self.slot = timedelta(minutes=slot_minutes)
        self.gap = gap or 2 * self.slot  # a reading interval longer than this makes its slots estimated
        self.chunk = chunk or timedelta(days=31)

    # ------------------------------------------------------------------ what to do
    def points_of(self, db: Database, meter: int | None = None) -> dict[int, list[int]]:
        """The energy points of every meter, or of one."""
        sql = (
            'SELECT mp.meter_id, mp.point_id FROM tbl_meters_points mp JOIN tbl_points p ON p.id = mp.point_id'
            " WHERE p.object_type = 'ENERGY_VALUE'"
        )
        rows = db.fetch_all(
            'system',
            sql + (' AND mp.meter_id = %s' if meter is not None else '') + ' ORDER BY mp.meter_id, mp.point_id',
            () if meter is None else (meter,),
        )
        found: dict[int, list[int]] = {}
        for meter_id, point in rows:
            found.setdefault(int(meter_id), []).append(int(point))
        return found

    def objects(self, db: Database) -> Sequence[int]:
        return sorted(self.points_of(db))

    def bounds(
        self, db: Database, object_ids: Sequence[int], progress: Mapping[int, datetime]
    ) -> dict[int, tuple[datetime | None, datetime]]:
        found: dict[int, tuple[datetime | None, datetime]] = {}
        wanted = set(object_ids)
        for meter, points in self.points_of(db).items():
            if meter not in wanted:
                continue
            lasts = [self._good(db, p, 'DESC') for p in points]
            if any(t is None for t in lasts):
                continue  # a point with no good reading yet holds the meter back
            start = None
            if meter not in progress:  # only a meter seen for the first time needs its first reading
                start = floor_slot(min(t for p in points if (t := self._good(db, p, 'ASC'))), self.slot_minutes)
            found[meter] = (start, floor_slot(min(t for t in lasts if t is not None), self.slot_minutes))
        return found

    @staticmethod
    def _good(db: Database, point: int, order: str) -> datetime | None:
        """The first (ASC) or last (DESC) good reading's time of one point."""
        row = db.fetch_one(
            'historical',
            f'SELECT utc_date_time FROM tbl_energy_value WHERE point_id = %s AND is_bad = 0'
            f' ORDER BY utc_date_time {order} LIMIT 1',
            (point,),
        )
        return row[0] if row else None

    def dependents(self, db: Database, object_id: int) -> list[tuple[str, int, str]]:
        rows = db.fetch_all(
            'system',
            "SELECT DISTINCT virtual_meter_id FROM tbl_variables WHERE meter_type = 'meter' AND meter_id = %s",
            (object_id,),
        )
        return [('virtual_meter_energy', int(r[0]), 'energy') for r in rows]

    # ------------------------------------------------------------------ the work
    def readings(self, db: Database, point: int, start: datetime, end: datetime) -> list[tuple[datetime, Decimal]]:
        """Good readings of one point: the last at or before `start`, those inside, the first at or after `end`."""
        before = db.fetch_one(
            'historical',
            'SELECT utc_date_time, actual_value FROM tbl_energy_value WHERE point_id = %s AND utc_date_time <= %s'
            ' AND is_bad = 0 ORDER BY utc_date_time DESC LIMIT 1',
            (point, start),
        )
        inside = db.fetch_all(
            'historical',
            'SELECT utc_date_time, actual_value FROM tbl_energy_value WHERE point_id = %s AND utc_date_time > %s'
            ' AND utc_date_time < %s AND is_bad = 0 ORDER BY utc_date_time',
            (point, start, end),
        )
        after = db.fetch_one(
            'historical',
            'SELECT utc_date_time, actual_value FROM tbl_energy_value WHERE point_id = %s AND utc_date_time >= %s'
            ' AND is_bad = 0 ORDER BY utc_date_time LIMIT 1',
            (point, end),
        )
        rows = ([before] if before else []) + list(inside) + ([after] if after else [])
        return [(t, Decimal(v)) for t, v in rows]

    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> list[Slot]:
        start, end = floor_slot(start, self.slot_minutes), ceil_slot(end, self.slot_minutes)
        total: dict[datetime, Slot] = {}
        points = self.points_of(db, object_id).get(object_id, [])
        for index, point in enumerate(points):
            slots = {
                s.start: s for s in slot_energy(self.readings(db, point, start, end), start, end, self.slot, self.gap)
            }
            if index == 0:
                total = slots
                continue
            total = {  # a slot exists only where every point has it
                t: Slot(t, s.value + slots[t].value, s.estimated or slots[t].estimated)
                for t, s in total.items()
                if t in slots
            }
        return [total[t] for t in sorted(total)]

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: list[Slot]) -> datetime | None:
        start, end = floor_slot(start, self.slot_minutes), ceil_slot(end, self.slot_minutes)
        replace_slots(cur, TABLE, 'meter_id', object_id, start, end, result)
        return (result[-1].start + self.slot) if result else start
