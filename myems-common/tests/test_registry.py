from __future__ import annotations

from typing import Any

import pytest

from myems_common import db as dbmod
from myems_common.config import Settings
from myems_common.introspect import columns, table_exists
from myems_common.registry import BY_PLURAL, ENTRIES, REGISTRY, Field, get
from myems_common.series import FAMILIES


def test_names_and_urls_are_unique_and_refs_resolve() -> None:
    assert len(REGISTRY) == len(ENTRIES)
    assert len(BY_PLURAL) == len(ENTRIES)
    for entity in ENTRIES:
        for f in entity.fields:
            if f.ref:
                assert f.ref in REGISTRY, f'{entity.name}.{f.name} refers to unregistered {f.ref}'
        for relation in entity.relations:
            assert relation.target in REGISTRY, f'{entity.name}/{relation.name}'
        for family in entity.series:
            assert family in FAMILIES


def test_myems_urls() -> None:
    assert get('space').relation('virtualmeters').table == 'tbl_spaces_virtual_meters'
    assert get('equipment').relation('meters').extra[0].name == 'is_output'
    assert get('combined_equipment').plural == 'combinedequipments'
    assert get('space').protected_ids == frozenset({1})
    with pytest.raises(KeyError, match='nosuch'):
        get('nosuch')


def test_bad_declarations_are_refused() -> None:
    with pytest.raises(ValueError):
        Field('x', 'float')
    with pytest.raises(ValueError):
        Field('x', 'ref')


@pytest.mark.parametrize('entity', ENTRIES, ids=lambda e: e.name)
def test_entry_matches_the_installed_schema(entity: Any, settings: Settings) -> None:
    database = settings.db(entity.database).database
    conn = dbmod.connect(settings.db('system'), database=None)
    cur = conn.cursor()
    try:
        assert table_exists(cur, database, entity.table)
        present = set(columns(cur, database, entity.table))
        missing = {f.name for f in entity.fields} - present
        assert not missing, f'{entity.table} lacks {missing}'
        for relation in entity.relations:
            link_columns = set(columns(cur, database, relation.table))
            wanted = {relation.owner_column, relation.target_column, *(f.name for f in relation.extra)}
            assert wanted <= link_columns, f'{relation.table}: {wanted - link_columns} missing'
    finally:
        conn.close()
