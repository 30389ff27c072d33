"""The demo's MQTT water meters: what is published, and that it lands through myems-mqtt after the history."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from myems_common.db import Database
from myems_common.timeutil import utc_now
from myems_demo import history, load
from myems_demo.campus import DS_HOTEL_WATER, MQTT_TOPIC_PREFIX
from myems_demo.mqtt_publisher import WaterPublisher, mqtt_meters, run
from myems_demo.simulate import Resume
from myems_mqtt.daemon import MqttDaemon

T0 = datetime(2026, 3, 2, 10, 7, 30)


def collect() -> tuple[list[tuple[str, dict[str, Any]]], Callable[[str, bytes], None]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    return sent, lambda topic, payload: sent.append((topic, json.loads(payload)))


def test_the_hotel_water_meters_publish_over_mqtt() -> None:
    meters = mqtt_meters()
    assert [m.id for m in meters] == list(range(340, 348))
    assert all(m.data_source_id == DS_HOTEL_WATER for m in meters)


def test_counters_continue_from_the_stored_reading_at_the_meter_interval() -> None:
    sent, send = collect()
    publisher = WaterPublisher(send, {341: Resume(T0, 1000.0)}, topic_prefix='x/y')
    assert publisher.publish_due(T0 + timedelta(hours=1, minutes=30)) > 0
    by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for topic, body in sent:
        by_topic[topic].append(body)
    assert set(by_topic) == {f'x/y/{m}' for m in range(340, 348)}
    first, *rest = by_topic['x/y/341']
    assert 1000.0 < first['value'] < 1000.0 + 5  # a few litres on, no jump
    stamps = [datetime.fromisoformat(b['ts']).replace(tzinfo=None) for b in by_topic['x/y/341']]
    assert stamps[0] > T0 and all(b - a >= timedelta(minutes=59) for a, b in zip(stamps, stamps[1:], strict=False))
    assert publisher.publish_due(T0 + timedelta(hours=1, minutes=30)) == 0  # nothing twice


def test_publishing_in_small_steps_keeps_every_counter_rising_across_windows() -> None:
    sent, send = collect()
    publisher = WaterPublisher(send, {m.id: Resume(T0, 100.0 * m.id) for m in mqtt_meters()})
    now = T0
    while now < T0 + timedelta(hours=7):
        now += timedelta(minutes=10)
        publisher.publish_due(now)
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for topic, body in sent:
        series[topic].append((datetime.fromisoformat(body['ts']).replace(tzinfo=None), body['value']))
    assert len(series) == 8 and all(topic.startswith(MQTT_TOPIC_PREFIX + '/') for topic in series)
    for rows in series.values():
        assert len(rows) in (6, 7)  # hourly over seven hours
        assert all(b[0] > a[0] and b[1] >= a[1] for a, b in zip(rows, rows[1:], strict=False))


def test_live_readings_follow_the_history_through_myems_mqtt(fresh_databases: Any, tmp_path: Path) -> None:
    """The demo loaded, a history ending two hours ago, the daemon running: the publisher's catch-up lands."""
    demo = fresh_databases('mqpub')
    db = Database(demo)
    try:
        load.load(db, demo)
        start, end = history.history_window(utc_now() - timedelta(hours=2), 0.5)
        history.run(db, history.Plan(start, end, 7, history.select_meters(None)[0], ()))
        stored = history.last_readings(db, 'tbl_energy_value')[341]
        prefix = f'test-{uuid.uuid4().hex[:10]}'
        with db.transaction('system') as cur:  # a private topic space and client id on the shared test broker
            cur.execute(
                'UPDATE tbl_data_sources SET connection = %s WHERE id = %s',
                (json.dumps({'host': demo.mqtt_broker_host, 'port': demo.mqtt_broker_port, 'qos': 1,
                             'topic_prefix': prefix, 'client_id': prefix}), DS_HOTEL_WATER),
            )  # fmt: skip
            cur.execute(
                'UPDATE tbl_points SET address = REPLACE(address, %s, %s) WHERE data_source_id = %s',
                (MQTT_TOPIC_PREFIX, prefix, DS_HOTEL_WATER),
            )
        daemon = MqttDaemon(dataclasses.replace(demo, gateway_id=1, gateway_token=''), tmp_path / 'spool')
        daemon.start()
        try:
            deadline = time.monotonic() + 20
            while not (daemon.clients and all(c.connected.is_set() for c in daemon.clients.values())):
                assert time.monotonic() < deadline, 'the daemon did not connect'
                time.sleep(0.1)
            assert run(demo, 7, True, threading.Event(), prefix) == 0
            query = (
                'SELECT utc_date_time, actual_value FROM tbl_energy_value WHERE point_id = 341 AND utc_date_time > %s'
            )
            deadline = time.monotonic() + 20
            while len(rows := db.fetch_all('historical', query, (stored.time,))) < 2:
                assert time.monotonic() < deadline, f'live readings did not arrive: {rows}'
                time.sleep(0.2)
        finally:
            daemon.stop()
        values = [Decimal(v) for _, v in sorted(rows)]
        assert Decimal(str(stored.value)) <= values[0] < Decimal(str(stored.value)) + 5
        assert values == sorted(values)
        assert daemon.stats.totals() == (sum(daemon.stats.accepted.values()), 0)
    finally:
        db.close()
