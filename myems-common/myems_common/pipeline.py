"""Pipeline steps and the one runner that drives them.

A step turns one object's inputs over a time range into output rows: a point's readings into flags
(cleaning), a meter's readings into slot energy (normalization), a space's sources into roll-ups
(aggregation). It declares what it needs and writes; the runner owns everything else:

* a watermark per (step, object) in ``tbl_pipeline_progress`` of the step's database: everything
  before it is done. It moves in the same transaction as the rows it covers, so a process killed at any
  instant resumes exactly where the committed work ends, and redoing a chunk writes the same rows.
  Input that arrives behind a watermark is not looked for by scanning: whoever writes it says so with
  ``mark_dirty`` (the reading writer does for out-of-order readings, the file processors for repairs).
* dirty ranges in ``tbl_pipeline_dirty_ranges``: late data, a repair or a configuration change asks for
  a range to be recomputed (``mark_dirty``). The runner recomputes the part below the watermark (the
  part above it is ahead anyway) and deletes the request in the transaction of the last chunk.
* bounded chunks (``Step.chunk``), one transaction each; transient database errors are retried with
  backoff; a stop request is honoured between chunks.

A step never sleeps, loops or opens connections of its own beyond reading through the Database it is
given.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from myems_common.db import BatchedCursor, Database, is_transient
from myems_common.slotstore import FRESH, in_list
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)

T = TypeVar('T')
PROGRESS = 'tbl_pipeline_progress'
DIRTY = 'tbl_pipeline_dirty_ranges'


class Step(Protocol):
    """What a pipeline stage declares. `compute` reads (outside the write transaction); `write` stores
    the result inside it."""

    name: str  # the key of its watermarks and dirty ranges, e.g. 'meter_energy'
    database: str  # settings key of the database it writes, which also holds its bookkeeping
    chunk: timedelta  # the longest range done in one transaction
    # a step may set `ordered = True`: its objects are then done one after another in the order of
    # objects() (virtual meters, which read each other), never side by side; an ordered step may also
    # set `groups` (in objects()) to lists of ids done one list after another, side by side within one

    def objects(self, db: Database) -> Sequence[int]:
        """The ids to process this pass (meters, points, ...)."""
        ...

    def bounds(
        self, db: Database, object_ids: Sequence[int], progress: Mapping[int, datetime]
    ) -> dict[int, tuple[datetime | None, datetime]]:
        """Per object, (where its work starts if it has no watermark in `progress` yet, how far its inputs
        are complete). Objects with no input yet are left out."""
        ...

    def compute(self, db: Database, object_id: int, start: datetime, end: datetime) -> Any:
        """The result for [start, end) of one object; reads inputs, writes nothing."""
        ...

    def write(self, cur: Any, object_id: int, start: datetime, end: datetime, result: Any) -> datetime | None:
        """Store `result` with the runner's cursor (a transaction on the step's database). Idempotent: the
        same range written twice leaves the same rows. May return how far it really got (< end when the
        rest cannot be decided yet): the watermark stops there until the next pass."""
        ...


@dataclass(frozen=True)
class Dirty:
    ids: tuple[int, ...]  # the request rows, deleted once the ranges are recomputed
    ranges: tuple[tuple[datetime, datetime], ...]  # merged, sorted


# ----------------------------------------------------------------------------------- bookkeeping SQL
def _table(name: str, database: str | None) -> str:
    return f'`{database}`.`{name}`' if database else f'`{name}`'


def mark_dirty(
    cur: Any,
    step: str,
    object_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    database: str | None = None,
) -> None:
    """Ask `step` to recompute [start, end) of `object_id`. `database` names the step's database when the
    cursor is on another one of the same server (the request then commits with the caller's change)."""
    if end <= start:
        return
    cur.execute(
        f'INSERT INTO {_table(DIRTY, database)} (step, object_id, start_datetime_utc, end_datetime_utc, reason,'
        ' created_datetime_utc) VALUES (%s, %s, %s, %s, %s, %s)',
        (step, object_id, start, end, reason[:64], utc_now()),
    )


def read_progress(cur: Any, step: str) -> dict[int, datetime]:
    cur.execute(f'SELECT object_id, processed_until_utc FROM `{PROGRESS}` WHERE step = %s', (step,))
    return {int(object_id): until for object_id, until in cur.fetchall()}


def set_progress(cur: Any, step: str, object_id: int, until: datetime) -> None:
    cur.execute(
        f'INSERT INTO `{PROGRESS}` (step, object_id, processed_until_utc, updated_datetime_utc) VALUES (%s, %s, %s, %s)'
        ' ON DUPLICATE KEY UPDATE processed_until_utc = VALUES(processed_until_utc),'
        ' updated_datetime_utc = VALUES(updated_datetime_utc)',
        (step, object_id, until, utc_now()),
    )


def watermarks(cur: Any, targets: Sequence[tuple[str, int, str]]) -> dict[tuple[str, int, str], datetime]:
    """The watermarks of (step, object id, database name) targets that have one (one statement, however many
    databases they are in)."""
    found: dict[tuple[str, int, str], datetime] = {}
    for first in range(0, len(targets), 500):
        part = targets[first : first + 500]
        selects, params = [], []
        for database in sorted({t[2] for t in part}):
            pairs = [(name, object_id) for name, object_id, db in part if db == database]
            selects.append(
                f'SELECT %s, step, object_id, processed_until_utc FROM {_table(PROGRESS, database)} WHERE '
                + ' OR '.join(['(step = %s AND object_id = %s)'] * len(pairs))
            )
            params += [database, *(v for pair in pairs for v in pair)]
        cur.execute(' UNION ALL '.join(selects), params)
        found.update({(str(n), int(o), str(d)): until for d, n, o, until in cur.fetchall()})
    return found


def merge(ranges: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, overlapping or touching ranges joined."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def read_dirty(cur: Any, step: str, object_ids: Sequence[int] | None = None) -> dict[int, Dirty]:
    """The dirty ranges of a step's objects (of `object_ids` only, if given)."""
    if object_ids is not None and not object_ids:
        return {}
    some = '' if object_ids is None else f' AND {in_list("object_id", object_ids)}'
    cur.execute(
        f'SELECT id, object_id, start_datetime_utc, end_datetime_utc FROM `{DIRTY}` WHERE step = %s{some} ORDER BY id',
        (step, *(object_ids or ())),
    )
    rows: dict[int, list[tuple[int, datetime, datetime]]] = {}
    for id_, object_id, start, end in cur.fetchall():
        rows.setdefault(int(object_id), []).append((int(id_), start, end))
    return {
        object_id: Dirty(tuple(r[0] for r in found), tuple(merge((r[1], r[2]) for r in found)))
        for object_id, found in rows.items()
    }


def delete_dirty(cur: Any, ids: Sequence[int]) -> None:
    for first in range(0, len(ids), 1000):
        chunk = ids[first : first + 1000]
        cur.execute(f'DELETE FROM `{DIRTY}` WHERE id IN ({", ".join(["%s"] * len(chunk))})', chunk)


def chunks(start: datetime, end: datetime, size: timedelta) -> Iterable[tuple[datetime, datetime]]:
    while start < end:
        stop = min(start + size, end)
        yield start, stop
        start = stop


def dependents(step: Step, db: Database, object_id: int) -> list[tuple[str, int, str]]:
    """(step name, object id, database name) of the consumers of one object's output, if the step says.

    A step may define ``dependents(db, object_id) -> [(step name, object id, settings database key)]``;
    the runner marks them dirty whenever it recomputes a range below the watermark, and when it advances
    over a range a consumer's watermark has already passed.
    """
    declared = getattr(step, 'dependents', None)
    if declared is None:
        return []
    return [(name, target, db.settings.db(key).database) for name, target, key in declared(db, object_id)]


# --------------------------------------------------------------------------------------------- runner
class Stopped(Exception):
    """A stop was requested; the work committed so far stands."""


@dataclass
class PassResult:
    chunks: int = 0
    objects: int = 0
    failures: int = 0


class Runner:
    """Drives steps over a Database: passes, chunks, transactions, retries and a graceful stop."""

    def __init__(
        self,
        db: Database,
        steps: Sequence[Step],
        *,
        retries: int = 5,
        backoff: float = 0.5,
        stop_event: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = 1,
    ) -> None:
        self.db = db
        self.workers = workers  # objects of an unordered step processed side by side (database time overlaps)
        self.steps = list(steps)
        self.retries = retries
        self.backoff = backoff
        self.stop_event = stop_event or threading.Event()
        self.sleep = sleep

    # ------------------------------------------------------------------ loop
    def run_forever(self, interval: float) -> None:
        """Passes until stopped; sleeps `interval` seconds only after a pass that found nothing to do."""
        while not self.stop_event.is_set():
            try:
                done = sum(self.run_pass(step).chunks for step in self.steps)
            except Stopped:
                break
            except Exception as error:  # a database that stays down: log, wait, try again
                if not is_transient(error):
                    raise
                log.warning('database unavailable, next pass in %.0f s: %s', interval, error)
                done = 0
            if not done:
                self.stop_event.wait(interval)
        log.info('stopped')

    def run_until_idle(self, max_passes: int = 1000) -> int:
        """Passes until one does nothing (for tests, backfills and benchmarks); the chunks done."""
        total = 0
        for _ in range(max_passes):
            done = sum(self.run_pass(step).chunks for step in self.steps)
            total += done
            if not done:
                return total
        raise RuntimeError(f'still busy after {max_passes} passes')

    # ------------------------------------------------------------------ one pass
    def run_pass(self, step: Step) -> PassResult:
        result = PassResult()
        ids = list(step.objects(self.db))
        ordered = bool(getattr(step, 'ordered', False))
        with self.db.read(step.database) as cur:
            progress = read_progress(cur, step.name)
            dirty = read_dirty(cur, step.name)
        # An ordered step's objects read each other (a parent space its children): each one's bounds are read
        # just before it is done, and the dirty ranges of a group (which the objects of the group do not ask
        # of each other) just before the group, so what the objects before it wrote in this pass reaches it
        # in this pass (the whole tree in one pass).
        bounds = step.bounds(self.db, ids, progress) if ids and not ordered else {}

        def one(object_id: int) -> int | None:
            """Chunks done for one object, or None if it failed."""
            if self.stop_event.is_set():
                raise Stopped
            try:
                if ordered:
                    bounds.update(step.bounds(self.db, [object_id], progress))
                start, horizon = bounds.get(object_id, (None, None))
                if horizon is not None:  # watermarks are stored in whole seconds (DATETIME)
                    horizon = horizon.replace(microsecond=0)
                until = progress.get(object_id, start)
                return self._object(step, object_id, until, horizon, dirty.get(object_id))
            except Stopped:
                raise
            except Exception:  # one object's bad input must not hold back the others
                log.exception('%s: object %s failed; it is retried next pass', step.name, object_id)
                return None

        # groups done one after another, the objects of a group side by side: one group for an unordered
        # step, one object a group for an ordered one, or the step's own (the levels of the space tree)
        groups = [ids] if not ordered else getattr(step, 'groups', None) or [[i] for i in ids]
        outcomes: list[int | None] = []
        for group in groups:
            if ordered:  # the groups before have written: their requests for this one are in
                with self.db.read(step.database) as cur:
                    dirty.update(read_dirty(cur, step.name, group))
            if self.workers > 1 and len(group) > 1:
                with ThreadPoolExecutor(self.workers, thread_name_prefix=step.name) as pool:
                    outcomes += list(pool.map(one, group))
            else:
                outcomes += [one(object_id) for object_id in group]
        result.objects = len(outcomes)
        result.chunks = sum(o for o in outcomes if o is not None)
        result.failures = sum(1 for o in outcomes if o is None)
        known = set(ids)
        stale = [i for object_id, d in dirty.items() if object_id not in known for i in d.ids]
        if stale:  # requests for objects that no longer exist
            self._retry(partial(self._delete, step, stale))
        return result

    def _object(
        self, step: Step, object_id: int, until: datetime | None, horizon: datetime | None, dirty: Dirty | None
    ) -> int:
        done = 0
        if dirty is not None:
            wanted = [(s, min(e, until)) for s, e in dirty.ranges if until is not None and s < until]
            pieces = [piece for s, e in wanted for piece in chunks(s, e, step.chunk)]
            for number, (start, end) in enumerate(pieces, 1):
                consumed = dirty.ids if number == len(pieces) else ()
                self._retry(partial(self._chunk, step, object_id, start, end, False, consumed))
                done += 1
            if not pieces:
                self._retry(partial(self._delete, step, dirty.ids))
        if until is None or horizon is None:
            return done
        while until < horizon:
            if self.stop_event.is_set():
                raise Stopped
            start, end = until, min(until + step.chunk, horizon)
            reached = self._retry(partial(self._chunk, step, object_id, start, end, True, ()))
            done += 1
            if reached < end:  # the step could not decide the rest yet
                break
            until = end
        return done

    def _chunk(
        self, step: Step, object_id: int, start: datetime, end: datetime, advance: bool, consumed: Sequence[int]
    ) -> datetime:
        result = step.compute(self.db, object_id, start, end)
        later = dependents(step, self.db, object_id)
        with self.db.transaction(step.database) as plain:
            # the writes go to the server together, with the consumers' watermarks (or at the end)
            cur = BatchedCursor(plain)
            fresh = FRESH.set(advance)  # past the watermark: none of the range's rows can exist yet
            try:
                reached = step.write(cur, object_id, start, end, result)
            finally:
                FRESH.reset(fresh)
            reached = end if reached is None else max(start, min(reached, end))
            if advance:
                set_progress(cur, step.name, object_id, reached)
                # a consumer already past this range computed it without these rows (a parent space
                # that went ahead with its other sources): it recomputes the part it has done
                passed = watermarks(cur, later) if later else {}
                targets = [(t, min(reached, passed[t])) for t in later if t in passed and passed[t] > start]
            else:  # a recomputed range changes what every consumer read
                targets = [(t, end) for t in later]
            for (name, target, database), until in targets:
                mark_dirty(cur, name, target, start, until, f'{step.name} {object_id}', database)
            if consumed:
                delete_dirty(cur, consumed)
            cur.flush()
        return reached

    def _delete(self, step: Step, ids: Sequence[int]) -> None:
        with self.db.transaction(step.database) as cur:
            delete_dirty(cur, ids)

    def _retry(self, work: Callable[[], T]) -> T:
        for attempt in range(self.retries + 1):
            try:
                return work()
            except Exception as error:
                if not is_transient(error) or attempt == self.retries:
                    raise
                delay = self.backoff * 2**attempt
                log.warning('transient database error, retry %d in %.1f s: %s', attempt + 1, delay, error)
                self.sleep(delay)
        raise AssertionError('unreachable')
