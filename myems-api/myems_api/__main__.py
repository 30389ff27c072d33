"""python -m myems_api: serve the API with gunicorn.

API_BIND (127.0.0.1:8000), API_WORKERS (2) and API_THREADS (4) set the server. Each worker takes only as many
connections as it has threads, and answers each request on its own connection (no keep-alive): a worker never
queues a request behind busy threads while another worker is idle, so the workers share the load evenly. In
front of the API, nginx opens a connection per request anyway (HTTP/1.0 to upstreams) and keeps the browsers'
connections alive itself. Measured in bench/reports.py: with keep-alive and 8 threads, one worker often held
most of the clients' connections (half the throughput), and keep-alive responses of the xlsx export waited on
delayed ACKs (p50 95 ms instead of 37 ms).
"""

from __future__ import annotations

import os
import sys


def gunicorn_args(bind: str, workers: str, threads: str) -> list[str]:
    return [
        'gunicorn',
        '--bind',
        bind,
        '--workers',
        workers,
        '--worker-class',
        'gthread',
        '--threads',
        threads,
        '--worker-connections',
        threads,
        '--keep-alive',
        '0',
        'myems_api.app:application',
    ]


def main() -> int:
    args = gunicorn_args(
        os.environ.get('API_BIND', '127.0.0.1:8000'),
        os.environ.get('API_WORKERS', '2'),
        os.environ.get('API_THREADS', '4'),
    )
    os.execvp(sys.executable, [sys.executable, '-m', *args])
    return 0  # not reached


if __name__ == '__main__':
    sys.exit(main())
