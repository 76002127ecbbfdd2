"""1 Overview: the network at a glance for a period (members, active, volume, retail share), the
trend over every period, new members per month, the depth and frontline histograms and the top
distributors by GV. One service call (network_stats, over the key's scope) feeds it all."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from dashboards import data, figures, ids
from dashboards.auth import caller
from dashboards.pages.common import GRAPH_CONFIG, error_box, money, period_picker, register_page, safe, share

NAME = "Overview"


def layout(**_: Any) -> html.Div:
    """The page with the latest period's figures already in it: the browser draws them with the
    page, not after a callback's round trip (and not first as empty charts). The period picker's
    callback redraws them for another period."""
    c = caller()
    periods = data.periods(c)
    latest = periods[-1] if periods else None
    kpis, trend, growth, depth, frontline, top, error = view(latest)
    scope = f" (the organisation of {c.scope})" if c.scope else ""
    return html.Div(
        [
            html.Div(
                [
                    html.H2(f"Overview{scope}", style={"margin": "0 12px 0 0"}),
                    html.Span("period", className="muted"),
                    period_picker(ids.OV_PERIOD, periods, latest),
                ],
                style={"display": "flex", "alignItems": "center", "gap": "8px"},
            ),
            error_box(ids.OV_ERROR, error),
            html.Div(kpis, id=ids.OV_KPIS, className="row", style={"margin": "12px 0"}),
            html.Div(
                [
                    html.Div(_graph(ids.OV_TREND, trend), className="card half"),
                    html.Div(_graph(ids.OV_GROWTH, growth), className="card half"),
                    html.Div(_graph(ids.OV_DEPTH, depth), className="card half"),
                    html.Div(_graph(ids.OV_FRONTLINE, frontline), className="card half"),
                    html.Div(
                        _graph(ids.OV_TOP, top, style={"height": "420px"}),
                        className="card",
                        style={"flex": "1 1 100%"},
                    ),
                ],
                className="row",
            ),
        ]
    )


def _graph(component_id: str, figure: go.Figure, **options: Any) -> dcc.Graph:
    return dcc.Graph(id=component_id, figure=figure, config=GRAPH_CONFIG, **options)


Shown = tuple[list[html.Div], go.Figure, go.Figure, go.Figure, go.Figure, go.Figure, str]


def view(period: str | None) -> Shown:
    """The KPIs, the five figures and the error message for `period` (None: the latest)."""
    return _guarded()(period)


@functools.cache
def _guarded() -> Callable[[str | None], Shown]:
    """`_view` showing a refusal in the error box and blank charts (built once: 12 ms each)."""
    blank = figures.empty("", "")
    shown: Callable[[str | None], Shown] = safe(6, [[], blank, blank, blank, blank, blank, ""])(_view)
    return shown


def _view(period: str | None) -> Shown:
    n = data.network(caller(), period, top=15)
    t = n.totals
    kpis = [
        _kpi("members", f"{n.distributors:,}", "kpi-members"),
        _kpi(f"active in {n.period}", f"{t.active:,}", "kpi-active"),
        _kpi(f"volume (PV) in {n.period}", money(t.volume), "kpi-volume"),
        _kpi("retail share", share(t.retail_share), "kpi-retail"),
        _kpi(f"joined in {n.period}", f"{t.new_distributors:,}", "kpi-joined"),
        _kpi("max depth", f"{n.max_depth}", "kpi-depth"),
    ]
    return (
        kpis,
        figures.trend(data.history_frame(n)),
        figures.growth(data.growth_frame(n)),
        figures.depth_histogram(data.depth_frame(n)),
        figures.frontline_histogram(data.frontline_frame(n)),
        figures.top_by_gv(data.top_frame(n)),
        "",
    )


def _kpi(label: str, value: str, component_id: str) -> html.Div:
    return html.Div(
        [html.Div(value, className="value", id=component_id), html.Div(label, className="label")],
        className="card kpi",
    )


def register(app: dash.Dash) -> None:
    register_page(__name__, path="/", name=NAME, title="downline: overview", order=1, layout=layout)

    @app.callback(
        Output(ids.OV_KPIS, "children"),
        Output(ids.OV_TREND, "figure"),
        Output(ids.OV_GROWTH, "figure"),
        Output(ids.OV_DEPTH, "figure"),
        Output(ids.OV_FRONTLINE, "figure"),
        Output(ids.OV_TOP, "figure"),
        Output(ids.OV_ERROR, "children"),
        Input(ids.OV_PERIOD, "value"),
        prevent_initial_call=True,  # the layout has the first period's
    )
    def show(period: str | None) -> Shown:
        return view(period)
