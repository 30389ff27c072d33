"""python -m myems_modbus_tcp as a process: settings from the environment, readings stored, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from myems_common.config import ConfigError, database_env
from myems_common.db import Database
from myems_demo.devices import DeviceServer
from myems_modbus_tcp.__main__ import load_options

from .conftest import Config, address, free_port, wait_for


def test_options_from_the_environment() -> None:
    options = load_options(3, {'MYEMS_RUN_DIR': '/srv/run', 'MYEMS_MODBUS_TIMEOUT_SECONDS': '1.5'})
    assert options.spool_dir == Path('/srv/run/spool/modbus-tcp-g3') and options.timeout == 1.5
    assert options.reload_seconds == 30 and options.max_backoff == 300 and options.workers == 32
    with pytest.raises(ConfigError, match='MYEMS_MODBUS_WORKERS must be a number'):
        load_options(1, {'MYEMS_MODBUS_WORKERS': 'many'})
    with pytest.raises(ConfigError, match='MYEMS_MODBUS_RELOAD_SECONDS must be between'):
        load_options(1, {'MYEMS_MODBUS_RELOAD_SECONDS': '1'})


def test_the_daemon_process_stores_readings_and_stops_on_sigterm(
    config: Config, servers: Callable[[int], DeviceServer], database: Database, settings: Any, tmp_path: Path
) -> None:
    port = free_port()
    servers(port).set_value(3, 10, '<f', 230.5)
    point = config.point(config.source(port, interval=1), address(3, 10, '<f', 2), 'ANALOG_VALUE')
    env = dict(os.environ, GATEWAY_ID='1', GATEWAY_TOKEN=config.token, MYEMS_MODBUS_SPOOL_DIR=str(tmp_path / 'spool'))
    env.update(database_env(settings))
    log_path = tmp_path / 'daemon.log'
    with log_path.open('wb') as log:
        process = subprocess.Popen([sys.executable, '-m', 'myems_modbus_tcp'], env=env, stdout=log, stderr=log)
    try:
        wait_for(
            lambda: database.fetch_one(
                'historical', 'SELECT actual_value FROM tbl_analog_value_latest WHERE point_id = %s', (point,)
            ),
            20,
        )
        assert database.fetch_one(
            'historical', 'SELECT actual_value FROM tbl_analog_value_latest WHERE point_id = %s', (point,)
        ) == (Decimal('230.500000'),)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = log_path.read_text()
    assert 'stopping' in text and 'stopped' in text and 'Traceback' not in text
