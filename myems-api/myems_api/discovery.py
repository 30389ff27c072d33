"""Discovery: GET /openapi.json, GET /docs and GET /meta/entities[/{name}].

The OpenAPI document is built on first request (by then every route module has recorded its RouteDocs)
and kept, serialised, for the life of the process; the docs page is rendered from it once as well.
`/meta/entities` describes the registry for the admin app, which builds its screens from it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import falcon

from myems_api import docspage, openapi, routedocs
from myems_api.context import Services
from myems_api.errors import not_found
from myems_api.routedocs import document
from myems_common.registry import BY_PLURAL, ENTRIES, FIELD_TYPES, REGISTRY, Entity, Field, Relation

log = logging.getLogger(__name__)
DISCOVERY_TAG = 'discovery'


# ------------------------------------------------------------------------------------------ meta
def field_meta(f: Field) -> dict[str, Any]:
    return {
        'name': f.name,
        'type': f.type,
        'required': f.required,
        'nullable': f.nullable,
        'unique': f.unique,
        'ref': f.ref,
        'max_length': f.max_length,
        'choices': list(f.choices),
        'read_only': f.read_only,
    }


def relation_meta(entity: Entity, relation: Relation) -> dict[str, Any]:
    return {
        'name': relation.name,
        'target': relation.target,
        'target_field': relation.target_column,  # the key of the link body: {"data": {"meter_id": 1}}
        'url': f'/{entity.plural}/{{id}}/{relation.name}',
        'extra': [field_meta(f) for f in relation.extra],
    }


def entity_meta(entity: Entity) -> dict[str, Any]:
    segment = openapi.children_segment(entity)
    return {
        'name': entity.name,
        'plural': entity.plural,
        'url': f'/{entity.plural}',
        'fields': [field_meta(f) for f in entity.fields],
        'relations': [relation_meta(entity, r) for r in entity.relations],
        'parent_field': entity.parent_field,
        'children_url': f'/{entity.plural}/{{id}}/{segment}' if segment else None,
        'visibility': entity.visibility,
        'series': [{'direction': s.direction, 'dimension': s.dimension} for s in entity.series],
    }


_NULLABLE_STRING = {'type': ['string', 'null']}
FIELD_META_SCHEMA: dict[str, Any] = {
    'type': 'object',
    'properties': {
        'name': {'type': 'string'},
        'type': {'type': 'string', 'enum': sorted(FIELD_TYPES)},
        'required': {'type': 'boolean'},
        'nullable': {'type': 'boolean'},
        'unique': {'type': 'boolean'},
        'ref': _NULLABLE_STRING,
        'max_length': {'type': ['integer', 'null']},
        'choices': {'type': 'array', 'items': {'type': 'string'}},
        'read_only': {'type': 'boolean'},
    },
}
ENTITY_META_SCHEMA: dict[str, Any] = {
    'type': 'object',
    'required': ['name', 'plural', 'url', 'fields', 'relations', 'parent_field', 'visibility', 'series'],
    'properties': {
        'name': {'type': 'string'},
        'plural': {'type': 'string'},
        'url': {'type': 'string'},
        'fields': {'type': 'array', 'items': FIELD_META_SCHEMA},
        'relations': {
            'type': 'array',
            'items': {
                'type': 'object',
                'properties': {
                    'name': {'type': 'string'},
                    'target': {'type': 'string'},
                    'target_field': {'type': 'string'},
                    'url': {'type': 'string'},
                    'extra': {'type': 'array', 'items': FIELD_META_SCHEMA},
                },
            },
        },
        'parent_field': _NULLABLE_STRING,
        'children_url': _NULLABLE_STRING,
        'visibility': {'type': 'string', 'enum': ['global', 'scoped', 'admin']},
        'series': {
            'type': 'array',
            'items': {'type': 'object', 'properties': {'direction': _NULLABLE_STRING, 'dimension': _NULLABLE_STRING}},
        },
    },
}


class EntitiesMeta:
    """GET /meta/entities and /meta/entities/{name} (entity name or URL plural), for signed-in users."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.services.who(req)
        resp.media = [entity_meta(e) for e in ENTRIES]

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        self.services.who(req)
        entity = REGISTRY.get(name) or BY_PLURAL.get(name)
        if entity is None:
            raise not_found('API.ENTITY_NOT_FOUND', f'no entity named {name!r}; GET /meta/entities lists them')
        resp.media = entity_meta(entity)


# ------------------------------------------------------------------------------- document and page
class Built:
    """A value computed on first use, once, by one thread."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._value: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value


class OpenApiDocument:
    def __init__(self, body: Built) -> None:
        self.body = body

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.data = self.body.get()


class DocsPage:
    def __init__(self, page: Built) -> None:
        self.page = page

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.data = self.page.get()


def _document_routes() -> None:
    """RouteDocs of the routes this module adds, and of /version."""
    tag = DISCOVERY_TAG
    anyone = {'auth': 'none'}
    document('/version', 'GET', 'Version and release date', tag, response={'type': 'object'}, **anyone)
    document('/openapi.json', 'GET', 'This API as an OpenAPI 3.1 document', tag, response={'type': 'object'}, **anyone)
    document('/docs', 'GET', 'This API as a readable page', tag, response={'type': 'string'},
             media_type=falcon.MEDIA_HTML, **anyone)  # fmt: skip
    document('/meta/entities', 'GET', 'Every entity type: fields, relations, tree and series', tag,
             response={'type': 'array', 'items': ENTITY_META_SCHEMA})  # fmt: skip
    document('/meta/entities/{name}', 'GET', 'One entity type, by name or URL plural', tag,
             response=ENTITY_META_SCHEMA)  # fmt: skip


def _build(app: falcon.App[Any, Any], routes: list[routedocs.RouteDoc]) -> dict[str, Any]:
    spec = openapi.build_document(app, routes)
    operations = [op for ops in spec['paths'].values() for op in ops.values()]
    log.info('OpenAPI document built: %d paths, %d operations', len(spec['paths']), len(operations))
    for op in operations:
        if op.get('x-undocumented'):
            log.warning('undocumented route in the OpenAPI document: %s', op['operationId'])
    return spec


def add_discovery_routes(app: falcon.App[Any, Any], services: Services) -> None:
    """Add the discovery routes; call after every other route (the document is built from the router)."""
    _document_routes()
    spec = Built(lambda: _build(app, list(routedocs.ROUTES)))
    body = Built(lambda: json.dumps(spec.get(), ensure_ascii=False, separators=(',', ':')).encode('utf-8'))
    page = Built(lambda: docspage.render(spec.get()).encode('utf-8'))
    app.add_route('/openapi.json', OpenApiDocument(body))
    app.add_route('/docs', DocsPage(page))
    meta = EntitiesMeta(services)
    app.add_route('/meta/entities', meta)
    app.add_route('/meta/entities/{name}', meta, suffix='item')
