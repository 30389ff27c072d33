"""Space production report and production entry over a small fixture checked by hand.

A space in Europe/Berlin takes 1 kWh every hour of local 28-31 March 2026 (reporting period; 29 March has
23 hours: 71 kWh) and 2 kWh every hour of local 21-24 March (base period: 48 a day, 144). Its category has
kgce 0.5 and kgco2e 2: 35.5 kgce and 142 kgCO2e in the reporting period.

It made 10 units at 09:00 and 14 at 15:00 local on 28 March (24), none on 29 March and 6 on 30 March (30 in
all); in the base period 12, 12 and 3 (27). Day by day against the base: (24 - 12) / 12 = 1, None, 1.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import simplejson
from falcon import testing

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal
PERIODS = {
    'periodtype': 'daily',
    'baseperiodstartdatetime': '2026-03-21T00:00:00',
    'baseperiodenddatetime': '2026-03-24T00:00:00',
    'reportingperiodstartdatetime': '2026-03-28T00:00:00',
    'reportingperiodenddatetime': '2026-03-31T00:00:00',
}
DAYS = {k: v for k, v in PERIODS.items() if k.startswith('reporting')}


def utc(local: datetime) -> datetime:
    return local.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None)


def local_hours(start: datetime, end: datetime) -> list[datetime]:
    first, last = utc(start), utc(end)
    return [first + timedelta(hours=h) for h in range((last - first) // timedelta(hours=1))]


@pytest.fixture(scope='module')
def site(factory: Any, database: Any) -> dict[str, int]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    category = factory.create('energy_category', kgce='0.5', kgco2e='2')
    space = factory.create('space', timezone_id=berlin, area='10', number_of_occupants='2')
    energy = [(t, D(1)) for t in local_hours(datetime(2026, 3, 28), datetime(2026, 3, 31))]
    energy += [(t, D(2)) for t in local_hours(datetime(2026, 3, 21), datetime(2026, 3, 24))]
    with database.transaction('energy') as cur:
        cur.executemany(
            'INSERT INTO tbl_space_input_category_hourly (space_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(space, category, t, v) for t, v in energy],
        )
    made = {
        datetime(2026, 3, 28, 9): 10, datetime(2026, 3, 28, 15): 14, datetime(2026, 3, 30, 12): 6,
        datetime(2026, 3, 21, 8): 12, datetime(2026, 3, 22, 8): 12, datetime(2026, 3, 23, 23): 3,
    }  # fmt: skip
    with database.transaction('production') as cur:
        cur.execute(
            'INSERT INTO tbl_products (name, uuid, unit_of_measure, tag, standard_product_coefficient)'
            " VALUES ('bottle', %s, 'pcs', 'B1', 1.5)",
            (str(uuid.uuid4()),),
        )
        product = int(cur.lastrowid)
        cur.executemany(
            'INSERT INTO tbl_space_hourly (space_id, product_id, start_datetime_utc, product_count)'
            ' VALUES (%s, %s, %s, %s)',
            [(space, product, utc(t), D(v)) for t, v in made.items()],
        )
    return {'space': space, 'product': product, 'category': category}


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return simplejson.loads(answer.text, use_decimal=True)


def post(api: testing.TestClient, headers: dict[str, str], body: Any) -> testing.Result:
    return api.simulate_post(
        '/reports/enterproduction',
        headers=headers,
        body=simplejson.dumps(body, use_decimal=True),
        content_type='application/json',
    )


def slots(database: Any, site: dict[str, int]) -> dict[datetime, Decimal]:
    rows = database.fetch_all(
        'production',
        'SELECT start_datetime_utc, product_count FROM tbl_space_hourly WHERE space_id = %s AND product_id = %s',
        (site['space'], site['product']),
    )
    return dict(rows)


def test_space_production_buckets_the_counts_beside_the_energy(api: Any, admin_headers: Any, site: Any) -> None:
    ids = {'spaceid': str(site['space']), 'productid': str(site['product'])}
    got = get(api, admin_headers, '/reports/spaceproduction', **ids, **PERIODS)
    reporting, base = got['reporting_production'], got['base_production']
    assert reporting['timestamps'] == ['2026-03-28', '2026-03-29', '2026-03-30']
    assert reporting['values'] == [24, None, 6] and got['reporting_total_production'] == 30
    assert base['values'] == [12, 12, 3] and got['base_total_production'] == 27
    assert reporting['rates'] == [1, None, 1]
    assert got['product'] == {
        'id': site['product'],
        'name': 'bottle',
        'unit': 'pcs',
        'tag': 'B1',
        'coefficient': D('1.5'),
    }
    energy = got['reporting_period']
    assert energy['energy_category_ids'] == [site['category']] and energy['values'] == [[24, 23, 24]]
    assert energy['total_in_kgce'] == D('35.5') and got['base_period']['total_in_kgce'] == 72
    assert energy['total_in_kgce_per_prodution'] == D('35.5') / 30
    assert energy['total_in_kgco2e_per_prodution'] == D('142') / 30
    assert got['space']['id'] == site['space']
    monthly = get(api, admin_headers, '/reports/spaceproduction', **ids, **{**PERIODS, 'periodtype': 'monthly'})
    assert monthly['reporting_production'] == {'timestamps': ['2026-03'], 'values': [30], 'rates': [D(3) / 27]}
    answer = api.simulate_get(
        '/reports/spaceproduction', headers=admin_headers, params={**ids, **PERIODS, 'format': 'xlsx'}
    )
    assert answer.status_code == 200 and answer.content[:2] == b'PK', answer.text


def test_entered_days_and_shifts_replace_their_span_spread_over_the_slots(
    api: Any, admin_headers: Any, site: Any, database: Any
) -> None:
    day = {'spaceid': site['space'], 'productid': site['product'], 'value': [['2026-03-29', 46]]}
    answer = post(api, admin_headers, day)
    assert answer.status_code == 200, answer.text
    stored = slots(database, site)
    march29 = [t for t in stored if utc(datetime(2026, 3, 29)) <= t < utc(datetime(2026, 3, 30))]
    assert len(march29) == 23 and all(stored[t] == 2 for t in march29)  # the DST day: 23 slots of 2
    shift = ['2026-03-30T08:00:00', '2026-03-30T11:00:00', 10]
    answer = post(api, admin_headers, {**day, 'value': [shift]})
    assert answer.status_code == 200, answer.text
    stored = slots(database, site)
    thirds = [stored[utc(datetime(2026, 3, 30, h))] for h in (8, 9, 10)]
    assert thirds == [D('3.333333'), D('3.333333'), D('3.333334')] and sum(thirds) == 10
    params = {'spaceid': str(site['space']), 'productid': str(site['product'])}
    listed = get(api, admin_headers, '/reports/enterproduction', **params, **DAYS)
    assert listed == [
        {'monthdate': '2026-03-28', 'daily_value': 24},
        {'monthdate': '2026-03-29', 'daily_value': 46},
        {'monthdate': '2026-03-30', 'daily_value': 16},  # the 6 at 12:00 lies outside the shift
    ]
    answer = post(api, admin_headers, {**day, 'value': [['2026-03-29', 0]]})  # a day entered again replaces it
    assert answer.status_code == 200
    assert get(api, admin_headers, '/reports/enterproduction', **params, **DAYS)[1]['daily_value'] == 0


def test_bad_entries_are_refused_naming_the_field_and_nothing_is_written(
    api: Any, admin_headers: Any, site: Any, database: Any
) -> None:
    good = ['2026-03-01', 5]
    base = {'spaceid': site['space'], 'productid': site['product']}
    cases = [
        ({**base, 'value': [good, ['2026-02-30', 5]]}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value[1][0]'),
        ({**base, 'value': [good, ['2026-03-02', -1]]}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value[1][1]'),
        ({**base, 'value': [good, ['2026-03-02', 'lots']]}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value[1][1]'),
        ({**base, 'value': [['2026-03-02T08:30:00', '2026-03-02T10:00:00', 1]]}, 400, 'API.INVALID_PRODUCTION_VALUE',
         'value[0][0]'),
        ({**base, 'value': [['2026-03-02T10:00:00', '2026-03-02T08:00:00', 1]]}, 400, 'API.INVALID_PRODUCTION_VALUE',
         'value[0]'),
        ({**base, 'value': [good, ['2026-03-01T08:00:00', '2026-03-01T09:00:00', 1]]}, 400,
         'API.INVALID_PRODUCTION_VALUE', 'overlaps value[0]'),
        ({**base, 'value': [good, [1]]}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value[1]'),
        ({**base, 'value': [['0001-01-01', 1]]}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value[0][0]'),
        ({**base, 'value': [['2100-06-01', 1]]}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value[0][0]'),
        ({**base, 'value': [['2026-03-02T00:00:00', '2026-03-10T00:00:00', 1]]}, 400, 'API.INVALID_PRODUCTION_VALUE',
         'within 7 days'),
        ({**base, 'value': [['2026-03-02', 'NaN']]}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value[0][1]'),
        ({**base, 'value': [['2026-03-02', '0.0000001']]}, 400, 'API.INVALID_PRODUCTION_VALUE', '6 decimals'),
        ({**base, 'value': [good] * 1001}, 400, 'API.INVALID_PRODUCTION_VALUE', '1000'),
        ({**base, 'value': []}, 400, 'API.INVALID_PRODUCTION_VALUE', 'value'),
        ({'spaceid': site['space'], 'value': [good]}, 400, 'API.INVALID_PRODUCT_ID', 'productid'),
        ({**base, 'productid': 987654321, 'value': [good]}, 404, 'API.PRODUCT_NOT_FOUND', '987654321'),
        ({**base, 'spaceid': 'x', 'value': [good]}, 400, 'API.INVALID_SPACE_ID', 'spaceid'),
        ({**base, 'spaceid': 987654321, 'value': [good]}, 404, 'API.SPACE_NOT_FOUND', '987654321'),
    ]  # fmt: skip
    before = slots(database, site)
    for body, status, code, named in cases:
        answer = post(api, admin_headers, body)
        assert answer.status_code == status and answer.json['description'] == code, (body, answer.text)
        assert named in answer.json['message'], (body, answer.json)
    assert slots(database, site) == before
    answer = api.simulate_get('/reports/spaceproduction', headers=admin_headers,
                              params={'spaceid': str(site['space']), **PERIODS})  # fmt: skip
    assert answer.status_code == 400 and answer.json['description'] == 'API.INVALID_PRODUCT_ID'


def test_production_routes_check_the_callers_spaces_and_are_catalogued(
    api: Any, admin_headers: Any, site: Any, factory: Any, make_user: Any, sign_in: Any, database: Any
) -> None:
    params = {'spaceid': str(site['space']), 'productid': str(site['product'])}
    viewer = sign_in(make_user('productionviewer', spaces=[factory.create('space')]))
    for path, query in (('/reports/spaceproduction', PERIODS), ('/reports/enterproduction', DAYS)):
        refused = api.simulate_get(path, headers=viewer, params={**params, **query})
        assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN', path
        assert api.simulate_get(path, params={**params, **query}).status_code == 401, path
    entry = {'spaceid': site['space'], 'productid': site['product'], 'value': [['2026-04-01', 1]]}
    reader = sign_in(make_user('productionreader', is_read_only=True))
    for headers in (viewer, reader):
        refused = post(api, headers, entry)
        assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN', refused.text
    assert utc(datetime(2026, 4, 1)) not in slots(database, site)
    catalogue = {r['path']: r for r in get(api, admin_headers, '/meta/reports')['reports']}
    assert catalogue['/reports/spaceproduction']['database'] == 'production'
    assert 'productid' in catalogue['/reports/spaceproduction']['parameters']
    assert catalogue['/reports/enterproduction']['entity'] == 'space'
