"""API keys: made by the server, shown once, stored hashed, refused once expired."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from myems_api.auth import token_hash

User = dict[str, Any]


def assert_error(result: Any, status: int, code: str) -> None:
    assert result.status_code == status, result.text
    assert result.json['description'] == code, result.json


def key_body(**overrides: Any) -> dict[str, Any]:
    return {'data': {'name': 'key-' + uuid.uuid4().hex[:8], 'expires_datetime': '2099-01-01T00:00:00', **overrides}}


def test_key_is_shown_once_and_stored_hashed(api: Any, admin_headers: dict[str, str], database: Any) -> None:
    body = key_body()
    created = api.simulate_post('/apikeys', headers=admin_headers, json=body)
    assert created.status_code == 201, created.text
    key_id, key = created.json['id'], created.json['token']
    assert len(key) == 64
    stored = database.fetch_one('user', 'SELECT token FROM tbl_api_keys WHERE id = %s', (key_id,))[0]
    assert stored == token_hash(key) and stored != key
    assert database.fetch_one('user', 'SELECT COUNT(*) FROM tbl_api_keys WHERE token = %s', (key,))[0] == 0
    for shown in [api.simulate_get(f'/apikeys/{key_id}', headers=admin_headers).json,
                  *api.simulate_get('/apikeys', headers=admin_headers).json]:  # fmt: skip
        assert 'token' not in shown
    item = api.simulate_get(f'/apikeys/{key_id}', headers=admin_headers).json
    assert item['name'] == body['data']['name'] and item['expires_datetime'] == '2099-01-01T00:00:00'
    logged = database.fetch_all('user', "SELECT request_body FROM tbl_logs WHERE resource_type = 'api_key'")
    assert all(key not in row[0] for row in logged)


def test_expired_key_is_refused(api: Any, admin_headers: dict[str, str]) -> None:
    created = api.simulate_post('/apikeys', headers=admin_headers, json=key_body()).json
    headers = {'API-KEY': created['token']}
    assert api.simulate_get('/users', headers=headers).status_code == 200
    revoked = key_body(expires_datetime='2001-01-01T00:00:00')
    assert api.simulate_put(f'/apikeys/{created["id"]}', headers=admin_headers, json=revoked).status_code == 200
    assert_error(api.simulate_get('/users', headers=headers), 400, 'API.API_KEY_HAS_EXPIRED')
    assert api.simulate_delete(f'/apikeys/{created["id"]}', headers=admin_headers).status_code == 204
    assert_error(api.simulate_get('/users', headers=headers), 400, 'API.INVALID_API_KEY')
    assert_error(api.simulate_get(f'/apikeys/{created["id"]}', headers=admin_headers), 404, 'API.API_KEY_NOT_FOUND')


@pytest.mark.parametrize(
    ('overrides', 'code'),
    [
        ({'name': ''}, 'API.INVALID_API_KEY_NAME'),
        ({'name': 5}, 'API.INVALID_API_KEY_NAME'),
        ({'expires_datetime': None}, 'API.INVALID_EXPIRES_DATETIME'),
        ({'expires_datetime': 'next week'}, 'API.INVALID_EXPIRES_DATETIME'),
        ({'expires_datetime': '2001-01-01T00:00:00'}, 'API.INVALID_EXPIRES_DATETIME'),
    ],
)
def test_bad_key_input(api: Any, admin_headers: dict[str, str], database: Any, overrides: Any, code: str) -> None:
    before = database.fetch_one('user', 'SELECT COUNT(*) FROM tbl_api_keys')[0]
    assert_error(api.simulate_post('/apikeys', headers=admin_headers, json=key_body(**overrides)), 400, code)
    assert database.fetch_one('user', 'SELECT COUNT(*) FROM tbl_api_keys')[0] == before


def test_names_are_unique_and_only_writing_administrators_manage_keys(
    api: Any, admin_headers: dict[str, str], make_user: Callable[..., User], sign_in: Any
) -> None:
    body = key_body()
    assert api.simulate_post('/apikeys', headers=admin_headers, json=body).status_code == 201
    assert_error(
        api.simulate_post('/apikeys', headers=admin_headers, json=body), 400, 'API.API_KEY_NAME_IS_ALREADY_IN_USE'
    )
    key = api.simulate_post('/apikeys', headers=admin_headers, json=key_body()).json['token']
    plain = sign_in(make_user('plain'))
    assert_error(api.simulate_get('/apikeys', headers=plain), 403, 'API.FORBIDDEN')
    for headers in (plain, {'API-KEY': key}):
        assert_error(api.simulate_post('/apikeys', headers=headers, json=key_body()), 403, 'API.FORBIDDEN')
    assert_error(
        api.simulate_put('/apikeys/zero', headers=admin_headers, json=key_body()), 400, 'API.INVALID_API_KEY_ID'
    )
