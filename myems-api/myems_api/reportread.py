"""Reading one object's slot rows for a report: per slot, per segment, or per day where daily sums hold.

`read_spans` returns, per span, the rows of each line (energy category or item) as (moment, value) pairs,
the shape the report kinds take. Where the report allows (`bounds`, see `reportsegments`) the database sums
slots over segments; and for the whole local days an aggregation step has already written
(`myems_common.daily`), it reads one row per day from the daily table instead. Every row lies within one
bucket, one kind of day and (for the time-of-use read) one band, so each stands in for its slots exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

from myems_api.pipelined import fetch_sets
from myems_api.reportkinds import BANDS, Rows
from myems_api.reportsegments import segment_bounds, segment_sql
from myems_common.counterdata import SLOT_SECONDS, seconds
from myems_common.counters import EPOCH
from myems_common.daily import daily_table, has_daily, reaches, whole_days
from myems_common.series import SeriesKey
from myems_common.slotstore import dimensions_of, in_list
from myems_common.tariffbook import Rate

_MOMENTS: dict[int, datetime] = {}
FAR = datetime(9999, 1, 1)


def reached_all(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
    """The guess for `pipelined` reads: the daily sums of every object asked (`daily.reaches`) hold to the end
    of time. Right for every report of days the aggregation has done, which is nearly all of them."""
    if 'FROM tbl_pipeline_progress' not in sql:
        return None
    return [(object_id, FAR) for object_id in params[1:]]


def moment(count: int) -> datetime:
    """The naive UTC instant `count` seconds after 2000-01-01, shared between requests (slot starts repeat)."""
    found = _MOMENTS.get(count)
    if found is None:
        if len(_MOMENTS) > 500_000:
            _MOMENTS.clear()
        found = _MOMENTS[count] = EPOCH + timedelta(seconds=count)
    return found


class SeriesReader:
    """One object's rows of one slot family, read with one cursor (a transaction on the family's database)."""

    def __init__(
        self,
        cur: Any,
        key: SeriesKey,
        object_id: int,
        category: int | None = None,
        dimensions: Sequence[int] | None = None,
    ) -> None:
        self.cur = cur
        self.key = key
        self.object_id = object_id
        # a meter-like's rows are its category's line; an entity's lines are its dimension column's values
        self.dimension = key.dimension_column or str(int(category or 0))
        self.dimensions: list[int] = []
        if key.dimension_column:  # (entity, dimension, time) keys: name the dimensions (the given ones, else
            column = key.dimension_column  # those it has) so that a time range is an index range, not a filter
            where, params = f'{key.entity_column} = %s', [object_id]
            found = dimensions_of(cur, key.table, where, params, column) if dimensions is None else dimensions
            self.dimensions = [int(v) for v in found]
        self.empty = bool(key.dimension_column) and not self.dimensions
        self._until: tuple[datetime | None] | None = None  # how far its daily rows hold (`reaches`), once read
        self.banded = False  # whether the days' band sums are read with their sums (for a time-of-use breakdown)
        self._bands: dict[tuple[datetime, datetime], dict[int, dict[str, Decimal]] | None] = {}

    def reach(self, until: datetime | None) -> None:
        """How far its daily rows hold, read by the caller (`reaches`)."""
        self._until = (until,)

    def _where(self, ranges: int) -> tuple[str, list[Any]]:
        within, params = '', [self.object_id]
        if self.key.dimension_column:
            within = f' AND {self.dimension} IN ({", ".join(["%s"] * len(self.dimensions))})'
            params += self.dimensions
        times = ' OR '.join(['(start_datetime_utc >= %s AND start_datetime_utc < %s)'] * ranges)
        return f'{self.key.entity_column} = %s{within} AND ({times})', params

    def slots(self, span: tuple[datetime, datetime]) -> dict[int, Rows]:
        """Every slot row (times as seconds and values as text: twice as fast to read as DATETIME and DECIMAL)."""
        found: dict[int, Rows] = {}
        if self.empty:
            return found
        where, params = self._where(1)
        self.cur.execute(
            f'SELECT {self.dimension}, {SLOT_SECONDS}, CAST(actual_value AS CHAR) FROM {self.key.table}'
            f' WHERE {where} ORDER BY 1, 2',
            (*params, *span),
        )
        for line, at, value in self.cur.fetchall():
            found.setdefault(int(line), []).append((moment(at), Decimal(value)))
        return found

    def segments(
        self, span: tuple[datetime, datetime], cut: Sequence[int], tz: tzinfo | None = None
    ) -> dict[int, Rows]:
        """A row per segment of `cut` (sorted seconds from 2000-01-01, the first the span's start), each dated
        at its segment's start. With `tz`, the whole local days the writing step has done come from the daily
        table (`cut` must then hold every local midnight of the span: day buckets or non-working days)."""
        found: dict[int, Rows] = {}
        if self.empty:
            return found
        days = self._days(span, tz) if tz is not None else []
        ranges = [(span[0], days[0]), (days[-1], span[1])] if days else [span]
        ranges = [r for r in ranges if r[0] < r[1]]
        if ranges:
            where, params = self._where(len(ranges))
            self.cur.execute(
                f'SELECT {self.dimension}, {segment_sql(cut)}, CAST(SUM(actual_value) AS CHAR) FROM {self.key.table}'
                f' WHERE {where} GROUP BY 1, 2',
                (*params, *(t for r in ranges for t in r)),
            )
            for line, segment, value in self.cur.fetchall():
                found.setdefault(int(line), []).append((moment(cut[segment - 1]), Decimal(value)))
        if days:
            for line, rows in self._daily(days).items():
                found.setdefault(line, []).extend(rows)
        for rows in found.values():
            rows.sort()
        return found

    def _days(self, span: tuple[datetime, datetime], tz: tzinfo) -> list[datetime]:
        if not has_daily(self.key):
            return []
        if self._until is None:
            self._until = (reaches(self.cur, self.key, [self.object_id]).get(self.object_id),)
        days = whole_days(span, self._until[0], tz)
        return days if len(days) >= 2 else []

    def _daily(self, days: list[datetime]) -> dict[int, Rows]:
        """The days' sums (with `banded`, their band sums too, kept for `band_sums`: one round trip)."""
        where, params = self._where(1)
        table = daily_table(self.key)
        statements = [
            (f'SELECT {self.dimension}, {SLOT_SECONDS}, CAST(actual_value AS CHAR) FROM {table} WHERE {where}', params)
        ]
        if self.banded:
            statements.append((self._band_sql(where, table), params))
        rows, *bands = fetch_sets(self.cur, [(sql, (*p, days[0], days[-1])) for sql, p in statements])
        starts = day_seconds(tuple(days))[0]
        if any(row[1] not in starts for row in rows):
            raise StaleDays  # days of another zone (its zone changed since): not usable
        if bands:
            self._bands[(days[0], days[-1])] = self._band_rows(bands[0])
        found: dict[int, Rows] = {}
        for line, at, value in rows:
            found.setdefault(int(line), []).append((moment(at), Decimal(value)))
        return found

    def _band_sql(self, where: str, table: str, check: str = '0') -> str:
        """SQL for each line's band sums over the days, how many days were not split and (`check`) how many
        are off the zone's days."""
        columns = ''.join(f', CAST(SUM({band}) AS CHAR)' for band in BANDS)
        return (
            f'SELECT {self.dimension}, SUM({BANDS[0]} IS NULL), {check}{columns} FROM {table} WHERE {where} GROUP BY 1'
        )

    @staticmethod
    def _band_rows(rows: Sequence[Any]) -> dict[int, dict[str, Decimal]] | None:
        """The lines' band sums, or None if a day was not split into bands or is off the zone's days."""
        if any(row[1] or row[2] for row in rows):
            return None
        return {int(row[0]): {b: Decimal(v or 0) for b, v in zip(BANDS, row[3:], strict=True)} for row in rows}

    def band_sums(
        self, span: tuple[datetime, datetime], tz: tzinfo, rates: dict[int, Rate]
    ) -> dict[int, dict[str, Decimal]]:
        """Per line (category), the sums of `span` per time-of-use band of `rates`: the whole days from the
        daily table where they were split into bands, the rest from runs of slots in one band."""
        found: dict[int, dict[str, Decimal]] = {}
        if self.empty:
            return found
        days = self._days(span, tz)
        ranges = [span]
        sums = self._bands.get((days[0], days[-1])) if days else None  # read with the days' sums
        if days and (days[0], days[-1]) not in self._bands:
            where, params = self._where(1)
            self.cur.execute(
                self._band_sql(where, daily_table(self.key), _off_days(days)), (*params, days[0], days[-1])
            )
            sums = self._band_rows(self.cur.fetchall())
        if days and sums is not None:
            ranges = [r for r in ((span[0], days[0]), (days[-1], span[1])) if r[0] < r[1]]
            for line, bands in sums.items():
                if line in rates:
                    into = found.setdefault(line, {})
                    for band, value in bands.items():
                        into[band] = into.get(band, Decimal(0)) + value
        for part in ranges:  # the rest: runs of slots in one band, summed by the database
            cut = segment_bounds(part, [], *(rate.band_changes(*part) for rate in rates.values()))
            add_bands(rates, self.segments(part, cut), found)
        return found


def add_bands(rates: dict[int, Rate], rows: dict[int, Rows], into: dict[int, dict[str, Decimal]]) -> None:
    """Add each line's rows (each within one band) to its band's sum (rows in no band are left out)."""
    for line, line_rows in rows.items():
        rate = rates.get(line)
        if rate is None:
            continue
        sums = into.setdefault(line, {})
        for at, value in line_rows:
            band = rate.classify(at)[1]
            if band is not None:
                sums[band.name] = sums.get(band.name, Decimal(0)) + value


class StaleDays(Exception):
    """The daily rows are of other days than the report's zone's."""


def read_spans(
    reader: SeriesReader,
    spans: Sequence[tuple[datetime, datetime]],
    bounds: Sequence[Sequence[int] | None],
    tz: tzinfo,
) -> list[dict[int, Rows]]:
    """Per span: its segments' rows where `bounds` gives them (whole days from the daily table), else its slots."""
    found = []
    for span, cut in zip(spans, bounds, strict=True):
        if cut is None:
            found.append(reader.slots(span))
            continue
        try:
            found.append(reader.segments(span, cut, tz))
        except StaleDays:
            found.append(reader.segments(span, cut))
    return found


def totals(
    cur: Any,
    key: SeriesKey,
    zones: dict[int, tzinfo],
    dimensions: Sequence[int],
    span: tuple[datetime, datetime],
    until: dict[int, datetime] | None = None,
) -> dict[tuple[int, int], Decimal]:
    """(object, dimension) -> the sum of its rows in `span`, for the objects of `zones` (an entity family):
    their whole days written by the family's step from the daily table, the rest from the hourly rows.
    `until`: their `reaches`, if read already."""
    if not zones or not dimensions:
        return {}
    ids = sorted(zones)
    if until is None:
        until = reaches(cur, key, ids)
    plans: dict[tuple[datetime, ...], list[int]] = {}  # objects by their whole days (same zone, same reach)
    for object_id in ids:
        days = tuple(whole_days(span, until.get(object_id), zones[object_id]))
        plans.setdefault(days if len(days) >= 2 else (), []).append(object_id)
    sums: dict[tuple[int, int], Decimal] = {}
    stale: list[int] = []
    for days, objects in plans.items():
        if days:
            stale += _daily_totals(cur, key, objects, dimensions, list(days), sums)
            edges = [r for r in ((span[0], days[0]), (days[-1], span[1])) if r[0] < r[1]]
            _hourly_totals(cur, key, objects, dimensions, edges, sums)
        else:
            _hourly_totals(cur, key, objects, dimensions, [span], sums)
    if stale:  # daily rows of another zone's days: those objects from the hourly rows only
        sums = {k: v for k, v in sums.items() if k[0] not in stale}
        _hourly_totals(cur, key, stale, dimensions, [span], sums)
    return sums


@lru_cache(maxsize=256)
def day_seconds(days: tuple[datetime, ...]) -> tuple[frozenset[int], str]:
    """The day starts as seconds from 2000-01-01, as a set and (all but the last, the end) as an SQL list.
    Kept: a year's 366 conversions were a tenth of a one-year report's time, and reports repeat their days."""
    found = [seconds(d) for d in days]
    return frozenset(found), ', '.join(map(str, found[:-1]))


def _off_days(days: Sequence[datetime]) -> str:
    """SQL counting the rows not dated at one of the day starts `days[:-1]` (rows of another zone's days)."""
    return f'SUM({SLOT_SECONDS} NOT IN ({day_seconds(tuple(days))[1]}))'


def _add(sums: dict[tuple[int, int], Decimal], rows: Sequence[Any]) -> None:
    for object_id, dimension, value in rows:
        found = (int(object_id), int(dimension))
        sums[found] = sums.get(found, Decimal(0)) + Decimal(value)


def _hourly_totals(
    cur: Any,
    key: SeriesKey,
    objects: Sequence[int],
    dimensions: Sequence[int],
    ranges: Sequence[tuple[datetime, datetime]],
    sums: dict[tuple[int, int], Decimal],
) -> None:
    if not ranges:
        return
    dimension = key.dimension_column or ''
    times = ' OR '.join(['(start_datetime_utc >= %s AND start_datetime_utc < %s)'] * len(ranges))
    cur.execute(
        f'SELECT {key.entity_column}, {dimension}, CAST(SUM(actual_value) AS CHAR) FROM {key.table}'
        f' WHERE {in_list(key.entity_column, objects)} AND {in_list(dimension, dimensions)} AND ({times})'
        ' GROUP BY 1, 2',
        (*objects, *dimensions, *(t for r in ranges for t in r)),
    )
    _add(sums, cur.fetchall())


def _daily_totals(
    cur: Any,
    key: SeriesKey,
    objects: Sequence[int],
    dimensions: Sequence[int],
    days: list[datetime],
    sums: dict[tuple[int, int], Decimal],
) -> list[int]:
    """Add the daily sums of [days[0], days[-1]); returns the objects with rows off those days (stale)."""
    dimension = key.dimension_column or ''
    cur.execute(
        f'SELECT {key.entity_column}, {dimension}, CAST(SUM(actual_value) AS CHAR), {_off_days(days)}'
        f' FROM {daily_table(key)}'
        f' WHERE {in_list(key.entity_column, objects)} AND {in_list(dimension, dimensions)}'
        ' AND start_datetime_utc >= %s AND start_datetime_utc < %s GROUP BY 1, 2',
        (*objects, *dimensions, days[0], days[-1]),
    )
    rows = cur.fetchall()
    _add(sums, [row[:3] for row in rows])
    return sorted({int(row[0]) for row in rows if row[3]})
