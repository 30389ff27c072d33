"""Checks of the rows the billing and carbon stages read: tariffs, energy categories, emission factors.

Run inside the write transaction after the row (and a tariff's time-of-use rows) is stored (checks.py),
so a create, an update, an import and a clone are all checked on what they leave behind.
"""

from __future__ import annotations

import re
from typing import Any

from myems_api.errors import bad_request
from myems_common.tariff import check_coverage, parse_structure
from myems_common.timeutil import zone

_CURRENCY = re.compile(r'^[A-Z]{3}$')


def check_tariff(cur: Any, tariff_id: int) -> None:
    cur.execute(
        'SELECT `currency`, `timezone`, `structure`, `valid_from_datetime_utc`, `valid_through_datetime_utc`'
        ' FROM `tbl_tariffs` WHERE `id` = %s',
        (tariff_id,),
    )
    currency, timezone, structure, valid_from, valid_through = cur.fetchone()
    if not _CURRENCY.match(currency or ''):
        raise bad_request('API.INVALID_CURRENCY_VALUE', f'tariff.currency: not an ISO 4217 code: {currency!r}')
    if timezone is not None and (not timezone or timezone[0] in '+-' or not _known_zone(timezone)):
        raise bad_request('API.INVALID_TIMEZONE_VALUE', f'tariff.timezone: not an IANA time zone: {timezone!r}')
    _check_validity('tariff', valid_from, valid_through, strict=False)
    if structure is None:
        return
    try:
        parsed = parse_structure(structure)
    except ValueError as exc:
        raise bad_request('API.INVALID_STRUCTURE_VALUE', f'tariff.structure: {exc}') from None
    for index, season in enumerate(parsed.seasons or ()):
        schedules = season.schedules
        for day_type in ('weekday', 'weekend', 'holiday'):
            bands = getattr(schedules, day_type)
            problem = None if bands is None else check_coverage(bands)
            if problem:
                raise bad_request(
                    'API.INVALID_STRUCTURE_VALUE', f'tariff.structure: seasons[{index}].{day_type}: {problem}'
                )


def _known_zone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def _check_validity(entity: str, valid_from: Any, valid_through: Any, strict: bool = True) -> None:
    """valid_through after valid_from (or, not strict, not before it: a tariff valid for one second)."""
    if valid_through < valid_from or (strict and valid_through == valid_from):
        raise bad_request(
            'API.INVALID_VALID_THROUGH_DATETIME_VALUE',
            f'{entity}.valid_through_datetime_utc must be after valid_from_datetime_utc',
        )


def check_energy_category(cur: Any, category_id: int) -> None:
    cur.execute('SELECT `ghg_scope` FROM `tbl_energy_categories` WHERE `id` = %s', (category_id,))
    scope = cur.fetchone()[0]
    if scope is not None and scope not in (1, 2, 3):
        raise bad_request('API.INVALID_GHG_SCOPE_VALUE', f'energy_category.ghg_scope must be 1, 2 or 3, got {scope}')


def check_emission_factor(cur: Any, factor_id: int) -> None:
    cur.execute(
        'SELECT `valid_from_datetime_utc`, `valid_through_datetime_utc` FROM `tbl_emission_factors` WHERE `id` = %s',
        (factor_id,),
    )
    _check_validity('emission_factor', *cur.fetchone())
