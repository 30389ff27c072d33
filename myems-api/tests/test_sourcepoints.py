"""Points an equipment may bind: those of its linked data sources; editpoints puts a parameter's point first."""

from __future__ import annotations

from typing import Any


def ids(factory: Any, path: str) -> list[int]:
    return [row['id'] for row in factory.get(path)]


def test_addpoints_lists_the_points_of_linked_data_sources_only(factory: Any) -> None:
    linked, other = factory.create('data_source'), factory.create('data_source')
    mine = [factory.create('point', data_source_id=linked) for _ in range(2)]
    stranger = factory.create('point', data_source_id=other)
    equipment = factory.create('equipment')
    assert ids(factory, f'/equipments/{equipment}/addpoints') == []
    factory.link('equipment', equipment, 'datasources', linked)
    assert ids(factory, f'/equipments/{equipment}/addpoints') == mine
    assert [d['id'] for d in factory.get(f'/equipments/{equipment}/datasources')] == [linked]
    row = factory.get(f'/equipments/{equipment}/addpoints')[0]
    assert row['data_source']['id'] == linked and row['object_type'].endswith('_VALUE')

    parameter = factory.create('equipment_parameter', equipment_id=equipment, parameter_type='point', point_id=stranger)
    assert ids(factory, f'/equipments/{equipment}/editpoints/{parameter}') == [stranger, *mine]
    elsewhere = factory.create('equipment')
    assert ids(factory, f'/equipments/{elsewhere}/editpoints/{parameter}') == []  # not its parameter
    factory.request('DELETE', f'/equipments/{equipment}/datasources/{linked}', expect=204)
    assert ids(factory, f'/equipments/{equipment}/editpoints/{parameter}') == [stranger]


def test_combined_equipment_data_source_points(factory: Any) -> None:
    source = factory.create('data_source')
    point = factory.create('point', data_source_id=source)
    combined = factory.create('combined_equipment')
    factory.link('combined_equipment', combined, 'datasources', source)
    assert ids(factory, f'/combinedequipments/{combined}/datasourcepoints') == [point]
    assert factory.request('GET', '/combinedequipments/999999999/datasourcepoints').status_code == 404
    assert factory.request('GET', '/equipments/x/addpoints').status_code == 400


def test_tree_meter_categories_cover_the_subtree(factory: Any) -> None:
    building = factory.create('space')
    floor = factory.create('space', parent_space_id=building)
    meters = [factory.create('meter'), factory.create('meter')]
    factory.link('space', floor, 'meters', meters[0])
    first = factory.read('meter', meters[0])['energy_category_id']
    assert ids(factory, f'/spaces/{building}/treemetersenergycategories') == [first]
    factory.link('space', building, 'meters', meters[1])
    wanted = sorted({factory.read('meter', m)['energy_category_id'] for m in meters})
    assert ids(factory, f'/spaces/{building}/treemetersenergycategories') == wanted
    assert ids(factory, f'/spaces/{floor}/treemetersenergycategories') == [first]  # not its parent's meters
