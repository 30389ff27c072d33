"""Benchmark of Modbus TCP acquisition: N simulated devices x 4 points, polled every 60 s by one process.

    .venv/bin/python bench/acquisition.py [--devices 100,1000,5000] [--rounds 2] [--interval 60]

For each N: the configuration (gateway 1, one data source per --devices-per-source devices, 4 points per
device) is written to databases of its own, ``myems_bench_<key>_db`` on the test stack's MariaDB (started with
``scripts/stack.sh start test``; the demo's databases are never touched). The fleet simulator
(``python -m myems_demo.devices --fleet N``) serves the devices on --ports ports from --base-port (200 slaves at
most per port) in a process of its own, and the acquisition (myems_modbus_tcp's Acquisition and the
ReadingWriter, exactly as the daemon runs them) runs in a fresh child process, so its CPU time and peak RSS are
its own. Measured per N, over --rounds polling rounds:

* cycle: from the first request of a round to the last response of that round (the worst round is shown);
* readings/s in a cycle: readings of a round / its cycle time (the rate the poller reaches while polling);
* written: readings stored in MariaDB at the end / readings taken (must be all of them);
* CPU: the acquisition process's CPU seconds / wall seconds over the whole run (100 % = one core);
* peak RSS of the acquisition process.

Prints a table and writes bench/results/acquisition.json (--name changes the file name). With
--devices-per-source 1 every device is a data source of its own (one connection per device and cycle).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from common import bench_settings  # bench/common.py

from myems_common.config import Settings, database_env, load_settings
from myems_common.db import Database, bulk_insert
from myems_common.logsetup import setup_logging

log = logging.getLogger('bench.acquisition')
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'bench' / 'results'


# ------------------------------------------------------------------------------------------- settings
# ------------------------------------------------------------------------------------------- configuration
def write_config(db: Database, devices: int, ports: int, base_port: int, per_source: int, interval: int) -> str:
    """Replace the bench databases' Modbus configuration with the fleet's; returns gateway 1's token."""
    from myems_demo.devices import FLEET_POINTS, fleet_layout

    layout = fleet_layout(devices, ports, base_port)
    by_port: dict[int, list[Any]] = {}
    for d in layout:
        by_port.setdefault(d.port, []).append(d)
    sources, points = [], []
    for port, members in sorted(by_port.items()):
        for start in range(0, len(members), per_source):
            source_id = len(sources) + 1
            connection = json.dumps({'host': '127.0.0.1', 'port': port, 'interval_in_seconds': interval})
            sources.append((source_id, f'Bench Source {source_id}', str(uuid.uuid4()), 1, 'modbus-tcp', connection))
            for d in members[start : start + per_source]:
                for k, (offset, fmt, kind, name) in enumerate(FLEET_POINTS):
                    registers = {'>d': 4, '>f': 2, '>H': 1}[fmt]
                    address = json.dumps(
                        {'slave_id': d.slave_id, 'function_code': 3, 'offset': offset,
                         'number_of_registers': registers, 'format': fmt, 'byte_swap': False}
                    )  # fmt: skip
                    points.append((d.number * 4 + k + 1, f'Device {d.number} {name}', source_id, kind, '', 1e12,
                                   -1e12, 1, 0, 1, 0, address))  # fmt: skip
    with db.transaction('system') as cur:
        cur.execute('DELETE FROM tbl_points')
        cur.execute('DELETE FROM tbl_data_sources')
        bulk_insert(cur, 'tbl_data_sources', ('id', 'name', 'uuid', 'gateway_id', 'protocol', 'connection'), sources)
        bulk_insert(
            cur, 'tbl_points',
            ('id', 'name', 'data_source_id', 'object_type', 'units', 'high_limit', 'low_limit', 'ratio',
             'offset_constant', 'is_trend', 'is_virtual', 'address'),
            points,
        )  # fmt: skip
        cur.execute('SELECT token FROM tbl_gateways WHERE id = 1')
        token = str(cur.fetchall()[0][0])
    with db.transaction('historical') as cur:
        for table in ('tbl_energy_value', 'tbl_analog_value', 'tbl_digital_value'):
            cur.execute(f'TRUNCATE TABLE {table}')
            cur.execute(f'TRUNCATE TABLE {table}_latest')
    return token


def stored_count(db: Database) -> int:
    return sum(
        int(db.fetch_all('historical', f'SELECT COUNT(*) FROM {t}')[0][0])
        for t in ('tbl_energy_value', 'tbl_analog_value', 'tbl_digital_value')
    )


# ------------------------------------------------------------------------------------------- child: the poller
def child(args: argparse.Namespace) -> int:
    """Run the acquisition for `rounds` rounds and print one JSON line of measurements."""
    from myems_common.readings import ReadingWriter
    from myems_modbus_tcp.config import SourceConfig
    from myems_modbus_tcp.poll import Outcome, SourceMemory, poll_source
    from myems_modbus_tcp.service import Acquisition, Options

    settings = load_settings()
    setup_logging('WARNING')
    db = Database(settings)
    cycles: dict[int, list[tuple[float, float, int]]] = {}
    lock = threading.Lock()

    def timed(source: SourceConfig, timeout: float, memory: SourceMemory) -> Outcome:
        started = time.monotonic()
        outcome = poll_source(source, timeout, memory)
        with lock:
            cycles.setdefault(source.id, []).append((started, time.monotonic(), len(outcome.readings)))
        return outcome

    spool = Path(tempfile.mkdtemp(prefix='bench-spool-'))
    options = Options(spool_dir=spool, timeout=3, workers=args.workers)  # daemon defaults: reload every 30 s
    writer = ReadingWriter(db, spool)
    acquisition = Acquisition(db, 1, args.token, options, writer, poller=timed)
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    thread = threading.Thread(target=acquisition.run, daemon=True)
    thread.start()
    deadline = wall0 + (args.rounds - 1) * args.interval + 600
    while time.monotonic() < deadline:
        with lock:
            done = sum(1 for c in cycles.values() if len(c) >= args.rounds)
        if acquisition.loaded and done == len(acquisition.sources):
            break
        time.sleep(0.05)
    idle = writer.wait_idle(120)
    wall = time.monotonic() - wall0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    acquisition.stop()
    thread.join(60)
    rounds = []
    for k in range(args.rounds):
        spans = [c[k] for c in cycles.values() if len(c) > k]
        if spans:
            start, end = min(s for s, _, _ in spans), max(e for _, e, _ in spans)
            rounds.append({'cycle_s': end - start, 'readings': sum(n for _, _, n in spans)})
    stats = writer.stats()
    result = {
        'sources': len(acquisition.sources),
        'rounds': rounds,
        'wall_s': wall,
        'cpu_s': (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        'peak_rss_mb': cpu1.ru_maxrss / 1024,
        'submitted': stats.submitted,
        'written': stats.written,
        'writer_idle': idle,
    }
    print('RESULT ' + json.dumps(result), flush=True)  # noqa: T201 - the parent reads this line
    db.close()
    return 0


# ------------------------------------------------------------------------------------------- parent
def run_one(settings: Settings, db: Database, devices: int, args: argparse.Namespace) -> dict[str, Any]:
    ports = max(args.min_ports, math.ceil(devices / 200))
    token = write_config(db, devices, ports, args.base_port, args.devices_per_source, args.interval)
    env = {**os.environ, **database_env(settings)}
    sim = subprocess.Popen(
        [sys.executable, '-m', 'myems_demo.devices', '--fleet', str(devices), '--ports', str(ports),
         '--base-port', str(args.base_port), '--update-seconds', '5'],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(1.0 + devices / 5000)
        out = subprocess.run(
            [sys.executable, __file__, '--child', '--token', token, '--rounds', str(args.rounds),
             '--interval', str(args.interval), '--workers', str(args.workers)],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        sim.terminate()
        sim.wait(30)
    line = next(x for x in out.splitlines() if x.startswith('RESULT '))
    result: dict[str, Any] = json.loads(line[len('RESULT ') :])
    result.update(devices=devices, points=devices * 4, ports=ports, stored=stored_count(db))
    return result


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f'{"devices":>8} {"points":>7} {"sources":>7} {"cycle s (worst)":>15} {"readings/s in cycle":>19} '
        f'{"stored/taken":>13} {"CPU %":>6} {"peak RSS MB":>11}'
    )
    lines = [head, '-' * len(head)]
    for r in results:
        worst = max(r['rounds'], key=lambda x: x['cycle_s'])
        rate = worst['readings'] / worst['cycle_s'] if worst['cycle_s'] else 0.0
        lines.append(
            f'{r["devices"]:>8} {r["points"]:>7} {r["sources"]:>7} {worst["cycle_s"]:>15.2f} {rate:>19.0f} '
            f'{r["stored"]:>6}/{r["submitted"]:<6} {100 * r["cpu_s"] / r["wall_s"]:>6.1f} {r["peak_rss_mb"]:>11.0f}'
        )
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', default='100,1000,5000', help='comma-separated device counts')
    parser.add_argument('--rounds', type=int, default=2, help='polling rounds per device count (default 2)')
    parser.add_argument('--interval', type=int, default=60, help='polling interval in seconds (default 60)')
    parser.add_argument('--base-port', type=int, default=15260, help='first simulator port (default 15260)')
    parser.add_argument('--min-ports', type=int, default=1, help='at least this many simulator ports')
    parser.add_argument('--devices-per-source', type=int, default=200, help='devices per data source (default 200)')
    parser.add_argument('--workers', type=int, default=32, help='acquisition worker threads (default 32)')
    parser.add_argument('--name', default='acquisition', help='result file bench/results/<name>.json')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--token', default='', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    setup_logging('INFO')
    settings = bench_settings()
    from myems_common.schema import install

    install(settings)
    db = Database(settings)
    results = []
    try:
        for devices in (int(n) for n in args.devices.split(',')):
            log.info('benchmark: %d devices, %d rounds every %d s', devices, args.rounds, args.interval)
            results.append(run_one(settings, db, devices, args))
            log.info('%s', results[-1])
    finally:
        db.close()
    text = table(results)
    sys.stdout.write(text + '\n')
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f'{args.name}.json').write_text(
        json.dumps({'interval_s': args.interval, 'rounds': args.rounds, 'results': results, 'table': text}, indent=2)
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
