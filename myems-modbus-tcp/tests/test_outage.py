"""A database outage loses nothing: the daemon waits for a database that is down at start, keeps polling
while it is down for 60 s, and every reading taken in between arrives once it is back.

Runs against a private MariaDB server started by the test (never the shared test server).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from myems_common.db import Database
from myems_common.readings import TABLES, Reading
from myems_common.schema import install
from myems_demo.devices import DeviceServer
from myems_modbus_tcp.service import Acquisition, Options

from .conftest import Config, PrivateMariaDB, RecordingWriter, Running, address, free_port, wait_for

OUTAGE_SECONDS = 60


def stored_rows(db: Database, point_ids: list[int]) -> set[tuple[int, Any, Any]]:
    rows: set[tuple[int, Any, Any]] = set()
    marks = ', '.join(['%s'] * len(point_ids))
    for table in TABLES.values():
        for p, when, value in db.fetch_all(
            'historical', f'SELECT point_id, utc_date_time, actual_value FROM {table} WHERE point_id IN ({marks})',
            point_ids,
        ):  # fmt: skip
            rows.add((int(p), when, value))
    return rows


def first_per_key(readings: list[Reading]) -> set[tuple[int, Any, Any]]:
    """What the database must hold: the first value of every (point, time) taken."""
    first: dict[tuple[int, Any], Any] = {}
    for r in readings:
        if r.is_trend:
            first.setdefault((r.point_id, r.utc_date_time), r.actual_value)
    return {(p, when, value) for (p, when), value in first.items()}


def test_a_60_second_database_outage_loses_no_reading(
    private_mariadb: PrivateMariaDB,
    settings: Any,
    servers: Callable[[int], DeviceServer],
    tmp_path: Path,
) -> None:
    private_mariadb.init()
    private = private_mariadb.settings(settings)
    install(private)
    db = Database(private)
    config = Config(db)
    port = free_port()
    device = servers(port)
    source = config.source(port, interval=1, name='Outage Meter')
    counter = config.point(source, address(1, 0, '>d', 4), 'ENERGY_VALUE', ratio=Decimal('0.001'))
    power = config.point(source, address(1, 4, '>f', 2), 'ANALOG_VALUE')
    status = config.point(source, address(1, 6, '>H', 1), 'DIGITAL_VALUE')
    points = [counter, power, status]

    ticking = threading.Event()

    def tick() -> None:  # the meter keeps counting
        n = 0
        while not ticking.wait(0.25):
            n += 1
            device.set_value(1, 0, '>d', 1_000_000.0 + n * 37)
            device.set_value(1, 4, '>f', 10.0 + n % 50 / 4)
            device.set_value(1, 6, '>H', n // 8 % 2)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()

    # the database is down when the daemon starts: it waits instead of exiting
    private_mariadb.stop()
    options = Options(spool_dir=tmp_path / 'spool', reload_seconds=1, timeout=1, last_seen_seconds=1,
                      startup_retry_seconds=0.5)  # fmt: skip
    writer = RecordingWriter(db, options.spool_dir, flush_interval=0.2, retry_max_seconds=2.0)
    running = Running(Acquisition(db, 1, config.token, options, writer), writer)
    running.thread.start()
    time.sleep(2)
    assert running.thread.is_alive() and not running.acquisition.loaded and writer.submitted == []
    private_mariadb.start()
    wait_for(lambda: stored_rows(db, points), 20)

    # 60 s outage while polling
    private_mariadb.stop()
    down_at = len(writer.submitted)
    time.sleep(OUTAGE_SECONDS)
    during = writer.submitted[down_at:]
    assert len({r.utc_date_time for r in during}) >= OUTAGE_SECONDS // 2  # polling went on
    stats = writer.stats()
    assert not stats.database_up and stats.spool_readings > 0 and stats.dropped == 0

    private_mariadb.start()
    try:
        assert writer.wait_idle(60)
        running.stop()
        taken = first_per_key(writer.submitted)
        stored = stored_rows(db, points)
        missing = taken - stored
        assert not missing, f'{len(missing)} readings lost, e.g. {sorted(missing)[:3]}'
        assert {p for p, _, _ in taken} == set(points)
        assert writer.stats().replayed > 0 and writer.stats().rejected == 0
        last_seen = db.fetch_one('system', 'SELECT last_seen_datetime_utc FROM tbl_data_sources WHERE id = %s',
                                 (source,))  # fmt: skip
        assert last_seen is not None and last_seen[0] >= max(r.utc_date_time for r in during)
    finally:
        ticking.set()
        if running.thread.is_alive():
            running.stop()
        db.close()
