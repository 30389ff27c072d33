"""Retention deletes analog and digital readings older than LIVE_IN_DAYS in bounded batches, keeps the rest,
and never touches energy readings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from myems_cleaning.retention import purge
from myems_common.db import Database

NOW = datetime(2026, 11, 26, 12)


def test_old_analog_and_digital_readings_go_in_batches(fresh_databases: Any) -> None:
    db = Database(fresh_databases('retention'))
    try:
        with db.transaction('historical') as cur:
            for table in ('tbl_analog_value', 'tbl_digital_value', 'tbl_energy_value'):
                cur.executemany(
                    f'INSERT INTO {table} (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
                    [(p, NOW - timedelta(days=d), d) for p in (1, 2) for d in range(0, 40)],
                )
        deleted = purge(db, live_in_days=30, batch=7, now=NOW)
        assert deleted == {'tbl_analog_value': 18, 'tbl_digital_value': 18}  # days 31..39 of two points
        for table, kept in (('tbl_analog_value', 62), ('tbl_digital_value', 62), ('tbl_energy_value', 80)):
            assert db.fetch_one('historical', f'SELECT COUNT(*) FROM {table}')[0] == kept
        oldest = db.fetch_one('historical', 'SELECT MIN(utc_date_time) FROM tbl_analog_value')[0]
        assert oldest == NOW - timedelta(days=30)
    finally:
        db.close()
