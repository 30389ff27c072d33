"""The plumbing the billing and carbon steps share: slot energy in, one value per slot out.

A `SlotStep` works on the objects of one kind (meters, spaces, stores, ...). It reads the energy slot
tables of the kind that carry consumption (a meter-like's own table; an aggregate's input category and
input item tables), or with `direction='output'` those of its outputs (spaces, equipments and combined
equipments: the output category table; step `{kind}_output_{database}`), turns each slot into a value
(`convert`, the subclass's part) and writes the table of the same family in its own database. Its input
is complete up to the energy stage's watermark of the same object (an offline meter, which no stage
computes, up to the end of its last slot); it starts at the object's first energy slot.

A range is rewritten as a whole (`slotstore.replace_rows`): rows the new result no longer has are
deleted, the others upserted in multi-row statements, so a recompute leaves exactly the new result and
running a range twice leaves the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from myems_common.daily import BandBook, has_daily, load_zones, refresh_daily
from myems_common.db import Database, fetch_sets
from myems_common.hierarchy import KINDS as ENTITY_KINDS
from myems_common.hierarchy import METER_KINDS
from myems_common.memo import Memo
from myems_common.series import FAMILIES, SeriesKey
from myems_common.slotstore import dimensions_of_each, in_list, replace_rows
from myems_common.timeutil import ceil_slot, floor_slot, zone

log = logging.getLogger(__name__)
BATCH = 1000
METER_LIKE = METER_KINDS
KINDS = (*METER_KINDS, *ENTITY_KINDS)  # meters, virtual meters, offline meters, then the aggregates
# The energy stage whose watermark says how far an object's energy slots are complete (None: offline
# meters, complete up to their last slot).
ENERGY_STEPS = {kind: (None if kind == 'offline_meter' else f'{kind}_energy') for kind in KINDS}

# one input series of an object: (dimension id, or 0 for a meter-like's own table) -> ascending (start, energy)
Series = dict[int, list[tuple[datetime, Decimal]]]


@dataclass
class SlotResult:
    """What `compute` found for [start, end) (which may reach past the runner's range): output rows per
    input family, as (dimension id or 0, start, value), and the step's extra rows."""

    start: datetime
    end: datetime
    rows: dict[SeriesKey, list[tuple[int, datetime, Decimal]]]
    extra: list[tuple[Any, ...]] = field(default_factory=list)


def slot_time(text: bytes) -> datetime:
    """A slot start as a raw cursor reads it (b'2026-01-01 00:00:00') as a datetime (kept per pass in a Memo:
    one datetime per slot)."""
    return datetime.fromisoformat(text.decode())


def directions(kind: str) -> tuple[str, ...]:
    """The directions of a kind's energy slots: 'input' (a meter-like's own slots count as input), and
    'output' for the kinds with output tables."""
    return ('input', 'output') if kind in ENTITY_KINDS and ENTITY_KINDS[kind].has_output else ('input',)


def in_chunks(values: Sequence[Any], size: int = BATCH) -> list[Sequence[Any]]:
    return [values[first : first + size] for first in range(0, len(values), size)]


class SlotStep:
    """Slot energy of one kind of object -> one value per slot in `database` (subclasses: billing, carbon)."""

    database = 'energy'  # set by the subclass: 'billing' or 'carbon'

    def __init__(
        self, kind: str, slot_minutes: int = 60, chunk: timedelta | None = None, direction: str = 'input'
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f'no slot step for {kind!r}; kinds: {", ".join(KINDS)}')
        if direction not in directions(kind):
            raise ValueError(f'{kind} has no {direction} slots')
        self.kind = kind
        self.name = f'{kind}_{self.database}' if direction == 'input' else f'{kind}_{direction}_{self.database}'
        self.slot_minutes = slot_minutes
        self.slot = timedelta(minutes=slot_minutes)
        self.chunk = chunk or timedelta(days=31)
        self.table = f'tbl_{kind}s'  # the configuration table of the kind
        wanted = (None, 'input') if direction == 'input' else (direction,)
        families = [f for f in FAMILIES if f.entity == kind and f.direction in wanted]
        self.inputs = [SeriesKey('energy', f.entity, f.direction, f.dimension) for f in families]
        self.outputs = {key: SeriesKey(self.database, key.entity, key.direction, key.dimension) for key in self.inputs}
        self.entity_column = f'{kind}_id'
        self._categories: dict[int, int] = {}  # meter-like -> energy category, item -> category (per pass)
        self._times = Memo(slot_time)  # a slot start's text -> its datetime (per pass)
        self.zones: dict[int, tzinfo] = {}  # an entity's zone, whose days its daily sums are of (per pass)
        self.default_zone: tzinfo = UTC
        self.bands: BandBook | None = None  # the time-of-use bands of its daily sums (per pass)

    # ------------------------------------------------------------------ configuration, read once a pass
    def refresh(self, db: Database) -> None:
        """Read the configuration a pass needs (called by `objects`, at the start of every pass)."""
        if self.kind in METER_LIKE:
            rows = db.fetch_all('system', f'SELECT id, energy_category_id FROM `{self.table}`')
        else:
            rows = db.fetch_all('system', 'SELECT id, energy_category_id FROM tbl_energy_items')
        self._categories = {int(i): int(c) for i, c in rows}

    def objects(self, db: Database) -> Sequence[int]:
        ids = [int(r[0]) for r in db.fetch_all('system', f'SELECT id FROM `{self.table}` ORDER BY id')]
        if not ids:  # nothing to configure for
            return ids
        self.refresh(db)
        self.default_zone = zone(db.settings.default_timezone)
        self.zones = {} if self.kind in METER_LIKE else load_zones(db, self.kind)
        self.bands = None if self.kind in METER_LIKE else BandBook(db, self.kind, self.slot)
        self._times = Memo(slot_time)
        return ids

    def category_of(self, key: SeriesKey, object_id: int, dimension: int) -> int | None:
        """The energy category of one input series: a meter-like's own, an item's, or the dimension itself."""
        if key.dimension == 'category':
            return dimension
        return self._categories.get(object_id if key.dimension is None else dimension)

    # ------------------------------------------------------------------ how far
    def bounds(
        self, db: Database, object_ids: Sequence[int], progress: Mapping[int, datetime]
    ) -> dict[int, tuple[datetime | None, datetime]]:
        step = ENERGY_STEPS[self.kind]
        if step is None:
            sql = f'SELECT {self.entity_column}, MAX(start_datetime_utc) FROM {self.inputs[0].table} GROUP BY 1'
            horizons = {int(i): last + self.slot for i, last in db.fetch_all('energy', sql)}
        else:
            sql = 'SELECT object_id, processed_until_utc FROM tbl_pipeline_progress WHERE step = %s'
            horizons = {int(i): until for i, until in db.fetch_all('energy', sql, (step,))}
        wanted = [i for i in object_ids if i in horizons]
        firsts = self.first_slots(db, [i for i in wanted if i not in progress])
        found: dict[int, tuple[datetime | None, datetime]] = {}
        for object_id in wanted:
            if object_id in progress:
                found[object_id] = (None, horizons[object_id])
            elif object_id in firsts:
                found[object_id] = (firsts[object_id], horizons[object_id])
        return found

    def first_slots(self, db: Database, object_ids: Sequence[int]) -> dict[int, datetime]:
        """The first energy slot of each object that has one."""
        firsts: dict[int, datetime] = {}
        for part in in_chunks(object_ids):
            marks = ', '.join(['%s'] * len(part))
            for key in self.inputs:
                sql = (
                    f'SELECT {self.entity_column}, MIN(start_datetime_utc) FROM {key.table}'
                    f' WHERE {self.entity_column} IN ({marks}) GROUP BY 1'
                )
                for object_id, first in db.fetch_all('energy', sql, tuple(part)):
                    firsts[int(object_id)] = min(first, firsts.get(int(object_id), first))
        return firsts

    # ------------------------------------------------------------------ the work
    def read(self, db: Database, object_id: int, start: datetime, end: datetime) -> dict[SeriesKey, Series]:
        """Every input table's slots of an object in [start, end), by dimension: the tables' dimensions found
        together, then the tables read in one round trip, raw (the server's text): converting that is about twice
        as fast as the driver's datetimes and Decimals, and every object of a pass shares the datetime of a slot
        start."""
        where = f'{self.entity_column} = %s'
        keyed = [key for key in self.inputs if key.dimension_column]
        with db.read('energy', raw=True) as cur:
            found = dimensions_of_each(cur, [(k.table, where, [object_id], k.dimension_column or '') for k in keyed])
            named = dict(zip(keyed, found, strict=True))
            statements = []
            for key in self.inputs:
                dimension = key.dimension_column
                narrow = f' AND {in_list(dimension, named[key])}' if dimension else ''
                statements.append(
                    (
                        f'SELECT {dimension or "0"}, start_datetime_utc, actual_value FROM {key.table}'
                        f' WHERE {where}{narrow} AND start_datetime_utc >= %s AND start_datetime_utc < %s'
                        f' ORDER BY {dimension + ", " if dimension else ""}start_datetime_utc',
                        (object_id, *named.get(key, ()), start, end),
                    )
                )
            sets = fetch_sets(cur, statements)
        times = self._times
        read: dict[SeriesKey, Series] = {}
        for key, rows in zip(self.inputs, sets, strict=True):
            series: Series = {}
            read[key] = series
            for dim, group in groupby(rows, itemgetter(0)):  # raw: every value as bytes
                _, starts, values = zip(*group, strict=True)
                slots = zip(map(times.__getitem__, starts), map(Decimal, map(bytes.decode, values)), strict=True)
                series.setdefault(int(dim), []).extend(slots)
        return read

    def extent(self, db: Database, object_id: int, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """(where to read from, where the result ends) for the runner's [start, end); by default the same."""
        return start, end

    def convert(
        self, db: Database, key: SeriesKey, object_id: int, series: Series, start: datetime, result: SlotResult
    ) -> list[tuple[int, datetime, Decimal]]:
        """Output rows of one input table (slots at or after `start` only); may add extra rows to `result`."""
        raise NotImplementedError

    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> SlotResult:
        start, end = floor_slot(start, self.slot_minutes), ceil_slot(end, self.slot_minutes)
        read_from, end = self.extent(db, object_id, start, end)
        result = SlotResult(start, end, {})
        for key, series in self.read(db, object_id, read_from, end).items():
            result.rows[key] = self.convert(db, key, object_id, series, start, result)
        return result

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: SlotResult) -> datetime | None:
        for key, rows in result.rows.items():
            out = self.outputs[key]
            dimension = out.dimension_column
            keys = [dimension, 'start_datetime_utc'] if dimension else ['start_datetime_utc']
            shaped = rows if dimension else [row[1:] for row in rows]
            fixed = ((self.entity_column, object_id),)
            touched = replace_rows(cur, out.table, fixed, keys, ['actual_value'], result.start, result.end, shaped)
            if has_daily(out) and self.bands is not None:
                tz = self.zones.get(object_id, self.default_zone)
                bands = self.bands.bands(out, object_id)
                refresh_daily(cur, out, object_id, result.start, result.end, tz, touched, bands, rows)
        self.write_extra(cur, object_id, result)
        return None

    def write_extra(self, cur: Any, object_id: int, result: SlotResult) -> None:
        """Rows beside the slot values (billing: its unpriced slots)."""
