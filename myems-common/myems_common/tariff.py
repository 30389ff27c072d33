"""The tariff engine: what each slot of energy costs, and the bill of a billing period. Pure.

A tariff is a list of effective-dated versions (`TariffVersion`). A version has seasons (ranges of local
dates), each with day schedules for weekdays, weekends and holidays; a schedule is a list of time-of-use
bands (`Period`) with a price per kWh. Stepped prices (`Tier`) add to the band price by cumulative
consumption in the billing period; demand charges, a fixed charge, a power-factor adjustment, a minimum
bill and taxes complete the bill (`bill`, computed in `tariff_bill`).

Classification of a slot: the version valid at its naive UTC start (the latest `valid_from` wins where
versions overlap), then, at the slot's local start in the zone, the season by local date, the day type
(holiday, Saturday/Sunday, weekday) and the band by local time of day. A slot no version or band covers
is unpriced: its cost is None and its energy is reported, never dropped.

Band ends: an end whose seconds field is 59 is inclusive to the end of that second (MyEMS stores
00:00:00..05:59:59), any other end is exclusive, and an end of 00:00:00 means midnight. A band whose end
is not after its start wraps midnight (22:00..06:00).

Money and energy are `Decimal`; a slot's cost is quantized to 6 decimals (half even). `version_from_rows`
builds a version from MyEMS rows plus an optional JSON structure (`parse_structure`, docs/tariffs.md).
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cached_property
from typing import TypeVar

from myems_common.timeutil import to_local, to_utc

log = logging.getLogger(__name__)
_T = TypeVar('_T')

MICRO = Decimal('0.000001')
DAY_SECONDS = 86400
_ONE_SECOND = timedelta(seconds=1)
# ISO 4217 exponents other than 2 (the default for every other code).
_MINOR_UNITS = {
    **dict.fromkeys(('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI'), 0),
    **dict.fromkeys(('VND', 'VUV', 'XAF', 'XOF', 'XPF'), 0),
    **dict.fromkeys(('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'), 3),
    **dict.fromkeys(('CLF', 'UYW'), 4),
}


# --- the model ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One time-of-use band of a day schedule."""

    name: str
    start: time
    end: time
    price: Decimal


@dataclass(frozen=True)
class DaySchedules:
    weekday: tuple[Period, ...]
    weekend: tuple[Period, ...] | None = None  # None: as weekday
    holiday: tuple[Period, ...] | None = None  # None: as weekend (or weekday)


@dataclass(frozen=True)
class Season:
    name: str
    start: tuple[int, int]  # (month, day), inclusive
    end: tuple[int, int]  # (month, day), inclusive; may wrap the year end
    schedules: DaySchedules


@dataclass(frozen=True)
class Tier:
    """A band of cumulative consumption in the billing period; each unit is priced in the band it falls in."""

    up_to: Decimal | None
    adder: Decimal


@dataclass(frozen=True)
class DemandCharge:
    price: Decimal
    window_minutes: int = 15
    periods: tuple[str, ...] = ()


@dataclass(frozen=True)
class PowerFactorRule:
    target: Decimal
    surcharge_per_hundredth: Decimal
    credit_per_hundredth: Decimal = Decimal(0)
    max_credit: Decimal = Decimal(0)


@dataclass(frozen=True)
class Tax:
    name: str
    rate: Decimal


@dataclass(frozen=True)
class TariffVersion:
    id: int
    valid_from: datetime
    valid_through: datetime
    currency: str
    seasons: tuple[Season, ...]
    tiers: tuple[Tier, ...] = ()
    demand: tuple[DemandCharge, ...] = ()
    fixed_per_period: Decimal = Decimal(0)
    power_factor: PowerFactorRule | None = None
    taxes: tuple[Tax, ...] = ()
    minimum_bill: Decimal = Decimal(0)
    holidays: frozenset[date] = field(default_factory=frozenset)
    billing_day: int = 1

    def __post_init__(self) -> None:
        if not self.seasons:
            raise ValueError(f'tariff {self.id}: at least one season is needed')
        if self.valid_through < self.valid_from:
            raise ValueError(f'tariff {self.id}: valid_through is before valid_from')
        if not 1 <= self.billing_day <= 28:
            raise ValueError(f'tariff {self.id}: billing_day must be 1..28')
        limits = [tier.up_to for tier in self.tiers[:-1]]
        finite = [limit for limit in limits if limit is not None]
        if len(finite) < len(limits) or any(high <= low for low, high in zip(finite, finite[1:], strict=False)):
            raise ValueError(f'tariff {self.id}: tier limits must rise, and only the last may be open')

    @cached_property
    def tier_limits(self) -> tuple[Decimal, ...]:
        """The finite upper limits of every tier band but the last (which is open whatever it says)."""
        return tuple(tier.up_to for tier in self.tiers[:-1] if tier.up_to is not None)

    @property
    def valid_until(self) -> datetime:
        """The exclusive end: valid_through is inclusive to the end of its second."""
        return self.valid_through.replace(microsecond=0) + _ONE_SECOND


@dataclass(frozen=True)
class SlotPrice:
    start_utc: datetime
    energy: Decimal
    cost: Decimal | None  # 6 decimals; None = unpriced
    period: str | None
    version_id: int | None


@dataclass(frozen=True)
class BillLine:
    kind: str  # 'energy', 'demand', 'fixed', 'power_factor', 'minimum', 'tax'
    label: str
    quantity: Decimal  # kWh, kW, days, power factor, taxable amount; 0 when not meaningful
    amount: Decimal  # 6 decimals, not rounded to the currency


@dataclass(frozen=True)
class Bill:
    period_start_utc: datetime
    period_end_utc: datetime
    currency: str
    lines: tuple[BillLine, ...]
    energy: Decimal
    unpriced_energy: Decimal  # energy of slots no version or band covers
    subtotal: Decimal  # before tax, 6 decimals
    total: Decimal  # rounded half up to the currency's minor unit


def minor_unit(currency: str) -> int:
    """The ISO 4217 exponent of a currency: 0 for JPY, 3 for KWD, 2 for EUR and any code not listed."""
    return _MINOR_UNITS.get(currency.upper(), 2)


# --- classification -------------------------------------------------------------------------------------


def band_span(period: Period) -> tuple[int, int]:
    """[start, end) of a band in seconds of the day; end <= start means the band wraps midnight."""
    start = period.start.hour * 3600 + period.start.minute * 60 + period.start.second
    end = period.end.hour * 3600 + period.end.minute * 60 + period.end.second
    if period.end.second == 59:
        end += 1
    return start, end or DAY_SECONDS


def _pieces(period: Period) -> list[tuple[int, int]]:
    start, end = band_span(period)
    if start < end:
        return [(start, end)]
    return [(start, DAY_SECONDS), (0, end)]


def _elementary(periods: Sequence[Period]) -> list[tuple[int, int, list[Period]]]:
    """The day cut at every band edge: (start, end, the bands covering it, in schedule order)."""
    pieces = [(piece, period) for period in periods for piece in _pieces(period)]
    cuts = sorted({0, DAY_SECONDS} | {edge for piece, _ in pieces for edge in piece})
    return [
        (low, high, [period for (start, end), period in pieces if start <= low < end])
        for low, high in zip(cuts, cuts[1:], strict=False)
    ]


@dataclass(frozen=True)
class DayBands:
    """A day schedule compiled for lookup; where bands overlap, the first listed wins."""

    starts: tuple[int, ...]
    periods: tuple[Period | None, ...]

    @classmethod
    def compile(cls, periods: Sequence[Period]) -> DayBands:
        parts = _elementary(periods)
        return cls(tuple(low for low, _, _ in parts), tuple(owners[0] if owners else None for _, _, owners in parts))

    def at(self, second: int) -> Period | None:
        return self.periods[bisect_right(self.starts, second) - 1]


def _clock(second: int) -> str:
    return f'{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}'


def check_coverage(periods: Sequence[Period]) -> str | None:
    """None when the bands tile the 24 hours exactly once; else a message naming the first gap or overlap."""
    if not periods:
        return 'no bands: the whole day is unpriced'
    for low, high, owners in _elementary(periods):
        span = f'{_clock(low)} to {_clock(high)}'
        if not owners:
            return f'gap from {span}'
        if len(owners) > 1:
            return f'overlap from {span}: ' + ', '.join(repr(owner.name) for owner in owners)
    return None


def _in_season(season: Season, month_day: tuple[int, int]) -> bool:
    if season.start <= season.end:
        return season.start <= month_day <= season.end
    return month_day >= season.start or month_day <= season.end


def season_for(version: TariffVersion, day: date) -> Season:
    """The first season containing the local date; the first season when none does."""
    month_day = (day.month, day.day)
    return next((season for season in version.seasons if _in_season(season, month_day)), version.seasons[0])


def day_schedule(version: TariffVersion, day: date) -> tuple[Period, ...]:
    """The bands of a local date: its season's holiday, weekend or weekday schedule."""
    schedules = season_for(version, day).schedules
    weekend = schedules.weekend if schedules.weekend is not None else schedules.weekday
    if day in version.holidays:
        return schedules.holiday if schedules.holiday is not None else weekend
    if day.weekday() >= 5:
        return weekend
    return schedules.weekday


class VersionTimeline:
    """Which version is valid at an instant: the one with the latest valid_from (then the later listed)."""

    def __init__(self, versions: Sequence[TariffVersion]) -> None:
        self.versions = tuple(versions)
        edges = sorted({v.valid_from for v in versions} | {v.valid_until for v in versions})
        self._edges = edges
        self._owners = [self._winner(edge) for edge in edges]

    def _winner(self, instant: datetime) -> TariffVersion | None:
        valid = [(v.valid_from, i) for i, v in enumerate(self.versions) if v.valid_from <= instant < v.valid_until]
        return self.versions[max(valid)[1]] if valid else None

    def at(self, instant: datetime) -> TariffVersion | None:
        index = bisect_right(self._edges, instant) - 1
        return self._owners[index] if index >= 0 else None

    def coverage(self, start: datetime, end: datetime) -> list[tuple[TariffVersion, timedelta]]:
        """How long each version is the valid one within [start, end), in order of first validity."""
        covered: dict[int, tuple[TariffVersion, timedelta]] = {}
        bounds = [start, *(edge for edge in self._edges if start < edge < end), end]
        for low, high in zip(bounds, bounds[1:], strict=False):
            owner = self.at(low)
            if owner is not None:
                previous = covered.get(id(owner), (owner, timedelta(0)))[1]
                covered[id(owner)] = (owner, previous + (high - low))
        return list(covered.values())


class LocalClock:
    """Naive UTC -> naive local wall time, with one zone lookup per UTC day where the offset is constant."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._offsets: dict[date, timedelta | None] = {}

    def _day_offset(self, day: date) -> timedelta | None:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        first = midnight.astimezone(self.zone).utcoffset()
        last = (midnight + timedelta(seconds=DAY_SECONDS - 1)).astimezone(self.zone).utcoffset()
        return first if first == last else None  # a transition day: convert slot by slot

    def local(self, utc: datetime) -> datetime:
        day = utc.date()
        if day not in self._offsets:
            self._offsets[day] = self._day_offset(day)
        offset = self._offsets[day]
        if offset is None:
            return to_local(utc, self.zone).replace(tzinfo=None)
        return utc + offset


# --- pricing --------------------------------------------------------------------------------------------


def tier_parts(tiers: Sequence[Tier], before: Decimal, energy: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(energy, adder) of each tier band the consumption from `before` to `before + energy` passes.

    The first band reaches down without limit and the last up without limit (whatever its up_to says);
    negative energy walks back down, and its parts are negative.
    """
    low, high = sorted((before, before + energy))
    sign = 1 if energy >= 0 else -1
    parts: list[tuple[Decimal, Decimal]] = []
    floor: Decimal | None = None
    for index, tier in enumerate(tiers):
        ceiling = None if index == len(tiers) - 1 else tier.up_to
        bottom = low if floor is None else max(low, floor)
        top = high if ceiling is None else min(high, ceiling)
        if top > bottom:
            parts.append((sign * (top - bottom), tier.adder))
        floor = ceiling
    return parts


def slot_cost(version: TariffVersion, price: Decimal, before: Decimal, energy: Decimal) -> Decimal:
    """The cost of `energy` at band price `price` after `before` consumed in the billing period."""
    if version.tiers:
        low, high = sorted((before, before + energy))
        band = bisect_right(version.tier_limits, low)
        if band != bisect_left(version.tier_limits, high):
            parts = tier_parts(version.tiers, before, energy)
            return sum((part * (price + adder) for part, adder in parts), Decimal(0)).quantize(MICRO, ROUND_HALF_EVEN)
        price += version.tiers[band].adder  # the common case: the whole slot inside one band
    return (energy * price).quantize(MICRO, ROUND_HALF_EVEN)


class TariffPricer:
    """Prices slots of one zone against one set of versions.

    Classification is cached per slot start and per (version, local date), so one pricer reused for many
    meters of the same zone and tariff classifies each slot start once.
    """

    def __init__(self, versions: Sequence[TariffVersion], slot: timedelta, zone: tzinfo) -> None:
        if slot <= timedelta(0):
            raise ValueError('the slot length must be positive')
        self.slot = slot
        self.timeline = VersionTimeline(versions)
        self.clock = LocalClock(zone)
        self._compiled: dict[tuple[Period, ...], DayBands] = {}
        self._days: dict[tuple[int, date], DayBands] = {}
        self._slots: dict[datetime, tuple[TariffVersion | None, Period | None]] = {}

    def _day_bands(self, version: TariffVersion, day: date) -> DayBands:
        key = (id(version), day)
        bands = self._days.get(key)
        if bands is None:
            periods = day_schedule(version, day)
            bands = self._compiled.get(periods)
            if bands is None:
                bands = self._compiled[periods] = DayBands.compile(periods)
            self._days[key] = bands
        return bands

    def classify(self, start_utc: datetime) -> tuple[TariffVersion | None, Period | None]:
        """The version and band of the slot starting at `start_utc` (naive UTC)."""
        found = self._slots.get(start_utc)
        if found is None:
            version = self.timeline.at(start_utc)
            period = None
            if version is not None:
                local = self.clock.local(start_utc)
                second = local.hour * 3600 + local.minute * 60 + local.second
                period = self._day_bands(version, local.date()).at(second)
            found = self._slots[start_utc] = (version, period)
        return found

    def price(
        self, slots: Sequence[tuple[datetime, Decimal]], consumed_before: Decimal = Decimal(0)
    ) -> list[SlotPrice]:
        """Slot costs; `slots` ascending within one billing period, `consumed_before` its earlier consumption."""
        priced: list[SlotPrice] = []
        cumulative = consumed_before
        previous: datetime | None = None
        for start, energy in slots:
            if previous is not None and start <= previous:
                raise ValueError(f'slots must ascend: {start} follows {previous}')
            previous = start
            version, period = self.classify(start)
            if version is None or period is None:
                priced.append(SlotPrice(start, energy, None, None, version.id if version else None))
            else:
                cost = slot_cost(version, period.price, cumulative, energy)
                priced.append(SlotPrice(start, energy, cost, period.name, version.id))
            cumulative += energy
        return priced


def price_slots(
    versions: Sequence[TariffVersion],
    slots: Sequence[tuple[datetime, Decimal]],
    slot: timedelta,
    zone: tzinfo,
    consumed_before: Decimal = Decimal(0),
) -> list[SlotPrice]:
    """The cost of each (naive UTC start, energy) slot of one billing period, in ascending order.

    `consumed_before` is the consumption from the start of the billing period to the first slot, for
    tiers. Every slot's energy counts towards the cumulative consumption, priced or not.
    """
    return TariffPricer(versions, slot, zone).price(slots, consumed_before)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def billing_periods(
    start_utc: datetime, end_utc: datetime, zone: tzinfo, billing_day: int = 1
) -> list[tuple[datetime, datetime]]:
    """The naive UTC [start, end) billing periods overlapping [start_utc, end_utc).

    A billing period is a local month starting at local midnight of `billing_day` (1..28).
    """
    if not 1 <= billing_day <= 28:
        raise ValueError('billing_day must be 1..28')
    local_day = to_local(start_utc, zone).date()
    first = local_day.replace(day=billing_day)
    if local_day.day < billing_day:
        first = _add_months(first, -1)
    periods: list[tuple[datetime, datetime]] = []
    begin = to_utc(datetime.combine(first, time()), zone)
    months = 0
    while begin < end_utc:
        months += 1
        end = to_utc(datetime.combine(_add_months(first, months), time()), zone)
        periods.append((begin, end))
        begin = end
    return periods


def bill(
    versions: Sequence[TariffVersion],
    slots: Sequence[tuple[datetime, Decimal]],
    slot: timedelta,
    zone: tzinfo,
    period: tuple[datetime, datetime],
    power_factor: Decimal | None = None,
) -> Bill:
    """The bill of one billing period [start, end) (naive UTC) from every slot in it; rules in `tariff_bill`."""
    from myems_common.tariff_bill import assemble_bill, check_bill_input  # it imports the model from here

    check_bill_input(versions, slots, period, power_factor)
    pricer = TariffPricer(versions, slot, zone)
    return assemble_bill(pricer.timeline, pricer.price(slots), slot, period, power_factor)


# --- MyEMS rows and the JSON structure ------------------------------------------------------------------

_CLOCK = re.compile(r'^(\d{1,2}):(\d{2})(?::(\d{2}))?$')
_MONTH_DAY = re.compile(r'^(\d{1,2})-(\d{1,2})$')
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class TariffStructure:
    """The parsed JSON structure of a tariff; seasons None means: use the MyEMS TOU rows."""

    seasons: tuple[Season, ...] | None = None
    tiers: tuple[Tier, ...] = ()
    demand: tuple[DemandCharge, ...] = ()
    fixed_per_period: Decimal = Decimal(0)
    power_factor: PowerFactorRule | None = None
    taxes: tuple[Tax, ...] = ()
    minimum_bill: Decimal = Decimal(0)
    billing_day: int = 1


def _number(value: object, path: str, minimum: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f'{path}: not a number')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f'{path}: not a number') from None
    if not number.is_finite():
        raise ValueError(f'{path}: not a number')
    if minimum is not None and number < minimum:
        raise ValueError(f'{path}: must be at least {minimum}')
    return number


def _integer(value: object, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'{path}: not a whole number')
    if not low <= value <= high:
        raise ValueError(f'{path}: must be {low}..{high}')
    return value


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'{path}: must be a non-empty string')
    return value.strip()


def _mapping(value: object, path: str, required: set[str], optional: set[str]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f'{path}: must be an object')
    unknown = sorted(str(key) for key in value if key not in required | optional)
    if unknown:
        raise ValueError(f'{path}.{unknown[0]}: unknown field')
    missing = sorted(required - set(value))
    if missing:
        raise ValueError(f'{path}.{missing[0]}: missing')
    return value


def _items(value: object, path: str) -> list[object]:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f'{path}: must be a non-empty list')
    return list(value)


def time_of_day(value: object, path: str = 'time') -> time:
    """A band edge: datetime.time, timedelta (a MySQL TIME column) or 'HH:MM[:SS]'; 24:00 means midnight."""
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, timedelta):
        seconds = value // _ONE_SECOND
        if not 0 <= seconds <= DAY_SECONDS:
            raise ValueError(f'{path}: not a time of day')
        return time(seconds % DAY_SECONDS // 3600, seconds // 60 % 60, seconds % 60)
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'{path}: not a time of day like 06:00 or 05:59:59')
    hour, minute, second = (int(part or 0) for part in match.groups())
    if (hour, minute, second) == (24, 0, 0):
        return time()
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f'{path}: not a time of day like 06:00 or 05:59:59')
    return time(hour, minute, second)


def _band(value: object, path: str) -> Period:
    raw = _mapping(value, path, {'name', 'start', 'end', 'price'}, set())
    return Period(
        name=_text(raw['name'], f'{path}.name'),
        start=time_of_day(raw['start'], f'{path}.start'),
        end=time_of_day(raw['end'], f'{path}.end'),
        price=_number(raw['price'], f'{path}.price'),
    )


def _bands(value: object, path: str) -> tuple[Period, ...] | None:
    if value is None:
        return None
    return tuple(_band(item, f'{path}[{index}]') for index, item in enumerate(_items(value, path)))


def _month_day(value: object, path: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'{path}: not a date like 06-01 (month-day)')
    month, day = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        raise ValueError(f'{path}: no such day of the year')
    return month, day


def _season(value: object, path: str) -> Season:
    raw = _mapping(value, path, {'name', 'start', 'end', 'weekday'}, {'weekend', 'holiday'})
    name = _text(raw['name'], f'{path}.name')
    start, end = _month_day(raw['start'], f'{path}.start'), _month_day(raw['end'], f'{path}.end')
    weekday = _bands(raw['weekday'], f'{path}.weekday') or ()
    weekend, holiday = _bands(raw.get('weekend'), f'{path}.weekend'), _bands(raw.get('holiday'), f'{path}.holiday')
    return Season(name, start, end, DaySchedules(weekday, weekend, holiday))


def _limits(value: object, path: str, key: str) -> list[tuple[Decimal | None, Decimal]]:
    """(limit or None, adder) of each tier or block; only the last limit may be null."""
    rows = _items(value, path)
    parsed: list[tuple[Decimal | None, Decimal]] = []
    for index, item in enumerate(rows):
        here = f'{path}[{index}]'
        raw = _mapping(item, here, {key, 'adder'}, set())
        limit = raw[key]
        if limit is None and index < len(rows) - 1:
            raise ValueError(f'{here}.{key}: only the last may be null')
        parsed.append(
            (None if limit is None else _number(limit, f'{here}.{key}'), _number(raw['adder'], f'{here}.adder'))
        )
    return parsed


def _tiers(value: object, path: str) -> tuple[Tier, ...]:
    tiers: list[Tier] = []
    for index, (up_to, adder) in enumerate(_limits(value, path, 'up_to')):
        if up_to is not None and tiers and tiers[-1].up_to is not None and up_to <= tiers[-1].up_to:
            raise ValueError(f'{path}[{index}].up_to: must be above the previous tier')
        tiers.append(Tier(up_to, adder))
    return tuple(tiers)


def _blocks(value: object, path: str) -> tuple[Tier, ...]:
    """Block sizes -> tiers whose limits are the running totals of the sizes."""
    tiers: list[Tier] = []
    reached = Decimal(0)
    for index, (size, adder) in enumerate(_limits(value, path, 'size')):
        if size is not None:
            if size <= 0:
                raise ValueError(f'{path}[{index}].size: must be positive')
            reached += size
        tiers.append(Tier(None if size is None else reached, adder))
    return tuple(tiers)


def _demand(value: object, path: str) -> DemandCharge:
    raw = _mapping(value, path, {'price'}, {'window_minutes', 'periods'})
    periods = raw.get('periods', [])
    if not isinstance(periods, list | tuple):
        raise ValueError(f'{path}.periods: must be a list of band names')
    return DemandCharge(
        price=_number(raw['price'], f'{path}.price', Decimal(0)),
        window_minutes=_integer(raw.get('window_minutes', 15), f'{path}.window_minutes', 1, 1440),
        periods=tuple(_text(name, f'{path}.periods[{index}]') for index, name in enumerate(periods)),
    )


def _power_factor(value: object, path: str) -> PowerFactorRule:
    raw = _mapping(value, path, {'target', 'surcharge_per_hundredth'}, {'credit_per_hundredth', 'max_credit'})
    target = _number(raw['target'], f'{path}.target', Decimal(0))
    if target > 1:
        raise ValueError(f'{path}.target: must be at most 1')
    return PowerFactorRule(
        target=target,
        surcharge_per_hundredth=_number(raw['surcharge_per_hundredth'], f'{path}.surcharge_per_hundredth', Decimal(0)),
        credit_per_hundredth=_number(raw.get('credit_per_hundredth', 0), f'{path}.credit_per_hundredth', Decimal(0)),
        max_credit=_number(raw.get('max_credit', 0), f'{path}.max_credit', Decimal(0)),
    )


def _tax(value: object, path: str) -> Tax:
    raw = _mapping(value, path, {'name', 'rate'}, set())
    return Tax(_text(raw['name'], f'{path}.name'), _number(raw['rate'], f'{path}.rate', Decimal(0)))


_STRUCTURE_FIELDS = {
    'seasons',
    'tiers',
    'blocks',
    'demand',
    'fixed_per_period',
    'power_factor',
    'taxes',
    'minimum_bill',
    'billing_day',
}


def _listed(raw: Mapping[str, object], key: str, parse: Callable[[object, str], _T]) -> tuple[_T, ...]:
    if key not in raw:
        return ()
    return tuple(parse(item, f'{key}[{index}]') for index, item in enumerate(_items(raw[key], key)))


def parse_structure(structure: object) -> TariffStructure:
    """Validate a tariff's JSON structure (a mapping or JSON text); ValueError names the first bad field."""
    if isinstance(structure, str | bytes):
        try:
            structure = json.loads(structure, parse_float=Decimal)
        except ValueError:
            raise ValueError('structure: not valid JSON') from None
    raw = _mapping(structure, 'structure', set(), _STRUCTURE_FIELDS)
    if 'tiers' in raw and 'blocks' in raw:
        raise ValueError('blocks: give tiers or blocks, not both')
    if 'tiers' in raw:
        tiers = _tiers(raw['tiers'], 'tiers')
    else:
        tiers = _blocks(raw['blocks'], 'blocks') if 'blocks' in raw else ()
    power_factor = raw.get('power_factor')
    return TariffStructure(
        seasons=_listed(raw, 'seasons', _season) or None,
        tiers=tiers,
        demand=_listed(raw, 'demand', _demand),
        fixed_per_period=_number(raw.get('fixed_per_period', 0), 'fixed_per_period'),
        power_factor=None if power_factor is None else _power_factor(power_factor, 'power_factor'),
        taxes=_listed(raw, 'taxes', _tax),
        minimum_bill=_number(raw.get('minimum_bill', 0), 'minimum_bill', Decimal(0)),
        billing_day=_integer(raw.get('billing_day', 1), 'billing_day', 1, 28),
    )


def _utc(value: object, path: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f'{path}: not a date and time') from None
    if not isinstance(value, datetime):
        raise ValueError(f'{path}: not a date and time')
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def periods_from_rows(tou_rows: Sequence[Mapping[str, object]]) -> tuple[Period, ...]:
    """MyEMS tbl_tariffs_timeofuses rows (TIME columns as time or timedelta) -> bands ordered by start."""
    periods = [
        Period(
            name=_text(row['peak_type'], f'tou_rows[{index}].peak_type'),
            start=time_of_day(row['start_time_of_day'], f'tou_rows[{index}].start_time_of_day'),
            end=time_of_day(row['end_time_of_day'], f'tou_rows[{index}].end_time_of_day'),
            price=_number(row['price'], f'tou_rows[{index}].price'),
        )
        for index, row in enumerate(tou_rows)
    ]
    return tuple(sorted(periods, key=lambda period: period.start))


def version_from_rows(
    tariff: Mapping[str, object],
    tou_rows: Sequence[Mapping[str, object]],
    structure: Mapping[str, object] | str | None,
    holidays: frozenset[date] = frozenset(),
) -> TariffVersion:
    """A version from a MyEMS tariff row, its TOU rows and an optional structure (which replaces the TOU
    rows when it has seasons). Without a structure: one all-year season, the same bands every day."""
    parsed = parse_structure(structure) if structure is not None else TariffStructure()
    seasons = parsed.seasons
    if seasons is None:
        periods = periods_from_rows(tou_rows)
        problem = check_coverage(periods)
        if problem:
            log.warning('tariff %s: time-of-use rows: %s', tariff.get('id'), problem)
        seasons = (Season('all year', (1, 1), (12, 31), DaySchedules(periods)),)
    currency = tariff.get('currency') or 'CNY'
    if not isinstance(currency, str) or not re.fullmatch(r'[A-Za-z]{3}', currency):
        raise ValueError('currency: not an ISO 4217 code')
    tariff_id = tariff.get('id')
    if isinstance(tariff_id, bool) or not isinstance(tariff_id, int):
        raise ValueError('id: not a whole number')
    return TariffVersion(
        id=tariff_id,
        valid_from=_utc(tariff.get('valid_from_datetime_utc'), 'valid_from_datetime_utc'),
        valid_through=_utc(tariff.get('valid_through_datetime_utc'), 'valid_through_datetime_utc'),
        currency=currency.upper(),
        seasons=seasons,
        tiers=parsed.tiers,
        demand=parsed.demand,
        fixed_per_period=parsed.fixed_per_period,
        power_factor=parsed.power_factor,
        taxes=parsed.taxes,
        minimum_bill=parsed.minimum_bill,
        holidays=holidays,
        billing_day=parsed.billing_day,
    )
