"""Billing steps: the energy charge of every slot, priced by the tariffs of the object's cost centre.

`BillingStep(kind)` (name `{kind}_billing`, database `billing`) prices the energy slots of one kind of
object (a meter-like's own table; an aggregate's input category and input item tables) and
`BillingStep(kind, direction='output')` (name `{kind}_output_billing`) the output category slots of a space,
equipment or combined equipment, its income (MyEMS's `tbl_*_output_category_hourly`), with the tariffs
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
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myems_aggregation.slotsteps import KINDS, Series, SlotResult, SlotStep, directions
from myems_common.db import Database
from myems_common.series import SeriesKey
from myems_common.slotstore import replace_rows
from myems_common.tariff import Bill
from myems_common.tariffbook import NO_COST_CENTER, NO_TARIFF, TariffBook, object_bill
from myems_common.timeutil import ceil_slot

log = logging.getLogger(__name__)
UNPRICED = 'tbl_unpriced_slots'
_SECOND = timedelta(seconds=1)
_LOOK_BACK = timedelta(days=32)  # a billing period (a local month) starts at most this long before a slot


class BillingStep(SlotStep):
    """Slot costs of one kind of object (meters, virtual meters, offline meters, spaces, ...)."""

    database = 'billing'

    def __init__(
        self, kind: str, slot_minutes: int = 60, chunk: timedelta | None = None, direction: str = 'input'
    ) -> None:
        super().__init__(kind, slot_minutes, chunk, direction)
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
    """One billing step per kind and direction (all nine kinds by default; outputs for the three that have them)."""
    return [BillingStep(kind, slot_minutes, direction=way) for kind in kinds for way in directions(kind)]


def bills_for(
    db: Database, kind: str, object_id: int, energy_category_id: int, period: tuple[datetime, datetime]
) -> Bill:
    """The bill of one object's consumption of one category over a billing period [start, end) (naive UTC),
    from its energy slots and its cost centre's tariffs (`tariffbook.object_bill`, shared with the API's
    bill reports). LookupError if it has none for that category."""
    return object_bill(db, kind, object_id, energy_category_id, period)
