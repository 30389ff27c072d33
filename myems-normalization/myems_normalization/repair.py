"""Data repair files: a queued workbook's readings replace a point's raw energy readings over a range.

`process_data_repair_file(db, file_id)` handles one file of myems_historical_db.tbl_data_repair_files
whose status is 'new'. A file may repair several points. For each point, in one transaction on the
historical database together with the status change:

* the point's readings in [first, last] of the file's times (inclusive) are deleted and the file's rows
  inserted;
* cleaning is asked to decide the range again, from `cleaning_recovery()` before the reading before it to
  as long after the reading after it: the file's readings are cleaned by the same rules as any others,
  and the verdicts on their neighbours (a dip next to the old values, say) are decided afresh;
* tbl_energy_value_latest is rewritten when the repair reached the point's latest reading;
* every meter that reads the point is asked to recompute its slots (`mark_dirty`, step METER_STEP) from
  the reading before the range to the reading after it, since interpolation reaches that far.

Local times in the file are wall time at UTC_OFFSET, the offset the API uses for every local time it reads
and shows (a point has no time zone of its own). When the energy database is on another server, the
recompute requests are written right after the repair commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import mysql.connector

from myems_common.counterdata import SECOND, cleaning_recovery
from myems_common.db import Database, bulk_insert
from myems_common.pipeline import mark_dirty
from myems_common.readings import CLEANING_STEP
from myems_common.timeutil import floor_slot, zone
from myems_common.workbooks import (
    WorkbookError,
    check_data_repair_file,
    load_points,
    parse_data_repair_file,
    repair_readings,
)
from myems_normalization.uploads import read_new_file, refuse, same_server, set_status

log = logging.getLogger(__name__)

FILES = 'tbl_data_repair_files'
READINGS = 'tbl_energy_value'
LATEST = 'tbl_energy_value_latest'
METER_STEP = 'meter_energy'  # the normalization step that turns a meter's readings into slots

Dirty = tuple[str, int, datetime, datetime]  # step, object id, start, end


def meters_of(db: Database, point_ids: list[int]) -> dict[int, list[int]]:
    """Meters reading each point."""
    found: dict[int, list[int]] = {p: [] for p in point_ids}
    rows = db.fetch_all(
        'system',
        f'SELECT point_id, meter_id FROM tbl_meters_points WHERE point_id IN ({", ".join(["%s"] * len(point_ids))})'
        ' ORDER BY point_id, meter_id',
        point_ids,
    )
    for point_id, meter_id in rows:
        found[int(point_id)].append(int(meter_id))
    return found


def neighbours(cur: Any, point_id: int, first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """The times of the readings just outside [first, last] (first and last themselves if there are none)."""
    cur.execute(
        f'SELECT MAX(utc_date_time) FROM {READINGS} WHERE point_id = %s AND utc_date_time < %s', (point_id, first)
    )
    before = cur.fetchone()[0] or first
    cur.execute(
        f'SELECT MIN(utc_date_time) FROM {READINGS} WHERE point_id = %s AND utc_date_time > %s', (point_id, last)
    )
    after = cur.fetchone()[0] or last
    return before, after


def replace_readings(cur: Any, point_id: int, readings: list[tuple[datetime, Decimal]]) -> None:
    first, last = readings[0][0], readings[-1][0]
    cur.execute(
        f'DELETE FROM {READINGS} WHERE point_id = %s AND utc_date_time >= %s AND utc_date_time <= %s',
        (point_id, first, last),
    )
    rows = [(point_id, when, value) for when, value in readings]
    bulk_insert(cur, READINGS, ('point_id', 'utc_date_time', 'actual_value'), rows)
    cur.execute(f'SELECT utc_date_time FROM {LATEST} WHERE point_id = %s', (point_id,))
    latest = cur.fetchone()
    if latest is not None and latest[0] <= last:  # the latest reading may have been replaced
        cur.execute(
            f'SELECT utc_date_time, actual_value FROM {READINGS} WHERE point_id = %s'
            ' ORDER BY utc_date_time DESC LIMIT 1',
            (point_id,),
        )
        when, value = cur.fetchone()
        cur.execute(
            f'UPDATE {LATEST} SET utc_date_time = %s, actual_value = %s WHERE point_id = %s', (when, value, point_id)
        )


def process_data_repair_file(db: Database, file_id: int) -> str | None:
    """Apply one 'new' data repair file; returns its new status, None if it was not new."""
    blob = read_new_file(db, FILES, file_id)
    if blob is None:
        return None
    settings = db.settings
    minutes = settings.minutes_to_count
    slot = timedelta(minutes=minutes)
    together = same_server(settings, 'historical', 'energy')
    energy_db = settings.db('energy').database if together else None
    reason = f'data repair file {file_id}'
    dirty: list[Dirty] = []
    try:
        parsed = parse_data_repair_file(blob)
        with db.transaction('system') as cur:
            problems = check_data_repair_file(parsed, load_points(cur, parsed.point_ids))
        if problems:
            raise WorkbookError(problems)
        readings = repair_readings(parsed, zone(settings.utc_offset))
        meters = meters_of(db, parsed.point_ids)
        with db.transaction('historical') as cur:
            for point_id, rows in readings.items():
                before, after = neighbours(cur, point_id, rows[0][0], rows[-1][0])
                replace_readings(cur, point_id, rows)
                margin = cleaning_recovery()
                mark_dirty(cur, CLEANING_STEP, point_id, before - margin, after + margin + SECOND, reason)
                start, end = floor_slot(before, minutes), floor_slot(after, minutes) + slot
                dirty += [(METER_STEP, meter_id, start, end) for meter_id in meters[point_id]]
            if together:
                for step, object_id, start, end in dirty:
                    mark_dirty(cur, step, object_id, start, end, reason, database=energy_db)
            set_status(cur, FILES, file_id, 'done')
    except (WorkbookError, mysql.connector.Error) as error:
        return refuse(db, FILES, file_id, error)
    if not together:
        with db.transaction('energy') as cur:
            for step, object_id, start, end in dirty:
                mark_dirty(cur, step, object_id, start, end, reason)
    log.info('data repair file %s: %d points, %d readings', file_id, len(readings), len(parsed.rows))
    return 'done'
