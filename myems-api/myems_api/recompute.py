"""Configuration changes that change derived data ask the pipeline to recompute it (retroactivity).

Called by `Services.write` with the change's before and after images, inside the change's transaction, so
the recompute requests (`tbl_pipeline_dirty_ranges` of the energy, billing and carbon databases) commit
or roll back with the change. What changes what:

* a meter-like, equipment, shopfloor, store, tenant or combined equipment linked to or unlinked from an
  entity: the entity's energy (and through it its ancestors', its billing and carbon);
* a meter-like's is_counted, energy category or item: the energy of the entities reading it, its own
  billing and carbon;
* an entity's is_input_counted, is_output_counted or parent space: the energy of the entities counting it
  (the old parent and the new);
* a cost centre on a meter-like or an entity: its billing (and a space's, equipment's or combined
  equipment's output billing, its income);
* a tariff (its rows, structure or validity), or a tariff linked to a cost centre: the billing (and output
  billing) of everything billed under it, over its validity;
* an emission factor, or an energy category's kgco2e: all carbon, over the factor's validity;
* a working calendar's days: all billing (holidays are priced differently).

An entity's billing comes with its energy and carbon (`banded`): their daily sums are split by the bands of
its cost centre's tariffs. A space's time zone recomputes its energy (and through it its billing and carbon),
whose daily sums are of its local days.

The runner clips each request to what the step has done (its watermark), so the ranges below can be
generous. "Ever" starts at the first energy slot stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from myems_common.config import Settings
from myems_common.hierarchy import KINDS, METER_KINDS, consumers, own_steps
from myems_common.registry import REGISTRY
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
END_OF_TIME = datetime(2100, 1, 1)
Request = tuple[str, int, str, datetime, datetime]  # step, object id, settings database key, start, end
BILLED = (*METER_KINDS, *KINDS)
METER_FIELDS = ('is_counted', 'energy_category_id', 'energy_item_id')
ENTITY_FIELDS = ('is_input_counted', 'is_output_counted', 'parent_space_id')


def changed(change: dict[str, Any], field: str) -> bool:
    before, after = change.get('before') or {}, change.get('after') or {}
    return field in after and field in before and after[field] != before[field]


def first_slot(cur: Any, settings: Settings) -> datetime:
    energy = settings.db('energy').database
    cur.execute(
        ' UNION ALL '.join(f'SELECT MIN(start_datetime_utc) FROM `{energy}`.tbl_{k}_hourly' for k in METER_KINDS)
    )
    return min((row[0] for row in cur.fetchall() if row[0] is not None), default=END_OF_TIME)


def every(
    cur: Any, suffix: str, key: str, start: datetime, end: datetime, cost_centers: Sequence[int] = ()
) -> list[Request]:
    """The `suffix` steps ('billing' or 'carbon') of every meter-like and entity (with one of `cost_centers`):
    their own steps writing database `key` (`hierarchy.own_steps`), outputs' billing included."""
    found: list[Request] = []
    for kind in BILLED:
        steps = [step for step, k in own_steps(kind) if k == key and step.endswith(f'_{suffix}')]
        table = KINDS[kind].table if kind in KINDS else f'tbl_{kind}s'
        sql = f'SELECT id FROM {table}'
        if cost_centers:
            sql += f' WHERE cost_center_id IN ({", ".join(["%s"] * len(cost_centers))})'
        cur.execute(sql, list(cost_centers))
        found += [(step, int(r[0]), key, start, end) for r in cur.fetchall() for step in steps]
    return banded(found) if suffix == 'billing' else found


def banded(found: list[Request]) -> list[Request]:
    """With an entity's billing, its energy and carbon: their daily sums are split by the time-of-use bands of
    its cost centre's tariffs (myems_common.daily), so a billing change changes those too."""
    extra: list[Request] = []
    for step, item, key, start, end in found:
        kind = step.removesuffix('_billing')
        if key == 'billing' and kind in KINDS:
            extra += [(KINDS[kind].step, item, 'energy', start, end), (f'{kind}_carbon', item, 'carbon', start, end)]
    return found + extra


def tariff_requests(cur: Any, tariff_ids: Iterable[int], ranges: Sequence[tuple[datetime, datetime]]) -> list[Request]:
    ids = sorted(set(tariff_ids))
    if not ids or not ranges:
        return []
    marks = ', '.join(['%s'] * len(ids))
    cur.execute(f'SELECT DISTINCT cost_center_id FROM tbl_cost_centers_tariffs WHERE tariff_id IN ({marks})', ids)
    centers = [int(r[0]) for r in cur.fetchall()]
    start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
    return every(cur, 'billing', 'billing', start, end, centers) if centers else []


def validity(*images: dict[str, Any] | None) -> list[tuple[datetime, datetime]]:
    """The [valid_from, valid_through] ranges (inclusive end) of the images that have them."""
    found = []
    for image in images:
        if image and image.get('valid_from_datetime_utc') and image.get('valid_through_datetime_utc'):
            found.append((image['valid_from_datetime_utc'], image['valid_through_datetime_utc'] + timedelta(seconds=1)))
    return found


def requests(
    cur: Any, settings: Settings, method: str, resource: str, resource_id: int | None, change: dict[str, Any]
) -> list[Request]:
    """The recompute requests a change calls for (a cursor on the system database)."""
    owner, _, relation = resource.partition('.')
    before, after = change.get('before') or {}, change.get('after') or {}
    item = resource_id if resource_id is not None else change.get('id')
    found: list[Request] = []
    ever = (first_slot(cur, settings), END_OF_TIME)
    if relation:  # a link added or removed
        entity = REGISTRY.get(owner)
        target = next((r.target for r in entity.relations if r.name == relation), None) if entity else None
        if owner in KINDS and (target in METER_KINDS or target in KINDS) and item is not None:
            found.append((KINDS[owner].step, item, 'energy', *ever))
        if owner == 'cost_center' and target == 'tariff':
            tariff = (after or before).get('tariff_id')
            cur.execute(
                'SELECT valid_from_datetime_utc, valid_through_datetime_utc FROM tbl_tariffs WHERE id = %s', (tariff,)
            )
            row = cur.fetchone()
            if row is not None and item is not None:
                found += every(cur, 'billing', 'billing', row[0], row[1] + timedelta(seconds=1), [item])
        return found
    if item is None:
        return found
    if owner in BILLED and changed(change, 'cost_center_id'):
        found += banded([(step, item, key, *ever) for step, key in own_steps(owner) if key == 'billing'])
    if owner in METER_KINDS and any(changed(change, f) for f in METER_FIELDS):
        found += [(step, target, key, *ever) for step, target, key in consumers(cur, owner, item)]
    if owner in KINDS and any(changed(change, f) for f in ENTITY_FIELDS):
        found += [(step, target, key, *ever) for step, target, key in consumers(cur, owner, item) if key == 'energy']
        if changed(change, 'parent_space_id') and before.get('parent_space_id') is not None:
            found.append(('space_energy', int(before['parent_space_id']), 'energy', *ever))
    if owner == 'space' and changed(change, 'timezone_id'):  # its daily sums are of its zone's days
        found.append((KINDS['space'].step, item, 'energy', *ever))
    if owner == 'tariff':
        found += tariff_requests(cur, [item], validity(before, after))
    if owner in ('emission_factor', 'energy_category') and (owner == 'emission_factor' or changed(change, 'kgco2e')):
        ranges = validity(before, after) if owner == 'emission_factor' else [ever]
        if ranges:
            found += every(cur, 'carbon', 'carbon', min(r[0] for r in ranges), max(r[1] for r in ranges))
    if owner == 'working_calendar':
        found += every(cur, 'billing', 'billing', *ever)
    return found


def request_recompute(
    cur: Any, settings: Settings, method: str, resource: str, resource_id: int | None, change: dict[str, Any]
) -> int:
    """Write the requests of one change (the cursor's server holds the pipeline databases); their number."""
    found = [r for r in requests(cur, settings, method, resource, resource_id, change) if r[3] < r[4]]
    reason = f'{method} {resource} {resource_id if resource_id is not None else change.get("id", "")}'[:64]
    now = utc_now()
    for key in sorted({r[2] for r in found}):
        rows = [(step, target, start, end, reason, now) for step, target, k, start, end in found if k == key]
        table = f'`{settings.db(key).database}`.`tbl_pipeline_dirty_ranges`'
        for first in range(0, len(rows), 500):
            part = rows[first : first + 500]
            cur.execute(
                f'INSERT INTO {table} (step, object_id, start_datetime_utc, end_datetime_utc, reason,'
                ' created_datetime_utc) VALUES ' + ', '.join(['(%s, %s, %s, %s, %s, %s)'] * len(part)),
                [v for row in part for v in row],
            )
    if found:
        log.info('%s: %d recompute requests', reason, len(found))
    return len(found)
