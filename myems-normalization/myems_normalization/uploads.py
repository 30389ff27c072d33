"""What offline meter and data repair file processing share: reading a queued file, setting its status."""

from __future__ import annotations

import logging
from typing import Any

import mysql.connector

from myems_common.config import Settings
from myems_common.db import Database, is_transient
from myems_common.workbooks import WorkbookError, summary

log = logging.getLogger(__name__)


def same_server(settings: Settings, first: str, second: str) -> bool:
    """True when two databases are reachable through one connection (same host, port and user)."""
    a, b = settings.db(first), settings.db(second)
    return (a.host, a.port, a.user) == (b.host, b.port, b.user)


def read_new_file(db: Database, table: str, file_id: int) -> bytes | None:
    """The file's bytes while its status is 'new'; None when it is gone or already handled."""
    row = db.fetch_one('historical', f'SELECT status, file_object FROM {table} WHERE id = %s', (file_id,))
    if row is None or row[0] != 'new':
        log.info('%s %s: nothing to do (%s)', table, file_id, 'missing' if row is None else row[0])
        return None
    return bytes(row[1])


def set_status(cur: Any, table: str, file_id: int, status: str, database: str | None = None) -> None:
    """Move a 'new' file to `status` with `cur` (on the historical database, or naming it in `database`)."""
    target = f'`{database}`.`{table}`' if database else f'`{table}`'
    cur.execute(f"UPDATE {target} SET status = %s WHERE id = %s AND status = 'new'", (status, file_id))


def finish(db: Database, table: str, file_id: int, status: str) -> None:
    """Set the status in a transaction of its own."""
    with db.transaction('historical') as cur:
        set_status(cur, table, file_id, status)


def refuse(db: Database, table: str, file_id: int, error: WorkbookError | mysql.connector.Error) -> str:
    """Mark a file that cannot be processed as 'error' and log why; transient database errors propagate."""
    if isinstance(error, mysql.connector.Error) and is_transient(error):
        raise error
    reason = summary(error.problems) if isinstance(error, WorkbookError) else str(error)
    log.error('%s %s refused: %s', table, file_id, reason)
    finish(db, table, file_id, 'error')
    return 'error'
