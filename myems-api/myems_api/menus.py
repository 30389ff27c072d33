"""GET /menus/web: the web app's visible menu routes, {top-level route: [visible child routes]}.

The web app hides every menu entry whose route is not listed; a hidden parent hides its children.
"""

from __future__ import annotations

import falcon

from myems_api.context import Services
from myems_api.crud import EntityResource
from myems_api.routedocs import document
from myems_common.registry import REGISTRY

MENU = REGISTRY['menu']


class MenuWeb(EntityResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.reader(req)
        with self.services.transaction(MENU.database) as cur:
            cur.execute(f'SELECT id, route, parent_menu_id FROM `{MENU.table}` WHERE is_hidden = 0 ORDER BY id')
            rows = cur.fetchall()
        tops = {id_: route for id_, route, parent in rows if parent is None}
        visible: dict[str, list[str]] = {route: [] for route in tops.values()}
        for _, route, parent in rows:
            if parent in tops:
                visible[tops[parent]].append(route)
        resp.media = visible


def add_menu_routes(app: falcon.App, services: Services) -> None:
    path = f'/{MENU.plural}/web'
    app.add_route(path, MenuWeb(MENU, services))
    answer = {'type': 'object', 'additionalProperties': {'type': 'array', 'items': {'type': 'string'}}}
    document(path, 'GET', "The web app's visible menu routes by top-level route", MENU.plural, response=answer)
