"""Dashboards and the energy flow diagram.

* `/reports/{entity}dashboard` (space, equipment, combined equipment, meter, shopfloor, store, tenant):
  the object's input energy per category in the reporting period against the base period, with its
  cost (billing database) and carbon (carbon database). Both periods are optional: the reporting period
  defaults to this month and the base period to the same span one year earlier, in the object's zone.
  MyEMS's keys: `reporting_period_input`, `base_period_input`, `reporting_period_cost`,
  `base_period_cost` (`names`, `energy_category_ids`, `units`, `subtotals`, `increment_rates`, totals),
  and here `reporting_period_carbon` and `base_period_carbon` beside them.
* `/reports/dashboard`: the same summary over the signed-in user's privileged spaces (an unscoped caller:
  the root space).
* `/reports/energyflowdiagram` (`energyflowdiagramid`, reporting period): the Sankey data of a configured
  diagram, `nodes` and `links` (`source`, `target`, `value`), each link's value the reporting-period
  energy of the meter, virtual meter or offline meter whose uuid the link names (None when it names none).

Every route refuses anonymous callers and checks the caller may see the object (a diagram: one of the
spaces it is linked to). The `reporting_period` block of each result is the table the file exports show.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.exports import requested_format, respond
from myems_api.reportmeters import LOCAL, ObjectReport, language_of, local_text
from myems_api.reportrequest import object_zone, param_name, period_range
from myems_api.routedocs import document
from myems_api.translations import label
from myems_common.periods import parse_local
from myems_common.series import SeriesKey
from myems_common.timeutil import zone

log = logging.getLogger(__name__)

DASHBOARD_KINDS = ('space', 'equipment', 'combined_equipment', 'meter', 'shopfloor', 'store', 'tenant')
METER_LIKE = ('meter', 'virtual_meter', 'offline_meter')
MEASURES = (('input', 'energy'), ('cost', 'billing'), ('carbon', 'carbon'))  # (key suffix, database)
SHOWN = ('id', 'name', 'uuid', 'area', 'number_of_occupants', 'cost_center_id', 'energy_category_id')
ZERO = Decimal(0)
Span = tuple[datetime, datetime]


def local_wall(moment: datetime, tz: tzinfo) -> datetime:
    """Naive UTC -> naive local wall time in `tz`."""
    return moment.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def from_wall(wall: datetime, tz: tzinfo) -> datetime:
    """Naive local wall time in `tz` -> naive UTC (DST gaps and folds as the request parameters)."""
    return parse_local(wall.strftime(LOCAL), tz)


def this_month(tz: tzinfo, now: datetime | None = None) -> Span:
    """The local calendar month holding `now` (naive UTC; default: the current time) as naive UTC."""
    wall = local_wall(now or datetime.now(UTC).replace(tzinfo=None), tz)
    start = wall.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return from_wall(start, tz), from_wall(end, tz)


def year_before(span: Span, tz: tzinfo) -> Span:
    """The same local span one year earlier (29 February becomes 28 February)."""

    def shift(moment: datetime) -> datetime:
        wall = local_wall(moment, tz)
        try:
            earlier = wall.replace(year=wall.year - 1)
        except ValueError:
            earlier = wall.replace(year=wall.year - 1, day=28)
        return from_wall(earlier, tz)

    return shift(span[0]), shift(span[1])


def periods(req: falcon.Request, tz: tzinfo) -> tuple[Span, Span]:
    """(reporting, base) periods: the parameters if given, else this month and the same span a year before."""
    reporting = period_range(req, 'reporting', tz, required=False) or this_month(tz)
    base = period_range(req, 'base', tz, required=False) or year_before(reporting, tz)
    return reporting, base


def rate(now: Decimal, before: Decimal) -> Decimal | None:
    """(now - before) / before, None without a positive base."""
    return (now - before) / before if before > 0 else None


class Dashboard:
    """Sums per energy category of some objects of one kind over two periods in three databases."""

    def __init__(self, services: Services, kind: str, ids: Sequence[int], category: int | None = None) -> None:
        self.services = services
        self.kind = kind
        self.ids = list(ids)
        self.category = category  # a meter's own category (its slot tables have no category column)

    def sums(self, database: str, span: Span) -> dict[int, Decimal]:
        if not self.ids:
            return {}
        meter = self.kind in METER_LIKE
        key = SeriesKey(database, self.kind) if meter else SeriesKey(database, self.kind, 'input', 'category')
        dimension = key.dimension_column or '0'
        marks = ', '.join(['%s'] * len(self.ids))
        with self.services.transaction(database) as cur:
            cur.execute(
                f'SELECT {dimension}, CAST(SUM(actual_value) AS CHAR) FROM {key.table}'
                f' WHERE {key.entity_column} IN ({marks}) AND start_datetime_utc >= %s AND start_datetime_utc < %s'
                ' GROUP BY 1',
                (*self.ids, *span),
            )
            found = {int(c): Decimal(v) for c, v in cur.fetchall() if v is not None}
        if meter:
            return {int(self.category or 0): found[0]} if 0 in found else {}
        return found

    def build(self, reporting: Span, base: Span, tz: tzinfo, language: str) -> dict[str, Any]:
        sums = {
            (m, which): self.sums(db, span) for m, db in MEASURES for which, span in (('r', reporting), ('b', base))
        }
        ids = sorted({c for found in sums.values() for c in found} | ({self.category} if self.category else set()))
        lines = self.categories(ids)
        currency = self.services.settings.currency_unit
        units = {'input': [u for _, u, _, _ in lines], 'cost': [currency] * len(ids), 'carbon': ['kgCO2e'] * len(ids)}
        result: dict[str, Any] = {}
        for measure, _ in MEASURES:
            now = [sums[measure, 'r'].get(c, ZERO) for c in ids]
            before = [sums[measure, 'b'].get(c, ZERO) for c in ids]
            for name, values in (('reporting', now), ('base', before)):
                block: dict[str, Any] = {
                    'names': [n for n, _, _, _ in lines],
                    'energy_category_ids': ids,
                    'units': units[measure],
                    'subtotals': values,
                }
                if measure == 'input':
                    block['subtotals_in_kgce'] = [v * k for v, (_, _, k, _) in zip(values, lines, strict=True)]
                    block['subtotals_in_kgco2e'] = [v * c for v, (_, _, _, c) in zip(values, lines, strict=True)]
                    block['total_in_kgce'] = sum(block['subtotals_in_kgce'], ZERO)
                    block['total_in_kgco2e'] = sum(block['subtotals_in_kgco2e'], ZERO)
                else:
                    block['total'] = sum(values, ZERO)
                    block['total_unit'] = units[measure][0] if ids else (currency if measure == 'cost' else 'kgCO2e')
                result[f'{name}_period_{measure}'] = block
            current, earlier = result[f'reporting_period_{measure}'], result[f'base_period_{measure}']
            current['increment_rates'] = [rate(n, b) for n, b in zip(now, before, strict=True)]
            if measure == 'input':
                for unit in ('kgce', 'kgco2e'):
                    current[f'increment_rate_in_{unit}'] = rate(
                        current[f'total_in_{unit}'], earlier[f'total_in_{unit}']
                    )
            else:
                current['total_increment_rate'] = rate(current['total'], earlier['total'])
        result['periods'] = {
            'reporting_period_start': local_text(reporting[0], tz),
            'reporting_period_end': local_text(reporting[1], tz),
            'base_period_start': local_text(base[0], tz),
            'base_period_end': local_text(base[1], tz),
        }
        result['reporting_period'] = export_block(result, language)
        return result

    def categories(self, ids: list[int]) -> list[tuple[str, str, Decimal, Decimal]]:
        """(name, unit, kgce, kgco2e) of each category id, in order."""
        if not ids:
            return []
        rows = self.services.db.fetch_all(
            'system',
            'SELECT id, name, unit_of_measure, kgce, kgco2e FROM tbl_energy_categories'
            f' WHERE id IN ({", ".join(["%s"] * len(ids))})',
            ids,
        )
        found = {int(i): (str(n), str(u), Decimal(k or 0), Decimal(c or 0)) for i, n, u, k, c in rows}
        return [found.get(i, (str(i), '', ZERO, ZERO)) for i in ids]


def export_block(result: dict[str, Any], language: str) -> dict[str, Any]:
    """A category per row, reporting and base energy, cost and carbon across: the table of the file exports."""
    block: dict[str, list[Any]] = {'names': [], 'units': [], 'timestamps': [], 'values': []}
    for measure, _ in MEASURES:
        for name in ('reporting', 'base'):
            found = result[f'{name}_period_{measure}']
            block['names'].append(f'{label(measure, language)} - {label(f"{name}_period", language)}')
            block['units'].append(found.get('total_unit', ''))
            block['timestamps'].append(list(found['names']))
            block['values'].append(list(found['subtotals']))
    return block


class ObjectDashboard(ObjectReport):
    """`/reports/<kind>dashboard`: one object's dashboard."""

    def __init__(self, services: Services, kind: str) -> None:
        super().__init__(services)
        self.kind = kind
        self.suffix = f'{param_name(kind)}dashboard'

    def build(self, req: falcon.Request, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
        reporting, base = periods(req, tz)
        category = int(row['energy_category_id']) if self.kind in METER_LIKE else None
        dashboard = Dashboard(self.services, self.kind, [int(row['id'])], category)
        shown = {k: row[k] for k in SHOWN if k in row}
        return {self.kind: shown, **dashboard.build(reporting, base, tz, language_of(req))}


class UserDashboard:
    """`/reports/dashboard`: the signed-in user's privileged spaces (unscoped: the root space) together."""

    suffix = 'dashboard'

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity, _ = self.services.who(req)
        fmt = requested_format(req)
        language = language_of(req)
        with self.services.system() as cur:
            cur.execute('SELECT id, parent_space_id, name, uuid FROM tbl_spaces')
            spaces = {int(i): (p, n, u) for i, p, n, u in cur.fetchall()}
            if identity.scoped:
                roots = outermost([i for i in identity.space_ids or () if i in spaces], spaces)
            else:
                roots = [min(i for i, (p, _, _) in spaces.items() if p is None)] if spaces else []
            if not roots and not identity.scoped:
                raise not_found('API.SPACE_NOT_FOUND', 'there is no root space')
            default = self.services.settings.default_timezone
            tz = object_zone(cur, 'space', {'id': roots[0]}, default) if roots else zone(default)
        reporting, base = periods(req, tz)
        result = {
            'spaces': [{'id': i, 'name': spaces[i][1], 'uuid': spaces[i][2]} for i in roots],
            **Dashboard(self.services, 'space', roots).build(reporting, base, tz, language),
        }
        respond(req, resp, result, fmt, label('dashboard', language), language)


def outermost(ids: list[int], spaces: dict[int, tuple[Any, Any, Any]]) -> list[int]:
    """The ids none of whose ancestors is also listed (their sums already hold their subtrees')."""
    listed = set(ids)
    kept = []
    for space in sorted(listed):
        parent, seen = spaces[space][0], {space}
        while parent is not None and int(parent) not in listed and int(parent) not in seen:
            seen.add(int(parent))
            parent = spaces.get(int(parent), (None,))[0]
        if parent is None or int(parent) in seen:
            kept.append(space)
    return kept


class EnergyFlowDiagram:
    """`/reports/energyflowdiagram`: the nodes and links of a diagram, each link valued by its meter."""

    suffix = 'energyflowdiagram'

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        language = language_of(req)
        raw = (req.get_param('energyflowdiagramid') or '').strip()
        if not raw.isdigit() or int(raw) <= 0:
            raise bad_request('API.INVALID_ENERGY_FLOW_DIAGRAM_ID', 'energyflowdiagramid must be a positive number')
        with self.services.system() as cur:
            cur.execute('SELECT id, name, uuid FROM tbl_energy_flow_diagrams WHERE id = %s', (int(raw),))
            found = cur.fetchone()
            if found is None:
                raise not_found('API.ENERGY_FLOW_DIAGRAM_NOT_FOUND', 'energy flow diagram not found')
            diagram = {'id': int(found[0]), 'name': found[1], 'uuid': found[2]}
            cur.execute(
                'SELECT space_id FROM tbl_spaces_energy_flow_diagrams WHERE energy_flow_diagram_id = %s'
                ' ORDER BY space_id',
                (diagram['id'],),
            )
            linked = [int(s) for (s,) in cur.fetchall()]
            visible = [s for s in linked if scope.can_see('space', s)]
            if scope.visible('space') is not None and not visible:
                raise ApiError(403, 'API.FORBIDDEN', 'this energy flow diagram is outside your spaces')
            default = self.services.settings.default_timezone
            tz = object_zone(cur, 'space', {'id': visible[0]}, default) if visible else zone(default)
            cur.execute(
                'SELECT id, name FROM tbl_energy_flow_diagrams_nodes WHERE energy_flow_diagram_id = %s ORDER BY id',
                (diagram['id'],),
            )
            nodes = {int(i): str(n) for i, n in cur.fetchall()}
            cur.execute(
                'SELECT id, source_node_id, target_node_id, meter_uuid FROM tbl_energy_flow_diagrams_links'
                ' WHERE energy_flow_diagram_id = %s ORDER BY id',
                (diagram['id'],),
            )
            links = cur.fetchall()
            meters = meters_by_uuid(cur, sorted({str(u) for _, _, _, u in links}))
        span = period_range(req, 'reporting', tz, required=True)
        assert span is not None
        values = meter_values(self.services, list(meters.values()), span)
        shown = []
        for link_id, source, target, uuid in links:
            meter = meters.get(str(uuid))
            shown.append(
                {
                    'id': int(link_id),
                    'source': nodes.get(int(source)),
                    'target': nodes.get(int(target)),
                    'value': values.get((meter['type'], meter['id'])) if meter else None,
                    'meter': meter,
                }
            )
        result = {
            'energy_flow_diagram': diagram,
            'nodes': [{'id': i, 'name': n} for i, n in nodes.items()],
            'links': shown,
            'reporting_period': {
                'name': label('value', language),
                'timestamps': [f'{x["source"]} -> {x["target"]}' for x in shown],
                'values': [x['value'] for x in shown],
                'period_start': local_text(span[0], tz),
                'period_end': local_text(span[1], tz),
            },
        }
        respond(req, resp, result, fmt, f'{label(self.suffix, language)}: {diagram["name"]}', language)


def meters_by_uuid(cur: Any, uuids: list[str]) -> dict[str, dict[str, Any]]:
    """The meter, virtual meter or offline meter of each uuid (in that order of precedence)."""
    found: dict[str, dict[str, Any]] = {}
    if not uuids:
        return found
    marks = ', '.join(['%s'] * len(uuids))
    for kind in reversed(METER_LIKE):
        cur.execute(f'SELECT id, name, uuid FROM tbl_{kind}s WHERE uuid IN ({marks})', uuids)
        for i, n, u in cur.fetchall():
            found[str(u)] = {'type': kind, 'id': int(i), 'name': n, 'uuid': str(u)}
    return found


def meter_values(services: Services, meters: list[dict[str, Any]], span: Span) -> dict[tuple[str, int], Decimal]:
    """Reporting-period energy of each meter-like object, by (type, id); no slots: 0."""
    values: dict[tuple[str, int], Decimal] = {}
    with services.transaction('energy') as cur:
        for kind in METER_LIKE:
            ids = [m['id'] for m in meters if m['type'] == kind]
            if not ids:
                continue
            key = SeriesKey('energy', kind)
            cur.execute(
                f'SELECT {key.entity_column}, CAST(SUM(actual_value) AS CHAR) FROM {key.table}'
                f' WHERE {key.entity_column} IN ({", ".join(["%s"] * len(ids))})'
                ' AND start_datetime_utc >= %s AND start_datetime_utc < %s GROUP BY 1',
                (*ids, *span),
            )
            sums = {int(i): Decimal(v) for i, v in cur.fetchall()}
            values.update({(kind, i): sums.get(i, ZERO) for i in ids})
    return values


PERIODS = (
    ('reportingperiodstartdatetime', 'string', False),
    ('reportingperiodenddatetime', 'string', False),
    ('baseperiodstartdatetime', 'string', False),
    ('baseperiodenddatetime', 'string', False),
)
COMMON = (('language', 'string', False), ('format', 'string', False))


def _serve(
    app: falcon.App[Any, Any], resource: Any, entity: str, summary: str, query: tuple[tuple[str, str, bool], ...]
) -> dict[str, Any]:
    path = f'/reports/{resource.suffix}'
    app.add_route(path, resource)
    document(path, 'GET', summary, 'reports', query=query)
    return {
        'path': path,
        'entity': entity,
        'kind': 'energyflowdiagram' if entity == 'energy_flow_diagram' else 'dashboard',
        'database': 'energy',
        'measure': 'energy',
        'parameters': [q[0] for q in query],
    }


def add_dashboard_routes(app: falcon.App[Any, Any], services: Services) -> list[dict[str, Any]]:
    """Serve the dashboards and the energy flow diagram; their `GET /meta/reports` entries."""
    entries = []
    for kind in DASHBOARD_KINDS:
        name = param_name(kind)
        entries.append(
            _serve(
                app,
                ObjectDashboard(services, kind),
                kind,
                f'{kind.replace("_", " ").capitalize()} dashboard: energy, cost and carbon per category, this month'
                ' (or the reporting period) against the same month last year (or the base period)',
                ((f'{name}id', 'integer', False), (f'{name}uuid', 'string', False), *PERIODS, *COMMON),
            )
        )
    entries.append(
        _serve(
            app,
            UserDashboard(services),
            'space',
            "Dashboard of the caller's privileged spaces (unscoped: the root space): energy, cost and carbon per"
            ' category against the base period',
            (*PERIODS, *COMMON),
        )
    )
    entries.append(
        _serve(
            app,
            EnergyFlowDiagram(services),
            'energy_flow_diagram',
            'Sankey data of an energy flow diagram: its nodes, and its links valued by their meters in the period',
            (
                ('energyflowdiagramid', 'integer', True),
                ('reportingperiodstartdatetime', 'string', True),
                ('reportingperiodenddatetime', 'string', True),
                *COMMON,
            ),
        )
    )
    return entries
