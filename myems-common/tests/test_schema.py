from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from myems_common import db as dbmod
from myems_common.config import DATABASES, Settings
from myems_common.introspect import has_unique, tables, unique_indexes
from myems_common.schema import (
    MIGRATIONS_TABLE,
    database_dir,
    discover_migrations,
    generate_slot_sql,
    install,
    migrate,
    split_statements,
)
from myems_common.series import MODEL_DATABASE, SLOT_DATABASES, all_series

INSTALL = database_dir() / 'install'
FORBIDDEN = {
    'DROP': re.compile(r'\bDROP\s+(DATABASE|TABLE|INDEX|COLUMN)\b', re.I),
    'MySQL-8-only collation': re.compile(r'utf8mb4_0900', re.I),
    'JSON arrow operator': re.compile(r'->>'),
    'row alias upsert': re.compile(r'\bAS\s+new\b', re.I),
    'JSON column type': re.compile(r'`\s+JSON\b', re.I),
    'INVISIBLE index': re.compile(r'\bINVISIBLE\b', re.I),
    'REGEXP_LIKE': re.compile(r'REGEXP_LIKE', re.I),
    'standalone CREATE INDEX': re.compile(r'^\s*CREATE\s+(UNIQUE\s+)?INDEX', re.I | re.M),
}


def admin(settings: Settings) -> Any:
    return dbmod.connect(settings.db('system'), database=None, autocommit=True)


def table_counts(settings: Settings) -> dict[str, int]:
    conn = admin(settings)
    cur = conn.cursor()
    counts = {}
    for key in DATABASES:
        name = settings.db(key).database
        for table in tables(cur, name):
            cur.execute(f'SELECT COUNT(*) FROM `{name}`.`{table}`')
            counts[f'{key}.{table}'] = cur.fetchone()[0]
    conn.close()
    return counts


def test_splitter_honours_quotes_and_comments() -> None:
    sql = "-- a; comment\nINSERT INTO t VALUES ('a;b', \"c;d\", `e;f`);\n/* x; y */ SELECT 1; # tail;\nSELECT 'it''s';"
    assert split_statements(sql) == ['INSERT INTO t VALUES (\'a;b\', "c;d", `e;f`)', 'SELECT 1', "SELECT 'it''s'"]


def test_there_is_one_install_file_per_database_and_none_drops_anything() -> None:
    files = sorted(p.name for p in INSTALL.glob('*.sql'))
    assert files == sorted(f'{name}.sql' for name in DATABASES.values())
    for name in DATABASES.values():
        text = (INSTALL / f'{name}.sql').read_text()
        statements = split_statements(text)
        assert statements[0].startswith(f'CREATE DATABASE IF NOT EXISTS `{name}`'), name
        for problem, pattern in FORBIDDEN.items():
            assert not pattern.search(text), f'{name}.sql uses {problem}'
        for statement in statements:
            if statement.upper().startswith('CREATE TABLE'):
                assert 'IF NOT EXISTS' in statement.upper().split('(')[0], statement[:80]
            if statement.upper().startswith('INSERT'):
                assert statement.upper().startswith('INSERT IGNORE'), statement[:80]


def test_slot_database_files_match_the_series_registry() -> None:
    for key in (*SLOT_DATABASES, MODEL_DATABASE):
        committed = (INSTALL / f'{DATABASES[key]}.sql').read_text()
        assert committed == generate_slot_sql(key), f'run `make schema`: {DATABASES[key]}.sql is stale'


def test_every_slot_table_has_its_unique_key(settings: Settings) -> None:
    conn = admin(settings)
    cur = conn.cursor()
    for series in all_series():
        name = settings.db(series.database).database
        assert has_unique(cur, name, series.table, series.key_columns), f'{name}.{series.table}'
    historical = settings.db('historical').database
    for table in ('tbl_energy_value', 'tbl_analog_value', 'tbl_digital_value', 'tbl_text_value'):
        assert has_unique(cur, historical, table, ('point_id', 'utc_date_time')), table
        assert has_unique(cur, historical, f'{table}_latest', ('point_id',)), f'{table}_latest'
    for key in DATABASES:  # every slot table anywhere, the production database's included
        name = settings.db(key).database
        for table in tables(cur, name):
            if table.endswith(('_hourly', '_8760')):
                keys = unique_indexes(cur, name, table).values()
                assert any(len(cols) >= 2 and cols[-1] in ('start_datetime_utc', 'hour_of_year') for cols in keys), (
                    f'{name}.{table} has no unique (entity, ..., time) key'
                )
    conn.close()


def test_all_tables_are_innodb_utf8mb4_unicode(settings: Settings) -> None:
    conn = admin(settings)
    cur = conn.cursor()
    names = [settings.db(key).database for key in DATABASES]
    cur.execute(
        'SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES'
        f' WHERE TABLE_SCHEMA IN ({", ".join(["%s"] * len(names))})',
        names,
    )
    rows = cur.fetchall()
    conn.close()
    assert len(rows) > 150
    bad = [(s, t, e, c) for s, t, e, c in rows if e != 'InnoDB' or c != 'utf8mb4_unicode_ci']
    assert bad == []


def test_schema_reinstalls_on_top_of_itself_keeping_data(isolated_settings: Settings) -> None:
    install(isolated_settings)
    migrate(isolated_settings)
    system = isolated_settings.db('system').database
    historical = isolated_settings.db('historical').database
    energy = isolated_settings.db('energy').database
    conn = admin(isolated_settings)
    cur = conn.cursor()
    cur.execute(f'SELECT COUNT(*) FROM `{system}`.`tbl_spaces` WHERE id = 1')
    assert cur.fetchone()[0] == 1, 'the root space is seeded'
    cur.execute(f'SELECT token FROM `{system}`.`tbl_gateways` WHERE id = 1')
    token = cur.fetchone()[0]
    cur.execute(
        f'INSERT INTO `{system}`.`tbl_cost_centers` (name, uuid, external_id) VALUES (%s, UUID(), %s)', ('kept', 'x')
    )
    cur.execute(
        f'INSERT INTO `{historical}`.`tbl_energy_value` (point_id, utc_date_time, actual_value) VALUES (1, %s, 12.5)',
        (datetime(2025, 1, 1),),
    )
    cur.execute(
        f'INSERT INTO `{energy}`.`tbl_meter_hourly` (meter_id, start_datetime_utc, actual_value) VALUES (1, %s, 3)',
        (datetime(2025, 1, 1),),
    )
    conn.close()
    before = table_counts(isolated_settings)
    install(isolated_settings)
    assert migrate(isolated_settings) == []
    after = table_counts(isolated_settings)
    assert after == before
    assert after['system.tbl_cost_centers'] >= 1
    conn = admin(isolated_settings)
    cur = conn.cursor()
    cur.execute(f'SELECT token FROM `{system}`.`tbl_gateways` WHERE id = 1')
    assert cur.fetchone()[0] == token, 'a re-run keeps the generated gateway token'
    conn.close()


def test_gateway_tokens_differ_between_installs(settings: Settings, isolated_settings: Settings) -> None:
    install(isolated_settings)
    tokens = []
    for s in (settings, isolated_settings):
        conn = admin(s)
        cur = conn.cursor()
        cur.execute(f'SELECT token FROM `{s.db("system").database}`.`tbl_gateways` WHERE id = 1')
        tokens.append(cur.fetchone()[0])
        conn.close()
    assert tokens[0] and tokens[0] != tokens[1]


def test_migrations_apply_once_and_are_recorded(isolated_settings: Settings) -> None:
    install(isolated_settings)
    known = discover_migrations()
    assert known, 'there is at least one migration'
    first = migrate(isolated_settings)
    assert [m.version for m in first] == [m.version for m in known]
    assert migrate(isolated_settings) == []
    conn = admin(isolated_settings)
    cur = conn.cursor()
    cur.execute(
        f'SELECT version FROM `{isolated_settings.db("system").database}`.`{MIGRATIONS_TABLE}` ORDER BY version'
    )
    assert [v for (v,) in cur.fetchall()] == [m.version for m in known]
    conn.close()


def test_unique_key_migration_repairs_a_myems_shaped_table(isolated_settings: Settings) -> None:
    install(isolated_settings)
    energy = isolated_settings.db('energy').database
    conn = admin(isolated_settings)
    cur = conn.cursor()
    # the shape MyEMS creates: surrogate key only, a plain index, and duplicates from a crashed retry
    cur.execute(f'DROP TABLE `{energy}`.`tbl_meter_hourly`')
    cur.execute(
        f'CREATE TABLE `{energy}`.`tbl_meter_hourly` (id BIGINT NOT NULL AUTO_INCREMENT, meter_id BIGINT NOT NULL,'
        ' start_datetime_utc DATETIME NOT NULL, actual_value DECIMAL(18,3) NOT NULL, PRIMARY KEY (id),'
        ' KEY ix (meter_id, start_datetime_utc))'
    )
    rows = [(7, datetime(2025, 1, 1, h), v) for h, v in ((0, 1), (0, 2), (1, 5), (2, 3), (2, 4), (2, 6))]
    cur.executemany(
        f'INSERT INTO `{energy}`.`tbl_meter_hourly` (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)',
        rows,
    )
    assert not has_unique(cur, energy, 'tbl_meter_hourly', ('meter_id', 'start_datetime_utc'))
    migrate(isolated_settings)
    assert has_unique(cur, energy, 'tbl_meter_hourly', ('meter_id', 'start_datetime_utc'))
    cur.execute(f'SELECT start_datetime_utc, actual_value FROM `{energy}`.`tbl_meter_hourly` ORDER BY 1')
    assert [(t.hour, int(v)) for t, v in cur.fetchall()] == [(0, 2), (1, 5), (2, 6)]
    with pytest.raises(Exception, match='Duplicate'):
        cur.execute(
            f'INSERT INTO `{energy}`.`tbl_meter_hourly` (meter_id, start_datetime_utc, actual_value) VALUES (7, %s, 1)',
            (datetime(2025, 1, 1),),
        )
    conn.close()


def test_point_uuid_migration_fills_existing_points(isolated_settings: Settings) -> None:
    install(isolated_settings)
    system = isolated_settings.db('system').database
    conn = admin(isolated_settings)
    cur = conn.cursor()
    cur.execute(f'ALTER TABLE `{system}`.`tbl_points` DROP INDEX `uq_uuid`, DROP COLUMN `uuid`')  # as in MyEMS
    for n in range(3):
        cur.execute(
            f'INSERT INTO `{system}`.`tbl_points` (name, data_source_id, object_type, units, high_limit, low_limit,'
            " is_trend, address) VALUES (%s, 1, 'ENERGY_VALUE', 'kWh', 1e9, 0, 1, '{}')",
            (f'p{n}',),
        )
    migrate(isolated_settings)
    cur.execute(f'SELECT uuid FROM `{system}`.`tbl_points`')
    uuids = [u for (u,) in cur.fetchall()]
    assert len(uuids) == 3 and len(set(uuids)) == 3 and all(len(u) == 36 for u in uuids)
    cur.execute(
        f'INSERT INTO `{system}`.`tbl_points` (name, data_source_id, object_type, units, high_limit, low_limit,'
        " is_trend, address) VALUES ('new', 1, 'ENERGY_VALUE', 'kWh', 1e9, 0, 1, '{}')"
    )
    cur.execute(f"SELECT uuid FROM `{system}`.`tbl_points` WHERE name = 'new'")
    assert len(cur.fetchone()[0]) == 36, 'a new point gets a uuid by default'
    assert has_unique(cur, system, 'tbl_points', ('uuid',))
    conn.close()


def test_migration_0006_fills_the_daily_sums_of_existing_hourly_rows(isolated_settings: Settings) -> None:
    """A database from before the daily sums: the migration creates them from its hourly rows, by local day of
    each space's zone, without time-of-use bands (NULL: reports take those from the hourly rows)."""
    install(isolated_settings)
    migrate(isolated_settings)
    system, energy = isolated_settings.db('system').database, isolated_settings.db('energy').database
    conn = admin(isolated_settings)
    try:
        cur = conn.cursor()
        cur.execute(
            f'INSERT INTO `{system}`.tbl_spaces (id, name, uuid, parent_space_id, area, timezone_id, is_input_counted,'
            " is_output_counted) SELECT 50, 'tokyo', UUID(), NULL, 1, id, 1, 1"
            f" FROM `{system}`.tbl_timezones WHERE name = 'Asia/Tokyo'"
        )
        cur.execute(f'DROP TABLE `{energy}`.tbl_space_input_category_daily')  # as before migration 0006
        cur.executemany(
            f'INSERT INTO `{energy}`.tbl_space_input_category_hourly (space_id, energy_category_id,'
            ' start_datetime_utc, actual_value) VALUES (50, 3, %s, %s)',
            [(datetime(2026, 1, 1, h), h + 1) for h in range(24)],
        )
        cur.execute(  # a second category on the same days: each keeps its own
            f'INSERT INTO `{energy}`.tbl_space_input_category_hourly (space_id, energy_category_id,'
            " start_datetime_utc, actual_value) VALUES (50, 4, '2026-01-01 10:00:00', 7)"
        )
        cur.execute(f'DELETE FROM `{system}`.`tbl_schema_migrations` WHERE version = 6')
        assert [m.version for m in migrate(isolated_settings)] == [6]
        cur.execute(
            'SELECT energy_category_id, start_datetime_utc, actual_value, onpeak'
            f' FROM `{energy}`.tbl_space_input_category_daily WHERE space_id = 50 ORDER BY 1, 2'
        )
        # Tokyo is UTC+9: its 1 January holds UTC 00:00-14:59 (1 + ... + 15), its 2 January the rest
        assert cur.fetchall() == [
            (3, datetime(2025, 12, 31, 15), sum(range(1, 16)), None),
            (3, datetime(2026, 1, 1, 15), sum(range(16, 25)), None),
            (4, datetime(2025, 12, 31, 15), 7, None),
        ]
    finally:
        conn.close()
