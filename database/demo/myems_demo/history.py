"""Write simulated raw readings into myems_historical_db: ``python -m myems_demo.history``.

    python -m myems_demo.history [--days 90] [--meters N] [--end 2026-01-31T00:00:00] [--seed 7]

Energy counters go to tbl_energy_value, room and plant signals to tbl_analog_value and pump states to
tbl_digital_value, then each point's newest reading to the *_latest tables. The readings come from
``simulate`` (pure); this module only selects meters, reads where each point's history ends and writes.

History only ever appends: a point that already has readings gets new ones only after its last stored
reading, its counter continuing from the stored value. Running the same range twice therefore writes
nothing the second time, and a later run (a day on) extends every counter without a jump.

``--meters N`` turns this into the benchmark data source: fewer than the demo's meters takes the first N
demo meters; more adds benchmark meters (ids from 100001, 15-minute electricity) under a "Benchmark
Building" space so that exactly N meters get readings.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from myems_common.config import load_settings
from myems_common.db import Database, bulk_upsert
from myems_common.logsetup import setup_logging
from myems_common.timeutil import floor_slot, utc_now
from myems_demo.campus import (
    ANALOG_POINTS,
    DIGITAL_POINTS,
    FAULTS,
    METERS,
    Campus,
    Meter,
    benchmark_links,
    benchmark_meter,
    benchmark_rows,
)
from myems_demo.load import campus_tables, timezone_id, write_tables
from myems_demo.simulate import Axis, Resume, Row, Simulation, build_axis, meter_readings, signal_rows

log = logging.getLogger('myems_demo.history')

VALUE_COLUMNS = ('point_id', 'utc_date_time', 'actual_value')
VALUE_TABLES = ('tbl_energy_value', 'tbl_analog_value', 'tbl_digital_value')
POWER_METERS = (1, 100)  # meters whose consumption the active-power points show
CHUNK_ROWS = 50_000  # rows per transaction
BATCH_ROWS = 5_000  # rows per INSERT statement


@dataclass(frozen=True)
class Plan:
    """What one run writes."""

    start: datetime
    end: datetime
    seed: int
    demo: tuple[Meter, ...]
    benchmark: tuple[Meter, ...]


def history_window(end: datetime, days: float) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC: end on a 15-minute boundary, start on the hour."""
    end = floor_slot(end, 15)
    return floor_slot(end - timedelta(days=days), 60), end


def select_meters(count: int | None) -> tuple[tuple[Meter, ...], tuple[Meter, ...]]:
    """(demo meters, benchmark meters) so that exactly `count` meters get readings (all demo meters if None)."""
    demo = tuple(sorted(METERS, key=lambda m: m.id))
    if count is None:
        return demo, ()
    if count < 0:
        raise ValueError('--meters must not be negative')
    extra = max(0, count - len(demo))
    return demo[:count], tuple(benchmark_meter(n) for n in range(1, extra + 1))


# ------------------------------------------------------------------------------------------- pure rows
def energy_stream(plan: Plan, axis: Axis, demo: Simulation, resume: dict[int, Resume]) -> Iterator[Row]:
    """Demo meters (from one simulation: masters need their subs), then benchmark meters one at a time."""
    for meter in plan.demo:
        yield from meter_readings(meter, demo.get(meter.id), axis, plan.end, FAULTS, resume.get(meter.id))
    bench = Simulation(plan.benchmark, axis, plan.seed)
    for meter in plan.benchmark:
        yield from meter_readings(meter, bench.get(meter.id), axis, plan.end, (), resume.get(meter.id))
        del bench.series[meter.id]  # keep memory flat however many benchmark meters there are


# ------------------------------------------------------------------------------------------- database
def last_readings(db: Database, table: str) -> dict[int, Resume]:
    """The newest stored reading of every point in `table`."""
    rows = db.fetch_all(
        'historical',
        f'SELECT v.point_id, v.utc_date_time, v.actual_value FROM {table} v '
        f'JOIN (SELECT point_id, MAX(utc_date_time) AS last FROM {table} GROUP BY point_id) m '
        'ON v.point_id = m.point_id AND v.utc_date_time = m.last',
    )
    return {int(point): Resume(when, float(value)) for point, when, value in rows}


def write_rows(db: Database, table: str, rows: Iterable[Row]) -> int:
    """Insert readings in chunks (one transaction each); existing (point, time) rows are kept as they are."""
    written = 0
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, CHUNK_ROWS)):
        with db.transaction('historical') as cur:
            written += bulk_upsert(cur, table, VALUE_COLUMNS, chunk, update=(), batch_size=BATCH_ROWS)
    return written


def refresh_latest(db: Database, table: str) -> None:
    """Set each point's row in `table`_latest to its newest reading."""
    with db.transaction('historical') as cur:
        cur.execute(
            f'INSERT INTO {table}_latest (point_id, utc_date_time, actual_value) '
            f'SELECT v.point_id, v.utc_date_time, v.actual_value FROM {table} v '
            f'JOIN (SELECT point_id, MAX(utc_date_time) AS last FROM {table} GROUP BY point_id) m '
            'ON v.point_id = m.point_id AND v.utc_date_time = m.last '
            'ON DUPLICATE KEY UPDATE utc_date_time = VALUES(utc_date_time), actual_value = VALUES(actual_value)'
        )


def register_benchmark(db: Database, meters: Sequence[Meter]) -> None:
    """The benchmark meters' configuration rows (space, data source, meters, points, links)."""
    if meters:
        campus = Campus(rows=benchmark_rows(meters, timezone_id(db)), links=benchmark_links(meters), users=())
        write_tables(db, [t for t in campus_tables(campus) if t.table != 'tbl_users'])


def run(db: Database, plan: Plan) -> dict[str, int]:
    """Write one plan's readings; returns rows sent per table."""
    register_benchmark(db, plan.benchmark)
    axis = build_axis(plan.start, plan.end, plan.seed)
    resume = {table: last_readings(db, table) for table in VALUE_TABLES}
    demo = Simulation(METERS, axis, plan.seed)
    power = {meter_id: demo.get(meter_id) for meter_id in POWER_METERS}
    streams = {
        'tbl_energy_value': energy_stream(plan, axis, demo, resume['tbl_energy_value']),
        'tbl_analog_value': signal_rows(ANALOG_POINTS, axis, plan.seed, power, resume['tbl_analog_value']),
        'tbl_digital_value': signal_rows(DIGITAL_POINTS, axis, plan.seed, power, resume['tbl_digital_value'], True),
    }
    counts = {table: write_rows(db, table, rows) for table, rows in streams.items()}
    for table in VALUE_TABLES:
        refresh_latest(db, table)
    return counts


# ------------------------------------------------------------------------------------------- command line
def parse_utc(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace('Z', '+00:00'))
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m myems_demo.history', description=__doc__.splitlines()[0])
    parser.add_argument('--days', type=float, default=90, help='days of history before --end (default 90)')
    parser.add_argument('--meters', type=int, default=None, help='exactly this many meters get readings')
    parser.add_argument('--end', type=parse_utc, default=None, help='end of the history, UTC (default now)')
    parser.add_argument('--seed', type=int, default=7, help='random seed (default 7)')
    args = parser.parse_args(argv)
    if args.days <= 0:
        parser.error('--days must be positive')
    if args.meters is not None and args.meters < 0:
        parser.error('--meters must not be negative')
    return args


def plan_from_args(args: argparse.Namespace) -> Plan:
    start, end = history_window(args.end or utc_now(), args.days)
    demo, bench = select_meters(args.meters)
    return Plan(start, end, args.seed, demo, bench)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level)
    plan = plan_from_args(args)
    db = Database(settings)
    started = time.monotonic()
    try:
        counts = run(db, plan)
    finally:
        db.close()
    log.info(
        'history %s .. %s UTC for %d meters: %d energy, %d analog, %d digital readings written in %.1f s',
        plan.start, plan.end, len(plan.demo) + len(plan.benchmark), counts['tbl_energy_value'],
        counts['tbl_analog_value'], counts['tbl_digital_value'], time.monotonic() - started,
    )  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(main())
