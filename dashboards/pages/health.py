"""5 Network health: the figures regulators judge a network-marketing company on, for a period
and optionally a commission run (analytics/health.py, the same function as GET
/v1/network/health): the contract's figures with what each means and its red-flag threshold,
the red flags with why each matters, the score, the retail trend, earnings percentiles, cohort
retention and the other extras; with a run, its income disclosure statement inline and as a
printable page (`/dashboard/disclosure/RUN_ID`, behind the same key cookie).

A key limited to one organisation sees the figures of that organisation (the health module's
scope: its distributor and their downline, the money of a run included) and no disclosure
statement, which is company-wide (the API answers that 403).
"""

from __future__ import annotations

from typing import Any

import dash
import flask
import pandas as pd
from dash import Input, Output, State, dcc, html
from werkzeug.wrappers import Response

from dashboards import data, figures, ids
from dashboards.auth import UNAVAILABLE, caller
from dashboards.pages import tables
from dashboards.pages.common import (
    GRAPH_CONFIG,
    error_box,
    facts,
    money,
    period_picker,
    problem,
    register_page,
    relative,
    safe,
)
from graph_service.errors import DownlineError

NAME = "Network health"
RUNS_STORE = "health-runs"

# The contract's figures (section 6): key, label, what it means in plain words, and the red flag
# that judges it (health.red_flags names), if any.
FIGURES: list[tuple[str, str, str, str | None]] = [
    ("distributors", "distributors", "Everyone counted: all published distributors (with a run, everyone "
     "in the data it read), those without orders included.", None),
    ("active", "active", "Distributors whose PV in the period reached the activity threshold.", None),
    ("retail_share", "retail share", "The part of the period's volume sold to outside customers rather "
     "than bought by the distributors themselves.", "retail_share"),
    ("median_pv", "median PV", "Half of all distributors had less PV than this in the period (no "
     "orders counts as 0): the typical member, not the average.", None),
    ("zero_earner_share", "earned nothing", "The share of all distributors who earned nothing in the run "
     "(or had more clawed back than paid).", "zero_earners"),
    ("median_earnings", "median earnings", "Half of all distributors earned less than this in the run: "
     "the typical earning, not the average pulled up by a few.", None),
    ("top1_share", "paid to the top 1%", "The share of all money paid that went to the top 1% of "
     "earners.", "top1_concentration"),
    ("gini", "Gini of earnings", "Inequality of earnings: 0 when everyone earns the same, close to 1 "
     "when a few take almost everything.", None),
]  # fmt: skip
SHARES = {"retail_share", "zero_earner_share", "top1_share"}
MONEY = {"median_earnings"}
PV = {"median_pv"}


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def _run_options(choices: list[dict[str, str]], period: str | None) -> list[dict[str, str]]:
    return [
        {"label": f"{r['plan']} · {r['run_id']}", "value": r["run_id"]}
        for r in choices
        if r["period"] == period
    ]


def layout(period: Any = None, run: Any = None, **_: Any) -> html.Div:
    c = caller()
    periods = data.periods(c)
    choices = data.run_choices(c)
    wanted = _first(run)
    picked = next((r for r in choices if r["run_id"] == wanted), None)
    chosen = picked["period"] if picked else _first(period)
    if chosen not in periods and picked is None:
        chosen = periods[-1] if periods else None
    scope = f" (the organisation of {c.scope})" if c.scope else ""
    return html.Div(
        [
            dcc.Store(id=RUNS_STORE, data=choices),
            html.Div(
                [
                    html.H2(f"{NAME}{scope}", style={"margin": "0 12px 0 0"}),
                    html.Span("period", className="muted"),
                    period_picker(ids.HL_PERIOD, periods, chosen),
                    html.Span("commission run", className="muted"),
                    html.Div(
                        dcc.Dropdown(
                            id=ids.HL_RUN,
                            options=_run_options(choices, chosen),
                            value=picked["run_id"] if picked else None,
                            placeholder="none: volume figures only",
                        ),
                        style={"width": "380px"},
                    ),
                ],
                style={"display": "flex", "alignItems": "center", "gap": "8px", "flexWrap": "wrap"},
            ),
            error_box(ids.HL_ERROR),
            html.Div(id=ids.HL_FIGURES, className="row", style={"margin": "12px 0"}),
            html.Div(
                [html.H3("Red flags", style={"margin": "0 0 6px"}), html.Div(id=ids.HL_FLAGS)],
                className="card",
            ),
            html.Div(
                [
                    html.Div(dcc.Graph(id=ids.HL_TREND, config=GRAPH_CONFIG), className="card half"),
                    html.Div(dcc.Graph(id=ids.HL_EARNINGS, config=GRAPH_CONFIG), className="card half"),
                    html.Div(
                        [html.H4("More figures", style={"margin": "4px 0 8px"}), html.Div(id=ids.HL_EXTRAS)],
                        className="card half",
                    ),
                    html.Div(dcc.Graph(id=ids.HL_COHORTS, config=GRAPH_CONFIG), className="card half"),
                ],
                className="row",
                style={"marginTop": "14px"},
            ),
            html.Div(id=ids.HL_DISCLOSURE, className="card", style={"marginTop": "14px"}),
        ]
    )


def _value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in SHARES:
        return f"{float(value):.1%}"
    if key in MONEY:
        return money(value)
    if key in PV:
        return f"{float(value):,.2f} PV"
    if key == "gini":
        return f"{float(value):.2f}"
    return f"{int(value):,}"


def _flag_words(flag: dict[str, Any]) -> str:
    return "red flag: " + str(flag["rule"])


def figure_cards(doc: dict[str, Any]) -> list[html.Div]:
    """The score and a card per contract figure: value, what it is, and its red-flag rule (the
    card turns red when the flag fires)."""
    flags = {f["name"]: f for f in doc.get("red_flags", [])}
    fired = [f for f in flags.values() if f["fired"]]
    judged = sum(1 for f in flags.values() if f["evaluated"])
    cards = [
        html.Div(
            [
                html.Div(f"{doc['score']} / 100", className="value", id=ids.HL_SCORE),
                html.Div("health score", className="label"),
                html.Div(
                    f"{len(fired)} red flag{'' if len(fired) == 1 else 's'} of {judged} rule"
                    f"{'' if judged == 1 else 's'} judged; each fired flag takes points off",
                    className="muted",
                ),
            ],
            className="card kpi" + (" fired" if fired else " healthy"),
            style={"maxWidth": "220px"},
        )
    ]
    for key, label, meaning, flag_name in FIGURES:
        flag = flags.get(flag_name or "")
        money_figure = key in ("zero_earner_share", "median_earnings", "top1_share", "gini")
        if doc.get(key) is None and money_figure:
            meaning = meaning + " Pick a commission run to see it."
        parts: list[Any] = [
            html.Div(_value(key, doc.get(key)), className="value", id=f"health-fig-{key}"),
            html.Div(label, className="label"),
            html.Div(meaning, className="muted", style={"marginTop": "4px"}),
        ]
        if flag is not None:
            parts.append(html.Div(_flag_words(flag), className="rule"))
        state = " fired" if flag is not None and flag["fired"] else ""
        cards.append(html.Div(parts, className="card kpi figure" + state))
    return cards


def flags_table(doc: dict[str, Any]) -> html.Table:
    """Every rule with its value, threshold, verdict and why it matters; fired ones highlighted."""
    rows = []
    for f in doc.get("red_flags", []):
        verdict = "RED FLAG" if f["fired"] else "ok" if f["evaluated"] else "not judged"
        value = "—" if f["value"] is None else f"{float(f['value']):.1%}"
        rows.append(
            html.Tr(
                [
                    html.Td(verdict, className="verdict"),
                    html.Td(str(f["rule"])),
                    html.Td(value),
                    html.Td(f"{float(f['threshold']):.0%}"),
                    html.Td(str(f["explanation"]), className="why"),
                ],
                className="fired" if f["fired"] else "ok" if f["evaluated"] else "unjudged",
                id=f"health-flag-{f['name']}",
            )
        )
    head = html.Tr([html.Th(h) for h in ("", "rule", "value", "threshold", "why it matters")])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="data flags")


def extras(doc: dict[str, Any]) -> html.Table:
    r = doc.get("recruiting", {})
    b = doc.get("bunching", {})
    rows: list[tuple[str, Any]] = [
        ("computed over", f"the organisation of {doc['scope']}" if doc.get("scope") else "the whole network"),
        ("commission run", f"{doc['plan']} ({doc['run_id']})" if doc.get("run_id") else "none"),
        ("activity threshold", f"{float(doc['active_pv']):,.2f} PV"),
        ("active share", tables.percent(doc.get("active_share"))),
        ("volume", f"{money(doc['volume'])} PV"),
        ("retail volume", f"{money(doc['retail_volume'])} PV"),
        (
            "bought by distributors",
            f"{money(doc['self_volume'])} PV ({tables.percent(doc.get('self_share'))})",
        ),
        ("joined in the period", f"{int(doc['new_distributors']):,}"),
        (
            "recruiting",
            f"{int(r.get('recruits', 0)):,} recruits by {int(r.get('sponsors', 0)):,} sponsors; the top 1% "
            f"({int(r.get('top_sponsors', 0)):,}) brought {tables.percent(r.get('top1_share'))}",
        ),
        (
            "bunching at the threshold",
            f"{int(b.get('members', 0)):,} active members ({tables.percent(b.get('share'))}) with PV in "
            f"[{float(b.get('from', 0)):,.2f}, {float(b.get('to', 0)):,.2f})",
        ),
    ]
    if doc.get("run_id"):
        rows += [
            ("total paid", money(doc["total_paid"])),
            ("earned something", f"{int(doc['earners']):,}"),
            ("mean earnings", money(doc["mean_earnings"])),
            ("paid to the top 10%", tables.percent(doc.get("top10_share"))),
            (
                "paid at level 4 or deeper",
                "company-wide only" if doc.get("paid_depth_share") is None
                else tables.percent(doc["paid_depth_share"]),
            ),
        ]  # fmt: skip
    return facts(rows, "health-extras-table")


DISCLOSURE = [
    ("group", "group", tables.plain),
    ("members", "members", tables.count),
    ("share_of_members", "share of members", tables.percent),
    ("earners", "earned something", tables.count),
    ("share_at_zero", "share at zero", tables.percent),
    ("mean", "mean", tables.money),
    ("median", "median", tables.money),
    ("p10", "p10", tables.money),
    ("p25", "p25", tables.money),
    ("p75", "p75", tables.money),
    ("p90", "p90", tables.money),
    ("p99", "p99", tables.money),
    ("lowest", "lowest", tables.money),
    ("highest", "highest", tables.money),
    ("total", "total", tables.money),
]


def disclosure_panel(run_id: str | None) -> list[Any]:
    heading = html.H3("Income disclosure statement", style={"margin": "0 0 6px"})
    c = caller()
    if run_id is None:
        return [heading, html.P("Pick a commission run to see its statement.", className="muted")]
    if c.scope is not None:
        return [
            heading,
            html.P(
                "The income disclosure statement is company-wide: it needs a key without a scope.",
                className="muted",
                id="health-disclosure-refused",
            ),
        ]
    from graph_service.analytics.health import HOW_TO_READ

    statement = data.disclosure(c, run_id)
    frame = pd.DataFrame([r.to_json() for r in statement.rows])
    return [
        heading,
        html.P(
            [
                f"Plan {statement.plan}, period {statement.period}, run {statement.run_id}: "
                f"{statement.distributors:,} distributors, {money(statement.total)} paid in all. ",
                html.A(
                    "Printable page",
                    href=relative(f"/disclosure/{run_id}"),
                    id="health-disclosure-link",
                    target="_blank",
                ),
            ],
        ),
        html.P(HOW_TO_READ, className="muted"),
        tables.table(frame, DISCLOSURE, component_id="health-disclosure-table"),
    ]


def printable(run_id: str) -> Response:
    """The statement as the API's printable page (`?format=html`), behind the dashboard's cookie."""
    try:
        statement = data.disclosure(caller(), run_id)
    except DownlineError as exc:
        return flask.Response(exc.message, status=exc.http_status, mimetype="text/plain")
    except UNAVAILABLE as exc:
        return flask.Response(problem(exc), status=503, mimetype="text/plain", headers={"Retry-After": "5"})
    return flask.Response(statement.html(), mimetype="text/html", headers={"Cache-Control": "no-store"})


def register(app: dash.Dash) -> None:
    register_page(
        __name__, path="/health", name=NAME, title="downline: network health", order=5, layout=layout
    )
    app.server.add_url_rule("/disclosure/<run_id>", "downline_disclosure", printable, methods=["GET"])
    blank = figures.empty("", "")

    @app.callback(
        Output(ids.HL_RUN, "options"),
        Output(ids.HL_RUN, "value"),
        Input(ids.HL_PERIOD, "value"),
        State(RUNS_STORE, "data"),
        State(ids.HL_RUN, "value"),
        prevent_initial_call=True,
    )
    def runs_of(period: str | None, choices: list[dict[str, str]] | None, run_id: str | None) -> Any:
        options = _run_options(choices or [], period)
        keep = run_id if any(o["value"] == run_id for o in options) else None
        return options, keep

    @app.callback(
        Output(ids.HL_FIGURES, "children"),
        Output(ids.HL_FLAGS, "children"),
        Output(ids.HL_TREND, "figure"),
        Output(ids.HL_EARNINGS, "figure"),
        Output(ids.HL_EXTRAS, "children"),
        Output(ids.HL_COHORTS, "figure"),
        Output(ids.HL_DISCLOSURE, "children"),
        Output(ids.HL_ERROR, "children"),
        Input(ids.HL_PERIOD, "value"),
        Input(ids.HL_RUN, "value"),
    )
    @safe(7, [[], [], blank, blank, [], blank, [], ""])
    def show(period: str | None, run_id: str | None) -> tuple[Any, ...]:
        doc = data.health(caller(), period, run_id or None)
        retail = next((f for f in doc.get("red_flags", []) if f["name"] == "retail_share"), None)
        threshold = None if retail is None else float(retail["threshold"])
        return (
            figure_cards(doc),
            flags_table(doc),
            figures.retail_trend(data.retail_trend_frame(doc), threshold),
            figures.earnings_percentiles(data.percentiles_frame(doc)),
            extras(doc),
            figures.cohort_retention(data.cohorts_frame(doc)),
            disclosure_panel(run_id or None),
            "",
        )
