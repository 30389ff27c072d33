"""What the billing and carbon stages need, on databases installed before them (or from MyEMS).

* myems_system_db.tbl_tariffs: `currency` (ISO 4217, default CNY as MyEMS prices), `timezone` (the IANA
  zone its times of day are read in; NULL: the default time zone), `working_calendar_id` (its non-working
  days are the tariff's holidays) and `structure` (the JSON of docs/tariffs.md).
* myems_system_db.tbl_energy_categories.ghg_scope: the GHG Protocol scope (1, 2 or 3) of its emissions.
* myems_system_db.tbl_emission_factors: kg CO2e per unit of a category over a validity range.
* myems_billing_db.tbl_unpriced_slots and myems_energy_db.tbl_incomplete_slots (as the install SQL has them).

Each change is skipped where it is already present.
"""

from __future__ import annotations

import logging
from typing import Any

from myems_common.introspect import column_exists, table_exists
from myems_common.schema import database_dir, split_statements, step_table_sql

log = logging.getLogger(__name__)

COLUMNS = {
    'tbl_tariffs': (
        ('currency', "CHAR(3) NOT NULL DEFAULT 'CNY'"),
        ('timezone', 'VARCHAR(64) NULL'),
        ('working_calendar_id', 'BIGINT NULL'),
        ('structure', 'LONGTEXT NULL'),
    ),
    'tbl_energy_categories': (('ghg_scope', 'TINYINT NULL'),),
}


def install_statement(table: str) -> str:
    """The CREATE statement of one myems_system_db table, as the install SQL has it."""
    text = (database_dir() / 'install' / 'myems_system_db.sql').read_text(encoding='utf-8')
    wanted = f'CREATE TABLE IF NOT EXISTS `{table}`'
    return next(s for s in split_statements(text) if s.startswith(wanted))


def upgrade(cur: Any, settings: Any) -> None:
    system = settings.db('system').database
    for table, columns in COLUMNS.items():
        if not table_exists(cur, system, table):
            continue
        for column, definition in columns:
            if not column_exists(cur, system, table, column):
                cur.execute(f'ALTER TABLE `{system}`.`{table}` ADD COLUMN `{column}` {definition}')
                log.info('%s.%s: added %s', system, table, column)
    if not table_exists(cur, system, 'tbl_emission_factors'):
        statement = install_statement('tbl_emission_factors')
        cur.execute(statement.replace('`tbl_emission_factors`', f'`{system}`.`tbl_emission_factors`', 1))
        log.info('%s: created tbl_emission_factors', system)
    for key in ('billing', 'energy'):
        cur.execute(step_table_sql(key, settings.db(key).database))
