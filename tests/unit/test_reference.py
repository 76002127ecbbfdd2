"""The pure-Python reference checked against figures worked out by hand from the contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.reference import Distributor, Net, Order, downline, network, stats, upline

D = Decimal


def _order(n: int, who: str, day: str, volume: str, buyer: str = "retail") -> Order:
    return Order(f"o{n}", who, date.fromisoformat(day), D(volume), buyer)


@pytest.fixture
def example() -> Net:
    """R -> A, B, C; A -> A1, A2; A1 -> A11; B -> B1 (a refund), plus a second root Q."""
    dists = [
        Distributor("R", None, "Root", date(2025, 1, 3)),
        Distributor("A", "R", "Ann", date(2025, 2, 1)),
        Distributor("B", "R", None, date(2025, 2, 20)),
        Distributor("C", "R", None, None),
        Distributor("A1", "A", None, date(2026, 10, 2)),
        Distributor("A2", "A", None, None),
        Distributor("A11", "A1", None, date(2026, 10, 30)),
        Distributor("B1", "B", None, date(2025, 1, 9)),
        Distributor("Q", None, None, None),
    ]
    orders = [
        _order(1, "R", "2026-10-01", "120", "self"),
        _order(2, "A", "2026-10-05", "50"),
        _order(3, "A1", "2026-10-31", "100"),
        _order(4, "A11", "2026-10-15", "30.5"),
        _order(5, "B", "2026-10-10", "150"),
        _order(6, "B", "2026-10-11", "50", "self"),
        _order(7, "B1", "2026-10-12", "-20"),
        _order(8, "A", "2026-09-30", "999"),  # another period: not counted in 2026-10
    ]
    return Net(dists, orders)


def test_stats_of_the_root(example: Net) -> None:
    s = stats(example, "R", "2026-10")
    assert s["pv"] == D("120")
    assert s["gv"] == D("480.5")  # 120 + 50 + 100 + 30.5 + 200 - 20
    assert s["frontline"] == 3
    assert s["downline_size"] == 7
    assert s["active_downline"] == 2  # A1 (exactly 100) and B (200)
    assert s["max_depth"] == 3
    assert s["levels"] == [3, 3, 1]
    assert s["mean_depth"] == 12 / 7
    assert [(leg["id"], leg["gv"], leg["size"]) for leg in s["legs"]] == [
        ("A", D("180.5"), 4),
        ("B", D("180"), 2),
        ("C", D("0"), 1),
    ]
    assert [leg["share"] for leg in s["legs"]] == [180.5 / 360.5, float(Fraction(360, 721)), 0.0]
    assert s["strongest_leg_share"] == float(Fraction(361, 721))
    assert (s["depth"], s["sponsor_id"], s["name"], s["active"]) == (0, None, "Root", True)


def test_stats_of_a_leaf_and_the_threshold(example: Net) -> None:
    s = stats(example, "A11", "2026-10")
    assert (s["pv"], s["gv"], s["frontline"], s["downline_size"], s["active_downline"]) == (
        D("30.5"), D("30.5"), 0, 0, 0,
    )  # fmt: skip
    assert (s["max_depth"], s["mean_depth"], s["levels"], s["legs"], s["strongest_leg_share"]) == (
        0,
        0,
        [],
        [],
        0,
    )
    assert (s["depth"], s["sponsor_id"], s["active"]) == (3, "A1", False)
    assert stats(example, "A11", "2026-10", active_pv=D("30.5"))["active"] is True
    assert stats(example, "A1", "2026-10")["active"] is True  # PV exactly at the threshold


def test_other_period_and_empty_period(example: Net) -> None:
    assert stats(example, "R", "2026-09")["gv"] == D("999")
    assert stats(example, "R", "2026-09")["legs"][0] == {"id": "A", "gv": D("999"), "size": 4, "share": 1.0}
    empty = stats(example, "R", "2020-01")
    assert (empty["pv"], empty["gv"], empty["active_downline"], empty["active"]) == (0, 0, 0, False)
    assert [(leg["id"], leg["share"]) for leg in empty["legs"]] == [("A", 0.0), ("B", 0.0), ("C", 0.0)]
    assert empty["strongest_leg_share"] == 0.0
    assert empty["levels"] == [3, 3, 1]  # structure does not depend on the period


def test_upline_and_downline(example: Net) -> None:
    assert upline(example, "A11") == ["A1", "A", "R"]
    assert upline(example, "R") == []
    assert downline(example, "R") == {"A": 1, "B": 1, "C": 1, "A1": 2, "A2": 2, "B1": 2, "A11": 3}
    assert downline(example, "B1") == {}
    with pytest.raises(KeyError):
        upline(example, "nobody")
    with pytest.raises(KeyError):
        stats(example, "nobody", "2026-10")


def test_network(example: Net) -> None:
    n = network(example, "2026-10", top=3)
    assert (n["distributors"], n["roots"], n["max_depth"]) == (9, 2, 3)
    assert n["mean_depth"] == 12 / 9  # 0 + 0 + 3 * 1 + 3 * 2 + 1 * 3
    assert n["depth_histogram"] == [2, 3, 3, 1]
    assert n["frontline_histogram"] == [(0, 5), (1, 2), (2, 1), (3, 1)]
    t = n["totals"]
    assert (t["volume"], t["retail_volume"], t["orders"], t["active"]) == (D("480.5"), D("310.5"), 7, 3)
    assert t["retail_share"] == float(Fraction(D("310.5")) / Fraction(D("480.5")))
    assert t["new_distributors"] == 2  # A1 and A11 joined in 2026-10
    assert [(h["period"], h["volume"], h["orders"]) for h in n["history"]] == [
        ("2026-09", D("999"), 1),
        ("2026-10", D("480.5"), 7),
    ]
    # R: legs 180.5 / 360.5 -> bucket 5; A: 130.5 of 130.5 -> 9; A1: 30.5 of 30.5 -> 9;
    # B: its only leg is -20, a sum that is not positive -> left out
    assert n["leg_balance"] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert n["top"] == [("R", D("480.5")), ("A", D("180.5")), ("B", D("180"))]
    assert network(example, "2026-10")["top"][-4:] == [("A2", 0), ("C", 0), ("Q", 0), ("B1", D("-20"))]
    assert n["growth"] == [("2025-01", 2), ("2025-02", 2), ("2026-10", 2)]


def test_network_in_an_empty_period(example: Net) -> None:
    n = network(example, "2025-02", top=2)
    assert n["totals"] == {
        "period": "2025-02",
        "volume": 0,
        "retail_volume": 0,
        "retail_share": 0.0,
        "orders": 0,
        "active": 0,
        "new_distributors": 2,
    }
    assert n["leg_balance"] == [0] * 10
    assert n["top"] == [("A", 0), ("A1", 0)]  # everyone at 0, ties by id
    assert len(n["history"]) == 2


def test_retail_share_with_refunds_and_zero_total() -> None:
    net = Net(
        [Distributor("x", None)],
        [
            _order(1, "x", "2026-01-01", "100"),
            _order(2, "x", "2026-01-02", "-100", "self"),
            _order(3, "x", "2026-02-01", "80"),
            _order(4, "x", "2026-02-02", "-30"),
            _order(5, "x", "2026-02-03", "50", "self"),
        ],
    )
    assert network(net, "2026-01")["totals"]["retail_share"] == 0.0  # total 0
    assert network(net, "2026-01")["totals"]["volume"] == 0
    assert network(net, "2026-02")["totals"]["retail_share"] == 0.5  # (80 - 30) / 100


def test_chain_1500_deep_without_recursion() -> None:
    ids = [f"c{i}" for i in range(1500)]
    net = Net(
        [Distributor(i, ids[k - 1] if k else None) for k, i in enumerate(ids)],
        [_order(1, ids[-1], "2026-03-03", "1.25")],
    )
    s = stats(net, "c0", "2026-03")
    assert (s["downline_size"], s["max_depth"], s["levels"]) == (1499, 1499, [1] * 1499)
    assert s["mean_depth"] == 750.0
    assert s["gv"] == D("1.25")
    assert s["legs"] == [{"id": "c1", "gv": D("1.25"), "size": 1499, "share": 1.0}]
    assert upline(net, ids[-1]) == ids[-2::-1]
    assert downline(net, "c1000") == {f"c{k}": k - 1000 for k in range(1001, 1500)}
    n = network(net, "2026-03")
    assert (n["max_depth"], n["mean_depth"], n["depth_histogram"]) == (1499, 749.5, [1] * 1500)
    assert n["frontline_histogram"] == [(0, 1), (1, 1499)]
    assert n["leg_balance"] == [0] * 9 + [1499]
    assert n["top"][:2] == [("c0", D("1.25")), ("c1", D("1.25"))]


def test_star_legs_ties_by_code_point_and_negative_legs() -> None:
    leaves = ["b", "a", "Z", "é", "😀", "ｱ", "neg", "none"]
    dists = [Distributor("S", None)] + [Distributor(i, "S") for i in leaves]
    orders = [_order(k, i, "2026-05-05", "10") for k, i in enumerate(leaves[:6])]
    orders.append(_order(99, "neg", "2026-05-06", "-5.5"))
    net = Net(dists, orders)
    s = stats(net, "S", "2026-05")
    # equal volumes in code point order: "ｱ" (U+FF71) before "😀" (U+1F600), unlike UTF-16 order
    assert [leg["id"] for leg in s["legs"]] == ["Z", "a", "b", "é", "ｱ", "😀", "none", "neg"]
    assert s["gv"] == D("54.5")
    assert s["legs"][0]["share"] == 10 / 54.5
    assert s["legs"][-1]["share"] == -5.5 / 54.5
    assert s["frontline"] == s["downline_size"] == 8
    n = network(net, "2026-05")
    assert n["frontline_histogram"] == [(0, 8), (8, 1)]
    assert n["leg_balance"] == [0, 1] + [0] * 8  # 10 / 54.5 = 0.18...


def test_negative_group_volume_and_legs_that_cancel_out() -> None:
    net = Net(
        [Distributor("R", None), Distributor("A", "R"), Distributor("B", "R"), Distributor("A1", "A")],
        [
            _order(1, "R", "2026-07-01", "20"),
            _order(2, "A1", "2026-07-01", "-50"),
            _order(3, "B", "2026-07-01", "50"),
            _order(4, "A", "2026-08-01", "-40"),
        ],
    )
    july = stats(net, "R", "2026-07")
    assert july["gv"] == D("20")
    assert [(leg["id"], leg["gv"], leg["share"]) for leg in july["legs"]] == [("B", 50, 0.0), ("A", -50, 0.0)]
    assert july["strongest_leg_share"] == 0.0
    assert stats(net, "A", "2026-07")["gv"] == D("-50")
    assert stats(net, "A", "2026-07")["legs"][0]["share"] == 1.0  # -50 over a sum of -50
    august = stats(net, "R", "2026-08")
    assert august["gv"] == D("-40")
    # legs B 0 and A -40: shares over the sum -40, and the first (largest) leg is B
    assert [(leg["id"], leg["share"]) for leg in august["legs"]] == [("B", 0.0), ("A", 1.0)]
    assert august["strongest_leg_share"] == 0.0
    assert network(net, "2026-07")["leg_balance"] == [0] * 10  # R's legs sum to 0, A's to -50
    assert network(net, "2026-07")["top"] == [("B", 50), ("R", 20), ("A", -50), ("A1", -50)]
