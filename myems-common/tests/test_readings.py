"""Readings: exact scaling, the disk spool, and the writer against the test stack's MariaDB."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from myems_common.db import Database
from myems_common.readings import (
    ANALOG,
    DIGITAL,
    ENERGY,
    Reading,
    ReadingWriter,
    Spool,
    decode,
    encode,
    newest_per_point,
    scale,
    to_decimal,
)

D = Decimal
T0 = datetime(2026, 1, 5, 10, 0, 0)
_ids = itertools.count(1_000_000)


def point_ids(n: int) -> list[int]:
    return [next(_ids) for _ in range(n)]


# ------------------------------------------------------------------------------------------- scale
@pytest.mark.parametrize(
    ('raw', 'kind', 'ratio', 'offset', 'expected'),
    [
        (10, ENERGY, D(1), D(0), D('10.000000')),
        (0.1, ANALOG, D(1), D(0), D('0.1')),  # not the binary expansion of 0.1
        (D('123.456'), ENERGY, D('0.001'), D('5'), D('5.123456')),
        (4294967295, ENERGY, D('0.001'), D(0), D('4294967.295')),
        (2.5, ANALOG, D('-2'), D('0.25'), D('-4.75')),
        (1, DIGITAL, D('0.5'), D(0), 1),  # 0.5 rounds half away from zero; MyEMS gave 0 (int(0.5) = 0)
        (3, DIGITAL, D('0.5'), D(0), 2),
        (4, DIGITAL, D('0.5'), D(0), 2),
        (1, DIGITAL, D(1), D(-1), 0),
        (True, DIGITAL, D(1), D(0), 1),
        (1.0000004, ANALOG, D(1), D(0), D('1.000000')),  # rounded half to even at 6 places
        (D('999999999999999.999'), ENERGY, D(1), D(0), D('999999999999999.999')),
    ],
)
def test_scale_is_exact(raw: Any, kind: str, ratio: Decimal, offset: Decimal, expected: Decimal | int) -> None:
    value = scale(raw, kind, ratio, offset)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ('raw', 'kind', 'message'),
    [
        (float('nan'), ANALOG, 'finite'),
        (float('inf'), ENERGY, 'finite'),
        (D('NaN'), ENERGY, 'finite'),
        (D('1000000000000000'), ENERGY, 'DECIMAL(21,6)'),
        (-1e18, ANALOG, 'DECIMAL(21,6)'),
        (2**31, DIGITAL, 'INT'),
        ('12', ANALOG, 'not a number'),
    ],
)
def test_scale_refuses_what_the_column_cannot_hold(raw: Any, kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        scale(raw, kind, D(1), D(0))


def test_scale_refuses_unknown_types_and_floats_use_shortest_repr() -> None:
    with pytest.raises(ValueError, match='object type'):
        scale(1, 'TEXT_VALUE', D(1), D(0))
    assert to_decimal(1.1) == D('1.1')
    assert to_decimal(12345.678) == D('12345.678')


# ------------------------------------------------------------------------------------------- spool
def test_spool_lines_round_trip() -> None:
    for reading in (
        Reading(7, ENERGY, T0, D('12.345600')),
        Reading(8, ANALOG, T0, D('-0.5'), is_trend=False),
        Reading(9, DIGITAL, T0, 1),
    ):
        assert decode(encode(reading)) == reading
    with pytest.raises(ValueError, match='damaged'):
        decode('7\tE\t2026-01-05 10:00:00\t1')


def test_spool_keeps_order_across_segments_and_restarts(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=500)
    readings = [Reading(1, ENERGY, T0 + timedelta(seconds=i), D(i)) for i in range(100)]
    for start in range(0, 100, 10):
        spool.append(readings[start : start + 10])
    assert len(spool.segments) > 1 and spool.count == 100
    again = Spool(tmp_path, max_bytes=10_000_000, segment_bytes=500)  # a restarted process
    got: list[Reading] = []
    while (segment := again.oldest()) is not None:
        seq, batch = segment
        got += batch
        again.remove(seq)
    assert got == readings
    assert list(tmp_path.iterdir()) == []


def test_spool_drops_the_oldest_segment_when_full_and_counts_it(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2_000, segment_bytes=500)
    readings = [Reading(1, ENERGY, T0 + timedelta(seconds=i), D(i)) for i in range(200)]
    for start in range(0, 200, 10):
        spool.append(readings[start : start + 10])
    assert spool.size <= 2_000
    assert spool.dropped > 0 and spool.dropped + spool.count == 200
    seq, first = spool.oldest() or (0, [])
    assert first[0].utc_date_time > T0  # the oldest went first
    kept: list[Reading] = list(first)
    spool.remove(seq)
    while (segment := spool.oldest()) is not None:
        kept += segment[1]
        spool.remove(segment[0])
    assert kept == readings[-len(kept) :]


def test_spool_skips_a_damaged_last_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.append([Reading(1, ENERGY, T0, D(1)), Reading(1, ENERGY, T0 + timedelta(seconds=1), D(2))])
    path = spool.segments[0].path
    path.write_bytes(path.read_bytes() + b'1\tE\t2026-01')  # a crash in the middle of a write
    assert [r.actual_value for r in Spool(tmp_path, 1_000_000).oldest()[1]] == [D(1), D(2)]  # type: ignore[index]


def test_newest_per_point_keeps_the_first_of_equal_times() -> None:
    rows = [
        Reading(2, ANALOG, T0, D(1)),
        Reading(1, ANALOG, T0 + timedelta(seconds=5), D(2)),
        Reading(2, ANALOG, T0 + timedelta(seconds=1), D(3)),
        Reading(2, ANALOG, T0 + timedelta(seconds=1), D(4)),
        Reading(1, ANALOG, T0, D(5)),
    ]
    assert [(r.point_id, r.actual_value) for r in newest_per_point(rows)] == [(1, D(2)), (2, D(3))]


# ------------------------------------------------------------------------------------------- writer + MariaDB
@pytest.fixture
def writer(database: Database, tmp_path: Path) -> Iterator[ReadingWriter]:
    w = ReadingWriter(database, tmp_path / 'spool', flush_interval=0.05, batch_size=50, retry_max_seconds=0.2)
    w.start()
    yield w
    w.stop()


def stored(database: Database, table: str, points: list[int]) -> list[tuple[Any, ...]]:
    marks = ', '.join(['%s'] * len(points))
    return database.fetch_all(
        'historical',
        f'SELECT point_id, utc_date_time, actual_value FROM {table} WHERE point_id IN ({marks}) '
        'ORDER BY point_id, utc_date_time',
        points,
    )


def test_writer_stores_trend_rows_once_and_latest_moves_only_forward(writer: ReadingWriter, database: Database) -> None:
    e, a, d = point_ids(3)
    writer.submit(
        [
            Reading(e, ENERGY, T0, D('100.5')),
            Reading(e, ENERGY, T0 + timedelta(minutes=1), D('101.25')),
            Reading(a, ANALOG, T0, D('21.5'), is_trend=False),
            Reading(d, DIGITAL, T0, 1),
        ]
    )
    assert writer.wait_idle(20)
    # a repeated (point, time) with another value, and a late older reading: nothing changes
    writer.submit([Reading(e, ENERGY, T0, D('999')), Reading(e, ENERGY, T0 - timedelta(minutes=5), D('99'))])
    writer.submit([Reading(d, DIGITAL, T0, 0)])
    assert writer.wait_idle(20)
    assert stored(database, 'tbl_energy_value', [e]) == [
        (e, T0 - timedelta(minutes=5), D('99.000000')),
        (e, T0, D('100.500000')),
        (e, T0 + timedelta(minutes=1), D('101.250000')),
    ]
    assert stored(database, 'tbl_energy_value_latest', [e]) == [(e, T0 + timedelta(minutes=1), D('101.250000'))]
    assert stored(database, 'tbl_analog_value', [a]) == []  # not a trend point
    assert stored(database, 'tbl_analog_value_latest', [a]) == [(a, T0, D('21.500000'))]
    assert stored(database, 'tbl_digital_value', [d]) == [(d, T0, 1)]
    assert stored(database, 'tbl_digital_value_latest', [d]) == [(d, T0, 1)]
    stats = writer.stats()
    assert stats.written == 7 and stats.rejected == 0 and stats.spooled == 0


def test_a_refused_row_is_isolated_and_the_rest_written(writer: ReadingWriter, database: Database) -> None:
    good = point_ids(40)
    bad = point_ids(1)[0]
    batch = [Reading(p, ANALOG, T0, D(p % 100)) for p in good[:20]]
    batch.append(Reading(bad, ANALOG, T0, D('1e17')))  # bypassing scale(): out of DECIMAL(21,6)
    batch += [Reading(p, ANALOG, T0, D(p % 100)) for p in good[20:]]
    writer.submit(batch)
    assert writer.wait_idle(20)
    assert [row[0] for row in stored(database, 'tbl_analog_value', good + [bad])] == good
    assert writer.stats().rejected == 1


def test_an_unreachable_database_spools_and_replays_in_order(database: Database, settings: Any, tmp_path: Path) -> None:
    dead = {k: dataclasses.replace(c, port=1) for k, c in settings.databases.items()}  # nothing listens on port 1
    down = Database(dataclasses.replace(settings, databases=dead))
    spool_dir = tmp_path / 'spool'
    point = point_ids(1)[0]
    readings = [Reading(point, ENERGY, T0 + timedelta(seconds=i), D(i)) for i in range(120)]
    w = ReadingWriter(down, spool_dir, flush_interval=0.05, batch_size=25, retry_max_seconds=0.1)
    w.start()
    w.submit(readings[:60])
    w.submit(readings[60:90])
    assert not w.wait_idle(1.0)
    w.stop()  # the process ends during the outage: everything stays on disk
    assert w.stats().spool_readings == 90 and w.stats().written == 0
    assert stored(database, 'tbl_energy_value', [point]) == []

    again = ReadingWriter(database, spool_dir, flush_interval=0.05, batch_size=25)  # restarted, database back
    again.start()
    again.submit(readings[90:])
    assert again.wait_idle(20)
    again.stop()
    rows = stored(database, 'tbl_energy_value', [point])
    assert [(r[1], r[2]) for r in rows] == [(x.utc_date_time, D(x.actual_value)) for x in readings]
    assert stored(database, 'tbl_energy_value_latest', [point])[0][1] == readings[-1].utc_date_time
    assert again.stats().replayed == 90 and list(spool_dir.iterdir()) == []
    down.close()


def test_a_spool_the_disk_refuses_keeps_readings_in_memory(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    dead = {k: dataclasses.replace(c, port=1) for k, c in settings.databases.items()}
    down = Database(dataclasses.replace(settings, databases=dead))
    w = ReadingWriter(down, tmp_path / 'spool', flush_interval=0.05, retry_max_seconds=0.1)
    w.submit([Reading(1, ENERGY, T0, D(1))])
    w.start()
    w.submit([Reading(1, ENERGY, T0 + timedelta(seconds=1), D(2))])
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full)
    time.sleep(0.5)
    assert w.stats().queued == 2 and w.stats().spool_readings == 0
    assert [p.stat().st_size for p in (tmp_path / 'spool').iterdir()] in ([], [0])  # no half-written line left
    monkeypatch.setattr(os, 'fsync', real_fsync)
    time.sleep(0.5)
    w.stop()
    assert w.stats().queued == 0 and w.stats().spool_readings == 2
    segment = Spool(tmp_path / 'spool', 1_000_000).oldest()
    assert segment is not None and [r.actual_value for r in segment[1]] == [D(1), D(2)]
    down.close()
