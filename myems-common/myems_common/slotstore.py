"""Writing a range of slot rows so that a recomputation leaves exactly the new result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from myems_common.counters import Slot


def replace_slots(
    cur: Any, table: str, entity_column: str, entity_id: int, start: datetime, end: datetime, slots: Sequence[Slot]
) -> None:
    """Make `table`'s rows of one entity in [start, end) equal `slots`: rows the result no longer has are
    deleted, the others upserted (ids of unchanged slots stay). `table` carries is_estimated."""
    keep = [s.start for s in slots]
    sql = f'DELETE FROM {table} WHERE {entity_column} = %s AND start_datetime_utc >= %s AND start_datetime_utc < %s'
    if keep:
        sql += f' AND start_datetime_utc NOT IN ({", ".join(["%s"] * len(keep))})'
    cur.execute(sql, (entity_id, start, end, *keep))
    for first in range(0, len(slots), 1000):
        rows = slots[first : first + 1000]
        cur.execute(
            f'INSERT INTO {table} ({entity_column}, start_datetime_utc, actual_value, is_estimated) VALUES '
            + ', '.join(['(%s, %s, %s, %s)'] * len(rows))
            + ' ON DUPLICATE KEY UPDATE actual_value = VALUES(actual_value), is_estimated = VALUES(is_estimated)',
            [v for s in rows for v in (entity_id, s.start, s.value, s.estimated)],
        )
