"""Benchmark of the API under load, with wrk on loopback against the demo stack (`make demo`).

    .venv/bin/python bench/api.py [--base http://127.0.0.1:8000] [--duration 15] [--connections 64]

Scenarios: GET /spaces, GET /meters/{id} and PUT /users/login at --connections concurrent
connections, then --hold clients (default 1000) on GET /spaces for --hold-duration seconds (the API
closes each connection after its answer, so they connect again and wait in the listen queue). Prints a
table and writes bench/results/api.json. The demo's API runs API_WORKERS (default 2) gthread workers with 4
threads each (`python -m myems_api`).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from myems_common.config import load_settings
from myems_common.db import Database
from myems_common.logsetup import setup_logging
from myems_common.passwords import hash_password

log = logging.getLogger('bench.api')
RESULTS = Path(__file__).resolve().parent / 'results'
BENCH_USER = 'bench-admin'
BENCH_PASSWORD = 'Bench#Load2026'

LUA = """
wrk.method = "{method}"
wrk.body = {body}
{headers}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {{"requests": %d, "seconds": %f, "p50": %d, "p95": %d, "p99": %d, "max": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
"""


def ensure_user(db: Database) -> None:
    """An administrator for the benchmark (its own account, so demo accounts are not locked out)."""
    with db.transaction('user') as cur:
        cur.execute('SELECT id FROM tbl_users WHERE name = %s', (BENCH_USER,))
        if cur.fetchone():
            cur.execute('UPDATE tbl_users SET failed_login_count = 0 WHERE name = %s', (BENCH_USER,))
            return
        cur.execute(
            'INSERT INTO tbl_users (name, uuid, display_name, email, salt, password, is_admin, is_read_only,'
            ' account_expiration_datetime_utc, password_expiration_datetime_utc)'
            " VALUES (%s, %s, 'Benchmark', 'bench@example.invalid', '', %s, 1, 0, '2099-01-01', '2099-01-01')",
            (BENCH_USER, str(uuid.uuid4()), hash_password(BENCH_PASSWORD)),
        )


def login(base: str) -> dict[str, str]:
    body = json.dumps({'data': {'account': BENCH_USER, 'password': BENCH_PASSWORD}})
    out = subprocess.run(
        ['curl', '-fsS', '-X', 'PUT', '-H', 'Content-Type: application/json', '-d', body, f'{base}/users/login'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    reply = json.loads(out)
    return {'USER-UUID': reply['uuid'], 'TOKEN': reply['token']}


def run_wrk(
    base: str,
    path: str,
    connections: int,
    seconds: int,
    method: str = 'GET',
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    header_lines = '\n'.join(f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items())
    script = LUA.format(method=method, body=json.dumps(body) if body else 'nil', headers=header_lines)
    with tempfile.NamedTemporaryFile('w', suffix='.lua', delete=False) as handle:
        handle.write(script)
    threads = max(1, min(2, connections))
    command = [
        'wrk',
        f'-t{threads}',
        f'-c{connections}',
        f'-d{seconds}s',
        '--timeout',
        '30s',
        '-s',
        handle.name,
        base + path,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r'^RESULT (.*)$', output, re.M)
    if not match:
        raise RuntimeError(f'wrk printed no result:\n{output}')
    result = json.loads(match.group(1))
    result['rps'] = result['requests'] / result['seconds']
    result['failed'] = sum(result[k] for k in ('connect', 'read', 'write', 'timeout', 'status'))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--base', default='http://127.0.0.1:8000')
    parser.add_argument('--duration', type=int, default=15)
    parser.add_argument('--connections', type=int, default=64)
    parser.add_argument('--hold', type=int, default=1000)
    parser.add_argument('--hold-duration', type=int, default=30)
    args = parser.parse_args(argv)
    setup_logging('INFO')
    settings = load_settings()
    db = Database(settings)
    ensure_user(db)
    headers = login(args.base)
    meter_id = db.fetch_one('system', 'SELECT MIN(id) FROM tbl_meters')[0]
    login_body = json.dumps({'data': {'account': BENCH_USER, 'password': BENCH_PASSWORD}})
    scenarios = [
        ('GET /spaces', '/spaces', args.connections, args.duration, 'GET', headers, None),
        (f'GET /meters/{meter_id}', f'/meters/{meter_id}', args.connections, args.duration, 'GET', headers, None),
        (
            'PUT /users/login',
            '/users/login',
            args.connections,
            args.duration,
            'PUT',
            {'Content-Type': 'application/json'},
            login_body,
        ),
        (f'hold {args.hold} clients: GET /spaces', '/spaces', args.hold, args.hold_duration, 'GET', headers, None),
    ]
    rows = []
    for name, path, conns, seconds, method, hdrs, body in scenarios:
        log.info('running %s with %d connections for %d s', name, conns, seconds)
        result = run_wrk(args.base, path, conns, seconds, method, hdrs, body)
        rows.append({'scenario': name, 'connections': conns, **result})
    RESULTS.mkdir(exist_ok=True)
    report = {'benchmark': 'api', 'at': datetime.now().isoformat(timespec='seconds'), 'base': args.base, 'rows': rows}
    (RESULTS / 'api.json').write_text(json.dumps(report, indent=2))
    sys.stdout.write(
        f'{"scenario":42} {"conns":>6} {"req/s":>9} {"p50 ms":>8} {"p95 ms":>8} {"p99 ms":>8} {"failed":>7}\n'
    )
    for r in rows:
        sys.stdout.write(
            f'{r["scenario"]:42} {r["connections"]:>6} {r["rps"]:>9.1f} {r["p50"] / 1000:>8.1f} '
            f'{r["p95"] / 1000:>8.1f} {r["p99"] / 1000:>8.1f} {r["failed"]:>7}\n'
        )
    sys.stdout.write(f'written to {RESULTS / "api.json"}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
