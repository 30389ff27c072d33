"""MyEMS's two point operations outside the generic routes: PUT /pointlimits/{id}, PUT /pointsetvalues/{id}.

A set value is queued in tbl_points_set_values for the acquisition daemon to write to the device; it
must lie within the point's [low_limit, high_limit].
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import falcon

from myems_api import store
from myems_api.auth import require_writer
from myems_api.context import Services
from myems_api.errors import bad_request, not_found
from myems_api.routedocs import document
from myems_api.validate import body_data, parse_fields, parse_id
from myems_common.registry import REGISTRY, Entity, Field
from myems_common.timeutil import utc_now

POINT = REGISTRY['point']
LIMITS = Entity('point', POINT.table, POINT.plural, tuple(POINT.field(n) for n in (
    'high_limit', 'low_limit', 'higher_limit', 'lower_limit')))  # fmt: skip
SET_VALUE = Entity('point', 'tbl_points_set_values', 'pointsetvalues', (Field('set_value', 'decimal'),))


class PointWrite:
    def __init__(self, services: Services) -> None:
        self.services = services

    def begin(self, req: falcon.Request, id_: str, entity: Entity) -> tuple[Any, int, dict[str, Any]]:
        identity, _ = self.services.who(req)
        require_writer(identity)
        point_id = parse_id(id_, 'API.INVALID_POINT_ID', 'point id')
        values = parse_fields(entity, body_data(req.get_media()), self.services.parser)
        return identity, point_id, values

    def point(self, cur: Any, point_id: int) -> dict[str, Any]:
        row = store.select_one(cur, POINT, point_id, lock=True)
        if row is None:
            raise not_found('API.POINT_NOT_FOUND', f'point {point_id} does not exist')
        return row


class PointLimits(PointWrite):
    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity, point_id, values = self.begin(req, id_, LIMITS)
        if values['low_limit'] > values['high_limit']:
            raise bad_request('API.INVALID_LOW_LIMIT_VALUE', 'point.low_limit must not exceed point.high_limit')
        with self.services.write(identity, 'PUT', 'point.limits', point_id, req.get_media()) as (cur, note):
            before = self.point(cur, point_id)
            store.update(cur, POINT, point_id, values)
            note({'before': {k: before[k] for k in values}, 'after': values})
        resp.media = {'id': point_id}


class PointSetValue(PointWrite):
    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity, point_id, values = self.begin(req, id_, SET_VALUE)
        value: Decimal = values['set_value']
        with self.services.write(identity, 'PUT', 'point.set_value', point_id, req.get_media()) as (cur, note):
            point = self.point(cur, point_id)
            if not point['low_limit'] <= value <= point['high_limit']:
                raise bad_request(
                    'API.SET_VALUE_OUT_OF_RANGE',
                    f'set_value {value} lies outside point {point_id} limits [{point["low_limit"]}, '
                    f'{point["high_limit"]}]',
                )
            cur.execute(
                'INSERT INTO tbl_points_set_values (point_id, utc_date_time, set_value) VALUES (%s, %s, %s)',
                (point_id, utc_now(), value),
            )
            note({'id': cur.lastrowid, 'after': {'set_value': value}})
        resp.media = {'id': point_id}


def _number(nullable: bool = False) -> dict[str, Any]:
    return {'type': ['number', 'null'] if nullable else 'number'}


def add_point_routes(app: falcon.App, services: Services) -> None:
    app.add_route('/pointlimits/{id_}', PointLimits(services))
    app.add_route('/pointsetvalues/{id_}', PointSetValue(services))
    limits = {
        'type': 'object',
        'required': ['data'],
        'properties': {
            'data': {
                'type': 'object',
                'required': ['high_limit', 'low_limit'],
                'properties': {
                    'high_limit': _number(),
                    'low_limit': _number(),
                    'higher_limit': _number(True),
                    'lower_limit': _number(True),
                },
            }
        },
    }
    set_value = {
        'type': 'object',
        'required': ['data'],
        'properties': {'data': {'type': 'object', 'required': ['set_value'], 'properties': {'set_value': _number()}}},
    }
    document('/pointlimits/{id_}', 'PUT', "Set a point's limits", 'points', auth='admin', body=limits)
    document(
        '/pointsetvalues/{id_}', 'PUT', 'Queue a value to write to a point', 'points', auth='admin', body=set_value
    )
