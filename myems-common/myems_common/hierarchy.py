"""What counts in what: the sources of each aggregate entity, and the consumers of each source.

The roll-up follows MyEMS's sources; a meter-like source counts only with ``is_counted = 1``:

* equipment: input from its meters, virtual and offline meters linked with is_output = 0, output from
  those linked with is_output = 1;
* combined equipment: the same from its own links, and as input its member equipments with
  is_input_counted;
* shopfloor: input from its meter-likes and its equipments with is_input_counted;
* tenant, store: input from their meter-likes;
* space: input from its meter-likes and the combined equipments, equipments, shopfloors, stores, tenants
  and child spaces with is_input_counted; output from the combined equipments, equipments and child
  spaces with is_output_counted.

`KINDS` says this as data; the aggregation step, the consumers lookup used by normalization to mark
dirty ranges, and the API's retroactive recomputation all read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from myems_common.series import FAMILIES, Family

METER_KINDS = ('meter', 'virtual_meter', 'offline_meter')
STEP_DATABASES = (('billing', 'billing'), ('carbon', 'carbon'))  # (step suffix, settings key) after energy
OUTPUT_STEP_DATABASES = (('billing', 'billing'),)  # the same for the outputs of a kind that has them (income)


@dataclass(frozen=True)
class Member:
    """An aggregate entity counted in another: `kind`'s rows join its parent through `table`
    (columns <parent>_id, <kind>_id); `table` None means child spaces (tbl_spaces.parent_space_id)."""

    kind: str
    table: str | None


@dataclass(frozen=True)
class EntityKind:
    kind: str
    table: str  # tbl_spaces
    links: str  # prefix of its meter link tables: tbl_spaces_ + meters / virtual_meters / offline_meters
    directed: bool  # its meter links carry is_output (equipments, combined equipments)
    inputs: tuple[Member, ...] = ()
    outputs: tuple[Member, ...] = ()

    @property
    def step(self) -> str:
        return f'{self.kind}_energy'

    @property
    def has_output(self) -> bool:
        """Spaces, equipments and combined equipments have output tables; the others input only."""
        return Family(self.kind, 'output', 'category') in FAMILIES

    def link_table(self, meter_kind: str) -> str:
        return f'{self.links}{meter_kind}s'


_SPACE_INPUTS = (
    Member('combined_equipment', 'tbl_spaces_combined_equipments'),
    Member('equipment', 'tbl_spaces_equipments'),
    Member('shopfloor', 'tbl_spaces_shopfloors'),
    Member('store', 'tbl_spaces_stores'),
    Member('tenant', 'tbl_spaces_tenants'),
    Member('space', None),
)
_SPACE_OUTPUTS = (
    Member('combined_equipment', 'tbl_spaces_combined_equipments'),
    Member('equipment', 'tbl_spaces_equipments'),
    Member('space', None),
)
# in an order where members come before the entities that count them
KINDS: dict[str, EntityKind] = {
    k.kind: k
    for k in (
        EntityKind('equipment', 'tbl_equipments', 'tbl_equipments_', True),
        EntityKind(
            'combined_equipment',
            'tbl_combined_equipments',
            'tbl_combined_equipments_',
            True,
            inputs=(Member('equipment', 'tbl_combined_equipments_equipments'),),
        ),
        EntityKind(
            'shopfloor',
            'tbl_shopfloors',
            'tbl_shopfloors_',
            False,
            inputs=(Member('equipment', 'tbl_shopfloors_equipments'),),
        ),
        EntityKind('store', 'tbl_stores', 'tbl_stores_', False),
        EntityKind('tenant', 'tbl_tenants', 'tbl_tenants_', False),
        EntityKind('space', 'tbl_spaces', 'tbl_spaces_', False, inputs=_SPACE_INPUTS, outputs=_SPACE_OUTPUTS),
    )
}
METER_STEPS = {'meter': 'meter_energy', 'virtual_meter': 'virtual_meter_energy', 'offline_meter': None}


def energy_step(kind: str) -> str | None:
    """The step whose watermark says how far `kind`'s energy slots are written (None: offline meters,
    whose slots come from uploaded files)."""
    return METER_STEPS[kind] if kind in METER_STEPS else KINDS[kind].step


def _member_sql(parent: EntityKind, member: Member, every: bool) -> str:
    if member.table is None:
        if every:
            return f"SELECT id, '{parent.step}', parent_space_id FROM tbl_spaces WHERE parent_space_id IS NOT NULL"
        return f"SELECT '{parent.step}', parent_space_id FROM tbl_spaces WHERE id = %s AND parent_space_id IS NOT NULL"
    if every:
        return f"SELECT {member.kind}_id, '{parent.step}', {parent.kind}_id FROM {member.table}"
    return f"SELECT '{parent.step}', {parent.kind}_id FROM {member.table} WHERE {member.kind}_id = %s"


def consumers_sql(kind: str, every: bool = False) -> str:
    """One query (each %s is the source's id) for the energy steps that read `kind`'s slots. `every`: those of
    every object of the kind, each row led by the source's id (no parameters)."""
    parts = []
    if kind in METER_KINDS:
        source = f'{kind}_id, ' if every else ''
        where = '' if every else f' WHERE {kind}_id = %s'
        parts += [f"SELECT {source}'{e.step}', {e.kind}_id FROM {e.link_table(kind)}{where}" for e in KINDS.values()]
        parts.append(
            f"SELECT {'meter_id, ' if every else ''}'virtual_meter_energy', virtual_meter_id FROM tbl_variables"
            f" WHERE meter_type = '{kind}'{'' if every else ' AND meter_id = %s'}"
        )
    else:
        parts += [
            _member_sql(parent, member, every)
            for parent in KINDS.values()
            for member in dict.fromkeys((*parent.inputs, *parent.outputs))
            if member.kind == kind
        ]
    return ' UNION '.join(parts)


def own_steps(kind: str) -> list[tuple[str, str]]:
    """(step, settings database key) of the steps computed from an object's own energy slots: the billing and
    carbon of its consumption (`{kind}_billing`), and for a kind with outputs the billing of its outputs, its
    income (`{kind}_output_billing`)."""
    found = [(f'{kind}_{suffix}', key) for suffix, key in STEP_DATABASES]
    if kind in KINDS and KINDS[kind].has_output:
        found += [(f'{kind}_output_{suffix}', key) for suffix, key in OUTPUT_STEP_DATABASES]
    return found


def consumers(cur: Any, kind: str, object_id: int) -> list[tuple[str, int, str]]:
    """(step, object id, settings database key) of everything computed from one source's energy slots:
    the entities and virtual meters reading it, and its own billing and carbon (`own_steps`)."""
    sql = consumers_sql(kind)
    found: list[tuple[str, int, str]] = []
    if sql:
        cur.execute(sql, (object_id,) * sql.count('%s'))
        found = sorted({(str(step), int(target), 'energy') for step, target in cur.fetchall()})
    return found + [(step, object_id, key) for step, key in own_steps(kind)]


def every_consumers(cur: Any, kind: str, object_ids: Sequence[int]) -> dict[int, list[tuple[str, int, str]]]:
    """`consumers` of each of `object_ids`, in one query."""
    found: dict[int, set[tuple[str, int, str]]] = {int(i): set() for i in object_ids}
    sql = consumers_sql(kind, every=True)
    if sql:
        cur.execute(sql)
        for source, step, target in cur.fetchall():
            if int(source) in found:
                found[int(source)].add((str(step), int(target), 'energy'))
    return {i: sorted(steps) + [(step, i, key) for step, key in own_steps(kind)] for i, steps in found.items()}
