"""What the user-database resources share: field checks, password policy, lockout, sessions, audit.

Everything here works on a cursor of `myems_user_db`. Datetimes are stored as naive UTC and shown,
as MyEMS does, as local wall time at UTC_OFFSET without an offset ('2025-01-01T08:00:00').
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import falcon

from myems_api.auth import Identity, require_writer
from myems_api.context import Services, to_json
from myems_api.errors import ApiError, bad_request
from myems_api.store import taken
from myems_common.passwords import hash_password, salt_of
from myems_common.timeutil import utc_now

MIN_PASSWORD = 8
MAX_PASSWORD = 100
PASSWORD_LIFETIME = timedelta(days=365)
SECRET_KEYS = frozenset({'password', 'old_password', 'new_password', 'token', 'verification_code', 'salt'})
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s.]+$')
PHONE = re.compile(r'^\+?\d{8,19}$')
ANONYMOUS = 'anonymous'

USER_COLUMNS = (
    'u.id, u.name, u.display_name, u.uuid, u.email, u.phone, u.is_admin, u.is_read_only, p.id, p.name,'
    ' u.account_expiration_datetime_utc, u.password_expiration_datetime_utc, u.failed_login_count,'
    ' u.last_failed_login_datetime_utc'
)
USER_FROM = ' FROM tbl_users u LEFT JOIN tbl_privileges p ON p.id = u.privilege_id'


# ------------------------------------------------------------------------------------ request fields
def text(data: dict[str, Any], key: str, code: str, max_length: int, required: bool = True) -> str | None:
    """A trimmed, non-empty string of at most `max_length` characters (None when optional and absent)."""
    raw = data.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip() and not required):
        if required:
            raise bad_request(code, f'{key} is required')
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise bad_request(code, f'{key} must be a non-empty string, got {raw!r}')
    value = raw.strip()
    if len(value) > max_length:
        raise bad_request(code, f'{key} has {len(value)} characters; at most {max_length} are allowed')
    return value


def required_text(data: dict[str, Any], key: str, code: str, max_length: int) -> str:
    value = text(data, key, code, max_length)
    assert value is not None
    return value


def email(data: dict[str, Any], key: str = 'email', code: str = 'API.INVALID_EMAIL') -> str:
    value = required_text(data, key, code, 128).lower()
    if len(value) > 128 or not EMAIL.match(value):
        raise bad_request(code, f'{key} {value!r} is not an e-mail address')
    return value


def phone(data: dict[str, Any]) -> str | None:
    value = text(data, 'phone', 'API.INVALID_PHONE', 20, required=False)
    if value is not None and not PHONE.match(value):
        raise bad_request('API.INVALID_PHONE', f'phone {value!r} must be 8 to 19 digits, optionally after a +')
    return value


def flag(data: dict[str, Any], key: str, code: str) -> bool:
    raw = data.get(key)
    if not isinstance(raw, bool):
        raise bad_request(code, f'{key} must be true or false, got {raw!r}')
    return raw


def optional_id(data: dict[str, Any], key: str, code: str) -> int | None:
    raw = data.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**63:
        raise bad_request(code, f'{key} must be a positive integer, got {raw!r}')
    return raw


def local_datetime(services: Services, data: dict[str, Any], key: str, code: str) -> datetime:
    """A datetime given as local wall time at UTC_OFFSET (or with an explicit offset), as naive UTC."""
    raw = data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        raise bad_request(code, f'{key} is required, like 2030-12-31T23:59:59')
    try:
        value = datetime.fromisoformat(raw.strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=services.parser.offset)
        value = value.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    except (ValueError, OverflowError):
        raise bad_request(code, f'{key} {raw!r} is not a datetime like 2030-12-31T23:59:59') from None
    if not 1900 <= value.year <= 9998:
        raise bad_request(code, f'{key} {raw!r} lies outside the years 1900 to 9998')
    return value


def local_text(services: Services, value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value.replace(tzinfo=UTC).astimezone(services.parser.offset)).isoformat()[:19]


def password(data: dict[str, Any], key: str = 'password', code: str = 'API.INVALID_PASSWORD') -> str:
    """A new password meeting the policy: 8 to 100 characters after trimming."""
    raw = data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        raise bad_request(code, f'{key} is required and must be a non-empty string')
    value = raw.strip()
    if len(value) > MAX_PASSWORD:
        raise bad_request(
            'API.PASSWORD_LENGTH_CANNOT_EXCEED_100_CHARACTERS', f'{key} has {len(value)} characters; at most 100'
        )
    if len(value) < MIN_PASSWORD:
        raise bad_request(
            'API.PASSWORD_LENGTH_MUST_BE_AT_LEAST_8_CHARACTERS',
            f'{key} has {len(value)} characters; at least {MIN_PASSWORD} are required',
        )
    return value


def hashed(plain: str) -> tuple[str, str]:
    """(password, salt) columns for a new password."""
    stored = hash_password(plain)
    return stored, salt_of(stored)


def renewed_expiry(current: datetime) -> datetime:
    """A new password lives at least PASSWORD_LIFETIME; a later expiry set by an administrator stays."""
    return max(current, utc_now() + PASSWORD_LIFETIME)


# ---------------------------------------------------------------------------------- who may do what
def admin_reader(services: Services, req: falcon.Request) -> Identity:
    """An administrator (read-only ones included) or an API key."""
    identity, _ = services.who(req)
    if not identity.is_admin:
        raise ApiError(403, 'API.FORBIDDEN', 'only an administrator may read this')
    no_cache(req)
    return identity


def writer(services: Services, req: falcon.Request) -> Identity:
    identity, _ = services.who(req)
    require_writer(identity)
    return identity


def media(req: falcon.Request) -> Any:
    """The JSON body; an empty one is None, so it gets the same clear error as any malformed body."""
    return req.get_media(default_when_empty=None)


def no_cache(req: falcon.Request) -> None:
    """Keep per-user answers out of the optional response cache (its key does not name the user)."""
    req.context.cache_key = None


# ------------------------------------------------------------------------------------ lockout, users
def is_locked(services: Services, count: int, last_failed: datetime | None, now: datetime | None = None) -> bool:
    """Locked after MAXIMUM_FAILED_LOGIN_COUNT failures, until LOCKOUT_MINUTES after the last one."""
    settings = services.settings
    if count < settings.maximum_failed_login_count:
        return False
    if settings.lockout_minutes == 0 or last_failed is None:
        return True
    return (now or utc_now()) < last_failed + timedelta(minutes=settings.lockout_minutes)


def user_json(services: Services, row: tuple[Any, ...]) -> dict[str, Any]:
    """MyEMS's user object from a row selected with USER_COLUMNS (never a password, salt or token)."""
    is_admin = bool(row[6])
    return {
        'id': row[0],
        'name': row[1],
        'display_name': row[2],
        'uuid': row[3],
        'email': row[4],
        'phone': row[5],
        'is_admin': is_admin,
        'is_read_only': bool(row[7]) if is_admin else None,
        'privilege': {'id': row[8], 'name': row[9]} if row[8] is not None else None,
        'account_expiration_datetime': local_text(services, row[10]),
        'password_expiration_datetime': local_text(services, row[11]),
        'is_locked': is_locked(services, row[12], row[13]),
    }


def end_sessions(cur: Any, user_uuid: str, keep_token_hash: str | None = None) -> int:
    """Delete the user's sessions (all, or all but one); returns how many ended."""
    if keep_token_hash is None:
        cur.execute('DELETE FROM tbl_sessions WHERE user_uuid = %s', (user_uuid,))
    else:
        cur.execute('DELETE FROM tbl_sessions WHERE user_uuid = %s AND token <> %s', (user_uuid, keep_token_hash))
    return int(cur.rowcount)


def check_unique(cur: Any, values: dict[str, Any], tables: tuple[str, ...], except_id: int | None = None) -> None:
    """Name, e-mail and phone are free in every table of `tables` (the first one may exempt one row)."""
    codes = (
        ('name', 'API.USER_NAME_IS_ALREADY_IN_USE'),
        ('email', 'API.EMAIL_IS_ALREADY_IN_USE'),
        ('phone', 'API.PHONE_IS_ALREADY_IN_USE'),
    )
    for column, code in codes:
        for index, table in enumerate(tables):
            if taken(cur, table, column, values.get(column), except_id if index == 0 else None):
                raise bad_request(code, f'{column} {values[column]!r} is already in use')


def check_privilege(cur: Any, privilege_id: int | None) -> None:
    if privilege_id is not None and not taken(cur, 'tbl_privileges', 'id', privilege_id):
        raise bad_request('API.PRIVILEGE_NOT_FOUND', f'privilege {privilege_id} does not exist')


# ------------------------------------------------------------------------------------------- audit
def redact(value: Any) -> Any:
    """A copy of a request body with every secret replaced by '***'."""
    if isinstance(value, dict):
        return {k: '***' if k in SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def audit(
    cur: Any, actor: str, method: str, resource: str, resource_id: int | None, change: dict[str, Any] | None = None
) -> None:
    """One tbl_logs row in the caller's user-database transaction; secrets are never written."""
    body = json.dumps(to_json(redact(change or {})), ensure_ascii=False, default=str)
    cur.execute(
        'INSERT INTO tbl_logs (user_uuid, request_datetime_utc, request_method, resource_type, resource_id,'
        ' request_body) VALUES (%s, %s, %s, %s, %s, %s)',
        (actor[:36], utc_now(), method, resource, resource_id, body),
    )


def date_range(services: Services, req: falcon.Request, column: str) -> tuple[str, list[Any]]:
    """A WHERE clause for the optional startdatetime/enddatetime query parameters (local time)."""
    bounds: list[Any] = []
    clauses = []
    for param, op, code in (
        ('startdatetime', '>=', 'API.INVALID_START_DATETIME_FORMAT'),
        ('enddatetime', '<', 'API.INVALID_END_DATETIME_FORMAT'),
    ):
        raw = req.get_param(param)
        if raw is not None:
            bounds.append(local_datetime(services, {param: raw}, param, code))
            clauses.append(f'{column} {op} %s')
    if len(bounds) == 2 and bounds[0] >= bounds[1]:
        raise bad_request('API.START_DATETIME_MUST_BE_EARLIER_THAN_END_DATETIME', 'startdatetime must be earlier')
    return (' WHERE ' + ' AND '.join(clauses) if clauses else ''), bounds
