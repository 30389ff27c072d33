"""Pure simulation of the demo's readings: no database, no clock, deterministic for a given seed.

The time axis is a grid of 15-minute slots in UTC. Each slot carries what drives consumption there:
local hour of day in Europe/Berlin (so the office opens at 07:00 local across DST changes), the kind
of day (working day, Saturday, Sunday or Berlin public holiday) and an outdoor temperature (season,
time of day and a day-to-day weather anomaly). A leaf meter's consumption is a load shape of those
drivers times its scale, with seeded noise; a master meter is the sum of its sub-meters plus an
unmetered share; a derived meter follows another meter (a chiller's electricity is its cooling / COP).

Readings are cumulative counters sampled at each meter's interval, a few seconds late (a deterministic
0-20 s read-time jitter), with the faults of ``campus.FAULTS`` injected.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from myems_common.timeutil import zone
from myems_demo.campus import HIGH_LIMIT_FACTOR, TIMEZONE, Fault, Meter, SignalPlan, is_public_holiday, is_working_day

SLOT_MINUTES = 15
SLOT = timedelta(minutes=SLOT_MINUTES)
SLOT_SECONDS = SLOT_MINUTES * 60
MAX_JITTER_SECONDS = 20
_JITTER = [timedelta(seconds=s) for s in range(MAX_JITTER_SECONDS + 1)]
WORKDAY, SATURDAY, HOLIDAY = 0, 1, 2  # HOLIDAY covers Sundays and public holidays

Row = tuple[int, datetime, str]  # (point_id, utc_date_time, actual_value with 3 decimals)


@dataclass(frozen=True)
class Moment:
    """The drivers of consumption in one slot."""

    hour: float  # local time of day in hours
    day: int  # WORKDAY, SATURDAY or HOLIDAY
    outdoor: float  # °C
    week: int  # ISO week number (lead/lag pump rotation)

    @property
    def heat(self) -> float:
        """Heating demand, 0 above 15 °C, about 1.2 at 0 °C."""
        return max(0.0, 15.0 - self.outdoor) / 12.0

    @property
    def cool(self) -> float:
        """Cooling demand, 0 below 16 °C, about 1 at 24 °C."""
        return max(0.0, self.outdoor - 16.0) / 8.0


@dataclass(frozen=True)
class Axis:
    start: datetime  # naive UTC, on a 15-minute boundary
    moments: tuple[Moment, ...]

    @property
    def slots(self) -> int:
        return len(self.moments)

    def time(self, k: int) -> datetime:
        return self.start + k * SLOT


def _gauss(seed: int, key: int, sigma: float) -> float:
    return random.Random(seed * 1_000_003 + key).gauss(0.0, sigma)


@lru_cache(maxsize=4096)
def weather_anomaly(day_ordinal: int, seed: int) -> float:
    """Deviation of a day's temperature from the seasonal mean, smoothed over neighbouring days."""
    return sum(w * _gauss(seed, day_ordinal + d, 3.0) for d, w in ((-1, 0.25), (0, 0.5), (1, 0.25)))


def outdoor_temperature(local: datetime, seed: int) -> float:
    """Berlin-like: about 1 °C in late January, 19 °C in late July, warmest mid-afternoon."""
    season = 10.0 - 9.0 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 25) / 365.25)
    daily = 4.0 * math.sin(2 * math.pi * (local.hour + local.minute / 60 - 9) / 24)
    return season + daily + weather_anomaly(local.toordinal(), seed)


def day_kind(day: date) -> int:
    if is_working_day(day):
        return WORKDAY
    return SATURDAY if day.weekday() == 5 and not is_public_holiday(day) else HOLIDAY


def build_axis(start: datetime, end: datetime, seed: int) -> Axis:
    """The 15-minute slots from `start` (floored to a slot) up to `end`, naive UTC."""
    start = start.replace(minute=start.minute - start.minute % SLOT_MINUTES, second=0, microsecond=0)
    tz = zone(TIMEZONE)
    moments = []
    t = start
    while t < end:
        local = t.replace(tzinfo=UTC).astimezone(tz)
        moments.append(
            Moment(
                local.hour + local.minute / 60,
                day_kind(local.date()),
                outdoor_temperature(local, seed),
                local.isocalendar()[1],
            )
        )
        t += SLOT
    return Axis(start, tuple(moments))


# ------------------------------------------------------------------------------------------- load shapes
def ramp(hour: float, begin: float, end: float, edge: float = 1.0) -> float:
    """1 between `begin` and `end`, falling linearly to 0 over `edge` hours on either side."""
    if hour <= begin - edge or hour >= end + edge:
        return 0.0
    if hour < begin:
        return (hour - begin + edge) / edge
    if hour > end:
        return (end + edge - hour) / edge
    return 1.0


def office_hours(m: Moment) -> float:
    return ramp(m.hour, 7.5, 18.0, 1.0) if m.day == WORKDAY else 0.0


def _cafe(m: Moment) -> float:
    if m.day != WORKDAY:
        return 0.08
    return 0.1 + 0.7 * ramp(m.hour, 7.5, 9.5, 0.5) + 1.5 * ramp(m.hour, 11.5, 13.75, 0.5) + 0.3 * ramp(m.hour, 14, 16.5)


def _store(m: Moment) -> float:
    if m.day == WORKDAY:
        return 0.1 + ramp(m.hour, 8.5, 18.0, 0.5)
    return 0.1 + 0.6 * ramp(m.hour, 9.5, 14.0, 0.5) if m.day == SATURDAY else 0.1


def _kitchen(m: Moment) -> float:
    h = m.hour
    return 0.12 + 0.8 * ramp(h, 6.5, 9.5, 0.5) + 1.0 * ramp(h, 11.5, 14.0, 0.5) + 1.2 * ramp(h, 18.0, 21.5, 0.5)


def _hotel_rooms(m: Moment) -> float:
    weekend = 1.1 if m.day != WORKDAY else 1.0
    return weekend * (0.55 + 0.5 * ramp(m.hour, 6.0, 8.5) + 0.7 * ramp(m.hour, 18.5, 22.5))


def inverse_cop(m: Moment) -> float:
    """1 / COP of a water-cooled chiller, whose COP falls from 6 to about 4 as it gets hot outside."""
    return 1.0 / min(6.0, max(3.0, 6.4 - 0.1 * m.outdoor))


SHAPES: dict[str, Callable[[Moment], float]] = {
    'office': lambda m: 0.3 + 0.9 * office_hours(m),
    'office_lighting': lambda m: 0.06 + office_hours(m),
    'office_hvac': lambda m: 0.1 + (0.7 + 0.5 * (m.heat + m.cool)) * office_hours(m),
    'office_water': lambda m: 0.03 + office_hours(m),
    'office_cooling': lambda m: 0.04 + m.cool * (0.25 + office_hours(m)),  # server rooms all year
    'office_heating': lambda m: m.heat * (0.45 + 0.6 * office_hours(m)),
    'ev_charging': lambda m: (
        0.03 + (1.3 * ramp(m.hour, 8, 10.5) + 0.4 * ramp(m.hour, 13, 15.5) if m.day == WORKDAY else 0)
    ),
    'cafe': _cafe,
    'store': _store,
    'lab': lambda m: 0.75 + 0.35 * office_hours(m),
    'lab_lighting': lambda m: 0.15 + 0.9 * office_hours(m),
    'lab_hvac': lambda m: 0.65 + 0.35 * office_hours(m),
    'lab_cooling': lambda m: 0.05 + m.cool * (0.5 + 0.5 * office_hours(m)),
    'lab_heating': lambda m: m.heat * (0.7 + 0.3 * office_hours(m)),
    'workshop': lambda m: 0.05 + (ramp(m.hour, 7.0, 15.5, 0.5) if m.day == WORKDAY else 0.0),
    'process': lambda m: 1.0,
    'process_cooling': lambda m: 0.9 + 0.2 * m.cool,
    'hotel_rooms': _hotel_rooms,
    'hotel_lobby': lambda m: 0.55 + 0.45 * ramp(m.hour, 6.0, 23.0),
    'hotel_hvac': lambda m: 0.45 + 0.3 * ramp(m.hour, 6.0, 23.0) + 0.4 * (m.heat + m.cool),
    'hotel_water': lambda m: 0.15 + 0.9 * ramp(m.hour, 6.0, 9.0) + 0.7 * ramp(m.hour, 18.5, 22.5),
    'hotel_cooling': lambda m: 0.03 + m.cool * (0.6 + 0.4 * ramp(m.hour, 14.0, 22.0, 2.0)),
    'hotel_heating': lambda m: m.heat * (0.8 + 0.2 * ramp(m.hour, 5.0, 22.0)),
    'spa': lambda m: 0.3 + 0.9 * ramp(m.hour, 9.0, 21.0),
    'kitchen': _kitchen,
    'restaurant': lambda m: 0.2 + 0.6 * ramp(m.hour, 11.5, 14.0, 0.5) + ramp(m.hour, 18.0, 22.5, 0.5),
    'plant_pumps': lambda m: 0.25 + 0.6 * min(1.5, m.heat + m.cool),
    'inverse_cop': inverse_cop,
}


# ------------------------------------------------------------------------------------------- consumption
class Simulation:
    """Consumption per 15-minute slot of a set of meters, each computed once (masters need their subs)."""

    def __init__(self, meters: Sequence[Meter], axis: Axis, seed: int) -> None:
        self.by_id = {m.id: m for m in meters}
        self.children: dict[int, list[int]] = {}
        for m in meters:
            if m.master_meter_id is not None and m.master_meter_id in self.by_id:
                self.children.setdefault(m.master_meter_id, []).append(m.id)
        self.axis, self.seed = axis, seed
        self.shapes: dict[str, list[float]] = {}
        self.series: dict[int, list[float]] = {}

    def shape(self, name: str) -> list[float]:
        if name not in self.shapes:
            self.shapes[name] = [SHAPES[name](m) for m in self.axis.moments]
        return self.shapes[name]

    def noise(self, meter_id: int, sigma: float) -> list[float]:
        """Multiplicative noise 1 + n with n an AR(1) series of standard deviation `sigma`."""
        rng = random.Random(self.seed * 7_919 + meter_id)
        level, out = 0.0, []
        keep, fresh = 0.8, sigma * 0.6
        for _ in range(self.axis.slots):
            level = keep * level + rng.gauss(0.0, fresh)
            out.append(max(0.0, 1.0 + level))
        return out

    def get(self, meter_id: int) -> list[float]:
        if meter_id not in self.series:
            self.series[meter_id] = self._compute(self.by_id[meter_id])
        return self.series[meter_id]

    def _compute(self, meter: Meter) -> list[float]:
        sim = meter.sim
        per_slot = SLOT_MINUTES / 60
        if sim.source is not None:
            source = self.get(sim.source)
            factor = self.shape(sim.shape) if sim.shape else [1.0] * self.axis.slots
            noise = self.noise(meter.id, 0.03)
            return [sim.factor * s * f * n for s, f, n in zip(source, factor, noise, strict=True)]
        if meter.id in self.children:
            return self._master(meter)
        shape, noise = self.shape(sim.shape), self.noise(meter.id, 0.08)
        return [sim.scale * per_slot * s * n for s, n in zip(shape, noise, strict=True)]

    def _master(self, meter: Meter) -> list[float]:
        """Sum of the sub-meters plus the unmetered share, which wanders between 70 % and 130 % of its mean."""
        total = [0.0] * self.axis.slots
        for child in self.children[meter.id]:
            total = [a + b for a, b in zip(total, self.get(child), strict=True)]
        rng = random.Random(self.seed * 104_729 + meter.id)
        loss = meter.sim.loss
        return [t * (1.0 + loss * (0.7 + 0.6 * rng.random())) for t in total]


def simulate(
    meters: Sequence[Meter], axis: Axis, seed: int, wanted: Sequence[int] | None = None
) -> dict[int, list[float]]:
    """Consumption per slot (units per 15 minutes) of the `wanted` meters (default all)."""
    run = Simulation(meters, axis, seed)
    return {meter_id: run.get(meter_id) for meter_id in (wanted if wanted is not None else run.by_id)}


# ------------------------------------------------------------------------------------------- readings
def jitter_seconds(point_id: int, when: datetime) -> int:
    """The read-time delay of a reading, 0-20 s, fixed for a point and a nominal time."""
    epoch_slot = int(when.replace(tzinfo=UTC).timestamp()) // SLOT_SECONDS
    mixed = (point_id * 2_654_435_761 + epoch_slot * 40_503 + 12_345) % 2_147_483_647
    return mixed % (MAX_JITTER_SECONDS + 1)


def start_counter(meter: Meter) -> float:
    """A plausible counter value for a meter that has been running one to four years."""
    mean_hourly = float(meter.hourly_high_limit) / HIGH_LIMIT_FACTOR
    return round(mean_hourly * 24 * 365 * (1.0 + (meter.id % 7) / 2), 3)


@dataclass(frozen=True)
class Resume:
    """The last stored reading of a point: new readings continue its counter after it."""

    time: datetime
    value: float


def _boundaries(axis: Axis, interval: int) -> range:
    """Slot indexes at which a meter with this interval (minutes) is read."""
    step = interval // SLOT_MINUTES
    first = next((k for k in range(min(step, axis.slots)) if axis.time(k).minute % interval == 0), 0)
    return range(first, axis.slots, step)


class _Counter:
    """The counter of one meter at any instant of the axis: cumulative consumption plus an offset."""

    def __init__(self, axis: Axis, consumption: list[float]) -> None:
        self.axis, self.consumption = axis, consumption
        self.cum = [0.0]
        for c in consumption:
            self.cum.append(self.cum[-1] + c)

    def at(self, k: int, seconds: float) -> float:
        """Cumulative consumption at slot k's start plus `seconds` into it."""
        return self.cum[k] + self.consumption[k] * seconds / SLOT_SECONDS

    def at_time(self, when: datetime) -> float:
        offset = (when - self.axis.start).total_seconds()
        if offset <= 0:
            return 0.0
        k = min(int(offset // SLOT_SECONDS), self.axis.slots - 1)
        return self.at(k, min(offset - k * SLOT_SECONDS, SLOT_SECONDS))


Counter = _Counter  # the live device simulator (devices.py) advances counters with it


@dataclass
class _FaultPlan:
    """The faults of one meter as slot indexes on the axis."""

    gap: tuple[int, int] | None = None
    reset: int | None = None
    spike: int | None = None
    rollover: tuple[int, float] | None = None

    @classmethod
    def of(cls, faults: Sequence[Fault], meter_id: int, axis: Axis, interval: int, end: datetime) -> _FaultPlan:
        plan = cls()
        for f in (f for f in faults if f.meter_id == meter_id):
            at = _slot_of(axis, end - timedelta(hours=f.hours_before_end), interval)
            if at is None:
                continue
            if f.kind == 'gap':
                plan.gap = (at, at + int(f.hours * 60 // SLOT_MINUTES))
            elif f.kind == 'reset':
                plan.reset = at
            elif f.kind == 'spike':
                plan.spike = at
            elif f.kind == 'rollover':
                plan.rollover = (at, f.modulus)
            else:
                raise ValueError(f'unknown fault kind {f.kind!r}')
        return plan


def _slot_of(axis: Axis, when: datetime, interval: int) -> int | None:
    """The first reading slot of a meter at or after `when`, if inside the axis."""
    k = math.ceil((when - axis.start).total_seconds() / SLOT_SECONDS)
    step = interval // SLOT_MINUTES
    for candidate in range(max(k, 1), min(k + step, axis.slots)):
        if axis.time(candidate).minute % interval == 0:
            return candidate
    return None


def meter_readings(
    meter: Meter,
    consumption: list[float],
    axis: Axis,
    end: datetime,
    faults: Sequence[Fault] = (),
    resume: Resume | None = None,
) -> Iterator[Row]:
    """The counter readings of one meter over the axis, faults injected, after `resume` if given.

    Values only increase, except at an injected reset or rollover, and right after a spike.
    """
    counter = _Counter(axis, consumption)
    plan = _FaultPlan.of(faults, meter.id, axis, meter.sim.interval, end)
    offset = start_counter(meter)
    if plan.rollover is not None:  # place the counter so that it wraps at the fault
        k, modulus = plan.rollover
        offset = modulus - counter.cum[k] + 0.5 * consumption[k - 1]
    after = None
    if resume is not None:
        offset = resume.value - counter.at_time(resume.time)
        after = resume.time
    spike = float(meter.hourly_high_limit) * 10
    for k in _boundaries(axis, meter.sim.interval):
        nominal = axis.time(k)
        jitter = jitter_seconds(meter.id, nominal)
        when = nominal + _JITTER[jitter]
        if (after is not None and when <= after) or (plan.gap and plan.gap[0] <= k < plan.gap[1]):
            continue
        raw = counter.at(k, jitter)
        if k == plan.reset:
            offset = -counter.at(k - meter.sim.interval // SLOT_MINUTES, 0)
        value = offset + raw
        if plan.rollover is not None:
            value %= plan.rollover[1]
        if k == plan.spike:
            value += spike
        yield meter.id, when, f'{value:.3f}'


def energy_rows(
    meters: Sequence[Meter],
    series: Mapping[int, list[float]],
    axis: Axis,
    end: datetime,
    faults: Sequence[Fault] = (),
    resume: Mapping[int, Resume] | None = None,
) -> Iterator[Row]:
    """Energy readings of several meters, one after the other (`series` from `simulate`)."""
    for meter in meters:
        yield from meter_readings(meter, series[meter.id], axis, end, faults, (resume or {}).get(meter.id))


# ------------------------------------------------------------------------------------------- analog and digital
def _room(kind: str, m: Moment) -> float:
    if kind == 'lab':
        return 21.0
    if kind == 'hotel':
        return 21.5 + 0.6 * ramp(m.hour, 17.0, 23.0) + 0.15 * (m.outdoor - 10)
    occupied = office_hours(m)
    idle = 18.5 + 0.35 * max(0.0, m.outdoor - 5.0)  # night set-back in winter, drifting up in summer
    return occupied * (22.0 + 0.1 * max(0.0, m.outdoor - 20)) + (1 - occupied) * idle


def signal_value(signal: str, m: Moment, power: float) -> float:
    """The noiseless value of an analog signal; `power` is the linked meter's consumption in kW."""
    kind, _, arg = signal.partition(':')
    if kind == 'outdoor':
        return m.outdoor
    if kind == 'chw_supply':
        return 6.5 + 0.4 * min(1.0, m.cool)
    if kind == 'chw_return':
        return 6.5 + 1.5 + 4.0 * min(1.0, m.cool) * (0.5 + 0.5 * office_hours(m))
    if kind == 'power':
        return power
    if kind == 'room':
        return _room(arg, m)
    raise ValueError(f'unknown analog signal {signal!r}')


def pump_status(signal: str, m: Moment) -> int:
    """Lead and lag pumps; the lead alternates weekly. Chilled water always runs (process cooling)."""
    _, circuit, number = signal.split(':')
    lead = int(number) == m.week % 2
    demand = 0.9 + m.cool if circuit == 'cooling' else m.heat
    return int(demand > 0.05 if lead else demand > 0.8)


def signal_rows(
    signals: Sequence[SignalPlan],
    axis: Axis,
    seed: int,
    power: Mapping[int, list[float]],
    resume: Mapping[int, Resume],
    digital: bool = False,
) -> Iterator[Row]:
    """15-minute readings of analog (3 decimals, seeded noise) or digital (0/1) points."""
    for s in signals:
        rng = random.Random(seed * 31 + s.id)
        kw = power.get(int(s.signal.partition(':')[2]) if s.signal.startswith('power:') else -1)
        after = resume[s.id].time if s.id in resume else None
        for k, moment in enumerate(axis.moments):
            nominal = axis.time(k)
            when = nominal + _JITTER[jitter_seconds(s.id, nominal)]
            if after is not None and when <= after:
                continue
            if digital:
                yield s.id, when, str(pump_status(s.signal, moment))
                continue
            value = signal_value(s.signal, moment, kw[k] * 60 / SLOT_MINUTES if kw else 0.0)
            yield s.id, when, f'{value * (1 + rng.gauss(0, 0.01)) + rng.gauss(0, 0.1):.3f}'
