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

from myems_common.counterdata import SECOND, cleaned_until, moment, read_one, read_range, seconds
from myems_common.counters import Slot, slot_energy_ints
from myems_common.db import Database
from myems_common.hierarchy import consumers
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
        """A meter's input is complete up to the slot of its points' last good reading that cleaning has
        decided (a point with none yet holds its meter back)."""
        found: dict[int, tuple[datetime | None, datetime]] = {}
        wanted = set(object_ids)
        cleaned = cleaned_until(db)
        for meter, points in self.points_of(db).items():
            if meter not in wanted or any(p not in cleaned for p in points):
                continue
            lasts = [read_one(db, p, 'utc_date_time < %s', (cleaned[p],), last=True) for p in points]
            if any(r is None for r in lasts):
                continue
            start = None
            if meter not in progress:  # only a meter seen for the first time needs its first reading
                firsts = [read_one(db, p, 'utc_date_time < %s', (cleaned[p],), last=False) for p in points]
                start = floor_slot(moment(min(r[0] for r in firsts if r)), self.slot_minutes)
            found[meter] = (start, floor_slot(moment(min(r[0] for r in lasts if r)), self.slot_minutes))
        return found

    def dependents(self, db: Database, object_id: int) -> list[tuple[str, int, str]]:
        """Virtual meters and aggregate entities reading the meter, and its billing and carbon."""
        with db.transaction('system') as cur:
            return consumers(cur, 'meter', object_id)

    # ------------------------------------------------------------------ the work
    def readings(self, db: Database, point: int, start: datetime, end: datetime) -> tuple[list[int], list[int]]:
        """Good readings of one point as integers: the last at or before `start`, those inside, the first at
        or after `end`."""
        times, values = read_range(db, point, start + SECOND, end, good_only=True)
        before = read_one(db, point, 'utc_date_time <= %s', (start,), last=True)
        after = read_one(db, point, 'utc_date_time >= %s', (end,), last=False)
        if before:
            times.insert(0, before[0])
            values.insert(0, before[1])
        if after:
            times.append(after[0])
            values.append(after[1])
        return times, values

    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> list[Slot]:
        start, end = floor_slot(start, self.slot_minutes), ceil_slot(end, self.slot_minutes)
        total: dict[int, tuple[int, bool]] = {}
        points = self.points_of(db, object_id).get(object_id, [])
        for index, point in enumerate(points):
            slots = {
                at: (value, estimated)
                for at, value, estimated in slot_energy_ints(
                    *self.readings(db, point, start, end),
                    seconds(start),
                    seconds(end),
                    self.slot // SECOND,
                    self.gap // SECOND,
                )
            }
            if index == 0:
                total = slots
                continue
            total = {  # a slot exists only where every point has it
                at: (value + slots[at][0], estimated or slots[at][1])
                for at, (value, estimated) in total.items()
                if at in slots
            }
        return [
            Slot(moment(at), Decimal(value).scaleb(-6), estimated) for at, (value, estimated) in sorted(total.items())
        ]

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: list[Slot]) -> datetime | None:
        start, end = floor_slot(start, self.slot_minutes), ceil_slot(end, self.slot_minutes)
        replace_slots(cur, TABLE, 'meter_id', object_id, start, end, result)
        return (result[-1].start + self.slot) if result else start
