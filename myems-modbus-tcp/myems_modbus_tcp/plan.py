"""Read planning: merge the points of one device into as few read requests as possible (pure).

Points of one (slave_id, function_code) whose registers are adjacent, overlapping or separated by a small
gap (``max_gap`` registers, default 8; 32 bits for coils and discrete inputs) are read in one request, as long
as the request stays within 125 registers (2,000 bits). Each point then decodes its own slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from myems_modbus_tcp.decode import MAX_BITS, MAX_REGISTERS, Address

DEFAULT_GAP_REGISTERS = 8
DEFAULT_GAP_BITS = 32


@dataclass(frozen=True, slots=True)
class Member:
    """One point inside a request: where its registers start in the response."""

    point_id: int
    address: Address
    start: int  # index into the response's registers or bits


@dataclass(frozen=True, slots=True)
class Request:
    slave_id: int
    function_code: int
    offset: int
    count: int
    members: tuple[Member, ...]


def plan_requests(
    points: Iterable[tuple[int, Address]],
    max_gap: int = DEFAULT_GAP_REGISTERS,
    max_gap_bits: int = DEFAULT_GAP_BITS,
    max_registers: int = MAX_REGISTERS,
    max_bits: int = MAX_BITS,
) -> list[Request]:
    """Requests covering every (point_id, address), ordered by slave, function code and offset."""
    groups: dict[tuple[int, int], list[tuple[int, Address]]] = {}
    for point_id, address in points:
        groups.setdefault((address.slave_id, address.function_code), []).append((point_id, address))
    requests: list[Request] = []
    for (slave_id, function_code), members in sorted(groups.items()):
        bits = function_code in (1, 2)
        gap, span = (max_gap_bits, max_bits) if bits else (max_gap, max_registers)
        members.sort(key=lambda m: (m[1].offset, m[1].end, m[0]))
        current: list[tuple[int, Address]] = []
        start = end = 0
        for point_id, address in members:
            if current and address.offset - end <= gap and max(end, address.end) - start <= span:
                current.append((point_id, address))
                end = max(end, address.end)
                continue
            if current:
                requests.append(_request(slave_id, function_code, start, end, current))
            current, start, end = [(point_id, address)], address.offset, address.end
        if current:
            requests.append(_request(slave_id, function_code, start, end, current))
    return requests


def _request(
    slave_id: int, function_code: int, start: int, end: int, members: Sequence[tuple[int, Address]]
) -> Request:
    return Request(
        slave_id, function_code, start, end - start, tuple(Member(p, a, a.offset - start) for p, a in members)
    )


def single_requests(request: Request) -> list[Request]:
    """The same points read one request each (when a merged request is refused by the device)."""
    return [
        Request(request.slave_id, request.function_code, m.address.offset, m.address.number_of_registers,
                (Member(m.point_id, m.address, 0),))
        for m in request.members
    ]  # fmt: skip
