"""Virtual meters over the real API: equations are parsed safely, their variables must match the
equation and bind meters that exist, and no virtual meter may depend on itself; a refusal writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

EQUATION_ATTACKS = [
    "__import__('os').system('id')",
    "__import__('os').system('touch /tmp/pwned')",
    'x1.__class__.__bases__',
    "eval('1')",
    'exec(x1)',
    'open(x1)',
    'x1[0]',
    'lambda: x1',
    'x1; x1',
    '`id`',
    "'; DROP TABLE tbl_spaces; --",
    'x1 ** 2',
    'x1 ' + '+ x1 ' * 6000,
    '(' * 500 + 'x1' + ')' * 500,
]


def variable(name: str, meter_type: str, meter_id: int) -> dict[str, Any]:
    return {'name': name, 'meter_type': meter_type, 'meter_id': meter_id}


def refused(factory: Any, counts: Any, method: str, path: str, data: dict[str, Any], code: str) -> str:
    """Send a request that must be refused with `code`; nothing may be written. Returns the message."""
    before = counts()
    result = factory.request(method, path, {'data': data})
    assert result.status_code == 400, result.text
    assert result.json['description'] == code, result.text
    assert counts() == before
    return str(result.json['message'])


@pytest.fixture
def meters(factory: Any) -> list[int]:
    return [factory.create('meter') for _ in range(2)]


def test_valid_equation_is_stored(factory: Any, meters: list[int]) -> None:
    offline = factory.create('offline_meter')
    inner = factory.create('virtual_meter')
    variables = [
        variable('Main', 'meter', meters[0]),
        variable('sub', 'meter', meters[1]),
        variable('off', 'offline_meter', offline),
        variable('v', 'virtual_meter', inner),
    ]
    id_, body = factory.create_with(
        'virtual_meter', equation='max(MAIN - sub, 0) * 1.5 + abs(off) / 2 - v', variables=variables
    )
    got = factory.read('virtual_meter', id_)
    assert got['equation'] == 'max(MAIN - sub, 0) * 1.5 + abs(off) / 2 - v'  # stored as sent
    assert got['expression']['equation'] == got['equation']
    assert [(v['name'], v['meter_type'], v['meter_id']) for v in got['variables']] == [
        ('Main', 'meter', meters[0]),
        ('sub', 'meter', meters[1]),
        ('off', 'offline_meter', offline),
        ('v', 'virtual_meter', inner),
    ]


def test_constant_equation_is_accepted(factory: Any) -> None:
    id_ = factory.create('virtual_meter', equation='42.5', variables=[])
    assert factory.read('virtual_meter', id_)['equation'] == '42.5'
    assert factory.read('virtual_meter', id_)['variables'] == []


@pytest.mark.parametrize('equation', EQUATION_ATTACKS, ids=range(len(EQUATION_ATTACKS)))
def test_code_in_an_equation_is_refused(factory: Any, counts: Any, meters: list[int], equation: str) -> None:
    data = factory.body('virtual_meter', equation=equation, variables=[variable('x1', 'meter', meters[0])])
    message = refused(factory, counts, 'POST', '/virtualmeters', data, 'API.INVALID_EQUATION')
    assert message.startswith('equation: ') and ' at ' in message


def test_import_refusal_names_the_problem(factory: Any, counts: Any, meters: list[int]) -> None:
    message = refused(
        factory,
        counts,
        'POST',
        '/virtualmeters',
        factory.body('virtual_meter', equation="__import__('os').system('id')", variables=[]),
        'API.INVALID_EQUATION',
    )
    assert '__import__' in message and 'at 0' in message


@pytest.mark.parametrize(
    ('equation', 'message'),
    [('1 / 0', 'division by zero'), ('', 'unexpected end'), ('x1 >= 1', 'condition'), ('min()', 'at 4')],
)
def test_broken_equations_are_refused(
    factory: Any, counts: Any, meters: list[int], equation: str, message: str
) -> None:
    data = factory.body('virtual_meter', equation=equation, variables=[])
    assert message in refused(factory, counts, 'POST', '/virtualmeters', data, 'API.INVALID_EQUATION')


def test_undefined_and_unused_variables_are_refused(factory: Any, counts: Any, meters: list[int]) -> None:
    bound = [variable('x1', 'meter', meters[0])]
    data = factory.body('virtual_meter', equation='x1 + x2', variables=bound)
    message = refused(factory, counts, 'POST', '/virtualmeters', data, 'API.INVALID_VARIABLE_NAME')
    assert 'x2' in message and 'not among the variables' in message
    data = factory.body('virtual_meter', equation='x1', variables=[*bound, variable('x3', 'meter', meters[1])])
    message = refused(factory, counts, 'POST', '/virtualmeters', data, 'API.INVALID_VARIABLE_NAME')
    assert 'x3' in message and 'not used' in message


@pytest.mark.parametrize(
    ('names', 'message'),
    [(['x1', 'X1'], "'X1' is defined twice"), (['__x'], 'contains "__"'), (['min'], 'reserved word')],
)
def test_bad_variable_names_are_refused(
    factory: Any, counts: Any, meters: list[int], names: list[str], message: str
) -> None:
    variables = [variable(n, 'meter', meters[0]) for n in names]
    data = factory.body('virtual_meter', equation='1', variables=variables)
    assert message in refused(factory, counts, 'POST', '/virtualmeters', data, 'API.INVALID_VARIABLE_NAME')


@pytest.mark.parametrize('meter_type', ['meter', 'virtual_meter', 'offline_meter'])
def test_unknown_meters_are_refused(factory: Any, counts: Any, meter_type: str) -> None:
    data = factory.body('virtual_meter', equation='x1 * 2', variables=[variable('x1', meter_type, 987654321)])
    message = refused(factory, counts, 'POST', '/virtualmeters', data, f'API.{meter_type.upper()}_NOT_FOUND')
    assert message == f"variable 'x1': {meter_type.replace('_', ' ')} 987654321 does not exist"


def test_self_reference_is_refused(factory: Any, counts: Any) -> None:
    id_, body = factory.create_with('virtual_meter')
    name = body['name']
    data = {**body, 'equation': 'me + 1', 'variables': [variable('me', 'virtual_meter', id_)]}
    message = refused(factory, counts, 'PUT', f'/virtualmeters/{id_}', data, 'API.VIRTUAL_METER_CYCLE')
    assert message.endswith(f'virtual meter {name} -> {name}')
    assert factory.read('virtual_meter', id_)['equation'] == body['equation']  # unchanged


def test_cycle_through_another_virtual_meter_is_refused(factory: Any, counts: Any) -> None:
    a, a_body = factory.create_with('virtual_meter')
    b, b_body = factory.create_with('virtual_meter', equation='a * 2', variables=[variable('a', 'virtual_meter', a)])
    c, c_body = factory.create_with('virtual_meter', equation='b - 1', variables=[variable('b', 'virtual_meter', b)])
    data = {**a_body, 'equation': 'c / 2', 'variables': [variable('c', 'virtual_meter', c)]}
    message = refused(factory, counts, 'PUT', f'/virtualmeters/{a}', data, 'API.VIRTUAL_METER_CYCLE')
    names = [a_body['name'], c_body['name'], b_body['name'], a_body['name']]
    assert message.endswith('virtual meter ' + ' -> '.join(names))
    data = {**a_body, 'equation': 'b', 'variables': [variable('b', 'virtual_meter', b)]}
    message = refused(factory, counts, 'PUT', f'/virtualmeters/{a}', data, 'API.VIRTUAL_METER_CYCLE')
    assert message.endswith(f'virtual meter {a_body["name"]} -> {b_body["name"]} -> {a_body["name"]}')
    # a diamond is no cycle: d reads b and c, which both read a
    variables = [variable('p', 'virtual_meter', b), variable('q', 'virtual_meter', c)]
    factory.create('virtual_meter', equation='p + q', variables=variables)


def test_update_without_variables_is_checked_against_the_stored_ones(factory: Any, counts: Any) -> None:
    id_, body = factory.create_with('virtual_meter')  # x1 bound to a meter
    without = {k: v for k, v in body.items() if k != 'variables'}
    refused(factory, counts, 'PUT', f'/virtualmeters/{id_}', {**without, 'equation': 'x2'}, 'API.INVALID_VARIABLE_NAME')
    factory.request('PUT', f'/virtualmeters/{id_}', {'data': {**without, 'equation': 'X1 / 4'}}, expect=200)
    assert factory.read('virtual_meter', id_)['equation'] == 'X1 / 4'


def test_myems_expression_object_is_checked(factory: Any, counts: Any, meters: list[int]) -> None:
    data = {k: v for k, v in factory.body('virtual_meter').items() if k not in ('equation', 'variables')}
    data['expression'] = {'equation': 'x1 - x2', 'variables': [variable('x1', 'meter', meters[0])]}
    refused(factory, counts, 'POST', '/virtualmeters', data, 'API.INVALID_VARIABLE_NAME')
    data['expression']['variables'].append(variable('x2', 'meter', meters[1]))
    factory.request('POST', '/virtualmeters', {'data': data}, expect=201)


def test_import_and_clone_are_checked(factory: Any, counts: Any) -> None:
    id_ = factory.create('virtual_meter')
    snapshot = factory.get(f'/virtualmeters/{id_}/export')
    clone = factory.request('POST', f'/virtualmeters/{id_}/clone', expect=201).json['id']
    assert factory.read('virtual_meter', clone)['equation'] == factory.read('virtual_meter', id_)['equation']
    bad = {**snapshot, 'name': f'{snapshot["name"]} imported', 'equation': "__import__('os').system('id')"}
    before = counts()
    result = factory.request('POST', '/virtualmeters/import', bad)
    assert result.status_code == 400 and result.json['description'] == 'API.INVALID_EQUATION', result.text
    assert counts() == before
    good = {**bad, 'equation': snapshot['equation']}
    factory.request('POST', '/virtualmeters/import', good, expect=201)


def test_a_meter_an_equation_reads_cannot_be_deleted(factory: Any, counts: Any, meters: list[int]) -> None:
    inner = factory.create('virtual_meter')
    factory.create('virtual_meter', equation='a + b', variables=[variable('a', 'meter', meters[0]),
                   variable('b', 'virtual_meter', inner)])  # fmt: skip
    for plural, id_ in (('meters', meters[0]), ('virtualmeters', inner)):
        before = counts()
        result = factory.request('DELETE', f'/{plural}/{id_}')
        assert result.status_code == 400 and 'virtualmeters.variables' in result.json['message'], result.text
        assert counts() == before
    factory.request('DELETE', f'/meters/{meters[1]}', expect=204)  # not read by any equation
