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
    keep = {s.start for s in slots}
    # Find the rows to delete with a plain read and delete them by key: a ranged DELETE would lock the gaps
    # of the range, and two meters' writers inserting at the end of the table would deadlock on them.
    cur.execute(
        f'SELECT start_datetime_utc FROM {table} WHERE {entity_column} = %s AND start_datetime_utc >= %s'
        ' AND start_datetime_utc < %s',
        (entity_id, start, end),
    )
    stale = [row[0] for row in cur.fetchall() if row[0] not in keep]
    for first in range(0, len(stale), 1000):
        part = stale[first : first + 1000]
        marks = ', '.join(['%s'] * len(part))
        cur.execute(
            f'DELETE FROM {table} WHERE {entity_column} = %s AND start_datetime_utc IN ({marks})', (entity_id, *part)
        )
    for first in range(0, len(slots), 1000):
        rows = slots[first : first + 1000]
        cur.execute(
            f'INSERT INTO {table} ({entity_column}, start_datetime_utc, actual_value, is_estimated) VALUES '
            + ', '.join(['(%s, %s, %s, %s)'] * len(rows))
            + ' ON DUPLICATE KEY UPDATE actual_value = VALUES(actual_value), is_estimated = VALUES(is_estimated)',
            [v for s in rows for v in (entity_id, s.start, s.value, s.estimated)],
        )
