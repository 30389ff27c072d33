"""Uploaded files (offline meter, data repair, cost, energy plan workbooks; knowledge documents)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from falcon import testing

from myems_api.files import KINDS

WORKBOOK_KINDS = [k.plural for k in KINDS if k.workbook]


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active['A1'] = 'year'
    book.active['A2'] = 2026
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def multipart(name: str, blob: bytes, field: str = 'file') -> tuple[bytes, dict[str, str]]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            'Content-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + blob
        + f'\r\n--{boundary}--\r\n'.encode()
    )
    return body, {'Content-Type': f'multipart/form-data; boundary={boundary}'}


def upload(api: testing.TestClient, headers: dict[str, str], plural: str, name: str, blob: bytes) -> testing.Result:
    body, extra = multipart(name, blob)
    return api.simulate_post(f'/{plural}', headers={**headers, **extra}, body=body)


def count(database: Any, plural: str) -> int:
    kind = next(k for k in KINDS if k.plural == plural)
    with database.transaction(kind.database) as cur:
        cur.execute(f'SELECT COUNT(*) FROM {kind.table}')
        return int(cur.fetchone()[0])


@pytest.mark.parametrize('plural', WORKBOOK_KINDS)
def test_a_workbook_is_queued_listed_downloaded_restored_and_deleted(
    plural: str, api: testing.TestClient, admin_headers: dict[str, str], settings: Any
) -> None:
    blob = workbook_bytes()
    made = upload(api, admin_headers, plural, 'readings 2026-03.xlsx', blob)
    assert made.status_code == 201, made.text
    file_id = made.json['id']
    assert made.headers['location'] == f'/{plural}/{file_id}'
    listed = api.simulate_get(f'/{plural}', headers=admin_headers).json
    assert listed[0]['id'] == file_id and listed[0]['status'] == 'new'
    item = api.simulate_get(f'/{plural}/{file_id}', headers=admin_headers).json
    assert item['file_name'] == 'readings 2026-03.xlsx' and len(item['upload_datetime']) == 19
    download = api.simulate_get(f'/{plural}/{file_id}/file', headers=admin_headers)
    assert download.status_code == 200 and download.content == blob
    assert 'readings 2026-03.xlsx' in download.headers['content-disposition']
    assert api.simulate_get(f'/{plural}/{file_id}/restore', headers=admin_headers).json == 'success'
    restored = Path(settings.upload_path, item['uuid'])
    assert restored.read_bytes() == blob
    assert api.simulate_delete(f'/{plural}/{file_id}', headers=admin_headers).status_code == 204
    assert not restored.exists()
    gone = api.simulate_get(f'/{plural}/{file_id}', headers=admin_headers)
    assert gone.status_code == 404 and gone.json['description'].endswith('_FILE_NOT_FOUND')


@pytest.mark.parametrize(
    ('name', 'blob', 'code'),
    [
        ('broken.xlsx', b'PK\x03\x04 this is not a workbook', 'API.INVALID_EXCEL_FILE'),
        ('notes.xlsx', b'plain text', 'API.INVALID_EXCEL_FILE'),
        ('empty.xlsx', b'', 'API.INVALID_FILE'),
    ],
)
def test_a_corrupt_workbook_is_refused_and_nothing_is_written(
    name: str, blob: bytes, code: str, api: testing.TestClient, admin_headers: dict[str, str], database: Any
) -> None:
    before = count(database, 'offlinemeterfiles')
    refused = upload(api, admin_headers, 'offlinemeterfiles', name, blob)
    assert refused.status_code == 400 and refused.json['description'] == code, refused.text
    assert name in refused.json['message']
    assert count(database, 'offlinemeterfiles') == before


def test_an_upload_that_is_not_a_multipart_file_is_refused(
    api: testing.TestClient, admin_headers: dict[str, str]
) -> None:
    assert api.simulate_post('/costfiles', headers=admin_headers, json={'data': {}}).json['description'] == (
        'API.INVALID_FILE'
    )
    body, extra = multipart('a.xlsx', workbook_bytes(), field='other')
    refused = api.simulate_post('/costfiles', headers={**admin_headers, **extra}, body=body)
    assert refused.status_code == 400 and 'no part named "file"' in refused.json['message']


def test_knowledge_files_are_readable_by_users_and_name_the_uploader(
    api: testing.TestClient, admin_headers: dict[str, str], make_user: Any, sign_in: Any
) -> None:
    made = upload(api, admin_headers, 'knowledgefiles', 'chiller manual.pdf', b'%PDF-1.4 manual')
    assert made.status_code == 201, made.text
    reader = sign_in(make_user('reader', is_read_only=True))
    listed = api.simulate_get('/knowledgefiles', headers=reader).json
    mine = next(r for r in listed if r['id'] == made.json['id'])
    assert mine['user_display_name'] and mine['file_name'] == 'chiller manual.pdf'
    assert api.simulate_get(f'/knowledgefiles/{mine["id"]}/file', headers=reader).content == b'%PDF-1.4 manual'
    assert api.simulate_get('/offlinemeterfiles', headers=reader).status_code == 403
    assert upload(api, reader, 'knowledgefiles', 'x.pdf', b'x').status_code == 403
    assert api.simulate_delete(f'/knowledgefiles/{mine["id"]}', headers=reader).status_code == 403
