"""Checks of a virtual meter as written: its equation, its variables, their meters and no cycle.

Run inside the write transaction (checks.py), after the row and its variables are stored, so a
create, an update with or without a new variables list, an import and a clone are all checked on
what they leave behind; a refusal rolls everything back.
"""

from __future__ import annotations

from typing import Any

from myems_api.errors import bad_request
from myems_common.dependencies import cycle_from, describe_cycle
from myems_common.expression import EvaluationError, ExpressionError, check_name, parse

METER_TABLES = {
    'meter': 'tbl_meters',
    'virtual_meter': 'tbl_virtual_meters',
    'offline_meter': 'tbl_offline_meters',
}


def check_virtual_meter(cur: Any, virtual_meter_id: int) -> None:
    cur.execute('SELECT `equation` FROM `tbl_virtual_meters` WHERE `id` = %s', (virtual_meter_id,))
    equation = cur.fetchone()[0]
    cur.execute(
        'SELECT `name`, `meter_type`, `meter_id` FROM `tbl_variables` WHERE `virtual_meter_id` = %s ORDER BY `id`',
        (virtual_meter_id,),
    )
    variables = cur.fetchall()
    try:
        expression = parse(equation)
    except ExpressionError as exc:
        raise bad_request('API.INVALID_EQUATION', f'equation: {exc}') from None
    if expression.is_constant:
        try:
            expression.evaluate({})
        except EvaluationError as exc:
            raise bad_request('API.INVALID_EQUATION', f'equation: {exc}') from None
    names: set[str] = set()
    for name, meter_type, meter_id in variables:
        problem = check_name(name)
        if problem is not None:
            raise bad_request('API.INVALID_VARIABLE_NAME', f'variable {problem}')
        if name.lower() in names:
            raise bad_request('API.INVALID_VARIABLE_NAME', f'variable {name!r} is defined twice')
        names.add(name.lower())
        cur.execute(f'SELECT 1 FROM `{METER_TABLES[meter_type]}` WHERE `id` = %s', (meter_id,))
        if cur.fetchone() is None:
            raise bad_request(
                f'API.{meter_type.upper()}_NOT_FOUND',
                f'variable {name!r}: {meter_type.replace("_", " ")} {meter_id} does not exist',
            )
    undefined = sorted(expression.variables - names)
    if undefined:
        raise bad_request(
            'API.INVALID_VARIABLE_NAME', f'the equation uses {", ".join(undefined)}, which is not among the variables'
        )
    unused = sorted(names - expression.variables)
    if unused:
        raise bad_request('API.INVALID_VARIABLE_NAME', f'variable {", ".join(unused)} is not used in the equation')
    _refuse_cycle(cur, virtual_meter_id)


def _refuse_cycle(cur: Any, virtual_meter_id: int) -> None:
    cur.execute("SELECT `virtual_meter_id`, `meter_id` FROM `tbl_variables` WHERE `meter_type` = 'virtual_meter'")
    graph: dict[int, list[int]] = {}
    for owner, target in cur.fetchall():
        graph.setdefault(owner, []).append(target)
    path = cycle_from(graph, virtual_meter_id)
    if path is None:
        return
    ids = sorted(set(path))
    cur.execute(f'SELECT `id`, `name` FROM `tbl_virtual_meters` WHERE `id` IN ({", ".join(["%s"] * len(ids))})', ids)
    names = {row[0]: row[1] for row in cur.fetchall()}
    raise bad_request('API.VIRTUAL_METER_CYCLE', f'the variables form a cycle: {describe_cycle(path, names)}')
