"""The optional Redis response cache, against the test stack's real Redis."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import redis
from falcon import testing

from myems_api.app import create_app
from myems_api.cache import GENERATION_KEY


@pytest.fixture
def cached_api(settings: Any, database: Any) -> testing.TestClient:
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port)
    client.flushdb()
    on = dataclasses.replace(settings, is_redis_enabled=True)
    return testing.TestClient(create_app(on, database))


def test_get_is_served_from_cache_until_a_write(
    cached_api: testing.TestClient, admin_headers: dict[str, str], database: Any
) -> None:
    first = cached_api.simulate_get('/costcenters', headers=admin_headers)
    assert first.status_code == 200 and first.headers.get('X-Cache') == 'MISS'
    # a change behind the API's back is not seen while the entry lives ...
    with database.transaction('system') as cur:
        cur.execute("INSERT INTO tbl_cost_centers (name, uuid, external_id) VALUES ('behind', UUID(), 'x')")
    second = cached_api.simulate_get('/costcenters', headers=admin_headers)
    assert second.headers.get('X-Cache') == 'HIT' and second.json == first.json
    # ... and any write through the API invalidates every entry
    made = cached_api.simulate_post('/costcenters', headers=admin_headers, json={'data': {'name': 'via api'}})
    assert made.status_code == 201
    third = cached_api.simulate_get('/costcenters', headers=admin_headers)
    assert third.headers.get('X-Cache') == 'MISS'
    assert {'behind', 'via api'} <= {row['name'] for row in third.json}


def test_cache_never_answers_an_unauthenticated_or_closed_session(
    cached_api: testing.TestClient, admin_headers: dict[str, str]
) -> None:
    assert cached_api.simulate_get('/costcenters', headers=admin_headers).status_code == 200
    assert cached_api.simulate_get('/costcenters').status_code == 401
    stale = {**admin_headers, 'TOKEN': 'not-the-token'}
    assert cached_api.simulate_get('/costcenters', headers=stale).status_code == 404


def test_scoped_users_get_their_own_entries(
    cached_api: testing.TestClient, admin_headers: dict[str, str], make_user: Any, database: Any
) -> None:
    from myems_api.auth import new_token, token_hash

    body = {
        'name': 'cache scope',
        'parent_space_id': 1,
        'area': 1,
        'number_of_occupants': 1,
        'timezone_id': 1,
        'is_input_counted': True,
        'is_output_counted': True,
    }
    space = cached_api.simulate_post('/spaces', headers=admin_headers, json={'data': body}).json['id']
    viewer = make_user('cacheviewer', spaces=[space])
    token = new_token()
    with database.transaction('user') as cur:
        cur.execute(
            'INSERT INTO tbl_sessions (user_uuid, token, utc_expires) VALUES (%s, %s, %s)',
            (viewer['uuid'], token_hash(token), '2099-01-01'),
        )
    headers = {'USER-UUID': viewer['uuid'], 'TOKEN': token}
    everything = cached_api.simulate_get('/spaces', headers=admin_headers).json
    mine = cached_api.simulate_get('/spaces', headers=headers).json
    assert len(everything) > len(mine) and [s['id'] for s in mine] == [space]
    again = cached_api.simulate_get('/spaces', headers=headers)
    assert again.headers.get('X-Cache') == 'HIT' and [s['id'] for s in again.json] == [space]


def test_a_redis_outage_does_not_fail_requests(settings: Any, database: Any, admin_headers: dict[str, str]) -> None:
    off = dataclasses.replace(settings, is_redis_enabled=True, redis_port=1)  # nothing listens there
    api = testing.TestClient(create_app(off, database))
    assert api.simulate_get('/costcenters', headers=admin_headers).status_code == 200
    assert (
        api.simulate_post('/costcenters', headers=admin_headers, json={'data': {'name': 'no cache'}}).status_code == 201
    )


def test_generation_counter_moves_only_on_successful_writes(
    cached_api: testing.TestClient, admin_headers: dict[str, str], settings: Any
) -> None:
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port)
    before = int(client.get(GENERATION_KEY) or 0)
    bad = cached_api.simulate_post('/costcenters', headers=admin_headers, json={'data': {'name': 7}})
    assert bad.status_code == 400
    assert int(client.get(GENERATION_KEY) or 0) == before
