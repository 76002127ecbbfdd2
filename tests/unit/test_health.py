"""Network health's pure parts (graph_service/analytics/health.py) against the independent
reference (tests/reference_health.py) and the contract's edge cases: no volume, no earners, all
equal, negatives; the disclosure statement's CSV and escaped HTML."""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_service.analytics import health
from graph_service.compensation.runs import RunSummary
from graph_service.fixedpoint import SCALE
from tests import reference_health as ref
from tests.reference import Distributor, Net, Order

D = Decimal
cents = st.integers(-50_000, 2_000_000)


# -- percentiles, Gini, top shares -------------------------------------------------------------------


def test_percentile_edges() -> None:
    assert health.percentile([], 50) == 0
    assert health.percentile([7], 10) == 7
    assert health.percentile([1, 2], 50) == Fraction(3, 2)  # the mean of the two middle ones
    assert health.percentile([4, 1, 3, 2], 0) == 1
    assert health.percentile([4, 1, 3, 2], 100) == 4
    assert health.percentile([0, 10], 25) == Fraction(5, 2)
    assert health.percentile([-5, -5, 10], 50) == -5  # negatives as they are
    with pytest.raises(ValueError, match="between 0 and 100"):
        health.percentile([1], 101)


@settings(max_examples=200, deadline=None)
@given(st.lists(cents, max_size=40), st.sampled_from([0, 1, 10, 25, 50, 75, 90, 95, 99, 100]))
def test_percentiles_match_the_reference_and_numpy(values: list[int], q: int) -> None:
    got = health.percentile(values, q)
    assert got == ref.percentile([D(v) for v in values], q)
    if q == 50:
        assert got == ref.median([D(v) for v in values])
    if values:
        assert float(got) == pytest.approx(float(np.percentile(values, q)), rel=1e-12, abs=1e-9)


def test_gini_edges() -> None:
    assert health.gini([]) == 0.0
    assert health.gini([0, 0, 0]) == 0.0  # no earners
    assert health.gini([500, 500, 500]) == 0.0  # all equal
    assert health.gini([-300, -1, 0]) == 0.0  # only negatives: counted as 0
    assert health.gini([0, 0, 0, 100]) == pytest.approx(0.75)  # one of n takes everything: (n-1)/n
    assert health.gini([-1000, 0, 0, 100]) == pytest.approx(0.75)  # a claw-back counts as 0


@settings(max_examples=200, deadline=None)
@given(st.lists(cents, max_size=30))
def test_gini_matches_the_pairwise_definition(values: list[int]) -> None:
    assert health.gini(values) == pytest.approx(ref.gini([D(v) for v in values]), rel=1e-12, abs=1e-15)


def test_top_share_rounds_up_to_whole_people() -> None:
    assert health.top_share([], health.TOP1) == 0.0
    assert health.top_share([0, 0], health.TOP1) == 0.0  # nothing paid
    assert health.top_share([5, -10], health.TOP1) == 0.0  # a negative total: 0
    assert health.top_share([10], health.TOP1) == 1.0  # one person is the whole top 1%
    # 101 people: the top 1% is 2 people
    assert health.top_share([0] * 99 + [30, 70], health.TOP1) == 1.0
    assert health.top_share([1] * 99 + [30, 70], health.TOP1) == pytest.approx(100 / 199)
    # 100 people: 1 person
    assert health.top_share([1] * 98 + [30, 70], health.TOP1) == pytest.approx(70 / 198)
    # top 10% of 11 people: 2
    assert health.top_share([1] * 9 + [5, 5], health.TOP10) == pytest.approx(10 / 19)


@settings(max_examples=200, deadline=None)
@given(st.lists(cents, max_size=250))
def test_top_shares_match_the_reference(values: list[int]) -> None:
    money = [D(v) for v in values]
    assert health.top_share(values, health.TOP1) == ref.top_share(money, 1)
    assert health.top_share(values, health.TOP10) == ref.top_share(money, 10)


def test_deep_pay_share() -> None:
    rows = [
        {"component": "unilevel", "level": 1, "amount": 60.0},
        {"component": "unilevel", "level": 4, "amount": 20.0},
        {"component": "matrix", "level": 7, "amount": 20.0},
        {"component": "binary", "level": 9, "amount": 1000.0},  # not a level-paid component
    ]
    assert health.deep_pay_share(rows) == pytest.approx(0.4)
    assert health.deep_pay_share([]) == 0.0
    assert health.deep_pay_share([{"component": "unilevel", "level": 5, "amount": 0.0}]) == 0.0


# -- every figure from a frame, against the reference ---------------------------------------------

PERIODS = ["2025-10", "2025-11", "2026-01", "2026-02"]  # 2025-12 stays empty
ASKED = [*PERIODS, "2025-12", "2026-03", "2024-01"]
volumes = st.one_of(st.integers(-20_000, 30_000), st.sampled_from([10_000, 9_999, 10_999, 11_000, 0])).map(
    lambda c: D(c).scaleb(-2)
)
joins = st.none() | st.dates(date(2024, 11, 1), date(2026, 3, 31))


@st.composite
def networks(draw: st.DrawFn, most: int = 40) -> Net:
    n = draw(st.integers(0, most))
    members: list[Distributor] = []
    for k in range(n):
        sponsor = None if k == 0 or draw(st.integers(0, 6)) == 0 else f"d{draw(st.integers(0, k - 1))}"
        members.append(Distributor(f"d{k}", sponsor, None, draw(joins)))
    orders = [
        Order(f"o{k}", f"d{draw(st.integers(0, n - 1))}",
              date.fromisoformat(f"{draw(st.sampled_from(PERIODS))}-{draw(st.integers(1, 28)):02d}"),
              draw(volumes), draw(st.sampled_from(["retail", "retail", "self"])))
        for k in range(draw(st.integers(0, 3 * n)) if n else 0)
    ]  # fmt: skip
    return Net(members, orders)


def frame_of(net: Net) -> health.Frame:
    ids = list(net.distributors)
    return health.Frame.build(
        ids,
        [net.distributors[i].sponsor_id for i in ids],
        [f"{d.joined_on:%Y-%m}" if d.joined_on else None for d in net.distributors.values()],
        [(o.distributor_id, o.period, int(o.volume * SCALE), int(o.volume * SCALE) * (o.buyer == "retail"))
         for o in net.orders],
    )  # fmt: skip


def compare(got: dict[str, Any], want: dict[str, Any], path: str = "") -> None:
    """Every key of `want` in `got`: ints and None exactly, floats to 1e-12."""
    for key, value in want.items():
        where = f"{path}{key}"
        assert key in got, where
        mine = got[key]
        if isinstance(value, dict):
            compare(mine, value, where + ".")
        elif isinstance(value, list):
            assert len(mine) == len(value), where
            for k, (a, b) in enumerate(zip(mine, value, strict=True)):
                if isinstance(b, dict):
                    compare(a, b, f"{where}[{k}].")
                else:
                    assert a == b, f"{where}[{k}]"
        elif isinstance(value, float):
            assert isinstance(mine, float), (where, mine)
            assert math.isclose(mine, value, rel_tol=1e-12, abs_tol=1e-12), (where, mine, value)
        else:
            assert mine == value, (where, mine, value)


@settings(max_examples=150, deadline=None)
@given(
    net=networks(),
    period=st.sampled_from(ASKED),
    threshold=st.sampled_from([D(100), D(50), D(0), D("100.5")]),
    with_run=st.booleans(),
    data=st.data(),
)
def test_figures_match_the_reference(
    net: Net, period: str, threshold: Decimal, with_run: bool, data: st.DataObject
) -> None:
    earned: dict[str, Decimal] | None = None
    money = None
    if with_run:
        earned = {i: D(data.draw(cents, label=f"earned {i}")).scaleb(-2) for i in net.distributors}
        cents_of = np.array([int(earned[i] * 100) for i in net.distributors], np.int64)
        money = health.RunMoney("r1", "plan", cents_of, None)
    got = health.compute(frame_of(net), period, threshold=int(threshold * SCALE), money=money).to_json()
    want = ref.health(net, period, threshold, earnings=earned)
    compare(got, want)
    assert got["active_pv"] == float(threshold)
    if not with_run:
        assert got["zero_earner_share"] is None
        assert got["gini"] is None


def test_no_distributors_no_volume_no_earners() -> None:
    empty = frame_of(Net([], []))
    money = health.RunMoney("r", "p", np.zeros(0, np.int64))
    doc = health.compute(empty, "2026-01", threshold=100 * SCALE, money=money).to_json()
    assert doc["distributors"] == 0
    assert (doc["active"], doc["retail_share"], doc["median_pv"]) == (0, 0.0, 0.0)
    assert (doc["zero_earner_share"], doc["median_earnings"], doc["top1_share"], doc["gini"]) == (0, 0, 0, 0)
    assert doc["cohorts"] == []
    assert doc["score"] == 100

    net = Net([Distributor("a", None), Distributor("b", "a")], [])
    nobody = health.RunMoney("r", "p", np.zeros(2, np.int64))
    doc = health.compute(frame_of(net), "2026-01", threshold=100 * SCALE, money=nobody).to_json()
    assert doc["retail_share"] == 0.0  # no volume
    assert doc["zero_earner_share"] == 1.0  # nobody earned anything
    assert (doc["top1_share"], doc["gini"], doc["median_earnings"]) == (0.0, 0.0, 0.0)


def test_red_flags_and_the_score() -> None:
    # all volume bought by the members themselves, everyone at the threshold, one earner
    net = Net(
        [Distributor("a", None), Distributor("b", "a"), Distributor("c", "a")],
        [Order(f"o{i}", who, date(2026, 1, 2), D(100), "self") for i, who in enumerate("abc")],
    )
    money = health.RunMoney("r", "p", np.array([900, 0, -50], np.int64), [])
    report = health.compute(frame_of(net), "2026-01", threshold=100 * SCALE, money=money)
    fired = {f.name: f.fired for f in report.red_flags}
    assert fired == {"retail_share": True, "zero_earners": False, "threshold_bunching": True,
                     "top1_concentration": True, "deep_pay": False}  # fmt: skip
    # 2/3 earned nothing: under the 0.75 limit
    assert report.run is not None
    assert report.run.zero_earner_share == pytest.approx(2 / 3)
    assert report.score == 100 - 3 * 20
    for flag in report.red_flags:
        assert flag.explanation.endswith(".")
        assert flag.to_json()["evaluated"] is (flag.value is not None)

    # without a run the money rules are not judged and do not count
    report = health.compute(frame_of(net), "2026-01", threshold=100 * SCALE)
    judged = {f.name for f in report.red_flags if f.value is not None}
    assert judged == {"retail_share", "threshold_bunching"}
    assert report.score == 60
    # a month without volume: the retail rule cannot be judged
    quiet = health.compute(frame_of(net), "2026-02", threshold=100 * SCALE)
    assert [f.value for f in quiet.red_flags] == [None] * 5
    assert quiet.score == 100
    limits = health.Limits(min_retail_share=0.0, max_bunching=1.0, flag_weight=50)
    assert health.compute(frame_of(net), "2026-01", threshold=100 * SCALE, limits=limits).score == 100


def test_cohorts_are_null_outside_the_data() -> None:
    net = Net(
        [Distributor("a", None, None, date(2025, 12, 3)), Distributor("b", "a", None, date(2026, 1, 9))],
        [Order("o1", "a", date(2026, 1, 5), D(100)), Order("o2", "b", date(2026, 2, 5), D(150)),
         Order("o3", "a", date(2026, 4, 1), D(100))],
    )  # fmt: skip
    report = health.compute(frame_of(net), "2026-04", threshold=100 * SCALE)
    rows = {c.month: c for c in report.cohorts}
    assert rows["2025-12"].after == (1.0, 0.0, None, None)  # January active; March has no orders: 0
    assert rows["2026-01"].after == (1.0, 0.0, None, None)  # February; not in April
    assert health.compute(frame_of(net), "2026-01", threshold=100 * SCALE).cohorts[0].after == (
        1.0, None, None, None,
    )  # fmt: skip


# -- the income disclosure statement ----------------------------------------------------------------


def _summary(distributors: int, total: Decimal, plan: str = "Plan") -> RunSummary:
    return RunSummary(
        run_id="2026-01-abcd", period="2026-01", plan=plan, plan_sha256="0" * 64, volume=D(0), total=total,
        payout_ratio=0.0, components={}, money_per_pv=D(1), active_pv=D(100), distributors=distributors,
        earners=0, lines=0, data_gen=1, fingerprint="f",
    )  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    people=st.integers(0, 30),
    earners=st.lists(st.tuples(cents, st.sampled_from([None, "Silver", "Gold"])), max_size=30),
)
def test_disclosure_matches_the_reference(people: int, earners: list[tuple[int, str | None]]) -> None:
    earners = earners[:people]
    ids = [f"d{k}" for k in range(people)]
    listed = ids[: len(earners)]  # the rest earned nothing and hold no rank
    total = sum((D(c).scaleb(-2) for c, _ in earners), D(0))
    statement = health.disclosure_of(
        _summary(people, total), ["Silver", "Gold"], [r for _, r in earners], [c for c, _ in earners]
    )
    want = ref.disclosure(
        ids, ["Silver", "Gold"], dict(zip(listed, [r for _, r in earners], strict=True)),
        dict(zip(listed, [D(c).scaleb(-2) for c, _ in earners], strict=True)),
    )  # fmt: skip
    got = [r.to_json() for r in statement.rows]
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        compare(a, b)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_disclosure_csv_and_html_are_escaped() -> None:
    nasty = '<script>alert("x")</script> & Co'
    statement = health.disclosure_of(
        _summary(4, D("12.50"), plan=nasty), [nasty, "Gold"], [nasty, None], [1000, 250]
    )
    rows = list(csv.DictReader(io.StringIO(statement.csv())))
    assert [r["group"] for r in rows] == ["All distributors", "No rank", nasty, "Gold"]
    assert rows[0]["members"] == "4"
    assert rows[3]["median"] == ""  # Gold has nobody
    assert float(rows[0]["total"]) == 12.5

    page = statement.html()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    parser = _Text()
    parser.feed(page)
    text = "".join(parser.text)
    assert "script" not in parser.tags
    assert nasty in text  # shown as text
    assert "How to read it." in text
    assert "2026-01-abcd" in text
    assert "2026-01" in text
    assert "style" in parser.tags
    assert "table" in parser.tags


def test_an_empty_run_disclosure() -> None:
    statement = health.disclosure_of(_summary(0, D(0)), [], [], [])
    assert [(r.group, r.members, r.median) for r in statement.rows] == [
        ("All distributors", 0, None),
        ("No rank", 0, None),
    ]
    assert statement.to_json()["rows"][0]["share_at_zero"] == 0.0
    assert "How to read it" in statement.html()


def test_frame_sums_orders_and_leaves_out_strangers() -> None:
    frame = health.Frame.build(
        ["a", "b"], [None, "a"], ["2026-01", None],
        [("a", "2026-01", 5, 5), ("a", "2026-01", -2, 0), ("zz", "2026-01", 100, 100),
         ("b", "2025-12", 7, 0)],
    )  # fmt: skip
    assert frame.periods == ["2025-12", "2026-01"]
    assert frame.column("2026-01").tolist() == [3, 0]
    assert frame.column("2026-05").tolist() == [0, 0]
    assert frame.retail.tolist() == [0, 5]
    assert frame.sponsor.tolist() == [-1, 0]
    assert frame.joined_month.tolist() == [2026 * 12, -1]
