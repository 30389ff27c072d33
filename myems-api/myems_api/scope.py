"""What a scoped user may see: their space subtrees and everything linked into them.

Starting from the subtrees of the privilege's spaces, visibility flows along the registry's link
relations (a visible space shows its meters, equipment, tenants...; a visible equipment shows its
meters; a visible meter shows its points and sub-meters) until nothing new is reached. One query per
relation table per round, never one per row.
"""

from __future__ import annotations

from typing import Any

from myems_api.auth import Identity
from myems_common.db import quote_identifier as q
from myems_common.registry import ENTRIES, REGISTRY, Entity

# scoped entities owned through a reference field, by the owner's entity name
OWNED: dict[str, list[Entity]] = {}
for _entity in ENTRIES:
    if _entity.owner and _entity.visibility == 'scoped':
        OWNED.setdefault(_entity.field(_entity.owner[0]).ref or '', []).append(_entity)


def subtree(cur: Any, roots: tuple[int, ...]) -> set[int]:
    """The spaces under `roots`, the roots included."""
    if not roots:
        return set()
    placeholders = ', '.join(['%s'] * len(roots))
    cur.execute(
        'WITH RECURSIVE tree (id) AS ('
        f' SELECT id FROM tbl_spaces WHERE id IN ({placeholders})'
        ' UNION SELECT s.id FROM tbl_spaces s JOIN tree t ON s.parent_space_id = t.id'
        ') SELECT id FROM tree',
        roots,
    )
    return {row[0] for row in cur.fetchall()}


def _targets(cur: Any, table: str, owner: str, target: str, owners: set[int]) -> set[int]:
    if not owners:
        return set()
    ids = sorted(owners)
    cur.execute(
        f'SELECT {q(target)} FROM {q(table)} WHERE {q(owner)} IN ({", ".join(["%s"] * len(ids))})',
        ids,
    )
    return {row[0] for row in cur.fetchall()}


class Scope:
    """Visible ids per scoped entity for one identity; computed once per request, on first use."""

    def __init__(self, identity: Identity, system_db: Any) -> None:
        self.identity = identity
        self.system_db = system_db
        self._visible: dict[str, set[int]] | None = None

    def allows_entity(self, entity_name: str) -> bool:
        """Admin-only entities (gateways with their tokens, data sources) need a signed-in administrator."""
        entity = REGISTRY[entity_name]
        return entity.visibility != 'admin' or (self.identity.kind == 'user' and self.identity.is_admin)

    def visible(self, entity_name: str) -> set[int] | None:
        """Ids the identity may see, or None when it may see them all."""
        if not self.identity.scoped or REGISTRY[entity_name].visibility == 'global':
            return None
        if REGISTRY[entity_name].visibility == 'admin':
            return set()
        if self._visible is None:
            with self.system_db() as cur:
                self._visible = self._compute(cur)
        return self._visible.get(entity_name, set())

    def can_see(self, entity_name: str, id_: int) -> bool:
        ids = self.visible(entity_name)
        return ids is None or id_ in ids

    def _compute(self, cur: Any) -> dict[str, set[int]]:
        visible: dict[str, set[int]] = {e.name: set() for e in ENTRIES if e.visibility == 'scoped'}
        visible['space'] = subtree(cur, self.identity.space_ids or ())
        frontier = {name: set(ids) for name, ids in visible.items() if ids}
        while frontier:
            reached: dict[str, set[int]] = {}
            for name, owners in frontier.items():
                entity = REGISTRY[name]
                for relation in entity.relations:
                    if relation.target in visible:
                        found = _targets(cur, relation.table, relation.owner_column, relation.target_column, owners)
                        reached.setdefault(relation.target, set()).update(found)
                if entity.parent_field and name != 'space':  # sub-meters of a visible meter
                    found = _targets(cur, entity.table, entity.parent_field, 'id', owners)
                    reached.setdefault(name, set()).update(found)
                for owned in OWNED.get(name, ()):  # rows owned through a reference (equipment parameters)
                    found = _targets(cur, owned.table, owned.owner[0], 'id', owners)  # type: ignore[index]
                    reached.setdefault(owned.name, set()).update(found)
            frontier = {}
            for name, ids in reached.items():
                new = ids - visible[name]
                if new:
                    visible[name] |= new
                    frontier[name] = new
        return visible
