"""Virtual meters' evaluation order and cycles: examples and properties (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myems_common.dependencies import CycleError, cycle_from, describe_cycle, evaluation_order

NAMES = {1: 'A', 2: 'B', 3: 'C', 4: 'D'}


def test_order_puts_inputs_first() -> None:
    assert evaluation_order({1: [2, 3], 2: [3], 3: []}) == [3, 2, 1]
    assert evaluation_order({1: [], 2: []}) == [1, 2]
    assert evaluation_order({1: [99]}) == [1]  # ids outside the graph are leaves


def test_cycles_are_named() -> None:
    with pytest.raises(CycleError, match='virtual meter A -> B -> A') as caught:
        evaluation_order({1: [2], 2: [1], 3: []}, NAMES)
    assert caught.value.path == [1, 2, 1]
    with pytest.raises(CycleError, match='virtual meter C -> C'):
        evaluation_order({3: [3]}, NAMES)
    with pytest.raises(CycleError, match='virtual meter B -> C -> D -> B'):
        evaluation_order({1: [2], 2: [3], 3: [4], 4: [2]}, NAMES)


def test_cycle_through_one_meter() -> None:
    assert cycle_from({1: [2], 2: [1]}, 1) == [1, 2, 1]
    assert cycle_from({1: [1]}, 1) == [1, 1]
    assert cycle_from({1: [2], 2: [3], 3: [1, 2]}, 1) == [1, 2, 3, 1]
    assert cycle_from({1: [2], 2: [3], 3: [2]}, 1) is None  # a cycle elsewhere is not this meter's
    assert cycle_from({1: [2, 3], 2: [3], 3: []}, 1) is None
    assert describe_cycle([1, 7, 1], NAMES) == 'virtual meter A -> 7 -> A'


def test_a_long_chain_does_not_exhaust_the_stack() -> None:
    chain = {i: [i + 1] for i in range(1, 20_000)}
    assert evaluation_order(chain)[:2] == [19_999, 19_998]
    chain[19_999] = [1]
    assert cycle_from(chain, 1) is not None and len(cycle_from(chain, 1) or []) == 20_000


graphs = st.dictionaries(
    st.integers(min_value=1, max_value=12), st.lists(st.integers(min_value=1, max_value=14), max_size=4), max_size=12
)


def is_cycle(graph: dict[int, list[int]], path: list[int]) -> bool:
    return (
        len(path) >= 2
        and path[0] == path[-1]
        and all(b in graph.get(a, []) for a, b in zip(path, path[1:], strict=False))
    )


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_order_or_a_real_cycle(graph: dict[int, list[int]]) -> None:
    try:
        order = evaluation_order(graph)
    except CycleError as exc:
        assert is_cycle(graph, exc.path)
        assert any(cycle_from(graph, node) for node in graph)
        return
    assert sorted(order) == sorted(graph)
    position = {node: i for i, node in enumerate(order)}
    for node, inputs in graph.items():
        assert all(position[node] > position[i] for i in inputs if i in graph)
        assert cycle_from(graph, node) is None


@settings(max_examples=300, deadline=None)
@given(graphs, st.integers(min_value=1, max_value=12))
def test_cycle_from_finds_a_cycle_exactly_when_the_meter_reaches_itself(
    graph: dict[int, list[int]], start: int
) -> None:
    reached, frontier = set(), [start]
    while frontier:
        node = frontier.pop()
        for target in graph.get(node, []):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    path = cycle_from(graph, start)
    assert (path is not None) == (start in reached)
    if path is not None:
        assert path[0] == start and is_cycle(graph, path)
