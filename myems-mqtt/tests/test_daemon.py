"""myems-mqtt over the test stack's real Mosquitto and MariaDB."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # set again as each test starts (`fresh_now`)


@pytest.fixture(autouse=True)
def fresh_now() -> None:
    """The tests' "now" is taken when each starts: a suite that reaches this module ten minutes after loading
    it would otherwise send readings stamped ten minutes before their arrival."""
    global NOW
    NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def iso(when: datetime) -> str:
    return when.isoformat() + 'Z'


def address(topic: str, path: str = '$.value', ts: str | None = '$.ts') -> dict[str, Any]:
    return {'topic': topic, 'json_path': path, **({'timestamp_path': ts} if ts else {})}


def test_good_message_lands_with_ratio_and_offset(site: Any, start_daemon: Any, publisher: Any, wait_until: Any):
    source = site.source()
    energy = site.point(source, address('meter/1'), ratio='0.001', offset='2')
    analog = site.point(source, address('meter/1', '$.data.flow[1]'), kind='ANALOG_VALUE', ratio='10')
    digital = site.point(source, address('meter/1', "$['pump on']"), kind='DIGITAL_VALUE')
    plain = site.point(source, {'topic': 'plain'}, kind='ANALOG_VALUE', offset='-1')
    daemon = start_daemon()
    when = NOW - timedelta(minutes=5)
    payload = {'value': 123456, 'ts': iso(when), 'data': {'flow': [0, 1.25]}, 'pump on': True}
    publisher.send(f'{site.prefix}/meter/1', payload)
    publisher.send(f'{site.prefix}/plain', '21.5')

    wait_until(lambda: site.values(energy), what='the energy reading')
    assert site.values(energy) == [(when, Decimal('125.456000'))]
    assert site.latest(energy) == (when, Decimal('125.456000'))
    wait_until(lambda: site.latest(analog, 'tbl_analog_value'), what='the analog reading')
    assert site.values(analog, 'tbl_analog_value') == [(when, Decimal('12.500000'))]
    assert wait_until(lambda: site.latest(digital, 'tbl_digital_value')) == (when, 1)
    (arrived, value), *_ = wait_until(lambda: site.values(plain, 'tbl_analog_value'))
    assert value == Decimal('20.500000') and abs(arrived - NOW) < timedelta(minutes=10)
    assert daemon.stats.accepted_on(f'{site.prefix}/meter/1') == 3

    def last_seen() -> Any:
        row = site.db.fetch_one(
            'system',
            'SELECT ds.last_seen_datetime_utc, g.last_seen_datetime_utc FROM tbl_data_sources ds '
            'JOIN tbl_gateways g ON g.id = ds.gateway_id WHERE ds.id = %s',
            (source,),
        )
        return row if row and row[0] and row[1] else None

    seen_source, seen_gateway = wait_until(last_seen, what='last_seen')
    assert abs(seen_source - NOW) < timedelta(minutes=10) and seen_gateway >= seen_source


def test_garbage_is_rejected_and_logged_and_the_next_good_message_lands(
    site: Any, start_daemon: Any, publisher: Any, wait_until: Any, caplog: pytest.LogCaptureFixture
):
    source = site.source()
    point = site.point(source, address('garbage'))
    daemon = start_daemon()
    topic = f'{site.prefix}/garbage'
    caplog.set_level(logging.WARNING, logger='myems_mqtt')
    publisher.send(topic, b'\x00\xffnot json')
    publisher.send(topic, {'value': 'NaN', 'ts': iso(NOW)})
    publisher.send(topic, {'value': 5, 'ts': iso(NOW + timedelta(days=3))})
    publisher.send(topic, {'value': 7, 'ts': iso(NOW - timedelta(seconds=30))})
    wait_until(lambda: site.values(point), what='the good reading')
    assert site.values(point) == [(NOW - timedelta(seconds=30), Decimal('7.000000'))]
    assert daemon.stats.rejected_on(topic) == 3
    assert daemon.stats.rejected_on(topic, 'not JSON') == 1
    assert daemon.stats.rejected_on(topic, 'timestamp in the future') == 1
    logged = [r.getMessage() for r in caplog.records if 'rejected a payload' in r.getMessage()]
    assert logged and topic in logged[0] and 'not JSON' in logged[0]
    assert len(logged) == 1  # rate-limited per topic


def test_a_repeated_delivery_changes_nothing(site: Any, start_daemon: Any, publisher: Any, wait_until: Any):
    source = site.source()
    point = site.point(source, address('repeat'))
    start_daemon()
    topic = f'{site.prefix}/repeat'
    t1, t2 = NOW - timedelta(minutes=10), NOW - timedelta(minutes=5)
    publisher.send(topic, {'value': 100, 'ts': iso(t1)})
    wait_until(lambda: site.values(point), what='the first reading')
    publisher.send(topic, {'value': 100, 'ts': iso(t1)})  # the same message again
    publisher.send(topic, {'value': 999, 'ts': iso(t1)})  # same point and time, another value
    publisher.send(topic, {'value': 200, 'ts': iso(t2)})
    wait_until(lambda: len(site.values(point)) == 2, what='the second reading')
    publisher.send(topic, {'value': 150, 'ts': iso(t1 + timedelta(minutes=1))})  # late, older than the latest
    wait_until(lambda: len(site.values(point)) == 3, what='the late reading')
    assert site.values(point) == [
        (t1, Decimal('100.000000')),
        (t1 + timedelta(minutes=1), Decimal('150.000000')),
        (t2, Decimal('200.000000')),
    ]
    assert site.latest(point) == (t2, Decimal('200.000000'))


def test_a_point_with_a_bad_address_is_reported_by_name_and_the_others_work(
    site: Any, start_daemon: Any, publisher: Any, wait_until: Any, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.ERROR, logger='myems_mqtt')
    source = site.source()
    bad = site.point(source, '{"topic": "broken", "json_path": ', name='Broken Water Meter')
    wild = site.point(source, address('a/+/b'), name='Wildcard Meter')
    good = site.point(source, address('good'))
    start_daemon()
    publisher.send(f'{site.prefix}/good', {'value': 3, 'ts': iso(NOW)})
    wait_until(lambda: site.values(good), what='the good reading')
    errors = [r.getMessage() for r in caplog.records]
    assert any(f"point {bad} 'Broken Water Meter'" in m and 'not valid JSON' in m for m in errors)
    assert any(f"point {wild} 'Wildcard Meter'" in m for m in errors)


def test_edited_new_and_removed_points_are_picked_up_without_restart(
    site: Any, start_daemon: Any, publisher: Any, wait_until: Any
):
    source = site.source()
    point = site.point(source, address('old'))
    daemon = start_daemon()
    publisher.send(f'{site.prefix}/old', {'value': 1, 'ts': iso(NOW - timedelta(minutes=3))})
    wait_until(lambda: site.values(point), what='the reading on the old topic')

    site.set_address(point, address('new'))
    added = site.point(source, address('added'))
    reloads = daemon.reloads
    wait_until(lambda: daemon.reloads >= reloads + 2, what='a reload')
    wait_until(lambda: f'{site.prefix}/new' in next(iter(daemon.clients.values())).topics())
    publisher.send(f'{site.prefix}/old', {'value': 2, 'ts': iso(NOW - timedelta(minutes=2))})
    publisher.send(f'{site.prefix}/new', {'value': 3, 'ts': iso(NOW - timedelta(minutes=1))})
    publisher.send(f'{site.prefix}/added', {'value': 4, 'ts': iso(NOW - timedelta(minutes=1))})
    wait_until(lambda: len(site.values(point)) == 2 and site.values(added), what='readings on the new topics')
    assert [v for _, v in site.values(point)] == [Decimal(1), Decimal(3)]

    with site.db.transaction('system') as cur:
        cur.execute('DELETE FROM tbl_points WHERE id = %s', (added,))
    reloads = daemon.reloads
    wait_until(lambda: daemon.reloads >= reloads + 2, what='a reload')
    publisher.send(f'{site.prefix}/added', {'value': 5, 'ts': iso(NOW)})
    publisher.send(f'{site.prefix}/new', {'value': 6, 'ts': iso(NOW)})
    wait_until(lambda: len(site.values(point)) == 3, what='the reading after the removal')
    assert len(site.values(added)) == 1


def test_messages_published_while_disconnected_arrive_after_reconnect(
    site: Any, start_daemon: Any, publisher: Any, wait_until: Any, proxy_factory: Any
):
    proxy = proxy_factory((site.settings.mqtt_broker_host, site.settings.mqtt_broker_port))
    proxy.start()
    source = site.source(port=proxy.port)
    point = site.point(source, address('offline'))
    daemon = start_daemon()
    topic = f'{site.prefix}/offline'
    times = [NOW - timedelta(minutes=m) for m in (6, 5, 4, 3, 2)]
    publisher.send(topic, {'value': 1, 'ts': iso(times[0])})
    wait_until(lambda: site.values(point), what='the first reading')

    # the network goes away: the broker keeps the session and queues QoS 1 messages for the daemon
    proxy.cut()
    client = next(iter(daemon.clients.values()))
    wait_until(lambda: not client.connected.is_set(), what='the disconnect')
    publisher.send(topic, {'value': 2, 'ts': iso(times[1])})
    publisher.send(topic, {'value': 3, 'ts': iso(times[2])})
    proxy.start()
    wait_until(lambda: len(site.values(point)) == 3, what='the queued messages after reconnect')

    # the daemon itself stops and a new one starts: the session survives that too
    daemon.stop()
    publisher.send(topic, {'value': 4, 'ts': iso(times[3])})
    publisher.send(topic, {'value': 5, 'ts': iso(times[4])})
    start_daemon()
    wait_until(lambda: len(site.values(point)) == 5, what='the messages sent while the daemon was stopped')
    assert [v for _, v in site.values(point)] == [Decimal(n) for n in range(1, 6)]


def test_a_daemon_started_while_the_database_is_down_waits_for_it(
    site: Any, start_daemon: Any, publisher: Any, wait_until: Any, proxy_factory: Any
):
    import dataclasses

    source = site.source()
    point = site.point(source, address('late-db'))
    db_config = site.settings.db('system')
    proxy = proxy_factory((db_config.host, db_config.port))  # not started: the database "is down"
    databases = {k: dataclasses.replace(c, port=proxy.port) for k, c in site.settings.databases.items()}
    daemon = start_daemon(dataclasses.replace(site.settings, databases=databases), wait=False)
    wait_until(lambda: daemon.failed_reloads >= 2, what='failed attempts')
    assert daemon.reloads == 0 and daemon._thread is not None and daemon._thread.is_alive()
    proxy.start()
    wait_until(daemon.loaded.is_set, what='the configuration once the database is back', timeout=40)
    wait_until(lambda: all(c.connected.is_set() for c in daemon.clients.values()), what='the broker')
    publisher.send(f'{site.prefix}/late-db', {'value': 9, 'ts': iso(NOW)})
    wait_until(lambda: site.values(point), what='the reading')


def test_a_subscription_left_in_the_session_by_an_earlier_run_is_dropped(
    site: Any, start_daemon: Any, publisher: Any, wait_until: Any
):
    source = site.source()
    gone = site.point(source, address('gone'))
    kept = site.point(source, address('kept'))
    daemon = start_daemon()
    daemon.stop()
    with site.db.transaction('system') as cur:
        cur.execute('DELETE FROM tbl_points WHERE id = %s', (gone,))
    publisher.send(f'{site.prefix}/gone', {'value': 1, 'ts': iso(NOW)})  # queued in the session
    daemon = start_daemon()
    wait_until(lambda: daemon.stats.unrouted[f'{site.prefix}/gone'] == 1, what='the queued message')
    publisher.send(f'{site.prefix}/gone', {'value': 2, 'ts': iso(NOW)})
    publisher.send(f'{site.prefix}/kept', {'value': 3, 'ts': iso(NOW)})
    wait_until(lambda: site.values(kept), what='the reading on the kept topic')
    assert daemon.stats.unrouted[f'{site.prefix}/gone'] == 1
    assert site.values(gone) == []
