"""Daily sums beside the hourly slot tables of the hierarchy (spaces, equipments, ..., shopfloors).

`tbl_space_input_category_daily` holds, per space, energy category and local day of the space's zone, the
sum of that day's `tbl_space_input_category_hourly` rows; `start_datetime_utc` is the day's local midnight in
UTC. The same holds for every entity family of the energy, billing and carbon databases (`has_daily`).

The step that writes an hourly range refreshes the days it touched in the same transaction
(`refresh_daily`), so below that step's watermark a day's row always equals the sum of its hourly rows. A
report over a year then reads 365 rows per line instead of 8,760 (`trusted_until` says how far it may).
Slots written by anything else (a MyEMS import, a test fixture) have no daily rows: reports read those
from the hourly table, and they would from rows in another zone's days too, after a zone change.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

from myems_common.db import Database
from myems_common.series import SeriesKey
from myems_common.slotstore import in_list, replace_rows
from myems_common.tariffbook import Rate, TariffBook
from myems_common.timeutil import bucket_start, next_bucket_start, zone

EPOCH = datetime(2000, 1, 1)
_SECOND = timedelta(seconds=1)
ENTITY_KINDS = ('space', 'equipment', 'combined_equipment', 'tenant', 'store', 'shopfloor')
DAILY_DATABASES = ('energy', 'billing', 'carbon')


def has_daily(key: SeriesKey) -> bool:
    return key.database in DAILY_DATABASES and key.entity in ENTITY_KINDS


def daily_table(key: SeriesKey) -> str:
    return key.table.removesuffix('_hourly') + '_daily'


def day_starts(start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """The UTC local midnights from the one starting the day of `start` to the first at or after `end`."""
    return list(_day_starts(start, end, tz))


@lru_cache(maxsize=512)
def _day_starts(start: datetime, end: datetime, tz: tzinfo) -> tuple[datetime, ...]:
    starts = [bucket_start(start, 'daily', tz)]
    while starts[-1] < end:
        starts.append(next_bucket_start(starts[-1], 'daily', tz))
    return tuple(starts)


def _seconds(moment: datetime) -> int:
    return (moment - EPOCH) // _SECOND


Bands = Callable[[int, datetime], str | None]  # (dimension, slot start) -> its time-of-use band, or None


def refresh_daily(
    cur: Any,
    key: SeriesKey,
    object_id: int,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    dimensions: Collection[Any] = (),
    bands: Bands | None = None,
) -> None:
    """Rewrite the daily rows of the local days overlapping [start, end) from the hourly rows, for the
    `dimensions` whose hourly rows in [start, end) were written or deleted (call it in the transaction that
    wrote them; a family without a dimension ignores them). With `bands`, each day's sum per time-of-use
    band too (`-` for slots in none)."""
    dimension = key.dimension_column
    if end <= start or (dimension and not dimensions):
        return
    days = day_starts(start, end, tz)
    named = sorted(dimensions) if dimension else []
    within = f' AND {in_list(dimension, named)}' if dimension else ''
    cur.execute(
        f"SELECT {dimension or 0}, TIMESTAMPDIFF(SECOND, '2000-01-01', start_datetime_utc),"
        f' CAST(actual_value AS CHAR) FROM `{key.table}`'
        f' WHERE {key.entity_column} = %s{within} AND start_datetime_utc >= %s AND start_datetime_utc < %s',
        (object_id, *named, days[0], days[-1]),
    )
    marks = [_seconds(d) for d in days]
    sums: dict[tuple[int, datetime, str], Decimal] = {}
    for line, seconds, text in cur.fetchall():
        day = days[bisect_right(marks, seconds) - 1]
        value = Decimal(text)
        wanted = [(int(line), day, '')]
        if bands is not None:
            wanted.append((int(line), day, bands(int(line), EPOCH + timedelta(seconds=seconds)) or '-'))
        for found in wanted:
            sums[found] = sums.get(found, Decimal(0)) + value
    rows = sorted((line, band, day, value) for (line, day, band), value in sums.items())
    keys = (dimension, 'peak_type', 'start_datetime_utc') if dimension else ('peak_type', 'start_datetime_utc')
    shaped = rows if dimension else [row[1:] for row in rows]
    fixed = ((key.entity_column, object_id),)
    replace_rows(cur, daily_table(key), fixed, keys, ('actual_value',), days[0], days[-1], shaped)


class BandBook:
    """The time-of-use bands of one kind's objects, by their cost centres' tariffs (read once a pass)."""

    def __init__(self, db: Database, kind: str, slot: timedelta) -> None:
        self.book = TariffBook(db, slot)
        rows = db.fetch_all('system', f'SELECT id, cost_center_id FROM tbl_{kind}s')
        self.centers = {int(i): int(c) for i, c in rows if c is not None}
        self.rates: dict[tuple[int, int], Rate | None] = {}

    def bands(self, key: SeriesKey, object_id: int) -> Bands | None:
        """How the slots of an object's category family fall into bands (None: not a category family)."""
        center = self.centers.get(object_id)
        if key.dimension != 'category':
            return None

        def band(category: int, moment: datetime) -> str | None:
            if center is None:
                return None
            rate = self.rates.get((center, category), _UNSET)
            if rate is _UNSET:
                rate = self.rates[(center, category)] = self.book.rate(center, category)
            period = rate.classify(moment)[1] if isinstance(rate, Rate) else None
            return period.name if period else None

        return band


_UNSET: Any = object()


def load_zones(db: Database, kind: str) -> dict[int, tzinfo]:
    """The zone of every object of `kind` (the default zone where it has none)."""
    return object_zones(db.fetch_all('system', zones_sql(kind)), db.settings.default_timezone)


def writer_step(key: SeriesKey) -> str:
    """The pipeline step that writes a daily family's hourly rows (and so its daily rows)."""
    if key.database == 'energy':
        return f'{key.entity}_energy'
    return (
        f'{key.entity}_{key.database}' if key.direction == 'input' else f'{key.entity}_{key.direction}_{key.database}'
    )


def whole_days(span: tuple[datetime, datetime], until: datetime | None, tz: tzinfo) -> list[datetime]:
    """The local midnights from the first whole day of `span` to the end of its last whole day ending by
    `until` (fewer than two: no whole day)."""
    if until is None:
        return []
    end = min(span[1], until)
    if end <= span[0]:
        return []
    starts = day_starts(span[0], end, tz)
    if starts[0] < span[0]:
        starts = starts[1:]
    while starts and starts[-1] > end:
        starts.pop()
    return starts


def trusted_until(cur: Any, step: str, object_id: int) -> datetime | None:
    """How far `step` (the writer of the hourly rows, in the cursor's database) has written an object: its
    daily rows may be read for the days that end by then."""
    cur.execute('SELECT processed_until_utc FROM tbl_pipeline_progress WHERE step = %s AND object_id = %s',
                (step, object_id))  # fmt: skip
    found = cur.fetchone()
    return found[0] if found else None


def zones_sql(kind: str, one: bool = False) -> str:
    """(object id, zone name or NULL) of every object of `kind` (or of the one whose id is the %s): a space's
    own zone, another object's its first linked space's."""
    if kind == 'space':
        return 'SELECT s.id, t.name FROM tbl_spaces s LEFT JOIN tbl_timezones t ON t.id = s.timezone_id' + (
            ' WHERE s.id = %s' if one else ''
        )
    where = f' WHERE {kind}_id = %s' if one else ''
    return (
        f'SELECT l.object_id, t.name FROM (SELECT {kind}_id object_id, MIN(space_id) space_id'
        f' FROM tbl_spaces_{kind}s{where} GROUP BY 1) l'
        ' JOIN tbl_spaces s ON s.id = l.space_id LEFT JOIN tbl_timezones t ON t.id = s.timezone_id'
    )


def zone_or(name: Any, default: str) -> tzinfo:
    """The zone named `name`, else (none, or unknown) the default zone."""
    if name:
        try:
            return zone(str(name))
        except (ValueError, KeyError):
            pass
    return zone(default)


def object_zones(rows: Sequence[tuple[Any, Any]], default: str) -> dict[int, tzinfo]:
    return {int(object_id): zone_or(name, default) for object_id, name in rows}
