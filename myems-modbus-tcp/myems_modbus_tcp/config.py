"""What to poll: the gateway's Modbus TCP data sources and their points, read from myems_system_db.

``build_sources`` is pure (rows in, configuration and problems out); ``load_sources`` runs the queries.
A data source's connection is ``{"host": ..., "port": ..., "interval_in_seconds": ...}``; an interval that is
missing or not a number in (0, 3600] becomes DEFAULT_INTERVAL (60 s; MyEMS uses 300 s), reported once as a
problem. A source without a usable host or port, or a point with an unusable address, is left out and reported
with its id, name and the reason; everything else keeps working. TEXT_VALUE points are not read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from myems_common.db import Database
from myems_modbus_tcp.decode import Address, AddressError, parse_address
from myems_modbus_tcp.plan import Request, plan_requests

PROTOCOL = 'modbus-tcp'
DEFAULT_INTERVAL = 60.0
MAX_INTERVAL = 3600.0
OBJECT_TYPES = frozenset({'ENERGY_VALUE', 'ANALOG_VALUE', 'DIGITAL_VALUE'})


@dataclass(frozen=True, slots=True)
class Problem:
    """A configuration row that cannot be used (or only with a default), for the log."""

    kind: str  # 'data source' or 'point'
    id: int
    name: str
    reason: str

    def __str__(self) -> str:
        return f'{self.kind} {self.id} ({self.name!r}): {self.reason}'


@dataclass(frozen=True, slots=True)
class PointConfig:
    id: int
    name: str
    object_type: str
    ratio: Decimal
    offset_constant: Decimal
    is_trend: bool
    address: Address


@dataclass(frozen=True)
class SourceConfig:
    id: int
    name: str
    host: str
    port: int
    interval: float
    points: tuple[PointConfig, ...]
    requests: tuple[Request, ...] = field(default=(), compare=False)

    @property
    def endpoint(self) -> str:
        return f'{self.host}:{self.port}'


def parse_connection(text: Any) -> tuple[str, int, float | None]:
    """(host, port, interval or None when missing/invalid) of a connection JSON; ValueError if unusable."""
    try:
        data = json.loads(text) if isinstance(text, str | bytes) else text
    except ValueError as exc:
        raise ValueError(f'connection is not valid JSON: {exc}') from None
    if not isinstance(data, dict):
        raise ValueError('connection must be a JSON object')
    host = data.get('host')
    if not isinstance(host, str) or not host.strip():
        raise ValueError(f'connection host must be a non-empty string, got {host!r}')
    port = data.get('port')
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f'connection port must be an integer in 1..65535, got {port!r}')
    interval = data.get('interval_in_seconds')
    good = isinstance(interval, int | float) and not isinstance(interval, bool) and 0 < interval <= MAX_INTERVAL
    return host.strip(), port, float(interval) if good else None  # type: ignore[arg-type]


def parse_point(row: Sequence[Any]) -> PointConfig:
    """A point row (id, name, data_source_id, object_type, ratio, offset_constant, is_trend, address)."""
    point_id, name, _, object_type, ratio, offset, is_trend, address = row
    try:
        parsed = parse_address(address)
    except AddressError as exc:
        raise ValueError(f'bad address {str(address)[:200]!r}: {exc}') from None
    return PointConfig(
        int(point_id), str(name), str(object_type), Decimal(ratio if ratio is not None else 1),
        Decimal(offset if offset is not None else 0), bool(is_trend), parsed,
    )  # fmt: skip


def build_sources(
    source_rows: Iterable[Sequence[Any]], point_rows: Iterable[Sequence[Any]]
) -> tuple[dict[int, SourceConfig], list[Problem]]:
    """Sources (id, name, connection) and their points, with the problems found."""
    problems: list[Problem] = []
    points: dict[int, list[PointConfig]] = {}
    for row in point_rows:
        if row[3] not in OBJECT_TYPES:
            continue  # TEXT_VALUE and unknown types are not read over Modbus
        try:
            points.setdefault(int(row[2]), []).append(parse_point(row))
        except ValueError as exc:
            problems.append(Problem('point', int(row[0]), str(row[1]), str(exc)))
    sources: dict[int, SourceConfig] = {}
    for source_id, name, connection in source_rows:
        try:
            host, port, interval = parse_connection(connection)
        except ValueError as exc:
            problems.append(Problem('data source', int(source_id), str(name), str(exc)))
            continue
        if interval is None:
            interval = DEFAULT_INTERVAL
            problems.append(
                Problem(
                    'data source', int(source_id), str(name), 'interval_in_seconds missing or not in (0, 3600]: 60 s'
                )
            )
        mine = tuple(points.get(int(source_id), ()))
        requests = tuple(plan_requests((p.id, p.address) for p in mine))
        sources[int(source_id)] = SourceConfig(int(source_id), str(name), host, port, interval, mine, requests)
    return sources, problems


SOURCES_SQL = 'SELECT id, name, connection FROM tbl_data_sources WHERE gateway_id = %s AND protocol = %s ORDER BY id'
POINTS_SQL = (
    'SELECT p.id, p.name, p.data_source_id, p.object_type, p.ratio, p.offset_constant, p.is_trend, p.address '
    'FROM tbl_points p JOIN tbl_data_sources s ON s.id = p.data_source_id '
    'WHERE s.gateway_id = %s AND s.protocol = %s AND p.is_virtual = 0 ORDER BY p.id'
)


class GatewayError(Exception):
    """The configured GATEWAY_ID and GATEWAY_TOKEN match no gateway."""


Rows = tuple[tuple[tuple[Any, ...], ...], tuple[tuple[Any, ...], ...]]


def fetch_rows(db: Database, gateway_id: int, token: str) -> Rows:
    """The gateway's Modbus TCP source rows and point rows (one transaction, a consistent snapshot).

    With a GATEWAY_TOKEN the gateway row must carry it; an empty token matches the gateway by id alone (as
    myems-mqtt does: convenient on the demo, set it in production).
    """
    with db.transaction('system') as cur:
        cur.execute('SELECT token FROM tbl_gateways WHERE id = %s', (gateway_id,))
        rows = cur.fetchall()
        if not rows:
            raise GatewayError(f'there is no gateway {gateway_id}')
        if token and str(rows[0][0]) != token:
            raise GatewayError(f'GATEWAY_TOKEN does not match the token of gateway {gateway_id}')
        cur.execute(SOURCES_SQL, (gateway_id, PROTOCOL))
        source_rows = tuple(tuple(r) for r in cur.fetchall())
        cur.execute(POINTS_SQL, (gateway_id, PROTOCOL))
        point_rows = tuple(tuple(r) for r in cur.fetchall())
    return source_rows, point_rows


def load_sources(db: Database, gateway_id: int, token: str) -> tuple[dict[int, SourceConfig], list[Problem]]:
    """The gateway's Modbus TCP sources and the problems found in their rows."""
    return build_sources(*fetch_rows(db, gateway_id, token))
