"""Cleaning and meter normalization together, through the pipeline runner, on a real MariaDB."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl

from myems_cleaning.energy import EnergyCleaning
from myems_common.pipeline import Runner
from myems_common.readings import ANALOG, Reading, write_batch
from myems_normalization.__main__ import process_uploads
from myems_normalization.meters import MeterEnergy
from myems_normalization.virtualmeters import VirtualMeterEnergy
from myems_normalization.virtualpoints import VirtualPointValues

T0 = datetime(2026, 3, 1)
D = Decimal


def runner(world: Any) -> Runner:
    steps = [EnergyCleaning(world.settings.db('energy').database), MeterEnergy(60)]
    return Runner(world.db, steps)


def every(minutes: int, count: int, start: datetime = T0, first: float = 1000.0, per_step: float = 2.5):
    return [(start + timedelta(minutes=minutes * i), D(str(first)) + D(str(per_step)) * i) for i in range(count)]


def test_clean_counter_gives_exact_interpolated_hours(world: Any) -> None:
    meter, point = world.meter('main')
    world.readings(point, every(15, 4 * 24 + 1))  # one day, 10 kWh an hour, last reading at 24:00
    runner(world).run_until_idle()
    slots = world.slots(meter)
    assert len(slots) == 24 and all(v == D(10) and not e for _, v, e in slots)
    assert not any(bad for bad, _ in world.flags(point).values())  # none flagged: all good


def test_faults_are_flagged_and_the_energy_survives_them(world: Any) -> None:
    meter, point = world.meter('faulty', high=D(10**6))
    rows = every(15, 4 * 24 + 1)
    rows[10] = (rows[10][0], D(1))  # dip
    rows[20] = (rows[20][0], D(999_000))  # spike
    rows[30] = (rows[30][0], D(-5))  # out of range
    gap = {t for t, _ in rows[41:65]}  # six hours without readings
    world.readings(point, [r for r in rows if r[0] not in gap])
    runner(world).run_until_idle()
    flags = world.flags(point)
    assert {t: r for t, (b, r) in flags.items() if b} == {
        rows[10][0]: 'dip',
        rows[20][0]: 'spike',
        rows[30][0]: 'range',
    }
    slots = world.slots(meter)
    assert sum(v for _, v, _ in slots) == rows[-1][1] - rows[0][1]  # nothing lost
    assert [v for _, v, _ in slots] == [D(10)] * 24  # a straight counter: every hour 10, gap included
    estimated = [t.hour for t, _, e in slots if e]
    assert estimated == [10, 11, 12, 13, 14, 15, 16]


def test_late_readings_are_cleaned_and_the_hours_recomputed(world: Any) -> None:
    meter, point = world.meter('late')
    true_rows = every(15, 4 * 12 + 1, per_step=1)  # 12 hours, 4 an hour
    late = [r for r in true_rows if 16 <= true_rows.index(r) < 28]  # hours 4-6 arrive late
    world.readings(point, [r for r in true_rows if r not in late])
    steps = runner(world)
    steps.run_until_idle()
    before = world.slots(meter)
    assert [t.hour for t, _, e in before if e] == [3, 4, 5, 6]
    # the late readings are not a straight line: 0.5 a quarter in hour 4, then 1.5, then 1
    shape = [D('0.5')] * 4 + [D('1.5')] * 4 + [D(1)] * 4
    base = true_rows[16][1] - 1
    adjusted = [(t, base + sum(shape[: i + 1])) for i, (t, _) in enumerate(late)]
    world.readings(point, adjusted)
    steps.run_until_idle()
    after = {t.hour: (v, e) for t, v, e in world.slots(meter)}
    # counter at 03:00 1012, 04:00 1015.5, 05:00 1018.5, 06:00 1024, 07:00 1028
    assert [after[h][0] for h in (3, 4, 5, 6)] == [D('3.5'), D(3), D('5.5'), D(4)]
    assert not any(e for _, e in after.values())
    assert sum(v for v, _ in after.values()) == true_rows[-1][1] - true_rows[0][1]
    assert world.db.fetch_one('energy', 'SELECT COUNT(*) FROM tbl_pipeline_dirty_ranges')[0] == 0


def test_virtual_meters_follow_their_inputs_in_dependency_order(world: Any) -> None:
    main, main_point = world.meter('main')
    sub, sub_point = world.meter('sub')
    main_rows = every(15, 4 * 6 + 1, per_step=2.5)  # 10 an hour for 6 hours
    late = main_rows[9:15]  # 02:15 .. 03:30 arrive late, and really used 4 in hour 2 and 16 in hour 3
    world.readings(main_point, [r for r in main_rows if r not in late])
    world.readings(sub_point, every(15, 4 * 6 + 1, first=50, per_step=1))  # 4 an hour
    rest = world.virtual_meter('rest', 'A - B', {'a': ('meter', main), 'b': ('meter', sub)})
    share = world.virtual_meter('share', 'x / (y - 6) * 100', {'x': ('virtual_meter', rest), 'y': ('meter', main)})
    steps = [
        EnergyCleaning(world.settings.db('energy').database),
        MeterEnergy(60),
        VirtualMeterEnergy(60, T0),
    ]
    Runner(world.db, steps).run_until_idle()
    assert [v for _, v, _ in world.slots(rest, 'virtual_meter')] == [D(6)] * 6
    assert [v for _, v, _ in world.slots(share, 'virtual_meter')] == [D(150)] * 6  # 6 / (10 - 6) * 100

    at_two = main_rows[8][1]  # the counter at 02:00
    world.readings(main_point, [(t, at_two + D(i + 1)) for i, (t, _) in enumerate(late[:3])])
    world.readings(main_point, [(t, at_two + 4 + D(4 * i)) for i, (t, _) in enumerate(late[3:])])
    Runner(world.db, steps).run_until_idle()
    assert [v for _, v, _ in world.slots(main)] == [D(10), D(10), D(4), D(16), D(10), D(10)]
    assert [v for _, v, _ in world.slots(rest, 'virtual_meter')] == [D(6), D(6), D(0), D(12), D(6), D(6)]
    assert [v for _, v, _ in world.slots(share, 'virtual_meter')][2:4] == [D(0), D(120)]  # 0/(4-6), 12/(16-6)
    assert world.db.fetch_one('energy', 'SELECT COUNT(*) FROM tbl_pipeline_dirty_ranges')[0] == 0


def test_an_equation_that_cannot_be_evaluated_skips_only_that_slot(world: Any) -> None:
    meter, point = world.meter('flat')
    counter = [1000 + min(i, 4) + max(0, i - 8) for i in range(13)]  # 4 in hour 0, none in hour 1, 4 in hour 2
    world.readings(point, [(T0 + timedelta(minutes=15 * i), D(v)) for i, v in enumerate(counter)])
    ratio = world.virtual_meter('ratio', '8 / m', {'m': ('meter', meter)})
    steps = [EnergyCleaning(world.settings.db('energy').database), MeterEnergy(60), VirtualMeterEnergy(60, T0)]
    Runner(world.db, steps).run_until_idle()
    assert [(t.hour, v) for t, v, _ in world.slots(ratio, 'virtual_meter')] == [(0, D(2)), (2, D(2))]


def test_a_virtual_point_combines_inputs_read_at_different_times(world: Any) -> None:
    a, b = world.analog('feeder a'), world.analog('feeder b')
    address = json.dumps({'expression': 'a + 2 * b', 'substitutions': {'a': a, 'b': b}})
    total = world.analog('feeders', address, is_virtual=True)
    with world.db.transaction('historical') as cur:  # a every minute on the minute, b every minute at :30
        write_batch(cur, [Reading(a, ANALOG, T0 + timedelta(minutes=i), D(10 + i)) for i in range(11)])
        write_batch(cur, [Reading(b, ANALOG, T0 + timedelta(minutes=i, seconds=30), D(i)) for i in range(11)])
    Runner(world.db, [VirtualPointValues()]).run_until_idle()
    got = world.db.fetch_all(
        'historical',
        'SELECT utc_date_time, actual_value FROM tbl_analog_value WHERE point_id = %s ORDER BY 1',
        (total,),
    )
    # b at minute m is interpolated between m-1:30 and m:30 -> m - 0.5; a + 2b = 10 + m + 2m - 1
    assert [(t.minute, v) for t, v in got] == [(m, D(9 + 3 * m)) for m in range(1, 11)]


def test_an_uploaded_offline_meter_month_reaches_the_virtual_meters_reading_it(world: Any) -> None:
    with world.db.transaction('system') as cur:
        cur.execute(
            'INSERT INTO tbl_offline_meters (name, uuid, energy_category_id, is_counted, hourly_low_limit,'
            " hourly_high_limit, cost_center_id) VALUES ('manual', UUID(), 1, 1, 0, 100, 1)"
        )
        offline = int(cur.lastrowid)
    double = world.virtual_meter('double', 'o * 2', {'o': ('offline_meter', offline)})
    book = openpyxl.Workbook()
    for row in (['year', 'month'], [2026, 2], [offline, 'manual', '', 24, 48]):
        book.active.append(row)
    blob = io.BytesIO()
    book.save(blob)
    with world.db.transaction('historical') as cur:
        cur.execute(
            'INSERT INTO tbl_offline_meter_files (file_name, uuid, upload_datetime_utc, status, file_object)'
            " VALUES ('feb.xlsx', UUID(), UTC_TIMESTAMP(), 'new', %s)",
            (blob.getvalue(),),
        )
    assert process_uploads(world.db) == 1 and process_uploads(world.db) == 0  # done once, then nothing new
    Runner(world.db, [VirtualMeterEnergy(60, T0)]).run_until_idle()
    slots = world.slots(double, 'virtual_meter')
    assert len(slots) == 48 and {v for _, v, _ in slots} == {D(2), D(4)}  # 1 and 2 an hour, doubled
    assert sum(v for _, v, _ in slots) == 2 * (24 + 48)
