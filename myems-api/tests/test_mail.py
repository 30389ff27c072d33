"""Mailed verification codes through a real SMTP conversation with a local sink: forgotten passwords and
self-registration with approval."""

from __future__ import annotations

import email
import importlib.util
import re
import socket
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from myems_common.timeutil import utc_now

User = dict[str, Any]
FROM = 'energy@example.com'


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to accept mail; every message lands in `messages` as an email.message.Message."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(('127.0.0.1', 0), SmtpSession)
        self.messages: list[email.message.Message] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b'\r\n')

    def handle(self) -> None:
        self.reply('220 sink ESMTP')
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b'EHLO', b'HELO'):
                self.reply('250 sink')
            elif verb == b'DATA':
                self.reply('354 end with <CRLF>.<CRLF>')
                self.server.messages.append(email.message_from_bytes(self._data()))
                self.reply('250 queued')
            elif verb == b'QUIT':
                self.reply('221 bye')
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply('250 ok')

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b'.\r\n', b'.\n', b''):
            lines.append(line[1:] if line.startswith(b'..') else line)
        return b''.join(lines)


def point_mail_at(database: Any, port: int) -> None:
    with database.transaction('fdd') as cur:
        cur.execute('DELETE FROM tbl_email_servers')
        cur.execute(
            'INSERT INTO tbl_email_servers (host, port, requires_authentication, user_name, password, from_addr)'
            ' VALUES (%s, %s, 0, NULL, NULL, %s)',
            ('127.0.0.1', port, FROM),
        )


@pytest.fixture(scope='module')
def sink(database: Any) -> Iterator[SmtpSink]:
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    point_mail_at(database, server.port)
    yield server
    server.shutdown()
    server.server_close()


def assert_error(result: Any, status: int, code: str) -> None:
    assert result.status_code == status, result.text
    assert result.json['description'] == code, result.json


def ask_code(api: Any, sink: SmtpSink, address: str) -> str:
    """Ask for a code for `address` and read it from the mail the sink received."""
    before = len(sink.messages)
    result = api.simulate_post('/users/emailmessages', json={'data': {'recipient_email': address}})
    assert result.status_code == 201, result.text
    assert len(sink.messages) == before + 1
    mail = sink.messages[-1]
    assert mail['To'] == address and mail['From'] == FROM
    match = re.search(r'\b(\d{6})\b', mail.get_payload(decode=True).decode())
    assert match, mail.get_payload()
    return match.group(1)


def forgot(api: Any, address: str, code: str, password: str) -> Any:
    data = {'email': address, 'verification_code': code, 'password': password}
    return api.simulate_put('/users/forgotpassword', json={'data': data})


def login(api: Any, name: str, password: str) -> Any:
    return api.simulate_put('/users/login', json={'data': {'account': name, 'password': password}})


@pytest.fixture
def person(make_user: Callable[..., User]) -> User:
    user = make_user('forgetful')
    return {**user, 'email': f'{user["name"]}@example.com'}


def test_forgot_password_with_a_mailed_code(
    api: Any, sink: SmtpSink, person: User, sign_in: Any, database: Any
) -> None:
    sessions = [sign_in(person), sign_in(person)]
    code = ask_code(api, sink, person['email'])
    stored = database.fetch_one(
        'user', 'SELECT verification_code FROM tbl_verification_codes WHERE recipient_email = %s', (person['email'],)
    )[0]
    assert code not in stored and stored.startswith('scrypt$')
    logged = database.fetch_all(
        'user', 'SELECT message FROM tbl_email_messages WHERE recipient_email = %s', (person['email'],)
    )
    assert logged and all(code not in row[0] for row in logged)
    assert forgot(api, person['email'], code, 'Remembered at last').status_code == 200
    for headers in sessions:
        assert_error(api.simulate_get('/users', headers=headers), 404, 'API.USER_SESSION_NOT_FOUND')
    assert login(api, person['name'], 'Remembered at last').status_code == 200
    assert_error(forgot(api, person['email'], code, 'Another new one'), 400, 'API.INVALID_VERIFICATION_CODE')
    assert login(api, person['name'], 'Remembered at last').status_code == 200


def test_wrong_guesses_kill_the_code(api: Any, sink: SmtpSink, person: User) -> None:
    code = ask_code(api, sink, person['email'])
    wrong = '000000' if code != '000000' else '111111'
    for _ in range(5):
        assert_error(forgot(api, person['email'], wrong, 'Guessing game 1'), 400, 'API.INVALID_VERIFICATION_CODE')
    assert_error(forgot(api, person['email'], code, 'Guessing game 1'), 400, 'API.INVALID_VERIFICATION_CODE')
    assert login(api, person['name'], person['password']).status_code == 200


def test_expired_code_and_rapid_requests(api: Any, sink: SmtpSink, person: User, database: Any) -> None:
    code = ask_code(api, sink, person['email'])
    result = api.simulate_post('/users/emailmessages', json={'data': {'recipient_email': person['email']}})
    assert_error(result, 429, 'API.TOO_MANY_REQUESTS')
    with database.transaction('user') as cur:
        cur.execute(
            'UPDATE tbl_verification_codes SET expires_datetime_utc = %s WHERE recipient_email = %s',
            (utc_now() - timedelta(seconds=1), person['email']),
        )
    assert_error(forgot(api, person['email'], code, 'Too late now 1'), 400, 'API.VERIFICATION_CODE_HAS_EXPIRED')


@pytest.mark.parametrize(
    ('path', 'data', 'code'),
    [
        ('/users/emailmessages', {}, 'API.INVALID_RECIPIENT_EMAIL'),
        ('/users/emailmessages', {'recipient_email': 'not-an-address'}, 'API.INVALID_RECIPIENT_EMAIL'),
        (
            '/users/forgotpassword',
            {'email': 'a@example.com', 'password': 'Long enough 1'},
            'API.INVALID_VERIFICATION_CODE',
        ),
        ('/users/forgotpassword', {'verification_code': '123456', 'password': 'Long enough 1'}, 'API.INVALID_EMAIL'),
        (
            '/users/forgotpassword',
            {'email': 'a@example.com', 'verification_code': '123456', 'password': 'short'},
            'API.PASSWORD_LENGTH_MUST_BE_AT_LEAST_8_CHARACTERS',
        ),
    ],
)
def test_bad_mail_input(api: Any, sink: SmtpSink, path: str, data: dict[str, Any], code: str) -> None:
    method = api.simulate_post if path.endswith('emailmessages') else api.simulate_put
    assert_error(method(path, json={'data': data}), 400, code)


def test_no_code_is_kept_when_the_mail_cannot_go(api: Any, sink: SmtpSink, database: Any) -> None:
    address = f'{uuid.uuid4().hex[:10]}@example.com'
    with socket.socket() as closed:
        closed.bind(('127.0.0.1', 0))
        dead_port = closed.getsockname()[1]
    try:
        point_mail_at(database, dead_port)
        result = api.simulate_post('/users/emailmessages', json={'data': {'recipient_email': address}})
        assert_error(result, 502, 'API.FAILED_TO_SEND_EMAIL')
        with database.transaction('fdd') as cur:
            cur.execute('DELETE FROM tbl_email_servers')
        result = api.simulate_post('/users/emailmessages', json={'data': {'recipient_email': address}})
        assert_error(result, 503, 'API.EMAIL_SERVER_NOT_FOUND')
    finally:
        point_mail_at(database, sink.port)
    for table in ('tbl_verification_codes', 'tbl_email_messages'):
        count = database.fetch_one('user', f'SELECT COUNT(*) FROM {table} WHERE recipient_email = %s', (address,))
        assert count[0] == 0


def test_mail_records_for_administrators(
    api: Any, sink: SmtpSink, admin_headers: dict[str, str], sign_in: Any, make_user: Callable[..., User]
) -> None:
    address = f'{uuid.uuid4().hex[:10]}@example.com'
    message_id = api.simulate_post('/users/emailmessages', json={'data': {'recipient_email': address}}).json['id']
    listed = api.simulate_get('/users/emailmessages', headers=admin_headers).json
    assert any(m['id'] == message_id and m['recipient_email'] == address for m in listed)
    item = api.simulate_get(f'/users/emailmessages/{message_id}', headers=admin_headers).json
    assert item['status'] == 'sent' and '******' in item['message']
    reader = sign_in(make_user('reader'))
    assert_error(api.simulate_get('/users/emailmessages', headers=reader), 403, 'API.FORBIDDEN')
    bad = api.simulate_put(f'/users/emailmessages/{message_id}', headers=admin_headers, json={'data': {'status': 'x'}})
    assert_error(bad, 400, 'API.INVALID_STATUS')
    ok = api.simulate_put(
        f'/users/emailmessages/{message_id}', headers=admin_headers, json={'data': {'status': 'acknowledged'}}
    )
    assert ok.status_code == 200
    assert api.simulate_delete(f'/users/emailmessages/{message_id}', headers=admin_headers).status_code == 204
    gone = api.simulate_get(f'/users/emailmessages/{message_id}', headers=admin_headers)
    assert_error(gone, 404, 'API.EMAIL_MESSAGE_NOT_FOUND')
    query = '?startdatetime=2030-01-02T00:00:00&enddatetime=2030-01-01T00:00:00'
    backwards = api.simulate_get('/users/emailmessages' + query, headers=admin_headers)
    assert_error(backwards, 400, 'API.START_DATETIME_MUST_BE_EARLIER_THAN_END_DATETIME')


def test_self_registration_and_approval(
    api: Any, sink: SmtpSink, admin_headers: dict[str, str], sign_in: Any, make_user: Callable[..., User], database: Any
) -> None:
    name = 'newcomer' + uuid.uuid4().hex[:8]
    address = f'{name}@example.com'
    request = {'name': name, 'display_name': 'New Comer', 'email': address, 'password': 'Let me in 2025'}
    wrong = api.simulate_post('/users/newusers', json={'data': {**request, 'verification_code': '12345'}})
    assert_error(wrong, 400, 'API.INVALID_VERIFICATION_CODE')
    code = ask_code(api, sink, address)
    created = api.simulate_post('/users/newusers', json={'data': {**request, 'verification_code': code}})
    assert created.status_code == 201, created.text
    new_id = created.json['id']
    again = api.simulate_post('/users/newusers', json={'data': {**request, 'verification_code': code}})
    assert_error(again, 400, 'API.USER_NAME_IS_ALREADY_IN_USE')
    pending = api.simulate_get('/users/newusers', headers=admin_headers).json
    assert any(p['id'] == new_id and p['email'] == address and 'password' not in p for p in pending)
    edit = {'data': {'name': name, 'display_name': 'Newly Come', 'email': address}}
    assert api.simulate_put(f'/users/newusers/{new_id}', headers=admin_headers, json=edit).status_code == 200
    assert api.simulate_get(f'/users/newusers/{new_id}', headers=admin_headers).json['display_name'] == 'Newly Come'
    assert_error(login(api, name, 'Let me in 2025'), 400, 'API.INVALID_PASSWORD')  # not a user yet
    roles = {
        'is_admin': False,
        'account_expiration_datetime': '2099-01-01T00:00:00',
        'password_expiration_datetime': '2099-01-01T00:00:00',
    }
    reader = sign_in(make_user('reader'))
    refused = api.simulate_put(f'/users/newusers/{new_id}/approve', headers=reader, json={'data': roles})
    assert_error(refused, 403, 'API.FORBIDDEN')
    approved = api.simulate_put(f'/users/newusers/{new_id}/approve', headers=admin_headers, json={'data': roles})
    assert approved.status_code == 201, approved.text
    user_id = approved.json['id']
    assert approved.headers['location'] == f'/users/{user_id}'
    signed = login(api, name, 'Let me in 2025')
    assert signed.status_code == 200 and signed.json['display_name'] == 'Newly Come'
    assert_error(api.simulate_get(f'/users/newusers/{new_id}', headers=admin_headers), 404, 'API.USER_NOT_FOUND')
    audit = database.fetch_all('user', "SELECT request_body FROM tbl_logs WHERE resource_type LIKE 'new_user%%'")
    assert audit and all('Let me in 2025' not in row[0] and code not in row[0] for row in audit)


def test_rejecting_a_registration(api: Any, sink: SmtpSink, admin_headers: dict[str, str]) -> None:
    name = 'rejected' + uuid.uuid4().hex[:8]
    address = f'{name}@example.com'
    code = ask_code(api, sink, address)
    data = {'name': name, 'display_name': 'R', 'email': address, 'password': 'Please please', 'verification_code': code}
    new_id = api.simulate_post('/users/newusers', json={'data': data}).json['id']
    assert api.simulate_delete(f'/users/newusers/{new_id}', headers=admin_headers).status_code == 204
    assert_error(api.simulate_delete(f'/users/newusers/{new_id}', headers=admin_headers), 404, 'API.USER_NOT_FOUND')
    bad = api.simulate_put('/users/newusers/x/approve', headers=admin_headers, json={'data': {}})
    assert_error(bad, 400, 'API.INVALID_USER_ID')


def test_migration_adds_the_attempt_counter_once(settings: Any, database: Any) -> None:
    path = Path(__file__).resolve().parents[2] / 'database' / 'upgrade' / '0002_verification_code_attempts.py'
    spec = importlib.util.spec_from_file_location('migration_0002', path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    user_db = settings.db('user').database
    column = (
        'SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s'
        " AND TABLE_NAME = 'tbl_verification_codes' AND COLUMN_NAME = 'failed_attempts'"
    )
    with database.transaction('user') as cur:
        cur.execute('ALTER TABLE tbl_verification_codes DROP COLUMN failed_attempts')  # a MyEMS-shaped table
        migration.upgrade(cur, settings)
        migration.upgrade(cur, settings)  # a second run changes nothing
        cur.execute(column, (user_db,))
        assert cur.fetchone()[0] == 1
