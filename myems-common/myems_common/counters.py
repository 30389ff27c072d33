"""Cumulative energy counters: which readings are bad, and how much energy each slot holds. Pure.

Cleaning (`clean`) walks a point's readings in time order and flags, never deletes:

* ``range``: outside the point's [low_limit, high_limit];
* ``dip``: lower than the last good reading, and a later reading (within `recovery`) is back at or above
  it: a glitch, not a reset;
* ``spike``: above the last good reading, but the readings after it fall back below it (without going
  below the last good one) and do not come back within `recovery`: one reading far above the trend.

A drop that does not recover is a reset or a rollover: the reading is good and counting goes on from it.
Deciding a reading may need later ones; when they have not arrived (and `recovery` has not passed since)
the walk stops, and that reading is the first one left for the next pass.

Slot energy (`slot_energy`) takes good readings only. Each interval between consecutive readings holds
an increment: the difference, or across a drop, a rollover (the register wrapped at a power of ten or
two just above the last value, when that gives an increment in line with the meter's usual rate) or a
reset (the new counter started at 0). An interval's increment is shared among the slots it overlaps in
proportion to time, split so the parts add up exactly to it, so for a counter without resets the slots
sum to the last reading minus the first. A slot overlapped by an interval longer than `gap` is marked
estimated. A slot is produced only when readings exist at or after its end: nothing is pre-filled.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

Reading = tuple[datetime, Decimal]
SIX = Decimal('0.000001')
MODULI = tuple(
    sorted({Decimal(10) ** k for k in range(1, 19)} | {Decimal(2) ** k for k in (16, 24, 31, 32, 48, 63, 64)})
)
ROLLOVER_TOLERANCE = 5  # a wrapped increment may be up to this many times the usual one


# ------------------------------------------------------------------------------------------ cleaning
@dataclass(frozen=True)
class Flag:
    time: datetime
    bad: bool
    reason: str | None = None


def clean(
    readings: Sequence[Reading],
    base: Decimal | None,
    low: Decimal,
    high: Decimal,
    now: datetime,
    recovery: timedelta,
) -> tuple[list[Flag], datetime | None]:
    """Flags for `readings` (time order) after the last good value `base`; and the time of the first
    reading that could not be decided yet (None when all were)."""
    flags: list[Flag] = []
    valid = [(t, v) for t, v in readings if low <= v <= high]
    position = 0  # of the current reading in `valid`
    for t, v in readings:
        if not low <= v <= high:
            flags.append(Flag(t, True, 'range'))
            continue
        position += 1
        verdict = _decide(t, v, base, valid, position, now, recovery)
        if verdict is None:
            return flags, t
        flags.append(verdict)
        if not verdict.bad:
            base = v
    return flags, None


def _decide(
    t: datetime,
    v: Decimal,
    base: Decimal | None,
    valid: Sequence[Reading],
    after: int,
    now: datetime,
    recovery: timedelta,
) -> Flag | None:
    """The verdict on reading (t, v); `valid[after:]` are the in-range readings that follow it."""
    if base is None:
        return Flag(t, False)
    if v >= base and after < len(valid) and (valid[after][1] >= v or valid[after][1] < base):
        return Flag(t, False)  # the usual case: rising on (or a reset right after)
    window = []
    for u, w in valid[after:]:
        if u - t > recovery:
            break
        window.append(w)
    settled = now - t > recovery or after + len(window) < len(valid)  # nothing more can arrive in the window
    if v < base:  # a dip if the counter comes back; otherwise a reset or a rollover
        if any(w >= base for w in window):
            return Flag(t, True, 'dip')
        return Flag(t, False) if settled else None
    if after >= len(valid):
        return Flag(t, False) if settled else None
    if any(w >= v for w in window):  # the next one is a dip, decided in its turn
        return Flag(t, False)
    return Flag(t, True, 'spike') if settled else None


# --------------------------------------------------------------------------------------- slot energy
@dataclass(frozen=True)
class Slot:
    start: datetime
    value: Decimal
    estimated: bool


def usual_rate(readings: Sequence[Reading]) -> Decimal | None:
    """The median increase per second between readings that rise (None with too few)."""
    rates = [
        (b[1] - a[1]) / Decimal((b[0] - a[0]).total_seconds())
        for a, b in zip(readings, readings[1:], strict=False)
        if b[1] >= a[1] and b[0] > a[0]
    ]
    return statistics.median(rates) if rates else None


def increment(previous: Reading, current: Reading, rate: Decimal | None) -> Decimal:
    """The energy between two good readings, across a rollover or a reset when the counter dropped."""
    (t0, v0), (t1, v1) = previous, current
    if v1 >= v0:
        return v1 - v0
    modulus = next((m for m in MODULI if m > v0), None)
    if modulus is not None and rate is not None and rate > 0:
        wrapped = modulus - v0 + v1
        if wrapped <= rate * Decimal((t1 - t0).total_seconds()) * ROLLOVER_TOLERANCE:
            return wrapped
    return max(v1, Decimal(0))  # a reset: the new counter started at 0


def _floor(moment: datetime, slot: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1)
    return moment - (moment - epoch) % slot


def slot_energy(
    readings: Sequence[Reading], start: datetime, end: datetime, slot: timedelta, gap: timedelta
) -> list[Slot]:
    """Slots in [start, end) (slot-aligned) from good readings in time order; `readings` should include
    the last one at or before `start` and the first one at or after `end` when they exist."""
    if not readings:
        return []
    rate: list[Decimal | None] = []  # the usual rate, worked out only if the counter ever drops
    parts: dict[datetime, Decimal] = {}
    estimated: set[datetime] = set()
    first = readings[0][0]
    covered_until = readings[-1][0]
    for previous, current in zip(readings, readings[1:], strict=False):
        if current[1] >= previous[1]:
            amount = current[1] - previous[1]
        else:
            if not rate:
                rate.append(usual_rate(readings))
            amount = increment(previous, current, rate[0])
        _share(previous, current, amount, slot, parts)
        if current[0] - previous[0] > gap:
            moment = _floor(previous[0], slot)
            while moment < current[0]:
                estimated.add(moment)
                moment += slot
    slots = []
    moment = max(start, _floor(first, slot))
    while moment < end and moment + slot <= covered_until:
        slots.append(Slot(moment, parts.get(moment, Decimal(0)), moment in estimated))
        moment += slot
    return slots


def _share(
    previous: Reading, current: Reading, amount: Decimal, slot: timedelta, parts: dict[datetime, Decimal]
) -> None:
    """Split `amount` over the slots [previous, current) overlaps, in proportion to time, exactly."""
    (t0, _), (t1, _) = previous, current
    moment = _floor(t0, slot)
    if t1 <= moment + slot:  # the usual case: the interval lies in one slot
        parts[moment] = parts.get(moment, Decimal(0)) + amount
        return
    length = Decimal((t1 - t0).total_seconds())
    given = Decimal(0)
    while moment < t1:
        boundary = min(moment + slot, t1)
        share = (
            amount
            if boundary == t1
            else (amount * Decimal((boundary - t0).total_seconds()) / length).quantize(SIX, ROUND_HALF_EVEN)
        )
        parts[moment] = parts.get(moment, Decimal(0)) + share - given
        given = share
        moment += slot
