"""Per-user inboxes: web messages (myems_fdd_db) and notifications (myems_user_db).

Every signed-in user reads, marks and deletes only their own rows (user_id = the caller); an
administrator gets no view of other users' inboxes either. Rows are written by other services (FDD
rules); here they are read, answered (status, reply) and removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import falcon

from myems_api.context import Services, to_json
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.routedocs import document
from myems_api.validate import body_data, parse_id
from myems_common.timeutil import utc_now

STATUSES = ('new', 'read', 'acknowledged')
MAX_ROWS = 1000


@dataclass(frozen=True)
class Box:
    name: str  # 'web_message'
    database: str
    table: str
    columns: tuple[str, ...]
    replies: bool  # whether a `reply` may be written with the status


WEB = Box('web_message', 'fdd', 'tbl_web_messages', ('id', 'rule_id', 'subject', 'category', 'priority', 'message',
          'created_datetime_utc', 'start_datetime_utc', 'end_datetime_utc', 'update_datetime_utc', 'status', 'reply'),
          replies=True)  # fmt: skip
NOTIFICATION = Box('notification', 'user', 'tbl_notifications',
                   ('id', 'created_datetime_utc', 'status', 'subject', 'message', 'url'), replies=False)  # fmt: skip


class BoxResource:
    def __init__(self, services: Services, box: Box) -> None:
        self.services = services
        self.box = box

    def user_id(self, req: falcon.Request) -> Any:
        identity, _ = self.services.who(req)
        if identity.kind != 'user' or identity.user_id is None:
            raise ApiError(403, 'API.FORBIDDEN', 'an inbox belongs to a signed-in user, not to an API key')
        return identity

    def rows(self, cur: Any, where: str, args: list[Any]) -> list[Any]:
        names = ', '.join(f'`{c}`' for c in self.box.columns)
        cur.execute(
            f'SELECT {names} FROM `{self.box.table}` WHERE {where} ORDER BY `created_datetime_utc` DESC, `id` DESC'
            f' LIMIT {MAX_ROWS}',
            args,
        )
        return [to_json(dict(zip(self.box.columns, row, strict=True))) for row in cur.fetchall()]

    def status_and_reply(self, data: dict[str, Any]) -> dict[str, Any]:
        status = data.get('status')
        if status not in STATUSES:
            raise bad_request('API.INVALID_STATUS', f'status must be one of {", ".join(STATUSES)}, got {status!r}')
        values: dict[str, Any] = {'status': status}
        if self.box.replies:
            reply = data.get('reply')
            if reply is not None and (not isinstance(reply, str) or len(reply) > 10_000):
                raise bad_request('API.INVALID_REPLY', 'reply must be a string of at most 10000 characters')
            values.update({'reply': reply, 'update_datetime_utc': utc_now()})
        return values

    def change(self, req: falcon.Request, method: str, ids: list[int], values: dict[str, Any] | None) -> int:
        """Update (values) or delete (None) the caller's rows among `ids`; returns how many changed."""
        identity = self.user_id(req)
        if not ids:
            return 0
        marks = ', '.join(['%s'] * len(ids))
        with self.services.write(identity, method, self.box.name, ids[0] if len(ids) == 1 else None,
                                 req.get_media(default_when_empty=None), self.box.database) as (cur, note):  # fmt: skip
            if values is None:
                cur.execute(f'DELETE FROM `{self.box.table}` WHERE `user_id` = %s AND `id` IN ({marks})',
                            [identity.user_id, *ids])  # fmt: skip
            else:
                sets = ', '.join(f'`{k}` = %s' for k in values)
                cur.execute(f'UPDATE `{self.box.table}` SET {sets} WHERE `user_id` = %s AND `id` IN ({marks})',
                            [*values.values(), identity.user_id, *ids])  # fmt: skip
            changed = int(cur.rowcount)
            note({'ids': ids, 'after': values})
        return changed


def _range(req: falcon.Request) -> tuple[datetime | None, datetime | None]:
    bounds = []
    for key in ('startdatetime', 'enddatetime'):
        raw = req.get_param(key)
        try:
            bounds.append(datetime.fromisoformat(raw) if raw else None)
        except ValueError:
            raise bad_request(f'API.INVALID_{key.upper()}', f'{key} must look like 2025-01-31T00:00:00') from None
    return bounds[0], bounds[1]


class Collection(BoxResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = self.user_id(req)
        where, args = '`user_id` = %s', [identity.user_id]
        start, end = _range(req)
        if start:
            where, args = where + ' AND `created_datetime_utc` >= %s', [*args, start]
        if end:
            where, args = where + ' AND `created_datetime_utc` < %s', [*args, end]
        with self.services.transaction(self.box.database) as cur:
            resp.media = self.rows(cur, where, args)


class Item(BoxResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = self.user_id(req)
        row_id = parse_id(id_, f'API.INVALID_{self.box.name.upper()}_ID', f'{self.box.name} id')
        with self.services.transaction(self.box.database) as cur:
            rows = self.rows(cur, '`user_id` = %s AND `id` = %s', [identity.user_id, row_id])
        if not rows:
            raise not_found(f'API.{self.box.name.upper()}_NOT_FOUND', f'{self.box.name} {row_id} is not in your inbox')
        resp.media = rows[0]

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        row_id = parse_id(id_, f'API.INVALID_{self.box.name.upper()}_ID', f'{self.box.name} id')
        if not self.change(req, 'PUT', [row_id], self.status_and_reply(body_data(req.get_media()))):
            raise not_found(f'API.{self.box.name.upper()}_NOT_FOUND', f'{self.box.name} {row_id} is not in your inbox')
        resp.media = {'id': row_id}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        row_id = parse_id(id_, f'API.INVALID_{self.box.name.upper()}_ID', f'{self.box.name} id')
        if not self.change(req, 'DELETE', [row_id], None):
            raise not_found(f'API.{self.box.name.upper()}_NOT_FOUND', f'{self.box.name} {row_id} is not in your inbox')
        resp.status = falcon.HTTP_204


class Unread(BoxResource):
    """GET /webmessagesnew: the caller's new messages; PUT marks them all read."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = self.user_id(req)
        with self.services.transaction(self.box.database) as cur:
            resp.media = self.rows(cur, "`user_id` = %s AND `status` = 'new'", [identity.user_id])

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = self.user_id(req)
        with self.services.transaction(self.box.database) as cur:
            cur.execute(f"SELECT `id` FROM `{self.box.table}` WHERE `user_id` = %s AND `status` = 'new'",
                        (identity.user_id,))  # fmt: skip
            ids = [row[0] for row in cur.fetchall()]
        resp.media = {'changed': self.change(req, 'PUT', ids, self.status_and_reply({'status': 'read'}))}


class Batch(BoxResource):
    """PUT /webmessagesbatch marks, DELETE removes, the caller's messages listed in {"data": {"ids": [...]}}."""

    def ids(self, req: falcon.Request) -> list[int]:
        raw = body_data(req.get_media()).get('ids')
        if not isinstance(raw, list) or not raw or len(raw) > MAX_ROWS:
            raise bad_request('API.INVALID_IDS', f'ids must be a list of 1 to {MAX_ROWS} message ids')
        return [parse_id(i, 'API.INVALID_IDS', 'ids[]') for i in raw]

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = body_data(req.get_media())
        values = self.status_and_reply({'status': data.get('status', 'read'), 'reply': data.get('reply')})
        resp.media = {'changed': self.change(req, 'PUT', self.ids(req), values)}

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {'changed': self.change(req, 'DELETE', self.ids(req), None)}


def add_inbox_routes(app: falcon.App, services: Services) -> None:
    for box, plural in ((WEB, 'webmessages'), (NOTIFICATION, 'notifications')):
        app.add_route(f'/{plural}', Collection(services, box))
        app.add_route(f'/{plural}/{{id_}}', Item(services, box))
        document(f'/{plural}', 'GET', f'List your {plural} (optional startdatetime, enddatetime)', plural,
                 query=(('startdatetime', 'string', False), ('enddatetime', 'string', False)))  # fmt: skip
        document(f'/{plural}/{{id_}}', 'GET', f'One of your {plural}', plural)
        document(f'/{plural}/{{id_}}', 'PUT', f'Set the status of one of your {plural}', plural,
                 body={'type': 'object', 'required': ['data']})  # fmt: skip
        document(f'/{plural}/{{id_}}', 'DELETE', f'Delete one of your {plural}', plural, status=204)
    app.add_route('/webmessagesnew', Unread(services, WEB))
    app.add_route('/webmessagesbatch', Batch(services, WEB))
    document('/webmessagesnew', 'GET', 'Your unread web messages', 'webmessages')
    document('/webmessagesnew', 'PUT', 'Mark all your unread web messages read', 'webmessages')
    document('/webmessagesbatch', 'PUT', 'Mark several of your web messages', 'webmessages',
             body={'type': 'object', 'required': ['data']})  # fmt: skip
    document('/webmessagesbatch', 'DELETE', 'Delete several of your web messages', 'webmessages',
             body={'type': 'object', 'required': ['data']})  # fmt: skip
