"""Tariffs as stored, ready to price or classify slots: every cost centre's tariffs read once (`TariffBook`),
and per cost centre and energy category a `Rate` (its effective-dated versions, each in its own zone).

Shared by the billing steps (slot costs) and the reports (time-of-use breakdowns), and `object_bill`: the
bill of one object's consumption of one energy category over a billing period, read from its energy slots.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from myems_common.counterdata import SLOT_SECONDS
from myems_common.counters import EPOCH
from myems_common.db import Database
from myems_common.hierarchy import METER_KINDS
from myems_common.memo import Memo
from myems_common.series import SeriesKey
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
from myems_common.timeutil import zone

log = logging.getLogger(__name__)
NO_COST_CENTER, NO_TARIFF, NO_BAND = 'no cost center', 'no tariff', 'no band'
_SECOND = timedelta(seconds=1)


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
    prices: Memo[datetime, Decimal | str] = field(init=False)  # slot start -> band price, or why unpriced
    changes: dict[tuple[datetime, datetime], list[datetime]] = field(init=False)  # band_changes of recent ranges

    def __post_init__(self) -> None:
        self.pricers = {z: TariffPricer(self.versions, self.slot, z) for z in dict.fromkeys(self.zones.values())}
        self.first = next(iter(self.pricers.values()))
        self.tiered = any(v.tiers for v in self.versions)
        self.prices = Memo(self.band_price)
        self.changes = {}

    def band_price(self, at: datetime) -> Decimal | str:
        """The band price of the slot starting `at`, or why it has none."""
        version, period = self.classify(at)
        return period.price if period else NO_BAND if version else NO_TARIFF

    def classify(self, start: datetime) -> tuple[TariffVersion | None, Period | None]:
        version, period = self.first.classify(start)
        if version is not None and len(self.pricers) > 1:
            version, period = self.pricers[self.zones[version.id]].classify(start)
        return version, period

    def band_changes(self, start: datetime, end: datetime) -> list[datetime]:
        """The slot starts in [start, end), `start` floored to the slot, whose band (by name, None for none)
        differs from the previous slot's; the first slot is always one. Kept for recent ranges."""
        key = (start, end)
        found = self.changes.get(key)
        if found is None:
            found = []
            previous: object = ()
            at = EPOCH + (start - EPOCH) // self.slot * self.slot
            while at < end:
                period = self.classify(at)[1]
                name = period.name if period else None
                if name != previous:
                    found.append(at)
                    previous = name
                at += self.slot
            if len(self.changes) > 64:
                self.changes.clear()
            self.changes[key] = found
        return found

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
            priced = [(at, energy, prices[at]) for at, energy in slots if at >= start]
            costs = [
                (at, (energy * p).quantize(MICRO, ROUND_HALF_EVEN))
                for at, energy, p in priced
                if not isinstance(p, str)
            ]
            if len(costs) < len(priced):
                unpriced = [(at, energy, p) for at, energy, p in priced if isinstance(p, str)]
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
            band = {'start_time_of_day': start, 'end_time_of_day': end, 'peak_type': peak, 'price': price}
            self.tou.setdefault(int(tariff_id), []).append(band)
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
        if ids not in self._rates:  # (a book shared between threads: built before it is stored)
            built = [v for v in (self.version(i) for i in ids) if v is not None]
            versions = [v for v, _ in built]
            self._rates[ids] = Rate(versions, {v.id: z for v, z in built}, self.slot) if built else None
        return self._rates[ids]

    def rates(self, cost_center: int | None) -> list[Rate]:
        return [r for c, cat in self.links if c == cost_center and (r := self.rate(c, cat)) is not None]


_BOOKS: dict[tuple[Any, ...], tuple[tuple[Any, ...], TariffBook]] = {}
_BOOKS_LOCK = threading.Lock()
TARIFF_TABLES = (
    'tbl_cost_centers_tariffs',
    'tbl_tariffs',
    'tbl_tariffs_timeofuses',
    'tbl_working_calendars_non_working_days',
)


CHECKSUM_SQL = f'CHECKSUM TABLE {", ".join(TARIFF_TABLES)}'


def current_book(db: Database, slot: timedelta, checksum: Sequence[Any] | None = None) -> TariffBook:
    """A tariff book kept between calls while the tables it is read from keep their checksums (one statement
    instead of three reads, and its rates keep what they learnt: classified slots, band runs). `checksum`: the
    rows of CHECKSUM_SQL if the caller has read them."""
    config = db.settings.db('system')
    key = (config.host, config.port, config.database, slot, db.settings.default_timezone)
    if checksum is None:
        with db.read('system') as cur:
            cur.execute(CHECKSUM_SQL)
            checksum = cur.fetchall()
    checksum = tuple(tuple(row) for row in checksum)
    with _BOOKS_LOCK:
        found = _BOOKS.get(key)
    if found is not None and found[0] == checksum:
        return found[1]
    book = TariffBook(db, slot)
    with _BOOKS_LOCK:
        _BOOKS[key] = (checksum, book)
    return book


def object_bill(
    db: Database,
    kind: str,
    object_id: int,
    energy_category_id: int,
    period: tuple[datetime, datetime],
    book: TariffBook | None = None,
) -> Bill:
    """The bill of one object's consumption of one category over a billing period [start, end) (naive UTC),
    from its energy slots (a meter-like's own table, an aggregate's input category table) and the tariffs
    of its own cost centre. LookupError if it has none for that category (or the object does not exist)."""
    slot = timedelta(minutes=db.settings.minutes_to_count)
    meter_like = kind in METER_KINDS
    found = db.fetch_one(
        'system',
        f'SELECT cost_center_id, {"energy_category_id" if meter_like else "NULL"} FROM tbl_{kind}s WHERE id = %s',
        (object_id,),
    )
    if found is None:
        raise LookupError(f'no {kind} {object_id}')
    rate = (book or TariffBook(db, slot)).rate(int(found[0]) if found[0] else None, energy_category_id)
    if rate is None:
        raise LookupError(f'{kind} {object_id} has no tariff for energy category {energy_category_id}')
    key = SeriesKey('energy', kind) if meter_like else SeriesKey('energy', kind, 'input', 'category')
    slots: list[tuple[datetime, Decimal]] = []
    if not meter_like or int(found[1]) == energy_category_id:
        where = '' if meter_like else f' AND {key.dimension_column} = %s'
        args = () if meter_like else (energy_category_id,)
        rows = db.fetch_all(
            'energy',
            f'SELECT {SLOT_SECONDS},'
            f' CAST(actual_value AS CHAR) FROM {key.table} WHERE {key.entity_column} = %s{where}'
            ' AND start_datetime_utc >= %s AND start_datetime_utc < %s ORDER BY start_datetime_utc',
            (object_id, *args, *period),
        )
        slots = [(EPOCH + timedelta(seconds=int(seconds)), Decimal(value)) for seconds, value in rows]
    version = rate.first.timeline.at(period[0]) or rate.versions[-1]
    return bill(rate.versions, slots, slot, rate.zones[version.id], period)
