"""Monitoring reports: a space's environment sensors, a distribution system's circuits and the caller's faults.

* `/reports/spaceenvironmentmonitor` (`spaceid`/`spaceuuid`): the sensors linked to the space
  (`tbl_spaces_sensors`), each with the latest value of its points (`tbl_sensors_points`, the
  `tbl_*_latest` tables as `/reports/pointrealtime` reads them: stale after an hour).
* `/reports/distributionsystem` (`distributionsystemid`): the system, its SVG diagram sanitised
  (`svgsafe`: no scripts, event handlers or script addresses; MyEMS served it as stored, issue #412), and
  its circuits by name, each with the latest value of its points by name. A user limited to some spaces
  sees only systems linked to one of them.
* `/reports/fddfault`: the caller's fault messages (`myems_fdd_db.tbl_web_messages`, as `/webmessages`
  lists them, newest first, at most 1000) created in the reporting period (local times in the TIMEZONE
  setting), each with its rule's name and FDD code and its local creation time, and the count per priority.

Each answers JSON or, with `format`, a file of its one-line table (`reporting_period`).
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import ApiError, not_found
from myems_api.exports import requested_format, respond
from myems_api.inbox import WEB, BoxResource
from myems_api.reportfiles import add_file_report_routes
from myems_api.reportmeters import (
    COMMON_QUERY,
    METER_QUERY,
    PERIOD_QUERY,
    ObjectReport,
    language_of,
    latest_values,
    local_text,
    serve,
)
from myems_api.reportmisc import SPACE_QUERY, value_table
from myems_api.reportpowerquality import PowerQuality
from myems_api.reportrequest import object_zone, period_range
from myems_api.svgsafe import sanitise
from myems_api.translations import label
from myems_api.validate import parse_id
from myems_common.timeutil import zone

log = logging.getLogger(__name__)

PRIORITIES = ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')
POINT = 'p.id, p.name, p.units, p.object_type'


def grouped_latest(
    services: Services, rows: list[tuple[Any, ...]], tz: tzinfo
) -> tuple[dict[int, list[dict[str, Any]]], list[dict[str, Any]]]:
    """(owner id, point id, name, units, object type) rows -> the latest values per owner, and all of them."""
    with services.transaction('historical') as history:
        every = latest_values(history, [row[1:] for row in rows], tz)
    found: dict[int, list[dict[str, Any]]] = {}
    for row, latest in zip(rows, every, strict=True):
        found.setdefault(int(row[0]), []).append(latest)
    return found, every


class SpaceEnvironmentMonitor(ObjectReport):
    kind = 'space'
    suffix = 'spaceenvironmentmonitor'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        with self.services.system() as cur:
            cur.execute(
                'SELECT s.id, s.name, s.uuid, s.description FROM tbl_spaces_sensors ss'
                ' JOIN tbl_sensors s ON s.id = ss.sensor_id WHERE ss.space_id = %s ORDER BY s.id',
                (row['id'],),
            )
            sensors = [dict(zip(('id', 'name', 'uuid', 'description'), r, strict=True)) for r in cur.fetchall()]
            cur.execute(
                f'SELECT sp.sensor_id, {POINT} FROM tbl_spaces_sensors ss JOIN tbl_sensors_points sp'
                ' ON sp.sensor_id = ss.sensor_id JOIN tbl_points p ON p.id = sp.point_id WHERE ss.space_id = %s'
                ' ORDER BY sp.sensor_id, p.id',
                (row['id'],),
            )
            points = cur.fetchall()
        by_sensor, every = grouped_latest(self.services, points, tz)
        return {
            'space': {'id': row['id'], 'name': row['name'], 'uuid': row['uuid']},
            'sensors': [{**s, 'points': by_sensor.get(int(s['id']), [])} for s in sensors],
            'reporting_period': value_table(every, language_of(req)),
        }


class DistributionSystemReport:
    """GET /reports/distributionsystem."""

    kind = 'distribution_system'
    suffix = 'distributionsystem'

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        language = language_of(req)
        raw = req.get_param('distributionsystemid') or ''
        system_id = parse_id(raw, 'API.INVALID_DISTRIBUTION_SYSTEM_ID', 'distributionsystemid')
        default = self.services.settings.default_timezone
        with self.services.system() as cur:
            cur.execute(
                'SELECT id, name, uuid, svg_id, description FROM tbl_distribution_systems WHERE id = %s', (system_id,)
            )
            found = cur.fetchone()
            if found is None:
                raise not_found('API.DISTRIBUTION_SYSTEM_NOT_FOUND', f'distribution system {system_id} not found')
            system = dict(zip(('id', 'name', 'uuid', 'svg_id', 'description'), found, strict=True))
            cur.execute(
                'SELECT space_id FROM tbl_spaces_distribution_systems WHERE distribution_system_id = %s'
                ' ORDER BY space_id',
                (system_id,),
            )
            spaces = [int(r[0]) for r in cur.fetchall()]
            visible = scope.visible('space')
            if visible is not None and not visible.intersection(spaces):
                raise ApiError(403, 'API.FORBIDDEN', 'this distribution system is outside your spaces')
            tz = object_zone(cur, 'space', {'id': spaces[0]}, default) if spaces else zone(default)
            svg = self.svg(cur, system['svg_id'])
            cur.execute(
                'SELECT id, name, uuid, distribution_room, switchgear, peak_load, peak_current, customers, meters'
                ' FROM tbl_distribution_circuits WHERE distribution_system_id = %s ORDER BY name, id',
                (system_id,),
            )
            names = ('id', 'name', 'uuid', 'distribution_room', 'switchgear', 'peak_load', 'peak_current')
            circuits = [dict(zip((*names, 'customers', 'meters'), r, strict=True)) for r in cur.fetchall()]
            cur.execute(
                f'SELECT dcp.distribution_circuit_id, {POINT} FROM tbl_distribution_circuits dc'
                ' JOIN tbl_distribution_circuits_points dcp ON dcp.distribution_circuit_id = dc.id'
                ' JOIN tbl_points p ON p.id = dcp.point_id WHERE dc.distribution_system_id = %s ORDER BY p.name, p.id',
                (system_id,),
            )
            points = cur.fetchall()
        by_circuit, every = grouped_latest(self.services, points, tz)
        result = {
            'distribution_system': system,
            'svg': svg,
            'circuits': [{**c, 'points': by_circuit.get(int(c['id']), [])} for c in circuits],
            'reporting_period': value_table(every, language),
        }
        respond(req, resp, result, fmt, f'{label(self.suffix, language)}: {system["name"]}', language)

    @staticmethod
    def svg(cur: Any, svg_id: Any) -> dict[str, Any] | None:
        """The system's diagram with its source sanitised (None for a source that cannot be made safe)."""
        if svg_id is None:
            return None
        cur.execute('SELECT id, name, uuid, source_code FROM tbl_svgs WHERE id = %s', (svg_id,))
        found = cur.fetchone()
        if found is None:
            return None
        return {'id': found[0], 'name': found[1], 'uuid': found[2], 'source_code': sanitise(found[3])}


class FddFault(BoxResource):
    """GET /reports/fddfault: the caller's fault messages of a period (their own inbox only)."""

    kind = 'fdd'
    suffix = 'fddfault'

    def __init__(self, services: Services) -> None:
        super().__init__(services, WEB)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = self.user_id(req)
        fmt = requested_format(req)
        language = language_of(req)
        tz = zone(self.services.settings.default_timezone)
        span = period_range(req, 'reporting', tz, required=True)
        assert span is not None
        where = '`user_id` = %s AND `created_datetime_utc` >= %s AND `created_datetime_utc` < %s'
        with self.services.transaction(self.box.database) as cur:
            faults = self.rows(cur, where, [identity.user_id, *span])
            rules = self.rules(cur, sorted({int(f['rule_id']) for f in faults}))
        for fault in faults:
            rule = rules.get(int(fault['rule_id']), (None, None))
            created = datetime.fromisoformat(fault['created_datetime_utc'])
            fault.update(rule_name=rule[0], fdd_code=rule[1], created_datetime_local=local_text(created, tz))
        seen = list(PRIORITIES) + sorted({f['priority'] for f in faults} - set(PRIORITIES))
        result = {
            'faults': faults,
            'reporting_period': {
                'name': label('fddfault', language),
                'unit': None,
                'timestamps': seen,
                'values': [sum(1 for f in faults if f['priority'] == p) for p in seen],
                'total': len(faults),
            },
        }
        period = f'{local_text(span[0], tz)} - {local_text(span[1], tz)}'
        respond(req, resp, result, fmt, f'{label(self.suffix, language)}: {period}', language)

    @staticmethod
    def rules(cur: Any, ids: list[int]) -> dict[int, tuple[Any, Any]]:
        if not ids:
            return {}
        cur.execute(f'SELECT id, name, fdd_code FROM tbl_rules WHERE id IN ({", ".join(["%s"] * len(ids))})', ids)
        return {int(i): (n, c) for i, n, c in cur.fetchall()}


def add_monitor_report_routes(app: falcon.App[Any, Any], services: Services) -> list[dict[str, Any]]:
    """Serve the environment monitor, distribution system, fault, power quality and advanced report file
    routes; their catalogue entries."""
    short = (('language', 'string', False), ('format', 'string', False))
    quality = (('nominalvoltage', 'number', False), ('nominalfrequency', 'number', False))
    return [
        serve(
            app,
            SpaceEnvironmentMonitor(services),
            'The sensors of a space and the latest value of each of their points',
            (*SPACE_QUERY, *short),
            'historical',
            'reading',
        ),
        serve(
            app,
            DistributionSystemReport(services),  # type: ignore[arg-type]
            'A distribution system, its SVG diagram (sanitised) and its circuits with their latest point values',
            (('distributionsystemid', 'integer', True), *short),
            'historical',
            'reading',
        ),
        serve(
            app,
            FddFault(services),  # type: ignore[arg-type]
            'Your fault messages created in a period (local times), with their rule and the count per priority',
            (*PERIOD_QUERY, *short),
            'fdd',
            'fault',
        ),
        serve(
            app,
            PowerQuality(services),
            "Power-quality statistics of a meter's voltage, current, frequency and THD points over a period",
            (*METER_QUERY, *PERIOD_QUERY, *quality, *COMMON_QUERY),
            'historical',
            'reading',
        ),
        *add_file_report_routes(app, services),
    ]
