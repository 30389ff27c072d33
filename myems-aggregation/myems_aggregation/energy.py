"""Energy roll-ups: an aggregate entity's slots are the sums of its sources' slots (see myems_common.hierarchy).

One step per entity kind (`EnergyRollup('space')` is step 'space_energy'), each writing the kind's three
families in myems_energy_db: input by energy category, input by energy item, output by energy category.

There is no common window. An entity goes as far as its furthest source (the latest watermark among
them), and each slot is the sum of the sources that have it. A slot some sources have not reached yet is
recorded in ``tbl_incomplete_slots`` (sources present / expected) so reports can say so. When a lagging
source catches up, the runner marks the entity dirty over the range it had already passed and the slots
are recomputed, complete this time. Spaces are done children first (an ordered step), each reading its
children's rows written moments before in the same pass: the whole tree in one pass.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from myems_common.daily import BandBook, load_zones, refresh_daily
from myems_common.db import Database, fetch_sets
from myems_common.hierarchy import KINDS, METER_KINDS, EntityKind, consumers, energy_step, every_consumers
from myems_common.pipeline import mark_dirty, watermarks
from myems_common.series import SeriesKey
from myems_common.slotstore import dimensions_of_each, in_list, replace_rows
from myems_common.timeutil import zone

log = logging.getLogger(__name__)
INCOMPLETE = 'tbl_incomplete_slots'
Key = tuple[int, datetime]  # (category or item, slot start)


@dataclass(frozen=True)
class Source:
    role: str  # 'in' or 'out'
    kind: str  # meter, virtual_meter, offline_meter or an entity kind
    id: int
    category: int | None = None  # meter-likes only
    item: int | None = None


@dataclass
class Result:
    input_category: dict[Key, Decimal] = field(default_factory=dict)
    input_item: dict[Key, Decimal] = field(default_factory=dict)
    output_category: dict[Key, Decimal] = field(default_factory=dict)
    incomplete: list[tuple[datetime, int, int]] = field(default_factory=list)  # (slot, present, expected)


def sources_sql(spec: EntityKind, every: bool = False) -> str:
    """One query (each %s is the entity's id) for its sources: (role, kind, id, category, item). `every`: the
    sources of every entity of the kind, each row led by its entity's id (no parameters)."""
    parts = []

    def part(select: str, body: str, entity: str, condition: str) -> str:
        if every:
            return f'SELECT {entity}, {select} {body} WHERE {entity} IS NOT NULL AND {condition}'
        return f'SELECT {select} {body} WHERE {entity} = %s AND {condition}'

    for meter_kind in METER_KINDS:
        role = "IF(l.is_output, 'out', 'in')" if spec.directed else "'in'"
        parts.append(
            part(
                f"{role}, '{meter_kind}', m.id, m.energy_category_id, m.energy_item_id",
                f'FROM {spec.link_table(meter_kind)} l JOIN tbl_{meter_kind}s m ON m.id = l.{meter_kind}_id',
                f'l.{spec.kind}_id',
                'm.is_counted = 1',
            )
        )
    for role, members, flag in (('in', spec.inputs, 'is_input_counted'), ('out', spec.outputs, 'is_output_counted')):
        for member in members:
            if member.table is None:  # child spaces
                parts.append(
                    part(f"'{role}', 'space', id, NULL, NULL", 'FROM tbl_spaces', 'parent_space_id', f'{flag} = 1')
                )
            else:
                parts.append(
                    part(
                        f"'{role}', '{member.kind}', c.id, NULL, NULL",
                        f'FROM {member.table} l JOIN {KINDS[member.kind].table} c ON c.id = l.{member.kind}_id',
                        f'l.{spec.kind}_id',
                        f'c.{flag} = 1',
                    )
                )
    return ' UNION ALL '.join(parts)


def levels(rows: Sequence[tuple[int, int | None]]) -> list[list[int]]:
    """Space ids in groups, deepest first: every child is in an earlier group than its parent, and the
    spaces of one group can be done side by side (a cycle, which the API refuses, is broken anywhere)."""
    ids = {space for space, _ in rows}
    parent_of = {space: parent for space, parent in rows if parent in ids}
    height: dict[int, int] = {}  # 0 for a leaf, else 1 + the highest child

    def climb(space: int) -> None:
        seen = set()
        while space in parent_of and space not in seen:  # each child lifts its ancestors
            seen.add(space)
            parent = parent_of[space]
            if height.get(parent, 0) > height.get(space, 0):
                return
            height[parent] = height.get(space, 0) + 1
            space = parent

    children = set(parent_of.values())
    for leaf in sorted(ids - children):
        height.setdefault(leaf, 0)
        climb(leaf)
    for space in ids:
        height.setdefault(space, 0)
    grouped: dict[int, list[int]] = defaultdict(list)
    for space in sorted(ids):
        grouped[height[space]].append(space)
    return [grouped[h] for h in sorted(grouped)]


def topological(rows: Sequence[tuple[int, int | None]]) -> list[int]:
    """Space ids with every child before its parent."""
    return [space for group in levels(rows) for space in group]


class EnergyRollup:
    database = 'energy'

    def __init__(self, kind: str, slot_minutes: int = 60, chunk: timedelta | None = None) -> None:
        self.spec = KINDS[kind]
        self.kind = kind
        self.name = self.spec.step
        self.ordered = bool(self.spec.inputs and any(m.kind == kind for m in self.spec.inputs))
        self.slot = timedelta(minutes=slot_minutes)
        self.chunk = chunk or timedelta(days=31)
        self.sql = sources_sql(self.spec)
        self.column = f'{kind}_id'
        # read once a pass (objects() starts a pass): what bounds() learnt, compute() reuses
        self._sources: dict[int, list[Source]] = {}
        self._reached: dict[int, dict[tuple[str, int], datetime]] = {}
        self._consumers: dict[int, list[tuple[str, int, str]]] = {}
        self.groups: list[list[int]] = []  # spaces by height in the tree, done level after level
        self._incomplete: set[int] = set()  # entities with incomplete slots (see heal)
        self.zones: dict[int, tzinfo] = {}
        self.default_zone: tzinfo = UTC
        self.bands: BandBook | None = None  # the time-of-use bands of the daily sums (per pass)

    # ------------------------------------------------------------------ what to do
    def objects(self, db: Database) -> Sequence[int]:
        self._sources, self._reached, self._consumers = {}, {}, {}
        if self.ordered:
            rows = db.fetch_all('system', 'SELECT id, parent_space_id FROM tbl_spaces')
            self.groups = levels([(int(a), None if b is None else int(b)) for a, b in rows])
            ids = [space for group in self.groups for space in group]
        else:
            ids = [int(r[0]) for r in db.fetch_all('system', f'SELECT id FROM {self.spec.table} ORDER BY id')]
        if not ids:  # nothing to configure for
            return ids
        self.zones, self.default_zone = load_zones(db, self.kind), zone(db.settings.default_timezone)
        self.bands = BandBook(db, self.kind, self.slot)
        rows = db.fetch_all('energy', f'SELECT DISTINCT object_id FROM {INCOMPLETE} WHERE step = %s', (self.name,))
        self._incomplete = {int(r[0]) for r in rows}
        found = defaultdict(list)  # every entity's sources in one query (an entity with none: no sources)
        for entity, *row in db.fetch_all('system', sources_sql(self.spec, every=True)):
            found[int(entity)].append(_source(row))
        self._sources = {entity: found[entity] for entity in ids}
        with db.read('system') as cur:
            self._consumers = every_consumers(cur, self.kind, ids)
        return ids

    def zone(self, object_id: int) -> tzinfo:
        """The zone of an entity's days (its daily sums)."""
        return self.zones.get(object_id, self.default_zone)

    def sources(self, db: Database, entity: int) -> list[Source]:
        if entity not in self._sources:
            rows = db.fetch_all('system', self.sql, (entity,) * self.sql.count('%s'))
            self._sources[entity] = [_source(row) for row in rows]
        return self._sources[entity]

    def reached(self, db: Database, sources: Sequence[Source]) -> dict[tuple[str, int], datetime]:
        """How far each source's slots are written (sources with none yet are left out)."""
        found: dict[tuple[str, int], datetime] = {}
        energy = db.settings.db('energy').database
        targets = [(step, s.id, energy) for s in sources if (step := energy_step(s.kind))]
        if targets:
            with db.read('energy') as cur:
                marks = watermarks(cur, targets)
            by_step = {step: kind for kind in (*METER_KINDS, *KINDS) if (step := energy_step(kind))}
            found.update({(by_step[step], i): until for (step, i, _), until in marks.items()})
        offline = sorted({s.id for s in sources if s.kind == 'offline_meter'})
        if offline:
            rows = db.fetch_all(
                'energy',
                'SELECT offline_meter_id, MAX(start_datetime_utc) FROM tbl_offline_meter_hourly'
                f' WHERE offline_meter_id IN ({", ".join(["%s"] * len(offline))}) GROUP BY offline_meter_id',
                offline,
            )
            found.update({('offline_meter', int(i)): last + self.slot for i, last in rows})
        return found

    def first_slot(self, db: Database, sources: Sequence[Source]) -> datetime | None:
        """The first slot of any source (one query over their tables)."""
        parts, params = [], []
        for kind, table, column in self._tables(sources):
            ids = sorted({s.id for s in sources if s.kind == kind})
            parts.append(f'SELECT MIN(start_datetime_utc) FROM {table} WHERE {in_list(column, ids)}')
            params += ids
        if not parts:
            return None
        rows = db.fetch_all('energy', ' UNION ALL '.join(parts), params)
        return min((row[0] for row in rows if row[0] is not None), default=None)

    def _tables(self, sources: Sequence[Source]) -> list[tuple[str, str, str]]:
        """(kind, energy table, id column) of every table the sources' slots are in."""
        tables = []
        for kind in dict.fromkeys(s.kind for s in sources):
            if kind in METER_KINDS:
                tables.append((kind, f'tbl_{kind}_hourly', f'{kind}_id'))
            else:
                tables += [
                    (kind, f'tbl_{kind}_input_category_hourly', f'{kind}_id'),
                    *([(kind, f'tbl_{kind}_output_category_hourly', f'{kind}_id')] if KINDS[kind].has_output else []),
                ]
        return tables

    def bounds(
        self, db: Database, object_ids: Sequence[int], progress: Mapping[int, datetime]
    ) -> dict[int, tuple[datetime | None, datetime]]:
        found: dict[int, tuple[datetime | None, datetime]] = {}
        for entity in object_ids:
            sources = self.sources(db, entity)
            reached = self._reached[entity] = self.reached(db, sources)
            if not reached:
                continue
            start = None
            if entity not in progress:
                start = self.first_slot(db, sources)
                if start is None:
                    continue
            found[entity] = (start, max(reached.values()))
            if entity in self._incomplete:
                self.heal(db, entity, sources, reached)
        return found

    def heal(
        self, db: Database, entity: int, sources: Sequence[Source], reached: dict[tuple[str, int], datetime]
    ) -> None:
        """Ask for the incomplete slots that more sources have now to be recomputed.

        A source that advances over a range its consumer already passed marks the consumer dirty, but a
        daemon elsewhere can commit that advance just after the consumer read its watermark and just before
        the consumer wrote: the request is then never made. The incomplete slots are the consumer's own
        record of what it lacked, so checking them each pass closes that race."""
        rows = db.fetch_all(
            'energy',
            f'SELECT start_datetime_utc, sources_present FROM {INCOMPLETE} WHERE step = %s AND object_id = %s',
            (self.name, entity),
        )
        if not rows:
            return
        distinct = {(s.kind, s.id) for s in sources}
        first, last = min(r[0] for r in rows), max(r[0] for r in rows) + self.slot
        partial = self.incomplete_members(db, distinct, first, last)
        better = [
            moment
            for moment, present in rows
            if sum(1 for s in distinct if reached.get(s, moment) > moment and (s, moment) not in partial) > present
        ]
        if better:
            with db.transaction('energy') as cur:
                mark_dirty(cur, self.name, entity, min(better), max(better) + self.slot, 'sources caught up')

    def dependents(self, db: Database, object_id: int) -> list[tuple[str, int, str]]:
        """What reads an entity's slots (read once a pass, like its sources)."""
        found = self._consumers.get(object_id)
        if found is None:
            with db.read('system') as cur:
                found = self._consumers[object_id] = consumers(cur, self.kind, object_id)
        return found

    # ------------------------------------------------------------------ the work
    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> Result:
        """The sums of the sources' slots in [start, end): the members' dimensions found together, then every
        source table and the members' incomplete slots read in one round trip."""
        sources = self.sources(db, object_id)
        result = Result()
        meters = [(kind, [s for s in sources if s.kind == kind]) for kind in METER_KINDS]
        meters = [(kind, found) for kind, found in meters if found]
        members = []  # (table, id column, member ids, dimension column, into)
        for role in ('in', 'out'):
            for kind in dict.fromkeys(s.kind for s in sources if s.role == role and s.kind not in METER_KINDS):
                ids = [s.id for s in sources if s.kind == kind and s.role == role]
                families = (
                    (('input', 'category', result.input_category), ('input', 'item', result.input_item))
                    if role == 'in'
                    else (('output', 'category', result.output_category),)
                )
                for direction, dimension, into in families:
                    table = f'tbl_{kind}_{direction}_{dimension}_hourly'
                    members.append((table, f'{kind}_id', ids, f'energy_{dimension}_id', into))
        distinct = {(s.kind, s.id) for s in sources}  # an equipment may count for input and output
        statements = [self._meters_sql(kind, found, start, end) for kind, found in meters]
        with db.read('energy') as cur:
            lookups = [
                (table, f'{column} = %s', [i], dimension) for table, column, ids, dimension, _ in members for i in ids
            ]
            found = iter(dimensions_of_each(cur, lookups))
            summed = []
            for table, column, ids, dimension, into in members:
                named = sorted({d for _ in ids for d in next(found)})
                if named:
                    statements.append(
                        (
                            f'SELECT {dimension}, start_datetime_utc, SUM(actual_value) FROM {table}'
                            f' WHERE {in_list(column, ids)} AND {in_list(dimension, named)}'
                            ' AND start_datetime_utc >= %s AND start_datetime_utc < %s GROUP BY 1, 2',
                            (*ids, *named, start, end),
                        )
                    )
                    summed.append(into)
            partly = self.incomplete_sql(distinct, start, end)
            sets = fetch_sets(cur, statements + ([partly] if partly else []))
        for (_, found_sources), rows in zip(meters, sets, strict=False):
            self._add_meters(found_sources, rows, result)
        for into, rows in zip(summed, sets[len(meters) :], strict=False):
            for key, moment, value in rows:
                _add(into, (int(key), moment), value)
        partial = _partial_slots(sets[-1]) if partly else set()
        reached = self._reached.get(object_id) or self.reached(db, sources)
        reaches = sorted(reached[s] for s in distinct if s in reached)
        lacking: dict[datetime, int] = {}  # per slot: the sources that reached it but have it only in part
        for source, moment in partial:
            if reached.get(source, moment) > moment:
                lacking[moment] = lacking.get(moment, 0) + 1
        moment = start
        while moment < end:
            present = len(reaches) - bisect_right(reaches, moment) - lacking.get(moment, 0)
            if present < len(distinct):
                result.incomplete.append((moment, present, len(distinct)))
            moment += self.slot
        return result

    @staticmethod
    def incomplete_sql(
        sources: set[tuple[str, int]], start: datetime, end: datetime
    ) -> tuple[str, tuple[Any, ...]] | None:
        """The query for the slots in [start, end) that member entities have only in part (incomplete for
        their parent too): (step, object id, slot) rows; None without member entities."""
        members = sorted((KINDS[kind].step, i) for kind, i in sources if kind in KINDS)
        if not members:
            return None
        return (
            f'SELECT step, object_id, start_datetime_utc FROM {INCOMPLETE} WHERE start_datetime_utc >= %s'
            ' AND start_datetime_utc < %s AND (' + ' OR '.join(['(step = %s AND object_id = %s)'] * len(members)) + ')',
            (start, end, *(v for member in members for v in member)),
        )

    @staticmethod
    def incomplete_members(
        db: Database, sources: set[tuple[str, int]], start: datetime, end: datetime
    ) -> set[tuple[tuple[str, int], datetime]]:
        """The slots in [start, end) that member entities have only in part: incomplete for their parent too."""
        query = EnergyRollup.incomplete_sql(sources, start, end)
        if query is None:
            return set()
        return _partial_slots(db.fetch_all('energy', *query))

    @staticmethod
    def _meters_sql(
        kind: str, sources: Sequence[Source], start: datetime, end: datetime
    ) -> tuple[str, tuple[Any, ...]]:
        ids = sorted({s.id for s in sources})
        return (
            f'SELECT {kind}_id, start_datetime_utc, actual_value FROM tbl_{kind}_hourly'
            f' WHERE {in_list(f"{kind}_id", ids)} AND start_datetime_utc >= %s AND start_datetime_utc < %s',
            (*ids, start, end),
        )

    @staticmethod
    def _add_meters(sources: Sequence[Source], rows: Sequence[tuple[Any, ...]], result: Result) -> None:
        """Add meter-likes' slot rows (meter id, start, value) to the families their sources count in."""
        by_id: dict[int, list[tuple[str, int, int | None]]] = defaultdict(list)
        for s in sources:
            if s.category is not None:
                by_id[s.id].append((s.role, s.category, s.item))
        for meter, moment, value in rows:
            for role, category, item in by_id[int(meter)]:
                if role == 'out':
                    _add(result.output_category, (category, moment), value)
                    continue
                _add(result.input_category, (category, moment), value)
                if item is not None:
                    _add(result.input_item, (item, moment), value)

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: Result) -> datetime | None:
        fixed = ((self.column, object_id),)
        for family, rows in (
            (('input', 'category'), result.input_category),
            (('input', 'item'), result.input_item),
            (('output', 'category'), result.output_category),
        ):
            if family[0] == 'output' and not self.spec.has_output:
                continue  # shopfloors, stores and tenants have no output tables
            key = SeriesKey('energy', self.kind, *family)
            written = [(dimension, moment, value) for (dimension, moment), value in sorted(rows.items())]
            columns = (key.dimension_column or '', 'start_datetime_utc')
            touched = replace_rows(cur, key.table, fixed, columns, ('actual_value',), start, end, written)
            bands = self.bands.bands(key, object_id) if self.bands else None
            refresh_daily(cur, key, object_id, start, end, self.zone(object_id), touched, bands, written)
        replace_rows(
            cur,
            INCOMPLETE,
            (('step', self.name), ('object_id', object_id)),
            ('start_datetime_utc',),
            ('sources_present', 'sources_expected'),
            start,
            end,
            result.incomplete,
        )
        return None


STEP_KINDS = {spec.step: kind for kind, spec in KINDS.items()}


def _partial_slots(rows: Sequence[Sequence[Any]]) -> set[tuple[tuple[str, int], datetime]]:
    """((kind, id), slot) of `incomplete_sql`'s (step, object id, slot) rows."""
    return {((STEP_KINDS[step], int(i)), moment) for step, i, moment in rows}


def _source(row: Sequence[Any]) -> Source:
    role, kind, i, category, item = row
    return Source(
        str(role), str(kind), int(i), None if category is None else int(category), None if item is None else int(item)
    )


def _add(into: dict[Key, Decimal], key: Key, value: Decimal) -> None:
    into[key] = into.get(key, Decimal(0)) + value
