"""One paho-mqtt client per broker: persistent session, automatic reconnect, subscriptions kept in step.

The session is persistent (MQTT 3.1.1 with clean_session False and a stable client id), so the broker keeps
the subscriptions and queues QoS 1 messages while the daemon is away; every (re)connect subscribes the current
topics again anyway and drops the ones removed while disconnected. paho's network thread reconnects by
itself, waiting 1 s and doubling up to RECONNECT_MAX_SECONDS.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from myems_mqtt.addresses import PointSpec
from myems_mqtt.plan import BrokerPlan

log = logging.getLogger(__name__)

RECONNECT_MIN_SECONDS = 1
RECONNECT_MAX_SECONDS = 60
TOPICS_PER_PACKET = 100
PayloadHandler = Callable[[str, bytes, tuple[PointSpec, ...]], None]


class BrokerClient:
    """Subscribes to the topics of one BrokerPlan and passes every message to `handler`."""

    def __init__(self, plan: BrokerPlan, handler: PayloadHandler) -> None:
        self.broker = plan.broker
        self.handler = handler
        self.connected = threading.Event()
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[PointSpec, ...]] = dict(plan.routes)
        self._topics: dict[str, int] = dict(plan.topics)
        self._stale: set[str] = set()
        self._stopping = False
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.broker.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        if self.broker.username is not None:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self.client.reconnect_delay_set(RECONNECT_MIN_SECONDS, RECONNECT_MAX_SECONDS)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # ------------------------------------------------------------------------------------------- life cycle
    def start(self) -> None:
        log.info('connecting to %s (%d topics)', self.broker.label(), len(self._topics))
        self.client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly; the broker keeps the session (and queues QoS 1 messages) for the next start."""
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def update(self, plan: BrokerPlan) -> None:
        """Take a new set of topics and routes: subscribe what is new, unsubscribe what is gone."""
        with self._lock:
            added = [(t, q) for t, q in plan.topics.items() if self._topics.get(t) != q]
            removed = [t for t in self._topics if t not in plan.topics]
            self._topics = dict(plan.topics)
            self._routes = dict(plan.routes)
            self._stale.update(removed)
            self._stale.difference_update(plan.topics)
        if self.connected.is_set():
            self._subscribe(added)
            self._unsubscribe(removed)
        if added or removed:
            log.info('%s: %d topics added or changed, %d removed', self.broker.label(), len(added), len(removed))

    def topics(self) -> dict[str, int]:
        with self._lock:
            return dict(self._topics)

    # ------------------------------------------------------------------------------------------- paho callbacks
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.warning('%s refused the connection: %s', self.broker.label(), reason_code)
            return
        with self._lock:
            topics = list(self._topics.items())
            stale = list(self._stale)
            self._stale.clear()
        log.info(
            'connected to %s (session %s), subscribing to %d topics',
            self.broker.label(), 'resumed' if flags.session_present else 'new', len(topics),
        )  # fmt: skip
        self.connected.set()
        self._subscribe(topics)
        self._unsubscribe(stale)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self.connected.clear()
        if not self._stopping:
            log.warning('lost the connection to %s (%s); reconnecting', self.broker.label(), reason_code)

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reason_codes: Any, properties: Any) -> None:
        failed = [code for code in reason_codes if code.is_failure]
        if failed:
            log.error('%s refused %d subscriptions: %s', self.broker.label(), len(failed), failed[0])

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            routes = self._routes.get(message.topic, ())
            self.handler(message.topic, message.payload, routes)
            if not routes and message.topic not in self.topics():
                # left in the broker's session by an earlier run or configuration: stop receiving it
                self._unsubscribe([message.topic])
        except Exception:  # a bug in handling one message must not stop the network thread
            log.exception('handling a message on topic %r failed', message.topic)

    # ------------------------------------------------------------------------------------------- helpers
    def _subscribe(self, topics: list[tuple[str, int]]) -> None:
        for i in range(0, len(topics), TOPICS_PER_PACKET):
            result, _ = self.client.subscribe(topics[i : i + TOPICS_PER_PACKET])
            if result != mqtt.MQTT_ERR_SUCCESS:
                log.debug('subscribe deferred (%s); the next connect subscribes', result)

    def _unsubscribe(self, topics: list[str]) -> None:
        for i in range(0, len(topics), TOPICS_PER_PACKET):
            result, _ = self.client.unsubscribe(topics[i : i + TOPICS_PER_PACKET])
            if result != mqtt.MQTT_ERR_SUCCESS:
                with self._lock:
                    self._stale.update(topics[i : i + TOPICS_PER_PACKET])
