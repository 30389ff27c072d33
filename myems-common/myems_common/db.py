"""The one door to MySQL/MariaDB: a small pool per database, transactions and bulk upserts.

    db = Database(load_settings())
    with db.transaction('energy') as cur:
        bulk_upsert(cur, 'tbl_meter_hourly', ('meter_id', 'start_datetime_utc', 'actual_value'), rows,
                    update=('actual_value',))

SQL is always parameterised; identifiers passed to the helpers come from code, never from users, and
are still checked against a strict pattern.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import mysql.connector
from mysql.connector import errorcode
from mysql.connector.errors import get_mysql_exception

from myems_common.config import DatabaseConfig, Settings

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# Errors after which the same statement may succeed on a new connection or a later attempt.
TRANSIENT_ERRNOS = frozenset(
    {
        errorcode.CR_CONNECTION_ERROR,  # 2002 can't connect through the socket
        errorcode.CR_CONN_HOST_ERROR,  # 2003 can't connect
        errorcode.CR_SERVER_GONE_ERROR,  # 2006
        errorcode.CR_SERVER_LOST,  # 2013
        errorcode.CR_SERVER_LOST_EXTENDED,  # 2055
        errorcode.ER_LOCK_DEADLOCK,  # 1213
        errorcode.ER_LOCK_WAIT_TIMEOUT,  # 1205
        errorcode.ER_CON_COUNT_ERROR,  # 1040 too many connections
        errorcode.ER_SERVER_SHUTDOWN,  # 1053
        4031,  # client disconnected by the server for inactivity
    }
)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: lost connections, deadlocks, lock waits, a restarting server."""
    if isinstance(exc, mysql.connector.errors.OperationalError):
        return True
    # an InterfaceError is transient only when it is about the connection (a bad parameter is not)
    return isinstance(exc, mysql.connector.Error) and getattr(exc, 'errno', None) in TRANSIENT_ERRNOS


def quote_identifier(name: str) -> str:
    """Backquote a table or column name, refusing anything that is not a plain identifier."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f'not a plain SQL identifier: {name!r}')
    return f'`{name}`'


def connect(config: DatabaseConfig, **overrides: Any) -> Any:
    """A new connection in UTC with MySQL 8's strict sql_mode, C extension when available."""
    args: dict[str, Any] = {
        **config.connect_args(),
        'charset': 'utf8mb4',
        'collation': 'utf8mb4_unicode_ci',
        'time_zone': '+00:00',
        'autocommit': False,
        'connection_timeout': 10,
        'sql_mode': 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,'
        'ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
    }
    args.update(overrides)
    return mysql.connector.connect(**args)


class Pool:
    """A bounded LIFO pool of connections to one database; blocks when all are lent out."""

    def __init__(
        self, config: DatabaseConfig, size: int, idle_check_seconds: float = 30.0, autocommit: bool = False
    ) -> None:
        self.config = config
        self.size = size
        self.autocommit = autocommit
        self.idle_check_seconds = idle_check_seconds
        self._idle: queue.LifoQueue[tuple[Any, float]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def connection(self, timeout: float = 30.0) -> Iterator[Any]:
        if not self._slots.acquire(timeout=timeout):
            raise TimeoutError(f'no free connection to {self.config.database} within {timeout} s')
        conn = None
        try:
            conn = self._take()
            yield conn
        except BaseException:
            if conn is not None:
                self._discard(conn)
                conn = None
            raise
        finally:
            if conn is not None:
                self._idle.put((conn, time.monotonic()))
            self._slots.release()

    def _take(self) -> Any:
        while True:
            try:
                conn, since = self._idle.get_nowait()
            except queue.Empty:
                return connect(self.config, autocommit=self.autocommit)
            if time.monotonic() - since < self.idle_check_seconds:
                return conn
            try:
                conn.ping(reconnect=False)
                return conn
            except mysql.connector.Error:
                self._discard(conn)

    @staticmethod
    def _discard(conn: Any) -> None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped anyway
            log.debug('closing a broken connection failed', exc_info=True)

    def close(self) -> None:
        while True:
            try:
                conn, _ = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(conn)


class Database:
    """Pools for the thirteen databases, created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pools: dict[str, Pool] = {}
        self._lock = threading.Lock()

    def pool(self, key: str, autocommit: bool = False) -> Pool:
        name = f'{key}:read' if autocommit else key
        with self._lock:
            if name not in self._pools:
                self._pools[name] = Pool(self.settings.db(key), self.settings.pool_size, autocommit=autocommit)
            return self._pools[name]

    @contextmanager
    def read(self, key: str, raw: bool = False) -> Iterator[Any]:
        """A cursor for reads only, on a connection in autocommit mode: each statement sees the latest committed
        data and nothing is committed after it (a round trip saved). Statements are not one snapshot. `raw`:
        every value as the bytes the server sent (the driver's conversion skipped: many rows come faster)."""
        with self.pool(key, autocommit=True).connection() as conn:
            name = 'ems_raw_cursor' if raw else 'ems_cursor'
            cur = getattr(conn, name, None)
            if cur is None:
                cur = conn.cursor(raw=raw)
                setattr(conn, name, cur)
            yield cur

    @contextmanager
    def transaction(self, key: str) -> Iterator[Any]:
        """A cursor inside one transaction: committed on success, rolled back on any exception."""
        with self.pool(key).connection() as conn:
            # one cursor per connection, kept with it: the driver pings the server for every new cursor
            cur = getattr(conn, 'ems_cursor', None)
            if cur is None:
                cur = conn.ems_cursor = conn.cursor()
            try:
                yield cur
                conn.commit()
            except BaseException:
                try:
                    conn.rollback()
                except mysql.connector.Error:
                    log.debug('rollback failed on a broken connection', exc_info=True)
                raise

    def fetch_all(self, key: str, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        with self.read(key) as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def fetch_one(self, key: str, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple[Any, ...] | None:
        rows = self.fetch_all(key, sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


Statements = Sequence[tuple[str, Sequence[Any]]]


def joined(statements: Statements) -> tuple[str, list[Any]]:
    """Several statements as one multi-statement and its parameters."""
    return '; '.join(sql for sql, _ in statements), [p for _, params in statements for p in params]


def fetch_sets(cur: Any, statements: Statements, snapshot: bool = False) -> list[list[tuple[Any, ...]]]:
    """The rows of each of several read statements, sent in one round trip (`snapshot`: see fetch_named_sets)."""
    return fetch_named_sets(cur, statements, snapshot)[1] if statements else []


def fetch_named_sets(
    cur: Any, statements: Statements, snapshot: bool = False
) -> tuple[list[str], list[list[tuple[Any, ...]]]]:
    """The column names of the first statement, and the rows of each, sent in one round trip. `snapshot`: the
    statements read one snapshot (a read-only transaction around them; the cursor's connection must be in
    autocommit mode, `Database.read`). A failed snapshot is rolled back, so that its connection never goes back
    to a pool inside one."""
    sql, params = joined(statements)
    try:
        cur.execute(f'START TRANSACTION READ ONLY; {sql}; COMMIT' if snapshot else sql, params)
        return result_sets(cur)
    except Exception:
        if snapshot:
            try:
                cur.execute('ROLLBACK')
            except Exception:  # noqa: BLE001 - a broken connection is discarded by its pool anyway
                log.debug('rolling back a failed snapshot failed', exc_info=True)
        raise


def next_set(cur: Any) -> bool:
    """`cur.nextset()`, a later statement's error raised as the connector's own error (the C extension raises
    its own type there, which `is_transient` and the API's error mapping would not recognise)."""
    try:
        return bool(cur.nextset())
    except Exception as error:
        if isinstance(error, mysql.connector.Error) or not hasattr(error, 'errno'):
            raise
        errno, msg, state = error.errno, getattr(error, 'msg', None), getattr(error, 'sqlstate', None)
        raise get_mysql_exception(errno, msg=msg, sqlstate=state) from error


def result_sets(cur: Any) -> tuple[list[str], list[list[tuple[Any, ...]]]]:
    """After a multi-statement `execute`: the column names of the first result with rows, and the rows of each
    statement that returns rows (a transaction's START and COMMIT return none)."""
    names: list[str] | None = None
    found: list[list[tuple[Any, ...]]] = []
    while True:
        if cur.with_rows:
            names = list(cur.column_names) if names is None else names
            found.append(list(cur.fetchall()))
        if not next_set(cur):
            return names or [], found


_WRITES = ('INSERT', 'UPDATE', 'DELETE', 'REPLACE')


class BatchedCursor:
    """A cursor whose writes wait and go to the server with the next statement that returns rows, or with
    `flush`, all in one round trip (a multi-statement). A pipeline chunk's hourly rows, daily rows, watermark
    and its consumers' watermarks then cost one round trip instead of one each. Errors are raised by the
    statement that sends them (or `flush`), inside the same transaction. Anything else asked of the cursor
    (rowcount, fetchone, executemany, ...) sends what waits first, so it sees every statement before it."""

    MAX_WAITING = 1 << 20  # characters of SQL kept waiting at most

    def __init__(self, cur: Any) -> None:
        self.cur = cur
        self.waiting: list[tuple[str, Sequence[Any]]] = []
        self.size = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if not isinstance(params, list | tuple) or (not params and '%' in sql):
            self.flush()  # named parameters, or a literal % the joined statements' substitution would misread
            self.cur.execute(sql, params)
            return
        self.waiting.append((sql, params))
        self.size += len(sql)
        if not sql.lstrip()[:7].upper().startswith(_WRITES) or self.size > self.MAX_WAITING:
            self.flush()  # rows are wanted (or enough waits): the last statement's result is the cursor's

    def flush(self) -> None:
        """Send every waiting statement; the cursor then holds the last one's result."""
        if not self.waiting:
            return
        statements, self.waiting, self.size = self.waiting, [], 0
        self.cur.execute(*joined(statements))
        for _ in statements[1:]:
            next_set(self.cur)  # a later statement's error as the connector's (deadlock, ...)

    def __getattr__(self, name: str) -> Any:
        self.flush()
        return getattr(self.cur, name)


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_prefix(verb: str, table: str, columns: Sequence[str]) -> str:
    names = ', '.join(quote_identifier(c) for c in columns)
    return f'{verb} INTO {quote_identifier(table)} ({names}) VALUES '


def bulk_upsert(
    cur: Any,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    update: Sequence[str] | None = None,
    batch_size: int = 2000,
) -> int:
    """Insert rows in multi-row statements; on a unique-key clash, overwrite `update` columns.

    `update=None` overwrites every column; `update=()` keeps the existing row (INSERT IGNORE
    semantics without hiding other errors). Uses `VALUES(col)`, which MySQL 8 and MariaDB both run.
    Returns the number of rows sent.
    """
    columns = list(columns)
    targets = columns if update is None else list(update)
    if targets:
        assignments = ', '.join(f'{quote_identifier(c)} = VALUES({quote_identifier(c)})' for c in targets)
    else:
        first = quote_identifier(columns[0])
        assignments = f'{first} = {first}'
    prefix = _insert_prefix('INSERT', table, columns)
    placeholder = '(' + ', '.join(['%s'] * len(columns)) + ')'
    sent = 0
    for batch in _batches(rows, batch_size):
        sql = prefix + ', '.join([placeholder] * len(batch)) + ' ON DUPLICATE KEY UPDATE ' + assignments
        cur.execute(sql, [value for row in batch for value in row])
        sent += len(batch)
    return sent


def bulk_insert(
    cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], batch_size: int = 2000
) -> int:
    """Plain multi-row INSERT (a duplicate key is an error)."""
    prefix = _insert_prefix('INSERT', table, columns)
    placeholder = '(' + ', '.join(['%s'] * len(columns)) + ')'
    sent = 0
    for batch in _batches(rows, batch_size):
        cur.execute(prefix + ', '.join([placeholder] * len(batch)), [v for row in batch for v in row])
        sent += len(batch)
    return sent
