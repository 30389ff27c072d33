"""POST /pointreadings: readings pushed over HTTP by a device, a gateway or another system.

    {"data": [{"point_id": 7, "timestamp": "2026-11-26T10:15:00+01:00", "value": 1234.5},
              {"point_uuid": "…", "timestamp": 1795688100, "value": "17.25"}]}

A row names its point by `point_id` or `point_uuid`; `timestamp` is ISO 8601 (without an offset it is
UTC) or Unix seconds; `value` is the raw number, scaled by the point's ratio and offset_constant as a
polled reading would be. Rows go where acquisition writes: the point's trend table (first value for a
(point, time) wins) and its *_latest row.

Every row is checked first. The accepted ones are written in one transaction and the answer lists each
refused row with its index and reason. A batch with no acceptable row is a 400 carrying that list.
Allowed for API keys (the usual way to push) and administrators.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import ApiError, bad_request
from myems_api.routedocs import document
from myems_common.readings import OBJECT_TYPES, Reading, scale, write_batch
from myems_common.timeutil import utc_now

log = logging.getLogger(__name__)
MAX_ROWS = 10_000
FUTURE_SLACK = timedelta(minutes=15)
EARLIEST = datetime(2000, 1, 1)


@dataclass(frozen=True)
class PointInfo:
    id: int
    object_type: str
    ratio: Decimal
    offset_constant: Decimal
    is_trend: bool


class RowError(ValueError):
    pass


def parse_timestamp(raw: Any, now: datetime) -> datetime:
    """Naive UTC in whole seconds from ISO 8601 or Unix seconds."""
    if isinstance(raw, bool) or raw is None:
        raise RowError('timestamp is missing')
    try:
        if isinstance(raw, int | float | Decimal):
            moment = datetime.fromtimestamp(float(raw), UTC).replace(tzinfo=None)
        elif isinstance(raw, str):
            parsed = datetime.fromisoformat(raw.strip().replace('Z', '+00:00'))
            moment = parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)
        else:
            raise RowError(f'timestamp {raw!r} is neither ISO 8601 text nor Unix seconds')
    except (ValueError, OverflowError, OSError):
        raise RowError(f'timestamp {raw!r} is not a valid time') from None
    moment = moment.replace(microsecond=0)
    if moment < EARLIEST or moment > now + FUTURE_SLACK:
        raise RowError(f'timestamp {moment.isoformat()}Z lies before 2000 or more than 15 minutes ahead')
    return moment


def parse_value(raw: Any) -> Decimal | int | float:
    if isinstance(raw, bool) or raw is None:
        raise RowError('value is missing' if raw is None else 'value must be a number, not a boolean')
    if isinstance(raw, int | float | Decimal):
        return raw
    if isinstance(raw, str):
        try:
            return Decimal(raw.strip())
        except InvalidOperation:
            raise RowError(f'value {raw!r} is not a number') from None
    raise RowError(f'value {raw!r} is not a number')


def load_points(services: Services, rows: list[Any]) -> tuple[dict[int, PointInfo], dict[str, int]]:
    """The points the rows name, by id and uuid (one query)."""
    ids = {r['point_id'] for r in rows if isinstance(r, dict) and type(r.get('point_id')) is int}
    uuids = {r['point_uuid'] for r in rows if isinstance(r, dict) and isinstance(r.get('point_uuid'), str)}
    if not ids and not uuids:
        return {}, {}
    conditions, args = [], []
    if ids:
        conditions.append(f'id IN ({", ".join(["%s"] * len(ids))})')
        args += sorted(ids)
    if uuids:
        conditions.append(f'uuid IN ({", ".join(["%s"] * len(uuids))})')
        args += sorted(uuids)
    with services.system() as cur:
        cur.execute(
            'SELECT id, uuid, object_type, ratio, offset_constant, is_trend, is_virtual FROM tbl_points WHERE '
            + ' OR '.join(conditions),
            args,
        )
        found = cur.fetchall()
    points = {r[0]: PointInfo(r[0], r[2], r[3], r[4], bool(r[5])) for r in found if not r[6]}
    return points, {r[1]: r[0] for r in found if not r[6]}


def to_reading(row: Any, points: dict[int, PointInfo], by_uuid: dict[str, int], now: datetime) -> Reading:
    if not isinstance(row, dict):
        raise RowError('a row must be an object with point_id or point_uuid, timestamp and value')
    if 'point_id' in row:
        key = row['point_id']
        if type(key) is not int:
            raise RowError(f'point_id {key!r} is not an integer')
        point = points.get(key)
    elif isinstance(row.get('point_uuid'), str):
        key = row['point_uuid']
        point = points.get(by_uuid.get(key, 0))
    else:
        raise RowError('the row names no point: give point_id or point_uuid')
    if point is None:
        raise RowError(f'point {key!r} does not exist (or is virtual)')
    if point.object_type not in OBJECT_TYPES:
        raise RowError(
            f'point {point.id} is a {point.object_type}; only energy, analog and digital points take readings'
        )
    moment = parse_timestamp(row.get('timestamp'), now)
    try:
        value = scale(parse_value(row.get('value')), point.object_type, point.ratio, point.offset_constant)
    except ValueError as error:
        raise RowError(str(error)) from None
    return Reading(point.id, point.object_type, moment, value, point.is_trend)


class PointReadings:
    def __init__(self, services: Services) -> None:
        self.services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity, _ = self.services.who(req)
        if identity.kind != 'api_key' and not identity.can_write:
            raise ApiError(403, 'API.FORBIDDEN', 'pushing readings needs an API key or an administrator')
        media = req.get_media()
        rows = media.get('data') if isinstance(media, dict) else None
        if not isinstance(rows, list) or not rows:
            raise bad_request('API.INVALID_READINGS', 'the body must be {"data": [readings]} with at least one row')
        if len(rows) > MAX_ROWS:
            raise ApiError(413, 'API.TOO_MANY_READINGS', f'{len(rows)} rows; at most {MAX_ROWS} per request')
        points, by_uuid = load_points(self.services, rows)
        now, accepted, refused, seen = utc_now(), [], [], set()
        for index, row in enumerate(rows):
            try:
                reading = to_reading(row, points, by_uuid, now)
                if (reading.point_id, reading.utc_date_time) in seen:
                    raise RowError(
                        f'point {reading.point_id} at {reading.utc_date_time.isoformat()}Z repeats an earlier row'
                    )
            except RowError as error:
                refused.append({'index': index, 'reason': str(error)})
                continue
            seen.add((reading.point_id, reading.utc_date_time))
            accepted.append(reading)
        if not accepted:
            raise ApiError(400, 'API.NO_VALID_READINGS', f'all {len(rows)} rows were refused', details=refused)
        summary = {'rows': len(rows), 'accepted': len(accepted), 'refused': len(refused)}
        with self.services.write(identity, 'POST', 'point_readings', None, summary, 'historical') as (cur, _):
            write_batch(cur, accepted)
        log.info('pushed readings by %s: %d accepted, %d refused', identity.name, len(accepted), len(refused))
        resp.media = {'accepted': len(accepted), 'rejected': refused}


def add_push_routes(app: falcon.App, services: Services) -> None:
    app.add_route('/pointreadings', PointReadings(services))
    row = {
        'type': 'object',
        'required': ['timestamp', 'value'],
        'properties': {
            'point_id': {'type': 'integer', 'minimum': 1},
            'point_uuid': {'type': 'string'},
            'timestamp': {
                'type': ['string', 'number'],
                'description': 'ISO 8601 (UTC without an offset) or Unix seconds',
            },
            'value': {'type': ['number', 'string']},
        },
    }
    body = {'type': 'object', 'required': ['data'], 'properties': {'data': {'type': 'array', 'items': row}}}
    answer = {
        'type': 'object',
        'required': ['accepted', 'rejected'],
        'properties': {
            'accepted': {'type': 'integer'},
            'rejected': {'type': 'array', 'items': {'type': 'object'}},
        },
    }
    document('/pointreadings', 'POST', 'Push raw readings of points (API key)', 'points', body=body, response=answer)
