"""The forced-matrix placement (graph_service.matrix) against the contract's worked examples and the
independent reference (tests/reference_matrix.py), without Neo4j."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.matrix import Batch, Forest, Placed, Positions, place, placement_order
from tests.reference import Distributor, Net
from tests.reference_commissions import matrix_tree
from tests.reference_matrix import Position, children_of, place_imports


def _d(i: str, sponsor: str | None, joined: str | None = None) -> Distributor:
    return Distributor(i, sponsor, None, date.fromisoformat(joined) if joined else None)


def _batch(members: list[Distributor]) -> Batch:
    return Batch([m.id for m in members], [m.sponsor_id for m in members], [m.joined_on for m in members])


def _positions(
    placed: list[Placed], roots: set[str] | None = None, root_of: dict[str, str] | None = None
) -> Positions:
    """What the database would hand back: the positions of the matrices of `roots` (all by default)."""
    ids: list[str] = []
    seqs: list[int] = []
    parents: list[int] = []
    seq_of = {i: s for p in placed for i, s in zip(p.ids, p.seqs, strict=True)}
    for p in placed:
        for i, parent, s in zip(p.ids, p.parent_ids, p.seqs, strict=True):
            if roots is not None and root_of is not None and root_of[i] not in roots:
                continue
            ids.append(i)
            seqs.append(s)
            parents.append(-1 if parent is None else seq_of[parent])
    return Positions(ids, np.array(seqs, np.int64), np.array(parents, np.int64))


def _as_reference(placed: list[Placed]) -> dict[str, Position]:
    return {
        i: Position(parent, s, depth)
        for p in placed
        for i, parent, s, depth in zip(p.ids, p.parent_ids, p.seqs, p.depths, strict=True)
    }


def _sponsor_roots(imports: list[list[Distributor]]) -> dict[str, str]:
    sponsor = {d.id: d.sponsor_id for batch in imports for d in batch}
    root: dict[str, str] = {}
    for i in sponsor:
        path = [i]
        while sponsor[path[-1]] is not None and path[-1] not in root:
            path.append(sponsor[path[-1]])  # type: ignore[arg-type]
        top = root.get(path[-1], path[-1])
        for x in path:
            root[x] = top
    return root


def _place_like_imports(imports: list[list[Distributor]], width: int) -> dict[str, Position]:
    """Each import placed on its own, from the positions a database would load for it: only the
    matrices of the roots its newcomers join."""
    root_of = _sponsor_roots(imports)
    done: list[Placed] = []
    next_seq = 0
    for batch in imports:
        mine = {d.id for d in batch}
        roots = {root_of[d.id] for d in batch if root_of[d.id] not in mine}
        (placed,) = place(width, _positions(done, roots, root_of), [_batch(batch)], next_seq=next_seq)
        done.append(placed)
        next_seq += len(placed)
    return _as_reference(done)


# -- the contract's worked examples ---------------------------------------------------------------


def test_width_2_six_recruits_fill_the_root_then_its_first_then_its_second_recruit() -> None:
    members = [_d("R", None, "2025-01-01")] + [
        _d(x, "R", f"2025-02-0{k + 1}") for k, x in enumerate("ABCDEF")
    ]
    (placed,) = place(2, Positions(), [_batch(members)], next_seq=0)
    assert placed.ids == ["R", "A", "B", "C", "D", "E", "F"]
    assert dict(zip(placed.ids, placed.parent_ids, strict=True)) == {
        "R": None, "A": "R", "B": "R", "C": "A", "D": "A", "E": "B", "F": "B",
    }  # fmt: skip
    assert placed.depths == [0, 1, 1, 2, 2, 2, 2]
    assert placed.seqs == list(range(7))


def test_a_recruit_who_joined_before_the_sponsor_is_placed_right_after_them() -> None:
    members = [
        _d("R", None, "2025-01-01"),
        _d("A", "R", "2025-01-02"),
        _d("B", "R", "2025-01-03"),
        _d("K1", "K", "2025-01-04"),  # joined before their sponsor K
        _d("C", "R", "2025-01-05"),
        _d("K", "R", "2025-01-09"),
        _d("E", "R", None),  # missing dates last
    ]
    (placed,) = place(2, Positions(), [_batch(members)], next_seq=0)
    assert placed.ids == ["R", "A", "B", "C", "K", "K1", "E"]
    # C spills under A; K under A (A's second place); K1 under their sponsor K; E under B
    assert dict(zip(placed.ids, placed.parent_ids, strict=True)) == {
        "R": None, "A": "R", "B": "R", "C": "A", "K": "A", "K1": "K", "E": "B",
    }  # fmt: skip


def test_ties_by_id_in_code_point_order_and_waiting_recruits_depth_first() -> None:
    same = "2025-03-03"
    members = [
        _d("b", None, same), _d("B", None, same), _d("é", None, same), _d("z", None, same),
        _d("S", None, None), _d("A", "S", "2025-01-01"), _d("A1", "A", "2024-12-01"),
        _d("A2", "A", "2024-12-02"), _d("A11", "A1", "2024-11-01"), _d("T", "S", "2025-02-01"),
    ]  # fmt: skip
    order = placement_order(
        [m.id for m in members], [m.sponsor_id for m in members], [m.joined_on for m in members]
    )
    # by date: A11, A1, A2 (all wait), A (waits for S), T (waits), then b/B/é/z on 03-03: "B" < "b"
    # < "z" < "é" in code points; S (no date) last, then its waiting A, A's A1, A1's A11, A2, T
    assert [members[k].id for k in order] == ["B", "b", "z", "é", "S", "A", "A1", "A11", "A2", "T"]


def test_later_imports_place_newcomers_without_moving_anyone() -> None:
    first = [_d("R", None, "2025-01-01")] + [_d(f"A{k}", "R", f"2025-01-0{k + 2}") for k in range(3)]
    second = [_d("N1", "A0", "2024-01-01"), _d("N2", "R", "2024-01-02"), _d("N0", None, None)]
    got = _place_like_imports([first, second], 2)
    assert got == place_imports([first, second], 2)
    # R: A0, A1 (full); A2 under A0. Then N1 (their sponsor A0 has room), N2 spills to A1
    assert {i: p.parent for i, p in got.items()} == {
        "R": None, "A0": "R", "A1": "R", "A2": "A0", "N1": "A0", "N2": "A1", "N0": None,
    }  # fmt: skip
    assert [got[i].seq for i in ("N1", "N2", "N0")] == [4, 5, 6]


def test_level_in_placement_order_not_parent_by_parent() -> None:
    members = [
        _d("R", None, "2025-01-01"), _d("A", "R", "2025-01-02"), _d("B", "R", "2025-01-03"),
        _d("B1", "B", "2025-01-04"), _d("B2", "B", "2025-01-05"),
        _d("A1", "A", "2025-01-06"), _d("A2", "A", "2025-01-07"), _d("Z", "R", "2025-01-08"),
    ]  # fmt: skip
    (placed,) = place(2, Positions(), [_batch(members)], next_seq=0)
    assert dict(zip(placed.ids, placed.parent_ids, strict=True))["Z"] == "B1"


def test_width_1_is_a_chain_per_root() -> None:
    members = [_d("R", None, "2025-01-01")] + [_d(f"A{k}", "R", f"2025-01-{k + 2:02d}") for k in range(5)]
    members += [_d("X", "A1", "2025-02-01"), _d("Q", None, "2025-02-02"), _d("Q1", "Q", "2025-02-03")]
    (placed,) = place(1, Positions(), [_batch(members)], next_seq=10)
    parent = dict(zip(placed.ids, placed.parent_ids, strict=True))
    assert parent == {"R": None, "A0": "R", "A1": "A0", "A2": "A1", "A3": "A2", "A4": "A3", "X": "A4",
                      "Q": None, "Q1": "Q"}  # fmt: skip
    assert placed.seqs[0] == 10
    assert placed.depths[placed.ids.index("X")] == 6


def test_errors() -> None:
    with pytest.raises(ValueError, match="cycle"):
        placement_order(["A", "B"], ["B", "A"], [None, None])
    with pytest.raises(ValueError, match="width"):
        Forest(0, np.zeros(0, np.int64))
    with pytest.raises(ValueError, match="more than 1"):
        Forest(1, np.array([-1, 0, 0], np.int64))
    with pytest.raises(ValueError, match="before its child"):
        Forest(2, np.array([1, -1], np.int64))
    from graph_service.errors import DownlineError

    with pytest.raises(DownlineError, match="no matrix position"):
        place(2, Positions(), [_batch([_d("A", "NOBODY")])], next_seq=0)


# -- against the reference ------------------------------------------------------------------------

_ID_CHARS = st.sampled_from(list("abAB09_-é中 ,\"'/"))


@st.composite
def _imports(draw: st.DrawFn) -> tuple[list[list[Distributor]], int]:
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.text(_ID_CHARS, min_size=1, max_size=4), min_size=n, max_size=n, unique=True))
    days = [None, *[date(2025, 1, 1) + timedelta(days=k) for k in range(6)]]
    members = []
    for k, i in enumerate(ids):
        sponsor = None if k == 0 or draw(st.integers(0, 6)) == 0 else ids[draw(st.integers(0, k - 1))]
        members.append(Distributor(i, sponsor, None, draw(st.sampled_from(days))))
    # split into imports: each member in the same import as its sponsor or a later one
    cut = {}
    count = draw(st.integers(1, 3))
    for m in members:
        low = 0 if m.sponsor_id is None else cut[m.sponsor_id]
        cut[m.id] = draw(st.integers(low, count - 1))
    imports = [draw(st.permutations([m for m in members if cut[m.id] == c])) for c in range(count)]
    return [list(b) for b in imports], draw(st.integers(1, 4))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_imports())
def test_placement_matches_the_reference(case: tuple[list[list[Distributor]], int]) -> None:
    imports, width = case
    expected = place_imports(imports, width)
    assert _place_like_imports(imports, width) == expected
    # all imports in one run give the same positions as one import after the other
    together = place(width, Positions(), [_batch(b) for b in imports], next_seq=0)
    assert _as_reference(together) == expected
    kids = children_of(expected)
    assert all(len(c) <= width for c in kids.values())
    if len(imports) == 1:  # the commission reference places one import the same way
        net = Net(imports[0])
        assert {i: p.parent for i, p in expected.items()} == matrix_tree(net, width)


def _big_sponsor_and_chain(seed: int) -> list[list[Distributor]]:
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    members = [Distributor("BOSS", None, None, start)]
    for k in range(2_000):  # 2,000 recruits of one sponsor, some joined the same day, some undated
        joined = None if rng.random() < 0.05 else start + timedelta(days=rng.randrange(1, 400))
        members.append(Distributor(f"r{k:04d}", "BOSS", None, joined))
    for k in range(300):  # their recruits spill into the boss's matrix too
        members.append(Distributor(f"s{k:03d}", f"r{rng.randrange(2_000):04d}", None,
                                   start + timedelta(days=rng.randrange(1, 500))))  # fmt: skip
    # a 1,500-long chain whose members joined before their sponsors: one long wait, depth first
    chain = [Distributor("c0000", None, None, date(2026, 1, 1))]
    for k in range(1, 1_500):
        chain.append(Distributor(f"c{k:04d}", f"c{k - 1:04d}", None, date(2026, 1, 1) - timedelta(days=k)))
    later = [Distributor(f"n{k:03d}", rng.choice(["BOSS", "c0700", "r0005", "c1499"]), None,
                         start + timedelta(days=rng.randrange(600))) for k in range(200)]  # fmt: skip
    return [members + chain, later]


@pytest.mark.parametrize("width", [1, 2, 3])
def test_a_2000_recruit_sponsor_and_a_long_chain_match_the_reference(width: int) -> None:
    imports = _big_sponsor_and_chain(width)
    expected = place_imports(imports, width)
    assert _place_like_imports(imports, width) == expected
    chain = [expected[f"c{k:04d}"] for k in range(1_500)]
    assert [p.depth for p in chain] == list(range(1_500))  # everyone has room under their sponsor


def test_large_placement_is_fast() -> None:
    # 200k members under a few heavy sponsors: seconds, not minutes (the cursors never go back)
    rng = np.random.default_rng(1)
    n = 200_000
    sponsors: list[str | None] = [None] * 5
    picks = rng.integers(0, np.maximum(np.arange(5, n) // 100, 1))
    sponsors += [f"d{int(p)}" for p in picks]
    ids = [f"d{k}" for k in range(n)]
    joined = [date(2024, 1, 1) + timedelta(days=int(k) // 500) for k in range(n)]
    t0 = time.perf_counter()
    (placed,) = place(3, Positions(), [Batch(ids, sponsors, list(joined))], next_seq=0)
    assert time.perf_counter() - t0 < 30
    assert len(placed) == n
    assert max(Counter(p for p in placed.parent_ids if p is not None).values()) == 3
