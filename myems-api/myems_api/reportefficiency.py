"""The efficiency report kind, pure like `reportkinds`: output energy over input energy.

The frame's rows are the object's input categories (`tbl_<entity>_input_category_hourly`) and its
reference rows its output categories (`tbl_<entity>_output_category_hourly`, both in the energy database);
the frame's lines are every category of either. As in MyEMS there is one efficiency line for every
(output category, input category) pair, named 'output/input' with the unit 'output unit/input unit':

* per bucket the output over the input of the bucket (None where the input is not positive);
* over the period the *cumulation*: the period's output over its input;
* the reporting period's per-bucket `rates` against the base bucket at the same calendar position and the
  cumulation's `increment_rates`, both None unless the base value is positive.

The input and output blocks (`*_period_input`, `*_period_output`) list each category's buckets and
subtotal, and for the reporting period its increment rate and subtotals per unit area and per capita.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from myems_api.reportkinds import ZERO, Frame, Line, Rows, _bucketed, rate, ratio
from myems_common.periods import Bucket, align, buckets


def _block(lines: Sequence[Line], rows: dict[int, Rows], bucket_list: Sequence[Bucket]) -> dict[str, Any]:
    values = [_bucketed(rows.get(line.id, []), bucket_list) for line in lines]
    return {
        'names': [line.name for line in lines],
        'units': [line.unit for line in lines],
        'timestamps': [[b.label for b in bucket_list] for _ in lines],
        'values': values,
        'subtotals': [sum(v, ZERO) for v in values],
    }


def _efficiency(
    outputs: Sequence[Line], inputs: Sequence[Line], output: dict[str, Any], input_: dict[str, Any]
) -> dict[str, Any]:
    found: dict[str, Any] = {'names': [], 'units': [], 'timestamps': [], 'values': [], 'cumulations': []}
    for i, out_line in enumerate(outputs):
        for j, in_line in enumerate(inputs):
            found['names'].append(f'{out_line.name}/{in_line.name}')
            found['units'].append(f'{out_line.unit}/{in_line.unit}')
            found['timestamps'].append(output['timestamps'][i])
            found['values'].append(
                [ratio(o, n) if n > 0 else None for o, n in zip(output['values'][i], input_['values'][j], strict=True)]
            )
            subtotal = input_['subtotals'][j]
            found['cumulations'].append(ratio(output['subtotals'][i], subtotal) if subtotal > 0 else None)
    return found


def _span_buckets(frame: Frame, span: tuple[datetime, datetime] | None) -> list[Bucket]:
    return buckets(span[0], span[1], frame.period_type, frame.zone, frame.slot) if span else []


def efficiency_report(frame: Frame, measure: str) -> dict[str, Any]:
    """The input, output and efficiency blocks of both periods (base blocks empty without a base period)."""
    inputs = [line for line in frame.lines if line.id in frame.reporting_rows or line.id in frame.base_rows]
    outputs = [line for line in frame.lines if line.id in frame.reference_rows or line.id in frame.reference_base_rows]
    base_buckets = _span_buckets(frame, frame.base)
    reporting_buckets = _span_buckets(frame, frame.reporting)
    blocks: dict[str, Any] = {}
    for key, bucket_list, actual, reference in (
        ('base_period', base_buckets, frame.base_rows, frame.reference_base_rows),
        ('reporting_period', reporting_buckets, frame.reporting_rows, frame.reference_rows),
    ):
        input_ = _block(inputs, actual, bucket_list)
        output = _block(outputs, reference, bucket_list)
        blocks[f'{key}_input'] = input_
        blocks[f'{key}_output'] = output
        blocks[f'{key}_efficiency'] = _efficiency(outputs, inputs, output, input_)
    for side, lines in (('input', inputs), ('output', outputs)):
        rep, old = blocks[f'reporting_period_{side}'], blocks[f'base_period_{side}']
        rep['energy_category_ids'] = [line.id for line in lines]
        rep['increment_rates'] = [
            rate(r, o if frame.base else None) for r, o in zip(rep['subtotals'], old['subtotals'], strict=True)
        ]
        rep['subtotals_per_unit_area'] = [ratio(s, frame.area) for s in rep['subtotals']]
        rep['subtotals_per_capita'] = [ratio(s, frame.occupants) for s in rep['subtotals']]
    rep, old = blocks['reporting_period_efficiency'], blocks['base_period_efficiency']
    pairs = align(base_buckets, reporting_buckets, frame.period_type, frame.slot) if frame.base else []
    rep['rates'] = [
        [
            rate(value, None if j is None else base[j])
            for value, j in zip(values, pairs or [None] * len(values), strict=True)
        ]
        for values, base in zip(rep['values'], old['values'], strict=True)
    ]
    rep['increment_rates'] = [rate(r, o) for r, o in zip(rep['cumulations'], old['cumulations'], strict=True)]
    return blocks
