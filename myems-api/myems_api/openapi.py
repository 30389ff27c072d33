"""The OpenAPI 3.1 document of the running app, from its router, the entity registry and the RouteDocs.

The paths are exactly the responders Falcon routes (its router is walked, so templates and methods cannot
drift). Each is described by the `RouteDoc` its module recorded with `routedocs.document(...)` if any, else,
for the generic resources of crud.py, from the registry entity (and relation) the resource serves; a route
described by neither is still listed, flagged `x-undocumented` (a test keeps that list empty). Schemas are
JSON Schema 2020-12 (OpenAPI 3.1's dialect): a nullable field is `type: [x, "null"]`, server-generated
fields are `readOnly`.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import falcon

from myems_api import __version__, crud
from myems_api.routedocs import RouteDoc
from myems_api.validate import DECIMAL_LIMIT
from myems_common.registry import ENTRIES, REGISTRY, Entity, Field, Relation

log = logging.getLogger(__name__)
Schema = dict[str, Any]
Operation = dict[str, Any]
Paths = dict[str, dict[str, Operation]]

OPENAPI_VERSION = '3.1.0'
SCHEMAS = '#/components/schemas/'
RESPONSES = '#/components/responses/'
JSON = 'application/json'
# {name} or {name:converter} or {name:converter(args)} in a Falcon template
TEMPLATE_FIELD = re.compile(r'\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+)(?:\([^)]*\))?)?\}')

# MyEMS answers datetimes without an offset (naive UTC) and reads naive input as local time at UTC_OFFSET,
# so a datetime is RFC 3339 `date-time` or the same without its offset; likewise for times.
_NAIVE_DATETIME = r'^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$'
_NAIVE_TIME = r'^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$'
_TYPES: dict[str, Schema] = {
    'str': {'type': 'string'},
    'text': {'type': 'string'},
    'int': {'type': 'integer'},
    'decimal': {'type': 'number', 'minimum': -int(DECIMAL_LIMIT), 'maximum': int(DECIMAL_LIMIT)},
    'bool': {'type': 'boolean'},
    'datetime': {
        'type': 'string',
        'anyOf': [{'format': 'date-time'}, {'pattern': _NAIVE_DATETIME}],
        'description': 'ISO 8601; without an offset: local time at UTC_OFFSET in requests, UTC in responses',
    },
    'date': {'type': 'string', 'format': 'date'},
    'time': {'type': 'string', 'anyOf': [{'format': 'time'}, {'pattern': _NAIVE_TIME}]},
    'json': {'type': ['object', 'array', 'string'], 'description': 'a JSON object or array, or JSON text'},
    'uuid': {'type': 'string', 'format': 'uuid'},
    'ref': {'type': 'integer', 'minimum': 1},
}
_CONVERTERS: dict[str, Schema] = {'int': {'type': 'integer'}, 'uuid': {'type': 'string', 'format': 'uuid'}}
_ERRORS = {
    400: ('BadRequest', 'Bad input: the body names the field and what was wrong'),
    401: ('Unauthorized', 'No credentials: send USER-UUID and TOKEN, or API-KEY'),
    403: ('Forbidden', 'The caller may not do this'),
    404: ('NotFound', 'No such object, route or session'),
    413: ('PayloadTooLarge', 'The request body is too large'),
}
AUTH_NOTES = {
    'none': 'No authentication.',
    'user': 'Any signed-in user or API key.',
    'admin': 'An administrator who is not read-only.',
}
VISIBILITY_NOTES = {
    'global': 'any signed-in user',
    'scoped': 'users whose space subtrees it lies in or is linked to, administrators and API keys',
    'admin': 'administrators and API keys only',
}


# ------------------------------------------------------------------------------------------ names
def schema_name(entity: Entity) -> str:
    """energy_category -> EnergyCategory"""
    return ''.join(part.capitalize() for part in entity.name.split('_'))


def a_label(entity: Entity) -> str:
    """energy_category -> 'an energy category'"""
    label: str = entity.name.replace('_', ' ')
    return ('an ' if label[0] in 'aeiou' else 'a ') + label


def ref(name: str) -> Schema:
    return {'$ref': SCHEMAS + name}


def children_segment(entity: Entity) -> str | None:
    """The tree route's last segment: /spaces/{id}/children, /meters/{id}/submeters (as app.py names them)."""
    if not entity.parent_field:
        return None
    return 'children' if entity.name == 'space' else f'sub{entity.plural}'


def openapi_path(template: str) -> str:
    """A Falcon template as an OpenAPI path: converters dropped, `{id_:int}` -> `{id_}`."""
    return TEMPLATE_FIELD.sub(lambda m: '{' + m.group(1) + '}', template)


# ------------------------------------------------------------------------------------ field schemas
def field_schema(f: Field) -> Schema:
    """One registry field as JSON Schema 2020-12."""
    schema = copy.deepcopy(_TYPES[f.type])
    if f.type == 'str' and not (f.nullable or f.read_only or f.choices):  # blank counts as missing
        schema.update(minLength=1, pattern=r'\S')
    if f.max_length:
        schema['maxLength'] = f.max_length
    if f.choices:
        schema['enum'] = list(f.choices)
    if f.type == 'ref':
        schema['description'] = f'the id of {a_label(REGISTRY[f.ref])}' if f.ref in REGISTRY else f'a {f.ref} id'
    if f.read_only:
        schema['readOnly'] = True
    if f.nullable:
        types = schema['type'] if isinstance(schema['type'], list) else [schema['type']]
        schema['type'] = [*types, 'null']
        if 'enum' in schema:
            schema['enum'].append(None)
    return schema


def _brief_schema() -> Schema:
    """A reference expanded in responses: {"id", "name", "uuid"}."""
    return {
        'type': 'object',
        'required': ['id', 'name'],
        'properties': {'id': {'type': 'integer'}, 'name': {'type': 'string'}, 'uuid': {'type': 'string'}},
    }


def required_fields(fields: Iterable[Field]) -> list[str]:
    return [f.name for f in fields if f.required and not f.read_only]


def entity_schema(entity: Entity) -> Schema:
    """The entity as read (with `id` and expanded references) and written (the writable fields)."""
    properties: dict[str, Schema] = {'id': {'type': 'integer', 'readOnly': True}}
    for f in entity.fields:
        properties[f.name] = field_schema(f)
        if f.type == 'ref':
            properties[f.name.removesuffix('_id')] = {
                'anyOf': [ref('Brief'), {'type': 'null'}],
                'readOnly': True,
                'description': f'the referenced {f.ref}, expanded in responses',
            }
        if f.alias:  # MyEMS's key: accepted in bodies, answered beside ours (local time for datetimes)
            properties[f.alias] = {**field_schema(f), 'description': f"MyEMS's name for {f.name}"}
    for child in entity.children:  # owned rows, written with the entity: the whole list is replaced
        row: Schema = {'type': 'object', 'properties': {f.name: field_schema(f) for f in child.fields}}
        if required_fields(child.fields):
            row['required'] = required_fields(child.fields)
        properties[child.key] = {'type': 'array', 'items': row}
    schema: Schema = {'type': 'object', 'properties': properties}
    required = required_fields(entity.fields)
    if required:
        schema['required'] = required
    return schema


def link_schema(relation: Relation) -> Schema:
    """One link: the target's id and the link's own fields (`is_output`)."""
    properties = {relation.target_column: {'type': 'integer', 'minimum': 1}}
    properties.update({f.name: field_schema(f) for f in relation.extra})
    return {
        'type': 'object',
        'required': [relation.target_column, *required_fields(relation.extra)],
        'properties': properties,
    }


def export_schema(entity: Entity) -> Schema:
    """What /export returns and /import accepts: the entity and its links."""
    schema = entity_schema(entity)
    schema['properties']['relations'] = {
        'type': 'object',
        'properties': {r.name: {'type': 'array', 'items': link_schema(r)} for r in entity.relations},
    }
    return schema


def linked_schema(relation: Relation) -> Schema:
    """A row of /{plural}/{id}/{relation}: the target entity, plus the link's own fields."""
    target = ref(schema_name(REGISTRY[relation.target]))
    if not relation.extra:
        return target
    return {'allOf': [target, {'type': 'object', 'properties': {f.name: field_schema(f) for f in relation.extra}}]}


def data_body(schema: Schema) -> Schema:
    """MyEMS's request body shape: {"data": {...}}."""
    return {'type': 'object', 'required': ['data'], 'properties': {'data': schema}}


def components() -> Schema:
    schemas: dict[str, Schema] = {
        'Error': {
            'type': 'object',
            'required': ['title', 'description', 'message'],
            'properties': {
                'title': {'type': 'string', 'examples': ['API.BAD_REQUEST']},
                'description': {'type': 'string', 'examples': ['API.INVALID_METER_NAME']},
                'message': {'type': 'string'},
                'details': {'description': 'more about the problem, such as every refused row of a batch'},
            },
        },
        'Created': {'type': 'object', 'required': ['id'], 'properties': {'id': {'type': 'integer'}}},
        'Brief': _brief_schema(),
        'TreeNode': {
            'type': 'object',
            'required': ['id', 'name', 'children'],
            'properties': {
                'id': {'type': 'integer'},
                'name': {'type': 'string'},
                'uuid': {'type': ['string', 'null']},
                'children': {'type': 'array', 'items': ref('TreeNode')},
            },
        },
    }
    for entity in ENTRIES:
        schemas[schema_name(entity)] = entity_schema(entity)
        schemas[schema_name(entity) + 'Export'] = export_schema(entity)
    return {
        'schemas': schemas,
        'responses': {
            name: {'description': text, 'content': {JSON: {'schema': ref('Error')}}} for name, text in _ERRORS.values()
        },
        'securitySchemes': {
            'UserUuid': {'type': 'apiKey', 'in': 'header', 'name': 'USER-UUID', 'description': 'the user uuid'},
            'Token': {'type': 'apiKey', 'in': 'header', 'name': 'TOKEN', 'description': 'the session token'},
            'ApiKey': {'type': 'apiKey', 'in': 'header', 'name': 'API-KEY', 'description': 'an API key'},
        },
    }


# -------------------------------------------------------------------------------------- operations
def path_parameters(template: str, described: dict[str, Schema] | None = None) -> list[Schema]:
    """Path parameters of a Falcon template; `described` gives schemas by name, converters the rest."""
    params = []
    for match in TEMPLATE_FIELD.finditer(template):
        name, converter = match.group(1), match.group(2)
        schema = (described or {}).get(name) or _CONVERTERS.get(converter or '') or _by_name(name)
        params.append({'name': name, 'in': 'path', 'required': True, 'schema': dict(schema)})
    return params


def _by_name(name: str) -> Schema:
    """A path field's type by MyEMS's convention: ids (`{id_}`, `{pid}`, `{meter_id}`) are positive integers."""
    return {'type': 'integer', 'minimum': 1} if name.rstrip('_').endswith('id') else {'type': 'string'}


def operation(
    op_id: str,
    summary: str,
    tag: str,
    *,
    auth: str = 'user',
    params: list[Schema] | None = None,
    body: Schema | None = None,
    status: int = 200,
    response: Schema | None = None,
    media_type: str = JSON,
    body_type: str = JSON,
) -> Operation:
    """One operation with its success response and the error responses that can happen to it."""
    success: Schema = {'description': summary}
    if response is not None:
        success['content'] = {media_type: {'schema': response}}
    responses: dict[str, Schema] = {str(status): success}
    codes = [400, 401, 403, 404] if auth != 'none' else ([400, 404] if params or body else [])
    if body is not None:
        codes.append(413)
    responses.update({str(code): {'$ref': RESPONSES + _ERRORS[code][0]} for code in codes})
    op: Operation = {
        'operationId': op_id,
        'summary': summary,
        'description': AUTH_NOTES[auth],
        'tags': [tag],
        'responses': responses,
    }
    if auth == 'none':
        op['security'] = []
    if params:
        op['parameters'] = params
    if body is not None:
        op['requestBody'] = {'required': True, 'content': {body_type: {'schema': body}}}
    return op


def _id_param(entity: Entity, name: str = 'id_') -> dict[str, Schema]:
    return {name: {'type': 'integer', 'minimum': 1, 'description': f'the id of {a_label(entity)}'}}


def routedoc_operation(doc: RouteDoc) -> Operation:
    params = path_parameters(doc.path)
    params += [{'name': n, 'in': 'query', 'required': req, 'schema': {'type': t}} for n, t, req in doc.query]
    return operation(
        _slug(doc.method, doc.path),
        doc.summary,
        doc.tag,
        auth=doc.auth,
        params=params,
        body=doc.body,
        status=doc.status,
        response=doc.response,
        media_type=doc.media_type,
        body_type=doc.body_type,
    )


def _slug(method: str, template: str) -> str:
    return method.lower() + '_' + (re.sub(r'[^A-Za-z0-9]+', '_', openapi_path(template)).strip('_') or 'root')


def undocumented(method: str, template: str, resource: Any) -> Operation:
    """A served route nobody described: listed (so the document stays complete) and flagged."""
    summary = f'Not documented ({type(resource).__name__}); call routedocs.document for it'
    op = operation(_slug(method, template), summary, 'undocumented', params=path_parameters(template))
    op['x-undocumented'] = True
    return op


# ----------------------------------------------------------------- operations of the generic resources
Describer = Callable[[Any, str], Operation]


def _op(resource: Any, template: str, action: str, summary: str, **options: Any) -> Operation:
    """An operation of a crud.py resource; path ids are typed from its entity (and relation target)."""
    entity: Entity = resource.entity
    described = _id_param(entity)
    relation: Relation | None = getattr(resource, 'relation', None)
    if relation is not None:
        described.update(_id_param(REGISTRY[relation.target], 'target'))
    owner: Entity | None = getattr(resource, 'owner_entity', None)
    if owner is not None:  # /{owner plural}/{id_}/{segment}/{cid}
        described = {**_id_param(owner), **_id_param(entity, 'cid')}
    params = path_parameters(template, described)
    return operation(f'{entity.plural}.{action}', summary, entity.plural, params=params, **options)


def _one(entity: Entity) -> Schema:
    return ref(schema_name(entity))


def _many(entity: Entity) -> Schema:
    return {'type': 'array', 'items': ref(schema_name(entity))}


def _list(r: Any, t: str) -> Operation:
    return _op(r, t, 'list', f'List {r.entity.plural}', response=_many(r.entity))


def _create(r: Any, t: str) -> Operation:
    body, created = data_body(_one(r.entity)), ref('Created')
    return _op(r, t, 'create', f'Create {a_label(r.entity)}', auth='admin', body=body, status=201, response=created)


def _get(r: Any, t: str) -> Operation:
    return _op(r, t, 'get', f'Get {a_label(r.entity)}', response=_one(r.entity))


def _update(r: Any, t: str) -> Operation:
    body = data_body(_one(r.entity))
    return _op(r, t, 'update', f'Update {a_label(r.entity)}', auth='admin', body=body, response=ref('Created'))


def _delete(r: Any, t: str) -> Operation:
    return _op(r, t, 'delete', f'Delete {a_label(r.entity)}', auth='admin', status=204)


def _export(r: Any, t: str) -> Operation:
    exported = ref(schema_name(r.entity) + 'Export')
    return _op(r, t, 'export', f'Export {a_label(r.entity)} with its links', response=exported)


def _import(r: Any, t: str) -> Operation:
    body = ref(schema_name(r.entity) + 'Export')
    summary = f'Create {a_label(r.entity)} from an export'
    return _op(r, t, 'import', summary, auth='admin', body=body, status=201, response=ref('Created'))


def _clone(r: Any, t: str) -> Operation:
    summary = f'Copy {a_label(r.entity)} and its links under a free name'
    return _op(r, t, 'clone', summary, auth='admin', status=201, response=ref('Created'))


def _clone_alias(r: Any, t: str) -> Operation:
    summary = f"Copy {a_label(r.entity)} (MyEMS's older route; the same as /clone)"
    return _op(r, t, 'clone_alias', summary, auth='admin', status=201, response=ref('Created'))


def _action(r: Any, t: str) -> Operation:
    values = ', '.join(f'{k} = {v}' for k, v in r.values.items())
    summary = f'{r.action.capitalize()} {a_label(r.entity)} (sets {values})'
    return _op(r, t, r.action, summary, auth='admin', response=ref('Created'))


def _links(r: Any, t: str) -> Operation:
    target = REGISTRY[r.relation.target]
    rows = {'type': 'array', 'items': linked_schema(r.relation)}
    summary = f'List the {target.plural} linked to {a_label(r.entity)}'
    return _op(r, t, f'{r.relation.name}.list', summary, response=rows)


def _link(r: Any, t: str) -> Operation:
    summary = f'Link {a_label(REGISTRY[r.relation.target])} to {a_label(r.entity)}'
    body = data_body(link_schema(r.relation))
    return _op(r, t, f'{r.relation.name}.link', summary, auth='admin', body=body, status=201)


def _unlink(r: Any, t: str) -> Operation:
    summary = f'Unlink {a_label(REGISTRY[r.relation.target])} from {a_label(r.entity)}'
    return _op(r, t, f'{r.relation.name}.unlink', summary, auth='admin', status=204)


def _children(r: Any, t: str) -> Operation:
    summary = f'List the {r.entity.plural} whose {r.entity.parent_field} is this one'
    return _op(r, t, t.rsplit('/', 1)[-1], summary, response=_many(r.entity))


def _owners(r: Any, t: str) -> Operation:
    summary = f'List the {r.owner.plural} {a_label(r.entity)} is linked to'
    return _op(r, t, f'{r.owner.plural}.list', summary, response=_many(r.owner))


def _tree(r: Any, t: str) -> Operation:
    summary = f'The {r.entity.plural} the caller may see, nested from their roots'
    return _op(r, t, 'tree', summary, response={'type': 'array', 'items': ref('TreeNode')})


def _owned_list(r: Any, t: str) -> Operation:
    summary = f'List the {r.entity.plural} of {a_label(r.owner_entity)}'
    return _op(r, t, 'owned.list', summary, response=_many(r.entity))


def _owned_create(r: Any, t: str) -> Operation:
    body, created = data_body(_one(r.entity)), ref('Created')
    summary = f'Create {a_label(r.entity)} of {a_label(r.owner_entity)} ({r.field.name} from the path)'
    return _op(r, t, 'owned.create', summary, auth='admin', body=body, status=201, response=created)


def _owned_item(method: str) -> Describer:
    """GET/PUT/DELETE of /{owner plural}/{id_}/{segment}/{cid}; the collection's GET without {cid}."""
    item = {'GET': _get, 'PUT': _update, 'DELETE': _delete}[method]

    def describe(r: Any, t: str) -> Operation:
        if method == 'GET' and not t.endswith('{cid}'):
            return _owned_list(r, t)
        op = item(r, t)
        op['operationId'] = op['operationId'].replace(f'{r.entity.plural}.', f'{r.entity.plural}.owned.', 1)
        op['summary'] += f' of {a_label(r.owner_entity)}'
        return op

    return describe


CRUD_OPERATIONS: dict[tuple[type, str], Describer] = {
    (crud.Collection, 'GET'): _list,
    (crud.Collection, 'POST'): _create,
    (crud.ItemWithClone, 'POST'): _clone_alias,
    (crud.Item, 'GET'): _get,
    (crud.Item, 'PUT'): _update,
    (crud.Item, 'DELETE'): _delete,
    (crud.Export, 'GET'): _export,
    (crud.Import, 'POST'): _import,
    (crud.Clone, 'POST'): _clone,
    (crud.Links, 'GET'): _links,
    (crud.Links, 'POST'): _link,
    (crud.Links, 'DELETE'): _unlink,
    (crud.Children, 'GET'): _children,
    (crud.Owners, 'GET'): _owners,
    (crud.Tree, 'GET'): _tree,
    (crud.Owned, 'GET'): _owned_item('GET'),
    (crud.Owned, 'POST'): _owned_create,
    (crud.Owned, 'PUT'): _owned_item('PUT'),
    (crud.Owned, 'DELETE'): _owned_item('DELETE'),
    (crud.Action, 'PUT'): _action,
}


# ---------------------------------------------------------------------------------------- document
def served_operations(app: falcon.App[Any, Any]) -> list[tuple[str, str, Any]]:
    """(Falcon template, method, resource) of every responder the app routes, Falcon's defaults left out."""
    found: list[tuple[str, str, Any]] = []

    def walk(nodes: list[Any]) -> None:
        for node in nodes:
            if node.resource is not None:
                for method, responder in (node.method_map or {}).items():
                    if getattr(responder, '__self__', None) is node.resource:  # not a default responder
                        found.append((node.uri_template, method, node.resource))
            walk(node.children or [])

    walk(app._router._roots)
    return found


def describe_operation(resource: Any, method: str, template: str, doc: RouteDoc | None) -> Operation:
    """A RouteDoc wins; then the generic resources' own description; else flagged as undocumented."""
    if doc is not None:
        return routedoc_operation(doc)
    describer = next((d for c in type(resource).__mro__ if (d := CRUD_OPERATIONS.get((c, method)))), None)
    return describer(resource, template) if describer else undocumented(method, template, resource)


def entity_tag(entity: Entity) -> Schema:
    label = entity.name.replace('_', ' ')
    return {
        'name': entity.plural,
        'description': f'{label.capitalize()} (table {entity.table}); '
        f'readable by {VISIBILITY_NOTES[entity.visibility]}.',
    }


def _tags(paths: Paths) -> list[Schema]:
    """Entity tags (with descriptions) in registry order, then the others in order of first use."""
    used = list(dict.fromkeys(tag for ops in paths.values() for op in ops.values() for tag in op['tags']))
    entity_tags = [entity_tag(e) for e in ENTRIES if e.plural in used]
    named = {t['name'] for t in entity_tags}
    return entity_tags + [{'name': tag} for tag in used if tag not in named]


def build_document(app: falcon.App[Any, Any], routes: Iterable[RouteDoc] = ()) -> Schema:
    """The OpenAPI 3.1 document of every operation `app` serves, in the router's order."""
    documented = {(openapi_path(d.path), d.method.upper()): d for d in routes}
    paths: Paths = {}
    for template, method, resource in served_operations(app):
        path = openapi_path(template)
        operations = paths.setdefault(path, {})
        operations[method.lower()] = describe_operation(
            resource, method, template, documented.pop((path, method), None)
        )
    for path, method in documented:
        log.warning('documented but not served: %s %s', method, path)
    for ops in paths.values():  # OpenAPI's customary order within a path
        ordered: dict[str, Operation] = {m: ops[m] for m in ('get', 'post', 'put', 'patch', 'delete') if m in ops}
        ops.clear()
        ops.update(ordered)
    return {
        'openapi': OPENAPI_VERSION,
        'info': {
            'title': 'MyEMS API',
            'version': __version__,
            'summary': 'Energy management: configuration, reports and authentication',
            'description': 'Bodies are JSON; writes send {"data": {...}}. Errors are '
            '{"title", "description" (an API.* code), "message"}.',
            'license': {'name': 'MIT', 'identifier': 'MIT'},
        },
        'tags': _tags(paths),
        'security': [{'UserUuid': [], 'Token': []}, {'ApiKey': []}],
        'paths': paths,
        'components': components(),
    }
