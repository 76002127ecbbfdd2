"""The commission reference checked against the contract's examples and cases worked out by hand."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from tests.reference import Net, Order
from tests.reference_commissions import (
    CENT,
    ROUNDING,
    Line,
    Member,
    binary_state,
    commission_run,
    matrix_children,
    matrix_tree,
    placement_order,
)

D = Decimal


def _o(n: int, who: str, day: str, volume: str) -> Order:
    return Order(f"o{n}", who, date.fromisoformat(day), D(volume))


def _day(day: str | None) -> date | None:
    return date.fromisoformat(day) if day else None


def _m(i: str, sponsor: str | None, joined: str | None = None, parent: str | None = None,
       side: str | None = None) -> Member:  # fmt: skip
    return Member(i, sponsor, None, _day(joined), parent, side)


def _earned(run: Any, component: str) -> dict[str, Decimal]:
    """The earners with a non-zero amount in one component."""
    return {i: row[component] for i, row in run.earners.items() if row[component] != 0}


# ---------------------------------------------------------------- binary


def _binary_net(orders: list[Order]) -> Net:
    """P at the top of the placement tree, A on its left, B on its right, C under A on the right."""
    return Net(
        [_m("P", None), _m("A", "P", parent="P", side="L"), _m("B", "P", parent="P", side="R"),
         _m("C", "A", parent="A", side="R")],
        orders,
    )  # fmt: skip


def test_contract_binary_example() -> None:
    # L 500, R 400, unit 200, rate 0.1 -> 2 pairs, 2 * 200 * 0.1 = 40.00, carry 100 and 0
    net = _binary_net([_o(1, "P", "2026-01-05", "100"), _o(2, "A", "2026-01-06", "500"),
                       _o(3, "B", "2026-01-07", "400")])  # fmt: skip
    plan: dict[str, Any] = {"name": "bin", "binary": {"pair_unit": 200, "pair_rate": 0.1}}
    p = binary_state(net, plan, "2026-01")["P"]
    assert (p["L"], p["R"], p["pairs"], p["amount"], p["carry_L"], p["carry_R"]) == (500, 400, 2, 40, 100, 0)
    run = commission_run(net, plan, "2026-01")
    assert run.earners["P"]["binary"] == D("40.00")
    assert _earned(run, "binary") == {"P": D("40.00")}  # A is active but has nothing under it
    assert run.lines == [Line("P", None, "binary", None, D(400), D("0.1"), D(40))]
    # volume 100 + 500 + 400 = 1000; payout 40 / 1000
    assert (run.totals["volume"], run.totals["total"], run.totals["payout_ratio"]) == (1000, 40, 0.04)

    plan["binary"]["cap"] = 30  # the same pairs, paid 30.00, carry unchanged
    p = binary_state(net, plan, "2026-01")["P"]
    assert (p["pairs"], p["amount"], p["carry_L"], p["carry_R"]) == (2, 30, 100, 0)
    assert commission_run(net, plan, "2026-01").earners["P"]["binary"] == D("30.00")


def _two_months(max_carry: int | None) -> tuple[Net, dict[str, Any]]:
    net = _binary_net([
        _o(1, "P", "2026-01-01", "100"), _o(2, "A", "2026-01-02", "530"), _o(3, "B", "2026-01-03", "120"),
        _o(4, "P", "2026-02-01", "100"), _o(5, "A", "2026-02-02", "50"), _o(6, "B", "2026-02-03", "400"),
    ])  # fmt: skip
    binary: dict[str, Any] = {"pair_unit": 100, "pair_rate": 0.1}
    if max_carry is not None:
        binary["max_carry"] = max_carry
    return net, {"name": "bin", "binary": binary}


def test_binary_carry_over_two_months_and_max_carry() -> None:
    net, plan = _two_months(max_carry=250)
    # January: L 530, R 120 -> 1 pair, 10.00; keeps 430 cut to 250, and 20
    jan = binary_state(net, plan, "2026-01")["P"]
    assert (jan["pairs"], jan["amount"], jan["carry_L"], jan["carry_R"]) == (1, 10, 250, 20)
    # February: L 250 + 50 = 300, R 20 + 400 = 420 -> 3 pairs, 30.00; keeps 0 and 120
    feb = binary_state(net, plan, "2026-02")["P"]
    assert (feb["L"], feb["R"], feb["pairs"], feb["amount"], feb["carry_L"], feb["carry_R"]) == (
        300, 420, 3, 30, 0, 120,
    )  # fmt: skip
    run = commission_run(net, plan, "2026-02")
    assert _earned(run, "binary") == {"P": D("30.00")}  # January only carries, it is not paid again
    # March has no orders at all: P is inactive (PV 0) and keeps 0 and 120
    mar = binary_state(net, plan, "2026-03")["P"]
    assert (mar["L"], mar["R"], mar["pairs"], mar["carry_L"], mar["carry_R"]) == (0, 120, 0, 0, 120)

    net, plan = _two_months(max_carry=None)
    # without max_carry: January keeps 430; February L 480, R 420 -> 4 pairs, 40.00; keeps 80 and 20
    feb = binary_state(net, plan, "2026-02")["P"]
    assert (feb["L"], feb["R"], feb["pairs"], feb["amount"], feb["carry_L"], feb["carry_R"]) == (
        480, 420, 4, 40, 80, 20,
    )  # fmt: skip


def test_inactive_binary_member_keeps_its_volume() -> None:
    net = _binary_net([
        _o(1, "P", "2026-01-01", "50"), _o(2, "A", "2026-01-02", "300"), _o(3, "B", "2026-01-03", "200"),
        _o(4, "P", "2026-02-01", "100"), _o(5, "B", "2026-02-02", "100"), _o(6, "C", "2026-02-03", "100"),
    ])  # fmt: skip
    plan = {"name": "bin", "binary": {"pair_unit": 100, "pair_rate": 0.1, "max_carry": 250}}
    # January: P has PV 50 < 100, inactive -> no pairs though L 300, R 200; keeps 250 (cut) and 200
    jan = binary_state(net, plan, "2026-01")["P"]
    assert (jan["pairs"], jan["amount"], jan["carry_L"], jan["carry_R"]) == (0, 0, 250, 200)
    assert commission_run(net, plan, "2026-01").totals["total"] == 0
    # February: L = 250 + (A 0 + C 100, C is in A's subtree) = 350, R = 200 + 100 = 300
    # -> 3 pairs, 30.00; keeps 50 and 0
    feb = binary_state(net, plan, "2026-02")["P"]
    assert (feb["L"], feb["R"], feb["pairs"], feb["amount"], feb["carry_L"], feb["carry_R"]) == (
        350, 300, 3, 30, 50, 0,
    )  # fmt: skip
    # A (PV 0 in February) is inactive: its right side (C's 100) is kept, not paired
    a = binary_state(net, plan, "2026-02")["A"]
    assert (a["L"], a["R"], a["pairs"], a["carry_L"], a["carry_R"]) == (0, 100, 0, 0, 100)
    assert _earned(commission_run(net, plan, "2026-02"), "binary") == {"P": D("30.00")}


def test_binary_negative_carry_is_kept_below_max_carry() -> None:
    net = _binary_net([
        _o(1, "P", "2026-01-01", "100"), _o(2, "A", "2026-01-02", "-150"), _o(3, "B", "2026-01-03", "100"),
        _o(4, "P", "2026-02-01", "100"), _o(5, "A", "2026-02-02", "400"), _o(6, "B", "2026-02-03", "100"),
    ])  # fmt: skip
    plan = {"name": "bin", "binary": {"pair_unit": 100, "pair_rate": 0.1, "max_carry": 250}}
    # January: L -150 (a refund), R 100 -> min is negative, 0 pairs; keeps -150 (not lifted) and 100
    jan = binary_state(net, plan, "2026-01")["P"]
    assert (jan["pairs"], jan["carry_L"], jan["carry_R"]) == (0, -150, 100)
    # February: L -150 + 400 = 250, R 100 + 100 = 200 -> 2 pairs, 20.00; keeps 50 and 0
    feb = binary_state(net, plan, "2026-02")["P"]
    assert (feb["L"], feb["R"], feb["pairs"], feb["amount"], feb["carry_L"], feb["carry_R"]) == (
        250, 200, 2, 20, 50, 0,
    )  # fmt: skip


# ---------------------------------------------------------------- unilevel


def _chain() -> Net:
    """R -> M -> S -> X in the sponsor tree; M (PV 50) is the inactive middle upline."""
    return Net(
        [_m("R", None), _m("M", "R"), _m("S", "M"), _m("X", "S")],
        [_o(1, "R", "2026-03-01", "200"), _o(2, "M", "2026-03-01", "50"), _o(3, "S", "2026-03-01", "100"),
         _o(4, "X", "2026-03-01", "1000")],
    )  # fmt: skip


def test_unilevel_dynamic_compression_skips_the_inactive_upline() -> None:
    plan = {"name": "uni", "unilevel": {"rates": [0.1, 0.05, 0.02], "compression": "dynamic"}}
    run = commission_run(_chain(), plan, "2026-03")
    # X 1000: S level 1 -> 100; M skipped; R level 2 -> 50
    # S 100: M skipped; R level 1 -> 10.     M 50: R level 1 -> 5.
    assert _earned(run, "unilevel") == {"S": D("100.00"), "R": D("65.00")}
    assert [line for line in run.lines if line.source == "X"] == [
        Line("S", "X", "unilevel", 1, D(1000), D("0.1"), D(100)),
        Line("R", "X", "unilevel", 2, D(1000), D("0.05"), D(50)),
    ]
    assert run.totals["total"] == D("165.00")
    assert run.totals["payout_ratio"] == 165 / 1350  # volume 200 + 50 + 100 + 1000


def test_unilevel_without_compression_the_inactive_upline_keeps_its_level() -> None:
    plan = {"name": "uni", "unilevel": {"rates": [0.1, 0.05, 0.02], "compression": "none"}}
    run = commission_run(_chain(), plan, "2026-03")
    # X 1000: S level 1 -> 100; M level 2 unpaid; R level 3 -> 20
    # S 100: M level 1 unpaid; R level 2 -> 5.     M 50: R level 1 -> 5.
    assert _earned(run, "unilevel") == {"S": D("100.00"), "R": D("30.00")}
    assert [(line.earner, line.level) for line in run.lines if line.source == "X"] == [("S", 1), ("R", 3)]
    assert not [line for line in run.lines if line.earner == "M"]  # no line for an unpaid level
    # compression left out means "dynamic" (as the plan model's default): M is skipped
    del plan["unilevel"]["compression"]
    assert _earned(commission_run(_chain(), plan, "2026-03"), "unilevel") == {
        "S": D("100.00"),
        "R": D("65.00"),
    }


def test_a_refund_claws_back() -> None:
    net = Net(
        [_m("R", None), _m("A", "R")],
        [_o(1, "R", "2026-02-01", "150"), _o(2, "A", "2026-02-02", "300"), _o(3, "A", "2026-02-20", "-500")],
    )
    plan = {"name": "uni", "money_per_pv": 0.5, "unilevel": {"rates": [0.1]}}
    run = commission_run(net, plan, "2026-02")
    # A's PV 300 - 500 = -200 -> R gets -200 * 0.1 * 0.5 = -10.00
    assert run.lines == [Line("R", "A", "unilevel", 1, D(-200), D("0.1"), D("-10.000"))]
    assert run.earners["R"] == {"id": "R", "rank": None, "unilevel": D("-10.00"), "binary": 0, "matrix": 0,
                                "rank_bonus": 0, "total": D("-10.00")}  # fmt: skip
    # volume 150 - 200 = -50; payout -10 / (-50 * 0.5) = 0.4
    assert (run.totals["volume"], run.totals["total"], run.totals["payout_ratio"]) == (-50, -10, 0.4)


def test_rounding_once_per_earner_and_component_lines_exact() -> None:
    assert ROUNDING == ROUND_HALF_UP
    five = [f"A{k}" for k in range(5)]
    net = Net(
        [_m("R", None)] + [_m(i, "R") for i in five],
        [_o(0, "R", "2026-04-01", "100")] + [_o(k + 1, i, "2026-04-02", "0.05") for k, i in enumerate(five)],
    )
    run = commission_run(net, {"name": "u", "unilevel": {"rates": [0.1]}}, "2026-04")
    # five lines of 0.05 * 0.1 = 0.005 each, kept exact; 0.025 rounded once, half up -> 0.03
    # (per line it would be 5 * 0.01 = 0.05; half even would give 0.02)
    assert [line.amount for line in run.lines] == [D("0.005")] * 5
    assert run.earners["R"]["unilevel"] == D("0.03")
    assert D("0.025").quantize(CENT, rounding=ROUND_HALF_EVEN) != run.earners["R"]["unilevel"]
    # a claw-back rounds away from zero the same way: -0.005 -> -0.01
    net = Net(
        [_m("R", None), _m("A", "R")], [_o(0, "R", "2026-04-01", "100"), _o(1, "A", "2026-04-02", "-0.05")]
    )
    assert commission_run(net, {"name": "u", "unilevel": {"rates": [0.1]}}, "2026-04").earners["R"][
        "unilevel"
    ] == D("-0.01")


# ---------------------------------------------------------------- matrix


def test_matrix_placement_order_width_2_waiting_recruit_and_spillover() -> None:
    net = Net([
        _m("R", None, "2025-01-01"),
        _m("A", "R", "2025-01-02"),
        _m("B", "R", "2025-01-03"),
        _m("C", "R", "2025-01-04"),
        _m("K1", "K", "2025-01-05"),  # joined before its sponsor K
        _m("D", "R", "2025-01-06"),
        _m("K", "R", "2025-01-10"),
        _m("F", "R", None),  # missing dates last, ties by id: E before F
        _m("E", "R", None),
    ])  # fmt: skip
    # K1 waits for K and is placed right after it
    assert placement_order(net) == ["R", "A", "B", "C", "D", "K", "K1", "E", "F"]
    parent = matrix_tree(net, width=2)
    # R: A, B (full). C: level 1 in order A, B -> A. D: A has room -> A (now full).
    # K: A full, B empty -> B. K1: under its sponsor K, who has room -> K.
    # E: A full, B has K -> B (now full). F: level 1 full; level 2 in placement order C, D, K, E
    # -> C has room -> C (spillover to the next level).
    assert parent == {"R": None, "A": "R", "B": "R", "C": "A", "D": "A", "K": "B", "K1": "K", "E": "B",
                      "F": "C"}  # fmt: skip
    assert matrix_children(parent)["B"] == ["K", "E"]  # in the order they were placed


def test_matrix_level_searched_in_placement_order_not_parent_by_parent() -> None:
    net = Net([
        _m("R", None, "2025-01-01"), _m("A", "R", "2025-01-02"), _m("B", "R", "2025-01-03"),
        _m("B1", "B", "2025-01-04"), _m("B2", "B", "2025-01-05"),
        _m("A1", "A", "2025-01-06"), _m("A2", "A", "2025-01-07"),
        _m("Z", "R", "2025-01-08"),
    ])  # fmt: skip
    # level 2 under R in placement order: B1, B2, A1, A2 -> Z under B1 (parent by parent: A1)
    assert matrix_tree(net, width=2)["Z"] == "B1"


def test_matrix_waiting_recruits_depth_first_and_roots() -> None:
    net = Net([
        _m("S", None, None), _m("A", "S", "2025-01-01"), _m("A1", "A", "2024-12-01"),
        _m("B", "S", "2025-02-01"), _m("T", None, "2025-03-01"),
    ])  # fmt: skip
    # sorted: A1, A, B, T, S; A1 waits for A, A and B wait for S; T, then S, A, A1, B
    assert placement_order(net) == ["T", "S", "A", "A1", "B"]
    # width 1: each root starts its own matrix; A under S, A1 under A, B spills under A1
    assert matrix_tree(net, width=1) == {"T": None, "S": None, "A": "S", "A1": "A", "B": "A1"}


def test_matrix_pay_skips_inactive_uplines_without_compression() -> None:
    # width 1 turns the star R -> A, B, C into the matrix chain R - A - B - C
    net = Net(
        [_m("R", None, "2025-01-01"), _m("A", "R", "2025-01-02"), _m("B", "R", "2025-01-03"),
         _m("C", "R", "2025-01-04")],
        [_o(1, "R", "2026-05-01", "200"), _o(2, "A", "2026-05-01", "100"), _o(3, "B", "2026-05-01", "50"),
         _o(4, "C", "2026-05-01", "1000")],
    )  # fmt: skip
    plan = {"name": "mx", "matrix": {"width": 1, "rates": [0.1, 0.05, 0.02]}}
    run = commission_run(net, plan, "2026-05")
    # C 1000: B level 1 inactive, unpaid; A level 2 -> 50; R level 3 -> 20
    # B 50: A level 1 -> 5; R level 2 -> 2.5.     A 100: R level 1 -> 10.
    assert [line for line in run.lines if line.source == "C"] == [
        Line("A", "C", "matrix", 2, D(1000), D("0.05"), D(50)),
        Line("R", "C", "matrix", 3, D(1000), D("0.02"), D(20)),
    ]
    assert _earned(run, "matrix") == {"A": D("55.00"), "R": D("32.50")}
    assert run.totals["total"] == D("87.50")


# ---------------------------------------------------------------- ranks


RANKS: list[dict[str, Any]] = [
    {"name": "Bronze", "pv": 100, "gv": 0, "bonus": 10},
    {"name": "Silver", "pv": 100, "gv": 500, "active_frontline": 2, "bonus": 50},
    {"name": "Gold", "pv": 100, "gv": 1000, "max_leg_share": 0.5, "active_frontline": 2, "bonus": 200},
    {"name": "Diamond", "pv": 100, "gv": 5000, "bonus": 1000},
]


def test_contract_max_leg_share_example() -> None:
    # gv 20000, max_leg_share 0.8: the 18000 leg counts 16000
    ranks = [{"name": "Star", "pv": 100, "gv": 20000, "max_leg_share": 0.8, "bonus": 500}]

    def run_with(b_pv: str) -> Any:
        net = Net([_m("R", None), _m("A", "R"), _m("B", "R")],
                  [_o(1, "R", "2026-06-01", "1000"), _o(2, "A", "2026-06-01", "18000"),
                   _o(3, "B", "2026-06-01", b_pv)])  # fmt: skip
        return commission_run(net, {"name": "r", "ranks": ranks}, "2026-06")

    # 1000 + min(18000, 16000) + 3000 = 20000: met exactly
    run = run_with("3000")
    assert (run.earners["R"]["rank"], run.earners["R"]["rank_bonus"]) == ("Star", D("500.00"))
    assert run.lines == [Line("R", None, "rank_bonus", None, D(20000), None, D(500))]
    # A alone: 18000 < 20000, no legs -> no rank
    assert run.earners["A"]["rank"] is None
    # 1000 + 16000 + 2999 = 19999 (it would be 21999 uncapped): not met
    assert run_with("2999").earners["R"]["rank"] is None


def test_rank_is_the_highest_met_and_pays_its_bonus() -> None:
    net = Net(
        [_m("R", None), _m("A", "R"), _m("B", "R"), _m("C", "R"), _m("A1", "A")],
        [_o(1, "R", "2026-07-01", "100"), _o(2, "A", "2026-07-01", "600"), _o(3, "B", "2026-07-01", "100"),
         _o(4, "C", "2026-07-01", "50"), _o(5, "A1", "2026-07-01", "200")],
    )  # fmt: skip
    run = commission_run(net, {"name": "r", "ranks": RANKS}, "2026-07")
    # R: legs A 800, B 100, C 50; active frontline A, B = 2.
    #   Silver: legs capped at 1 * 500 (the default max_leg_share): 100 + 500 + 100 + 50 = 750
    #   >= 500 -> met. Gold: legs capped at 0.5 * 1000 = 500:
    #   100 + 500 + 100 + 50 = 750 < 1000 -> not met. Diamond: not met. -> Silver, 50
    # A: PV 600, leg A1 200 -> 800 >= 500 but only 1 active frontline -> Bronze, 10
    # A1 (200), B (100): Bronze, 10 each. C: PV 50 < 100 -> none.
    assert {i: (row["rank"], row["rank_bonus"]) for i, row in run.earners.items()} == {
        "R": ("Silver", D("50.00")), "A": ("Bronze", D("10.00")), "B": ("Bronze", D("10.00")),
        "C": (None, D("0.00")), "A1": ("Bronze", D("10.00")),
    }  # fmt: skip
    assert [line.base_volume for line in run.lines if line.earner == "R"] == [D(750)]
    assert run.totals["total"] == D("80.00")
    assert run.totals["payout_ratio"] == 80 / 1050  # volume 100 + 600 + 100 + 50 + 200


def test_a_rank_without_bonus_has_no_line() -> None:
    net = Net([_m("R", None)], [_o(1, "R", "2026-07-01", "100")])
    run = commission_run(net, {"name": "r", "ranks": [{"name": "Member", "pv": 100}]}, "2026-07")
    assert (run.earners["R"]["rank"], run.earners["R"]["total"], run.lines) == ("Member", 0, [])


# ---------------------------------------------------------------- the run


def test_payout_ratio_with_zero_volume() -> None:
    net = Net(
        [_m("R", None), _m("A", "R")],
        [_o(1, "R", "2026-08-01", "100"), _o(2, "A", "2026-08-02", "-100")],
    )
    # a bonus with no requirements (pv 0, gv 0) is paid on a period whose volume is 0 -> ratio 0;
    # R: PV 100 >= 0, qualifying 100 + min(-100, 0) = 0 >= 0 -> 5.00; A: PV -100 < 0 -> none
    plan = {"name": "z", "ranks": [{"name": "Anyone", "bonus": 5}]}
    run = commission_run(net, plan, "2026-08")
    assert (run.totals["volume"], run.totals["total"], run.totals["payout_ratio"]) == (0, D("5.00"), 0.0)
    assert (run.earners["R"]["rank"], run.earners["A"]["rank"]) == ("Anyone", None)
    empty = commission_run(net, {"name": "z"}, "2026-12")  # no orders at all in the period
    assert (empty.totals["volume"], empty.totals["total"], empty.totals["payout_ratio"]) == (0, 0, 0.0)
    assert empty.earners["R"] == {"id": "R", "rank": None, "unilevel": 0, "binary": 0, "matrix": 0,
                                  "rank_bonus": 0, "total": 0}  # fmt: skip


def test_the_contract_plan_toml_as_input() -> None:
    plan = tomllib.loads("""
        name = "Demo plan"
        money_per_pv = 2.0
        [unilevel]
        rates = [0.05, 0.05]
        compression = "dynamic"
        [binary]
        pair_unit = 200
        pair_rate = 0.10
        cap = 5000
        max_carry = 10000
        [matrix]
        width = 3
        rates = [0.05]
        [[ranks]]
        name = "Silver"
        pv = 100
        gv = 300
        max_leg_share = 0.6
        active_frontline = 1
        bonus = 50
    """)
    net = Net(
        [
            _m("R", None, "2025-01-01"),
            _m("A", "R", "2025-01-02", "R", "L"),
            _m("B", "R", "2025-01-03", "R", "R"),
        ],
        [_o(1, "R", "2026-09-01", "100"), _o(2, "A", "2026-09-01", "200"), _o(3, "B", "2026-09-01", "250")],
    )
    run = commission_run(net, plan, "2026-09")
    # unilevel: A 200 * 0.05 * 2 = 20, B 250 * 0.05 * 2 = 25 -> R 45.00
    # binary: L 200, R 250 -> 1 pair: 200 * 0.1 * 2 = 40.00
    # matrix (width 3, A and B under R): the same 45.00
    # rank: 100 + min(200, 180) + min(250, 180) = 460 >= 300, A and B active -> Silver, 50.00
    assert run.earners["R"] == {
        "id": "R", "rank": "Silver", "unilevel": D("45.00"), "binary": D("40.00"), "matrix": D("45.00"),
        "rank_bonus": D("50.00"), "total": D("180.00"),
    }  # fmt: skip
    # money 180 over volume 550 * 2 = 1100
    assert (run.totals["plan"], run.totals["volume"], run.totals["payout_ratio"]) == (
        "Demo plan",
        550,
        180 / 1100,
    )
    assert sum(row["total"] for row in run.earners.values()) == run.totals["total"]


def test_unknown_compression_is_refused() -> None:
    with pytest.raises(ValueError, match="compression"):
        commission_run(
            _chain(), {"name": "u", "unilevel": {"rates": [0.1], "compression": "greedy"}}, "2026-03"
        )
