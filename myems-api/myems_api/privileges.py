"""Privileges (/privileges, /privileges/{id}) and the audit log (/logs), administrators only.

A privilege's `data` is JSON text like {"spaces": [1, 7]}: the roots of the space subtrees its users
may see (auth.py and scope.py enforce it on every read). Unlike MyEMS, the text is checked: it must
be an object whose "spaces" list names spaces that exist. Other keys are kept as given.
"""

from __future__ import annotations

import json
from typing import Any

import falcon

from myems_api import accounts, store
from myems_api.context import Services
from myems_api.errors import bad_request, not_found
from myems_api.validate import body_data, parse_id

DATA = 'API.INVALID_PRIVILEGE_DATA'
LOG_LIMIT = 1000


def privilege_data(services: Services, raw: Any) -> str:
    """Checked, compact JSON text of a privilege's data."""
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise bad_request(DATA, f'data is not valid JSON: {exc}') from None
    else:
        parsed = raw
    if not isinstance(parsed, dict):
        raise bad_request(DATA, 'data must be a JSON object like {"spaces": [1]}')
    spaces = parsed.get('spaces')
    if not isinstance(spaces, list) or not all(type(s) is int and s > 0 for s in spaces):
        raise bad_request(DATA, f'data.spaces must be a list of space ids, got {spaces!r}')
    wanted = sorted(set(spaces))
    if wanted:
        with services.system() as cur:
            cur.execute(f'SELECT id FROM tbl_spaces WHERE id IN ({", ".join(["%s"] * len(wanted))})', wanted)
            found = {row[0] for row in cur.fetchall()}
        missing = [s for s in wanted if s not in found]
        if missing:
            raise bad_request('API.SPACE_NOT_FOUND', f'data.spaces names spaces that do not exist: {missing}')
    return json.dumps({**parsed, 'spaces': wanted}, separators=(',', ':'))


def privilege_values(services: Services, data: dict[str, Any]) -> dict[str, Any]:
    if 'data' not in data:
        raise bad_request(DATA, 'data is required, like {"spaces": [1]}')
    return {
        'name': accounts.required_text(data, 'name', 'API.INVALID_PRIVILEGE_NAME', 45),
        'data': privilege_data(services, data['data']),
    }


def load(cur: Any, privilege_id: int, lock: bool = False) -> dict[str, Any]:
    cur.execute(
        'SELECT id, name, data FROM tbl_privileges WHERE id = %s' + (' FOR UPDATE' if lock else ''), (privilege_id,)
    )
    row = cur.fetchone()
    if row is None:
        raise not_found('API.PRIVILEGE_NOT_FOUND', f'privilege {privilege_id} does not exist')
    return {'id': row[0], 'name': row[1], 'data': row[2]}


def check_name(cur: Any, name: str, except_id: int | None = None) -> None:
    if store.taken(cur, 'tbl_privileges', 'name', name, except_id):
        raise bad_request('API.PRIVILEGE_NAME_IS_ALREADY_IN_USE', f'a privilege named {name!r} already exists')


class Privileges:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        accounts.admin_reader(self.services, req)
        with self.services.user() as cur:
            cur.execute('SELECT id, name, data FROM tbl_privileges ORDER BY id DESC')
            resp.media = [{'id': r[0], 'name': r[1], 'data': r[2]} for r in cur.fetchall()]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = accounts.writer(self.services, req)
        media = accounts.media(req)
        values = privilege_values(self.services, body_data(media))
        with self.services.user() as cur:
            check_name(cur, values['name'])
            cur.execute('INSERT INTO tbl_privileges (name, data) VALUES (%s, %s)', (values['name'], values['data']))
            new_id = int(cur.lastrowid)
            accounts.audit(cur, identity.actor, 'POST', 'privilege', new_id, {'request': media, 'after': values})
        resp.status = falcon.HTTP_201
        resp.location = f'/privileges/{new_id}'
        resp.media = {'id': new_id}


class PrivilegeItem:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        accounts.admin_reader(self.services, req)
        with self.services.user() as cur:
            resp.media = load(cur, parse_id(id_, 'API.INVALID_PRIVILEGE_ID', 'privilege id'))

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        privilege_id = parse_id(id_, 'API.INVALID_PRIVILEGE_ID', 'privilege id')
        media = accounts.media(req)
        values = privilege_values(self.services, body_data(media))
        with self.services.user() as cur:
            before = load(cur, privilege_id, lock=True)
            check_name(cur, values['name'], privilege_id)
            cur.execute(
                'UPDATE tbl_privileges SET name = %s, data = %s WHERE id = %s',
                (values['name'], values['data'], privilege_id),
            )
            change = {'request': media, 'before': before, 'after': values}
            accounts.audit(cur, identity.actor, 'PUT', 'privilege', privilege_id, change)
        resp.media = {'id': privilege_id}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        privilege_id = parse_id(id_, 'API.INVALID_PRIVILEGE_ID', 'privilege id')
        with self.services.user() as cur:
            before = load(cur, privilege_id, lock=True)
            cur.execute('SELECT COUNT(*) FROM tbl_users WHERE privilege_id = %s', (privilege_id,))
            users = cur.fetchone()[0]
            if users:
                raise bad_request(
                    'API.THERE_IS_RELATION_WITH_USERS', f'privilege {privilege_id} is held by {users} user(s)'
                )
            cur.execute('DELETE FROM tbl_privileges WHERE id = %s', (privilege_id,))
            accounts.audit(cur, identity.actor, 'DELETE', 'privilege', privilege_id, {'before': before})
        resp.status = falcon.HTTP_204


class Logs:
    """GET /logs: the newest audit rows (`limit`, default 100, at most 1000; optional date range)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        accounts.admin_reader(self.services, req)
        limit = self._limit(req.get_param('limit'))
        where, args = accounts.date_range(self.services, req, 'l.request_datetime_utc')
        with self.services.user() as cur:
            cur.execute(
                'SELECT l.id, l.user_uuid, u.name, u.display_name, l.request_datetime_utc, l.request_method,'
                ' l.resource_type, l.resource_id, l.request_body FROM tbl_logs l'
                f' LEFT JOIN tbl_users u ON u.uuid = l.user_uuid{where}'
                ' ORDER BY l.request_datetime_utc DESC, l.id DESC LIMIT %s',
                [*args, limit],
            )
            resp.media = [self._shape(row) for row in cur.fetchall()]

    @staticmethod
    def _limit(raw: str | None) -> int:
        if raw is None:
            return 100
        if not raw.strip().isdigit() or int(raw) <= 0:
            raise bad_request('API.INVALID_LIMIT', f'limit must be a positive integer, got {raw!r}')
        return min(int(raw), LOG_LIMIT)

    def _shape(self, row: tuple[Any, ...]) -> dict[str, Any]:
        keys = ('id', 'user_uuid', 'user_name', 'user_display_name')
        shaped = dict(zip(keys, row[:4], strict=True))
        shaped.update(
            {
                'request_datetime': accounts.local_text(self.services, row[4]),
                'request_datetime_utc': row[4].isoformat()[:19],
                'request_method': row[5],
                'resource_type': row[6],
                'resource_id': row[7],
                'request_body': row[8],
            }
        )
        return shaped
