"""Fixtures for API tests: the app over the test databases, and signed-in users of each role."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from falcon import testing

from myems_api.app import create_app
from myems_api.auth import new_token, token_hash
from myems_common.db import Database
from myems_common.passwords import hash_password

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
