"""Files made by the advanced-report generator (`myems_reporting_db.tbl_reports_files`).

* `GET /reports/advancedreports`: the files created in the reporting period (local times in the TIMEZONE
  setting), newest first: id, name, uuid, type, size and creation time (UTC and local). Unlike MyEMS the
  list does not carry every file's bytes: a file is fetched on its own.
* `GET /reports/advancedreports/{id_}`: the file itself, as a download of its type (xlsx, pdf, docx).
* `DELETE /reports/advancedreports/{id_}`: removes it (a signed-in user, not an API key; audited).

The files are not tied to spaces, so a user limited to some spaces may neither list, read nor delete them.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon

from myems_api.auth import Identity
from myems_api.context import Services
from myems_api.errors import ApiError, not_found
from myems_api.reportmeters import local_text, serve
from myems_api.reportrequest import period_range
from myems_api.routedocs import document
from myems_api.validate import parse_id
from myems_common.timeutil import zone

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'pdf': 'application/pdf',
    'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
}
DATABASE = 'reporting'


def reader(services: Services, req: falcon.Request) -> Identity:
    identity, _ = services.who(req)
    if identity.scoped:
        raise ApiError(403, 'API.FORBIDDEN', 'advanced report files are not tied to spaces: yours are limited')
    return identity


class AdvancedReportFiles:
    """GET /reports/advancedreports."""

    kind = 'advanced_report'
    suffix = 'advancedreports'

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        reader(self.services, req)
        tz = zone(self.services.settings.default_timezone)
        span = period_range(req, 'reporting', tz, required=True)
        assert span is not None
        with self.services.transaction(DATABASE) as cur:
            cur.execute(
                'SELECT id, file_name, uuid, file_type, LENGTH(file_object), create_datetime_utc'
                ' FROM tbl_reports_files WHERE create_datetime_utc >= %s AND create_datetime_utc < %s'
                ' ORDER BY create_datetime_utc DESC, id DESC',
                span,
            )
            rows = cur.fetchall()
        names = ('id', 'file_name', 'uuid', 'file_type', 'file_size_bytes')
        resp.media = [
            {
                **dict(zip(names, row[:5], strict=True)),
                'create_datetime_utc': row[5].isoformat(timespec='seconds'),
                'create_datetime_local': local_text(row[5], tz),
            }
            for row in rows
        ]


class AdvancedReportFile:
    """GET (download) and DELETE /reports/advancedreports/{id_}."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @staticmethod
    def file_id(raw: str) -> int:
        return parse_id(raw, 'API.INVALID_ADVANCED_REPORT_ID', 'advanced report file id')

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        reader(self.services, req)
        file_id = self.file_id(id_)
        with self.services.transaction(DATABASE) as cur:
            cur.execute('SELECT file_name, file_type, file_object FROM tbl_reports_files WHERE id = %s', (file_id,))
            found = cur.fetchone()
        if found is None:
            raise not_found('API.ADVANCED_REPORT_NOT_FOUND', f'advanced report file {file_id} not found')
        name, file_type, blob = str(found[0]), str(found[1]).lower(), bytes(found[2])
        resp.content_type = CONTENT_TYPES.get(file_type, 'application/octet-stream')
        resp.downloadable_as = name if name.lower().endswith(f'.{file_type}') else f'{name}.{file_type}'
        resp.data = blob

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = reader(self.services, req)
        if identity.kind != 'user':
            raise ApiError(403, 'API.FORBIDDEN', 'an API key may not delete advanced report files')
        file_id = self.file_id(id_)
        with self.services.write(identity, 'DELETE', 'advancedreports', file_id, None, DATABASE) as (cur, note):
            cur.execute('SELECT file_name, uuid FROM tbl_reports_files WHERE id = %s', (file_id,))
            found = cur.fetchone()
            if found is None:
                raise not_found('API.ADVANCED_REPORT_NOT_FOUND', f'advanced report file {file_id} not found')
            cur.execute('DELETE FROM tbl_reports_files WHERE id = %s', (file_id,))
            note({'before': {'file_name': found[0], 'uuid': found[1]}})
        resp.status = falcon.HTTP_204


def add_file_report_routes(app: falcon.App[Any, Any], services: Services) -> list[dict[str, Any]]:
    """Serve the advanced report file routes; the collection's catalogue entry."""
    entry = serve(
        app,
        AdvancedReportFiles(services),  # type: ignore[arg-type]
        'Files made by the advanced-report generator in a period (local times), newest first',
        (('reportingperiodstartdatetime', 'string', True), ('reportingperiodenddatetime', 'string', True)),
        DATABASE,
        'file',
    )
    path = '/reports/advancedreports/{id_}'
    app.add_route(path, AdvancedReportFile(services))
    document(path, 'GET', 'Download one advanced report file', 'reports', media_type='application/octet-stream')
    document(path, 'DELETE', 'Delete one advanced report file', 'reports', status=204)
    return [entry]
