"""One CRUD contract, parametrised over every entity in the registry.

Create, read (fields round-trip, references expanded), list, update, link and unlink each relation,
export then import, clone, refuse to delete what is still referenced, delete. Read-only reference data
(time zones) must refuse every write. Plus the tree rules: no cycles, the root space stays.
"""

from __future__ import annotations

from typing import Any

import pytest

from myems_common.registry import ENTRIES, REGISTRY, Entity, Relation

Row = dict[str, Any]
WRITABLE = [e for e in ENTRIES if not all(f.read_only for f in e.fields)]
READ_ONLY = [e for e in ENTRIES if all(f.read_only for f in e.fields)]


def code(result: Any) -> str:
    return str(result.json.get('description')) if isinstance(result.json, dict) else ''


def upper(entity: Entity) -> str:
    return entity.name.upper()


def referrers(entity: Entity) -> list[tuple[Entity, str]]:
    """Who can point at `entity`: (other, ref field name) or (other, 'relation:<name>')."""
    found: list[tuple[Entity, str]] = []
    for other in ENTRIES:
        found += [(other, f.name) for f in other.fields if f.ref == entity.name]
        found += [(other, f'relation:{r.name}') for r in other.relations if r.target == entity.name]
    return found


def link_map(factory: Any, entity: Entity, id_: int) -> dict[str, list[Row]]:
    """Each relation's linked rows, as (target id, extra fields), sorted."""
    out = {}
    for relation in entity.relations:
        rows = factory.get(f'/{entity.plural}/{id_}/{relation.name}')
        out[relation.name] = sorted(
            ({'id': r['id'], **{f.name: r[f.name] for f in relation.extra}} for r in rows), key=lambda r: r['id']
        )
    return out


# ------------------------------------------------------------------------------------------- steps
def check_create_and_read(factory: Any, helpers: Any, counts: Any, entity: Entity) -> tuple[int, Row]:
    sent = factory.body(entity.name)
    before = counts()
    result = factory.request('POST', f'/{entity.plural}', {'data': sent}, expect=201)
    after = counts()
    id_ = int(result.json['id'])
    assert result.headers.get('location') == f'/{entity.plural}/{id_}'
    assert after[entity.table] == before[entity.table] + 1
    assert after['user.tbl_logs'] == before['user.tbl_logs'] + 1, 'every write leaves one audit row'
    got = factory.read(entity.name, id_)
    assert got['id'] == id_
    helpers.assert_matches(entity, sent, got)
    if any(f.name == 'uuid' for f in entity.fields):
        assert len(got['uuid']) == 36
    listed = factory.get(f'/{entity.plural}')
    assert id_ in [r['id'] for r in listed]
    helpers.assert_matches(entity, sent, next(r for r in listed if r['id'] == id_))
    return id_, sent


def check_duplicate_name(factory: Any, entity: Entity, id_: int, name: str) -> None:
    if not entity.unique_name:
        return
    expected = f'API.{upper(entity)}_NAME_IS_ALREADY_IN_USE'
    body = factory.body(entity.name, name=name.upper())  # names compare case-insensitively
    refused = factory.request('POST', f'/{entity.plural}', {'data': body})
    assert refused.status_code == 400 and code(refused) == expected, refused.text
    other = factory.create(entity.name)
    refused = factory.request('PUT', f'/{entity.plural}/{other}', {'data': {**body, 'name': name}})
    assert refused.status_code == 400 and code(refused) == expected, refused.text
    factory.delete(entity.name, other)


def check_update(factory: Any, helpers: Any, entity: Entity, id_: int) -> Row:
    sent = factory.body(entity.name, variant=1)
    factory.request('PUT', f'/{entity.plural}/{id_}', {'data': sent}, expect=200)
    got = factory.read(entity.name, id_)
    helpers.assert_matches(entity, sent, got)
    return sent


def check_link(factory: Any, entity: Entity, id_: int, relation: Relation) -> int:
    target = factory.create(relation.target)
    path = f'/{entity.plural}/{id_}/{relation.name}'
    data = {relation.target_column: target, **{f.name: True for f in relation.extra}}
    created = factory.request('POST', path, {'data': data}, expect=201)
    assert created.headers.get('location') == f'{path}/{target}'
    rows = factory.get(path)
    assert [r['id'] for r in rows] == [target]
    assert all(rows[0][f.name] is True for f in relation.extra)
    again = factory.request('POST', path, {'data': data})
    assert again.status_code == 400 and code(again).endswith('_RELATION_EXISTS'), again.text
    return target


def check_unlink(factory: Any, entity: Entity, id_: int, relation: Relation, target: int) -> None:
    path = f'/{entity.plural}/{id_}/{relation.name}'
    factory.request('DELETE', f'{path}/{target}', expect=204)
    assert factory.get(path) == []
    gone = factory.request('DELETE', f'{path}/{target}')
    assert gone.status_code == 404 and code(gone).endswith('_RELATION_NOT_FOUND'), gone.text


# Unique together with their owner only (a calendar's non-working date): an import needs another value,
# and a clone, which copies the row under the same owner, is refused as a duplicate.
UNIQUE_PER_OWNER = {'non_working_day': {'date_local': '2031-12-24'}}


def unique_text(entity: Entity) -> list[str]:
    return [f.name for f in entity.fields if f.unique and f.type == 'str']


def check_export_import(factory: Any, helpers: Any, entity: Entity, id_: int, sent: Row) -> int:
    exported = factory.get(f'/{entity.plural}/{id_}/export')
    helpers.assert_matches(entity, sent, exported)
    assert set(exported['relations']) == {r.name for r in entity.relations}
    fresh = {f: f'{entity.name} imported {helpers.suffix()}' for f in unique_text(entity)}
    fresh.update(UNIQUE_PER_OWNER.get(entity.name, {}))
    renamed = {**exported, **fresh}
    result = factory.request('POST', f'/{entity.plural}/import', renamed, expect=201)
    new_id = int(result.json['id'])
    assert new_id != id_
    helpers.assert_matches(entity, {**sent, **fresh}, factory.read(entity.name, new_id))
    assert link_map(factory, entity, new_id) == link_map(factory, entity, id_)
    return new_id


def check_clone(factory: Any, helpers: Any, entity: Entity, id_: int, sent: Row) -> int:
    result = factory.request('POST', f'/{entity.plural}/{id_}/clone', expect=201)
    new_id = int(result.json['id'])
    assert new_id != id_
    got = factory.read(entity.name, new_id)
    for f in unique_text(entity):  # unique values get a free suffix
        assert got[f] != sent[f] and got[f].startswith(sent[f]), got[f]
    helpers.assert_matches(entity, {k: v for k, v in sent.items() if k not in unique_text(entity)}, got)
    assert link_map(factory, entity, new_id) == link_map(factory, entity, id_)
    return new_id


def check_referenced_delete_refused(factory: Any, counts: Any, entity: Entity, id_: int) -> None:
    """Each kind of reference to the row blocks its deletion, and the refusal writes nothing."""
    for other, via in referrers(entity):
        if via.startswith('relation:'):
            relation = via.removeprefix('relation:')
            owner = factory.create(other.name)
            factory.link(other.name, owner, relation, id_)
        else:
            owner = factory.create(other.name, **{via: id_})
        before = counts()
        refused = factory.request('DELETE', f'/{entity.plural}/{id_}')
        assert refused.status_code == 400, f'{other.name}.{via}: {refused.status_code} {refused.text}'
        assert code(refused) == f'API.THERE_IS_RELATION_WITH_{upper(entity)}', refused.text
        assert counts() == before
        factory.read(entity.name, id_)
        if via.startswith('relation:'):
            factory.request('DELETE', f'/{other.plural}/{owner}/{via.removeprefix("relation:")}/{id_}', expect=204)
        factory.delete(other.name, owner)


def check_delete(factory: Any, entity: Entity, id_: int) -> None:
    factory.delete(entity.name, id_)
    for method in ('GET', 'DELETE'):
        gone = factory.request(method, f'/{entity.plural}/{id_}')
        assert gone.status_code == 404 and code(gone) == f'API.{upper(entity)}_NOT_FOUND', gone.text
    assert id_ not in [r['id'] for r in factory.get(f'/{entity.plural}')]


# ------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize('entity', WRITABLE, ids=lambda e: e.name)
def test_crud_contract(entity: Entity, factory: Any, helpers: Any, counts: Any, database: Any) -> None:
    id_, sent = check_create_and_read(factory, helpers, counts, entity)
    if entity.unique_name:
        check_duplicate_name(factory, entity, id_, sent['name'])
    sent = check_update(factory, helpers, entity, id_)
    targets = {relation.name: check_link(factory, entity, id_, relation) for relation in entity.relations}
    copies = [check_export_import(factory, helpers, entity, id_, sent)]
    if entity.name in UNIQUE_PER_OWNER:
        refused = factory.request('POST', f'/{entity.plural}/{id_}/clone')
        assert refused.status_code == 400 and code(refused).endswith('_IS_ALREADY_IN_USE'), refused.text
    else:
        copies.append(check_clone(factory, helpers, entity, id_, sent))
    for relation in entity.relations:
        check_unlink(factory, entity, id_, relation, targets[relation.name])
    check_referenced_delete_refused(factory, counts, entity, id_)
    for copy in copies:  # the copies own their links; deleting them removes those links too
        factory.delete(entity.name, copy)
        assert link_rows_left(database, entity, copy) == 0
    check_delete(factory, entity, id_)


def link_rows_left(database: Any, entity: Entity, id_: int) -> int:
    total = 0
    with database.transaction(entity.database) as cur:
        for relation in entity.relations:
            cur.execute(f'SELECT COUNT(*) FROM `{relation.table}` WHERE `{relation.owner_column}` = %s', (id_,))
            total += cur.fetchone()[0]
    return total


@pytest.mark.parametrize('entity', READ_ONLY, ids=lambda e: e.name)
def test_read_only_entity_refuses_writes(entity: Entity, factory: Any, counts: Any) -> None:
    rows = factory.get(f'/{entity.plural}')
    assert rows, f'{entity.plural} are seeded'
    id_ = rows[-1]['id']
    assert factory.read(entity.name, id_)['name'] == rows[-1]['name']
    body = {'data': {f.name: rows[-1][f.name] for f in entity.fields}}
    before = counts()
    for method, path, payload in (
        ('POST', f'/{entity.plural}', body),
        ('PUT', f'/{entity.plural}/{id_}', body),
        ('DELETE', f'/{entity.plural}/{id_}', None),
        ('POST', f'/{entity.plural}/import', factory.get(f'/{entity.plural}/{id_}/export')),
        ('POST', f'/{entity.plural}/{id_}/clone', None),
    ):
        refused = factory.request(method, path, payload)
        assert 400 <= refused.status_code < 500, f'{method} {path}: {refused.status_code} {refused.text}'
        assert code(refused).startswith('API.')
    assert counts() == before
    assert factory.read(entity.name, id_) == rows[-1]


# ------------------------------------------------------------------------------------ trees and roots
def chain(factory: Any, entity_name: str, parent_field: str, first_parent: int | None, length: int) -> list[int]:
    ids: list[int] = []
    for _ in range(length):
        ids.append(factory.create(entity_name, **{parent_field: ids[-1] if ids else first_parent}))
    return ids


@pytest.mark.parametrize(('entity_name', 'children'), [('space', 'children'), ('meter', 'submeters')])
def test_cycles_are_refused(entity_name: str, children: str, factory: Any, counts: Any) -> None:
    entity = REGISTRY[entity_name]
    parent_field = entity.parent_field or ''
    first_parent = 1 if entity_name == 'space' else None
    top, middle, bottom = chain(factory, entity_name, parent_field, first_parent, 3)
    assert [r['id'] for r in factory.get(f'/{entity.plural}/{top}/{children}')] == [middle]
    bodies = [factory.body(entity_name, **{parent_field: new_parent}) for new_parent in (bottom, middle, top)]
    before = counts()
    for body in bodies:
        refused = factory.request('PUT', f'/{entity.plural}/{top}', {'data': body})
        assert refused.status_code == 400, refused.text
        assert code(refused) == f'API.{entity_name.upper()}_CYCLE_IS_NOT_ALLOWED'
        assert parent_field in refused.json['message']
    assert counts() == before
    assert factory.read(entity_name, top)[parent_field] == first_parent


def test_root_space_is_protected(factory: Any, counts: Any) -> None:
    child = factory.create('space')
    body = factory.body('space', parent_space_id=child)
    before = counts()
    refused = factory.request('DELETE', '/spaces/1')
    assert refused.status_code == 400 and code(refused) == 'API.CANNOT_DELETE_ROOT_SPACE', refused.text
    refused = factory.request('PUT', '/spaces/1', {'data': body})
    assert refused.status_code == 400, refused.text  # the root under its own child: a cycle, and a root with a parent
    assert code(refused) in ('API.CANNOT_SET_PARENT_OF_ROOT_SPACE', 'API.SPACE_CYCLE_IS_NOT_ALLOWED')
    assert counts() == before
    assert factory.read('space', 1)['parent_space'] is None


def test_export_import_clone_keep_datetimes_under_a_utc_offset(
    settings: Any, database: Any, admin_headers: Any, factory: Any
) -> None:
    """Naive datetimes in requests are local at UTC_OFFSET; exports say UTC, so a round trip shifts nothing."""
    import dataclasses

    from falcon import testing

    from myems_api.app import create_app

    client = testing.TestClient(create_app(dataclasses.replace(settings, utc_offset='+08:00'), database))
    factory = type(factory)(client, admin_headers)  # the same factory over an app at UTC+08:00
    body = factory.body('tariff', valid_from_datetime_utc='2024-03-01T08:00:00')
    id_ = int(factory.request('POST', '/tariffs', {'data': body}, expect=201).json['id'])
    assert factory.read('tariff', id_)['valid_from_datetime_utc'] == '2024-03-01T00:00:00'
    exported = factory.get(f'/tariffs/{id_}/export')
    imported = factory.request('POST', '/tariffs/import', {**exported, 'name': f'{body["name"]} i'}, expect=201)
    cloned = factory.request('POST', f'/tariffs/{id_}/clone', expect=201)
    for copy in (imported.json['id'], cloned.json['id']):
        got = factory.read('tariff', copy)
        assert got['valid_from_datetime_utc'] == '2024-03-01T00:00:00'
        assert got['valid_through_datetime_utc'] == factory.read('tariff', id_)['valid_through_datetime_utc']
