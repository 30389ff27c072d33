"""The demo against a real MariaDB (the test stack): load, re-load, history, re-run, benchmark meters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from myems_common.db import Database
from myems_common.passwords import verify_password
from myems_demo import campus as c
from myems_demo import history, load, summary

END = datetime(2026, 3, 2, 10, 0)


def _one(database: Database, key: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    row = database.fetch_one(key, sql, params)
    assert row is not None
    return row[0] if len(row) == 1 else row


def _table_counts(database: Database) -> dict[str, int]:
    tables = load.campus_tables(load.demo_campus(database, database.settings))
    return {t.table: int(_one(database, t.database, f'SELECT COUNT(*) FROM {t.table}')) for t in tables}


def _readings(database: Database) -> int:
    return sum(int(_one(database, 'historical', f'SELECT COUNT(*) FROM {t}')) for t in history.VALUE_TABLES)


@pytest.fixture(scope='module')
def loaded(fresh_databases: Any) -> Iterator[Database]:
    """The demo in its own databases, so the shared test databases stay free of it."""
    demo_settings = fresh_databases('demo')
    db = Database(demo_settings)
    load.load(db, demo_settings)
    yield db
    db.close()


def test_demo_loads_with_the_required_counts(loaded: Database) -> None:
    db = loaded
    campus = _one(
        db, 'system',
        'SELECT s.id, z.name FROM tbl_spaces s JOIN tbl_timezones z ON z.id = s.timezone_id '
        'WHERE s.parent_space_id = 1 AND s.name = %s', ('Lindenhof Campus',),
    )  # fmt: skip
    assert tuple(campus) == (c.CAMPUS, 'Europe/Berlin')
    assert _one(db, 'system', 'SELECT COUNT(*) FROM tbl_spaces WHERE parent_space_id = %s', (c.CAMPUS,)) == 3
    per_category = dict(db.fetch_all('system', 'SELECT energy_category_id, COUNT(*) FROM tbl_meters GROUP BY 1'))
    assert sum(per_category.values()) >= 60 and set(per_category) >= {1, 2, 3, 4, 5}
    assert _one(db, 'system', 'SELECT COUNT(*) FROM tbl_meters WHERE master_meter_id IS NOT NULL') >= 50
    with_variables = 'SELECT COUNT(DISTINCT virtual_meter_id) FROM tbl_variables'
    assert _one(db, 'system', with_variables) >= 3
    for table, expected in (
        ('tbl_offline_meters', 2), ('tbl_equipments', 10), ('tbl_combined_equipments', 2),
        ('tbl_tenants', 4), ('tbl_stores', 3), ('tbl_shopfloors', 1),
    ):  # fmt: skip
        assert _one(db, 'system', f'SELECT COUNT(*) FROM {table}') == expected, table
    items = {row[0] for row in db.fetch_all('system', 'SELECT name FROM tbl_energy_items')}
    assert {'Lighting', 'HVAC', 'Plug Load', 'Process'} <= items
    assert _one(db, 'system', 'SELECT id FROM tbl_energy_categories WHERE name = %s', ('Electricity',)) == 1


def test_time_of_use_rows_cover_exactly_24_hours(loaded: Database) -> None:
    rows = loaded.fetch_all(
        'system',
        'SELECT TIME_TO_SEC(start_time_of_day), TIME_TO_SEC(end_time_of_day) FROM tbl_tariffs_timeofuses '
        'WHERE tariff_id = 1 ORDER BY start_time_of_day',
    )
    assert len(rows) >= 3 and rows[0][0] == 0 and rows[-1][1] == 86399
    assert all(int(b[0]) == int(a[1]) + 1 for a, b in zip(rows, rows[1:], strict=False))
    assert sum(int(e) - int(s) + 1 for s, e in rows) == 86400
    linked = 'SELECT COUNT(*) FROM tbl_cost_centers_tariffs WHERE tariff_id = 1'
    assert _one(loaded, 'system', linked) == len(c.COST_CENTERS)


def test_holidays_are_present(loaded: Database) -> None:
    days = {
        row[0] for row in loaded.fetch_all('system', 'SELECT date_local FROM tbl_working_calendars_non_working_days')
    }
    year = datetime.now().year
    assert c.easter_sunday(year) + timedelta(days=1) in days  # Easter Monday
    assert len(days) >= 4 * 9
    spaces = 'SELECT COUNT(*) FROM tbl_spaces_working_calendars WHERE working_calendar_id = 1'
    assert _one(loaded, 'system', spaces) == 4


def test_demo_users(loaded: Database) -> None:
    rows = loaded.fetch_all(
        'user',
        'SELECT u.name, u.password, u.salt, u.is_admin, u.is_read_only, p.data FROM tbl_users u '
        'LEFT JOIN tbl_privileges p ON p.id = u.privilege_id ORDER BY u.id',
    )
    users = {name: (stored, salt, admin, read_only, data) for name, stored, salt, admin, read_only, data in rows}
    for name, plain in c.DEMO_PASSWORDS.items():
        stored, salt, *_ = users[name]
        assert stored != plain and plain not in stored and salt in stored
        assert verify_password(plain, stored) and not verify_password(plain + 'x', stored)
    assert users['administrator'][2:4] == (1, 0)
    assert users['viewer'][2:4] == (0, 1)
    assert json.loads(users['viewer'][4]) == {'spaces': [c.OFFICE]}


def _point_env_at(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the command-line entry points (which read the environment) use the demo's own databases."""
    for key, cfg in db.settings.databases.items():
        monkeypatch.setenv(f'MYEMS_{key.upper()}_DB_DATABASE', cfg.database)


def test_loading_twice_keeps_the_row_counts(loaded: Database) -> None:
    before = _table_counts(loaded)
    load.load(loaded, loaded.settings)
    assert _table_counts(loaded) == before


def test_history_twice_adds_no_rows(loaded: Database) -> None:
    plan = history.plan_from_args(history.parse_args(['--days', '3', '--end', END.isoformat()]))
    first = history.run(loaded, plan)
    assert first['tbl_energy_value'] > 0 and first['tbl_analog_value'] > 0 and first['tbl_digital_value'] > 0
    rows = _readings(loaded)
    assert history.run(loaded, plan) == dict.fromkeys(history.VALUE_TABLES, 0)
    assert _readings(loaded) == rows
    latest = 'SELECT COUNT(*) FROM tbl_energy_value_latest WHERE utc_date_time >= %s'
    assert _one(loaded, 'historical', latest, (END - timedelta(hours=1),)) >= len(c.METERS)


def test_benchmark_meters_get_readings(loaded: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _point_env_at(loaded, monkeypatch)
    end = END + timedelta(days=2)
    assert history.main(['--meters', '120', '--days', '2', '--end', end.isoformat()]) == 0
    start, end = history.history_window(end, 2)
    with_readings = _one(
        loaded, 'historical',
        'SELECT COUNT(DISTINCT point_id) FROM tbl_energy_value WHERE utc_date_time >= %s AND utc_date_time < %s',
        (start + timedelta(minutes=1), end),
    )  # fmt: skip
    assert with_readings == 120
    extra = 120 - len(c.METERS)
    assert _one(loaded, 'system', 'SELECT COUNT(*) FROM tbl_meters WHERE id >= 100001') == extra
    assert _one(loaded, 'system', 'SELECT COUNT(*) FROM tbl_spaces_meters WHERE space_id = %s', (90,)) == extra


def test_summary_names_the_connection_and_users(
    loaded: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_env_at(loaded, monkeypatch)
    assert summary.main() == 0
    text = capsys.readouterr().out
    assert 'Admin#Demo2026' in text and 'viewer' in text and str(loaded.settings.db('system').port) in text
    assert 'meters               ' in text and 'first reading' in text
