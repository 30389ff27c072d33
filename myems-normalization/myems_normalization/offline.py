"""Offline meter files: a queued workbook's daily values become slots in tbl_offline_meter_hourly.

`process_offline_meter_file(db, file_id)` handles one file of myems_historical_db.tbl_offline_meter_files
whose status is 'new':

1. parse and validate it (myems_common.workbooks; the API already refused bad uploads, but the meters may
   have changed since);
2. in one transaction on the energy database: for every meter of the file, delete its slots over the
   file's month (local month in the meter's zone) and insert the new ones, and ask every downstream step
   that reads the meter to recompute that month (`mark_dirty`);
3. set the file's status to 'done' (or 'error' when the file cannot be used; the reason is logged).

When both databases are on one server (the usual case), the status changes in the same transaction as
the slots. Otherwise it is set right after: a crash in between leaves the file 'new', and processing it
again deletes and inserts the same rows. Transient database errors propagate for the caller to retry;
the status then stays 'new'.
"""

from __future__ import annotations

import logging

import mysql.connector

from myems_common.db import Database, bulk_insert
from myems_common.hierarchy import consumers
from myems_common.pipeline import mark_dirty
from myems_common.workbooks import (
    WorkbookError,
    check_offline_meter_file,
    load_offline_meters,
    offline_meter_slots,
    parse_offline_meter_file,
)
from myems_normalization.uploads import finish, read_new_file, refuse, same_server, set_status

log = logging.getLogger(__name__)

FILES = 'tbl_offline_meter_files'
SLOTS = 'tbl_offline_meter_hourly'


def process_offline_meter_file(db: Database, file_id: int) -> str | None:
    """Write the slots of one 'new' offline meter file; returns its new status, None if it was not new."""
    blob = read_new_file(db, FILES, file_id)
    if blob is None:
        return None
    settings = db.settings
    try:
        parsed = parse_offline_meter_file(blob)
        with db.transaction('system') as cur:
            meters = load_offline_meters(cur, parsed.meter_ids, settings.default_timezone)
            problems = check_offline_meter_file(parsed, meters, settings.minutes_to_count)
            if problems:
                raise WorkbookError(problems)
            targets = {m: consumers(cur, 'offline_meter', m) for m in parsed.meter_ids}
        months = offline_meter_slots(parsed, meters, settings.minutes_to_count)
        together = same_server(settings, 'energy', 'historical')
        reason = f'offline meter file {file_id}'
        with db.transaction('energy') as cur:
            for month in months:
                cur.execute(
                    f'DELETE FROM {SLOTS} WHERE offline_meter_id = %s'
                    ' AND start_datetime_utc >= %s AND start_datetime_utc < %s',
                    (month.meter_id, month.start, month.end),
                )
                rows = [(month.meter_id, slot, value) for slot, value in month.slots]
                bulk_insert(cur, SLOTS, ('offline_meter_id', 'start_datetime_utc', 'actual_value'), rows)
                for step, object_id, key in targets[month.meter_id]:
                    database = None if key == 'energy' else settings.db(key).database
                    mark_dirty(cur, step, object_id, month.start, month.end, reason, database)
            if together:
                set_status(cur, FILES, file_id, 'done', settings.db('historical').database)
    except (WorkbookError, mysql.connector.Error) as error:
        return refuse(db, FILES, file_id, error)
    if not together:
        finish(db, FILES, file_id, 'done')
    log.info('offline meter file %s: %d meters, %d slots', file_id, len(months), sum(len(m.slots) for m in months))
    return 'done'
