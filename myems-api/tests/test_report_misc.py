"""Efficiency, offline meter, point realtime and tracking reports over a small fixture checked by hand.

Everything lives under a space in Europe/Berlin (UTC+2 in May and June).

* Efficiency: the space takes 1 kWh of power an hour on local 31 May, 2 on 1 June and 4 on 2 June, and gives
  2, 6 and 8 kWh of cold. Base period 31 May: 48 / 24 = 2. Reporting period 1-2 June per day: 144 / 48 = 3
  and 192 / 96 = 2; cumulation 336 / 144 = 7/3; the first day's rate against the base day (3 - 2) / 2 = 0.5;
  the cumulation's increment rate (7/3 - 2) / 2 = 1/6; input increment (144 - 24) / 24 = 5, output 6.
* Offline meter: 1 kWh an hour on local 1 June (24) and 2 an hour on 3 June (48), nothing on 2 June.
* Points: a space point and a sensor's point of the space with latest values 21.5 (now) and 7 (2 June).
* Tracking: a child space holds a meter whose energy point reads 90 and 100 at 23:40 and 23:50 local on
  1 June and 150 at 11:55, 160 at 12:05 on 2 June: over 2 June 00:00-12:00 it starts at 100 and ends at
  150 (difference 50); a second meter has no points (no values): the integrity rates are all 0.5.
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
EFFICIENCY = {
    'periodtype': 'daily',
    'baseperiodstartdatetime': '2026-05-31T00:00:00',
    'baseperiodenddatetime': '2026-06-01T00:00:00',
    'reportingperiodstartdatetime': '2026-06-01T00:00:00',
    'reportingperiodenddatetime': '2026-06-03T00:00:00',
}
DAYS = {'reportingperiodstartdatetime': '2026-06-01T00:00:00', 'reportingperiodenddatetime': '2026-06-04T00:00:00'}
TRACK = {'reportingperiodstartdatetime': '2026-06-02T00:00:00', 'reportingperiodenddatetime': '2026-06-02T12:00:00'}


def utc(local: datetime) -> datetime:
    return local.replace(tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def hours(start_local: datetime, count: int) -> list[datetime]:
    start = utc(start_local)
    return [start + timedelta(hours=h) for h in range(count)]


@pytest.fixture(scope='module')
def site(factory: Any, database: Any) -> dict[str, Any]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    power = factory.create('energy_category', kgce='0.1', kgco2e='0.5')
    cold = factory.create('energy_category', kgce='0', kgco2e='0')
    space = factory.create('space', timezone_id=berlin)
    child = factory.create('space', timezone_id=berlin, parent_space_id=space)
    equipment = factory.create('equipment')
    factory.link('space', child, 'equipments', equipment)
    offline = factory.create('offline_meter', energy_category_id=power)
    factory.link('space', space, 'offlinemeters', offline)
    own_point = factory.create('point', object_type='ANALOG_VALUE', units='degC')
    sensor_point = factory.create('point', object_type='ENERGY_VALUE', units='kWh')
    sensor = factory.create('sensor')
    factory.link('sensor', sensor, 'points', sensor_point)
    factory.link('space', space, 'sensors', sensor)
    factory.link('space', space, 'points', own_point)
    tracked = factory.create('meter', energy_category_id=power)
    counter = factory.create('point', object_type='ENERGY_VALUE', units='kWh')
    factory.link('meter', tracked, 'points', counter)
    silent = factory.create('meter', energy_category_id=cold)
    for meter in (tracked, silent):
        factory.link('space', child, 'meters', meter)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with database.transaction('historical') as cur:
        cur.executemany(
            'INSERT INTO tbl_energy_value (point_id, utc_date_time, actual_value, is_bad) VALUES (%s, %s, %s, %s)',
            [
                (counter, utc(datetime(2026, 6, 1, 23, 40)), D(90), 0),
                (counter, utc(datetime(2026, 6, 1, 23, 50)), D(100), 0),
                (counter, utc(datetime(2026, 6, 2, 11, 55)), D(150), 0),
                (counter, utc(datetime(2026, 6, 2, 12, 5)), D(160), 0),
            ],
        )
        cur.execute(
            'INSERT INTO tbl_analog_value_latest (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
            (own_point, now, D('21.5')),
        )
        cur.execute(
            'INSERT INTO tbl_energy_value_latest (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
            (sensor_point, datetime(2026, 6, 2, 10, 0), D(7)),
        )
    may31, june1, june2 = (hours(datetime(2026, m, d), 24) for m, d in ((5, 31), (6, 1), (6, 2)))
    inputs = [(t, D(1)) for t in may31] + [(t, D(2)) for t in june1] + [(t, D(4)) for t in june2]
    outputs = [(t, D(2)) for t in may31] + [(t, D(6)) for t in june1] + [(t, D(8)) for t in june2]
    with database.transaction('energy') as cur:
        for direction, rows, category in (('input', inputs, power), ('output', outputs, cold)):
            cur.executemany(
                f'INSERT INTO tbl_space_{direction}_category_hourly (space_id, energy_category_id,'
                ' start_datetime_utc, actual_value) VALUES (%s, %s, %s, %s)',
                [(space, category, t, v) for t, v in rows],
            )
        cur.executemany(
            'INSERT INTO tbl_offline_meter_hourly (offline_meter_id, start_datetime_utc, actual_value)'
            ' VALUES (%s, %s, %s)',
            [(offline, t, D(1)) for t in june1] + [(offline, t, D(2)) for t in hours(datetime(2026, 6, 3), 24)],
        )
    return {
        'space': space,
        'child': child,
        'equipment': equipment,
        'offline': offline,
        'own_point': own_point,
        'sensor_point': sensor_point,
        'tracked': tracked,
        'silent': silent,
        'power': power,
        'cold': cold,
    }


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return simplejson.loads(answer.text, use_decimal=True)


def csv_rows(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> list[list[str]]:
    answer = api.simulate_get(path, headers=headers, params={**params, 'format': 'csv'})
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.content.decode('utf-8-sig'))))


def test_space_efficiency_is_output_over_input_per_day_and_over_the_period(
    api: Any, admin_headers: Any, site: Any
) -> None:
    got = get(api, admin_headers, '/reports/spaceefficiency', spaceid=str(site['space']), **EFFICIENCY)
    rep_in, rep_out = got['reporting_period_input'], got['reporting_period_output']
    assert rep_in['energy_category_ids'] == [site['power']] and rep_out['energy_category_ids'] == [site['cold']]
    assert rep_in['values'] == [[48, 96]] and rep_out['values'] == [[144, 192]]
    assert rep_in['subtotals'] == [144] and rep_out['subtotals'] == [336]
    assert rep_in['increment_rates'] == [5] and rep_out['increment_rates'] == [6]
    eff = got['reporting_period_efficiency']
    assert (
        len(eff['names']) == 1
        and '/' in eff['names'][0]
        and eff['units'] == [f'{rep_out["units"][0]}/{rep_in["units"][0]}']
    )
    assert eff['timestamps'] == [['2026-06-01', '2026-06-02']]
    assert eff['values'] == [[3, 2]]
    assert eff['cumulations'][0] == pytest.approx(D(7) / D(3))
    assert eff['rates'][0][0] == D('0.5')
    assert eff['increment_rates'][0] == pytest.approx(D(1) / D(6))
    base = got['base_period_efficiency']
    assert base['values'] == [[2]] and base['cumulations'] == [2]
    assert got['space']['id'] == site['space']
    rows = csv_rows(api, admin_headers, '/reports/spaceefficiency', spaceid=str(site['space']), **EFFICIENCY)
    assert any(row[1:2] == ['2026-06-02'] for row in rows)


def test_efficiency_without_a_base_period_and_for_equipment(api: Any, admin_headers: Any, site: Any) -> None:
    reporting = {k: v for k, v in EFFICIENCY.items() if not k.startswith('base')}
    got = get(api, admin_headers, '/reports/spaceefficiency', spaceid=str(site['space']), **reporting)
    eff = got['reporting_period_efficiency']
    assert eff['values'] == [[3, 2]] and eff['rates'] == [[None, None]] and eff['increment_rates'] == [None]
    assert got['reporting_period_input']['increment_rates'] == [None]
    empty = get(api, admin_headers, '/reports/equipmentefficiency', equipmentid=str(site['equipment']), **reporting)
    assert empty['reporting_period_efficiency']['values'] == [] and empty['equipment']['id'] == site['equipment']


def test_offline_meter_daily_values_in_its_zone(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/offlinemeterdaily', offlinemeterid=str(site['offline']), **DAYS)
    assert got['values'] == [
        {'monthdate': '2026-06-01', 'daily_value': 24},
        {'monthdate': '2026-06-02', 'daily_value': None},
        {'monthdate': '2026-06-03', 'daily_value': 48},
    ]
    assert got['reporting_period']['total_in_category'] == 72
    assert got['offline_meter']['energy_category_id'] == site['power']
    rows = csv_rows(api, admin_headers, '/reports/offlinemeterdaily', offlinemeterid=str(site['offline']), **DAYS)
    assert [row[1] for row in rows[1:4]] == ['2026-06-01', '2026-06-02', '2026-06-03']


def test_offline_meter_input_lists_the_days_of_the_month(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(
        api,
        admin_headers,
        '/reports/offlinemeterinput',
        offlinemeterid=str(site['offline']),
        reportingperiodstartdatetime='2026-06-15T00:00:00',
    )
    values = got['values']
    assert len(values) == 30 and values[0] == {'monthdate': '06-01', 'daily_value': 24}
    assert values[1]['daily_value'] is None and values[2] == {'monthdate': '06-03', 'daily_value': 48}
    assert values[-1]['monthdate'] == '06-30'


def test_point_realtime_for_a_space_and_for_a_point_list(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/pointrealtime', spaceid=str(site['space']))
    points = {p['point_id']: p for p in got['points']}
    assert set(points) == {site['own_point'], site['sensor_point']}
    assert points[site['own_point']]['value'] == D('21.5') and not points[site['own_point']]['is_stale']
    assert points[site['sensor_point']]['value'] == 7 and points[site['sensor_point']]['is_stale']
    assert points[site['sensor_point']]['local_date_time'] == '2026-06-02T12:00:00'
    listed = get(api, admin_headers, '/reports/pointrealtime', pointids=f'{site["sensor_point"]}')
    assert [p['point_id'] for p in listed['points']] == [site['sensor_point']]


def test_meter_tracking_reads_the_counters_at_both_ends(api: Any, admin_headers: Any, site: Any, factory: Any) -> None:
    got = get(api, admin_headers, '/reports/metertracking', spaceid=str(site['space']), **TRACK)
    meters = {m['id']: m for m in got['meters']}
    assert set(meters) == {site['tracked'], site['silent']}
    tracked = meters[site['tracked']]
    assert tracked['start_value'] == 100 and tracked['end_value'] == 150 and tracked['difference_value'] == 50
    assert tracked['space_name'].endswith(f'/{factory.read("space", site["child"])["name"]}')
    assert meters[site['silent']]['start_value'] is None
    assert got['start_integrity_rate'] == D('0.5') and got['full_integrity_rate'] == D('0.5')
    power = get(
        api,
        admin_headers,
        '/reports/metertracking',
        spaceid=str(site['space']),
        energyCategory=str(site['power']),
        **TRACK,
    )
    assert [m['id'] for m in power['meters']] == [site['tracked']] and power['full_integrity_rate'] == 1


def test_equipment_tracking_lists_the_subtree(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/equipmenttracking', spaceid=str(site['space']))
    assert [e['id'] for e in got['equipments']] == [site['equipment']]
    child = get(api, admin_headers, '/reports/equipmenttracking', spaceid=str(site['child']))
    assert [e['id'] for e in child['equipments']] == [site['equipment']]


def test_reports_refuse_a_caller_outside_the_objects_spaces(
    api: Any, site: Any, factory: Any, make_user: Any, sign_in: Any
) -> None:
    elsewhere = factory.create('space')
    viewer = sign_in(make_user('miscviewer', spaces=[elsewhere]))
    cases = [
        ('/reports/spaceefficiency', {'spaceid': str(site['space']), **EFFICIENCY}),
        ('/reports/offlinemeterdaily', {'offlinemeterid': str(site['offline']), **DAYS}),
        ('/reports/offlinemeterinput', {'offlinemeterid': str(site['offline']), **DAYS}),
        ('/reports/pointrealtime', {'spaceid': str(site['space'])}),
        ('/reports/pointrealtime', {'pointids': str(site['own_point'])}),
        ('/reports/metertracking', {'spaceid': str(site['space']), **TRACK}),
        ('/reports/equipmenttracking', {'spaceid': str(site['space'])}),
    ]
    for path, params in cases:
        refused = api.simulate_get(path, headers=viewer, params=params)
        assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN', path
        anonymous = api.simulate_get(path, params=params)
        assert anonymous.status_code == 401, path


def test_bad_requests_name_the_parameter(api: Any, admin_headers: Any, site: Any) -> None:
    space = str(site['space'])
    cases = [
        ('/reports/offlinemeterdaily', {}, 400, 'API.INVALID_OFFLINE_METER_ID'),
        ('/reports/offlinemeterdaily', {'offlinemeterid': '987654321', **DAYS}, 404, 'API.OFFLINE_METER_NOT_FOUND'),
        ('/reports/offlinemeterinput', {'offlinemeterid': str(site['offline'])}, 400,
         'API.INVALID_REPORTING_PERIOD_START_DATETIME'),
        ('/reports/pointrealtime', {'pointids': '1,x'}, 400, 'API.INVALID_POINT_ID'),
        ('/reports/pointrealtime', {'pointids': '987654321'}, 404, 'API.POINT_NOT_FOUND'),
        ('/reports/pointrealtime', {}, 400, 'API.INVALID_SPACE_ID'),
        ('/reports/metertracking', {'spaceid': space, 'energyCategory': 'x', **TRACK}, 400,
         'API.INVALID_ENERGY_CATEGORY_ID'),
        ('/reports/metertracking', {'spaceid': space, 'energyCategory': '987654321', **TRACK}, 404,
         'API.ENERGY_CATEGORY_NOT_FOUND'),
        ('/reports/metertracking', {'spaceid': space}, 400, 'API.INVALID_REPORTING_PERIOD_START_DATETIME'),
        ('/reports/equipmenttracking', {'spaceid': '987654321'}, 404, 'API.SPACE_NOT_FOUND'),
        ('/reports/spaceefficiency', {'spaceid': space, 'periodtype': 'x'}, 400, 'API.INVALID_PERIOD_TYPE'),
    ]  # fmt: skip
    for path, params, status, code in cases:
        answer = api.simulate_get(path, headers=admin_headers, params=params)
        assert answer.status_code == status and answer.json['description'] == code, (path, answer.text)


def test_the_routes_are_in_the_report_catalogue(api: Any, admin_headers: Any) -> None:
    listed = {r['path']: r for r in get(api, admin_headers, '/meta/reports')['reports']}
    assert listed['/reports/spaceefficiency']['kind'] == 'efficiency'
    assert {'/reports/equipmentefficiency', '/reports/combinedequipmentefficiency'} <= set(listed)
    assert listed['/reports/metertracking']['kind'] == 'tracking'
    assert 'pointids' in listed['/reports/pointrealtime']['parameters']
    assert {'/reports/offlinemeterdaily', '/reports/offlinemeterinput', '/reports/equipmenttracking'} <= set(listed)
