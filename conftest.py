"""Shared pytest fixtures: the test stack (its own MariaDB, Redis and Mosquitto) and fresh databases.

`make test` starts the test stack (ports 3307, 6380, 1884, state in .run/test) and runs pytest. The
fixtures here read .run/test/env.sh when the environment does not already point at the test stack,
and refuse to run against anything else, so the tests can never drop the demo's databases.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
