"""Generic resources for every registry entity: collection, item, relations, export, import, clone.

Routes (MyEMS's): /{plural}, /{plural}/{id}, /{plural}/{id}/{relation}[/{target id}],
/{plural}/{id}/export, /{plural}/import, /{plural}/{id}/clone; plus /{plural}/{id}/children for trees.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import falcon

from myems_api import store
from myems_api.auth import require_writer
from myems_api.context import Services, to_json
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.validate import body_data, parse_fields, parse_id
from myems_common.registry import REGISTRY, Entity, Relation


def _upper(name: str) -> str:
    return name.upper()


def redact(scope: Any, entity: Entity, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hide expanded references the caller may not see (a scoped user's building names its campus)."""
    for f in entity.fields:
        if f.type != 'ref' or f.ref is None or REGISTRY[f.ref].visibility == 'global':
            continue
        key = f.name.removesuffix('_id')
        for row in rows:
            target = row.get(f.name)
            if target is not None and not (scope.allows_entity(f.ref) and scope.can_see(f.ref, target)):
                row[key] = None
    return rows


class EntityResource:
    """Shared checks for one entity type."""

    def __init__(self, entity: Entity, services: Services) -> None:
        self.entity = entity
        self.services = services

    # ---------------------------------------------------------------- helpers
    def path_id(self, raw: str, entity: Entity | None = None) -> int:
        entity = entity or self.entity
        return parse_id(raw, f'API.INVALID_{_upper(entity.name)}_ID', f'{entity.name} id')

    def reader(self, req: falcon.Request) -> Any:
        identity, scope = self.services.who(req)
        if not scope.allows_entity(self.entity.name):
            raise ApiError(403, 'API.FORBIDDEN', f'{self.entity.plural} are visible to administrators only')
        return scope

    def writer(self, req: falcon.Request) -> Any:
        identity, _ = self.services.who(req)
        require_writer(identity)
        if all(f.read_only for f in self.entity.fields):  # seeded reference data (time zones)
            raise falcon.HTTPMethodNotAllowed(['GET'], description=f'{self.entity.plural} are read-only')
        return identity

    def missing(self, id_: int, entity: Entity | None = None) -> ApiError:
        entity = entity or self.entity
        return not_found(f'API.{_upper(entity.name)}_NOT_FOUND', f'{entity.name} {id_} does not exist')

    def load_visible(self, cur: Any, scope: Any, id_: int) -> dict[str, Any]:
        row = store.select_one(cur, self.entity, id_)
        if row is None or not scope.can_see(self.entity.name, id_):
            raise self.missing(id_)
        return row

    def shaped(self, cur: Any, rows: list[dict[str, Any]], scope: Any, entity: Entity | None = None) -> list[Any]:
        entity = entity or self.entity
        return [to_json(r) for r in redact(scope, entity, store.expand_refs(cur, entity, rows))]

    def check_values(self, cur: Any, values: dict[str, Any], id_: int | None = None) -> None:
        """References exist, unique fields are free, and a parent link makes no cycle."""
        entity = self.entity
        for f in entity.fields:
            if f.type == 'ref' and values.get(f.name) is not None and f.ref is not None:
                target = REGISTRY[f.ref]
                if not store.exists(cur, target, values[f.name]):
                    raise bad_request(
                        f'API.{_upper(f.ref)}_NOT_FOUND',
                        f'{entity.name}.{f.name}: {f.ref} {values[f.name]} does not exist',
                    )
        if 'name' in values and entity.field('name').unique and store.name_taken(cur, entity, values['name'], id_):
            raise bad_request(
                f'API.{_upper(entity.name)}_NAME_IS_ALREADY_IN_USE',
                f'a {entity.name} named {values["name"]!r} already exists',
            )
        parent_field = entity.parent_field
        if id_ is not None and parent_field and values.get(parent_field) is not None:
            self._refuse_cycle(cur, id_, values[parent_field])
        if id_ in entity.protected_ids and parent_field and values.get(parent_field) is not None:
            raise bad_request(
                f'API.CANNOT_SET_PARENT_OF_ROOT_{_upper(entity.name)}',
                f'{entity.name} {id_} is the root and cannot have a parent',
            )

    def _refuse_cycle(self, cur: Any, id_: int, parent: int) -> None:
        seen: set[int] = set()
        current: int | None = parent
        field = self.entity.parent_field or ''
        while current is not None and current not in seen:
            if current == id_:
                raise bad_request(
                    f'API.{_upper(self.entity.name)}_CYCLE_IS_NOT_ALLOWED',
                    f'{field} {parent} would make {self.entity.name} {id_} its own ancestor',
                )
            seen.add(current)
            cur.execute(f'SELECT `{field}` FROM `{self.entity.table}` WHERE `id` = %s', (current,))
            row = cur.fetchone()
            current = row[0] if row else None


class Collection(EntityResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        scope = self.reader(req)
        with self.services.system() as cur:
            rows = store.select_rows(cur, self.entity, scope.visible(self.entity.name))
            resp.media = self.shaped(cur, rows, scope)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = self.writer(req)
        media = req.get_media()
        values = parse_fields(self.entity, body_data(media), self.services.parser)
        with self.services.write(identity, 'POST', self.entity.name, None, media) as (cur, note):
            self.check_values(cur, values)
            new_id = store.insert(cur, self.entity, values)
            note({'id': new_id, 'after': values})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.entity.plural}/{new_id}'
        resp.media = {'id': new_id}


class Item(EntityResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        with self.services.system() as cur:
            row = self.load_visible(cur, scope, self.path_id(id_))
            resp.media = self.shaped(cur, [row], scope)[0]

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = self.writer(req)
        item_id = self.path_id(id_)
        media = req.get_media()
        values = parse_fields(self.entity, body_data(media), self.services.parser)
        with self.services.write(identity, 'PUT', self.entity.name, item_id, media) as (cur, note):
            before = store.select_one(cur, self.entity, item_id, lock=True)
            if before is None:
                raise self.missing(item_id)
            self.check_values(cur, values, item_id)
            store.update(cur, self.entity, item_id, values)
            note({'before': before, 'after': values})
        resp.media = {'id': item_id}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = self.writer(req)
        item_id = self.path_id(id_)
        if item_id in self.entity.protected_ids:
            raise bad_request(
                f'API.CANNOT_DELETE_ROOT_{_upper(self.entity.name)}',
                f'{self.entity.name} {item_id} is protected and cannot be deleted',
            )
        with self.services.write(identity, 'DELETE', self.entity.name, item_id, None) as (cur, note):
            before = store.select_one(cur, self.entity, item_id, lock=True)
            if before is None:
                raise self.missing(item_id)
            users = store.referencing(cur, self.entity, item_id)
            if users:
                raise bad_request(
                    f'API.THERE_IS_RELATION_WITH_{_upper(self.entity.name)}',
                    f'{self.entity.name} {item_id} is still used by {", ".join(users)}',
                )
            store.delete(cur, self.entity, item_id)
            note({'before': before})
        resp.status = falcon.HTTP_204


class Children(EntityResource):
    """/spaces/{id}/children, /meters/{id}/submeters: rows whose parent field points here."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        with self.services.system() as cur:
            parent = self.path_id(id_)
            self.load_visible(cur, scope, parent)
            rows = store.select_rows(
                cur,
                self.entity,
                scope.visible(self.entity.name),
                where=f'`{self.entity.parent_field}` = %s',
                params=(parent,),
            )
            resp.media = self.shaped(cur, rows, scope)


class Links(EntityResource):
    """/{plural}/{id}/{relation} (list, link) and /{plural}/{id}/{relation}/{target id} (unlink)."""

    def __init__(self, entity: Entity, services: Services, relation: Relation) -> None:
        super().__init__(entity, services)
        self.relation = relation
        self.target = REGISTRY[relation.target]
        self.code = f'{_upper(entity.name)}_{_upper(relation.target)}_RELATION'

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        with self.services.system() as cur:
            owner = self.path_id(id_)
            self.load_visible(cur, scope, owner)
            links = {r[self.relation.target_column]: r for r in store.link_rows(cur, self.relation, owner)}
            visible = scope.visible(self.target.name)
            ids = [i for i in links if visible is None or i in visible]
            rows = store.select_rows(cur, self.target, ids)
            for row in rows:
                row.update({f.name: links[row['id']][f.name] for f in self.relation.extra})
            resp.media = self.shaped(cur, rows, scope, self.target)

    def on_post(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = self.writer(req)
        owner = self.path_id(id_)
        media = req.get_media()
        data = body_data(media)
        target_id = parse_id(
            data.get(self.relation.target_column),
            f'API.INVALID_{_upper(self.relation.target)}_ID',
            self.relation.target_column,
        )
        extra = {f.name: self.services.parser.value(self.entity, f, data.get(f.name)) for f in self.relation.extra}
        with self.services.write(identity, 'POST', f'{self.entity.name}.{self.relation.name}', owner, media) as (
            cur,
            note,
        ):
            if not store.exists(cur, self.entity, owner):
                raise self.missing(owner)
            if not store.exists(cur, self.target, target_id):
                raise self.missing(target_id, self.target)
            if store.link_exists(cur, self.relation, owner, target_id):
                raise bad_request(
                    f'API.{self.code}_EXISTS',
                    f'{self.target.name} {target_id} is already linked to {self.entity.name} {owner}',
                )
            store.add_link(cur, self.relation, owner, target_id, extra)
            note({'after': {self.relation.target_column: target_id, **extra}})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.entity.plural}/{owner}/{self.relation.name}/{target_id}'

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, id_: str, target: str) -> None:
        identity = self.writer(req)
        owner = self.path_id(id_)
        target_id = self.path_id(target, self.target)
        with self.services.write(identity, 'DELETE', f'{self.entity.name}.{self.relation.name}', owner, None) as (
            cur,
            note,
        ):
            if not store.remove_link(cur, self.relation, owner, target_id):
                raise not_found(
                    f'API.{self.code}_NOT_FOUND',
                    f'{self.target.name} {target_id} is not linked to {self.entity.name} {owner}',
                )
            note({'before': {self.relation.target_column: target_id}})
        resp.status = falcon.HTTP_204


class Export(EntityResource):
    """GET /{plural}/{id}/export: the row and its links, in the shape /{plural}/import accepts."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        with self.services.system() as cur:
            row = self.load_visible(cur, scope, self.path_id(id_))
            resp.media = to_json(self.snapshot(cur, row, scope))

    def snapshot(self, cur: Any, row: dict[str, Any], scope: Any = None) -> dict[str, Any]:
        shaped = store.expand_refs(cur, self.entity, [row])[0]
        if scope is not None:
            redact(scope, self.entity, [shaped])
        for key, value in shaped.items():  # stored UTC, said so: import reads naive times as UTC_OFFSET local
            if isinstance(value, datetime):
                shaped[key] = value.replace(tzinfo=UTC).isoformat(timespec='seconds')
        shaped['relations'] = {r.name: store.link_rows(cur, r, row['id']) for r in self.entity.relations}
        return shaped


class Import(EntityResource):
    """POST /{plural}/import with an exported object (bare or under "data"): a new row with its links."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        identity = self.writer(req)
        media = req.get_media()
        snapshot = media.get('data') if isinstance(media, dict) and isinstance(media.get('data'), dict) else media
        if not isinstance(snapshot, dict):
            raise bad_request('API.INVALID_REQUEST_BODY', 'the body must be an object exported by /export')
        with self.services.write(identity, 'POST', f'{self.entity.name}.import', None, media) as (cur, note):
            new_id = self.create_from(cur, snapshot)
            note({'id': new_id})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.entity.plural}/{new_id}'
        resp.media = {'id': new_id}

    def create_from(self, cur: Any, snapshot: dict[str, Any], name: str | None = None) -> int:
        data = {k: v for k, v in snapshot.items() if k not in ('id', 'uuid', 'relations')}
        for f in self.entity.fields:  # accept MyEMS's nested {"id": ...} references as well as x_id
            nested = data.get(f.name.removesuffix('_id')) if f.type == 'ref' else None
            if f.name not in data and isinstance(nested, dict):
                data[f.name] = nested.get('id')
        if name is not None:
            data['name'] = name
        values = parse_fields(self.entity, data, self.services.parser)
        self.check_values(cur, values)
        new_id = store.insert(cur, self.entity, values)
        relations = snapshot.get('relations') or {}
        if not isinstance(relations, dict):
            raise bad_request('API.INVALID_RELATIONS', 'relations must be an object of lists')
        for relation in self.entity.relations:
            links = relations.get(relation.name) or []
            if not isinstance(links, list):
                raise bad_request('API.INVALID_RELATIONS', f'relations.{relation.name} must be a list of links')
            for link in links:
                self._link(cur, relation, new_id, link)
        return new_id

    def _link(self, cur: Any, relation: Relation, owner: int, link: Any) -> None:
        if not isinstance(link, dict):
            raise bad_request('API.INVALID_RELATIONS', f'{relation.name}: each link must be an object')
        target = REGISTRY[relation.target]
        target_id = parse_id(
            link.get(relation.target_column),
            f'API.INVALID_{_upper(target.name)}_ID',
            f'{relation.name}.{relation.target_column}',
        )
        if not store.exists(cur, target, target_id):
            raise bad_request(f'API.{_upper(target.name)}_NOT_FOUND', f'{target.name} {target_id} does not exist')
        if store.link_exists(cur, relation, owner, target_id):
            raise bad_request('API.INVALID_RELATIONS', f'{relation.name}: {target.name} {target_id} is listed twice')
        extra = {f.name: self.services.parser.value(self.entity, f, link.get(f.name)) for f in relation.extra}
        store.add_link(cur, relation, owner, target_id, extra)


class Clone(Import):
    """POST /{plural}/{id}/clone: a copy of the row and its links under a free name."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:  # type: ignore[override]
        identity = self.writer(req)
        item_id = self.path_id(id_)
        with self.services.write(identity, 'POST', f'{self.entity.name}.clone', item_id, None) as (cur, note):
            row = store.select_one(cur, self.entity, item_id)
            if row is None:
                raise self.missing(item_id)
            snapshot = Export(self.entity, self.services).snapshot(cur, row)
            new_id = self.create_from(cur, snapshot, self._free_name(cur, row.get('name')))
            note({'id': new_id, 'source': item_id})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.entity.plural}/{new_id}'
        resp.media = {'id': new_id}

    def _free_name(self, cur: Any, name: Any) -> str | None:
        if not isinstance(name, str) or not self.entity.field('name').unique:
            return name if isinstance(name, str) else None
        for n in range(1, 1000):
            candidate = f'{name} ({n})'
            if not store.name_taken(cur, self.entity, candidate):
                return candidate
        raise bad_request(f'API.{_upper(self.entity.name)}_NAME_IS_ALREADY_IN_USE', f'no free copy name for {name!r}')


class Owners(EntityResource):
    """The reverse of a relation: /meters/{id}/spaces lists the spaces a meter is linked to."""

    def __init__(self, entity: Entity, services: Services, owner: Entity, relation: Relation) -> None:
        super().__init__(entity, services)
        self.owner = owner
        self.relation = relation

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        if not scope.allows_entity(self.owner.name):
            raise ApiError(403, 'API.FORBIDDEN', f'{self.owner.plural} are visible to administrators only')
        with self.services.system() as cur:
            target = self.path_id(id_)
            self.load_visible(cur, scope, target)
            cur.execute(
                f'SELECT `{self.relation.owner_column}` FROM `{self.relation.table}`'
                f' WHERE `{self.relation.target_column}` = %s',
                (target,),
            )
            visible = scope.visible(self.owner.name)
            ids = [row[0] for row in cur.fetchall() if visible is None or row[0] in visible]
            rows = store.select_rows(cur, self.owner, ids)
            resp.media = self.shaped(cur, rows, scope, self.owner)


class Tree(EntityResource):
    """GET /spaces/tree: the spaces the caller may see, nested from their roots."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        scope = self.reader(req)
        field = self.entity.parent_field or ''
        with self.services.system() as cur:
            rows = store.select_rows(cur, self.entity, scope.visible(self.entity.name))
        nodes = {r['id']: {'id': r['id'], 'name': r['name'], 'uuid': r.get('uuid'), 'children': []} for r in rows}
        roots = []
        for row in rows:
            parent = nodes.get(row[field]) if row[field] is not None else None
            (parent['children'] if parent else roots).append(nodes[row['id']])
        resp.media = roots
