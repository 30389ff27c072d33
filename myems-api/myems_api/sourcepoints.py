"""Points an equipment can bind as parameters: those of the data sources linked to it.

GET /equipments/{id}/addpoints and /combinedequipments/{id}/datasourcepoints list the points of the
owner's data sources; GET /equipments/{id}/editpoints/{pid} lists the same with the point parameter
`pid` is bound to first (it may come from a data source no longer linked).
"""

from __future__ import annotations

from typing import Any

import falcon

from myems_api import store
from myems_api.context import Services
from myems_api.crud import EntityResource
from myems_api.routedocs import document
from myems_api.validate import parse_id
from myems_common.registry import REGISTRY, Entity

POINT = REGISTRY['point']


class SourcePoints(EntityResource):
    """The points of the data sources linked to one equipment or combined equipment."""

    listed = POINT

    def __init__(self, entity: Entity, services: Services) -> None:
        super().__init__(entity, services)
        self.links = entity.relation('datasources')
        self.parameters = REGISTRY[f'{entity.name}_parameter']

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str, pid: str | None = None) -> None:
        scope = self.reader(req)
        with self.services.transaction(self.entity.database) as cur:
            owner = self.path_id(id_)
            self.load_visible(cur, scope, owner)
            sources = store.linked_ids(cur, self.links, owner)
            rows = []
            if sources:
                marks = ', '.join(['%s'] * len(sources))
                rows = store.select_rows(cur, POINT, where=f'`data_source_id` IN ({marks})', params=sources)
            bound = self.bound_point(cur, owner, pid)
            if bound is not None:
                rows = [r for r in rows if r['id'] != bound]
                rows[:0] = store.select_rows(cur, POINT, [bound])
            visible = scope.visible(POINT.name)
            rows = [r for r in rows if visible is None or r['id'] in visible]
            resp.media = self.shaped(cur, rows, scope, POINT)

    def bound_point(self, cur: Any, owner: int, pid: str | None) -> int | None:
        """The point a parameter of this owner is bound to (none for another owner's parameter)."""
        if pid is None:
            return None
        parameter = parse_id(pid, 'API.INVALID_PARAMETER_ID', 'parameter id')
        cur.execute(
            f'SELECT `point_id` FROM `{self.parameters.table}` WHERE `id` = %s AND `{self.links.owner_column}` = %s',
            (parameter, owner),
        )
        row = cur.fetchone()
        return None if row is None else row[0]


def add_source_point_routes(app: falcon.App, services: Services) -> None:
    equipment, combined = REGISTRY['equipment'], REGISTRY['combined_equipment']
    routes = (
        (f'/{equipment.plural}/{{id_}}/addpoints', equipment, 'Points of the data sources linked to an equipment'),
        (
            f'/{equipment.plural}/{{id_}}/editpoints/{{pid}}',
            equipment,
            "The points an equipment parameter may bind, the parameter's own point first",
        ),
        (
            f'/{combined.plural}/{{id_}}/datasourcepoints',
            combined,
            'Points of the data sources linked to a combined equipment',
        ),
    )
    for path, entity, summary in routes:
        app.add_route(path, SourcePoints(entity, services))
        document(path, 'GET', summary, entity.plural, response={'type': 'array', 'items': {'type': 'object'}})
