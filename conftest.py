"""Shared pytest fixtures: the test stack (its own MariaDB, Redis and Mosquitto) and fresh databases.

`make test` starts the test stack (ports 3307, 6380, 1884, state in .run/test) and runs pytest. The
fixtures here read .run/test/env.sh when the environment does not already point at the test stack,
and refuse to run against anything else, so the tests can never drop the demo's databases.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent

# The same examples on every run and machine: a property test fails for a reason, never by the draw.
hypothesis_settings.register_profile('ems', derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.load_profile('ems')
TEST_ENV = ROOT / '.run' / 'test' / 'env.sh'


def _load_test_env() -> None:
    if os.environ.get('MYEMS_STACK') == 'test':
        return
    if not TEST_ENV.exists():
        pytest.exit('the test stack is not running: run `make test` or `scripts/stack.sh start test`', returncode=3)
    for line in TEST_ENV.read_text().splitlines():
        if line.startswith('export ') and '=' in line:
            name, value = line[len('export ') :].split('=', 1)
            os.environ[name] = value


def drop_databases(settings: object) -> None:
    """Drop the thirteen databases named by `settings` (test stack only)."""
    from myems_common import db as dbmod
    from myems_common.config import DATABASES, Settings

    assert isinstance(settings, Settings)
    assert os.environ.get('MYEMS_STACK') == 'test', 'refusing to drop databases outside the test stack'
    conn = dbmod.connect(settings.db('system'), database=None, autocommit=True)
    try:
        cur = conn.cursor()
        for key in DATABASES:
            cur.execute(f'DROP DATABASE IF EXISTS `{settings.db(key).database}`')
    finally:
        conn.close()


def with_prefix(settings: object, prefix: str) -> object:
    """The same settings with every database name prefixed: myems_system_db -> myems_<prefix>system_db.

    MYEMS_TEST_DB_PREFIX lets several test sessions share one test server without touching each other.
    """
    import dataclasses

    if not prefix:
        return settings
    databases = {
        key: dataclasses.replace(cfg, database='myems_' + prefix + cfg.database.removeprefix('myems_'))
        for key, cfg in settings.databases.items()  # type: ignore[attr-defined]
    }
    return dataclasses.replace(settings, databases=databases)  # type: ignore[type-var]


@pytest.fixture(scope='session')
def settings() -> object:
    """Settings pointing at the test stack, with freshly installed and migrated databases."""
    _load_test_env()
    from myems_common.config import load_settings
    from myems_common.schema import install, migrate

    loaded = with_prefix(load_settings(), os.environ.get('MYEMS_TEST_DB_PREFIX', ''))
    drop_databases(loaded)
    install(loaded)
    migrate(loaded)
    return loaded


@pytest.fixture(scope='session')
def database(settings: object) -> Iterator[object]:
    """A Database (pools) over the test stack's fresh databases."""
    from myems_common.db import Database

    db = Database(settings)  # type: ignore[arg-type]
    yield db
    db.close()


def _named_settings(settings: object, name: str) -> object:
    """`settings` with every database renamed myems_<session prefix><name>_<key>_db."""
    import dataclasses

    from myems_common.config import DATABASES

    base = {key: dataclasses.replace(cfg, database=DATABASES[key]) for key, cfg in settings.databases.items()}  # type: ignore[attr-defined]
    prefix = os.environ.get('MYEMS_TEST_DB_PREFIX', '') + name + '_'
    return with_prefix(dataclasses.replace(settings, databases=base), prefix)  # type: ignore[type-var]


@pytest.fixture(scope='session')
def fresh_databases(settings: object) -> Iterator[object]:
    """A factory: fresh_databases('demo') -> settings of a separate, freshly installed set of databases.

    For tests that load data the shared databases should not carry; every set is dropped at the end.
    """
    from myems_common.schema import install, migrate

    made: list[object] = []

    def make(name: str) -> object:
        named = _named_settings(settings, name)
        drop_databases(named)
        install(named)  # type: ignore[arg-type]
        migrate(named)  # type: ignore[arg-type]
        made.append(named)
        return named

    yield make
    for named in made:
        drop_databases(named)


@pytest.fixture
def isolated_settings(settings: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """Settings whose thirteen database names carry a per-test prefix (nothing installed), dropped afterwards.

    For tests that install, migrate or damage a schema without disturbing the shared databases.
    """
    import zlib

    isolated = _named_settings(settings, 't' + format(zlib.crc32(request.node.nodeid.encode()), '08x'))
    drop_databases(isolated)
    yield isolated
    drop_databases(isolated)


# ------------------------------------------------------------------------------ a small metered world
@dataclass
class World:
    db: Any  # myems_common.db.Database
    settings: Any

    def meter(self, name: str, low: Decimal = Decimal(0), high: Decimal = Decimal(10**9)) -> tuple[int, int]:
        """A meter with one energy point; (meter id, point id)."""
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_data_sources (name, uuid, gateway_id, protocol, connection) VALUES'
                " (%s, UUID(), 1, 'modbus-tcp', '{}')",
                (f'{name} source',),
            )
            source = cur.lastrowid
            cur.execute(
                'INSERT INTO tbl_points (name, data_source_id, object_type, units, high_limit, low_limit, is_trend,'
                " address) VALUES (%s, %s, 'ENERGY_VALUE', 'kWh', %s, %s, 1, '{}')",
                (f'{name} counter', source, high, low),
            )
            point = cur.lastrowid
            cur.execute(
                'INSERT INTO tbl_meters (name, uuid, energy_category_id, is_counted, hourly_low_limit,'
                ' hourly_high_limit, cost_center_id) VALUES (%s, UUID(), 1, 1, 0, 0, 1)',
                (name,),
            )
            meter = cur.lastrowid
            cur.execute('INSERT INTO tbl_meters_points (meter_id, point_id) VALUES (%s, %s)', (meter, point))
        return int(meter), int(point)

    def analog(self, name: str, address: str = '{}', is_virtual: bool = False) -> int:
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_points (name, data_source_id, object_type, units, high_limit, low_limit, is_trend,'
                " is_virtual, address) VALUES (%s, 1, 'ANALOG_VALUE', 'kW', 1e6, -1e6, 1, %s, %s)",
                (name, is_virtual, address),
            )
            return int(cur.lastrowid)

    def readings(self, point: int, rows: Iterable[tuple[datetime, Decimal | float | int]]) -> None:
        """Stored the way acquisition stores them (trend rows, *_latest, late ones reported to cleaning)."""
        from myems_common.readings import ENERGY, Reading, write_batch

        with self.db.transaction('historical') as cur:
            write_batch(cur, [Reading(point, ENERGY, t, Decimal(str(v))) for t, v in rows])

    def virtual_meter(self, name: str, equation: str, variables: dict[str, tuple[str, int]]) -> int:
        with self.db.transaction('system') as cur:
            cur.execute(
                'INSERT INTO tbl_virtual_meters (name, uuid, equation, energy_category_id, is_counted, cost_center_id)'
                ' VALUES (%s, UUID(), %s, 1, 1, 1)',
                (name, equation),
            )
            vm = int(cur.lastrowid)
            for symbol, (kind, target) in variables.items():
                cur.execute(
                    'INSERT INTO tbl_variables (name, virtual_meter_id, meter_type, meter_id) VALUES (%s, %s, %s, %s)',
                    (symbol, vm, kind, target),
                )
        return vm

    def slots(self, meter: int, kind: str = 'meter') -> list[tuple[datetime, Decimal, int]]:
        return [
            (t, v, int(e))
            for t, v, e in self.db.fetch_all(
                'energy',
                f'SELECT start_datetime_utc, actual_value, is_estimated FROM tbl_{kind}_hourly WHERE {kind}_id = %s'
                ' ORDER BY start_datetime_utc',
                (meter,),
            )
        ]

    def flags(self, point: int) -> dict[datetime, tuple[int | None, str | None]]:
        rows = self.db.fetch_all(
            'historical', 'SELECT utc_date_time, is_bad, bad_reason FROM tbl_energy_value WHERE point_id = %s', (point,)
        )
        return {t: (bad, reason) for t, bad, reason in rows}


@pytest.fixture
def world(fresh_databases: Any, request: pytest.FixtureRequest) -> Iterator[World]:
    """A fresh set of databases for one test, with helpers to write meters and readings into it."""
    yield from _world(fresh_databases, request)


@pytest.fixture
def metered_world(fresh_databases: Any, request: pytest.FixtureRequest) -> Iterator[World]:
    """`world` under a name no package's own conftest overrides (the aggregation tests have their own)."""
    yield from _world(fresh_databases, request)


def _world(fresh_databases: Any, request: pytest.FixtureRequest) -> Iterator[World]:
    from myems_common.db import Database

    settings = fresh_databases(re.sub(r'\W', '_', request.node.name)[-20:].lower())
    db = Database(settings)
    yield World(db, settings)
    db.close()
