"""Point addresses and register decoding: pure, no I/O.

A point's address is MyEMS's JSON::

    {"slave_id": 1, "function_code": 3, "offset": 0, "number_of_registers": 2, "format": ">f", "byte_swap": false}

* function codes 1 (coils) and 2 (discrete inputs) read bits: the value is the first bit, 0 or 1, and
  ``format`` and ``byte_swap`` are not used;
* function codes 3 (holding registers) and 4 (input registers) read 16-bit registers. Their bytes, in wire
  order (each register big-endian), are unpacked with ``format``, a Python struct format (``>f``, ``<L``,
  ``=d``, ``!h``, ``@q``...), and the first element is the value. A ``<`` prefix reads the register bytes
  reversed (little endian), as MyEMS does. ``@`` or no prefix means native order and native sizes (on x86-64
  ``@l`` is 8 bytes; ``=l`` is 4).
* ``byte_swap`` swaps adjacent bytes before unpacking when there are 2 or 4 registers (ABCD -> BADC,
  ABCDEFGH -> BADCFEHG), for devices that send each register little-endian. Other counts are unchanged.

A float32 value becomes the shortest decimal that is the same float32 (a register holding 21.7 gives
Decimal('21.7'), not 21.700000762939453); a float64 becomes its shortest repr. NaN and infinity are refused.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

BIT_FUNCTIONS = frozenset({1, 2})
REGISTER_FUNCTIONS = frozenset({3, 4})
MAX_REGISTERS = 125  # per read request (Modbus spec, function codes 3 and 4)
MAX_BITS = 2000  # per read request (function codes 1 and 2)
_NUMERIC = frozenset('bBhHiIlLqQnNefd?')
_PREFIXES = frozenset('@=<>!')


class AddressError(ValueError):
    """A point address that cannot be used; the message says why."""


class DecodeError(ValueError):
    """Registers that do not give a usable value (NaN, infinity, too few)."""


@dataclass(frozen=True, slots=True)
class Address:
    slave_id: int
    function_code: int
    offset: int
    number_of_registers: int  # registers for fc 3/4, bits for fc 1/2
    format: str
    byte_swap: bool

    @property
    def is_bits(self) -> bool:
        return self.function_code in BIT_FUNCTIONS

    @property
    def end(self) -> int:
        return self.offset + self.number_of_registers


def _integer(data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AddressError(f'{name} must be an integer, got {value!r}')
    if not low <= value <= high:
        raise AddressError(f'{name} must be between {low} and {high}, got {value}')
    return value


def check_format(fmt: Any, registers: int) -> str:
    """A struct format whose first element is a number and that fits in `registers` registers."""
    if not isinstance(fmt, str) or not fmt:
        raise AddressError(f'format must be a Python struct format such as ">f", got {fmt!r}')
    try:
        size = struct.calcsize(fmt)
    except struct.error as exc:
        raise AddressError(f'format {fmt!r} is not a struct format: {exc}') from None
    body = fmt[1:] if fmt[0] in _PREFIXES else fmt
    first = body.lstrip('0123456789')[:1]
    if first not in _NUMERIC:
        raise AddressError(f'format {fmt!r} must start with a number type (h H i I l L q Q f d ...)')
    if size > 2 * registers:
        raise AddressError(
            f'format {fmt!r} needs {size} bytes but number_of_registers {registers} gives {2 * registers}'
        )
    return fmt


def parse_address(text: Any) -> Address:
    """The Address in a point's JSON text (or already-parsed dict); AddressError says what is wrong."""
    if isinstance(text, str | bytes):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise AddressError(f'address is not valid JSON: {exc}') from None
    else:
        data = text
    if not isinstance(data, dict):
        raise AddressError(f'address must be a JSON object, got {type(data).__name__}')
    slave_id = _integer(data, 'slave_id', 1, 255)
    function_code = _integer(data, 'function_code', 1, 4)
    offset = _integer(data, 'offset', 0, 65535)
    limit = MAX_BITS if function_code in BIT_FUNCTIONS else MAX_REGISTERS
    count = _integer(data, 'number_of_registers', 1, limit)
    if offset + count > 65536:
        raise AddressError(f'offset {offset} + number_of_registers {count} goes past register 65535')
    byte_swap = data.get('byte_swap', False)
    if not isinstance(byte_swap, bool):
        raise AddressError(f'byte_swap must be true or false, got {byte_swap!r}')
    fmt = data.get('format', '')
    if function_code in REGISTER_FUNCTIONS:
        fmt = check_format(fmt, count)
    return Address(slave_id, function_code, offset, count, fmt if isinstance(fmt, str) else '', byte_swap)


def registers_to_bytes(registers: Any) -> bytes:
    """Wire order: each 16-bit register big-endian."""
    return struct.pack(f'>{len(registers)}H', *registers)


def swap_adjacent_bytes(data: bytes) -> bytes:
    """ABCD -> BADC (and ABCDEFGH -> BADCFEHG)."""
    swapped = bytearray(data)
    swapped[0::2], swapped[1::2] = data[1::2], data[0::2]
    return bytes(swapped)


def shortest_float32(value: float) -> Decimal:
    """The shortest decimal that rounds to the same float32 as `value`."""
    packed = struct.pack('<f', value)
    for digits in range(1, 10):
        text = f'{value:.{digits}g}'
        try:
            if struct.pack('<f', float(text)) == packed:
                return Decimal(text)
        except OverflowError:  # rounded past the largest float32
            continue
    return Decimal(repr(value))  # pragma: no cover - 9 significant digits always round-trip a float32


def decode_registers(registers: Any, address: Address) -> int | Decimal | float:
    """The value of a register point from its registers (exactly address.number_of_registers of them)."""
    if len(registers) < address.number_of_registers:
        raise DecodeError(f'expected {address.number_of_registers} registers, got {len(registers)}')
    data = registers_to_bytes(registers[: address.number_of_registers])
    if address.byte_swap and address.number_of_registers in (2, 4):
        data = swap_adjacent_bytes(data)
    value = struct.unpack_from(address.format, data)[0]
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DecodeError(f'registers {list(registers)} decode to {value} with format {address.format!r}')
        code = address.format.lstrip('@=<>!').lstrip('0123456789')[:1]
        return shortest_float32(value) if code in ('f', 'e') else value
    return int(value)


def decode_bits(bits: Any, address: Address) -> int:
    """The value of a coil or discrete input point: its first bit."""
    if not bits:
        raise DecodeError('no bits in the response')
    return 1 if bits[0] else 0


def decode(values: Any, address: Address) -> int | Decimal | float:
    return decode_bits(values, address) if address.is_bits else decode_registers(values, address)
