"""Offline meter, realtime point and tracking reports beside the slot matrix.

* `/reports/offlinemeterdaily`: an offline meter's energy per local day (its zone) of the reporting period
  from `tbl_offline_meter_hourly`; a day without slots is None. MyEMS's list of
  `{'monthdate': 'YYYY-MM-DD', 'daily_value': ...}` is `values`; `reporting_period` holds the same as
  parallel `timestamps`/`values` (the table of the file exports).
* `/reports/offlinemeterinput`: the values as uploaded: one per day of the local month holding
  `reportingperiodstartdatetime` (an upload covers a month, each day's value spread over its slots, so a
  day's slots add up to the uploaded value); MyEMS labels the days 'MM-DD'.
* `/reports/pointrealtime`: the latest value of each point (`tbl_*_latest`) of a space (`spaceid`: its
  points and its sensors' points) or of the points listed in `pointids` (comma separated), MyEMS's
  `point_id`/`value` with the point's name, units and reading time; values older than an hour are listed
  with `is_stale` true (MyEMS leaves them out).
* `/reports/metertracking`: every meter under a space's subtree (of `energyCategory`, a category id or
  'all'), its counter value at the start and at the end of the period (the latest energy reading in the
  15 minutes up to each), their difference and the share of meters with each (the integrity rates).
* `/reports/equipmenttracking`: every equipment under a space's subtree with its space and cost centre.

Every route refuses anonymous callers and checks the caller may see the object; tracking lists only the
meters or equipments the caller may see.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import bad_request, not_found
from myems_api.exports import requested_format, respond
from myems_api.reportgroups import descendants, space_paths
from myems_api.reportmeters import (
    COMMON_QUERY,
    PERIOD_QUERY,
    ObjectReport,
    Query,
    forbid_unless_visible,
    language_of,
    latest_values,
    linked_points,
    serve,
)
from myems_api.reportrequest import object_zone, period_range, read_object
from myems_api.translations import label
from myems_common.periods import bucket_sums, buckets, parse_local
from myems_common.timeutil import to_local, to_utc, zone

log = logging.getLogger(__name__)

TRACKING_WINDOW = timedelta(minutes=15)  # MyEMS: a counter value is the latest reading in the 15 minutes up to it


def offline_meter_info(cur: Any, row: dict[str, Any]) -> dict[str, Any]:
    cur.execute('SELECT name, unit_of_measure FROM tbl_energy_categories WHERE id = %s', (row['energy_category_id'],))
    found = cur.fetchone() or (None, None)
    return {
        'id': row['id'],
        'name': row['name'],
        'uuid': row['uuid'],
        'energy_category_id': row['energy_category_id'],
        'energy_category_name': found[0],
        'unit_of_measure': found[1],
    }


class OfflineMeterDays(ObjectReport):
    """An offline meter's energy per local day of a span; `span` picks the days."""

    kind = 'offline_meter'

    def span(self, req: falcon.Request, tz: tzinfo) -> tuple[tuple[datetime, datetime], str]:
        """The span in naive UTC and the strftime format of the day labels."""
        found = period_range(req, 'reporting', tz, required=True)
        assert found is not None
        return found, '%Y-%m-%d'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        (start, end), pattern = self.span(req, tz)
        first = to_local(start, tz).date()
        stop = to_local(end - timedelta(microseconds=1), tz).date() + timedelta(days=1)
        day_start = to_utc(datetime.combine(first, datetime.min.time()), tz)
        day_end = to_utc(datetime.combine(stop, datetime.min.time()), tz)
        slot = timedelta(minutes=self.services.settings.minutes_to_count)
        bucket_list = buckets(day_start, day_end, 'daily', tz, slot)
        with self.services.system() as cur:
            meter = offline_meter_info(cur, row)
        with self.services.transaction('energy') as energy:
            energy.execute(
                'SELECT start_datetime_utc, actual_value FROM tbl_offline_meter_hourly WHERE offline_meter_id = %s'
                ' AND start_datetime_utc >= %s AND start_datetime_utc < %s ORDER BY start_datetime_utc',
                (row['id'], day_start, day_end),
            )
            rows = [(at, Decimal(value)) for at, value in energy.fetchall()]
        values = bucket_sums(rows, bucket_list)
        labels = [date.fromisoformat(b.label[:10]).strftime(pattern) for b in bucket_list]
        return {
            'offline_meter': meter,
            'reporting_period': {
                'name': meter['energy_category_name'],
                'unit': meter['unit_of_measure'],
                'timestamps': labels,
                'values': values,
                'total_in_category': sum((v for v in values if v is not None), Decimal(0)),
            },
            'values': [{'monthdate': t, 'daily_value': v} for t, v in zip(labels, values, strict=True)],
        }


class OfflineMeterDaily(OfflineMeterDays):
    suffix = 'offlinemeterdaily'


class OfflineMeterInput(OfflineMeterDays):
    suffix = 'offlinemeterinput'

    def span(self, req: falcon.Request, tz: tzinfo) -> tuple[tuple[datetime, datetime], str]:
        """The local month holding the reporting period's start (its end, if given, must come after it)."""
        if (req.get_param('reportingperiodenddatetime') or '').strip():
            found = period_range(req, 'reporting', tz, required=True)
            assert found is not None
            first = found[0]
        else:
            raw = (req.get_param('reportingperiodstartdatetime') or '').strip()
            try:
                first = parse_local(raw, tz)
            except ValueError as error:
                code = 'API.INVALID_REPORTING_PERIOD_START_DATETIME'
                raise bad_request(code, f'reportingperiodstartdatetime: {error or "required"}') from error
        month = to_local(first, tz).date().replace(day=1)
        following = (month + timedelta(days=32)).replace(day=1)
        start = to_utc(datetime.combine(month, datetime.min.time()), tz)
        return (start, to_utc(datetime.combine(following, datetime.min.time()), tz)), '%m-%d'


def _ids(raw: str) -> list[int]:
    parts = [p.strip() for p in raw.split(',') if p.strip()]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise bad_request('API.INVALID_POINT_ID', 'pointids must be positive whole numbers separated by commas')
    return sorted({int(p) for p in parts})


def value_table(latest: Sequence[dict[str, Any]], language: str) -> dict[str, Any]:
    """The latest values as a one-line table (the file exports): a label per point, its value."""
    return {
        'name': label('value', language),
        'unit': None,
        'timestamps': [f'{p["name"]} ({p["units"]})' for p in latest],
        'values': [p['value'] if isinstance(p['value'], int | float | Decimal) else None for p in latest],
    }


class PointRealtime:
    """GET /reports/pointrealtime."""

    kind = 'point'
    suffix = 'pointrealtime'

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        language = language_of(req)
        raw_points = (req.get_param('pointids') or '').strip()
        with self.services.system() as cur:
            if raw_points:
                ids = _ids(raw_points)
                cur.execute(
                    'SELECT id, name, units, object_type FROM tbl_points'
                    f' WHERE id IN ({", ".join(["%s"] * len(ids))}) ORDER BY id',
                    ids,
                )
                points = cur.fetchall()
                if len(points) != len(ids):
                    raise not_found('API.POINT_NOT_FOUND', 'point not found')
                for point in points:
                    forbid_unless_visible(scope, 'point', int(point[0]))
                title_name = ', '.join(str(p[1]) for p in points)
                tz = zone(self.services.settings.default_timezone)
            else:
                space = read_object(req, cur, 'space')
                forbid_unless_visible(scope, 'space', int(space['id']))
                tz = object_zone(cur, 'space', space, self.services.settings.default_timezone)
                points = [tuple(p.values()) for p in linked_points(cur, 'space', int(space['id']))]
                title_name = str(space['name'])
        with self.services.transaction('historical') as history:
            latest = latest_values(history, points, tz)
        result = {'points': latest, 'reporting_period': value_table(latest, language)}
        respond(req, resp, result, fmt, f'{label(self.suffix, language)}: {title_name}', language)


class SpaceTracking(ObjectReport):
    """The common part of the tracking reports: the space, its subtree in level order and its paths."""

    object_kind = 'space'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        with self.services.system() as cur:
            cur.execute('SELECT id, name, parent_space_id FROM tbl_spaces')
            tree = [(int(i), str(n), None if p is None else int(p)) for i, n, p in cur.fetchall()]
            order = descendants(tree, int(row['id']))
            return self.track(req, cur, req.context.scope, order, space_paths(tree), tz)

    def track(
        self, req: falcon.Request, cur: Any, scope: Any, spaces: list[int], paths: dict[int, str], tz: tzinfo
    ) -> dict[str, Any]:
        raise NotImplementedError


def _linked(cur: Any, kind: str, table: str, columns: str, spaces: list[int]) -> list[tuple[Any, ...]]:
    """Rows of `kind`'s objects linked to the spaces, each once, under its first space in `spaces`' order;
    the link's space id is the first column."""
    cur.execute(
        f'SELECT l.space_id, {columns} FROM tbl_spaces_{kind}s l JOIN {table} o ON o.id = l.{kind}_id'
        ' LEFT JOIN tbl_cost_centers cc ON cc.id = o.cost_center_id'
        f' WHERE l.space_id IN ({", ".join(["%s"] * len(spaces))}) ORDER BY o.id',
        spaces,
    )
    rank = {s: i for i, s in enumerate(spaces)}
    first: dict[int, tuple[Any, ...]] = {}
    for row in cur.fetchall():
        held = first.get(int(row[1]))
        if held is None or rank[int(row[0])] < rank[int(held[0])]:
            first[int(row[1])] = row
    return [first[i] for i in sorted(first)]


class MeterTracking(SpaceTracking):
    kind = 'meter'
    suffix = 'metertracking'

    def track(
        self, req: falcon.Request, cur: Any, scope: Any, spaces: list[int], paths: dict[int, str], tz: tzinfo
    ) -> dict[str, Any]:
        raw = (req.get_param('energyCategory') or req.get_param('energycategory') or 'all').strip()
        category = None
        if raw != 'all':
            if not raw.isdigit() or int(raw) <= 0:
                raise bad_request('API.INVALID_ENERGY_CATEGORY_ID', "energyCategory must be a category id or 'all'")
            cur.execute('SELECT id FROM tbl_energy_categories WHERE id = %s', (int(raw),))
            if cur.fetchone() is None:
                raise not_found('API.ENERGY_CATEGORY_NOT_FOUND', 'energy category not found')
            category = int(raw)
        span = period_range(req, 'reporting', tz, required=True)
        assert span is not None
        rows = _linked(
            cur,
            'meter',
            'tbl_meters',
            'o.id, o.name, o.uuid, o.description, o.energy_category_id, cc.name,'
            ' (SELECT name FROM tbl_energy_categories WHERE id = o.energy_category_id)',
            spaces,
        )
        meters = [r for r in rows if scope.can_see('meter', int(r[1])) and category in (None, int(r[5]))]
        points: dict[int, list[int]] = {}
        if meters:
            cur.execute(
                'SELECT mp.meter_id, mp.point_id FROM tbl_meters_points mp JOIN tbl_points p ON p.id = mp.point_id'
                f" WHERE p.object_type = 'ENERGY_VALUE' AND mp.meter_id IN ({', '.join(['%s'] * len(meters))})",
                [int(m[1]) for m in meters],
            )
            for meter_id, point_id in cur.fetchall():
                points.setdefault(int(meter_id), []).append(int(point_id))
        found: list[dict[str, Any]] = []
        with self.services.transaction('historical') as history:
            for space_id, meter_id, name, uuid, description, _, center, category_name in meters:
                start = self.counter(history, points.get(int(meter_id), []), span[0])
                end = self.counter(history, points.get(int(meter_id), []), span[1])
                found.append(
                    {
                        'id': int(meter_id),
                        'meter_name': name,
                        'meter_uuid': uuid,
                        'space_name': paths.get(int(space_id)),
                        'cost_center_name': center,
                        'energy_category_name': category_name,
                        'description': description,
                        'start_value': start,
                        'end_value': end,
                        'difference_value': None if start is None or end is None else end - start,
                    }
                )
        count = len(found)

        def share(key: str, also: str | None = None) -> Decimal | None:
            hits = sum(1 for m in found if m[key] is not None and (also is None or m[also] is not None))
            return Decimal(hits) / count if count else None

        return {
            'meters': found,
            'start_integrity_rate': share('start_value'),
            'end_integrity_rate': share('end_value'),
            'full_integrity_rate': share('start_value', 'end_value'),
        }

    @staticmethod
    def counter(history: Any, point_ids: list[int], at: datetime) -> Decimal | None:
        """The latest energy reading of the points in the window up to `at`."""
        if not point_ids:
            return None
        history.execute(
            'SELECT actual_value FROM tbl_energy_value'
            f' WHERE point_id IN ({", ".join(["%s"] * len(point_ids))}) AND utc_date_time BETWEEN %s AND %s'
            ' ORDER BY utc_date_time DESC LIMIT 1',
            (*point_ids, at - TRACKING_WINDOW, at),
        )
        found = history.fetchone()
        return None if found is None else Decimal(found[0])


class EquipmentTracking(SpaceTracking):
    kind = 'equipment'
    suffix = 'equipmenttracking'

    def track(
        self, req: falcon.Request, cur: Any, scope: Any, spaces: list[int], paths: dict[int, str], tz: tzinfo
    ) -> dict[str, Any]:
        rows = _linked(cur, 'equipment', 'tbl_equipments', 'o.id, o.name, o.uuid, o.description, cc.name', spaces)
        return {
            'equipments': [
                {
                    'id': int(equipment_id),
                    'equipment_name': name,
                    'equipment_uuid': uuid,
                    'space_name': paths.get(int(space_id)),
                    'cost_center_name': center,
                    'description': description,
                }
                for space_id, equipment_id, name, uuid, description, center in rows
                if scope.can_see('equipment', int(equipment_id))
            ]
        }


OFFLINE_QUERY: Query = (('offlinemeterid', 'integer', False), ('offlinemeteruuid', 'string', False))
SPACE_QUERY: Query = (('spaceid', 'integer', False), ('spaceuuid', 'string', False))


def add_misc_report_routes(app: falcon.App[Any, Any], services: Services) -> list[dict[str, Any]]:
    """Serve the offline meter, point realtime and tracking routes; their catalogue entries."""
    return [
        serve(
            app,
            OfflineMeterDaily(services),
            "An offline meter's energy per local day of a period",
            (*OFFLINE_QUERY, *PERIOD_QUERY, *COMMON_QUERY),
            'energy',
            'energy',
        ),
        serve(
            app,
            OfflineMeterInput(services),
            "An offline meter's uploaded daily values over the local month of the period's start",
            (
                *OFFLINE_QUERY,
                ('reportingperiodstartdatetime', 'string', True),
                ('reportingperiodenddatetime', 'string', False),
                *COMMON_QUERY,
            ),
            'energy',
            'energy',
        ),
        serve(
            app,
            PointRealtime(services),  # type: ignore[arg-type]
            'Latest value of the points of a space (its own and its sensors) or of a list of points',
            (*SPACE_QUERY, ('pointids', 'string', False), ('language', 'string', False), ('format', 'string', False)),
            'historical',
            'reading',
        ),
        serve(
            app,
            MeterTracking(services),  # type: ignore[arg-type]
            "Counter values at a period's start and end of every meter under a space, and their integrity rates",
            (*SPACE_QUERY, ('energyCategory', 'string', False), *PERIOD_QUERY, *COMMON_QUERY),
            'historical',
            'reading',
        ),
        serve(
            app,
            EquipmentTracking(services),  # type: ignore[arg-type]
            'Every equipment under a space with its space and cost centre',
            (*SPACE_QUERY, ('language', 'string', False), ('format', 'string', False)),
            'system',
            'object',
        ),
    ]
