"""Simulated Modbus TCP devices: ``python -m myems_demo.devices``.

    python -m myems_demo.devices                      # the demo campus's meters and signals, live
    python -m myems_demo.devices --fleet 5000 --ports 25 --base-port 15100   # the benchmark fleet

Campus mode serves the Modbus data sources of ``campus.DATA_SOURCES`` (ports MODBUS_BASE_PORT + n), one slave
per meter at the address campus.py gives it. Energy counters continue from each point's newest stored reading
(``tbl_energy_value_latest``, when the database is reachable; otherwise a plausible start value) and advance in
real time along the same load shapes as the history (``simulate``); analog and digital points follow the same
signals as their history. Registers are refreshed every ``--update-seconds``.

Fleet mode serves N devices with 4 points each (``FLEET_POINTS``: an energy counter as a double, power and
temperature as floats, a status word) spread over K ports, up to 200 slaves per port, for the benchmark and tests.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from modbus_tk import defines, modbus_tcp

from myems_demo.campus import ANALOG_POINTS, DATA_SOURCES, DIGITAL_POINTS, LITRE_REGISTERS, METERS, build_points
from myems_demo.simulate import (
    SLOT_MINUTES,
    SLOT_SECONDS,
    Axis,
    Counter,
    Simulation,
    build_axis,
    pump_status,
    signal_value,
    start_counter,
)

log = logging.getLogger('myems_demo.devices')

BLOCK = 'registers'
MAX_SLAVES_PER_PORT = 200


def pack_registers(fmt: str, value: Any) -> list[int]:
    """The registers a device sends for `value` in struct format `fmt` (wire order, big-endian registers)."""
    data = struct.pack(fmt, value)
    if len(data) % 2:
        data += b'\0'
    return list(struct.unpack(f'>{len(data) // 2}H', data))


class DeviceServer:
    """One Modbus TCP server (one port) with any number of slaves, each with holding and input registers
    (the same values) and coils/discrete inputs."""

    def __init__(self, port: int, host: str = '127.0.0.1', size: int = 1024) -> None:
        self.host, self.port, self.size = host, port, size
        self.server = modbus_tcp.TcpServer(port=port, address=host, timeout_in_sec=1)
        self.slaves: dict[int, Any] = {}

    def slave(self, slave_id: int) -> Any:
        if slave_id not in self.slaves:
            s = self.server.add_slave(slave_id)
            s.add_block(BLOCK, defines.HOLDING_REGISTERS, 0, self.size)
            s.add_block(BLOCK + '-in', defines.ANALOG_INPUTS, 0, self.size)
            s.add_block('coils', defines.COILS, 0, self.size)
            s.add_block('inputs', defines.DISCRETE_INPUTS, 0, self.size)
            self.slaves[slave_id] = s
        return self.slaves[slave_id]

    def set_registers(self, slave_id: int, offset: int, registers: Sequence[int]) -> None:
        s = self.slave(slave_id)
        s.set_values(BLOCK, offset, list(registers))
        s.set_values(BLOCK + '-in', offset, list(registers))

    def set_value(self, slave_id: int, offset: int, fmt: str, value: Any) -> None:
        self.set_registers(slave_id, offset, pack_registers(fmt, value))

    def set_bits(self, slave_id: int, offset: int, bits: Sequence[int]) -> None:
        s = self.slave(slave_id)
        s.set_values('coils', offset, list(bits))
        s.set_values('inputs', offset, list(bits))

    def start(self) -> None:
        """Start serving, returning once the port accepts connections (modbus-tk binds in its own thread)."""
        self.server.start()
        deadline = time.monotonic() + 5
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        self.server.stop()


# ------------------------------------------------------------------------------------------- campus
@dataclass(frozen=True)
class Register:
    point_id: int
    data_source_id: int
    slave_id: int
    offset: int
    fmt: str


def campus_registers() -> list[Register]:
    """Where every Modbus point of the campus lives."""
    modbus = {d.id for d in DATA_SOURCES}
    out = []
    for p in build_points():
        if p.data_source_id in modbus:
            a = json.loads(p.address)
            out.append(Register(p.id, p.data_source_id, a['slave_id'], a['offset'], a['format']))
    return out


def campus_ports() -> dict[int, int]:
    """Data source id -> port."""
    return {d.id: int(json.loads(d.connection)['port']) for d in DATA_SOURCES}


class CampusValues:
    """Values of the campus points at any moment, continuing from given (time, value) resume points."""

    HORIZON = timedelta(days=2)

    def __init__(self, resume: dict[int, tuple[datetime, float]], now: datetime, seed: int = 7) -> None:
        self.seed = seed
        self.meters = {m.id: m for m in METERS}
        self._build(resume, now)

    def _build(self, resume: dict[int, tuple[datetime, float]], now: datetime) -> None:
        earliest = min([when for when, _ in resume.values()] + [now - timedelta(hours=1)])
        earliest = max(earliest, now - timedelta(days=30))  # an old history is continued from a month back
        self.axis: Axis = build_axis(earliest, now + self.HORIZON, self.seed)
        self.sim = Simulation(METERS, self.axis, self.seed)
        self.counters = {m: Counter(self.axis, self.sim.get(m)) for m in self.meters}
        self.offsets: dict[int, float] = {}
        for meter_id, counter in self.counters.items():
            if meter_id in resume:
                when, value = resume[meter_id]
                self.offsets[meter_id] = value - counter.at_time(max(when, self.axis.start))
            else:
                self.offsets[meter_id] = start_counter(self.meters[meter_id])

    def ensure(self, now: datetime) -> None:
        """Extend the axis before it runs out, keeping every counter continuous."""
        if now < self.axis.start:
            raise ValueError(f'{now} is before the simulation, which starts at {self.axis.start}')
        if now + timedelta(hours=1) >= self.axis.start + self.axis.slots * timedelta(minutes=SLOT_MINUTES):
            self._build({m: (now, self.counter(m, now)) for m in self.meters}, now)

    def counter(self, meter_id: int, now: datetime) -> float:
        return self.offsets[meter_id] + self.counters[meter_id].at_time(now)

    def slot(self, now: datetime) -> int:
        return min(int((now - self.axis.start).total_seconds() // SLOT_SECONDS), self.axis.slots - 1)

    def power_kw(self, meter_id: int, now: datetime) -> float:
        return self.sim.get(meter_id)[self.slot(now)] * 60 / SLOT_MINUTES

    def values(self, now: datetime) -> dict[int, float | int]:
        """Point id -> value (energy counters in the point's units; analog; digital)."""
        self.ensure(now)
        out: dict[int, float | int] = {m: self.counter(m, now) for m in self.meters}
        moment = self.axis.moments[self.slot(now)]
        for s in ANALOG_POINTS:
            meter = int(s.signal.partition(':')[2]) if s.signal.startswith('power:') else None
            power = self.power_kw(meter, now) if meter is not None else 0.0
            wobble = 0.05 * math.sin(now.timestamp() / 97.0 + s.id)
            out[s.id] = round(signal_value(s.signal, moment, power) + wobble, 3)
        for s in DIGITAL_POINTS:
            out[s.id] = pump_status(s.signal, moment)
        return out


def register_value(register: Register, value: float | int) -> float | int:
    """What the device register holds for a point value (litre registers count litres, modulo 2^32)."""
    if register.fmt in ('>L', '>H'):
        scaled = value * 1000 if register.point_id in LITRE_REGISTERS else value
        return int(round(scaled)) % (2**32 if register.fmt == '>L' else 2**16)
    return float(value)


def stored_resume(db: Any) -> dict[int, tuple[datetime, float]]:
    """The newest stored energy reading per point, if the database can be reached (else empty)."""
    try:
        rows = db.fetch_all('historical', 'SELECT point_id, utc_date_time, actual_value FROM tbl_energy_value_latest')
    except Exception as exc:  # noqa: BLE001 - the simulator runs without a database too
        log.warning('cannot read the stored counters (%s); counters start from plausible values', exc)
        return {}
    return {int(p): (when, float(v)) for p, when, v in rows}


class Campus:
    """The campus devices: one server per Modbus data source, registers refreshed from CampusValues."""

    def __init__(
        self,
        resume: dict[int, tuple[datetime, float]],
        host: str = '127.0.0.1',
        ports: dict[int, int] | None = None,
        now: datetime | None = None,
    ) -> None:
        self.registers = campus_registers()
        ports = ports or campus_ports()
        self.servers = {ds: DeviceServer(port, host) for ds, port in ports.items()}
        self.start_time = now or utc_now()
        self.values = CampusValues(resume, self.start_time)

    def update(self, now: datetime) -> None:
        values = self.values.values(now)
        for r in self.registers:
            self.servers[r.data_source_id].set_value(r.slave_id, r.offset, r.fmt, register_value(r, values[r.point_id]))

    def start(self) -> None:
        self.update(self.start_time)
        for server in self.servers.values():
            server.start()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


# ------------------------------------------------------------------------------------------- fleet
# (offset, format, object type, name) of the four points of every fleet device: one 9-register request.
FLEET_POINTS = (
    (0, '>d', 'ENERGY_VALUE', 'Active Energy'),
    (4, '>f', 'ANALOG_VALUE', 'Active Power'),
    (6, '>f', 'ANALOG_VALUE', 'Temperature'),
    (8, '>H', 'DIGITAL_VALUE', 'Status'),
)


@dataclass(frozen=True)
class FleetDevice:
    number: int  # 0-based
    port: int
    slave_id: int


def fleet_layout(devices: int, ports: int, base_port: int) -> list[FleetDevice]:
    """N devices over K ports, round-robin, at most 200 slaves per port."""
    if ports < 1 or devices < 0:
        raise ValueError('need at least one port and no negative device count')
    if devices > ports * MAX_SLAVES_PER_PORT:
        raise ValueError(f'{devices} devices need at least {math.ceil(devices / MAX_SLAVES_PER_PORT)} ports')
    return [FleetDevice(n, base_port + n % ports, 1 + n // ports) for n in range(devices)]


def fleet_value(device: FleetDevice, point: int, seconds: float) -> float | int:
    """A fleet point's value `seconds` after the epoch: counters rise, power and temperature wave, status flips."""
    n = device.number
    if point == 0:
        return round(1000.0 + n + seconds * (0.001 + (n % 17) / 10000), 3)
    if point == 1:
        return round(5.0 + (n % 11) + 2.0 * math.sin(seconds / 300 + n), 3)
    if point == 2:
        return round(20.0 + 3.0 * math.sin(seconds / 900 + n / 7), 2)
    return int(seconds // 600 + n) % 2


class Fleet:
    def __init__(self, devices: int, ports: int, base_port: int, host: str = '127.0.0.1') -> None:
        self.layout = fleet_layout(devices, ports, base_port)
        self.servers = {p: DeviceServer(p, host, size=16) for p in sorted({d.port for d in self.layout})}

    def update(self, now: datetime) -> None:
        seconds = now.replace(tzinfo=UTC).timestamp()
        for d in self.layout:
            registers: list[int] = []
            for k, (_, fmt, _, _) in enumerate(FLEET_POINTS):
                registers += pack_registers(fmt, fleet_value(d, k, seconds))
            self.servers[d.port].set_registers(d.slave_id, 0, registers)

    def start(self) -> None:
        self.update(utc_now())
        for server in self.servers.values():
            server.start()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


# ------------------------------------------------------------------------------------------- command line
def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def serve(devices: Campus | Fleet, update_seconds: float, stop: threading.Event) -> None:
    devices.start()
    try:
        while not stop.wait(update_seconds):
            started = time.monotonic()
            devices.update(utc_now())
            log.debug('registers refreshed in %.3f s', time.monotonic() - started)
    finally:
        devices.stop()


def parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m myems_demo.devices', description=__doc__.splitlines()[0])
    parser.add_argument('--fleet', type=int, default=None, metavar='N', help='serve N benchmark devices instead')
    parser.add_argument('--ports', type=int, default=1, help='fleet: number of ports (default 1)')
    parser.add_argument('--base-port', type=int, default=15100, help='fleet: first port (default 15100)')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (default 127.0.0.1)')
    parser.add_argument('--update-seconds', type=float, default=5.0, help='register refresh period (default 5)')
    parser.add_argument('--no-db', action='store_true', help='campus: do not read stored counters')
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Iterable[str] | None = None) -> int:
    from myems_common.config import load_settings
    from myems_common.db import Database
    from myems_common.logsetup import setup_logging

    args = parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level)
    devices: Campus | Fleet
    if args.fleet is not None:
        devices = Fleet(args.fleet, args.ports, args.base_port, args.host)
        log.info('serving %d fleet devices on ports %s', args.fleet, sorted(devices.servers))
    else:
        resume: dict[int, tuple[datetime, float]] = {}
        if not args.no_db:
            db = Database(settings)
            resume = stored_resume(db)
            db.close()
        devices = Campus(resume, args.host)
        log.info(
            'serving %d campus points (%d counters continued from stored readings) on ports %s',
            len(devices.registers), len(resume), sorted(s.port for s in devices.servers.values()),
        )  # fmt: skip
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serve(devices, args.update_seconds, stop)
    log.info('stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
