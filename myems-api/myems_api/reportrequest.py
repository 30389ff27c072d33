"""The common report request: which object, which periods, in which time zone.

MyEMS's query parameters are kept: `<entity>id` or `<entity>uuid`, `periodtype`, `baseperiodstartdatetime`,
`baseperiodenddatetime` (optional), `reportingperiodstartdatetime`, `reportingperiodenddatetime`,
`language` and `quickmode`. Local times are read in the object's own IANA zone (a space's, or for
anything else the zone of the space it belongs to, else the TIMEZONE setting), not a global offset, so
buckets and DST days come out right everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

import falcon

from myems_api.errors import bad_request, not_found
from myems_api.pipelined import fetch_sets
from myems_common.daily import zone_or, zone_sql
from myems_common.db import Statements, fetch_named_sets
from myems_common.periods import PERIOD_TYPES, parse_local

UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
TRUE = ('true', 't', 'on', 'yes', 'y', '1')
LANGUAGES = ('en', 'zh_CN', 'de')
TABLES = {
    'space': 'tbl_spaces',
    'equipment': 'tbl_equipments',
    'combined_equipment': 'tbl_combined_equipments',
    'tenant': 'tbl_tenants',
    'store': 'tbl_stores',
    'shopfloor': 'tbl_shopfloors',
    'meter': 'tbl_meters',
    'virtual_meter': 'tbl_virtual_meters',
    'offline_meter': 'tbl_offline_meters',
}


@dataclass(frozen=True)
class ReportRequest:
    kind: str  # entity kind, e.g. 'space'
    row: dict[str, Any]  # the object's row
    zone: tzinfo
    period_type: str
    base: tuple[datetime, datetime] | None  # naive UTC [start, end)
    reporting: tuple[datetime, datetime]
    language: str
    quick: bool
    also_rows: list[list[tuple[Any, ...]]] = field(default_factory=list)  # of `parse`'s `also` reads

    @property
    def id(self) -> int:
        return int(self.row['id'])


def param_name(kind: str) -> str:
    return kind.replace('_', '')


def period_range(req: falcon.Request, prefix: str, tz: tzinfo, required: bool) -> tuple[datetime, datetime] | None:
    """`<prefix>periodstartdatetime` and `<prefix>periodenddatetime` as naive UTC [start, end), read in `tz`."""
    raw = {end: req.get_param(f'{prefix}period{end}datetime') for end in ('start', 'end')}
    if not raw['start'] and not raw['end'] and not required:
        return None
    found = []
    for end, text in raw.items():
        code = f'API.INVALID_{prefix.upper()}_PERIOD_{end.upper()}_DATETIME'
        if not text:
            raise bad_request(code, f'{prefix}period{end}datetime is required')
        try:
            found.append(parse_local(text.strip(), tz))
        except ValueError as error:
            raise bad_request(code, f'{prefix}period{end}datetime: {error}') from error
    if found[0] >= found[1]:
        raise bad_request(
            f'API.INVALID_{prefix.upper()}_PERIOD_END_DATETIME', f'the {prefix} period must end after it starts'
        )
    return found[0], found[1]


def object_zone(cur: Any, kind: str, row: dict[str, Any], default: str) -> tzinfo:
    """A space's zone; another object's is its first space's; else the default."""
    if ZONE in row:
        return zone_or(row[ZONE], default)
    cur.execute(f'SELECT {zone_sql(kind)} FROM {TABLES[kind]} o WHERE o.id = %s', (row['id'],))
    found = cur.fetchone()
    return zone_or(found[0] if found else None, default)


ZONE = '_zone_name'  # the column read_object adds when asked for the zone


def read_object(req: falcon.Request, cur: Any, kind: str, suffix: str = '', with_zone: bool = False) -> dict[str, Any]:
    """The row of the object named by `<entity>id<suffix>` or `<entity>uuid<suffix>` (a comparison's second
    object: suffix '2'), read with `cur` (system database); 400/404 with MyEMS's codes."""
    return read_object_and(req, cur, kind, None, suffix, with_zone)[0]


def read_object_and(
    req: falcon.Request,
    cur: Any,
    kind: str,
    also: Callable[[int], Statements] | None,
    suffix: str = '',
    with_zone: bool = False,
) -> tuple[dict[str, Any], list[list[tuple[Any, ...]]]]:
    """`read_object`, and the rows of the reads `also(object id)`: in the same round trip when the object is
    named by its id."""
    name = param_name(kind)
    code = kind.upper()
    raw_id = (req.get_param(f'{name}id{suffix}') or '').strip()
    raw_uuid = (req.get_param(f'{name}uuid{suffix}') or '').strip()
    extra = f', {zone_sql(kind)} AS {ZONE}' if with_zone else ''
    sql = f'SELECT o.*{extra} FROM {TABLES[kind]} o WHERE o.'
    ahead: Statements = []
    if raw_id:
        if not raw_id.isdigit() or int(raw_id) <= 0:
            raise bad_request(f'API.INVALID_{code}_ID', f'{name}id{suffix} must be a positive whole number')
        ahead = also(int(raw_id)) if also else []
        names, (rows, *sets) = fetch_named_sets(cur, [(sql + 'id = %s', (int(raw_id),)), *ahead])
    elif raw_uuid:
        if not UUID.match(raw_uuid):
            raise bad_request(f'API.INVALID_{code}_UUID', f'{name}uuid{suffix} must be a UUID')
        names, (rows, *sets) = fetch_named_sets(cur, [(sql + 'uuid = %s', (raw_uuid,))])
    else:
        raise bad_request(f'API.INVALID_{code}_ID', f'{name}id{suffix} or {name}uuid{suffix} is required')
    if not rows:
        raise not_found(f'API.{code}_NOT_FOUND', f'{kind.replace("_", " ")} not found')
    row = dict(zip(names, rows[0], strict=True))
    if also and not ahead:
        sets = fetch_sets(cur, also(int(row['id'])))
    return row, sets


def parse(
    req: falcon.Request, cur: Any, kind: str, default_zone: str, also: Callable[[int], Statements] | None = None
) -> ReportRequest:
    """The request for one `kind` of object, its row read with `cur` (system database), and in `also_rows` the
    rows of the reads `also(object id)`, read with it."""
    row, also_rows = read_object_and(req, cur, kind, also, with_zone=True)
    period_type = (req.get_param('periodtype') or '').strip()
    if period_type not in PERIOD_TYPES:
        raise bad_request('API.INVALID_PERIOD_TYPE', f'periodtype must be one of {", ".join(PERIOD_TYPES)}')
    tz = object_zone(cur, kind, row, default_zone)
    del row[ZONE]
    reporting = period_range(req, 'reporting', tz, required=True)
    assert reporting is not None
    language = req.get_param('language') or 'en'
    return ReportRequest(
        kind=kind,
        row=row,
        zone=tz,
        period_type=period_type,
        base=period_range(req, 'base', tz, required=False),
        reporting=reporting,
        language=language if language in LANGUAGES else 'en',
        quick=(req.get_param('quickmode') or '').strip().lower() in TRUE,
        also_rows=also_rows,
    )
