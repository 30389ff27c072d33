"""Virtual points: an expression over other points, evaluated on a common time grid (pure).

A virtual point is a point with is_virtual = 1 whose address is the JSON object
{"expression": "...", "substitutions": {"variable": point_id, ...}}. MyEMS evaluates it only where
every input has a reading at exactly the same timestamp, which yields nothing for inputs that are
not sampled together. Here each input is resampled onto a grid of UTC times aligned to whole steps
since the epoch:

* a reading exactly at a grid time gives that value;
* otherwise, between two readings t0 < t < t1 no further apart than `max_gap`, the value is
  interpolated linearly (exactly, in Decimal);
* across a longer gap, a reading within `tolerance` of the grid time gives its value (the edges of
  the gap); deeper inside the gap the input has no value;
* before an input's first reading and after its last one it has no value: nothing is extrapolated.

An output is produced at a grid time only where every input has a value. A grid time where the
expression has no value (a division by zero, no piece's condition holds) is reported, not written.
Callers load each input's readings from `start - max_gap` to `end + max_gap` so that grid times near
the window's edges can be interpolated.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

from myems_common.expression import (
    CONTEXT,
    MAX_VARIABLES,
    EvaluationError,
    Expression,
    ExpressionError,
    check_name,
    parse,
)

MAX_TIMESTAMPS = 100_000  # grid times evaluated in one pass; the rest wait for the next pass
Reading = tuple[datetime, Decimal]


class AddressError(ValueError):
    """A virtual point address that cannot be used; the message names the point."""


@dataclass(frozen=True)
class VirtualPoint:
    point_id: int
    name: str
    expression: Expression
    substitutions: Mapping[str, int]  # lower-cased variable -> input point id


@dataclass(frozen=True)
class Grid:
    """How inputs are resampled: grid step, the longest gap interpolated over, the edge tolerance."""

    step: timedelta = timedelta(seconds=60)
    max_gap: timedelta = timedelta(minutes=15)
    tolerance: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.step <= timedelta(0):
            raise ValueError(f'the grid step must be positive, got {self.step}')
        if self.max_gap < timedelta(0) or self.tolerance < timedelta(0):
            raise ValueError('max_gap and tolerance must not be negative')


@dataclass
class Result:
    values: list[Reading] = field(default_factory=list)
    errors: list[tuple[datetime, str]] = field(default_factory=list)  # grid times with no value, and why


def parse_address(point_id: int, name: str, address: str | Mapping[str, Any]) -> VirtualPoint:
    """The expression and substitutions of a virtual point's address; raises AddressError naming the point."""
    where = f'virtual point {name!r} ({point_id})'
    data: Any = address
    if isinstance(address, str):
        try:
            data = json.loads(address)
        except ValueError as exc:
            raise AddressError(f'{where}: the address is not JSON ({exc})') from None
    if not isinstance(data, Mapping):
        raise AddressError(f'{where}: the address must be an object with expression and substitutions')
    text, substitutions = data.get('expression'), data.get('substitutions')
    if not isinstance(text, str):
        raise AddressError(f'{where}: address.expression must be text')
    if not isinstance(substitutions, Mapping):
        raise AddressError(f'{where}: address.substitutions must be an object of variable: point id')
    if len(substitutions) > MAX_VARIABLES:
        raise AddressError(f'{where}: more than {MAX_VARIABLES} substitutions ({len(substitutions)})')
    try:
        expression = parse(text)
    except ExpressionError as exc:
        raise AddressError(f'{where}: expression: {exc}') from None
    bound: dict[str, int] = {}
    for variable, target in substitutions.items():
        problem = check_name(str(variable))
        if problem is not None:
            raise AddressError(f'{where}: substitution {problem}')
        key = str(variable).lower()
        if key in bound:
            raise AddressError(f'{where}: substitution {variable!r} is given twice')
        bound[key] = _point_id(where, variable, target)
        if bound[key] == point_id:
            raise AddressError(f'{where}: substitution {variable!r} refers to the point itself')
    missing = sorted(expression.variables - set(bound))
    if missing:
        raise AddressError(f'{where}: the expression uses {", ".join(missing)}, which have no substitution')
    unused = sorted(set(bound) - expression.variables)
    if unused:
        raise AddressError(f'{where}: substitution {", ".join(unused)} is not used in the expression')
    return VirtualPoint(point_id, name, expression, bound)


def _point_id(where: str, variable: Any, target: Any) -> int:
    if isinstance(target, str) and target.strip().isascii() and target.strip().isdigit():
        target = int(target.strip())
    if isinstance(target, bool) or not isinstance(target, int) or target <= 0:
        raise AddressError(f'{where}: substitution {variable!r} must be a point id, got {target!r}')
    return target


# ----------------------------------------------------------------------------------------- the grid
def grid_times(start: datetime, end: datetime, step: timedelta, limit: int = MAX_TIMESTAMPS) -> list[datetime]:
    """Times strictly between start and end on whole steps since the epoch, at most `limit` of them."""
    epoch = datetime(1970, 1, 1, tzinfo=start.tzinfo)
    first = start - (start - epoch) % step
    if first <= start:
        first += step
    times: list[datetime] = []
    moment = first
    while moment < end and len(times) < limit:
        times.append(moment)
        moment += step
    return times


def typical_interval(readings: Sequence[Reading]) -> timedelta | None:
    """The median time between consecutive readings, or None with fewer than two."""
    gaps = sorted(b[0] - a[0] for a, b in zip(readings, readings[1:], strict=False))
    return gaps[len(gaps) // 2] if gaps else None


def resample(readings: Sequence[Reading], times: Sequence[datetime], grid: Grid) -> list[Decimal | None]:
    """The input's value at each grid time (None where it has none); readings sorted by time, unique."""
    for a, b in zip(readings, readings[1:], strict=False):
        if not a[0] < b[0]:
            raise ValueError(f'readings must be sorted by time without repeats ({a[0]} then {b[0]})')
    stamps = [r[0] for r in readings]
    out: list[Decimal | None] = []
    with localcontext(CONTEXT):
        for moment in times:
            out.append(_value_at(readings, stamps, moment, grid))
    return out


def _value_at(readings: Sequence[Reading], stamps: list[datetime], moment: datetime, grid: Grid) -> Decimal | None:
    index = bisect_left(stamps, moment)
    if index < len(stamps) and stamps[index] == moment:
        return readings[index][1]
    if index == 0 or index == len(stamps):  # before the first reading or after the last one
        return None
    (t0, v0), (t1, v1) = readings[index - 1], readings[index]
    if t1 - t0 <= grid.max_gap:
        unit = timedelta(microseconds=1)
        return v0 + (v1 - v0) * Decimal((moment - t0) // unit) / Decimal((t1 - t0) // unit)
    if moment - t0 <= grid.tolerance and moment - t0 <= t1 - moment:
        return v0
    if t1 - moment <= grid.tolerance:
        return v1
    return None


def evaluate(
    point: VirtualPoint, inputs: Mapping[int, Sequence[Reading]], start: datetime, end: datetime, grid: Grid
) -> Result:
    """Values of the virtual point at grid times strictly between start and end.

    `inputs` maps each input point id to its readings. A grid time counts only where every input has
    a value there; a constant expression has a value at every grid time.
    """
    times = grid_times(start, end, grid.step)
    columns: dict[str, list[Decimal | None]] = {}
    for variable, point_id in point.substitutions.items():
        columns[variable] = resample(inputs.get(point_id, ()), times, grid)
    result = Result()
    for position, moment in enumerate(times):
        values: dict[str, Decimal] = {}
        for variable, column in columns.items():
            value = column[position]
            if value is None:
                break
            values[variable] = value
        else:
            try:
                result.values.append((moment, point.expression.evaluate(values)))
            except EvaluationError as exc:
                result.errors.append((moment, str(exc)))
    return result
