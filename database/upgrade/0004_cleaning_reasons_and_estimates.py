"""Columns the cleaning and normalization stages need, on databases installed before them (or from MyEMS).

* myems_historical_db.tbl_energy_value.bad_reason: why cleaning flagged a reading (range, dip, spike),
  and the index ix_energy_value_unclean (is_bad, point_id) that finds readings not yet examined.
* myems_energy_db.tbl_{meter,virtual_meter,offline_meter}_hourly.is_estimated: the slot's energy was
  spread over a gap in the readings rather than measured.

Each change is skipped where it is already present.
"""

from __future__ import annotations

import logging
from typing import Any

from myems_common.introspect import column_exists, table_exists

log = logging.getLogger(__name__)


def _has_index(cur: Any, database: str, table: str, index: str) -> bool:
    cur.execute(
        'SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = %s AND table_name = %s'
        ' AND index_name = %s',
        (database, table, index),
    )
    return bool(cur.fetchone()[0])


def upgrade(cur: Any, settings: Any) -> None:
    historical = settings.db('historical').database
    if table_exists(cur, historical, 'tbl_energy_value'):
        table = f'`{historical}`.`tbl_energy_value`'
        if not column_exists(cur, historical, 'tbl_energy_value', 'bad_reason'):
            cur.execute(f'ALTER TABLE {table} ADD COLUMN `bad_reason` VARCHAR(16) NULL')
            log.info('%s: added bad_reason', table)
        if not _has_index(cur, historical, 'tbl_energy_value', 'ix_energy_value_unclean'):
            cur.execute(f'ALTER TABLE {table} ADD KEY `ix_energy_value_unclean` (`is_bad`, `point_id`)')
            log.info('%s: added ix_energy_value_unclean', table)
    energy = settings.db('energy').database
    for name in ('tbl_meter_hourly', 'tbl_virtual_meter_hourly', 'tbl_offline_meter_hourly'):
        if table_exists(cur, energy, name) and not column_exists(cur, energy, name, 'is_estimated'):
            cur.execute(f'ALTER TABLE `{energy}`.`{name}` ADD COLUMN `is_estimated` BOOL NOT NULL DEFAULT 0')
            log.info('%s.%s: added is_estimated', energy, name)
