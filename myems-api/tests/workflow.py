"""A small workflow (ticket) service on loopback for the ticket proxy tests: it checks the signature
headers, keeps tickets in memory and records every request it gets."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = 'workflow-secret'
PREFIX = '/api/v1.0/'


@dataclass
class WorkflowService:
    url: str = ''
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, list[str]], Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> WorkflowService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def reply(self, status: int, body: Any = None) -> None:
                data = b'' if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get('Content-Length') or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                service.requests.append((self.command, url.path, parse_qs(url.query), body))
                stamp = self.headers.get('timestamp', '')
                wanted = hashlib.md5((stamp + TOKEN).encode(), usedforsecurity=False).hexdigest()
                if self.headers.get('signature') != wanted:
                    return self.reply(401, {'code': -1, 'msg': 'bad signature'})
                parts = url.path.removeprefix(PREFIX).strip('/').split('/')
                if parts == ['tickets'] and self.command == 'GET':
                    return self.reply(200, {'code': 0, 'data': {'value': list(service.tickets.values())}})
                if len(parts) == 2 and parts[0] == 'tickets' and parts[1].isdigit():
                    ticket = service.tickets.get(int(parts[1]))
                    if ticket is None:
                        return self.reply(404, {'code': -1, 'msg': 'no such ticket'})
                    if self.command == 'PUT':
                        ticket.update(body or {})
                    if self.command == 'DELETE':
                        del service.tickets[int(parts[1])]
                        return self.reply(200, {'code': 0})
                    return self.reply(200, {'code': 0, 'data': ticket})
                return self.reply(500, {'code': -1})

            do_GET = do_PUT = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}{PREFIX}'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def settings_for(self, settings: Any) -> Any:
        import dataclasses

        return dataclasses.replace(
            settings,
            workflow_base_url=self.url,
            workflow_token=TOKEN,
            workflow_app_name='ems',
            workflow_user_name='bot',
        )
