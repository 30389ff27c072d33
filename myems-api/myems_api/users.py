"""Users and self-registration: /users, /users/{id}, /users/newusers[/{id}[/approve]]; and
`add_user_routes`, which mounts every route of the user database (sessions, mail, keys, privileges).

Administrators write; a user who is not an administrator reads only its own record. Nothing returned
ever holds a password, salt or token.
"""

from __future__ import annotations

import uuid
from typing import Any

import falcon

from myems_api import accounts, apikeys, mail, privileges, sessions, userdocs
from myems_api.context import Services
from myems_api.errors import bad_request, not_found
from myems_api.validate import body_data, parse_id

NEW_USER_COLUMNS = 'id, name, display_name, uuid, email, phone'
LINK_TABLES = (
    'tbl_microgrids_users',
    'tbl_energy_storage_power_stations_users',
    'tbl_photovoltaic_power_stations_users',
)


def profile(data: dict[str, Any]) -> dict[str, Any]:
    """name, display_name, email and phone: what a user and a registration request have in common."""
    return {
        'name': accounts.required_text(data, 'name', 'API.INVALID_USER_NAME', 128),
        'display_name': accounts.required_text(data, 'display_name', 'API.INVALID_DISPLAY_NAME', 128),
        'email': accounts.email(data),
        'phone': accounts.phone(data),
    }


def roles(services: Services, data: dict[str, Any]) -> dict[str, Any]:
    """Role, privilege and expiry columns of a user, from MyEMS's request keys."""
    is_admin = accounts.flag(data, 'is_admin', 'API.INVALID_IS_ADMIN_VALUE')
    return {
        'is_admin': is_admin,
        'is_read_only': accounts.flag(data, 'is_read_only', 'API.INVALID_IS_READ_ONLY_VALUE') if is_admin else False,
        'privilege_id': accounts.optional_id(data, 'privilege_id', 'API.INVALID_PRIVILEGE_ID'),
        'account_expiration_datetime_utc': accounts.local_datetime(
            services, data, 'account_expiration_datetime', 'API.INVALID_ACCOUNT_EXPIRATION_DATETIME'
        ),
        'password_expiration_datetime_utc': accounts.local_datetime(
            services, data, 'password_expiration_datetime', 'API.INVALID_PASSWORD_EXPIRATION_DATETIME'
        ),
    }


def insert(cur: Any, table: str, values: dict[str, Any]) -> int:
    names = list(values)  # keys come from code
    cur.execute(
        f'INSERT INTO `{table}` ({", ".join(f"`{n}`" for n in names)}) VALUES ({", ".join(["%s"] * len(names))})',
        [values[n] for n in names],
    )
    return int(cur.lastrowid)


def update(cur: Any, table: str, id_: int, values: dict[str, Any]) -> None:
    assignments = ', '.join(f'`{n}` = %s' for n in values)
    cur.execute(f'UPDATE `{table}` SET {assignments} WHERE id = %s', [*values.values(), id_])


def load_user(cur: Any, user_id: int, lock: bool = False) -> tuple[Any, ...]:
    cur.execute(
        f'SELECT {accounts.USER_COLUMNS}{accounts.USER_FROM} WHERE u.id = %s' + (' FOR UPDATE' if lock else ''),
        (user_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise not_found('API.USER_NOT_FOUND', f'user {user_id} does not exist')
    return tuple(row)


def refuse_losing_last_admin(cur: Any, row: tuple[Any, ...], stays_writer: bool) -> None:
    """An update or delete must leave at least one administrator who can write."""
    if not row[6] or row[7] or stays_writer:
        return
    cur.execute('SELECT COUNT(*) FROM tbl_users WHERE is_admin = 1 AND is_read_only = 0 AND id <> %s', (row[0],))
    if cur.fetchone()[0] == 0:
        raise bad_request(
            'API.CANNOT_REMOVE_THE_LAST_ADMINISTRATOR', f'user {row[0]} is the last writing administrator'
        )


class Users:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity, _ = self.services.who(req)
        accounts.no_cache(req)
        where, args = ('', ()) if identity.is_admin else (' WHERE u.uuid = %s', (identity.user_uuid,))
        with self.services.user() as cur:
            cur.execute(f'SELECT {accounts.USER_COLUMNS}{accounts.USER_FROM}{where} ORDER BY u.name', args)
            resp.media = [accounts.user_json(self.services, row) for row in cur.fetchall()]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = accounts.writer(self.services, req)
        media = accounts.media(req)
        data = body_data(media)
        values = {**profile(data), **roles(self.services, data)}
        stored, salt = accounts.hashed(accounts.password(data))
        with self.services.user() as cur:
            accounts.check_unique(cur, values, ('tbl_users',))
            accounts.check_privilege(cur, values['privilege_id'])
            row = {**values, 'uuid': str(uuid.uuid4()), 'password': stored, 'salt': salt, 'failed_login_count': 0}
            user_id = insert(cur, 'tbl_users', row)
            accounts.audit(cur, identity.actor, 'POST', 'user', user_id, {'request': media, 'after': values})
        resp.status = falcon.HTTP_201
        resp.location = f'/users/{user_id}'
        resp.media = {'id': user_id, 'uuid': row['uuid']}


class UserItem:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity, _ = self.services.who(req)
        accounts.no_cache(req)
        user_id = parse_id(id_, 'API.INVALID_USER_ID', 'user id')
        if not identity.is_admin and identity.user_id != user_id:
            raise not_found('API.USER_NOT_FOUND', f'user {user_id} does not exist')
        with self.services.user() as cur:
            resp.media = accounts.user_json(self.services, load_user(cur, user_id))

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        user_id = parse_id(id_, 'API.INVALID_USER_ID', 'user id')
        media = accounts.media(req)
        data = body_data(media)
        values = {**profile(data), **roles(self.services, data)}
        with self.services.user() as cur:
            before = load_user(cur, user_id, lock=True)
            accounts.check_unique(cur, values, ('tbl_users',), user_id)
            accounts.check_privilege(cur, values['privilege_id'])
            refuse_losing_last_admin(cur, before, values['is_admin'] and not values['is_read_only'])
            update(cur, 'tbl_users', user_id, values)
            change = {'request': media, 'before': accounts.user_json(self.services, before), 'after': values}
            accounts.audit(cur, identity.actor, 'PUT', 'user', user_id, change)
        resp.media = {'id': user_id}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        user_id = parse_id(id_, 'API.INVALID_USER_ID', 'user id')
        with self.services.user() as cur:
            before = load_user(cur, user_id, lock=True)
            refuse_losing_last_admin(cur, before, False)
            accounts.end_sessions(cur, before[3])
            cur.execute('DELETE FROM tbl_notifications WHERE user_id = %s', (user_id,))
            cur.execute('DELETE FROM tbl_users WHERE id = %s', (user_id,))
            change = {'before': accounts.user_json(self.services, before)}
            accounts.audit(cur, identity.actor, 'DELETE', 'user', user_id, change)
        with self.services.system() as cur:  # the user's links to stations and microgrids go too
            for table in LINK_TABLES:
                cur.execute(f'DELETE FROM `{table}` WHERE user_id = %s', (user_id,))
        resp.status = falcon.HTTP_204


class NewUsers:
    """GET (administrators): pending requests. POST (anyone, with a mailed code): ask for an account."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        accounts.admin_reader(self.services, req)
        with self.services.user() as cur:
            cur.execute(f'SELECT {NEW_USER_COLUMNS} FROM tbl_new_users ORDER BY name')
            resp.media = [dict(zip(NEW_USER_COLUMNS.split(', '), row, strict=True)) for row in cur.fetchall()]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        media = accounts.media(req)
        data = body_data(media)
        values = profile(data)
        stored, salt = accounts.hashed(accounts.password(data))
        code = mail.code_from(data)
        with self.services.user() as cur:
            accounts.check_unique(cur, values, ('tbl_new_users', 'tbl_users'))
            error = mail.check_code(cur, values['email'], code)
            if error is None:
                row = {**values, 'uuid': str(uuid.uuid4()), 'password': stored, 'salt': salt}
                new_id = insert(cur, 'tbl_new_users', row)
                accounts.audit(cur, row['uuid'], 'POST', 'new_user', new_id, {'request': media})
        if error is not None:
            raise error
        resp.status = falcon.HTTP_201
        resp.location = f'/users/newusers/{new_id}'
        resp.media = {'id': new_id}


class NewUserItem:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        accounts.admin_reader(self.services, req)
        with self.services.user() as cur:
            row = self._load(cur, parse_id(id_, 'API.INVALID_USER_ID', 'new user id'))
        resp.media = dict(zip(NEW_USER_COLUMNS.split(', '), row, strict=True))

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        new_id = parse_id(id_, 'API.INVALID_USER_ID', 'new user id')
        media = accounts.media(req)
        values = profile(body_data(media))
        with self.services.user() as cur:
            self._load(cur, new_id, lock=True)
            accounts.check_unique(cur, values, ('tbl_new_users', 'tbl_users'), new_id)
            update(cur, 'tbl_new_users', new_id, values)
            accounts.audit(cur, identity.actor, 'PUT', 'new_user', new_id, {'request': media})
        resp.media = {'id': new_id}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        new_id = parse_id(id_, 'API.INVALID_USER_ID', 'new user id')
        with self.services.user() as cur:
            self._load(cur, new_id, lock=True)
            cur.execute('DELETE FROM tbl_new_users WHERE id = %s', (new_id,))
            accounts.audit(cur, identity.actor, 'DELETE', 'new_user', new_id)
        resp.status = falcon.HTTP_204

    def on_put_approve(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        """The request becomes a user with the roles and expiry dates the administrator chose."""
        identity = accounts.writer(self.services, req)
        new_id = parse_id(id_, 'API.INVALID_USER_ID', 'new user id')
        media = accounts.media(req)
        values = roles(self.services, body_data(media))
        with self.services.user() as cur:
            cur.execute(
                'SELECT name, display_name, email, phone, uuid, salt, password FROM tbl_new_users WHERE id = %s'
                ' FOR UPDATE',
                (new_id,),
            )
            found = cur.fetchone()
            if found is None:
                raise not_found('API.USER_NOT_FOUND', f'new user {new_id} does not exist')
            keys = ('name', 'display_name', 'email', 'phone', 'uuid', 'salt', 'password')
            row = {**dict(zip(keys, found, strict=True)), **values, 'failed_login_count': 0}
            accounts.check_unique(cur, row, ('tbl_users',))
            accounts.check_privilege(cur, values['privilege_id'])
            user_id = insert(cur, 'tbl_users', row)
            cur.execute('DELETE FROM tbl_new_users WHERE id = %s', (new_id,))
            accounts.audit(cur, identity.actor, 'PUT', 'new_user.approve', user_id, {'request': media, 'from': new_id})
        resp.status = falcon.HTTP_201
        resp.location = f'/users/{user_id}'
        resp.media = {'id': user_id}

    @staticmethod
    def _load(cur: Any, new_id: int, lock: bool = False) -> tuple[Any, ...]:
        sql = f'SELECT {NEW_USER_COLUMNS} FROM tbl_new_users WHERE id = %s' + (' FOR UPDATE' if lock else '')
        cur.execute(sql, (new_id,))
        row = cur.fetchone()
        if row is None:
            raise not_found('API.USER_NOT_FOUND', f'new user {new_id} does not exist')
        return tuple(row)


def add_user_routes(app: falcon.App, services: Services) -> None:
    """Every route of the user database, documented for /openapi.json."""
    routes: list[tuple[str, Any, str | None]] = [
        ('/users', Users(services), None),
        ('/users/{id_}', UserItem(services), None),
        ('/users/login', sessions.Login(services), None),
        ('/users/logout', sessions.Logout(services), None),
        ('/users/changepassword', sessions.ChangePassword(services), None),
        ('/users/resetpassword', sessions.ResetPassword(services), None),
        ('/users/unlock/{id_}', sessions.Unlock(services), None),
        ('/users/forgotpassword', mail.ForgotPassword(services), None),
        ('/users/emailmessages', mail.EmailMessages(services), None),
        ('/users/emailmessages/{id_}', mail.EmailMessageItem(services), None),
        ('/users/newusers', NewUsers(services), None),
        ('/users/newusers/{id_}', NewUserItem(services), None),
        ('/users/newusers/{id_}/approve', NewUserItem(services), 'approve'),
        ('/privileges', privileges.Privileges(services), None),
        ('/privileges/{id_}', privileges.PrivilegeItem(services), None),
        ('/apikeys', apikeys.ApiKeys(services), None),
        ('/apikeys/{id_}', apikeys.ApiKeyItem(services), None),
        ('/logs', privileges.Logs(services), None),
    ]
    for path, resource, suffix in routes:
        if suffix:
            app.add_route(path, resource, suffix=suffix)
        else:
            app.add_route(path, resource)
    userdocs.document_routes()
