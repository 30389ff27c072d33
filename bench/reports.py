"""Benchmark of reports: latency and requests/s at 16 concurrent clients, uncached and cached.

    .venv/bin/python bench/reports.py [--meters 100] [--days 365] [--duration 10] [--connections 16]

The data is bench/aggregation.py's campus (a four-level space tree, 100 meters, one tariff) with a year of
hourly meter slots, aggregated by the aggregation steps, in databases ``myems_bench_rep_<key>_db`` on the
test stack's server (rebuilt each run). The API runs as deployed (`python -m myems_api`: API_WORKERS,
default 2, gthread workers of 4 threads, each taking only as many connections as it has threads, and no
keep-alive), first without a cache, then with the Redis response cache (the test stack's Redis). wrk drives
each scenario with 16 connections after 2 seconds of the same load to warm the server up (its threads'
database connections opened, its caches filled), as a server in service is. The scenarios:

* the campus root's energy category report over the last 30 days in daily buckets (quick mode), and the
  same as an .xlsx download;
* the same over the whole year (daily buckets);
* the campus root's cost report over 30 days;
* a meter's energy report over the year in hourly buckets.

Prints a table and writes bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aggregation import T0, campus, meter_hours  # bench/aggregation.py
from api import ensure_user, login, run_wrk  # bench/api.py
from common import bench_settings, recreate_databases, settle, write_result  # bench/common.py

from myems_aggregation.__main__ import steps as aggregation_steps
from myems_common.config import database_env
from myems_common.db import Database
from myems_common.logsetup import setup_logging
from myems_common.pipeline import Runner

log = logging.getLogger('bench.reports')
PREFIX = 'myems_bench_rep_'
WARM_UP = 2  # seconds of load before each measurement, not counted
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def serve(settings: Any, port: int, cached: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **database_env(settings),
        'IS_REDIS_ENABLED': 'true' if cached else 'false',
        'LOG_LEVEL': 'WARNING',
    }
    env['API_BIND'] = f'127.0.0.1:{port}'
    env.setdefault('API_WORKERS', '2')
    command = [str(ROOT / '.venv' / 'bin' / 'python'), '-m', 'myems_api']  # the deployed server settings
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/version', timeout=2).read()
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    process.kill()
    raise RuntimeError('gunicorn did not answer within 60 s')


def scenarios(db: Database, days: int) -> list[tuple[str, str]]:
    root = db.fetch_one('system', "SELECT id FROM tbl_spaces WHERE name = 'root'")[0]
    end = T0 + timedelta(days=days)

    def report(path: str, first: Any, period: str, **extra: str) -> str:
        params = {
            'periodtype': period,
            'reportingperiodstartdatetime': first.strftime('%Y-%m-%dT%H:%M:%S'),
            'reportingperiodenddatetime': end.strftime('%Y-%m-%dT%H:%M:%S'),
            'quickmode': 'true',
            **extra,
        }
        return f'{path}?{urlencode(params)}'

    month, year = end - timedelta(days=30), T0
    return [
        (
            'campus energy category, 30 days daily',
            report('/reports/spaceenergycategory', month, 'daily', spaceid=str(root)),
        ),
        (
            'campus energy category, 30 days, .xlsx',
            report('/reports/spaceenergycategory', month, 'daily', spaceid=str(root), format='xlsx'),
        ),
        (
            'campus energy category, 1 year daily',
            report('/reports/spaceenergycategory', year, 'daily', spaceid=str(root)),
        ),
        ('campus cost, 30 days daily', report('/reports/spacecost', month, 'daily', spaceid=str(root))),
        ('meter energy, 1 year hourly', report('/reports/meterenergy', year, 'hourly', meterid='1')),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--meters', type=int, default=100)
    parser.add_argument('--days', type=int, default=365)
    parser.add_argument('--duration', type=int, default=10)
    parser.add_argument('--connections', type=int, default=16)
    args = parser.parse_args()
    setup_logging('INFO')
    settings = bench_settings(PREFIX)
    recreate_databases(settings)
    db = Database(settings)
    campus(db, args.meters)
    meter_hours(db, args.meters, T0, args.days * 24)
    began = time.monotonic()
    Runner(db, aggregation_steps(settings), workers=4).run_until_idle()
    log.info('aggregated %d days of %d meters in %.0f s', args.days, args.meters, time.monotonic() - began)
    ensure_user(db)
    log.info('the server settled in %.0f s', settle(db))
    rows = []
    for cached in (False, True):
        port = free_port()
        server = serve(settings, port, cached)
        try:
            base = f'http://127.0.0.1:{port}'
            headers = login(base)
            for name, path in scenarios(db, args.days):
                check = urllib.request.Request(base + path, headers=headers)
                with urllib.request.urlopen(check, timeout=60) as answer:  # a wrong request would bench a 400
                    assert answer.status == 200, (name, answer.status)
                run_wrk(base, path, args.connections, WARM_UP, headers=headers)  # caches filled
                result = run_wrk(base, path, args.connections, args.duration, headers=headers)
                rows.append({'scenario': name, 'cached': cached, 'connections': args.connections, **result})
                log.info('%s (%s): %.1f req/s', name, 'cached' if cached else 'uncached', result['rps'])
        finally:
            server.terminate()
            server.wait(timeout=30)
    table = [f'{"scenario":42} {"cache":>8} {"req/s":>8} {"p50 ms":>8} {"p95 ms":>8} {"failed":>7}']
    for r in rows:
        table.append(
            f'{r["scenario"]:42} {"cached" if r["cached"] else "none":>8} {r["rps"]:>8.1f}'
            f' {r["p50"] / 1000:>8.1f} {r["p95"] / 1000:>8.1f} {r["failed"]:>7}'
        )
    sys.stdout.write('\n'.join(table) + '\n')
    log.info('wrote %s', write_result('reports', {'rows': rows, 'table': '\n'.join(table)}))
    db.close()


if __name__ == '__main__':
    main()
