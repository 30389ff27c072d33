"""The `parameters` block of the generated series reports (left out in quick mode).

MyEMS's `{names[], timestamps[][], values[][]}`, one series per name:

* first a tariff series per line of the report, named 'Tariff-<line>': the band price of every slot of the
  reporting period by the object's cost centre's tariff of the line's energy category (an energy item's
  category for the item reports), local slot starts; a line without a tariff has no series;
* then the raw readings of the object's points over the reporting period, bad-flagged readings included,
  named 'name (units)': a space's, tenant's, store's or shopfloor's own points and its sensors' points, a
  meter's points, an equipment's or combined equipment's point parameters (named by the parameter).
  Virtual and offline meters have no points.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from myems_api.context import Services
from myems_api.reportkinds import Line
from myems_api.reportmeters import (
    READING_TABLES,
    linked_points,
    local_text,
    meter_points,
    point_title,
    readings,
    tariff_prices,
)
from myems_api.reportrequest import ReportRequest
from myems_api.translations import label

log = logging.getLogger(__name__)

LINKED = ('space', 'tenant', 'store', 'shopfloor')  # own points and sensors' points
PARAMETERISED = ('equipment', 'combined_equipment')  # point parameters


def object_points(cur: Any, kind: str, object_id: int) -> list[dict[str, Any]]:
    """The points whose readings a report of the object shows, by point id."""
    if kind in LINKED:
        return linked_points(cur, kind, object_id)
    if kind == 'meter':
        return meter_points(cur, object_id)
    if kind in PARAMETERISED:
        cur.execute(
            f'SELECT p.id, op.name, p.units, p.object_type FROM tbl_{kind}s_parameters op'
            f" JOIN tbl_points p ON p.id = op.point_id WHERE op.{kind}_id = %s AND op.parameter_type = 'point'"
            ' ORDER BY p.id',
            (object_id,),
        )
        return [{'id': int(i), 'name': n, 'units': u, 'object_type': t} for i, n, u, t in cur.fetchall()]
    return []


def line_categories(cur: Any, lines: Sequence[Line], dimension: str) -> list[tuple[str, int]]:
    """The name and energy category of each line: the line itself, or an energy item and its category."""
    if dimension != 'item' or not lines:
        return [(line.name, line.id) for line in lines]
    cur.execute(
        f'SELECT id, name, energy_category_id FROM tbl_energy_items WHERE id IN ({", ".join(["%s"] * len(lines))})',
        [line.id for line in lines],
    )
    found = {int(i): (str(n), int(c)) for i, n, c in cur.fetchall()}
    return [found.get(line.id, (line.name, 0)) for line in lines]


def parameters(
    services: Services, kind: str, request: ReportRequest, lines: Sequence[Line], dimension: str = 'category'
) -> dict[str, list[Any]]:
    """The tariff series of the lines and the readings of the object's points over the reporting period."""
    block: dict[str, list[Any]] = {'names': [], 'timestamps': [], 'values': []}

    def add(name: str, stamps: list[str], values: list[Any]) -> None:
        block['names'].append(name)
        block['timestamps'].append(stamps)
        block['values'].append(values)

    with services.system() as cur:
        categories = line_categories(cur, lines, dimension)
        points = [p for p in object_points(cur, kind, request.id) if p['object_type'] in READING_TABLES]
    center = request.row.get('cost_center_id')
    tariff = label('tariff', request.language)
    for name, category in categories:
        prices = tariff_prices(services, center, category, request.reporting, request.zone)
        if prices:
            add(f'{tariff}-{name}', list(prices), list(prices.values()))
    if points:
        with services.transaction('historical') as history:
            for point in points:
                found = readings(history, point, *request.reporting)
                add(point_title(point), [local_text(at, request.zone) for at, _, _ in found], [v for _, v, _ in found])
    return block
