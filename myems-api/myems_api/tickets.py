"""Tickets: MyEMS's proxy to an external workflow service (MYEMS_WORKFLOW_BASE_URL, _TOKEN, _APP_NAME,
_USER_NAME). Each call is signed as that service expects: `timestamp` (Unix seconds), `signature`
(MD5 of timestamp + token), `appname` and `username` headers.

GET /tickets?startdatetime=&enddatetime=&status= (local times at UTC_OFFSET; status new, read,
acknowledged or all) lists tickets; GET, PUT and DELETE /tickets/{id} reach one ticket. Unlike MyEMS,
the answer is the service's JSON itself (not that JSON re-encoded as a string), PUT and DELETE are
forwarded (MyEMS ignores them), and a missing or failing service is a 503 or 502 naming it.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

import falcon
import simplejson

from myems_api.context import Services
from myems_api.errors import ApiError, bad_request
from myems_api.routedocs import document
from myems_api.validate import body_data, parse_id
from myems_common.timeutil import to_utc

TIMEOUT_SECONDS = 10
STATUSES = ('new', 'read', 'acknowledged', 'all')


class Workflow:
    """A signed JSON client of the workflow service."""

    def __init__(self, services: Services) -> None:
        self.settings = services.settings

    def headers(self) -> dict[str, str]:
        stamp = str(int(time.time()))
        signature = hashlib.md5((stamp + self.settings.workflow_token).encode(), usedforsecurity=False).hexdigest()
        return {
            'timestamp': stamp,
            'signature': signature,
            'appname': self.settings.workflow_app_name,
            'username': self.settings.workflow_user_name,
            'Content-Type': 'application/json',
        }

    def call(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        base = self.settings.workflow_base_url
        if not base:
            raise ApiError(503, 'API.WORKFLOW_NOT_CONFIGURED', 'no workflow service: set MYEMS_WORKFLOW_BASE_URL')
        url = base.rstrip('/') + '/' + path + ('?' + urllib.parse.urlencode(query) if query else '')
        data = None if body is None else simplejson.dumps(body, use_decimal=True).encode()  # bodies parse to Decimal
        request = urllib.request.Request(url, data=data, method=method, headers=self.headers())
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                text = answer.read().decode('utf-8', 'replace')
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise ApiError(404, 'API.TICKET_NOT_FOUND', f'the workflow service has no {path}') from None
            raise ApiError(
                502, 'API.WORKFLOW_ERROR', f'the workflow service answered {error.code} to {method} {path}'
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise ApiError(
                502, 'API.WORKFLOW_ERROR', f'the workflow service at {base} is unreachable: {error}'
            ) from None
        try:
            return json.loads(text) if text.strip() else None
        except ValueError:
            raise ApiError(502, 'API.WORKFLOW_ERROR', f'the workflow service answered {path} with non-JSON') from None


def signed_in(services: Services, req: falcon.Request, write: bool = False) -> None:
    identity, _ = services.who(req)
    if write and (identity.kind != 'user' or identity.is_read_only):
        raise ApiError(403, 'API.FORBIDDEN', 'a read-only user or an API key cannot change tickets')


class TicketCollection:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.workflow = Workflow(services)

    def local(self, req: falcon.Request, name: str, code: str) -> datetime:
        raw = req.get_param(name)
        try:
            return to_utc(datetime.strptime((raw or '').strip(), '%Y-%m-%dT%H:%M:%S'), self.services.parser.offset)
        except ValueError:
            raise bad_request(code, f'{name} must be a local time like 2026-01-31T00:00:00, not {raw!r}') from None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        signed_in(self.services, req)
        start = self.local(req, 'startdatetime', 'API.INVALID_START_DATETIME_FORMAT')
        end = self.local(req, 'enddatetime', 'API.INVALID_END_DATETIME_FORMAT')
        if start >= end:
            raise bad_request('API.START_DATETIME_MUST_BE_EARLIER_THAN_END_DATETIME', 'startdatetime >= enddatetime')
        status = (req.get_param('status') or '').strip().lower()
        if status not in STATUSES:
            raise bad_request('API.INVALID_STATUS', f'status must be one of {", ".join(STATUSES)}')
        query = {'per_page': 20, 'category': 'all', 'create_start': start.isoformat(), 'create_end': end.isoformat()}
        if status != 'all':
            query['status'] = status
        resp.media = self.workflow.call('GET', 'tickets', query)


class TicketItem:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.workflow = Workflow(services)

    def path(self, id_: str) -> str:
        return f'tickets/{parse_id(id_, "API.INVALID_TICKET_ID", "ticket id")}'

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        signed_in(self.services, req)
        resp.media = self.workflow.call('GET', self.path(id_))

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        signed_in(self.services, req, write=True)
        path, data = self.path(id_), body_data(req.get_media())
        resp.media = self.workflow.call('PUT', path, body=data)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        signed_in(self.services, req, write=True)
        self.workflow.call('DELETE', self.path(id_))
        resp.status = falcon.HTTP_204


def add_ticket_routes(app: falcon.App, services: Services) -> None:
    app.add_route('/tickets', TicketCollection(services))
    app.add_route('/tickets/{id_}', TicketItem(services))
    local = 'string'
    query = (('startdatetime', local, True), ('enddatetime', local, True), ('status', 'string', True))
    document('/tickets', 'GET', 'Tickets of the workflow service in a period', 'tickets', query=query)
    document('/tickets/{id_}', 'GET', 'One ticket of the workflow service', 'tickets')
    document('/tickets/{id_}', 'PUT', 'Update a ticket in the workflow service', 'tickets',
             body={'type': 'object', 'properties': {'data': {'type': 'object'}}})  # fmt: skip
    document('/tickets/{id_}', 'DELETE', 'Delete a ticket in the workflow service', 'tickets', status=204)
