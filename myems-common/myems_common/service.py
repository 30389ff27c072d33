"""The process around a pipeline: settings, logging, signals, the runner loop and periodic chores.

    sys.exit(run_service('myems_cleaning', build_steps, interval=60, chores=[(8 * 3600, purge_old)]))

SIGTERM and SIGINT stop it between chunks: the work committed so far stands, and a restart resumes
from the watermarks. A database that is down at start or later is waited for, never a reason to exit.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from myems_common.config import Settings, load_settings
from myems_common.db import Database, is_transient
from myems_common.logsetup import setup_logging
from myems_common.pipeline import Runner, Step

log = logging.getLogger(__name__)
Chore = tuple[float, Callable[[Database], Any]]  # (every so many seconds, what to do)


def _chore_loop(db: Database, every: float, chore: Callable[[Database], Any], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            chore(db)
        except Exception as error:
            if is_transient(error):
                log.warning('%s: database unavailable, retried later: %s', chore.__name__, error)
            else:
                log.exception('%s failed', chore.__name__)
        stop.wait(every)


def run_service(
    name: str,
    build_steps: Callable[[Settings], Sequence[Step]],
    interval: float = 60.0,
    chores: Sequence[Chore] = (),
    settings: Settings | None = None,
    stop: threading.Event | None = None,
) -> int:
    settings = settings or load_settings()
    setup_logging(settings.log_level)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    db = Database(settings)
    threads = [
        threading.Thread(target=_chore_loop, args=(db, every, chore, stop), name=chore.__name__, daemon=True)
        for every, chore in chores
    ]
    for thread in threads:
        thread.start()
    steps = build_steps(settings)
    if hours := os.environ.get('PIPELINE_CHUNK_HOURS'):  # shorter transactions and less memory, or fewer of them
        for step in steps:
            step.chunk = timedelta(hours=float(hours))
    log.info('%s started: %s every %.0f s when idle', name, ', '.join(s.name for s in steps), interval)
    workers = int(os.environ.get('PIPELINE_WORKERS', '4'))
    Runner(db, steps, stop_event=stop, workers=workers).run_forever(interval)
    for thread in threads:
        thread.join(timeout=5)
    db.close()
    log.info('%s stopped', name)
    return 0
