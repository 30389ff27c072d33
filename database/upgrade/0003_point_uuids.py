"""Give every point a uuid, so that readings can be pushed over HTTP by a stable key (MyEMS points have
only their id).

Adds `myems_system_db.tbl_points.uuid` (filled for existing rows, a fresh one by default for new rows)
with a unique key; a database that has it already is left as it is.
"""

from __future__ import annotations

import logging
from typing import Any

from myems_common.introspect import column_exists, table_exists

log = logging.getLogger(__name__)


def upgrade(cur: Any, settings: Any) -> None:
    database = settings.db('system').database
    table = f'`{database}`.`tbl_points`'
    if not table_exists(cur, database, 'tbl_points') or column_exists(cur, database, 'tbl_points', 'uuid'):
        return
    cur.execute(f'ALTER TABLE {table} ADD COLUMN `uuid` CHAR(36) NULL AFTER `name`')
    cur.execute(f'UPDATE {table} SET `uuid` = UUID() WHERE `uuid` IS NULL')
    cur.execute(
        f'ALTER TABLE {table} MODIFY COLUMN `uuid` CHAR(36) NOT NULL DEFAULT (UUID()),'
        ' ADD UNIQUE KEY `uq_uuid` (`uuid`)'
    )
    cur.execute(f'SELECT COUNT(*) FROM {table}')
    log.info('%s: added uuid to %d points', table, cur.fetchone()[0])
