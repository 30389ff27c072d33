"""Count wrong guesses of a mailed verification code, so that a 6-digit code cannot be brute-forced.

Adds `myems_user_db.tbl_verification_codes.failed_attempts`; on a database that has it already
(installed by this project, or a re-run after a crash) nothing changes.
"""

from __future__ import annotations

import logging
from typing import Any

from myems_common.introspect import column_exists, table_exists

log = logging.getLogger(__name__)


def upgrade(cur: Any, settings: Any) -> None:
    database = settings.db('user').database
    table = 'tbl_verification_codes'
    if not table_exists(cur, database, table) or column_exists(cur, database, table, 'failed_attempts'):
        return
    cur.execute(f'ALTER TABLE `{database}`.`{table}` ADD COLUMN `failed_attempts` INT NOT NULL DEFAULT 0')
    log.info('%s.%s: added failed_attempts', database, table)
