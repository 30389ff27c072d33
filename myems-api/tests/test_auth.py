"""Signing in and out: login by name, e-mail and phone; lockout and its expiry; sessions; password hashes;
change and reset of passwords; unlock."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from myems_api.auth import token_hash
from myems_common.passwords import verify_password
from myems_common.timeutil import utc_now

User = dict[str, Any]


def login(api: Any, **data: Any) -> Any:
    return api.simulate_put('/users/login', json={'data': data})


def user_row(database: Any, user: User, columns: str) -> tuple[Any, ...]:
    row = database.fetch_one('user', f'SELECT {columns} FROM tbl_users WHERE id = %s', (user['id'],))
    assert row is not None
    return tuple(row)


def set_user(database: Any, user: User, **values: Any) -> None:
    with database.transaction('user') as cur:
        assignments = ', '.join(f'{k} = %s' for k in values)
        cur.execute(f'UPDATE tbl_users SET {assignments} WHERE id = %s', (*values.values(), user['id']))


def assert_error(result: Any, status: int, code: str) -> None:
    assert result.status_code == status, result.text
    assert result.json['description'] == code, result.json
    assert result.json['message']


def fail_until_locked(api: Any, settings: Any, user: User) -> None:
    for _ in range(settings.maximum_failed_login_count):
        assert_error(login(api, account=user['name'], password='wrong-password'), 400, 'API.INVALID_PASSWORD')


@pytest.fixture
def person(make_user: Callable[..., User], database: Any) -> User:
    user = make_user('person')
    phone = '+49' + str(uuid.uuid4().int)[:10]
    set_user(database, user, phone=phone)
    return {**user, 'phone': phone, 'email': f'{user["name"]}@example.com'}


@pytest.mark.parametrize(
    'how',
    [
        lambda u: {'account': u['name']},
        lambda u: {'account': u['email'].upper()},
        lambda u: {'account': u['phone']},
        lambda u: {'name': u['name']},
        lambda u: {'email': u['email']},
    ],
    ids=['account-name', 'account-email', 'account-phone', 'name', 'email'],
)
def test_login_by_name_email_and_phone(api: Any, person: User, how: Callable[[User], dict[str, str]]) -> None:
    result = login(api, **how(person), password=person['password'])
    assert result.status_code == 200, result.text
    body = result.json
    assert body['uuid'] == person['uuid'] and body['name'] == person['name']
    assert len(body['token']) == 64
    assert not {'password', 'salt'} & set(body)
    assert {'display_name', 'email', 'is_admin', 'is_read_only', 'account_expiration_datetime'} <= set(body)


def test_session_token_works_and_no_raw_token_is_stored(api: Any, person: User, database: Any) -> None:
    body = login(api, account=person['name'], password=person['password']).json
    headers = {'USER-UUID': body['uuid'], 'TOKEN': body['token']}
    assert api.simulate_get(f'/users/{person["id"]}', headers=headers).status_code == 200
    tokens = [
        r[0] for r in database.fetch_all('user', 'SELECT token FROM tbl_sessions WHERE user_uuid = %s', (body['uuid'],))
    ]
    assert token_hash(body['token']) in tokens
    assert body['token'] not in tokens
    everything = database.fetch_all('user', 'SELECT COUNT(*) FROM tbl_sessions WHERE token = %s', (body['token'],))
    assert everything[0][0] == 0


def test_wrong_password_and_unknown_account_answer_alike(api: Any, person: User) -> None:
    wrong = login(api, account=person['name'], password='not-the-password')
    unknown = login(api, account='nobody-' + uuid.uuid4().hex, password='not-the-password')
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json == unknown.json
    assert wrong.json['description'] == 'API.INVALID_PASSWORD'


@pytest.mark.parametrize(
    ('body', 'code'),
    [
        ({}, 'API.INVALID_REQUEST_BODY'),
        ({'data': {'account': 'x'}}, 'API.INVALID_PASSWORD'),
        ({'data': {'account': 'x', 'password': '   '}}, 'API.INVALID_PASSWORD'),
        ({'data': {'account': 'x', 'password': 7}}, 'API.INVALID_PASSWORD'),
        ({'data': {'account': 'x', 'password': 'p' * 101}}, 'API.PASSWORD_LENGTH_CANNOT_EXCEED_100_CHARACTERS'),
        ({'data': {'password': 'something'}}, 'API.INVALID_USER_NAME_OR_EMAIL'),
        ({'data': {'account': ['x'], 'password': 'something'}}, 'API.INVALID_USER_NAME_OR_EMAIL'),
        ({'data': {'name': '', 'password': 'something'}}, 'API.INVALID_USER_NAME'),
    ],
)
def test_bad_login_input(api: Any, body: dict[str, Any], code: str) -> None:
    assert_error(api.simulate_put('/users/login', json=body), 400, code)


def test_lockout_after_repeated_failures_lifts_by_itself(
    sign_in: Any, api: Any, settings: Any, person: User, database: Any
) -> None:
    fail_until_locked(api, settings, person)
    count, last = user_row(database, person, 'failed_login_count, last_failed_login_datetime_utc')
    assert count == settings.maximum_failed_login_count and last is not None
    assert_error(
        login(api, account=person['name'], password=person['password']), 400, 'API.USER_ACCOUNT_HAS_BEEN_LOCKED'
    )
    listed = api.simulate_get(f'/users/{person["id"]}', headers=sign_in(person)).json
    assert listed['is_locked'] is True
    set_user(
        database, person, last_failed_login_datetime_utc=utc_now() - timedelta(minutes=settings.lockout_minutes + 1)
    )
    assert login(api, account=person['name'], password=person['password']).status_code == 200
    assert user_row(database, person, 'failed_login_count, last_failed_login_datetime_utc') == (0, None)


def test_failures_older_than_the_window_are_forgotten(api: Any, settings: Any, person: User, database: Any) -> None:
    stale = utc_now() - timedelta(minutes=settings.lockout_minutes + 5)
    set_user(
        database,
        person,
        failed_login_count=settings.maximum_failed_login_count - 1,
        last_failed_login_datetime_utc=stale,
    )
    login(api, account=person['name'], password='wrong-password')
    assert user_row(database, person, 'failed_login_count')[0] == 1


def test_lockout_ends_open_sessions(sign_in: Any, api: Any, settings: Any, person: User, database: Any) -> None:
    headers = sign_in(person)
    assert api.simulate_get('/users', headers=headers).status_code == 200
    fail_until_locked(api, settings, person)
    assert_error(api.simulate_get('/users', headers=headers), 404, 'API.USER_SESSION_NOT_FOUND')


def test_unlock(
    sign_in: Any,
    api: Any,
    settings: Any,
    person: User,
    admin_headers: dict[str, str],
    make_user: Callable[..., User],
    database: Any,
) -> None:
    assert_error(
        api.simulate_put(f'/users/unlock/{person["id"]}', headers=admin_headers), 400, 'API.USER_ACCOUNT_IS_NOT_LOCKED'
    )
    fail_until_locked(api, settings, person)
    reader = sign_in(make_user('reader'))
    assert_error(api.simulate_put(f'/users/unlock/{person["id"]}', headers=reader), 403, 'API.FORBIDDEN')
    assert api.simulate_put(f'/users/unlock/{person["id"]}', headers=admin_headers).status_code == 200
    assert login(api, account=person['name'], password=person['password']).status_code == 200
    assert_error(api.simulate_put('/users/unlock/abc', headers=admin_headers), 400, 'API.INVALID_USER_ID')
    assert_error(api.simulate_put('/users/unlock/999999999', headers=admin_headers), 404, 'API.USER_NOT_FOUND')


def test_account_and_password_expiry(api: Any, person: User, database: Any) -> None:
    past = utc_now() - timedelta(minutes=1)
    set_user(database, person, account_expiration_datetime_utc=past)
    assert_error(login(api, account=person['name'], password=person['password']), 400, 'API.USER_ACCOUNT_HAS_EXPIRED')
    set_user(
        database, person, account_expiration_datetime_utc=datetime(2099, 1, 1), password_expiration_datetime_utc=past
    )
    assert_error(login(api, account=person['name'], password=person['password']), 400, 'API.USER_PASSWORD_HAS_EXPIRED')
    assert user_row(database, person, 'failed_login_count')[0] == 0  # a right password is not a failure


def test_expired_session_times_out(sign_in: Any, api: Any, person: User, database: Any) -> None:
    headers = sign_in(person, expires=utc_now() - timedelta(seconds=1))
    assert_error(api.simulate_get('/users', headers=headers), 400, 'API.USER_SESSION_TIMEOUT')


def test_session_expiry_follows_the_setting(api: Any, settings: Any, person: User, database: Any) -> None:
    body = login(api, account=person['name'], password=person['password']).json
    row = database.fetch_one(
        'user', 'SELECT utc_expires FROM tbl_sessions WHERE token = %s', (token_hash(body['token']),)
    )
    lifetime = (row[0] - utc_now()).total_seconds()
    assert abs(lifetime - settings.session_expires_in_seconds) < 60


def test_logout(api: Any, person: User) -> None:
    body = login(api, account=person['name'], password=person['password']).json
    headers = {'USER-UUID': body['uuid'], 'TOKEN': body['token']}
    result = api.simulate_put('/users/logout', headers=headers)
    assert result.status_code == 200 and result.json == 'OK'
    assert_error(api.simulate_put('/users/logout', headers=headers), 404, 'API.USER_SESSION_NOT_FOUND')
    assert_error(api.simulate_get('/users', headers=headers), 404, 'API.USER_SESSION_NOT_FOUND')
    assert_error(api.simulate_put('/users/logout', headers={'TOKEN': 'x'}), 400, 'API.INVALID_USER_UUID')
    assert_error(api.simulate_put('/users/logout', headers={'USER-UUID': body['uuid']}), 400, 'API.INVALID_TOKEN')


def test_stored_password_is_scrypt_and_verifies(api: Any, person: User, database: Any) -> None:
    assert login(api, account=person['name'], password=person['password']).status_code == 200
    stored, salt = user_row(database, person, 'password, salt')
    assert stored.startswith('scrypt$16384$')  # the fixture's weaker hash was raised on sign-in
    assert verify_password(person['password'], stored) and salt == stored.split('$')[4]


def test_legacy_myems_hash_signs_in_and_is_rehashed(api: Any, person: User, database: Any) -> None:
    salt = uuid.uuid4().hex
    legacy = hashlib.sha512((salt + '!MyEMS1').encode()).hexdigest()
    set_user(database, person, salt=salt, password=legacy)
    assert_error(login(api, account=person['name'], password='!MyEMS2'), 400, 'API.INVALID_PASSWORD')
    assert login(api, account=person['name'], password='!MyEMS1').status_code == 200  # 7 characters: no minimum
    stored = user_row(database, person, 'password')[0]
    assert stored.startswith('scrypt$') and verify_password('!MyEMS1', stored)
    assert login(api, account=person['name'], password='!MyEMS1').status_code == 200


def sessions_of(database: Any, user: User) -> int:
    return database.fetch_one('user', 'SELECT COUNT(*) FROM tbl_sessions WHERE user_uuid = %s', (user['uuid'],))[0]


def test_change_password_ends_the_other_sessions(sign_in: Any, api: Any, person: User, database: Any) -> None:
    mine, other = sign_in(person), sign_in(person)
    change = {'old_password': person['password'], 'new_password': 'a new Passw0rd'}
    result = api.simulate_put('/users/changepassword', headers=mine, json={'data': change})
    assert result.status_code == 200, result.text
    assert api.simulate_get('/users', headers=mine).status_code == 200
    assert_error(api.simulate_get('/users', headers=other), 404, 'API.USER_SESSION_NOT_FOUND')
    assert sessions_of(database, person) == 1
    assert_error(login(api, account=person['name'], password=person['password']), 400, 'API.INVALID_PASSWORD')
    assert login(api, account=person['name'], password='a new Passw0rd').status_code == 200
    expiry = user_row(database, person, 'password_expiration_datetime_utc')[0]
    assert expiry >= datetime(2099, 1, 1)  # a later expiry set by an administrator is kept


@pytest.mark.parametrize(
    ('data', 'code'),
    [
        ({'old_password': 'wrong password', 'new_password': 'a new Passw0rd'}, 'API.INVALID_OLD_PASSWORD'),
        ({'new_password': 'a new Passw0rd'}, 'API.INVALID_OLD_PASSWORD'),
        (
            {'old_password': 'Secret#Pass1', 'new_password': 'short'},
            'API.PASSWORD_LENGTH_MUST_BE_AT_LEAST_8_CHARACTERS',
        ),
        (
            {'old_password': 'Secret#Pass1', 'new_password': 'x' * 101},
            'API.PASSWORD_LENGTH_CANNOT_EXCEED_100_CHARACTERS',
        ),
        ({'old_password': 'Secret#Pass1'}, 'API.INVALID_NEW_PASSWORD'),
        ({'old_password': 'Secret#Pass1', 'new_password': 'Secret#Pass1'}, 'API.PASSWORDS_MATCH'),
    ],
)
def test_change_password_refuses_bad_input(
    sign_in: Any, api: Any, person: User, database: Any, data: dict[str, Any], code: str
) -> None:
    before = user_row(database, person, 'password')
    result = api.simulate_put('/users/changepassword', headers=sign_in(person), json={'data': data})
    assert_error(result, 400, code)
    assert user_row(database, person, 'password') == before


def test_change_password_needs_a_session(api: Any) -> None:
    data = {'old_password': 'a', 'new_password': 'bbbbbbbbbb'}
    assert_error(api.simulate_put('/users/changepassword', json={'data': data}), 401, 'API.UNAUTHORIZED')


def test_reset_password_by_an_administrator_ends_all_sessions(
    sign_in: Any, api: Any, person: User, database: Any, admin_headers: dict[str, str], make_user: Callable[..., User]
) -> None:
    headers = sign_in(person)
    settings_locked = {'failed_login_count': 99, 'last_failed_login_datetime_utc': utc_now()}
    set_user(database, person, **settings_locked)
    reset = {'data': {'name': person['name'], 'password': 'Reset by admin 1'}}
    plain = sign_in(make_user('plain'))
    assert_error(api.simulate_put('/users/resetpassword', headers=plain, json=reset), 403, 'API.FORBIDDEN')
    assert api.simulate_put('/users/resetpassword', headers=admin_headers, json=reset).status_code == 200
    assert_error(api.simulate_get('/users', headers=headers), 404, 'API.USER_SESSION_NOT_FOUND')
    assert login(api, account=person['name'], password='Reset by admin 1').status_code == 200  # and unlocked
    missing = {'data': {'name': 'nobody-' + uuid.uuid4().hex, 'password': 'Reset by admin 1'}}
    assert_error(
        api.simulate_put('/users/resetpassword', headers=admin_headers, json=missing), 404, 'API.USER_NOT_FOUND'
    )
    weak = {'data': {'name': person['name'], 'password': 'weak'}}
    result = api.simulate_put('/users/resetpassword', headers=admin_headers, json=weak)
    assert_error(result, 400, 'API.PASSWORD_LENGTH_MUST_BE_AT_LEAST_8_CHARACTERS')


def test_audit_rows_for_sign_in_and_passwords_hold_no_secret(
    api: Any, person: User, database: Any, admin_headers: dict[str, str]
) -> None:
    login(api, account=person['name'], password='wrong-password')
    body = login(api, account=person['name'], password=person['password']).json
    reset = {'data': {'name': person['name'], 'password': 'Audited secret 9'}}
    api.simulate_put('/users/resetpassword', headers=admin_headers, json=reset)
    rows = database.fetch_all(
        'user',
        'SELECT user_uuid, resource_type, request_body FROM tbl_logs WHERE resource_id = %s'
        " AND resource_type IN ('UserLogin', 'UserLoginFailed', 'ResetPassword')",
        (person['id'],),
    )
    kinds = {r[1] for r in rows}
    assert {'UserLogin', 'UserLoginFailed', 'ResetPassword'} <= kinds
    for _, _, text in rows:
        assert person['password'] not in text and 'Audited secret 9' not in text and body['token'] not in text
    reset_body = next(r[2] for r in rows if r[1] == 'ResetPassword')
    assert '***' in reset_body and person['name'] in reset_body


def test_concurrent_failures_are_all_counted(api: Any, make_user: Any, database: Any) -> None:
    """Sign-ins are not serialised by a row lock, so the failure counter is updated atomically."""
    from concurrent.futures import ThreadPoolExecutor

    user = make_user('racer')
    body = {'data': {'account': user['name'], 'password': 'wrong password!'}}
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: api.simulate_put('/users/login', json=body), range(6)))
    wrong = sum(1 for r in results if r.json['description'] == 'API.INVALID_PASSWORD')
    locked = sum(1 for r in results if r.json['description'] == 'API.USER_ACCOUNT_HAS_BEEN_LOCKED')
    assert wrong + locked == 6 and wrong >= 3
    stored = database.fetch_one('user', 'SELECT failed_login_count FROM tbl_users WHERE id = %s', (user['id'],))
    assert stored[0] == wrong
