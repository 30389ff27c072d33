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
from myems_api.checks import CHECKS
from myems_api.context import Services, to_json
from myems_api.errors import ApiError, bad_request, not_found
from myems_api.validate import body_data, parse_children, parse_fields, parse_id
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

    def writing(self, identity: Any, method: str, resource: str, resource_id: int | None, body: Any) -> Any:
        """A write transaction on the entity's database, audited."""
        return self.services.write(identity, method, resource, resource_id, body, self.entity.database)

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
        rows = redact(scope, entity, store.expand_refs(cur, entity, rows))
        store.load_children(cur, entity, rows)
        self.add_aliases(entity, rows)
        return [to_json(r) for r in rows]

    def add_aliases(self, entity: Entity, rows: list[dict[str, Any]]) -> None:
        """MyEMS's keys beside ours: valid_from as local time at UTC_OFFSET for valid_from_datetime_utc."""
        offset = self.services.parser.offset.utcoffset(None)
        for key, members in entity.envelopes:
            for row in rows:
                row[key] = {m: row.get(m) for m in members}
        for f in entity.fields:
            if f.alias is None:
                continue
            for row in rows:
                value = row.get(f.name)
                if isinstance(value, datetime):
                    value = (value + offset).strftime('%Y-%m-%dT%H:%M:%S')
                row[f.alias] = value

    def create(self, req: falcon.Request, resp: falcon.Response, forced: dict[str, Any]) -> None:
        """POST: a new row (and its child rows) from the body, `forced` values taking precedence."""
        identity = self.writer(req)
        media = req.get_media()
        data = {**body_data(media), **forced}
        values = parse_fields(self.entity, data, self.services.parser)
        children = parse_children(self.entity, data, self.services.parser)
        with self.writing(identity, 'POST', self.entity.name, None, media) as (cur, note):
            self.check_values(cur, values)
            new_id = store.insert(cur, self.entity, values)
            self.save_children(cur, new_id, children)
            note({'id': new_id, 'after': values})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.entity.plural}/{new_id}'
        resp.media = {'id': new_id}

    def save_children(self, cur: Any, owner_id: int, children: dict[str, list[dict[str, Any]]]) -> None:
        """Write the owned rows given in the body, then run the entity's check on the result (every
        create, update, import and clone passes here; a refused check rolls the write back)."""
        for child in self.entity.children:
            if child.key in children:
                store.replace_children(cur, child, owner_id, children[child.key])
        check = CHECKS.get(self.entity.name)  # the row and its children as written (checks.py)
        if check is not None:
            check(cur, owner_id)

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
        for f in entity.fields:
            if f.unique and f.type == 'str' and values.get(f.name) is not None:
                if store.value_taken(cur, entity, f.name, values[f.name], id_):
                    raise bad_request(
                        f'API.{_upper(entity.name)}_{_upper(f.name)}_IS_ALREADY_IN_USE',
                        f'a {entity.name} with {f.name} {values[f.name]!r} already exists',
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
        with self.services.transaction(self.entity.database) as cur:
            rows = store.select_rows(cur, self.entity, scope.visible(self.entity.name))
            resp.media = self.shaped(cur, rows, scope)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.create(req, resp, {})


class Item(EntityResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        with self.services.transaction(self.entity.database) as cur:
            row = self.load_visible(cur, scope, self.path_id(id_))
            resp.media = self.shaped(cur, [row], scope)[0]

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = self.writer(req)
        item_id = self.path_id(id_)
        media = req.get_media()
        data = body_data(media)
        values = parse_fields(self.entity, data, self.services.parser)
        children = parse_children(self.entity, data, self.services.parser)
        with self.writing(identity, 'PUT', self.entity.name, item_id, media) as (cur, note):
            before = store.select_one(cur, self.entity, item_id, lock=True)
            if before is None:
                raise self.missing(item_id)
            self.check_values(cur, values, item_id)
            store.update(cur, self.entity, item_id, values)
            self.save_children(cur, item_id, children)
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
        with self.writing(identity, 'DELETE', self.entity.name, item_id, None) as (cur, note):
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
        with self.services.transaction(self.entity.database) as cur:
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
        if not scope.allows_entity(self.target.name):
            raise ApiError(403, 'API.FORBIDDEN', f'{self.target.plural} are visible to administrators only')
        with self.services.transaction(self.entity.database) as cur:
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
        with self.writing(identity, 'POST', f'{self.entity.name}.{self.relation.name}', owner, media) as (
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
        with self.writing(identity, 'DELETE', f'{self.entity.name}.{self.relation.name}', owner, None) as (
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
        with self.services.transaction(self.entity.database) as cur:
            row = self.load_visible(cur, scope, self.path_id(id_))
            resp.media = to_json(self.snapshot(cur, row, scope))

    def snapshot(self, cur: Any, row: dict[str, Any], scope: Any = None) -> dict[str, Any]:
        shaped = store.expand_refs(cur, self.entity, [row])[0]
        if scope is not None:
            redact(scope, self.entity, [shaped])
        for key, value in shaped.items():  # stored UTC, said so: import reads naive times as UTC_OFFSET local
            if isinstance(value, datetime):
                shaped[key] = value.replace(tzinfo=UTC).isoformat(timespec='seconds')
        store.load_children(cur, self.entity, [shaped])
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
        with self.writing(identity, 'POST', f'{self.entity.name}.import', None, media) as (cur, note):
            new_id = self.create_from(cur, snapshot)
            note({'id': new_id})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.entity.plural}/{new_id}'
        resp.media = {'id': new_id}

    def create_from(self, cur: Any, snapshot: dict[str, Any], overrides: dict[str, Any] | None = None) -> int:
        data = {k: v for k, v in snapshot.items() if k not in ('id', 'uuid', 'relations')}
        data.update(overrides or {})
        values = parse_fields(self.entity, data, self.services.parser)  # x_id, MyEMS's {"x": {"id"}} or alias
        children = parse_children(self.entity, data, self.services.parser)
        self.check_values(cur, values)
        new_id = store.insert(cur, self.entity, values)
        self.save_children(cur, new_id, children)
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
        with self.writing(identity, 'POST', f'{self.entity.name}.clone', item_id, None) as (cur, note):
            row = store.select_one(cur, self.entity, item_id)
            if row is None:
                raise self.missing(item_id)
            snapshot = to_json(Export(self.entity, self.services).snapshot(cur, row))  # as /export answers it
            free = {
                f.name: self._free_value(cur, f.name, row[f.name])
                for f in self.entity.fields
                if f.unique and f.type == 'str' and isinstance(row.get(f.name), str)
            }
            new_id = self.create_from(cur, snapshot, free)
            note({'id': new_id, 'source': item_id})
        resp.status = falcon.HTTP_201
        resp.location = f'/{self.entity.plural}/{new_id}'
        resp.media = {'id': new_id}

    def _free_value(self, cur: Any, column: str, value: str) -> str:
        for n in range(1, 1000):
            candidate = f'{value} ({n})'
            if not store.value_taken(cur, self.entity, column, candidate):
                return candidate
        raise bad_request(
            f'API.{_upper(self.entity.name)}_{_upper(column)}_IS_ALREADY_IN_USE', f'no free copy of {value!r}'
        )


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
        with self.services.transaction(self.entity.database) as cur:
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
        with self.services.transaction(self.entity.database) as cur:
            rows = store.select_rows(cur, self.entity, scope.visible(self.entity.name))
        nodes = {r['id']: {'id': r['id'], 'name': r['name'], 'uuid': r.get('uuid'), 'children': []} for r in rows}
        roots = []
        for row in rows:
            parent = nodes.get(row[field]) if row[field] is not None else None
            (parent['children'] if parent else roots).append(nodes[row['id']])
        resp.media = roots


class Owned(EntityResource):
    """Rows listed and created under their owner: /workingcalendars/{id}/nonworkingdays[/{cid}]."""

    def __init__(self, entity: Entity, services: Services) -> None:
        super().__init__(entity, services)
        assert entity.owner is not None
        self.field = entity.field(entity.owner[0])
        self.owner_entity = REGISTRY[self.field.ref or '']
        self.item = Item(entity, services)

    def reader(self, req: falcon.Request) -> Any:
        """403 before any row is looked up if the caller may not read the entity or its owner (a gateway)."""
        scope = super().reader(req)
        if not scope.allows_entity(self.owner_entity.name):
            raise ApiError(403, 'API.FORBIDDEN', f'{self.owner_entity.plural} are visible to administrators only')
        return scope

    def owner_id(self, cur: Any, scope: Any, raw: str) -> int:
        owner = self.path_id(raw, self.owner_entity)
        if not store.exists(cur, self.owner_entity, owner) or not scope.can_see(self.owner_entity.name, owner):
            raise self.missing(owner, self.owner_entity)
        return owner

    def on_get(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        scope = self.reader(req)
        with self.services.transaction(self.entity.database) as cur:
            owner = self.owner_id(cur, scope, id_)
            rows = store.select_rows(
                cur, self.entity, scope.visible(self.entity.name), where=f'`{self.field.name}` = %s', params=(owner,)
            )
            resp.media = self.shaped(cur, rows, scope)

    def on_post(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        self.create(req, resp, {self.field.name: self.path_id(id_, self.owner_entity)})

    def _owned(self, req: falcon.Request, id_: str, cid: str) -> str:
        """The child's id, once it is known to belong to the owner in the path."""
        scope = self.reader(req)
        with self.services.transaction(self.entity.database) as cur:
            owner = self.owner_id(cur, scope, id_)
            row = store.select_one(cur, self.entity, self.path_id(cid))
        if row is None or row[self.field.name] != owner:
            raise self.missing(self.path_id(cid))
        return cid

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, id_: str, cid: str) -> None:
        self.item.on_get(req, resp, self._owned(req, id_, cid))

    def on_put_item(self, req: falcon.Request, resp: falcon.Response, id_: str, cid: str) -> None:
        self.writer(req)
        owned = self._owned(req, id_, cid)
        data = body_data(req.get_media())  # the owner comes from the path; a body may not move the row
        data[self.field.name] = self.path_id(id_, self.owner_entity)
        self.item.on_put(req, resp, owned)

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, id_: str, cid: str) -> None:
        self.writer(req)
        self.item.on_delete(req, resp, self._owned(req, id_, cid))


class Action(EntityResource):
    """PUT /{plural}/{id}/{action}: set the values the registry names (PUT /rules/{id}/run)."""

    def __init__(self, entity: Entity, services: Services, action: str) -> None:
        super().__init__(entity, services)
        self.action = action
        self.values = dict(dict(entity.actions)[action])

    def on_put(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        identity = self.writer(req)
        item_id = self.path_id(id_)
        with self.writing(identity, 'PUT', f'{self.entity.name}.{self.action}', item_id, None) as (cur, note):
            if store.select_one(cur, self.entity, item_id, lock=True) is None:
                raise self.missing(item_id)
            store.update(cur, self.entity, item_id, self.values)
            note({'after': self.values})
        resp.media = {'id': item_id}


class ItemWithClone(Item):
    """An item that also answers MyEMS's older clone route, POST /{plural}/{id} (the registry says which)."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, id_: str) -> None:
        Clone(self.entity, self.services).on_post(req, resp, id_)
