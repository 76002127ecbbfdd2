"""The rollup's arithmetic (graph_service.analytics.treesum) against a brute force over each
member's downline, on random forests: deep chains, wide stars, several roots, refunds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_service.analytics import treesum

ACTIVE = 100


@st.composite
def forests(draw: Any) -> tuple[list[str], list[str | None], list[int], list[list[int]]]:
    """ids in random order, each sponsored by an earlier member or a root; PV per period."""
    n = draw(st.integers(min_value=0, max_value=60))
    shape = draw(st.sampled_from(["random", "chain", "star", "roots"]))
    sponsors: list[int | None] = []
    for i in range(n):
        if i == 0 or (shape == "roots" and draw(st.booleans())):
            sponsors.append(None)
        elif shape == "chain":
            sponsors.append(i - 1)
        elif shape == "star":
            sponsors.append(0)
        else:
            sponsors.append(
                draw(st.integers(min_value=0, max_value=i - 1)) if draw(st.integers(0, 9)) else None
            )
    names = draw(st.lists(st.text("ab€😀1", min_size=1, max_size=4), min_size=n, max_size=n, unique=True))
    depth: list[int] = []
    for s in sponsors:
        depth.append(0 if s is None else depth[s] + 1)
    periods = draw(st.integers(min_value=0, max_value=3))
    pv = [[draw(st.integers(min_value=-300, max_value=300)) for _ in range(periods)] for _ in range(n)]
    order = draw(st.permutations(list(range(n))))  # the read returns members in any order
    return (
        [names[i] for i in order],
        [None if sponsors[i] is None else names[sponsors[i]] for i in order],  # type: ignore[index]
        [depth[i] for i in order],
        [pv[i] for i in order] if n else [],
    )


def _brute(ids: list[str], sponsors: list[str | None], pv: list[list[int]]) -> dict[str, Any]:
    kids: dict[str | None, list[str]] = {}
    for i, s in zip(ids, sponsors, strict=True):
        kids.setdefault(s, []).append(i)
    own = dict(zip(ids, pv, strict=True))

    def below(i: str, level: int = 1) -> list[tuple[str, int]]:
        out = []
        for c in kids.get(i, []):
            out.append((c, level))
            out.extend(below(c, level + 1))
        return out

    preorder: list[str] = []

    def visit(i: str) -> None:
        preorder.append(i)
        for c in sorted(kids.get(i, [])):
            visit(c)

    for root in sorted(kids.get(None, [])):
        visit(root)
    pos = {i: n for n, i in enumerate(preorder)}
    out: dict[str, Any] = {}
    periods = len(pv[0]) if pv else 0
    for i in ids:
        down = below(i)
        height = max((lv for _, lv in down), default=0)
        legs = kids.get(i, [])
        gv = [own[i][p] + sum(own[d][p] for d, _ in down) for p in range(periods)]
        leg_gv = [[own[c][p] + sum(own[d][p] for d, _ in below(c)) for p in range(periods)] for c in legs]
        out[i] = {
            "size": len(down),
            "height": height,
            "dsum": sum(lv for _, lv in down),
            "levels": [sum(1 for _, lv in down if lv == k) for k in range(1, height + 1)],
            "pv": own[i],
            "gv": gv,
            "act": [sum(1 for d, _ in down if own[d][p] >= ACTIVE) for p in range(periods)],
            "maxleg": [max((leg[p] for leg in leg_gv), default=0) for p in range(periods)],
            "pre": pos[i],
        }
    return out


@settings(max_examples=300, deadline=None)
@given(forests())
def test_figures_equal_the_brute_force(
    f: tuple[list[str], list[str | None], list[int], list[list[int]]],
) -> None:
    ids, sponsors, depths, pv = f
    forest = treesum.forest(ids, sponsors, depths)
    periods = len(pv[0]) if pv else 0
    got = treesum.figures(forest, np.asarray(pv, dtype=np.int64).reshape(len(ids), periods), ACTIVE)
    want = _brute(ids, sponsors, pv)
    for r, i in enumerate(ids):
        mine = {
            "size": int(got.size[r]),
            "height": int(got.height[r]),
            "dsum": int(got.dsum[r]),
            "levels": got.levels(r),
            "pv": got.pv[r].tolist(),
            "gv": got.gv[r].tolist(),
            "act": got.act[r].tolist(),
            "maxleg": got.maxleg[r].tolist(),
            "pre": int(got.pre[r]),
        }
        assert mine == want[i], i


def test_a_chain_of_1500_and_a_star_of_5000() -> None:
    n = 1500
    ids = [f"c{i:05d}" for i in range(n)]
    forest = treesum.forest(ids, [None, *ids[:-1]], list(range(n)))
    got = treesum.figures(forest, np.ones((n, 1), dtype=np.int64), 1)
    assert got.size.tolist() == list(range(n - 1, -1, -1))
    assert got.levels(0) == [1] * (n - 1)
    assert got.levels(n - 1) == []
    assert got.gv[:, 0].tolist() == list(range(n, 0, -1))
    assert got.pre.tolist() == list(range(n))
    star = ["root"] + [f"s{i}" for i in range(5000, 0, -1)]  # listed in reverse id order
    got = treesum.figures(
        treesum.forest(star, [None] + ["root"] * 5000, [0] + [1] * 5000), np.zeros((5001, 0), np.int64), 1
    )
    assert got.levels(0) == [5000]
    assert got.height[0] == 1
    assert got.dsum[0] == 5000
    assert sorted(star[1:], key=lambda s: int(got.pre[star.index(s)])) == sorted(star[1:])


def test_volumes_ignore_ids_that_are_not_members() -> None:
    index = pd.Index(["a", "b"], dtype=object)
    pv = treesum.volumes(index, 2, [(["b", "zz"], [5, 7]), (["a"], [-3])])
    assert pv.tolist() == [[0, -3], [5, 0]]


@pytest.mark.parametrize(
    ("ids", "sponsors", "depths", "message"),
    [
        (["a", "b"], [None, "x"], [0, 1], "the sponsor x of b is not in the network"),
        (["a", "b"], [None, "a"], [0, 2], "b is stored at depth 2, not one below its sponsor"),
        (["a", "a"], [None, None], [0, 0], "distributor ids are not unique"),
        (["a"], [""], [1], "a is stored at depth 1"),
    ],
)
def test_a_broken_forest_is_refused_with_the_member_named(
    ids: list[str], sponsors: list[str | None], depths: list[int], message: str
) -> None:
    with pytest.raises(treesum.ForestError, match=message):
        treesum.forest(ids, sponsors, depths)


def test_sums_that_could_overflow_are_refused() -> None:
    forest = treesum.forest(["a", "b"], [None, "a"], [0, 1])
    with pytest.raises(treesum.DownlineError, match="too large"):
        treesum.figures(forest, np.full((2, 1), 2**62, dtype=np.int64), 1)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=5), unique=True, max_size=40))
def test_ids_sort_by_code_point_as_python_sorts_them(ids: list[str]) -> None:
    """Also ids with NULs (numpy's fixed-width strings would drop a trailing one) and outside
    the BMP."""
    got = treesum._by_code_point(ids).tolist()
    assert got == sorted(range(len(ids)), key=ids.__getitem__)
    assert treesum._by_code_point(["a\x00", "a", "\x00"]).tolist() == [2, 1, 0]
