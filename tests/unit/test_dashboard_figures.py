"""The dashboard's figures are pure functions of DataFrames: checked here without a database or a
browser (what each draws, empty inputs, and the explorer's elements round trip)."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards import data, figures
from graph_service.analytics.service import WINDOW_COLUMNS
from graph_service.compensation.runs import RunSummary


def _texts(fig: go.Figure) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


def test_trend_draws_volume_bars_and_member_lines_on_a_second_axis() -> None:
    history = pd.DataFrame(
        {"period": ["2026-09", "2026-10"], "volume": [100.5, 250.0], "active": [3, 4], "members": [10, 12]}
    )
    fig = figures.trend(history)
    bar, members, active = fig.data
    assert list(bar.y) == [100.5, 250.0]
    assert list(bar.x) == ["2026-09", "2026-10"]
    assert list(members.y) == [10, 12]
    assert members.yaxis == "y2"
    assert list(active.y) == [3, 4]
    assert active.yaxis == "y2"
    assert fig.layout.xaxis.type == "category"


@pytest.mark.parametrize(
    ("draw", "columns"),
    [
        (figures.trend, ["period", "volume", "active", "members"]),
        (figures.growth, ["month", "new_distributors"]),
        (figures.depth_histogram, ["depth", "distributors"]),
        (figures.frontline_histogram, ["frontline", "distributors"]),
        (figures.top_by_gv, ["id", "name", "gv", "pv", "downline_size"]),
        (figures.legs, ["id", "gv", "share", "size"]),
        (figures.leg_balance, ["from", "to", "distributors"]),
        (figures.downline_sunburst, WINDOW_COLUMNS),
    ],
)
def test_every_figure_says_so_when_there_is_nothing_to_draw(draw: object, columns: list[str]) -> None:
    fig = draw(pd.DataFrame(columns=columns))  # type: ignore[operator]
    assert fig.data == ()
    assert _texts(fig)


def test_histograms_and_growth() -> None:
    depth = figures.depth_histogram(pd.DataFrame({"depth": [0, 1, 2], "distributors": [2, 5, 1]}))
    assert list(depth.data[0].x) == [0, 1, 2]
    assert list(depth.data[0].y) == [2, 5, 1]
    front = figures.frontline_histogram(pd.DataFrame({"frontline": [0, 3], "distributors": [7, 1]}))
    assert front.layout.yaxis.type == "log"
    joins = figures.growth(pd.DataFrame({"month": ["2026-01", "2026-02"], "new_distributors": [4, 9]}))
    assert list(joins.data[0].y) == [4, 9]


def test_top_by_gv_labels_with_name_and_id_and_keeps_the_order() -> None:
    top = pd.DataFrame(
        {"id": ["D7", "D9"], "name": ["Zoë, \"Z\"", None], "gv": [300.0, 200.0], "pv": [10.0, 0.0],
         "downline_size": [5, 0]}
    )  # fmt: skip
    fig = figures.top_by_gv(top)
    assert list(fig.data[0].y) == ['Zoë, "Z" (D7)', "D9"]
    assert list(fig.data[0].x) == [300.0, 200.0]
    assert fig.layout.yaxis.autorange == "reversed"  # largest on top


def test_legs_shows_gv_with_the_share_as_text_and_the_strongest_leg_highlighted() -> None:
    legs = pd.DataFrame({"id": ["A", "B"], "gv": [600.0, 400.0], "share": [0.6, 0.4], "size": [3, 1]})
    fig = figures.legs(legs, "Rita")
    (bar,) = fig.data
    assert list(bar.y) == [600.0, 400.0]
    assert list(bar.text) == ["60%", "40%"]
    assert bar.marker.color[0] != bar.marker.color[1]
    assert "Rita" in fig.layout.title.text


def test_leg_balance_labels_tenths_and_flags_lopsided_ones() -> None:
    balance = pd.DataFrame({"from": [i / 10 for i in range(10)], "to": [(i + 1) / 10 for i in range(10)],
                            "distributors": [0, 1, 0, 0, 0, 2, 0, 0, 0, 5]})  # fmt: skip
    (bar,) = figures.leg_balance(balance).data
    assert bar.x[0] == "0%-10%"
    assert bar.x[-1] == "90%-100%"
    assert bar.marker.color[-1] != bar.marker.color[0]
    empty = figures.leg_balance(balance.assign(distributors=0))
    assert empty.data == ()
    assert _texts(empty)


def test_sunburst_is_sized_by_members_with_more_wedges_grey() -> None:
    window = pd.DataFrame(
        [
            ["R", "", "Rita", 0, 100.0, 700.0, 6, True, 0, "member"],
            ["A", "R", "Ann", 1, 50.0, 400.0, 3, False, 0, "member"],
            ["R\x1fmore", "R", "2 more", 1, 0.0, 200.0, 2, False, 2, "more"],
            ["A1", "A", None, 2, 350.0, 350.0, 1, True, 0, "member"],
        ],
        columns=WINDOW_COLUMNS,
    )
    (sun,) = figures.downline_sunburst(window, max_depth=2).data
    assert list(sun.values) == [6, 3, 2, 1]
    assert list(sun.parents) == ["", "R", "R", "A"]
    assert list(sun.labels) == ["Rita", "Ann", "2 more", "A1"]  # no name: the id
    assert sun.branchvalues == "total"
    assert sun.maxdepth == 3
    assert sun.marker.colors[2] == "#e0e0e0"


def _nodes(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = {"parent": "", "name": None, "gv": 0.0, "pv": 0.0, "active": False, "members": 1, "kind": "member",
            "hidden": 0, "cursor": "", "expanded": False, "focus": False}  # fmt: skip
    return pd.DataFrame([{**base, **r} for r in rows], columns=figures.NODE_COLUMNS)


def test_tree_elements_colour_by_activity_size_by_gv_and_link_to_parents_on_screen() -> None:
    nodes = _nodes(
        [
            {
                "id": "R",
                "name": "Rita",
                "gv": 400.0,
                "active": True,
                "members": 9,
                "expanded": True,
                "focus": True,
            },
            {"id": "A", "parent": "R", "gv": 100.0},
            {"id": "B", "parent": "R", "gv": -5.0},
            {"id": "X", "parent": "NOT-SHOWN", "gv": 0.0},
            {"id": "", "parent": "R", "kind": "more", "hidden": 12, "cursor": "3.0.8"},
        ]
    )
    elements = figures.tree_elements(nodes)
    by_id = {e["data"]["id"]: e for e in elements if "source" not in e["data"]}
    edges = {(e["data"]["source"], e["data"]["target"]) for e in elements if "source" in e["data"]}
    more = figures.more_id("R", "3.0.8")
    assert set(by_id) == {"R", "A", "B", "X", more}
    assert edges == {("R", "A"), ("R", "B"), ("R", more)}  # X's sponsor is not on screen
    assert by_id["R"]["classes"] == "active expanded focus"
    assert by_id["A"]["classes"] == "inactive"
    assert by_id["R"]["data"]["w"] == figures.MAX_NODE  # the largest GV shown
    assert figures.MIN_NODE < by_id["A"]["data"]["w"] < figures.MAX_NODE
    assert by_id["B"]["data"]["w"] == figures.MIN_NODE  # negative GV (refunds) as the smallest
    assert by_id["R"]["data"]["label"] == "Rita (R)"
    assert by_id[more]["data"]["label"] == "12 more"
    assert by_id[more]["classes"] == "more"
    # "parent" would make Cytoscape draw R as a box around its children
    assert all("parent" not in e["data"] for e in elements)


def test_tree_nodes_reads_back_what_tree_elements_made() -> None:
    nodes = _nodes(
        [
            {"id": "R, \"quoted\"/é", "name": "Rita", "gv": 400.0, "pv": 10.0, "active": True, "members": 9,
             "expanded": True, "focus": True},
            {"id": "A", "parent": "R, \"quoted\"/é", "gv": 100.0, "pv": 100.0, "active": True, "members": 3},
            {"id": "", "parent": "R, \"quoted\"/é", "kind": "more", "hidden": 4, "cursor": "1.0.2"},
        ]
    )  # fmt: skip
    back = figures.tree_nodes(figures.tree_elements(nodes))
    assert list(back.columns) == figures.NODE_COLUMNS
    assert back.loc[0, "id"] == 'R, "quoted"/é'
    assert back.loc[0, "expanded"]
    assert back.loc[0, "focus"]
    assert back.loc[1, "parent"] == 'R, "quoted"/é'
    assert back.loc[1, "members"] == 3
    assert back.loc[2, "kind"] == "more"
    assert back.loc[2, "hidden"] == 4
    assert back.loc[2, "cursor"] == "1.0.2"
    # and again: the explorer adds to its graph many times
    again = figures.tree_elements(back)
    assert again == figures.tree_elements(nodes)


def test_more_ids_cannot_collide_with_distributor_ids() -> None:
    assert figures.MORE_MARK in figures.more_id("R", "1.0.8")
    assert not figures.MORE_MARK.isprintable()  # ids never hold control characters (contract 1)


def test_node_width_grows_with_gv_and_stays_in_bounds() -> None:
    widths = [figures.node_width(gv, 1000.0) for gv in (-1.0, 0.0, 10.0, 500.0, 1000.0, 5000.0)]
    assert widths == sorted(widths)
    assert widths[0] == figures.MIN_NODE
    assert widths[-1] == figures.MAX_NODE
    assert figures.node_width(10.0, 0.0) == figures.MIN_NODE


# -- 4 commission flows and 5 network health --------------------------------------------------


@pytest.mark.parametrize(
    ("draw", "columns"),
    [
        (figures.flows_sankey, ["stage", "from", "to", "amount"]),
        (figures.paid_by_component, ["component", "amount"]),
        (figures.paid_by_level, ["component", "level", "amount", "lines"]),
        (figures.payout_ratio_over_time, ["run_id", "period", "plan", "payout_ratio"]),
        (figures.whatif_people, ["id", "a", "b", "delta", "side"]),
        (figures.retail_trend, ["period", "retail_share", "self_share"]),
        (figures.earnings_percentiles, ["percentile", "amount"]),
        (figures.cohort_retention, ["cohort", "members", "after_1", "after_3", "after_6", "after_12"]),
    ],
)
def test_flows_and_health_figures_say_so_when_there_is_nothing_to_draw(
    draw: object, columns: list[str]
) -> None:
    fig = draw(pd.DataFrame(columns=columns))  # type: ignore[operator]
    assert fig.data == ()
    assert _texts(fig)


FLOWS = {
    "run_id": "2026-10-x",
    "period": "2026-10",
    "plan": "P",
    "by_component": {"unilevel": 70.0, "binary": 30.0, "matrix": 0.0, "rank_bonus": 0.0},
    "by_level": [
        {"component": "unilevel", "level": 1, "amount": 50.0, "lines": 4},
        {"component": "unilevel", "level": 2, "amount": 20.0, "lines": 2},
        {"component": "matrix", "level": 1, "amount": 5.0, "lines": 1},
    ],
    "by_rank": [
        {"rank": "unilevel", "holders": 2, "earners": 2, "total": 90.0, "rank_bonus": 0.0},
        {"rank": None, "holders": 8, "earners": 1, "total": 10.0, "rank_bonus": 0.0},
    ],
    "legs": [
        {"leg": "A", "volume": 800.0, "paid_from": 80.0, "earned_in": 60.0},
        {"leg": "other legs", "legs": 3, "volume": 200.0, "paid_from": 20.0, "earned_in": 40.0},
    ],
    # a rank named like a component: the layers keep them apart
    "sankey": [
        {"from": "leg A", "to": "unilevel", "amount": 75.0},
        {"from": "leg A", "to": "no rank", "amount": 5.0},
        {"from": "other legs", "to": "unilevel", "amount": 20.0},
        {"from": "other legs", "to": "no rank", "amount": -2.0},
        {"from": "unilevel", "to": "unilevel", "amount": 65.0},
        {"from": "unilevel", "to": "binary", "amount": 30.0},
        {"from": "no rank", "to": "unilevel", "amount": 5.0},
    ],
}


def test_sankey_frame_takes_the_stage_from_the_legs_and_the_sankey_keeps_layers_apart() -> None:
    edges = data.sankey_frame(FLOWS)
    assert list(edges["stage"]) == [0, 0, 0, 0, 1, 1, 1]
    (sankey,) = figures.flows_sankey(edges).data
    labels = list(sankey.node.label)
    # leg A, rank "unilevel", rank "no rank", other legs, component unilevel, component binary
    assert sorted(labels) == sorted(["leg A", "unilevel", "no rank", "other legs", "unilevel", "binary"])
    links = {
        (labels[s], labels[t], v)
        for s, t, v in zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)
    }
    assert ("other legs", "no rank", -2.0) not in links  # a net claw-back cannot be drawn
    assert len(sankey.link.value) == 6
    # the rank "unilevel" and the component "unilevel" are two nodes, one feeding the other
    rank_node, component_node = (i for i, name in enumerate(labels) if name == "unilevel")
    assert (rank_node, component_node) in set(zip(sankey.link.source, sankey.link.target, strict=True))
    out_of_rank = zip(sankey.link.source, sankey.link.value, strict=True)
    assert sum(v for s, v in out_of_rank if s == rank_node) == 95.0


def test_flows_frames_and_bars() -> None:
    components = figures.paid_by_component(data.components_frame(FLOWS))
    assert list(components.data[0].x) == ["unilevel", "binary"]  # nothing paid: not drawn
    levels = figures.paid_by_level(data.levels_frame(FLOWS))
    assert [t.name for t in levels.data] == ["unilevel", "matrix"]
    assert list(levels.data[0].y) == [50.0, 20.0]
    legs = data.top_legs_frame(FLOWS)
    assert list(legs["legs"]) == [1, 3]
    ranks = data.ranks_frame(FLOWS)
    assert list(ranks["holders"]) == [2, 8]


def _run(run_id: str, period: str, plan: str, ratio: float, created: str) -> RunSummary:
    return RunSummary(
        run_id=run_id, period=period, plan=plan, plan_sha256="x", volume=Decimal(100),
        total=Decimal(str(ratio * 100)), payout_ratio=ratio, components={}, money_per_pv=Decimal(1),
        active_pv=Decimal(100), distributors=1, earners=1, lines=1, data_gen=1, fingerprint="f",
        created_at=created,
    )  # fmt: skip


def test_payout_ratio_over_time_has_a_line_per_plan_with_periods_in_order() -> None:
    found = [  # newest first, as list_runs answers
        _run("r4", "2026-10", "Hybrid", 0.25, "2026-11-03"),
        _run("r3", "2026-09", "Unilevel", 0.19, "2026-11-02"),
        _run("r2", "2026-10", "Unilevel", 0.22, "2026-11-01"),
        _run("r1", "2026-08", "Hybrid", 0.23, "2026-10-01"),
    ]
    ratios = data.ratio_frame(found)
    assert list(ratios["run_id"]) == ["r1", "r3", "r2", "r4"]
    fig = figures.payout_ratio_over_time(ratios)
    lines = {t.name: (list(t.x), list(t.y)) for t in fig.data}
    assert lines == {"Hybrid": (["2026-08", "2026-10"], [0.23, 0.25]),
                     "Unilevel": (["2026-09", "2026-10"], [0.19, 0.22])}  # fmt: skip
    assert list(fig.layout.xaxis.categoryarray) == ["2026-08", "2026-09", "2026-10"]
    assert fig.layout.yaxis.tickformat == ".0%"


WHATIF = {
    "period": "2026-10",
    "volume": 1000.0,
    "a": {"plan": "A", "total": 200.0, "payout_ratio": 0.2, "earners": 5,
          "by_component": {"unilevel": 150.0, "binary": 50.0, "matrix": 0.0, "rank_bonus": 0.0}},
    "b": {"plan": "B", "total": 180.0, "payout_ratio": 0.18, "earners": 4,
          "by_component": {"unilevel": 180.0, "binary": 0.0, "matrix": 0.0, "rank_bonus": 0.0}},
    "difference": -20.0,
    "better_off": 1,
    "worse_off": 2,
    "winners": [{"id": "W", "a": 10.0, "b": 40.0, "delta": 30.0, "rank_a": None, "rank_b": None}],
    "losers": [
        {"id": "L1", "a": 40.0, "b": 0.0, "delta": -40.0, "rank_a": "Gold", "rank_b": None},
        {"id": "L2", "a": 15.0, "b": 5.0, "delta": -10.0, "rank_a": None, "rank_b": None},
    ],
}  # fmt: skip


def test_whatif_totals_side_by_side_and_winners_and_losers() -> None:
    totals = data.whatif_totals_frame(WHATIF)
    assert list(totals["figure"]) == ["total paid", "payout ratio", "unilevel", "binary", "earners"]
    assert totals.loc[0, "difference"] == -20.0
    assert totals.loc[4, "difference"] == -1
    people = data.whatif_people_frame(WHATIF)
    assert list(people["side"]) == ["winner", "loser", "loser"]
    (bars,) = figures.whatif_people(people).data
    assert list(bars.y) == ["L1", "L2", "W"]  # largest loss at the bottom, largest gain on top
    assert list(bars.marker.color) == [figures.LOSER, figures.LOSER, figures.WINNER]


def test_health_figures() -> None:
    trend = pd.DataFrame(
        {"period": ["2026-09", "2026-10"], "retail_share": [0.6, 0.4], "self_share": [0.4, 0.6]}
    )
    fig = figures.retail_trend(trend, 0.5)
    assert [t.name for t in fig.data] == ["retail (outside customers)", "bought by distributors"]
    (line,) = fig.layout.shapes
    assert (line.y0, line.y1) == (0.5, 0.5)

    doc = {"earnings_percentiles": {"p90": 40.0, "p10": 0.0, "p50": 2.5}}
    percentiles = data.percentiles_frame(doc)
    assert list(percentiles["percentile"]) == [10, 50, 90]
    (bars,) = figures.earnings_percentiles(percentiles).data
    assert list(bars.x) == ["p10", "p50", "p90"]
    assert data.percentiles_frame({"earnings_percentiles": None}).empty

    cohorts = data.cohorts_frame(
        {"cohorts": [{"cohort": "2026-09", "members": 4, "after_1": 0.5, "after_3": None, "after_6": None,
                      "after_12": None}]}
    )  # fmt: skip
    (heat,) = figures.cohort_retention(cohorts).data
    assert list(heat.y) == ["2026-09 (4)"]
    assert list(heat.text[0]) == ["50%", "", "", ""]  # not in the data yet: blank, not 0%


def test_warm_up_draws_each_overview_figure_with_data() -> None:
    drawn = [json.loads(text) for text in figures.warm_up()]
    assert len(drawn) == 5
    for fig in drawn:
        assert fig["data"], fig["layout"].get("title")  # a trace each, not the "nothing yet" figure
        assert not fig["layout"].get("annotations")


def test_margins_are_set_from_the_labels_and_plotly_does_not_grow_them() -> None:
    """figures.TEMPLATE turns automargin off (one drawing pass in the browser), so the labels'
    room is the figure's own margin: wider for longer labels, within bounds."""
    for axis in ("xaxis", "yaxis"):
        assert figures.TEMPLATE.layout[axis].automargin is False
    short = figures.top_by_gv(
        pd.DataFrame({"id": ["A"], "name": [""], "gv": [1.0], "pv": [1.0], "downline_size": [0]})
    )
    long_name = 'Wojciech "Boss" Woźniak'
    long = figures.top_by_gv(
        pd.DataFrame({"id": ["D4613"], "name": [long_name], "gv": [1.0], "pv": [1.0], "downline_size": [0]})
    )
    assert short.layout.margin.l < long.layout.margin.l <= 320
    assert long.layout.margin.l >= 7 * len(f"{long_name} (D4613)")
    assert figures.left_margin(["x" * 500]) == 320
    months = pd.DataFrame({"month": ["2026-01", "2026-02"], "new_distributors": [1, 2]})
    assert figures.growth(months).layout.margin.b >= 7 * len("2026-01")
    assert figures.bottom_margin(["a"]) == figures.MARGIN["b"]
    assert figures.bottom_margin(["abcdefgh"], title=True) > figures.bottom_margin(["abcdefgh"])
    assert (
        figures.trend(
            pd.DataFrame({"period": ["2026-01"], "volume": [1.0], "active": [1], "members": [1]})
        ).layout.margin.r
        > figures.MARGIN["r"]
    )  # the right axis's ticks and title
