"""Discovery: /openapi.json is a valid OpenAPI 3.1 document listing exactly the routes Falcon serves,
/meta/entities describes the registry, and /docs is a self-contained page naming every operation."""

from __future__ import annotations

import re
from typing import Any

import falcon
import falcon.inspect
import pytest
from falcon import testing
from openapi_spec_validator import validate

from myems_api import discovery, docspage, openapi, routedocs
from myems_api.app import create_app
from myems_api.routedocs import RouteDoc
from myems_common.registry import ENTRIES, REGISTRY

METHODS = {'GET', 'POST', 'PUT', 'PATCH', 'DELETE'}


@pytest.fixture(scope='module')
def spec(api: testing.TestClient) -> dict[str, Any]:
    result = api.simulate_get('/openapi.json')  # no credentials: the document is public
    assert result.status_code == 200, result.text
    assert result.headers['content-type'].startswith('application/json')
    return dict(result.json)


def served_operations(app: falcon.App) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every responder Falcon routes, its default responders left out."""
    found = set()
    for route in falcon.inspect.inspect_app(app).routes:
        for method in route.methods:
            if not method.internal and method.method in METHODS:
                found.add((openapi.openapi_path(route.path), method.method))
    return found


def documented_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, ops in spec['paths'].items() for method in ops}


# ------------------------------------------------------------------------------------ the document
def test_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec['openapi'].startswith('3.1')
    validate(spec)  # raises with the offending location if not


def test_document_lists_exactly_the_routes_falcon_serves(api: testing.TestClient, spec: dict[str, Any]) -> None:
    served, documented = served_operations(api.app), documented_operations(spec)
    assert served - documented == set(), 'served but not documented (call routedocs.document for them)'
    assert documented - served == set(), 'documented but not served'


def test_path_parameters_are_declared_and_operation_ids_unique(spec: dict[str, Any]) -> None:
    ids = []
    for path, ops in spec['paths'].items():
        in_template = set(re.findall(r'\{([^}]+)\}', path))
        for op in ops.values():
            ids.append(op['operationId'])
            declared = {p['name'] for p in op.get('parameters', []) if p['in'] == 'path'}
            assert declared == in_template, (path, declared)
            assert op['tags'] and op['responses']
    assert len(ids) == len(set(ids))


def test_every_entity_has_its_schema_tag_and_routes(spec: dict[str, Any]) -> None:
    tags = {t['name'] for t in spec['tags']}
    for entity in ENTRIES:
        name = openapi.schema_name(entity)
        schema = spec['components']['schemas'][name]
        assert set(schema['properties']) >= {'id', *(f.name for f in entity.fields)}
        assert set(schema.get('required', [])) == {f.name for f in entity.fields if f.required and not f.read_only}
        assert entity.plural in tags
        create = spec['paths'][f'/{entity.plural}']['post']
        assert create['requestBody']['content']['application/json']['schema'] == openapi.data_body(
            {'$ref': '#/components/schemas/' + name}
        )
        for relation in entity.relations:
            link = spec['paths'][f'/{entity.plural}/{{id_}}/{relation.name}']['post']
            data = link['requestBody']['content']['application/json']['schema']['properties']['data']
            assert relation.target_column in data['required']


def test_field_types_map_to_json_schema(spec: dict[str, Any]) -> None:
    schemas = spec['components']['schemas']
    meter = schemas['Meter']['properties']
    assert meter['name'] == {'type': 'string', 'minLength': 1, 'pattern': r'\S', 'maxLength': 255}  # not blank
    assert meter['uuid'] == {'type': 'string', 'format': 'uuid', 'readOnly': True}
    assert meter['is_counted'] == {'type': 'boolean'}
    assert meter['energy_category_id']['type'] == 'integer'
    assert meter['energy_item_id']['type'] == ['integer', 'null']
    assert meter['energy_category']['readOnly'] is True
    assert meter['id'] == {'type': 'integer', 'readOnly': True}
    assert meter['hourly_low_limit']['type'] == 'number'
    tariff = schemas['Tariff']['properties']
    assert tariff['tariff_type']['enum'] == ['timeofuse', 'block']
    assert {'format': 'date-time'} in tariff['valid_from_datetime_utc']['anyOf']
    assert schemas['Gateway']['properties']['last_seen_datetime_utc']['type'] == ['string', 'null']


def test_security_and_error_responses(spec: dict[str, Any]) -> None:
    schemes = spec['components']['securitySchemes']
    assert {(s['type'], s['in'], s['name']) for s in schemes.values()} == {
        ('apiKey', 'header', 'USER-UUID'),
        ('apiKey', 'header', 'TOKEN'),
        ('apiKey', 'header', 'API-KEY'),
    }
    assert spec['components']['schemas']['Error']['required'] == ['title', 'description', 'message']
    create = spec['paths']['/meters']['post']
    assert {'201', '400', '401', '403', '404', '413'} <= set(create['responses'])
    assert spec['paths']['/meters/{id_}']['delete']['responses']['204'] == {'description': 'Delete a meter'}
    assert spec['paths']['/openapi.json']['get']['security'] == []
    assert 'security' not in spec['paths']['/meters']['get']  # the document-wide requirement applies


def test_document_is_built_once(settings: Any, database: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    build = openapi.build_document
    monkeypatch.setattr(openapi, 'build_document', lambda *a, **k: calls.append(1) or build(*a, **k))
    client = testing.TestClient(create_app(settings, database))
    first, second = client.simulate_get('/openapi.json'), client.simulate_get('/openapi.json')
    client.simulate_get('/docs')
    assert first.content == second.content
    assert len(calls) == 1


class Thing:
    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None: ...

    def on_post(self, req: falcon.Request, resp: falcon.Response, id_: int) -> None: ...


def tiny_app() -> falcon.App:
    app = falcon.App()
    app.add_route('/users/{id_:int}/things', Thing())
    app.add_route('/things/{name}', Thing())
    return app


def test_routedoc_operations() -> None:
    doc = RouteDoc(
        '/users/{id_:int}/things', 'POST', 'Make a thing', 'users', auth='admin', body={'type': 'object'}, status=201,
        query=(('dry_run', 'boolean', False),),
    )  # fmt: skip
    spec = openapi.build_document(tiny_app(), [doc])
    op = spec['paths']['/users/{id_}/things']['post']
    assert op['parameters'] == [
        {'name': 'id_', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}},
        {'name': 'dry_run', 'in': 'query', 'required': False, 'schema': {'type': 'boolean'}},
    ]
    assert op['responses']['201'] == {'description': 'Make a thing'}
    assert op['description'] == openapi.AUTH_NOTES['admin']
    undocumented = spec['paths']['/things/{name}']['get']
    assert undocumented['x-undocumented'] is True and undocumented['tags'] == ['undocumented']
    assert {t['name'] for t in spec['tags']} == {'users', 'undocumented'}
    validate(spec)


def test_every_served_route_is_documented(spec: dict[str, Any]) -> None:
    flagged = [op['operationId'] for ops in spec['paths'].values() for op in ops.values() if op.get('x-undocumented')]
    assert flagged == [], 'served without a RouteDoc: call routedocs.document(...) for these'


def test_every_routedoc_is_served(api: testing.TestClient) -> None:
    served = served_operations(api.app)
    unserved = [(d.method, d.path) for d in routedocs.ROUTES if (openapi.openapi_path(d.path), d.method) not in served]
    assert unserved == []


# ------------------------------------------------------------------------------------------- meta
def test_meta_entities_needs_a_session(api: testing.TestClient) -> None:
    result = api.simulate_get('/meta/entities')
    assert result.status_code == 401
    assert set(result.json) == {'title', 'description', 'message'}


def test_meta_entities_matches_the_registry(api: testing.TestClient, admin_headers: dict[str, str]) -> None:
    listed = api.simulate_get('/meta/entities', headers=admin_headers).json
    assert [e['name'] for e in listed] == [e.name for e in ENTRIES]
    for described in listed:
        entity = REGISTRY[described['name']]
        assert described['url'] == f'/{entity.plural}'
        assert described['visibility'] == entity.visibility
        assert described['parent_field'] == entity.parent_field
        assert len(described['series']) == len(entity.series)
        for got, f in zip(described['fields'], entity.fields, strict=True):
            assert got == {
                'name': f.name, 'type': f.type, 'required': f.required, 'nullable': f.nullable, 'unique': f.unique,
                'ref': f.ref, 'max_length': f.max_length, 'choices': list(f.choices), 'read_only': f.read_only,
            }  # fmt: skip
        assert [(r['name'], r['target'], r['target_field'], [x['name'] for x in r['extra']]) for r in
                described['relations']] == [(r.name, r.target, r.target_column, [x.name for x in r.extra]) for r in
                                            entity.relations]  # fmt: skip


def test_meta_entity_by_name_or_plural(api: testing.TestClient, admin_headers: dict[str, str]) -> None:
    by_name = api.simulate_get('/meta/entities/meter', headers=admin_headers)
    by_plural = api.simulate_get('/meta/entities/meters', headers=admin_headers)
    assert by_name.status_code == by_plural.status_code == 200
    assert by_name.json == by_plural.json == discovery.entity_meta(REGISTRY['meter'])
    assert by_name.json['children_url'] == '/meters/{id}/submeters'
    assert by_name.json['relations'][0]['url'] == '/meters/{id}/points'
    missing = api.simulate_get('/meta/entities/nothing', headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json['description'] == 'API.ENTITY_NOT_FOUND'


# ------------------------------------------------------------------------------------------- docs
def test_docs_page_names_every_operation(api: testing.TestClient, spec: dict[str, Any]) -> None:
    result = api.simulate_get('/docs')
    assert result.status_code == 200
    assert result.headers['content-type'].startswith('text/html')
    page = result.text
    for path, ops in spec['paths'].items():
        assert f'<code>{path}</code>' in page
        for op in ops.values():
            assert f'id="op-{op["operationId"]}"' in page
    for tag in spec['tags']:
        assert f'<h2>{tag["name"]}</h2>' in page


def test_docs_page_is_self_contained(api: testing.TestClient) -> None:
    page = api.simulate_get('/docs').text
    assert '<script' not in page
    assert not re.search(r'(src|href)="(https?:)?//', page), 'the page must not load anything from elsewhere'
    assert '<link' not in page


def test_docs_page_escapes_what_it_shows() -> None:
    evil = '<script>alert("x")</script>'
    doc = RouteDoc('/things/{name}', 'GET', evil, f'tag {evil}', response={'type': 'object', 'description': evil})
    page = docspage.render(openapi.build_document(tiny_app(), [doc]))
    assert '<script' not in page
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' in page
