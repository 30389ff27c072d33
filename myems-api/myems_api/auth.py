"""Who is calling: a user session (USER-UUID + TOKEN headers) or an API key (API-KEY header).

Session tokens and API keys are random, shown once, and stored only as SHA-256 hashes, so a copy of
the database does not hand out sessions. Status codes follow MyEMS (a missing session is 404
USER_SESSION_NOT_FOUND, an expired one 400 USER_SESSION_TIMEOUT) so its clients react as before.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import falcon

from myems_api.errors import ApiError
from myems_common.timeutil import utc_now


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


def new_token() -> str:
    return secrets.token_hex(32)


@dataclass(frozen=True)
class Identity:
    kind: str  # 'user' or 'api_key'
    name: str
    user_uuid: str | None = None
    user_id: int | None = None
    is_admin: bool = False
    is_read_only: bool = True
    space_ids: tuple[int, ...] | None = None  # the roots of the user's subtrees; None = unscoped

    @property
    def can_write(self) -> bool:
        return self.kind == 'user' and self.is_admin and not self.is_read_only

    @property
    def scoped(self) -> bool:
        return self.space_ids is not None

    @property
    def actor(self) -> str:
        return self.user_uuid or f'api-key:{self.name}'


def _privilege_spaces(data: str | None) -> tuple[int, ...] | None:
    """Space ids from a privilege's JSON ({"spaces": [ids]}); None when it names none."""
    if not data:
        return None
    try:
        parsed = json.loads(data)
    except ValueError:
        return ()
    spaces = parsed.get('spaces') if isinstance(parsed, dict) else None
    if not isinstance(spaces, list):
        return ()
    return tuple(int(s) for s in spaces if isinstance(s, int) and not isinstance(s, bool))


def _api_key(cur: Any, key: str) -> Identity:
    cur.execute('SELECT name, expires_datetime_utc FROM tbl_api_keys WHERE token = %s', (token_hash(key),))
    row = cur.fetchone()
    if row is None:
        raise ApiError(400, 'API.INVALID_API_KEY', 'the API-KEY header does not match any API key')
    if row[1] <= utc_now():
        raise ApiError(400, 'API.API_KEY_HAS_EXPIRED', f'API key {row[0]!r} has expired')
    return Identity('api_key', row[0], is_admin=False, is_read_only=True)  # reads everything but user admin


def _session(cur: Any, user_uuid: str, token: str) -> Identity:
    """One round trip: the session, its user and the user's privilege."""
    cur.execute(
        'SELECT s.utc_expires, u.id, u.name, u.is_admin, u.is_read_only, p.data FROM tbl_sessions s'
        ' LEFT JOIN tbl_users u ON u.uuid = s.user_uuid LEFT JOIN tbl_privileges p ON p.id = u.privilege_id'
        ' WHERE s.user_uuid = %s AND s.token = %s',
        (user_uuid, token_hash(token)),
    )
    row = cur.fetchone()
    if row is None:
        raise ApiError(404, 'API.USER_SESSION_NOT_FOUND', 'no open session for this USER-UUID and TOKEN; sign in')
    expires, user_id, name, is_admin, is_read_only, privilege = row
    if expires <= utc_now():
        raise ApiError(400, 'API.USER_SESSION_TIMEOUT', 'the session has expired; sign in again')
    if user_id is None:
        raise ApiError(404, 'API.USER_NOT_FOUND', 'the session belongs to a user that no longer exists')
    spaces = None if is_admin else _privilege_spaces(privilege)
    return Identity('user', name, user_uuid, user_id, bool(is_admin), bool(is_read_only), spaces)


def identify(req: falcon.Request, user_db: Any) -> Identity:
    """The caller's identity, or an ApiError if the credentials are missing or wrong."""
    key = (req.get_header('API-KEY') or '').strip()
    user_uuid = (req.get_header('USER-UUID') or '').strip()
    token = (req.get_header('TOKEN') or '').strip()
    if not key and not (user_uuid and token):
        raise ApiError(401, 'API.UNAUTHORIZED', 'sign in and send USER-UUID and TOKEN headers, or an API-KEY header')
    if len(key) > 256 or len(user_uuid) > 64 or len(token) > 256:
        raise ApiError(400, 'API.INVALID_CREDENTIALS', 'credential headers are too long')
    with user_db() as cur:
        return _api_key(cur, key) if key else _session(cur, user_uuid, token)


def require_writer(identity: Identity) -> None:
    if not identity.can_write:
        raise ApiError(403, 'API.FORBIDDEN', 'only an administrator who is not read-only may change configuration')
