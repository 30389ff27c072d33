"""The MQTT acquisition daemon: all mqtt data sources of one gateway in one process.

One loop (in the caller's thread) reloads the configuration every `reload_seconds`, keeps one BrokerClient
per broker in step with it, and every `last_seen_seconds` moves last_seen_datetime_utc of the data sources
(and of the gateway) that delivered at least one accepted reading. paho's network threads turn messages into
Readings and hand them to the shared ReadingWriter, which never blocks and spools to disk while the
database is away. A database that is unreachable at start (or later) is waited for, never fatal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from myems_common.config import Settings
from myems_common.db import Database
from myems_common.readings import Reading, ReadingWriter, scale
from myems_common.timeutil import utc_now
from myems_mqtt.addresses import Broker, PointSpec
from myems_mqtt.client import BrokerClient
from myems_mqtt.payload import PayloadError, decode_document, load_json
from myems_mqtt.plan import GatewayError, Plan, load_plan
from myems_mqtt.stats import RateLimit, TopicStats

log = logging.getLogger('myems_mqtt')

RELOAD_SECONDS = 30.0
LAST_SEEN_SECONDS = 15.0
RETRY_MAX_SECONDS = 30.0
REJECT_LOG_SECONDS = 60.0
SUMMARY_SECONDS = 300.0


class MqttDaemon:
    def __init__(
        self,
        settings: Settings,
        spool_dir: Path,
        *,
        database: Database | None = None,
        writer: ReadingWriter | None = None,
        reload_seconds: float = RELOAD_SECONDS,
        last_seen_seconds: float = LAST_SEEN_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.database = database or Database(settings)
        self.writer = writer or ReadingWriter(self.database, spool_dir)
        self.reload_seconds = reload_seconds
        self.last_seen_seconds = last_seen_seconds
        self.clock = clock
        self.stats = TopicStats()
        self.clients: dict[Broker, BrokerClient] = {}
        self.plan: Plan | None = None
        self.stop_event = threading.Event()
        self.loaded = threading.Event()  # set after every successful reload (tests wait on it)
        self.reloads = 0
        self.failed_reloads = 0
        self._reject_log = RateLimit(REJECT_LOG_SECONDS)
        self._seen_lock = threading.Lock()
        self._seen: dict[int, datetime] = {}  # data source id -> newest arrival of an accepted message
        self._reported: set[tuple[Any, ...]] = set()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------------- life cycle
    def run(self) -> None:
        """Serve until stop_event is set."""
        gateway = self.settings.gateway_id
        if not self.settings.gateway_token:
            log.warning('GATEWAY_TOKEN is empty: gateway %d is matched by its id alone', gateway)
        self.writer.start()
        next_reload = next_seen = 0.0
        next_summary = time.monotonic() + SUMMARY_SECONDS
        counted = (0, 0)
        failures = 0
        try:
            while not self.stop_event.is_set():
                now = time.monotonic()
                if now >= next_reload:
                    if self.reload():
                        failures = 0
                        next_reload = now + self.reload_seconds
                    else:
                        failures += 1
                        self.failed_reloads += 1
                        next_reload = now + min(RETRY_MAX_SECONDS, self.reload_seconds, 2.0 ** min(failures, 5))
                if now >= next_seen:
                    self.flush_last_seen()
                    next_seen = now + self.last_seen_seconds
                if now >= next_summary:
                    counted = self._summary(counted)
                    next_summary = now + SUMMARY_SECONDS
                self.stop_event.wait(min(0.5, max(0.05, min(next_reload, next_seen) - time.monotonic())))
        finally:
            self._shutdown()

    def start(self) -> None:
        """Run in a background thread (tests); stop() ends it."""
        self._thread = threading.Thread(target=self.run, name='myems-mqtt', daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _summary(self, before: tuple[int, int]) -> tuple[int, int]:
        accepted, rejected = totals = self.stats.totals()
        writer = self.writer.stats()
        log.info(
            'last %.0f s: %d readings accepted, %d payloads rejected; writer: %d written, %d queued, %d spooled',
            SUMMARY_SECONDS, accepted - before[0], rejected - before[1], writer.written, writer.queued,
            writer.spool_readings,
        )  # fmt: skip
        return totals

    def _shutdown(self) -> None:
        log.info('stopping: disconnecting %d broker clients', len(self.clients))
        for client in self.clients.values():
            client.stop()
        self.clients.clear()
        self.flush_last_seen()
        self.writer.stop()
        self.database.close()
        accepted, rejected = self.stats.totals()
        log.info('stopped: %d readings accepted, %d payloads rejected', accepted, rejected)

    # ------------------------------------------------------------------------------------------- configuration
    def reload(self) -> bool:
        """Read the configuration and bring the clients in step; False (logged) if it could not be read."""
        try:
            plan = load_plan(self.database, self.settings.gateway_id, self.settings.gateway_token)
        except GatewayError as exc:
            log.error('%s; retrying', exc)
            return False
        except Exception as exc:  # noqa: BLE001 - database down or damaged: keep the running configuration
            log.warning('cannot read the configuration from myems_system_db (%s); retrying', exc)
            return False
        self._report(plan)
        self.apply(plan)
        self.reloads += 1
        self.loaded.set()
        return True

    def _report(self, plan: Plan) -> None:
        keys = set()
        for problem in plan.problems:
            keys.add(problem.key)
            if problem.key not in self._reported:
                log.error('left out: %s', problem.message)
        self._reported = keys

    def apply(self, plan: Plan) -> None:
        before = (len(self.clients), self.plan.point_count() if self.plan else -1)
        for broker in [b for b in self.clients if b not in plan.brokers]:
            log.info('no points left on %s: disconnecting', broker.label())
            self.clients.pop(broker).stop()
        for broker, broker_plan in plan.brokers.items():
            client = self.clients.get(broker)
            if client is None:
                client = self.clients[broker] = BrokerClient(broker_plan, self.on_payload)
                client.start()
            else:
                client.update(broker_plan)
        self.plan = plan
        if before != (len(self.clients), plan.point_count()):
            topics = sum(len(b.topics) for b in plan.brokers.values())
            log.info('serving %d points on %d topics over %d brokers', plan.point_count(), topics, len(plan.brokers))

    # ------------------------------------------------------------------------------------------- messages
    def on_payload(self, topic: str, payload: bytes, points: tuple[PointSpec, ...]) -> None:
        """Turn one message into readings of the points fed by `topic` (called from paho's threads)."""
        if not points:
            self.stats.no_route(topic)
            log.debug('message on topic %r, which no point uses', topic)
            return
        arrival = self.clock().replace(microsecond=0)
        try:
            document = load_json(payload)
        except PayloadError as exc:
            self._rejected(topic, None, exc, payload)
            return
        readings = []
        sources = set()
        for point in points:
            try:
                raw, when = decode_document(document, point.address, point.object_type, arrival)
                try:
                    value = scale(raw, point.object_type, point.ratio, point.offset_constant)
                except (ValueError, ArithmeticError) as exc:
                    raise PayloadError('out of range', str(exc)) from None
            except PayloadError as exc:
                self._rejected(topic, point, exc, payload)
                continue
            readings.append(Reading(point.point_id, point.object_type, when, value, point.is_trend))
            sources.add(point.data_source_id)
        if not readings:
            return
        self.writer.submit(readings)
        self.stats.accept(topic, len(readings))
        with self._seen_lock:
            for source_id in sources:
                self._seen[source_id] = max(arrival, self._seen.get(source_id, arrival))

    def _rejected(self, topic: str, point: PointSpec | None, exc: PayloadError, payload: bytes) -> None:
        self.stats.reject(topic, exc.reason)
        now, held = self._reject_log.allow(topic)
        if not now:
            return
        who = f' for point {point.point_id} {point.name!r}' if point is not None else ''
        more = f' ({held} more rejected on this topic since the last message)' if held else ''
        log.warning('rejected a payload on topic %r%s: %s; payload %r%s', topic, who, exc, payload[:120], more)

    # ------------------------------------------------------------------------------------------- last seen
    def flush_last_seen(self) -> None:
        """Move last_seen of the sources (and the gateway) that delivered accepted readings since the last flush."""
        with self._seen_lock:
            seen, self._seen = self._seen, {}
        if not seen:
            return
        try:
            with self.database.transaction('system') as cur:
                for source_id, when in sorted(seen.items()):
                    cur.execute(
                        'UPDATE tbl_data_sources SET last_seen_datetime_utc = %s WHERE id = %s '
                        'AND (last_seen_datetime_utc IS NULL OR last_seen_datetime_utc < %s)',
                        (when, source_id, when),
                    )
                newest = max(seen.values())
                cur.execute(
                    'UPDATE tbl_gateways SET last_seen_datetime_utc = %s WHERE id = %s '
                    'AND (last_seen_datetime_utc IS NULL OR last_seen_datetime_utc < %s)',
                    (newest, self.settings.gateway_id, newest),
                )
        except Exception as exc:  # noqa: BLE001 - the database is away: keep the times for the next flush
            log.warning('cannot update last_seen (%s); retrying later', exc)
            with self._seen_lock:
                for source_id, when in seen.items():
                    self._seen[source_id] = max(when, self._seen.get(source_id, when))
