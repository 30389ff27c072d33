"""Income reports (/reports/{space,equipment,combinedequipment}income) over a small fixture checked by hand,
and the recompute requests that keep the income (output billing) in step with cost centres and tariffs.

A space in Europe/Berlin (area 50 m2, 2 occupants) earns 0.5 an hour from its heat output over local
28-31 March 2026 (reporting period; 29 March has 23 hours): 12, 11.5 and 12 a day, 35.5 in all. Over local
21-24 March (base period) it earned 1 an hour: 24 a day, 72 in all. Its consumption cost 7 an hour (the
input table, which an income report must not read). A child space earns 0.25 an hour in the reporting
period: 71 hours, 17.75. An equipment and a combined equipment earn 2 an hour on local 28 March: 48.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import simplejson
from falcon import testing

from myems_aggregation.billing import BillingStep
from myems_common.pipeline import Runner, set_progress

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal
PERIODS = {
    'periodtype': 'daily',
    'baseperiodstartdatetime': '2026-03-21T00:00:00',
    'baseperiodenddatetime': '2026-03-24T00:00:00',
    'reportingperiodstartdatetime': '2026-03-28T00:00:00',
    'reportingperiodenddatetime': '2026-03-31T00:00:00',
}
END_OF_TIME = datetime(2100, 1, 1)


def utc_hours(start_local: datetime, end_local: datetime) -> list[datetime]:
    start, end = (
        t.replace(tzinfo=BERLIN).astimezone(ZoneInfo('UTC')).replace(tzinfo=None) for t in (start_local, end_local)
    )
    return [start + timedelta(hours=h) for h in range(int((end - start) / timedelta(hours=1)))]


REPORTING = utc_hours(datetime(2026, 3, 28), datetime(2026, 3, 31))
BASE = utc_hours(datetime(2026, 3, 21), datetime(2026, 3, 24))


def billed(database: Any, kind: str, direction: str, object_id: int, category: int, rows: list[Any]) -> None:
    with database.transaction('billing') as cur:
        cur.executemany(
            f'INSERT INTO tbl_{kind}_{direction}_category_hourly ({kind}_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, %s)',
            [(object_id, category, t, v) for t, v in rows],
        )


@pytest.fixture(scope='module')
def site(factory: Any, database: Any) -> dict[str, int]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    heat, power = factory.create('energy_category'), factory.create('energy_category')
    space = factory.create('space', timezone_id=berlin, area='50', number_of_occupants='2')
    child = factory.create('space', timezone_id=berlin, parent_space_id=space)
    equipment, combined = factory.create('equipment'), factory.create('combined_equipment')
    factory.link('space', space, 'equipments', equipment)
    factory.link('space', space, 'combinedequipments', combined)
    billed(database, 'space', 'output', space, heat, [(t, D('0.5')) for t in REPORTING] + [(t, D(1)) for t in BASE])
    billed(database, 'space', 'input', space, power, [(t, D(7)) for t in REPORTING + BASE])
    billed(database, 'space', 'output', child, heat, [(t, D('0.25')) for t in REPORTING])
    day = utc_hours(datetime(2026, 3, 28), datetime(2026, 3, 29))
    billed(database, 'equipment', 'output', equipment, heat, [(t, D(2)) for t in day])
    billed(database, 'combined_equipment', 'output', combined, heat, [(t, D(2)) for t in day])
    return {'space': space, 'child': child, 'equipment': equipment, 'combined': combined, 'heat': heat}


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return simplejson.loads(answer.text, use_decimal=True)


def test_space_income_is_the_priced_output_by_local_day_against_the_base_period(
    api: Any, admin_headers: Any, site: Any, settings: Any
) -> None:
    got = get(api, admin_headers, '/reports/spaceincome', spaceid=str(site['space']), **PERIODS)
    rep, base = got['reporting_period'], got['base_period']
    assert rep['energy_category_ids'] == [site['heat']]  # the output category only, not the consumption's
    assert rep['units'] == [settings.currency_unit] and base['units'] == [settings.currency_unit]
    assert rep['timestamps'] == [['2026-03-28', '2026-03-29', '2026-03-30']]
    assert rep['values'] == [[12, D('11.5'), 12]] and rep['subtotals'] == [D('35.5')] and rep['total'] == D('35.5')
    assert base['values'] == [[24, 24, 24]] and base['total'] == 72
    assert rep['rates'] == [[D('-0.5'), (D('11.5') - 24) / 24, D('-0.5')]]
    assert rep['increment_rates'] == [(D('35.5') - 72) / 72] and rep['total_increment_rate'] == (D('35.5') - 72) / 72
    assert rep['subtotals_per_unit_area'] == [D('0.71')] and rep['total_per_unit_area'] == D('0.71')
    assert rep['subtotals_per_capita'] == [D('17.75')] and rep['total_per_capita'] == D('17.75')
    assert 'total_in_kgce' not in rep  # money, not energy
    assert got['space']['id'] == site['space']
    child = got['child_space']
    assert child['child_space_ids_array'] == [[site['child']]] and child['subtotals_array'] == [[D('17.75')]]


def test_equipment_and_combined_equipment_income(api: Any, admin_headers: Any, site: Any) -> None:
    reporting = {k: v for k, v in PERIODS.items() if not k.startswith('base')}
    for path, name, key in (
        ('/reports/equipmentincome', 'equipmentid', 'equipment'),
        ('/reports/combinedequipmentincome', 'combinedequipmentid', 'combined'),
    ):
        got = get(api, admin_headers, path, **{name: str(site[key])}, **reporting)
        assert got['reporting_period']['values'] == [[48, 0, 0]], path
        assert got['reporting_period']['total'] == 48 and got['reporting_period']['increment_rates'] == [None]


def test_income_routes_are_catalogued_and_exported_with_their_label(api: Any, admin_headers: Any, site: Any) -> None:
    catalogue = get(api, admin_headers, '/meta/reports')['reports']
    found = {r['path']: r for r in catalogue if r['kind'] == 'income'}
    assert set(found) == {'/reports/spaceincome', '/reports/equipmentincome', '/reports/combinedequipmentincome'}
    assert all(r['database'] == 'billing' for r in found.values())
    answer = api.simulate_get(
        '/reports/spaceincome',
        headers=admin_headers,
        params={'spaceid': str(site['space']), 'language': 'de', 'format': 'csv', **PERIODS},
    )
    assert answer.status_code == 200, answer.text
    assert 'Ertragsbericht' in answer.headers['content-disposition']  # the file is named by the translated title
    assert 'Berichtszeitraum,2026-03-29,11.5' in answer.content.decode('utf-8-sig')


def test_income_refuses_a_caller_outside_its_spaces(
    api: Any, site: Any, factory: Any, make_user: Any, sign_in: Any
) -> None:
    viewer = sign_in(make_user('incomeviewer', spaces=[factory.create('space')]))
    for path, params in (
        ('/reports/spaceincome', {'spaceid': str(site['space'])}),
        ('/reports/equipmentincome', {'equipmentid': str(site['equipment'])}),
    ):
        refused = api.simulate_get(path, headers=viewer, params={**params, **PERIODS})
        assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN', path


def dirty(database: Any, reason: str) -> set[tuple[str, int]]:
    rows = database.fetch_all(
        'billing', 'SELECT step, object_id FROM tbl_pipeline_dirty_ranges WHERE reason = %s', (reason,)
    )
    return {(str(s), int(o)) for s, o in rows}


def test_a_new_cost_centre_or_tariff_rebills_the_income_too(
    api: Any, admin_headers: Any, factory: Any, helpers: Any, database: Any
) -> None:
    with database.transaction('energy') as cur:  # "ever" starts at the first energy slot stored
        cur.execute(
            'INSERT IGNORE INTO tbl_meter_hourly (meter_id, start_datetime_utc, actual_value) VALUES (999998, %s, 1)',
            (datetime(2026, 1, 1),),
        )
    centre = factory.create('cost_center')
    equipment = factory.create('equipment')
    change = {**factory.body('equipment', 1), 'cost_center_id': centre}
    answer = helpers.send(api, 'PUT', f'/equipments/{equipment}', admin_headers, {'data': change})
    assert answer.status_code == 200, answer.text
    assert dirty(database, f'PUT equipment {equipment}') >= {
        ('equipment_billing', equipment),
        ('equipment_output_billing', equipment),
    }
    space = factory.create('space', cost_center_id=centre)
    meter = factory.create('meter', cost_center_id=centre)
    tariff = factory.create('tariff')
    answer = api.simulate_post(
        f'/costcenters/{centre}/tariffs', headers=admin_headers, json={'data': {'tariff_id': tariff}}
    )
    assert answer.status_code == 201, answer.text
    found = dirty(database, f'POST cost_center.tariffs {centre}')
    assert {('space_output_billing', space), ('equipment_output_billing', equipment), ('meter_billing', meter)} <= found
    assert ('meter_output_billing', meter) not in found  # a meter has no outputs


def test_the_aggregation_bills_outputs_and_the_report_reads_what_it_wrote(
    api: Any, admin_headers: Any, factory: Any, database: Any
) -> None:
    """End to end: 1 kWh of heat an hour over local 28-29 March, priced 0.2 from 00:00 to 08:00 Berlin time and
    0.5 after: 8 x 0.2 + 16 x 0.5 = 9.6 on the Saturday; 29 March lacks 02:00, an off-peak hour: 9.4."""
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    heat, centre = factory.create('energy_category'), factory.create('cost_center')
    equipment = factory.create('equipment', cost_center_id=centre)
    factory.link('space', factory.create('space', timezone_id=berlin), 'equipments', equipment)
    with database.transaction('system') as cur:
        cur.execute(
            'INSERT INTO tbl_tariffs (name, uuid, energy_category_id, tariff_type, unit_of_price,'
            " valid_from_datetime_utc, valid_through_datetime_utc, timezone) VALUES (%s, UUID(), %s, 'timeofuse',"
            " 'EUR/kWh', '2020-01-01', '2030-12-31 23:59:59', 'Europe/Berlin')",
            (f'heat sold {heat}', heat),
        )
        tariff = cur.lastrowid
        cur.executemany(
            'INSERT INTO tbl_tariffs_timeofuses (tariff_id, start_time_of_day, end_time_of_day, peak_type, price)'
            ' VALUES (%s, %s, %s, %s, %s)',
            [
                (tariff, '00:00:00', '07:59:59', 'offpeak', D('0.2')),
                (tariff, '08:00:00', '23:59:59', 'onpeak', D('0.5')),
            ],
        )
        cur.execute(
            'INSERT INTO tbl_cost_centers_tariffs (cost_center_id, tariff_id) VALUES (%s, %s)', (centre, tariff)
        )
    hours = utc_hours(datetime(2026, 3, 28), datetime(2026, 3, 30))
    with database.transaction('energy') as cur:
        cur.executemany(
            'INSERT INTO tbl_equipment_output_category_hourly (equipment_id, energy_category_id, start_datetime_utc,'
            ' actual_value) VALUES (%s, %s, %s, 1)',
            [(equipment, heat, t) for t in hours],
        )
        set_progress(cur, 'equipment_energy', equipment, hours[-1] + timedelta(hours=1))
    Runner(database, [BillingStep('equipment', direction='output')]).run_until_idle()
    got = get(
        api,
        admin_headers,
        '/reports/equipmentincome',
        equipmentid=str(equipment),
        periodtype='daily',
        reportingperiodstartdatetime='2026-03-28T00:00:00',
        reportingperiodenddatetime='2026-03-30T00:00:00',
    )
    assert got['reporting_period']['values'] == [[D('9.6'), D('9.4')]] and got['reporting_period']['total'] == 19
