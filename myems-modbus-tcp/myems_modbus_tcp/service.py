"""The acquisition loop: one scheduler thread, a pool of worker threads, one ReadingWriter.

Every data source has its own due time. The scheduler hands due sources to the workers (at most one cycle
in flight per source), so a slow, dead or hung device only ever occupies one worker and never delays another
source. After a cycle:

* readings go to the ReadingWriter (which spools them while the database is away);
* a source that could not be connected to backs off: min(interval, 5 s), then x 2, x 4, ... up to
  ``max_backoff`` (or the interval, if that is longer);
* a source that timed out is tried again one interval later (the timeout bounds how long a hung device
  holds its worker), so polling resumes within one interval of the device's return;
* a source with at least one successful read is remembered for ``last_seen_datetime_utc``, written for all
  sources (and the gateway) in one statement every ``last_seen_seconds``.

The configuration is reloaded every ``reload_seconds``: added, edited and removed sources and points take
effect at the next cycle. If the database cannot be reached, polling continues with the configuration it
has; if it has none yet (the database was down at start), it retries every few seconds and never exits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from myems_common.db import Database
from myems_common.readings import ReadingWriter
from myems_modbus_tcp.config import GatewayError, Problem, Rows, SourceConfig, build_sources, fetch_rows
from myems_modbus_tcp.poll import DOWN, OK, TIMEOUT, Outcome, SourceMemory, poll_source

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 5.0  # a refused connection is retried after min(interval, 5 s), then twice as long each time


@dataclass(frozen=True)
class Options:
    spool_dir: Path
    reload_seconds: float = 30.0
    timeout: float = 3.0
    max_backoff: float = 300.0
    workers: int = 32
    last_seen_seconds: float = 10.0
    startup_retry_seconds: float = 5.0
    max_spool_bytes: int = 256 * 1024 * 1024


@dataclass
class SourceState:
    config: SourceConfig
    due: float
    running: bool = False
    failures: int = 0
    retry_delay: float = 0.0
    status: str = ''
    memory: SourceMemory = field(default_factory=SourceMemory)
    point_errors: dict[int, str] = field(default_factory=dict)


Poller = Callable[[SourceConfig, float, SourceMemory], Outcome]


class Acquisition:
    """Polls the gateway's Modbus TCP sources until `stop()`."""

    def __init__(
        self,
        db: Database,
        gateway_id: int,
        gateway_token: str,
        options: Options,
        writer: ReadingWriter | None = None,
        poller: Poller = poll_source,
    ) -> None:
        self.db = db
        self.gateway_id, self.gateway_token = gateway_id, gateway_token
        self.options = options
        self.writer = writer or ReadingWriter(db, options.spool_dir, max_spool_bytes=options.max_spool_bytes)
        self.poller = poller
        self.sources: dict[int, SourceState] = {}
        self.loaded = False
        self.problems: set[Problem] = set()
        self.seen: dict[int, datetime] = {}  # source id -> newest successful read, not yet written
        self._rows: Rows | None = None  # the configuration rows last applied
        self._load_error = ''  # the last load failure logged
        self.cycles = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix='modbus')

    # --------------------------------------------------------------------------------------- lifecycle
    def run(self) -> None:
        """Poll until stop() is called (from a signal handler or another thread)."""
        if not self.gateway_token:
            log.warning('GATEWAY_TOKEN is empty: gateway %d is matched by its id alone', self.gateway_id)
        self.writer.start()
        next_reload = next_seen = 0.0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                due = now + 1.0
                try:
                    if now >= next_reload:
                        ok = self.reload()
                        wait = self.options.reload_seconds if ok or self.loaded else self.options.startup_retry_seconds
                        next_reload = now + wait
                    if now >= next_seen:
                        self.flush_last_seen()
                        next_seen = now + self.options.last_seen_seconds
                    due = self.dispatch(now)
                except Exception:  # noqa: BLE001 - the loop must survive anything; the next turn retries
                    log.exception('unexpected error in the scheduler')
                    next_reload = max(next_reload, now + self.options.startup_retry_seconds)
                self._stop.wait(max(0.01, min(next_reload, next_seen, due) - time.monotonic()))
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.flush_last_seen()
            self.writer.stop(timeout=5.0)

    def stop(self) -> None:
        self._stop.set()

    # --------------------------------------------------------------------------------------- configuration
    def reload(self) -> bool:
        """Load the configuration; True on success. Failures keep the configuration already loaded."""
        try:
            rows = fetch_rows(self.db, self.gateway_id, self.gateway_token)
        except GatewayError as exc:
            self._load_failed(logging.ERROR, f'{exc}: check GATEWAY_ID and GATEWAY_TOKEN; retrying')
            return False
        except Exception as exc:  # noqa: BLE001 - the database may be away; keep polling what we have
            then = 'keeping the last one' if self.loaded else 'retrying'
            self._load_failed(logging.WARNING, f'cannot load the configuration ({exc}); {then}')
            return False
        if self._load_error:
            log.info('configuration loaded again')
            self._load_error = ''
        if rows == self._rows:
            return True  # nothing changed: no parsing, no planning
        sources, problems = build_sources(*rows)
        self._rows = rows
        self._report(problems)
        self.apply(sources)
        if not self.loaded:
            points = sum(len(s.points) for s in sources.values())
            log.info('gateway %d: %d Modbus TCP data sources, %d points', self.gateway_id, len(sources), points)
        self.loaded = True
        return True

    def _load_failed(self, level: int, message: str) -> None:
        """Log a failed load once, not at every retry."""
        if message != self._load_error:
            log.log(level, '%s', message)
            self._load_error = message

    def apply(self, sources: dict[int, SourceConfig]) -> None:
        now = time.monotonic()
        with self._lock:
            for source_id in list(self.sources):
                if source_id not in sources:
                    log.info('data source %d removed', source_id)
                    del self.sources[source_id]
            for source_id, config in sources.items():
                state = self.sources.get(source_id)
                if state is None:
                    if self.loaded:
                        log.info('data source %d (%s) added', source_id, config.name)
                    self.sources[source_id] = SourceState(config, due=now)
                elif state.config != config:
                    log.info('data source %d (%s) changed: takes effect at its next cycle', source_id, config.name)
                    state.config, state.memory = config, SourceMemory()
                    state.due = min(state.due, now + config.interval)
                    state.failures = 0

    def _report(self, problems: list[Problem]) -> None:
        current = set(problems)
        for problem in sorted(current - self.problems, key=lambda p: (p.kind, p.id)):
            log.error('configuration problem, %s', problem)
        for problem in self.problems - current:
            log.info('configuration problem resolved: %s %d (%s)', problem.kind, problem.id, problem.name)
        self.problems = current

    # --------------------------------------------------------------------------------------- polling
    def dispatch(self, now: float) -> float:
        """Hand every due source to the workers; returns the next due time."""
        next_due = now + 1.0
        with self._lock:
            for source_id, state in self.sources.items():
                if state.running or not state.config.requests:
                    continue
                if state.due <= now:
                    state.running = True
                    self._pool.submit(self._cycle, source_id, state.config, state.memory)
                else:
                    next_due = min(next_due, state.due)
        return next_due

    def _cycle(self, source_id: int, config: SourceConfig, memory: SourceMemory) -> None:
        try:
            outcome = self.poller(config, self.options.timeout, memory)
        except Exception as exc:  # noqa: BLE001 - a bug in one cycle must not stop the source for good
            log.exception('data source %d: cycle failed', source_id)
            outcome = Outcome('failed', error=str(exc))
        if outcome.readings:
            self.writer.submit(outcome.readings)
        self._done(source_id, config, outcome)

    def _done(self, source_id: int, config: SourceConfig, outcome: Outcome) -> None:
        now = time.monotonic()
        with self._lock:
            self.cycles += 1
            if outcome.reads:
                newest = max((r.utc_date_time for r in outcome.readings), default=None)
                if newest is not None:
                    self.seen[source_id] = max(newest, self.seen.get(source_id, newest))
            state = self.sources.get(source_id)
            if state is None:
                return  # removed while it was being read
            state.running = False
            self._log_status(state, outcome)
            self._log_points(state, outcome)
            interval = state.config.interval
            if outcome.status == DOWN:
                state.failures += 1
                base = min(interval, FIRST_RETRY_SECONDS)
                cap = max(self.options.max_backoff, interval)
                state.retry_delay = min(base * 2 ** min(state.failures - 1, 30), cap)
                state.due = now + state.retry_delay
            else:
                state.failures, state.retry_delay = 0, 0.0
                state.due = max(state.due + interval, now)

    @staticmethod
    def _log_status(state: SourceState, outcome: Outcome) -> None:
        c = state.config
        if outcome.status != state.status:
            if outcome.status == OK:
                if state.status:
                    log.info('data source %d (%s) at %s: reading again', c.id, c.name, c.endpoint)
            elif outcome.status == DOWN:
                log.warning('data source %d (%s): %s; backing off', c.id, c.name, outcome.error)
            elif outcome.status == TIMEOUT:
                log.warning('data source %d (%s): %s; retrying next interval', c.id, c.name, outcome.error)
            else:
                log.warning('data source %d (%s): %s', c.id, c.name, outcome.error or outcome.status)
        state.status = outcome.status

    @staticmethod
    def _log_points(state: SourceState, outcome: Outcome) -> None:
        names = {p.id: p.name for p in state.config.points}
        for point_id, reason in outcome.point_errors.items():
            if state.point_errors.get(point_id) != reason:
                log.warning('point %d (%s): %s', point_id, names.get(point_id, '?'), reason)
                state.point_errors[point_id] = reason
        for point_id in {r.point_id for r in outcome.readings} & set(state.point_errors):
            log.info('point %d (%s): reading again', point_id, names.get(point_id, '?'))
            del state.point_errors[point_id]

    # --------------------------------------------------------------------------------------- last seen
    def flush_last_seen(self) -> None:
        """Write the newest successful read time of every source read since the last flush, and the gateway's."""
        with self._lock:
            seen, self.seen = self.seen, {}
        if not seen:
            return
        ids = sorted(seen)
        cases = ' '.join(['WHEN %s THEN %s'] * len(ids))
        marks = ', '.join(['%s'] * len(ids))
        params: list[object] = [v for i in ids for v in (i, seen[i])]
        newest = max(seen.values())
        try:
            with self.db.transaction('system') as cur:
                cur.execute(
                    'UPDATE tbl_data_sources SET last_seen_datetime_utc = GREATEST('
                    f'COALESCE(last_seen_datetime_utc, CASE id {cases} END), CASE id {cases} END) '
                    f'WHERE id IN ({marks})',
                    params + params + ids,
                )
                cur.execute(
                    'UPDATE tbl_gateways SET last_seen_datetime_utc = '
                    'GREATEST(COALESCE(last_seen_datetime_utc, %s), %s) WHERE id = %s',
                    (newest, newest, self.gateway_id),
                )
        except Exception as exc:  # noqa: BLE001 - retried at the next flush
            log.warning('cannot update last_seen (%s); retrying', exc)
            with self._lock:
                for i, when in seen.items():
                    self.seen[i] = max(when, self.seen.get(i, when))
