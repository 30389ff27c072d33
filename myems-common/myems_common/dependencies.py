"""Evaluation order of virtual meters and the cycles that forbid one.

A virtual meter depends on the virtual meters its variables are bound to (meters and offline meters
are leaves). The graph maps each virtual meter id to the ids it reads; ids outside the graph are
treated as leaves. Everything here is iterative, so a long chain cannot exhaust the stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Graph = Mapping[int, Iterable[int]]


class CycleError(ValueError):
    """A dependency cycle; `path` lists its ids, the first repeated at the end (A -> B -> A)."""

    def __init__(self, path: list[int], names: Mapping[int, str] | None = None) -> None:
        super().__init__(describe_cycle(path, names or {}))
        self.path = path


def describe_cycle(path: list[int], names: Mapping[int, str]) -> str:
    """'virtual meter A -> B -> A', with ids where a name is unknown."""
    return 'virtual meter ' + ' -> '.join(names.get(i, str(i)) for i in path)


def _inputs(graph: Graph, node: int) -> list[int]:
    return sorted(set(graph.get(node, ())))


def cycle_from(graph: Graph, start: int) -> list[int] | None:
    """A cycle through `start` (start -> ... -> start), shortest in hops, or None."""
    parents: dict[int, int] = {}
    frontier = [start]
    while frontier:
        following: list[int] = []
        for node in frontier:
            for target in _inputs(graph, node):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    return None


def evaluation_order(graph: Graph, names: Mapping[int, str] | None = None) -> list[int]:
    """Every virtual meter of the graph, each after the virtual meters it reads; raises CycleError."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    order: list[int] = []
    for root in sorted(graph):
        if state.get(root):
            continue
        stack: list[tuple[int, list[int]]] = [(root, _inputs(graph, root))]
        state[root] = 1
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                state[node] = 2
                order.append(node)
                continue
            target = pending.pop(0)
            if target not in graph or state.get(target) == 2:
                continue
            if state.get(target) == 1:
                path = [n for n, _ in stack]
                raise CycleError([*path[path.index(target) :], target], names)
            state[target] = 1
            stack.append((target, _inputs(graph, target)))
    return order
