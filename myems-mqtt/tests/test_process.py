"""python -m myems_mqtt as a process: it serves, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from myems_common.config import database_env


def test_the_process_serves_and_stops_on_sigterm(site: Any, publisher: Any, wait_until: Any, tmp_path: Path):
    source = site.source()
    point = site.point(source, {'topic': 'proc', 'json_path': '$.v'})
    env = dict(os.environ, GATEWAY_ID=str(site.gateway_id), GATEWAY_TOKEN=site.token,
               MYEMS_MQTT_SPOOL_DIR=str(tmp_path / 'spool'), LOG_LEVEL='INFO')  # fmt: skip
    env.update(database_env(site.settings))
    log_path = tmp_path / 'mqtt.log'
    with log_path.open('wb') as log_file:
        process = subprocess.Popen([sys.executable, '-m', 'myems_mqtt'], env=env, stderr=log_file)
        try:
            wait_until(lambda: 'subscribing to 1 topics' in log_path.read_text(), what='the subscription')
            publisher.send(f'{site.prefix}/proc', {'v': 4.5})
            (when, value), *_ = wait_until(lambda: site.values(point), what='the reading')
            assert abs((when - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) < 600
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    text = log_path.read_text()
    assert 'received SIGTERM' in text and 'stopped: 1 readings accepted' in text
