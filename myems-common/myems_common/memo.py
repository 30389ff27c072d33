"""A dictionary that works out a missing value once, when first asked for it, and keeps it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

K = TypeVar('K')
V = TypeVar('V')


class Memo(dict[K, V]):
    """`memo[key]` is `find(key)`, found on the first lookup and kept (a per-pass table: a slot's price, an
    emission factor at an instant, a slot start's datetime). A plain dict lookup once found."""

    def __init__(self, find: Callable[[K], V]) -> None:
        super().__init__()
        self.find = find

    def __missing__(self, key: K) -> V:
        value = self[key] = self.find(key)
        return value
