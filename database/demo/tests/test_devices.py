"""The simulated Modbus devices: campus registers where campus.py puts them, counters that continue the
stored history and advance, and the benchmark fleet, all read back over loopback by the real poller."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from myems_demo import campus as c
from myems_demo.devices import Campus, CampusValues, Fleet, campus_registers, fleet_layout, fleet_value
from myems_modbus_tcp.config import build_sources
from myems_modbus_tcp.poll import OK, poll_source

pytestmark = pytest.mark.filterwarnings(r'ignore:isSet\(\) is deprecated:DeprecationWarning')  # modbus-tk 1.1.5
NOW = datetime(2026, 3, 2, 10, 0)
PORTS = {1: 15190, 2: 15191, 3: 15192, 4: 15193}  # in-test ports, clear of the demo's 15021-15024


def test_every_modbus_point_of_the_campus_has_a_register() -> None:
    registers = campus_registers()
    modbus_points = [p for p in c.build_points() if p.data_source_id in PORTS]
    assert {r.point_id for r in registers} == {p.id for p in modbus_points}
    places = [(r.data_source_id, r.slave_id, r.offset) for r in registers]
    assert len(places) == len(set(places))  # no two points share a register


def test_counters_continue_from_the_stored_reading_and_advance() -> None:
    resume = {1: (NOW - timedelta(minutes=10), 5000.0), 242: (NOW - timedelta(minutes=30), 99999.5)}
    values = CampusValues(resume, NOW)
    assert values.counter(1, NOW - timedelta(minutes=10)) == pytest.approx(5000.0)
    later = [values.values(NOW + timedelta(minutes=m)) for m in (0, 5, 60)]
    for meter in c.METERS:
        series = [v[meter.id] for v in later]
        assert series == sorted(series), meter.name
    assert later[-1][1] > 5000.0 and later[0][242] > 99999.5
    assert set(later[0]) >= {s.id for s in c.ANALOG_POINTS} | {s.id for s in c.DIGITAL_POINTS}
    assert all(later[0][s.id] in (0, 1) for s in c.DIGITAL_POINTS)


def _campus_sources() -> dict[int, object]:
    sources = [(d.id, d.name, json.dumps({**json.loads(d.connection), 'port': PORTS[d.id]})) for d in c.DATA_SOURCES]
    points = [
        (p.id, p.name, p.data_source_id, p.object_type, p.ratio, p.offset_constant, p.is_trend, p.address)
        for p in c.build_points()
        if p.data_source_id in PORTS
    ]
    configs, problems = build_sources(sources, points)
    assert problems == []
    return configs  # type: ignore[return-value]


def test_the_daemon_reads_the_campus_as_the_simulation_says() -> None:
    campus = Campus({242: (NOW, 12.5)}, ports=PORTS, now=NOW)
    campus.start()
    try:
        now = datetime(2026, 3, 2, 10, 0, 30)
        campus.update(now)
        expected = campus.values.values(now)
        readings = {}
        for source in _campus_sources().values():
            outcome = poll_source(source, 3.0)  # type: ignore[arg-type]
            assert outcome.status == OK and not outcome.point_errors
            readings.update({r.point_id: r.actual_value for r in outcome.readings})
    finally:
        campus.stop()
    assert set(readings) == {r.point_id for r in campus.registers}
    for point_id, value in readings.items():
        assert float(value) == pytest.approx(float(expected[point_id]), rel=1e-6, abs=1e-3), point_id
    assert readings[242] == Decimal(round(expected[242] * 1000)) / 1000  # litres register, ratio 0.001


def test_the_fleet_serves_four_points_per_device() -> None:
    layout = fleet_layout(450, 3, 15194)
    assert {d.port for d in layout} == {15194, 15195, 15196} and max(d.slave_id for d in layout) == 150
    with pytest.raises(ValueError, match='need at least 3 ports'):
        fleet_layout(401, 2, 15194)
    fleet = Fleet(6, 2, 15194)
    fleet.start()
    try:
        now = datetime(2026, 3, 2, 10, 0)
        fleet.update(now)
        sources = {}
        for port in (15194, 15195):
            devices = [d for d in fleet.layout if d.port == port]
            points = [
                (d.number * 4 + k, f'p{k}', port, kind, Decimal(1), Decimal(0), 1,
                 json.dumps({'slave_id': d.slave_id, 'function_code': 3, 'offset': offset,
                             'number_of_registers': {'>d': 4, '>f': 2, '>H': 1}[fmt], 'format': fmt}))
                for d in devices for k, (offset, fmt, kind, _) in enumerate(fleet_points())
            ]  # fmt: skip
            sources.update(
                build_sources([(port, f's{port}', json.dumps({'host': '127.0.0.1', 'port': port}))], points)[0]
            )
        got = {}
        for source in sources.values():
            outcome = poll_source(source, 3.0)
            assert outcome.reads == 3  # one request per device for its four points
            got.update({r.point_id: r.actual_value for r in outcome.readings})
    finally:
        fleet.stop()
    seconds = (now - datetime(1970, 1, 1)).total_seconds()
    for d in fleet.layout:
        for k in range(4):
            assert float(got[d.number * 4 + k]) == pytest.approx(float(fleet_value(d, k, seconds)), rel=1e-6)


def fleet_points() -> tuple[tuple[int, str, str, str], ...]:
    from myems_demo.devices import FLEET_POINTS

    return FLEET_POINTS
