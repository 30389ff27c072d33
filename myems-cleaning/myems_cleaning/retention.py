"""Retention of analog and digital readings: rows older than LIVE_IN_DAYS are deleted in bounded
batches (each its own short transaction), never in one statement that locks the table for minutes.
Energy readings are kept: they are the record normalization recomputes from."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from myems_common.db import Database
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
TABLES = ('tbl_analog_value', 'tbl_digital_value')


def purge(db: Database, live_in_days: int, batch: int = 10_000, now: datetime | None = None) -> dict[str, int]:
    """Delete readings older than the retention period; the rows deleted per table."""
    cutoff = (now or utc_now()) - timedelta(days=live_in_days)
    deleted = {}
    for table in TABLES:
        total = 0
        while True:
            with db.transaction('historical') as cur:
                cur.execute(f'DELETE FROM {table} WHERE utc_date_time < %s LIMIT {int(batch)}', (cutoff,))
                count = cur.rowcount
            total += count
            if count < batch:
                break
        deleted[table] = total
        if total:
            log.info('%s: deleted %d readings older than %s', table, total, cutoff)
    return deleted
