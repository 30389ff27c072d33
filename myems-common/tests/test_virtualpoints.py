"""Virtual points: address parsing, the time grid, resampling, and evaluation (examples and hypothesis)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myems_common.virtualpoints import (
    AddressError,
    Grid,
    Reading,
    evaluate,
    grid_times,
    parse_address,
    resample,
    typical_interval,
)

D = Decimal
T0 = datetime(2025, 3, 1, 12, 0)
MINUTE = timedelta(minutes=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# ------------------------------------------------------------------------------------------ address
def test_address_from_json_text_or_object() -> None:
    text = json.dumps({'expression': 'P1 * 2 + p2', 'substitutions': {'P1': 11, 'p2': '12'}})
    point = parse_address(5, 'Chiller power', text)
    assert point.substitutions == {'p1': 11, 'p2': 12}
    assert point.expression.variables == frozenset({'p1', 'p2'})
    same = parse_address(5, 'Chiller power', {'expression': 'P1 * 2 + p2', 'substitutions': {'P1': 11, 'p2': 12}})
    assert same.substitutions == point.substitutions and str(same.expression) == 'p1 * 2 + p2'
    piecewise = parse_address(6, 'Heat', {'expression': '(a, a > 0), (0, true)', 'substitutions': {'a': 1}})
    assert piecewise.expression.is_piecewise


@pytest.mark.parametrize(
    ('address', 'message'),
    [
        ('{not json', 'the address is not JSON'),
        ('[1, 2]', 'must be an object'),
        ({'substitutions': {}}, 'address.expression must be text'),
        ({'expression': 'a', 'substitutions': [1]}, 'address.substitutions must be an object'),
        ({'expression': "__import__('os').system('id')", 'substitutions': {}}, 'expression: .*"__".* at 0'),
        ({'expression': 'a + b', 'substitutions': {'a': 1}}, 'uses b, which have no substitution'),
        ({'expression': 'a', 'substitutions': {'a': 1, 'b': 2}}, 'substitution b is not used'),
        ({'expression': 'a', 'substitutions': {'a': 1, 'A': 2}}, "substitution 'A' is given twice"),
        ({'expression': 'a', 'substitutions': {'a': 9}}, 'refers to the point itself'),
        ({'expression': 'a', 'substitutions': {'a': True}}, "substitution 'a' must be a point id, got True"),
        ({'expression': 'a', 'substitutions': {'a': -3}}, 'must be a point id'),
        ({'expression': 'a', 'substitutions': {'a': '1e3'}}, 'must be a point id'),
        ({'expression': 'a', 'substitutions': {'a.b': 3}}, 'is not a name'),
        ({'expression': 'a', 'substitutions': {f'v{i}': i + 10 for i in range(101)}}, 'more than 100 substitutions'),
    ],
)
def test_bad_addresses_name_the_point(address: Any, message: str) -> None:
    with pytest.raises(AddressError, match=f"^virtual point 'Boiler' \\(9\\): .*{message}"):
        parse_address(9, 'Boiler', address)


# --------------------------------------------------------------------------------------------- grid
def test_grid_is_aligned_and_exclusive() -> None:
    assert grid_times(at(0), at(180), MINUTE) == [at(60), at(120)]
    assert grid_times(at(1), at(181), MINUTE) == [at(60), at(120), at(180)]
    assert grid_times(at(-1), at(60), MINUTE) == [at(0)]
    assert grid_times(at(0), at(600), MINUTE, limit=3) == [at(60), at(120), at(180)]
    assert grid_times(at(0), at(0), MINUTE) == []
    assert grid_times(datetime(2025, 3, 1, 0, 7), datetime(2025, 3, 1, 0, 40), timedelta(minutes=15)) == [
        datetime(2025, 3, 1, 0, 15),
        datetime(2025, 3, 1, 0, 30),
    ]
    with pytest.raises(ValueError, match='positive'):
        Grid(step=timedelta(0))


def test_typical_interval() -> None:
    readings = [(at(s), D(0)) for s in (0, 60, 120, 400, 460)]
    assert typical_interval(readings) == MINUTE
    assert typical_interval(readings[:1]) is None


# --------------------------------------------------------------------------------------- resampling
def test_resample_exact_interpolated_and_missing() -> None:
    readings = [(at(0), D(10)), (at(120), D(20)), (at(2000), D(40))]
    grid = Grid(max_gap=timedelta(minutes=5))
    times = [at(-60), at(0), at(30), at(60), at(120), at(1000), at(2000), at(2060)]
    assert resample(readings, times, grid) == [None, 10, D('12.5'), 15, 20, None, 40, None]


def test_tolerance_gives_the_edges_of_a_long_gap() -> None:
    readings = [(at(0), D(1)), (at(3600), D(5))]
    grid = Grid(max_gap=timedelta(minutes=15), tolerance=timedelta(seconds=90))
    assert resample(readings, [at(60), at(120), at(1800), at(3540), at(3599)], grid) == [1, None, None, 5, 5]


def test_resample_refuses_unsorted_readings() -> None:
    with pytest.raises(ValueError, match='sorted'):
        resample([(at(60), D(1)), (at(0), D(2))], [at(30)], Grid())
    with pytest.raises(ValueError, match='sorted'):
        resample([(at(0), D(1)), (at(0), D(2))], [at(30)], Grid())


# --------------------------------------------------------------------------------------- evaluation
def test_inputs_that_are_not_sampled_together_still_give_values() -> None:
    """MyEMS matches exact timestamps and would give nothing here: a at :00, b at :30 of each minute."""
    point = parse_address(3, 'Sum', {'expression': 'a + b', 'substitutions': {'a': 1, 'b': 2}})
    a = [(at(60 * i), D(i)) for i in range(6)]
    b = [(at(60 * i + 30), D(100)) for i in range(6)]
    result = evaluate(point, {1: a, 2: b}, at(0), at(600), Grid())
    assert result.values == [(at(60 * i), D(100 + i)) for i in range(1, 6)]  # after b's last reading: nothing
    assert result.errors == []


def test_evaluation_errors_are_reported_per_timestamp() -> None:
    point = parse_address(3, 'Ratio', {'expression': 'a / b', 'substitutions': {'a': 1, 'b': 2}})
    a = [(at(60 * i), D(6)) for i in range(5)]
    b = [(at(60 * i), D(i - 2)) for i in range(5)]
    result = evaluate(point, {1: a, 2: b}, at(0), at(300), Grid())
    assert result.values == [(at(60), D(-6)), (at(180), D(6)), (at(240), D(3))]
    assert result.errors == [(at(120), 'division by zero: b is 0')]


def test_a_missing_input_gives_nothing_and_a_constant_gives_every_grid_time() -> None:
    point = parse_address(3, 'Sum', {'expression': 'a + b', 'substitutions': {'a': 1, 'b': 2}})
    a = [(at(60 * i), D(i)) for i in range(6)]
    assert evaluate(point, {1: a}, at(0), at(600), Grid()).values == []
    constant = parse_address(4, 'Nominal', {'expression': '230', 'substitutions': {}})
    assert evaluate(constant, {}, at(0), at(240), Grid()).values == [(at(60 * i), D(230)) for i in (1, 2, 3)]


# --------------------------------------------------------------------------------------- properties
@st.composite
def linear_inputs(draw: Any) -> tuple[list[Reading], int, int]:
    """Readings of value = offset + slope * seconds at random instants no more than 10 minutes apart."""
    offset = draw(st.integers(-1000, 1000))
    slope = draw(st.integers(-50, 50))
    gaps = draw(st.lists(st.integers(1, 600_000), min_size=1, max_size=30))  # milliseconds
    moment, readings = draw(st.integers(0, 100_000)), []
    for gap in [0, *gaps]:
        moment += gap
        readings.append((at(moment / 1000), D(offset) + D(slope) * D(moment) / 1000))
    return readings, offset, slope


@settings(max_examples=200, deadline=None)
@given(linear_inputs(), st.sampled_from([timedelta(seconds=1), timedelta(seconds=7), MINUTE]))
def test_a_linear_signal_is_recovered_exactly(data: tuple[list[Reading], int, int], step: timedelta) -> None:
    readings, offset, slope = data
    grid = Grid(step=step, max_gap=timedelta(minutes=10))
    times = grid_times(readings[0][0] - step, readings[-1][0] + step, step)
    for moment, value in zip(times, resample(readings, times, grid), strict=True):
        inside = readings[0][0] <= moment <= readings[-1][0]
        assert (value is not None) == inside
        if value is not None:
            assert value == D(offset) + D(slope) * D((moment - T0) // timedelta(microseconds=1)) / 1_000_000


readings_lists = st.lists(
    st.tuples(st.integers(0, 3600), st.decimals(-1000, 1000, places=2, allow_nan=False)),
    min_size=1,
    max_size=40,
    unique_by=lambda r: r[0],
).map(lambda rows: [(at(s), v) for s, v in sorted(rows)])


@settings(max_examples=200, deadline=None)
@given(readings_lists, readings_lists, st.integers(0, 900), st.integers(0, 120))
def test_outputs_lie_on_the_grid_between_neighbours(
    a: list[Reading], b: list[Reading], max_gap: int, tolerance: int
) -> None:
    grid = Grid(step=timedelta(seconds=30), max_gap=timedelta(seconds=max_gap), tolerance=timedelta(seconds=tolerance))
    point = parse_address(3, 'Difference', {'expression': 'a - b', 'substitutions': {'a': 1, 'b': 2}})
    result = evaluate(point, {1: a, 2: b}, at(-30), at(3700), grid)
    times = grid_times(at(-30), at(3700), grid.step)
    columns = [resample(a, times, grid), resample(b, times, grid)]
    expected = [(t, x - y) for t, x, y in zip(times, *columns, strict=True) if x is not None and y is not None]
    assert result.values == expected and result.errors == []
    for readings, column in zip((a, b), columns, strict=True):
        for moment, value in zip(times, column, strict=True):
            if value is None:
                continue
            assert readings[0][0] <= moment <= readings[-1][0]  # nothing extrapolated
            near = [v for t, v in readings if abs(t - moment) <= max(grid.max_gap, grid.tolerance)]
            assert near and min(near) <= value <= max(near)
