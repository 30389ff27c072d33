"""Valid request bodies for any registry entity, built from its Field declarations.

`Factory.create('meter')` first creates, through the API, everything the meter refers to (energy
category, cost centre, energy item...), recursively, then posts the meter. Values are unique where
they must be (names carry a random suffix) and vary with `variant`, so an update changes every field.
Read-only reference data (time zones) is never created: an existing row is picked.

The factory also knows how a stored value reads back (`assert_matches`): references as
`{"id", "name", "uuid"}`, decimals exactly, datetimes as naive UTC, JSON fields as JSON text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import simplejson
from falcon import testing

from myems_common.registry import REGISTRY, Child, Entity, Field

ROOT_SPACE_ID = 1
PREFERRED_TIMEZONE = 'Europe/Berlin'

# The only hand-written values: fields whose meaning a type cannot tell.
OVERRIDES: dict[tuple[str, str], Callable[[Factory, int], Any]] = {
    ('space', 'parent_space_id'): lambda factory, variant: ROOT_SPACE_ID,  # new spaces hang under the root
    # a virtual meter's equation must use exactly its variables, bound to meters that exist
    ('virtual_meter', 'equation'): lambda factory, variant: f'x1 * {2 + variant}',
    ('virtual_meter', 'variables'): lambda factory, variant: [
        {'name': 'x1', 'meter_type': 'meter', 'meter_id': factory.create('meter')}
    ],
    # a tariff's currency is an ISO 4217 code, its zone an IANA name, its structure what parse_structure takes
    ('tariff', 'currency'): lambda factory, variant: ('EUR', 'CNY')[variant % 2],
    ('tariff', 'timezone'): lambda factory, variant: ('Europe/Berlin', 'Asia/Shanghai')[variant % 2],
    ('tariff', 'structure'): lambda factory, variant: {
        'tiers': [{'up_to': 100 + variant, 'adder': '0'}, {'up_to': None, 'adder': '0.02'}]
    },
    ('energy_category', 'ghg_scope'): lambda factory, variant: 1 + variant % 3,
}


def is_read_only(entity: Entity) -> bool:
    """Reference data the API serves but never writes (every field is generated or seeded)."""
    return all(f.read_only for f in entity.fields)


def writable(entity: Entity) -> list[Field]:
    return [f for f in entity.fields if not f.read_only]


def decode(result: testing.Result) -> Any:
    """A response body with numbers as Decimal, as the API writes them."""
    return simplejson.loads(result.text, use_decimal=True) if result.text else None


def send(
    client: testing.TestClient, method: str, path: str, headers: dict[str, str], body: Any = None
) -> testing.Result:
    """One request; a JSON body is written with simplejson so Decimal values stay exact."""
    if body is None:
        return client.simulate_request(method, path, headers=headers)
    text = simplejson.dumps(body, use_decimal=True)
    return client.simulate_request(method, path, headers=headers, body=text, content_type='application/json')


def suffix() -> str:
    return uuid.uuid4().hex[:10]


def plain_value(f: Field, variant: int = 0, position: int = 0) -> Any:
    """A valid JSON value for a field that is not a reference."""
    tag = suffix()
    if f.type == 'str':
        if f.choices:
            return f.choices[variant % len(f.choices)]
        limit = f.max_length or 255
        return f'{f.name[: max(limit - len(tag) - 1, 1)]}-{tag}'[-limit:]
    if f.type == 'text':
        return f'{f.name} {tag}\nsecond line, variant {variant}'
    if f.type == 'int':
        return 10 + variant * 7 + position
    if f.type == 'decimal':  # fits DECIMAL(12,10) latitude as well as DECIMAL(21,6)
        return Decimal(int(tag[:6], 16) % 80000 + 1000) / 1000
    if f.type == 'bool':
        return variant % 2 == 0
    if f.type == 'datetime':  # later fields later: valid_from before valid_through
        moment = datetime(2024 + variant, 3, 1, 8, 30, tzinfo=UTC) + timedelta(days=31 * position)
        return moment.astimezone(timezone(timedelta(hours=2))).isoformat()
    if f.type == 'date':
        return f'{2024 + variant}-03-{1 + position:02d}'
    if f.type == 'time':
        return f'{8 + variant:02d}:{position % 60:02d}:00'
    if f.type == 'json':
        return {'field': f.name, 'variant': variant, 'tag': tag}
    if f.type == 'uuid':
        return str(uuid.uuid4())
    raise ValueError(f'no value for {f.name} of type {f.type}')


def as_utc(text: str) -> datetime:
    """An ISO datetime as naive UTC (naive input is taken as UTC, as the API answers)."""
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def link_keys(target: Entity) -> set[str]:
    return {'id', 'name', *(['uuid'] if any(f.name == 'uuid' for f in target.fields) else [])}


def field_matches(f: Field, sent: Any, got: dict[str, Any]) -> bool:
    """Whether the representation `got` of a row shows the value `sent` for field `f`."""
    if f.type == 'ref':
        nested = got.get(f.name.removesuffix('_id'))
        if sent is None:
            return nested is None
        target = REGISTRY[f.ref or '']
        return isinstance(nested, dict) and nested.get('id') == sent and set(nested) == link_keys(target)
    value = got.get(f.name)
    if sent is None or value is None:
        return sent is None and value is None
    if f.type == 'decimal':
        return Decimal(str(value)) == Decimal(str(sent))
    if f.type == 'datetime':
        return as_utc(value) == as_utc(sent)
    if f.type == 'json':
        return bool(json.loads(value) == (json.loads(sent) if isinstance(sent, str) else sent))
    if f.type == 'str':
        return bool(value == sent.strip())
    return bool(value == sent)


def assert_matches(entity: Entity, sent: dict[str, Any], got: dict[str, Any]) -> None:
    """Every field in `sent` reads back from `got` as the API promises."""
    wrong = {
        f.name: (sent[f.name], got.get(f.name.removesuffix('_id') if f.type == 'ref' else f.name))
        for f in entity.fields
        if f.name in sent and not field_matches(f, sent[f.name], got)
    }
    for child in entity.children:  # owned rows read back in the order sent
        if child.key in sent:
            shape = Entity(child.key, child.table, child.key, child.fields)
            rows = got.get(child.key)
            assert isinstance(rows, list) and len(rows) == len(sent[child.key]), (entity.name, child.key, rows)
            for row_sent, row_got in zip(sent[child.key], rows, strict=True):
                assert_matches(shape, row_sent, row_got)
    assert not wrong, f'{entity.name}: sent and read back differ: {wrong}'


class Factory:
    """Creates entities through the API as an administrator."""

    def __init__(self, client: testing.TestClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self._picked: dict[str, int] = {}

    # ------------------------------------------------------------------ requests
    def request(self, method: str, path: str, body: Any = None, expect: int | None = None) -> testing.Result:
        result = send(self.client, method, path, self.headers, body)
        if expect is not None:
            assert result.status_code == expect, f'{method} {path}: {result.status_code} {result.text[:500]}'
        return result

    def get(self, path: str) -> Any:
        return decode(self.request('GET', path, expect=200))

    def read(self, entity_name: str, id_: int) -> dict[str, Any]:
        return dict(self.get(f'/{REGISTRY[entity_name].plural}/{id_}'))

    # ------------------------------------------------------------------ bodies
    def pick(self, entity_name: str) -> int:
        """An existing row of read-only reference data (Europe/Berlin for time zones)."""
        if entity_name not in self._picked:
            rows = self.get(f'/{REGISTRY[entity_name].plural}')
            assert rows, f'no {entity_name} rows to pick from'
            preferred = [r['id'] for r in rows if r.get('name') == PREFERRED_TIMEZONE]
            self._picked[entity_name] = preferred[0] if preferred else rows[0]['id']
        return self._picked[entity_name]

    def ref_value(self, entity: Entity, f: Field, variant: int) -> int | None:
        target = REGISTRY[f.ref or '']
        if is_read_only(target):
            return self.pick(target.name)
        if target.name == entity.name:  # an optional self-reference (a master meter): none by default
            return None
        return self.create(target.name)

    def body(self, entity_name: str, variant: int = 0, **overrides: Any) -> dict[str, Any]:
        """A complete valid `data` object; referenced rows are created first."""
        entity = REGISTRY[entity_name]
        data: dict[str, Any] = {}
        for position, f in enumerate(writable(entity)):
            if f.name in overrides:
                data[f.name] = overrides[f.name]
            elif (entity.name, f.name) in OVERRIDES:
                data[f.name] = OVERRIDES[(entity.name, f.name)](self, variant)
            elif f.type == 'ref':
                data[f.name] = self.ref_value(entity, f, variant)
            elif f.name == 'name':
                data[f.name] = f'{entity.name} {suffix()}'
            else:
                data[f.name] = plain_value(f, variant, position)
        for child in entity.children:  # one owned row (a tariff's time-of-use period), varying with variant
            if child.key not in overrides:
                make = OVERRIDES.get((entity.name, child.key))
                data[child.key] = make(self, variant) if make else [self.child_row(child, variant)]
            elif overrides[child.key] is not None:
                data[child.key] = overrides[child.key]
        return data

    def child_row(self, child: Child, variant: int = 0) -> dict[str, Any]:
        return {f.name: plain_value(f, variant, position) for position, f in enumerate(child.fields)}

    def create(self, entity_name: str, **overrides: Any) -> int:
        return int(self.create_with(entity_name, **overrides)[0])

    def create_with(self, entity_name: str, **overrides: Any) -> tuple[int, dict[str, Any]]:
        """Create one row; returns its id and the body that was sent."""
        data = self.body(entity_name, **overrides)
        result = self.request('POST', f'/{REGISTRY[entity_name].plural}', {'data': data}, expect=201)
        return int(decode(result)['id']), data

    def link(self, owner: str, owner_id: int, relation_name: str, target_id: int) -> None:
        relation = REGISTRY[owner].relation(relation_name)
        data = {relation.target_column: target_id, **{f.name: True for f in relation.extra}}
        self.request('POST', f'/{REGISTRY[owner].plural}/{owner_id}/{relation_name}', {'data': data}, expect=201)

    def delete(self, entity_name: str, id_: int) -> None:
        self.request('DELETE', f'/{REGISTRY[entity_name].plural}/{id_}', expect=204)
