"""Mailed verification codes: /users/emailmessages (ask for a code; admins list what was sent) and
/users/forgotpassword (exchange a code for a new password). Self-registration uses the same codes.

The mail goes at once by SMTP through the first server in myems_fdd_db.tbl_email_servers (its password
stored base64-encoded, as MyEMS does). A code is six digits, lives one hour, is stored only as a
scrypt hash, is used once, and dies after MAX_CODE_ATTEMPTS wrong guesses. Unlike MyEMS, the mail's
text is the server's own: an anonymous caller cannot make the server mail a text of its choosing.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import falcon

from myems_api import accounts
from myems_api.context import Services
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.sessions import set_password
from myems_api.validate import body_data, parse_id
from myems_common.passwords import hash_password, verify_password
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
CODE_LIFETIME = timedelta(hours=1)
RESEND_INTERVAL = timedelta(seconds=30)
MAX_CODE_ATTEMPTS = 5
SMTP_TIMEOUT = 10
SUBJECT = 'Your MyEMS verification code'
BODY = (
    'Hello {name},\n\nyour MyEMS verification code is {code}. It is valid for {minutes} minutes and can be used once.\n'
    'If you did not ask for it, ignore this message.\n'
)
STATUSES = ('new', 'sent', 'acknowledged', 'timeout')
MESSAGE_COLUMNS = (
    'id, recipient_name, recipient_email, subject, message, created_datetime_utc, scheduled_datetime_utc, status'
)


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    requires_authentication: bool
    user_name: str | None
    password: str | None
    from_addr: str


def smtp_password(stored: str | None) -> str | None:
    if not stored:
        return stored
    try:
        return base64.b64decode(stored.encode(), validate=True).decode('utf-8')
    except (binascii.Error, UnicodeDecodeError):
        return stored  # written by hand in plain text


def mail_server(services: Services) -> MailServer:
    with services.db.transaction('fdd') as cur:
        cur.execute(
            'SELECT host, port, requires_authentication, user_name, password, from_addr'
            ' FROM tbl_email_servers ORDER BY id LIMIT 1'
        )
        row = cur.fetchone()
    if row is None:
        raise ApiError(
            503, 'API.EMAIL_SERVER_NOT_FOUND', 'no e-mail server is configured; an administrator must add one'
        )
    return MailServer(row[0], int(row[1]), bool(row[2]), row[3], smtp_password(row[4]), row[5])


def send_mail(server: MailServer, recipient: str, subject: str, text: str) -> None:
    """Deliver one plain-text mail; STARTTLS when offered, implicit TLS on port 465."""
    message = EmailMessage()
    message['From'], message['To'], message['Subject'] = server.from_addr, recipient, subject
    message.set_content(text)
    smtp_class = smtplib.SMTP_SSL if server.port == 465 else smtplib.SMTP
    try:
        with smtp_class(server.host, server.port, timeout=SMTP_TIMEOUT) as smtp:
            smtp.ehlo()
            if smtp_class is smtplib.SMTP and smtp.has_extn('starttls'):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if server.requires_authentication:
                smtp.login(server.user_name or '', server.password or '')
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning('mail to %s through %s:%d failed: %s', recipient, server.host, server.port, exc)
        raise ApiError(
            502, 'API.FAILED_TO_SEND_EMAIL', 'the e-mail could not be sent; try again later', 'API.BAD_GATEWAY'
        ) from None


# ------------------------------------------------------------------------------- verification codes
def issue_code(cur: Any, recipient: str, now: datetime) -> str:
    """A fresh code for `recipient`, replacing any earlier one; refused if one was issued moments ago."""
    cur.execute('SELECT MAX(created_datetime_utc) FROM tbl_verification_codes WHERE recipient_email = %s', (recipient,))
    last = cur.fetchone()[0]
    if last is not None and now - last < RESEND_INTERVAL:
        wait = int((RESEND_INTERVAL - (now - last)).total_seconds()) + 1
        raise ApiError(
            429, 'API.TOO_MANY_REQUESTS', f'a code was just sent; wait {wait} s before asking again',
            'API.TOO_MANY_REQUESTS',
        )  # fmt: skip
    code = f'{secrets.randbelow(900000) + 100000}'
    cur.execute('DELETE FROM tbl_verification_codes WHERE recipient_email = %s', (recipient,))
    cur.execute(
        'INSERT INTO tbl_verification_codes (recipient_email, verification_code, created_datetime_utc,'
        ' expires_datetime_utc) VALUES (%s, %s, %s, %s)',
        (recipient, hash_password(code), now, now + CODE_LIFETIME),
    )
    return code


def code_from(data: dict[str, Any]) -> str:
    raw = data.get('verification_code')
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > 32:
        raise bad_request('API.INVALID_VERIFICATION_CODE', 'verification_code is required: the code from the e-mail')
    return raw.strip()


def check_code(cur: Any, recipient: str, code: str) -> ApiError | None:
    """None if `code` is the live code of `recipient` (which is then used up), else the error to raise
    after the caller commits (so a wrong guess is counted)."""
    cur.execute(
        'SELECT id, verification_code, expires_datetime_utc, failed_attempts FROM tbl_verification_codes'
        ' WHERE recipient_email = %s ORDER BY created_datetime_utc DESC, id DESC LIMIT 1 FOR UPDATE',
        (recipient,),
    )
    row = cur.fetchone()
    wrong = ApiError(400, 'API.INVALID_VERIFICATION_CODE', 'the verification code is wrong or used; ask for a new one')
    if row is None:
        return wrong
    code_id, stored, expires, attempts = row
    if expires <= utc_now():
        cur.execute('DELETE FROM tbl_verification_codes WHERE id = %s', (code_id,))
        return ApiError(400, 'API.VERIFICATION_CODE_HAS_EXPIRED', 'the verification code has expired; ask again')
    if not verify_password(code, stored):
        if attempts + 1 >= MAX_CODE_ATTEMPTS:
            cur.execute('DELETE FROM tbl_verification_codes WHERE id = %s', (code_id,))
        else:
            cur.execute('UPDATE tbl_verification_codes SET failed_attempts = %s WHERE id = %s', (attempts + 1, code_id))
        return wrong
    cur.execute('DELETE FROM tbl_verification_codes WHERE recipient_email = %s', (recipient,))
    return None


def recipient_name(cur: Any, recipient: str) -> str:
    for table in ('tbl_users', 'tbl_new_users'):
        cur.execute(f'SELECT display_name FROM `{table}` WHERE email = %s', (recipient,))
        row = cur.fetchone()
        if row is not None:
            return str(row[0])
    return recipient.split('@')[0]


# ---------------------------------------------------------------------------------------- resources
def epoch_ms(value: datetime | None) -> float | None:
    return value.replace(tzinfo=UTC).timestamp() * 1000 if value is not None else None


def message_json(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = ('id', 'recipient_name', 'recipient_email', 'subject', 'message')
    shaped = dict(zip(keys, row[:5], strict=True))
    shaped.update({'created_datetime': epoch_ms(row[5]), 'scheduled_datetime': epoch_ms(row[6]), 'status': row[7]})
    return shaped


class EmailMessages:
    """POST (anyone): mail a verification code. GET (administrators): mails sent, newest first."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        accounts.admin_reader(self.services, req)
        where, args = accounts.date_range(self.services, req, 'created_datetime_utc')
        with self.services.user() as cur:
            cur.execute(f'SELECT {MESSAGE_COLUMNS} FROM tbl_email_messages{where} ORDER BY id DESC LIMIT 1000', args)
            resp.media = [message_json(row) for row in cur.fetchall()]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = body_data(accounts.media(req))
        recipient = accounts.email(data, 'recipient_email', 'API.INVALID_RECIPIENT_EMAIL')
        server = mail_server(self.services)
        now = utc_now()
        minutes = int(CODE_LIFETIME.total_seconds() // 60)
        with self.services.user() as cur:  # the code is kept only if the mail went out
            code = issue_code(cur, recipient, now)
            name = recipient_name(cur, recipient)
            cur.execute(
                'INSERT INTO tbl_email_messages (recipient_name, recipient_email, subject, message,'
                ' created_datetime_utc, scheduled_datetime_utc, status) VALUES (%s, %s, %s, %s, %s, %s, %s)',
                (name, recipient, SUBJECT, BODY.format(name=name, code='******', minutes=minutes), now, now, 'sent'),
            )
            message_id = int(cur.lastrowid)
            accounts.audit(cur, accounts.ANONYMOUS, 'POST', 'EmailMessage', message_id, {'recipient': recipient})
            send_mail(server, recipient, SUBJECT, BODY.format(name=name, code=code, minutes=minutes))
        resp.status = falcon.HTTP_201
        resp.location = f'/users/emailmessages/{message_id}'
        resp.media = {'id': message_id}


class EmailMessageItem:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        accounts.admin_reader(self.services, req)
        message_id = parse_id(id_, 'API.INVALID_EMAIL_MESSAGE_ID', 'e-mail message id')
        with self.services.user() as cur:
            resp.media = message_json(self._load(cur, message_id))

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        message_id = parse_id(id_, 'API.INVALID_EMAIL_MESSAGE_ID', 'e-mail message id')
        media = accounts.media(req)
        status = body_data(media).get('status')
        if status not in STATUSES:
            raise bad_request('API.INVALID_STATUS', f'status must be one of {", ".join(STATUSES)}, got {status!r}')
        with self.services.user() as cur:
            self._load(cur, message_id)
            cur.execute('UPDATE tbl_email_messages SET status = %s WHERE id = %s', (status, message_id))
            accounts.audit(cur, identity.actor, 'PUT', 'EmailMessage', message_id, {'request': media})
        resp.media = {'id': message_id}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = accounts.writer(self.services, req)
        message_id = parse_id(id_, 'API.INVALID_EMAIL_MESSAGE_ID', 'e-mail message id')
        with self.services.user() as cur:
            self._load(cur, message_id)
            cur.execute('DELETE FROM tbl_email_messages WHERE id = %s', (message_id,))
            accounts.audit(cur, identity.actor, 'DELETE', 'EmailMessage', message_id)
        resp.status = falcon.HTTP_204

    @staticmethod
    def _load(cur: Any, message_id: int) -> tuple[Any, ...]:
        cur.execute(f'SELECT {MESSAGE_COLUMNS} FROM tbl_email_messages WHERE id = %s', (message_id,))
        row = cur.fetchone()
        if row is None:
            raise not_found('API.EMAIL_MESSAGE_NOT_FOUND', f'e-mail message {message_id} does not exist')
        return tuple(row)


class ForgotPassword:
    """PUT {email, verification_code, password}: a mailed code buys a new password; all sessions end."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = body_data(accounts.media(req))
        address = accounts.email(data)
        code = code_from(data)
        new = accounts.password(data)
        with self.services.user() as cur:
            error = check_code(cur, address, code)
            if error is None:
                self._reset(cur, address, new)
        if error is not None:
            raise error
        resp.media = 'OK'

    @staticmethod
    def _reset(cur: Any, address: str, new: str) -> None:
        cur.execute(
            'SELECT id, uuid, salt, password, password_expiration_datetime_utc FROM tbl_users'
            ' WHERE email = %s FOR UPDATE',
            (address,),
        )
        row = cur.fetchone()
        if row is None:
            raise not_found('API.USER_NOT_FOUND', f'no user has the e-mail address {address!r}')
        user_id, user_uuid, salt, stored, expires = row
        if verify_password(new, stored, salt):
            raise bad_request('API.PASSWORDS_MATCH', 'the new password must differ from the current one')
        set_password(cur, user_id, new, expires)
        ended = accounts.end_sessions(cur, user_uuid)
        accounts.audit(cur, user_uuid, 'PUT', 'ForgotPassword', user_id, {'sessions_ended': ended})
