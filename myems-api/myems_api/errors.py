"""One error path: raise ApiError; one handler renders it as MyEMS does, plus a readable message.

Body: {"title": "API.BAD_REQUEST", "description": "API.INVALID_METER_NAME", "message": "..."}. MyEMS's
clients read `description` for the machine code; `message` names the problem for people.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import falcon
import mysql.connector

from myems_common.db import is_transient

log = logging.getLogger(__name__)

TITLES = {
    400: 'API.BAD_REQUEST',
    401: 'API.UNAUTHORIZED',
    403: 'API.FORBIDDEN',
    404: 'API.NOT_FOUND',
    405: 'API.METHOD_NOT_ALLOWED',
    409: 'API.CONFLICT',
    413: 'API.REQUEST_BODY_TOO_LARGE',
    415: 'API.UNSUPPORTED_MEDIA_TYPE',
    500: 'API.INTERNAL_SERVER_ERROR',
    503: 'API.SERVICE_UNAVAILABLE',
}


class ApiError(Exception):
    """A failed request: HTTP status, MyEMS code (`description`) and a message naming the problem."""

    def __init__(
        self, status: int, code: str, message: str = '', title: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message or code)
        self.status = status
        self.code = code if code.startswith('API.') else f'API.{code}'
        self.message = message or self.code
        self.title = title or TITLES.get(status, 'API.ERROR')
        self.details = details  # more about the problem, e.g. every refused row of a batch

    def body(self) -> dict[str, Any]:
        body = {'title': self.title, 'description': self.code, 'message': self.message}
        if self.details is not None:
            body['details'] = self.details
        return body


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def _render(resp: falcon.Response, error: ApiError) -> None:
    resp.status = falcon.code_to_http_status(error.status)
    resp.media = error.body()


def handle_api_error(req: falcon.Request, resp: falcon.Response, error: ApiError, params: Any) -> None:
    _render(resp, error)


_HTTP_CODES = {
    400: 'API.BAD_REQUEST',
    404: 'API.RESOURCE_NOT_FOUND',
    405: 'API.METHOD_NOT_ALLOWED',
    413: 'API.REQUEST_BODY_TOO_LARGE',
    415: 'API.UNSUPPORTED_MEDIA_TYPE',
}


def handle_http_error(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError, params: Any) -> None:
    """Falcon's own errors (no route, bad JSON, wrong method) in the same shape as ours."""
    status = int(str(error.status).split()[0]) if not isinstance(error.status, int) else error.status
    message = error.description or error.title or ''
    if isinstance(error, falcon.MediaMalformedError):
        code, message = 'API.INVALID_JSON', f'the request body is not valid JSON: {message}'
    elif status == 404:
        message = f'no such resource: {req.method} {req.path}'
        code = _HTTP_CODES[404]
    elif status == 405:
        message = f'{req.method} is not allowed on {req.path}'
        code = _HTTP_CODES[405]
    else:
        code = _HTTP_CODES.get(status, TITLES.get(status, 'API.ERROR'))
    _render(resp, ApiError(status, code, str(message)))
    if isinstance(error, falcon.HTTPMethodNotAllowed):
        resp.set_header('Allow', error.headers.get('Allow', '') if error.headers else '')


# A value the validator let through but the column cannot hold (out of range, too long, a date before
# 1000): the statement failed and its transaction rolled back, so this is bad input, not a server error.
VALUE_ERRNOS = frozenset({1048, 1264, 1265, 1292, 1364, 1366, 1406})  # NULL, range, truncation, no default
_COLUMN = re.compile(r"column [`'\"]?(?:[\w$]+[`'\"]?\.[`'\"]?)*([\w$]+)")
# A row that repeats a unique key the API does not check itself (a calendar's date given twice): bad input.
DUPLICATE_ERRNO = 1062
_KEY = re.compile(r"for key [`'\"]?(?:[\w$]+\.)?(?:uq_)?([\w$]+)")


def handle_database_error(req: falcon.Request, resp: falcon.Response, error: Exception, params: Any) -> None:
    if is_transient(error):
        log.warning('database unavailable for %s %s: %s', req.method, req.path, error)
        _render(resp, ApiError(503, 'API.DATABASE_UNAVAILABLE', 'the database is unavailable; try again shortly'))
        resp.set_header('Retry-After', '5')
        return
    if getattr(error, 'errno', None) in VALUE_ERRNOS:
        detail = str(getattr(error, 'msg', '') or error)
        match = _COLUMN.search(detail)
        column = match.group(1) if match else 'VALUE'
        _render(resp, ApiError(400, f'API.INVALID_{column.upper()}_VALUE', f'{column}: value out of range ({detail})'))
        return
    if getattr(error, 'errno', None) == DUPLICATE_ERRNO:
        detail = str(getattr(error, 'msg', '') or error)
        match = _KEY.search(detail)
        key = match.group(1) if match else 'VALUE'
        _render(resp, ApiError(400, f'API.{key.upper()}_IS_ALREADY_IN_USE', f'{key}: already in use ({detail})'))
        return
    handle_unexpected(req, resp, error, params)


def handle_unexpected(req: falcon.Request, resp: falcon.Response, error: Exception, params: Any) -> None:
    log.exception('unhandled error in %s %s', req.method, req.path, exc_info=error)
    _render(resp, ApiError(500, 'API.INTERNAL_SERVER_ERROR', 'an unexpected error occurred; it has been logged'))


def install(app: falcon.App) -> None:
    """Register the handlers; later registrations win for more specific classes."""
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(mysql.connector.Error, handle_database_error)
    app.add_error_handler(falcon.HTTPError, handle_http_error)
    app.add_error_handler(ApiError, handle_api_error)
