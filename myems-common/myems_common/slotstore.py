"""Writing a range of rows so that a recomputation leaves exactly the new result."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from typing import Any

from myems_common.counters import Slot

BATCH = 1000
# Set by the pipeline runner while a step writes a range past its watermark (a fresh range): no row of it
# can exist yet, so replace_rows skips looking for rows to delete and only inserts.
FRESH: ContextVar[bool] = ContextVar('fresh_range', default=False)


def dimensions_of(cur: Any, table: str, where: str, params: Sequence[Any], column: str) -> list[Any]:
    """The distinct values of `column` (the key part between the entity and the time) among the rows matching
    `where`, an equality on the key's leading columns (SQL from code). Slot tables are keyed (entity,
    dimension, time) and MariaDB has no skip scan: a time range is an index range only once the dimensions
    are named, otherwise every row of the entity's history is read and filtered. Found by one index seek per
    value (a DISTINCT would read the whole history too)."""
    return dimensions_of_each(cur, [(table, where, params, column)])[0]


Lookup = tuple[str, str, Sequence[Any], str]  # (table, where, params, column), as for dimensions_of


def dimensions_of_each(cur: Any, lookups: Sequence[Lookup]) -> list[list[Any]]:
    """`dimensions_of` of several lookups (tables, entities) at once: each round trip seeks the next value of
    every lookup that has found one so far, so one dimension each costs two round trips however many there are."""
    found: list[list[Any]] = [[] for _ in lookups]
    active = list(range(len(lookups)))
    while active:
        parts, values = [], []
        for index in active:
            table, where, params, column = lookups[index]
            after = f' AND {column} > %s' if found[index] else ''
            parts.append(f'(SELECT {index}, {column} FROM {table} WHERE {where}{after} ORDER BY {column} LIMIT 1)')
            values += [*params, *found[index][-1:]]
        cur.execute(' UNION ALL '.join(parts), values)
        grown = []
        for index, value in cur.fetchall():
            found[int(index)].append(int(value) if isinstance(value, bytes) else value)  # a raw cursor's id
            grown.append(int(index))
        active = sorted(grown)
    return found


def in_list(column: str, values: Sequence[Any]) -> str:
    """`column IN (%s, ...)`, or a condition no row meets for no values."""
    return f'{column} IN ({", ".join(["%s"] * len(values))})' if values else '1 = 0'


def replace_rows(
    cur: Any,
    table: str,
    fixed: Sequence[tuple[str, Any]],
    keys: Sequence[str],
    values: Sequence[str],
    start: datetime,
    end: datetime,
    rows: Sequence[Sequence[Any]],
    only: Collection[Any] | None = None,
) -> set[Any]:
    """Make `table`'s rows matching `fixed` (column, value) pairs with a time in [start, end) equal `rows`
    (each the `keys` then the `values`; the last key is the time column). Rows the result no longer has
    are deleted, the others upserted, so unchanged rows keep their ids. With two keys or more the first is
    a dimension: returns the dimensions of the rows written or deleted, and `only` limits the rewrite to
    those dimensions (the rows of others are left as they are).

    The rows to delete are found with a plain read and deleted by key: a ranged DELETE would lock the
    range's gaps, and two writers appending to the same table would deadlock on them."""
    where = ' AND '.join(f'{column} = %s' for column, _ in fixed)
    params = [value for _, value in fixed]
    touched = {row[0] for row in rows} if len(keys) >= 2 else set()
    if not FRESH.get():
        touched.update(key[0] for key in _delete_stale(cur, table, where, params, keys, start, end, rows, only))
    columns = [column for column, _ in fixed] + list(keys) + list(values)
    update = ', '.join(f'{column} = VALUES({column})' for column in values)
    for first in range(0, len(rows), BATCH):
        batch = rows[first : first + BATCH]
        head = f'INSERT INTO {table} ({", ".join(columns)}) VALUES '
        tail = f' ON DUPLICATE KEY UPDATE {update}'
        try:
            cur.execute(head + as_text(params, batch) + tail)
        except NotLiteral:  # a value the fast path does not write itself: the driver's parameters
            marks = '(' + ', '.join(['%s'] * len(columns)) + ')'
            cur.execute(head + ', '.join([marks] * len(batch)) + tail, [v for row in batch for v in (*params, *row)])
    return touched if len(keys) >= 2 else set()


def as_text(fixed: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """The VALUES list of `rows`, each preceded by the `fixed` values, as SQL text. Converted a column at a
    time (the loops run in C): a column of one type gets that type's fast conversion, any other `literal`."""
    prefix = '(' + ''.join(literal(v) + ', ' for v in fixed)
    columns = [_column_text(column) for column in zip(*rows, strict=True)]
    return ', '.join([prefix + ', '.join(values) + ')' for values in zip(*columns, strict=True)])


def _column_text(column: Sequence[Any]) -> list[str]:
    kinds = set(map(type, column))
    if kinds == {Decimal}:
        texts = list(map(str, column))
        joined = ''.join(texts)
        if 'E' in joined or 'N' in joined or 'n' in joined:  # an exponent, NaN or Infinity: the careful way
            return [literal(v) for v in column]
        return texts
    if kinds == {int}:
        return list(map(str, column))
    if kinds == {datetime}:
        found = list(map(_TIMES.get, column))
        return [text if text is not None else literal(v) for text, v in zip(found, column, strict=True)]
    return [literal(v) for v in column]


def _delete_stale(
    cur: Any,
    table: str,
    where: str,
    params: Sequence[Any],
    keys: Sequence[str],
    start: datetime,
    end: datetime,
    rows: Sequence[Sequence[Any]],
    only: Collection[Any] | None = None,
) -> list[Any]:
    """Delete the rows of [start, end) matching `where` (of the dimensions `only`, if given) whose keys `rows`
    no longer has; returns their keys."""
    time = keys[-1]
    narrow, narrowing = '', []
    if len(keys) >= 2 and only is not None:
        narrowing = sorted(only)
        narrow = ' AND ' + in_list(keys[0], narrowing)
    elif len(keys) >= 2:  # (dimension, ..., time): name the dimensions so the time range is an index range
        narrowing = sorted({row[0] for row in rows})
        others = f' AND {keys[0]} NOT IN ({", ".join(["%s"] * len(narrowing))})' if narrowing else ''
        cur.execute(f'SELECT 1 FROM {table} WHERE {where}{others} LIMIT 1', (*params, *narrowing))
        if cur.fetchall():  # rows of other dimensions exist (seldom): find them all
            narrowing = dimensions_of(cur, table, where, params, keys[0])
        narrow = ' AND ' + in_list(keys[0], narrowing)
    cur.execute(
        f'SELECT {", ".join(keys)} FROM {table} WHERE {where}{narrow} AND {time} >= %s AND {time} < %s',
        (*params, *narrowing, start, end),
    )
    width = len(keys)
    wanted = {tuple(row[:width]) for row in rows}
    stale = [key for key in cur.fetchall() if tuple(key) not in wanted]
    one = '(' + ', '.join(['%s'] * width) + ')'
    for first in range(0, len(stale), BATCH):
        part = stale[first : first + BATCH]
        cur.execute(
            f'DELETE FROM {table} WHERE {where} AND ({", ".join(keys)}) IN ({", ".join([one] * len(part))})',
            (*params, *(v for key in part for v in key)),
        )
    return stale


class NotLiteral(Exception):
    """A value `literal` will not write as SQL text itself."""


_PLAIN = re.compile(r'^[A-Za-z0-9_ .:-]*$')
_TIMES: dict[datetime, str] = {}


def _time(value: datetime) -> str:
    text = _TIMES.get(value)
    if text is None:
        if len(_TIMES) > 100_000:
            _TIMES.clear()
        text = _TIMES[value] = f"'{value.isoformat(' ')}'"
    return text


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise NotLiteral(value)
    return format(value, 'f')


def _word(value: str) -> str:
    if not _PLAIN.match(value):
        raise NotLiteral(value)
    return f"'{value}'"


_FORMATS: dict[type, Any] = {
    type(None): lambda _: 'NULL',
    bool: lambda v: '1' if v else '0',
    int: str,
    Decimal: _decimal,
    datetime: _time,
    str: _word,
}


def _refuse(value: Any) -> str:
    raise NotLiteral(value)


def literal(value: Any) -> str:
    """SQL text of a number, time, flag or plain word computed by a pipeline step (never user input;
    anything else raises NotLiteral). Writing the text directly instead of the driver's parameter
    substitution makes bulk slot writes about a third faster."""
    return str(_FORMATS.get(type(value), _refuse)(value))


def replace_slots(
    cur: Any, table: str, entity_column: str, entity_id: int, start: datetime, end: datetime, slots: Sequence[Slot]
) -> None:
    """Make `table`'s rows of one entity in [start, end) equal `slots` (`table` carries is_estimated)."""
    replace_rows(
        cur,
        table,
        ((entity_column, entity_id),),
        ('start_datetime_utc',),
        ('actual_value', 'is_estimated'),
        start,
        end,
        [(s.start, s.value, s.estimated) for s in slots],
    )
