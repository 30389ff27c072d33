"""Reports over a small fixture checked by hand: a space in Europe/Berlin across the March DST day.

Energy: 1 kWh every UTC hour from 2026-03-28 00:00 to 2026-03-31 00:00 local (reporting period) and 2 kWh
every hour of 2026-03-21 to 2026-03-24 local (base period). Local 29 March has 23 hours (02:00 does not
exist), so the reporting days hold 24, 23 and 24 kWh; the base days 48 each. 30 March is a non-working day.
The category: kgce 0.5, kgco2e 2 per kWh. The space: area 100 m2, 4 occupants.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from falcon import testing

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal


def utc_hours(start_local: datetime, end_local: datetime) -> list[datetime]:
    start = start_local.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None)
    end = end_local.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None)
    return [start + timedelta(hours=h) for h in range(int((end - start) / timedelta(hours=1)))]


REPORTING = utc_hours(datetime(2026, 3, 28), datetime(2026, 3, 31))
BASE = utc_hours(datetime(2026, 3, 21), datetime(2026, 3, 24))


@pytest.fixture(scope='module')
def campus(factory: Any, database: Any) -> dict[str, int]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    category = factory.create('energy_category', kgce='0.5', kgco2e='2')
    space = factory.create('space', timezone_id=berlin, area='100', number_of_occupants='4')
    meter = factory.create('meter', energy_category_id=category)
    factory.link('space', space, 'meters', meter)
    calendar = factory.create('working_calendar')
    factory.link('space', space, 'workingcalendars', calendar)
    with database.transaction('system') as cur:
        cur.execute(
            'INSERT INTO tbl_working_calendars_non_working_days (working_calendar_id, date_local) VALUES (%s, %s)',
            (calendar, '2026-03-30'),
        )
    rows = [(t, D(1)) for t in REPORTING] + [(t, D(2)) for t in BASE]
    with database.transaction('energy') as cur:
        cur.executemany(
            'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(space, category, t, v) for t, v in rows],
        )
        cur.executemany(
            'INSERT INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (%s, %s, %s)',
            [(meter, t, v) for t, v in rows],
        )
    with database.transaction('energy_baseline') as cur:  # the baseline expected 1.5 kWh an hour
        cur.executemany(
            'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(space, category, t, D('1.5')) for t in REPORTING],
        )
    with database.transaction('billing') as cur:  # 0.25 a kWh
        cur.executemany(
            'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(space, category, t, v / 4) for t, v in rows],
        )
    return {'space': space, 'meter': meter, 'category': category}


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json


PERIODS = {
    'baseperiodstartdatetime': '2026-03-21T00:00:00',
    'baseperiodenddatetime': '2026-03-24T00:00:00',
    'reportingperiodstartdatetime': '2026-03-28T00:00:00',
    'reportingperiodenddatetime': '2026-03-31T00:00:00',
}


def test_space_energy_category_daily_across_the_dst_day(api: Any, admin_headers: Any, campus: Any) -> None:
    got = get(
        api, admin_headers, '/reports/spaceenergycategory', spaceid=str(campus['space']), periodtype='daily', **PERIODS
    )
    rep, base = got['reporting_period'], got['base_period']
    assert rep['timestamps'] == [['2026-03-28', '2026-03-29', '2026-03-30']]
    assert rep['values'] == [[24, 23, 24]]  # the DST day has 23 hours
    assert base['values'] == [[48, 48, 48]]
    assert rep['subtotals'] == [71] and base['subtotals'] == [144]
    assert rep['subtotals_in_kgce'] == [35.5] and rep['subtotals_in_kgco2e'] == [142]
    assert rep['total_in_kgce'] == 35.5 and base['total_in_kgco2e'] == 288
    assert rep['working_days_subtotals'] == [47] and rep['non_working_days_subtotals'] == [24]  # 30 March off
    assert rep['rates'] == [[-0.5, pytest.approx((23 - 48) / 48), -0.5]]
    assert rep['increment_rates'] == [pytest.approx((71 - 144) / 144)]
    assert rep['subtotals_per_unit_area'] == [0.71] and rep['subtotals_per_capita'] == [17.75]
    assert rep['energy_category_ids'] == [campus['category']]
    assert got['space']['id'] == campus['space']


def test_hourly_buckets_of_the_dst_day_skip_the_missing_hour(api: Any, admin_headers: Any, campus: Any) -> None:
    got = get(
        api,
        admin_headers,
        '/reports/spaceenergycategory',
        spaceid=str(campus['space']),
        periodtype='hourly',
        reportingperiodstartdatetime='2026-03-29T00:00:00',
        reportingperiodenddatetime='2026-03-30T00:00:00',
    )
    labels = got['reporting_period']['timestamps'][0]
    assert len(labels) == 23 and '2026-03-29T02:00:00' not in labels and labels[2] == '2026-03-29T03:00:00'
    assert sum(got['reporting_period']['values'][0]) == 23
    assert got['base_period']['values'] == [[]]  # no base period asked


def test_buckets_sum_to_the_total_for_every_period_type(api: Any, admin_headers: Any, campus: Any) -> None:
    for period_type in ('hourly', 'daily', 'weekly', 'monthly', 'yearly'):
        got = get(
            api,
            admin_headers,
            '/reports/spaceenergycategory',
            spaceid=str(campus['space']),
            periodtype=period_type,
            **PERIODS,
        )
        rep = got['reporting_period']
        assert sum(rep['values'][0]) == rep['subtotals'][0] == 71, period_type


def test_space_cost_and_meter_energy(api: Any, admin_headers: Any, campus: Any) -> None:
    cost = get(api, admin_headers, '/reports/spacecost', spaceid=str(campus['space']), periodtype='daily', **PERIODS)
    assert cost['reporting_period']['values'] == [[6, 5.75, 6]] and cost['reporting_period']['total'] == 17.75
    assert cost['reporting_period']['total_increment_rate'] == pytest.approx((17.75 - 36) / 36)
    meter = get(api, admin_headers, '/reports/meterenergy', meterid=str(campus['meter']), periodtype='daily', **PERIODS)
    assert meter['reporting_period']['values'] == [24, 23, 24]  # the meter takes its space's zone
    assert meter['reporting_period']['total_in_category'] == 71 and meter['reporting_period']['total_in_kgco2e'] == 142
    assert meter['base_period']['total_in_category'] == 144
    assert meter['meter']['energy_category_id'] == campus['category']


def test_bad_requests_are_refused_with_a_reason(api: Any, admin_headers: Any, campus: Any) -> None:
    space = str(campus['space'])
    cases = [
        ({'spaceid': space, 'periodtype': 'fortnightly', **PERIODS}, 400, 'API.INVALID_PERIOD_TYPE'),
        ({'spaceid': 'x', 'periodtype': 'daily', **PERIODS}, 400, 'API.INVALID_SPACE_ID'),
        ({'spaceid': '987654321', 'periodtype': 'daily', **PERIODS}, 404, 'API.SPACE_NOT_FOUND'),
        (
            {'spaceid': space, 'periodtype': 'daily', 'reportingperiodstartdatetime': '2026-03-31T00:00:00',
             'reportingperiodenddatetime': '2026-03-28T00:00:00'},
            400,
            'API.INVALID_REPORTING_PERIOD_END_DATETIME',
        ),
        ({'spaceid': space, 'periodtype': 'daily', 'reportingperiodstartdatetime': 'yesterday',
          'reportingperiodenddatetime': '2026-03-28T00:00:00'}, 400, 'API.INVALID_REPORTING_PERIOD_START_DATETIME'),
    ]  # fmt: skip
    for params, status, code in cases:
        answer = api.simulate_get('/reports/spaceenergycategory', headers=admin_headers, params=params)
        assert answer.status_code == status and answer.json['description'] == code, (params, answer.text)


def test_a_scoped_user_is_refused_a_space_outside_its_subtree(
    api: Any, campus: Any, factory: Any, make_user: Any, sign_in: Any
) -> None:
    elsewhere = factory.create('space')
    viewer = sign_in(make_user('reportviewer', spaces=[elsewhere]))
    params = {'periodtype': 'daily', **PERIODS}
    refused = api.simulate_get(
        '/reports/spaceenergycategory', headers=viewer, params={'spaceid': str(campus['space']), **params}
    )
    assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN'
    refused = api.simulate_get(
        '/reports/meterenergy', headers=viewer, params={'meterid': str(campus['meter']), **params}
    )
    assert refused.status_code == 403
    allowed = api.simulate_get(
        '/reports/spaceenergycategory', headers=viewer, params={'spaceid': str(elsewhere), **params}
    )
    assert allowed.status_code == 200, allowed.text


def test_meta_reports_lists_every_route(api: Any, admin_headers: Any) -> None:
    listed = get(api, admin_headers, '/meta/reports')['reports']
    found = {r['path'] for r in listed}
    energy = next(r for r in listed if r['path'] == '/reports/spaceenergycategory')
    assert {'spaceid', 'periodtype', 'reportingperiodstartdatetime', 'format', 'exportexcel'} <= set(
        energy['parameters']
    )
    assert {'/reports/spaceenergycategory', '/reports/tenantcost', '/reports/virtualmetercarbon'} <= found
    for path in found:  # every listed route is served
        assert api.simulate_get(path, headers=admin_headers).status_code in (200, 400)  # served, never 404 or 500


def test_statistics_load_and_saving(api: Any, admin_headers: Any, campus: Any) -> None:
    params = {'spaceid': str(campus['space']), 'periodtype': 'daily', **PERIODS}
    rep = get(api, admin_headers, '/reports/spacestatistics', **params)['reporting_period']
    # days of 24, 23 and 24 kWh: mean 71/3, median 24, sample variance ((1/3)^2 * 2 + (2/3)^2) / 2 = 1/3
    assert rep['means'] == [pytest.approx(71 / 3)] and rep['medians'] == [24]
    assert rep['minimums'] == [23] and rep['maximums'] == [24]
    assert rep['variances'] == [pytest.approx(1 / 3)] and rep['stdevs'] == [pytest.approx((1 / 3) ** 0.5)]
    load = get(api, admin_headers, '/reports/spaceload', **params)['reporting_period']
    assert load['sub_averages'] == [[1, 1, 1]] and load['maximums'] == [1] and load['factors'] == [1]
    saving = get(api, admin_headers, '/reports/spacesaving', **params)['reporting_period']
    # the baseline: 1.5 kWh an hour -> 36, 34.5, 36; saved 12, 11.5, 12
    assert saving['values_baseline'] == [[36, 34.5, 36]] and saving['values_saving'] == [[12, 11.5, 12]]
    assert saving['subtotals_saving'] == [35.5] and saving['subtotals_in_kgco2e_saving'] == [71]


def test_time_of_use_breakdown_follows_the_cost_centre_tariff_in_its_zone(
    api: Any, admin_headers: Any, campus: Any, factory: Any
) -> None:
    space = factory.read('space', campus['space'])
    bands = [
        {'start_time_of_day': '00:00:00', 'end_time_of_day': '07:59:59', 'peak_type': 'offpeak', 'price': '0.1'},
        {'start_time_of_day': '08:00:00', 'end_time_of_day': '19:59:59', 'peak_type': 'onpeak', 'price': '0.3'},
        {'start_time_of_day': '20:00:00', 'end_time_of_day': '23:59:59', 'peak_type': 'offpeak', 'price': '0.1'},
    ]
    tariff = factory.create(
        'tariff',
        energy_category_id=campus['category'],
        timezone='Europe/Berlin',
        structure=None,
        valid_from_datetime_utc='2026-01-01T00:00:00',
        valid_through_datetime_utc='2026-12-31T23:59:59',
        timeofuse=bands,
    )
    factory.link('cost_center', space['cost_center']['id'], 'tariffs', tariff)
    got = get(
        api, admin_headers, '/reports/spaceenergycategory', spaceid=str(campus['space']), periodtype='daily', **PERIODS
    )
    rep = got['reporting_period']
    # 08:00-20:00 local is on-peak: 12 kWh a day, 36 in all; the rest (71 - 36, the DST day one hour short) off-peak
    assert rep['onpeaks'] == [36] and rep['offpeaks'] == [35] and rep['toppeaks'] == [0]


def test_child_spaces_are_listed_with_their_reporting_subtotals(
    api: Any, admin_headers: Any, campus: Any, factory: Any, database: Any
) -> None:
    child = factory.create('space', parent_space_id=campus['space'], name='wing')
    with database.transaction('energy') as cur:  # half a kWh an hour in the reporting period: 71 / 2
        cur.executemany(
            'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(child, campus['category'], t, D('0.5')) for t in REPORTING],
        )
    got = get(
        api, admin_headers, '/reports/spaceenergycategory', spaceid=str(campus['space']), periodtype='daily', **PERIODS
    )
    children = got['child_space']
    assert children['child_space_ids_array'] == [[child]] and children['child_space_names_array'] == [['wing']]
    assert children['subtotals_array'] == [[35.5]] and children['subtotals_in_kgco2e_array'] == [[71]]


def test_every_space_and_meter_report_as_xlsx_holds_its_json_tables(api: Any, admin_headers: Any, campus: Any) -> None:
    """The xlsx writer against every report shape the matrix has for a space and a meter: each period table
    of the JSON (as `exports.shape` reads it) is a sheet with the same labels and numbers, and its chart
    points at that sheet's cells."""
    import io
    import zipfile
    from xml.etree import ElementTree

    import openpyxl

    from myems_api.exports import HEADER_ROW, cell, shape

    listed = get(api, admin_headers, '/meta/reports')['reports']
    ids = {'spaceid': campus['space'], 'meterid': campus['meter']}
    checked: set[str] = set()
    for route in listed:
        path, accepted = route['path'], set(route['parameters'])
        named = [k for k in ids if k in accepted]
        if not named or not {'format', 'periodtype'} <= accepted:
            continue
        params = {named[0]: str(ids[named[0]])}
        query = {**params, 'periodtype': 'daily', **PERIODS}
        answer = api.simulate_get(path, headers=admin_headers, params=query)
        if answer.status_code != 200:  # a route needing more than an object and periods (a product, ...)
            continue
        _, tables = shape(answer.json, 'en')
        file = api.simulate_get(path, headers=admin_headers, params={**query, 'format': 'xlsx'})
        assert file.status_code == 200, (path, file.text[:200])
        book = openpyxl.load_workbook(io.BytesIO(file.content))
        assert len(book.sheetnames) == 1 + len(tables), path
        for table, name in zip(tables, book.sheetnames[1:], strict=True):
            rows = list(book[name].iter_rows(min_row=HEADER_ROW + 1, values_only=True))
            for index, text in enumerate(table.labels):
                assert rows[index][0] == text, (path, name)
                expected = [cell(column[index]) for column in table.columns]
                assert list(rows[index][1 : 1 + len(expected)]) == pytest.approx(expected), (path, name, text)
        with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
            for part in (n for n in archive.namelist() if n.startswith('xl/charts/')):
                chart = ElementTree.fromstring(archive.read(part))
                for formula in chart.iter('{http://schemas.openxmlformats.org/drawingml/2006/chart}f'):
                    assert formula.text and formula.text.startswith(f"'{book.sheetnames[1]}'!"), (path, formula.text)
        checked.add(path.removeprefix('/reports/'))
    assert {'spaceenergycategory', 'spaceenergyitem', 'spacecost', 'spacecarbon', 'spaceload', 'spacestatistics'} <= (
        checked
    ), checked
    assert {'spacesaving', 'spaceplan', 'meterenergy', 'metercost', 'metercarbon', 'metersaving'} <= checked, checked
