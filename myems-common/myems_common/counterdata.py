"""A point's counter readings read as integers: seconds from `counters.EPOCH` and millionths of a unit.

Cleaning and normalization loop over every energy reading; reading them as two integers instead of a
datetime and a Decimal makes the fetch about twice as fast and the arithmetic exact and cheap.
``actual_value`` is DECIMAL(21,6), so its text always has six decimals and maps to millionths exactly.

A reading is *good* when it is not flagged bad (``is_bad`` NULL or 0) and its point's cleaning watermark
has passed it: cleaning writes flags only for bad readings.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from myems_common.counters import EPOCH
from myems_common.db import Database
from myems_common.readings import CLEANING_STEP

COLUMNS = "TIMESTAMPDIFF(SECOND, '2000-01-01', utc_date_time), CAST(actual_value AS CHAR)"
SLOT_SECONDS = "TIMESTAMPDIFF(SECOND, '2000-01-01', start_datetime_utc)"  # a slot row's start as `seconds` counts
GOOD = ' AND NOT is_bad <=> 1'
SECOND = timedelta(seconds=1)


def cleaning_recovery() -> timedelta:
    """CLEANING_RECOVERY_MINUTES (60): how long a drop may take to come back before it counts as a reset,
    so how far a changed reading can move the verdicts on the readings before it."""
    return timedelta(minutes=int(os.environ.get('CLEANING_RECOVERY_MINUTES', '60')))


def seconds(moment: datetime) -> int:
    """Seconds from 2000-01-01 (EPOCH) to the naive UTC `moment`: how times are read as integers."""
    return (moment - EPOCH) // SECOND


def moment(count: int) -> datetime:
    return EPOCH + count * SECOND


def millionths(text: str) -> int:
    """'12.500000' -> 12500000 (the six decimals of a DECIMAL(21,6) column's text)."""
    return int(text.replace('.', ''))


def _unpack(rows: Sequence[tuple[Any, ...]]) -> tuple[list[int], list[int]]:
    return [int(r[0]) for r in rows], [millionths(r[1]) for r in rows]


def read_range(
    db: Database, point: int, start: datetime, end: datetime, good_only: bool = False
) -> tuple[list[int], list[int]]:
    """Readings of one point in [start, end), in time order: (times, values)."""
    return _unpack(
        db.fetch_all(
            'historical',
            f'SELECT {COLUMNS} FROM tbl_energy_value WHERE point_id = %s AND utc_date_time >= %s'
            f' AND utc_date_time < %s{GOOD if good_only else ""} ORDER BY utc_date_time',
            (point, start, end),
        )
    )


def read_one(db: Database, point: int, where: str, params: Sequence[Any], last: bool) -> tuple[int, int] | None:
    """The first (or last) good reading of one point matching `where` (SQL from code, never users)."""
    row = db.fetch_one(
        'historical',
        f'SELECT {COLUMNS} FROM tbl_energy_value WHERE point_id = %s AND {where}{GOOD}'
        f' ORDER BY utc_date_time {"DESC" if last else "ASC"} LIMIT 1',
        (point, *params),
    )
    return (int(row[0]), millionths(row[1])) if row else None


def cleaned_until(db: Database, points: Sequence[int] | None = None) -> dict[int, datetime]:
    """Cleaning's watermark per energy point: every reading before it is decided."""
    sql = 'SELECT object_id, processed_until_utc FROM tbl_pipeline_progress WHERE step = %s'
    params: list[Any] = [CLEANING_STEP]
    if points is not None:
        if not points:
            return {}
        sql += f' AND object_id IN ({", ".join(["%s"] * len(points))})'
        params += list(points)
    return {int(p): t for p, t in db.fetch_all('historical', sql, params)}


def undecided(db: Database) -> int:
    """Energy readings cleaning has not decided yet (at or after their point's watermark)."""
    row = db.fetch_one(
        'historical',
        'SELECT COUNT(*) FROM tbl_energy_value v LEFT JOIN tbl_pipeline_progress p ON p.step = %s'
        ' AND p.object_id = v.point_id WHERE p.processed_until_utc IS NULL OR v.utc_date_time >= p.processed_until_utc',
        (CLEANING_STEP,),
    )
    return int(row[0]) if row else 0


def points_behind(db: Database) -> int:
    """Energy points whose newest reading cleaning has not decided yet (cheap: one row per point)."""
    row = db.fetch_one(
        'historical',
        'SELECT COUNT(*) FROM tbl_energy_value_latest l LEFT JOIN tbl_pipeline_progress p ON p.step = %s'
        ' AND p.object_id = l.point_id WHERE p.processed_until_utc IS NULL OR l.utc_date_time >= p.processed_until_utc',
        (CLEANING_STEP,),
    )
    return int(row[0]) if row else 0
