from __future__ import annotations

import pytest

from myems_common.series import FAMILIES, SeriesKey, all_series


def test_keys_name_myems_tables() -> None:
    assert SeriesKey('billing', 'store', 'input', 'item').table == 'tbl_store_input_item_hourly'
    assert SeriesKey('energy', 'meter').table == 'tbl_meter_hourly'
    assert SeriesKey('energy_model', 'space', 'input', 'category').table == 'tbl_space_input_category_8760'
    key = SeriesKey('carbon', 'space', 'output', 'category')
    assert key.key_columns == ('space_id', 'energy_category_id', 'start_datetime_utc')
    assert SeriesKey('energy', 'virtual_meter').key_columns == ('virtual_meter_id', 'start_datetime_utc')


def test_every_family_is_in_every_slot_database() -> None:
    assert len(all_series()) == 7 * len(FAMILIES)
    names = {key.table for key in all_series() if key.database == 'energy'}
    for expected in (
        'tbl_space_input_category_hourly',
        'tbl_tenant_input_item_hourly',
        'tbl_offline_meter_hourly',
        'tbl_combined_equipment_output_category_hourly',
        'tbl_microgrid_charge_hourly',
    ):
        assert expected in names


@pytest.mark.parametrize('args', [('system', 'meter'), ('energy', 'tenant', 'output', 'category'), ('energy', 'x')])
def test_unknown_keys_are_refused(args: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        SeriesKey(*args)
