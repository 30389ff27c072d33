"""Uploaded files: offline meter, data repair, cost and energy plan workbooks, and knowledge base documents.

Each kind serves MyEMS's routes: GET/POST /{kind}, GET/DELETE /{kind}/{id}, GET /{kind}/{id}/restore
(writes the stored file to UPLOAD_PATH under its uuid, where the admin console links it), and one more,
GET /{kind}/{id}/file, which answers the file itself as a download.

An upload is a multipart form with a `file` part. Workbooks must open as .xlsx; they are queued with
status 'new' for the pipeline, which validates their contents. Uploading and deleting need an
administrator; the knowledge base is readable by every signed-in user, the other kinds by
administrators only.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import falcon
import openpyxl

from myems_api.auth import require_writer
from myems_api.context import Services, to_json
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.routedocs import document
from myems_api.validate import parse_id
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
MAX_FILE_BYTES = 15 * 1024 * 1024  # under MariaDB's default 16 MiB max_allowed_packet


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
