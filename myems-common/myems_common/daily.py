"""Daily sums beside the hourly slot tables of the hierarchy (spaces, equipments, ..., shopfloors).

`tbl_space_input_category_daily` holds, per space, energy category and local day of the space's zone, the
sum of that day's `tbl_space_input_category_hourly` rows; `start_datetime_utc` is the day's local midnight in
UTC. The same holds for every entity family of the energy database, and for the category families of the
billing and carbon databases (`has_daily`: the families reports read). Each day's row also holds its sums
per time-of-use band of the entity's cost centre's tariffs (`toppeak` ... `deep`, MyEMS's peak types; NULL
where the day was not split into bands, as migration 0006 leaves the days it fills).

The step that writes an hourly range refreshes the days it touched in the same transaction
(`refresh_daily`), so below that step's watermark a day's row always equals the sum of its hourly rows. A
report over a year then reads 365 rows per line instead of 8,760 (the watermark says how far it may).
Slots written by anything else (a MyEMS import, a test fixture) have no daily rows: reports read those
from the hourly table, and they would from rows in another zone's days too, after a zone change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from myems_common.db import Database
from myems_common.hierarchy import KINDS
from myems_common.series import SeriesKey
from myems_common.slotstore import FRESH, in_list, replace_rows
from myems_common.tariffbook import Rate, TariffBook
from myems_common.timeutil import bucket_start, next_bucket_start, zone

BAND_COLUMNS = ('toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep')  # MyEMS's peak types, a column each
_BAND_PLACES = {band: place for place, band in enumerate(BAND_COLUMNS, start=1)}
DAILY_DATABASES = ('energy', 'billing', 'carbon')


def has_daily(key: SeriesKey) -> bool:
    """Entity families of the energy database, and by category those of billing and carbon (what reports read:
    cost and carbon reports are by category)."""
    if key.database not in DAILY_DATABASES or key.entity not in KINDS:
        return False
    return key.database == 'energy' or key.dimension == 'category'


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


# dimension -> {slot start: its time-of-use band, or None}, a mapping that classifies a slot when first asked
Bands = Callable[[int], Mapping[datetime, str | None]]


def refresh_daily(
    cur: Any,
    key: SeriesKey,
    object_id: int,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    dimensions: Collection[Any] = (),
    bands: Bands | None = None,
    written: Sequence[tuple[Any, datetime, Decimal]] | None = None,
) -> None:
    """Rewrite the daily rows of the local days overlapping [start, end) from the hourly rows, for the
    `dimensions` whose hourly rows in [start, end) were written or deleted (call it in the transaction that
    wrote them; a family without a dimension ignores them). With `bands`, each day's sum per time-of-use
    band too (of MyEMS's peak types; slots in none or another are in the day's sum only).

    `written`: the hourly rows of [start, end) as just written, (dimension, start, value): only the parts of
    the first and last days outside [start, end) are read back (after it, none in a fresh range)."""
    dimension = key.dimension_column
    if end <= start or (dimension and not dimensions):
        return
    days = day_starts(start, end, tz)
    named = sorted(dimensions) if dimension else []
    within = f' AND {in_list(dimension, named)}' if dimension else ''
    ranges = [(days[0], days[-1])]
    sums: dict[tuple[int, datetime], list[Any]] = {}  # the day's sum, then its bands' (None: not split)
    if written is not None:
        ranges = [r for r in ((days[0], start), (end, days[-1])) if r[0] < r[1]]
        if FRESH.get():  # nothing is written past the watermark yet
            ranges = [r for r in ranges if r[0] < start]
        wanted = set(named)
        for line, group in groupby(written, itemgetter(0)):
            if not dimension or line in wanted:
                _add_days(sums, int(line), group, tz, bands, stored=False)
    for first, last in ranges:
        cur.execute(
            f'SELECT {dimension or 0}, start_datetime_utc, CAST(actual_value AS CHAR) FROM `{key.table}`'
            f' WHERE {key.entity_column} = %s{within} AND start_datetime_utc >= %s AND start_datetime_utc < %s',
            (object_id, *named, first, last),
        )
        for line, found in groupby(cur.fetchall(), itemgetter(0)):
            _add_days(sums, int(line), ((line, at, Decimal(text)) for line, at, text in found), tz, bands, stored=True)
    rows = sorted((line, day, *values) for (line, day), values in sums.items())
    columns = (dimension, 'start_datetime_utc') if dimension else ('start_datetime_utc',)
    shaped = rows if dimension else [row[1:] for row in rows]
    fixed = ((key.entity_column, object_id),)
    values = ('actual_value', *BAND_COLUMNS)
    replace_rows(cur, daily_table(key), fixed, columns, values, days[0], days[-1], shaped, named if dimension else None)


def _add_days(
    sums: dict[tuple[int, datetime], list[Any]],
    line: int,
    rows: Iterable[tuple[Any, datetime, Decimal]],
    tz: tzinfo,
    bands: Bands | None,
    stored: bool,
) -> None:
    """Add one dimension's hourly rows to the sums of their days (and bands). `stored`: the values are read
    from the table; else as written, rounded as the column keeps them."""
    days = local_days(tz)
    totals: dict[Any, Decimal] = {}  # (day, band name) or, without bands, day -> sum of its rows
    if bands is None:
        for _, at, value in rows:
            day = days[at]
            if not stored:
                value = value.quantize(_MICRO, ROUND_HALF_UP)
            total = totals.get(day)
            totals[day] = value if total is None else total + value
    else:
        names = bands(line)
        for _, at, value in rows:
            part = (days[at], names[at])
            if not stored:
                value = value.quantize(_MICRO, ROUND_HALF_UP)
            total = totals.get(part)
            totals[part] = value if total is None else total + value
    empty = [None] * len(BAND_COLUMNS) if bands is None else [_ZERO] * len(BAND_COLUMNS)
    for part, total in totals.items():
        day, name = part if bands is not None else (part, None)
        row = sums.get((line, day))
        if row is None:
            row = sums[(line, day)] = [_ZERO, *empty]
        row[0] += total
        place = _BAND_PLACES.get(name or '')
        if place is not None:
            row[place] += total


class _LocalDays(dict[datetime, datetime]):
    """Slot start -> the UTC start of its local day in one zone, computed when first asked for."""

    def __init__(self, tz: tzinfo) -> None:
        super().__init__()
        self.tz = tz

    def __missing__(self, at: datetime) -> datetime:
        day = self[at] = bucket_start(at, 'daily', self.tz)
        return day


_LOCAL_DAYS: dict[tzinfo, _LocalDays] = {}


def local_days(tz: tzinfo) -> Mapping[datetime, datetime]:
    """The local day of each slot start in `tz` (kept across calls: every object shares the slots of a pass)."""
    days = _LOCAL_DAYS.get(tz)
    if days is None or len(days) > 100_000:
        days = _LOCAL_DAYS[tz] = _LocalDays(tz)
    return days


_MICRO = Decimal('0.000001')
_ZERO = Decimal(0)


class _BandNames(dict[datetime, str | None]):
    """Slot start -> the band of one rate (None: no rate, or no band), classified when first asked for."""

    def __init__(self, rate: Rate | None) -> None:
        super().__init__()
        self.rate = rate

    def __missing__(self, moment: datetime) -> str | None:
        period = self.rate.classify(moment)[1] if self.rate is not None else None
        name = self[moment] = period.name if period else None
        return name


class BandBook:
    """The time-of-use bands of one kind's objects, by their cost centres' tariffs (read once a pass)."""

    def __init__(self, db: Database, kind: str, slot: timedelta) -> None:
        self.book = TariffBook(db, slot)
        rows = db.fetch_all('system', f'SELECT id, cost_center_id FROM tbl_{kind}s')
        self.centers = {int(i): int(c) for i, c in rows if c is not None}
        self.names: dict[tuple[int | None, int], _BandNames] = {}  # per rate: slot start -> band name

    def bands(self, key: SeriesKey, object_id: int) -> Bands | None:
        """How the slots of an object's category family fall into bands (None: not a category family)."""
        center = self.centers.get(object_id)
        if key.dimension != 'category':
            return None

        def names(category: int) -> Mapping[datetime, str | None]:
            found = self.names.get((center, category))
            if found is None:
                rate = self.book.rate(center, category) if center is not None else None
                found = self.names[(center, category)] = _BandNames(rate)
            return found

        return names


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


def reaches(cur: Any, key: SeriesKey, object_ids: Sequence[int]) -> dict[int, datetime]:
    """How far the step writing a daily family has written each object (its daily rows hold up to there)."""
    if not has_daily(key) or not object_ids:
        return {}
    cur.execute(
        'SELECT object_id, processed_until_utc FROM tbl_pipeline_progress'
        f' WHERE step = %s AND {in_list("object_id", object_ids)}',
        (writer_step(key), *object_ids),
    )
    return {int(i): u for i, u in cur.fetchall()}


def zone_sql(kind: str) -> str:
    """A scalar subquery for the zone name of object `o` of `kind`: a space's own, another object's that of the
    first space (lowest id) it is linked to that has one; NULL: none (the default zone). Reports, plans and
    the daily sums all read an object's zone with it, so they agree."""
    if kind == 'space':
        return '(SELECT z.name FROM tbl_timezones z WHERE z.id = o.timezone_id)'
    return (
        f'(SELECT z.name FROM tbl_spaces_{kind}s l JOIN tbl_spaces s ON s.id = l.space_id'
        f' JOIN tbl_timezones z ON z.id = s.timezone_id WHERE l.{kind}_id = o.id ORDER BY l.space_id LIMIT 1)'
    )


def zones_sql(kind: str) -> str:
    """(object id, zone name or NULL) of every object of `kind`."""
    return f'SELECT o.id, {zone_sql(kind)} FROM tbl_{kind}s o'


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
