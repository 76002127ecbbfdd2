"""Grouping thin levels of the rollup into one step each (graph_service.analytics.rollup.groups)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graph_service.analytics.rollup import groups


def test_thin_levels_share_a_step_and_big_ones_stand_alone() -> None:
    levels = [(5, 1), (4, 1), (3, 10), (2, 500), (1, 3), (0, 1)]
    assert groups(levels, 20) == [[5, 4, 3], [2], [1, 0]]
    assert groups([(d, 1) for d in range(1499, -1, -1)], 2000) == [list(range(1499, -1, -1))]
    assert groups([], 10) == []


@given(st.lists(st.integers(min_value=0, max_value=50), max_size=60), st.integers(min_value=1, max_value=100))
def test_groups_keep_the_order_and_the_budget(counts: list[int], batch: int) -> None:
    levels = list(enumerate(counts))
    out = groups(levels, batch)
    assert [d for g in out for d in g] == [d for d, _ in levels]  # every depth once, in order
    size = dict(levels)
    for g in out:
        assert len(g) == 1 or sum(size[d] for d in g) <= batch
