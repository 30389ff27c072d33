"""Entry point: python -m myems_mqtt.

Serves every data source of protocol ``mqtt`` of the gateway GATEWAY_ID (and GATEWAY_TOKEN, when set) until
SIGTERM or SIGINT. Readings that cannot reach the database wait in a disk spool: MYEMS_MQTT_SPOOL_DIR, by
default ``$MYEMS_RUN_DIR/spool/mqtt-g<gateway>`` (or ``./spool/mqtt-g<gateway>`` without MYEMS_RUN_DIR).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from myems_common.config import ConfigError, load_settings
from myems_common.logsetup import setup_logging
from myems_mqtt.daemon import MqttDaemon

log = logging.getLogger('myems_mqtt')


def spool_dir(gateway_id: int) -> Path:
    explicit = os.environ.get('MYEMS_MQTT_SPOOL_DIR')
    if explicit:
        return Path(explicit)
    return Path(os.environ.get('MYEMS_RUN_DIR') or '.') / 'spool' / f'mqtt-g{gateway_id}'


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        logging.basicConfig()
        log.error('%s', exc)
        return 2
    setup_logging(settings.log_level)
    daemon = MqttDaemon(settings, spool_dir(settings.gateway_id))

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info('received %s', signal.Signals(signum).name)
        daemon.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info('myems-mqtt starting for gateway %d', settings.gateway_id)
    daemon.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
