"""Report kinds as pure functions: slot rows in, MyEMS's report JSON out. No database, no Falcon.

A *line* is one series of a report (an energy category of a space, the one category of a meter). Each
period (base and reporting) is bucketed in the object's zone (`myems_common.periods`); base and reporting
buckets are paired by calendar position for the rates. Values keep their exactness (Decimal); empty
buckets read 0 as in MyEMS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from myems_common.daily import BAND_COLUMNS
from myems_common.periods import Bucket, align, bucket_sums, buckets, working_split

Rows = list[tuple[datetime, Decimal]]
ZERO = Decimal(0)


@dataclass(frozen=True)
class Line:
    id: int
    name: str
    unit: str
    kgce: Decimal = ZERO
    kgco2e: Decimal = ZERO


@dataclass(frozen=True)
class Frame:
    """What a report is computed from."""

    period_type: str
    zone: tzinfo
    slot: timedelta
    reporting: tuple[datetime, datetime]
    base: tuple[datetime, datetime] | None
    lines: list[Line]
    reporting_rows: dict[int, Rows]
    base_rows: dict[int, Rows] = field(default_factory=dict)
    area: Decimal | None = None
    occupants: Decimal | None = None
    non_working: frozenset[date] = frozenset()
    reference_rows: dict[int, Rows] = field(default_factory=dict)  # baseline, plan or prediction: reporting period
    reference_base_rows: dict[int, Rows] = field(default_factory=dict)  # and base period
    tou: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # reporting period sums by time-of-use band


BANDS = BAND_COLUMNS  # MyEMS's peak types


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def rate(reporting: Decimal | None, base: Decimal | None) -> Decimal | None:
    """(reporting - base) / base, None unless the base is positive (MyEMS's increment rate)."""
    if reporting is None or base is None or base <= 0:
        return None
    return (reporting - base) / base


def _bucketed(rows: Rows, bucket_list: Sequence[Bucket]) -> list[Decimal]:
    return [v if v is not None else ZERO for v in bucket_sums(rows, bucket_list)]


@dataclass
class Period:
    """One period of one report, line by line."""

    buckets: list[Bucket]
    values: list[list[Decimal]]
    working: list[Decimal]
    non_working: list[Decimal]

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.buckets]

    @property
    def subtotals(self) -> list[Decimal]:
        return [sum(v, ZERO) for v in self.values]


def period(frame: Frame, span: tuple[datetime, datetime], rows: dict[int, Rows]) -> Period:
    bucket_list = buckets(span[0], span[1], frame.period_type, frame.zone, frame.slot)
    values, working, non_working = [], [], []
    for line in frame.lines:
        line_rows = rows.get(line.id, [])
        values.append(_bucketed(line_rows, bucket_list))
        work, rest = working_split(line_rows, bucket_list, frame.zone, frame.non_working)
        working.append(sum(work, ZERO))
        non_working.append(sum(rest, ZERO))
    return Period(bucket_list, values, working, non_working)


def _rates(frame: Frame, base: Period | None, reporting: Period) -> list[list[Decimal | None]]:
    if base is None:
        return [[None] * len(reporting.buckets) for _ in frame.lines]
    pairs = align(base.buckets, reporting.buckets, frame.period_type, frame.slot)
    return [
        [rate(rep[i], None if j is None else old[j]) for i, j in enumerate(pairs)]
        for rep, old in zip(reporting.values, base.values, strict=True)
    ]


def _periods(frame: Frame) -> tuple[Period | None, Period]:
    base = period(frame, frame.base, frame.base_rows) if frame.base else None
    return base, period(frame, frame.reporting, frame.reporting_rows)


def category_report(frame: Frame, measure: str) -> dict[str, Any]:
    """The base and reporting blocks of an entity's energy category, cost or carbon report."""
    base, reporting = _periods(frame)
    names = [line.name for line in frame.lines]
    units = [line.unit for line in frame.lines]
    empty = Period([], [[] for _ in frame.lines], [ZERO] * len(frame.lines), [ZERO] * len(frame.lines))
    old = base or empty
    blocks: dict[str, Any] = {}
    for key, block in (('base_period', old), ('reporting_period', reporting)):
        subtotals = block.subtotals
        found: dict[str, Any] = {
            'names': names,
            'units': units,
            'timestamps': [block.labels for _ in frame.lines],
            'values': block.values,
            'subtotals': subtotals,
            'working_days_subtotals': block.working,
            'non_working_days_subtotals': block.non_working,
        }
        if measure == 'energy':
            found['subtotals_in_kgce'] = [s * line.kgce for s, line in zip(subtotals, frame.lines, strict=True)]
            found['subtotals_in_kgco2e'] = [s * line.kgco2e for s, line in zip(subtotals, frame.lines, strict=True)]
            found['total_in_kgce'] = sum(found['subtotals_in_kgce'], ZERO)
            found['total_in_kgco2e'] = sum(found['subtotals_in_kgco2e'], ZERO)
        else:
            found['total'] = sum(subtotals, ZERO)
        blocks[key] = found
    rep, old_block = blocks['reporting_period'], blocks['base_period']
    rep['energy_category_ids'] = [line.id for line in frame.lines]
    rep['rates'] = _rates(frame, base, reporting)
    rep['increment_rates'] = [rate(r, o) for r, o in zip(rep['subtotals'], old_block['subtotals'], strict=True)]
    rep['subtotals_per_unit_area'] = [ratio(s, frame.area) for s in rep['subtotals']]
    rep['subtotals_per_capita'] = [ratio(s, frame.occupants) for s in rep['subtotals']]
    for band in BANDS:  # the time-of-use breakdown of the reporting period (MyEMS's toppeaks ... deeps)
        rep[f'{band}s'] = [frame.tou.get(line.id, {}).get(band, ZERO) for line in frame.lines]
    totals = ('total_in_kgce', 'total_in_kgco2e') if measure == 'energy' else ('total',)
    for total in totals:
        suffix = total.removeprefix('total')
        rep[f'{total}_per_unit_area'] = ratio(rep[total], frame.area)
        rep[f'{total}_per_capita'] = ratio(rep[total], frame.occupants)
        rep[f'increment_rate{suffix}' if suffix else 'total_increment_rate'] = rate(rep[total], old_block[total])
    return blocks


def meter_report(frame: Frame, measure: str) -> dict[str, Any]:
    """The base and reporting blocks of a meter's (virtual or offline meter's) energy, cost or carbon report."""
    base, reporting = _periods(frame)
    line = frame.lines[0]
    blocks: dict[str, Any] = {}
    for key, block in (('base_period', base), ('reporting_period', reporting)):
        values = block.values[0] if block else []
        total = sum(values, ZERO)
        found: dict[str, Any] = {
            'total_in_category': total,
            'timestamps': block.labels if block else [],
            'values': values,
        }
        if measure == 'energy':
            found['total_in_kgce'] = total * line.kgce
            found['total_in_kgco2e'] = total * line.kgco2e
        blocks[key] = found
    rep = blocks['reporting_period']
    rep['increment_rate'] = rate(rep['total_in_category'], blocks['base_period']['total_in_category'] if base else None)
    rep['rates'] = _rates(frame, base, reporting)[0]
    for band in BANDS:
        rep[band] = frame.tou.get(line.id, {}).get(band, ZERO)
    return blocks
