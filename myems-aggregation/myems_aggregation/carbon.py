"""Carbon steps: the emissions of every slot, energy x the emission factor of its energy category.

`CarbonStep(kind)` (name `{kind}_carbon`, database `carbon`) reads the same energy slots as billing (a
meter-like's own table; an aggregate's input category and input item tables) and writes kg CO2e per slot,
6 decimals. The factor of a slot is the `tbl_emission_factors` row of its category valid at the slot's
start (validity inclusive at both ends; where several are, the latest valid_from wins), else the
category's own `kgco2e`. An item's slots use its category's factor. Factors are read once a pass.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial

from myems_aggregation.slotsteps import KINDS, Series, SlotResult, SlotStep
from myems_common.db import Database
from myems_common.memo import Memo
from myems_common.series import SeriesKey
from myems_common.tariff import MICRO


class EmissionFactors:
    """kg CO2e per unit of each energy category at any instant."""

    def __init__(self, db: Database) -> None:
        self.defaults = {
            int(i): Decimal(f) for i, f in db.fetch_all('system', 'SELECT id, kgco2e FROM tbl_energy_categories')
        }
        self.ranges: dict[int, list[tuple[datetime, datetime, Decimal]]] = {}
        for category, valid_from, valid_through, factor in db.fetch_all(
            'system',
            'SELECT energy_category_id, valid_from_datetime_utc, valid_through_datetime_utc, kgco2e'
            ' FROM tbl_emission_factors ORDER BY energy_category_id, valid_from_datetime_utc, id',
        ):
            self.ranges.setdefault(int(category), []).append((valid_from, valid_through, factor))
        self.starts = {c: [r[0] for r in ranges] for c, ranges in self.ranges.items()}
        self._cache: Memo[int, Mapping[datetime, Decimal | None]] = Memo(self._factors)

    def at(self, category: int, instant: datetime) -> Decimal | None:
        """The factor valid at `instant`, or None for an unknown category."""
        return self.of(category)[instant]

    def of(self, category: int) -> Mapping[datetime, Decimal | None]:
        """The factors of one category by instant (each found when first asked for)."""
        return self._cache[category]

    def _factors(self, category: int) -> Mapping[datetime, Decimal | None]:
        return Memo(partial(self.find, category))

    def find(self, category: int, instant: datetime) -> Decimal | None:
        found = self.defaults.get(category)
        ranges = self.ranges.get(category, [])
        for index in range(bisect_right(self.starts.get(category, []), instant) - 1, -1, -1):
            if instant <= ranges[index][1].replace(microsecond=0) + timedelta(microseconds=999_999):
                found = ranges[index][2]
                break
        return found


class CarbonStep(SlotStep):
    """Slot emissions of one kind of object."""

    database = 'carbon'

    def __init__(self, kind: str, slot_minutes: int = 60, chunk: timedelta | None = None) -> None:
        super().__init__(kind, slot_minutes, chunk)
        self.factors: EmissionFactors | None = None

    def refresh(self, db: Database) -> None:
        super().refresh(db)
        self.factors = EmissionFactors(db)

    def convert(
        self, db: Database, key: SeriesKey, object_id: int, series: Series, start: datetime, result: SlotResult
    ) -> list[tuple[int, datetime, Decimal]]:
        if self.factors is None:  # compute called without a pass
            self.refresh(db)
        factors = self.factors
        assert factors is not None
        rows: list[tuple[int, datetime, Decimal]] = []
        for dimension, slots in series.items():
            category = self.category_of(key, object_id, dimension)
            if category is None:
                continue
            of = factors.of(category)
            rows += [
                (dimension, at, (energy * factor).quantize(MICRO, ROUND_HALF_EVEN))
                for at, energy in slots
                if at >= start and (factor := of[at]) is not None
            ]
        return rows


def carbon_steps(slot_minutes: int = 60, kinds: tuple[str, ...] = KINDS) -> list[CarbonStep]:
    """One carbon step per kind (all nine by default)."""
    return [CarbonStep(kind, slot_minutes) for kind in kinds]
