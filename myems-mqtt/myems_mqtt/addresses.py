"""Parsing and checking a data source's connection JSON and a point's address JSON (pure).

Connection of a data source of protocol ``mqtt``::

    {"host": "127.0.0.1", "port": 1883, "topic_prefix": "lindenhof/hotel/water", "qos": 1,
     "username": "...", "password": "...", "client_id": "...", "keepalive": 60, "tls": false}

``host`` is required; ``port`` defaults to 1883 (8883 with ``tls``), ``qos`` to 1, ``keepalive`` to 60 s.
``tls: true`` verifies the broker against the system's CA certificates. ``client_id`` defaults to one that is
stable per gateway and broker (``myems-g<gateway>-<hash of host, port, user>``), so the broker keeps the
session, and the QoS 1 messages published while the daemon is away, across restarts. Sources that name the
same broker, credentials and client id share one client.

Address of a point::

    {"topic": "lindenhof/hotel/water/340", "json_path": "$.value", "timestamp_path": "$.ts"}

``topic`` is one MQTT topic, without wildcards. A topic that does not start with the source's
``topic_prefix`` is taken relative to it (``"340"`` under prefix ``a/b`` is ``a/b/340``). ``json_path``
(see jsonpath.py) picks the value; absent or ``$`` means the payload itself is the number. ``timestamp_path``
is optional: without it the arrival time is the reading's time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from myems_mqtt.jsonpath import PathError, Step, parse_path

OBJECT_TYPES = frozenset({'ENERGY_VALUE', 'ANALOG_VALUE', 'DIGITAL_VALUE'})
MAX_TOPIC_LENGTH = 1024


class AddressError(ValueError):
    """A connection or address JSON that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Broker:
    """What one paho client connects with; sources with equal Brokers share a client."""

    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    keepalive: int = 60
    tls: bool = False

    def label(self) -> str:
        return f'{self.host}:{self.port} as {self.client_id}'


@dataclass(frozen=True, slots=True)
class Connection:
    broker: Broker
    topic_prefix: str
    qos: int


@dataclass(frozen=True, slots=True)
class Address:
    topic: str
    value_path: tuple[Step, ...]
    timestamp_path: tuple[Step, ...] | None


@dataclass(frozen=True, slots=True)
class PointSpec:
    """Everything on_message needs to turn a payload into a reading of one point."""

    point_id: int
    name: str
    data_source_id: int
    object_type: str
    ratio: Decimal
    offset_constant: Decimal
    is_trend: bool
    address: Address


def _load_object(text: Any, what: str) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise AddressError(f'{what} is not valid JSON ({exc})') from None
    if not isinstance(value, dict):
        raise AddressError(f'{what} must be a JSON object')
    return value


def _integer(data: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AddressError(f'"{key}" must be an integer in {low}..{high}, got {value!r}')
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        raise AddressError(f'"{key}" must be a string')
    return value


def default_client_id(gateway_id: int, host: str, port: int, username: str | None) -> str:
    digest = hashlib.sha256(f'{host}:{port}:{username or ""}'.encode()).hexdigest()[:8]
    return f'myems-g{gateway_id}-{digest}'


def parse_connection(text: Any, gateway_id: int) -> Connection:
    data = _load_object(text, 'connection')
    host = data.get('host')
    if not isinstance(host, str) or not host.strip():
        raise AddressError('"host" must be a non-empty string')
    tls = data.get('tls', False)
    if not isinstance(tls, bool):
        raise AddressError('"tls" must be true or false')
    port = _integer(data, 'port', 8883 if tls else 1883, 1, 65535)
    qos = _integer(data, 'qos', 1, 0, 2)
    keepalive = _integer(data, 'keepalive', 60, 5, 3600)
    username, password = _optional_text(data, 'username'), _optional_text(data, 'password')
    prefix = _optional_text(data, 'topic_prefix') or ''
    if '+' in prefix or '#' in prefix:
        raise AddressError('"topic_prefix" must not contain wildcards')
    client_id = _optional_text(data, 'client_id') or default_client_id(gateway_id, host.strip(), port, username)
    broker = Broker(host.strip(), port, client_id, username, password, keepalive, tls)
    return Connection(broker, prefix.rstrip('/'), qos)


def full_topic(topic: str, prefix: str) -> str:
    if not prefix or topic == prefix or topic.startswith(prefix + '/'):
        return topic
    return f'{prefix}/{topic.lstrip("/")}'


def parse_address(text: Any, prefix: str = '') -> Address:
    data = _load_object(text, 'address')
    topic = data.get('topic')
    if not isinstance(topic, str) or not topic.strip():
        raise AddressError('"topic" must be a non-empty string')
    topic = full_topic(topic.strip(), prefix)
    if '+' in topic or '#' in topic or '\x00' in topic:
        raise AddressError(f'"topic" {topic!r} must name one topic (no wildcards)')
    if len(topic.encode()) > MAX_TOPIC_LENGTH:
        raise AddressError(f'"topic" is longer than {MAX_TOPIC_LENGTH} bytes')
    try:
        value_path = parse_path(data.get('json_path'))
        stamp = data.get('timestamp_path')
        timestamp_path = None if stamp is None or stamp == '' else parse_path(stamp)
    except PathError as exc:
        raise AddressError(str(exc)) from None
    if timestamp_path == ():
        raise AddressError('"timestamp_path" must name a field, not the whole payload')
    return Address(topic, value_path, timestamp_path)
