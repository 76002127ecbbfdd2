"""3 Legs and balance: one distributor's legs (GV and share of each), how lopsided organisations
are across the network (strongest-leg share in tenths), and a sunburst of the distributor's
downline windowed by depth: the top 8 of each frontline by GV down to the chosen depth, the rest
of each frontline as one grey wedge (service.downline_window; never the whole tree)."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from dashboards import data, figures, ids
from dashboards.auth import UNAVAILABLE, caller
from dashboards.pages.common import (
    GRAPH_CONFIG,
    error_box,
    facts,
    href,
    money,
    period_picker,
    problem,
    register_page,
    safe,
    share,
)
from graph_service.errors import DownlineError

NAME = "Legs and balance"


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def layout(id: Any = None, **_: Any) -> html.Div:
    c = caller()
    periods = data.periods(c)
    latest = periods[-1] if periods else None
    who = _first(id) or c.scope
    if who is None:  # the largest root: where a look at balance usually starts
        roots = data.children(c, "", latest, limit=1).items
        who = roots[0].id if roots else ""
    return html.Div(
        [
            html.Div(
                [
                    html.H2("Legs and balance", style={"margin": "0 12px 0 0"}),
                    html.Span("distributor", className="muted"),
                    dcc.Input(
                        id=ids.LG_ID,
                        type="text",
                        value=who,
                        maxLength=64,
                        debounce=False,
                        style={"width": "180px"},
                    ),
                    html.Button("Show", id=ids.LG_GO, n_clicks=0),
                    html.Span("period", className="muted"),
                    period_picker(ids.LG_PERIOD, periods, latest),
                    html.Span("sunburst depth", className="muted"),
                    html.Div(
                        dcc.Dropdown(
                            id=ids.LG_DEPTH,
                            options=[
                                {"label": f"{i} level{'s' if i > 1 else ''}", "value": i} for i in range(1, 5)
                            ],
                            value=2,
                            clearable=False,
                        ),
                        style={"width": "120px"},
                    ),
                ],
                style={"display": "flex", "alignItems": "center", "gap": "8px", "flexWrap": "wrap"},
            ),
            error_box(ids.LG_ERROR),
            html.Div(id=ids.LG_SUMMARY, style={"margin": "8px 0"}),
            html.Div(
                [
                    html.Div(dcc.Graph(id=ids.LG_BARS, config=GRAPH_CONFIG), className="card half"),
                    html.Div(dcc.Graph(id=ids.LG_BALANCE, config=GRAPH_CONFIG), className="card half"),
                    html.Div(
                        dcc.Graph(id=ids.LG_SUNBURST, config=GRAPH_CONFIG, style={"height": "620px"}),
                        className="card",
                        style={"flex": "1 1 100%"},
                    ),
                ],
                className="row",
            ),
        ]
    )


def register(app: dash.Dash) -> None:
    register_page(__name__, path="/legs", name=NAME, title="downline: legs", order=3, layout=layout)
    blank = figures.empty("", "")

    @app.callback(
        Output(ids.LG_SUMMARY, "children"),
        Output(ids.LG_BARS, "figure"),
        Output(ids.LG_SUNBURST, "figure"),
        Output(ids.LG_ERROR, "children"),
        Input(ids.LG_GO, "n_clicks"),
        Input(ids.LG_ID, "n_submit"),
        Input(ids.LG_PERIOD, "value"),
        Input(ids.LG_DEPTH, "value"),
        State(ids.LG_ID, "value"),
    )
    @safe(3, ["", blank, blank, ""])
    def show(
        _go: Any, _submit: Any, period: str | None, depth: int | None, who: str | None
    ) -> tuple[Any, Any, Any, str]:
        who = (who or "").strip()
        if not who:
            return "", blank, blank, "enter a distributor id"
        c = caller()
        s = data.stats(c, who, period)
        summary = html.Div(
            [
                html.B(f"{s.name or s.id} ({s.id})", id="legs-who"),
                facts(
                    [
                        ("GV", money(s.gv)),
                        ("legs", f"{s.frontline:,}"),
                        ("strongest leg", share(s.strongest_leg_share)),
                        ("downline", f"{s.downline_size:,}"),
                    ]
                ),
                dcc.Link("open in the explorer", href=href("/explorer", focus=s.id)),
            ],
            className="card",
            style={"display": "inline-block"},
        )
        max_depth = int(depth or 2)
        window = data.window(c, s.id, period, max_depth)
        return (
            summary,
            figures.legs(data.legs_frame(s).head(30), s.name or s.id),
            figures.downline_sunburst(window, max_depth),
            "",
        )

    @app.callback(Output(ids.LG_BALANCE, "figure"), Input(ids.LG_PERIOD, "value"))
    def balance(period: str | None) -> Any:
        try:
            return figures.leg_balance(data.balance_frame(data.network(caller(), period, top=0)))
        except (DownlineError, *UNAVAILABLE) as exc:
            return figures.empty("Strongest-leg share across the network", problem(exc))
