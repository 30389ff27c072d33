"""The `parameters` block of the generated series reports over a small fixture checked by hand.

Everything lives under a space in Europe/Berlin (UTC+2 in June); the reporting period is local 2 June
07:00-09:00, hourly slots.

* Tariff: the space's cost centre prices power at 0.1 before 08:00 local and 0.3 from 08:00: the slots of
  07:00 and 08:00 are 0.1 and 0.3 ('Tariff-<category>'; for the item report 'Tariff-<item>').
* Points: the space's own temperature point reads 20.5 at 07:15 and 21 (flagged bad, still listed) at
  08:45 local, and 19 at 06:59 (before the period, left out); its sensor's humidity point reads 40 at 08:00.
* A meter of the space has one energy point reading 5 at 07:30; its report lists the tariff and that reading.
* An equipment with a point parameter 'supply temperature' on a point reading 12 at 07:00 is listed under the
  parameter's name; its cost centre has no tariff, so it has no tariff series.
* A virtual meter has neither points nor (its cost centre has no tariff) a tariff series.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import simplejson
from falcon import testing

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal
PERIOD = {
    'periodtype': 'hourly',
    'reportingperiodstartdatetime': '2026-06-02T07:00:00',
    'reportingperiodenddatetime': '2026-06-02T09:00:00',
}
BANDS = [
    {'start_time_of_day': '00:00:00', 'end_time_of_day': '07:59:59', 'peak_type': 'offpeak', 'price': '0.1'},
    {'start_time_of_day': '08:00:00', 'end_time_of_day': '23:59:59', 'peak_type': 'onpeak', 'price': '0.3'},
]
SLOTS = ['2026-06-02T07:00:00', '2026-06-02T08:00:00']


def utc(hour: int, minute: int = 0) -> datetime:
    local = datetime(2026, 6, 2, hour, minute, tzinfo=BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture(scope='module')
def site(factory: Any, database: Any) -> dict[str, Any]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    power = factory.create('energy_category', name='power-params')
    item = factory.create('energy_item', energy_category_id=power, name='lighting-params')
    center = factory.create('cost_center')
    space = factory.create('space', timezone_id=berlin, cost_center_id=center)
    tariff = factory.create(
        'tariff',
        energy_category_id=power,
        timezone='Europe/Berlin',
        structure=None,
        valid_from_datetime_utc='2026-01-01T00:00:00',
        valid_through_datetime_utc='2026-12-31T23:59:59',
        timeofuse=BANDS,
    )
    factory.link('cost_center', center, 'tariffs', tariff)
    temperature = factory.create('point', object_type='ANALOG_VALUE', units='degC', name='temperature-params')
    humidity = factory.create('point', object_type='ANALOG_VALUE', units='%', name='humidity-params')
    counter = factory.create('point', object_type='ENERGY_VALUE', units='kWh', name='counter-params')
    supply = factory.create('point', object_type='ANALOG_VALUE', units='degC', name='supply-point-params')
    sensor = factory.create('sensor')
    factory.link('sensor', sensor, 'points', humidity)
    factory.link('space', space, 'sensors', sensor)
    factory.link('space', space, 'points', temperature)
    meter = factory.create('meter', energy_category_id=power, cost_center_id=center)
    factory.link('meter', meter, 'points', counter)
    factory.link('space', space, 'meters', meter)
    equipment = factory.create('equipment')
    factory.link('space', space, 'equipments', equipment)
    virtual = factory.create('virtual_meter', energy_category_id=power)
    with database.transaction('system') as cur:
        cur.execute(
            'INSERT INTO tbl_equipments_parameters (equipment_id, name, parameter_type, point_id)'
            " VALUES (%s, 'supply temperature', 'point', %s)",
            (equipment, supply),
        )
    with database.transaction('historical') as cur:
        cur.executemany(
            'INSERT INTO tbl_analog_value (point_id, utc_date_time, actual_value, is_bad) VALUES (%s, %s, %s, %s)',
            [
                (temperature, utc(6, 59), D(19), 0),
                (temperature, utc(7, 15), D('20.5'), 0),
                (temperature, utc(8, 45), D(21), 1),
                (humidity, utc(8), D(40), 0),
                (supply, utc(7), D(12), 0),
            ],
        )
        cur.execute(
            'INSERT INTO tbl_energy_value (point_id, utc_date_time, actual_value, is_bad) VALUES (%s, %s, %s, 0)',
            (counter, utc(7, 30), D(5)),
        )
    slots = [utc(7), utc(8)]
    with database.transaction('energy') as cur:
        for table, column, key, dimension in (
            ('tbl_space_input_category_hourly', 'space_id', space, ('energy_category_id', power)),
            ('tbl_space_input_item_hourly', 'space_id', space, ('energy_item_id', item)),
            ('tbl_equipment_input_category_hourly', 'equipment_id', equipment, ('energy_category_id', power)),
        ):
            cur.executemany(
                f'INSERT INTO {table} ({column}, {dimension[0]}, start_datetime_utc, actual_value)'
                ' VALUES (%s, %s, %s, 1)',
                [(key, dimension[1], t) for t in slots],
            )
        cur.executemany(
            'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, 1)',
            [(meter, t) for t in slots],
        )
        cur.executemany(
            'INSERT INTO tbl_virtual_meter_hourly (virtual_meter_id, start_datetime_utc, actual_value)'
            ' VALUES (%s, %s, 1)',
            [(virtual, t) for t in slots],
        )
    return {'space': space, 'meter': meter, 'equipment': equipment, 'virtual': virtual}


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params={**PERIOD, **params})
    assert answer.status_code == 200, answer.text
    return simplejson.loads(answer.text, use_decimal=True)


def test_a_space_report_lists_the_tariff_then_its_points_and_its_sensors_points(
    api: Any, admin_headers: Any, site: Any
) -> None:
    got = get(api, admin_headers, '/reports/spaceenergycategory', spaceid=str(site['space']))['parameters']
    assert got['names'] == ['Tariff-power-params', 'temperature-params (degC)', 'humidity-params (%)']
    assert got['timestamps'] == [SLOTS, ['2026-06-02T07:15:00', '2026-06-02T08:45:00'], ['2026-06-02T08:00:00']]
    assert got['values'] == [[D('0.1'), D('0.3')], [D('20.5'), 21], [40]]


def test_an_item_report_names_the_tariff_after_the_item(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/spaceenergyitem', spaceid=str(site['space']))['parameters']
    assert got['names'][0] == 'Tariff-lighting-params' and got['values'][0] == [D('0.1'), D('0.3')]


def test_a_meter_report_lists_the_tariff_and_its_points(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/meterenergy', meterid=str(site['meter']))['parameters']
    assert got['names'] == ['Tariff-power-params', 'counter-params (kWh)']
    assert got['timestamps'][1] == ['2026-06-02T07:30:00'] and got['values'] == [[D('0.1'), D('0.3')], [5]]


def test_an_equipment_lists_its_point_parameters_and_a_virtual_meter_nothing(
    api: Any, admin_headers: Any, site: Any
) -> None:
    got = get(api, admin_headers, '/reports/equipmentenergycategory', equipmentid=str(site['equipment']))
    assert got['parameters'] == {
        'names': ['supply temperature (degC)'],
        'timestamps': [['2026-06-02T07:00:00']],
        'values': [[12]],
    }
    virtual = get(api, admin_headers, '/reports/virtualmeterenergy', virtualmeterid=str(site['virtual']))
    assert virtual['parameters'] == {'names': [], 'timestamps': [], 'values': []}


def test_quick_mode_leaves_the_parameters_out(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/spaceenergycategory', spaceid=str(site['space']), quickmode='true')
    assert 'parameters' not in got and got['reporting_period']['subtotals'] == [2]


def test_a_scoped_user_is_refused_and_a_bad_id_is_named(
    api: Any, site: Any, factory: Any, make_user: Any, sign_in: Any
) -> None:
    viewer = sign_in(make_user('paramviewer', spaces=[factory.create('space')]))
    params = {**PERIOD, 'spaceid': str(site['space'])}
    refused = api.simulate_get('/reports/spaceenergycategory', headers=viewer, params=params)
    assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN'
    bad = api.simulate_get('/reports/spaceenergycategory', headers=viewer, params={**params, 'spaceid': 'x'})
    assert bad.status_code == 400 and 'spaceid' in bad.json['message']


def test_csv_export_still_works_with_parameters(api: Any, admin_headers: Any, site: Any) -> None:
    answer = api.simulate_get(
        '/reports/spaceenergycategory',
        headers=admin_headers,
        params={**PERIOD, 'spaceid': str(site['space']), 'format': 'csv'},
    )
    assert answer.status_code == 200 and answer.content.decode('utf-8-sig').count('\n') >= 2
