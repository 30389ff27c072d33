"""Fixtures for the Modbus acquisition tests: loopback device servers, configuration rows, a running daemon.

In-test servers use ports 15100-15299. Configuration rows go into the session's fresh test databases
(gateway 1, whose token the install generated) with ids of their own, and are deleted after each test.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from myems_common.db import Database
from myems_common.readings import Reading, ReadingWriter
from myems_demo.devices import DeviceServer
from myems_modbus_tcp.service import Acquisition, Options

MODBUS_TK_WARNING = r'ignore:isSet\(\) is deprecated:DeprecationWarning'  # modbus-tk 1.1.5's server thread


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line('filterwarnings', MODBUS_TK_WARNING)


_ports = itertools.count(15100)
_ids = itertools.count(7001)


def free_port() -> int:
    """The next port in 15100-15299 that nothing listens on."""
    for port in _ports:
        if port > 15299:
            break
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError('no free port left in 15100-15299')


def next_id() -> int:
    return next(_ids)


def wait_for(check: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail with the last value after `timeout` s."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f'condition not met within {timeout} s (last value {value!r})')


class HungDevice:
    """Accepts TCP connections and never answers."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.clients: list[socket.socket] = []
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.clients.append(client)
            self.accepted += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for c in self.clients:
            c.close()
        self.sock.close()


@pytest.fixture
def servers() -> Iterator[Callable[[int], DeviceServer]]:
    """A factory of started DeviceServers on given ports, stopped at the end."""
    made: list[DeviceServer] = []

    def make(port: int) -> DeviceServer:
        server = DeviceServer(port)
        server.start()
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


class Config:
    """Inserts data sources and points for gateway 1; removes them afterwards."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self.sources: list[int] = []
        self.points: list[int] = []
        row = database.fetch_one('system', 'SELECT token FROM tbl_gateways WHERE id = 1')
        assert row is not None
        self.token = str(row[0])

    def source(self, port: int, interval: float = 1, name: str | None = None, connection: str | None = None) -> int:
        source_id = next_id()
        if connection is None:
            connection = json.dumps({'host': '127.0.0.1', 'port': port, 'interval_in_seconds': interval})
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_data_sources (id, name, uuid, gateway_id, protocol, connection) '
                "VALUES (%s, %s, %s, 1, 'modbus-tcp', %s)",
                (source_id, name or f'Test Source {source_id}', str(uuid.uuid4()), connection),
            )
        self.sources.append(source_id)
        return source_id

    def point(
        self,
        source_id: int,
        address: dict[str, Any] | str,
        object_type: str = 'ANALOG_VALUE',
        ratio: Decimal | int = 1,
        offset_constant: Decimal | int = 0,
        name: str | None = None,
        is_trend: bool = True,
    ) -> int:
        point_id = next_id()
        text = address if isinstance(address, str) else json.dumps(address)
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_points (id, name, data_source_id, object_type, units, high_limit, low_limit, ratio, '
                'offset_constant, is_trend, is_virtual, address) '
                'VALUES (%s, %s, %s, %s, %s, 1e12, -1e12, %s, %s, %s, 0, %s)',
                (point_id, name or f'Test Point {point_id}', source_id, object_type, 'u', ratio, offset_constant,
                 is_trend, text),
            )  # fmt: skip
        self.points.append(point_id)
        return point_id

    def cleanup(self) -> None:
        with self.db.transaction('system') as cur:
            for table, ids in (('tbl_points', self.points), ('tbl_data_sources', self.sources)):
                if ids:
                    cur.execute(f'DELETE FROM {table} WHERE id IN ({", ".join(["%s"] * len(ids))})', ids)


@pytest.fixture
def config(database: Database) -> Iterator[Config]:
    c = Config(database)
    yield c
    c.cleanup()


def address(slave: int, offset: int, fmt: str, registers: int, fc: int = 3, swap: bool = False) -> dict[str, Any]:
    return {
        'slave_id': slave,
        'function_code': fc,
        'offset': offset,
        'number_of_registers': registers,
        'format': fmt,
        'byte_swap': swap,
    }


class RecordingWriter(ReadingWriter):
    """A real ReadingWriter that also remembers every reading submitted to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submitted: list[Reading] = []
        self._record_lock = threading.Lock()

    def submit(self, readings: Any) -> None:
        batch = list(readings)
        with self._record_lock:
            self.submitted.extend(batch)
        super().submit(batch)

    def readings_of(self, point_id: int) -> list[Reading]:
        with self._record_lock:
            return [r for r in self.submitted if r.point_id == point_id]


class Running:
    """An Acquisition running in a thread."""

    def __init__(self, acquisition: Acquisition, writer: RecordingWriter) -> None:
        self.acquisition, self.writer = acquisition, writer
        self.thread = threading.Thread(target=acquisition.run, daemon=True)

    def stop(self) -> None:
        self.acquisition.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()


@pytest.fixture
def run_acquisition(tmp_path: Path, config: Config) -> Iterator[Callable[..., Running]]:
    """Start an Acquisition for gateway 1 over a Database (the test databases unless given)."""
    started: list[tuple[Running, Database]] = []

    def start(db: Database | None = None, token: str | None = None, **options: Any) -> Running:
        db = db or Database(config.db.settings)
        base = Options(
            spool_dir=tmp_path / 'spool', reload_seconds=1.0, timeout=1.0, max_backoff=4, last_seen_seconds=0.5
        )
        opts = dataclasses.replace(base, **options)
        writer = RecordingWriter(db, opts.spool_dir, flush_interval=0.1, retry_max_seconds=1.0)
        acquisition = Acquisition(db, 1, config.token if token is None else token, opts, writer)
        running = Running(acquisition, writer)
        running.thread.start()
        started.append((running, db))
        return running

    yield start
    for running, db in started:
        if running.thread.is_alive():
            running.stop()
        db.close()


class PrivateMariaDB:
    """A MariaDB server of the test's own (datadir, socket, port), to stop and start at will.

    The outage test must never stop the shared test server; this one is created like scripts/stack.sh does
    (mariadb-install-db, mariadbd --no-defaults on 127.0.0.1, an application user for myems_%).
    """

    SQL_MODE = (
        'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,'
        'NO_ENGINE_SUBSTITUTION'
    )

    def __init__(self, root: Path, port: int, user: str = 'myems', password: str = 'myems') -> None:
        self.root, self.port, self.user, self.password = root, port, user, password
        self.datadir, self.socket = root / 'data', root / 'mariadb.sock'
        self.process: subprocess.Popen[bytes] | None = None

    def init(self) -> None:
        self.datadir.mkdir(parents=True)
        subprocess.run(
            ['mariadb-install-db', '--no-defaults', '--user=root', f'--datadir={self.datadir}',
             '--auth-root-authentication-method=socket', '--skip-test-db'],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.start()
        grants = (
            f"CREATE USER IF NOT EXISTS '{self.user}'@'127.0.0.1' IDENTIFIED BY '{self.password}'; "
            f"GRANT ALL ON `myems\\_%`.* TO '{self.user}'@'127.0.0.1'; FLUSH PRIVILEGES;"
        )
        subprocess.run(
            ['mariadb', '--no-defaults', '--user=root', f'--socket={self.socket}', '-e', grants],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    def start(self) -> None:
        assert self.process is None
        log = (self.root / 'mariadb.log').open('ab')
        self.process = subprocess.Popen(
            ['mariadbd', '--no-defaults', '--user=root', f'--datadir={self.datadir}', f'--socket={self.socket}',
             f'--pid-file={self.root / "mariadb.pid"}', '--skip-networking=0', '--bind-address=127.0.0.1',
             f'--port={self.port}', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci',
             '--default-time-zone=+00:00', f'--sql-mode={self.SQL_MODE}', '--innodb-buffer-pool-size=64M',
             '--max-connections=100'],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ['mariadb-admin', '--no-defaults', '--user=root', f'--socket={self.socket}', 'ping'],
                capture_output=True,
            )  # fmt: skip
            if ping.returncode == 0:
                return
            assert self.process.poll() is None, (self.root / 'mariadb.log').read_text()[-2000:]
            time.sleep(0.2)
        raise AssertionError('the private MariaDB did not start')

    def stop(self) -> None:
        """Shut the server down (SIGTERM) and wait for it."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(60)
            self.process = None

    def settings(self, base: Any) -> Any:
        from myems_common.config import DATABASES

        databases = {
            key: dataclasses.replace(cfg, host='127.0.0.1', port=self.port, database=DATABASES[key],
                                     user=self.user, password=self.password)
            for key, cfg in base.databases.items()
        }  # fmt: skip
        return dataclasses.replace(base, databases=databases)


@pytest.fixture
def private_mariadb() -> Iterator[PrivateMariaDB]:
    root = Path(tempfile.mkdtemp(prefix='mb-mariadb-'))  # short: the socket path must fit 107 bytes
    server = PrivateMariaDB(root, free_port())
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
