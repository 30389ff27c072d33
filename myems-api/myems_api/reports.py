"""Report routes generated from the entity x kind matrix: `/reports/{entity}{kind}` and `GET /meta/reports`.

Each route is one `SeriesReport`: parse the common request (`reportrequest`), check the caller may see
the object, read its slot rows for both periods through its series key, and hand them to a pure report
kind (`reportkinds`). MyEMS's JSON keys are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import ApiError
from myems_api.exports import requested_format, respond
from myems_api.pipelined import pipelined
from myems_api.reportefficiency import efficiency_report
from myems_api.reportgroups import add_group_routes
from myems_api.reportkinds import Frame, Line, Rows, category_report, meter_report
from myems_api.reportread import SeriesReader, add_bands, reached_all, read_spans, totals
from myems_api.reportrequest import TABLES, ReportRequest, param_name, parse
from myems_api.reportsegments import day_bounds, segment_bounds
from myems_api.reportstats import load_report, reference_report, statistics_report
from myems_api.routedocs import document
from myems_api.translations import label
from myems_common.daily import reaches, zone_or
from myems_common.periods import buckets
from myems_common.series import SeriesKey
from myems_common.tariffbook import CHECKSUM_SQL, Rate, current_book

ENTITY_KINDS = ('space', 'equipment', 'combined_equipment', 'tenant', 'store', 'shopfloor')
METER_KINDS = ('meter', 'virtual_meter', 'offline_meter')
CALENDARS = {k: f'tbl_{k}s_working_calendars' for k in ('space', 'tenant', 'store', 'shopfloor')}
SHOWN = ('id', 'name', 'uuid', 'area', 'number_of_occupants', 'cost_center_id', 'energy_category_id')


@dataclass(frozen=True)
class Kind:
    suffix: str  # the route's suffix: /reports/space<suffix>
    database: str  # settings key of the slot database read
    measure: str  # 'energy', 'cost' or 'carbon'; for a reference kind the reference: 'baseline', 'plan', ...
    kinds: tuple[str, ...]  # the entity kinds it applies to
    build: Callable[[Frame, str], dict[str, Any]] = category_report
    direction: str = 'input'
    dimension: str = 'category'
    reference: str | None = None  # settings key of the database of the reference series
    reference_direction: str | None = None  # the reference series' direction if not `direction` (efficiency)
    each_slot: bool = False  # the build needs every slot row, not sums over segments


IO_KINDS = ('space', 'equipment', 'combined_equipment')
ALL_KINDS = ENTITY_KINDS + METER_KINDS
REPORT_KINDS = (
    Kind('energycategory', 'energy', 'energy', ENTITY_KINDS),
    Kind('energyitem', 'energy', 'energy', ENTITY_KINDS, dimension='item'),
    Kind('output', 'energy', 'energy', IO_KINDS, direction='output'),
    Kind('cost', 'billing', 'cost', ALL_KINDS),
    Kind('income', 'billing', 'cost', IO_KINDS, direction='output'),  # outputs priced: money, in the currency
    Kind('carbon', 'carbon', 'carbon', ALL_KINDS),
    Kind('energy', 'energy', 'energy', METER_KINDS, meter_report),
    Kind('load', 'energy', 'energy', ENTITY_KINDS, load_report, each_slot=True),
    Kind('statistics', 'energy', 'energy', ENTITY_KINDS, statistics_report),
    Kind('saving', 'energy', 'baseline', ALL_KINDS, reference_report, reference='energy_baseline'),
    Kind('plan', 'energy', 'plan', ALL_KINDS, reference_report, reference='energy_plan'),
    Kind('prediction', 'energy', 'prediction', ALL_KINDS, reference_report, reference='energy_prediction'),
    Kind(
        'efficiency',
        'energy',
        'efficiency',
        IO_KINDS,
        efficiency_report,
        reference='energy',
        reference_direction='output',
    ),
)


def route(kind: str, report: Kind) -> str:
    return f'/reports/{param_name(kind)}{report.suffix}'


class SeriesReport:
    def __init__(self, services: Services, kind: str, report: Kind) -> None:
        self.services = services
        self.kind = kind
        self.report = report
        meter = kind in METER_KINDS
        family = () if meter else (report.direction, report.dimension)
        self.key = SeriesKey(report.database, kind, *family)
        if report.reference_direction and not meter:
            family = (report.reference_direction, report.dimension)
        self.reference = SeriesKey(report.reference, kind, *family) if report.reference else None
        self.children = kind == 'space' and report.build is category_report  # it lists its child spaces

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)  # a bad format is a 400 before any work
        request, frame = self.frame(req, scope)
        lines = frame.lines
        build = meter_report if self.kind in METER_KINDS and self.report.build is category_report else self.report.build
        shown = {k: request.row[k] for k in SHOWN if k in request.row}
        if self.kind in METER_KINDS and lines:
            shown.update(energy_category_name=lines[0].name, unit_of_measure=lines[0].unit)
            shown.update(kgce=lines[0].kgce, kgco2e=lines[0].kgco2e)
        title = f'{label(self.report.suffix, request.language)}: {shown.get("name", "")}'
        result = {self.kind: shown, **build(frame, self.report.measure)}
        if self.children:
            result['child_space'] = self.child_space(lines, req.context.children, req.context.child_sums)
        if not request.quick:  # tariffs and point readings (reportparameters imports reportmeters, which imports this)
            from myems_api.reportparameters import parameters

            result['parameters'] = parameters(self.services, self.kind, request, lines, self.report.dimension)
        respond(req, resp, result, fmt, title, request.language)

    def frame(self, req: falcon.Request, scope: Any) -> tuple[ReportRequest, Frame]:
        """The parsed request and what the report is computed from (403 for an object outside the scope)."""
        settings = self.services.settings
        with self.services.read('system') as cur:  # the object's row and these, in one round trip
            request = parse(req, cur, self.kind, settings.default_timezone, self.about)
        if not scope.can_see(self.kind, request.id):
            raise ApiError(403, 'API.FORBIDDEN', f'this {self.kind.replace("_", " ")} is outside your spaces')
        priced = self.report.dimension == 'category' and request.row.get('cost_center_id') is not None
        days, line_rows, checksum, children = request.also_rows
        zones = {
            int(i): zone_or(z, settings.default_timezone) for i, _, z in children if scope.can_see('space', int(i))
        }
        req.context.children = [(int(i), str(n)) for i, n, _ in children if int(i) in zones]
        non_working = frozenset(row[0] for row in days)
        unit = {'cost': settings.currency_unit, 'carbon': 'kgCO2e'}.get(self.report.measure)
        catalogue = {
            int(i): Line(int(i), str(n), unit or str(u), Decimal(k), Decimal(c)) for i, n, u, k, c in line_rows
        }
        spans = [s for s in (request.base, request.reporting) if s]
        slot = timedelta(minutes=settings.minutes_to_count)
        rates = self.rates(request, slot, checksum) if priced else {}
        bounds = [self.bounds(request, span, slot, non_working) for span in spans]
        category = request.row.get('energy_category_id') if self.kind in METER_KINDS else None

        def read(cur: Any) -> tuple[list[dict[int, Rows]], Any, dict[tuple[int, int], Decimal]]:
            reader = SeriesReader(cur, self.key, request.id, category, list(catalogue))
            reader.banded = bool(rates)  # the days' band sums come with their sums
            until = reaches(cur, self.key, [request.id, *zones])  # the object's and its children's, one read
            reader.reach(until.get(request.id))
            rows = read_spans(reader, spans, bounds, request.zone)
            tou = self.tou(rates, reader, request, None if bounds[-1] else rows[-1])
            return rows, tou, totals(cur, self.key, zones, list(catalogue), request.reporting, until)

        with self.services.read(self.report.database) as cur:  # one round trip when the daily sums hold
            rows, tou, req.context.child_sums = pipelined(cur, read, reached_all)
        references: list[dict[int, Rows]] = [{} for _ in spans]
        if self.reference and self.report.reference:
            with self.services.read(self.report.reference) as cur:
                reader = SeriesReader(cur, self.reference, request.id, category, list(catalogue))
                references = read_spans(reader, spans, bounds, request.zone)
        found = {i for r in rows + references for i in r} if self.kind not in METER_KINDS else set(catalogue)
        lines = [catalogue[i] for i in sorted(found) if i in catalogue]
        return request, Frame(
            period_type=request.period_type,
            zone=request.zone,
            slot=slot,
            reporting=request.reporting,
            base=request.base,
            lines=lines,
            reporting_rows=rows[-1],
            base_rows=rows[0] if request.base else {},
            area=_decimal(request.row.get('area')),
            occupants=_decimal(request.row.get('number_of_occupants')),
            non_working=non_working,
            reference_rows=references[-1],
            reference_base_rows=references[0] if request.base else {},
            tou=tou,
        )

    def child_space(
        self, lines: Sequence[Line], children: Sequence[tuple[int, str]], sums: dict[tuple[int, int], Decimal]
    ) -> dict[str, Any]:
        """Per line, the direct child spaces the caller may see and their reporting-period subtotals."""
        subtotals = [[sums.get((i, line.id), Decimal(0)) for i, _ in children] for line in lines]
        found: dict[str, Any] = {
            'energy_category_names': [line.name for line in lines],
            'units': [line.unit for line in lines],
            'child_space_ids_array': [[i for i, _ in children] for _ in lines],
            'child_space_names_array': [[n for _, n in children] for _ in lines],
            'subtotals_array': subtotals,
        }
        if self.report.measure == 'energy':
            found['subtotals_in_kgce_array'] = [
                [v * line.kgce for v in row] for row, line in zip(subtotals, lines, strict=True)
            ]
            found['subtotals_in_kgco2e_array'] = [
                [v * line.kgco2e for v in row] for row, line in zip(subtotals, lines, strict=True)
            ]
        return found

    def bounds(
        self, request: ReportRequest, span: tuple[datetime, datetime], slot: timedelta, non_working: frozenset[date]
    ) -> list[int] | None:
        """The segments the database sums a period's slots over (`reportsegments`), or None to read each slot:
        for hourly buckets (a slot each) and for kinds that need every slot (the load report's maximum)."""
        if request.period_type == 'hourly' or self.report.each_slot:
            return None
        bucket_list = buckets(span[0], span[1], request.period_type, request.zone, slot)
        return segment_bounds(span, bucket_list, day_bounds(non_working, request.zone, span))

    def catalogue(self, object_id: int) -> tuple[str, tuple[Any, ...]]:
        """SQL for every line the report may have: a meter's category, or every energy category (item, with its
        category's unit and factors). The slot rows are read for these (named, they are index ranges)."""
        if self.kind in METER_KINDS:
            return (
                'SELECT id, name, unit_of_measure, kgce, kgco2e FROM tbl_energy_categories'
                f' WHERE id = (SELECT energy_category_id FROM {TABLES[self.kind]} WHERE id = %s)',
                (object_id,),
            )
        if self.report.dimension == 'item':
            return (
                'SELECT i.id, i.name, c.unit_of_measure, c.kgce, c.kgco2e FROM tbl_energy_items i'
                ' JOIN tbl_energy_categories c ON c.id = i.energy_category_id',
                (),
            )
        return 'SELECT id, name, unit_of_measure, kgce, kgco2e FROM tbl_energy_categories', ()

    def rates(self, request: ReportRequest, slot: timedelta, checksum: Sequence[Any]) -> dict[int, Rate]:
        """Per energy category, the rate of the object's cost centre's tariffs (none without a cost centre)."""
        center = request.row.get('cost_center_id')
        if center is None:
            return {}
        book = current_book(self.services.db, slot, checksum)
        categories = [c for (linked, c) in book.links if linked == int(center)]
        found = {c: book.rate(int(center), c) for c in categories}
        return {c: rate for c, rate in found.items() if rate is not None}

    @staticmethod
    def tou(
        rates: dict[int, Rate], reader: SeriesReader, request: ReportRequest, slots: dict[int, Rows] | None
    ) -> dict[int, dict[str, Decimal]]:
        """Reporting-period sums per time-of-use band, per category: of its `slots` if read, else from the daily
        band sums and runs of slots in one band (`SeriesReader.band_sums`)."""
        if not rates:
            return {}
        if slots is None:
            return reader.band_sums(request.reporting, request.zone, rates)
        found: dict[int, dict[str, Decimal]] = {}
        add_bands(rates, slots, found)
        return found

    def about(self, object_id: int) -> list[tuple[str, tuple[Any, ...]]]:
        """The reads about the object a report needs besides its row: its non-working days, the lines it may
        have, the tariff tables' checksum (category reports: priced if the object has a cost centre) and its
        child spaces (the space energy category report)."""
        checksum = CHECKSUM_SQL if self.report.dimension == 'category' else 'SELECT 1'
        children = CHILDREN_SQL if self.children else 'SELECT 1 FROM DUAL WHERE %s = 0'
        return [self.non_working(object_id), self.catalogue(object_id), (checksum, ()), (children, (object_id,))]

    def non_working(self, object_id: int) -> tuple[str, tuple[Any, ...]]:
        """SQL for the object's non-working days (those of its working calendars; none for a kind without)."""
        table = CALENDARS.get(self.kind)
        if table is None:
            return 'SELECT NULL FROM DUAL WHERE 1 = 0', ()
        return (
            'SELECT n.date_local FROM tbl_working_calendars_non_working_days n'
            f' JOIN {table} l ON l.working_calendar_id = n.working_calendar_id WHERE l.{self.kind}_id = %s',
            (object_id,),
        )


CHILDREN_SQL = (
    'SELECT s.id, s.name, t.name FROM tbl_spaces s LEFT JOIN tbl_timezones t ON t.id = s.timezone_id'
    ' WHERE s.parent_space_id = %s ORDER BY s.id'
)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


EXTRA_REPORTS: list[dict[str, Any]] = []  # catalogue entries of report routes served elsewhere


class ReportCatalogue:
    """GET /meta/reports: every generated report route, what it applies to and what it reads."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.services.who(req)  # signed-in users and API keys
        resp.media = {
            'reports': [
                {
                    'path': route(kind, report),
                    'entity': kind,
                    'kind': report.suffix,
                    'database': report.database,
                    'measure': report.measure,
                    'parameters': [f'{param_name(kind)}id', f'{param_name(kind)}uuid', *(q[0] for q in QUERY)],
                }
                for report in REPORT_KINDS
                for kind in report.kinds
            ]
            + EXTRA_REPORTS
        }


QUERY = (
    ('periodtype', 'string', True),
    ('baseperiodstartdatetime', 'string', False),
    ('baseperiodenddatetime', 'string', False),
    ('reportingperiodstartdatetime', 'string', True),
    ('reportingperiodenddatetime', 'string', True),
    ('language', 'string', False),
    ('quickmode', 'string', False),
    ('format', 'string', False),  # json (default), xlsx, csv, pdf or png: a file download
    ('exportexcel', 'string', False),  # MyEMS: true adds excel_bytes_base64 to the JSON
)


def add_report_routes(app: falcon.App, services: Services) -> None:
    assert all(kind in TABLES for report in REPORT_KINDS for kind in report.kinds)
    for report in REPORT_KINDS:
        for kind in report.kinds:
            path = route(kind, report)
            app.add_route(path, SeriesReport(services, kind, report))
            name = param_name(kind)
            document(
                path,
                'GET',
                f'{kind.replace("_", " ").capitalize()} {report.measure} report by period (local times in its zone)',
                'reports',
                query=((f'{name}id', 'integer', False), (f'{name}uuid', 'string', False), *QUERY),
            )
    EXTRA_REPORTS[:] = add_group_routes(app, services, QUERY)  # comparison and batch
    app.add_route('/meta/reports', ReportCatalogue(services))
    document('/meta/reports', 'GET', 'Every report route, what it applies to and its parameters', 'reports')
    from myems_api.reportmeters import add_meter_report_routes  # it imports this module

    EXTRA_REPORTS.extend(add_meter_report_routes(app, services))  # trend, realtime, balance, tenant bill
    from myems_api.reportmisc import add_misc_report_routes  # it imports reportmeters

    EXTRA_REPORTS.extend(add_misc_report_routes(app, services))  # offline meter days, point realtime, tracking
    from myems_api.reportdashboards import add_dashboard_routes

    EXTRA_REPORTS.extend(add_dashboard_routes(app, services))  # dashboards, energy flow diagram
    from myems_api.reportproduction import add_production_routes

    EXTRA_REPORTS.extend(add_production_routes(app, services))  # space production, production entry
    from myems_api.reportmonitor import add_monitor_report_routes

    EXTRA_REPORTS.extend(add_monitor_report_routes(app, services))  # monitors, faults, power quality, files
