"""One polling cycle of one data source: connect, read every planned request, decode and scale.

The connection is opened for the cycle and closed after it, so an edited host or port, a restarted device
or a half-open socket never outlives one cycle. Each request's readings carry the time its response
arrived. A timeout aborts the cycle (a hung device would otherwise cost one timeout per request) and marks
the slave that timed out as suspect: suspect slaves are read after all the others from then on (and take
turns), so one dead meter behind a gateway costs at most one timeout per cycle and never hides the others. A
Modbus exception answer to a merged request is retried as one request per point, and remembered, so one
missing register does not hide its neighbours.

modbus-tk's ``execute`` takes a lock shared by every master in the process; ``threadsafe=False`` turns it
off (each master here is used by one thread only), otherwise one hung device would stall all the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modbus_tk import modbus_tcp
from modbus_tk.exceptions import ModbusError

from myems_common.readings import Reading, scale, utc_now_seconds
from myems_modbus_tcp.config import PointConfig, SourceConfig
from myems_modbus_tcp.decode import DecodeError, decode
from myems_modbus_tcp.plan import Request, single_requests

log = logging.getLogger(__name__)

OK, DOWN, TIMEOUT, FAILED = 'ok', 'down', 'timeout', 'failed'


@dataclass
class Outcome:
    """What one cycle produced."""

    status: str  # OK (at least one successful read), DOWN (no connection), TIMEOUT, FAILED (nothing read)
    readings: list[Reading] = field(default_factory=list)
    reads: int = 0  # successful requests
    error: str = ''
    point_errors: dict[int, str] = field(default_factory=dict)  # point id -> reason, this cycle


@dataclass
class SourceMemory:
    """What a source's cycles learn: merged requests that the device refuses are split from then on."""

    split: set[tuple[int, int, int, int]] = field(default_factory=set)
    suspects: list[int] = field(default_factory=list)  # slaves that timed out, the next to try first

    def order(self, requests: tuple[Request, ...]) -> list[Request]:
        if not self.suspects:
            return list(requests)
        rank = {slave: n for n, slave in enumerate(self.suspects)}
        return sorted(requests, key=lambda r: rank.get(r.slave_id, -1))  # stable: others keep their order

    def timed_out(self, slave_id: int) -> None:
        if slave_id in self.suspects:
            self.suspects.remove(slave_id)
        self.suspects.append(slave_id)

    def answered(self, slave_id: int) -> None:
        if slave_id in self.suspects:
            self.suspects.remove(slave_id)


def _key(r: Request) -> tuple[int, int, int, int]:
    return r.slave_id, r.function_code, r.offset, r.count


def _open(source: SourceConfig, timeout: float) -> Any:
    master = modbus_tcp.TcpMaster(host=source.host, port=source.port, timeout_in_sec=timeout)
    master.open()
    return master


def _close(master: Any) -> None:
    try:
        master.close()
    except OSError:
        log.debug('closing a Modbus connection failed', exc_info=True)


def _execute(master: Any, request: Request) -> Any:
    return master.execute(
        request.slave_id, request.function_code, request.offset, request.count, threadsafe=False
    )  # fmt: skip


def _readings(request: Request, values: Any, points: dict[int, PointConfig], outcome: Outcome) -> None:
    when = utc_now_seconds()
    for member in request.members:
        point = points.get(member.point_id)
        if point is None:
            continue
        part = values[member.start : member.start + member.address.number_of_registers]
        try:
            value = scale(decode(part, member.address), point.object_type, point.ratio, point.offset_constant)
        except (DecodeError, ValueError) as exc:
            outcome.point_errors[point.id] = str(exc)
            continue
        outcome.readings.append(Reading(point.id, point.object_type, when, value, point.is_trend))


def poll_source(
    source: SourceConfig,
    timeout: float,
    memory: SourceMemory | None = None,
    opener: Callable[[SourceConfig, float], Any] = _open,
) -> Outcome:
    """Read every point of `source` once."""
    memory = memory if memory is not None else SourceMemory()
    try:
        master = opener(source, timeout)
    except OSError as exc:
        return Outcome(DOWN, error=f'cannot connect to {source.endpoint}: {exc}')
    outcome = Outcome(FAILED)
    points = {p.id: p for p in source.points}
    pending = memory.order(source.requests)
    request = None
    try:
        while pending:
            request = pending.pop(0)
            if len(request.members) > 1 and _key(request) in memory.split:
                pending[:0] = single_requests(request)
                continue
            try:
                values = _execute(master, request)
                memory.answered(request.slave_id)
            except ModbusError as exc:
                memory.answered(request.slave_id)
                if len(request.members) > 1:
                    memory.split.add(_key(request))
                    pending[:0] = single_requests(request)
                    continue
                for m in request.members:
                    outcome.point_errors[m.point_id] = f'device answered with Modbus exception {exc}'
                continue
            outcome.reads += 1
            _readings(request, values, points, outcome)
    except TimeoutError:  # socket.timeout is TimeoutError
        slave = request.slave_id if request is not None else 0
        memory.timed_out(slave)
        outcome.status, outcome.error = TIMEOUT, f'{source.endpoint} slave {slave} did not answer within {timeout} s'
    except Exception as exc:  # noqa: BLE001 - a broken connection or a garbled answer ends this cycle only
        outcome.error = f'reading {source.endpoint} failed: {type(exc).__name__}: {exc}'
    finally:
        _close(master)
    if outcome.reads and outcome.status != TIMEOUT:
        outcome.status = OK
    elif outcome.reads == 0 and outcome.status == FAILED and not outcome.error and source.requests:
        outcome.error = 'no request succeeded'
    return outcome
