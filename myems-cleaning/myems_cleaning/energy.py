"""The energy cleaning step: flags each point's bad counter readings (is_bad = 1, bad_reason), never deletes.

Work is per point. A point's watermark is the time up to which every reading is decided; the work ahead
of it ends at the point's newest reading (``tbl_energy_value_latest``). Only bad readings are written: a
reading below the watermark that is not flagged is good, so a healthy counter costs one read and no
writes. Most readings are settled by the usual case alone (`counters.regular_prefix`); from the first
unusual one the full rules (`counters.clean`) decide.

A reading that arrives behind the watermark is reported by the reading writer as a dirty range
(``myems_common.readings.mark_late``); a data repair does the same. That range is decided again, its old
flags cleared first, and the meters of the point are marked dirty from the good reading before the range
to the reading after it, since normalization may have read it.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myems_common.counterdata import moment, read_one, read_range, seconds
from myems_common.counters import clean, regular_prefix
from myems_common.db import Database
from myems_common.pipeline import mark_dirty
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
NORMALIZATION_STEP = 'meter_energy'
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Decisions:
    bad: list[tuple[datetime, str | None]]  # (time, reason) of the readings flagged bad
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
        before = read_one(db, object_id, 'utc_date_time < %s', (start,), last=True)
        times, values = read_range(db, object_id, start, end + self.recovery + SECOND)
        deciding = bisect_left(times, seconds(end))  # readings from here on are only looked at
        regular = regular_prefix(
            values, before[1] if before else None, math.ceil(low.scaleb(6)), math.floor(high.scaleb(6))
        )
        bad: list[tuple[datetime, str | None]] = []
        undecided = None
        if regular < deciding:  # something unusual: the full rules from there
            rest = [(moment(t), Decimal(v).scaleb(-6)) for t, v in zip(times[regular:], values[regular:], strict=True)]
            base = values[regular - 1] if regular else (before[1] if before else None)
            flags, undecided = clean(
                rest, None if base is None else Decimal(base).scaleb(-6), low, high, utc_now(), self.recovery
            )
            bad = [(f.time, f.reason) for f in flags if f.bad and f.time < end]
            if undecided is not None and undecided >= end:
                undecided = None
        changed = None
        if self._decided(db, object_id, start):  # a range decided before: what normalization read may change
            after = moment(times[deciding]) if deciding < len(times) else end
            changed = (moment(before[0]) if before else start, after + SECOND)
        meters = tuple(
            int(r[0])
            for r in db.fetch_all('system', 'SELECT meter_id FROM tbl_meters_points WHERE point_id = %s', (object_id,))
        )
        return Decisions(bad, undecided, changed, meters)

    def _decided(self, db: Database, point: int, start: datetime) -> bool:
        row = db.fetch_one(
            'historical',
            'SELECT processed_until_utc FROM tbl_pipeline_progress WHERE step = %s AND object_id = %s',
            (self.name, point),
        )
        return row is not None and start < row[0]

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: Decisions) -> datetime | None:
        """Only bad readings are flagged (they are few); a range decided again first loses its old flags."""
        reached = result.undecided or end
        if result.changed is not None:
            cur.execute(
                'UPDATE tbl_energy_value SET is_bad = 0, bad_reason = NULL WHERE point_id = %s'
                ' AND utc_date_time >= %s AND utc_date_time < %s AND is_bad = 1',
                (object_id, start, reached),
            )
            for meter in result.meters:
                mark_dirty(cur, NORMALIZATION_STEP, meter, *result.changed, 'readings re-cleaned', self.energy_database)
        if result.bad:
            cur.executemany(
                'UPDATE tbl_energy_value SET is_bad = 1, bad_reason = %s WHERE point_id = %s AND utc_date_time = %s',
                [(reason, object_id, when) for when, reason in result.bad],
            )
            log.info('point %s: %d readings flagged bad', object_id, len(result.bad))
        return result.undecided
