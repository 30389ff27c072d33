"""Signing in and out, and passwords: /users/login, logout, changepassword, resetpassword, unlock/{id}.

Login checks, in MyEMS's order: the lockout, the password, the account expiry, the password expiry.
Unlike MyEMS, a lockout lifts LOCKOUT_MINUTES after the last failure, locking an account ends its
sessions, an unknown account costs the same hash work and gets the same answer as a wrong password,
and a new password ends the user's other sessions.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

import falcon

from myems_api import accounts
from myems_api.auth import new_token, token_hash
from myems_api.context import Services
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.validate import body_data, parse_id
from myems_common.passwords import hash_password, needs_rehash, verify_password
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
LOGIN_COLUMNS = (
    'id, name, uuid, display_name, email, phone, salt, password, is_admin, is_read_only,'
    ' account_expiration_datetime_utc, password_expiration_datetime_utc, failed_login_count,'
    ' last_failed_login_datetime_utc'
)
WRONG = 'API.INVALID_PASSWORD'


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so both paths cost the same."""
    return hash_password('no such account')


def login_password(data: dict[str, Any], key: str = 'password', code: str = 'API.INVALID_PASSWORD') -> str:
    """The password as typed (trimmed); no length minimum, so old short passwords still sign in."""
    raw = data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        raise bad_request(code, f'{key} is required and must be a non-empty string')
    if len(raw.strip()) > accounts.MAX_PASSWORD:
        raise bad_request('API.PASSWORD_LENGTH_CANNOT_EXCEED_100_CHARACTERS', f'{key} is longer than 100 characters')
    return raw.strip()


def account_lookups(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, value) pairs to try in order: `account` as e-mail, phone or name; or `name`; or `email`."""
    for key, code in (('account', 'API.INVALID_USER_NAME_OR_EMAIL'), ('name', 'API.INVALID_USER_NAME')):
        if key in data:
            value = accounts.required_text(data, key, code, 128)
            if key == 'name':
                return [('name', value)]
            if '@' in value:
                return [('email', value.lower()), ('name', value)]
            if accounts.PHONE.match(value):
                return [('phone', value), ('name', value)]
            return [('name', value)]
    if 'email' in data:
        return [('email', accounts.required_text(data, 'email', 'API.INVALID_EMAIL', 128).lower())]
    raise bad_request('API.INVALID_USER_NAME_OR_EMAIL', 'send account (name, e-mail or phone), name or email')


def find_login(cur: Any, lookups: list[tuple[str, str]]) -> dict[str, Any] | None:
    names = [c.strip() for c in LOGIN_COLUMNS.split(',')]
    for column, value in lookups:  # columns come from account_lookups, never from the request
        # no row lock: the slow password check must not serialise sign-ins; counters are updated atomically
        cur.execute(f'SELECT {LOGIN_COLUMNS} FROM tbl_users WHERE `{column}` = %s', (value,))
        row = cur.fetchone()
        if row is not None:
            return dict(zip(names, row, strict=True))
    return None


class Login:
    def __init__(self, services: Services) -> None:
        self.services = services
        dummy_hash()  # computed now, so that even the first unknown account costs the same as a known one

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = body_data(accounts.media(req))
        plain = login_password(data)
        lookups = account_lookups(data)
        with self.services.user() as cur:
            outcome = self._attempt(cur, find_login(cur, lookups), plain)
        if isinstance(outcome, ApiError):  # raised after the commit: a failure is counted, not rolled back
            raise outcome
        resp.media = outcome

    def _attempt(self, cur: Any, user: dict[str, Any] | None, plain: str) -> dict[str, Any] | ApiError:
        if user is None:
            verify_password(plain, dummy_hash())
            return ApiError(400, WRONG, 'the account or the password is wrong')
        now = utc_now()
        if accounts.is_locked(self.services, user['failed_login_count'], user['last_failed_login_datetime_utc'], now):
            return ApiError(400, 'API.USER_ACCOUNT_HAS_BEEN_LOCKED', 'too many failed sign-ins; try again later')
        if not verify_password(plain, user['password'], user['salt']):
            return self._failed(cur, user, now)
        self._succeeded(cur, user, plain)
        if user['account_expiration_datetime_utc'] <= now:
            return ApiError(400, 'API.USER_ACCOUNT_HAS_EXPIRED', 'this account has expired')
        if user['password_expiration_datetime_utc'] <= now:
            return ApiError(400, 'API.USER_PASSWORD_HAS_EXPIRED', 'the password has expired; reset it')
        return self._open_session(cur, user, now)

    def _failed(self, cur: Any, user: dict[str, Any], now: Any) -> ApiError:
        settings = self.services.settings
        minutes = settings.lockout_minutes
        cur.execute(  # one atomic step, so concurrent failures all count; failures older than the window reset it
            'UPDATE tbl_users SET failed_login_count = IF(last_failed_login_datetime_utc IS NULL'
            ' OR (%s > 0 AND last_failed_login_datetime_utc <= %s), 1, failed_login_count + 1),'
            ' last_failed_login_datetime_utc = %s WHERE id = %s',
            (minutes, now - timedelta(minutes=minutes), now, user['id']),
        )
        cur.execute('SELECT failed_login_count FROM tbl_users WHERE id = %s', (user['id'],))
        count = int(cur.fetchone()[0])
        change: dict[str, Any] = {'failed_login_count': count}
        if count >= settings.maximum_failed_login_count:
            change['locked'] = True
            change['sessions_ended'] = accounts.end_sessions(cur, user['uuid'])
            log.warning('user %s locked after %d failed sign-ins', user['uuid'], count)
        accounts.audit(cur, user['uuid'], 'PUT', 'UserLoginFailed', user['id'], change)
        return ApiError(400, WRONG, 'the account or the password is wrong')

    def _succeeded(self, cur: Any, user: dict[str, Any], plain: str) -> None:
        cur.execute(
            'UPDATE tbl_users SET failed_login_count = 0, last_failed_login_datetime_utc = NULL WHERE id = %s',
            (user['id'],),
        )
        if needs_rehash(user['password']):  # a MyEMS SHA-512 or a weaker scrypt: upgrade it now
            stored, salt = accounts.hashed(plain)
            cur.execute('UPDATE tbl_users SET password = %s, salt = %s WHERE id = %s', (stored, salt, user['id']))

    def _open_session(self, cur: Any, user: dict[str, Any], now: Any) -> dict[str, Any]:
        token = new_token()
        expires = now + timedelta(seconds=self.services.settings.session_expires_in_seconds)
        cur.execute('DELETE FROM tbl_sessions WHERE user_uuid = %s AND utc_expires <= %s', (user['uuid'], now))
        cur.execute(
            'INSERT INTO tbl_sessions (user_uuid, token, utc_expires) VALUES (%s, %s, %s)',
            (user['uuid'], token_hash(token), expires),
        )
        accounts.audit(cur, user['uuid'], 'PUT', 'UserLogin', user['id'])
        is_admin = bool(user['is_admin'])
        return {
            'id': user['id'],
            'name': user['name'],
            'uuid': user['uuid'],
            'display_name': user['display_name'],
            'email': user['email'],
            'phone': user['phone'],
            'is_admin': is_admin,
            'is_read_only': bool(user['is_read_only']) if is_admin else None,
            'account_expiration_datetime': accounts.local_text(self.services, user['account_expiration_datetime_utc']),
            'password_expiration_datetime': accounts.local_text(
                self.services, user['password_expiration_datetime_utc']
            ),
            'failed_login_count': 0,
            'token': token,
        }


def session_headers(req: falcon.Request) -> tuple[str, str]:
    user_uuid = (req.get_header('USER-UUID') or '').strip()
    token = (req.get_header('TOKEN') or '').strip()
    if not user_uuid or len(user_uuid) > 64:
        raise bad_request('API.INVALID_USER_UUID', 'send the USER-UUID header of the session')
    if not token or len(token) > 256:
        raise bad_request('API.INVALID_TOKEN', 'send the TOKEN header of the session')
    return user_uuid, token


class Logout:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        user_uuid, token = session_headers(req)
        with self.services.user() as cur:
            cur.execute('DELETE FROM tbl_sessions WHERE user_uuid = %s AND token = %s', (user_uuid, token_hash(token)))
            if cur.rowcount == 0:
                raise not_found('API.USER_SESSION_NOT_FOUND', 'no open session for this USER-UUID and TOKEN')
            accounts.audit(cur, user_uuid, 'PUT', 'UserLogout', None)
        resp.media = 'OK'


class ChangePassword:
    """The signed-in user's own password; the old one is required. Other sessions end."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity, _ = self.services.who(req)
        if identity.kind != 'user' or identity.user_uuid is None:
            raise ApiError(403, 'API.FORBIDDEN', 'sign in as a user to change a password')
        data = body_data(accounts.media(req))
        old = login_password(data, 'old_password', 'API.INVALID_OLD_PASSWORD')
        new = accounts.password(data, 'new_password', 'API.INVALID_NEW_PASSWORD')
        with self.services.user() as cur:
            cur.execute(
                'SELECT id, salt, password, password_expiration_datetime_utc FROM tbl_users WHERE uuid = %s FOR UPDATE',
                (identity.user_uuid,),
            )
            row = cur.fetchone()
            if row is None:
                raise not_found('API.USER_NOT_FOUND', 'the signed-in user no longer exists')
            user_id, salt, stored, expires = row
            if not verify_password(old, stored, salt):
                raise bad_request('API.INVALID_OLD_PASSWORD', 'old_password is wrong')
            if verify_password(new, stored, salt):
                raise bad_request('API.PASSWORDS_MATCH', 'new_password must differ from the current password')
            set_password(cur, user_id, new, expires)
            ended = accounts.end_sessions(cur, identity.user_uuid, token_hash((req.get_header('TOKEN') or '').strip()))
            accounts.audit(cur, identity.actor, 'PUT', 'ChangePassword', user_id, {'sessions_ended': ended})
        resp.media = 'OK'


def set_password(cur: Any, user_id: int, plain: str, expires: Any) -> None:
    """Store a new password, clear the failure counter and give the password a fresh lifetime."""
    stored, salt = accounts.hashed(plain)
    cur.execute(
        'UPDATE tbl_users SET password = %s, salt = %s, failed_login_count = 0, last_failed_login_datetime_utc = NULL,'
        ' password_expiration_datetime_utc = %s WHERE id = %s',
        (stored, salt, accounts.renewed_expiry(expires), user_id),
    )


class ResetPassword:
    """An administrator sets another user's password (by name); that user's sessions end."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = accounts.writer(self.services, req)
        media = accounts.media(req)
        data = body_data(media)
        name = accounts.required_text(data, 'name', 'API.INVALID_USER_NAME', 128)
        new = accounts.password(data)
        with self.services.user() as cur:
            cur.execute(
                'SELECT id, uuid, password_expiration_datetime_utc FROM tbl_users WHERE name = %s FOR UPDATE', (name,)
            )
            row = cur.fetchone()
            if row is None:
                raise not_found('API.USER_NOT_FOUND', f'no user is named {name!r}')
            set_password(cur, row[0], new, row[2])
            ended = accounts.end_sessions(cur, row[1])
            accounts.audit(
                cur, identity.actor, 'PUT', 'ResetPassword', row[0], {'request': media, 'sessions_ended': ended}
            )
        resp.media = 'OK'


class Unlock:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        user_id = parse_id(id_, 'API.INVALID_USER_ID', 'user id')
        with self.services.user() as cur:
            cur.execute(
                'SELECT failed_login_count, last_failed_login_datetime_utc FROM tbl_users WHERE id = %s FOR UPDATE',
                (user_id,),
            )
            row = cur.fetchone()
            if row is None:
                raise not_found('API.USER_NOT_FOUND', f'user {user_id} does not exist')
            if not accounts.is_locked(self.services, row[0], row[1]):
                raise bad_request('API.USER_ACCOUNT_IS_NOT_LOCKED', f'user {user_id} is not locked')
            cur.execute(
                'UPDATE tbl_users SET failed_login_count = 0, last_failed_login_datetime_utc = NULL WHERE id = %s',
                (user_id,),
            )
            accounts.audit(cur, identity.actor, 'PUT', 'UnlockUser', user_id, {'failed_login_count': row[0]})
        resp.media = 'OK'
