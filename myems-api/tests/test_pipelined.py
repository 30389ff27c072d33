"""pipelined: dependent reads in one round trip when the guess is right, and the same answer when it is not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from myems_api.pipelined import fetch_sets, pipelined
from myems_common.db import Database

MARK = 'SELECT reach FROM pipelined_reach'


class Counting:
    """A real cursor that counts the statements (round trips) it sends."""

    def __init__(self, cur: Any) -> None:
        self.cur, self.sent = cur, 0

    def execute(self, sql: str, params: Any = None) -> None:
        self.sent += 1
        self.cur.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cur, name)


@pytest.fixture()
def cur(database: Database) -> Iterator[Any]:
    with database.read('system') as cursor:  # autocommit, as reports read
        cursor.execute('CREATE TEMPORARY TABLE pipelined_reach (reach INT)')
        cursor.execute('CREATE TEMPORARY TABLE pipelined_value (n INT, v INT)')
        cursor.execute('INSERT INTO pipelined_value VALUES (1, 10), (2, 20), (3, 30), (4, 40)')
        yield cursor
        cursor.execute('DROP TEMPORARY TABLE pipelined_reach, pipelined_value')


def work(cursor: Any) -> tuple[int, list[Any], list[list[Any]]]:
    """Reads how far to go, then the values up to there and, with fetch_sets, two more sums."""
    cursor.execute(MARK)
    reach = (cursor.fetchone() or (0,))[0]
    cursor.execute('SELECT n, v FROM pipelined_value WHERE n <= %s ORDER BY n', (reach,))
    values = cursor.fetchall()
    sums = fetch_sets(cursor, [('SELECT SUM(v) FROM pipelined_value WHERE n <= %s', (reach,)), ('SELECT 7', ())])
    return reach, [tuple(int(x) for x in row) for row in values], [[int(r[0] or 0) for r in s] for s in sums]


def guess(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
    return [(3,)] if sql == MARK else None


@pytest.mark.parametrize('reach', [3, 2, None])
def test_the_answer_is_the_plain_one_whatever_the_guess(cur: Any, reach: int | None) -> None:
    if reach is not None:
        cur.execute('INSERT INTO pipelined_reach VALUES (%s)', (reach,))
    plain = work(cur)
    counted = Counting(cur)
    assert pipelined(counted, work, guess) == plain
    assert counted.sent == (1 if reach == 3 else 3)  # a wrong guess costs a round trip per changed read


def test_a_right_guess_is_one_round_trip(cur: Any) -> None:
    cur.execute('INSERT INTO pipelined_reach VALUES (3)')
    counted = Counting(cur)
    assert pipelined(counted, work, guess) == (3, [(1, 10), (2, 20), (3, 30)], [[60], [7]])
    assert counted.sent == 1


def test_work_that_fails_on_the_guess_runs_plainly(cur: Any) -> None:
    def fussy(cursor: Any) -> int:
        cursor.execute('SELECT COUNT(*) FROM pipelined_value')
        return int(cursor.fetchone()[0])  # no row while recording: a TypeError there

    assert pipelined(cur, fussy, guess) == 4


def test_the_batch_leaves_no_transaction_open(cur: Any) -> None:
    cur.execute('INSERT INTO pipelined_reach VALUES (3)')
    counted = Counting(cur)
    pipelined(counted, work, guess)
    cur.execute('SELECT @@in_transaction')
    assert cur.fetchall() == [(0,)]


def test_a_failed_snapshot_is_rolled_back(cur: Any) -> None:
    def broken(cursor: Any) -> Any:
        cursor.execute(MARK)
        cursor.execute('SELECT * FROM pipelined_missing_table')
        return cursor.fetchall()

    with pytest.raises(Exception, match='pipelined_missing_table'):
        pipelined(cur, broken, guess)
    cur.execute('SELECT @@in_transaction')
    assert cur.fetchall() == [(0,)]


def test_the_recording_cursor_reads_like_a_real_one() -> None:
    from myems_api.pipelined import Recorder

    recorder = Recorder(lambda sql, params: [(1,), (2,), (3,)])
    recorder.execute('SELECT n')
    assert recorder.fetchone() == (1,) and recorder.fetchall() == [(2,), (3,)] and recorder.fetchone() is None
    recorder.execute('SELECT n')
    rows = recorder.fetchall()
    rows.append((4,))  # changing what it was given does not change the next answer
    recorder.execute('SELECT n')
    assert recorder.fetchall() == [(1,), (2,), (3,)]
