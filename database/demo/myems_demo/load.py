"""Write the demo campus into myems_system_db and myems_user_db: ``python -m myems_demo.load``.

Every row has a fixed id (or a unique pair, for relation tables) and is written with an upsert, so a
second run updates the rows in place and never duplicates them. One transaction per database.
Rows that a later version of the campus no longer contains are left alone (nothing is deleted).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from myems_common.config import Settings, load_settings
from myems_common.db import Database, bulk_upsert
from myems_common.logsetup import setup_logging
from myems_common.passwords import hash_password, salt_of
from myems_common.timeutil import to_utc, utc_now, zone
from myems_demo.campus import DEMO_PASSWORDS, TIMEZONE, Campus, DemoUser, build_campus, demo_uuid

log = logging.getLogger('myems_demo.load')

FAR_FUTURE = datetime(2099, 12, 31, 23, 59, 59)
USER_COLUMNS = (
    'id', 'name', 'uuid', 'display_name', 'email', 'phone', 'salt', 'password', 'is_admin', 'is_read_only',
    'privilege_id', 'account_expiration_datetime_utc', 'password_expiration_datetime_utc', 'failed_login_count',
)  # fmt: skip


@dataclass(frozen=True)
class TableRows:
    """The rows to upsert into one table."""

    database: str
    table: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def user_rows(users: Sequence[DemoUser]) -> list[tuple[Any, ...]]:
    """tbl_users rows with the demo passwords hashed (scrypt); `salt` repeats the hash's salt."""
    rows = []
    for user in users:
        stored = hash_password(DEMO_PASSWORDS[user.name])
        rows.append((
            user.id, user.name, demo_uuid('tbl_users', user.id), user.display_name, user.email, None,
            salt_of(stored), stored, user.is_admin, user.is_read_only, user.privilege_id, FAR_FUTURE, FAR_FUTURE, 0,
        ))  # fmt: skip
    return rows


def campus_tables(campus: Campus) -> list[TableRows]:
    """Everything to write, in dependency order: entity tables, then relations, then users."""
    tables = [
        TableRows(group[0].DATABASE, group[0].TABLE, group[0].columns(), [row.values() for row in group])
        for group in campus.rows
        if group
    ]
    tables += [TableRows('system', link.table, link.columns, list(link.rows)) for link in campus.links]
    tables.append(TableRows('user', 'tbl_users', USER_COLUMNS, user_rows(campus.users)))
    return tables


def write_tables(db: Database, tables: Sequence[TableRows]) -> dict[str, int]:
    """Upsert every table, one transaction per database; returns rows sent per table."""
    counts: dict[str, int] = {}
    for database in dict.fromkeys(t.database for t in tables):
        with db.transaction(database) as cur:
            for t in (t for t in tables if t.database == database):
                counts[t.table] = bulk_upsert(cur, t.table, t.columns, t.rows)
    return counts


def timezone_id(db: Database, name: str = TIMEZONE) -> int:
    row = db.fetch_one('system', 'SELECT id FROM tbl_timezones WHERE name = %s', (name,))
    if row is None:
        raise LookupError(
            f'time zone {name!r} is missing from tbl_timezones; run `python -m myems_common.schema install`'
        )
    return int(row[0])


def demo_campus(db: Database, settings: Settings) -> Campus:
    tz = zone(TIMEZONE)
    return build_campus(
        timezone_id=timezone_id(db),
        year=utc_now().year,
        to_utc=lambda local: to_utc(local, tz),
        mqtt=(settings.mqtt_broker_host, settings.mqtt_broker_port),
    )


def load(db: Database, settings: Settings) -> dict[str, int]:
    """Write the demo campus; returns rows written per table."""
    return write_tables(db, campus_tables(demo_campus(db, settings)))


def main() -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    db = Database(settings)
    started = time.monotonic()
    try:
        counts = load(db, settings)
    finally:
        db.close()
    log.info(
        'demo campus loaded in %.1f s: %d spaces, %d meters, %d virtual meters, %d offline meters, %d points, '
        '%d equipments, %d users; %d rows in %d tables',
        time.monotonic() - started, counts['tbl_spaces'], counts['tbl_meters'], counts['tbl_virtual_meters'],
        counts['tbl_offline_meters'], counts['tbl_points'], counts['tbl_equipments'], counts['tbl_users'],
        sum(counts.values()), len(counts),
    )  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(main())
