"""Slot rows summed by the database over segments, so a report reads a row per segment instead of per slot.

A report only ever needs sums over pieces of its period: its buckets, the non-working days within them and,
in the reporting period, the runs of slots in one time-of-use band. The boundaries of all of these, merged
and sorted, cut the period into segments; every slot of a segment falls in the same bucket, on the same kind
of day and in the same band. The database sums the slots of each segment (`INTERVAL()` finds a slot's
segment by bisecting the boundaries), and the segment's sum stands in for its slots as one row dated at the
segment's start: bucketing, the working split and the band breakdown place it exactly where they would have
placed each of its slots.

A 30-day daily report of a space reads about 30 rows per energy category instead of 720, and a year about
365 (plus the band runs) instead of 8,760. Reports that need each slot (the load report's maximum) and
hourly buckets (one slot each) read the slots themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo

from myems_common.counterdata import SLOT_SECONDS, seconds
from myems_common.periods import Bucket
from myems_common.timeutil import bucket_start, next_bucket_start, to_utc


def day_bounds(days: Iterable[date], zone: tzinfo, span: tuple[datetime, datetime]) -> list[datetime]:
    """The UTC starts and ends of the local days `days` that overlap `span`."""
    found: list[datetime] = []
    first, last = span[0] - timedelta(days=2), span[1] + timedelta(days=2)
    for day in days:
        start = bucket_start(to_utc(datetime(day.year, day.month, day.day), zone), 'daily', zone)
        if first <= start <= last:
            found += (start, next_bucket_start(start, 'daily', zone))
    return found


def segment_bounds(
    span: tuple[datetime, datetime], bucket_list: Sequence[Bucket], *more: Iterable[datetime]
) -> list[int]:
    """The sorted segment starts in `span` (seconds from 2000-01-01): the span's start, every bucket's and
    each instant of `more` inside the span."""
    start, end = span
    moments = {start, *(b.start_utc for b in bucket_list)}
    for group in more:
        moments.update(m for m in group if start < m < end)
    return sorted(seconds(m) for m in moments)


def segment_sql(bounds: Sequence[int]) -> str:
    """The SQL expression numbering a row's segment (1 for the first) from its start_datetime_utc."""
    return f'INTERVAL({SLOT_SECONDS}, {", ".join(map(str, bounds))})'
