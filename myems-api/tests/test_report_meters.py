"""Meter trend, meter realtime, submeter balance and tenant bill over a small fixture checked by hand.

Everything lives under a space in Europe/Berlin (UTC+2 in June).

* Trend: a meter with an energy point (kWh) and an analog point (kW). The energy point reads 100, 101.5,
  99 (flagged bad) and 102 at 22:00, 23:00, 00:00 and 00:30 UTC, i.e. local 2 June 00:00 .. 02:30, plus
  one reading before and one at the end of the period (local 2 June 00:00 .. 03:00), both left out; the
  analog point reads 5.5 at 22:30 UTC.
* Balance: a master meter of 10 kWh an hour on local 1 June and 5 on 2 June; submeters of 4 and 2, and
  5 and 3: days of 240 against 96 + 120 = 216 (difference 24, rate 0.1) and 120 against 48 + 72 = 120.
* Bill: a tenant using 1 kWh every hour of local June 2026 (720 kWh) under a tariff of 0.3 a kWh from
  08:00 to 20:00 local and 0.1 otherwise, a fixed charge of 15 and 10 % VAT: on-peak 360 kWh = 108,
  off-peak 360 kWh = 36, subtotal 159, VAT 15.9, total 174.90 EUR. Its 5 m3 of water have no tariff.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import simplejson
from falcon import testing

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal
TREND = {'reportingperiodstartdatetime': '2026-06-02T00:00:00', 'reportingperiodenddatetime': '2026-06-02T03:00:00'}
BALANCE = {
    'periodtype': 'daily',
    'reportingperiodstartdatetime': '2026-06-01T00:00:00',
    'reportingperiodenddatetime': '2026-06-03T00:00:00',
}
JUNE = {'reportingperiodstartdatetime': '2026-06-01T00:00:00', 'reportingperiodenddatetime': '2026-07-01T00:00:00'}
BANDS = [
    {'start_time_of_day': '00:00:00', 'end_time_of_day': '07:59:59', 'peak_type': 'offpeak', 'price': '0.1'},
    {'start_time_of_day': '08:00:00', 'end_time_of_day': '19:59:59', 'peak_type': 'onpeak', 'price': '0.3'},
    {'start_time_of_day': '20:00:00', 'end_time_of_day': '23:59:59', 'peak_type': 'offpeak', 'price': '0.1'},
]


def utc(local: datetime) -> datetime:
    return local.replace(tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def hours(start_local: datetime, count: int) -> list[datetime]:
    start = utc(start_local)
    return [start + timedelta(hours=h) for h in range(count)]


@pytest.fixture(scope='module')
def site(factory: Any, database: Any) -> dict[str, int]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    power = factory.create('energy_category', kgce='0.1', kgco2e='0.5')
    water = factory.create('energy_category', kgce='0', kgco2e='0')
    space = factory.create('space', timezone_id=berlin)
    meter = factory.create('meter', energy_category_id=power)
    energy_point = factory.create('point', object_type='ENERGY_VALUE', units='kWh')
    analog_point = factory.create('point', object_type='ANALOG_VALUE', units='kW')
    for point in (energy_point, analog_point):
        factory.link('meter', meter, 'points', point)
    master = factory.create('meter', energy_category_id=power)
    subs = [factory.create('meter', energy_category_id=power, master_meter_id=master) for _ in range(2)]
    center = factory.create('cost_center')
    tenant = factory.create('tenant', cost_center_id=center)
    for kind, id_ in (('meters', meter), ('meters', master), ('meters', subs[0]), ('meters', subs[1])):
        factory.link('space', space, kind, id_)
    factory.link('space', space, 'tenants', tenant)
    tariff = factory.create(
        'tariff',
        energy_category_id=power,
        currency='EUR',
        timezone='Europe/Berlin',
        structure={'fixed_per_period': '15', 'taxes': [{'name': 'VAT', 'rate': '0.1'}]},
        valid_from_datetime_utc='2026-01-01T00:00:00',
        valid_through_datetime_utc='2026-12-31T23:59:59',
        timeofuse=BANDS,
    )
    factory.link('cost_center', center, 'tariffs', tariff)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with database.transaction('historical') as cur:
        cur.executemany(
            'INSERT INTO tbl_energy_value (point_id, utc_date_time, actual_value, is_bad) VALUES (%s, %s, %s, %s)',
            [
                (energy_point, datetime(2026, 6, 1, 21, 0), D(90), 0),  # before the period
                (energy_point, datetime(2026, 6, 1, 22, 0), D(100), 0),
                (energy_point, datetime(2026, 6, 1, 23, 0), D('101.5'), None),
                (energy_point, datetime(2026, 6, 2, 0, 0), D(99), 1),
                (energy_point, datetime(2026, 6, 2, 0, 30), D(102), 0),
                (energy_point, datetime(2026, 6, 2, 1, 0), D(103), 0),  # at the end: left out
            ],
        )
        cur.executemany(
            'INSERT INTO tbl_analog_value (point_id, utc_date_time, actual_value, is_bad) VALUES (%s, %s, %s, %s)',
            [(analog_point, datetime(2026, 6, 1, 22, 30), D('5.5'), 0), (analog_point, now, D('7.25'), 0)],
        )
        cur.execute(
            'INSERT INTO tbl_energy_value_latest (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
            (energy_point, datetime(2026, 6, 2, 0, 30), D(102)),
        )
        cur.execute(
            'INSERT INTO tbl_analog_value_latest (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
            (analog_point, now, D('7.25')),
        )
    day1, day2 = hours(datetime(2026, 6, 1), 24), hours(datetime(2026, 6, 2), 24)
    rows = [(master, t, D(10)) for t in day1] + [(master, t, D(5)) for t in day2]
    rows += [(subs[0], t, D(4)) for t in day1] + [(subs[0], t, D(2)) for t in day2]
    rows += [(subs[1], t, D(5)) for t in day1] + [(subs[1], t, D(3)) for t in day2]
    june = hours(datetime(2026, 6, 1), 30 * 24)
    with database.transaction('energy') as cur:
        cur.executemany(
            'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)', rows
        )
        cur.executemany(
            'INSERT INTO tbl_tenant_input_category_hourly (tenant_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(tenant, power, t, D(1)) for t in june] + [(tenant, water, june[0], D(5))],
        )
    return {
        'space': space,
        'meter': meter,
        'energy_point': energy_point,
        'analog_point': analog_point,
        'master': master,
        'subs': subs[0],
        'tenant': tenant,
        'power': power,
        'water': water,
    }


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return simplejson.loads(answer.text, use_decimal=True)


def csv_rows(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> list[list[str]]:
    answer = api.simulate_get(path, headers=headers, params={**params, 'format': 'csv'})
    assert answer.status_code == 200, answer.text
    assert answer.headers['content-type'].startswith('text/csv')
    return list(csv.reader(io.StringIO(answer.content.decode('utf-8-sig'))))


def test_meter_trend_lists_raw_readings_in_local_time_with_bad_ones_marked(
    api: Any, admin_headers: Any, site: Any
) -> None:
    got = get(api, admin_headers, '/reports/metertrend', meterid=str(site['meter']), **TREND)
    rep = got['reporting_period']
    assert rep['point_ids'] == [site['energy_point'], site['analog_point']]
    assert rep['names'][0].endswith('(kWh)') and rep['names'][1].endswith('(kW)')
    assert rep['timestamps'][0] == ['2026-06-02T00:00:00', '2026-06-02T01:00:00', '2026-06-02T02:00:00',
                                    '2026-06-02T02:30:00']  # fmt: skip
    assert rep['values'][0] == [100, D('101.5'), 99, 102]
    assert rep['is_bad'][0] == [False, False, True, False]
    assert rep['timestamps'][1] == ['2026-06-02T00:30:00'] and rep['values'][1] == [D('5.5')]
    assert got['meter']['energy_category_id'] == site['power'] and got['meter']['kgco2e'] == D('0.5')
    assert got['parameters'] == {'names': [], 'timestamps': [], 'values': []}  # no tariff for its cost centre
    quick = get(api, admin_headers, '/reports/metertrend', meterid=str(site['meter']), quickmode='true', **TREND)
    assert quick['reporting_period']['point_ids'] == [site['energy_point']]


def test_meter_trend_by_uuid_and_its_csv(api: Any, admin_headers: Any, site: Any, factory: Any) -> None:
    uuid = factory.read('meter', site['meter'])['uuid']
    got = get(api, admin_headers, '/reports/metertrend', meteruuid=uuid, **TREND)
    assert got['reporting_period']['values'][0] == [100, D('101.5'), 99, 102]
    rows = csv_rows(api, admin_headers, '/reports/metertrend', meterid=str(site['meter']), **TREND)
    by_time = {row[1]: row[2:] for row in rows[1:]}
    assert D(by_time['2026-06-02T01:00:00'][0]) == D('101.5') and D(by_time['2026-06-02T02:00:00'][0]) == 99
    assert D(by_time['2026-06-02T00:30:00'][1]) == D('5.5') and len(by_time) == 5


def test_meter_realtime_shows_the_latest_reading_of_each_point(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/meterrealtime', meterid=str(site['meter']))
    latest = {p['point_id']: p for p in got['latest']}
    assert latest[site['energy_point']]['value'] == 102
    assert latest[site['energy_point']]['local_date_time'] == '2026-06-02T02:30:00'
    assert latest[site['analog_point']]['value'] == D('7.25')
    assert got['parameters']['values'] == [[D('7.25')]]  # the last hour of the analog point
    assert got['energy_value']['values'] == []  # the energy point read nothing in the last hour
    quick = get(api, admin_headers, '/reports/meterrealtime', meterid=str(site['meter']), quickmode='true')
    assert quick['parameters']['names'] == [] and len(quick['latest']) == 2


def test_submeter_balance_per_day(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/metersubmetersbalance', meterid=str(site['master']), **BALANCE)
    rep = got['reporting_period']
    assert rep['timestamps'] == ['2026-06-01', '2026-06-02']
    assert rep['master_meter_values'] == [240, 120] and rep['submeters_values'] == [216, 120]
    assert rep['difference_values'] == [24, 0] and rep['difference_rates'] == [D('0.1'), 0]
    assert rep['master_meter_consumption_in_category'] == 360 and rep['submeters_consumption_in_category'] == 336
    assert rep['difference_in_category'] == 24 and rep['percentage_difference'] == pytest.approx(D(24) / D(360))
    assert got['parameters']['values'] == [[240, 120], [96, 48], [120, 72]]
    assert len(got['submeters']) == 2
    rows = csv_rows(api, admin_headers, '/reports/metersubmetersbalance', meterid=str(site['master']), **BALANCE)
    header, first = rows[0], rows[1]
    assert first[1] == '2026-06-01'
    values = dict(zip(header[2:], first[2:], strict=True))
    assert sorted(D(v) for v in values.values() if v) == [D('0.1'), 24, 216, 240]


def test_tenant_bill_for_june(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/tenantbill', tenantid=str(site['tenant']), **JUNE)
    rep = got['reporting_period']
    assert rep['energy_category_ids'] == [site['power'], site['water']]
    assert rep['subtotals_input'] == [720, 5]
    assert rep['subtotals_cost'] == [D('174.90'), None] and rep['total_cost'] == D('174.90')
    assert rep['currency_unit'] == 'EUR'
    bills = got['bills']
    lines = dict(zip(bills['timestamps'][0], bills['values'][0], strict=True))
    assert lines == {'energy: offpeak': 36, 'energy: onpeak': 108, 'fixed: fixed': 15, 'tax: VAT': D('15.9')}
    quantities = dict(zip(bills['timestamps'][0], bills['quantities'][0], strict=True))
    assert quantities['energy: onpeak'] == 360 and quantities['fixed: fixed'] == 30  # days
    assert bills['subtotals'] == [159, None] and bills['taxes'] == [D('15.9'), None]
    assert bills['unpriced_energies'] == [0, 5] and bills['units'] == ['EUR', None]
    assert got['tenant']['id'] == site['tenant'] and 'lease_number' in got['tenant']
    rows = csv_rows(api, admin_headers, '/reports/tenantbill', tenantid=str(site['tenant']), **JUNE)
    by_label = {row[1]: row[2] for row in rows[1:]}
    assert D(by_label['energy: onpeak']) == 108 and D(by_label['tax: VAT']) == D('15.9')


def test_reports_refuse_a_caller_outside_the_objects_spaces(
    api: Any, site: Any, factory: Any, make_user: Any, sign_in: Any
) -> None:
    elsewhere = factory.create('space')
    viewer = sign_in(make_user('meterviewer', spaces=[elsewhere]))
    cases = [
        ('/reports/metertrend', {'meterid': str(site['meter']), **TREND}),
        ('/reports/meterrealtime', {'meterid': str(site['meter'])}),
        ('/reports/metersubmetersbalance', {'meterid': str(site['master']), **BALANCE}),
        ('/reports/tenantbill', {'tenantid': str(site['tenant']), **JUNE}),
    ]
    for path, params in cases:
        refused = api.simulate_get(path, headers=viewer, params=params)
        assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN', path
        anonymous = api.simulate_get(path, params=params)
        assert anonymous.status_code == 401, path


def test_bad_requests_name_the_parameter(api: Any, admin_headers: Any, site: Any) -> None:
    cases = [
        ('/reports/metertrend', {}, 400, 'API.INVALID_METER_ID'),
        ('/reports/metertrend', {'meterid': '987654321', **TREND}, 404, 'API.METER_NOT_FOUND'),
        ('/reports/metertrend', {'meterid': str(site['meter'])}, 400, 'API.INVALID_REPORTING_PERIOD_START_DATETIME'),
        ('/reports/metersubmetersbalance', {'meterid': str(site['master']), **TREND}, 400, 'API.INVALID_PERIOD_TYPE'),
        ('/reports/tenantbill', {'tenantuuid': 'nope', **JUNE}, 400, 'API.INVALID_TENANT_UUID'),
    ]
    for path, params, status, code in cases:
        answer = api.simulate_get(path, headers=admin_headers, params=params)
        assert answer.status_code == status and answer.json['description'] == code, (path, answer.text)


def test_the_routes_are_in_the_report_catalogue(api: Any, admin_headers: Any) -> None:
    listed = {r['path']: r for r in get(api, admin_headers, '/meta/reports')['reports']}
    assert listed['/reports/metertrend']['entity'] == 'meter' and listed['/reports/metertrend']['kind'] == 'trend'
    assert (
        listed['/reports/tenantbill']['kind'] == 'bill' and 'tenantuuid' in listed['/reports/tenantbill']['parameters']
    )
    assert {'/reports/meterrealtime', '/reports/metersubmetersbalance'} <= set(listed)
