"""What the daemon subscribes to: the gateway's mqtt data sources and their points, read from myems_system_db.

`build_plan` is pure (rows in, plan out) so that every rule about bad configuration is unit-tested;
`load_plan` only runs the queries. A source or point that cannot be used is left out and reported as a
`Problem`, and everything else keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from myems_mqtt.addresses import OBJECT_TYPES, AddressError, Broker, PointSpec, parse_address, parse_connection

SOURCES_SQL = (
    "SELECT id, name, connection FROM tbl_data_sources WHERE gateway_id = %s AND protocol = 'mqtt' ORDER BY id"
)
POINTS_SQL = (
    'SELECT p.id, p.name, p.data_source_id, p.object_type, p.ratio, p.offset_constant, p.is_trend, p.address '
    'FROM tbl_points p JOIN tbl_data_sources ds ON ds.id = p.data_source_id '
    "WHERE ds.gateway_id = %s AND ds.protocol = 'mqtt' AND p.is_virtual = 0 ORDER BY p.id"
)
GATEWAY_SQL = 'SELECT id, name, token FROM tbl_gateways WHERE id = %s'


class GatewayError(RuntimeError):
    """The configured gateway does not exist or its token does not match."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A configuration row that was left out. `key` changes when the row is edited (to log each version once)."""

    key: tuple[Any, ...]
    message: str


@dataclass
class BrokerPlan:
    broker: Broker
    topics: dict[str, int] = field(default_factory=dict)  # topic -> QoS of the subscription
    routes: dict[str, tuple[PointSpec, ...]] = field(default_factory=dict)  # topic -> points fed by it
    source_ids: set[int] = field(default_factory=set)


@dataclass
class Plan:
    brokers: dict[Broker, BrokerPlan] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def point_count(self) -> int:
        return sum(len(points) for b in self.brokers.values() for points in b.routes.values())


def build_plan(gateway_id: int, sources: Iterable[Sequence[Any]], points: Iterable[Sequence[Any]]) -> Plan:
    """sources: (id, name, connection); points: (id, name, data_source_id, object_type, ratio,
    offset_constant, is_trend, address)."""
    plan = Plan()
    connections = {}
    for source_id, name, text in sources:
        try:
            connections[int(source_id)] = parse_connection(text, gateway_id)
        except AddressError as exc:
            plan.problems.append(
                Problem(('source', source_id, text), f'data source {source_id} {name!r}: bad connection: {exc}')
            )
    for point_id, name, source_id, object_type, ratio, offset, is_trend, text in points:
        connection = connections.get(int(source_id))
        if connection is None:
            continue  # its data source is reported already
        try:
            if object_type not in OBJECT_TYPES:
                raise AddressError(f'object type {object_type!r} is not acquired over MQTT')
            address = parse_address(text, connection.topic_prefix)
        except AddressError as exc:
            plan.problems.append(Problem(('point', point_id, text, object_type), f'point {point_id} {name!r}: {exc}'))
            continue
        spec = PointSpec(
            int(point_id), name, int(source_id), object_type, Decimal(ratio), Decimal(offset), bool(is_trend), address
        )
        target = plan.brokers.setdefault(connection.broker, BrokerPlan(connection.broker))
        target.topics[address.topic] = max(target.topics.get(address.topic, 0), connection.qos)
        target.routes[address.topic] = target.routes.get(address.topic, ()) + (spec,)
        target.source_ids.add(spec.data_source_id)
    return plan


def check_gateway(row: Sequence[Any] | None, gateway_id: int, token: str) -> None:
    if row is None:
        raise GatewayError(f'gateway {gateway_id} does not exist in tbl_gateways')
    if token and row[2] != token:
        raise GatewayError(f'GATEWAY_TOKEN does not match the token of gateway {gateway_id} {row[1]!r}')


def load_plan(db: Any, gateway_id: int, token: str) -> Plan:
    """Read the plan in one transaction. GatewayError if the gateway is unknown or the token wrong.

    An empty GATEWAY_TOKEN matches the gateway by id alone (convenient on a demo; set it in production).
    """
    with db.transaction('system') as cur:
        cur.execute(GATEWAY_SQL, (gateway_id,))
        check_gateway(cur.fetchone(), gateway_id, token)
        cur.execute(SOURCES_SQL, (gateway_id,))
        sources = cur.fetchall()
        cur.execute(POINTS_SQL, (gateway_id,))
        points = cur.fetchall()
    return build_plan(gateway_id, sources, points)
