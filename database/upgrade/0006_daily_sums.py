"""Daily sums beside the hierarchy's hourly tables (myems_common/daily.py), on databases installed before them.

Creates the `tbl_<entity>_<direction>_<dimension>_daily` tables of the energy, billing and carbon databases
as the install SQL has them, and fills them from the hourly rows already there, each object's days in its
zone, so reports may read them wherever the aggregation steps have written.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from myems_common.daily import has_daily, object_zones, refresh_daily, zone_or, zones_sql
from myems_common.schema import daily_table_sql
from myems_common.series import all_series

log = logging.getLogger(__name__)


def upgrade(cur: Any, settings: Any) -> None:
    system = settings.db('system').database
    zones: dict[str, Any] = {}
    for key in all_series():
        if not has_daily(key):
            continue
        database = settings.db(key.database).database
        cur.execute(daily_table_sql(key, database))
        if key.entity not in zones:
            cur.execute(f'USE `{system}`')
            cur.execute(zones_sql(key.entity))
            zones[key.entity] = object_zones(cur.fetchall(), settings.default_timezone)
        cur.execute(f'USE `{database}`')
        dimension = key.dimension_column or '0'
        cur.execute(
            f'SELECT {key.entity_column}, {dimension}, MIN(start_datetime_utc), MAX(start_datetime_utc)'
            f' FROM `{key.table}` GROUP BY 1, 2'
        )
        for object_id, named, first, last in cur.fetchall():
            tz = zones[key.entity].get(int(object_id)) or zone_or(None, settings.default_timezone)
            refresh_daily(cur, key, int(object_id), first, last + timedelta(hours=1), tz, {named})
        log.info('%s.%s: filled from the hourly rows', database, key.table.replace('_hourly', '_daily'))
