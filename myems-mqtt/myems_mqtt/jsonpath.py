"""A small, safe subset of JSONPath: pick one value out of a decoded JSON document.

Accepted: ``$`` (the whole document), ``$.name``, ``$.a.b``, ``$.a[0]``, ``$['key with spaces']``,
``$["key"]`` and any chain of these. Names after a dot are letters, digits, ``_`` and ``-``; any other key
goes in brackets and quotes (no escapes inside). No wildcards, filters, slices, recursion or negative
indexes: a path names exactly one value or nothing.
"""

from __future__ import annotations

import re
from typing import Any

Step = str | int

_DOT_NAME = re.compile(r'\.([A-Za-z0-9_-]+)')
_INDEX = re.compile(r'\[(\d+)\]')
_QUOTED = re.compile(r"""\[(?:'([^']*)'|"([^"]*)")\]""")
MAX_PATH_LENGTH = 256


class PathError(ValueError):
    """A path that cannot be parsed, or a document in which the path names nothing."""


def parse_path(text: str | None) -> tuple[Step, ...]:
    """The steps of `text`; None, '' and '$' name the whole document."""
    if text is None:
        return ()
    if not isinstance(text, str):
        raise PathError(f'a JSON path must be a string, got {type(text).__name__}')
    text = text.strip()
    if text in ('', '$'):
        return ()
    if len(text) > MAX_PATH_LENGTH:
        raise PathError(f'JSON path longer than {MAX_PATH_LENGTH} characters')
    if not text.startswith('$'):
        raise PathError(f'JSON path {text!r} must start with $')
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        for pattern in (_DOT_NAME, _INDEX, _QUOTED):
            match = pattern.match(text, pos)
            if match:
                break
        else:
            raise PathError(f'JSON path {text!r}: cannot read from position {pos} ({text[pos:]!r})')
        if pattern is _INDEX:
            steps.append(int(match.group(1)))
        elif pattern is _QUOTED:
            steps.append(match.group(1) if match.group(1) is not None else match.group(2))
        else:
            steps.append(match.group(1))
        pos = match.end()
    return tuple(steps)


def format_path(steps: tuple[Step, ...]) -> str:
    """The canonical text of parsed steps (used in log messages)."""
    out = '$'
    for step in steps:
        if isinstance(step, int):
            out += f'[{step}]'
        elif _DOT_NAME.fullmatch('.' + step):
            out += '.' + step
        else:
            out += f"['{step}']" if "'" not in step else f'["{step}"]'
    return out


def extract(document: Any, steps: tuple[Step, ...]) -> Any:
    """The value that `steps` name in `document`; PathError if there is none."""
    value = document
    for depth, step in enumerate(steps):
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                raise PathError(f'{format_path(steps[: depth + 1])} not found')
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                raise PathError(f'{format_path(steps[: depth + 1])} not found')
            value = value[step]
    return value
