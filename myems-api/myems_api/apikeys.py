"""API keys for machine clients: /apikeys and /apikeys/{id} (administrators only).

The server makes the key, shows it once in the answer to POST, and keeps only its SHA-256 hash, so
neither a later GET nor a copy of the database reveals it. Every key has an expiry; an expired key
is refused (auth.py). Moving the expiry into the past is how a key is revoked without deleting it.
"""

from __future__ import annotations

from typing import Any

import falcon

from myems_api import accounts, store
from myems_api.auth import new_token, token_hash
from myems_api.context import Services
from myems_api.errors import bad_request, not_found
from myems_api.validate import body_data, parse_id
from myems_common.timeutil import utc_now

COLUMNS = 'id, name, created_datetime_utc, expires_datetime_utc'


def key_json(services: Services, row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        'id': row[0],
        'name': row[1],
        'created_datetime': accounts.local_text(services, row[2]),
        'expires_datetime': accounts.local_text(services, row[3]),
    }


def key_values(services: Services, data: dict[str, Any]) -> dict[str, Any]:
    return {
        'name': accounts.required_text(data, 'name', 'API.INVALID_API_KEY_NAME', 128),
        'expires_datetime_utc': accounts.local_datetime(
            services, data, 'expires_datetime', 'API.INVALID_EXPIRES_DATETIME'
        ),
    }


def check_name(cur: Any, name: str, except_id: int | None = None) -> None:
    if store.taken(cur, 'tbl_api_keys', 'name', name, except_id):
        raise bad_request('API.API_KEY_NAME_IS_ALREADY_IN_USE', f'an API key named {name!r} already exists')


def load(cur: Any, key_id: int, lock: bool = False) -> tuple[Any, ...]:
    cur.execute(f'SELECT {COLUMNS} FROM tbl_api_keys WHERE id = %s' + (' FOR UPDATE' if lock else ''), (key_id,))
    row = cur.fetchone()
    if row is None:
        raise not_found('API.API_KEY_NOT_FOUND', f'API key {key_id} does not exist')
    return tuple(row)


class ApiKeys:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        accounts.admin_reader(self.services, req)
        with self.services.user() as cur:
            cur.execute(f'SELECT {COLUMNS} FROM tbl_api_keys ORDER BY id')
            resp.media = [key_json(self.services, row) for row in cur.fetchall()]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = accounts.writer(self.services, req)
        media = accounts.media(req)
        values = key_values(self.services, body_data(media))
        now = utc_now()
        if values['expires_datetime_utc'] <= now:
            raise bad_request('API.INVALID_EXPIRES_DATETIME', 'expires_datetime must lie in the future')
        token = new_token()
        with self.services.user() as cur:
            check_name(cur, values['name'])
            cur.execute(
                'INSERT INTO tbl_api_keys (name, token, created_datetime_utc, expires_datetime_utc)'
                ' VALUES (%s, %s, %s, %s)',
                (values['name'], token_hash(token), now, values['expires_datetime_utc']),
            )
            key_id = int(cur.lastrowid)
            accounts.audit(cur, identity.actor, 'POST', 'api_key', key_id, {'request': media})
        resp.status = falcon.HTTP_201
        resp.location = f'/apikeys/{key_id}'
        resp.media = {'id': key_id, 'token': token}  # the only time the key is shown


class ApiKeyItem:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        accounts.admin_reader(self.services, req)
        key_id = parse_id(id_, 'API.INVALID_API_KEY_ID', 'API key id')
        with self.services.user() as cur:
            resp.media = key_json(self.services, load(cur, key_id))

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        key_id = parse_id(id_, 'API.INVALID_API_KEY_ID', 'API key id')
        media = accounts.media(req)
        values = key_values(self.services, body_data(media))
        with self.services.user() as cur:
            before = load(cur, key_id, lock=True)
            check_name(cur, values['name'], key_id)
            cur.execute(
                'UPDATE tbl_api_keys SET name = %s, expires_datetime_utc = %s WHERE id = %s',
                (values['name'], values['expires_datetime_utc'], key_id),
            )
            change = {'request': media, 'before': key_json(self.services, before)}
            accounts.audit(cur, identity.actor, 'PUT', 'api_key', key_id, change)
        resp.media = {'id': key_id}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        key_id = parse_id(id_, 'API.INVALID_API_KEY_ID', 'API key id')
        with self.services.user() as cur:
            before = load(cur, key_id, lock=True)
            cur.execute('DELETE FROM tbl_api_keys WHERE id = %s', (key_id,))
            accounts.audit(
                cur, identity.actor, 'DELETE', 'api_key', key_id, {'before': key_json(self.services, before)}
            )
        resp.status = falcon.HTTP_204
