"""Meter reports beside the slot matrix: raw point trends, latest readings and master/submeter balance.

* `/reports/metertrend`: the raw readings of every point linked to the meter in the reporting period
  (quick mode: energy points only), local times in the meter's zone, MyEMS's keys (`reporting_period`
  names/timestamps/values, `parameters` with the tariff price of each slot); readings cleaning flagged
  bad are kept and marked in `is_bad`, parallel to `values`, so a chart can show them apart.
* `/reports/meterrealtime`: the latest reading of each point (`tbl_*_latest`) with its time, and, as
  MyEMS has it, the last hour of readings (`energy_value` and `parameters`; not in quick mode).
* `/reports/metersubmetersbalance`: the master meter's energy per bucket against the sum of its
  submeters (`tbl_meters.master_meter_id`), the difference and its rate.

Every route refuses anonymous callers and checks the caller may see the meter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import ApiError
from myems_api.exports import requested_format, respond
from myems_api.reportrequest import LANGUAGES, TRUE, object_zone, parse, period_range, read_object
from myems_api.routedocs import document
from myems_api.translations import label
from myems_common.periods import bucket_sums, buckets
from myems_common.slotstore import in_list
from myems_common.tariffbook import current_book
from myems_common.timeutil import to_local

log = logging.getLogger(__name__)

READING_TABLES = {
    'ENERGY_VALUE': 'tbl_energy_value',
    'ANALOG_VALUE': 'tbl_analog_value',
    'DIGITAL_VALUE': 'tbl_digital_value',
}
REALTIME_WINDOW = timedelta(minutes=60)  # MyEMS's realtime report: the last hour of readings
LOCAL = '%Y-%m-%dT%H:%M:%S'
STALE_AFTER = timedelta(minutes=60)  # a latest value older than this is stale
ZERO = Decimal(0)


def language_of(req: falcon.Request) -> str:
    language = req.get_param('language') or 'en'
    return language if language in LANGUAGES else 'en'


def quick_of(req: falcon.Request) -> bool:
    return (req.get_param('quickmode') or '').strip().lower() in TRUE


def local_text(moment: datetime, tz: tzinfo) -> str:
    return str(to_local(moment, tz).strftime(LOCAL))


def latest_values(history: Any, points: Sequence[Sequence[Any]], tz: tzinfo) -> list[dict[str, Any]]:
    """The latest reading (`tbl_*_latest`, one query per table) of each (id, name, units, object_type) point,
    with its UTC and local time; a point without one, or whose reading is older than STALE_AFTER, is marked
    `is_stale`."""
    found: dict[int, tuple[datetime, Any]] = {}
    for object_type, table in READING_TABLES.items():
        ids = sorted({int(p[0]) for p in points if p[3] == object_type})
        if ids:
            history.execute(
                f'SELECT point_id, utc_date_time, actual_value FROM {table}_latest WHERE {in_list("point_id", ids)}',
                ids,
            )
            for point_id, at, value in history.fetchall():
                if int(point_id) not in found or at > found[int(point_id)][0]:
                    found[int(point_id)] = (at, value)
    now = datetime.now(UTC).replace(tzinfo=None)
    latest: list[dict[str, Any]] = []
    for point_id, name, units, object_type in points:
        at, value = found.get(int(point_id), (None, None))
        latest.append(
            {
                'point_id': int(point_id),
                'name': name,
                'units': units,
                'object_type': object_type,
                'value': value,
                'utc_date_time': at.strftime(LOCAL) if at else None,
                'local_date_time': local_text(at, tz) if at else None,
                'is_stale': at is None or now - at > STALE_AFTER,
            }
        )
    return latest


def forbid_unless_visible(scope: Any, kind: str, object_id: int) -> None:
    if not scope.can_see(kind, object_id):
        raise ApiError(403, 'API.FORBIDDEN', f'this {kind.replace("_", " ")} is outside your spaces')


def meter_info(cur: Any, row: dict[str, Any]) -> dict[str, Any]:
    """MyEMS's `meter` block: the meter and its energy category."""
    cur.execute(
        'SELECT name, unit_of_measure, kgce, kgco2e FROM tbl_energy_categories WHERE id = %s',
        (row['energy_category_id'],),
    )
    found = cur.fetchone() or (None, None, None, None)
    return {
        'id': row['id'],
        'name': row['name'],
        'uuid': row['uuid'],
        'cost_center_id': row['cost_center_id'],
        'energy_category_id': row['energy_category_id'],
        'energy_category_name': found[0],
        'unit_of_measure': found[1],
        'kgce': found[2],
        'kgco2e': found[3],
    }


def meter_points(cur: Any, meter_id: int) -> list[dict[str, Any]]:
    cur.execute(
        'SELECT p.id, p.name, p.units, p.object_type FROM tbl_meters_points mp JOIN tbl_points p ON p.id = mp.point_id'
        ' WHERE mp.meter_id = %s ORDER BY p.id',
        (meter_id,),
    )
    return [{'id': int(i), 'name': n, 'units': u, 'object_type': t} for i, n, u, t in cur.fetchall()]


def linked_points(cur: Any, kind: str, object_id: int) -> list[dict[str, Any]]:
    """The points of a space (tenant, store, shopfloor): its own and its sensors', each once."""
    cur.execute(
        'SELECT id, name, units, object_type FROM tbl_points WHERE id IN ('
        f' SELECT point_id FROM tbl_{kind}s_points WHERE {kind}_id = %s UNION SELECT sp.point_id'
        f' FROM tbl_{kind}s_sensors ls JOIN tbl_sensors_points sp ON sp.sensor_id = ls.sensor_id'
        f' WHERE ls.{kind}_id = %s) ORDER BY id',
        (object_id, object_id),
    )
    return [{'id': int(i), 'name': n, 'units': u, 'object_type': t} for i, n, u, t in cur.fetchall()]


def point_title(point: dict[str, Any]) -> str:
    return f'{point["name"]} ({point["units"]})'


def readings(
    cur: Any, point: dict[str, Any], start: datetime, end: datetime
) -> list[tuple[datetime, Decimal | int, bool]]:
    """(naive UTC time, value, is bad) of one point's readings in [start, end), oldest first."""
    cur.execute(
        f'SELECT utc_date_time, actual_value, is_bad FROM {READING_TABLES[point["object_type"]]}'
        ' WHERE point_id = %s AND utc_date_time >= %s AND utc_date_time < %s ORDER BY utc_date_time',
        (point['id'], start, end),
    )
    return [(at, value, bool(bad)) for at, value, bad in cur.fetchall()]


def tariff_prices(
    services: Services, center: Any, category: int, span: tuple[datetime, datetime], tz: tzinfo
) -> dict[str, Decimal]:
    """The band price of every slot of the period by a cost centre's tariff of a category (local slot start);
    empty without a cost centre or a tariff."""
    if center is None:
        return {}
    slot = timedelta(minutes=services.settings.minutes_to_count)
    rate = current_book(services.db, slot).rate(int(center), category)
    if rate is None:
        return {}
    prices: dict[str, Decimal] = {}
    at = span[0] - (span[0] - datetime(2000, 1, 1)) % slot
    while at < span[1]:
        band = rate.classify(at)[1]
        if band is not None:
            prices[local_text(at, tz)] = band.price
        at += slot
    return prices


class ObjectReport:
    """The common part: the caller, the format, the object (by `<kind>id` or `<kind>uuid`), the caller's
    scope for it and its zone; `build` makes the result (holding no connection while it borrows others)."""

    kind = 'meter'  # what the report is about (its catalogue entry)
    object_kind: str | None = None  # the object the request names, when not `kind` (a space for tracking)
    suffix = ''

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        language = language_of(req)
        kind = self.object_kind or self.kind
        with self.services.system() as cur:
            row = read_object(req, cur, kind)
            forbid_unless_visible(scope, kind, int(row['id']))
            tz = object_zone(cur, kind, row, self.services.settings.default_timezone)
        result = self.build(req, row, tz)
        title = f'{label(self.suffix, language)}: {row["name"]}'
        respond(req, resp, result, fmt, title, language)

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        raise NotImplementedError


class MeterTrend(ObjectReport):
    suffix = 'metertrend'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        span = period_range(req, 'reporting', tz, required=True)
        assert span is not None
        quick = quick_of(req)
        with self.services.system() as cur:
            meter = meter_info(cur, row)
            points = [
                p
                for p in meter_points(cur, int(row['id']))
                if p['object_type'] in READING_TABLES and (not quick or p['object_type'] == 'ENERGY_VALUE')
            ]
        reporting: dict[str, list[Any]] = {k: [] for k in ('names', 'point_ids', 'object_types', 'units')}
        reporting.update(timestamps=[], values=[], is_bad=[])
        with self.services.transaction('historical') as history:
            for point in points:
                found = readings(history, point, *span)
                reporting['names'].append(point_title(point))
                reporting['point_ids'].append(point['id'])
                reporting['object_types'].append(point['object_type'])
                reporting['units'].append(point['units'])
                reporting['timestamps'].append([local_text(at, tz) for at, _, _ in found])
                reporting['values'].append([value for _, value, _ in found])
                reporting['is_bad'].append([bad for _, _, bad in found])
        parameters: dict[str, list[Any]] = {'names': [], 'timestamps': [], 'values': []}
        if not quick:
            prices = tariff_prices(self.services, row['cost_center_id'], int(row['energy_category_id']), span, tz)
            if prices:
                parameters['names'].append(f'{label("tariff", language_of(req))}-{meter["energy_category_name"]}')
                parameters['timestamps'].append(list(prices))
                parameters['values'].append(list(prices.values()))
        return {'meter': meter, 'reporting_period': reporting, 'parameters': parameters}


class MeterRealtime(ObjectReport):
    suffix = 'meterrealtime'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        with self.services.system() as cur:
            meter = meter_info(cur, row)
            points = meter_points(cur, int(row['id']))
        end = datetime.now(UTC).replace(tzinfo=None)
        energy_value: dict[str, Any] = {'name': None, 'timestamps': [], 'values': []}
        parameters: dict[str, list[Any]] = {'names': [], 'timestamps': [], 'values': []}
        points = [p for p in points if p['object_type'] in READING_TABLES]
        with self.services.transaction('historical') as history:
            latest = latest_values(history, [(p['id'], p['name'], p['units'], p['object_type']) for p in points], tz)
            for point in points:
                if quick_of(req):
                    continue
                recent = readings(history, point, end - REALTIME_WINDOW, end + timedelta(seconds=1))
                stamps = [local_text(at, tz) for at, _, _ in recent]
                values = [value for _, value, _ in recent]
                if point['object_type'] == 'ENERGY_VALUE':
                    energy_value = {'name': point_title(point), 'timestamps': stamps, 'values': values}
                else:
                    parameters['names'].append(point_title(point))
                    parameters['timestamps'].append(stamps)
                    parameters['values'].append(values)
        return {'meter': meter, 'latest': latest, 'energy_value': energy_value, 'parameters': parameters}


class MeterSubmetersBalance(ObjectReport):
    suffix = 'metersubmetersbalance'

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        with self.services.system() as cur:
            request = parse(req, cur, 'meter', self.services.settings.default_timezone)
            forbid_unless_visible(scope, 'meter', request.id)
            meter = meter_info(cur, request.row)
            cur.execute('SELECT id, name FROM tbl_meters WHERE master_meter_id = %s ORDER BY id', (request.id,))
            submeters = [(int(i), str(n)) for i, n in cur.fetchall()]
        slot = timedelta(minutes=self.services.settings.minutes_to_count)
        bucket_list = buckets(*request.reporting, request.period_type, request.zone, slot)
        ids = [request.id] + [i for i, _ in submeters]
        rows: dict[int, list[tuple[datetime, Decimal]]] = {i: [] for i in ids}
        with self.services.transaction('energy') as energy:
            energy.execute(
                'SELECT meter_id, start_datetime_utc, actual_value FROM tbl_meter_hourly'
                f' WHERE meter_id IN ({", ".join(["%s"] * len(ids))})'
                ' AND start_datetime_utc >= %s AND start_datetime_utc < %s ORDER BY meter_id, start_datetime_utc',
                (*ids, *request.reporting),
            )
            for meter_id, at, value in energy.fetchall():
                rows[int(meter_id)].append((at, Decimal(value)))
        sums = {i: [v if v is not None else ZERO for v in bucket_sums(rows[i], bucket_list)] for i in ids}
        master = sums[request.id]
        subs = [sum((sums[i][b] for i, _ in submeters), ZERO) for b in range(len(bucket_list))]
        differences = [m - s for m, s in zip(master, subs, strict=True)]
        master_total, subs_total = sum(master, ZERO), sum(subs, ZERO)
        timestamps = [b.label for b in bucket_list]
        reporting = {
            'master_meter_consumption_in_category': master_total,
            'submeters_consumption_in_category': subs_total,
            'difference_in_category': master_total - subs_total,
            'percentage_difference': balance_rate(master_total, subs_total),
            'timestamps': timestamps,
            'master_meter_values': master,
            'submeters_values': subs,
            'difference_values': differences,
            'difference_rates': [d / m if m else None for d, m in zip(differences, master, strict=True)],
        }
        names = [str(meter['name'])] + [n for _, n in submeters]
        result = {
            'meter': meter,
            'submeters': [{'id': i, 'name': n} for i, n in submeters],
            'reporting_period': reporting,
            'parameters': {'names': names, 'timestamps': [timestamps for _ in ids], 'values': [sums[i] for i in ids]},
        }
        title = f'{label(self.suffix, request.language)}: {meter["name"]}'
        respond(req, resp, result, fmt, title, request.language)


def balance_rate(master: Decimal, submeters: Decimal) -> Decimal:
    """(master - submeters) / master; MyEMS's convention without master energy: -1 if the submeters have
    some, else 0."""
    if master:
        return (master - submeters) / master
    return Decimal(-1) if submeters else ZERO


METER_QUERY = (('meterid', 'integer', False), ('meteruuid', 'string', False))
PERIOD_QUERY = (('reportingperiodstartdatetime', 'string', True), ('reportingperiodenddatetime', 'string', True))
COMMON_QUERY = (('language', 'string', False), ('quickmode', 'string', False), ('format', 'string', False))


Query = tuple[tuple[str, str, bool], ...]


def serve(
    app: falcon.App[Any, Any], resource: ObjectReport, summary: str, query: Query, database: str, measure: str
) -> dict[str, Any]:
    """Serve and document one report route (`/reports/<kind><suffix>`); returns its `GET /meta/reports` entry."""
    path = f'/reports/{resource.suffix}'
    app.add_route(path, resource)
    document(path, 'GET', summary, 'reports', query=query)
    return {
        'path': path,
        'entity': resource.kind,
        'kind': resource.suffix.removeprefix(resource.kind),
        'database': database,
        'measure': measure,
        'parameters': [q[0] for q in query],
    }


def add_meter_report_routes(app: falcon.App[Any, Any], services: Services) -> list[dict[str, Any]]:
    """Serve the meter trend, realtime and submeter balance routes and the tenant bill; their catalogue entries."""
    from myems_api.reporttenant import add_tenant_bill_route  # it imports this module

    balance = (('periodtype', 'string', True), *PERIOD_QUERY)
    return [
        serve(
            app,
            MeterTrend(services),
            'Raw readings of the points of a meter in a period (bad readings marked), local times in its zone',
            (*METER_QUERY, *PERIOD_QUERY, *COMMON_QUERY),
            'historical',
            'reading',
        ),
        serve(
            app,
            MeterRealtime(services),
            "Latest reading of each of a meter's points, and its last hour of readings",
            (*METER_QUERY, *COMMON_QUERY),
            'historical',
            'reading',
        ),
        serve(
            app,
            MeterSubmetersBalance(services),
            'Energy of a master meter per bucket against the sum of its submeters: difference and rate',
            (*METER_QUERY, *balance, *COMMON_QUERY),
            'energy',
            'energy',
        ),
        add_tenant_bill_route(app, services),
    ]
