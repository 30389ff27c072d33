"""Data access for registry entities: rows in, rows out, parameterised SQL built from declarations.

Table and column names come from the registry (code, not users) and are still quoted through
`quote_identifier`. References are expanded to {"id", "name", "uuid"} objects with one query per
referenced entity type, never one per row.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable, Sequence
from typing import Any

from myems_common.db import quote_identifier as q
from myems_common.registry import ENTRIES, REGISTRY, Child, Entity, Relation
from myems_common.timeutil import utc_now

Row = dict[str, Any]


def _columns(entity: Entity) -> list[str]:
    return ['id', *(f.name for f in entity.fields)]


def select_rows(
    cur: Any, entity: Entity, ids: Iterable[int] | None = None, where: str = '', params: Sequence[Any] = ()
) -> list[Row]:
    names = _columns(entity)
    sql = f'SELECT {", ".join(q(c) for c in names)} FROM {q(entity.table)}'
    conditions, args = [], list(params)
    if where:
        conditions.append(where)
    if ids is not None:
        id_list = sorted(set(ids))
        if not id_list:
            return []
        conditions.append(f'`id` IN ({", ".join(["%s"] * len(id_list))})')
        args.extend(id_list)
    if conditions:
        sql += ' WHERE ' + ' AND '.join(conditions)
    cur.execute(sql + ' ORDER BY `id`', args)
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def select_one(cur: Any, entity: Entity, id_: int, lock: bool = False) -> Row | None:
    names = _columns(entity)
    sql = f'SELECT {", ".join(q(c) for c in names)} FROM {q(entity.table)} WHERE `id` = %s'
    cur.execute(sql + (' FOR UPDATE' if lock else ''), (id_,))
    row = cur.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def exists(cur: Any, entity: Entity, id_: int) -> bool:
    cur.execute(f'SELECT 1 FROM {q(entity.table)} WHERE `id` = %s', (id_,))
    return cur.fetchone() is not None


def taken(cur: Any, table: str, column: str, value: Any, except_id: int | None = None) -> bool:
    """True if another row of `table` already holds `value` in the unique `column` (names come from code)."""
    if value is None:
        return False
    sql = f'SELECT `id` FROM {q(table)} WHERE {q(column)} = %s'
    args: list[Any] = [value]
    if except_id is not None:
        sql += ' AND `id` <> %s'
        args.append(except_id)
    cur.execute(sql + ' LIMIT 1', args)
    return cur.fetchone() is not None


def value_taken(cur: Any, entity: Entity, column: str, value: Any, except_id: int | None = None) -> bool:
    return taken(cur, entity.table, column, value, except_id)


def name_taken(cur: Any, entity: Entity, name: str, except_id: int | None = None) -> bool:
    return value_taken(cur, entity, 'name', name, except_id)


def insert(cur: Any, entity: Entity, values: Row) -> int:
    values = dict(values)
    for f in entity.fields:  # server-made values: uuids (a row's uuid, a gateway's token), creation times
        if f.type == 'uuid' and f.read_only and not values.get(f.name):
            values[f.name] = str(uuidlib.uuid4())
        elif f.default == 'now' and values.get(f.name) is None:
            values[f.name] = utc_now()
    names = list(values)
    cur.execute(
        f'INSERT INTO {q(entity.table)} ({", ".join(q(n) for n in names)}) VALUES ({", ".join(["%s"] * len(names))})',
        [values[n] for n in names],
    )
    return int(cur.lastrowid)


def update(cur: Any, entity: Entity, id_: int, values: Row) -> None:
    if not values:
        return
    assignments = ', '.join(f'{q(n)} = %s' for n in values)
    cur.execute(f'UPDATE {q(entity.table)} SET {assignments} WHERE `id` = %s', [*values.values(), id_])


def delete(cur: Any, entity: Entity, id_: int) -> None:
    for child in entity.children:  # owned rows and the entity's own links go with it
        cur.execute(f'DELETE FROM {q(child.table)} WHERE {q(child.owner_column)} = %s', (id_,))
    for relation in entity.relations:
        cur.execute(f'DELETE FROM {q(relation.table)} WHERE {q(relation.owner_column)} = %s', (id_,))
    cur.execute(f'DELETE FROM {q(entity.table)} WHERE `id` = %s', (id_,))


def referencing(cur: Any, entity: Entity, id_: int) -> list[str]:
    """What still refers to this row: other entities' reference fields and links owned by others."""
    found = []
    for other in ENTRIES:
        if other.database != entity.database:
            continue
        for f in other.fields:
            if f.ref == entity.name:
                cur.execute(f'SELECT COUNT(*) FROM {q(other.table)} WHERE {q(f.name)} = %s', (id_,))
                if cur.fetchone()[0]:
                    found.append(f'{other.plural}.{f.name}')
        for relation in other.relations:
            if relation.target == entity.name and other is not entity:
                cur.execute(f'SELECT COUNT(*) FROM {q(relation.table)} WHERE {q(relation.target_column)} = %s', (id_,))
                if cur.fetchone()[0]:
                    found.append(f'{other.plural}/{relation.name}')
    if entity.name in VARIABLE_TARGETS:  # a virtual meter's equation reads it
        cur.execute('SELECT COUNT(*) FROM tbl_variables WHERE meter_type = %s AND meter_id = %s', (entity.name, id_))
        if cur.fetchone()[0]:
            found.append('virtualmeters.variables')
    return found


VARIABLE_TARGETS = frozenset({'meter', 'virtual_meter', 'offline_meter'})


def expand_refs(cur: Any, entity: Entity, rows: list[Row]) -> list[Row]:
    """Replace each `x_id` reference by `x: {"id", "name", "uuid"}` (or None), MyEMS's shape."""
    lookups: dict[str, dict[int, Row]] = {}
    for f in entity.fields:
        if f.type != 'ref' or f.ref is None:
            continue
        target = REGISTRY[f.ref]
        ids = {row[f.name] for row in rows if row.get(f.name) is not None}
        if f.ref not in lookups:
            lookups[f.ref] = {}
        missing = ids - set(lookups[f.ref])
        if missing:
            brief = ['id', 'name', *(['uuid'] if any(x.name == 'uuid' for x in target.fields) else [])]
            cur.execute(
                f'SELECT {", ".join(q(c) for c in brief)} FROM {q(target.table)}'
                f' WHERE `id` IN ({", ".join(["%s"] * len(missing))})',
                sorted(missing),
            )
            for values in cur.fetchall():
                lookups[f.ref][values[0]] = dict(zip(brief, values, strict=True))
    out = []
    for row in rows:
        shaped = dict(row)
        for f in entity.fields:
            if f.type == 'bool' and row.get(f.name) is not None:
                shaped[f.name] = bool(row[f.name])
            if f.type == 'ref' and f.ref is not None:
                key = f.name.removesuffix('_id')
                shaped[key] = lookups[f.ref].get(row[f.name]) if row.get(f.name) is not None else None
        out.append(shaped)
    return out


# --------------------------------------------------------------------------------------------- links
def linked_ids(cur: Any, relation: Relation, owner_id: int) -> list[int]:
    cur.execute(
        f'SELECT {q(relation.target_column)} FROM {q(relation.table)} WHERE {q(relation.owner_column)} = %s',
        (owner_id,),
    )
    return [row[0] for row in cur.fetchall()]


def link_rows(cur: Any, relation: Relation, owner_id: int) -> list[Row]:
    extra = [f.name for f in relation.extra]
    columns = [relation.target_column, *extra]
    cur.execute(
        f'SELECT {", ".join(q(c) for c in columns)} FROM {q(relation.table)} WHERE {q(relation.owner_column)} = %s',
        (owner_id,),
    )
    flags = [f.name for f in relation.extra if f.type == 'bool']
    rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    for row in rows:
        row.update({name: bool(row[name]) for name in flags if row[name] is not None})
    return rows


def link_exists(cur: Any, relation: Relation, owner_id: int, target_id: int) -> bool:
    cur.execute(
        f'SELECT 1 FROM {q(relation.table)} WHERE {q(relation.owner_column)} = %s AND {q(relation.target_column)} = %s',
        (owner_id, target_id),
    )
    return cur.fetchone() is not None


def add_link(cur: Any, relation: Relation, owner_id: int, target_id: int, extra: Row) -> None:
    columns = [relation.owner_column, relation.target_column, *extra]
    cur.execute(
        f'INSERT INTO {q(relation.table)} ({", ".join(q(c) for c in columns)})'
        f' VALUES ({", ".join(["%s"] * len(columns))})',
        [owner_id, target_id, *extra.values()],
    )


def remove_link(cur: Any, relation: Relation, owner_id: int, target_id: int) -> int:
    cur.execute(
        f'DELETE FROM {q(relation.table)} WHERE {q(relation.owner_column)} = %s AND {q(relation.target_column)} = %s',
        (owner_id, target_id),
    )
    return int(cur.rowcount)


# --------------------------------------------------------------------------------------------- children
def load_children(cur: Any, entity: Entity, rows: list[Row]) -> None:
    """Attach each owned child list (a tariff's time-of-use rows) to its rows, one query per child table."""
    ids = [row['id'] for row in rows]
    for child in entity.children:
        for row in rows:
            row[child.key] = []
        if not ids:
            continue
        names = [f.name for f in child.fields]
        cur.execute(
            f'SELECT {q(child.owner_column)}, {", ".join(q(n) for n in names)} FROM {q(child.table)}'
            f' WHERE {q(child.owner_column)} IN ({", ".join(["%s"] * len(ids))}) ORDER BY `id`',
            ids,
        )
        by_owner = {row['id']: row for row in rows}
        for values in cur.fetchall():
            by_owner[values[0]][child.key].append(dict(zip(names, values[1:], strict=True)))


def replace_children(cur: Any, child: Child, owner_id: int, rows: list[Row]) -> None:
    cur.execute(f'DELETE FROM {q(child.table)} WHERE {q(child.owner_column)} = %s', (owner_id,))
    if rows:  # every row gets every column (an optional value left out is NULL), so rows of any shape mix
        columns = [f.name for f in child.fields]
        names = [child.owner_column, *columns]
        placeholders = ', '.join(['%s'] * len(names))
        cur.executemany(
            f'INSERT INTO {q(child.table)} ({", ".join(q(n) for n in names)}) VALUES ({placeholders})',
            [[owner_id, *(row.get(c) for c in columns)] for row in rows],
        )
