"""Fixtures for API tests: the app over the test databases, and signed-in users of each role."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from falcon import testing

from myems_api.app import create_app
from myems_api.auth import new_token, token_hash
from myems_common.db import Database
from myems_common.passwords import hash_password
from myems_common.registry import ENTRIES

FAR_FUTURE = datetime(2099, 1, 1)


@pytest.fixture(scope='session')
def api(settings: Any, database: Database) -> testing.TestClient:
    """A Falcon test client over create_app(settings) and the session's fresh databases."""
    return testing.TestClient(create_app(settings, database))


def create_user(
    database: Database,
    name: str,
    is_admin: bool = False,
    is_read_only: bool = False,
    spaces: list[int] | None = None,
    password: str = 'Secret#Pass1',
) -> dict[str, Any]:
    """A user row (and a privilege when `spaces` is given); returns id, uuid, name and password."""
    user_uuid = str(uuid.uuid4())
    with database.transaction('user') as cur:
        privilege_id = None
        if spaces is not None:
            cur.execute(
                'INSERT INTO tbl_privileges (name, data) VALUES (%s, %s)',
                (f'{name}-privilege', json.dumps({'spaces': spaces})),
            )
            privilege_id = cur.lastrowid
        cur.execute(
            'INSERT INTO tbl_users (name, uuid, display_name, email, salt, password, is_admin, is_read_only,'
            ' privilege_id, account_expiration_datetime_utc, password_expiration_datetime_utc)'
            ' VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)',
            (
                name,
                user_uuid,
                name.title(),
                f'{name}@example.com',
                '',
                hash_password(password, n=2**10),
                is_admin,
                is_read_only,
                privilege_id,
                FAR_FUTURE,
                FAR_FUTURE,
            ),
        )
        user_id = cur.lastrowid
    return {'id': user_id, 'uuid': user_uuid, 'name': name, 'password': password}


def open_session(database: Database, user: dict[str, Any], expires: datetime = FAR_FUTURE) -> dict[str, str]:
    """Headers of a new session for `user` (stored hashed, as login does)."""
    token = new_token()
    with database.transaction('user') as cur:
        cur.execute(
            'INSERT INTO tbl_sessions (user_uuid, token, utc_expires) VALUES (%s, %s, %s)',
            (user['uuid'], token_hash(token), expires),
        )
    return {'USER-UUID': user['uuid'], 'TOKEN': token}


@pytest.fixture(scope='session')
def make_user(database: Database) -> Callable[..., dict[str, Any]]:
    counter = iter(range(1, 10**6))

    def make(prefix: str = 'user', **options: Any) -> dict[str, Any]:
        return create_user(database, f'{prefix}{next(counter)}{uuid.uuid4().hex[:6]}', **options)

    return make


@pytest.fixture(scope='session')
def admin_headers(database: Database, make_user: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """An administrator who may write."""
    return open_session(database, make_user('admin', is_admin=True))


# ------------------------------------------------------------------------- entity factory (tests/factory.py)
def load_sibling(name: str) -> ModuleType:
    """A helper module next to this conftest (tests run with --import-mode=importlib, not on sys.path)."""
    key = f'myems_api_tests_{name}'
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name(f'{name}.py'))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@pytest.fixture(scope='session')
def factory(api: testing.TestClient, admin_headers: dict[str, str]) -> Any:
    """A factory.Factory: valid bodies for any registry entity, referenced rows created through the API."""
    return load_sibling('factory').Factory(api, admin_headers)


@pytest.fixture(scope='session')
def helpers() -> ModuleType:
    """The factory module itself (assert_matches, decode, is_read_only, ...)."""
    return load_sibling('factory')


def table_counts(database: Database) -> dict[str, int]:
    """Rows in every registry table, every link table and the audit log (one query each database).

    A refused request must leave all of them unchanged.
    """
    by_database: dict[str, set[str]] = {}
    for e in ENTRIES:
        by_database.setdefault(e.database, set()).update(
            {e.table, *(r.table for r in e.relations), *(c.table for c in e.children)}
        )
    counts: dict[str, int] = {}
    for key, tables in by_database.items():
        union = ' UNION ALL '.join(f"SELECT '{t}', COUNT(*) FROM `{t}`" for t in sorted(tables))
        with database.transaction(key) as cur:
            cur.execute(union)
            counts.update({name: number for name, number in cur.fetchall()})
    with database.transaction('user') as cur:
        cur.execute('SELECT COUNT(*) FROM tbl_logs')
        counts['user.tbl_logs'] = cur.fetchone()[0]
    return counts


@pytest.fixture(scope='session')
def counts(database: Database) -> Callable[[], dict[str, int]]:
    """counts() -> rows per system table plus user.tbl_logs."""
    return lambda: table_counts(database)


@pytest.fixture(scope='session')
def sign_in(database: Database) -> Callable[..., dict[str, str]]:
    """sign_in(user, expires=FAR_FUTURE) -> USER-UUID and TOKEN headers of a new session."""
    return lambda user, expires=FAR_FUTURE: open_session(database, user, expires)


@pytest.fixture(scope='session')
def make_api_key(database: Database) -> Callable[..., dict[str, str]]:
    """make_api_key(expires=FAR_FUTURE) -> API-KEY headers of a new key (stored hashed, as the API expects)."""

    def make(expires: datetime = FAR_FUTURE) -> dict[str, str]:
        key = new_token()
        with database.transaction('user') as cur:
            cur.execute(
                'INSERT INTO tbl_api_keys (name, token, created_datetime_utc, expires_datetime_utc)'
                ' VALUES (%s, %s, UTC_TIMESTAMP(), %s)',
                (f'key-{uuid.uuid4().hex[:8]}', token_hash(key), expires),
            )
        return {'API-KEY': key}

    return make


@pytest.fixture(scope='session')
def workflow_service() -> Any:
    """A workflow (ticket) service on loopback; `settings_for(settings)` points settings at it."""
    service = load_sibling('workflow').WorkflowService().start()
    yield service
    service.stop()
