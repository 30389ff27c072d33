"""The safe expression language: examples, refused input, limits, and properties (hypothesis)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myems_common.expression import (
    CONTEXT,
    MAX_DEPTH,
    MAX_LENGTH,
    EvaluationError,
    ExpressionError,
    parse,
)

D = Decimal


# ------------------------------------------------------------------------------------------ examples
@pytest.mark.parametrize(
    ('text', 'values', 'expected'),
    [
        ('x1 - x2', {'x1': 10, 'x2': 3}, '7'),
        ('1 + 2 * 3', {}, '7'),
        ('(1 + 2) * 3', {}, '9'),
        ('2 - 3 - 4', {}, '-5'),
        ('8 / 4 / 2', {}, '1'),
        ('-2 * 3', {}, '-6'),
        ('- -2', {}, '2'),
        ('+2', {}, '2'),
        ('2 * -3', {}, '-6'),
        ('1.5e2 + .5 + 2.', {}, '152.5'),
        ('1E-2', {}, '0.01'),
        ('min(a, b, 3)', {'a': 5, 'b': 4}, '3'),
        ('max(a, -b)', {'a': -5, 'b': 4}, '-4'),
        ('max(a)', {'a': 2}, '2'),
        ('abs(a - b)', {'a': 1, 'b': 4}, '3'),
        ('X1 * 2', {'x1': 4}, '8'),  # names are case-insensitive, as in MyEMS
        ('x1 * 2', {'X1': 4}, '8'),
        ('0.1 + 0.2', {}, '0.3'),  # Decimal, not binary floating point
        ('42', {}, '42'),  # a constant expression
    ],
)
def test_values(text: str, values: dict[str, int], expected: str) -> None:
    got = parse(text).evaluate({k: D(v) for k, v in values.items()})
    assert got == D(expected) and isinstance(got, Decimal)


def test_division_is_exact_to_28_digits() -> None:
    assert parse('1 / 3').evaluate({}) == D('0.3333333333333333333333333333')
    assert parse('a / b').evaluate({'a': D('10.5'), 'b': D('2')}) == D('5.25')


def test_variables_and_canonical_text() -> None:
    expression = parse('  Main*2+min(A,b)/ABS(-c)  ')
    assert expression.variables == frozenset({'main', 'a', 'b', 'c'})
    assert str(expression) == 'main * 2 + min(a, b) / abs(-c)'
    assert parse('7').variables == frozenset() and parse('7').is_constant
    assert str(parse('a - (b - c)')) == 'a - (b - c)'
    assert str(parse('((a + b)) + c')) == 'a + b + c'
    assert str(parse('a / (b * c)')) == 'a / (b * c)'
    assert str(parse('-(a * b)')) == '-(a * b)'


@pytest.mark.parametrize(
    ('values', 'expected'),
    [({'a': 5, 'b': 1}, '5'), ({'a': -5, 'b': 1}, '2'), ({'a': -5, 'b': -1}, '0')],
)
def test_piecewise(values: dict[str, int], expected: str) -> None:
    expression = parse('(a, a > 0), (b * 2, b >= 0 and not a == 0), (0, True)')
    assert expression.is_piecewise
    assert expression.evaluate({k: D(v) for k, v in values.items()}) == D(expected)


def test_piecewise_conditions() -> None:
    text = '(1, (a > 0) & (b > 0) | c != 0), (2, (a <= 0 or b < 0) and not (c == 0 or false))'
    expression = parse(text)
    assert str(expression) == '(1, a > 0 and b > 0 or c != 0), (2, (a <= 0 or b < 0) and not (c == 0 or false))'
    assert expression.evaluate({'a': D(1), 'b': D(1), 'c': D(0)}) == 1
    assert expression.evaluate({'a': D(-1), 'b': D(1), 'c': D(3)}) == 1
    assert parse('((a + 1) * 2, (a + 1) > 0)').evaluate({'a': D(1)}) == 4
    assert parse('(a, a + 1 > 0)').evaluate({'a': D(1)}) == 1


def test_piecewise_without_a_true_condition_has_no_value() -> None:
    with pytest.raises(EvaluationError, match='no condition'):
        parse('(a, a > 0)').evaluate({'a': D(-1)})


@pytest.mark.parametrize(
    ('text', 'values', 'message'),
    [
        ('a / b', {'a': 1, 'b': 0}, 'division by zero: b is 0'),
        ('a / (b - c)', {'a': 0, 'b': 2, 'c': 2}, r'division by zero: \(b - c\) is 0'),
        ('a + b', {'a': 1}, "no value for variable 'b'"),
    ],
)
def test_evaluation_errors(text: str, values: dict[str, int], message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        parse(text).evaluate({k: D(v) for k, v in values.items()})


def test_inputs_that_are_not_finite_are_refused() -> None:
    with pytest.raises(EvaluationError, match='not a finite number'):
        parse('a').evaluate({'a': D('NaN')})
    with pytest.raises(EvaluationError, match='not a finite number'):
        parse('a').evaluate({'a': D('Infinity')})


def test_overflow_is_an_evaluation_error() -> None:
    text = ' * '.join(['a'] * 60)
    with pytest.raises(EvaluationError, match='Overflow'):
        parse(text).evaluate({'a': D('1e100000')})


# ------------------------------------------------------------------------------------- refused input
@pytest.mark.parametrize(
    ('text', 'message'),
    [
        ("__import__('os').system('id')", 'contains "__"'),
        ('os.system(1)', "unexpected '.': attribute access is not allowed at 2"),
        ('system(1)', "unknown function 'system'"),
        ('eval(1)', "unknown function 'eval'"),
        ('exec(a)', "unknown function 'exec'"),
        ('open(a)', "unknown function 'open'"),
        ('a.__class__', "unexpected '.'"),
        ('__builtins__', 'contains "__"'),
        ('a__b + 1', 'contains "__"'),
        ('a[0]', 'subscripts are not allowed at 1'),
        ("'abc'", 'strings are not allowed at 0'),
        ('"abc"', 'strings are not allowed at 0'),
        ('lambda: 1', "unexpected ':'"),
        ('lambda x: x', "unexpected 'x'"),
        ('a; b', "unexpected ';'"),
        ('`id`', "unexpected '`'"),
        ('a ** 2', "unexpected '\\*'"),
        ('a ^ 2', 'powers are not supported'),
        ('x = 1', "use '==' to compare"),
        ('a if b else c', "unexpected 'if' at 2"),
        ('[a for a in b]', "unexpected '\\['"),
        ('{}', "unexpected '{'"),
        ('a @ b', "unexpected '@'"),
        ('a\n;b', "unexpected ';'"),
        ('0x10', "unexpected 'x10'"),
        ('1_000', "unexpected '_000'"),
        ('min', "function 'min' needs"),
        ('abs(a, b)', 'abs takes one argument, got 2'),
        ('min()', 'expected a number, a variable'),
        ('a +', 'unexpected end of the expression'),
        ('(a + b', "unexpected end of the expression: expected '\\)'"),
        ('a + b)', "unexpected '\\)'"),
        ('', 'unexpected end of the expression'),
        ('   ', 'unexpected end of the expression'),
        ('a > b', 'a condition is only allowed inside a piece'),
        ('(a > b) + 1', 'a condition is only allowed inside a piece'),
        ('true', 'a condition is only allowed inside a piece'),
        ('a, b', 'a piecewise list is written'),
        ('(a, b)', 'expected a comparison'),
        ('(a, a < b < c)', 'comparisons do not chain'),
        ('(a > 0, a)', "expected ','"),
        ('(a, a > 0), b', "expected '\\(' opening a piece"),
        ('and + 1', "'and' is a reserved word"),
        ('1e5000', 'out of range'),
        ('ä + 1', "unexpected 'ä'.* at 0"),
        ('a\x00', "unexpected '\\\\x00' at 1"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_error_position_points_at_the_problem() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse('a + b * system(1)')
    assert caught.value.position == 8 and str(caught.value).endswith(' at 8')
    assert "unknown function 'system'" in caught.value.message


def test_the_leftmost_problem_is_reported() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("exec('x')")
    assert caught.value.position == 0 and 'exec' in caught.value.message


def test_limits() -> None:
    with pytest.raises(ExpressionError, match=f'longer than {MAX_LENGTH}'):
        parse('a+' * 5000 + 'a')
    assert parse('+'.join(['a'] * 5000)).evaluate({'a': D(1)}) == 5000  # long but flat: fine
    deepest = '(' * (MAX_DEPTH - 1) + 'a' + ')' * (MAX_DEPTH - 1)
    assert parse(deepest).evaluate({'a': D(3)}) == 3
    with pytest.raises(ExpressionError, match=f'nests deeper than {MAX_DEPTH}'):
        parse('(' * (MAX_DEPTH + 1) + 'a' + ')' * (MAX_DEPTH + 1))
    with pytest.raises(ExpressionError, match='nests deeper'):
        parse('-' * 5000 + 'a')
    with pytest.raises(ExpressionError, match='nests deeper'):
        parse('(1, ' + 'not ' * 2000 + 'true)')
    with pytest.raises(ExpressionError, match='nests deeper'):
        parse('min(' * 1000 + 'a' + ')' * 1000)
    parse(' + '.join(f'v{i}' for i in range(100)))
    with pytest.raises(ExpressionError, match='more than 100 variables'):
        parse(' + '.join(f'v{i}' for i in range(101)))


def test_the_deepest_accepted_trees_evaluate_and_print() -> None:
    """At the nesting limit nothing recursive (parse, evaluate, str, ==) exhausts the stack."""
    unary = '-' * (MAX_DEPTH - 1) + 'a'
    calls = 'abs(' * (MAX_DEPTH - 1) + 'a' + ')' * (MAX_DEPTH - 1)
    mixed = '(a - ' * 48 + 'b' + ') * 2' * 48
    condition = '(1, ' + '(' * 90 + 'a > 0' + ')' * 90 + ')'
    for text in (unary, calls, mixed, condition):
        expression = parse(text)
        assert parse(str(expression)) == expression
        assert isinstance(expression.evaluate({'a': D(1), 'b': D(2)}), Decimal)


def test_parsing_and_evaluating_never_call_python_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError('Python evaluation was called')

    for name in ('eval', 'exec', 'compile'):
        monkeypatch.setattr(builtins, name, refuse)
    assert parse('(a * 2, a > 1), (min(a, 1), true)').evaluate({'a': D(3)}) == 6
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('id')")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1.e+-*/(),<>=!&|_ notrufs'[]")), max_size=40) | st.text(max_size=40))
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError as exc:
        assert 0 <= exc.position <= len(text)
        return
    assert parse(str(expression)) == expression


# ---------------------------------------------------------------------------------------- properties
Env = dict[str, Decimal]
NAMES = ['a', 'b', 'Cc', 'x_1']


@dataclass(frozen=True)
class Built:
    """Text written with every grouping explicit, and its value computed directly with Decimal."""

    text: str
    value: Callable[[Env], Decimal]


class Undefined(Exception):
    pass


def _number(d: Decimal) -> Built:
    return Built(str(d), lambda env: d)


def _variable(name: str) -> Built:
    return Built(name, lambda env: env[name.lower()])


def _binary(op: str, left: Built, right: Built) -> Built:
    def value(env: Env) -> Decimal:
        a, b = left.value(env), right.value(env)
        if op == '+':
            return a + b
        if op == '-':
            return a - b
        if op == '*':
            return a * b
        if b == 0:
            raise Undefined
        return a / b

    return Built(f'({left.text}) {op} ({right.text})', value)


def _negative(operand: Built) -> Built:
    return Built(f'-({operand.text})', lambda env: -operand.value(env))


def _call(function: str, arguments: list[Built]) -> Built:
    if function == 'abs':
        arguments = arguments[:1]
        return Built(f'abs({arguments[0].text})', lambda env: abs(arguments[0].value(env)))
    pick = min if function == 'min' else max
    text = f'{function}({", ".join(a.text for a in arguments)})'
    return Built(text, lambda env: pick(a.value(env) for a in arguments))


leaves = st.one_of(
    st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False).map(_number),
    st.integers(min_value=0, max_value=50).map(lambda i: _number(Decimal(i))),
    st.sampled_from(NAMES).map(_variable),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(_binary, st.sampled_from(['+', '-', '*', '/']), inner, inner),
        st.builds(_negative, inner),
        st.builds(_call, st.sampled_from(['min', 'max', 'abs']), st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=12,
)
environments = st.fixed_dictionaries(
    {n.lower(): st.decimals(min_value=-100, max_value=100, places=3, allow_nan=False) for n in NAMES}
)


@dataclass(frozen=True)
class BuiltCondition:
    text: str
    holds: Callable[[Env], bool]


def _compare(op: str, left: Built, right: Built) -> BuiltCondition:
    signs = {'<': {-1}, '<=': {-1, 0}, '>': {1}, '>=': {0, 1}, '==': {0}, '!=': {-1, 1}}[op]  # of a.compare(b)

    def holds(env: Env) -> bool:
        return int(left.value(env).compare(right.value(env))) in signs

    return BuiltCondition(f'{left.text} {op} {right.text}', holds)


def _logic(op: str, left: BuiltCondition, right: BuiltCondition) -> BuiltCondition:
    if op == 'and':
        return BuiltCondition(f'({left.text}) and ({right.text})', lambda env: left.holds(env) and right.holds(env))
    return BuiltCondition(f'({left.text}) or ({right.text})', lambda env: left.holds(env) or right.holds(env))


conditions = st.recursive(
    st.one_of(
        st.builds(_compare, st.sampled_from(['<', '<=', '>', '>=', '==', '!=']), values, values),
        st.booleans().map(lambda b: BuiltCondition(str(b).lower(), lambda env: b)),
    ),
    lambda inner: st.one_of(
        st.builds(_logic, st.sampled_from(['and', 'or']), inner, inner),
        inner.map(lambda c: BuiltCondition(f'not ({c.text})', lambda env: not c.holds(env))),
    ),
    max_leaves=4,
)


def reference(compute: Callable[[], Decimal]) -> Decimal | None:
    """The value computed directly, or None where it is undefined (a division by zero)."""
    try:
        with localcontext(CONTEXT):
            return compute()
    except Undefined:
        return None


@settings(max_examples=300, deadline=None)
@given(values, environments)
def test_evaluation_matches_decimal_arithmetic(built: Built, env: Env) -> None:
    expression = parse(built.text)
    expected = reference(lambda: built.value(env))
    if expected is None:
        with pytest.raises(EvaluationError, match='division by zero'):
            expression.evaluate(env)
    else:
        assert expression.evaluate(env) == expected


@settings(max_examples=300, deadline=None)
@given(values, environments)
def test_canonical_text_round_trips(built: Built, env: Env) -> None:
    expression = parse(built.text)
    canonical = str(expression)
    again = parse(canonical)
    assert again == expression and str(again) == canonical
    assert len(canonical) <= len(built.text)  # only the parentheses the structure needs
    expected = reference(lambda: built.value(env))
    if expected is not None:
        assert again.evaluate(env) == expected


class NoPiece(Exception):
    pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(values, conditions), min_size=1, max_size=3), environments)
def test_piecewise_matches_the_first_condition_that_holds(pieces: list[tuple[Built, BuiltCondition]], env: Env) -> None:
    text = ', '.join(f'({value.text}, {condition.text})' for value, condition in pieces)
    expression = parse(text)
    assert parse(str(expression)) == expression

    def first() -> Decimal:
        for value, condition in pieces:
            if condition.holds(env):
                return value.value(env)
        raise NoPiece

    try:
        expected = reference(first)
    except NoPiece:
        with pytest.raises(EvaluationError, match='no condition'):
            expression.evaluate(env)
        return
    if expected is None:
        with pytest.raises(EvaluationError, match='division by zero'):
            expression.evaluate(env)
    else:
        assert expression.evaluate(env) == expected
