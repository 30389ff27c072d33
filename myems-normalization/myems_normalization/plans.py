"""Energy plan files: a queued workbook's monthly amounts become slots in myems_energy_plan_db.

`process_energy_plan_file(db, file_id)` handles one file of myems_historical_db.tbl_energy_plan_files
whose status is 'new':

1. parse and validate it (myems_common.planbooks: layout, objects and energy categories exist, a meter's
   row plans the meter's own category); any problem refuses the whole file (status 'error', every
   problem logged) and writes nothing;
2. in one transaction on the plan database: for every row, delete the object's (and category's) slots
   over the local month in the object's zone and insert the month's amount spread evenly over them;
3. set the file's status to 'done', in the same transaction when both databases are on one server (the
   usual case), else right after (a crash in between leaves the file 'new', and processing it again
   writes the same rows). Transient database errors propagate for the caller to retry.

Plans are not measured data: nothing downstream recomputes from them, so no dirty ranges are marked.
"""

from __future__ import annotations

import logging

import mysql.connector

from myems_common.db import Database, bulk_insert
from myems_common.planbooks import (
    check_energy_plan_file,
    energy_plan_slots,
    load_energy_categories,
    load_plan_objects,
    parse_energy_plan_file,
)
from myems_common.workbooks import WorkbookError, in_sheet_order
from myems_normalization.uploads import finish, read_new_file, refuse, same_server, set_status

log = logging.getLogger(__name__)

FILES = 'tbl_energy_plan_files'
MAX_LOGGED = 100  # problems logged one by one (the summary counts them all)


def process_energy_plan_file(db: Database, file_id: int) -> str | None:
    """Write the plan slots of one 'new' energy plan file; returns its new status, None if it was not new."""
    blob = read_new_file(db, FILES, file_id)
    if blob is None:
        return None
    settings = db.settings
    minutes = settings.minutes_to_count
    try:
        parsed = parse_energy_plan_file(blob)
        with db.transaction('system') as cur:
            objects = load_plan_objects(cur, parsed.object_ids(), settings.default_timezone)
            categories = load_energy_categories(cur, parsed.category_ids)
        problems = check_energy_plan_file(parsed, objects, categories)
        if problems:
            raise WorkbookError(in_sheet_order(problems))
        months = energy_plan_slots(parsed, objects, minutes)
        together = same_server(settings, 'energy_plan', 'historical')
        with db.transaction('energy_plan') as cur:
            for month in months:
                series = month.series
                where = f'{series.entity_column} = %s'
                key: tuple[int, ...] = (month.object_id,)
                if month.category_id is not None and series.dimension_column:
                    where += f' AND {series.dimension_column} = %s'
                    key += (month.category_id,)
                where += ' AND start_datetime_utc >= %s AND start_datetime_utc < %s'
                cur.execute(f'DELETE FROM {series.table} WHERE {where}', (*key, month.start, month.end))
                bulk_insert(cur, series.table, (*series.key_columns, 'actual_value'), month.rows())
            if together:
                set_status(cur, FILES, file_id, 'done', settings.db('historical').database)
    except WorkbookError as error:
        for problem in error.problems[:MAX_LOGGED]:
            log.error('energy plan file %s: %s', file_id, problem)
        return refuse(db, FILES, file_id, error)
    except mysql.connector.Error as error:
        return refuse(db, FILES, file_id, error)
    if not together:
        finish(db, FILES, file_id, 'done')
    log.info('energy plan file %s: %d months, %d slots', file_id, len(months), sum(len(m.slots) for m in months))
    return 'done'
