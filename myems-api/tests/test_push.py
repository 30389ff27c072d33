"""POST /pointreadings: HTTP push of raw readings with an API key; bad rows are refused with a reason."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from falcon import testing


@pytest.fixture(scope='module')
def points(factory: Any) -> dict[str, dict[str, Any]]:
    source = factory.create('data_source')
    made = {}
    for kind, ratio, offset in (('ENERGY_VALUE', '0.5', '10'), ('ANALOG_VALUE', '1', '0'), ('DIGITAL_VALUE', '2', '0')):
        id_ = factory.create(
            'point',
            data_source_id=source,
            object_type=kind,
            ratio=ratio,
            offset_constant=offset,
            is_trend=True,
            is_virtual=False,
        )
        made[kind] = factory.read('point', id_)
    return made


def stored(database: Any, table: str, point_id: int) -> list[tuple[datetime, Any]]:
    with database.transaction('historical') as cur:
        cur.execute(f'SELECT utc_date_time, actual_value FROM {table} WHERE point_id = %s ORDER BY 1', (point_id,))
        return [tuple(r) for r in cur.fetchall()]


def test_good_rows_are_stored_scaled_and_bad_rows_are_listed(
    api: testing.TestClient, make_api_key: Any, points: Any, database: Any
) -> None:
    energy, analog, digital = points['ENERGY_VALUE'], points['ANALOG_VALUE'], points['DIGITAL_VALUE']
    rows = [
        {'point_id': energy['id'], 'timestamp': '2026-11-26T10:15:00+01:00', 'value': 100},
        {'point_uuid': energy['uuid'], 'timestamp': '2026-11-26T09:30:00Z', 'value': '101.5'},
        {'point_id': analog['id'], 'timestamp': 1795688100, 'value': 21.25},
        {'point_id': digital['id'], 'timestamp': '2026-11-26T09:00:00', 'value': 1},
        {'point_id': 999999999, 'timestamp': '2026-11-26T09:00:00', 'value': 1},
        {'point_id': str(energy['id']), 'timestamp': '2026-11-26T09:00:00', 'value': 1},
        {'point_id': energy['id'], 'timestamp': 'yesterday', 'value': 1},
        {'point_id': energy['id'], 'timestamp': '2099-01-01T00:00:00', 'value': 1},
        {'point_id': energy['id'], 'timestamp': '2026-11-26T08:00:00', 'value': 'NaN'},
        {'point_id': energy['id'], 'timestamp': '2026-11-26T08:00:00', 'value': True},
        {'point_id': energy['id'], 'timestamp': '2026-11-26T09:15:00', 'value': 5},  # repeats the first row's time
        {'timestamp': '2026-11-26T08:00:00', 'value': 1},
        'not an object',
    ]
    answer = api.simulate_post('/pointreadings', headers=make_api_key(), json={'data': rows})
    assert answer.status_code == 200, answer.text
    assert answer.json['accepted'] == 4
    reasons = {r['index']: r['reason'] for r in answer.json['rejected']}
    assert sorted(reasons) == list(range(4, 13))
    assert 'does not exist' in reasons[4] and 'not an integer' in reasons[5] and 'not a valid time' in reasons[6]
    assert 'ahead' in reasons[7] and 'finite' in reasons[8] and 'boolean' in reasons[9]
    assert 'repeats' in reasons[10] and 'names no point' in reasons[11] and 'object' in reasons[12]
    assert stored(database, 'tbl_energy_value', energy['id']) == [
        (datetime(2026, 11, 26, 9, 15), Decimal('60.000000')),  # 100 * 0.5 + 10
        (datetime(2026, 11, 26, 9, 30), Decimal('60.750000')),
    ]
    assert stored(database, 'tbl_analog_value', analog['id'])[0][1] == Decimal('21.25')
    assert stored(database, 'tbl_digital_value', digital['id']) == [(datetime(2026, 11, 26, 9, 0), 2)]
    latest = stored(database, 'tbl_energy_value_latest', energy['id'])
    assert latest == [(datetime(2026, 11, 26, 9, 30), Decimal('60.750000'))]


def test_a_repeated_push_changes_nothing(
    api: testing.TestClient, make_api_key: Any, points: Any, database: Any
) -> None:
    analog = points['ANALOG_VALUE']
    row = {'point_id': analog['id'], 'timestamp': '2026-11-20T00:00:00Z', 'value': 7}
    for value in (7, 8):
        result = api.simulate_post('/pointreadings', headers=make_api_key(), json={'data': [{**row, 'value': value}]})
        assert result.status_code == 200 and result.json == {'accepted': 1, 'rejected': []}
    assert [v for t, v in stored(database, 'tbl_analog_value', analog['id']) if t.day == 20] == [Decimal('7.000000')]


def test_a_batch_with_no_good_row_is_a_400_and_writes_nothing(
    api: testing.TestClient, make_api_key: Any, points: Any, database: Any, counts: Any
) -> None:
    energy = points['ENERGY_VALUE']
    before = stored(database, 'tbl_energy_value', energy['id'])
    bad = [{'point_id': energy['id'], 'timestamp': 'never', 'value': 1}]
    answer = api.simulate_post('/pointreadings', headers=make_api_key(), json={'data': bad})
    assert answer.status_code == 400 and answer.json['description'] == 'API.NO_VALID_READINGS'
    assert answer.json['details'] == [{'index': 0, 'reason': "timestamp 'never' is not a valid time"}]
    assert stored(database, 'tbl_energy_value', energy['id']) == before
    for body in ({'data': []}, {'data': {}}, [1, 2]):
        refused = api.simulate_post('/pointreadings', headers=make_api_key(), json=body)
        assert refused.status_code == 400 and refused.json['description'] == 'API.INVALID_READINGS'


def test_only_api_keys_and_administrators_may_push(
    api: testing.TestClient, make_user: Any, sign_in: Any, admin_headers: Any, points: Any
) -> None:
    row = {'point_id': points['ANALOG_VALUE']['id'], 'timestamp': '2026-11-21T00:00:00Z', 'value': 1}
    reader = sign_in(make_user('pusher', is_read_only=True))
    assert api.simulate_post('/pointreadings', headers=reader, json={'data': [row]}).status_code == 403
    assert api.simulate_post('/pointreadings', json={'data': [row]}).status_code == 401
    assert api.simulate_post('/pointreadings', headers=admin_headers, json={'data': [row]}).status_code == 200
