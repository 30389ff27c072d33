"""The energy cleaning step: flags each point's counter readings (is_bad, bad_reason), never deletes.

Work is per point. A point's watermark is the time up to which every reading is decided; the work ahead
of it ends at the point's newest reading (``tbl_energy_value_latest``). A reading that arrives behind the
watermark is reported by the reading writer as a dirty range (``myems_common.readings.mark_late``), and
that neighbourhood is decided again. When a decision changes for a reading meter normalization may
already have used (or a late reading lands among decided ones), the meters of that point are marked
dirty over the affected readings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myems_common.counters import Flag, clean
from myems_common.db import Database
from myems_common.pipeline import mark_dirty
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
NORMALIZATION_STEP = 'meter_energy'
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Decisions:
    flags: list[Flag]
    undecided: datetime | None
    changed: tuple[datetime, datetime] | None  # readings normalization must read again
    meters: tuple[int, ...]


class EnergyCleaning:
    name = 'energy_cleaning'
    database = 'historical'
    chunk = timedelta(days=7)

    def __init__(self, energy_database: str, recovery: timedelta = timedelta(hours=1)) -> None:
        self.energy_database = energy_database  # where meter normalization keeps its dirty ranges
        self.recovery = recovery

    def objects(self, db: Database) -> Sequence[int]:
        rows = db.fetch_all('system', "SELECT id FROM tbl_points WHERE object_type = 'ENERGY_VALUE' ORDER BY id")
        return [int(r[0]) for r in rows]

    def bounds(
        self, db: Database, object_ids: Sequence[int], progress: Mapping[int, datetime]
    ) -> dict[int, tuple[datetime | None, datetime]]:
        newest = dict(db.fetch_all('historical', 'SELECT point_id, utc_date_time FROM tbl_energy_value_latest'))
        found: dict[int, tuple[datetime | None, datetime]] = {}
        for point in object_ids:
            if point not in newest:
                continue
            start = None
            if point not in progress:  # a point seen for the first time starts at its first reading
                first = db.fetch_one(
                    'historical', 'SELECT MIN(utc_date_time) FROM tbl_energy_value WHERE point_id = %s', (point,)
                )
                start = first[0] if first else None
            found[point] = (start, newest[point] + SECOND)
        return found

    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> Decisions:
        point = db.fetch_one('system', 'SELECT low_limit, high_limit FROM tbl_points WHERE id = %s', (object_id,))
        if point is None:
            return Decisions([], None, None, ())
        low, high = Decimal(point[0]), Decimal(point[1])
        base = db.fetch_one(
            'historical',
            'SELECT utc_date_time, actual_value FROM tbl_energy_value WHERE point_id = %s AND utc_date_time < %s'
            ' AND is_bad = 0 ORDER BY utc_date_time DESC LIMIT 1',
            (object_id, start),
        )
        rows = db.fetch_all(
            'historical',
            'SELECT utc_date_time, actual_value, is_bad, bad_reason FROM tbl_energy_value WHERE point_id = %s'
            ' AND utc_date_time >= %s AND utc_date_time < %s ORDER BY utc_date_time',
            (object_id, start, end + self.recovery + SECOND),
        )
        flags, undecided = clean(
            [(r[0], r[1]) for r in rows], base[1] if base else None, low, high, utc_now(), self.recovery
        )
        flags = [f for f in flags if f.time < end]
        if undecided is not None and undecided >= end:
            undecided = None
        meters = tuple(
            int(r[0])
            for r in db.fetch_all('system', 'SELECT meter_id FROM tbl_meters_points WHERE point_id = %s', (object_id,))
        )
        return Decisions(flags, undecided, self._changed(rows, flags, base), meters)

    @staticmethod
    def _changed(
        rows: list[tuple[Any, ...]], flags: list[Flag], base: tuple[Any, ...] | None
    ) -> tuple[datetime, datetime] | None:
        """The span normalization must read again: from the good reading before the first reading whose
        verdict is new among decided ones (or changed) to the reading after the last one."""
        before = {r[0]: (r[2], r[3]) for r in rows}
        decided_until = max((r[0] for r in rows if r[2] is not None), default=None)
        touched = [
            f.time
            for f in flags
            if before[f.time] != (int(f.bad), f.reason)
            and (before[f.time][0] is not None or (decided_until is not None and f.time < decided_until))
        ]
        if not touched:
            return None
        times = [r[0] for r in rows]
        first = base[0] if base else touched[0]
        after = [t for t in times if t > touched[-1]]
        return first, (after[0] if after else touched[-1]) + SECOND

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: Decisions) -> datetime | None:
        """Good readings in one range statement, bad ones one by one (they are few)."""
        reached = result.undecided or end
        cur.execute(
            'UPDATE tbl_energy_value SET is_bad = 0, bad_reason = NULL WHERE point_id = %s AND utc_date_time >= %s'
            ' AND utc_date_time < %s AND (is_bad IS NULL OR is_bad <> 0)',
            (object_id, start, reached),
        )
        bad = [(f.reason, object_id, f.time) for f in result.flags if f.bad]
        if bad:
            cur.executemany(
                'UPDATE tbl_energy_value SET is_bad = 1, bad_reason = %s WHERE point_id = %s AND utc_date_time = %s',
                bad,
            )
        if result.changed is not None:
            for meter in result.meters:
                mark_dirty(cur, NORMALIZATION_STEP, meter, *result.changed, 'readings re-cleaned', self.energy_database)
        if bad:
            log.info('point %s: %d of %d readings flagged bad', object_id, len(bad), len(result.flags))
        return result.undecided
