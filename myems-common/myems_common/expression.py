"""A safe expression language for virtual meter equations and virtual point expressions.

User text is never handed to Python: a small tokenizer and a precedence-climbing parser build an
immutable tree, and evaluation walks that tree with Decimal arithmetic.

Grammar (case-insensitive: names and keywords are lower-cased, as MyEMS does):

    expression  := value | piece (',' piece)*          a piecewise list starts with '(' value ','
    piece       := '(' value ',' condition ')'          the first piece whose condition holds wins
    value       := term (('+' | '-') term)*
    term        := unary (('*' | '/') unary)*
    unary       := ('-' | '+') unary | primary
    primary     := number | name | function '(' value (',' value)* ')' | '(' value ')'
    condition   := conjunct (('or' | '|') conjunct)*
    conjunct    := negation (('and' | '&') negation)*
    negation    := 'not' negation | 'true' | 'false' | value compare value | '(' condition ')'
    compare     := '<' | '<=' | '>' | '>=' | '==' | '!='
    number      := digits ['.' digits] [('e' | 'E') ['+' | '-'] digits]  (or '.' digits ...)
    name        := [A-Za-z_][A-Za-z0-9_]*, without '__', not a keyword or function name
    function    := 'min' | 'max' (one or more arguments) | 'abs' (one argument)

Conditions appear only inside pieces; a comparison cannot be chained (`a < b < c`: use `and`).
`&` and `|` are accepted for `and` and `or` (SymPy's spelling) with the precedence of the words.

Limits: text of at most 10,000 characters, nesting (parentheses, calls, unary signs, `not`) at most
100 deep, at most 100 distinct variables, number literals with exponents within +-1000.

Evaluation uses CONTEXT (28 significant digits, half-even). A division by zero, a value that is not
finite, an arithmetic overflow, a missing variable, or a piecewise list where no condition holds
raise EvaluationError naming the problem, so a caller (a daemon) can report that slot and go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

MAX_LENGTH = 10_000
MAX_DEPTH = 100
MAX_VARIABLES = 100
MAX_EXPONENT = 1000
CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999, traps=[DivisionByZero, InvalidOperation, Overflow]
)

FUNCTIONS = frozenset({'min', 'max', 'abs'})
KEYWORDS = frozenset({'and', 'or', 'not', 'true', 'false'})
NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*', re.ASCII)
_TOKEN = re.compile(
    r'(?P<space>\s+)'
    r'|(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)'
    r'|(?P<name>[A-Za-z_][A-Za-z0-9_]*)'
    r'|(?P<op><=|>=|==|!=|[-+*/(),<>&|])',
    re.ASCII,
)
_COMPARE = frozenset({'<', '<=', '>', '>=', '==', '!='})
_CONDITION_WORDS = _COMPARE | {'and', 'or', 'not', 'true', 'false', '&', '|'}


class ExpressionError(ValueError):
    """Text that is not a valid expression; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f'{message} at {position}')
        self.message = message
        self.position = position


class EvaluationError(ArithmeticError):
    """An expression that has no value for the given inputs (division by zero, a missing variable)."""


# ------------------------------------------------------------------------------------------- values
class Value:
    """A node with a number as its value."""

    depth: int

    def evaluate(self, env: Mapping[str, Decimal]) -> Decimal:
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Value):
    value: Decimal
    depth: int = field(default=1, compare=False, repr=False)

    def evaluate(self, env: Mapping[str, Decimal]) -> Decimal:
        return self.value

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Variable(Value):
    name: str
    depth: int = field(default=1, compare=False, repr=False)

    def evaluate(self, env: Mapping[str, Decimal]) -> Decimal:
        try:
            return env[self.name]
        except KeyError:
            raise EvaluationError(f'no value for variable {self.name!r}') from None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Negative(Value):
    operand: Value
    depth: int = field(default=1, compare=False, repr=False)

    def evaluate(self, env: Mapping[str, Decimal]) -> Decimal:
        return -self.operand.evaluate(env)

    def __str__(self) -> str:
        return f'-{_wrapped(self.operand)}'


_ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    '+': lambda a, b: a + b,
    '-': lambda a, b: a - b,
    '*': lambda a, b: a * b,
    '/': lambda a, b: a / b,
}


@dataclass(frozen=True)
class Chain(Value):
    """first op1 x1 op2 x2 ..., left to right: a sum (every op '+' or '-') or a product ('*' or '/')."""

    first: Value
    rest: tuple[tuple[str, Value], ...]
    depth: int = field(default=1, compare=False, repr=False)

    @property
    def is_sum(self) -> bool:
        return self.rest[0][0] in ('+', '-')

    def evaluate(self, env: Mapping[str, Decimal]) -> Decimal:
        total = self.first.evaluate(env)
        for op, operand in self.rest:
            value = operand.evaluate(env)
            if op == '/' and value == 0:
                raise EvaluationError(f'division by zero: {_wrapped(operand)} is 0')
            total = _ARITHMETIC[op](total, value)
        return total

    def __str__(self) -> str:  # a right operand of the same level keeps its parentheses: a - (b - c)
        first = str(self.first) if self.is_sum or not _is_sum(self.first) else f'({self.first})'
        if self.is_sum:
            return first + ''.join(f' {op} {f"({v})" if _is_sum(v) else v}' for op, v in self.rest)
        return first + ''.join(f' {op} {_wrapped(v)}' for op, v in self.rest)


def _is_sum(node: Value) -> bool:
    return isinstance(node, Chain) and node.is_sum


@dataclass(frozen=True)
class Call(Value):
    function: str
    arguments: tuple[Value, ...]
    depth: int = field(default=1, compare=False, repr=False)

    def evaluate(self, env: Mapping[str, Decimal]) -> Decimal:
        values = [a.evaluate(env) for a in self.arguments]
        if self.function == 'abs':
            return abs(values[0])
        pick: Callable[[Decimal, Decimal], bool] = (
            (lambda a, b: a < b) if self.function == 'min' else (lambda a, b: a > b)
        )
        best = values[0]
        for value in values[1:]:
            if pick(value, best):
                best = value
        return best

    def __str__(self) -> str:
        return f'{self.function}({", ".join(str(a) for a in self.arguments)})'


@dataclass(frozen=True)
class Piecewise(Value):
    pieces: tuple[tuple[Value, Condition], ...]
    depth: int = field(default=1, compare=False, repr=False)

    def evaluate(self, env: Mapping[str, Decimal]) -> Decimal:
        for value, condition in self.pieces:
            if condition.holds(env):
                return value.evaluate(env)
        raise EvaluationError('no condition of the piecewise expression holds')

    def __str__(self) -> str:
        return ', '.join(f'({value}, {condition})' for value, condition in self.pieces)


# --------------------------------------------------------------------------------------- conditions
class Condition:
    """A node with true or false as its value."""

    depth: int

    def holds(self, env: Mapping[str, Decimal]) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Condition):
    value: bool
    depth: int = field(default=1, compare=False, repr=False)

    def holds(self, env: Mapping[str, Decimal]) -> bool:
        return self.value

    def __str__(self) -> str:
        return 'true' if self.value else 'false'


_COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    '<': lambda a, b: a < b,
    '<=': lambda a, b: a <= b,
    '>': lambda a, b: a > b,
    '>=': lambda a, b: a >= b,
    '==': lambda a, b: a == b,
    '!=': lambda a, b: a != b,
}


@dataclass(frozen=True)
class Compare(Condition):
    op: str
    left: Value
    right: Value
    depth: int = field(default=1, compare=False, repr=False)

    def holds(self, env: Mapping[str, Decimal]) -> bool:
        return _COMPARISONS[self.op](self.left.evaluate(env), self.right.evaluate(env))

    def __str__(self) -> str:
        return f'{self.left} {self.op} {self.right}'


@dataclass(frozen=True)
class Not(Condition):
    operand: Condition
    depth: int = field(default=1, compare=False, repr=False)

    def holds(self, env: Mapping[str, Decimal]) -> bool:
        return not self.operand.holds(env)

    def __str__(self) -> str:
        return f'not {_wrapped(self.operand, (Logic, Compare))}'


@dataclass(frozen=True)
class Logic(Condition):
    """operands joined by one op, 'and' or 'or', evaluated left to right with short-circuit."""

    op: str
    operands: tuple[Condition, ...]
    depth: int = field(default=1, compare=False, repr=False)

    def holds(self, env: Mapping[str, Decimal]) -> bool:
        if self.op == 'and':
            return all(c.holds(env) for c in self.operands)
        return any(c.holds(env) for c in self.operands)

    def __str__(self) -> str:  # 'and' binds tighter than 'or': an 'and' inside an 'or' needs no parentheses
        return f' {self.op} '.join(
            f'({c})' if isinstance(c, Logic) and (self.op == 'and' or c.op == 'or') else str(c) for c in self.operands
        )


Node = Value | Condition


def _wrapped(node: Node, kinds: tuple[type, ...] = (Chain,)) -> str:
    return f'({node})' if isinstance(node, kinds) else str(node)


# -------------------------------------------------------------------------------------- expression
@dataclass(frozen=True)
class Expression:
    """A parsed expression: its tree, the variables it reads, and evaluation."""

    root: Value
    variables: frozenset[str]

    def evaluate(self, values: Mapping[str, Decimal | int]) -> Decimal:
        """The value for these variable values (keys matched case-insensitively); raises EvaluationError."""
        env: dict[str, Decimal] = {}
        for key, value in values.items():
            number = value if isinstance(value, Decimal) else Decimal(value)
            if not number.is_finite():
                raise EvaluationError(f'variable {key!r} is {number}, not a finite number')
            env[key.lower()] = number
        try:
            with localcontext(CONTEXT):
                result = self.root.evaluate(env)
        except (InvalidOperation, Overflow) as exc:
            raise EvaluationError(f'arithmetic error: {type(exc).__name__}') from None
        return result

    @property
    def is_constant(self) -> bool:
        return not self.variables

    @property
    def is_piecewise(self) -> bool:
        return isinstance(self.root, Piecewise)

    def __str__(self) -> str:
        """The canonical text: lower case, single spaces, only the parentheses the structure needs."""
        return str(self.root)


def parse(text: str) -> Expression:
    """Parse an expression, or raise ExpressionError naming the problem and its position."""
    if not isinstance(text, str):
        raise ExpressionError(f'expected text, got {type(text).__name__}', 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f'the expression is longer than {MAX_LENGTH} characters ({len(text)})', MAX_LENGTH)
    parser = _Parser(text)
    root = parser.expression()
    variables = frozenset(parser.variables)
    return Expression(root, variables)


def check_name(name: str) -> str | None:
    """Why `name` cannot be a variable name, or None if it can."""
    if not NAME.fullmatch(name):
        return f'{name!r} is not a name (a letter or _ then letters, digits or _)'
    lowered = name.lower()
    if '__' in lowered:
        return f'{name!r} contains "__", which names may not'
    if lowered in KEYWORDS or lowered in FUNCTIONS:
        return f'{name!r} is a reserved word'
    return None


# ------------------------------------------------------------------------------------------ parsing
@dataclass(frozen=True)
class _Token:
    kind: str  # 'number', 'name', 'op', 'bad', 'end'
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    """Tokens of the text; a character no token starts with becomes a 'bad' token, reported when reached."""
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            found.append(_Token('bad', text[position], position))
            break
        kind = match.lastgroup or 'bad'
        if kind != 'space':
            value = match.group()
            found.append(_Token(kind, value.lower() if kind == 'name' else value, position))
        position = match.end()
    found.append(_Token('end', '', len(text)))
    return found


def _depth(*children: Node) -> int:
    return 1 + max((c.depth for c in children), default=0)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.nesting = 0
        self.variables: set[str] = set()

    # ------------------------------------------------------------------ token helpers
    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.token
        if token.kind == 'bad':
            raise self.unexpected(token)
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.token
        return token.kind in ('op', 'name') and token.text in texts

    def expect(self, text: str, what: str) -> _Token:
        if not (self.token.kind == 'op' and self.token.text == text):
            raise self.unexpected(self.token, f'expected {what}')
        return self.advance()

    def unexpected(self, token: _Token, hint: str = '') -> ExpressionError:
        if token.kind == 'end':
            return ExpressionError('unexpected end of the expression' + (f': {hint}' if hint else ''), token.position)
        shown = token.text
        if token.kind == 'bad':
            hints = {
                '.': 'attribute access is not allowed',
                '[': 'subscripts are not allowed',
                "'": 'strings are not allowed',
                '"': 'strings are not allowed',
                '=': "use '==' to compare",
                '^': 'powers are not supported',
                ';': 'one expression only',
            }
            hint = hints.get(shown, hint)
        message = f'unexpected {shown!r}'
        return ExpressionError(f'{message}: {hint}' if hint else message, token.position)

    def enter(self, position: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise ExpressionError(f'the expression nests deeper than {MAX_DEPTH} levels', position)

    def node(self, build: Callable[[int], Node], position: int, *children: Node) -> Node:
        depth = _depth(*children)
        if depth > MAX_DEPTH:
            raise ExpressionError(f'the expression nests deeper than {MAX_DEPTH} levels', position)
        return build(depth)

    # ------------------------------------------------------------------ grammar
    def expression(self) -> Value:
        if self.starts_piecewise():
            root: Value = self.piecewise()
        else:
            root = self.value()
        if self.token.kind != 'end':
            hint = 'a condition is only allowed inside a piece (value, condition)' if self.at(*_COMPARE) else ''
            if self.at(','):
                hint = 'a piecewise list is written (value, condition), (value, condition)'
            raise self.unexpected(self.token, hint)
        return root

    def starts_piecewise(self) -> bool:
        """True if the text opens with '(' whose group holds a comma at its own level."""
        if not self.at('('):
            return False
        level = 0
        for token in self.tokens:
            if token.kind == 'bad':
                return False
            if token.text == '(' and token.kind == 'op':
                level += 1
            elif token.text == ')' and token.kind == 'op':
                level -= 1
                if level == 0:
                    return False
            elif token.text == ',' and token.kind == 'op' and level == 1:
                return True
        return False

    def piecewise(self) -> Piecewise:
        pieces: list[tuple[Value, Condition]] = []
        start = self.token.position
        while True:
            self.expect('(', "'(' opening a piece (value, condition)")
            value = self.value()
            self.expect(',', "',' between a piece's value and its condition")
            condition = self.condition()
            self.expect(')', "')' closing a piece (value, condition)")
            pieces.append((value, condition))
            if not self.at(','):
                break
            self.advance()
        children = [n for piece in pieces for n in piece]
        built = self.node(lambda d: Piecewise(tuple(pieces), d), start, *children)
        assert isinstance(built, Piecewise)
        return built

    def value(self) -> Value:
        return self.chain(('+', '-'), self.term)

    def term(self) -> Value:
        return self.chain(('*', '/'), self.unary)

    def chain(self, ops: tuple[str, ...], operand: Callable[[], Value]) -> Value:
        start = self.token.position
        first = operand()
        rest: list[tuple[str, Value]] = []
        while self.at(*ops):
            op = self.advance().text
            rest.append((op, operand()))
        if not rest:
            return first
        if isinstance(first, Chain) and first.rest[0][0] in ops:  # '(a + b) + c' is the same sum as 'a + b + c'
            rest = [*first.rest, *rest]
            first = first.first
        return self.value_node(lambda d: Chain(first, tuple(rest), d), start, first, *(v for _, v in rest))

    def value_node(self, build: Callable[[int], Value], position: int, *children: Value) -> Value:
        built = self.node(build, position, *children)
        assert isinstance(built, Value)
        return built

    def unary(self) -> Value:
        if self.at('-', '+'):
            token = self.advance()
            self.enter(token.position)
            operand = self.unary()
            self.nesting -= 1
            if token.text == '+':
                return operand
            return self.value_node(lambda d: Negative(operand, d), token.position, operand)
        return self.primary()

    def primary(self) -> Value:
        token = self.token
        if token.kind == 'number':
            self.advance()
            return Number(self.number(token))
        if self.at('not', 'true', 'false'):
            raise self.unexpected(token, 'a condition is only allowed inside a piece (value, condition)')
        if token.kind == 'name':
            self.advance()
            if self.at('('):
                return self.call(token)
            return self.variable(token)
        if self.at('('):
            self.advance()
            self.enter(token.position)
            inner = self.value()
            if self.at(*_COMPARE, 'and', 'or', '&', '|'):
                raise self.unexpected(self.token, 'a condition is only allowed inside a piece (value, condition)')
            self.expect(')', "')'")
            self.nesting -= 1
            return inner
        raise self.unexpected(token, 'expected a number, a variable, a function or (')

    def number(self, token: _Token) -> Decimal:
        number = Decimal(token.text)
        if number and abs(number.adjusted()) > MAX_EXPONENT:
            raise ExpressionError(
                f'number {token.text} is out of range (exponent beyond +-{MAX_EXPONENT})', token.position
            )
        return number

    def variable(self, token: _Token) -> Variable:
        problem = check_name(token.text)
        if problem is not None:
            if token.text in FUNCTIONS:
                problem = f'function {token.text!r} needs (arguments)'
            raise ExpressionError(problem, token.position)
        self.variables.add(token.text)
        if len(self.variables) > MAX_VARIABLES:
            raise ExpressionError(f'more than {MAX_VARIABLES} variables', token.position)
        return Variable(token.text)

    def call(self, name: _Token) -> Value:
        if '__' in name.text:
            raise ExpressionError(f'{name.text!r} contains "__", which names may not', name.position)
        if name.text not in FUNCTIONS:
            raise ExpressionError(
                f'unknown function {name.text!r} (known: {", ".join(sorted(FUNCTIONS))})', name.position
            )
        self.advance()  # '('
        self.enter(name.position)
        arguments = [self.value()]
        while self.at(','):
            self.advance()
            arguments.append(self.value())
        self.expect(')', f"')' closing {name.text}(")
        self.nesting -= 1
        if name.text == 'abs' and len(arguments) != 1:
            raise ExpressionError(f'abs takes one argument, got {len(arguments)}', name.position)
        return self.value_node(lambda d: Call(name.text, tuple(arguments), d), name.position, *arguments)

    # ------------------------------------------------------------------ conditions
    def condition(self) -> Condition:
        return self.logic('or', ('or', '|'), self.conjunct)

    def conjunct(self) -> Condition:
        return self.logic('and', ('and', '&'), self.negation)

    def logic(self, op: str, spellings: tuple[str, ...], operand: Callable[[], Condition]) -> Condition:
        start = self.token.position
        operands = [operand()]
        while self.at(*spellings):
            self.advance()
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        built = self.node(lambda d: Logic(op, tuple(operands), d), start, *operands)
        assert isinstance(built, Condition)
        return built

    def negation(self) -> Condition:
        token = self.token
        if self.at('not'):
            self.advance()
            self.enter(token.position)
            operand = self.negation()
            self.nesting -= 1
            built = self.node(lambda d: Not(operand, d), token.position, operand)
            assert isinstance(built, Condition)
            return built
        if self.at('true', 'false'):
            self.advance()
            return Constant(token.text == 'true')
        if self.at('(') and self.group_is_condition():
            self.advance()
            self.enter(token.position)
            inner = self.condition()
            self.expect(')', "')'")
            self.nesting -= 1
            return inner
        left = self.value()
        if not self.at(*_COMPARE):
            raise self.unexpected(self.token, 'expected a comparison (< <= > >= == !=)')
        op = self.advance().text
        right = self.value()
        if self.at(*_COMPARE):
            raise self.unexpected(self.token, "comparisons do not chain: use 'and'")
        built = self.node(lambda d: Compare(op, left, right, d), token.position, left, right)
        assert isinstance(built, Condition)
        return built

    def group_is_condition(self) -> bool:
        """At '(': does the group hold a comparison or a logical word? (A value never does.)"""
        level = 0
        for token in self.tokens[self.index :]:
            if token.kind == 'op' and token.text == '(':
                level += 1
            elif token.kind == 'op' and token.text == ')':
                level -= 1
                if level == 0:
                    return False
            elif token.text in _CONDITION_WORDS and token.kind in ('op', 'name'):
                return True
            elif token.kind in ('end', 'bad'):
                return False
        return False
