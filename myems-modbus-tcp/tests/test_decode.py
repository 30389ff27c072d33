"""Decoding registers: every format, byte order and swap; address validation; the request planner."""

from __future__ import annotations

import json
import math
import struct
from decimal import Decimal
from typing import Any

import pytest

from myems_modbus_tcp.config import DEFAULT_INTERVAL, build_sources, parse_connection
from myems_modbus_tcp.decode import (
    Address,
    AddressError,
    DecodeError,
    decode,
    parse_address,
    shortest_float32,
    swap_adjacent_bytes,
)
from myems_modbus_tcp.plan import plan_requests, single_requests

PREFIXES = ('>', '<', '=', '!', '@', '')
# code -> (a negative or large example value, registers of its standard size)
CODES: dict[str, Any] = {
    'h': -12345,
    'H': 54321,
    'i': -2_000_000_001,
    'I': 4_000_000_001,
    'l': -1_999_999_999,
    'L': 3_999_999_999,
    'q': -9_000_000_000_000_000_001,
    'Q': 18_000_000_000_000_000_001,
    'f': 21.7,
    'd': -123456789.123456,
}


def address(fmt: str, registers: int, swap: bool = False, fc: int = 3) -> Address:
    return Address(1, fc, 0, registers, fmt, swap)


def to_registers(fmt: str, value: Any, registers: int, swap: bool) -> tuple[int, ...]:
    """What a device holding `value` sends: the packed bytes (pairs swapped if it swaps), as registers."""
    data = struct.pack(fmt, value).ljust(2 * registers, b'\0')
    if swap and registers in (2, 4):
        data = swap_adjacent_bytes(data)
    return struct.unpack(f'>{registers}H', data)


def expected(code: str, value: Any) -> Any:
    return Decimal(str(value)) if code == 'f' else value


@pytest.mark.parametrize('swap', [False, True])
@pytest.mark.parametrize('prefix', PREFIXES)
@pytest.mark.parametrize('code', list(CODES))
def test_every_format_byte_order_and_swap_round_trips(code: str, prefix: str, swap: bool) -> None:
    fmt = prefix + code
    registers = max(1, struct.calcsize(fmt) // 2)
    value = CODES[code]
    got = decode(to_registers(fmt, value, registers, swap), address(fmt, registers, swap))
    assert got == expected(code, value)


@pytest.mark.parametrize(
    ('registers', 'fmt', 'swap', 'value'),
    [
        ((0x3F80, 0x0000), '>f', False, Decimal('1')),  # ABCD, big endian
        ((0x0000, 0x803F), '<f', False, Decimal('1')),  # DCBA, little endian
        ((0x803F, 0x0000), '>f', True, Decimal('1')),  # BADC, bytes swapped in each register
        ((0x0000, 0x3F80), '<f', True, Decimal('1')),  # CDAB, words swapped: little endian plus byte swap
        ((0x41AD, 0x999A), '>f', False, Decimal('21.7')),  # the float32 nearest 21.7 reads as 21.7
        ((0xFFFF,), '>h', False, -1),
        ((0xFFFF,), '>H', False, 65535),
        ((0x0001, 0x0000), '>L', False, 65536),
        ((0x0100, 0x0000), '>L', True, 65536),
        ((0x0000, 0x0100), '<L', False, 65536),
        ((0x0000, 0x0001), '<L', False, 16777216),
        ((0x3FF0, 0, 0, 0), '>d', False, 1.0),
        ((0xF03F, 0, 0, 0), '>d', True, 1.0),  # ABCDEFGH -> BADCFEHG
        ((0x0102, 0x0304, 0x0506, 0x0708), '>q', True, 0x0201040306050807),
        ((0x0001, 0x0002), '>HH', False, 1),  # the first element is the value
        ((0x0000, 0x0002, 0x0000), '>L', False, 2),  # more registers than the format needs: it reads the start
    ],
)
def test_known_register_patterns(registers: tuple[int, ...], fmt: str, swap: bool, value: Any) -> None:
    got = decode(registers, address(fmt, len(registers), swap))
    assert got == value and type(got) is type(value)


def test_native_sizes_follow_struct() -> None:
    eight = struct.calcsize('@l')  # 8 on x86-64 Linux; '=l' is always 4
    assert decode(to_registers('@l', -5, eight // 2, False), address('@l', eight // 2)) == -5
    assert decode(to_registers('=l', -5, 2, False), address('=l', 2)) == -5


@pytest.mark.parametrize('bits', [(1,), (0, 1, 1), (True, False)])
@pytest.mark.parametrize('fc', [1, 2])
def test_coils_and_discrete_inputs_give_their_first_bit(fc: int, bits: tuple[int, ...]) -> None:
    assert decode(bits, Address(1, fc, 0, len(bits), '', False)) == int(bool(bits[0]))


@pytest.mark.parametrize(
    ('registers', 'fmt'),
    [((0x7FC0, 0x0000), '>f'), ((0x7F80, 0x0000), '>f'), ((0xFF80, 0x0000), '>f'), ((0x7FF8, 0, 0, 0), '>d')],
)
def test_nan_and_infinity_are_refused(registers: tuple[int, ...], fmt: str) -> None:
    with pytest.raises(DecodeError, match='decode to'):
        decode(registers, address(fmt, len(registers)))


def test_too_few_registers_are_refused() -> None:
    with pytest.raises(DecodeError, match='expected 2'):
        decode((1,), address('>f', 2))


def test_shortest_float32() -> None:
    for text in ('0.1', '21.7', '-3.4028235e+38', '123456.7', '1e-45'):
        assert shortest_float32(struct.unpack('<f', struct.pack('<f', float(text)))[0]) == Decimal(text)
    assert not math.isnan(float(shortest_float32(1.5)))


# ------------------------------------------------------------------------------------------- addresses
GOOD = {'slave_id': 1, 'function_code': 3, 'offset': 0, 'number_of_registers': 2, 'format': '>f', 'byte_swap': False}


def test_a_good_address_parses() -> None:
    assert parse_address(json.dumps(GOOD)) == Address(1, 3, 0, 2, '>f', False)
    assert parse_address({**GOOD, 'function_code': 1, 'format': ''}).is_bits


@pytest.mark.parametrize(
    ('address_text', 'message'),
    [
        ('{"slave_id": 1,', 'not valid JSON'),
        ('[1, 2]', 'JSON object'),
        (json.dumps({**GOOD, 'slave_id': 0}), 'slave_id must be between'),
        (json.dumps({**GOOD, 'slave_id': '1'}), 'slave_id must be an integer'),
        (json.dumps({**GOOD, 'function_code': 5}), 'function_code'),
        (json.dumps({**GOOD, 'offset': -1}), 'offset'),
        (json.dumps({**GOOD, 'number_of_registers': 0}), 'number_of_registers'),
        (json.dumps({**GOOD, 'number_of_registers': 126}), 'number_of_registers'),
        (json.dumps({**GOOD, 'offset': 65535}), 'past register 65535'),
        (json.dumps({**GOOD, 'format': '>z'}), 'not a struct format'),
        (json.dumps({**GOOD, 'format': '>4s'}), 'number type'),
        (json.dumps({**GOOD, 'format': ''}), 'struct format'),
        (json.dumps({**GOOD, 'format': '>d'}), 'needs 8 bytes'),
        (json.dumps({**GOOD, 'byte_swap': 'yes'}), 'byte_swap'),
    ],
)
def test_bad_addresses_say_why(address_text: str, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        parse_address(address_text)


# ------------------------------------------------------------------------------------------- planner
def reg(offset: int, count: int, slave: int = 1, fc: int = 3) -> Address:
    return Address(slave, fc, offset, count, '>H' if count == 1 else '>f' if count == 2 else '>d', False)


def test_adjacent_and_overlapping_registers_merge() -> None:
    points = [(1, reg(0, 2)), (2, reg(2, 2)), (3, reg(3, 1)), (4, reg(10, 4))]  # gap of 6 after register 4
    [request] = plan_requests(points)
    assert (request.offset, request.count) == (0, 14)
    assert [(m.point_id, m.start) for m in request.members] == [(1, 0), (2, 2), (3, 3), (4, 10)]


def test_large_gaps_other_slaves_and_function_codes_split() -> None:
    points = [(1, reg(0, 2)), (2, reg(20, 2)), (3, reg(0, 2, slave=2)), (4, reg(2, 2, fc=4))]
    requests = plan_requests(points)
    assert [(r.slave_id, r.function_code, r.offset, r.count) for r in requests] == [
        (1, 3, 0, 2),
        (1, 3, 20, 2),
        (1, 4, 2, 2),
        (2, 3, 0, 2),
    ]


def test_a_request_never_exceeds_125_registers() -> None:
    points = [(n, reg(n * 2, 2)) for n in range(200)]
    requests = plan_requests(points)
    assert all(r.count <= 125 for r in requests)
    assert sorted(m.point_id for r in requests for m in r.members) == list(range(200))
    assert len(requests) == 4  # 62 points (124 registers) per request
    for r in requests:
        for m in r.members:
            assert r.offset + m.start == m.address.offset


def test_bits_merge_up_to_2000() -> None:
    points = [(n, Address(1, 1, n * 10, 1, '', False)) for n in range(300)]
    requests = plan_requests(points)
    assert all(r.count <= 2000 for r in requests) and len(requests) == 2
    assert [len(r.members) for r in single_requests(requests[0])] == [1] * len(requests[0].members)


# ------------------------------------------------------------------------------------------- configuration
def test_connections() -> None:
    assert parse_connection('{"host": "10.0.0.5", "port": 502, "interval_in_seconds": 15}') == ('10.0.0.5', 502, 15.0)
    assert parse_connection('{"host": "h", "port": "502"}') == ('h', 502, None)
    for bad, message in (('{"port": 502}', 'host'), ('{"host": "h", "port": 0}', 'port'), ('x', 'JSON')):
        with pytest.raises(ValueError, match=message):
            parse_connection(bad)


def test_build_sources_reports_bad_rows_and_keeps_the_rest() -> None:
    good = json.dumps(GOOD)
    sources, problems = build_sources(
        [
            (1, 'Plant', '{"host": "127.0.0.1", "port": 15100, "interval_in_seconds": 5}'),
            (2, 'Broken', '{"host": ""}'),
            (3, 'No interval', '{"host": "127.0.0.1", "port": 15101}'),
        ],
        [
            (10, 'Good', 1, 'ENERGY_VALUE', Decimal('0.5'), Decimal(0), 1, good),
            (11, 'Bad JSON', 1, 'ANALOG_VALUE', Decimal(1), Decimal(0), 1, '{oops'),
            (12, 'Text', 1, 'TEXT_VALUE', Decimal(1), Decimal(0), 1, 'whatever'),
            (13, 'Other', 3, 'DIGITAL_VALUE', Decimal(1), Decimal(0), 0, good),
        ],
    )
    assert sorted(sources) == [1, 3]
    assert [p.id for p in sources[1].points] == [10] and sources[1].interval == 5
    assert sources[3].interval == DEFAULT_INTERVAL and len(sources[3].requests) == 1
    text = {str(p) for p in problems}
    assert any(t.startswith("point 11 ('Bad JSON'): bad address") for t in text)
    assert any(t.startswith("data source 2 ('Broken'): connection host") for t in text)
    assert any(t.startswith("data source 3 ('No interval'): interval_in_seconds") for t in text)
    assert len(problems) == 3
