"""Columns the cleaning and normalization stages need, on databases installed before them (or from MyEMS).

* myems_historical_db.tbl_energy_value.bad_reason: why cleaning flagged a reading (range, dip, spike).
* myems_energy_db.tbl_{meter,virtual_meter,offline_meter}_hourly.is_estimated: the slot's energy was
  spread over a gap in the readings rather than measured.

Each change is skipped where it is already present.
"""

from __future__ import annotations

import logging
from typing import Any

from myems_common.introspect import column_exists, table_exists

log = logging.getLogger(__name__)


def upgrade(cur: Any, settings: Any) -> None:
    historical = settings.db('historical').database
    if table_exists(cur, historical, 'tbl_energy_value'):
        table = f'`{historical}`.`tbl_energy_value`'
        if not column_exists(cur, historical, 'tbl_energy_value', 'bad_reason'):
            cur.execute(f'ALTER TABLE {table} ADD COLUMN `bad_reason` VARCHAR(16) NULL')
            log.info('%s: added bad_reason', table)
    energy = settings.db('energy').database
    for name in ('tbl_meter_hourly', 'tbl_virtual_meter_hourly', 'tbl_offline_meter_hourly'):
        if table_exists(cur, energy, name) and not column_exists(cur, energy, name, 'is_estimated'):
            cur.execute(f'ALTER TABLE `{energy}`.`{name}` ADD COLUMN `is_estimated` BOOL NOT NULL DEFAULT 0')
            log.info('%s.%s: added is_estimated', energy, name)
