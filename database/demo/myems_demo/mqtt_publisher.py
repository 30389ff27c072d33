"""The demo's MQTT water meters, live: ``python -m myems_demo.mqtt_publisher``.

    python -m myems_demo.mqtt_publisher [--seed 7] [--once] [--topic-prefix lindenhof/hotel/water]

Publishes every meter of the "Hotel Water Meters (MQTT)" data source to its topic (``lindenhof/hotel/water/<id>``)
as ``{"value": <counter>, "ts": "<ISO UTC>"}`` at QoS 1, at the meter's reading interval. The counters come from
the same pure simulation as the history (``simulate.meter_readings``) and continue from the newest stored
reading of each point, so the live readings follow on from ``myems_demo.history`` without a jump. Readings
that fell due while nothing published (up to a day back) are sent at once, each with its own time.
Broker: MYEMS_MQTT_BROKER_HOST / _PORT / _USERNAME / _PASSWORD; database: the usual MYEMS_*_DB_* variables.
``--once`` sends what is due and exits; ``--topic-prefix`` replaces the demo's topic prefix (several demos on
one broker, tests).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from myems_common.config import Settings, load_settings
from myems_common.db import Database
from myems_common.logsetup import setup_logging
from myems_common.timeutil import floor_slot, utc_now
from myems_demo.campus import DS_HOTEL_WATER, METERS, MQTT_TOPIC_PREFIX, Meter
from myems_demo.history import last_readings
from myems_demo.simulate import Resume, Row, Simulation, build_axis, meter_readings

log = logging.getLogger('myems_demo.mqtt_publisher')

HORIZON = timedelta(hours=2)  # how far ahead each simulated window reaches
MAX_CATCH_UP = timedelta(days=1)  # readings older than this are not sent after a long pause
IDLE_SECONDS = 30.0  # longest sleep between checks
Send = Callable[[str, bytes], None]


def mqtt_meters() -> tuple[Meter, ...]:
    """The demo meters that publish over MQTT, by id."""
    return tuple(sorted((m for m in METERS if m.data_source_id == DS_HOTEL_WATER), key=lambda m: m.id))


def topic_of(meter: Meter, prefix: str = MQTT_TOPIC_PREFIX) -> str:
    topic = str(json.loads(meter.address)['topic'])
    return prefix + topic.removeprefix(MQTT_TOPIC_PREFIX) if topic.startswith(MQTT_TOPIC_PREFIX) else topic


def message(value: str, when: datetime) -> bytes:
    """The payload of one reading: the counter as a JSON number and its time as ISO-8601 UTC."""
    return json.dumps({'value': float(value), 'ts': when.isoformat() + 'Z'}).encode()


class WaterPublisher:
    """Knows which readings are due; `publish_due(now)` sends them in time order through `send`."""

    def __init__(
        self, send: Send, resume: dict[int, Resume], seed: int = 7, topic_prefix: str = MQTT_TOPIC_PREFIX
    ) -> None:
        self.send = send
        self.meters = mqtt_meters()
        self.topics = {m.id: topic_of(m, topic_prefix) for m in self.meters}
        self.resume = {m.id: resume[m.id] for m in self.meters if m.id in resume}
        self.seed = seed
        self.pending: deque[Row] = deque()
        self.sent = 0

    def _window(self, now: datetime) -> None:
        """Simulate from the oldest point where a counter stands to HORIZON past `now`."""
        earliest = now - MAX_CATCH_UP
        starts = [max(r.time, earliest) for r in self.resume.values()] or [now]
        start = floor_slot(min(starts + [now]), 15)
        end = floor_slot(now, 15) + HORIZON
        axis = build_axis(start, end, self.seed)
        simulation = Simulation(METERS, axis, self.seed)  # masters are summed from their sub-meters
        rows = [
            row
            for m in self.meters
            for row in meter_readings(m, simulation.get(m.id), axis, end, (), self.resume.get(m.id))
            if row[1] > earliest
        ]
        self.pending = deque(sorted(rows, key=lambda r: (r[1], r[0])))

    def next_due(self, now: datetime) -> datetime | None:
        if not self.pending:
            self._window(now)
        return self.pending[0][1] if self.pending else None

    def publish_due(self, now: datetime) -> int:
        """Send every reading due at `now`; returns how many were sent."""
        count = 0
        while (due := self.next_due(now)) is not None and due <= now:
            point_id, when, value = self.pending.popleft()
            self.send(self.topics[point_id], message(value, when))
            self.resume[point_id] = Resume(when, float(value))
            count += 1
        self.sent += count
        return count


def stored_counters(database: Database, stop: threading.Event) -> dict[int, Resume]:
    """The newest stored reading of every point, waiting for the database if it is not up yet."""
    while not stop.is_set():
        try:
            return last_readings(database, 'tbl_energy_value')
        except Exception as exc:  # noqa: BLE001 - demo tool: wait for the database
            log.warning('cannot read the stored counters (%s); retrying in 5 s', exc)
            stop.wait(5)
    return {}


def connect(settings: Settings, stop: threading.Event) -> Any:
    """A paho client that reconnects by itself; returns once connected (or when told to stop)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    connected = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id='myems-demo-water-publisher')
    client.on_connect = lambda c, u, flags, reason, props: None if reason.is_failure else connected.set()
    if settings.mqtt_username:
        client.username_pw_set(settings.mqtt_username, settings.mqtt_password or None)
    client.reconnect_delay_set(1, 30)
    client.connect_async(settings.mqtt_broker_host, settings.mqtt_broker_port)
    client.loop_start()
    while not stop.is_set() and not connected.wait(1.0):
        log.info('waiting for the broker at %s:%d', settings.mqtt_broker_host, settings.mqtt_broker_port)
    return client


def run(settings: Settings, seed: int, once: bool, stop: threading.Event, topic_prefix: str = MQTT_TOPIC_PREFIX) -> int:
    database = Database(settings)
    try:
        resume = stored_counters(database, stop)
    finally:
        database.close()
    client = connect(settings, stop)
    infos = []

    def send(topic: str, payload: bytes) -> None:
        infos.append(client.publish(topic, payload, qos=1))

    publisher = WaterPublisher(send, resume, seed, topic_prefix)
    log.info(
        'publishing %d water meters to %s:%d (%d continue stored counters)',
        len(publisher.meters), settings.mqtt_broker_host, settings.mqtt_broker_port, len(publisher.resume),
    )  # fmt: skip
    try:
        while not stop.is_set():
            now = utc_now()
            sent = publisher.publish_due(now)
            if sent:
                log.info('published %d readings (%d in all)', sent, publisher.sent)
            if once:
                for info in infos:
                    info.wait_for_publish(10)
                return 0
            infos = [i for i in infos if not i.is_published()]
            due = publisher.next_due(now)
            wait = IDLE_SECONDS if due is None else (due - utc_now()).total_seconds()
            stop.wait(min(IDLE_SECONDS, max(0.2, wait)))
    finally:
        client.disconnect()
        client.loop_stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m myems_demo.mqtt_publisher', description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=7, help='simulation seed (default 7, as the history)')
    parser.add_argument('--once', action='store_true', help='send what is due now and exit')
    parser.add_argument('--topic-prefix', default=MQTT_TOPIC_PREFIX, help=f'default {MQTT_TOPIC_PREFIX}')
    args = parser.parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return run(settings, args.seed, args.once, stop, args.topic_prefix)


if __name__ == '__main__':
    sys.exit(main())
