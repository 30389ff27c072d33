"""Virtual points: readings computed from other points' readings on a common time grid.

Each energy or analog point with is_virtual = 1 whose address is {"expression", "substitutions"} is
evaluated by `myems_common.virtualpoints` (resampled inputs, never exact-timestamp matching). The grid
step is the inputs' usual reading interval rounded up to whole minutes (60 s at least). Results are
stored like acquired readings (`myems_common.readings.write_batch`), so cleaning and normalization take
them from there. A point whose address cannot be used is logged once per pass and skipped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myems_common.db import Database
from myems_common.readings import TABLES, Reading, write_batch
from myems_common.virtualpoints import AddressError, Grid, VirtualPoint, evaluate, parse_address, typical_interval

log = logging.getLogger(__name__)
SIX = Decimal('0.000001')
TICK = timedelta(microseconds=1)
SECOND = timedelta(seconds=1)  # watermarks are stored in whole seconds


class VirtualPointValues:
    name = 'virtual_point'
    database = 'historical'
    chunk = timedelta(days=1)

    def __init__(self, max_gap: timedelta = timedelta(minutes=15)) -> None:
        self.max_gap = max_gap

    def definitions(
        self, db: Database, point: int | None = None, quiet: bool = False
    ) -> dict[int, tuple[str, VirtualPoint | None, bool]]:
        """Per virtual point (every one, or one): object type, parsed address (None if unusable), is_trend.
        An unusable address is logged unless `quiet` (objects() logs it once a pass)."""
        sql = (
            'SELECT id, name, object_type, address, is_trend FROM tbl_points WHERE is_virtual = 1'
            " AND object_type IN ('ENERGY_VALUE', 'ANALOG_VALUE')"
        )
        rows = db.fetch_all(
            'system',
            sql + (' AND id = %s' if point is not None else '') + ' ORDER BY id',
            () if point is None else (point,),
        )
        found: dict[int, tuple[str, VirtualPoint | None, bool]] = {}
        for id_, name, kind, address, is_trend in rows:
            try:
                parsed: VirtualPoint | None = parse_address(int(id_), str(name), address)
            except AddressError as error:
                if not quiet:
                    log.error('%s', error)
                parsed = None
            found[int(id_)] = (str(kind), parsed, bool(is_trend))
        return found

    def objects(self, db: Database) -> Sequence[int]:
        return [p for p, (_, parsed, _) in self.definitions(db).items() if parsed is not None]

    def input_kinds(self, db: Database, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        marks = ', '.join(['%s'] * len(ids))
        rows = db.fetch_all('system', f'SELECT id, object_type FROM tbl_points WHERE id IN ({marks})', list(ids))
        return {int(i): str(k) for i, k in rows if k in TABLES}

    def bounds(
        self, db: Database, object_ids: Sequence[int], progress: Mapping[int, datetime]
    ) -> dict[int, tuple[datetime | None, datetime]]:
        definitions = self.definitions(db, quiet=True)
        found: dict[int, tuple[datetime | None, datetime]] = {}
        for point in object_ids:
            parsed = definitions[point][1]
            if parsed is None or not parsed.substitutions:
                continue
            kinds = self.input_kinds(db, sorted(set(parsed.substitutions.values())))
            if len(kinds) < len(set(parsed.substitutions.values())):
                continue  # an input that is not an energy, analog or digital point
            firsts, lasts = [], []
            for input_id, kind in kinds.items():
                span = db.fetch_one(
                    'historical',
                    f'SELECT MIN(utc_date_time), MAX(utc_date_time) FROM {TABLES[kind]} WHERE point_id = %s',
                    (input_id,),
                )
                if span is None or span[0] is None:
                    break
                firsts.append(span[0])
                lasts.append(span[1])
            else:
                found[point] = (None if point in progress else max(firsts), min(lasts) + SECOND)
        return found

    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> list[Reading]:
        kind, parsed, is_trend = self.definitions(db, object_id, quiet=True).get(object_id, ('', None, False))
        if parsed is None:
            return []
        inputs: dict[int, list[tuple[datetime, Decimal]]] = {}
        for input_id, input_kind in self.input_kinds(db, sorted(set(parsed.substitutions.values()))).items():
            rows = db.fetch_all(
                'historical',
                f'SELECT utc_date_time, actual_value FROM {TABLES[input_kind]} WHERE point_id = %s'
                ' AND utc_date_time >= %s AND utc_date_time <= %s ORDER BY utc_date_time',
                (input_id, start - self.max_gap, end + self.max_gap),
            )
            inputs[input_id] = [(t, Decimal(v)) for t, v in rows]
        usual = min((typical_interval(r) or timedelta(0) for r in inputs.values()), default=timedelta(0))
        step = timedelta(minutes=max(1, math.ceil(usual.total_seconds() / 60)))
        result = evaluate(parsed, inputs, start - TICK, end, Grid(step=step, max_gap=self.max_gap))
        for moment, reason in result.errors[:3]:
            log.warning('virtual point %r (%s) at %s: %s', parsed.name, object_id, moment, reason)
        return [Reading(object_id, kind, t, v.quantize(SIX), is_trend) for t, v in result.values]

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: list[Reading]) -> datetime | None:
        if result:
            write_batch(cur, result)
        return None
