"""Billing steps: the energy charge of every slot, priced by the tariffs of the object's cost centre.

`BillingStep(kind)` (name `{kind}_billing`, database `billing`) prices the energy slots of one kind of
object (a meter-like's own table; an aggregate's input category and input item tables) with the tariffs
linked to the object's own cost centre (`tbl_cost_centers_tariffs`) for the slot's energy category (an
item's: its category's). The tariffs of one cost centre and category are the versions of one tariff
(docs/tariffs.md): each built by `version_from_rows` from its row, its time-of-use rows and its JSON
structure, with the non-working days of its working calendar as holidays, read in its own time zone (or
the default one). A slot's cost is its energy charge (time-of-use band price plus the tier adder), 6
decimals. Demand, fixed and power-factor charges, minimum bills and taxes belong to the bill of a
billing period (`bills_for`), not to slots.

Tiers price a slot by the consumption since its billing period began, read from the energy table, so a
change early in a period changes the cost of every later slot of it: a recompute of an object with a
tiered tariff reaches the end of the billing period (not past the step's own watermark).

A slot with no cost centre, no tariff valid at it, or no band covering it gets no cost row; it is
recorded in `tbl_unpriced_slots` with its energy and the reason (meter-likes and the category tables of
aggregates; an item slot is unpriced exactly when its category's is). Tariffs, calendars and cost centres
are read once a pass, and the pricers (with their classification caches) shared by every object whose
cost centre has the same tariffs, so each slot start is classified once per tariff and pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from myems_aggregation.slotsteps import KINDS, METER_LIKE, Series, SlotResult, SlotStep
from myems_common.db import Database
from myems_common.series import SeriesKey
from myems_common.slotstore import replace_rows
from myems_common.tariff import (
    MICRO,
    Bill,
    Period,
    TariffPricer,
    TariffVersion,
    bill,
    billing_periods,
    slot_cost,
    version_from_rows,
)
from myems_common.timeutil import ceil_slot, zone

log = logging.getLogger(__name__)
NO_COST_CENTER, NO_TARIFF, NO_BAND = 'no cost center', 'no tariff', 'no band'
UNPRICED = 'tbl_unpriced_slots'
_SECOND = timedelta(seconds=1)
_LOOK_BACK = timedelta(days=32)  # a billing period (a local month) starts at most this long before a slot


@dataclass
class Rate:
    """The tariffs of one cost centre and energy category: effective-dated versions, each read in its own
    zone. One pricer per zone (each over every version, so the latest valid_from wins the same way)."""

    versions: list[TariffVersion]
    zones: dict[int, tzinfo]  # version id -> zone
    slot: timedelta
    pricers: dict[tzinfo, TariffPricer] = field(init=False)
    first: TariffPricer = field(init=False)
    tiered: bool = field(init=False)
    prices: dict[datetime, Decimal | str] = field(init=False)  # slot start -> band price, or why unpriced

    def __post_init__(self) -> None:
        self.pricers = {z: TariffPricer(self.versions, self.slot, z) for z in dict.fromkeys(self.zones.values())}
        self.first = next(iter(self.pricers.values()))
        self.tiered = any(v.tiers for v in self.versions)
        self.prices = {}

    def classify(self, start: datetime) -> tuple[TariffVersion | None, Period | None]:
        version, period = self.first.classify(start)
        if version is not None and len(self.pricers) > 1:
            version, period = self.pricers[self.zones[version.id]].classify(start)
        return version, period

    def period_end(self, version: TariffVersion, instant: datetime) -> datetime:
        """The end of the billing period of `version` holding `instant`."""
        end: datetime = billing_periods(instant, instant + _SECOND, self.zones[version.id], version.billing_day)[-1][1]
        return end

    def price(
        self, slots: Sequence[tuple[datetime, Decimal]], start: datetime
    ) -> tuple[list[tuple[datetime, Decimal]], list[tuple[datetime, Decimal, str]]]:
        """(start, cost) of the slots at or after `start`, and (start, energy, reason) of those unpriced.

        With tiers, `slots` must begin early enough to hold the whole billing period of the first slot
        priced: the consumption before a slot counts from its period's start."""
        costs: list[tuple[datetime, Decimal]] = []
        unpriced: list[tuple[datetime, Decimal, str]] = []
        if not self.tiered:  # the usual case: a price per slot start, looked up once a pass
            prices = self.prices
            for at, energy in slots:
                if at < start:
                    continue
                price = prices.get(at)
                if price is None:
                    version, period = self.classify(at)
                    price = prices[at] = period.price if period else NO_BAND if version else NO_TARIFF
                if isinstance(price, str):
                    unpriced.append((at, energy, price))
                else:
                    costs.append((at, (energy * price).quantize(MICRO, ROUND_HALF_EVEN)))
            return costs, unpriced
        period_end: datetime | None = None  # of the billing period the running consumption is in
        consumed = Decimal(0)
        basis = self.versions[0]  # whose billing periods count the consumption (an unpriced slot's too)
        for at, energy in slots:
            version, period = self.classify(at)
            basis = version or basis
            if period_end is None or at >= period_end:
                period_end, consumed = self.period_end(basis, at), Decimal(0)
            if at >= start:
                if version is None or period is None:
                    unpriced.append((at, energy, NO_BAND if version else NO_TARIFF))
                else:
                    costs.append((at, slot_cost(version, period.price, consumed, energy)))
            consumed += energy
        return costs, unpriced


class TariffBook:
    """Every cost centre's tariffs, read once (a pass); the rates are built when first asked for."""

    def __init__(self, db: Database, slot: timedelta) -> None:
        self.slot = slot
        self.default_zone = db.settings.default_timezone
        self.links: dict[tuple[int, int], list[int]] = {}  # (cost centre, category) -> tariff ids
        self.rows: dict[int, dict[str, Any]] = {}
        columns = ('id', 'energy_category_id', 'valid_from_datetime_utc', 'valid_through_datetime_utc', 'currency',
                   'timezone', 'working_calendar_id', 'structure')  # fmt: skip
        for center, *row in db.fetch_all(
            'system',
            f'SELECT ct.cost_center_id, {", ".join(f"t.{c}" for c in columns)} FROM tbl_cost_centers_tariffs ct'
            ' JOIN tbl_tariffs t ON t.id = ct.tariff_id ORDER BY t.id',
        ):
            tariff = dict(zip(columns, row, strict=True))
            self.links.setdefault((int(center), int(tariff['energy_category_id'])), []).append(int(tariff['id']))
            self.rows[int(tariff['id'])] = tariff
        self.tou: dict[int, list[dict[str, Any]]] = {}
        for tariff_id, start, end, peak, price in db.fetch_all(
            'system',
            'SELECT tariff_id, start_time_of_day, end_time_of_day, peak_type, price FROM tbl_tariffs_timeofuses'
            ' ORDER BY tariff_id, start_time_of_day',
        ):
            row = {'start_time_of_day': start, 'end_time_of_day': end, 'peak_type': peak, 'price': price}
            self.tou.setdefault(int(tariff_id), []).append(row)
        self.holidays: dict[int, set[date]] = {}
        for calendar, day in db.fetch_all(
            'system', 'SELECT working_calendar_id, date_local FROM tbl_working_calendars_non_working_days'
        ):
            self.holidays.setdefault(int(calendar), set()).add(day)
        self._versions: dict[int, tuple[TariffVersion, tzinfo] | None] = {}
        self._rates: dict[tuple[int, ...], Rate | None] = {}

    def version(self, tariff_id: int) -> tuple[TariffVersion, tzinfo] | None:
        if tariff_id not in self._versions:
            row = self.rows[tariff_id]
            calendar = row['working_calendar_id']
            holidays = frozenset(self.holidays.get(int(calendar), ())) if calendar else frozenset()
            try:
                built = version_from_rows(row, self.tou.get(tariff_id, []), row['structure'], holidays)
                found: tuple[TariffVersion, tzinfo] | None = (built, zone(row['timezone'] or self.default_zone))
            except ValueError as error:  # refused by the API; written by SQL: its slots stay unpriced
                log.error('tariff %s cannot be used, its slots are unpriced: %s', tariff_id, error)
                found = None
            self._versions[tariff_id] = found
        return self._versions[tariff_id]

    def rate(self, cost_center: int | None, category: int | None) -> Rate | None:
        """The rate of a cost centre for a category, or None if it has no usable tariff for it."""
        ids = tuple(self.links.get((cost_center or 0, category or 0), ()))
        if ids not in self._rates:
            built = [v for v in (self.version(i) for i in ids) if v is not None]
            self._rates[ids] = None
            if built:
                versions = [v for v, _ in built]
                self._rates[ids] = Rate(versions, {v.id: z for v, z in built}, self.slot)
        return self._rates[ids]

    def rates(self, cost_center: int | None) -> list[Rate]:
        return [r for c, cat in self.links if c == cost_center and (r := self.rate(c, cat)) is not None]


class BillingStep(SlotStep):
    """Slot costs of one kind of object (meters, virtual meters, offline meters, spaces, ...)."""

    database = 'billing'

    def __init__(self, kind: str, slot_minutes: int = 60, chunk: timedelta | None = None) -> None:
        super().__init__(kind, slot_minutes, chunk)
        self.book: TariffBook | None = None
        self.cost_centers: dict[int, int | None] = {}

    def refresh(self, db: Database) -> None:
        super().refresh(db)
        self.book = TariffBook(db, self.slot)
        rows = db.fetch_all('system', f'SELECT id, cost_center_id FROM `{self.table}`')
        self.cost_centers = {int(i): (int(c) if c else None) for i, c in rows}

    def tariffs(self, db: Database) -> TariffBook:
        if self.book is None:  # compute called without a pass (a test, a report)
            self.refresh(db)
        assert self.book is not None
        return self.book

    def extent(self, db: Database, object_id: int, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """A tiered tariff reads back to its billing period's start and recomputes up to its end (below
        the step's own watermark: a recompute of [start, end) changes the later slots of the period)."""
        rates = [r for r in self.tariffs(db).rates(self.cost_centers.get(object_id)) if r.tiered]
        if not rates:
            return start, end
        row = db.fetch_one(
            'billing',
            'SELECT processed_until_utc FROM tbl_pipeline_progress WHERE step = %s AND object_id = %s',
            (self.name, object_id),
        )
        if row is not None and end < row[0]:
            last = end - _SECOND
            ends = [r.period_end(v, last) for r in rates for v in r.versions if v.tiers]
            end = min(ceil_slot(max(ends), self.slot_minutes), row[0])
        return start - _LOOK_BACK, end

    def convert(
        self, db: Database, key: SeriesKey, object_id: int, series: Series, start: datetime, result: SlotResult
    ) -> list[tuple[int, datetime, Decimal]]:
        book = self.tariffs(db)
        center = self.cost_centers.get(object_id)
        rows: list[tuple[int, datetime, Decimal]] = []
        records = key.dimension != 'item'  # item slots are unpriced with their category's
        for dimension, slots in series.items():
            category = self.category_of(key, object_id, dimension)
            rate = book.rate(center, category) if center else None
            if rate is None:
                if records:
                    reason = NO_TARIFF if center else NO_COST_CENTER
                    result.extra += [(category or 0, at, energy, reason) for at, energy in slots if at >= start]
                continue
            costs, unpriced = rate.price(slots, start)
            rows += [(dimension, at, cost) for at, cost in costs]
            if records:
                result.extra += [(category or 0, at, energy, reason) for at, energy, reason in unpriced]
        return rows

    def write_extra(self, cur: Any, object_id: int, result: SlotResult) -> None:
        fixed = (('step', self.name), ('object_id', object_id))
        keys, values = ['energy_category_id', 'start_datetime_utc'], ['energy', 'reason']
        replace_rows(cur, UNPRICED, fixed, keys, values, result.start, result.end, result.extra)


def billing_steps(slot_minutes: int = 60, kinds: tuple[str, ...] = KINDS) -> list[BillingStep]:
    """One billing step per kind (all nine by default)."""
    return [BillingStep(kind, slot_minutes) for kind in kinds]


def bills_for(
    db: Database, kind: str, object_id: int, energy_category_id: int, period: tuple[datetime, datetime]
) -> Bill:
    """The bill of one object's consumption of one category over a billing period [start, end) (naive UTC),
    from its energy slots and its cost centre's tariffs. LookupError if it has none for that category."""
    step = BillingStep(kind, db.settings.minutes_to_count)
    step.refresh(db)
    rate = step.tariffs(db).rate(step.cost_centers.get(object_id), energy_category_id)
    if rate is None:
        raise LookupError(f'{kind} {object_id} has no tariff for energy category {energy_category_id}')
    key = step.inputs[0]  # a meter-like's own table, an aggregate's input category table
    series = step.read(db, key, object_id, *period)
    slots = series.get(0 if kind in METER_LIKE else energy_category_id, [])
    if kind in METER_LIKE and step.category_of(key, object_id, 0) != energy_category_id:
        slots = []
    version = rate.first.timeline.at(period[0]) or rate.versions[-1]
    return bill(rate.versions, slots, step.slot, rate.zones[version.id], period)
