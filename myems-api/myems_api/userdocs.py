"""OpenAPI declarations of the user-database routes (see routedocs.py)."""

from __future__ import annotations

from typing import Any

from myems_api.routedocs import document


def _data(required: tuple[str, ...], **properties: dict[str, Any]) -> dict[str, Any]:
    """A MyEMS body: {"data": {...}} with the given properties."""
    inner = {'type': 'object', 'properties': properties, 'required': list(required)}
    return {'type': 'object', 'properties': {'data': inner}, 'required': ['data']}


S: dict[str, Any] = {'type': 'string'}
B: dict[str, Any] = {'type': 'boolean'}
I: dict[str, Any] = {'type': 'integer'}  # noqa: E741
DT: dict[str, Any] = {'type': 'string', 'description': 'local time at UTC_OFFSET, like 2030-12-31T23:59:59'}
PW: dict[str, Any] = {'type': 'string', 'minLength': 8, 'maxLength': 100}
OBJ: dict[str, Any] = {'type': 'object'}
LIST: dict[str, Any] = {'type': 'array', 'items': OBJ}
CREATED: dict[str, Any] = {'type': 'object', 'properties': {'id': I}}
RANGE = (('startdatetime', 'string', False), ('enddatetime', 'string', False))

PROFILE = {'name': S, 'display_name': S, 'email': S, 'phone': S}
ROLES = {
    'is_admin': B,
    'is_read_only': B,
    'privilege_id': I,
    'account_expiration_datetime': DT,
    'password_expiration_datetime': DT,
}
ROLE_KEYS = ('is_admin', 'account_expiration_datetime', 'password_expiration_datetime')
USER = _data(('name', 'display_name', 'email', *ROLE_KEYS), **PROFILE, **ROLES)
NEW_ACCOUNT = _data(('name', 'display_name', 'email', 'password', *ROLE_KEYS), **PROFILE, **ROLES, password=PW)
NEW_USER = _data(
    ('name', 'display_name', 'email', 'password', 'verification_code'), **PROFILE, password=PW, verification_code=S
)
PRIVILEGE = _data(('name', 'data'), name=S, data={'description': 'JSON text or object like {"spaces": [1]}'})
API_KEY = _data(('name', 'expires_datetime'), name=S, expires_datetime=DT)

ROUTES: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    ('/users', 'GET', 'Users (a non-administrator sees only itself)', 'user', {'response': LIST}),
    ('/users', 'POST', 'Create a user', 'admin', {'body': NEW_ACCOUNT, 'status': 201, 'response': CREATED}),
    ('/users/{id_}', 'GET', 'One user', 'user', {'response': OBJ}),
    ('/users/{id_}', 'PUT', 'Update a user (not its password)', 'admin', {'body': USER}),
    ('/users/{id_}', 'DELETE', 'Delete a user and end its sessions', 'admin', {'status': 204}),
    ('/users/login', 'PUT', 'Sign in with account (name, e-mail or phone), name or email, and password', 'none',
     {'body': _data(('password',), account=S, name=S, email=S, password=S), 'response': OBJ}),
    ('/users/logout', 'PUT', 'End the session named by the USER-UUID and TOKEN headers', 'none', {}),
    ('/users/changepassword', 'PUT', 'Change the own password; other sessions end', 'user',
     {'body': _data(('old_password', 'new_password'), old_password=S, new_password=PW)}),
    ('/users/resetpassword', 'PUT', "Set another user's password; its sessions end", 'admin',
     {'body': _data(('name', 'password'), name=S, password=PW)}),
    ('/users/unlock/{id_}', 'PUT', 'Unlock an account locked by failed sign-ins', 'admin', {}),
    ('/users/forgotpassword', 'PUT', 'Exchange a mailed verification code for a new password', 'none',
     {'body': _data(('email', 'verification_code', 'password'), email=S, verification_code=S, password=PW)}),
    ('/users/emailmessages', 'GET', 'Verification mails sent', 'admin', {'response': LIST, 'query': RANGE}),
    ('/users/emailmessages', 'POST', 'Mail a verification code to an address', 'none',
     {'body': _data(('recipient_email',), recipient_email=S), 'status': 201, 'response': CREATED}),
    ('/users/emailmessages/{id_}', 'GET', 'One verification mail', 'admin', {'response': OBJ}),
    ('/users/emailmessages/{id_}', 'PUT', 'Set the status of a mail', 'admin', {'body': _data(('status',), status=S)}),
    ('/users/emailmessages/{id_}', 'DELETE', 'Delete a mail record', 'admin', {'status': 204}),
    ('/users/newusers', 'GET', 'Registration requests waiting for approval', 'admin', {'response': LIST}),
    ('/users/newusers', 'POST', 'Ask for an account (needs a mailed verification code)', 'none',
     {'body': NEW_USER, 'status': 201, 'response': CREATED}),
    ('/users/newusers/{id_}', 'GET', 'One registration request', 'admin', {'response': OBJ}),
    ('/users/newusers/{id_}', 'PUT', 'Edit a registration request', 'admin',
     {'body': _data(('name', 'display_name', 'email'), **PROFILE)}),
    ('/users/newusers/{id_}', 'DELETE', 'Reject a registration request', 'admin', {'status': 204}),
    ('/users/newusers/{id_}/approve', 'PUT', 'Approve a request: it becomes a user', 'admin',
     {'body': _data(ROLE_KEYS, **ROLES), 'status': 201, 'response': CREATED}),
    ('/privileges', 'GET', 'Privileges', 'admin', {'response': LIST}),
    ('/privileges', 'POST', 'Create a privilege', 'admin', {'body': PRIVILEGE, 'status': 201, 'response': CREATED}),
    ('/privileges/{id_}', 'GET', 'One privilege', 'admin', {'response': OBJ}),
    ('/privileges/{id_}', 'PUT', 'Update a privilege', 'admin', {'body': PRIVILEGE}),
    ('/privileges/{id_}', 'DELETE', 'Delete a privilege no user holds', 'admin', {'status': 204}),
    ('/apikeys', 'GET', 'API keys (never the key itself)', 'admin', {'response': LIST}),
    ('/apikeys', 'POST', 'Create an API key; the answer holds the key, shown this once', 'admin',
     {'body': API_KEY, 'status': 201, 'response': {'type': 'object', 'properties': {'id': I, 'token': S}}}),
    ('/apikeys/{id_}', 'GET', 'One API key', 'admin', {'response': OBJ}),
    ('/apikeys/{id_}', 'PUT', 'Rename an API key or move its expiry', 'admin', {'body': API_KEY}),
    ('/apikeys/{id_}', 'DELETE', 'Delete an API key', 'admin', {'status': 204}),
    ('/logs', 'GET', 'The audit log, newest first', 'admin',
     {'response': LIST, 'query': (('limit', 'integer', False), *RANGE)}),
)  # fmt: skip


def document_routes() -> None:
    for path, method, summary, auth, options in ROUTES:
        document(path, method, summary, 'users', auth=auth, **options)
