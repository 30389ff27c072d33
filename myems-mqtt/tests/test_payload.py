from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from myems_mqtt.addresses import parse_address
from myems_mqtt.payload import PayloadError, decode, to_utc

ARRIVAL = datetime(2026, 11, 26, 12, 0, 30)
WITH_TS = parse_address('{"topic": "t", "json_path": "$.value", "timestamp_path": "$.ts"}')
PLAIN = parse_address('{"topic": "t"}')


def reason(payload: bytes, address: object = WITH_TS, object_type: str = 'ENERGY_VALUE') -> str:
    with pytest.raises(PayloadError) as info:
        decode(payload, address, object_type, ARRIVAL)  # type: ignore[arg-type]
    return info.value.reason


def test_value_and_iso_timestamp() -> None:
    value, when = decode(b'{"value": 12.345, "ts": "2026-11-26T11:00:07Z"}', WITH_TS, 'ENERGY_VALUE', ARRIVAL)
    assert value == Decimal('12.345') and isinstance(value, Decimal)
    assert when == datetime(2026, 11, 26, 11, 0, 7)


def test_plain_number_uses_arrival_time() -> None:
    assert decode(b' 42\n', PLAIN, 'ANALOG_VALUE', ARRIVAL) == (42, ARRIVAL)
    assert decode(b'"-1.5e2"', PLAIN, 'ANALOG_VALUE', ARRIVAL) == (Decimal('-1.5e2'), ARRIVAL)


@pytest.mark.parametrize(
    ('stamp', 'expected'),
    [
        ('2026-11-26T13:00:07+01:00', datetime(2026, 11, 26, 12, 0, 7)),
        ('2026-11-26T12:00:07.999', datetime(2026, 11, 26, 12, 0, 7)),  # naive is UTC; truncated
        ('2026-11-26 12:00:07', datetime(2026, 11, 26, 12, 0, 7)),
        (1795694407, datetime(2026, 11, 26, 12, 0, 7)),
        (1795694407999, datetime(2026, 11, 26, 12, 0, 7)),  # milliseconds
        ('1795694407', datetime(2026, 11, 26, 12, 0, 7)),
        (Decimal('1795694407.75'), datetime(2026, 11, 26, 12, 0, 7)),
    ],
)
def test_timestamps(stamp: object, expected: datetime) -> None:
    assert to_utc(stamp) == expected


def test_digital_accepts_booleans_others_do_not() -> None:
    address = parse_address('{"topic": "t", "json_path": "$.on"}')
    assert decode(b'{"on": true}', address, 'DIGITAL_VALUE', ARRIVAL) == (1, ARRIVAL)
    assert reason(b'{"on": true}', address, 'ANALOG_VALUE') == 'not a number'


@pytest.mark.parametrize(
    ('payload', 'expected'),
    [
        (b'not json', 'not JSON'),
        (b'\xff\xfe', 'not JSON'),
        (b'{"value": 1', 'not JSON'),
        (b'{"other": 1, "ts": "2026-11-26T11:00:00Z"}', 'value missing'),
        (b'{"value": "abc", "ts": "2026-11-26T11:00:00Z"}', 'not a number'),
        (b'{"value": null, "ts": "2026-11-26T11:00:00Z"}', 'not a number'),
        (b'{"value": [1], "ts": "2026-11-26T11:00:00Z"}', 'not a number'),
        (b'{"value": NaN, "ts": "2026-11-26T11:00:00Z"}', 'not finite'),
        (b'{"value": Infinity, "ts": "2026-11-26T11:00:00Z"}', 'not finite'),
        (b'{"value": "nan", "ts": "2026-11-26T11:00:00Z"}', 'not a number'),
        (b'{"value": 1}', 'bad timestamp'),
        (b'{"value": 1, "ts": "yesterday"}', 'bad timestamp'),
        (b'{"value": 1, "ts": true}', 'bad timestamp'),
        (b'{"value": 1, "ts": 12}', 'bad timestamp'),
        (b'{"value": 1, "ts": 1e300}', 'bad timestamp'),
        (b'{"value": 1, "ts": "2026-11-26T12:20:00Z"}', 'timestamp in the future'),
        (b'{"value": 1, "ts": "9999-12-31T23:59:59"}', 'timestamp in the future'),
        (b'{"value": 1, "ts": "1999-12-31T23:59:59Z"}', 'bad timestamp'),
    ],
)
def test_malformed_payloads(payload: bytes, expected: str) -> None:
    assert reason(payload) == expected


def test_slightly_ahead_clock_is_accepted() -> None:
    _, when = decode(b'{"value": 1, "ts": "2026-11-26T12:10:00Z"}', WITH_TS, 'ENERGY_VALUE', ARRIVAL)
    assert when == datetime(2026, 11, 26, 12, 10)


def test_huge_payload_is_refused() -> None:
    assert reason(b' ' * 70_000 + b'1', PLAIN) == 'too large'
