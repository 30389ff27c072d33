"""Fixtures for myems-mqtt tests over the test stack's Mosquitto and MariaDB: a gateway per test, its data
sources and points, a running daemon, a publisher and a TCP proxy that can cut a connection."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from myems_mqtt.daemon import MqttDaemon


def wait_until(check: Callable[[], Any], timeout: float = 20.0, what: str = 'condition') -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.1)


class Site:
    """A gateway of its own with helpers to add mqtt data sources and points (one per test)."""

    def __init__(self, database: Any, settings: Any) -> None:
        self.db = database
        self.token = str(uuid.uuid4())
        self.prefix = f'test/{uuid.uuid4().hex[:12]}'
        with database.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_gateways (name, uuid, token) VALUES (%s, %s, %s)',
                (f'gw {self.prefix}', str(uuid.uuid4()), self.token),
            )
            self.gateway_id = cur.lastrowid
        self.settings = dataclasses.replace(settings, gateway_id=self.gateway_id, gateway_token=self.token)

    def source(self, port: int | None = None, **extra: Any) -> int:
        connection = {'host': self.settings.mqtt_broker_host, 'port': port or self.settings.mqtt_broker_port,
                      'topic_prefix': self.prefix, 'qos': 1, **extra}  # fmt: skip
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_data_sources (name, uuid, gateway_id, protocol, connection) '
                "VALUES (%s, %s, %s, 'mqtt', %s)",
                (f'mqtt {self.prefix}', str(uuid.uuid4()), self.gateway_id, json.dumps(connection)),
            )
            return int(cur.lastrowid)

    def point(
        self, source_id: int, address: Any, *, kind: str = 'ENERGY_VALUE', ratio: str = '1', offset: str = '0',
        name: str | None = None,
    ) -> int:  # fmt: skip
        text = address if isinstance(address, str) else json.dumps(address)
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_points (name, data_source_id, object_type, units, high_limit, low_limit, ratio, '
                'offset_constant, is_trend, is_virtual, address) VALUES (%s, %s, %s, %s, 0, 0, %s, %s, 1, 0, %s)',
                (name or f'point {uuid.uuid4().hex[:6]}', source_id, kind, 'u', Decimal(ratio), Decimal(offset), text),
            )
            return int(cur.lastrowid)

    def set_address(self, point_id: int, address: Any) -> None:
        with self.db.transaction('system') as cur:
            cur.execute('UPDATE tbl_points SET address = %s WHERE id = %s', (json.dumps(address), point_id))

    def values(self, point_id: int, table: str = 'tbl_energy_value') -> list[tuple[Any, ...]]:
        return self.db.fetch_all(
            'historical',
            f'SELECT utc_date_time, actual_value FROM {table} WHERE point_id = %s ORDER BY utc_date_time',
            (point_id,),
        )

    def latest(self, point_id: int, table: str = 'tbl_energy_value') -> tuple[Any, ...] | None:
        return self.db.fetch_one(
            'historical', f'SELECT utc_date_time, actual_value FROM {table}_latest WHERE point_id = %s', (point_id,)
        )


@pytest.fixture
def site(database: Any, settings: Any) -> Site:
    return Site(database, settings)


@pytest.fixture
def start_daemon(site: Site, tmp_path: Path) -> Iterator[Callable[..., MqttDaemon]]:
    """start_daemon(settings=None) -> a running daemon that has loaded its configuration once."""
    started: list[MqttDaemon] = []

    def start(settings: Any = None, wait: bool = True) -> MqttDaemon:
        daemon = MqttDaemon(
            settings or site.settings, tmp_path / f'spool{len(started)}', reload_seconds=0.5, last_seen_seconds=0.5
        )
        daemon.start()
        started.append(daemon)
        if wait:
            wait_until(daemon.loaded.is_set, what='the configuration')
            wait_until(lambda: all(c.connected.is_set() for c in daemon.clients.values()), what='the broker')
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


class Publisher:
    def __init__(self, host: str, port: int) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f'test-pub-{uuid.uuid4().hex[:8]}')
        self.client.connect(host, port)
        self.client.loop_start()

    def send(self, topic: str, payload: str | bytes | dict[str, Any]) -> None:
        data = json.dumps(payload) if isinstance(payload, dict) else payload
        self.client.publish(topic, data, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(settings: Any) -> Iterator[Publisher]:
    pub = Publisher(settings.mqtt_broker_host, settings.mqtt_broker_port)
    yield pub
    pub.close()


class Proxy:
    """A TCP relay from a local port to `target`; cut() drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        for s in ([listener] if listener else []) + sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                down, _ = listener.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(self.target, timeout=5)
            except OSError:
                down.close()
                continue
            up.settimeout(None)
            with self._lock:
                self._sockets += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def proxy_factory() -> Iterator[Callable[[tuple[str, int]], Proxy]]:
    made: list[Proxy] = []

    def make(target: tuple[str, int]) -> Proxy:
        proxy = Proxy(target)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.cut()


@pytest.fixture(name='wait_until')
def wait_until_fixture() -> Callable[..., Any]:
    return wait_until
