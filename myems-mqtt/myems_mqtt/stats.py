"""Counters of accepted and rejected payloads per topic, and a rate limit for the log lines about them."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable


class TopicStats:
    """Thread-safe counts: readings accepted per topic, payloads rejected per (topic, reason)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted: Counter[str] = Counter()
        self.rejected: Counter[tuple[str, str]] = Counter()
        self.unrouted: Counter[str] = Counter()

    def accept(self, topic: str, readings: int) -> None:
        with self._lock:
            self.accepted[topic] += readings

    def reject(self, topic: str, reason: str) -> None:
        with self._lock:
            self.rejected[(topic, reason)] += 1

    def no_route(self, topic: str) -> None:
        with self._lock:
            self.unrouted[topic] += 1

    def accepted_on(self, topic: str) -> int:
        with self._lock:
            return self.accepted[topic]

    def rejected_on(self, topic: str, reason: str | None = None) -> int:
        with self._lock:
            return sum(n for (t, r), n in self.rejected.items() if t == topic and (reason is None or r == reason))

    def totals(self) -> tuple[int, int]:
        with self._lock:
            return sum(self.accepted.values()), sum(self.rejected.values())


class RateLimit:
    """Say whether to log about `key` now: at most once per `interval` seconds, counting what was held back."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def allow(self, key: str) -> tuple[bool, int]:
        """(log now?, how many were held back since the last line for this key)."""
        now = self.clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._held[key] += 1
                return False, 0
            self._last[key] = now
            return True, self._held.pop(key, 0)
