"""Add the unique keys that MyEMS lacks, merging duplicate rows first.

A database that started life under MyEMS has only non-unique indexes on its slot tables and raw value
tables, so a crash and a retry can leave two rows for one slot, which every SUM then counts twice.
This keeps the newest row (highest id) of each duplicate group and adds the key. On a database
installed by this project the keys exist already, and nothing changes.
"""

from __future__ import annotations

import logging
from typing import Any

from myems_common.introspect import has_unique, table_exists
from myems_common.series import all_series

log = logging.getLogger(__name__)
RAW_TABLES = ('tbl_energy_value', 'tbl_analog_value', 'tbl_digital_value', 'tbl_text_value')


def ensure_unique(cur: Any, database: str, table: str, columns: tuple[str, ...]) -> None:
    if not table_exists(cur, database, table) or has_unique(cur, database, table, columns):
        return
    on = ' AND '.join(f'a.`{c}` = b.`{c}`' for c in columns)
    table_ref = f'`{database}`.`{table}`'
    cur.execute(
        f'DELETE FROM {table_ref} WHERE `id` IN (SELECT `id` FROM ('
        f'SELECT a.`id` FROM {table_ref} a JOIN {table_ref} b ON {on} AND a.`id` < b.`id`) AS doomed)'
    )
    removed = cur.rowcount
    key_columns = ', '.join(f'`{c}`' for c in columns)
    cur.execute(f'ALTER TABLE `{database}`.`{table}` ADD UNIQUE KEY `uk_{table}` ({key_columns})')
    log.info('%s.%s: removed %d duplicate row(s), added a unique key on %s', database, table, removed, key_columns)


def upgrade(cur: Any, settings: Any) -> None:
    for series in all_series():
        ensure_unique(cur, settings.db(series.database).database, series.table, series.key_columns)
    historical = settings.db('historical').database
    for table in RAW_TABLES:
        ensure_unique(cur, historical, table, ('point_id', 'utc_date_time'))
        ensure_unique(cur, historical, f'{table}_latest', ('point_id',))
