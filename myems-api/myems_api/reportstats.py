"""More report kinds over the same frame: load, statistics, and actual against a reference series
(saving against the baseline, plan, prediction). Pure, like `reportkinds`.

* load: per bucket the average slot value over the slots that have data (kWh per hourly slot is the average
  kW) and the largest one; over the period the average, the maximum and the load factor average/maximum;
* statistics: over the buckets' sums (an empty bucket is 0): mean, median, minimum, maximum, sample standard
  deviation and variance (both need two buckets);
* saving, plan, prediction: the reference (baseline, plan or prediction database) and the actual per bucket,
  and reference - actual (a saving is positive when less was used than expected).
"""

from __future__ import annotations

import statistics as stats
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from myems_api.reportkinds import ZERO, Frame, Period, Rows, _bucketed, _periods, period, rate, ratio
from myems_common.periods import Bucket


def _load(rows: Rows, bucket_list: Sequence[Bucket]) -> tuple[list[Decimal | None], list[Decimal | None]]:
    """Per bucket (average, maximum) of the slot values in it; None where no slot has data."""
    sums: list[Decimal] = [ZERO] * len(bucket_list)
    counts = [0] * len(bucket_list)
    peaks: list[Decimal | None] = [None] * len(bucket_list)
    starts = [b.start_utc for b in bucket_list]
    index = 0
    for moment, value in sorted(rows):
        while index < len(bucket_list) and moment >= bucket_list[index].end_utc:
            index += 1
        if index == len(bucket_list):
            break
        if moment < starts[index]:
            continue
        sums[index] += value
        counts[index] += 1
        peak = peaks[index]
        peaks[index] = value if peak is None or value > peak else peak
    return [s / c if c else None for s, c in zip(sums, counts, strict=True)], peaks


def load_report(frame: Frame, measure: str) -> dict[str, Any]:
    blocks: dict[str, Any] = {}
    spans = (('base_period', frame.base, frame.base_rows), ('reporting_period', frame.reporting, frame.reporting_rows))
    for key, span, rows in spans:
        block = period(frame, span, rows) if span else None
        found: dict[str, Any] = {
            'names': [line.name for line in frame.lines],
            'units': [line.unit for line in frame.lines],
            'timestamps': [],
            'sub_averages': [],
            'sub_maximums': [],
            'averages': [],
            'maximums': [],
            'factors': [],
        }
        for line in frame.lines:
            line_rows = rows.get(line.id, [])
            averages, maximums = _load(line_rows, block.buckets) if block else ([], [])
            in_range = [v for t, v in line_rows if span and span[0] <= t < span[1]]
            average = sum(in_range, ZERO) / len(in_range) if in_range else None
            maximum = max(in_range) if in_range else None
            found['timestamps'].append(block.labels if block else [])
            found['sub_averages'].append(averages)
            found['sub_maximums'].append(maximums)
            found['averages'].append(average)
            found['maximums'].append(maximum)
            found['factors'].append(ratio(average, maximum) if maximum is not None and maximum > 0 else None)
        blocks[key] = found
    rep, base = blocks['reporting_period'], blocks['base_period']
    rep['energy_category_ids'] = [line.id for line in frame.lines]
    for name in ('averages', 'maximums', 'factors'):
        rep[f'{name}_increment_rate'] = [
            rate(r, b) for r, b in zip(rep[name], base[name] or [None] * len(rep[name]), strict=True)
        ]
    for name in ('averages', 'maximums'):
        rep[f'{name}_per_unit_area'] = [ratio(v, frame.area) for v in rep[name]]
        rep[f'{name}_per_capita'] = [ratio(v, frame.occupants) for v in rep[name]]
    return blocks


def describe(values: Sequence[Decimal]) -> dict[str, Decimal | None]:
    """Mean, median, minimum, maximum, sample stdev and variance of bucket sums."""
    many = len(values) >= 2
    return {
        'means': stats.mean(values) if many else None,
        'medians': stats.median(values) if many else None,
        'minimums': min(values) if values else None,
        'maximums': max(values) if values else None,
        'stdevs': stats.stdev(values) if many else None,
        'variances': stats.variance(values) if many else None,
    }


def statistics_report(frame: Frame, measure: str) -> dict[str, Any]:
    base, reporting = _periods(frame)
    blocks: dict[str, Any] = {}
    for key, block in (('base_period', base), ('reporting_period', reporting)):
        found: dict[str, Any] = {
            'names': [line.name for line in frame.lines],
            'units': [line.unit for line in frame.lines],
            'timestamps': [block.labels if block else [] for _ in frame.lines],
            'values': block.values if block else [[] for _ in frame.lines],
            'subtotals': block.subtotals if block else [ZERO for _ in frame.lines],
        }
        described = [describe(v) for v in found['values']]
        for name in ('means', 'medians', 'minimums', 'maximums', 'stdevs', 'variances'):
            found[name] = [d[name] for d in described]
        blocks[key] = found
    rep, old = blocks['reporting_period'], blocks['base_period']
    rep['energy_category_ids'] = [line.id for line in frame.lines]
    for name in ('subtotals', 'means', 'medians', 'minimums', 'maximums', 'stdevs', 'variances'):
        rep[f'{name}_increment_rate'] = [rate(r, b) for r, b in zip(rep[name], old[name], strict=True)]
    for name in ('subtotals', 'means', 'medians', 'minimums', 'maximums'):
        rep[f'{name}_per_unit_area'] = [ratio(v, frame.area) for v in rep[name]]
    return blocks


def reference_report(frame: Frame, measure: str) -> dict[str, Any]:
    """`measure` names the reference: 'baseline' (saving), 'plan' or 'prediction'."""
    blocks: dict[str, Any] = {}
    spans = (
        ('base_period', frame.base, frame.base_rows, frame.reference_base_rows),
        ('reporting_period', frame.reporting, frame.reporting_rows, frame.reference_rows),
    )
    for key, span, actual_rows, reference_rows in spans:
        actual: Period | None = period(frame, span, actual_rows) if span else None
        found: dict[str, Any] = {
            'names': [line.name for line in frame.lines],
            'units': [line.unit for line in frame.lines],
            'timestamps': [actual.labels if actual else [] for _ in frame.lines],
        }
        reference = [
            _bucketed(reference_rows.get(line.id, []), actual.buckets) if actual else [] for line in frame.lines
        ]
        values = actual.values if actual else [[] for _ in frame.lines]
        found[f'values_{measure}'] = reference
        found['values_actual'] = values
        found['values_saving'] = [
            [r - a for r, a in zip(rs, vs, strict=True)] for rs, vs in zip(reference, values, strict=True)
        ]
        for name in (measure, 'actual', 'saving'):
            found[f'subtotals_{name}'] = [sum(v, ZERO) for v in found[f'values_{name}']]
        found['subtotals_in_kgce_saving'] = [
            s * line.kgce for s, line in zip(found['subtotals_saving'], frame.lines, strict=True)
        ]
        found['subtotals_in_kgco2e_saving'] = [
            s * line.kgco2e for s, line in zip(found['subtotals_saving'], frame.lines, strict=True)
        ]
        found['total_in_kgce_saving'] = sum(found['subtotals_in_kgce_saving'], ZERO)
        found['total_in_kgco2e_saving'] = sum(found['subtotals_in_kgco2e_saving'], ZERO)
        blocks[key] = found
    rep, old = blocks['reporting_period'], blocks['base_period']
    rep['energy_category_ids'] = [line.id for line in frame.lines]
    rep['increment_rates_saving'] = [
        (r - b) / abs(b) if b else None for r, b in zip(rep['subtotals_saving'], old['subtotals_saving'], strict=True)
    ]
    rep['subtotals_saving_per_unit_area'] = [ratio(s, frame.area) for s in rep['subtotals_saving']]
    rep['subtotals_saving_per_capita'] = [ratio(s, frame.occupants) for s in rep['subtotals_saving']]
    return blocks
