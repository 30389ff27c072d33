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
from decimal import Decimal

Reading = tuple[datetime, Decimal]
MODULI = tuple(
    sorted({Decimal(10) ** k for k in range(1, 19)} | {Decimal(2) ** k for k in (16, 24, 31, 32, 48, 63, 64)})
)
MODULI_MICRO = tuple(int(m) * 10**6 for m in MODULI)
ROLLOVER_TOLERANCE = 5  # a wrapped increment may be up to this many times the usual one
EPOCH = datetime(2000, 1, 1)  # integer times count from here
SECOND = timedelta(seconds=1)
TICK = timedelta(microseconds=1)
MICRO = Decimal(10**6)


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


def regular_prefix(values: Sequence[int], base: int | None, low: int, high: int) -> int:
    """How many leading readings (integers, time order) are good by the usual case alone: within the
    limits, not below the reading before (or `base`), and followed by one within the limits and not
    below them. `clean` decides the rest; nearly every reading of a healthy counter is in the prefix."""
    previous = base
    for index in range(len(values) - 1):
        value, after = values[index], values[index + 1]
        if not (low <= value <= after <= high and (previous is None or value >= previous)):
            return index
        previous = value
    return max(len(values) - 1, 0)


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
    rate = _usual_rate([_seconds(t) for t, _ in readings], [_micro(v) for _, v in readings])
    return None if rate is None else Decimal(rate) / MICRO


def increment(previous: Reading, current: Reading, rate: Decimal | None) -> Decimal:
    """The energy between two good readings, across a rollover or a reset when the counter dropped."""
    (t0, v0), (t1, v1) = previous, current
    per_second = None if rate is None else float(rate * MICRO)
    return Decimal(_increment(_seconds(t0), _micro(v0), _seconds(t1), _micro(v1), per_second)) / MICRO


def _usual_rate(times: Sequence[int], values: Sequence[int]) -> float | None:
    rates = [
        (values[i] - values[i - 1]) / (times[i] - times[i - 1])
        for i in range(1, len(times))
        if values[i] >= values[i - 1] and times[i] > times[i - 1]
    ]
    return statistics.median(rates) if rates else None


def _increment(t0: int, v0: int, t1: int, v1: int, rate: float | None) -> int:
    if v1 >= v0:
        return v1 - v0
    modulus = next((m for m in MODULI_MICRO if m > v0), None)
    if modulus is not None and rate is not None and rate > 0:
        wrapped = modulus - v0 + v1
        if wrapped <= rate * (t1 - t0) * ROLLOVER_TOLERANCE:
            return wrapped
    return max(v1, 0)  # a reset: the new counter started at 0


def _seconds(moment: datetime) -> int:
    return (moment - EPOCH) // SECOND


def _micro(value: Decimal) -> int:
    return int(value.scaleb(6).to_integral_value())


def slot_energy(
    readings: Sequence[Reading], start: datetime, end: datetime, slot: timedelta, gap: timedelta
) -> list[Slot]:
    """Slots in [start, end) (slot-aligned) from good readings in time order; `readings` should include
    the last one at or before `start` and the first one at or after `end` when they exist."""
    found = slot_energy_ints(
        [(t - EPOCH) // TICK for t, _ in readings],
        [_micro(v) for _, v in readings],
        (start - EPOCH) // TICK,
        (end - EPOCH) // TICK,
        slot // TICK,
        gap // TICK,
    )
    return [Slot(EPOCH + at * TICK, Decimal(value).scaleb(-6), estimated) for at, value, estimated in found]


def slot_energy_ints(
    times: Sequence[int], values: Sequence[int], start: int, end: int, slot: int, gap: int
) -> list[tuple[int, int, bool]]:
    """`slot_energy` in integers, as the normalization daemon reads them: times in any unit counted from
    EPOCH (slot, gap, start and end in the same unit), values in millionths. Returns (slot start, energy
    in millionths, estimated)."""
    if not times:
        return []
    base = times[0] - times[0] % slot
    parts = [0] * ((times[-1] - base) // slot + 1)
    estimated = [False] * len(parts)
    rate: list[float | None] = []  # the usual rate, worked out only if the counter ever drops
    index, slot_end = 0, base + slot  # the slot holding the previous reading
    t0, v0 = times[0], values[0]
    for t1, v1 in zip(times[1:], values[1:], strict=True):
        if v1 >= v0:
            amount = v1 - v0
        else:
            if not rate:
                rate.append(_usual_rate(times, values))
            amount = _increment(t0, v0, t1, v1, rate[0])
        if t0 >= slot_end:
            index = (t0 - base) // slot
            slot_end = base + (index + 1) * slot
        if t1 <= slot_end:  # the usual case: the interval lies in one slot
            parts[index] += amount
        else:
            _share(parts, index, slot_end, t0, t1, amount, slot)
        if t1 - t0 > gap:
            for covered in range(index, -((base - t1) // slot)):
                estimated[covered] = True
        t0, v0 = t1, v1
    found = []
    moment = max(start, base)
    while moment < end and moment + slot <= times[-1]:
        at = (moment - base) // slot
        found.append((moment, parts[at], estimated[at]))
        moment += slot
    return found


def _share(parts: list[int], index: int, boundary: int, t0: int, t1: int, amount: int, slot: int) -> None:
    """Split `amount` over the slots from `index` that [t0, t1) overlaps, in proportion to time, exactly
    (each part rounded half to even, the last taking the remainder)."""
    length, given = t1 - t0, 0
    while True:
        share = amount if boundary >= t1 else _divide(amount * (boundary - t0), length)
        parts[index] += share - given
        if boundary >= t1:
            return
        given, index, boundary = share, index + 1, boundary + slot


def _divide(numerator: int, denominator: int) -> int:
    """numerator / denominator (> 0) rounded half to even."""
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient
