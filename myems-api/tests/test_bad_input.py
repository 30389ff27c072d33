"""Bad input is a 4xx with an `API.*` code and a message naming the problem; never a 2xx, never a 5xx;
and a refused request writes nothing (every registry table, every link table and the audit log keep
their row counts). SQL-injection strings in every text field are stored and returned literally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from myems_common.registry import ENTRIES, Entity, Field

WRITABLE = [e for e in ENTRIES if not all(f.read_only for f in e.fields)]
NOWHERE = 10**12  # a well-formed id no row has
FOUR_MIB = 4 * 1024 * 1024

BAD_VALUES: dict[str, list[Any]] = {  # wrong types and malformed values, per field type
    'str': [123, True, ['x'], {'a': 'b'}, '\ud800'],
    'text': [123, False, ['x'], {'a': 'b'}, 'lone \udfff surrogate', 'x' * 1_000_001],
    'int': ['abc', True, [], {}],
    'decimal': ['abc', True, [], {}, 'NaN', 'Infinity', '1e400', Decimal('1e15')],
    'bool': ['yes', 'true', 2, -1, [], {}],
    'datetime': ['yesterday', 20240101, '2024-13-01T00:00:00', '0999-12-31T23:00:00+00:00', '9999-12-31T23:00-02:00'],
    'date': ['tomorrow', 20240101, '2024-13-01', '0999-12-31', True],
    'time': ['noon', 800, '25:00:00', True],
    'json': ['{not json', 123, True, '\ud800'],
    'uuid': ['not a uuid', 123, True, ['x']],
    'ref': ['abc', 0, -1, Decimal('1.5'), True, [], {}, '²', '٣', '9' * 5000, 2**64],
}
# text with a grammar the API checks (refused with a 400 when it does not parse: test_virtual_meters.py, and
# a tariff's ISO 4217 currency, IANA zone and JSON structure: test_tariffs.py)
FORMULAS = {('virtual_meter', 'equation'), ('tariff', 'currency'), ('tariff', 'timezone'), ('tariff', 'structure')}
BAD_IDS = ['abc', '0', '-1', '1.5', '1e3', '0x10', '+1', '²', '٣', '9' * 30, '9' * 5000, '%20']
BAD_SHAPES = ['[]', '"data"', '1', 'null', '{}', '{"data": []}', '{"data": "x"}', '{"data": null}', '{"dat": {}}']
MALFORMED = ['{"data": {', '{data: {}}', "{'data': {}}", '{"data": {}} trailing', '\xff\xfe', '[' * 100_000]
INJECTIONS = [
    "'; DROP TABLE tbl_spaces; --",
    '" OR 1=1 --',
    '\\',
    "\\'; SELECT SLEEP(5); --",
    "Robert'); DROP TABLE tbl_meters;--",
    '%s',
    '%(x)s',
    '{0} {name}',
    '`id`',
    'ünïcödé 中文 русский עברית',
    '🔥⚡️👩\u200d🔧',
    '<script>alert(1)</script>',
    'a\x00b',
]


# ------------------------------------------------------------------------------------------- helpers
def send_raw(api: Any, headers: dict[str, str], method: str, path: str, text: str | bytes, ctype: str) -> Any:
    return api.simulate_request(method, path, headers=headers, body=text, content_type=ctype)


def assert_refused(result: Any, what: str, names: str | None = None, status: int | None = None) -> None:
    """A 4xx (or exactly `status`) with an API.* code and a message that names `names`."""
    assert 400 <= result.status_code < 500, f'{what}: {result.status_code} {result.text[:300]}'
    if status is not None:
        assert result.status_code == status, f'{what}: {result.status_code} {result.text[:300]}'
    body = result.json
    assert isinstance(body, dict) and str(body.get('description', '')).startswith('API.'), f'{what}: {body}'
    assert body.get('message'), f'{what}: no message'
    if names is not None:
        assert names in body['message'], f'{what}: the message does not name {names!r}: {body["message"]}'


@contextmanager
def nothing_written(counts: Any) -> Iterator[None]:
    before = counts()
    yield
    after = counts()
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f'refused requests wrote rows: {changed}'


def writable(entity: Entity) -> list[Field]:
    return [f for f in entity.fields if not f.read_only]


def column_widths(database: Any, entity: Entity) -> dict[str, tuple[Any, Any, Any]]:
    """Column -> (character length, numeric precision, numeric scale) from the installed schema."""
    rows = database.fetch_all(
        entity.database,
        'SELECT COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE FROM information_schema.COLUMNS'
        ' WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s',
        (entity.table,),
    )
    return {name: (length, precision, scale) for name, length, precision, scale in rows}


def too_big(f: Field, width: tuple[Any, Any, Any]) -> Any:
    """The smallest value the field's declaration or its column cannot hold, or None."""
    length, precision, scale = width
    if f.type == 'str' and not f.choices:
        return 'é' * (min(f.max_length or length, length) + 1)
    if f.type == 'decimal':
        return Decimal(10) ** (int(precision) - int(scale))
    return None


# ------------------------------------------------------------------------------------- field values
@pytest.mark.parametrize('entity', WRITABLE, ids=lambda e: e.name)
def test_bad_field_values(entity: Entity, factory: Any, counts: Any, database: Any) -> None:
    """Wrong types, values beyond the column, missing fields and references to nothing: POST and PUT."""
    base, existing = factory.body(entity.name), factory.create(entity.name)
    widths = column_widths(database, entity)
    cases: list[tuple[Field, dict[str, Any]]] = []
    for f in writable(entity):
        big = too_big(f, widths[f.name])
        cases += [(f, {**base, f.name: value}) for value in BAD_VALUES[f.type] + ([big] if big is not None else [])]
        if f.required:
            cases.append((f, {k: v for k, v in base.items() if k != f.name}))
            cases += [(f, {**base, f.name: None})] if not f.nullable else []
        if f.type == 'ref':
            cases.append((f, {**base, f.name: NOWHERE}))
    with nothing_written(counts):
        for f, body in cases:
            for method, path in (('POST', f'/{entity.plural}'), ('PUT', f'/{entity.plural}/{existing}')):
                result = factory.request(method, path, {'data': body})
                assert_refused(result, f'{method} {path} {f.name}={body.get(f.name, "<missing>")!r:.60}', f.name)


@pytest.mark.parametrize(
    'entity', [e for e in WRITABLE if any(f.type == 'ref' for f in e.fields)], ids=lambda e: e.name
)
def test_references_to_nothing(entity: Entity, factory: Any, counts: Any) -> None:
    base = factory.body(entity.name)
    with nothing_written(counts):
        for f in writable(entity):
            if f.type == 'ref':
                result = factory.request('POST', f'/{entity.plural}', {'data': {**base, f.name: NOWHERE}})
                assert_refused(result, f'{entity.name}.{f.name}', f.name, status=400)
                assert result.json['description'] == f'API.{(f.ref or "").upper()}_NOT_FOUND'


@pytest.mark.parametrize('entity', [e for e in WRITABLE if e.unique_name], ids=lambda e: e.name)
def test_duplicate_names(entity: Entity, factory: Any, counts: Any) -> None:
    first, sent = factory.create_with(entity.name)
    second = factory.create(entity.name)
    exported = factory.get(f'/{entity.plural}/{first}/export')
    code = f'API.{entity.name.upper()}_NAME_IS_ALREADY_IN_USE'
    with nothing_written(counts):
        for method, path, body in (
            ('POST', f'/{entity.plural}', {'data': {**sent, 'name': sent['name'].upper()}}),
            ('PUT', f'/{entity.plural}/{second}', {'data': {**sent, 'name': f'  {sent["name"]}  '}}),
            ('POST', f'/{entity.plural}/import', exported),
        ):
            result = factory.request(method, path, body)
            assert_refused(result, f'{method} {path}', 'name', status=400)
            assert result.json['description'] == code


# ------------------------------------------------------------------------------------ ids in paths
def id_paths(entity: Entity) -> list[tuple[str, str]]:
    """(method, path template with {id}) of every route that takes the entity's id."""
    base = f'/{entity.plural}/{{id}}'
    paths = [('GET', base), ('PUT', base), ('DELETE', base), ('GET', base + '/export'), ('POST', base + '/clone')]
    for r in entity.relations:
        paths += [('GET', f'{base}/{r.name}'), ('POST', f'{base}/{r.name}'), ('DELETE', f'{base}/{r.name}/1')]
    return paths


@pytest.mark.parametrize('entity', ENTRIES, ids=lambda e: e.name)
def test_ids_in_paths_must_be_positive_integers(entity: Entity, factory: Any, counts: Any) -> None:
    body = {'data': {'name': 'x'}}
    with nothing_written(counts):
        for method, template in id_paths(entity):
            for bad in BAD_IDS:
                path = template.replace('{id}', bad)
                result = factory.request(method, path, body if method in ('POST', 'PUT') else None)
                if method != 'GET' and all(f.read_only for f in entity.fields):
                    assert_refused(result, f'{method} {path[:80]}', status=405)  # read-only reference data
                    continue
                assert_refused(result, f'{method} {path[:80]}', status=400)
                assert result.json['description'].endswith('_ID'), result.json
        for r in entity.relations:  # a good owner id, a bad target id in the unlink path
            owner = factory.get(f'/{entity.plural}')
            path = f'/{entity.plural}/{owner[0]["id"] if owner else 1}/{r.name}/abc'
            assert_refused(factory.request('DELETE', path), f'DELETE {path}', status=400)


@pytest.mark.parametrize('entity', WRITABLE, ids=lambda e: e.name)
def test_unknown_ids_in_paths(entity: Entity, factory: Any, counts: Any) -> None:
    """A well-formed id that no row has: 404 with the entity's NOT_FOUND code, for every route taking one."""
    body = {'data': factory.body(entity.name)}
    code = f'API.{entity.name.upper()}_NOT_FOUND'
    with nothing_written(counts):
        for method, template in id_paths(entity)[:5]:
            path = template.replace('{id}', str(NOWHERE))
            result = factory.request(method, path, body if method == 'PUT' else None)
            assert_refused(result, f'{method} {path}', str(NOWHERE), status=404)
            assert result.json['description'] == code, result.json
        for r in entity.relations:
            path = f'/{entity.plural}/{NOWHERE}/{r.name}'
            assert factory.request('GET', path).json['description'] == code
            result = factory.request('DELETE', f'{path}/{NOWHERE}')
            assert_refused(result, f'DELETE {path}/{NOWHERE}', str(NOWHERE), status=404)


@pytest.mark.parametrize('entity', [e for e in WRITABLE if e.relations], ids=lambda e: e.name)
def test_ids_in_link_bodies(entity: Entity, factory: Any, counts: Any) -> None:
    owner = factory.create(entity.name)
    targets = {r.name: factory.create(r.target) for r in entity.relations}
    with nothing_written(counts):
        for r in entity.relations:
            path = f'/{entity.plural}/{owner}/{r.name}'
            extra = {f.name: True for f in r.extra}
            for bad in [*BAD_VALUES['ref'], None]:
                result = factory.request('POST', path, {'data': {r.target_column: bad, **extra}})
                assert_refused(result, f'POST {path} {bad!r:.40}', r.target_column, status=400)
            result = factory.request('POST', path, {'data': {r.target_column: NOWHERE, **extra}})
            assert_refused(result, f'POST {path} to nothing', str(NOWHERE))
            assert result.json['description'] == f'API.{r.target.upper()}_NOT_FOUND'
            nowhere = f'/{entity.plural}/{NOWHERE}/{r.name}'
            result = factory.request('POST', nowhere, {'data': {r.target_column: 1, **extra}})
            assert_refused(result, f'POST {path} from nothing', str(NOWHERE), status=404)
            for f in r.extra:
                for bad in [None, 'yes', 2]:
                    result = factory.request('POST', path, {'data': {r.target_column: targets[r.name], f.name: bad}})
                    assert_refused(result, f'POST {path} {f.name}={bad!r}', f.name, status=400)


# ------------------------------------------------------------------------------------ body shapes
def body_routes(entity: Entity, id_: int) -> list[tuple[str, str]]:
    routes = [('POST', f'/{entity.plural}'), ('PUT', f'/{entity.plural}/{id_}'), ('POST', f'/{entity.plural}/import')]
    return routes + [('POST', f'/{entity.plural}/{id_}/{r.name}') for r in entity.relations]


@pytest.mark.parametrize('entity', WRITABLE, ids=lambda e: e.name)
def test_bodies_that_are_not_data_objects(entity: Entity, factory: Any, counts: Any) -> None:
    id_ = factory.create(entity.name)
    headers = factory.headers
    with nothing_written(counts):
        for method, path in body_routes(entity, id_):
            for text in BAD_SHAPES:
                result = send_raw(factory.client, headers, method, path, text, 'application/json')
                assert_refused(result, f'{method} {path} {text}')
            for text in MALFORMED:
                result = send_raw(factory.client, headers, method, path, text, 'application/json')
                assert_refused(result, f'{method} {path} {text[:20]!r}', status=400)
            for text, ctype in (('', 'application/json'), ('name=x', 'application/x-www-form-urlencoded')):
                assert_refused(send_raw(factory.client, headers, method, path, text, ctype), f'{method} {path} {ctype}')
            oversized = '{"data": {"name": "' + 'x' * FOUR_MIB + '"}}'
            result = send_raw(factory.client, headers, method, path, oversized, 'application/json')
            assert_refused(result, f'{method} {path} 4 MiB', status=413)
            assert result.json['description'] == 'API.REQUEST_BODY_TOO_LARGE'


def test_unknown_keys_with_unstorable_text_are_refused(factory: Any, counts: Any) -> None:
    """A lone surrogate cannot be stored (not even in the audit copy of the body): 400, not 500."""
    body = factory.body('contact')
    with nothing_written(counts):
        result = factory.request('POST', '/contacts', {'data': {**body, 'junk': 'x\udc80'}})
        assert_refused(result, 'POST /contacts with a lone surrogate in an unknown key', status=400)


def test_import_with_bad_relations(factory: Any, counts: Any) -> None:
    space = factory.create('space')
    meter = factory.create('meter')
    exported = factory.get(f'/spaces/{space}/export')
    bad_relations: list[Any] = [
        'meters',
        {'meters': 5},
        {'meters': 'abc'},
        {'meters': [5]},
        {'meters': [{'meter_id': 'abc'}]},
        {'meters': [{'meter_id': NOWHERE}]},
        {'meters': [{'meter_id': meter}, {'meter_id': meter}]},
    ]
    with nothing_written(counts):
        for relations in bad_relations:
            body = {**exported, 'name': f'import {relations!r:.30}', 'relations': relations}
            result = factory.request('POST', '/spaces/import', body)
            assert_refused(result, f'import with relations {relations!r}', status=400)


# ------------------------------------------------------------------------------------ SQL injection
def stored_row(database: Any, entity: Entity, id_: int) -> dict[str, Any]:
    names = [f.name for f in entity.fields]
    row = database.fetch_one(
        entity.database, f'SELECT {", ".join(f"`{n}`" for n in names)} FROM `{entity.table}` WHERE id = %s', (id_,)
    )
    assert row is not None
    return dict(zip(names, row, strict=True))


def injected(entity: Entity, base: dict[str, Any], text: str, tag: str) -> dict[str, Any]:
    body = dict(base)
    for f in writable(entity):
        if (entity.name, f.name) in FORMULAS:
            continue
        if f.type == 'str' and not f.choices:
            body[f.name] = (f'{tag} {text}' if f.name == 'name' else text)[: f.max_length]
        elif f.type == 'text':
            body[f.name] = text
        elif f.type == 'json':
            body[f.name] = {'text': text}
    return body


@pytest.mark.parametrize('entity', WRITABLE, ids=lambda e: e.name)
def test_sql_injection_strings_are_stored_literally(
    entity: Entity, factory: Any, helpers: Any, database: Any, counts: Any
) -> None:
    text_fields = [
        f
        for f in writable(entity)
        if f.type in ('str', 'text', 'json') and not f.choices and (entity.name, f.name) not in FORMULAS
    ]
    for text in INJECTIONS:  # a fresh body each time: owned rows may be unique per owner (a calendar's date)
        body = injected(entity, factory.body(entity.name), text, helpers.suffix())
        id_ = factory.create(entity.name, **body)
        got = factory.read(entity.name, id_)
        stored = stored_row(database, entity, id_)
        for f in text_fields:
            wanted = body[f.name] if f.type != 'json' else json.dumps(body[f.name], separators=(',', ':'))
            assert got[f.name] == wanted, f'{entity.name}.{f.name}: sent {wanted!r}, read back {got[f.name]!r}'
            assert stored[f.name] == wanted, f'{entity.name}.{f.name}: sent {wanted!r}, stored {stored[f.name]!r}'
    assert database.fetch_one('system', 'SELECT COUNT(*) FROM tbl_spaces WHERE id = 1') == (1,)
    assert counts()[entity.table] >= len(INJECTIONS)  # every registry and link table is still there
