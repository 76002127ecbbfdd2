"""4 Commission flows: where a stored run's money went, and a plan what-if.

For the run picked (newest first, or `?run=ID`): its totals, a Sankey from top-level legs to
ranks to components, money by component and by upline level, by rank and by top-level leg, all
read from the flows stored with the run (one node: runs.run_flows, whatever the network's size);
and the payout ratio of every run over time, a line per plan. The what-if recomputes run A's
period under run A's plan and under run B's plan (compensation/whatif.py; nothing stored) and
shows both totals side by side, the difference and the biggest winners and losers: as over the
API (POST /v1/commissions/whatif), an analyst or admin key, counted as an expensive request.

Every figure here is company-wide: a key limited to one organisation gets a plain message and
nothing else (the API answers it 403).
"""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboards import data, figures, ids
from dashboards.auth import caller
from dashboards.pages import tables
from dashboards.pages.common import GRAPH_CONFIG, error_box, money, register_page, safe
from graph_service.compensation.runs import RunSummary

NAME = "Commission flows"
TOP = 10  # winners and losers shown by the what-if


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def _option(r: RunSummary) -> dict[str, str]:
    return {"label": f"{r.period} · {r.plan} · {r.run_id}", "value": r.run_id}


def _kpi(label: str, value: str, component_id: str) -> html.Div:
    return html.Div(
        [html.Div(value, className="value", id=component_id), html.Div(label, className="label")],
        className="card kpi",
    )


def _other(found: list[RunSummary], chosen: RunSummary) -> str:
    """A default plan B for the what-if: another run of the same period, else the newest other run."""
    same = [r for r in found if r.period == chosen.period and r.plan_sha256 != chosen.plan_sha256]
    rest = [r for r in found if r.run_id != chosen.run_id]
    return (same or rest or [chosen])[0].run_id


def _whatif_panel(found: list[RunSummary], chosen: RunSummary) -> html.Div:
    c = caller()
    heading = html.H3("Plan what-if", style={"margin": "0 0 4px"})
    if not c.allows("analyst"):
        return html.Div(
            [
                heading,
                html.P(
                    "The plan what-if recomputes a period under two plans: it needs an analyst or admin "
                    f"key, as over the API (this key is a {c.key.role}).",
                    id="flows-whatif-refused",
                    className="muted",
                ),
            ],
            className="card",
        )
    options = [_option(r) for r in found]
    return html.Div(
        [
            heading,
            html.P(
                "Recomputes run A's period twice from one read of the data, under run A's plan and under "
                "run B's plan (pick two runs of the same period, or any run's plan as B); nothing is "
                "stored. Counts against the key's budget of expensive requests.",
                className="muted",
            ),
            html.Div(
                [
                    html.Span("A: run", className="muted"),
                    html.Div(
                        dcc.Dropdown(
                            id=ids.FL_WHATIF_A, options=options, value=chosen.run_id, clearable=False
                        ),
                        style={"width": "380px"},
                    ),
                    html.Span("B: the plan of run", className="muted"),
                    html.Div(
                        dcc.Dropdown(
                            id=ids.FL_WHATIF_B, options=options, value=_other(found, chosen), clearable=False
                        ),
                        style={"width": "380px"},
                    ),
                    html.Button("Compare", id=ids.FL_WHATIF_GO, n_clicks=0),
                ],
                style={"display": "flex", "alignItems": "center", "gap": "8px", "flexWrap": "wrap"},
            ),
            error_box(ids.FL_WHATIF_ERROR),
            dcc.Loading(
                html.Div(
                    [
                        html.Div(id=ids.FL_WHATIF_TOTALS, style={"margin": "10px 0"}),
                        html.Div(
                            [
                                html.Div(
                                    [
                                        html.H4("Biggest winners", style={"margin": "4px 0"}),
                                        html.Div(id=ids.FL_WHATIF_WINNERS),
                                    ],
                                    className="half",
                                ),
                                html.Div(
                                    [
                                        html.H4("Biggest losers", style={"margin": "4px 0"}),
                                        html.Div(id=ids.FL_WHATIF_LOSERS),
                                    ],
                                    className="half",
                                ),
                            ],
                            className="row",
                        ),
                        dcc.Graph(
                            id=ids.FL_WHATIF_PEOPLE,
                            config=GRAPH_CONFIG,
                            figure=figures.empty("Biggest winners and losers", "press Compare"),
                            style={"height": "420px"},
                        ),
                    ]
                ),
                type="default",
            ),
        ],
        className="card",
        style={"marginTop": "14px"},
    )


def layout(run: Any = None, **_: Any) -> html.Div:
    c = caller()
    if c.scope is not None:
        return html.Div(
            [
                html.H2(NAME),
                html.P(data.COMPANY_WIDE.format(scope=c.scope), id=ids.FL_SCOPED, className="error"),
            ]
        )
    found = data.commission_runs(c)
    if not found:
        return html.Div(
            [
                html.H2(NAME),
                html.P(
                    [
                        "No commission runs yet. Run one with ",
                        html.Code("downline commissions run --plan plans/hybrid.toml --period YYYY-MM"),
                        " (or POST /v1/commissions/runs with an admin key).",
                    ],
                    id="flows-none",
                    className="muted",
                ),
            ]
        )
    wanted = _first(run)
    chosen = next((r for r in found if r.run_id == wanted), found[0])
    return html.Div(
        [
            html.Div(
                [
                    html.H2(NAME, style={"margin": "0 12px 0 0"}),
                    html.Span("run", className="muted"),
                    html.Div(
                        dcc.Dropdown(
                            id=ids.FL_RUN,
                            options=[_option(r) for r in found],
                            value=chosen.run_id,
                            clearable=False,
                        ),
                        style={"width": "440px"},
                    ),
                ],
                style={"display": "flex", "alignItems": "center", "gap": "8px"},
            ),
            error_box(ids.FL_ERROR),
            html.Div(id=ids.FL_KPIS, className="row", style={"margin": "12px 0"}),
            html.Div(
                [
                    html.Div(
                        dcc.Graph(id=ids.FL_SANKEY, config=GRAPH_CONFIG, style={"height": "560px"}),
                        className="card",
                        style={"flex": "1 1 100%"},
                    ),
                    html.Div(dcc.Graph(id=ids.FL_COMPONENTS, config=GRAPH_CONFIG), className="card half"),
                    html.Div(dcc.Graph(id=ids.FL_LEVELS, config=GRAPH_CONFIG), className="card half"),
                    html.Div(
                        [html.H4("By rank", style={"margin": "4px 0 8px"}), html.Div(id=ids.FL_RANKS)],
                        className="card half",
                    ),
                    html.Div(
                        [
                            html.H4("Top-level legs by money paid from them", style={"margin": "4px 0 8px"}),
                            html.Div(id=ids.FL_LEGS),
                        ],
                        className="card half",
                    ),
                    html.Div(
                        dcc.Graph(
                            id=ids.FL_RATIO,
                            config=GRAPH_CONFIG,
                            figure=figures.payout_ratio_over_time(data.ratio_frame(found)),
                        ),
                        className="card",
                        style={"flex": "1 1 100%"},
                    ),
                ],
                className="row",
            ),
            _whatif_panel(found, chosen),
        ]
    )


def _rank_table(doc: dict[str, Any]) -> Any:
    frame = data.ranks_frame(doc)
    frame["rank"] = frame["rank"].fillna("no rank")
    return tables.table(
        frame,
        [
            ("rank", "rank", tables.plain),
            ("holders", "holders", tables.count),
            ("earners", "earned something", tables.count),
            ("total", "earned in all", tables.money),
            ("rank_bonus", "of which rank bonus", tables.money),
        ],
        component_id="flows-rank-table",
        empty="no ranks in this plan",
    )


def _legs_table(doc: dict[str, Any]) -> Any:
    frame = data.top_legs_frame(doc)
    frame["leg"] = [
        f"{leg} ({n:,})" if leg == "other legs" else leg
        for leg, n in zip(frame["leg"], frame["legs"], strict=True)
    ]
    return tables.table(
        frame,
        [
            ("leg", "leg", tables.plain),
            ("volume", "volume (PV)", tables.money),
            ("paid_from", "paid from its volume", tables.money),
            ("earned_in", "earned by its members", tables.money),
        ],
        component_id="flows-legs-table",
        empty="no volume in this period",
    )


def _totals(doc: dict[str, Any]) -> html.Div:
    a, b = doc["a"], doc["b"]
    rows = []
    for record in data.whatif_totals_frame(doc).to_dict("records"):
        if record["figure"] == "payout ratio":
            cells = [tables.percent(record["a"]), tables.percent(record["b"]),
                     f"{record['difference'] * 100:+.2f} points"]  # fmt: skip
        elif record["figure"] == "earners":
            cells = [tables.count(record["a"]), tables.count(record["b"]), f"{int(record['difference']):+,}"]
        else:
            cells = [tables.money(record[k]) for k in ("a", "b")] + [tables.signed(record["difference"])]
        rows.append(html.Tr([html.Td(record["figure"]), *(html.Td(x) for x in cells)]))
    head = html.Tr(
        [
            html.Th(""),
            html.Th(f"A: {a['plan']}", title=a.get("run_id", "")),
            html.Th(f"B: {b['plan']}", title=b.get("run_id", "")),
            html.Th("B minus A"),
        ]
    )
    return html.Div(
        [
            html.P(
                f"Period {doc['period']}, volume {money(doc['volume'])} PV. "
                f"{doc['better_off']:,} better off under B, {doc['worse_off']:,} worse off.",
                id="flows-whatif-summary",
            ),
            html.Table([html.Thead(head), html.Tbody(rows)], className="data", id="flows-whatif-table"),
        ]
    )


PEOPLE = [
    ("id", "distributor", tables.plain),
    ("a", "under A", tables.money),
    ("b", "under B", tables.money),
    ("delta", "change", tables.signed),
    ("rank_a", "rank A", tables.plain),
    ("rank_b", "rank B", tables.plain),
]


def register(app: dash.Dash) -> None:
    register_page(
        __name__, path="/flows", name=NAME, title="downline: commission flows", order=4, layout=layout
    )
    blank = figures.empty("", "")

    @app.callback(
        Output(ids.FL_KPIS, "children"),
        Output(ids.FL_SANKEY, "figure"),
        Output(ids.FL_COMPONENTS, "figure"),
        Output(ids.FL_LEVELS, "figure"),
        Output(ids.FL_RANKS, "children"),
        Output(ids.FL_LEGS, "children"),
        Output(ids.FL_ERROR, "children"),
        Input(ids.FL_RUN, "value"),
    )
    @safe(6, [[], blank, blank, blank, [], [], ""])
    def show(run_id: str | None) -> tuple[Any, ...]:
        if not run_id:
            return [], blank, blank, blank, [], [], "pick a run"
        doc = data.flows(caller(), run_id)
        ranks = doc.get("by_rank", [])
        kpis = [
            _kpi("period", str(doc["period"]), "flows-kpi-period"),
            _kpi("plan", str(doc["plan"]), "flows-kpi-plan"),
            _kpi("volume (PV)", money(doc["volume"]), "flows-kpi-volume"),
            _kpi("paid", money(doc["total"]), "flows-kpi-total"),
            _kpi("payout ratio", f"{doc['payout_ratio']:.1%}", "flows-kpi-ratio"),
            _kpi("earned something", f"{sum(r['earners'] for r in ranks):,}", "flows-kpi-earners"),
        ]
        return (
            kpis,
            figures.flows_sankey(data.sankey_frame(doc)),
            figures.paid_by_component(data.components_frame(doc)),
            figures.paid_by_level(data.levels_frame(doc)),
            _rank_table(doc),
            _legs_table(doc),
            "",
        )

    @app.callback(
        Output(ids.FL_WHATIF_TOTALS, "children"),
        Output(ids.FL_WHATIF_WINNERS, "children"),
        Output(ids.FL_WHATIF_LOSERS, "children"),
        Output(ids.FL_WHATIF_PEOPLE, "figure"),
        Output(ids.FL_WHATIF_ERROR, "children"),
        Input(ids.FL_WHATIF_GO, "n_clicks"),
        State(ids.FL_WHATIF_A, "value"),
        State(ids.FL_WHATIF_B, "value"),
        prevent_initial_call=True,
    )
    @safe(4, [[], [], [], blank, ""])
    def compare(_: int, run_a: str | None, run_b: str | None) -> tuple[Any, ...]:
        if not run_a or not run_b:
            return [], [], [], blank, "pick two runs"
        doc = data.whatif(caller(), run_a, run_b, top=TOP)
        people = data.whatif_people_frame(doc)
        winners = people[people["side"] == "winner"]
        losers = people[people["side"] == "loser"]
        return (
            _totals(doc),
            tables.table(winners, PEOPLE, component_id="flows-winners", empty="nobody gains"),
            tables.table(losers, PEOPLE, component_id="flows-losers", empty="nobody loses"),
            figures.whatif_people(pd.concat([winners, losers], ignore_index=True)),
            "",
        )
