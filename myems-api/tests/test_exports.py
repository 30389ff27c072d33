"""Report exports through the real API: every file holds the JSON's own numbers and labels.

The fixture: a space in Europe/Berlin with two energy categories ('Exported power' 1 kWh and 'Exported water'
0.25 m3 every UTC hour; the base period twice as much) and a meter, over the March DST week of test_reports.py. Local
29 March has 23 hours, so the daily reporting values are 24, 23, 24 kWh and 6, 5.75, 6 m3.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import struct
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from falcon import testing

from myems_api import exports
from myems_api.exports import shape

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal
PERIODS = {
    'periodtype': 'daily',
    'baseperiodstartdatetime': '2026-03-21T00:00:00',
    'baseperiodenddatetime': '2026-03-24T00:00:00',
    'reportingperiodstartdatetime': '2026-03-28T00:00:00',
    'reportingperiodenddatetime': '2026-03-31T00:00:00',
}


def utc_hours(start_local: datetime, end_local: datetime) -> list[datetime]:
    start = start_local.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None)
    end = end_local.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None)
    return [start + timedelta(hours=h) for h in range(int((end - start) / timedelta(hours=1)))]


@pytest.fixture(scope='module')
def site(factory: Any, database: Any) -> dict[str, int]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    power = factory.create('energy_category', name='Exported power', unit_of_measure='kWh', kgce='0.5', kgco2e='2')
    water = factory.create('energy_category', name='Exported water', unit_of_measure='m3', kgce='0.1', kgco2e='0.3')
    space = factory.create('space', name='Export campus', timezone_id=berlin, area='100', number_of_occupants='4')
    meter = factory.create('meter', energy_category_id=power)
    factory.link('space', space, 'meters', meter)
    reporting = utc_hours(datetime(2026, 3, 28), datetime(2026, 3, 31))
    base = utc_hours(datetime(2026, 3, 21), datetime(2026, 3, 24))
    rows = [(t, D(1)) for t in reporting] + [(t, D(2)) for t in base]
    with database.transaction('energy') as cur:
        cur.executemany(
            'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(space, c, t, v * k) for t, v in rows for c, k in ((power, D(1)), (water, D('0.25')))],
        )
        cur.executemany(
            'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)',
            [(meter, t, v) for t, v in rows],
        )
    return {'space': space, 'meter': meter}


def fetch(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> testing.Result:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer


def report(api: Any, headers: Any, site: dict[str, int], fmt: str | None = None, **more: str) -> testing.Result:
    params = {'spaceid': str(site['space']), **PERIODS, **more}
    return fetch(api, headers, '/reports/spaceenergycategory', **params, **({'format': fmt} if fmt else {}))


def exact(answer: testing.Result) -> Any:
    """The JSON body with its numbers as Decimal, as the API wrote them."""
    return json.loads(answer.text, parse_float=Decimal, parse_int=Decimal)


def table(sheet: Any) -> dict[str, list[Any]]:
    """An exported period sheet as {first cell: the rest of its row}, from the header row down."""
    rows = list(sheet.iter_rows(min_row=exports.HEADER_ROW, values_only=True))
    return {str(row[0]): list(row[1:]) for row in rows if row[0] is not None}


def test_xlsx_holds_the_json_numbers_labels_and_a_chart(api: Any, admin_headers: Any, site: Any) -> None:
    got = exact(report(api, admin_headers, site))
    answer = report(api, admin_headers, site, 'xlsx')
    assert answer.headers['content-type'] == exports.CONTENT_TYPES['xlsx']
    assert answer.headers['content-disposition'].startswith('attachment; filename="')
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ['Summary', 'Reporting period', 'Base period']
    for key, sheet in (('reporting_period', 'Reporting period'), ('base_period', 'Base period')):
        block, found = got[key], table(book[sheet])
        headers = [f'{n} ({u})' for n, u in zip(block['names'], block['units'], strict=True)]
        assert found['Time'][: len(headers)] == headers
        for index, text in enumerate(block['timestamps'][0]):
            assert found[text][: len(headers)] == [pytest.approx(float(v[index]), abs=1e-6) for v in block['values']]
        assert found['Subtotal'][: len(headers)] == [pytest.approx(float(s), abs=1e-6) for s in block['subtotals']]
        assert found['Working days'][: len(headers)] == [float(s) for s in block['working_days_subtotals']]
    assert table(book['Reporting period'])['2026-03-29'][:2] == [23, 5.75]  # the 23-hour day
    summary = {(row[0], row[1]): row[2] for row in book['Summary'].iter_rows(values_only=True) if len(row) > 2}
    assert summary['Reporting period', 'Total in kgce'] == float(got['reporting_period']['total_in_kgce'])
    assert summary['Base period', 'Total in kgCO2e'] == float(got['base_period']['total_in_kgco2e'])
    assert summary[None, 'Name'] == 'Export campus'
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        charts = [n for n in archive.namelist() if n.startswith('xl/charts/chart')]
        assert len(charts) == 1
        chart = ElementTree.fromstring(archive.read(charts[0]))
    c = '{http://schemas.openxmlformats.org/drawingml/2006/chart}'
    assert chart.find(f'.//{c}barChart') is not None  # three days: bars
    formulas = [f.text for f in chart.iter(f'{c}f')]
    assert "'Reporting period'!$B$4:$B$6" in formulas and "'Reporting period'!$C$4:$C$6" in formulas, formulas
    assert len(book['Reporting period']._charts) == 1  # openpyxl reads the chart back


def test_csv_parses_back_to_the_json_table(api: Any, admin_headers: Any, site: Any) -> None:
    got = exact(report(api, admin_headers, site))
    answer = report(api, admin_headers, site, 'csv')
    assert answer.headers['content-type'].startswith('text/csv') and answer.content.startswith(b'\xef\xbb\xbf')
    header, *rows = list(csv.reader(io.StringIO(answer.content.decode('utf-8-sig'))))
    assert header == ['Period', 'Time', 'Exported power (kWh)', 'Exported water (m3)']
    for key, name in (('reporting_period', 'Reporting period'), ('base_period', 'Base period')):
        block = got[key]
        mine = [row[1:] for row in rows if row[0] == name]
        expected = [[t, *(v[i] for v in block['values'])] for i, t in enumerate(block['timestamps'][0])]
        expected.append(['Subtotal', *block['subtotals']])
        assert [[r[0], *map(Decimal, r[1:])] for r in mine[: len(expected)]] == expected  # exact, as the JSON


def test_a_meter_report_is_a_one_line_table(api: Any, admin_headers: Any, site: Any) -> None:
    params = {'meterid': str(site['meter']), **PERIODS}
    got = exact(fetch(api, admin_headers, '/reports/meterenergy', **params))
    answer = fetch(api, admin_headers, '/reports/meterenergy', format='csv', **params)
    header, *rows = list(csv.reader(io.StringIO(answer.content.decode('utf-8-sig'))))
    assert header == ['Period', 'Time', 'Exported power (kWh)']
    reporting = [[r[1], Decimal(r[2])] for r in rows if r[0] == 'Reporting period']
    block = got['reporting_period']
    assert reporting == [list(p) for p in zip(block['timestamps'], block['values'], strict=True)]
    book = openpyxl.load_workbook(
        io.BytesIO(fetch(api, admin_headers, '/reports/meterenergy', format='xlsx', **params).content)
    )
    assert table(book['Reporting period'])['2026-03-29'] == [23]


def test_pdf_and_png_are_rendered_charts(api: Any, admin_headers: Any, site: Any) -> None:
    pdf = report(api, admin_headers, site, 'pdf')
    assert pdf.headers['content-type'] == 'application/pdf' and pdf.content.startswith(b'%PDF')
    assert len(re.findall(rb'/Type\s*/Page\b', pdf.content)) >= 1
    assert pdf.headers['content-disposition'].endswith(
        ".pdf\"; filename*=UTF-8''Energy%20category%20report_%20Export%20campus.pdf"
    )
    png = report(api, admin_headers, site, 'png', language='zh_CN')
    assert png.headers['content-type'] == 'image/png' and png.content.startswith(b'\x89PNG\r\n\x1a\n')
    width, height = struct.unpack('>II', png.content[16:24])
    assert (width, height) == exports.FIGURE_SIZE and len(png.content) > 10_000


def test_exportexcel_adds_the_xlsx_as_base64_to_the_json(api: Any, admin_headers: Any, site: Any) -> None:
    plain = report(api, admin_headers, site).json
    for flag in ('true', 'Y', 'on'):
        got = report(api, admin_headers, site, exportexcel=flag).json
        encoded = got.pop('excel_bytes_base64')
        assert got == plain
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(encoded)))
        assert 'Reporting period' in book.sheetnames
    assert 'excel_bytes_base64' not in report(api, admin_headers, site, exportexcel='false').json


def test_a_bad_format_is_refused(api: Any, admin_headers: Any, site: Any) -> None:
    params = {'spaceid': str(site['space']), **PERIODS, 'format': 'docx'}
    answer = api.simulate_get('/reports/spaceenergycategory', headers=admin_headers, params=params)
    assert answer.status_code == 400 and answer.json['description'] == 'API.INVALID_FORMAT', answer.text
    assert report(api, admin_headers, site, 'json').headers['content-type'].startswith('application/json')


def test_labels_follow_the_language(api: Any, admin_headers: Any, site: Any) -> None:
    headers = {}
    for language in ('en', 'zh_CN', 'de', 'xx'):
        answer = report(api, admin_headers, site, 'csv', language=language)
        header, *rows = list(csv.reader(io.StringIO(answer.content.decode('utf-8-sig'))))
        headers[language] = (header[0], header[1], rows[0][0], rows[3][1])
    assert headers['en'] == ('Period', 'Time', 'Reporting period', 'Subtotal')
    assert headers['zh_CN'] == ('期间', '时间', '报告期', '小计')
    assert headers['de'] == ('Zeitraum', 'Zeit', 'Berichtszeitraum', 'Zwischensumme')
    assert headers['xx'] == headers['en']  # an unknown language reads as English
    book = openpyxl.load_workbook(io.BytesIO(report(api, admin_headers, site, 'xlsx', language='de').content))
    assert book.sheetnames == ['Zusammenfassung', 'Berichtszeitraum', 'Basiszeitraum']


def test_no_chromium_is_a_503_not_a_500(api: Any, admin_headers: Any, site: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv('BROWSER_PATH', '/nonexistent/chromium')
    monkeypatch.setattr(exports, 'RENDERER', exports.Renderer())
    params = {'spaceid': str(site['space']), **PERIODS, 'format': 'png'}
    answer = api.simulate_get('/reports/spaceenergycategory', headers=admin_headers, params=params)
    assert answer.status_code == 503 and answer.json['description'] == 'API.EXPORT_UNAVAILABLE', answer.text
    assert 'Chromium' in answer.json['message']


def test_the_shape_drives_the_table_for_other_kinds() -> None:
    """A saving-like block: several series per line, rows placed under the series of the same suffix."""
    block = {
        'names': ['Electricity'],
        'units': ['kWh'],
        'timestamps': [['d1', 'd2']],
        'values_baseline': [[D(10), D(12)]],
        'values_actual': [[D(8), D(9)]],
        'subtotals_baseline': [D(22)],
        'subtotals_actual': [D(17)],
        'energy_category_ids': [4],
        'total_in_kgce_saving': D('2.5'),
        'note': 'ignored',
    }
    info, tables = shape({'store': {'name': 'Shop'}, 'reporting_period': block}, 'en')
    assert info == [('name', 'Shop')]
    (found,) = tables
    assert found.headers == ['Electricity (kWh) - Baseline', 'Electricity (kWh) - Actual']
    assert found.columns == [[10, 12], [8, 9]]
    assert found.rows == [('subtotals_baseline', [22, None]), ('subtotals_actual', [None, 17])]
    assert found.scalars == [('total_in_kgce_saving', D('2.5'))]
