"""Energy roll-ups over a real pipeline: counter readings -> cleaning -> meter slots -> entities -> space tree.

The campus (every source counted unless said otherwise):

    root ─ building ─ floor ─ room        meters: main (root), lights (floor), plugs (room, item "plugs")
       │      └ tenant (meter shop)       equipment "chiller" in the room: input meter chw_in, output meter chw_out
       └ annex (is_input_counted = 0, meter annex)

Hourly energy of a meter with readings every 15 minutes rising by `step` is 4 x step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from myems_aggregation.energy import EnergyRollup, topological
from myems_api.recompute import request_recompute
from myems_cleaning.energy import EnergyCleaning
from myems_common.hierarchy import KINDS, METER_KINDS, consumers, every_consumers
from myems_common.pipeline import Runner, mark_dirty
from myems_normalization.meters import MeterEnergy

T0 = datetime(2026, 3, 2)
STEPS = {'main': 1.0, 'lights': 0.5, 'plugs': 0.25, 'chw_in': 2.0, 'chw_out': 5.0, 'shop': 0.75, 'annex_meter': 3.0}
D = Decimal


def readings(hours: int, step: float, start: datetime = T0, first: float = 1000.0) -> list[tuple[datetime, Decimal]]:
    return [(start + timedelta(minutes=15 * i), D(str(first)) + D(str(step)) * i) for i in range(hours * 4 + 1)]


def insert(world: Any, sql: str, params: tuple[Any, ...] = ()) -> int:
    with world.db.transaction('system') as cur:
        cur.execute(sql, params)
        return int(cur.lastrowid)


def space(world: Any, name: str, parent: int | None, counted: bool = True) -> int:
    return insert(
        world,
        'INSERT INTO tbl_spaces (name, uuid, parent_space_id, area, timezone_id, is_input_counted, is_output_counted,'
        ' cost_center_id) VALUES (%s, UUID(), %s, 100, 1, %s, %s, 1)',
        (name, parent, counted, counted),
    )


def link(world: Any, entity: str, entity_id: int, meter: int, is_output: bool | None = None) -> None:
    table = KINDS[entity].link_table('meter')
    if is_output is None:
        insert(world, f'INSERT INTO {table} ({entity}_id, meter_id) VALUES (%s, %s)', (entity_id, meter))
    else:
        sql = f'INSERT INTO {table} ({entity}_id, meter_id, is_output) VALUES (%s, %s, %s)'
        insert(world, sql, (entity_id, meter, is_output))


def campus(world: Any, hours: int = 6) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids['root'] = space(world, 'root', None)
    ids['building'] = space(world, 'building', ids['root'])
    ids['floor'] = space(world, 'floor', ids['building'])
    ids['room'] = space(world, 'room', ids['floor'])
    ids['annex'] = space(world, 'annex', ids['root'], counted=False)
    ids['chiller'] = insert(
        world,
        'INSERT INTO tbl_equipments (name, uuid, is_input_counted, is_output_counted, cost_center_id)'
        " VALUES ('chiller', UUID(), 1, 1, 1)",
    )
    insert(
        world,
        'INSERT INTO tbl_spaces_equipments (space_id, equipment_id) VALUES (%s, %s)',
        (ids['room'], ids['chiller']),
    )
    ids['tenant'] = insert(
        world,
        'INSERT INTO tbl_tenants (name, uuid, buildings, floors, rooms, area, tenant_type_id, is_input_counted,'
        ' is_key_tenant, lease_number, lease_start_datetime_utc, lease_end_datetime_utc, is_in_lease, contact_id,'
        " cost_center_id) VALUES ('shop', UUID(), 'b', '1', '1', 50, 1, 1, 0, 'L1', '2026-01-01', '2030-01-01',"
        ' 1, 1, 1)',
    )
    insert(
        world, 'INSERT INTO tbl_spaces_tenants (space_id, tenant_id) VALUES (%s, %s)', (ids['building'], ids['tenant'])
    )
    for name, step in STEPS.items():
        meter, point = world.meter(name)
        ids[name] = meter
        world.readings(point, readings(hours, step))
    ids['plugs_item'] = insert(
        world, "INSERT INTO tbl_energy_items (name, uuid, energy_category_id) VALUES ('plugs', UUID(), 1)"
    )
    insert(world, 'UPDATE tbl_meters SET energy_item_id = %s WHERE id = %s', (ids['plugs_item'], ids['plugs']))
    link(world, 'space', ids['root'], ids['main'])
    link(world, 'space', ids['floor'], ids['lights'])
    link(world, 'space', ids['room'], ids['plugs'])
    link(world, 'space', ids['annex'], ids['annex_meter'])
    link(world, 'equipment', ids['chiller'], ids['chw_in'], is_output=False)
    link(world, 'equipment', ids['chiller'], ids['chw_out'], is_output=True)
    link(world, 'tenant', ids['tenant'], ids['shop'])
    return ids


def rollups() -> list[EnergyRollup]:
    return [EnergyRollup(kind) for kind in KINDS]


def pipeline(world: Any) -> list[Any]:
    return [EnergyCleaning(world.settings.db('energy').database), MeterEnergy(60), *rollups()]


def hourly(world: Any, kind: str, entity: int, family: str = 'input_category') -> dict[tuple[int, datetime], Decimal]:
    rows = world.db.fetch_all(
        'energy', f'SELECT * FROM tbl_{kind}_{family}_hourly WHERE {kind}_id = %s ORDER BY 1', (entity,)
    )
    return {(int(r[2]), r[3]): r[4] for r in rows}


def per_hour(hours: int, value: float, category: int = 1) -> dict[tuple[int, datetime], Decimal]:
    return {(category, T0 + timedelta(hours=h)): D(str(value)) for h in range(hours)}


def test_the_whole_tree_is_rolled_up_in_one_pass(metered_world: Any) -> None:
    world = metered_world
    ids = campus(world)
    runner = Runner(world.db, pipeline(world))
    for step in runner.steps:  # exactly one pass of every step
        runner.run_pass(step)
    # the room: plugs 1 kWh/h and the chiller's input 8; output: the chiller's 20
    assert hourly(world, 'space', ids['room']) == per_hour(6, 1 + 8)
    assert hourly(world, 'space', ids['room'], 'output_category') == per_hour(6, 20)
    assert hourly(world, 'space', ids['room'], 'input_item') == per_hour(6, 1, ids['plugs_item'])
    assert hourly(world, 'equipment', ids['chiller']) == per_hour(6, 8)
    assert hourly(world, 'equipment', ids['chiller'], 'output_category') == per_hour(6, 20)
    assert hourly(world, 'tenant', ids['tenant']) == per_hour(6, 3)
    # the floor adds lights (2), the building the tenant (3), the root main (4); the annex is not counted
    assert hourly(world, 'space', ids['floor']) == per_hour(6, 9 + 2)
    assert hourly(world, 'space', ids['building']) == per_hour(6, 11 + 3)
    assert hourly(world, 'space', ids['root']) == per_hour(6, 14 + 4)
    assert hourly(world, 'space', ids['annex']) == per_hour(6, 12)
    assert hourly(world, 'space', ids['root'], 'output_category') == per_hour(6, 20)
    assert hourly(world, 'space', ids['root'], 'input_item') == per_hour(6, 1, ids['plugs_item'])
    assert not world.db.fetch_all('energy', 'SELECT * FROM tbl_incomplete_slots')


def test_a_parent_is_the_sum_of_its_counted_children_and_meters(metered_world: Any) -> None:
    world = metered_world
    ids = campus(world)
    insert(world, 'UPDATE tbl_meters SET is_counted = 0 WHERE id = %s', (ids['lights'],))
    Runner(world.db, pipeline(world)).run_until_idle()
    for parent, parts in (('floor', [('space', 'room')]), ('building', [('space', 'floor'), ('tenant', 'tenant')])):
        total = hourly(world, 'space', ids[parent])
        expected: dict[tuple[int, datetime], Decimal] = {}
        for kind, name in parts:
            for key, value in hourly(world, kind, ids[name]).items():
                expected[key] = expected.get(key, D(0)) + value
        assert total == expected  # the floor's own meter (lights) is not counted any more
    assert hourly(world, 'space', ids['root']) == per_hour(6, 9 + 3 + 4)


def test_a_silent_meter_freezes_nothing_and_its_late_hours_are_rolled_up_when_they_come(metered_world: Any) -> None:
    world = metered_world
    ids = campus(world, hours=2)
    meter, point = world.meter('late')
    link(world, 'space', ids['room'], meter)
    world.readings(point, readings(2, 1.0))
    for name in (
        'main',
        'lights',
        'plugs',
        'chw_in',
        'chw_out',
        'shop',
        'annex_meter',
    ):  # everyone else reports 6 hours
        point_id = world.db.fetch_one(
            'system', 'SELECT point_id FROM tbl_meters_points WHERE meter_id = %s', (ids[name],)
        )
        step = {
            'main': 1.0,
            'lights': 0.5,
            'plugs': 0.25,
            'chw_in': 2.0,
            'chw_out': 5.0,
            'shop': 0.75,
            'annex_meter': 3.0,
        }[name]
        world.readings(point_id[0], readings(6, step)[9:])
    runner = Runner(world.db, pipeline(world))
    runner.run_until_idle()
    room = hourly(world, 'space', ids['room'])
    assert room == {
        **per_hour(2, 1 + 8 + 4),
        **{k: v for k, v in per_hour(6, 9).items() if k[1] >= T0 + timedelta(hours=2)},
    }
    incomplete = world.db.fetch_all(
        'energy',
        'SELECT object_id, start_datetime_utc, sources_present, sources_expected FROM tbl_incomplete_slots'
        " WHERE step = 'space_energy' ORDER BY 1, 2",
    )
    assert [(o, t.hour, p, e) for o, t, p, e in incomplete if o == ids['room']] == [
        (ids['room'], h, 2, 3) for h in range(2, 6)
    ]
    assert {o for o, *_ in incomplete} == {ids['room'], ids['floor'], ids['building'], ids['root']}
    # the late meter's next four hours arrive: the room and its ancestors are recomputed, complete now
    world.readings(point, readings(6, 1.0)[9:])
    runner.run_until_idle()
    assert hourly(world, 'space', ids['room']) == per_hour(6, 1 + 8 + 4)
    assert hourly(world, 'space', ids['root']) == per_hour(6, 13 + 2 + 3 + 4)
    assert not world.db.fetch_all('energy', 'SELECT * FROM tbl_incomplete_slots')


def test_recomputing_everything_gives_the_same_rows(metered_world: Any) -> None:
    world = metered_world
    ids = campus(world)
    runner = Runner(world.db, pipeline(world))
    runner.run_until_idle()

    def everything() -> list[Any]:
        return [
            world.db.fetch_all('energy', f'SELECT * FROM tbl_space_{family}_hourly ORDER BY 1')
            for family in ('input_category', 'input_item', 'output_category')
        ]

    before = everything()
    with world.db.transaction('energy') as cur:
        for space_id in (ids['room'], ids['root']):
            mark_dirty(cur, 'space_energy', space_id, T0 - timedelta(days=1), T0 + timedelta(days=1), 'test')
    assert runner.run_until_idle() > 0
    assert everything() == before  # same rows, same ids


def test_spaces_are_ordered_children_first() -> None:
    rows = [(1, None), (2, 1), (3, 2), (4, 1), (5, 3), (6, 99)]
    order = topological(rows)
    assert sorted(order) == [1, 2, 3, 4, 5, 6]
    for child, parent in rows:
        if parent in order:
            assert order.index(child) < order.index(parent)


def test_an_unlinked_meter_leaves_the_room_and_its_ancestors_after_the_recompute_the_api_asks_for(
    metered_world: Any,
) -> None:
    world = metered_world
    ids = campus(world)
    runner = Runner(world.db, pipeline(world))
    runner.run_until_idle()
    with world.db.transaction('system') as cur:  # what DELETE /spaces/{room}/meters/{plugs} does
        cur.execute('DELETE FROM tbl_spaces_meters WHERE space_id = %s AND meter_id = %s', (ids['room'], ids['plugs']))
        change = {'before': {'meter_id': ids['plugs']}}
        assert request_recompute(cur, world.settings, 'DELETE', 'space.meters', ids['room'], change) == 1
    runner.run_until_idle()
    assert hourly(world, 'space', ids['room']) == per_hour(6, 8)
    assert hourly(world, 'space', ids['root']) == per_hour(6, 17)
    assert hourly(world, 'space', ids['root'], 'input_item') == {}  # the plugs were the only item


def test_every_entitys_sources_and_consumers_read_at_once_are_those_read_one_by_one(metered_world: Any) -> None:
    world = metered_world
    campus(world)
    with world.db.read('system') as cur:
        for kind in (*METER_KINDS, *KINDS):
            table = KINDS[kind].table if kind in KINDS else f'tbl_{kind}s'
            ids = [int(r[0]) for r in world.db.fetch_all('system', f'SELECT id FROM {table}')]
            assert every_consumers(cur, kind, ids) == {i: consumers(cur, kind, i) for i in ids}
    for kind in KINDS:
        rollup = EnergyRollup(kind)
        ids = rollup.objects(world.db)  # reads every entity's sources at once
        one_by_one = EnergyRollup(kind)
        for entity in ids:
            assert sorted(rollup.sources(world.db, entity), key=repr) == sorted(
                one_by_one.sources(world.db, entity), key=repr
            ), (kind, entity)
