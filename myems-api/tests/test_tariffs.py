"""Tariffs, energy categories and emission factors over the real API: the fields the billing and carbon
stages read are checked when written (a refusal is a 400 naming the field, and writes nothing)."""

from __future__ import annotations

from typing import Any

import pytest

WEEKDAY = [
    {'name': 'offpeak', 'start': '22:00', 'end': '08:00', 'price': '0.10'},
    {'name': 'onpeak', 'start': '08:00', 'end': '22:00', 'price': '0.30'},
]
SEASON = {'name': 'all year', 'start': '01-01', 'end': '12-31', 'weekday': WEEKDAY}


def refused(factory: Any, counts: Any, method: str, path: str, data: dict[str, Any], code: str) -> str:
    """A 400 with `code` that writes nothing; its message."""
    before, result = counts(), factory.request(method, path, {'data': data})
    assert (result.status_code, result.json.get('description')) == (400, code), result.text
    assert counts() == before
    return str(result.json['message'])


def test_a_valid_structure_zone_calendar_and_currency_are_stored(factory: Any) -> None:
    calendar = factory.create('working_calendar')
    structure = {'seasons': [SEASON], 'tiers': [{'up_to': 100, 'adder': '0'}, {'up_to': None, 'adder': '0.02'}]}
    id_, _ = factory.create_with(
        'tariff', structure=structure, timezone='Europe/Berlin', working_calendar_id=calendar, currency='EUR'
    )
    got = factory.read('tariff', id_)
    assert got['currency'] == 'EUR' and got['timezone'] == 'Europe/Berlin'
    assert got['working_calendar']['id'] == calendar
    factory.request('PUT', f'/tariffs/{id_}', {'data': factory.body('tariff', structure=None, timezone=None)}, 200)
    assert factory.read('tariff', id_)['structure'] is None


@pytest.mark.parametrize(
    ('changes', 'code', 'words'),
    [
        ({'structure': {'seasons': [{**SEASON, 'weekday': [{**WEEKDAY[0], 'price': 'x'}]}]}}, 'STRUCTURE', 'price'),
        ({'structure': {'tiers': [{'up_to': 100, 'adder': '0'}], 'blocks': []}}, 'STRUCTURE', 'blocks'),
        ({'structure': {'surprise': 1}}, 'STRUCTURE', 'surprise'),
        ({'structure': {'seasons': [{**SEASON, 'weekday': WEEKDAY[:1]}]}}, 'STRUCTURE', 'weekday'),  # a gap
        ({'structure': '{not json'}, 'STRUCTURE', 'structure'),
        ({'currency': 'E1R'}, 'CURRENCY', 'currency'),
        ({'timezone': 'Mars/Olympus'}, 'TIMEZONE', 'timezone'),
        ({'timezone': '+08:00'}, 'TIMEZONE', 'timezone'),
    ],
)
def test_bad_tariff_fields_are_refused(
    factory: Any, counts: Any, changes: dict[str, Any], code: str, words: str
) -> None:
    message = refused(
        factory, counts, 'POST', '/tariffs', factory.body('tariff', **changes), f'API.INVALID_{code}_VALUE'
    )
    assert words in message
    id_ = factory.create('tariff')
    refused(factory, counts, 'PUT', f'/tariffs/{id_}', factory.body('tariff', **changes), f'API.INVALID_{code}_VALUE')


def test_ghg_scope_is_one_two_or_three(factory: Any, counts: Any) -> None:
    for scope in (0, 4, -1):
        body = factory.body('energy_category', ghg_scope=scope)
        refused(factory, counts, 'POST', '/energycategories', body, 'API.INVALID_GHG_SCOPE_VALUE')
    id_ = factory.create('energy_category', ghg_scope=None)
    assert factory.read('energy_category', id_)['ghg_scope'] is None


def test_an_emission_factor_is_valid_for_a_range(factory: Any, counts: Any) -> None:
    moment = '2026-01-01T00:00:00+00:00'
    body = factory.body('emission_factor', valid_from_datetime_utc=moment, valid_through_datetime_utc=moment)
    refused(factory, counts, 'POST', '/emissionfactors', body, 'API.INVALID_VALID_THROUGH_DATETIME_VALUE')
    id_ = factory.create('emission_factor')
    category = factory.read('emission_factor', id_)['energy_category']['id']
    result = factory.request('DELETE', f'/energycategories/{category}')
    assert result.status_code == 400  # a category with factors stays
