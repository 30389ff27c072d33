"""Questions about a live schema, asked of information_schema (portable across MySQL 8 and MariaDB).

Migrations use these to be idempotent: they check before they change, because DDL cannot be rolled
back on either server.
"""

from __future__ import annotations

from typing import Any


def table_exists(cur: Any, database: str, table: str) -> bool:
    cur.execute(
        'SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s',
        (database, table),
    )
    return bool(cur.fetchone()[0])


def column_exists(cur: Any, database: str, table: str, column: str) -> bool:
    cur.execute(
        'SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s'
        ' AND COLUMN_NAME = %s',
        (database, table, column),
    )
    return bool(cur.fetchone()[0])


def unique_indexes(cur: Any, database: str, table: str) -> dict[str, tuple[str, ...]]:
    """Unique indexes (the primary key included) of a table: name -> columns in index order."""
    cur.execute(
        'SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS'
        ' WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX',
        (database, table),
    )
    indexes: dict[str, list[str]] = {}
    for name, column in cur.fetchall():
        indexes.setdefault(name, []).append(column)
    return {name: tuple(columns) for name, columns in indexes.items()}


def has_unique(cur: Any, database: str, table: str, columns: tuple[str, ...]) -> bool:
    """True if some unique index covers exactly `columns` (in any order)."""
    wanted = set(columns)
    return any(set(cols) == wanted for cols in unique_indexes(cur, database, table).values())


def tables(cur: Any, database: str) -> list[str]:
    cur.execute(
        'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME', (database,)
    )
    return [row[0] for row in cur.fetchall()]


def columns(cur: Any, database: str, table: str) -> list[str]:
    cur.execute(
        'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s'
        ' ORDER BY ORDINAL_POSITION',
        (database, table),
    )
    return [row[0] for row in cur.fetchall()]
