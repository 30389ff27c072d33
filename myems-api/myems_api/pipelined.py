"""Run a chain of dependent reads in one round trip, by guessing what the first reads will answer.

A report reads how far the daily sums hold, then the days up to there, then its children's totals: three
round trips, each waiting on the last. `pipelined(cur, work, guess)` runs `work` twice:

1. with a recording cursor: `guess` answers the reads it can foresee (how far the daily sums hold: to the
   end of time), every other read answers nothing, and each statement `work` sends is noted;
2. the noted statements are sent in one round trip (`fetch_sets`);
3. `work` runs again on a replaying cursor that answers each statement it sends with the rows the database
   gave for that same statement (same SQL, same parameters). A statement that was not noted, because a real
   answer took `work` down another path than the guess (the daily sums stop short, a day is of another
   zone), is sent to the database there and then.

So the result is always `work`'s on the real data; a right guess only saves the waits, and makes the reads one
snapshot (statements a wrong guess sends later are not in it). `work` must only read, and build its result
from its cursor's answers alone (it runs twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from myems_common.db import fetch_sets as send_sets

log = logging.getLogger(__name__)
T = TypeVar('T')
Rows = list[tuple[Any, ...]]
Guess = Callable[[str, tuple[Any, ...]], Rows | None]


def _key(sql: str, params: Sequence[Any] | None) -> tuple[str, tuple[Any, ...]]:
    return sql, tuple(params or ())


class _Cursor:
    """The part of a DB-API cursor that readers use: execute, fetchall, fetchone, and `fetch_sets`."""

    def __init__(self) -> None:
        self._rows: Rows = []

    def answer(self, sql: str, params: tuple[Any, ...]) -> Rows:
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._rows = list(self.answer(*_key(sql, params)))  # a copy: what `work` does to it stays with it

    def fetchall(self) -> Rows:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def nextset(self) -> bool:
        return False

    def fetch_sets(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[Rows]:
        return [list(self.answer(*_key(sql, params))) for sql, params in statements]


class Recorder(_Cursor):
    def __init__(self, guess: Guess) -> None:
        super().__init__()
        self.guess = guess
        self.noted: dict[tuple[str, tuple[Any, ...]], None] = {}  # in the order sent

    def answer(self, sql: str, params: tuple[Any, ...]) -> Rows:
        self.noted[sql, params] = None
        return self.guess(sql, params) or []


class Replayer(_Cursor):
    def __init__(self, cur: Any, answers: dict[tuple[str, tuple[Any, ...]], Rows]) -> None:
        super().__init__()
        self.cur = cur
        self.answers = answers
        self.missed = 0  # statements sent to the database at replay (the guess was wrong)

    def answer(self, sql: str, params: tuple[Any, ...]) -> Rows:
        found = self.answers.get((sql, params))
        if found is None:
            self.missed += 1
            self.cur.execute(sql, params)
            found = self.answers[sql, params] = list(self.cur.fetchall())
        return found

    def fetch_sets(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[Rows]:
        keys = [_key(sql, params) for sql, params in statements]
        missing = [k for k in dict.fromkeys(keys) if k not in self.answers]
        if missing:  # those not sent yet, in one round trip
            self.missed += len(missing)
            self.answers.update(zip(missing, send_sets(self.cur, missing), strict=True))
        return [list(self.answers[k]) for k in keys]


def fetch_sets(cur: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[Rows]:
    """`db.fetch_sets`, answered by a pipelined cursor when `cur` is one."""
    if isinstance(cur, _Cursor):
        found: list[Rows] = cur.fetch_sets(statements)
    else:
        found = send_sets(cur, statements)
    return found


def pipelined(cur: Any, work: Callable[[Any], T], guess: Guess) -> T:
    """`work(cursor)`, its reads sent in one round trip where `guess` foresees the answers they depend on.
    Those reads are one snapshot: a report never mixes a day's rows from before a recompute with hourly rows
    from after it. `cur`'s connection must be in autocommit mode (`Database.read`)."""
    recorder = Recorder(guess)
    try:
        work(recorder)
    except Exception:  # the guessed (or empty) answers made no sense to `work`: read the usual way
        log.debug('pipelining a read failed; reading one statement at a time', exc_info=True)
        return work(cur)
    noted = list(recorder.noted)
    answers = dict(zip(noted, send_sets(cur, noted, snapshot=True), strict=True)) if noted else {}
    return work(Replayer(cur, answers))
