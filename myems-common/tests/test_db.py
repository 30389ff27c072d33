from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from myems_common.db import Database, Pool, bulk_insert, bulk_upsert, fetch_sets, quote_identifier

TABLE = 'tbl_test_upsert'


@pytest.fixture
def scratch(database: Database) -> Database:
    with database.transaction('energy') as cur:
        cur.execute(f'DROP TABLE IF EXISTS {TABLE}')
        cur.execute(
            f'CREATE TABLE {TABLE} (k INT NOT NULL, t VARCHAR(20) NOT NULL, v DECIMAL(21,6) NOT NULL,'
            ' note VARCHAR(20) NULL, PRIMARY KEY (k, t))'
        )
    return database


def rows_of(db: Database) -> list[tuple[Any, ...]]:
    return db.fetch_all('energy', f'SELECT k, t, v, note FROM {TABLE} ORDER BY k, t')


def test_bulk_upsert_inserts_then_updates_only_the_named_columns(scratch: Database) -> None:
    with scratch.transaction('energy') as cur:
        sent = bulk_upsert(
            cur, TABLE, ('k', 't', 'v', 'note'), [(i, 'a', Decimal(i), 'first') for i in range(5000)], batch_size=700
        )
    assert sent == 5000
    with scratch.transaction('energy') as cur:
        bulk_upsert(cur, TABLE, ('k', 't', 'v', 'note'), [(1, 'a', Decimal('9.5'), 'second')], update=('v',))
    rows = rows_of(scratch)
    assert len(rows) == 5000
    assert rows[1] == (1, 'a', Decimal('9.500000'), 'first')


def test_bulk_upsert_with_no_update_columns_keeps_existing_rows(scratch: Database) -> None:
    with scratch.transaction('energy') as cur:
        bulk_insert(cur, TABLE, ('k', 't', 'v'), [(1, 'a', 1), (2, 'a', 2)])
        bulk_upsert(cur, TABLE, ('k', 't', 'v'), [(1, 'a', 100), (3, 'a', 3)], update=())
    assert [(k, v) for k, _, v, _ in rows_of(scratch)] == [(1, Decimal(1)), (2, Decimal(2)), (3, Decimal(3))]


def test_a_failed_transaction_writes_nothing(scratch: Database) -> None:
    with pytest.raises(RuntimeError):
        with scratch.transaction('energy') as cur:
            bulk_insert(cur, TABLE, ('k', 't', 'v'), [(1, 'a', 1)])
            raise RuntimeError('boom')
    assert rows_of(scratch) == []
    with pytest.raises(Exception, match='Duplicate'):
        with scratch.transaction('energy') as cur:
            bulk_insert(cur, TABLE, ('k', 't', 'v'), [(1, 'a', 1), (2, 'a', 2), (1, 'a', 3)])
    assert rows_of(scratch) == []


def test_strict_mode_refuses_bad_values(scratch: Database) -> None:
    with pytest.raises(Exception, match='Incorrect|Out of range|truncated'):
        with scratch.transaction('energy') as cur:
            cur.execute(f'INSERT INTO {TABLE} (k, t, v) VALUES (1, %s, %s)', ('a', 'not a number'))
    assert rows_of(scratch) == []


def test_sessions_run_in_utc(database: Database) -> None:
    assert database.fetch_one('system', 'SELECT @@session.time_zone')[0] == '+00:00'


def test_identifiers_are_checked() -> None:
    assert quote_identifier('tbl_meters') == '`tbl_meters`'
    for bad in ('a b', 'x`; DROP TABLE y', '', '1abc'):
        with pytest.raises(ValueError):
            quote_identifier(bad)


def test_pool_reuses_connections_and_blocks_when_exhausted(settings: Any) -> None:
    pool = Pool(settings.db('system'), size=2)
    with pool.connection() as first:
        first_id = id(first)
    with pool.connection() as again:
        assert id(again) == first_id
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pool.connection(), pool.connection():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(5)
    with pytest.raises(TimeoutError):
        with pool.connection(timeout=0.2):
            pass
    release.set()
    worker.join()
    with pool.connection(timeout=5) as conn:  # freed slots are lent again
        assert conn.is_connected()
    pool.close()


def test_transient_errors_are_told_apart() -> None:
    import mysql.connector.errors as errors

    from myems_common.db import is_transient

    assert is_transient(errors.OperationalError(msg='gone', errno=2013))
    assert is_transient(errors.InterfaceError(msg='lost', errno=2055))
    assert is_transient(errors.DatabaseError(msg='deadlock', errno=1213))
    assert not is_transient(errors.InterfaceError(msg='Python type X cannot be converted', errno=-1))
    assert not is_transient(errors.IntegrityError(msg='duplicate', errno=1062))


def test_several_reads_go_in_one_round_trip_and_reads_see_the_latest_commit(scratch: Database) -> None:
    with scratch.transaction('energy') as cur:
        cur.execute(f"INSERT INTO {TABLE} (k, t, v) VALUES (7, 'a', 1.5)")
    with scratch.read('energy') as cur:
        first, second, none = fetch_sets(
            cur,
            [
                (f'SELECT k, v FROM {TABLE} WHERE k = %s', (7,)),
                ('SELECT %s + 1', (41,)),
                ('SELECT 1 FROM DUAL WHERE 1 = 0', ()),
            ],
        )
        assert first == [(7, Decimal('1.5'))] and second == [(42,)] and none == []
        with scratch.transaction('energy') as other:  # committed by another connection meanwhile
            other.execute(f'UPDATE {TABLE} SET v = 2 WHERE k = 7')
        cur.execute(f'SELECT v FROM {TABLE} WHERE k = 7')  # no snapshot held over from the statement before
        assert cur.fetchall() == [(Decimal('2'),)]
        assert fetch_sets(cur, []) == []


def test_a_later_read_fails_with_the_connectors_error(scratch: Database) -> None:
    """The C extension raises its own type for the second statement's error; fetch_sets raises the connector's
    (so `is_transient` and the API's error mapping see it)."""
    import mysql.connector

    with scratch.read('energy') as cur:
        with pytest.raises(mysql.connector.Error) as raised:
            fetch_sets(cur, [('SELECT 1', ()), ('SELECT * FROM no_such_table_here', ())])
    assert raised.value.errno == 1146


def test_a_batched_cursor_sends_its_writes_with_the_next_read_and_raises_what_they_raise(scratch: Database) -> None:
    import mysql.connector.errors as errors

    from myems_common.db import BatchedCursor

    with scratch.transaction('energy') as plain:
        cur = BatchedCursor(plain)
        cur.execute(f"INSERT INTO {TABLE} (k, t, v) VALUES (1, 'a', 1)")
        cur.execute(f'INSERT INTO {TABLE} (k, t, v, note) VALUES (%s, %s, %s, %s)', (2, 'a', Decimal('2.5'), 'x'))
        assert len(cur.waiting) == 2  # nothing sent yet
        cur.execute(f'SELECT k, v FROM {TABLE} WHERE k <= %s ORDER BY k', (2,))  # the writes go with it
        assert cur.fetchall() == [(1, Decimal(1)), (2, Decimal('2.5'))]
        cur.execute(f'UPDATE {TABLE} SET note = %s', ('y',))
        assert cur.rowcount == 2  # anything asked of the cursor sees the writes before it
        cur.execute(f"DELETE FROM {TABLE} WHERE t LIKE 'a%'")  # a literal %: sent on its own
        cur.flush()
    assert rows_of(scratch) == []
    with pytest.raises(errors.IntegrityError), scratch.transaction('energy') as plain:
        cur = BatchedCursor(plain)
        cur.execute(f"INSERT INTO {TABLE} (k, t, v) VALUES (3, 'a', 3)")
        cur.execute(f"INSERT INTO {TABLE} (k, t, v) VALUES (3, 'a', 3)")  # the second statement fails
        cur.flush()
    assert rows_of(scratch) == []  # rolled back with the transaction


def test_the_dimensions_of_several_lookups_are_found_together(scratch: Database) -> None:
    from myems_common.slotstore import dimensions_of, dimensions_of_each

    with scratch.transaction('energy') as cur:
        bulk_insert(cur, TABLE, ('k', 't', 'v'), [(k, t, 1) for k, ts in ((1, 'abc'), (2, 'b'), (4, 'cd')) for t in ts])
    lookups = [(TABLE, 'k = %s', [k], 't') for k in (1, 2, 3, 4)]
    with scratch.read('energy') as cur:
        found = dimensions_of_each(cur, lookups)
        assert found == [['a', 'b', 'c'], ['b'], [], ['c', 'd']]
        assert found == [dimensions_of(cur, *lookup) for lookup in lookups]
        assert dimensions_of_each(cur, []) == []
    with scratch.read('energy', raw=True) as cur:  # a raw cursor's integers
        assert dimensions_of_each(cur, [(TABLE, "t = 'b'", [], 'k')]) == [[1, 2]]
