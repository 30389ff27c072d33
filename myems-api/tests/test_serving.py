"""`python -m myems_api` as deployed: real gunicorn on a real socket. Each answer closes its connection, and
a worker takes no more connections than it has threads, so busy workers leave new clients to idle ones."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from myems_api.__main__ import gunicorn_args
from myems_common.config import database_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope='module')
def served(settings: Any) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, **database_env(settings), 'API_BIND': f'127.0.0.1:{port}', 'API_WORKERS': '2'}
    env.update(API_THREADS='2', IS_REDIS_ENABLED='false', LOG_LEVEL='WARNING')
    server = subprocess.Popen([sys.executable, '-m', 'myems_api'], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def version(port: int) -> tuple[int, str | None, str]:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    connection.request('GET', '/version')
    answer = connection.getresponse()
    body = answer.read().decode()
    connection.close()
    return answer.status, answer.getheader('Connection'), body


def test_the_arguments_cap_connections_at_the_thread_count() -> None:
    args = gunicorn_args('127.0.0.1:1', '3', '5')
    assert args[args.index('--worker-connections') + 1] == args[args.index('--threads') + 1] == '5'
    assert args[args.index('--keep-alive') + 1] == '0' and args[args.index('--workers') + 1] == '3'


def test_each_answer_closes_its_connection(served: int) -> None:
    status, connection, body = version(served)
    assert status == 200 and connection == 'close' and 'version' in body


def test_more_clients_than_threads_are_all_answered(served: int) -> None:
    with ThreadPoolExecutor(max_workers=12) as pool:  # 12 clients, 2 workers x 2 threads
        answers = list(pool.map(lambda _: version(served), range(60)))
    assert [a[0] for a in answers] == [200] * 60
