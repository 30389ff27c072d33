from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from myems_mqtt.jsonpath import PathError, extract, format_path, parse_path

DOC = {'value': 1.5, 'a': {'b': [10, {'c': 'x'}]}, 'key with spaces': 7, 'dash-key': 3}


@pytest.mark.parametrize(
    ('path', 'expected'),
    [
        ('$', DOC),
        ('', DOC),
        (None, DOC),
        ('$.value', 1.5),
        ('$.a.b[0]', 10),
        ('$.a.b[1].c', 'x'),
        ("$['key with spaces']", 7),
        ('$["key with spaces"]', 7),
        ('$.dash-key', 3),
        ("$['a']['b'][1]['c']", 'x'),
    ],
)
def test_extract(path: str | None, expected: object) -> None:
    assert extract(DOC, parse_path(path)) == expected


@pytest.mark.parametrize('path', ['$.missing', '$.a.b[2]', '$.value.x', '$.a[0]', '$.a.b.c'])
def test_missing_values_raise(path: str) -> None:
    with pytest.raises(PathError, match='not found'):
        extract(DOC, parse_path(path))


@pytest.mark.parametrize(
    'path', ['value', '$.', '$..value', '$.a[*]', '$[-1]', '$.a[?(@.b)]', "$['unterminated", '$ .a', '$.a b', 42]
)
def test_unsupported_paths_are_refused(path: object) -> None:
    with pytest.raises(PathError):
        parse_path(path)  # type: ignore[arg-type]


def test_a_list_root_is_indexed() -> None:
    assert extract([4, 5], parse_path('$[1]')) == 5


step = st.one_of(st.integers(0, 1000), st.text(st.characters(blacklist_characters='"\'', codec='utf-8'), max_size=12))


@given(st.lists(step, max_size=6))
def test_format_then_parse_gives_the_same_steps(steps: list[str | int]) -> None:
    assert parse_path(format_path(tuple(steps))) == tuple(steps)
