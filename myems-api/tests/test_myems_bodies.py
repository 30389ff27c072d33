"""Bodies exactly as MyEMS's own clients send them are accepted and answered in MyEMS's shape."""

from __future__ import annotations

import uuid
from typing import Any

from falcon import testing


def unique(prefix: str) -> str:
    return f'{prefix} {uuid.uuid4().hex[:8]}'


def test_tariff_with_nested_category_local_validity_and_time_of_use(
    api: testing.TestClient, admin_headers: dict[str, str], settings: Any
) -> None:
    category = api.simulate_post(
        '/energycategories',
        headers=admin_headers,
        json={'data': {'name': unique('Power'), 'unit_of_measure': 'kWh', 'kgce': 0.1229, 'kgco2e': 0.38}},
    ).json['id']
    body = {
        'data': {
            'name': unique('TOU'),
            'energy_category': {'id': category},
            'tariff_type': 'timeofuse',
            'unit_of_price': 'EUR/kWh',
            'valid_from': '2025-01-01T00:00:00',
            'valid_through': '2026-01-01T00:00:00',
            'timeofuse': [
                {'start_time_of_day': '00:00:00', 'end_time_of_day': '07:59:59', 'peak_type': 'offpeak', 'price': 0.21},
                {'start_time_of_day': '08:00:00', 'end_time_of_day': '23:59:59', 'peak_type': 'onpeak', 'price': 0.34},
            ],
        }
    }
    made = api.simulate_post('/tariffs', headers=admin_headers, json=body)
    assert made.status_code == 201, made.text
    got = api.simulate_get(f'/tariffs/{made.json["id"]}', headers=admin_headers).json
    assert got['energy_category']['id'] == category
    assert got['valid_from'] == '2025-01-01T00:00:00'  # local at UTC_OFFSET, as MyEMS answers
    assert [(r['peak_type'], r['start_time_of_day']) for r in got['timeofuse']] == [
        ('offpeak', '00:00:00'),
        ('onpeak', '08:00:00'),
    ]
    assert [float(r['price']) for r in got['timeofuse']] == [0.21, 0.34]
    # a PUT with another list replaces the rows; one without the key keeps them
    body['data']['timeofuse'] = body['data']['timeofuse'][:1]
    assert api.simulate_put(f'/tariffs/{made.json["id"]}', headers=admin_headers, json=body).status_code == 200
    assert len(api.simulate_get(f'/tariffs/{made.json["id"]}', headers=admin_headers).json['timeofuse']) == 1
    del body['data']['timeofuse']
    assert api.simulate_put(f'/tariffs/{made.json["id"]}', headers=admin_headers, json=body).status_code == 200
    assert len(api.simulate_get(f'/tariffs/{made.json["id"]}', headers=admin_headers).json['timeofuse']) == 1


def test_virtual_meter_with_myems_expression_object(api: testing.TestClient, admin_headers: dict[str, str]) -> None:
    category = api.simulate_post(
        '/energycategories',
        headers=admin_headers,
        json={'data': {'name': unique('Heat'), 'unit_of_measure': 'kWh', 'kgce': 0.1, 'kgco2e': 0.2}},
    ).json['id']
    center = api.simulate_post('/costcenters', headers=admin_headers, json={'data': {'name': unique('CC')}}).json['id']
    meters = [
        api.simulate_post(
            '/meters',
            headers=admin_headers,
            json={
                'data': {
                    'name': unique('M'),
                    'energy_category_id': category,
                    'is_counted': True,
                    'hourly_low_limit': 0,
                    'hourly_high_limit': 100,
                    'cost_center_id': center,
                }
            },
        ).json['id']
        for _ in range(2)
    ]
    body = {
        'data': {
            'name': unique('VM'),
            'energy_category_id': category,
            'is_counted': False,
            'cost_center_id': center,
            'expression': {
                'equation': 'x1-x2',
                'variables': [
                    {'name': 'x1', 'meter_type': 'meter', 'meter_id': meters[0]},
                    {'name': 'x2', 'meter_type': 'meter', 'meter_id': meters[1]},
                ],
            },
        }
    }
    made = api.simulate_post('/virtualmeters', headers=admin_headers, json=body)
    assert made.status_code == 201, made.text
    got = api.simulate_get(f'/virtualmeters/{made.json["id"]}', headers=admin_headers).json
    assert got['expression']['equation'] == 'x1-x2'
    assert [(v['name'], v['meter_id']) for v in got['expression']['variables']] == [
        ('x1', meters[0]),
        ('x2', meters[1]),
    ]
    bad = {**body['data'], 'name': unique('VM'), 'expression': {'equation': 'x1', 'variables': [{'name': 'x1'}]}}
    refused = api.simulate_post('/virtualmeters', headers=admin_headers, json={'data': bad})
    assert refused.status_code == 400 and 'meter_type' in refused.json['message']


def test_child_rows_of_different_shapes_mix(api: testing.TestClient, admin_headers: dict[str, str]) -> None:
    times = [
        {'start_time_of_day': '00:00:00', 'end_time_of_day': '06:00:00', 'power_value': 30},
        {'start_time_of_day': '06:00:00', 'end_time_of_day': '23:59:59', 'description': 'day'},
    ]
    made = api.simulate_post(
        '/controlmodes',
        headers=admin_headers,
        json={'data': {'name': unique('Mode'), 'is_active': True, 'times': times}},
    )
    assert made.status_code == 201, made.text
    got = api.simulate_get(f'/controlmodes/{made.json["id"]}', headers=admin_headers).json['times']
    assert [(t['power_value'], t['description']) for t in got] == [(30, None), (None, 'day')]


def test_run_actions_set_their_flag(api: testing.TestClient, admin_headers: dict[str, str], database: Any) -> None:
    body = {'name': unique('Nightly'), 'expression': {'reports': []}, 'is_enabled': True}
    made = api.simulate_post('/advancedreports', headers=admin_headers, json={'data': body})
    assert made.status_code == 201, made.text
    report = made.json['id']
    assert api.simulate_get(f'/advancedreports/{report}', headers=admin_headers).json['is_run_immediately'] is False
    assert api.simulate_put(f'/advancedreports/{report}/run', headers=admin_headers).status_code == 200
    assert api.simulate_get(f'/advancedreports/{report}', headers=admin_headers).json['is_run_immediately'] is True
    assert api.simulate_put('/advancedreports/999999/run', headers=admin_headers).status_code == 404


def test_menus_form_a_tree(api: testing.TestClient, admin_headers: dict[str, str]) -> None:
    top = api.simulate_post(
        '/menus', headers=admin_headers, json={'data': {'name': 'Space Data', 'route': '/space', 'is_hidden': False}}
    ).json['id']
    child = {'name': 'Energy Category', 'route': '/space/energycategory', 'parent_menu_id': top, 'is_hidden': True}
    made = api.simulate_post('/menus', headers=admin_headers, json={'data': child})
    assert made.status_code == 201, made.text
    children = api.simulate_get(f'/menus/{top}/children', headers=admin_headers).json
    assert [(m['id'], m['is_hidden']) for m in children] == [(made.json['id'], True)]


def test_point_limits_and_set_values(api: testing.TestClient, admin_headers: dict[str, str], database: Any) -> None:
    gateway = api.simulate_post('/gateways', headers=admin_headers, json={'data': {'name': unique('GW')}}).json['id']
    source = api.simulate_post(
        '/datasources',
        headers=admin_headers,
        json={'data': {'name': unique('DS'), 'gateway_id': gateway, 'protocol': 'modbus-tcp',
                       'connection': {'host': '127.0.0.1', 'port': 502}}},
    ).json['id']  # fmt: skip
    point = {'name': unique('P'), 'data_source_id': source, 'object_type': 'ANALOG_VALUE', 'units': 'kW',
             'high_limit': 100, 'low_limit': 0, 'ratio': 1, 'offset_constant': 0, 'is_trend': True,
             'is_virtual': False, 'address': {'slave_id': 1, 'function_code': 3, 'offset': 0}}  # fmt: skip
    made = api.simulate_post('/points', headers=admin_headers, json={'data': point})
    assert made.status_code == 201, made.text
    pid = made.json['id']
    limits = {'data': {'high_limit': 50, 'low_limit': 5, 'higher_limit': 60, 'lower_limit': None}}
    assert api.simulate_put(f'/pointlimits/{pid}', headers=admin_headers, json=limits).status_code == 200
    got = api.simulate_get(f'/points/{pid}', headers=admin_headers).json
    assert (got['high_limit'], got['low_limit'], got['higher_limit']) == (50, 5, 60)
    upside_down = {'data': {'high_limit': 1, 'low_limit': 5}}
    assert api.simulate_put(f'/pointlimits/{pid}', headers=admin_headers, json=upside_down).status_code == 400
    assert (
        api.simulate_put(f'/pointsetvalues/{pid}', headers=admin_headers, json={'data': {'set_value': 42}}).status_code
        == 200
    )
    outside = api.simulate_put(f'/pointsetvalues/{pid}', headers=admin_headers, json={'data': {'set_value': 51}})
    assert outside.status_code == 400 and outside.json['description'] == 'API.SET_VALUE_OUT_OF_RANGE'
    rows = database.fetch_all('system', 'SELECT set_value FROM tbl_points_set_values WHERE point_id = %s', (pid,))
    assert [float(v) for (v,) in rows] == [42.0]
    assert (
        api.simulate_put('/pointsetvalues/99999999', headers=admin_headers, json={'data': {'set_value': 1}}).status_code
        == 404
    )


def test_menus_web_lists_visible_routes_under_visible_parents(
    api: testing.TestClient, admin_headers: dict[str, str]
) -> None:
    def menu(route: str, parent: int | None = None, hidden: bool = False) -> int:
        body = {'data': {'name': route, 'route': route, 'parent_menu_id': parent, 'is_hidden': hidden}}
        made = api.simulate_post('/menus', headers=admin_headers, json=body)
        assert made.status_code == 201, made.text
        return int(made.json['id'])

    top, hidden_top = menu(unique('/space')), menu(unique('/tenant'), hidden=True)
    shown, _ = menu(unique('/space/energy'), top), menu(unique('/space/cost'), top, hidden=True)
    menu(unique('/tenant/bill'), hidden_top)
    routes = api.simulate_get('/menus/web', headers=admin_headers).json
    top_route = api.simulate_get(f'/menus/{top}', headers=admin_headers).json['route']
    shown_route = api.simulate_get(f'/menus/{shown}', headers=admin_headers).json['route']
    assert routes[top_route] == [shown_route]
    assert not any(r.startswith('/tenant ') for r in routes)


def test_null_for_an_optional_flag_means_not_given(api: testing.TestClient, admin_headers: dict[str, str]) -> None:
    """A create or import naming an optional, non-null column as null gets the column's default (not a 500)."""
    body = {'name': unique('Weekly'), 'expression': {}, 'is_enabled': True, 'is_run_immediately': None}
    for path, sent in (
        ('/advancedreports', {'data': body}),
        ('/advancedreports/import', {**body, 'name': unique('W')}),
    ):
        made = api.simulate_post(path, headers=admin_headers, json=sent)
        assert made.status_code == 201, made.text
        got = api.simulate_get(f'/advancedreports/{made.json["id"]}', headers=admin_headers).json
        assert got['is_run_immediately'] is False


def test_post_on_an_equipment_item_clones_it_as_myems_older_route_does(
    api: testing.TestClient, admin_headers: dict[str, str], factory: Any
) -> None:
    for entity, plural in (('equipment', 'equipments'), ('combined_equipment', 'combinedequipments')):
        source = factory.create(entity)
        made = api.simulate_post(f'/{plural}/{source}', headers=admin_headers)
        assert made.status_code == 201, made.text
        original = api.simulate_get(f'/{plural}/{source}', headers=admin_headers).json
        copy = api.simulate_get(f'/{plural}/{made.json["id"]}', headers=admin_headers).json
        assert copy['name'].startswith(original['name']) and copy['id'] != original['id']
    assert api.simulate_post('/meters/1', headers=admin_headers).status_code == 405  # only where MyEMS has it
