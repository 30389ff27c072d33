"""PUT /commands/{id}/send over a real Mosquitto: the payload arrives; a failed send stores nothing."""

from __future__ import annotations

import dataclasses
import queue
import socket
import uuid
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from falcon import testing

from myems_api.app import create_app
from myems_api.commands import render_payload


@pytest.fixture
def received(settings: Any) -> Any:
    """A subscriber on a fresh topic; yields (topic, queue of payloads)."""
    topic = f'test/commands/{uuid.uuid4().hex}'
    inbox: queue.Queue[str] = queue.Queue()
    subscribed: queue.Queue[bool] = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, message: inbox.put(message.payload.decode())
    client.on_subscribe = lambda c, u, mid, codes, props: subscribed.put(True)
    client.on_connect = lambda c, u, flags, code, props: c.subscribe(topic, qos=1)
    client.connect(settings.mqtt_broker_host, settings.mqtt_broker_port)
    client.loop_start()
    subscribed.get(timeout=10)
    yield topic, inbox
    client.disconnect()
    client.loop_stop()


def make_command(factory: Any, topic: str, payload: str) -> int:
    return int(factory.create('command', topic=topic, payload=payload, set_value=None))


def test_send_publishes_the_payload_with_the_set_value(factory: Any, received: Any) -> None:
    topic, inbox = received
    command = make_command(factory, topic, '{"setpoint": $s1}')
    answer = factory.request('PUT', f'/commands/{command}/send', {'data': {'set_value': 21.5}}, expect=200)
    assert answer.json == 'success'
    assert inbox.get(timeout=10) == '{"setpoint": 21.5}'
    assert float(factory.read('command', command)['set_value']) == 21.5
    factory.request('PUT', f'/commands/{command}/send', {'data': {}}, expect=200)  # the stored value again
    assert inbox.get(timeout=10) == '{"setpoint": 21.5}'


def test_a_bad_template_is_refused_and_nothing_is_stored(factory: Any) -> None:
    command = make_command(factory, 'test/commands/bad', 'on=$unknown')
    answer = factory.request('PUT', f'/commands/{command}/send', {'data': {'set_value': 3}}, expect=400)
    assert answer.json['description'] == 'API.INVALID_PAYLOAD' and '$unknown' in answer.json['message']
    assert factory.read('command', command)['set_value'] is None


def test_a_topic_a_broker_refuses_is_a_400(factory: Any) -> None:
    for topic in ('plant/+/setpoint', 'plant/\x93/setpoint'):
        command = make_command(factory, topic, 'v=$s1')
        answer = factory.request('PUT', f'/commands/{command}/send', {'data': {'set_value': 1}}, expect=400)
        assert answer.json['description'] == 'API.INVALID_TOPIC'
        assert factory.read('command', command)['set_value'] is None


def test_an_unreachable_broker_is_a_502_and_nothing_is_stored(
    settings: Any, database: Any, factory: Any, admin_headers: dict[str, str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    offline = testing.TestClient(create_app(dataclasses.replace(settings, mqtt_broker_port=port), database))
    command = make_command(factory, 'test/commands/offline', 'v=$s1')
    answer = offline.simulate_put(f'/commands/{command}/send', headers=admin_headers, json={'data': {'set_value': 7}})
    assert answer.status_code == 502 and answer.json['description'] == 'API.MQTT_CONNECTION_ERROR'
    assert factory.read('command', command)['set_value'] is None


def test_render_payload() -> None:
    from decimal import Decimal

    assert render_payload('x=${s1};', Decimal('2.50')) == 'x=2.5;'
    assert render_payload('$s1', None) == '0'
    assert render_payload('cost $$5 at $s1', Decimal('1E+1')) == 'cost $5 at 10'
