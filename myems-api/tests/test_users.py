"""Users, privileges and the audit log: CRUD, uniqueness, who may read and write, bad input, audit rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from myems_api.users import refuse_losing_last_admin

User = dict[str, Any]
SECRET = 'Created secret 42'


def assert_error(result: Any, status: int, code: str) -> None:
    assert result.status_code == status, result.text
    assert result.json['description'] == code, result.json
    assert result.json['message']


def new_user(**overrides: Any) -> dict[str, Any]:
    name = 'crud' + uuid.uuid4().hex[:10]
    body = {
        'name': name,
        'display_name': name.title(),
        'email': f'{name}@example.com',
        'password': SECRET,
        'is_admin': False,
        'account_expiration_datetime': '2099-12-31T23:59:59',
        'password_expiration_datetime': '2099-12-31T23:59:59',
    }
    return {**body, **overrides}


def logs_count(database: Any) -> int:
    return int(database.fetch_one('user', 'SELECT COUNT(*) FROM tbl_logs')[0])


def users_count(database: Any) -> int:
    return int(database.fetch_one('user', 'SELECT COUNT(*) FROM tbl_users')[0])


@pytest.fixture(scope='module')
def space_id(database: Any) -> int:
    with database.transaction('system') as cur:
        cur.execute(
            'INSERT INTO tbl_spaces (name, uuid, parent_space_id, area, timezone_id, is_input_counted,'
            ' is_output_counted) VALUES (%s, %s, NULL, 1, 1, 1, 1)',
            ('privileged space', str(uuid.uuid4())),
        )
        return int(cur.lastrowid)


def test_user_crud(api: Any, admin_headers: dict[str, str], database: Any) -> None:
    body = new_user(phone='+4912345678', is_admin=True, is_read_only=True)
    created = api.simulate_post('/users', headers=admin_headers, json={'data': body})
    assert created.status_code == 201, created.text
    user_id = created.json['id']
    assert created.headers['location'] == f'/users/{user_id}'
    got = api.simulate_get(f'/users/{user_id}', headers=admin_headers).json
    assert got['name'] == body['name'] and got['phone'] == '+4912345678' and got['is_read_only'] is True
    assert got['account_expiration_datetime'] == '2099-12-31T23:59:59' and got['is_locked'] is False
    listed = api.simulate_get('/users', headers=admin_headers).json
    assert any(u['id'] == user_id for u in listed)
    for shaped in [got, *listed]:
        assert not {'password', 'salt', 'token'} & set(shaped)
    changed = {**body, 'display_name': 'Renamed', 'is_admin': False}
    del changed['password']
    assert api.simulate_put(f'/users/{user_id}', headers=admin_headers, json={'data': changed}).status_code == 200
    got = api.simulate_get(f'/users/{user_id}', headers=admin_headers).json
    assert got['display_name'] == 'Renamed' and got['is_admin'] is False and got['is_read_only'] is None
    signed = api.simulate_put('/users/login', json={'data': {'account': body['email'], 'password': SECRET}})
    assert signed.status_code == 200
    assert api.simulate_delete(f'/users/{user_id}', headers=admin_headers).status_code == 204
    assert_error(api.simulate_get(f'/users/{user_id}', headers=admin_headers), 404, 'API.USER_NOT_FOUND')
    gone = {'USER-UUID': signed.json['uuid'], 'TOKEN': signed.json['token']}
    assert api.simulate_get('/users', headers=gone).status_code == 404  # its sessions went with it


def test_uniqueness(api: Any, admin_headers: dict[str, str]) -> None:
    first = new_user(phone='+4987654321' + uuid.uuid4().hex[:0])
    assert api.simulate_post('/users', headers=admin_headers, json={'data': first}).status_code == 201
    for key, code in (
        ('name', 'API.USER_NAME_IS_ALREADY_IN_USE'),
        ('email', 'API.EMAIL_IS_ALREADY_IN_USE'),
        ('phone', 'API.PHONE_IS_ALREADY_IN_USE'),
    ):
        clash = new_user(**{key: first[key]})
        assert_error(api.simulate_post('/users', headers=admin_headers, json={'data': clash}), 400, code)


@pytest.mark.parametrize(
    ('overrides', 'code'),
    [
        ({'name': ''}, 'API.INVALID_USER_NAME'),
        ({'name': 'n' * 129}, 'API.INVALID_USER_NAME'),
        ({'display_name': None}, 'API.INVALID_DISPLAY_NAME'),
        ({'email': 'no-at-sign'}, 'API.INVALID_EMAIL'),
        ({'phone': 'call me'}, 'API.INVALID_PHONE'),
        ({'password': 'short'}, 'API.PASSWORD_LENGTH_MUST_BE_AT_LEAST_8_CHARACTERS'),
        ({'password': 'p' * 101}, 'API.PASSWORD_LENGTH_CANNOT_EXCEED_100_CHARACTERS'),
        ({'password': None}, 'API.INVALID_PASSWORD'),
        ({'is_admin': 'yes'}, 'API.INVALID_IS_ADMIN_VALUE'),
        ({'is_admin': True}, 'API.INVALID_IS_READ_ONLY_VALUE'),
        ({'privilege_id': 'one'}, 'API.INVALID_PRIVILEGE_ID'),
        ({'privilege_id': 987654321}, 'API.PRIVILEGE_NOT_FOUND'),
        ({'account_expiration_datetime': 'someday'}, 'API.INVALID_ACCOUNT_EXPIRATION_DATETIME'),
        ({'password_expiration_datetime': None}, 'API.INVALID_PASSWORD_EXPIRATION_DATETIME'),
        ({'account_expiration_datetime': '0001-01-01T00:00:00+05:00'}, 'API.INVALID_ACCOUNT_EXPIRATION_DATETIME'),
        ({'password_expiration_datetime': '9999-12-31T23:59:59'}, 'API.INVALID_PASSWORD_EXPIRATION_DATETIME'),
        ({'email': 'İ' * 100 + '@example.com'}, 'API.INVALID_EMAIL'),
    ],
)
def test_bad_user_input_writes_nothing(
    api: Any, admin_headers: dict[str, str], database: Any, overrides: dict[str, Any], code: str
) -> None:
    users, logs = users_count(database), logs_count(database)
    assert_error(api.simulate_post('/users', headers=admin_headers, json={'data': new_user(**overrides)}), 400, code)
    assert (users_count(database), logs_count(database)) == (users, logs)


@pytest.mark.parametrize('body', [None, [], {'data': 'x'}, {'nodata': {}}])
def test_bodies_that_are_not_myems_requests(api: Any, admin_headers: dict[str, str], body: Any) -> None:
    assert_error(api.simulate_post('/users', headers=admin_headers, json=body), 400, 'API.INVALID_REQUEST_BODY')


def test_who_may_read_and_write_users(
    api: Any, admin_headers: dict[str, str], make_user: Callable[..., User], sign_in: Any, make_api_key: Any
) -> None:
    me, other = make_user('self'), make_user('other')
    mine = sign_in(me)
    listed = api.simulate_get('/users', headers=mine).json
    assert [u['id'] for u in listed] == [me['id']]
    assert api.simulate_get(f'/users/{me["id"]}', headers=mine).status_code == 200
    assert_error(api.simulate_get(f'/users/{other["id"]}', headers=mine), 404, 'API.USER_NOT_FOUND')
    read_only_admin = sign_in(make_user('roadmin', is_admin=True, is_read_only=True))
    assert any(u['id'] == other['id'] for u in api.simulate_get('/users', headers=read_only_admin).json)
    for headers in (mine, read_only_admin, make_api_key()):
        assert_error(api.simulate_post('/users', headers=headers, json={'data': new_user()}), 403, 'API.FORBIDDEN')
        assert_error(api.simulate_delete(f'/users/{other["id"]}', headers=headers), 403, 'API.FORBIDDEN')
    assert_error(api.simulate_get('/users'), 401, 'API.UNAUTHORIZED')
    assert_error(api.simulate_get('/users/abc', headers=admin_headers), 400, 'API.INVALID_USER_ID')
    assert_error(
        api.simulate_put('/users/987654321', headers=admin_headers, json={'data': new_user()}),
        404,
        'API.USER_NOT_FOUND',
    )


def test_audit_row_of_a_new_user_holds_no_password(api: Any, admin_headers: dict[str, str], database: Any) -> None:
    user_id = api.simulate_post('/users', headers=admin_headers, json={'data': new_user()}).json['id']
    row = database.fetch_one(
        'user', "SELECT user_uuid, request_method, request_body FROM tbl_logs WHERE resource_type = 'user'"
        ' AND resource_id = %s', (user_id,),
    )  # fmt: skip
    assert row is not None and row[0] == admin_headers['USER-UUID'] and row[1] == 'POST'
    assert SECRET not in row[2] and json.loads(row[2])['request']['data']['password'] == '***'


class FakeCursor:
    def __init__(self, others: int) -> None:
        self.others = others

    def execute(self, sql: str, args: Any) -> None:
        pass

    def fetchone(self) -> tuple[int]:
        return (self.others,)


def test_the_last_writing_administrator_stays() -> None:
    admin = (7, 'root', 'Root', 'u', 'e', None, 1, 0)
    with pytest.raises(Exception, match='last writing administrator'):
        refuse_losing_last_admin(FakeCursor(0), admin, stays_writer=False)
    refuse_losing_last_admin(FakeCursor(1), admin, stays_writer=False)
    refuse_losing_last_admin(FakeCursor(0), admin, stays_writer=True)
    refuse_losing_last_admin(FakeCursor(0), (8, 'x', 'X', 'u', 'e', None, 0, 0), stays_writer=False)


# ------------------------------------------------------------------------------------------ privileges
def test_privileges(
    api: Any, admin_headers: dict[str, str], space_id: int, make_user: Callable[..., User], sign_in: Any
) -> None:
    name = 'priv' + uuid.uuid4().hex[:8]
    body = {'name': name, 'data': json.dumps({'spaces': [space_id]})}
    created = api.simulate_post('/privileges', headers=admin_headers, json={'data': body})
    assert created.status_code == 201, created.text
    privilege_id = created.json['id']
    listed = api.simulate_get('/privileges', headers=admin_headers).json
    assert {'id': privilege_id, 'name': name, 'data': f'{{"spaces":[{space_id}]}}'} in listed
    clash = api.simulate_post('/privileges', headers=admin_headers, json={'data': body})
    assert_error(clash, 400, 'API.PRIVILEGE_NAME_IS_ALREADY_IN_USE')
    renamed = {'name': name + 'x', 'data': {'spaces': [space_id], 'note': 'kept'}}
    assert (
        api.simulate_put(f'/privileges/{privilege_id}', headers=admin_headers, json={'data': renamed}).status_code
        == 200
    )
    got = api.simulate_get(f'/privileges/{privilege_id}', headers=admin_headers).json
    assert json.loads(got['data']) == {'spaces': [space_id], 'note': 'kept'}
    holder = make_user('holder')
    user = {**new_user(), 'privilege_id': privilege_id}
    user_id = api.simulate_post('/users', headers=admin_headers, json={'data': user}).json['id']
    assert api.simulate_get(f'/users/{user_id}', headers=admin_headers).json['privilege']['id'] == privilege_id
    held = api.simulate_delete(f'/privileges/{privilege_id}', headers=admin_headers)
    assert_error(held, 400, 'API.THERE_IS_RELATION_WITH_USERS')
    assert_error(api.simulate_get('/privileges', headers=sign_in(holder)), 403, 'API.FORBIDDEN')
    assert api.simulate_delete(f'/users/{user_id}', headers=admin_headers).status_code == 204
    assert api.simulate_delete(f'/privileges/{privilege_id}', headers=admin_headers).status_code == 204
    assert_error(api.simulate_get(f'/privileges/{privilege_id}', headers=admin_headers), 404, 'API.PRIVILEGE_NOT_FOUND')


@pytest.mark.parametrize(
    ('data', 'code'),
    [
        ('{not json', 'API.INVALID_PRIVILEGE_DATA'),
        ('[1, 2]', 'API.INVALID_PRIVILEGE_DATA'),
        ({'spaces': 'all'}, 'API.INVALID_PRIVILEGE_DATA'),
        ({'spaces': [True]}, 'API.INVALID_PRIVILEGE_DATA'),
        ({'rooms': [1]}, 'API.INVALID_PRIVILEGE_DATA'),
        ({'spaces': [987654321]}, 'API.SPACE_NOT_FOUND'),
        (None, 'API.INVALID_PRIVILEGE_DATA'),
    ],
)
def test_privilege_data_is_checked(
    api: Any, admin_headers: dict[str, str], database: Any, data: Any, code: str
) -> None:
    logs = logs_count(database)
    body = {'name': 'bad' + uuid.uuid4().hex[:8], 'data': data}
    assert_error(api.simulate_post('/privileges', headers=admin_headers, json={'data': body}), 400, code)
    assert logs_count(database) == logs


# ------------------------------------------------------------------------------------------------ logs
def test_logs(api: Any, admin_headers: dict[str, str], make_user: Callable[..., User], sign_in: Any) -> None:
    api.simulate_post('/users', headers=admin_headers, json={'data': new_user()})
    rows = api.simulate_get('/logs?limit=5', headers=admin_headers).json
    assert 0 < len(rows) <= 5
    assert {
        'id',
        'user_uuid',
        'user_name',
        'request_datetime',
        'request_method',
        'resource_type',
        'request_body',
    } <= set(rows[0])
    assert rows[0]['request_datetime_utc'] >= rows[-1]['request_datetime_utc']
    ranged = api.simulate_get(
        '/logs?startdatetime=2000-01-01T00:00:00&enddatetime=2001-01-01T00:00:00', headers=admin_headers
    )
    assert ranged.status_code == 200 and ranged.json == []
    assert_error(api.simulate_get('/logs?limit=lots', headers=admin_headers), 400, 'API.INVALID_LIMIT')
    assert_error(
        api.simulate_get('/logs?startdatetime=soon', headers=admin_headers), 400, 'API.INVALID_START_DATETIME_FORMAT'
    )
    assert_error(api.simulate_get('/logs', headers=sign_in(make_user('nosy'))), 403, 'API.FORBIDDEN')
