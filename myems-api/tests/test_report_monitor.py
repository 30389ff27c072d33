"""Environment monitor, distribution system, FDD fault and power quality reports over a small fixture
checked by hand. The space is in Europe/Berlin (UTC+2 in June).

* Monitor: sensor 'probe' has a temperature point whose latest value is 21.5 (now) and a humidity point read
  40 on 2 June (stale); sensor 'spare' has no points; a third sensor is not linked to the space.
* Distribution system: its SVG carries a script, an onload handler and a javascript: link, all taken out;
  circuits 'B feeder' (no points) and 'A feeder' (a voltage point reading 230 now, a current point never
  read) come by name. A second system is linked to no space.
* Faults: the caller has a CRITICAL and a HIGH message on 2 June 12:00 UTC and a LOW one in May; another
  user's message on 2 June is not theirs.
* Power quality: a meter's three voltage phases read at local 00:00, 00:20 and 00:40 on 2 June
  Va 220, 242, 209 (and 500 flagged bad at 00:50, left out), Vb 220, 220, 220, Vc 220, 220, 231; its
  frequency point reads 50.1, 49.4, 50.0. Va: mean 671/3, population std sqrt(564.667/3) = 13.7194,
  p5 209 + 0.1 * 11 = 210.1, p95 220 + 0.9 * 22 = 239.8; deviations from 220 V of 0, +10 and -5 %: 2 of 3
  within 7 %, worst 10 % at 00:20, p95 of |deviation| 5 + 0.9 * 5 = 9.5. Unbalance: 0, 14.667 / 227.333 =
  6.4516 % and 11 / 220 = 5 %: 1 of 3 within 2 %. Frequency: deviations 0.1, -0.6, 0: 2 of 3 within
  0.2 Hz, one beyond 0.5 Hz. Against 230 V Va's worst deviation is (209 - 230) / 230 = -9.1304 % at 00:40.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import simplejson
from falcon import testing

BERLIN = ZoneInfo('Europe/Berlin')
D = Decimal
EVIL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
    '<script>alert(2)</script><a xlink:href="javascript:alert(3)"><rect id="bus" width="10" height="4"/></a>'
    '<use href="#bus"/></svg>'
)
QUALITY = {'reportingperiodstartdatetime': '2026-06-02T00:00:00', 'reportingperiodenddatetime': '2026-06-02T01:00:00'}
FAULTS = {'reportingperiodstartdatetime': '2026-06-01T00:00:00', 'reportingperiodenddatetime': '2026-06-03T00:00:00'}


def utc(hour: int, minute: int) -> datetime:
    return datetime(2026, 6, 2, hour, minute, tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


@pytest.fixture(scope='module')
def site(factory: Any, database: Any, make_user: Any) -> dict[str, Any]:
    berlin = database.fetch_one('system', "SELECT id FROM tbl_timezones WHERE name = 'Europe/Berlin'")[0]
    space = factory.create('space', timezone_id=berlin)
    probe, spare, unlinked = (factory.create('sensor', name=n) for n in ('probe-m', 'spare-m', 'unlinked-m'))
    temperature = factory.create('point', object_type='ANALOG_VALUE', units='degC', name='temperature-m')
    humidity = factory.create('point', object_type='ANALOG_VALUE', units='%', name='humidity-m')
    factory.link('sensor', probe, 'points', temperature)
    factory.link('sensor', probe, 'points', humidity)
    for sensor in (probe, spare):
        factory.link('space', space, 'sensors', sensor)
    svg = factory.create('svg', source_code=EVIL_SVG)
    system = factory.create('distribution_system', svg_id=svg)
    lonely = factory.create('distribution_system')
    factory.link('space', space, 'distributionsystems', system)
    b_feeder = factory.create('distribution_circuit', distribution_system_id=system, name='B feeder')
    a_feeder = factory.create('distribution_circuit', distribution_system_id=system, name='A feeder')
    volts = factory.create('point', object_type='ANALOG_VALUE', units='V', name='bus voltage-m')
    amps = factory.create('point', object_type='ANALOG_VALUE', units='A', name='bus current-m')
    for point in (volts, amps):
        factory.link('distribution_circuit', a_feeder, 'points', point)
    meter = factory.create('meter')
    factory.link('space', space, 'meters', meter)
    phases = [factory.create('point', object_type='ANALOG_VALUE', units='V', name=f'V{p}-m') for p in 'abc']
    hertz = factory.create('point', object_type='ANALOG_VALUE', units='Hz', name='frequency-m')
    counter = factory.create('point', object_type='ENERGY_VALUE', units='kWh', name='counter-m')
    for point in (*phases, hertz, counter):
        factory.link('meter', meter, 'points', point)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    times = [utc(0, 0), utc(0, 20), utc(0, 40)]
    readings = [(phases[0], t, D(v), 0) for t, v in zip(times, (220, 242, 209), strict=True)]
    readings += [(phases[0], utc(0, 50), D(500), 1)]
    readings += [(phases[1], t, D(220), 0) for t in times]
    readings += [(phases[2], t, D(v), 0) for t, v in zip(times, (220, 220, 231), strict=True)]
    readings += [(hertz, t, D(v), 0) for t, v in zip(times, ('50.1', '49.4', '50.0'), strict=True)]
    with database.transaction('historical') as cur:
        cur.executemany(
            'INSERT INTO tbl_analog_value (point_id, utc_date_time, actual_value, is_bad) VALUES (%s, %s, %s, %s)',
            readings,
        )
        cur.execute(
            'INSERT INTO tbl_energy_value (point_id, utc_date_time, actual_value, is_bad) VALUES (%s, %s, 7, 0)',
            (counter, utc(0, 10)),
        )
        cur.executemany(
            'INSERT INTO tbl_analog_value_latest (point_id, utc_date_time, actual_value) VALUES (%s, %s, %s)',
            [(temperature, now, D('21.5')), (humidity, datetime(2026, 6, 2, 10), D(40)), (volts, now, D(230))],
        )
    viewer, stranger = make_user('faults'), make_user('faultless')
    with database.transaction('fdd') as cur:
        cur.execute(
            'INSERT INTO tbl_rules (name, uuid, category, fdd_code, priority, channel, message_template, is_enabled)'
            " VALUES ('overheat-m', %s, 'SPACE', 'SPACE01', 'HIGH', 'WEB', 'too hot', 1)",
            (str(uuid.uuid4()),),
        )
        rule = cur.lastrowid
        cur.executemany(
            'INSERT INTO tbl_web_messages (rule_id, user_id, subject, category, priority, message,'
            " created_datetime_utc, status) VALUES (%s, %s, %s, 'SPACE', %s, 'body', %s, 'new')",
            [
                (rule, viewer['id'], 'hot', 'CRITICAL', datetime(2026, 6, 2, 12)),
                (rule, viewer['id'], 'warm', 'HIGH', datetime(2026, 6, 2, 12, 30)),
                (rule, viewer['id'], 'old', 'LOW', datetime(2026, 5, 20, 12)),
                (rule, stranger['id'], 'not yours', 'CRITICAL', datetime(2026, 6, 2, 12)),
            ],
        )
    return {'space': space, 'system': system, 'lonely': lonely, 'meter': meter, 'viewer': viewer,
            'a_feeder': a_feeder, 'b_feeder': b_feeder, 'temperature': temperature, 'humidity': humidity}  # fmt: skip


def get(api: testing.TestClient, headers: dict[str, str], path: str, **params: str) -> Any:
    answer = api.simulate_get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return simplejson.loads(answer.text, use_decimal=path != '/reports/powerquality')  # statistics are floats


def test_environment_monitor_lists_the_space_sensors_with_their_latest_values(
    api: Any, admin_headers: Any, site: Any
) -> None:
    got = get(api, admin_headers, '/reports/spaceenvironmentmonitor', spaceid=str(site['space']))
    assert [s['name'] for s in got['sensors']] == ['probe-m', 'spare-m']  # not the unlinked sensor
    points = got['sensors'][0]['points']
    assert [(p['point_id'], p['value'], p['is_stale']) for p in points] == [
        (site['temperature'], D('21.5'), False),
        (site['humidity'], 40, True),
    ]
    assert points[1]['local_date_time'] == '2026-06-02T12:00:00' and got['sensors'][1]['points'] == []
    assert got['reporting_period']['values'] == [D('21.5'), 40]


def test_distribution_system_sanitises_its_svg_and_orders_its_circuits(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/distributionsystem', distributionsystemid=str(site['system']))
    source = got['svg']['source_code']
    assert 'script' not in source and 'onload' not in source and 'javascript' not in source
    assert 'id="bus"' in source and 'href="#bus"' in source
    assert [c['id'] for c in got['circuits']] == [site['a_feeder'], site['b_feeder']]
    points = got['circuits'][0]['points']
    assert [(p['name'], p['value'], p['is_stale']) for p in points] == [
        ('bus current-m', None, True),
        ('bus voltage-m', 230, False),
    ]
    assert got['circuits'][1]['points'] == []


def test_monitors_refuse_a_scoped_user_outside_and_name_a_bad_parameter(
    api: Any, admin_headers: Any, site: Any, factory: Any, make_user: Any, sign_in: Any
) -> None:
    outsider = sign_in(make_user('monitors', spaces=[factory.create('space')]))
    insider = sign_in(make_user('monitors', spaces=[site['space']]))
    for path, params in (
        ('/reports/spaceenvironmentmonitor', {'spaceid': str(site['space'])}),
        ('/reports/distributionsystem', {'distributionsystemid': str(site['system'])}),
        ('/reports/powerquality', {'meterid': str(site['meter']), **QUALITY}),
    ):
        refused = api.simulate_get(path, headers=outsider, params=params)
        assert refused.status_code == 403 and refused.json['description'] == 'API.FORBIDDEN', path
        assert api.simulate_get(path, headers=insider, params=params).status_code == 200, path
    lonely = {'distributionsystemid': str(site['lonely'])}  # linked to no space: only unscoped callers
    assert api.simulate_get('/reports/distributionsystem', headers=insider, params=lonely).status_code == 403
    assert api.simulate_get('/reports/distributionsystem', headers=admin_headers, params=lonely).status_code == 200
    bad = api.simulate_get('/reports/distributionsystem', headers=admin_headers, params={'distributionsystemid': 'x'})
    assert bad.status_code == 400 and 'distributionsystemid' in bad.json['message']
    missing = api.simulate_get(
        '/reports/distributionsystem', headers=admin_headers, params={'distributionsystemid': '9999999'}
    )
    assert missing.status_code == 404 and missing.json['description'] == 'API.DISTRIBUTION_SYSTEM_NOT_FOUND'
    assert api.simulate_get('/reports/spaceenvironmentmonitor').status_code == 401


def test_fdd_fault_lists_the_callers_messages_of_the_period(
    api: Any, site: Any, sign_in: Any, settings: Any, make_api_key: Any
) -> None:
    got = get(api, sign_in(site['viewer']), '/reports/fddfault', **FAULTS)
    assert [f['subject'] for f in got['faults']] == ['warm', 'hot']  # newest first, only the caller's
    assert {(f['rule_name'], f['fdd_code']) for f in got['faults']} == {('overheat-m', 'SPACE01')}
    local = datetime(2026, 6, 2, 12, tzinfo=UTC).astimezone(ZoneInfo(settings.default_timezone))
    assert got['faults'][1]['created_datetime_local'] == local.strftime('%Y-%m-%dT%H:%M:%S')
    rep = got['reporting_period']
    assert rep['timestamps'] == ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] and rep['values'] == [1, 1, 0, 0]
    bad = api.simulate_get('/reports/fddfault', headers=sign_in(site['viewer']), params={**FAULTS,
                           'reportingperiodstartdatetime': 'soon'})  # fmt: skip
    assert bad.status_code == 400 and 'reportingperiodstartdatetime' in bad.json['message']
    assert api.simulate_get('/reports/fddfault', headers=make_api_key(), params=FAULTS).status_code == 403


def test_power_quality_statistics_deviation_and_unbalance(api: Any, admin_headers: Any, site: Any) -> None:
    got = get(api, admin_headers, '/reports/powerquality', meterid=str(site['meter']), **QUALITY)
    analysis = {(a['point_name'], a['type']): a for a in got['analysis']}
    metrics = {m['name']: m['value'] for m in analysis[('Va-m (V)', 'statistics')]['metrics']}
    assert metrics['count'] == 3 and metrics['min'] == 209 and metrics['max'] == 242
    assert metrics['mean'] == pytest.approx(671 / 3) and metrics['std'] == pytest.approx((564.666667 / 3) ** 0.5)
    assert metrics['p5'] == pytest.approx(210.1) and metrics['p95'] == pytest.approx(239.8)
    deviation = analysis[('Va-m (V)', 'voltage_deviation')]
    assert deviation['compliance_pct'] == pytest.approx(200 / 3) and deviation['worst_deviation'] == pytest.approx(10)
    assert deviation['worst_time'] == '2026-06-02T00:20:00' and deviation['metrics'][1]['value'] == pytest.approx(9.5)
    unbalance = analysis[('Three-phase voltage', 'voltage_unbalance')]
    assert unbalance['worst_unbalance_pct'] == pytest.approx(14.666667 / 227.333333 * 100)
    assert unbalance['compliance_pct'] == pytest.approx(100 / 3)
    frequency = analysis[('frequency-m (Hz)', 'frequency_deviation')]
    assert frequency['compliance_pct'] == pytest.approx(200 / 3) and frequency['severe_exceed_count'] == 1
    assert ('counter-m (kWh)', 'statistics') not in analysis  # energy points are not analysed
    assert len(got['reporting_period']['names']) == 5


def test_power_quality_nominal_voltage_quick_mode_and_bad_input(api: Any, admin_headers: Any, site: Any) -> None:
    params = {'meterid': str(site['meter']), **QUALITY}
    got = get(api, admin_headers, '/reports/powerquality', nominalvoltage='230', **params)
    deviation = next(a for a in got['analysis'] if a['type'] == 'voltage_deviation')
    assert deviation['worst_deviation'] == pytest.approx(21 / 230 * 100) and deviation['worst_time'].endswith(
        '00:40:00'
    )
    quick = get(api, admin_headers, '/reports/powerquality', quickmode='true', **params)
    assert quick['reporting_period']['names'] == ['counter-m (kWh)'] and quick['analysis'] == []
    bad = api.simulate_get('/reports/powerquality', headers=admin_headers, params={**params, 'nominalvoltage': '-1'})
    assert bad.status_code == 400 and 'nominalvoltage' in bad.json['message']


def test_the_routes_are_listed(api: Any, admin_headers: Any) -> None:
    listed = {r['path']: r for r in get(api, admin_headers, '/meta/reports')['reports']}
    assert 'distributionsystemid' in listed['/reports/distributionsystem']['parameters']
    assert 'nominalvoltage' in listed['/reports/powerquality']['parameters']
    assert {'/reports/spaceenvironmentmonitor', '/reports/fddfault', '/reports/advancedreports'} <= set(listed)
