"""Comparison and batch reports over a small fixture checked by hand, in Europe/Berlin across the March DST day.

The tree: Campus > Hall A > Room A1, and Campus > Hall B. Reporting period: local 2026-03-28 to 2026-03-31
(71 hours: local 29 March has 23).

* electricity (kWh): Hall A 2 an hour (days 48, 46, 48 = 142), Hall B 1 an hour (24, 23, 24 = 71);
* water (m3): Hall B 0.5 an hour on 28 March only (12);
* meters: M1 (electricity, Hall A) 1 an hour (24, 23, 24 = 71); M2 (electricity, Room A1) 3 an hour on 29
  March only (0, 69, 0 = 69); M3 (water, Hall B) 0.5 an hour on 28 March (12).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from falcon import testing

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal
PERIOD = {'reportingperiodstartdatetime': '2026-03-28T00:00:00', 'reportingperiodenddatetime': '2026-03-31T00:00:00'}


def utc_hours(start_local: datetime, end_local: datetime) -> list[datetime]:
    start = start_local.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None)
    end = end_local.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None)
    return [start + timedelta(hours=h) for h in range(int((end - start) / timedelta(hours=1)))]


ALL = utc_hours(datetime(2026, 3, 28), datetime(2026, 3, 31))
DAY_28 = utc_hours(datetime(2026, 3, 28), datetime(2026, 3, 29))
DAY_29 = utc_hours(datetime(2026, 3, 29), datetime(2026, 3, 30))


@pytest.fixture(scope='module')
def tree(factory: Any, database: Any) -> dict[str, int]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    power = factory.create('energy_category', unit_of_measure='kWh')
    water = factory.create('energy_category', unit_of_measure='m3')
    campus = factory.create('space', timezone_id=berlin)
    hall_a = factory.create('space', timezone_id=berlin, parent_space_id=campus, name='Hall A')
    hall_b = factory.create('space', timezone_id=berlin, parent_space_id=campus, name='Hall B')
    room = factory.create('space', timezone_id=berlin, parent_space_id=hall_a, name='Room A1')
    meters = {}
    for name, category, space in (('M1', power, hall_a), ('M2', power, room), ('M3', water, hall_b)):
        meters[name] = factory.create('meter', energy_category_id=category, name=f'{name} {campus}')
        factory.link('space', space, 'meters', meters[name])
    space_rows = (
        [(hall_a, power, t, D(2)) for t in ALL]
        + [(hall_b, power, t, D(1)) for t in ALL]
        + [(hall_b, water, t, D('0.5')) for t in DAY_28]
    )
    meter_rows = (
        [(meters['M1'], t, D(1)) for t in ALL]
        + [(meters['M2'], t, D(3)) for t in DAY_29]
        + [(meters['M3'], t, D('0.5')) for t in DAY_28]
    )
    with database.transaction('energy') as cur:
        cur.executemany(
            'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            space_rows,
        )
        cur.executemany(
            'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)',
            meter_rows,
        )
    ids = {'campus': campus, 'hall_a': hall_a, 'hall_b': hall_b, 'room': room, 'power': power, 'water': water}
    return {**ids, **{k.lower(): v for k, v in meters.items()}}


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json


def refused(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> tuple[int, str]:
    answer = api.simulate_get(path, headers=headers, params=params)
    return answer.status_code, answer.json.get('description', '')


def test_space_comparison_daily_across_the_dst_day(api: Any, admin_headers: Any, tree: Any) -> None:
    got = get(
        api,
        admin_headers,
        '/reports/spacecomparison',
        spaceid1=str(tree['hall_a']),
        spaceid2=str(tree['hall_b']),
        energycategoryid=str(tree['power']),
        periodtype='daily',
        **PERIOD,
    )
    one, two, diff = got['reporting_period1'], got['reporting_period2'], got['diff']
    assert one['timestamps'] == two['timestamps'] == ['2026-03-28', '2026-03-29', '2026-03-30']
    assert one['values'] == [48, 46, 48] and one['total_in_category'] == 142
    assert two['values'] == [24, 23, 24] and two['total_in_category'] == 71
    assert diff['values'] == [24, 23, 24] and diff['total_in_category'] == 71
    assert got['space1']['name'] == 'Hall A' and got['space2']['id'] == tree['hall_b']
    assert got['energy_category']['id'] == tree['power'] and got['energy_category']['unit_of_measure'] == 'kWh'


def test_space_comparison_of_another_category_and_hourly_buckets(api: Any, admin_headers: Any, tree: Any) -> None:
    got = get(
        api,
        admin_headers,
        '/reports/spacecomparison',
        spaceid1=str(tree['hall_b']),
        spaceid2=str(tree['hall_a']),
        energycategoryid=str(tree['water']),
        periodtype='hourly',
        reportingperiodstartdatetime='2026-03-29T00:00:00',
        reportingperiodenddatetime='2026-03-30T00:00:00',
    )
    labels = got['reporting_period1']['timestamps']
    assert len(labels) == 23 and '2026-03-29T02:00:00' not in labels  # the missing hour
    assert got['reporting_period1']['total_in_category'] == 0 and got['diff']['values'] == [0] * 23


def test_meter_comparison_takes_the_meters_category(api: Any, admin_headers: Any, tree: Any) -> None:
    params = {'periodtype': 'daily', **PERIOD}
    got = get(
        api, admin_headers, '/reports/metercomparison', meterid1=str(tree['m1']), meterid2=str(tree['m2']), **params
    )
    assert got['reporting_period1']['values'] == [24, 23, 24] and got['reporting_period1']['total_in_category'] == 71
    assert got['reporting_period2']['values'] == [0, 69, 0] and got['reporting_period2']['total_in_category'] == 69
    assert got['diff']['values'] == [24, -46, 24] and got['diff']['total_in_category'] == 2
    assert got['meter1']['energy_category_id'] == tree['power'] and got['meter2']['unit_of_measure'] == 'kWh'
    # monthly: both periods in one bucket, March
    monthly = get(
        api,
        admin_headers,
        '/reports/metercomparison',
        meterid1=str(tree['m1']),
        meterid2=str(tree['m2']),
        periodtype='monthly',
        **PERIOD,
    )
    assert monthly['reporting_period1']['timestamps'] == ['2026-03'] and monthly['diff']['values'] == [2]
    status, code = refused(
        api, admin_headers, '/reports/metercomparison', meterid1=str(tree['m1']), meterid2=str(tree['m3']), **params
    )
    assert (status, code) == (400, 'API.INVALID_ENERGY_CATEGORY_ID')  # electricity against water


def test_comparison_bad_and_missing_ids(api: Any, admin_headers: Any, tree: Any) -> None:
    base = {'periodtype': 'daily', 'energycategoryid': str(tree['power']), **PERIOD}
    a, b = str(tree['hall_a']), str(tree['hall_b'])
    cases = [
        ({'spaceid2': b, **base}, 400, 'API.INVALID_SPACE_ID'),
        ({'spaceid1': a, 'spaceid2': 'x', **base}, 400, 'API.INVALID_SPACE_ID'),
        ({'spaceid1': a, 'spaceuuid2': 'not-a-uuid', **base}, 400, 'API.INVALID_SPACE_UUID'),
        ({'spaceid1': a, 'spaceid2': '987654321', **base}, 404, 'API.SPACE_NOT_FOUND'),
        ({'spaceid1': a, 'spaceid2': b, **base, 'energycategoryid': 'x'}, 400, 'API.INVALID_ENERGY_CATEGORY_ID'),
        ({'spaceid1': a, 'spaceid2': b, **base, 'energycategoryid': '987654'}, 404, 'API.ENERGY_CATEGORY_NOT_FOUND'),
        ({'spaceid1': a, 'spaceid2': b, **base, 'periodtype': 'fortnightly'}, 400, 'API.INVALID_PERIOD_TYPE'),
        (
            {'spaceid1': a, 'spaceid2': b, **base, 'reportingperiodstartdatetime': 'soon'},
            400,
            'API.INVALID_REPORTING_PERIOD_START_DATETIME',
        ),
    ]
    for params, status, code in cases:
        assert refused(api, admin_headers, '/reports/spacecomparison', **params) == (status, code), params
    status, code = refused(
        api, admin_headers, '/reports/metercomparison', meterid1='0', meterid2=str(tree['m1']), **base
    )
    assert (status, code) == (400, 'API.INVALID_METER_ID')


def test_comparison_needs_both_objects_in_scope(
    api: Any, tree: Any, make_user: Any, sign_in: Any, admin_headers: Any
) -> None:
    viewer = sign_in(make_user('comparer', spaces=[tree['hall_b']]))
    params = {'energycategoryid': str(tree['power']), 'periodtype': 'daily', **PERIOD}
    for first, second in ((tree['hall_a'], tree['hall_b']), (tree['hall_b'], tree['hall_a'])):
        status, code = refused(
            api, viewer, '/reports/spacecomparison', spaceid1=str(first), spaceid2=str(second), **params
        )
        assert (status, code) == (403, 'API.FORBIDDEN')
    status, _ = refused(
        api, viewer, '/reports/metercomparison', meterid1=str(tree['m3']), meterid2=str(tree['m1']), **params
    )
    assert status == 403
    mine = get(
        api, viewer, '/reports/spacecomparison', spaceid1=str(tree['hall_b']), spaceid2=str(tree['hall_b']), **params
    )
    assert mine['diff']['total_in_category'] == 0
    anonymous = api.simulate_get('/reports/spacecomparison', params={'spaceid1': str(tree['hall_b']), **params})
    assert anonymous.status_code == 401


def test_meter_batch_lists_the_subtree_with_paths(api: Any, admin_headers: Any, tree: Any) -> None:
    got = get(api, admin_headers, '/reports/meterbatch', spaceid=str(tree['campus']), **PERIOD)
    assert [c['id'] for c in got['energycategories']] == sorted([tree['power'], tree['water']])
    power_first = tree['power'] < tree['water']
    by_id = {m['id']: m for m in got['meters']}
    assert set(by_id) == {tree['m1'], tree['m2'], tree['m3']}
    m1, m2, m3 = by_id[tree['m1']], by_id[tree['m2']], by_id[tree['m3']]
    assert m1['subtotal'] == 71 and m2['subtotal'] == 69 and m3['subtotal'] == 12
    assert m1['values'] == ([71, None] if power_first else [None, 71])
    assert m3['values'] == ([None, 12] if power_first else [12, None])
    assert m1['space_name'].endswith('/Hall A') and m2['space_name'].endswith('/Hall A/Room A1')
    assert m1['energy_category_name'] == got['energycategories'][0 if power_first else 1]['name']
    hall = get(api, admin_headers, '/reports/meterbatch', spaceid=str(tree['hall_a']), **PERIOD)
    assert {m['id'] for m in hall['meters']} == {tree['m1'], tree['m2']}
    assert [c['id'] for c in hall['energycategories']] == [tree['power']]


def test_space_batch_sums_every_space_of_the_subtree(api: Any, admin_headers: Any, tree: Any) -> None:
    got = get(api, admin_headers, '/reports/spacebatch', spaceid=str(tree['campus']), **PERIOD)
    categories = [c['id'] for c in got['energycategories']]
    assert sorted(categories) == sorted([tree['power'], tree['water']])
    values = {s['id']: dict(zip(categories, s['values'], strict=True)) for s in got['spaces']}
    assert [s['id'] for s in got['spaces']] == sorted(values)
    assert values[tree['hall_a']] == {tree['power']: 142, tree['water']: 0}
    assert values[tree['hall_b']] == {tree['power']: 71, tree['water']: 12}
    assert values[tree['campus']] == values[tree['room']] == {tree['power']: 0, tree['water']: 0}
    assert got['space']['id'] == tree['campus']


def test_batch_lists_only_what_the_caller_sees(api: Any, tree: Any, make_user: Any, sign_in: Any) -> None:
    viewer = sign_in(make_user('batcher', spaces=[tree['hall_b']]))
    status, code = refused(api, viewer, '/reports/meterbatch', spaceid=str(tree['campus']), **PERIOD)
    assert (status, code) == (403, 'API.FORBIDDEN')
    got = get(api, viewer, '/reports/meterbatch', spaceid=str(tree['hall_b']), **PERIOD)
    assert [m['id'] for m in got['meters']] == [tree['m3']]
    assert refused(api, viewer, '/reports/meterbatch', spaceid='x', **PERIOD) == (400, 'API.INVALID_SPACE_ID')
    assert refused(api, viewer, '/reports/equipmentbatch', spaceid='987654321', **PERIOD) == (
        404,
        'API.SPACE_NOT_FOUND',
    )
    assert api.simulate_get('/reports/meterbatch', params={'spaceid': str(tree['hall_b']), **PERIOD}).status_code == 401


def test_comparison_as_xlsx(api: Any, admin_headers: Any, tree: Any) -> None:
    from openpyxl import load_workbook

    answer = api.simulate_get(
        '/reports/spacecomparison',
        headers=admin_headers,
        params={
            'spaceid1': str(tree['hall_a']),
            'spaceid2': str(tree['hall_b']),
            'energycategoryid': str(tree['power']),
            'periodtype': 'daily',
            'format': 'xlsx',
            **PERIOD,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers['content-type'].startswith('application/vnd.openxmlformats')
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book[book.sheetnames[1]]
    rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert rows[0] == ['Time', 'Hall A (kWh)', 'Hall B (kWh)', 'Difference (kWh)']
    assert rows[1:4] == [['2026-03-28', 48, 24, 24], ['2026-03-29', 46, 23, 23], ['2026-03-30', 48, 24, 24]]
    assert rows[4] == ['Subtotal', 142, 71, 71]


def test_batch_as_csv_and_excel_bytes(api: Any, admin_headers: Any, tree: Any) -> None:
    answer = api.simulate_get(
        '/reports/meterbatch', headers=admin_headers, params={'spaceid': str(tree['hall_a']), 'format': 'csv', **PERIOD}
    )
    assert answer.status_code == 200, answer.text
    text = answer.content.decode('utf-8-sig')
    assert 'M1' in text and '71' in text and '69' in text
    got = get(api, admin_headers, '/reports/meterbatch', spaceid=str(tree['hall_a']), exportexcel='true', **PERIOD)
    assert got['excel_bytes_base64'] and len(got['meters']) == 2


def test_meta_reports_lists_comparison_and_batch(api: Any, admin_headers: Any) -> None:
    listed = {r['path']: r for r in get(api, admin_headers, '/meta/reports')['reports']}
    assert {'/reports/spacecomparison', '/reports/virtualmetercomparison', '/reports/meterbatch'} <= set(listed)
    assert {'/reports/spacebatch', '/reports/offlinemeterbatch', '/reports/shopfloorbatch'} <= set(listed)
    assert 'energycategoryid' in listed['/reports/spacecomparison']['parameters']
    assert 'meterid2' in listed['/reports/metercomparison']['parameters']
    assert listed['/reports/tenantbatch']['kind'] == 'batch'
