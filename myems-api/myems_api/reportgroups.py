"""Reports over more than one object: comparison and batch.

* `/reports/{entity}comparison`: two objects (`<entity>id1`/`<entity>uuid1`, `<entity>id2`/`<entity>uuid2`)
  and one energy category (`energycategoryid`; a meter's own category) over the same reporting period and
  period type, bucketed in the first object's zone: each object's series and total, and per bucket the
  first minus the second (MyEMS's keys `<entity>1`, `<entity>2`, `energy_category`, `reporting_period1`,
  `reporting_period2` and `diff`). Both objects must be visible to the caller.
* `/reports/{entity}batch`: a space (`spaceid`/`spaceuuid`) and every object of the kind linked to a space
  of its subtree (for `spacebatch` the subtree's spaces themselves), each with its reporting-period subtotal
  per energy category (MyEMS's `<entity>s` list and `energycategories`). Only visible objects are listed.

Files (`format=xlsx|csv|pdf|png`, `exportexcel=true`) are made from a table shaped for `exports`: a
comparison as the two series and their difference by bucket, a batch as objects down and categories across.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import falcon

from myems_api.context import Services
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.exports import export, requested_format, respond
from myems_api.reportrequest import LANGUAGES, TABLES, TRUE, object_zone, param_name, period_range, read_object
from myems_api.routedocs import document
from myems_api.translations import label
from myems_common.periods import PERIOD_TYPES, bucket_sums, buckets
from myems_common.series import SeriesKey

METER_KINDS = ('meter', 'virtual_meter', 'offline_meter')
COMPARISON_KINDS = (
    'space',
    'equipment',
    'combined_equipment',
    'tenant',
    'store',
    'shopfloor',
    'meter',
    'virtual_meter',
)
BATCH_KINDS = (
    'space',
    'meter',
    'virtual_meter',
    'offline_meter',
    'equipment',
    'combined_equipment',
    'tenant',
    'store',
    'shopfloor',
)
ZERO = Decimal(0)
Query = tuple[tuple[str, str, bool], ...]  # (name, JSON type, required)


def _series(kind: str) -> SeriesKey:
    """The energy slot tables of a kind: a meter's own, an entity's input by category."""
    return SeriesKey('energy', kind) if kind in METER_KINDS else SeriesKey('energy', kind, 'input', 'category')


def _language(req: falcon.Request) -> str:
    language = req.get_param('language') or 'en'
    return language if language in LANGUAGES else 'en'


def _forbid_unless(visible: bool, kind: str) -> None:
    if not visible:
        raise ApiError(403, 'API.FORBIDDEN', f'this {kind.replace("_", " ")} is outside your spaces')


def _category(cur: Any, category_id: int) -> dict[str, Any]:
    cur.execute('SELECT id, name, unit_of_measure FROM tbl_energy_categories WHERE id = %s', (category_id,))
    found = cur.fetchone()
    if found is None:
        raise not_found('API.ENERGY_CATEGORY_NOT_FOUND', 'energy category not found')
    return {'id': int(found[0]), 'name': str(found[1]), 'unit_of_measure': str(found[2])}


def _send(
    req: falcon.Request,
    resp: falcon.Response,
    result: dict[str, Any],
    table: dict[str, Any],
    fmt: str | None,
    title: str,
    language: str,
) -> None:
    """The MyEMS-shaped JSON, or `table` (shaped for `exports`) as a file or as MyEMS's excel_bytes_base64."""
    if fmt is not None:
        respond(req, resp, table, fmt, title, language)
        return
    if (req.get_param('exportexcel') or '').strip().lower() in TRUE:
        content, _, _ = export(table, 'xlsx', title, language)
        result = {**result, 'excel_bytes_base64': base64.b64encode(content).decode('ascii')}
    resp.media = result


# ------------------------------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class Series:
    """One bucketed series: labels, values (an empty bucket is 0) and their total."""

    labels: list[str]
    values: list[Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.values, ZERO)


def compare(
    first: Sequence[tuple[datetime, Decimal]],
    second: Sequence[tuple[datetime, Decimal]],
    span: tuple[datetime, datetime],
    period_type: str,
    zone: tzinfo,
    slot: timedelta,
) -> tuple[Series, Series, list[Decimal]]:
    """Both objects' rows bucketed over the same buckets, and per bucket the first minus the second."""
    bucket_list = buckets(span[0], span[1], period_type, zone, slot)
    labels = [b.label for b in bucket_list]
    one, two = (
        Series(labels, [v if v is not None else ZERO for v in bucket_sums(list(rows), bucket_list)])
        for rows in (first, second)
    )
    return one, two, [a - b for a, b in zip(one.values, two.values, strict=True)]


class GroupReport:
    """A report route of one entity kind, reading its energy slot tables."""

    def __init__(self, services: Services, kind: str) -> None:
        self.services = services
        self.kind = kind
        self.key = _series(kind)


class ComparisonReport(GroupReport):
    """GET /reports/{entity}comparison."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        settings = self.services.settings
        with self.services.system() as cur:
            objects = [read_object(req, cur, self.kind, suffix) for suffix in ('1', '2')]
            for row in objects:
                _forbid_unless(scope.can_see(self.kind, int(row['id'])), self.kind)
            category_id = self._category_id(req, objects)
            period_type = (req.get_param('periodtype') or '').strip()
            if period_type not in PERIOD_TYPES:
                raise bad_request('API.INVALID_PERIOD_TYPE', f'periodtype must be one of {", ".join(PERIOD_TYPES)}')
            category = _category(cur, category_id)
            zone = object_zone(cur, self.kind, objects[0], settings.default_timezone)
            span = period_range(req, 'reporting', zone, required=True)
            assert span is not None
        slot = timedelta(minutes=settings.minutes_to_count)
        rows = [self._rows(int(row['id']), category_id, span) for row in objects]
        one, two, diff = compare(rows[0], rows[1], span, period_type, zone, slot)
        shown = [
            {
                'id': int(row['id']),
                'name': row['name'],
                'uuid': row.get('uuid'),
                'energy_category_id': category['id'],
                'energy_category_name': category['name'],
                'unit_of_measure': category['unit_of_measure'],
            }
            for row in objects
        ]
        result: dict[str, Any] = {
            f'{self.kind}1': shown[0],
            f'{self.kind}2': shown[1],
            'energy_category': category,
            'reporting_period1': {'total_in_category': one.total, 'timestamps': one.labels, 'values': one.values},
            'reporting_period2': {'total_in_category': two.total, 'timestamps': two.labels, 'values': two.values},
            'diff': {'values': diff, 'total_in_category': sum(diff, ZERO)},
        }
        language = _language(req)
        names = [str(row['name']) for row in objects]
        if names[0] == names[1]:
            names = [f'{n} (#{row["id"]})' for n, row in zip(names, objects, strict=True)]
        table = {
            'comparison': {
                'energy_category_name': category['name'],
                'unit_of_measure': category['unit_of_measure'],
                'period_type': period_type,
            },
            'reporting_period': {
                'names': [*names, label('difference', language)],
                'units': [category['unit_of_measure']] * 3,
                'timestamps': [one.labels] * 3,
                'values': [one.values, two.values, diff],
                'subtotals': [one.total, two.total, sum(diff, ZERO)],
            },
        }
        title = f'{label("comparison", language)}: {names[0]} - {names[1]}'
        _send(req, resp, result, table, fmt, title, language)

    def _category_id(self, req: falcon.Request, objects: list[dict[str, Any]]) -> int:
        """`energycategoryid`; for meters it may be left out and must be the meters' own."""
        raw = (req.get_param('energycategoryid') or '').strip()
        if self.kind in METER_KINDS:
            own = {int(row['energy_category_id']) for row in objects}
            if raw and (not raw.isdigit() or int(raw) not in own) or len(own) != 1:
                raise bad_request('API.INVALID_ENERGY_CATEGORY_ID', 'the two meters must share one energy category')
            return own.pop()
        if not raw.isdigit() or int(raw) <= 0:
            raise bad_request('API.INVALID_ENERGY_CATEGORY_ID', 'energycategoryid must be a positive whole number')
        return int(raw)

    def _rows(self, id_: int, category_id: int, span: tuple[datetime, datetime]) -> list[tuple[datetime, Decimal]]:
        where = f'{self.key.entity_column} = %s'
        params: list[Any] = [id_]
        if self.key.dimension_column:
            where += f' AND {self.key.dimension_column} = %s'
            params.append(category_id)
        with self.services.transaction('energy') as cur:
            cur.execute(
                f'SELECT start_datetime_utc, actual_value FROM {self.key.table}'
                f' WHERE {where} AND start_datetime_utc >= %s AND start_datetime_utc < %s ORDER BY 1',
                (*params, *span),
            )
            return [(moment, Decimal(value)) for moment, value in cur.fetchall()]


# ------------------------------------------------------------------------------------------ batch
def space_paths(rows: Sequence[tuple[int, str, int | None]]) -> dict[int, str]:
    """Every space's path of names from its tree's root ('Campus/Building A')."""
    parent = {int(i): (None if p is None else int(p)) for i, _, p in rows}
    names = {int(i): str(n) for i, n, _ in rows}
    paths: dict[int, str] = {}

    def path(id_: int) -> str:
        found = paths.get(id_)
        if found is None:
            chain: list[int] = []
            node: int | None = id_
            while node is not None and node not in paths and node not in chain and node in names:
                chain.append(node)
                node = parent.get(node)
            prefix = paths.get(node, '') if node is not None else ''
            for item in reversed(chain):
                prefix = f'{prefix}/{names[item]}' if prefix else names[item]
                paths[item] = prefix
            found = paths[id_]
        return found

    for id_ in names:
        path(id_)
    return paths


def descendants(rows: Sequence[tuple[int, str, int | None]], root: int) -> list[int]:
    """The root and the spaces under it, level by level."""
    children: dict[int, list[int]] = {}
    for id_, _, parent in rows:
        if parent is not None:
            children.setdefault(int(parent), []).append(int(id_))
    found, index = [root], 0
    while index < len(found):
        found.extend(c for c in sorted(children.get(found[index], ())) if c not in found)
        index += 1
    return found


class BatchReport(GroupReport):
    """GET /reports/{entity}batch."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, scope = self.services.who(req)
        fmt = requested_format(req)
        settings = self.services.settings
        with self.services.system() as cur:
            space = read_object(req, cur, 'space')
            _forbid_unless(scope.can_see('space', int(space['id'])), 'space')
            zone = object_zone(cur, 'space', space, settings.default_timezone)
            span = period_range(req, 'reporting', zone, required=True)
            assert span is not None
            cur.execute('SELECT id, name, parent_space_id FROM tbl_spaces')
            tree = [(int(i), str(n), p) for i, n, p in cur.fetchall()]
            paths = space_paths(tree)
            spaces = descendants(tree, int(space['id']))
            objects = self._objects(cur, spaces)
            visible = scope.visible(self.kind)
            objects = [o for o in objects if visible is None or int(o['id']) in visible]
            sums = self._sums(objects, span)
            used = sorted(
                {int(o['energy_category_id']) for o in objects}
                if self.kind in METER_KINDS
                else {c for per in sums.values() for c in per}
            )
            categories = [_category(cur, c) for c in used]
        listed = []
        for o in objects:
            per = sums.get(int(o['id']), {})
            entry: dict[str, Any] = {
                'id': int(o['id']),
                f'{self.kind}_name': o['name'],
                'uuid': o.get('uuid'),
                'space_name': paths.get(int(o['space_id']), ''),
                'cost_center_name': o.get('cost_center_name'),
                'description': o.get('description'),
            }
            if self.kind in METER_KINDS:
                mine = int(o['energy_category_id'])
                entry['energy_category_id'] = mine
                entry['energy_category_name'] = next(c['name'] for c in categories if c['id'] == mine)
                entry['values'] = [per.get(c['id'], ZERO) if c['id'] == mine else None for c in categories]
                entry['subtotal'] = per.get(mine, ZERO)
            else:
                entry['values'] = [per.get(c['id'], ZERO) for c in categories]
            listed.append(entry)
        result = {
            'space': {'id': int(space['id']), 'name': space['name'], 'uuid': space.get('uuid')},
            f'{self.kind}s': listed,
            'energycategories': categories,
        }
        language = _language(req)
        names = [str(e[f'{self.kind}_name']) for e in listed]
        labels = [n if names.count(n) == 1 else f'{n} (#{e["id"]})' for n, e in zip(names, listed, strict=True)]
        columns = [[e['values'][i] for e in listed] for i in range(len(categories))]
        table = {
            'space': {'name': space['name']},
            'reporting_period': {
                'names': [c['name'] for c in categories],
                'units': [c['unit_of_measure'] for c in categories],
                'timestamps': [labels for _ in categories],
                'values': columns,
                'subtotals': [sum((v for v in column if v is not None), ZERO) for column in columns],
            },
        }
        title = f'{label(self.kind + "batch", language)}: {space["name"]}'
        _send(req, resp, result, table, fmt, title, language)

    def _objects(self, cur: Any, spaces: list[int]) -> list[dict[str, Any]]:
        """The kind's objects linked to the spaces (a space's subtree itself for spacebatch), each once,
        under the first of its spaces in the subtree's level order; with its cost centre's name."""
        placeholders = ', '.join(['%s'] * len(spaces))
        if self.kind == 'space':
            link = f'SELECT id AS space_id, id AS object_id FROM tbl_spaces WHERE id IN ({placeholders})'
        else:
            link = (
                f'SELECT space_id, {self.kind}_id AS object_id FROM tbl_spaces_{self.kind}s'
                f' WHERE space_id IN ({placeholders})'
            )
        cur.execute(
            f'SELECT o.*, l.space_id, c.name AS cost_center_name FROM ({link}) l'
            f' JOIN {TABLES[self.kind]} o ON o.id = l.object_id'
            ' LEFT JOIN tbl_cost_centers c ON c.id = o.cost_center_id ORDER BY o.id',
            spaces,
        )
        rank = {s: i for i, s in enumerate(spaces)}
        found: dict[int, dict[str, Any]] = {}
        for values in cur.fetchall():
            row = dict(zip(cur.column_names, values, strict=True))
            earlier = found.get(int(row['id']))
            if earlier is None or rank[int(row['space_id'])] < rank[int(earlier['space_id'])]:
                found[int(row['id'])] = row
        return list(found.values())

    def _sums(self, objects: list[dict[str, Any]], span: tuple[datetime, datetime]) -> dict[int, dict[int, Decimal]]:
        """Reporting-period sums by object and energy category (a meter's: its own category)."""
        if not objects:
            return {}
        ids = [int(o['id']) for o in objects]
        own = {int(o['id']): int(o['energy_category_id']) for o in objects if self.kind in METER_KINDS}
        dimension = self.key.dimension_column or '0'
        found: dict[int, dict[int, Decimal]] = {}
        with self.services.transaction('energy') as cur:
            cur.execute(
                f'SELECT {self.key.entity_column}, {dimension}, CAST(SUM(actual_value) AS CHAR) FROM {self.key.table}'
                f' WHERE {self.key.entity_column} IN ({", ".join(["%s"] * len(ids))})'
                ' AND start_datetime_utc >= %s AND start_datetime_utc < %s GROUP BY 1, 2',
                (*ids, *span),
            )
            for id_, category, total in cur.fetchall():
                found.setdefault(int(id_), {})[own.get(int(id_), int(category))] = Decimal(total)
        return found


# ------------------------------------------------------------------------------------------ routes
def catalogue(query: Query) -> list[dict[str, Any]]:
    """The comparison and batch routes as `GET /meta/reports` lists them (`query`: their common parameters)."""
    found = []
    for kind in COMPARISON_KINDS:
        name = param_name(kind)
        found.append(
            {
                'path': f'/reports/{name}comparison',
                'entity': kind,
                'kind': 'comparison',
                'database': 'energy',
                'measure': 'energy',
                'parameters': [
                    *(f'{name}{key}{n}' for n in '12' for key in ('id', 'uuid')),
                    'energycategoryid',
                    'periodtype',
                    *(q[0] for q in query),
                ],
            }
        )
    for kind in BATCH_KINDS:
        found.append(
            {
                'path': f'/reports/{param_name(kind)}batch',
                'entity': kind,
                'kind': 'batch',
                'database': 'energy',
                'measure': 'energy',
                'parameters': ['spaceid', 'spaceuuid', *(q[0] for q in query)],
            }
        )
    return found


def add_group_routes(app: falcon.App, services: Services, report_query: Query) -> list[dict[str, Any]]:
    """Serve and document the comparison and batch routes; returns their catalogue entries. `report_query` is
    the single-object reports' query: its reporting period, language and format parameters are taken."""
    query = tuple(q for q in report_query if q[0] != 'periodtype' and not q[0].startswith('baseperiod'))
    for kind in COMPARISON_KINDS:
        name = param_name(kind)
        path = f'/reports/{name}comparison'
        app.add_route(path, ComparisonReport(services, kind))
        document(
            path,
            'GET',
            f'Two {kind.replace("_", " ")}s compared: energy of one category by period and its difference',
            'reports',
            query=(
                *((f'{name}{key}{n}', t, False) for n in '12' for key, t in (('id', 'integer'), ('uuid', 'string'))),
                ('energycategoryid', 'integer', kind not in METER_KINDS),
                ('periodtype', 'string', True),
                *query,
            ),
        )
    for kind in BATCH_KINDS:
        path = f'/reports/{param_name(kind)}batch'
        app.add_route(path, BatchReport(services, kind))
        what = 'space and every space under it' if kind == 'space' else f'{kind.replace("_", " ")} under a space'
        document(
            path,
            'GET',
            f'Every {what}: reporting-period energy per category',
            'reports',
            query=(('spaceid', 'integer', False), ('spaceuuid', 'string', False), *query),
        )
    return catalogue(query)
