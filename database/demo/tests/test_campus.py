"""The demo campus as data: counts, consistency and the rules that keep aggregation from double counting."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time
from typing import Any

from myems_demo import campus as c


def _campus() -> c.Campus:
    return c.build_campus(timezone_id=36, year=2026, to_utc=lambda local: local)


def _link(table: str) -> tuple[tuple[Any, ...], ...]:
    return next(link.rows for link in _campus().links if link.table == table)


def test_required_counts() -> None:
    spaces = c.build_spaces(timezone_id=36)
    assert [s.name for s in spaces if s.parent_space_id == 1] == ['Lindenhof Campus']
    assert sum(1 for s in spaces if s.parent_space_id == c.CAMPUS) == 3
    assert len(c.METERS) >= 60
    assert {m.energy_category_id for m in c.METERS} == {c.ELECTRICITY, c.WATER, c.GAS, c.COOLING, c.HEATING}
    assert len(c.VIRTUAL_METERS) >= 3 and len(c.OFFLINE_METERS) == 2
    assert (len(c.EQUIPMENTS), len(c.COMBINED_EQUIPMENTS)) == (10, 2)
    assert (len(c.TENANTS), len(c.STORES), len(c.SHOPFLOORS)) == (4, 3, 1)
    assert {'Lighting', 'HVAC', 'Plug Load', 'Process'} <= set(c.ITEMS)
    assert len(c.ANALOG_POINTS) >= 10 and len(c.DIGITAL_POINTS) == 4


def test_ids_are_unique_per_table() -> None:
    for group in _campus().rows:
        if 'id' in group[0].columns():
            ids = [row.values()[0] for row in group]
            assert len(ids) == len(set(ids)), group[0].TABLE
    for link in _campus().links:
        pairs = [row[:2] for row in link.rows]
        assert len(pairs) == len(set(pairs)), link.table


def test_every_category_has_a_campus_main_with_building_masters() -> None:
    children = Counter(m.master_meter_id for m in c.METERS if m.master_meter_id is not None)
    for category in (c.ELECTRICITY, c.WATER, c.GAS, c.COOLING, c.HEATING):
        mains = [m for m in c.METERS if m.energy_category_id == category and m.master_meter_id is None and m.id < 10]
        assert len(mains) == 1
        assert children[mains[0].id] >= 3
    for m in c.METERS:
        if m.master_meter_id is not None:
            assert c.METERS_BY_ID[m.master_meter_id].energy_category_id == m.energy_category_id
        assert m.is_counted == (m.id not in children), m.name  # masters are shown, not summed
        assert 0.02 <= m.sim.loss <= 0.06 or m.id not in children


def test_items_match_their_meters_category() -> None:
    items = {i.id: i.energy_category_id for i in c.ENERGY_ITEMS}
    for m in c.METERS:
        assert m.energy_item_id is None or items[m.energy_item_id] == m.energy_category_id


def test_each_counted_input_meter_reaches_the_campus_exactly_once() -> None:
    """A leaf is linked once along the space tree: directly, or via an equipment, tenant, store or shopfloor."""
    equipment_inputs: dict[int, list[int]] = {}
    for equipment, meter, is_output in _link('tbl_equipments_meters'):
        if not is_output:
            equipment_inputs.setdefault(equipment, []).append(meter)
    placed_equipments = [e for _, e in _link('tbl_spaces_equipments') + _link('tbl_shopfloors_equipments')]
    placed_equipments += [e for _, e in _link('tbl_combined_equipments_equipments')]
    reached = Counter(meter for _, meter in _link('tbl_spaces_meters'))
    for equipment in placed_equipments:
        reached.update(equipment_inputs.get(equipment, []))
    reached.update(meter for _, meter, is_output in _link('tbl_combined_equipments_meters') if not is_output)
    for table in ('tbl_tenants_meters', 'tbl_stores_meters', 'tbl_shopfloors_meters'):
        reached.update(meter for _, meter in _link(table))
    outputs = {m for _, m, out in _link('tbl_equipments_meters') + _link('tbl_combined_equipments_meters') if out}
    counted_inputs = {m.id for m in c.METERS if m.is_counted} - outputs
    assert {m: reached[m] for m in counted_inputs if reached[m] != 1} == {}
    assert {m for m in reached if m not in counted_inputs and c.METERS_BY_ID[m].is_counted} == set()


def test_time_of_use_rows_tile_the_day_without_overlap() -> None:
    tariffs, rows = c.build_tariffs(lambda local: local)
    assert {t.energy_category_id for t in tariffs} >= {c.ELECTRICITY, c.WATER, c.GAS, c.COOLING, c.HEATING}
    for tariff in tariffs:
        periods = sorted((r.start_time_of_day, r.end_time_of_day) for r in rows if r.tariff_id == tariff.id)
        assert periods[0][0] == time(0) and periods[-1][1] == time(23, 59, 59)
        seconds = [
            (s.hour * 3600 + s.minute * 60 + s.second, e.hour * 3600 + e.minute * 60 + e.second) for s, e in periods
        ]
        assert all(nxt[0] == cur[1] + 1 for cur, nxt in zip(seconds, seconds[1:], strict=False))
        assert sum(e - s + 1 for s, e in seconds) == 86400
    peak_types = {r.peak_type for r in rows if r.tariff_id == 1}
    assert peak_types == {'offpeak', 'midpeak', 'onpeak'}
    assert tariffs[0].valid_from_datetime_utc == datetime(2020, 1, 1)


def test_easter_and_berlin_holidays() -> None:
    assert [c.easter_sunday(y) for y in (2024, 2025, 2026, 2027)] == [
        date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28),
    ]  # fmt: skip
    names = dict(c.berlin_holidays(2025))
    assert names[date(2025, 4, 18)] == 'Good Friday' and names[date(2025, 5, 29)] == 'Ascension Day'
    assert names[date(2025, 6, 9)] == 'Whit Monday' and date(2025, 3, 8) in names
    assert not c.is_working_day(date(2025, 10, 3)) and c.is_working_day(date(2025, 10, 2))
    days = c.build_calendar_days(2026)
    assert {d.date_local.year for d in days} == {2024, 2025, 2026, 2027}


def test_device_addresses_are_distinct_per_data_source() -> None:
    seen: set[tuple[int, str]] = set()
    for point in c.build_points():
        address = json.loads(point.address)
        key = (point.data_source_id, json.dumps([address.get('slave_id'), address.get('offset'), address.get('topic')]))
        assert key not in seen, point.name
        seen.add(key)
        if 'format' in address:
            assert address['function_code'] == 3 and address['byte_swap'] is False
            assert address['number_of_registers'] == {'>f': 2, '>L': 2, '>d': 4, '>H': 1}[address['format']]
        else:
            assert point.data_source_id == c.DS_HOTEL_WATER and address['json_path'] == '$.value'


def test_viewer_privilege_covers_the_office_building_only() -> None:
    viewer = next(u for u in c.USERS if u.name == 'viewer')
    assert viewer.is_read_only and not viewer.is_admin
    assert json.loads(c.PRIVILEGES[0].data) == {'spaces': [c.OFFICE]}
    assert set(c.DEMO_PASSWORDS) == {u.name for u in c.USERS}


def test_benchmark_meters() -> None:
    first, second = c.benchmark_meter(1), c.benchmark_meter(2)
    assert (first.id, second.id) == (100001, 100002)
    assert first.energy_category_id == c.ELECTRICITY and first.sim.interval == 15
    assert json.loads(first.address) != json.loads(second.address)
