"""From an MQTT payload to a point's raw value and time (pure).

The payload is JSON (UTF-8). The value at ``json_path`` must be a number, or a string holding a decimal
number; a DIGITAL_VALUE point also takes ``true``/``false`` as 1/0. NaN and infinities are refused. The
timestamp at ``timestamp_path`` may be an ISO-8601 text (with an offset or ``Z``; without one it is read as
UTC) or epoch seconds or milliseconds (a number, or a string of digits; values of 10^11 and more are
milliseconds). It is truncated to whole seconds and refused when it lies before 2000 or more than
``MAX_FUTURE`` after the arrival time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from myems_mqtt.addresses import Address
from myems_mqtt.jsonpath import PathError, extract

MAX_FUTURE = timedelta(minutes=15)
EARLIEST = datetime(2000, 1, 1)
MILLISECONDS_FROM = Decimal('1e11')
MAX_PAYLOAD_BYTES = 64 * 1024
_NUMBER = re.compile(r'^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$')
_EPOCH = datetime(1970, 1, 1)


class PayloadError(ValueError):
    """A payload that yields no reading; `reason` is a short category, str() the details."""

    def __init__(self, reason: str, detail: str = '') -> None:
        super().__init__(f'{reason}: {detail}' if detail else reason)
        self.reason = reason


def _constant(text: str) -> Decimal:
    return Decimal(text)  # NaN, Infinity, -Infinity: kept as Decimal and refused as not finite


def load_json(payload: bytes) -> Any:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError('too large', f'{len(payload)} bytes')
    try:
        return json.loads(payload.decode('utf-8'), parse_float=Decimal, parse_constant=_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError('not JSON', str(exc)[:80]) from None


def to_number(value: Any, object_type: str) -> Decimal | int:
    if isinstance(value, bool):
        if object_type == 'DIGITAL_VALUE':
            return int(value)
        raise PayloadError('not a number', repr(value))
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _NUMBER.match(value):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise PayloadError('not a number', repr(value[:40])) from None
    else:
        raise PayloadError('not a number', repr(value)[:40])
    if not number.is_finite():
        raise PayloadError('not finite', str(number))
    return number


def _from_epoch(number: Decimal | int) -> datetime:
    seconds = Decimal(number)
    if abs(seconds) >= MILLISECONDS_FROM:
        seconds /= 1000
    try:
        return _EPOCH + timedelta(seconds=int(seconds))  # int() truncates; pre-2000 times are refused later
    except (OverflowError, ValueError, ArithmeticError):
        raise PayloadError('bad timestamp', str(seconds)) from None


def to_utc(value: Any) -> datetime:
    """Naive UTC, whole seconds, from ISO-8601 text or epoch seconds/milliseconds."""
    if isinstance(value, bool):
        raise PayloadError('bad timestamp', repr(value))
    if isinstance(value, int | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise PayloadError('bad timestamp', str(value))
        when = _from_epoch(value)
    elif isinstance(value, str) and _NUMBER.match(value):
        when = _from_epoch(Decimal(value.strip()))
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PayloadError('bad timestamp', repr(value[:40])) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        when = parsed
    else:
        raise PayloadError('bad timestamp', repr(value)[:40])
    return when.replace(microsecond=0)


def decode(payload: bytes, address: Address, object_type: str, arrival: datetime) -> tuple[Decimal | int, datetime]:
    """(raw value, naive UTC time) of one point from one payload; PayloadError if there is none.

    `arrival` is the naive UTC time the message arrived; it is the reading's time when the address has no
    timestamp path, and the reference for refusing timestamps too far in the future.
    """
    return decode_document(load_json(payload), address, object_type, arrival)


def decode_document(
    document: Any, address: Address, object_type: str, arrival: datetime
) -> tuple[Decimal | int, datetime]:
    """As `decode`, from an already parsed payload (one parse serves every point of a topic)."""
    try:
        raw = extract(document, address.value_path)
    except PathError as exc:
        raise PayloadError('value missing', str(exc)) from None
    number = to_number(raw, object_type)
    if address.timestamp_path is None:
        return number, arrival.replace(microsecond=0)
    try:
        stamp = extract(document, address.timestamp_path)
    except PathError as exc:
        raise PayloadError('bad timestamp', str(exc)) from None
    when = to_utc(stamp)
    if when < EARLIEST:
        raise PayloadError('bad timestamp', f'{when.isoformat()} is before {EARLIEST.year}')
    if when > arrival + MAX_FUTURE:
        raise PayloadError('timestamp in the future', when.isoformat())
    return number, when
