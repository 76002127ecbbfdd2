"""The vectorised commission engine held against the independent reference and the contract."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.compensation.engine import (
    COMPONENTS,
    DistributorRow,
    InvalidNetwork,
    MatrixNotPlaced,
    Network,
    OrderRow,
    PlanMismatch,
    RunResult,
    commission_run,
)
from graph_service.compensation.plan import Plan
from graph_service.fixedpoint import SCALE
from graph_service.matrix import Batch, Positions, place
from tests.reference import Net, Order
from tests.reference_commissions import Line, Member
from tests.reference_commissions import commission_run as reference_run

D = Decimal
MONTHS = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]


# -- building both sides from the same data -------------------------------------------------------


def _matrix_parents(members: list[Member], width: int) -> dict[str, str | None]:
    """The product's own placement (graph_service.matrix), everyone placed by one import."""
    batch = Batch([m.id for m in members], [m.sponsor_id for m in members], [m.joined_on for m in members])
    (placed,) = place(width, Positions(), [batch], next_seq=0)
    return dict(zip(placed.ids, placed.parent_ids, strict=True))


def _both(
    members: list[Member], orders: list[Order], plan: dict[str, Any], period: str
) -> tuple[RunResult, Any]:
    # the engine is given the product's placement; the reference builds its own from the contract
    width = int(plan["matrix"]["width"]) if plan.get("matrix") else 3
    matrix_parent = _matrix_parents(members, width)
    network = Network.from_rows(
        distributors=[
            DistributorRow(m.id, m.sponsor_id, m.placement_parent_id, m.placement_side, matrix_parent[m.id])
            for m in members
        ],
        orders=[OrderRow(o.distributor_id, o.period, int(o.volume * SCALE)) for o in orders],
        period=period,
        matrix=True,
    )
    engine = commission_run(network, Plan.model_validate(plan))
    return engine, reference_run(Net(members, orders), plan, period)


def _cents(value: int) -> Decimal:
    return D(value).scaleb(-2)


def _engine_lines(run: RunResult) -> Counter[Line]:
    lines = run.lines
    out: Counter[Line] = Counter()
    for k in range(len(lines)):
        rate = int(lines.rate[k])
        source = int(lines.source[k])
        level = int(lines.level[k])
        out[
            Line(
                run.ids[int(lines.earner[k])],
                run.ids[source] if source >= 0 else None,
                COMPONENTS[int(lines.component[k])],
                level or None,
                D(int(lines.base[k])).scaleb(-4),
                lines.rates[rate] if rate >= 0 else None,
                lines.amount_of(k),
            )
        ] += 1
    return out


def _assert_same(engine: RunResult, ref: Any) -> None:
    for k, i in enumerate(engine.ids):
        row = ref.earners[i]
        mine = {c: _cents(int(getattr(engine, c)[k])) for c in (*COMPONENTS, "total")}
        assert mine == {c: row[c] for c in (*COMPONENTS, "total")}, i
        rank = int(engine.rank[k])
        assert (engine.rank_names[rank] if rank >= 0 else None) == row["rank"], i
    assert _engine_lines(engine) == Counter(ref.lines)
    assert D(engine.volume).scaleb(-4) == ref.totals["volume"]
    assert _cents(engine.total_paid) == ref.totals["total"]
    assert engine.payout_ratio == ref.totals["payout_ratio"]


# -- random networks and plans --------------------------------------------------------------------

_volume = st.one_of(
    st.integers(-300, 1500).map(D),
    st.integers(50, 600).map(D),
    st.integers(-3_000_000, 15_000_000).map(lambda v: D(v).scaleb(-4)),
    st.sampled_from([D(100), D("0.05"), D(-100), D(200), D(50)]),
)


@st.composite
def _networks(draw: st.DrawFn) -> tuple[list[Member], list[Order], str]:
    n = draw(st.integers(1, 24))
    ids = [f"d{k}" for k in range(n)]
    slots: set[tuple[str, str]] = set()
    members: list[Member] = []
    days = [None, *(date(2025, 1, 1) + timedelta(days=k) for k in range(5))]
    for k, i in enumerate(ids):
        sponsor = None if k == 0 or draw(st.integers(0, 5)) == 0 else ids[draw(st.integers(0, k - 1))]
        parent = side = None
        if k and draw(st.integers(0, 4)):
            candidate = (ids[draw(st.integers(0, k - 1))], draw(st.sampled_from(["L", "R"])))
            if candidate not in slots:
                slots.add(candidate)
                parent, side = candidate
        members.append(Member(i, sponsor, None, draw(st.sampled_from(days)), parent, side))
    members = draw(st.permutations(members))  # indices need not follow the sponsor order
    period = draw(st.sampled_from([*MONTHS, *MONTHS, "2025-10", "2026-05"]))
    month = st.one_of(st.just(period), st.sampled_from(MONTHS))  # half the orders in the period
    orders = [
        Order(f"o{k}", draw(st.sampled_from(ids)), date.fromisoformat(f"{draw(month)}-15"), draw(_volume))
        for k in range(draw(st.integers(0, 4 * n)))
    ]
    return members, orders, period


_rates = st.sampled_from([D(0), D("0.05"), D("0.1"), D("0.033"), D("0.125"), D("0.07")])


@st.composite
def _plans(draw: st.DrawFn) -> dict[str, Any]:
    plan: dict[str, Any] = {"name": "p"}
    if draw(st.booleans()):
        plan["active_pv"] = draw(st.sampled_from([D(0), D(50), D(100), D("100.5")]))
    if draw(st.booleans()):
        plan["money_per_pv"] = draw(st.sampled_from([D(1), D("0.5"), D(2), D("1.25"), D("0.333")]))
    if draw(st.booleans()):
        plan["unilevel"] = {"rates": draw(st.lists(_rates, min_size=1, max_size=4))}
        compression = draw(st.sampled_from(["dynamic", "none", None]))
        if compression is not None:
            plan["unilevel"]["compression"] = compression
    if draw(st.booleans()):
        binary: dict[str, Any] = {
            "pair_unit": draw(st.sampled_from([D(50), D(100), D(200), D("12.5")])),
            "pair_rate": draw(st.sampled_from([D("0.1"), D("0.15"), D("0.07")])),
        }
        if draw(st.booleans()):
            binary["cap"] = draw(st.sampled_from([D(0), D(5), D(30), D("12.34")]))
        if draw(st.booleans()):
            binary["max_carry"] = draw(st.sampled_from([D(0), D(100), D(250), D("333.3")]))
        plan["binary"] = binary
    if draw(st.booleans()):
        plan["matrix"] = {
            "width": draw(st.integers(1, 4)),
            "rates": draw(st.lists(_rates, min_size=1, max_size=5)),
        }
    count = draw(st.integers(0, 3))
    if count:
        pvs = sorted(draw(st.sampled_from([D(0), D(50), D(100), D(200)])) for _ in range(count))
        gvs = sorted(draw(st.sampled_from([D(0), D(300), D(1000), D("2500.5")])) for _ in range(count))
        plan["ranks"] = [
            {
                "name": f"R{r}",
                "pv": pvs[r],
                "gv": gvs[r],
                "max_leg_share": draw(st.sampled_from([D("0.5"), D("0.6"), D(1), D("0.333")])),
                "active_frontline": draw(st.integers(0, 2)),
                "bonus": draw(st.sampled_from([D(0), D(10), D("25.5"), D("0.005")])),
            }
            for r in range(count)
        ]
    return plan


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network=_networks(), plan=_plans())
def test_engine_matches_the_reference(
    network: tuple[list[Member], list[Order], str], plan: dict[str, Any]
) -> None:
    members, orders, period = network
    engine, ref = _both(members, orders, plan, period)
    _assert_same(engine, ref)


# -- the contract's worked examples ---------------------------------------------------------------


def _o(n: int, who: str, day: str, volume: str) -> Order:
    return Order(f"o{n}", who, date.fromisoformat(day), D(volume))


def _binary_members() -> list[Member]:
    return [
        Member("P", None),
        Member("A", "P", None, None, "P", "L"),
        Member("B", "P", None, None, "P", "R"),
        Member("C", "A", None, None, "A", "R"),
    ]


@pytest.mark.parametrize(("cap", "paid"), [(None, "40.00"), (30, "30.00")])
def test_contract_binary_example(cap: int | None, paid: str) -> None:
    # L 500, R 400, unit 200, rate 0.1 -> 2 pairs, 40.00 paid (30.00 with cap 30)
    orders = [_o(1, "P", "2026-01-05", "100"), _o(2, "A", "2026-01-06", "500"),
              _o(3, "B", "2026-01-07", "400")]  # fmt: skip
    binary: dict[str, Any] = {"pair_unit": 200, "pair_rate": 0.1}
    if cap is not None:
        binary["cap"] = cap
    engine, ref = _both(_binary_members(), orders, {"name": "bin", "binary": binary}, "2026-01")
    _assert_same(engine, ref)
    p = engine.ids.index("P")
    assert _cents(int(engine.binary[p])) == D(paid)
    assert int(engine.lines.base[0]) == 400 * SCALE
    assert _cents(engine.total_paid) == D(paid)


def test_binary_carry_over_months_with_max_carry() -> None:
    # January L 530, R 120 -> 1 pair, keeps 430 cut to 250 and 20; February L 300, R 420 -> 3 pairs
    orders = [
        _o(1, "P", "2026-01-01", "100"), _o(2, "A", "2026-01-02", "530"), _o(3, "B", "2026-01-03", "120"),
        _o(4, "P", "2026-02-01", "100"), _o(5, "A", "2026-02-02", "50"), _o(6, "B", "2026-02-03", "400"),
    ]  # fmt: skip
    plan = {"name": "bin", "binary": {"pair_unit": 100, "pair_rate": 0.1, "max_carry": 250}}
    engine, ref = _both(_binary_members(), orders, plan, "2026-02")
    _assert_same(engine, ref)
    assert _cents(int(engine.binary[engine.ids.index("P")])) == D("30.00")


def test_contract_max_leg_share_example() -> None:
    # gv 20000, max_leg_share 0.8: the 18000 leg counts 16000; 1000 + 16000 + 3000 = 20000 met
    ranks = [{"name": "Star", "pv": 100, "gv": 20000, "max_leg_share": 0.8, "bonus": 500}]
    members = [Member("R", None), Member("A", "R"), Member("B", "R")]
    for b_pv, held in (("3000", "Star"), ("2999", None)):
        orders = [_o(1, "R", "2026-06-01", "1000"), _o(2, "A", "2026-06-01", "18000"),
                  _o(3, "B", "2026-06-01", b_pv)]  # fmt: skip
        engine, ref = _both(members, orders, {"name": "r", "ranks": ranks}, "2026-06")
        _assert_same(engine, ref)
        r = int(engine.rank[engine.ids.index("R")])
        assert (engine.rank_names[r] if r >= 0 else None) == held
    frame = engine.earners_frame()
    assert frame.set_index("id").loc["R", "rank"] is None


@pytest.mark.parametrize(("compression", "paid"), [("dynamic", {"S": 10000, "R": 6500}),
                                                   ("none", {"S": 10000, "R": 3000})])  # fmt: skip
def test_unilevel_compression(compression: str, paid: dict[str, int]) -> None:
    # R -> M -> S -> X; M (PV 50) is inactive: skipped (dynamic) or keeps its level unpaid (none)
    members = [Member("R", None), Member("M", "R"), Member("S", "M"), Member("X", "S")]
    orders = [_o(1, "R", "2026-03-01", "200"), _o(2, "M", "2026-03-01", "50"),
              _o(3, "S", "2026-03-01", "100"), _o(4, "X", "2026-03-01", "1000")]  # fmt: skip
    plan = {"name": "u", "unilevel": {"rates": [0.1, 0.05, 0.02], "compression": compression}}
    engine, ref = _both(members, orders, plan, "2026-03")
    _assert_same(engine, ref)
    earned = {i: int(engine.unilevel[k]) for k, i in enumerate(engine.ids) if engine.unilevel[k]}
    assert earned == paid


def test_rounding_once_per_earner_half_up_and_claw_back() -> None:
    five = [f"A{k}" for k in range(5)]
    members = [Member("R", None)] + [Member(i, "R") for i in five]
    orders = [_o(0, "R", "2026-04-01", "100")]
    orders += [_o(k + 1, i, "2026-04-02", "0.05") for k, i in enumerate(five)]
    engine, ref = _both(members, orders, {"name": "u", "unilevel": {"rates": [0.1]}}, "2026-04")
    _assert_same(engine, ref)
    assert int(engine.unilevel[engine.ids.index("R")]) == 3  # 5 x 0.005 = 0.025 -> 0.03
    orders = [_o(0, "R", "2026-04-01", "100"), _o(1, "A0", "2026-04-02", "-0.05")]
    engine, ref = _both(members, orders, {"name": "u", "unilevel": {"rates": [0.1]}}, "2026-04")
    _assert_same(engine, ref)
    assert int(engine.unilevel[engine.ids.index("R")]) == -1  # -0.005 -> -0.01


def test_huge_amounts_stay_exact() -> None:
    # past int64: the engine falls back to Python integers instead of overflowing
    members = [Member("R", None), Member("A", "R")]
    orders = [_o(0, "R", "2026-04-01", "100"), _o(1, "A", "2026-04-02", "900000000000")]
    plan = {"name": "u", "money_per_pv": D("1.0000001"), "unilevel": {"rates": [D("0.1234567")]}}
    engine, ref = _both(members, orders, plan, "2026-04")
    _assert_same(engine, ref)
    assert engine.lines.amount.dtype == object


def test_lines_frame() -> None:
    members = [Member("R", None), Member("A", "R")]
    orders = [_o(0, "R", "2026-04-01", "100"), _o(1, "A", "2026-04-02", "12.5")]
    engine, _ = _both(members, orders, {"name": "u", "unilevel": {"rates": [0.1]}}, "2026-04")
    frame = engine.lines.frame()
    assert frame.to_dict("records") == [
        {"earner": 0, "source": 1, "component": "unilevel", "level": 1, "base": 125000, "rate": "0.1",
         "amount": engine.lines.amount[0]},
    ]  # fmt: skip
    assert engine.lines.amount_of(0) == D("1.25")


def test_matrix_plans_need_the_matrix_placement() -> None:
    network = Network.from_rows(distributors=[DistributorRow("R", None)], orders=[], period="2026-01")
    with pytest.raises(MatrixNotPlaced, match="no matrix placement"):
        commission_run(network, Plan.model_validate({"name": "m", "matrix": {"width": 2, "rates": [0.1]}}))
    assert MatrixNotPlaced.exit_code == 2


def test_matrix_placement_wider_than_the_plan_is_refused() -> None:
    rows = [DistributorRow("R", None), *(DistributorRow(x, "R", None, None, "R") for x in "ABC")]
    network = Network.from_rows(distributors=rows, orders=[], period="2026-01", matrix=True)
    plan = Plan.model_validate({"name": "m", "matrix": {"width": 2, "rates": [0.1]}})
    with pytest.raises(PlanMismatch, match="width 2"):
        commission_run(network, plan)
    assert (PlanMismatch.http_status, PlanMismatch.exit_code) == (422, 2)


def _m(i: str, sponsor: str | None, day: int) -> Member:
    return Member(i, sponsor, None, date(2025, 1, 1) + timedelta(days=day))


def test_matrix_pays_active_uplines_without_compression() -> None:
    # width 2: R over A, B; C and D spill under A; E under B. D's PV pays A (level 1) and R
    # (level 2); B is inactive, so E's PV pays nobody at level 1 and R at level 2.
    members = [_m("R", None, 0), _m("A", "R", 1), _m("B", "R", 2), _m("C", "R", 3), _m("D", "R", 4),
               _m("E", "R", 5)]  # fmt: skip
    orders = [_o(1, "R", "2026-05-01", "100"), _o(2, "A", "2026-05-01", "150"),
              _o(3, "B", "2026-05-01", "40"), _o(4, "D", "2026-05-01", "1000"),
              _o(5, "E", "2026-05-01", "200")]  # fmt: skip
    plan = {"name": "mx", "money_per_pv": D(2), "matrix": {"width": 2, "rates": [0.1, 0.05]}}
    engine, ref = _both(members, orders, plan, "2026-05")
    _assert_same(engine, ref)
    paid = {i: _cents(int(engine.matrix[k])) for k, i in enumerate(engine.ids) if engine.matrix[k]}
    # A: D 1000 * 0.1 * 2 = 200. R: A 150*0.1*2 = 30, B 40*0.1*2 = 8, D 1000*0.05*2 = 100, E 200*0.05*2 = 20
    assert paid == {"A": D("200.00"), "R": D("158.00")}
    levels = {(engine.ids[int(e)], engine.ids[int(s)]): int(lv) for e, s, lv, c in
              zip(engine.lines.earner, engine.lines.source, engine.lines.level, engine.lines.component,
                  strict=True) if COMPONENTS[int(c)] == "matrix"}  # fmt: skip
    assert levels == {("A", "D"): 1, ("R", "A"): 1, ("R", "B"): 1, ("R", "D"): 2, ("R", "E"): 2}


def test_bad_networks_are_refused() -> None:
    with pytest.raises(InvalidNetwork, match="cycle"):
        Network.from_rows(
            distributors=[DistributorRow("A", "B"), DistributorRow("B", "A")], orders=[], period="2026-01"
        )
    with pytest.raises(InvalidNetwork, match="slot"):
        Network.from_rows(
            distributors=[DistributorRow("P", None), DistributorRow("A", "P", "P", "L"),
                          DistributorRow("B", "P", "P", "L")],
            orders=[], period="2026-01",
        )  # fmt: skip
    with pytest.raises(InvalidNetwork, match="depth"):
        Network(["A", "B"], np.array([-1, 0]), np.array([0, 2]), np.array([-1, -1]),
                np.array([-1, -1], np.int8), ["2026-01"], np.zeros((2, 1), np.int64))  # fmt: skip
    with pytest.raises(InvalidNetwork, match="cycle"):
        Network(["A", "B"], np.array([-1, 0]), np.array([0, 1]), np.array([-1, -1]),
                np.array([-1, -1], np.int8), ["2026-01"], np.zeros((2, 1), np.int64),
                np.array([1, 0]))  # fmt: skip
    with pytest.raises(InvalidNetwork, match="matrix parent"):
        Network(["A"], np.array([-1]), np.array([0]), np.array([-1]), np.array([-1], np.int8),
                ["2026-01"], np.zeros((1, 1), np.int64), np.array([5]))  # fmt: skip
