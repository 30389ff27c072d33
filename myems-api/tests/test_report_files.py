"""Advanced report files: listed by creation time in a period, downloaded one at a time, deleted.

Three files are stored: 'June summary' (xlsx, 5 bytes, 2 June 12:00 UTC), 'June detail.pdf' (pdf, 3 bytes,
2 June 18:00 UTC) and 'May summary' (xlsx, 1 May 12:00 UTC). The period 1-3 June (local, whatever the
TIMEZONE setting within +-12 h) lists the two June files, newest first.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

PERIOD = {'reportingperiodstartdatetime': '2026-06-01T00:00:00', 'reportingperiodenddatetime': '2026-06-03T00:00:00'}
PATH = '/reports/advancedreports'


@pytest.fixture(scope='module')
def files(database: Any) -> dict[str, int]:
    found = {}
    with database.transaction('reporting') as cur:
        for name, kind, blob, created in (
            ('June summary', 'xlsx', b'PK\x03\x04x', datetime(2026, 6, 2, 12)),
            ('June detail.pdf', 'pdf', b'%PD', datetime(2026, 6, 2, 18)),
            ('May summary', 'xlsx', b'PK', datetime(2026, 5, 1, 12)),
        ):
            cur.execute(
                'INSERT INTO tbl_reports_files (uuid, create_datetime_utc, file_name, file_type, file_object)'
                ' VALUES (%s, %s, %s, %s, %s)',
                (str(uuid.uuid4()), created, name, kind, blob),
            )
            found[name] = int(cur.lastrowid)
    return found


def test_the_files_of_a_period_are_listed_newest_first(api: Any, admin_headers: Any, files: Any) -> None:
    answer = api.simulate_get(PATH, headers=admin_headers, params=PERIOD)
    assert answer.status_code == 200, answer.text
    listed = [f for f in answer.json if f['id'] in files.values()]
    assert [(f['file_name'], f['file_type'], f['file_size_bytes']) for f in listed] == [
        ('June detail.pdf', 'pdf', 3),
        ('June summary', 'xlsx', 5),
    ]
    assert listed[1]['create_datetime_utc'] == '2026-06-02T12:00:00' and 'file_bytes_base64' not in listed[0]


def test_a_file_downloads_with_its_type_and_name(api: Any, admin_headers: Any, files: Any) -> None:
    answer = api.simulate_get(f'{PATH}/{files["June summary"]}', headers=admin_headers)
    assert answer.status_code == 200 and answer.content == b'PK\x03\x04x'
    assert answer.headers['content-type'].startswith('application/vnd.openxmlformats-officedocument.spreadsheetml')
    assert 'June summary.xlsx' in answer.headers['content-disposition']
    pdf = api.simulate_get(f'{PATH}/{files["June detail.pdf"]}', headers=admin_headers)
    assert pdf.headers['content-type'] == 'application/pdf' and 'June detail.pdf"' in pdf.headers['content-disposition']


def test_delete_removes_a_file_and_is_audited(api: Any, admin_headers: Any, files: Any, database: Any) -> None:
    path = f'{PATH}/{files["May summary"]}'
    assert api.simulate_delete(path, headers=admin_headers).status_code == 204
    assert api.simulate_get(path, headers=admin_headers).status_code == 404
    gone = api.simulate_delete(path, headers=admin_headers)
    assert gone.status_code == 404 and gone.json['description'] == 'API.ADVANCED_REPORT_NOT_FOUND'
    logged = database.fetch_one(
        'user', "SELECT COUNT(*) FROM tbl_logs WHERE resource_type = 'advancedreports' AND resource_id = %s",
        (files['May summary'],),
    )  # fmt: skip
    assert logged[0] == 1


def test_scoped_users_api_keys_and_bad_input(
    api: Any, admin_headers: Any, files: Any, factory: Any, make_user: Any, sign_in: Any, make_api_key: Any
) -> None:
    scoped = sign_in(make_user('files', spaces=[factory.create('space')]))
    item = f'{PATH}/{files["June summary"]}'
    assert api.simulate_get(PATH, headers=scoped, params=PERIOD).status_code == 403
    assert api.simulate_get(item, headers=scoped).status_code == 403
    assert api.simulate_delete(item, headers=scoped).status_code == 403
    key = make_api_key()
    assert api.simulate_get(item, headers=key).status_code == 200  # an API key may read
    assert api.simulate_delete(item, headers=key).status_code == 403  # not delete
    assert api.simulate_get(item).status_code == 401
    bad = api.simulate_get(f'{PATH}/abc', headers=admin_headers)
    assert bad.status_code == 400 and bad.json['description'] == 'API.INVALID_ADVANCED_REPORT_ID'
    late = api.simulate_get(PATH, headers=admin_headers, params={**PERIOD, 'reportingperiodenddatetime': 'x'})
    assert late.status_code == 400 and 'reportingperiodenddatetime' in late.json['message']
