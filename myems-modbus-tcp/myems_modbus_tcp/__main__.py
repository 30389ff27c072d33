"""Entry point: python -m myems_modbus_tcp.

Reads the gateway's Modbus TCP data sources (GATEWAY_ID, GATEWAY_TOKEN) from myems_system_db and polls them
until SIGTERM or SIGINT, then writes what it has (or leaves it in the spool for the next start).

Settings of this service (environment, besides the shared ones in the README):

* MYEMS_MODBUS_RELOAD_SECONDS (30, 5..3600): how often the configuration is re-read;
* MYEMS_MODBUS_TIMEOUT_SECONDS (3): socket timeout of a connection and of each request;
* MYEMS_MODBUS_MAX_BACKOFF_SECONDS (300): longest wait before retrying a device that refused the connection;
* MYEMS_MODBUS_WORKERS (32): worker threads, i.e. data sources read at the same time;
* MYEMS_MODBUS_SPOOL_DIR ($MYEMS_RUN_DIR/spool/modbus-tcp-g<GATEWAY_ID>, ./spool/... without MYEMS_RUN_DIR):
  the disk buffer used while the database is away;
* MYEMS_MODBUS_SPOOL_MAX_MB (256): its bound; beyond it the oldest readings are dropped (and logged).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from myems_common.config import ConfigError, load_settings
from myems_common.db import Database
from myems_common.logsetup import setup_logging
from myems_modbus_tcp.service import Acquisition, Options

log = logging.getLogger('myems_modbus_tcp')


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f'{name} must be a number, got {raw!r}') from None
    if not low <= value <= high:
        raise ConfigError(f'{name} must be between {low:g} and {high:g}, got {raw}')
    return value


def load_options(gateway_id: int, env: Mapping[str, str] | None = None) -> Options:
    env = os.environ if env is None else env
    default_spool = Path(env.get('MYEMS_RUN_DIR') or '.') / 'spool' / f'modbus-tcp-g{gateway_id}'
    return Options(
        spool_dir=Path(env.get('MYEMS_MODBUS_SPOOL_DIR') or default_spool),
        reload_seconds=_number(env, 'MYEMS_MODBUS_RELOAD_SECONDS', 30, 5, 3600),
        timeout=_number(env, 'MYEMS_MODBUS_TIMEOUT_SECONDS', 3, 0.1, 60),
        max_backoff=_number(env, 'MYEMS_MODBUS_MAX_BACKOFF_SECONDS', 300, 1, 86400),
        workers=int(_number(env, 'MYEMS_MODBUS_WORKERS', 32, 1, 512)),
        max_spool_bytes=int(_number(env, 'MYEMS_MODBUS_SPOOL_MAX_MB', 256, 1, 1_000_000) * 1024 * 1024),
    )


def main() -> int:
    try:
        settings = load_settings()
        options = load_options(settings.gateway_id)
    except ConfigError as exc:
        setup_logging('INFO')
        log.error('%s', exc)
        return 2
    setup_logging(settings.log_level)
    db = Database(settings)
    service = Acquisition(db, settings.gateway_id, settings.gateway_token, options)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info('signal %d: stopping', signum)
        service.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info('Modbus TCP acquisition for gateway %d starting (spool %s)', settings.gateway_id, options.spool_dir)
    try:
        service.run()
    finally:
        db.close()
    log.info('stopped: %s', service.writer.stats())
    return 0


if __name__ == '__main__':
    sys.exit(main())
