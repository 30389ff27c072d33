"""Raw readings from acquisition (Modbus, MQTT, HTTP push) and the one writer that stores them.

    writer = ReadingWriter(Database(settings), Path('/var/lib/ems/spool/modbus'))
    writer.start()
    writer.submit([Reading(7, 'ENERGY_VALUE', utc_now_seconds(), scale(raw, 'ENERGY_VALUE', ratio, offset))])
    ...
    writer.stop()

What the writer guarantees:

* Trend readings go to myems_historical_db ``tbl_{energy,analog,digital}_value``. A repeated (point, time)
  changes nothing: the first value stored wins (the primary key is (point_id, utc_date_time)).
* Every reading upserts ``tbl_*_value_latest`` (one row per point) in the same transaction, and the row only
  moves forward in time: an older or equally old reading arriving late leaves it as it is.
* ``submit`` never touches the database or the disk: it queues in memory and returns. A background thread
  writes batches, one transaction each.
* While the database is unreachable (``db.is_transient``), batches go to an on-disk spool of append-only,
  fsync'd segment files under ``spool_dir``, and are written in order once it is back. New readings queue
  behind the spool, so the database sees them in the order they were taken. A process started with a
  non-empty spool replays it first. The spool is bounded by ``max_spool_bytes``; when it is full the oldest
  segment is dropped, counted in ``stats().dropped`` and logged as an error.
* A row the database refuses (a value out of range, for example) is isolated by splitting the batch, logged
  with its point id and counted in ``stats().rejected``; the rest of the batch is written.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import mysql.connector

from myems_common.db import Database, bulk_upsert, is_transient
from myems_common.pipeline import mark_dirty

log = logging.getLogger(__name__)

ENERGY, ANALOG, DIGITAL = 'ENERGY_VALUE', 'ANALOG_VALUE', 'DIGITAL_VALUE'
OBJECT_TYPES = (ENERGY, ANALOG, DIGITAL)
TABLES = {ENERGY: 'tbl_energy_value', ANALOG: 'tbl_analog_value', DIGITAL: 'tbl_digital_value'}
_CODE = {ENERGY: 'E', ANALOG: 'A', DIGITAL: 'D'}
_TYPE_OF_CODE = {code: kind for kind, code in _CODE.items()}

# DECIMAL(21,6): 15 digits before the point. MyEMS keeps |value| <= 999,999,999,999,999.999.
DECIMAL_LIMIT = Decimal('999999999999999.999')
SIX_PLACES = Decimal('0.000001')
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # tbl_digital_value.actual_value is INT

# MySQL errors caused by one row's values: the row is rejected, the others are written.
ROW_ERRNOS = frozenset({1048, 1264, 1265, 1292, 1365, 1366, 1406, 3140})


@dataclass(frozen=True, slots=True)
class Reading:
    """One sample of one point. `utc_date_time` is naive UTC in whole seconds (the time it was read)."""

    point_id: int
    object_type: str
    utc_date_time: datetime
    actual_value: Decimal | int
    is_trend: bool = True


def utc_now_seconds() -> datetime:
    """Now, naive UTC, truncated to whole seconds: the timestamp of a reading taken now."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def to_decimal(raw: int | float | Decimal) -> Decimal:
    """An exact Decimal of a raw value. Floats go through their shortest repr (``str``), so a register
    holding 0.1 gives Decimal('0.1'), not the binary expansion 0.1000000000000000055511151231257827."""
    if isinstance(raw, bool):
        return Decimal(int(raw))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError(f'value is {raw}, not a finite number')
        return Decimal(repr(raw))
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValueError(f'value is {raw}, not a finite number')
        return raw
    raise ValueError(f'value {raw!r} is not a number')


def scale(raw: int | float | Decimal, object_type: str, ratio: Decimal, offset_constant: Decimal) -> Decimal | int:
    """``raw * ratio + offset_constant`` in exact Decimal arithmetic.

    ENERGY_VALUE and ANALOG_VALUE give a Decimal rounded (half to even) to the 6 places the column keeps;
    DIGITAL_VALUE gives an int, rounded half away from zero after the full Decimal computation (MyEMS
    truncates the ratio to an int first, so a ratio of 0.5 became 0). Raises ValueError, naming the value,
    for NaN, infinity, a value outside DECIMAL(21,6) (|v| > 999,999,999,999,999.999) or, for a digital
    point, outside INT.
    """
    if object_type not in OBJECT_TYPES:
        raise ValueError(f'unknown object type {object_type!r}')
    try:
        value = to_decimal(raw) * Decimal(ratio) + Decimal(offset_constant)
    except InvalidOperation:
        raise ValueError(f'value {raw!r} cannot be scaled by {ratio} and {offset_constant}') from None
    if object_type == DIGITAL:
        whole = int(value.to_integral_value(rounding=ROUND_HALF_UP))
        if not INT_MIN <= whole <= INT_MAX:
            raise ValueError(f'digital value {whole} (raw {raw!r}) is outside the INT range')
        return whole
    if abs(value) > DECIMAL_LIMIT:
        raise ValueError(f'value {value} (raw {raw!r}) is outside DECIMAL(21,6): |v| > 999,999,999,999,999.999')
    return value.quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)


# ------------------------------------------------------------------------------------------- spool lines
def encode(reading: Reading) -> str:
    """One spool line: point, type code, time, value, trend flag, tab-separated."""
    return (
        f'{reading.point_id}\t{_CODE[reading.object_type]}\t{reading.utc_date_time:%Y-%m-%d %H:%M:%S}\t'
        f'{reading.actual_value}\t{int(reading.is_trend)}\n'
    )


def decode(line: str) -> Reading:
    """The reading of one spool line; ValueError for a damaged line."""
    parts = line.rstrip('\n').split('\t')
    if len(parts) != 5 or parts[1] not in _TYPE_OF_CODE or parts[4] not in ('0', '1'):
        raise ValueError(f'damaged spool line {line!r}')
    kind = _TYPE_OF_CODE[parts[1]]
    value: Decimal | int = int(parts[3]) if kind == DIGITAL else Decimal(parts[3])
    return Reading(int(parts[0]), kind, datetime.strptime(parts[2], '%Y-%m-%d %H:%M:%S'), value, parts[4] == '1')


# ------------------------------------------------------------------------------------------- spool
@dataclass
class _Segment:
    seq: int
    path: Path
    size: int
    count: int


class Spool:
    """Append-only segment files ``NNNNNNNNNNNN.spool`` in one directory, oldest first, bounded in bytes.

    Not thread-safe by itself: the writer holds its lock around every call.
    """

    SUFFIX = '.spool'

    def __init__(self, directory: Path, max_bytes: int, segment_bytes: int | None = None) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes or max(64 * 1024, min(8 * 1024 * 1024, max_bytes // 8))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.segments: deque[_Segment] = deque()
        self.sealed: set[int] = set()  # segments handed out for replay: nothing more is appended to them
        self.dropped = 0
        for path in sorted(self.directory.glob('*' + self.SUFFIX)):
            try:
                seq = int(path.stem)
            except ValueError:
                continue
            with path.open('rb') as f:
                count = sum(1 for _ in f)
            self.segments.append(_Segment(seq, path, path.stat().st_size, count))

    @property
    def count(self) -> int:
        return sum(s.count for s in self.segments)

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)

    def __bool__(self) -> bool:
        return bool(self.segments)

    def append(self, readings: Sequence[Reading]) -> None:
        """Write readings durably (fsync) at the end of the spool, then drop the oldest segments over the bound."""
        if not readings:
            return
        data = ''.join(encode(r) for r in readings).encode()
        last = self.segments[-1] if self.segments else None
        if last is None or last.seq in self.sealed or last.size + len(data) > self.segment_bytes:
            seq = last.seq + 1 if last else 1
            last = _Segment(seq, self.directory / f'{seq:012d}{self.SUFFIX}', 0, 0)
            self.segments.append(last)
            created = True
        else:
            created = False
        try:
            with last.path.open('ab') as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if created:
                self._sync_directory()
        except OSError:
            self._undo(last, created)
            raise
        last.size += len(data)
        last.count += len(readings)
        self._enforce_bound()

    def _undo(self, segment: _Segment, created: bool) -> None:
        """After a failed append: cut the segment back to what it held (no half line stays behind)."""
        try:
            if created:
                self.segments.remove(segment)
                segment.path.unlink(missing_ok=True)
            elif segment.path.exists():
                os.truncate(segment.path, segment.size)
        except OSError:
            log.exception('cannot undo a failed append to %s', segment.path)

    def _enforce_bound(self) -> None:
        while self.size > self.max_bytes and len(self.segments) > 1:
            oldest = self.segments.popleft()
            self.sealed.discard(oldest.seq)
            oldest.path.unlink(missing_ok=True)
            self.dropped += oldest.count
            log.error(
                'spool %s is over its bound of %d bytes: dropped its oldest %d readings (%s); %d dropped so far',
                self.directory, self.max_bytes, oldest.count, oldest.path.name, self.dropped,
            )  # fmt: skip

    def oldest(self) -> tuple[int, list[Reading]] | None:
        """The oldest segment's readings (damaged lines skipped and logged); appends go to a new segment."""
        if not self.segments:
            return None
        segment = self.segments[0]
        self.sealed.add(segment.seq)
        readings = []
        with segment.path.open('r', encoding='utf-8', errors='replace') as f:
            for number, line in enumerate(f, start=1):
                try:
                    readings.append(decode(line))
                except ValueError:
                    log.warning('spool %s line %d is damaged and skipped: %r', segment.path, number, line[:200])
        return segment.seq, readings

    def remove(self, seq: int) -> None:
        """Forget a segment once its readings are stored."""
        for segment in list(self.segments):
            if segment.seq == seq:
                self.segments.remove(segment)
                self.sealed.discard(seq)
                segment.path.unlink(missing_ok=True)
                return

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ------------------------------------------------------------------------------------------- database
def latest_sql(object_type: str, rows: int) -> str:
    """Upsert of `rows` rows into a *_latest table that only moves a point's row forward in time.

    MySQL and MariaDB evaluate the assignments left to right, so actual_value is compared with the old
    utc_date_time before utc_date_time itself is moved.
    """
    table = TABLES[object_type] + '_latest'
    values = ', '.join(['(%s, %s, %s)'] * rows)
    return (
        f'INSERT INTO {table} (point_id, utc_date_time, actual_value) VALUES {values} ON DUPLICATE KEY UPDATE '
        'actual_value = IF(VALUES(utc_date_time) > utc_date_time, VALUES(actual_value), actual_value), '
        'utc_date_time = GREATEST(utc_date_time, VALUES(utc_date_time))'
    )


def newest_per_point(readings: Iterable[Reading]) -> list[Reading]:
    """Each point's newest reading (the first of equal times), ordered by point id (a stable lock order)."""
    newest: dict[int, Reading] = {}
    for r in readings:
        seen = newest.get(r.point_id)
        if seen is None or r.utc_date_time > seen.utc_date_time:
            newest[r.point_id] = r
    return [newest[p] for p in sorted(newest)]


CLEANING_STEP = 'energy_cleaning'


def mark_late(cur: Any, trend: Sequence[tuple[int, datetime, Any]]) -> None:
    """Energy readings older than their point's latest one arrived out of order: ask cleaning (whose
    watermark may have passed them) to look at their time range again. `trend` is sorted by point, time."""
    points = sorted({p for p, _, _ in trend})
    marks = ', '.join(['%s'] * len(points))
    cur.execute(f'SELECT point_id, utc_date_time FROM tbl_energy_value_latest WHERE point_id IN ({marks})', points)
    latest = dict(cur.fetchall())
    late: dict[int, tuple[datetime, datetime]] = {}
    for point, moment, _ in trend:
        if point in latest and moment < latest[point]:
            first, last = late.get(point, (moment, moment))
            late[point] = (min(first, moment), max(last, moment))
    for point, (first, last) in late.items():
        mark_dirty(cur, CLEANING_STEP, point, first, last + timedelta(seconds=1), 'late reading')


def write_batch(cur: Any, readings: Sequence[Reading], batch_size: int = 2000) -> None:
    """Write readings inside the caller's transaction: trend rows (first value wins) and *_latest rows."""
    for kind in OBJECT_TYPES:
        of_kind = [r for r in readings if r.object_type == kind]
        if not of_kind:
            continue
        trend = sorted(
            ((r.point_id, r.utc_date_time, r.actual_value) for r in of_kind if r.is_trend), key=lambda t: t[:2]
        )
        if trend and kind == ENERGY:
            mark_late(cur, trend)
        if trend:
            bulk_upsert(
                cur,
                TABLES[kind],
                ('point_id', 'utc_date_time', 'actual_value'),
                trend,
                update=(),
                batch_size=batch_size,
            )
        latest = newest_per_point(of_kind)
        for start in range(0, len(latest), batch_size):
            chunk = latest[start : start + batch_size]
            cur.execute(
                latest_sql(kind, len(chunk)), [v for r in chunk for v in (r.point_id, r.utc_date_time, r.actual_value)]
            )


def is_row_error(exc: BaseException) -> bool:
    """True when the database refused a value (the row is bad), not the connection or the statement."""
    if isinstance(exc, mysql.connector.errors.DataError | mysql.connector.errors.IntegrityError):
        return True
    return isinstance(exc, mysql.connector.Error) and getattr(exc, 'errno', None) in ROW_ERRNOS


class DatabaseUnavailable(Exception):
    """The batch could not be written for now; it is kept (spooled) and retried."""


# ------------------------------------------------------------------------------------------- writer
@dataclass(frozen=True)
class WriterStats:
    submitted: int = 0
    written: int = 0  # readings stored (trend and latest) in committed transactions
    spooled: int = 0  # readings that went through the disk spool
    replayed: int = 0  # spooled readings later written
    dropped: int = 0  # spooled readings lost because the spool was full
    rejected: int = 0  # readings the database refused (logged with their point id)
    queued: int = 0  # in memory now
    spool_readings: int = 0  # on disk now
    spool_bytes: int = 0
    database_up: bool = True


class ReadingWriter:
    """Stores readings in batches from a background thread, through a disk spool while the database is away."""

    def __init__(
        self,
        database: Database,
        spool_dir: Path,
        *,
        max_spool_bytes: int = 256 * 1024 * 1024,
        batch_size: int = 2000,
        flush_interval: float = 1.0,
        retry_max_seconds: float = 10.0,
    ) -> None:
        self.database = database
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.retry_max_seconds = retry_max_seconds
        self._queue: deque[Reading] = deque()
        self._lock = threading.Lock()  # guards the queue and the counters
        self._spool_lock = threading.Lock()
        self._spool = Spool(spool_dir, max_spool_bytes)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._stats = WriterStats()
        self._stats_lock = threading.Lock()
        self._busy = False
        self._up = True
        self._retry_at = 0.0
        self._failures = 0
        if self._spool:
            log.warning(
                'spool %s holds %d readings from an earlier run: they are written first',
                spool_dir, self._spool.count,
            )  # fmt: skip

    # --------------------------------------------------------------------------------------- public
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name='reading-writer', daemon=True)
        self._thread.start()

    def submit(self, readings: Iterable[Reading]) -> None:
        """Queue readings for writing; thread-safe, returns at once."""
        batch = list(readings)
        if not batch:
            return
        with self._lock:
            self._queue.extend(batch)
            full = len(self._queue) >= self.batch_size
        self._count(submitted=len(batch))
        if full:
            self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what can be written within `timeout`; whatever is left stays in the spool for the next run."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning('the writer did not finish within %.1f s; the rest is spooled', timeout)
        self._spill_queue()

    def stats(self) -> WriterStats:
        with self._lock, self._spool_lock, self._stats_lock:
            return replace(
                self._stats,
                queued=len(self._queue),
                spool_readings=self._spool.count,
                spool_bytes=self._spool.size,
                dropped=self._spool.dropped,
                database_up=self._up,
            )

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or spooled (for tests and benchmarks); True if it got there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.stats()
            if s.queued == 0 and s.spool_readings == 0 and not self._busy:
                return True
            self._wake.set()
            time.sleep(0.05)
        return False

    # --------------------------------------------------------------------------------------- thread
    def _run(self) -> None:
        while True:
            stopping = self._stopping.is_set()
            try:
                self._busy = True
                self._cycle(final=stopping)
            except Exception:  # noqa: BLE001 - never let the writer thread die; the batch was spooled
                log.exception('unexpected error in the reading writer')
                self._mark_down()
            finally:
                self._busy = False
            if stopping:
                return
            self._wake.wait(self.flush_interval)
            self._wake.clear()

    def _cycle(self, final: bool = False) -> None:
        """Replay the spool if the database may be back, then write or spool what is queued."""
        if self._spool_pending() and self._may_try():
            self._replay(final)
        while True:
            batch = self._take()
            if not batch:
                return
            if self._spool_pending() or not self._may_try():
                if not self._to_spool(batch):
                    return
                continue
            try:
                self._write(batch)
                self._mark_up()
            except DatabaseUnavailable:
                self._mark_down()
                if not self._to_spool(batch):
                    return

    def _replay(self, final: bool) -> None:
        deadline = time.monotonic() + (5.0 if final else 30.0)
        while time.monotonic() < deadline:
            with self._spool_lock:
                segment = self._spool.oldest()
            if segment is None:
                return
            seq, readings = segment
            try:
                for start in range(0, len(readings), self.batch_size):
                    self._write(readings[start : start + self.batch_size])
            except DatabaseUnavailable:
                self._mark_down()
                return
            with self._spool_lock:
                self._spool.remove(seq)
            self._count(replayed=len(readings))
            self._mark_up()
            log.info('replayed %d spooled readings', len(readings))

    def _write(self, batch: Sequence[Reading]) -> None:
        """Write one batch in one transaction; refused rows are isolated by splitting the batch."""
        try:
            with self.database.transaction('historical') as cur:
                write_batch(cur, batch, self.batch_size)
        except Exception as exc:  # noqa: BLE001 - classified below
            if is_row_error(exc):
                if len(batch) == 1:
                    r = batch[0]
                    log.error(
                        'point %d: reading %s at %s refused by the database and dropped: %s',
                        r.point_id, r.actual_value, r.utc_date_time, exc,
                    )  # fmt: skip
                    self._count(rejected=1)
                    return
                half = len(batch) // 2
                self._write(batch[:half])
                self._write(batch[half:])
                return
            if is_transient(exc) or isinstance(exc, TimeoutError | OSError):
                log.warning('historical database unavailable (%s): readings are spooled', exc)
            else:
                log.error('writing readings failed (%s): readings are spooled and retried', exc)
            raise DatabaseUnavailable(str(exc)) from exc
        self._count(written=len(batch))

    # --------------------------------------------------------------------------------------- helpers
    def _take(self) -> list[Reading]:
        with self._lock:
            n = min(self.batch_size, len(self._queue))
            return [self._queue.popleft() for _ in range(n)]

    def _spool_pending(self) -> bool:
        with self._spool_lock:
            return bool(self._spool)

    def _to_spool(self, batch: Sequence[Reading]) -> bool:
        """Spool a batch; if the disk refuses (full, read-only), keep it at the head of the memory queue."""
        try:
            with self._spool_lock:
                self._spool.append(batch)
        except OSError as exc:
            log.error(
                'cannot write the spool %s (%s): %d readings stay in memory', self._spool.directory, exc, len(batch)
            )
            with self._lock:
                self._queue.extendleft(reversed(batch))
            return False
        self._count(spooled=len(batch))
        return True

    def _spill_queue(self) -> None:
        while batch := self._take():
            if not self._to_spool(batch):
                with self._lock:
                    lost = len(self._queue)
                    self._queue.clear()
                log.error('%d readings could not be written nor spooled and are lost', lost)
                return

    def _may_try(self) -> bool:
        return self._up or time.monotonic() >= self._retry_at

    def _mark_up(self) -> None:
        if not self._up:
            log.info('historical database is back after %d failed attempts', self._failures)
        self._up, self._failures = True, 0

    def _mark_down(self) -> None:
        self._up = False
        self._failures += 1
        self._retry_at = time.monotonic() + min(self.retry_max_seconds, 0.5 * 2 ** min(self._failures, 10))

    def _count(self, **changes: int) -> None:
        with self._stats_lock:
            self._stats = replace(self._stats, **{k: getattr(self._stats, k) + v for k, v in changes.items()})
