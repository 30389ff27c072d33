from __future__ import annotations

import json
from decimal import Decimal

import pytest

from myems_mqtt.addresses import AddressError, default_client_id, full_topic, parse_connection
from myems_mqtt.plan import GatewayError, build_plan, check_gateway

CONN = json.dumps({'host': '127.0.0.1', 'port': 1884, 'topic_prefix': 'site/water', 'qos': 1})


def point(pid: int, address: object, source: int = 5, kind: str = 'ENERGY_VALUE') -> tuple[object, ...]:
    text = address if isinstance(address, str) else json.dumps(address)
    return (pid, f'Point {pid}', source, kind, Decimal('0.001'), Decimal('2'), 1, text)


def test_connection_defaults() -> None:
    c = parse_connection('{"host": "broker"}', 3)
    assert (c.broker.port, c.qos, c.broker.keepalive, c.broker.tls, c.topic_prefix) == (1883, 1, 60, False, '')
    assert c.broker.client_id == default_client_id(3, 'broker', 1883, None)
    assert c.broker.client_id.startswith('myems-g3-') and len(c.broker.client_id) <= 23
    assert parse_connection('{"host": "b", "tls": true}', 1).broker.port == 8883
    assert 'secret' not in repr(parse_connection('{"host": "b", "username": "u", "password": "secret"}', 1))


@pytest.mark.parametrize(
    'text',
    [
        'not json',
        '[]',
        '{"port": 1883}',
        '{"host": ""}',
        '{"host": "b", "port": 0}',
        '{"host": "b", "port": "1883"}',
        '{"host": "b", "qos": 3}',
        '{"host": "b", "tls": "yes"}',
        '{"host": "b", "topic_prefix": "a/#"}',
        '{"host": "b", "keepalive": 1}',
    ],
)
def test_bad_connections(text: str) -> None:
    with pytest.raises(AddressError):
        parse_connection(text, 1)


def test_topics_relative_to_the_prefix() -> None:
    assert full_topic('site/water/1', 'site/water') == 'site/water/1'
    assert full_topic('1', 'site/water') == 'site/water/1'
    assert full_topic('other/1', '') == 'other/1'


def test_plan_groups_points_by_broker_and_topic_and_reports_bad_ones() -> None:
    sources = [(5, 'Water', CONN), (6, 'Broken', '{"host": 5}'), (7, 'Same broker', CONN)]
    points = [
        point(1, {'topic': 'site/water/1', 'json_path': '$.value', 'timestamp_path': '$.ts'}),
        point(2, {'topic': '1', 'json_path': '$.flow'}, kind='ANALOG_VALUE'),  # same topic, other field
        point(3, '{"topic": "x", "json_path": "$..bad"}'),
        point(4, 'not json at all'),
        point(5, {'topic': 'a/+/b'}),
        point(6, {'topic': 'z'}, kind='TEXT_VALUE'),
        point(7, {'topic': 'ignored'}, source=6),  # its source is broken
        point(8, {'topic': 'site/water/8'}, source=7),
    ]
    plan = build_plan(1, sources, points)
    assert len(plan.brokers) == 1
    (broker_plan,) = plan.brokers.values()
    assert broker_plan.topics == {'site/water/1': 1, 'site/water/8': 1}
    assert [p.point_id for p in broker_plan.routes['site/water/1']] == [1, 2]
    assert broker_plan.source_ids == {5, 7}
    assert broker_plan.routes['site/water/1'][0].ratio == Decimal('0.001')
    messages = [p.message for p in plan.problems]
    assert len(messages) == 5
    assert messages[0].startswith("data source 6 'Broken'")
    for pid in (3, 4, 5, 6):
        assert any(m.startswith(f"point {pid} 'Point {pid}'") for m in messages)


def test_gateway_token() -> None:
    check_gateway((1, 'G', 'tok'), 1, '')
    check_gateway((1, 'G', 'tok'), 1, 'tok')
    with pytest.raises(GatewayError):
        check_gateway((1, 'G', 'tok'), 1, 'wrong')
    with pytest.raises(GatewayError):
        check_gateway(None, 1, '')
