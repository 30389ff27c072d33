"""The Modbus daemon end to end: loopback Modbus TCP servers, the real test MariaDB."""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from myems_common.db import Database
from myems_demo.devices import DeviceServer, pack_registers
from myems_modbus_tcp.decode import swap_adjacent_bytes

from .conftest import Config, HungDevice, Running, address, free_port, wait_for

CODES: dict[str, Any] = {
    'h': -12345,
    'H': 54321,
    'i': -2_000_000_001,
    'I': 4_000_000_001,
    'l': -1_999_999_999,
    'L': 3_999_999_999,
    'q': -9_000_000_000_001,
    'Q': 18_000_000_000_000,
    'f': 21.7,
    'd': -123456789.123456,
}
PREFIXES = ('>', '<', '=', '!', '@')


def latest(database: Database, table: str, points: list[int]) -> dict[int, Any]:
    marks = ', '.join(['%s'] * len(points))
    rows = database.fetch_all(
        'historical', f'SELECT point_id, actual_value FROM {table}_latest WHERE point_id IN ({marks})', points
    )
    return {int(p): v for p, v in rows}


def trend_times(database: Database, point: int) -> list[Any]:
    rows = database.fetch_all(
        'historical', 'SELECT utc_date_time FROM tbl_analog_value WHERE point_id = %s ORDER BY utc_date_time', (point,)
    )
    return [r[0] for r in rows]


def test_every_format_byte_order_and_swap_arrives_exactly(
    config: Config, servers: Callable[[int], DeviceServer], run_acquisition: Callable[..., Running], database: Database
) -> None:
    port = free_port()
    device = servers(port)
    source = config.source(port, interval=1, name='Format Zoo')
    expected: dict[int, Decimal] = {}
    for slave, (prefix, swap) in enumerate([(p, s) for p in PREFIXES for s in (False, True)], start=1):
        offset = 0
        for code, value in CODES.items():
            fmt = prefix + code
            registers = max(1, struct.calcsize(fmt) // 2)
            data = struct.pack(fmt, value)
            if swap and registers in (2, 4):
                data = swap_adjacent_bytes(data)
            device.set_registers(slave, offset, struct.unpack(f'>{registers}H', data))
            fc = 4 if code in 'Hf' else 3  # input registers too
            point = config.point(source, address(slave, offset, fmt, registers, fc=fc, swap=swap), 'ANALOG_VALUE')
            expected[point] = Decimal(str(value)).quantize(Decimal('0.000001'))
            offset += registers + (3 if code == 'i' else 0)  # a small gap: still one request
    device.set_bits(50, 3, [1])
    coil = config.point(source, address(50, 3, '', 1, fc=1), 'DIGITAL_VALUE', ratio=Decimal('0.5'))
    discrete = config.point(source, address(50, 3, '', 1, fc=2), 'DIGITAL_VALUE', ratio=3, offset_constant=-1)
    device.set_registers(51, 0, pack_registers('>H', 1000))
    scaled = config.point(source, address(51, 0, '>H', 1), 'ENERGY_VALUE', ratio=Decimal('0.001'), offset_constant=5)

    running = run_acquisition()
    wait_for(lambda: len(latest(database, 'tbl_analog_value', list(expected))) == len(expected), 20)
    assert latest(database, 'tbl_analog_value', list(expected)) == expected
    assert latest(database, 'tbl_digital_value', [coil, discrete]) == {coil: 1, discrete: 2}  # 0.5 rounds up
    assert latest(database, 'tbl_energy_value', [scaled]) == {scaled: Decimal('6.000000')}
    # the holding registers of one slave (8 points, one small gap) were read in one request each cycle
    requests = running.acquisition.sources[source].config.requests
    assert sorted(r.slave_id for r in requests if r.function_code == 3 and r.slave_id <= 10) == list(range(1, 11))
    assert all(len(r.members) == 8 for r in requests if r.function_code == 3 and r.slave_id <= 10)
    wait_for(lambda: database.fetch_one('system', 'SELECT last_seen_datetime_utc FROM tbl_data_sources WHERE id = %s',
                                        (source,))[0], 10)  # fmt: skip
    assert database.fetch_one('system', 'SELECT last_seen_datetime_utc FROM tbl_gateways WHERE id = 1')[0] is not None


def test_a_dead_and_a_hung_device_do_not_delay_the_others_and_the_hung_one_recovers(
    config: Config, servers: Callable[[int], DeviceServer], run_acquisition: Callable[..., Running], database: Database
) -> None:
    live_port, dead_port, hung_port = free_port(), free_port(), free_port()
    live = servers(live_port)
    live.set_value(1, 0, '>f', 12.5)
    hung = HungDevice(hung_port)
    live_source = config.source(live_port, interval=1, name='Live')
    dead_source = config.source(dead_port, interval=1, name='Dead')  # nothing listens: connection refused
    hung_source = config.source(hung_port, interval=1, name='Hung')
    live_point = config.point(live_source, address(1, 0, '>f', 2))
    config.point(dead_source, address(1, 0, '>f', 2))
    hung_points = [config.point(hung_source, address(1, n * 10, '>f', 2)) for n in range(3)]  # 3 requests

    # a hung request takes the whole 4 s timeout; if the live device waited for it, it would get 1-2 cycles
    running = run_acquisition(timeout=4.0)
    wait_for(lambda: hung.accepted >= 1, 10)
    first = len(running.writer.readings_of(live_point))
    wait_for(lambda: len(running.writer.readings_of(live_point)) >= first + 5, 20)
    states = running.acquisition.sources
    assert states[dead_source].status == 'down'
    assert states[hung_source].status in ('', 'timeout')
    # backing off: 1 s, 2 s, then capped at max_backoff (4 s here)
    wait_for(lambda: running.acquisition.sources[dead_source].failures >= 3, 20)
    assert states[dead_source].retry_delay == 4.0
    wait_for(lambda: len(trend_times(database, live_point)) >= 5, 10)
    wait_for(lambda: running.acquisition.sources[hung_source].status == 'timeout', 15)
    assert running.writer.readings_of(hung_points[0]) == []

    # the hung device comes back as a working one on the same port
    hung.stop()
    back = servers(hung_port)
    for n in range(3):
        back.set_value(1, n * 10, '>f', 40.0 + n)
    wait_for(lambda: all(running.writer.readings_of(p) for p in hung_points), 15)
    assert latest(database, 'tbl_analog_value', [live_point]) == {live_point: Decimal('12.500000')}
    wait_for(lambda: latest(database, 'tbl_analog_value', hung_points) == {
        p: Decimal(40 + n).quantize(Decimal('0.000001')) for n, p in enumerate(hung_points)}, 10)  # fmt: skip
    seen = database.fetch_one(
        'system', 'SELECT last_seen_datetime_utc FROM tbl_data_sources WHERE id = %s', (dead_source,)
    )
    assert seen == (None,)  # never read, never seen


def test_edits_additions_and_removals_are_picked_up_without_restart(
    config: Config, servers: Callable[[int], DeviceServer], run_acquisition: Callable[..., Running], database: Database
) -> None:
    port = free_port()
    device = servers(port)
    device.set_value(1, 0, '>H', 7)
    device.set_value(1, 40, '>H', 99)
    device.set_value(2, 0, '>f', 1.25)
    source = config.source(port, interval=1)
    edited = config.point(source, address(1, 0, '>H', 1), 'DIGITAL_VALUE')
    removed = config.point(source, address(1, 1, '>H', 1), 'DIGITAL_VALUE')
    running = run_acquisition(reload_seconds=1.0)
    wait_for(lambda: latest(database, 'tbl_digital_value', [edited]) == {edited: 7}, 15)

    with database.transaction('system') as cur:
        cur.execute(
            'UPDATE tbl_points SET address = %s, ratio = 2 WHERE id = %s',
            ('{"slave_id": 1, "function_code": 3, "offset": 40, "number_of_registers": 1, "format": ">H", '
             '"byte_swap": false}', edited),
        )  # fmt: skip
        cur.execute('DELETE FROM tbl_points WHERE id = %s', (removed,))
    added = config.point(source, address(2, 0, '>f', 2), 'ANALOG_VALUE')
    wait_for(lambda: latest(database, 'tbl_digital_value', [edited]) == {edited: 198}, 15)
    wait_for(lambda: latest(database, 'tbl_analog_value', [added]) == {added: Decimal('1.250000')}, 15)
    count = len(running.writer.readings_of(removed))
    wait_for(lambda: running.acquisition.cycles > 0 and len(running.writer.readings_of(added)) >= 3, 15)
    assert len(running.writer.readings_of(removed)) <= count + 1  # at most a cycle already under way

    # the source itself moves to another port, then is removed
    other = free_port()
    servers(other).set_value(1, 0, '>H', 5)
    with database.transaction('system') as cur:
        cur.execute(
            'UPDATE tbl_data_sources SET connection = %s WHERE id = %s',
            (f'{{"host": "127.0.0.1", "port": {other}, "interval_in_seconds": 1}}', source),
        )
        cur.execute('UPDATE tbl_points SET address = %s, ratio = 1 WHERE id = %s',
                    ('{"slave_id": 1, "function_code": 3, "offset": 0, "number_of_registers": 1, "format": ">H"}',
                     edited))  # fmt: skip
    wait_for(lambda: latest(database, 'tbl_digital_value', [edited]) == {edited: 5}, 15)
    with database.transaction('system') as cur:
        cur.execute('DELETE FROM tbl_data_sources WHERE id = %s', (source,))
    wait_for(lambda: source not in running.acquisition.sources, 10)


def test_a_bad_address_is_reported_once_by_name_and_the_rest_keep_working(
    config: Config,
    servers: Callable[[int], DeviceServer],
    run_acquisition: Callable[..., Running],
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    device = servers(port)  # 1024 registers per slave
    device.set_value(1, 0, '>f', 3.5)
    device.set_value(2, 1020, '>d', 8.25)
    source = config.source(port, interval=1)
    good = config.point(source, address(1, 0, '>f', 2), name='Good Point')
    bad = config.point(source, '{"slave_id": 1, "function_code": 3, "offset": ', name='Broken Address Point')
    wrong = config.point(source, address(1, 0, '>d', 2), name='Too Few Registers Point')
    edge = config.point(source, address(2, 1020, '>d', 4), name='Last Registers Point')
    beyond = config.point(source, address(2, 1024, '>H', 1), name='Beyond The Device Point')  # merged with edge
    missing = config.point(source, address(9, 0, '>f', 2), name='Missing Slave Point')  # no slave 9: no answer
    broken_source = config.source(port, connection='{"host": "127.0.0.1"}', name='No Port Source')
    caplog.set_level(logging.INFO)
    running = run_acquisition(reload_seconds=0.5, timeout=0.5)
    wait_for(lambda: latest(database, 'tbl_analog_value', [good, edge]) == {good: Decimal('3.500000'),
                                                                          edge: Decimal('8.250000')}, 15)  # fmt: skip
    wait_for(lambda: len(running.writer.readings_of(good)) >= 4, 15)
    messages = [r.getMessage() for r in caplog.records]
    assert sum(f"point {bad} ('Broken Address Point'): bad address" in m for m in messages) == 1
    assert sum(f"point {wrong} ('Too Few Registers Point')" in m and 'needs 8 bytes' in m for m in messages) == 1
    assert sum(f"data source {broken_source} ('No Port Source'): connection port" in m for m in messages) == 1
    assert sum(f'point {beyond} (Beyond The Device Point)' in m and 'Modbus exception' in m for m in messages) == 1
    assert any(f'data source {source} ' in m and 'slave 9 did not answer' in m for m in messages)
    assert latest(database, 'tbl_analog_value', [bad, wrong, beyond, missing]) == {}
    assert running.acquisition.sources[source].memory.suspects == [9]


def test_a_wrong_gateway_token_waits_and_polls_nothing(
    config: Config,
    servers: Callable[[int], DeviceServer],
    run_acquisition: Callable[..., Running],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    servers(port).set_value(1, 0, '>f', 1.0)
    point = config.point(config.source(port, interval=1), address(1, 0, '>f', 2))
    running = run_acquisition(token='not-the-token', reload_seconds=0.5)
    wait_for(lambda: any('GATEWAY_TOKEN' in r.getMessage() for r in caplog.records), 10)
    time.sleep(2)  # four more reloads, all refused
    assert running.thread.is_alive() and running.writer.readings_of(point) == []
    assert sum('GATEWAY_TOKEN does not match' in r.getMessage() for r in caplog.records) == 1  # logged once
