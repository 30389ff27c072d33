"""Authorization matrix over every route the app serves.

Callers: anonymous, forged credentials, a read-only user scoped to building A, an API key and an
administrator. The tree: root -> campus -> building A (with a floor) and building B; under each building
one of everything a space links to, one of everything those link to, and a sub-meter.

The scoped user sees exactly building A's world: lists hold nothing else, B's items answer 404,
administrator-only entities 403, and every write 403 with nothing written. An API key reads everything
but administrator-only entities, and writes nothing. The administrator may do everything (read-only
reference data excepted: 405).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import falcon
import falcon.inspect
import pytest

from myems_api import crud
from myems_api.auth import new_token
from myems_common.registry import ENTRIES, REGISTRY, Entity, Relation

PUBLIC = frozenset({'/version', '/openapi.json', '/docs', '/users/login'})  # answer without credentials
VERBS = ('GET', 'POST', 'PUT', 'DELETE')
ADMIN_STATUS = {'POST': 201, 'PUT': 200, 'DELETE': 204}
CLONE_COLLIDES = frozenset({'non_working_day'})  # unique per owner: a clone under the same owner is a duplicate
SIDES = ('a', 'b')
Headers = dict[str, str]


# ------------------------------------------------------------------------------------------ routes
@dataclass(frozen=True)
class Route:
    """One (template, method) of the app; for entity routes, what it serves (from its resource object)."""

    template: str
    method: str
    kind: str = 'other'  # the crud resource class: Collection, Item, Export, Import, Clone, Links, ...
    entity: Entity | None = None  # whose id is in the path (or whose collection it is)
    listed: Entity | None = None  # what a list answer holds
    relation: Relation | None = None
    owner: Entity | None = None  # Owned routes: whose id is {id_} (the entity's is {cid})


@functools.cache
def app_routes(app: falcon.App[Any, Any]) -> tuple[Route, ...]:
    """Every responder the app really has (not Falcon's default 405s), classified by its resource.

    Cached: inspecting an app reads the source of every responder and takes seconds.
    """
    found = []
    for info in falcon.inspect.inspect_routes(app):
        methods = sorted(m.method for m in info.methods if not m.internal and m.method in VERBS)
        match = app._router.find(render(info.path))  # the resource object behind the template
        assert match is not None, info.path
        found += [classify(info.path, method, match[0]) for method in methods]
    return tuple(found)


def classify(template: str, method: str, resource: Any) -> Route:
    if not isinstance(resource, crud.EntityResource):
        return Route(template, method)
    kind = next(c.__name__ for c in type(resource).__mro__ if c.__name__ in KNOWN)  # ItemWithClone is an Item
    entity = resource.entity
    relation = getattr(resource, 'relation', None)
    listed = {'Links': REGISTRY[relation.target] if relation else None, 'Owners': getattr(resource, 'owner', None)}
    return Route(
        template,
        method,
        kind,
        entity,
        listed.get(kind, getattr(resource, 'listed', entity)),
        relation,
        getattr(resource, 'owner_entity', None),
    )


def render(template: str, **params: Any) -> str:
    return re.sub(r'\{(\w+)(?::[^}]*)?\}', lambda m: str(params.get(m.group(1), 1)), template)


def is_read_only(entity: Entity) -> bool:
    return all(f.read_only for f in entity.fields)


# ------------------------------------------------------------------------------------------- world
@dataclass
class World:
    ids: dict[str, dict[str, list[int]]] = field(default_factory=lambda: {side: {} for side in SIDES})
    any: dict[str, int] = field(default_factory=dict)  # one row of every entity, for unscoped routes
    parent: dict[tuple[str, int], int] = field(default_factory=dict)  # owned row -> its owner's id

    def add(self, side: str, entity_name: str, id_: int) -> None:
        self.ids[side].setdefault(entity_name, []).append(id_)

    def first(self, side: str, entity_name: str) -> int:
        return self.ids[side][entity_name][0]

    def owner(self, entity: Entity, side: str) -> int:
        """A row of `entity` on `side` (scoped entities) or the one row kept for unscoped ones."""
        return self.first(side, entity.name) if entity.visibility == 'scoped' else self.any[entity.name]

    def params(self, route: Route, side: str) -> dict[str, int]:
        """Path ids of a route aimed at `side`: under an owner, the owner's id and the owned row's."""
        assert route.entity is not None
        row = self.owner(route.entity, side)
        if route.owner is None:
            return {'id_': row}
        return {'id_': self.parent[(route.entity.name, row)], 'cid': row}


def build_building(factory: Any, world: World, side: str, campus: int) -> None:
    """A building with a floor; one of everything a space links to; those linked to each other; a sub-meter."""
    space = REGISTRY['space']
    building = factory.create('space', parent_space_id=campus)
    world.add(side, 'space', building)
    world.add(side, 'space', factory.create('space', parent_space_id=building))
    world.add(side, 'data_source', factory.create('data_source'))  # the building's point reads from it
    for relation in space.relations:
        source = {'data_source_id': world.first(side, 'data_source')} if relation.target == 'point' else {}
        world.add(side, relation.target, factory.create(relation.target, **source))
        factory.link('space', building, relation.name, world.first(side, relation.target))
    for name in list(world.ids[side]):
        for relation in REGISTRY[name].relations if name != 'space' else ():
            factory.link(name, world.first(side, name), relation.name, world.first(side, relation.target))
    world.add(side, 'meter', factory.create('meter', master_meter_id=world.first(side, 'meter')))
    for e in ENTRIES:  # scoped rows owned by the building's things (equipment parameters)
        owner = REGISTRY[e.field(e.owner[0]).ref or ''].name if e.owner else None
        if e.visibility == 'scoped' and owner in world.ids[side] and e.name not in world.ids[side]:
            world.add(side, e.name, factory.create(e.name, **{e.owner[0]: world.first(side, owner)}))  # type: ignore[index]


def cross_link(factory: Any, world: World) -> None:
    """B's owners also link A's things: lists of A's owners must still not show B."""
    for name in world.ids['b']:
        for relation in REGISTRY[name].relations:
            factory.link(name, world.first('b', name), relation.name, world.first('a', relation.target))


@pytest.fixture(scope='module')
def world(factory: Any) -> World:
    world = World()
    campus = factory.create('space')
    for side in SIDES:
        build_building(factory, world, side, campus)
    cross_link(factory, world)
    for e in ENTRIES:
        if is_read_only(e):
            world.any[e.name] = factory.pick(e.name)
        elif e.name in world.ids['a']:
            world.any[e.name] = world.first('a', e.name)
        else:
            world.any[e.name] = factory.create(e.name)
            for relation in e.relations:  # unscoped owners (distribution circuits) link A's things
                if relation.target in world.ids['a']:
                    factory.link(e.name, world.any[e.name], relation.name, world.first('a', relation.target))
    for e in ENTRIES:
        if e.owner:
            for id_ in {*world.ids['a'].get(e.name, ()), *world.ids['b'].get(e.name, ()), world.any[e.name]}:
                world.parent[(e.name, id_)] = factory.read(e.name, id_)[e.owner[0]]
    return world


@pytest.fixture(scope='module')
def callers(
    make_user: Callable[..., dict[str, Any]], sign_in: Any, make_api_key: Any, world: World
) -> dict[str, Headers]:
    """Headers of each caller; the scoped user may read building A only."""
    scoped = make_user('scoped', is_read_only=True, spaces=[world.first('a', 'space')])
    return {
        'anonymous': {},
        'forged': {'USER-UUID': scoped['uuid'], 'TOKEN': new_token()},
        'scoped': sign_in(scoped),
        'api_key': make_api_key(),
        'admin': sign_in(make_user('matrixadmin', is_admin=True)),
    }


# ------------------------------------------------------------------------------------------ checks
def call(api: Any, helpers: Any, headers: Headers, method: str, path: str, body: Any = None) -> Any:
    return helpers.send(api, method, path, headers, body)


def ids_of(rows: list[dict[str, Any]]) -> set[int]:
    found = set()
    for row in rows:  # trees nest their rows under "children"
        found |= {row['id']} | ids_of(row.get('children') or [])
    return found


def check_scoped_get(api: Any, helpers: Any, world: World, headers: Headers, route: Route) -> None:
    """Building A readable, B invisible (404), administrator-only entities 403."""
    assert route.entity is not None and route.listed is not None
    with_id = '{id_}' in route.template
    for side in SIDES if with_id and route.entity.visibility == 'scoped' else ('a',):
        path = render(route.template, **world.params(route, side))
        result = call(api, helpers, headers, 'GET', path)
        if 'admin' in (route.entity.visibility, route.listed.visibility, getattr(route.owner, 'visibility', '')):
            assert result.status_code == 403, f'GET {path}: {result.status_code}'
        elif side == 'b':
            assert result.status_code == 404, f'GET {path}: {result.status_code} {result.text}'
        else:
            assert result.status_code == 200, f'GET {path}: {result.status_code} {result.text}'
            check_no_leak(world, route, path, result.json)


def check_no_leak(world: World, route: Route, path: str, answer: Any) -> None:
    """Lists hold exactly A's rows (whole collections) or only A's rows (lists under an item of A)."""
    listed = route.listed
    if listed is None or listed.visibility != 'scoped' or route.kind in ('Item', 'Export') or '{cid}' in route.template:
        return
    mine = set(world.ids['a'][listed.name])
    shown = ids_of(answer)
    if route.kind in ('Collection', 'Tree'):
        assert shown == mine, f'GET {path}: shows {shown}, building A has {mine}'
    else:
        assert shown and shown <= mine, f'GET {path}: shows {shown}, building A has {mine}'


def check_unscoped_get(
    api: Any, helpers: Any, world: World, headers: Headers, route: Route, administrator: bool = True
) -> None:
    """Unscoped callers read everything; administrator-only entities (gateway tokens) need an administrator."""
    assert route.entity is not None
    admin_only = 'admin' in (
        route.entity.visibility,
        getattr(route.owner, 'visibility', ''),
        getattr(route.listed, 'visibility', ''),
    )
    expected = 200 if administrator or not admin_only else 403
    for side in SIDES:
        path = render(route.template, **world.params(route, side))
        result = call(api, helpers, headers, 'GET', path)
        assert result.status_code == expected, f'GET {path}: {result.status_code} {result.text}'


# ------------------------------------------------------------------------------------ write cases
@dataclass
class Case:
    route: Route
    params: dict[str, int]
    body: Any = None

    @property
    def path(self) -> str:
        return render(self.route.template, **self.params)

    def admin_status(self) -> int:
        assert self.route.entity is not None
        if is_read_only(self.route.entity):
            return 405
        if self.route.kind == 'Clone' and self.route.entity.name in CLONE_COLLIDES:
            return 400  # the copy repeats its owner's unique key (a calendar's date)
        return 201 if self.route.kind in ('Import', 'Clone') else ADMIN_STATUS[self.route.method]


def prepare(factory: Any, helpers: Any, route: Route) -> Case:
    """A write request that succeeds for an administrator, on rows of its own."""
    e = route.entity
    assert e is not None
    if is_read_only(e):
        row = factory.get(f'/{e.plural}')[-1]
        return Case(route, {'id_': row['id']}, {'data': row})
    if route.kind == 'Collection':
        return Case(route, {}, {'data': factory.body(e.name)})
    if route.kind == 'Owned':
        return prepare_owned(factory, route, e)
    id_ = factory.create(e.name)
    if route.kind == 'Item' and route.method == 'PUT':
        return Case(route, {'id_': id_}, {'data': factory.body(e.name, variant=1)})
    if route.kind == 'Import':
        exported = factory.get(f'/{e.plural}/{id_}/export')
        fresh = {f.name: f'imported {helpers.suffix()}' for f in e.fields if f.unique and f.type == 'str'}
        if e.owner:  # under a new owner: rows may be unique per owner
            fresh[e.owner[0]] = factory.create(REGISTRY[e.field(e.owner[0]).ref or ''].name)
        return Case(route, {}, {**exported, 'name': f'imported {helpers.suffix()}', **fresh})
    if route.kind == 'Links' and route.relation is not None:
        return prepare_link(factory, route, id_, route.relation)
    return Case(route, {'id_': id_})  # item DELETE, clone


def prepare_owned(factory: Any, route: Route, e: Entity) -> Case:
    """POST under a new owner; PUT and DELETE of a new row of that owner."""
    assert route.owner is not None and e.owner is not None
    owner = factory.create(route.owner.name)
    if route.method == 'POST':
        return Case(route, {'id_': owner}, {'data': factory.body(e.name, **{e.owner[0]: owner})})
    params = {'id_': owner, 'cid': factory.create(e.name, **{e.owner[0]: owner})}
    if route.method == 'PUT':
        return Case(route, params, {'data': factory.body(e.name, variant=1, **{e.owner[0]: owner})})
    return Case(route, params)


def prepare_link(factory: Any, route: Route, owner: int, relation: Relation) -> Case:
    assert route.entity is not None
    target = factory.create(relation.target)
    if route.method == 'DELETE':
        factory.link(route.entity.name, owner, relation.name, target)
        return Case(route, {'id_': owner, 'target': target})
    data = {relation.target_column: target, **{f.name: False for f in relation.extra}}
    return Case(route, {'id_': owner}, {'data': data})


def inside_a(world: World, case: Case) -> Case | None:
    """The same request aimed at a row of the scoped user's own building."""
    e = case.route.entity
    if e is None or 'id_' not in case.params or e.visibility != 'scoped':
        return None
    mine = world.params(case.route, 'a')
    return Case(case.route, {**case.params, **{k: v for k, v in mine.items() if k in case.params}}, case.body)


def entity_routes(api: Any, entity: Entity, get: bool) -> list[Route]:
    return [r for r in app_routes(api.app) if r.entity is entity and (r.method == 'GET') == get]


# ------------------------------------------------------------------------------------------- tests
KNOWN = {
    'Collection': {'GET', 'POST'},
    'Item': {'GET', 'PUT', 'DELETE', 'POST'},  # POST: MyEMS's older clone route, where the registry says
    'Export': {'GET'},
    'Import': {'POST'},
    'Clone': {'POST'},
    'Links': {'GET', 'POST', 'DELETE'},
    'Children': {'GET'},
    'Owners': {'GET'},
    'Tree': {'GET'},
    'Owned': {'GET', 'POST', 'PUT', 'DELETE'},
    'Action': {'PUT'},
    'SourcePoints': {'GET'},
    'CommandSend': {'PUT'},
    'TreeMeterCategories': {'GET'},
    'MenuWeb': {'GET'},
}


def test_every_route_is_in_the_matrix(api: Any) -> None:
    """Each entity route is of a kind the matrix checks, and each entity has the whole contract."""
    routes = app_routes(api.app)
    unknown = [(r.template, r.method) for r in routes if r.entity and r.method not in KNOWN.get(r.kind, ())]
    assert not unknown, f'entity routes of a kind this matrix does not check: {unknown}'
    for e in ENTRIES:
        kinds = {(r.kind, r.method) for r in routes if r.entity is e}
        wanted = {(k, m) for k in ('Collection', 'Item', 'Export', 'Import', 'Clone') for m in KNOWN[k]}
        if not e.item_post_clones:
            wanted.discard(('Item', 'POST'))
        wanted |= {('Links', m) for m in KNOWN['Links'] if e.relations} | (
            {('Children', 'GET')} if e.parent_field else set()
        )
        wanted |= {('Owned', m) for m in KNOWN['Owned']} if e.owner else set()
        wanted |= {('Action', 'PUT')} if e.actions else set()
        assert wanted <= kinds, f'{e.plural} lacks {wanted - kinds}'
        links = {(r.template, r.method) for r in routes if r.entity is e and r.kind == 'Links'}
        assert len(links) == 3 * len(e.relations)
    plurals = re.compile(r'^/(' + '|'.join(e.plural for e in ENTRIES) + r')(/|$)')
    strays = [(r.template, r.method) for r in routes if r.entity is None and plurals.match(r.template)]
    assert not strays, f'entity paths served by something else than the registry resources: {strays}'


@pytest.mark.parametrize('caller', ['anonymous', 'forged'])
def test_no_credentials_no_access(
    caller: str, api: Any, helpers: Any, world: World, callers: dict[str, Headers]
) -> None:
    """Every route but the public ones refuses a caller without a valid session (4xx, never 2xx)."""
    failures = []
    for route in app_routes(api.app):
        if route.template in PUBLIC:
            continue
        params = world.params(route, 'a') if route.entity else {}
        result = call(api, helpers, callers[caller], route.method, render(route.template, **params), {'data': {}})
        if caller == 'anonymous' and route.entity is not None:
            ok = result.status_code == 401
        else:
            ok = 400 <= result.status_code < 500
        if not ok:
            failures.append(f'{route.method} {route.template}: {result.status_code} {result.text[:120]}')
    assert not failures, failures


@pytest.mark.parametrize('entity', ENTRIES, ids=lambda e: e.name)
def test_reads(entity: Entity, api: Any, helpers: Any, world: World, callers: dict[str, Headers]) -> None:
    for route in entity_routes(api, entity, get=True):
        check_scoped_get(api, helpers, world, callers['scoped'], route)
        check_unscoped_get(api, helpers, world, callers['api_key'], route, administrator=False)
        check_unscoped_get(api, helpers, world, callers['admin'], route)


@pytest.mark.parametrize('entity', ENTRIES, ids=lambda e: e.name)
def test_writes(
    entity: Entity, api: Any, factory: Any, helpers: Any, counts: Any, world: World, callers: dict[str, Headers]
) -> None:
    """The same valid writes: refused (403) for the scoped user and the API key, done by the administrator."""
    cases = [prepare(factory, helpers, r) for r in entity_routes(api, entity, get=False)]
    refused = cases + [c for c in (inside_a(world, case) for case in cases) if c is not None]
    before = counts()
    for caller in ('scoped', 'api_key'):
        for case in refused:
            result = call(api, helpers, callers[caller], case.route.method, case.path, case.body)
            assert result.status_code == 403, f'{caller} {case.route.method} {case.path}: {result.status_code}'
            assert result.json['description'] == 'API.FORBIDDEN'
    assert counts() == before, 'a refused write changed something'
    for case in cases:
        result = call(api, helpers, callers['admin'], case.route.method, case.path, case.body)
        assert result.status_code == case.admin_status(), f'admin {case.route.method} {case.path}: {result.text}'
    assert (counts() == before) == is_read_only(entity), "the administrator's writes wrote (only if writable)"


def test_references_outside_the_scope_are_hidden(
    api: Any, helpers: Any, world: World, callers: dict[str, Headers]
) -> None:
    """The scoped user's building names no campus; the administrator sees it."""
    building = world.first('a', 'space')
    for path in (f'/spaces/{building}', f'/spaces/{building}/export'):
        mine = call(api, helpers, callers['scoped'], 'GET', path)
        assert mine.status_code == 200 and mine.json['parent_space'] is None, path
        full = call(api, helpers, callers['admin'], 'GET', path)
        assert full.json['parent_space']['id'] == full.json['parent_space_id']
    point = world.first('a', 'point')
    assert call(api, helpers, callers['scoped'], 'GET', f'/points/{point}').json['data_source'] is None
