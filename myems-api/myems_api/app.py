"""create_app(settings): the Falcon app, its routes generated from the entity registry."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import falcon
import falcon.media
import simplejson

from myems_api import crud, errors
from myems_api.commands import add_command_routes
from myems_api.context import Services
from myems_api.discovery import add_discovery_routes
from myems_api.files import add_file_routes
from myems_api.inbox import add_inbox_routes
from myems_api.menus import add_menu_routes
from myems_api.points import add_point_routes
from myems_api.push import add_push_routes
from myems_api.reports import add_report_routes
from myems_api.sourcepoints import add_source_point_routes
from myems_api.spacecategories import add_space_category_routes
from myems_api.tickets import add_ticket_routes
from myems_api.users import add_user_routes
from myems_api.validate import load_json
from myems_common.config import Settings, load_settings
from myems_common.db import Database
from myems_common.registry import ENTRIES, REGISTRY

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024


class BodyLimit:
    """Refuse oversized bodies before reading them (a resource may set its own `max_body`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any, params: Any) -> None:
        length = req.content_length
        limit = getattr(resource, 'max_body', self.limit)  # file uploads allow more
        if length is not None and length > limit:
            raise errors.ApiError(
                413, 'API.REQUEST_BODY_TOO_LARGE', f'the body has {length} bytes; the limit is {limit}'
            )


class Version:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        from myems_api import __version__

        resp.media = {'version': __version__, 'release-date': '2026-11-26', 'documentation': '/docs'}


def add_entity_routes(app: falcon.App, services: Services) -> list[str]:
    """Collection, item, relation and tree routes for every registered entity."""
    paths = []
    for entity in ENTRIES:
        base = f'/{entity.plural}'
        app.add_route(base, crud.Collection(entity, services))
        item = crud.ItemWithClone if entity.item_post_clones else crud.Item
        app.add_route(base + '/{id_}', item(entity, services))
        app.add_route(base + '/{id_}/export', crud.Export(entity, services))
        app.add_route(base + '/import', crud.Import(entity, services))
        app.add_route(base + '/{id_}/clone', crud.Clone(entity, services))
        paths += [base, base + '/{id_}', base + '/{id_}/export', base + '/import', base + '/{id_}/clone']
        for relation in entity.relations:
            links = crud.Links(entity, services, relation)
            app.add_route(f'{base}/{{id_}}/{relation.name}', links)
            app.add_route(f'{base}/{{id_}}/{relation.name}/{{target}}', links, suffix='item')
            paths += [f'{base}/{{id_}}/{relation.name}', f'{base}/{{id_}}/{relation.name}/{{target}}']
        for owner in ENTRIES:  # reverse look-ups: /meters/{id}/spaces, /equipments/{id}/shopfloors ...
            for relation in owner.relations:
                path = f'{base}/{{id_}}/{owner.plural}'
                if relation.target == entity.name and owner is not entity and path not in paths:
                    app.add_route(path, crud.Owners(entity, services, owner, relation))
                    paths.append(path)
        for action, _ in entity.actions:  # PUT /rules/{id}/run
            app.add_route(f'{base}/{{id_}}/{action}', crud.Action(entity, services, action))
            paths.append(f'{base}/{{id_}}/{action}')
        if entity.owner is not None:  # /workingcalendars/{id}/nonworkingdays[/{cid}]
            owner = REGISTRY[entity.field(entity.owner[0]).ref or '']
            path = f'/{owner.plural}/{{id_}}/{entity.owner[1]}'
            owned = crud.Owned(entity, services)
            app.add_route(path, owned)
            app.add_route(path + '/{cid}', owned, suffix='item')
            paths += [path, path + '/{cid}']
        if entity.name == 'space':
            app.add_route(base + '/tree', crud.Tree(entity, services))
            paths.append(base + '/tree')
        if entity.parent_field:
            child = entity.tree_route or ('children' if entity.name == 'space' else f'sub{entity.plural}')
            app.add_route(f'{base}/{{id_}}/{child}', crud.Children(entity, services))
            paths.append(f'{base}/{{id_}}/{child}')
    return paths


def create_app(settings: Settings | None = None, db: Database | None = None) -> falcon.App:
    settings = settings or load_settings()
    services = Services(settings, db or Database(settings))
    middleware: list[Any] = [BodyLimit(MAX_BODY_BYTES)]
    if settings.is_redis_enabled:
        from myems_api.cache import ResponseCache

        middleware.append(ResponseCache(services))
    app = falcon.App(middleware=middleware, cors_enable=True)
    app.req_options.strip_url_path_trailing_slash = True
    json_handler = falcon.media.JSONHandler(  # Decimal in and out: money and energy stay exact
        dumps=partial(simplejson.dumps, use_decimal=True, ensure_ascii=False),
        loads=load_json,
    )
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    del app.req_options.media_handlers[falcon.MEDIA_URLENCODED]  # bodies are JSON: a form post is a 415
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    errors.install(app)
    app.add_route('/version', Version())
    add_entity_routes(app, services)
    add_user_routes(app, services)
    add_point_routes(app, services)
    add_source_point_routes(app, services)
    add_command_routes(app, services)
    add_space_category_routes(app, services)
    add_file_routes(app, services)
    add_ticket_routes(app, services)
    add_menu_routes(app, services)
    add_push_routes(app, services)
    add_inbox_routes(app, services)
    add_report_routes(app, services)
    add_discovery_routes(app, services)  # last: the OpenAPI document describes every route added above
    return app


def application(environ: dict[str, Any], start_response: Any) -> Any:  # pragma: no cover - gunicorn entry
    global _app
    if _app is None:
        _app = create_app()
    return _app(environ, start_response)


_app: falcon.App | None = None
