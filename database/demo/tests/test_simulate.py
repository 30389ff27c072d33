"""The pure history generator: counters, faults, balance of masters and sub-meters, determinism."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from myems_demo import campus as c
from myems_demo import simulate as s
from myems_demo.history import history_window, select_meters

END = datetime(2026, 3, 2, 10, 0)  # a Monday; the 10 days before it hold a DST-free winter stretch
DAYS = 10


Readings = dict[int, list[tuple[datetime, Decimal]]]
Generated = tuple[s.Axis, dict[int, list[float]], Readings]


@pytest.fixture(scope='module')
def generated() -> Generated:
    start, end = history_window(END, DAYS)
    axis = s.build_axis(start, end, 7)
    series = s.simulate(c.METERS, axis, 7)
    readings: Readings = defaultdict(list)
    for point, when, value in s.energy_rows(c.METERS, series, axis, end, c.FAULTS):
        readings[point].append((when, Decimal(value)))
    return axis, series, readings


def _fault_time(kind: str) -> tuple[c.Fault, datetime]:
    fault = next(f for f in c.FAULTS if f.kind == kind)
    return fault, END - timedelta(hours=fault.hours_before_end)


def _decreases(rows: list[tuple[datetime, Decimal]]) -> list[datetime]:
    return [b[0] for a, b in zip(rows, rows[1:], strict=False) if b[1] < a[1]]


def test_every_meter_has_readings_with_three_decimals(generated: Generated) -> None:
    _, _, readings = generated
    assert set(readings) == {m.id for m in c.METERS}
    for meter in c.METERS:
        rows = readings[meter.id]
        expected = DAYS * 24 * 60 // meter.sim.interval
        assert expected - 30 <= len(rows) <= expected, meter.name
        assert all(len(str(v).partition('.')[2]) == 3 and v >= 0 for _, v in rows)
        assert rows == sorted(rows)
        assert all(0 <= when.second <= 20 and when.minute % meter.sim.interval == 0 for when, _ in rows)


def test_counters_decrease_only_at_the_injected_faults(generated: Generated) -> None:
    _, _, readings = generated
    faulty = {f.meter_id for f in c.FAULTS if f.kind in ('reset', 'spike', 'rollover')}
    for meter in c.METERS:
        if meter.id not in faulty:
            assert _decreases(readings[meter.id]) == [], meter.name
    for kind in ('reset', 'rollover'):
        fault, at = _fault_time(kind)
        (drop,) = _decreases(readings[fault.meter_id])
        assert at <= drop < at + timedelta(minutes=c.METERS_BY_ID[fault.meter_id].sim.interval, seconds=21)
        after = [v for when, v in readings[fault.meter_id] if when >= drop]
        assert after[0] < 5 and after == sorted(after)  # restarted near 0 and counting again


def test_spike_is_far_above_the_trend_and_the_next_reading_returns(generated: Generated) -> None:
    _, _, readings = generated
    fault, at = _fault_time('spike')
    rows = readings[fault.meter_id]
    i = next(i for i, (when, _) in enumerate(rows) if when >= at)
    before, spike, after = rows[i - 1][1], rows[i][1], rows[i + 1][1]
    limit = c.METERS_BY_ID[fault.meter_id].hourly_high_limit
    assert spike - before > 5 * limit
    assert before <= after < before + limit
    assert _decreases(rows) == [rows[i + 1][0]]


def test_gap_has_no_readings(generated: Generated) -> None:
    _, _, readings = generated
    fault, at = _fault_time('gap')
    inside = [w for w, _ in readings[fault.meter_id] if at <= w < at + timedelta(hours=fault.hours)]
    assert inside == []
    before = [w for w, _ in readings[fault.meter_id] if w < at]
    after = [w for w, _ in readings[fault.meter_id] if w >= at + timedelta(hours=fault.hours)]
    assert before and after and after[0] - before[-1] >= timedelta(hours=fault.hours)


def test_masters_exceed_their_sub_meters_by_the_loss_share_every_day(generated: Generated) -> None:
    axis, series, _ = generated
    children: dict[int, list[int]] = defaultdict(list)
    for m in c.METERS:
        if m.master_meter_id is not None:
            children[m.master_meter_id].append(m.id)
    per_day = 96
    for master, subs in children.items():
        for day in range(axis.slots // per_day):
            window = slice(day * per_day, (day + 1) * per_day)
            total, parts = sum(series[master][window]), sum(sum(series[sub][window]) for sub in subs)
            assert parts <= total <= parts * 1.08, (master, day)
            assert total >= parts * 1.01 or parts == 0, (master, day)


def test_readings_balance_too(generated: Generated) -> None:
    """Counter deltas of the office's floor 2 master against its lighting and plug load sub-meters."""
    _, _, readings = generated

    def delta(meter_id: int) -> Decimal:
        rows = readings[meter_id]
        return rows[-1][1] - rows[0][1]

    assert delta(112) + delta(122) < delta(102) < (delta(112) + delta(122)) * Decimal('1.08')


def test_consumption_stays_within_the_hourly_limits(generated: Generated) -> None:
    _, series, _ = generated
    for m in c.METERS:
        hours = [sum(series[m.id][k : k + 4]) for k in range(0, len(series[m.id]) - 3, 4)]
        assert max(hours) <= float(m.hourly_high_limit), m.name
        assert min(hours) >= float(m.hourly_low_limit)


def test_shapes_follow_the_calendar(generated: Generated) -> None:
    axis, series, _ = generated
    by_kind: dict[int, list[float]] = defaultdict(list)
    for k, moment in enumerate(axis.moments):
        if 10 <= moment.hour < 12:
            by_kind[moment.day].append(series[111][k])  # office lighting, late morning
    workday = sum(by_kind[s.WORKDAY]) / len(by_kind[s.WORKDAY])
    weekend = sum(by_kind[s.HOLIDAY]) / len(by_kind[s.HOLIDAY])
    assert workday > 5 * weekend
    heating = sum(series[5]) / len(series[5])
    cooling = sum(series[4]) / len(series[4])
    assert heating > 3 * cooling  # late winter


def test_generation_is_deterministic_and_resumable() -> None:
    start, end = history_window(END, 2)
    axis = s.build_axis(start, end, 7)
    meter = c.METERS_BY_ID[111]
    first = list(s.meter_readings(meter, s.simulate(c.METERS, axis, 7, [111])[111], axis, end))
    again = list(s.meter_readings(meter, s.simulate(c.METERS, axis, 7, [111])[111], axis, end))
    assert first == again
    other_seed = list(s.meter_readings(meter, s.simulate(c.METERS, axis, 8, [111])[111], axis, end))
    assert other_seed != first
    middle = first[len(first) // 2]
    resumed = list(
        s.meter_readings(
            meter, s.simulate(c.METERS, axis, 7, [111])[111], axis, end, resume=s.Resume(middle[1], 1000.0)
        )
    )
    assert resumed[0][1] > middle[1] and float(resumed[0][2]) >= 1000.0
    assert len(resumed) == len(first) - len(first) // 2 - 1


def test_signals() -> None:
    start, end = history_window(END, 1)
    axis = s.build_axis(start, end, 7)
    power = s.simulate(c.METERS, axis, 7, [1, 100])
    analog = list(s.signal_rows(c.ANALOG_POINTS, axis, 7, power, {}))
    digital = list(s.signal_rows(c.DIGITAL_POINTS, axis, 7, power, {}, digital=True))
    assert len(analog) == len(c.ANALOG_POINTS) * axis.slots and len(digital) == 4 * axis.slots
    limits = {p.id: (p.low, p.high) for p in c.ANALOG_POINTS}
    assert all(limits[p][0] <= float(v) <= limits[p][1] for p, _, v in analog)
    assert {v for _, _, v in digital} == {'0', '1'}


def test_meter_selection_for_benchmarks() -> None:
    demo, bench = select_meters(None)
    assert len(demo) == len(c.METERS) and bench == ()
    demo, bench = select_meters(5)
    assert [m.id for m in demo] == sorted(m.id for m in c.METERS)[:5] and bench == ()
    demo, bench = select_meters(len(c.METERS) + 3)
    assert len(demo) == len(c.METERS) and [m.id for m in bench] == [100001, 100002, 100003]


def test_local_time_drives_the_shapes_across_dst() -> None:
    """The office opens at the same local hour before and after the spring change (UTC shifts by 1 h)."""
    start, end = datetime(2026, 3, 26, 0, 0), datetime(2026, 3, 31, 0, 0)
    axis = s.build_axis(start, end, 7)
    hours = {axis.time(k): m.hour for k, m in enumerate(axis.moments)}
    assert hours[datetime(2026, 3, 27, 6, 0)] == 7.0  # CET, UTC+1
    assert hours[datetime(2026, 3, 30, 6, 0)] == 8.0  # CEST, UTC+2
    kinds = {axis.time(k).date(): m.day for k, m in enumerate(axis.moments) if axis.time(k).hour == 12}
    assert kinds[datetime(2026, 3, 27).date()] == s.WORKDAY
    assert kinds[datetime(2026, 3, 28).date()] == s.SATURDAY and kinds[datetime(2026, 3, 29).date()] == s.HOLIDAY
