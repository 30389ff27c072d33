"""Retroactivity: a configuration change asks the pipeline to recompute what it changes, in its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from falcon import testing

FIRST = datetime(2026, 1, 1)  # the first energy slot stored: where "ever" starts


@pytest.fixture(scope='module', autouse=True)
def some_energy(database: Any) -> None:
    with database.transaction('energy') as cur:
        cur.execute(
            'INSERT IGNORE INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (999999, %s, 1)',
            (FIRST,),
        )


def requests(database: Any, key: str, reason: str) -> set[tuple[str, int, datetime, datetime]]:
    rows = database.fetch_all(
        key,
        'SELECT step, object_id, start_datetime_utc, end_datetime_utc FROM tbl_pipeline_dirty_ranges WHERE reason = %s',
        (reason,),
    )
    return {(str(s), int(o), a, b) for s, o, a, b in rows}


def test_linking_a_meter_to_a_space_recomputes_the_space(
    api: testing.TestClient, admin_headers: dict[str, str], factory: Any, database: Any
) -> None:
    space, meter = factory.create('space'), factory.create('meter')
    answer = api.simulate_post(f'/spaces/{space}/meters', headers=admin_headers, json={'data': {'meter_id': meter}})
    assert answer.status_code == 201, answer.text
    assert requests(database, 'energy', f'POST space.meters {space}') == {
        ('space_energy', space, FIRST, datetime(2100, 1, 1))
    }
    # unlinking it too
    answer = api.simulate_delete(f'/spaces/{space}/meters/{meter}', headers=admin_headers)
    assert answer.status_code == 204
    assert requests(database, 'energy', f'DELETE space.meters {space}') == {
        ('space_energy', space, FIRST, datetime(2100, 1, 1))
    }


def test_a_meter_no_longer_counted_recomputes_its_space_and_another_cost_centre_its_bill(
    api: testing.TestClient, admin_headers: dict[str, str], factory: Any, helpers: Any, database: Any
) -> None:
    space, meter = factory.create('space'), factory.create('meter')
    api.simulate_post(f'/spaces/{space}/meters', headers=admin_headers, json={'data': {'meter_id': meter}})
    body = factory.read('meter', meter)
    other_centre = factory.create('cost_center')
    change = {**factory.body('meter', 1), 'is_counted': not body['is_counted'], 'cost_center_id': other_centre}
    answer = helpers.send(api, 'PUT', f'/meters/{meter}', admin_headers, {'data': change})
    assert answer.status_code == 200, answer.text
    reason = f'PUT meter {meter}'
    assert ('space_energy', space, FIRST, datetime(2100, 1, 1)) in requests(database, 'energy', reason)
    billing = requests(database, 'billing', reason)
    assert ('meter_billing', meter, FIRST, datetime(2100, 1, 1)) in billing


def test_a_tariff_linked_to_a_cost_centre_rebills_what_the_centre_pays_over_its_validity(
    api: testing.TestClient, admin_headers: dict[str, str], factory: Any, helpers: Any, database: Any
) -> None:
    centre = factory.create('cost_center')
    meter = factory.create('meter', cost_center_id=centre)
    tariff = factory.read('tariff', factory.create('tariff'))
    answer = api.simulate_post(
        f'/costcenters/{centre}/tariffs', headers=admin_headers, json={'data': {'tariff_id': tariff['id']}}
    )
    assert answer.status_code == 201, answer.text
    found = requests(database, 'billing', f'POST cost_center.tariffs {centre}')
    steps = {(step, target) for step, target, *_ in found}
    assert ('meter_billing', meter) in steps
    assert all(step.endswith('_billing') for step, _ in steps)
    # a time-of-use edit of that tariff re-bills the same objects
    edit = {**factory.body('tariff', 2)}
    answer = helpers.send(api, 'PUT', f'/tariffs/{tariff["id"]}', admin_headers, {'data': edit})
    assert answer.status_code == 200, answer.text
    assert ('meter_billing', meter) in {
        (s, t) for s, t, *_ in requests(database, 'billing', f'PUT tariff {tariff["id"]}')
    }


def test_a_spaces_new_cost_centre_rebills_it_and_splits_its_energy_and_carbon_days_into_its_bands_again(
    api: testing.TestClient, admin_headers: dict[str, str], factory: Any, helpers: Any, database: Any
) -> None:
    space = factory.create('space')
    change = {**factory.body('space', 1), 'cost_center_id': factory.create('cost_center')}
    change.pop('parent_space_id', None)
    answer = helpers.send(api, 'PUT', f'/spaces/{space}', admin_headers, {'data': change})
    assert answer.status_code == 200, answer.text
    reason = f'PUT space {space}'
    ever = (FIRST, datetime(2100, 1, 1))
    assert ('space_billing', space, *ever) in requests(database, 'billing', reason)
    assert ('space_energy', space, *ever) in requests(database, 'energy', reason)  # its daily band sums
    assert ('space_carbon', space, *ever) in requests(database, 'carbon', reason)
    # a new time zone alone: its days change, so its energy is recomputed (and through it the rest)
    count = 'SELECT COUNT(*) FROM tbl_pipeline_dirty_ranges WHERE step = %s AND object_id = %s'
    before = database.fetch_one('energy', count, ('space_energy', space))[0]
    other = database.fetch_one(
        'system',
        'SELECT MIN(id) FROM tbl_timezones WHERE id <> (SELECT timezone_id FROM tbl_spaces WHERE id = %s)',
        (space,),
    )[0]
    answer = helpers.send(api, 'PUT', f'/spaces/{space}', admin_headers, {'data': {**change, 'timezone_id': other}})
    assert answer.status_code == 200, answer.text
    assert database.fetch_one('energy', count, ('space_energy', space))[0] == before + 1


def test_an_emission_factor_recomputes_carbon_over_its_validity(
    api: testing.TestClient, admin_headers: dict[str, str], factory: Any, database: Any
) -> None:
    meter = factory.create('meter')
    factor_id = factory.create(
        'emission_factor',
        valid_from_datetime_utc='2026-02-01T00:00:00',
        valid_through_datetime_utc='2026-02-28T23:59:59',
    )
    found = requests(database, 'carbon', f'POST emission_factor {factor_id}')
    assert ('meter_carbon', meter, datetime(2026, 2, 1), datetime(2026, 3, 1)) in found


def test_a_refused_change_asks_for_nothing(
    api: testing.TestClient, admin_headers: dict[str, str], factory: Any, database: Any
) -> None:
    space = factory.create('space')
    answer = api.simulate_post(f'/spaces/{space}/meters', headers=admin_headers, json={'data': {'meter_id': 987654321}})
    assert answer.status_code == 404
    assert requests(database, 'energy', f'POST space.meters {space}') == set()
