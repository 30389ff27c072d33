"""Uploaded files (offline meter, data repair, cost, energy plan workbooks; knowledge documents); the offline
meter, data repair and energy plan workbooks' contents checked at upload, and their templates."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from falcon import testing

from myems_api.files import KINDS, XLSX
from myems_common.planbooks import parse_energy_plan_file

WORKBOOK_KINDS = [k.plural for k in KINDS if k.workbook]


def workbook_bytes(rows: list[list[Any]] | None = None) -> bytes:
    book = openpyxl.Workbook()
    for row in rows or [['year'], [2026]]:
        book.active.append(row)
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


@pytest.fixture(scope='module')
def world(database: Any) -> dict[str, int]:
    """An offline meter (hourly limits 0..10), an energy point (0..1000) with readings, an analog point."""
    with database.transaction('system') as cur:
        cur.execute(
            'INSERT INTO tbl_offline_meters (name, uuid, energy_category_id, is_counted, hourly_low_limit,'
            " hourly_high_limit, cost_center_id) VALUES ('Boiler oil', %s, 1, 1, 0, 10, 1)",
            (str(uuid.uuid4()),),
        )
        meter = cur.lastrowid
        ids = []
        for kind in ('ENERGY_VALUE', 'ANALOG_VALUE'):
            cur.execute(
                'INSERT INTO tbl_points (name, data_source_id, object_type, units, high_limit, low_limit, is_trend,'
                " address) VALUES (%s, 1, %s, 'kWh', 1000, 0, 1, '{}')",
                (f'{kind} point', kind),
            )
            ids.append(cur.lastrowid)
    with database.transaction('historical') as cur:
        cur.executemany(
            'INSERT INTO tbl_energy_value (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
            [(ids[0], datetime(2026, 3, 1) + timedelta(hours=h), 10 + h) for h in range(5)],
        )
    return {'meter': meter, 'point': ids[0], 'analog': ids[1]}


@pytest.fixture(scope='module')
def valid_workbooks(world: dict[str, int]) -> dict[str, bytes]:
    """A workbook each kind accepts: offline meter and data repair files name rows that exist."""
    return {
        'offlinemeterfiles': workbook_bytes([['h'], [2026, 3], [world['meter'], 'Boiler oil', '', 24]]),
        'datarepairfiles': workbook_bytes([['h'], [world['point'], 'P', '2026-03-01 00:00:00', 5]]),
        'costfiles': workbook_bytes(),
        'energyplanfiles': workbook_bytes([['h'], ['offline_meter', world['meter'], None, 2026, 3, 100]]),
    }


@pytest.mark.parametrize('plural', WORKBOOK_KINDS)
def test_a_workbook_is_queued_listed_downloaded_restored_and_deleted(
    plural: str, api: testing.TestClient, admin_headers: dict[str, str], settings: Any, valid_workbooks: Any
) -> None:
    blob = valid_workbooks[plural]
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


# ------------------------------------------------------------------- offline meter and data repair contents
def refused(api: testing.TestClient, headers: dict[str, str], plural: str, blob: bytes, database: Any) -> Any:
    before = count(database, plural)
    answer = upload(api, headers, plural, 'upload.xlsx', blob)
    assert answer.status_code == 400, answer.text
    assert count(database, plural) == before
    return answer.json


def test_an_offline_meter_file_with_problems_is_refused_naming_each_cell(
    api: testing.TestClient, admin_headers: dict[str, str], database: Any, world: dict[str, int], counts: Any
) -> None:
    book = openpyxl.Workbook()
    book.active.title = 'March'
    for row in [['h'], [2026, 3], [world['meter'], 'Boiler oil', '', 240, 241, None, 5], [999999, 'Gone', '', 1]]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    logs = counts()['user.tbl_logs']
    body = refused(api, admin_headers, 'offlinemeterfiles', out.getvalue(), database)
    assert body['description'] == 'API.INVALID_OFFLINE_METER_FILE'
    assert body['message'].startswith("sheet 'March', row 3, column E: day 2: 241 over 24 h is 10.041667 per hour")
    assert body['message'].endswith('(and 2 more problems)')
    where = [(d['sheet'], d['row'], d['column']) for d in body['details']]
    assert where == [('March', 3, 'E'), ('March', 3, 'G'), ('March', 4, 'A')]
    assert 'day 4 has a value but day 3 (F3) is empty' in body['details'][1]['message']
    assert 'offline meter 999999 does not exist' in body['details'][2]['message']
    assert counts()['user.tbl_logs'] == logs  # nothing written, not even the audit row
    # below the low limit: a negative hourly low limit is not possible, so raise it
    with database.transaction('system') as cur:
        cur.execute('UPDATE tbl_offline_meters SET hourly_low_limit = 1 WHERE id = %s', (world['meter'],))
    try:
        low = workbook_bytes([['h'], [2026, 3], [world['meter'], 'Boiler oil', '', 24, 23]])
        body = refused(api, admin_headers, 'offlinemeterfiles', low, database)
        assert body['message'].startswith("sheet 'Sheet', row 3, column E: day 2: 23 over 24 h is 0.958333 per hour")
    finally:
        with database.transaction('system') as cur:
            cur.execute('UPDATE tbl_offline_meters SET hourly_low_limit = 0 WHERE id = %s', (world['meter'],))


def test_a_workbook_of_the_other_layout_is_recognised(
    api: testing.TestClient, admin_headers: dict[str, str], database: Any, world: dict[str, int]
) -> None:
    repair = workbook_bytes([['h'], [world['point'], 'ENERGY_VALUE point', '2026-03-01 00:00:00', 12]])
    body = refused(api, admin_headers, 'offlinemeterfiles', repair, database)
    assert body['message'].startswith("sheet 'Sheet', row 2, column A: A2 must hold the year")
    assert body['details'][-1]['message'].endswith('this looks like a data repair file (point, name, time, value);'
                                                   ' upload it there')  # fmt: skip
    monthly = workbook_bytes([['h'], [2026, 3], [world['meter'], 'Boiler oil', '', 24]])
    body = refused(api, admin_headers, 'datarepairfiles', monthly, database)
    assert body['description'] == 'API.INVALID_DATA_REPAIR_FILE'
    assert any('looks like an offline meter file' in d['message'] for d in body['details'])


def test_a_data_repair_file_must_name_energy_points_and_values_within_their_limits(
    api: testing.TestClient, admin_headers: dict[str, str], database: Any, world: dict[str, int]
) -> None:
    rows = [
        ['h'],
        [world['point'], 'P', '2026-03-01 00:00:00', 1001],
        [world['analog'], 'A', '2026-03-01 00:00:00', 1],
        [world['point'], 'P', '2026-03-01 01:00:00', 'n/a'],
    ]
    body = refused(api, admin_headers, 'datarepairfiles', workbook_bytes(rows), database)
    assert body['message'].endswith('(and 2 more problems)')
    assert [d['message'] for d in body['details']] == [
        f"sheet 'Sheet', row 2, column D: 1001 is outside the limits [0, 1000] of point {world['point']}"
        ' (ENERGY_VALUE point)',
        f"sheet 'Sheet', row 3, column A: point {world['analog']} is an ANALOG_VALUE point, not an ENERGY_VALUE point",
        "sheet 'Sheet', row 4, column D: expected a number, got 'n/a'",
    ]


def test_the_offline_meter_template_lists_the_meters_and_is_accepted_once_filled_in(
    api: testing.TestClient, admin_headers: dict[str, str], world: dict[str, int], make_user: Any, sign_in: Any
) -> None:
    answer = api.simulate_get('/offlinemeterfiles/template', headers=admin_headers, params={'year': 2026, 'month': 2})
    assert answer.status_code == 200 and answer.headers['content-type'] == XLSX
    assert 'offline meters 2026-02.xlsx' in answer.headers['content-disposition']
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    assert (sheet['A2'].value, sheet['B2'].value) == (2026, 2)
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 1).value == world['meter'])
    assert sheet.cell(row, 2).value == 'Boiler oil'
    for day in range(28):
        sheet.cell(row, 4 + day, 24)
    out = io.BytesIO()
    book.save(out)
    made = upload(api, admin_headers, 'offlinemeterfiles', 'february.xlsx', out.getvalue())
    assert made.status_code == 201, made.text
    bad = api.simulate_get('/offlinemeterfiles/template', headers=admin_headers, params={'month': 13})
    assert bad.status_code == 400 and bad.json['description'] == 'API.INVALID_MONTH'
    viewer = sign_in(make_user('viewer', is_read_only=True))
    assert api.simulate_get('/offlinemeterfiles/template', headers=viewer).status_code == 403


def test_the_data_repair_template_holds_the_points_readings_in_local_time(
    api: testing.TestClient, admin_headers: dict[str, str], world: dict[str, int]
) -> None:
    params = {'point_id': world['point'], 'startdatetime': '2026-03-01T01:00:00', 'enddatetime': '2026-03-01T03:00:00'}
    answer = api.simulate_get('/datarepairfiles/template', headers=admin_headers, params=params)
    assert answer.status_code == 200, answer.text
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows == [
        [world['point'], 'ENERGY_VALUE point', '2026-03-01 01:00:00', 11],
        [world['point'], 'ENERGY_VALUE point', '2026-03-01 02:00:00', 12],
    ]
    sheet['D3'] = 12.5
    out = io.BytesIO()
    sheet.parent.save(out)
    assert upload(api, admin_headers, 'datarepairfiles', 'repair.xlsx', out.getvalue()).status_code == 201
    missing = api.simulate_get('/datarepairfiles/template', headers=admin_headers, params={'point_id': world['analog']})
    assert missing.status_code == 404 and missing.json['description'] == 'API.POINT_NOT_FOUND'
    bad = api.simulate_get(
        '/datarepairfiles/template', headers=admin_headers, params={**params, 'enddatetime': '2026-03-01'}
    )
    assert bad.status_code == 400 and bad.json['description'] == 'API.INVALID_ENDDATETIME_FORMAT'
    empty = api.simulate_get('/datarepairfiles/template', headers=admin_headers, params={'point_id': world['point']})
    assert [c.value for c in openpyxl.load_workbook(io.BytesIO(empty.content)).active[2]][:2] == [
        world['point'],
        'ENERGY_VALUE point',
    ]


def test_an_energy_plan_file_with_problems_is_refused_naming_each_cell(
    api: testing.TestClient, admin_headers: dict[str, str], world: dict[str, int], database: Any
) -> None:
    before = count(database, 'energyplanfiles')
    blob = workbook_bytes(
        [['h'], ['space', 10**9, None, 2026, 3, 1], ['offline_meter', world['meter'], None, 2026, 13, -1]]
    )
    refused = upload(api, admin_headers, 'energyplanfiles', 'plan.xlsx', blob)
    assert refused.status_code == 400 and refused.json['description'] == 'API.INVALID_ENERGY_PLAN_FILE', refused.text
    assert [d['message'] for d in refused.json['details']] == [
        "sheet 'Sheet', row 2, column C: the energy category id is required for a space",
        "sheet 'Sheet', row 3, column E: expected the month, a whole number from 1 to 12; got 13",
        "sheet 'Sheet', row 3, column F: the planned amount cannot be negative, got -1",
    ]
    assert count(database, 'energyplanfiles') == before


def test_the_energy_plan_template_is_a_workbook_the_parser_accepts(
    api: testing.TestClient, admin_headers: dict[str, str], database: Any, make_user: Any, sign_in: Any
) -> None:
    with database.transaction('system') as cur:
        cur.execute(
            "INSERT INTO tbl_energy_categories (name, uuid, unit_of_measure, kgce, kgco2e) VALUES ('Electricity', %s,"
            " 'kWh', 0, 0)",
            (str(uuid.uuid4()),),
        )
    answer = api.simulate_get('/energyplanfiles/template', headers=admin_headers, params={'year': 2027})
    assert answer.status_code == 200 and answer.headers['content-type'] == XLSX, answer.text
    assert 'energy plan 2027.xlsx' in answer.headers['content-disposition']
    parsed = parse_energy_plan_file(answer.content)
    assert [(r.object_type, r.year, r.month, r.amount) for r in parsed.rows] == [
        ('space', 2027, month, 0) for month in range(1, 13)
    ]
    made = upload(api, admin_headers, 'energyplanfiles', 'plan 2027.xlsx', answer.content)
    assert made.status_code == 201, made.text  # the objects it names exist
    bad = api.simulate_get('/energyplanfiles/template', headers=admin_headers, params={'year': 1900})
    assert bad.status_code == 400 and bad.json['description'] == 'API.INVALID_YEAR'
    viewer = sign_in(make_user('plan viewer', is_read_only=True))
    assert api.simulate_get('/energyplanfiles/template', headers=viewer).status_code == 403
