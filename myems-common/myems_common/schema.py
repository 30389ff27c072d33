"""Install the thirteen databases, apply migrations, and generate the slot databases' SQL.

python -m myems_common.schema install    # database/install/*.sql; safe to re-run, never drops
python -m myems_common.schema migrate    # pending database/upgrade/NNNN_*.{sql,py}, recorded
python -m myems_common.schema status     # applied and pending migrations
python -m myems_common.schema generate   # rewrite the slot databases' install SQL from series.py
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from myems_common import db as dbmod
from myems_common.config import DATABASES, Settings, load_settings
from myems_common.daily import BAND_COLUMNS, daily_table, has_daily
from myems_common.logsetup import setup_logging
from myems_common.series import MODEL_DATABASE, PIPELINE_DATABASES, SLOT_DATABASES, SeriesKey, all_series
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
MIGRATION_FILE = re.compile(r'^(\d{4})_([a-z0-9_]+)\.(sql|py)$')
MIGRATIONS_TABLE = 'tbl_schema_migrations'


def database_dir() -> Path:
    """database/ of the project: $MYEMS_DATABASE_DIR, or found above this package."""
    configured = os.environ.get('MYEMS_DATABASE_DIR')
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        if (parent / 'database' / 'install').is_dir():
            return parent / 'database'
    raise FileNotFoundError('database/install not found; set MYEMS_DATABASE_DIR')


def split_statements(text: str) -> list[str]:
    """Split SQL text on top-level semicolons, skipping comments and honouring quotes."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    quote = ''
    while i < n:
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == '\\' and quote != '`' and i + 1 < n:
                current.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = ''
        elif ch in '\'"`':
            quote = ch
            current.append(ch)
        elif text.startswith('--', i) or ch == '#':
            end = text.find('\n', i)
            i = n if end < 0 else end
            continue
        elif text.startswith('/*', i):
            end = text.find('*/', i + 2)
            i = n if end < 0 else end + 2
            continue
        elif ch == ';':
            statement = ''.join(current).strip()
            if statement:
                statements.append(statement)
            current = []
        else:
            current.append(ch)
        i += 1
    tail = ''.join(current).strip()
    if tail:
        statements.append(tail)
    return statements


def _retarget(statement: str, default_name: str, configured_name: str) -> str:
    """Point CREATE DATABASE / USE at a configured database name other than MyEMS's."""
    if default_name == configured_name:
        return statement
    return statement.replace(f'`{default_name}`', f'`{configured_name}`')


def _admin_connection(settings: Settings) -> Any:
    return dbmod.connect(settings.db('system'), database=None, autocommit=True)


def install(settings: Settings, directory: Path | None = None) -> None:
    """Run every install file in order. Re-running creates what is missing and keeps all data."""
    directory = (directory or database_dir()) / 'install'
    conn = _admin_connection(settings)
    try:
        cur = conn.cursor()
        for key, name in DATABASES.items():
            path = directory / f'{name}.sql'
            configured = settings.db(key).database
            statements = split_statements(path.read_text(encoding='utf-8'))
            for statement in statements:
                cur.execute(_retarget(statement, name, configured))
                if cur.with_rows:
                    cur.fetchall()
            log.info('installed %s (%d statements)', configured, len(statements))
        cur.close()
    finally:
        conn.close()


# --------------------------------------------------------------------------------------- migrations
@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover_migrations(directory: Path | None = None) -> list[Migration]:
    directory = (directory or database_dir()) / 'upgrade'
    found: dict[int, Migration] = {}
    for path in sorted(directory.iterdir()):
        match = MIGRATION_FILE.match(path.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise ValueError(f'two migrations numbered {version:04d}: {found[version].path.name}, {path.name}')
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def _ensure_migrations_table(cur: Any, system_db: str) -> None:
    cur.execute(
        f'CREATE TABLE IF NOT EXISTS `{system_db}`.`{MIGRATIONS_TABLE}` ('
        ' `version` INT NOT NULL, `name` VARCHAR(255) NOT NULL, `checksum` CHAR(64) NOT NULL,'
        ' `applied_datetime_utc` DATETIME NOT NULL, PRIMARY KEY (`version`)'
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci'
    )


def applied_versions(cur: Any, system_db: str) -> dict[int, str]:
    _ensure_migrations_table(cur, system_db)
    cur.execute(f'SELECT `version`, `checksum` FROM `{system_db}`.`{MIGRATIONS_TABLE}`')
    return {int(v): c for v, c in cur.fetchall()}


def _run_migration(cur: Any, migration: Migration, settings: Settings) -> None:
    if migration.path.suffix == '.sql':
        for statement in split_statements(migration.path.read_text(encoding='utf-8')):
            for key, name in DATABASES.items():
                statement = _retarget(statement, name, settings.db(key).database)
            cur.execute(statement)
            if cur.with_rows:
                cur.fetchall()
        return
    spec = importlib.util.spec_from_file_location(f'myems_migration_{migration.version:04d}', migration.path)
    if spec is None or spec.loader is None:
        raise ImportError(f'cannot load migration {migration.path}')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.upgrade(cur, settings)


def migrate(settings: Settings, directory: Path | None = None) -> list[Migration]:
    """Apply pending migrations in order and record each; returns those applied (none on a re-run)."""
    system_db = settings.db('system').database
    conn = _admin_connection(settings)
    ran: list[Migration] = []
    try:
        cur = conn.cursor()
        done = applied_versions(cur, system_db)
        for migration in discover_migrations(directory):
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    log.warning('migration %04d_%s changed after it was applied', migration.version, migration.name)
                continue
            log.info('applying migration %04d_%s', migration.version, migration.name)
            _run_migration(cur, migration, settings)
            cur.execute(
                f'INSERT INTO `{system_db}`.`{MIGRATIONS_TABLE}`'
                ' (`version`, `name`, `checksum`, `applied_datetime_utc`) VALUES (%s, %s, %s, %s)',
                (migration.version, migration.name, migration.checksum, utc_now()),
            )
            ran.append(migration)
        cur.close()
    finally:
        conn.close()
    return ran


# --------------------------------------------------------------------------------------- generation
_TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci'
_PIPELINE_TABLES = """
-- Per-object watermark of a pipeline stage: everything before processed_until_utc is done.
CREATE TABLE IF NOT EXISTS `tbl_pipeline_progress` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `step` VARCHAR(64) NOT NULL,
  `object_id` BIGINT NOT NULL,
  `processed_until_utc` DATETIME NOT NULL,
  `updated_datetime_utc` DATETIME NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uk_pipeline_progress` (`step`, `object_id`)
) {options};

-- Ranges a downstream stage must recompute (late data, repairs, configuration changes).
CREATE TABLE IF NOT EXISTS `tbl_pipeline_dirty_ranges` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `step` VARCHAR(64) NOT NULL,
  `object_id` BIGINT NOT NULL,
  `start_datetime_utc` DATETIME NOT NULL,
  `end_datetime_utc` DATETIME NOT NULL,
  `reason` VARCHAR(64) NOT NULL,
  `created_datetime_utc` DATETIME NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_pipeline_dirty_ranges` (`step`, `object_id`, `start_datetime_utc`)
) {options};
"""


# Bookkeeping tables a pipeline database holds beside its slot tables (created by migration 0005 on older
# databases). Slots the billing steps could not price, and roll-up slots some of whose sources were missing.
_STEP_TABLES = {
    'billing': """
-- Slots a billing step could not price, with their energy: no cost centre, no tariff or no band covers them.
CREATE TABLE IF NOT EXISTS {prefix}`tbl_unpriced_slots` (
  `step` VARCHAR(64) NOT NULL,
  `object_id` BIGINT NOT NULL,
  `energy_category_id` BIGINT NOT NULL,
  `start_datetime_utc` DATETIME NOT NULL,
  `energy` DECIMAL(21, 6) NOT NULL,
  `reason` VARCHAR(64) NOT NULL,
  PRIMARY KEY (`step`, `object_id`, `energy_category_id`, `start_datetime_utc`),
  KEY `ix_tbl_unpriced_slots_time` (`start_datetime_utc`)
) {options};
""",
    'energy': """
-- Roll-up slots computed while some of their sources had no slot yet.
CREATE TABLE IF NOT EXISTS {prefix}`tbl_incomplete_slots` (
  `step` VARCHAR(64) NOT NULL,
  `object_id` BIGINT NOT NULL,
  `start_datetime_utc` DATETIME NOT NULL,
  `sources_present` INT NOT NULL,
  `sources_expected` INT NOT NULL,
  PRIMARY KEY (`step`, `object_id`, `start_datetime_utc`),
  KEY `ix_tbl_incomplete_slots_time` (`start_datetime_utc`)
) {options};
""",
}


def step_table_sql(key: str, database: str | None = None) -> str:
    """The CREATE statement of database `key`'s bookkeeping table beside its slots ('' if none); with
    `database`, the table name is qualified by it (for migrations)."""
    template = _STEP_TABLES.get(key)
    if template is None:
        return ''
    prefix = f'`{database}`.' if database else ''
    return template.format(prefix=prefix, options=_TABLE_OPTIONS).strip() + '\n'


def _slot_table_sql(key: SeriesKey) -> str:
    columns = ['  `id` BIGINT NOT NULL AUTO_INCREMENT,', f'  `{key.entity_column}` BIGINT NOT NULL,']
    if key.dimension_column:
        columns.append(f'  `{key.dimension_column}` BIGINT NOT NULL,')
    time_type = 'INT' if key.time_column == 'hour_of_year' else 'DATETIME'
    columns.append(f'  `{key.time_column}` {time_type} NOT NULL,')
    columns.append('  `actual_value` DECIMAL(21, 6) NOT NULL,')
    if key.has_estimates:
        columns.append('  `is_estimated` BOOL NOT NULL DEFAULT 0,')
    keys = ', '.join(f'`{c}`' for c in key.key_columns)
    columns.append(f'  PRIMARY KEY ({keys}),')
    columns.append(f'  UNIQUE KEY `uk_{key.table}_id` (`id`),')
    columns.append(f'  KEY `ix_{key.table}_time` (`{key.time_column}`)')
    return f'CREATE TABLE IF NOT EXISTS `{key.table}` (\n' + '\n'.join(columns) + f'\n) {_TABLE_OPTIONS};\n'


def daily_table_sql(key: SeriesKey, database: str | None = None) -> str:
    """The CREATE statement of the daily sums beside an hourly family (`myems_common.daily`); with `database`,
    the table name is qualified by it (for migrations)."""
    dimension = key.dimension_column
    columns = [f'  `{key.entity_column}` BIGINT NOT NULL,']
    if dimension:
        columns.append(f'  `{dimension}` BIGINT NOT NULL,')
    columns.append('  `start_datetime_utc` DATETIME NOT NULL,')
    columns.append('  `actual_value` DECIMAL(21, 6) NOT NULL,')
    columns += [f'  `{band}` DECIMAL(21, 6) NULL,' for band in BAND_COLUMNS]
    keys = ', '.join(f'`{c}`' for c in key.key_columns)
    columns.append(f'  PRIMARY KEY ({keys})')
    prefix = f'`{database}`.' if database else ''
    return (
        f'CREATE TABLE IF NOT EXISTS {prefix}`{daily_table(key)}` (\n' + '\n'.join(columns) + f'\n) {_TABLE_OPTIONS};\n'
    )


_PURPOSE = {
    'energy': 'consumption (or production, for output tables) per slot, in the energy category unit',
    'billing': 'cost per slot, in the tariff currency',
    'carbon': 'emissions per slot, in kgCO2e',
    'energy_baseline': 'baseline consumption per slot, read by the saving reports',
    'energy_plan': 'planned consumption per slot, read by the plan reports',
    'energy_prediction': 'predicted consumption per slot, read by the prediction reports',
    'energy_model': 'an annual 8760-hour consumption profile, keyed by hour of the year (0..8759)',
}


def generate_slot_sql(key: str) -> str:
    """The install SQL of one slot database, generated from series.FAMILIES."""
    name = DATABASES[key]
    parts = [
        f'-- {name}: {_PURPOSE[key]}.',
        '-- Generated by `python -m myems_common.schema generate` from myems_common/series.py; do not edit.',
        '-- One row per entity, dimension and slot: the primary key makes every write an idempotent upsert.',
        '',
        f'CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;',
        f'USE `{name}`;',
        '',
    ]
    for series in all_series():
        if series.database == key:
            parts.append(_slot_table_sql(series))
    daily = [series for series in all_series() if series.database == key and has_daily(series)]
    if daily:
        parts.append(
            "-- Daily sums of the hourly rows above, per local day of the object's zone (myems_common/daily.py),\n"
            '-- and of its time-of-use bands (NULL: not split into bands).'
        )
        parts += [daily_table_sql(series) for series in daily]
    if key in PIPELINE_DATABASES:
        parts.append(_PIPELINE_TABLES.format(options=_TABLE_OPTIONS).strip() + '\n')
    if key in _STEP_TABLES:
        parts.append(step_table_sql(key))
    return '\n'.join(parts)


def generate(directory: Path | None = None) -> list[Path]:
    directory = (directory or database_dir()) / 'install'
    written = []
    for key in (*SLOT_DATABASES, MODEL_DATABASE):
        path = directory / f'{DATABASES[key]}.sql'
        path.write_text(generate_slot_sql(key), encoding='utf-8')
        written.append(path)
    return written


def _iter_status(settings: Settings) -> Iterator[str]:
    conn = _admin_connection(settings)
    try:
        cur = conn.cursor()
        done = applied_versions(cur, settings.db('system').database)
        for migration in discover_migrations():
            state = 'applied' if migration.version in done else 'pending'
            yield f'{migration.version:04d}_{migration.name}: {state}'
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m myems_common.schema', description=__doc__.split('\n')[0])
    parser.add_argument('command', choices=('install', 'migrate', 'status', 'generate'))
    args = parser.parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level)
    if args.command == 'generate':
        for path in generate():
            log.info('wrote %s', path)
    elif args.command == 'install':
        install(settings)
    elif args.command == 'migrate':
        ran = migrate(settings)
        log.info('%d migration(s) applied', len(ran))
    else:
        for line in _iter_status(settings):
            sys.stdout.write(line + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
