"""PUT /commands/{id}/send: publish a command to the MQTT broker.

The command's payload is a template whose `$s1` (or `${s1}`) is replaced by the set value given in the
body (or the stored one, or 0). The set value is stored, and the audit row written, only if the broker
acknowledged the message (QoS 1): a failed send changes nothing.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from decimal import Decimal
from string import Template

import falcon
import paho.mqtt.client as mqtt

from myems_api import store
from myems_api.context import Services
from myems_api.crud import EntityResource
from myems_api.errors import ApiError, bad_request
from myems_api.routedocs import document
from myems_api.validate import body_data, parse_fields
from myems_common.config import Settings
from myems_common.registry import REGISTRY, Entity

log = logging.getLogger(__name__)
COMMAND = REGISTRY['command']
SET_VALUE = Entity('command', COMMAND.table, COMMAND.plural, (COMMAND.field('set_value'),))
PUBLISH_TIMEOUT_SECONDS = 5.0


def render_payload(template: str, value: Decimal | None) -> str:
    """The payload with $s1 replaced; an unknown placeholder or a stray $ is a clear 400."""
    text = '0' if value is None else format(value.normalize(), 'f')
    try:
        return Template(template).substitute(s1=text)
    except KeyError as missing:
        raise bad_request('API.INVALID_PAYLOAD', f'the payload names ${missing.args[0]}; only $s1 is known') from None
    except ValueError as error:
        raise bad_request('API.INVALID_PAYLOAD', f'the payload is not a valid template: {error}') from None


def check_topic(topic: str) -> None:
    """A topic a broker accepts for a publish: no wildcards, no control characters, at most 65,535 bytes."""
    bad = [c for c in topic if c in '+#' or unicodedata.category(c) == 'Cc']
    if not topic or bad or len(topic.encode()) > 65535:
        detail = f'it contains {bad[0]!r}' if bad else 'it is empty or too long'
        raise bad_request('API.INVALID_TOPIC', f'{topic!r} cannot be published to: {detail}')


def publish(settings: Settings, topic: str, payload: str) -> None:
    """Publish with QoS 1 and wait for the broker's acknowledgement."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f'myems-api-{uuid.uuid4().hex[:12]}')
    if settings.mqtt_username:
        client.username_pw_set(settings.mqtt_username, settings.mqtt_password or None)
    client.connect_timeout = PUBLISH_TIMEOUT_SECONDS
    try:
        client.connect(settings.mqtt_broker_host, settings.mqtt_broker_port, keepalive=30)
    except OSError as error:
        where = f'{settings.mqtt_broker_host}:{settings.mqtt_broker_port}'
        raise ApiError(502, 'API.MQTT_CONNECTION_ERROR', f'cannot reach the MQTT broker at {where}: {error}') from None
    client.loop_start()
    try:
        info = client.publish(topic, payload, qos=1)
        info.wait_for_publish(PUBLISH_TIMEOUT_SECONDS)
        if not info.is_published():
            raise ApiError(502, 'API.MQTT_PUBLISH_ERROR', f'the broker did not acknowledge the message on {topic!r}')
    except (ValueError, RuntimeError) as error:
        raise ApiError(502, 'API.MQTT_PUBLISH_ERROR', f'publishing to {topic!r} failed: {error}') from None
    finally:
        client.disconnect()
        client.loop_stop()


class CommandSend(EntityResource):
    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = self.writer(req)
        command_id = self.path_id(id_)
        media = req.get_media(default_when_empty={})
        given = parse_fields(SET_VALUE, body_data(media) if media else {}, self.services.parser, partial=True)
        with self.writing(identity, 'PUT', 'command.send', command_id, media) as (cur, note):
            command = store.select_one(cur, COMMAND, command_id, lock=True)
            if command is None:
                raise self.missing(command_id)
            value = given.get('set_value', command['set_value'])
            payload = render_payload(command['payload'] or '', value)
            check_topic(command['topic'])
            store.update(cur, COMMAND, command_id, {'set_value': value})
            publish(self.services.settings, command['topic'], payload)  # raises: the transaction rolls back
            note({'before': {'set_value': command['set_value']}, 'after': {'set_value': value}, 'payload': payload})
            log.info('command %s sent to %s', command_id, command['topic'])
        resp.media = 'success'


def add_command_routes(app: falcon.App, services: Services) -> None:
    path = f'/{COMMAND.plural}/{{id_}}/send'
    app.add_route(path, CommandSend(COMMAND, services))
    body = {
        'type': 'object',
        'properties': {
            'data': {'type': 'object', 'properties': {'set_value': {'type': ['number', 'null']}}},
        },
    }
    document(path, 'PUT', 'Publish a command to the MQTT broker (QoS 1)', COMMAND.plural, auth='admin', body=body)
