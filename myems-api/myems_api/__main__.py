"""python -m myems_api: serve the API with gunicorn (bind and workers from API_BIND and API_WORKERS)."""

from __future__ import annotations

import os
import sys


def main() -> int:
    bind = os.environ.get('API_BIND', '127.0.0.1:8000')
    workers = os.environ.get('API_WORKERS', '2')
    args = [
        'gunicorn',
        '--bind',
        bind,
        '--workers',
        workers,
        '--worker-class',
        'gthread',
        '--threads',
        '8',
        'myems_api.app:application',
    ]
    os.execvp(sys.executable, [sys.executable, '-m', *args])
    return 0  # not reached


if __name__ == '__main__':
    sys.exit(main())
