"""Dashboards and the energy flow diagram over a small fixture checked by hand.

A space in Europe/Berlin (UTC+2 in June) with a meter and an offline meter.

* Space: 100 kWh of electricity (kgce 0.1, kgco2e 0.5) in the slot starting local 1 June 2026 00:00
  (31 May 22:00 UTC) and 7 kWh in the slot before it (left out); 80 kWh in June 2025. Cost 30 in June
  2026, none in June 2025; carbon 50 against 40. So: energy 100 against 80 (rate 0.25), 10 against 8 kgce,
  50 against 40 kgCO2e; cost 30 against 0 (no rate); carbon 50 against 40 (rate 0.25).
* Meter: 12 kWh and a cost of 3.6 in June 2026, nothing in June 2025.
* Diagram: Grid -> Plant through the meter (12), Plant -> Office through the offline meter (5 in June, 9
  in July, left out), Plant -> Loss through a uuid no meter has (None).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import simplejson
from falcon import testing

from myems_api.reportdashboards import outermost, this_month, year_before
from myems_common.timeutil import zone

D = Decimal
JUNE = {'reportingperiodstartdatetime': '2026-06-01T00:00:00', 'reportingperiodenddatetime': '2026-07-01T00:00:00'}


@pytest.fixture(scope='module')
def site(factory: Any, database: Any) -> dict[str, int]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    power = factory.create('energy_category', kgce='0.1', kgco2e='0.5')
    space = factory.create('space', timezone_id=berlin)
    meter = factory.create('meter', energy_category_id=power)
    offline = factory.create('offline_meter', energy_category_id=power)
    factory.link('space', space, 'meters', meter)
    factory.link('space', space, 'offlinemeters', offline)
    diagram = factory.create('energy_flow_diagram')
    factory.link('space', space, 'energyflowdiagrams', diagram)
    meter_uuid = factory.read('meter', meter)['uuid']
    offline_uuid = factory.read('offline_meter', offline)['uuid']
    with database.transaction('system') as cur:
        nodes = {}
        for name in ('Grid', 'Plant', 'Office', 'Loss'):
            cur.execute(
                'INSERT INTO tbl_energy_flow_diagrams_nodes (energy_flow_diagram_id, name) VALUES (%s, %s)',
                (diagram, name),
            )
            nodes[name] = cur.lastrowid
        cur.executemany(
            'INSERT INTO tbl_energy_flow_diagrams_links (energy_flow_diagram_id, source_node_id, target_node_id,'
            ' meter_uuid) VALUES (%s, %s, %s, %s)',
            [
                (diagram, nodes['Grid'], nodes['Plant'], meter_uuid),
                (diagram, nodes['Plant'], nodes['Office'], offline_uuid),
                (diagram, nodes['Plant'], nodes['Loss'], str(uuid.uuid4())),
            ],
        )
    space_rows = {
        'energy': [
            (datetime(2026, 5, 31, 22), D(100)),
            (datetime(2026, 5, 31, 21), D(7)),
            (datetime(2025, 6, 15), D(80)),
        ],
        'billing': [(datetime(2026, 6, 10), D(30))],
        'carbon': [(datetime(2026, 6, 10), D(50)), (datetime(2025, 6, 10), D(40))],
    }
    for db, rows in space_rows.items():
        with database.transaction(db) as cur:
            cur.executemany(
                'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
                ' actual_value) VALUES (%s, %s, %s, %s)',
                [(space, power, at, value) for at, value in rows],
            )
    for db, value in (('energy', D(12)), ('billing', D('3.6'))):
        with database.transaction(db) as cur:
            cur.execute(
                'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)',
                (meter, datetime(2026, 6, 3, 8), value),
            )
    with database.transaction('energy') as cur:
        cur.executemany(
            'INSERT INTO tbl_offline_meter_hourly (offline_meter_id, start_datetime_utc, actual_value)'
            ' VALUES (%s, %s, %s)',
            [(offline, datetime(2026, 6, 20), D(5)), (offline, datetime(2026, 7, 2), D(9))],
        )
    return {'space': space, 'meter': meter, 'offline': offline, 'diagram': diagram, 'power': power}


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return simplejson.loads(answer.text, use_decimal=True)


def test_space_dashboard_compares_june_with_june_last_year(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/spacedashboard', spaceid=str(site['space']), **JUNE)
    now, before = got['reporting_period_input'], got['base_period_input']
    assert now['energy_category_ids'] == [site['power']]
    assert now['subtotals'] == [100] and before['subtotals'] == [80] and now['increment_rates'] == [D('0.25')]
    assert now['total_in_kgce'] == 10 and before['total_in_kgce'] == 8 and now['total_in_kgco2e'] == 50
    assert now['increment_rate_in_kgce'] == D('0.25')
    cost = got['reporting_period_cost']
    assert cost['subtotals'] == [30] and cost['total'] == 30 and got['base_period_cost']['total'] == 0
    assert cost['increment_rates'] == [None] and cost['total_increment_rate'] is None
    carbon = got['reporting_period_carbon']
    assert (
        carbon['total'] == 50 and got['base_period_carbon']['total'] == 40 and carbon['increment_rates'] == [D('0.25')]
    )
    assert carbon['total_unit'] == 'kgCO2e'
    assert got['periods']['base_period_start'] == '2025-06-01T00:00:00'
    assert got['periods']['base_period_end'] == '2025-07-01T00:00:00'
    assert got['space']['id'] == site['space']


def test_space_dashboard_as_csv(api: Any, admin_headers: Any, site: Any) -> None:
    answer = api.simulate_get(
        '/reports/spacedashboard',
        headers=admin_headers,
        params={'spaceid': str(site['space']), 'format': 'csv', **JUNE},
    )
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode('utf-8-sig'))))
    body = [r for r in rows[1:] if len(r) > 2 and r[2]]
    assert [D(v) for v in body[0][2:8]] == [100, 80, 30, 0, 50, 40]


def test_meter_dashboard_uses_the_meters_category(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/meterdashboard', meterid=str(site['meter']), **JUNE)
    assert got['reporting_period_input']['energy_category_ids'] == [site['power']]
    assert got['reporting_period_input']['subtotals'] == [12] and got['base_period_input']['subtotals'] == [0]
    assert got['reporting_period_cost']['total'] == D('3.6') and got['reporting_period_carbon']['total'] == 0
    assert got['reporting_period_input']['increment_rates'] == [None]


def test_user_dashboard_sums_the_privileged_spaces(
    api: Any, admin_headers: Any, site: Any, make_user: Any, sign_in: Any
) -> None:
    viewer = sign_in(make_user('dashviewer', spaces=[site['space']]))
    got = get(api, viewer, '/reports/dashboard', **JUNE)
    assert [s['id'] for s in got['spaces']] == [site['space']]
    assert got['reporting_period_input']['subtotals'] == [100] and got['reporting_period_cost']['total'] == 30
    root = get(api, admin_headers, '/reports/dashboard', **JUNE)
    assert len(root['spaces']) == 1
    default = get(api, viewer, '/reports/dashboard')  # this month against the same month last year
    assert default['periods']['reporting_period_start'].endswith('-01T00:00:00')


def test_energy_flow_diagram_values_each_link_by_its_meter(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/energyflowdiagram', energyflowdiagramid=str(site['diagram']), **JUNE)
    assert [n['name'] for n in got['nodes']] == ['Grid', 'Plant', 'Office', 'Loss']
    links = [(x['source'], x['target'], x['value']) for x in got['links']]
    assert links == [('Grid', 'Plant', 12), ('Plant', 'Office', 5), ('Plant', 'Loss', None)]
    assert got['links'][1]['meter']['type'] == 'offline_meter'
    assert got['reporting_period']['timestamps'][0] == 'Grid -> Plant'


def test_routes_refuse_anonymous_and_foreign_callers(
    api: Any, site: Any, factory: Any, make_user: Any, sign_in: Any
) -> None:
    elsewhere = factory.create('space')
    viewer = sign_in(make_user('dashstranger', spaces=[elsewhere]))
    cases = [
        ('/reports/spacedashboard', {'spaceid': str(site['space'])}),
        ('/reports/meterdashboard', {'meterid': str(site['meter'])}),
        ('/reports/energyflowdiagram', {'energyflowdiagramid': str(site['diagram']), **JUNE}),
    ]
    for path, params in cases:
        refused = api.simulate_get(path, headers=viewer, params=params)
        assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN', path
        assert api.simulate_get(path, params=params).status_code == 401, path
    assert api.simulate_get('/reports/dashboard').status_code == 401
    own = get(api, viewer, '/reports/dashboard', **JUNE)
    assert [s['id'] for s in own['spaces']] == [elsewhere] and own['reporting_period_input']['subtotals'] == []


def test_bad_requests_name_the_parameter(api: Any, admin_headers: Any, site: Any) -> None:
    diagram = str(site['diagram'])
    cases = [
        ('/reports/spacedashboard', {}, 400, 'API.INVALID_SPACE_ID'),
        ('/reports/tenantdashboard', {'tenantid': '987654321'}, 404, 'API.TENANT_NOT_FOUND'),
        ('/reports/equipmentdashboard', {'equipmentid': 'x'}, 400, 'API.INVALID_EQUIPMENT_ID'),
        ('/reports/energyflowdiagram', JUNE, 400, 'API.INVALID_ENERGY_FLOW_DIAGRAM_ID'),
        ('/reports/energyflowdiagram', {'energyflowdiagramid': '987654321', **JUNE}, 404,
         'API.ENERGY_FLOW_DIAGRAM_NOT_FOUND'),
        ('/reports/energyflowdiagram', {'energyflowdiagramid': diagram}, 400,
         'API.INVALID_REPORTING_PERIOD_START_DATETIME'),
        ('/reports/dashboard', {'reportingperiodstartdatetime': 'soon'}, 400,
         'API.INVALID_REPORTING_PERIOD_START_DATETIME'),
    ]  # fmt: skip
    for path, params, status, code in cases:
        answer = api.simulate_get(path, headers=admin_headers, params=params)
        assert answer.status_code == status and answer.json['description'] == code, (path, answer.text)


def test_the_routes_are_in_the_report_catalogue(api: Any, admin_headers: Any) -> None:
    listed = {r['path']: r for r in get(api, admin_headers, '/meta/reports')['reports']}
    assert listed['/reports/combinedequipmentdashboard']['entity'] == 'combined_equipment'
    assert 'energyflowdiagramid' in listed['/reports/energyflowdiagram']['parameters']
    assert listed['/reports/dashboard']['kind'] == 'dashboard'


def test_default_periods_and_outermost_spaces() -> None:
    berlin = zone('Europe/Berlin')
    assert this_month(berlin, datetime(2026, 5, 31, 22, 30)) == (datetime(2026, 5, 31, 22), datetime(2026, 6, 30, 22))
    assert this_month(berlin, datetime(2026, 12, 5)) == (datetime(2026, 11, 30, 23), datetime(2026, 12, 31, 23))
    assert year_before((datetime(2028, 2, 28, 23), datetime(2028, 3, 31, 22)), berlin) == (
        datetime(2027, 2, 27, 23),  # 29 February: 28 February
        datetime(2027, 3, 31, 22),
    )
    spaces = {1: (None, 'root', ''), 2: (1, 'a', ''), 3: (2, 'b', ''), 4: (1, 'c', '')}
    assert outermost([3, 2, 4], spaces) == [2, 4]
