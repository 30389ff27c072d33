"""What every resource needs, passed in once by create_app: settings, database pools, parser, audit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import falcon

from myems_api.auth import Identity, identify
from myems_api.recompute import request_recompute
from myems_api.scope import Scope
from myems_api.validate import Parser
from myems_common.config import Settings
from myems_common.db import Database
from myems_common.timeutil import utc_now

_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_json(value: Any) -> Any:
    """Stored values as JSON: Decimal stays exact (a JSON number), datetimes become ISO strings (UTC).

    On the hot path of every list response, so plain values are passed through without a call.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k: v if type(v) in _PLAIN else to_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _PLAIN else to_json(v) for v in value]
    if kind is Decimal:
        return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()
    if kind is datetime:
        return value.isoformat(timespec='seconds')
    if isinstance(value, date | time):
        return value.isoformat()
    if kind is timedelta:  # MySQL TIME columns read back as durations since midnight: HH:MM:SS
        seconds = int(value.total_seconds())
        return f'{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


class Services:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.parser = Parser(settings.utc_offset)
        user = settings.db('user')
        self._audit_server = (user.host, user.port, user.user)
        server = {(c.host, c.port, c.user) for c in (settings.db(k) for k in ('system', 'energy', 'billing', 'carbon'))}
        self._pipeline_together = len(server) == 1  # recompute requests commit with the change

    def system(self) -> AbstractContextManager[Any]:
        return self.db.transaction('system')

    def user(self) -> AbstractContextManager[Any]:
        return self.db.transaction('user')

    def transaction(self, database: str) -> AbstractContextManager[Any]:
        return self.db.transaction(database)

    def read(self, database: str) -> AbstractContextManager[Any]:
        """A cursor for reads only (`Database.read`: no transaction to commit)."""
        return self.db.read(database)

    def who(self, req: falcon.Request) -> tuple[Identity, Scope]:
        """Authenticate once per request; the scope is computed only if a scoped read needs it."""
        if 'identity' not in req.context:
            identity = identify(req, partial(self.db.read, 'user'))
            req.context.identity = identity
            req.context.scope = Scope(identity, partial(self.db.read, 'system'))
        return req.context.identity, req.context.scope

    @contextmanager
    def write(
        self,
        identity: Identity,
        method: str,
        resource: str,
        resource_id: int | None,
        body: Any,
        database: str = 'system',
    ) -> Iterator[tuple[Any, Callable[[dict[str, Any]], None]]]:
        """A transaction on `database` whose audit row commits (or not) with the change.

        Yields the cursor and a function to attach the before/after images of the change.
        """
        change: dict[str, Any] = {'request': body}
        config = self.settings.db(database)
        same_server = (config.host, config.port, config.user) == self._audit_server
        with self.transaction(database) as cur:
            yield cur, change.update
            self._audit(cur, identity, method, resource, resource_id or change.get('id'), change, same_server)
            if database == 'system' and self._pipeline_together:  # derived data follows the change
                request_recompute(cur, self.settings, method, resource, resource_id, change)

    def _audit(
        self,
        cur: Any,
        identity: Identity,
        method: str,
        resource: str,
        resource_id: int | None,
        change: dict[str, Any],
        same_server: bool = True,
    ) -> None:
        row = (
            identity.actor,
            utc_now(),
            method,
            resource,
            resource_id,
            json.dumps(to_json(change), ensure_ascii=False, default=str),
        )
        sql = (
            'INSERT INTO {table} (user_uuid, request_datetime_utc, request_method, resource_type, resource_id,'
            ' request_body) VALUES (%s, %s, %s, %s, %s, %s)'
        )
        if same_server:
            cur.execute(sql.format(table=f'`{self.settings.db("user").database}`.`tbl_logs`'), row)
        else:  # another server: no shared transaction is possible, write right after
            with self.user() as other:
                other.execute(sql.format(table='`tbl_logs`'), row)
