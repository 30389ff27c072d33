"""Counter cleaning and slot energy: examples worked by hand, and properties (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from myems_common.counters import Flag, clean, increment, slot_energy

T0 = datetime(2026, 3, 1)
HOUR = timedelta(hours=1)
GAP = timedelta(hours=2)
D = Decimal


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# ------------------------------------------------------------------------------------------ examples
def test_interpolation_splits_an_interval_across_the_boundary() -> None:
    readings = [(at(0), D(100)), (at(45), D(145)), (at(75), D(175)), (at(120), D(220))]
    slots = slot_energy(readings, T0, at(120), HOUR, GAP)
    assert [(s.start, s.value) for s in slots] == [(at(0), D(60)), (at(60), D(60))]  # 45 + 30*15/30 ; 15 + 45


def test_no_slot_is_written_before_the_data_for_its_end_exists() -> None:
    readings = [(at(0), D(0)), (at(50), D(50))]
    assert slot_energy(readings, T0, at(180), HOUR, GAP) == []


def test_a_gap_is_spread_in_proportion_to_time_and_marked_estimated() -> None:
    readings = [(at(0), D(0)), (at(60), D(10)), (at(360), D(310)), (at(420), D(320))]
    slots = slot_energy(readings, T0, at(420), HOUR, GAP)
    assert [s.value for s in slots] == [D(10), D(60), D(60), D(60), D(60), D(60), D(10)]
    assert [s.estimated for s in slots] == [False, True, True, True, True, True, False]


def test_a_reset_counts_from_zero_and_a_rollover_wraps() -> None:
    rate = D(1) / 60  # 1 unit a minute
    assert increment((at(0), D(5000)), (at(10), D(7)), rate) == D(7)  # reset: new counter from 0
    assert increment((at(0), D(99995)), (at(10), D(5)), rate) == D(10)  # wrapped at 100000
    assert increment((at(0), D(65530)), (at(10), D(4)), rate) == D(10)  # wrapped at 2**16


def test_cleaning_flags_range_dip_and_spike_and_keeps_a_reset() -> None:
    readings = [
        (at(0), D(10)),
        (at(15), D(11)),
        (at(30), D(5)),  # dip: comes back
        (at(45), D(12)),
        (at(60), D(900)),  # spike: the next falls back, never returns
        (at(75), D(13)),
        (at(90), D(-1)),  # outside the limits
        (at(105), D(14)),
        (at(120), D(1)),  # reset: never comes back
        (at(135), D(2)),
    ]
    flags, undecided = clean(readings, None, D(0), D(10**6), at(24 * 60), timedelta(hours=1))
    assert undecided is None
    bad = {f.time: f.reason for f in flags if f.bad}
    assert bad == {at(30): 'dip', at(60): 'spike', at(90): 'range'}
    assert Flag(at(120), False) in flags


def test_cleaning_waits_for_the_readings_that_decide() -> None:
    readings = [(at(0), D(10)), (at(15), D(4))]  # a drop: dip or reset? not known yet
    flags, undecided = clean(readings, D(9), D(0), D(100), at(20), timedelta(hours=1))
    assert flags == [Flag(at(0), False)] and undecided == at(15)
    flags, undecided = clean(readings, D(9), D(0), D(100), at(200), timedelta(hours=1))
    assert undecided is None and flags[-1] == Flag(at(15), False)  # the hour passed: a reset


# ---------------------------------------------------------------------------------------- properties
@st.composite
def counter(draw: st.DrawFn, resets: bool = False) -> list[tuple[datetime, Decimal]]:
    steps = draw(st.lists(st.integers(1, 240), min_size=2, max_size=60))
    amounts = draw(st.lists(st.integers(0, 10**7), min_size=len(steps), max_size=len(steps)))
    minute, value = draw(st.integers(0, 59)), D(draw(st.integers(0, 10**9))) / 1000
    readings = [(at(minute), value)]
    for step, amount in zip(steps, amounts, strict=True):
        minute += step
        value += D(amount) / 1000
        readings.append((at(minute), value))
    return readings


@settings(max_examples=200, deadline=None)
@given(counter(), st.sampled_from([15, 30, 60]))
def test_energy_is_conserved(readings: list[tuple[datetime, Decimal]], slot_minutes: int) -> None:
    slot = timedelta(minutes=slot_minutes)
    last_time, _ = readings[-1]
    end = last_time - (last_time - T0) % slot
    readings = [r for r in readings if r[0] <= end] or readings[:1]
    if readings[-1][0] != end:  # end the counter exactly on a boundary
        readings.append((end, readings[-1][1]))
    slots = slot_energy(readings, T0, end, slot, GAP)
    assert sum(s.value for s in slots) == readings[-1][1] - readings[0][1]
    assert all(s.value >= 0 for s in slots)
    assert all(s.value == s.value.quantize(D('0.000001')) for s in slots)


@settings(max_examples=200, deadline=None)
@given(counter(), st.integers(1, 20))
def test_chunks_give_the_same_slots_as_one_range(readings: list[tuple[datetime, Decimal]], cut: int) -> None:
    start = T0
    end = readings[-1][0] - (readings[-1][0] - T0) % HOUR
    middle = min(start + cut * HOUR, end)
    whole = slot_energy(readings, start, end, HOUR, GAP)
    parts = slot_energy(readings, start, middle, HOUR, GAP) + slot_energy(readings, middle, end, HOUR, GAP)
    assert parts == whole


@settings(max_examples=200, deadline=None)
@given(counter(), st.integers(1, 50), st.integers(0, 5))
def test_a_reset_loses_only_what_the_new_counter_cannot_show(
    readings: list[tuple[datetime, Decimal]], cut: int, restart: int
) -> None:
    """Readings after index `cut` restart from `restart`: the slots hold the old counter's energy up to the
    reset plus the new counter's (counted from 0)."""
    cut = min(cut, len(readings) - 1)
    offset = readings[cut][1] - restart
    if offset <= 0:
        return
    shifted = readings[:cut] + [(t, v - offset) for t, v in readings[cut:]]
    end = shifted[-1][0] - (shifted[-1][0] - T0) % HOUR
    shifted = [r for r in shifted if r[0] <= end]
    if len(shifted) <= cut or shifted[-1][0] != end or shifted[cut][1] >= shifted[cut - 1][1]:
        return  # no drop, or cut away
    if increment(shifted[cut - 1], shifted[cut], D(1)) != shifted[cut][1]:
        return  # the old counter stood just below a register size: a wrap is as likely
    expected = (shifted[cut - 1][1] - shifted[0][1]) + shifted[-1][1]
    assert sum(s.value for s in slot_energy(shifted, T0, end, HOUR, GAP)) == expected


@settings(max_examples=100, deadline=None)
@given(counter())
def test_a_monotone_counter_is_all_good(readings: list[tuple[datetime, Decimal]]) -> None:
    flags, undecided = clean(readings, None, D(0), D(10**12), readings[-1][0] + timedelta(days=1), HOUR)
    assert undecided is None and not any(f.bad for f in flags) and len(flags) == len(readings)
