"""Uploaded files: offline meter, data repair, cost and energy plan workbooks, and knowledge base documents.

Each kind serves MyEMS's routes: GET/POST /{kind}, GET/DELETE /{kind}/{id}, GET /{kind}/{id}/restore
(writes the stored file to UPLOAD_PATH under its uuid, where the admin console links it), and one more,
GET /{kind}/{id}/file, which answers the file itself as a download.

An upload is a multipart form with a `file` part. Workbooks must open as .xlsx; they are queued with
status 'new' for the pipeline. Offline meter, data repair and energy plan workbooks are also checked
against the database before anything is stored (myems_common.workbooks and myems_common.planbooks:
layout, meters, points, objects and energy categories exist, values within their limits): a bad one is a
400 whose message names sheet, row and column of the first problem and whose `details` list every
problem. GET /offlinemeterfiles/template?year=&month=, GET /energyplanfiles/template?year= and
GET /datarepairfiles/template?point_id=[&startdatetime=&enddatetime=] download workbooks in those layouts,
pre-filled with the offline meters, with the root space's twelve months (docs/energy-plans.md), or with
the point and its readings in the range (local times at UTC_OFFSET). Uploading and deleting need an
administrator; the knowledge base is readable by every signed-in user, the other kinds by administrators
only.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import falcon
import openpyxl

from myems_api.auth import require_writer
from myems_api.context import Services, to_json
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.routedocs import document
from myems_api.validate import parse_id
from myems_common.planbooks import (
    check_energy_plan_file,
    energy_plan_template,
    load_energy_categories,
    load_plan_objects,
    read_energy_plan_file,
)
from myems_common.timeutil import to_local, to_utc, utc_now, zone
from myems_common.workbooks import (
    LAST_ROW,
    Problem,
    check_data_repair_file,
    check_offline_meter_file,
    data_repair_template,
    in_sheet_order,
    load_offline_meters,
    load_points,
    offline_meter_template,
    read_data_repair_file,
    read_offline_meter_file,
    summary,
)

log = logging.getLogger(__name__)
XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
MAX_FILE_BYTES = 15 * 1024 * 1024  # under MariaDB's default 16 MiB max_allowed_packet
MAX_DETAILS = 500  # problems listed in a refusal's details (the message counts them all)


@dataclass(frozen=True)
class FileKind:
    plural: str  # URL segment
    table: str
    database: str
    code: str  # OFFLINE_METER_FILE: API.OFFLINE_METER_FILE_NOT_FOUND ...
    workbook: bool = True  # an .xlsx queued for the pipeline (status column), else a document (uploader column)
    public: bool = False  # readable by every signed-in user


KINDS = (
    FileKind('offlinemeterfiles', 'tbl_offline_meter_files', 'historical', 'OFFLINE_METER_FILE'),
    FileKind('datarepairfiles', 'tbl_data_repair_files', 'historical', 'DATA_REPAIR_FILE'),
    FileKind('costfiles', 'tbl_cost_files', 'historical', 'COST_FILE'),
    FileKind('energyplanfiles', 'tbl_energy_plan_files', 'historical', 'ENERGY_PLAN_FILE'),
    FileKind('knowledgefiles', 'tbl_knowledge_files', 'system', 'KNOWLEDGE_FILE', workbook=False, public=True),
)


def check_workbook(name: str, blob: bytes) -> None:
    try:
        book = openpyxl.load_workbook(io.BytesIO(blob), read_only=True)
        book.close()
    except Exception as error:  # openpyxl raises many types for a corrupt file
        raise bad_request('API.INVALID_EXCEL_FILE', f'{name!r} is not a readable .xlsx workbook: {error}') from None


def offline_meter_problems(services: Services, blob: bytes) -> list[Problem]:
    parsed, problems = read_offline_meter_file(blob)
    if parsed is not None and parsed.rows:
        with services.system() as cur:
            meters = load_offline_meters(cur, parsed.meter_ids, services.settings.default_timezone)
        problems += check_offline_meter_file(parsed, meters, services.settings.minutes_to_count)
    return in_sheet_order(problems)


def data_repair_problems(services: Services, blob: bytes) -> list[Problem]:
    parsed, problems = read_data_repair_file(blob)
    if parsed is not None and parsed.rows:
        with services.system() as cur:
            problems += check_data_repair_file(parsed, load_points(cur, parsed.point_ids))
    return in_sheet_order(problems)


def energy_plan_problems(services: Services, blob: bytes) -> list[Problem]:
    parsed, problems = read_energy_plan_file(blob)
    if parsed is not None and parsed.rows:
        with services.system() as cur:
            objects = load_plan_objects(cur, parsed.object_ids(), services.settings.default_timezone)
            categories = load_energy_categories(cur, parsed.category_ids)
        problems += check_energy_plan_file(parsed, objects, categories)
    return in_sheet_order(problems)


CONTENT_CHECKS: dict[str, Callable[[Services, bytes], list[Problem]]] = {
    'offlinemeterfiles': offline_meter_problems,
    'datarepairfiles': data_repair_problems,
    'energyplanfiles': energy_plan_problems,
}


def check_contents(kind: FileKind, services: Services, blob: bytes) -> None:
    """Refuse a workbook the pipeline could not use, naming every problem (nothing is written)."""
    check = CONTENT_CHECKS.get(kind.plural)
    if check is None:
        return
    problems = check(services, blob)
    if problems:
        details = [p.as_dict() for p in problems[:MAX_DETAILS]]
        raise ApiError(400, f'API.INVALID_{kind.code}', summary(problems), details=details)


def clean_name(raw: str) -> str:
    """The file name as the user knows it, without a client path or control characters, at most 255 long."""
    name = os.path.basename(raw.replace('\\', '/'))
    return ''.join(c for c in name if c.isprintable()).strip()[:255]


def read_upload(req: falcon.Request) -> tuple[str, bytes]:
    """The `file` part of a multipart form: its name and bytes."""
    if req.content_type is None or not req.content_type.startswith('multipart/form-data'):
        raise bad_request('API.INVALID_FILE', 'upload the file as multipart/form-data with a part named "file"')
    try:
        for part in req.get_media():
            if part.name == 'file':
                name = clean_name(part.filename or '')
                blob = part.stream.read(MAX_FILE_BYTES + 1)
                if not name:
                    raise bad_request('API.INVALID_FILE_NAME', 'the "file" part has no file name')
                if len(blob) > MAX_FILE_BYTES:
                    raise ApiError(413, 'API.FILE_TOO_LARGE', f'{name!r} exceeds {MAX_FILE_BYTES} bytes')
                if not blob:
                    raise bad_request('API.INVALID_FILE', f'{name!r} is empty')
                return name, blob
    except falcon.MediaMalformedError as error:
        raise bad_request('API.INVALID_FILE', f'the multipart form is malformed: {error.description}') from None
    raise bad_request('API.INVALID_FILE', 'the form has no part named "file"')


class FileResource:
    max_body = MAX_FILE_BYTES + 64 * 1024

    def __init__(self, kind: FileKind, services: Services) -> None:
        self.kind = kind
        self.services = services

    def reader(self, req: falcon.Request) -> Any:
        identity, _ = self.services.who(req)
        if not self.kind.public and not (identity.kind == 'user' and identity.is_admin):
            raise ApiError(403, 'API.FORBIDDEN', f'{self.kind.plural} are visible to administrators only')
        return identity

    def file_id(self, raw: str) -> int:
        return parse_id(raw, f'API.INVALID_{self.kind.code}_ID', f'{self.kind.code.lower()} id')

    def missing(self, id_: int) -> ApiError:
        return not_found(
            f'API.{self.kind.code}_NOT_FOUND', f'{self.kind.code.lower().replace("_", " ")} {id_} does not exist'
        )

    def columns(self) -> str:
        extra = 'status' if self.kind.workbook else 'upload_user_uuid'
        return f'id, file_name, uuid, upload_datetime_utc, {extra}'

    def shape(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        offset = self.services.parser.offset.utcoffset(None)
        names = self.user_names([r[4] for r in rows]) if not self.kind.workbook else {}
        shaped = []
        for id_, name, file_uuid, uploaded, extra in rows:
            row: dict[str, Any] = {'id': id_, 'file_name': name, 'uuid': file_uuid}
            row['upload_datetime'] = (uploaded + offset).strftime('%Y-%m-%dT%H:%M:%S')
            row['upload_datetime_utc'] = uploaded
            if self.kind.workbook:
                row['status'] = extra
            else:
                row['user_display_name'] = names.get(extra)
            shaped.append(to_json(row))
        return shaped

    def user_names(self, uuids: list[str]) -> dict[str, str]:
        if not uuids:
            return {}
        with self.services.user() as cur:
            cur.execute(
                f'SELECT uuid, display_name FROM tbl_users WHERE uuid IN ({", ".join(["%s"] * len(uuids))})', uuids
            )
            return dict(cur.fetchall())

    def load(self, cur: Any, id_: int, blob: bool = False) -> tuple[Any, ...]:
        cur.execute(
            f'SELECT {self.columns()}{", file_object" if blob else ""} FROM {self.kind.table} WHERE id = %s', (id_,)
        )
        row = cur.fetchone()
        if row is None:
            raise self.missing(id_)
        return tuple(row)


class FileCollection(FileResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.reader(req)
        with self.services.transaction(self.kind.database) as cur:
            cur.execute(f'SELECT {self.columns()} FROM {self.kind.table} ORDER BY upload_datetime_utc DESC, id DESC')
            resp.media = self.shape(cur.fetchall())

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity, _ = self.services.who(req)
        require_writer(identity)
        name, blob = read_upload(req)
        if self.kind.workbook:
            check_workbook(name, blob)
            check_contents(self.kind, self.services, blob)
        file_uuid, now = str(uuid.uuid4()), utc_now()
        extra, value = ('status', 'new') if self.kind.workbook else ('upload_user_uuid', identity.user_uuid)
        audit = {'file_name': name, 'bytes': len(blob), 'uuid': file_uuid}
        with self.services.write(identity, 'POST', self.kind.plural, None, audit, self.kind.database) as (cur, note):
            cur.execute(
                f'INSERT INTO {self.kind.table} (file_name, uuid, upload_datetime_utc, {extra}, file_object)'
                ' VALUES (%s, %s, %s, %s, %s)',
                (name, file_uuid, now, value, blob),
            )
            new_id = cur.lastrowid
            note({'id': new_id})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.kind.plural}/{new_id}'
        resp.media = {'id': new_id, 'uuid': file_uuid}


class FileItem(FileResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        self.reader(req)
        with self.services.transaction(self.kind.database) as cur:
            resp.media = self.shape([self.load(cur, self.file_id(id_))])[0]

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity, _ = self.services.who(req)
        require_writer(identity)
        file_id = self.file_id(id_)
        with self.services.write(identity, 'DELETE', self.kind.plural, file_id, None, self.kind.database) as (
            cur,
            note,
        ):
            row = self.load(cur, file_id)
            cur.execute(f'DELETE FROM {self.kind.table} WHERE id = %s', (file_id,))
            note({'before': {'file_name': row[1], 'uuid': row[2]}})
        Path(self.services.settings.upload_path, row[2]).unlink(missing_ok=True)
        resp.status = falcon.HTTP_204


class FileRestore(FileResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        self.reader(req)
        with self.services.transaction(self.kind.database) as cur:
            row = self.load(cur, self.file_id(id_), blob=True)
        folder = Path(self.services.settings.upload_path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f'{row[2]}~'
            partial.write_bytes(row[5])
            partial.replace(folder / row[2])  # whole or not at all
        except OSError as error:
            log.error('cannot restore %s %s into %s: %s', self.kind.plural, row[0], folder, error)
            raise ApiError(500, f'API.FAILED_TO_RESTORE_{self.kind.code}', f'cannot write into {folder}') from None
        resp.media = 'success'


class FileDownload(FileResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        self.reader(req)
        with self.services.transaction(self.kind.database) as cur:
            row = self.load(cur, self.file_id(id_), blob=True)
        resp.content_type = XLSX if self.kind.workbook else 'application/octet-stream'
        resp.downloadable_as = row[1]
        resp.data = bytes(row[5])


def send_workbook(resp: falcon.Response, name: str, blob: bytes) -> None:
    resp.content_type = XLSX
    resp.downloadable_as = name
    resp.data = blob


def whole_param(req: falcon.Request, name: str, default: int, low: int, high: int) -> int:
    raw = req.get_param(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise bad_request(f'API.INVALID_{name.upper()}', f'{name} must be a whole number from {low} to {high}')
    return int(text)


class OfflineMeterTemplate(FileResource):
    """An offline meter workbook for one month listing every offline meter (default: this month)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.reader(req)
        today = to_local(utc_now(), zone(self.services.settings.default_timezone))
        year = whole_param(req, 'year', today.year, 1970, 2199)
        month = whole_param(req, 'month', today.month if year == today.year else 1, 1, 12)
        with self.services.system() as cur:
            meters = load_offline_meters(cur, None, self.services.settings.default_timezone)
        blob = offline_meter_template(year, month, [(m.id, m.name) for m in meters.values()])
        send_workbook(resp, f'offline meters {year}-{month:02d}.xlsx', blob)


class DataRepairTemplate(FileResource):
    """A data repair workbook for one point, pre-filled with its readings in [startdatetime, enddatetime)."""

    def local(self, req: falcon.Request, name: str) -> datetime | None:
        raw = req.get_param(name)
        if raw is None or not raw.strip():
            return None
        try:
            local = datetime.strptime(raw.strip(), '%Y-%m-%dT%H:%M:%S')
            if not 1970 <= local.year <= 2199:
                raise ValueError(local.year)
        except ValueError:
            raise bad_request(
                f'API.INVALID_{name.upper()}_FORMAT',
                f'{name} must be a local time like 2026-01-31T00:00:00 (years 1970 to 2199)',
            ) from None
        return to_utc(local, self.services.parser.offset)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.reader(req)
        point_id = parse_id(req.get_param('point_id'), 'API.INVALID_POINT_ID', 'point_id')
        start, end = self.local(req, 'startdatetime'), self.local(req, 'enddatetime')
        if (start is None) != (end is None) or (start is not None and end is not None and start >= end):
            raise bad_request('API.INVALID_END_DATETIME', 'give both startdatetime and enddatetime, start first')
        with self.services.system() as cur:
            point = load_points(cur, [point_id]).get(point_id)
        if point is None or point.object_type != 'ENERGY_VALUE':
            raise not_found('API.POINT_NOT_FOUND', f'point {point_id} does not exist or is not an ENERGY_VALUE point')
        readings: list[tuple[datetime, Any]] = []
        if start is not None:
            with self.services.transaction('historical') as cur:
                cur.execute(
                    'SELECT utc_date_time, actual_value FROM tbl_energy_value WHERE point_id = %s'
                    ' AND utc_date_time >= %s AND utc_date_time < %s ORDER BY utc_date_time LIMIT %s',
                    (point_id, start, end, LAST_ROW),
                )
                readings = list(cur.fetchall())
            if len(readings) >= LAST_ROW:
                raise bad_request(
                    'API.TOO_MANY_READINGS', f'more than {LAST_ROW - 1} readings in the range; choose a shorter one'
                )
        offset = self.services.parser.offset
        local = [(to_local(when, offset).replace(tzinfo=None), value) for when, value in readings]
        send_workbook(resp, f'data repair point {point_id}.xlsx', data_repair_template(point, local))


class EnergyPlanTemplate(FileResource):
    """An energy plan workbook for one year: the twelve months of the root space and the first energy category."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.reader(req)
        today = to_local(utc_now(), zone(self.services.settings.default_timezone))
        year = whole_param(req, 'year', today.year, 1970, 2199)
        with self.services.system() as cur:
            cur.execute('SELECT id, name FROM tbl_spaces ORDER BY parent_space_id IS NOT NULL, id LIMIT 1')
            space = cur.fetchone()
            cur.execute('SELECT id, name FROM tbl_energy_categories ORDER BY id LIMIT 1')
            category = cur.fetchone()
        space_id, space_name = (int(space[0]), str(space[1])) if space else (1, 'a space')
        category_id, category_name = (int(category[0]), str(category[1])) if category else (1, 'an energy category')
        notes = f'{space_name}: {category_name}'
        rows = [('space', space_id, category_id, year, month, 0, notes) for month in range(1, 13)]
        send_workbook(resp, f'energy plan {year}.xlsx', energy_plan_template(rows))


def _file_row(workbook: bool) -> dict[str, Any]:
    extra = {'status': {'type': 'string'}} if workbook else {'user_display_name': {'type': ['string', 'null']}}
    properties = {'id': {'type': 'integer'}, 'file_name': {'type': 'string'}, 'uuid': {'type': 'string'}}
    return {'type': 'object', 'properties': {**properties, 'upload_datetime': {'type': 'string'}, **extra}}


def add_file_routes(app: falcon.App, services: Services) -> None:
    upload = {
        'type': 'object',
        'required': ['file'],
        'properties': {'file': {'type': 'string', 'format': 'binary'}},
    }
    by_plural = {kind.plural: kind for kind in KINDS}
    templates = (
        ('offlinemeterfiles', OfflineMeterTemplate, (('year', 'integer', False), ('month', 'integer', False))),
        (
            'datarepairfiles',
            DataRepairTemplate,
            (('point_id', 'integer', True), ('startdatetime', 'string', False), ('enddatetime', 'string', False)),
        ),
        ('energyplanfiles', EnergyPlanTemplate, (('year', 'integer', False),)),
    )
    for plural, resource, query in templates:  # before /{id_}, which would otherwise read 'template' as an id
        app.add_route(f'/{plural}/template', resource(by_plural[plural], services))
        document(f'/{plural}/template', 'GET', f'Download a workbook to fill in, in the layout of {plural}', plural,
                 auth='admin', query=query, media_type=XLSX)  # fmt: skip
    for kind in KINDS:
        base = f'/{kind.plural}'
        app.add_route(base, FileCollection(kind, services))
        app.add_route(base + '/{id_}', FileItem(kind, services))
        app.add_route(base + '/{id_}/restore', FileRestore(kind, services))
        app.add_route(base + '/{id_}/file', FileDownload(kind, services))
        auth = 'user' if kind.public else 'admin'
        row = _file_row(kind.workbook)
        document(base, 'GET', f'List {kind.plural}, newest first', kind.plural, auth=auth,
                 response={'type': 'array', 'items': row})  # fmt: skip
        document(base, 'POST', f'Upload one of {kind.plural}', kind.plural, auth='admin', status=201,
                 body=upload, body_type='multipart/form-data')  # fmt: skip
        document(base + '/{id_}', 'GET', f'One of {kind.plural}', kind.plural, auth=auth, response=row)
        document(base + '/{id_}', 'DELETE', f'Delete one of {kind.plural}', kind.plural, auth='admin', status=204)
        document(base + '/{id_}/restore', 'GET', 'Write the stored file to UPLOAD_PATH', kind.plural, auth=auth)
        document(base + '/{id_}/file', 'GET', 'Download the stored file', kind.plural, auth=auth,
                 media_type='application/octet-stream')  # fmt: skip
