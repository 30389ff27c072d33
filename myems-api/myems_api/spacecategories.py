"""GET /spaces/{id}/treemetersenergycategories: the energy categories of the meters in a space's subtree.

The web app's meter tracking page offers these as its category filter. Only meters the caller may see
count.
"""

from __future__ import annotations

import falcon

from myems_api import store
from myems_api.context import Services
from myems_api.crud import EntityResource
from myems_api.routedocs import document
from myems_api.scope import subtree
from myems_common.registry import REGISTRY

SPACE, METER, CATEGORY = REGISTRY['space'], REGISTRY['meter'], REGISTRY['energy_category']


class TreeMeterCategories(EntityResource):
    listed = CATEGORY

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        with self.services.transaction(SPACE.database) as cur:
            space = self.path_id(id_)
            self.load_visible(cur, scope, space)
            spaces = sorted(subtree(cur, (space,)))
            marks = ', '.join(['%s'] * len(spaces))
            links = SPACE.relation('meters')
            cur.execute(
                f'SELECT DISTINCT m.`id`, m.`energy_category_id` FROM `{METER.table}` m'
                f' JOIN `{links.table}` l ON l.`{links.target_column}` = m.`id`'
                f' WHERE l.`{links.owner_column}` IN ({marks})',
                spaces,
            )
            visible = scope.visible(METER.name)
            categories = {c for meter, c in cur.fetchall() if visible is None or meter in visible}
            rows = store.select_rows(cur, CATEGORY, categories)
            resp.media = self.shaped(cur, rows, scope, CATEGORY)


def add_space_category_routes(app: falcon.App, services: Services) -> None:
    path = f'/{SPACE.plural}/{{id_}}/treemetersenergycategories'
    app.add_route(path, TreeMeterCategories(SPACE, services))
    document(
        path,
        'GET',
        "Energy categories of the meters in a space's subtree",
        SPACE.plural,
        response={'type': 'array', 'items': {'type': 'object'}},
    )
