"""What the benchmarks share: databases of their own on the test stack's server, and result files."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

from myems_common.config import DATABASES, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'bench' / 'results'
TEST_ENV = ROOT / '.run' / 'test' / 'env.sh'


def bench_settings(prefix: str = 'myems_bench_') -> Settings:
    """The test stack's server with databases <prefix><key>_db (never the demo's)."""
    if os.environ.get('MYEMS_STACK') != 'test':
        if not TEST_ENV.exists():
            sys.exit('the test stack is not running: scripts/stack.sh start test')
        for line in TEST_ENV.read_text().splitlines():
            if line.startswith('export ') and '=' in line:
                name, value = line[len('export ') :].split('=', 1)
                os.environ[name] = value
    settings = load_settings()
    databases = {
        key: dataclasses.replace(cfg, database=prefix + DATABASES[key].removeprefix('myems_'))
        for key, cfg in settings.databases.items()
    }
    return dataclasses.replace(settings, databases=databases)


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f'{name}.json'
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def recreate_databases(settings: Settings) -> None:
    """Drop and install the bench databases named by `settings` (refuses names without 'bench')."""
    from myems_common import db as dbmod
    from myems_common.schema import install, migrate

    conn = dbmod.connect(settings.db('system'), database=None, autocommit=True)
    try:
        cur = conn.cursor()
        for cfg in settings.databases.values():
            assert 'bench' in cfg.database, cfg.database
            cur.execute(f'DROP DATABASE IF EXISTS `{cfg.database}`')
    finally:
        conn.close()
    install(settings)
    migrate(settings)


def settle(db: Any, seconds: float = 180.0) -> float:
    """Wait until the server has written out what a bulk load left behind (dirty pages, undo history to purge),
    so that a measurement does not compete with it. Returns the seconds waited."""
    import time

    began = time.monotonic()
    calm = 0
    while time.monotonic() - began < seconds and calm < 3:
        status = dict(
            db.fetch_all(
                'system',
                'SELECT variable_name, variable_value FROM information_schema.global_status WHERE variable_name IN'
                " ('INNODB_BUFFER_POOL_PAGES_DIRTY', 'INNODB_HISTORY_LIST_LENGTH')",
            )
        )
        quiet = int(status.get('INNODB_BUFFER_POOL_PAGES_DIRTY', 0)) < 2000
        calm = calm + 1 if quiet and int(status.get('INNODB_HISTORY_LIST_LENGTH', 0)) < 1000 else 0
        time.sleep(1)
    return time.monotonic() - began
