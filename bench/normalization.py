"""Benchmark of cleaning and meter normalization: M meters x D days of 5-minute counter readings.

    .venv/bin/python bench/normalization.py [--meters 100] [--days 30]

The readings come from a counter whose true consumption is known exactly: each meter draws a smooth daily
profile (a base load plus a sine), so the true energy of any hour is the difference of the profile's integral.
Every tenth meter carries a fault (a dip, a spike, a reset, a rollover or a six-hour gap). The databases are
``myems_bench_norm_<key>_db`` on the test stack's MariaDB (``scripts/stack.sh start test``), rebuilt each run.

Then the two daemons (`python -m myems_cleaning`, `python -m myems_normalization`) run side by side, as
deployed, until every reading is decided and every meter's hours are written. Reported:

* readings/s through both stages (readings / wall time from the daemons' start to the end of the backlog),
  and each daemon's peak RSS;
* hourly error on clean meters: the largest |slot - truth| / truth over every meter-hour (hours with truth > 0);
* monthly error on every meter, faulty ones included: |sum of slots - truth| / truth over the whole period.

Prints a table and writes bench/results/normalization.json.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import bench_settings, recreate_databases, write_result  # bench/common.py

from myems_common.config import database_env
from myems_common.counterdata import points_behind
from myems_common.db import Database
from myems_common.logsetup import setup_logging
from myems_common.readings import ENERGY, Reading, write_batch

log = logging.getLogger('bench.normalization')
PREFIX = 'myems_bench_norm_'
T0 = datetime(2026, 1, 1)
FAULTS = ('dip', 'spike', 'reset', 'rollover', 'gap')


# ------------------------------------------------------------------------------------------- the truth
def profile(meter: int) -> tuple[float, float, float]:
    rng = random.Random(meter)
    return rng.uniform(5, 50), rng.uniform(0.2, 0.8), rng.uniform(0, 24)  # kW base, swing, peak hour


def true_counter(meter: int, hours: float) -> float:
    """kWh consumed from T0 to T0 + hours: the integral of base * (1 + swing * sin(2 pi (h - peak) / 24))."""
    base, swing, peak = profile(meter)
    w = 2 * math.pi / 24
    return base * (hours - swing / w * (math.cos(w * (hours - peak)) - math.cos(-w * peak)))


def fault_of(meter: int) -> str | None:
    return FAULTS[(meter // 10) % len(FAULTS)] if meter % 10 == 0 else None


def readings(meter: int, days: int) -> list[tuple[datetime, Decimal]]:
    rng = random.Random(1000 + meter)
    start = 10_000 + meter * 37
    rows = []
    for i in range(days * 288):
        moment = T0 + timedelta(minutes=5 * i, seconds=rng.randint(0, 20))
        hours = (moment - T0).total_seconds() / 3600
        rows.append((moment, Decimal(f'{start + true_counter(meter, hours):.3f}')))
    kind, at = fault_of(meter), len(rows) // 2
    if kind == 'dip':
        rows[at] = (rows[at][0], rows[at][1] - 500)
    elif kind == 'spike':
        rows[at] = (rows[at][0], rows[at][1] + 10_000)
    elif kind == 'reset':
        rows = rows[:at] + [(t, v - rows[at - 1][1]) for t, v in rows[at:]]
    elif kind == 'rollover':
        wrap = Decimal(10) ** len(str(int(rows[at][1])))
        shift = wrap - rows[at][1] - Decimal(1)
        rows = [(t, (v + shift) % wrap) for t, v in rows]
    elif kind == 'gap':
        rows = rows[:at] + rows[at + 72 :]
    return rows


# ------------------------------------------------------------------------------------------- the data
def seed(db: Database, meters: int, days: int) -> int:
    with db.transaction('system') as cur:
        for m in range(1, meters + 1):
            cur.execute(
                'INSERT INTO tbl_data_sources (id, name, uuid, gateway_id, protocol, connection) VALUES'
                " (%s, %s, UUID(), 1, 'modbus-tcp', '{}')",
                (m, f'source {m}'),
            )
            cur.execute(
                'INSERT INTO tbl_points (id, name, data_source_id, object_type, units, high_limit, low_limit,'
                " is_trend, address) VALUES (%s, %s, %s, 'ENERGY_VALUE', 'kWh', 1e12, 0, 1, '{}')",
                (m, f'counter {m}', m),
            )
            cur.execute(
                'INSERT INTO tbl_meters (id, name, uuid, energy_category_id, is_counted, hourly_low_limit,'
                ' hourly_high_limit, cost_center_id) VALUES (%s, %s, UUID(), 1, 1, 0, 0, 1)',
                (m, f'meter {m}'),
            )
            cur.execute('INSERT INTO tbl_meters_points (meter_id, point_id) VALUES (%s, %s)', (m, m))
    total = 0
    for m in range(1, meters + 1):
        rows = [Reading(m, ENERGY, t, v) for t, v in readings(m, days)]
        with db.transaction('historical') as cur:
            write_batch(cur, rows, batch_size=5000)  # as acquisition writes them (trend rows and *_latest)
        total += len(rows)
    return total


# ------------------------------------------------------------------------------------------- the daemons
def peak_rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
    return 0.0


def finished(db: Database, meters: int, days: int) -> bool:
    """Every reading decided and every meter's slots written up to its last full hour."""
    if points_behind(db):
        return False
    done = db.fetch_one(
        'energy',
        "SELECT COUNT(*) FROM tbl_pipeline_progress WHERE step = 'meter_energy' AND processed_until_utc >= %s",
        (T0 + timedelta(days=days) - timedelta(hours=1),),
    )
    return bool(done and done[0] == meters)


def run_daemons(settings: Any, db: Database, meters: int, days: int) -> dict[str, Any]:
    """The real daemons, side by side as deployed, until the backlog is done: wall time and peak RSS."""
    env = {**os.environ, **database_env(settings), 'LOG_LEVEL': 'WARNING'}
    env.update({'CLEANING_INTERVAL_SECONDS': '0.2', 'NORMALIZATION_INTERVAL_SECONDS': '0.2'})
    began = time.monotonic()
    daemons = {
        m: subprocess.Popen([sys.executable, '-m', m], env=env) for m in ('myems_cleaning', 'myems_normalization')
    }
    peaks = dict.fromkeys(daemons, 0.0)
    try:
        while not finished(db, meters, days):
            for name, process in daemons.items():
                if process.poll() is not None:
                    raise RuntimeError(f'{name} exited with {process.returncode}')
                peaks[name] = max(peaks[name], peak_rss_mb(process.pid))
            time.sleep(0.1)
        seconds = time.monotonic() - began
        for name, process in daemons.items():
            peaks[name] = max(peaks[name], peak_rss_mb(process.pid))
    finally:
        for process in daemons.values():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    return {'seconds': seconds, 'peak_rss_mb': peaks}


# ------------------------------------------------------------------------------------------- accuracy
def accuracy(db: Database, meters: int, days: int) -> dict[str, Any]:
    hourly_worst, monthly_worst, monthly_by_fault = 0.0, 0.0, {}
    hours = days * 24 - 1  # the last hour needs a reading after it
    for m in range(1, meters + 1):
        slots = {
            t: float(v)
            for t, v in db.fetch_all(
                'energy', 'SELECT start_datetime_utc, actual_value FROM tbl_meter_hourly WHERE meter_id = %s', (m,)
            )
        }
        truth = [true_counter(m, h + 1) - true_counter(m, h) for h in range(hours)]
        got = [slots.get(T0 + timedelta(hours=h), 0.0) for h in range(hours)]
        month = abs(sum(got) - sum(truth)) / sum(truth)
        monthly_worst = max(monthly_worst, month)
        if fault_of(m):
            monthly_by_fault[fault_of(m)] = max(monthly_by_fault.get(fault_of(m), 0.0), month)
            continue
        # the first hour starts before the first reading (up to 20 s late): compare from the second
        hourly_worst = max(hourly_worst, *(abs(g - t) / t for g, t in zip(got[1:], truth[1:], strict=True) if t > 0))
    return {
        'hourly_error_clean_max_pct': hourly_worst * 100,
        'monthly_error_max_pct': monthly_worst * 100,
        'monthly_error_by_fault_pct': {k: v * 100 for k, v in monthly_by_fault.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--meters', type=int, default=100)
    parser.add_argument('--days', type=int, default=30)
    args = parser.parse_args()
    setup_logging('INFO')
    settings = bench_settings(PREFIX)
    recreate_databases(settings)
    db = Database(settings)
    began = time.monotonic()
    count = seed(db, args.meters, args.days)
    log.info('seeded %d readings of %d meters in %.0f s', count, args.meters, time.monotonic() - began)
    measured = run_daemons(settings, db, args.meters, args.days)
    result = {
        'meters': args.meters,
        'days': args.days,
        'readings': count,
        'seconds': round(measured['seconds'], 2),
        'readings_per_s': round(count / measured['seconds']),
        'peak_rss_mb': {k: round(v, 1) for k, v in measured['peak_rss_mb'].items()},
        **accuracy(db, args.meters, args.days),
    }
    table = '\n'.join(f'{k:32} {v}' for k, v in result.items())
    print(table)  # noqa: T201 - the benchmark's output
    log.info('wrote %s', write_result('normalization', {**result, 'table': table}))
    db.close()


if __name__ == '__main__':
    main()
