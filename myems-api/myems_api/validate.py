"""Request parsing driven by the registry: each field's type and constraints, one error per problem.

Error codes follow MyEMS's pattern: `API.INVALID_<ENTITY>_NAME` for names, `API.INVALID_<X>_ID` for
references, `API.INVALID_<FIELD>_VALUE` for the rest; the message names the field and what was wrong.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import simplejson

from myems_api.errors import ApiError, bad_request
from myems_common.registry import Entity, Field
from myems_common.timeutil import parse_utc_offset, to_utc

DECIMAL_LIMIT = Decimal('999999999999999')
MAX_TEXT = 1_000_000
_DIGITS = re.compile(r'^[0-9]{1,19}$')
_UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


def code_for(entity: Entity, f: Field) -> str:
    if f.name == 'name':
        return f'API.INVALID_{entity.name.upper()}_NAME'
    if f.type == 'ref':
        return f'API.INVALID_{f.name.upper()}'
    return f'API.INVALID_{f.name.upper()}_VALUE'


def body_data(media: Any) -> dict[str, Any]:
    """The `data` object of a MyEMS request body."""
    if not isinstance(media, dict) or not isinstance(media.get('data'), dict):
        raise bad_request('API.INVALID_REQUEST_BODY', 'the body must be a JSON object like {"data": {...}}')
    return media['data']


def parse_id(value: Any, code: str, what: str) -> int:
    """A positive integer id (a BIGINT) from a path segment or a JSON value; ASCII digits only."""
    number = 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value.strip()):
        number = int(value.strip())
    if number <= 0 or number > 2**63 - 1:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + '...'
        raise bad_request(code, f'{what} must be a positive integer, got {shown}')
    return number


def load_json(text: str) -> Any:
    """A request body: JSON with exact decimals, refusing what no column can store (lone surrogates)
    and nesting too deep to parse. Raises ValueError, which Falcon answers as a malformed body."""
    try:
        value = simplejson.loads(text, use_decimal=True)
    except RecursionError:
        raise ValueError('the JSON nests too deeply') from None
    stack: list[tuple[str, Any]] = [('body', value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode('utf-8')
            except UnicodeEncodeError:
                raise ValueError(f'{where}: a lone UTF-16 surrogate is not text') from None
        elif isinstance(item, dict):
            stack += [(f'{where}.{key}', key) for key in item] + [(f'{where}.{key}', v) for key, v in item.items()]
        elif isinstance(item, list):
            stack += [(f'{where}[{i}]', v) for i, v in enumerate(item)]
    return value


class Parser:
    """Converts one field's JSON value to its stored Python value, or raises ApiError."""

    def __init__(self, utc_offset: str) -> None:
        self.offset = parse_utc_offset(utc_offset)

    def value(self, entity: Entity, f: Field, raw: Any) -> Any:
        code = code_for(entity, f)
        if raw is None or (isinstance(raw, str) and raw.strip() == '' and f.type not in ('text', 'json')):
            if f.nullable or not f.required:
                return None
            raise bad_request(code, f'{entity.name}.{f.name} is required')
        handler = getattr(self, f'_{f.type}')
        try:
            return handler(f, raw)
        except ApiError:
            raise
        except (ValueError, TypeError, InvalidOperation, OverflowError) as exc:
            raise bad_request(code, f'{entity.name}.{f.name}: {exc}') from None

    def _str(self, f: Field, raw: Any) -> str:
        if not isinstance(raw, str):
            raise TypeError(f'expected a string, got {type(raw).__name__}')
        text = raw.strip()
        if f.max_length and len(text) > f.max_length:
            raise ValueError(f'at most {f.max_length} characters, got {len(text)}')
        if f.choices and text not in f.choices:
            raise ValueError(f'must be one of {", ".join(f.choices)}, got {text!r}')
        return text

    def _text(self, f: Field, raw: Any) -> str:
        if not isinstance(raw, str):
            raise TypeError(f'expected a string, got {type(raw).__name__}')
        if len(raw) > MAX_TEXT:
            raise ValueError(f'at most {MAX_TEXT} characters')
        return raw

    def _int(self, f: Field, raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise TypeError(f'expected an integer, got {raw!r}')
        if isinstance(raw, str) and (len(raw.strip()) > 20 or not raw.strip().lstrip('-').isascii()):
            raise ValueError(f'expected an integer, got {raw!r}')
        number = int(raw)
        if not -(2**63) <= number < 2**63:  # BIGINT, the widest integer column
            raise ValueError(f'expected an integer within ±9.2e18, got {raw!r}')
        return number

    def _decimal(self, f: Field, raw: Any) -> Decimal:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise TypeError(f'expected a number, got {raw!r}')
        number = Decimal(str(raw).strip())
        if not number.is_finite() or abs(number) > DECIMAL_LIMIT:
            raise ValueError(f'expected a finite number within ±{DECIMAL_LIMIT}, got {raw!r}')
        return number

    def _bool(self, f: Field, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if raw in (0, 1):
            return bool(raw)
        raise TypeError(f'expected true or false, got {raw!r}')

    def _datetime(self, f: Field, raw: Any) -> datetime:
        if not isinstance(raw, str):
            raise TypeError(f'expected a datetime string, got {raw!r}')
        value: datetime = datetime.fromisoformat(raw.strip())
        if value.tzinfo is not None:
            value = to_utc(value, self.offset)
        else:
            value = (value - self.offset.utcoffset(None)).replace(microsecond=0)  # MyEMS: local at UTC_OFFSET
        if not 1000 <= value.year <= 9999:  # the DATETIME range MySQL and MariaDB support
            raise ValueError(f'expected a datetime between the years 1000 and 9999, got {raw!r}')
        return value

    def _date(self, f: Field, raw: Any) -> date:
        if not isinstance(raw, str):
            raise TypeError(f'expected a date string, got {raw!r}')
        value = date.fromisoformat(raw.strip()[:10])
        if not 1000 <= value.year <= 9999:  # the DATE range MySQL and MariaDB support
            raise ValueError(f'expected a date between the years 1000 and 9999, got {raw!r}')
        return value

    def _time(self, f: Field, raw: Any) -> time:
        if not isinstance(raw, str):
            raise TypeError(f'expected a time string, got {raw!r}')
        return time.fromisoformat(raw.strip())

    def _json(self, f: Field, raw: Any) -> str:
        if isinstance(raw, str):
            json.loads(raw)  # must be valid JSON text
            return raw
        if isinstance(raw, dict | list):
            return json.dumps(raw, separators=(',', ':'))
        raise TypeError(f'expected a JSON object or JSON text, got {raw!r}')

    def _uuid(self, f: Field, raw: Any) -> str:
        if not isinstance(raw, str) or not _UUID.match(raw.strip()):
            raise ValueError(f'expected a UUID, got {raw!r}')
        return str(uuidlib.UUID(raw.strip()))

    def _ref(self, f: Field, raw: Any) -> int:
        return parse_id(raw, f'API.INVALID_{f.name.upper()}', f.name)


_MISSING = object()


def field_input(f: Field, data: dict[str, Any]) -> Any:
    """A field's value in a body: its column name, MyEMS's alias, or for a reference MyEMS's nested
    object ({"energy_category": {"id": 1}} for energy_category_id)."""
    if f.name in data:
        return data[f.name]
    if f.alias and f.alias in data:
        return data[f.alias]
    if f.type == 'ref':
        nested = data.get(f.name.removesuffix('_id'))
        if isinstance(nested, dict) and 'id' in nested:
            return nested['id']
    return _MISSING


def unwrap(entity: Entity, data: dict[str, Any]) -> dict[str, Any]:
    """Lift MyEMS's grouped keys ({"expression": {"equation": ...}}) to the top level of the body."""
    for key, members in entity.envelopes:
        group = data.get(key)
        if isinstance(group, dict):
            for member in members:
                if member in group:
                    data.setdefault(member, group[member])
    return data


def parse_fields(entity: Entity, data: dict[str, Any], parser: Parser, partial: bool = False) -> dict[str, Any]:
    """Values for every writable field present in `data`; required ones must be there unless partial."""
    unwrap(entity, data)
    values: dict[str, Any] = {}
    for f in entity.fields:
        if f.read_only:
            continue
        raw = field_input(f, data)
        if raw is _MISSING:
            if f.required and not partial:
                raise bad_request(code_for(entity, f), f'{entity.name}.{f.name} is required')
            continue
        value = parser.value(entity, f, raw)
        if value is None and not f.nullable:
            continue  # an optional column that cannot hold NULL: null means not given (its default applies)
        values[f.name] = value
    return values


def parse_children(entity: Entity, data: dict[str, Any], parser: Parser) -> dict[str, list[dict[str, Any]]]:
    """Owned child rows given in the body (a tariff's "timeofuse" list); absent keys are left alone."""
    unwrap(entity, data)
    found: dict[str, list[dict[str, Any]]] = {}
    for child in entity.children:
        if child.key not in data:
            continue
        items = data[child.key]
        if not isinstance(items, list) or len(items) > 10_000:
            raise bad_request(f'API.INVALID_{child.key.upper()}', f'{entity.name}.{child.key} must be a list')
        shape = Entity(f'{entity.name}.{child.key}', child.table, child.key, child.fields)
        rows = []
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                raise bad_request(
                    f'API.INVALID_{child.key.upper()}', f'{entity.name}.{child.key}[{position}] must be an object'
                )
            rows.append(parse_fields(shape, item, parser))
        found[child.key] = rows
    return found
