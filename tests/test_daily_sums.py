"""Daily sums: the aggregation writes them beside the hourly rows, and reports read them exactly.

A space in Europe/Berlin with one meter from 10 March to 20 April 2026 (the DST change on 29 March), a
time-of-use tariff on its cost centre and a non-working day. The aggregation steps run through the runner;
then every report of the space (energy category, item, cost, carbon, by day, week, month and year, over a
reporting period starting mid-day) must be the same whether it reads the daily sums or only the hourly rows,
and must change when a daily row does (so the daily rows are really read). After a change of the space's
zone, the old days' rows are not used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from falcon import testing

from myems_aggregation.__main__ import steps
from myems_api.app import create_app
from myems_common.daily import reaches
from myems_common.db import Database
from myems_common.passwords import hash_password
from myems_common.pipeline import Runner, mark_dirty, set_progress
from myems_common.series import SeriesKey

START, END = datetime(2026, 3, 10), datetime(2026, 4, 20)
BERLIN = ZoneInfo('Europe/Berlin')
STEPS = ('space_energy', 'space_billing', 'space_carbon')
REPORTS = ('spaceenergycategory', 'spaceenergyitem', 'spacecost', 'spacecarbon', 'spacestatistics')


def hourly_values() -> list[tuple[datetime, Decimal]]:
    hours = int((END - START) / timedelta(hours=1))
    return [(START + timedelta(hours=h), Decimal(h % 7 + 1) / 4) for h in range(hours)]


def seed(db: Database) -> None:
    with db.transaction('system') as cur:
        cur.execute(
            "INSERT INTO tbl_energy_categories (id, name, uuid, unit_of_measure, kgce, kgco2e) VALUES (1, 'power',"
            " UUID(), 'kWh', 0.1229, 0.5)"
        )
        cur.execute(
            "INSERT INTO tbl_energy_items (id, name, uuid, energy_category_id) VALUES (1, 'lighting', UUID(), 1)"
        )
        cur.execute("INSERT INTO tbl_cost_centers (id, name, uuid) VALUES (1, 'site', UUID())")
        cur.execute(
            'INSERT INTO tbl_tariffs (id, name, uuid, energy_category_id, tariff_type, unit_of_price,'
            " valid_from_datetime_utc, valid_through_datetime_utc, currency, timezone) VALUES (1, 'tou', UUID(), 1,"
            " 'timeofuse', 'EUR/kWh', '2026-01-01', '2026-12-31 23:59:59', 'EUR', 'Europe/Berlin')"
        )
        for first, last, band, price in (
            ('00:00:00', '07:59:59', 'offpeak', '0.1'),
            ('08:00:00', '19:59:59', 'onpeak', '0.3'),
            ('20:00:00', '23:59:59', 'midpeak', '0.2'),
        ):
            cur.execute(
                'INSERT INTO tbl_tariffs_timeofuses (tariff_id, start_time_of_day, end_time_of_day, peak_type, price)'
                ' VALUES (1, %s, %s, %s, %s)',
                (first, last, band, price),
            )
        cur.execute('INSERT INTO tbl_cost_centers_tariffs (cost_center_id, tariff_id) VALUES (1, 1)')
        cur.execute("SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")
        berlin = cur.fetchone()[0]
        cur.execute(
            'INSERT INTO tbl_spaces (id, name, uuid, parent_space_id, area, timezone_id, is_input_counted,'
            " is_output_counted, cost_center_id) VALUES (100, 'hall', UUID(), NULL, 100, %s, 1, 1, 1)",
            (berlin,),
        )
        cur.execute(
            'INSERT INTO tbl_meters (id, name, uuid, energy_category_id, energy_item_id, is_counted, hourly_low_limit,'
            " hourly_high_limit, cost_center_id) VALUES (1, 'main', UUID(), 1, 1, 1, 0, 0, 1)"
        )
        cur.execute('INSERT INTO tbl_spaces_meters (space_id, meter_id) VALUES (100, 1)')
        cur.execute(  # a wing in another zone, with a meter of its own: the hall's child space
            'INSERT INTO tbl_spaces (id, name, uuid, parent_space_id, area, timezone_id, is_input_counted,'
            " is_output_counted, cost_center_id) SELECT 101, 'wing', UUID(), 100, 10, id, 1, 1, 1 FROM tbl_timezones"
            " WHERE name = 'Asia/Kolkata'"
        )
        cur.execute(
            'INSERT INTO tbl_meters (id, name, uuid, energy_category_id, energy_item_id, is_counted, hourly_low_limit,'
            " hourly_high_limit, cost_center_id) VALUES (2, 'wing', UUID(), 1, 1, 1, 0, 0, 1)"
        )
        cur.execute('INSERT INTO tbl_spaces_meters (space_id, meter_id) VALUES (101, 2)')
        cur.execute("INSERT INTO tbl_working_calendars (id, name) VALUES (1, 'site')")
        cur.execute(
            'INSERT INTO tbl_working_calendars_non_working_days (working_calendar_id, date_local)'
            " VALUES (1, '2026-04-06')"
        )
        cur.execute('INSERT INTO tbl_spaces_working_calendars (space_id, working_calendar_id) VALUES (100, 1)')
    with db.transaction('user') as cur:
        cur.execute(
            'INSERT INTO tbl_users (name, uuid, display_name, email, salt, password, is_admin, is_read_only,'
            " account_expiration_datetime_utc, password_expiration_datetime_utc) VALUES ('daily', %s, 'Daily',"
            " 'daily@example.invalid', '', %s, 1, 0, '2099-01-01', '2099-01-01')",
            (str(uuid.uuid4()), hash_password('Daily-sums-1')),
        )
    with db.transaction('energy') as cur:
        for meter in (1, 2):
            cur.executemany(
                'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)',
                [(meter, t, v / meter) for t, v in hourly_values()],
            )
            set_progress(cur, 'meter_energy', meter, END)


@pytest.fixture(scope='module')
def world(fresh_databases: Any) -> Iterator[tuple[Database, testing.TestClient, dict[str, str]]]:
    settings = fresh_databases('daily')
    db = Database(settings)
    seed(db)
    Runner(db, steps(settings), workers=2).run_until_idle()
    api = testing.TestClient(create_app(settings, db))
    answer = api.simulate_put('/users/login', json={'data': {'account': 'daily', 'password': 'Daily-sums-1'}})
    assert answer.status_code == 200, answer.text
    yield db, api, {'USER-UUID': answer.json['uuid'], 'TOKEN': answer.json['token']}
    db.close()


def reports(api: testing.TestClient, headers: dict[str, str]) -> dict[tuple[str, str], Any]:
    found = {}
    for path in REPORTS:
        for period in ('daily', 'weekly', 'monthly', 'yearly'):
            params = {
                'spaceid': '100',
                'periodtype': period,
                'baseperiodstartdatetime': '2026-03-10T00:00:00',
                'baseperiodenddatetime': '2026-03-12T00:00:00',
                'reportingperiodstartdatetime': '2026-03-12T06:00:00',
                'reportingperiodenddatetime': '2026-04-18T00:00:00',
            }
            answer = api.simulate_get(f'/reports/{path}', headers=headers, params=params)
            assert answer.status_code == 200, answer.text
            found[(path, period)] = answer.json
    return found


def without_daily(db: Database, api: testing.TestClient, headers: dict[str, str]) -> dict[tuple[str, str], Any]:
    """The reports read from the hourly rows only: the steps' watermarks are what make daily rows usable."""
    saved = {}
    for step in STEPS:
        key = step.split('_')[1]
        with db.transaction(key) as cur:
            saved[step] = reaches(cur, SeriesKey(key, 'space', 'input', 'category'), [100])[100]
            cur.execute('DELETE FROM tbl_pipeline_progress WHERE step = %s AND object_id = 100', (step,))
    try:
        return reports(api, headers)
    finally:
        for step, until in saved.items():
            with db.transaction(step.split('_')[1]) as cur:
                set_progress(cur, step, 100, until)


def _local_hour(moment: datetime) -> int:
    return moment.replace(tzinfo=ZoneInfo('UTC')).astimezone(BERLIN).hour


def test_daily_rows_are_the_sums_of_the_local_days_hourly_rows(world: Any) -> None:
    db, _, _ = world
    hourly = db.fetch_all(
        'energy', 'SELECT start_datetime_utc, actual_value FROM tbl_space_input_category_hourly WHERE space_id = 100'
    )
    days: dict[datetime, Decimal] = {}
    for moment, value in hourly:
        local = moment.replace(tzinfo=ZoneInfo('UTC')).astimezone(BERLIN)
        midnight = datetime(local.year, local.month, local.day, tzinfo=BERLIN).astimezone(ZoneInfo('UTC'))
        day = midnight.replace(tzinfo=None)
        days[day] = days.get(day, Decimal(0)) + value
    found = db.fetch_all(
        'energy',
        'SELECT start_datetime_utc, actual_value, toppeak, onpeak, midpeak, offpeak, deep'
        ' FROM tbl_space_input_category_daily WHERE space_id = 100',
    )
    daily = {row[0]: row[1] for row in found}
    assert daily == days
    for day, total, toppeak, onpeak, midpeak, offpeak, deep in found:  # on-peak is 08:00 to 20:00 local
        assert toppeak + onpeak + midpeak + offpeak + deep == total and toppeak == deep == 0  # every slot banded
        on_peak = [v for t, v in hourly if day <= t < day + timedelta(hours=25) and 8 <= _local_hour(t) < 20]
        assert onpeak == sum(on_peak)
    # local 29 March has 23 hours; the hall counts its meter and its wing's (half as much)
    dst_day = [v for t, v in hourly_values() if datetime(2026, 3, 28, 23) <= t < datetime(2026, 3, 29, 22)]
    assert len(dst_day) == 23 and daily[datetime(2026, 3, 28, 23)] == sum(dst_day) * Decimal('1.5')
    costs = db.fetch_all(
        'billing',
        'SELECT COUNT(*), SUM(actual_value) FROM tbl_space_input_category_daily WHERE space_id = 100',
    )[0]
    assert (
        costs[0] == len(days)
        and costs[1]
        == db.fetch_one(
            'billing', 'SELECT SUM(actual_value) FROM tbl_space_input_category_hourly WHERE space_id = 100'
        )[0]
    )


def test_reports_are_the_same_from_daily_sums_as_from_hourly_rows(world: Any) -> None:
    db, api, headers = world
    fast = reports(api, headers)
    assert fast == without_daily(db, api, headers)
    rep = fast[('spaceenergycategory', 'daily')]['reporting_period']
    assert len(rep['timestamps'][0]) == 37 and rep['onpeaks'][0] > 0 and rep['midpeaks'][0] > 0
    assert rep['non_working_days_subtotals'][0] > 0
    assert fast[('spaceenergycategory', 'daily')]['child_space']['subtotals_array'][0][0] > 0


def test_days_without_band_sums_take_the_bands_from_the_hourly_rows(world: Any) -> None:
    db, api, headers = world
    expected = without_daily(db, api, headers)
    with db.transaction('energy') as cur:  # as a migration leaves them: the days' sums but no bands
        cur.execute('UPDATE tbl_space_input_category_daily SET toppeak = NULL, onpeak = NULL, midpeak = NULL,'
                    ' offpeak = NULL, deep = NULL WHERE start_datetime_utc < %s', (datetime(2026, 4, 1),))  # fmt: skip
    try:
        assert reports(api, headers) == expected
    finally:  # a recompute writes them again
        with db.transaction('energy') as cur:
            mark_dirty(cur, 'space_energy', 100, START, END, 'test')
        Runner(db, steps(db.settings), workers=1).run_until_idle()
    count = 'SELECT COUNT(*) FROM tbl_space_input_category_daily WHERE space_id = 100 AND onpeak IS NOT NULL'
    assert db.fetch_one('energy', count)[0] == 42


def test_reports_read_the_daily_rows(world: Any) -> None:
    db, api, headers = world
    before = reports(api, headers)[('spaceenergycategory', 'monthly')]['reporting_period']['subtotals'][0]
    day = datetime(2026, 4, 1, 22)  # local 2 April, inside the reporting period
    with db.transaction('energy') as cur:
        cur.execute('UPDATE tbl_space_input_category_daily SET actual_value = actual_value + 1000'
                    " WHERE space_id = 100 AND start_datetime_utc = %s", (day,))  # fmt: skip
    try:
        after = reports(api, headers)[('spaceenergycategory', 'monthly')]['reporting_period']['subtotals'][0]
    finally:
        with db.transaction('energy') as cur:
            cur.execute('UPDATE tbl_space_input_category_daily SET actual_value = actual_value - 1000'
                        " WHERE space_id = 100 AND start_datetime_utc = %s", (day,))  # fmt: skip
    assert after == pytest.approx(before + 1000)


def test_after_a_zone_change_the_old_days_are_not_used(world: Any) -> None:
    db, api, headers = world
    with db.transaction('system') as cur:
        cur.execute(
            "UPDATE tbl_spaces SET timezone_id = (SELECT id FROM tbl_timezones WHERE name = 'America/New_York')"
            ' WHERE id = 100'
        )
    assert reports(api, headers) == without_daily(db, api, headers)


def test_item_reports_name_their_items_in_their_categories_units(world: Any) -> None:
    _, api, headers = world
    rep = reports(api, headers)[('spaceenergyitem', 'monthly')]['reporting_period']
    assert rep['names'] == ['lighting'] and rep['units'] == ['kWh']
