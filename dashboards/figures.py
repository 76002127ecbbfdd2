"""Figures as pure functions of DataFrames: no database, no Dash callbacks, testable alone.

Each function names the columns it reads. Volumes are PV as floats (the service's exact decimals
turned into numbers at the edge, as the API does).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

ACTIVE = "#2e7d32"
INACTIVE = "#9e9e9e"
ACCENT = "#1565c0"
MORE = "#ffffff"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


# plotly.py's default template ("plotly", 6 kB in every figure) turns on `automargin` for every
# axis: plotly.js then draws each chart, measures its labels and draws it again with the margins
# grown, a third of the Overview's drawing time. This one keeps what the figures rely on (its
# colours, hover and axis typing) and the margins are set here, sized to the labels
# (`left_margin`, `bottom_margin`). Bars keep the default template's thin white outline.
TEMPLATE = go.layout.Template(
    data={"bar": [go.Bar(marker={"line": {"color": "white", "width": 0.5}})]},
    layout={
        "colorway": ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692",
                     "#B6E880", "#FF97FF", "#FECB52"],
        "font": {"color": "#2a3f5f"},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "autotypenumbers": "strict",
        "xaxis": {"automargin": False, "title": {"standoff": 10}, "showgrid": False},
        "yaxis": {"automargin": False, "title": {"standoff": 10}, "gridcolor": "#eeeeee", "zeroline": False},
    }
)  # fmt: skip
MARGIN = {"l": 72, "r": 20, "t": 45, "b": 50}  # room for "1.5M" ticks and an axis title


def _longest(labels: Any) -> int:
    return max((len(str(label)) for label in labels), default=0)


def left_margin(labels: Any) -> int:
    """A left margin that fits the longest of `labels` (category ticks at 12 px)."""
    return min(16 + 7 * _longest(labels), 320)


def bottom_margin(labels: Any, title: bool = False) -> int:
    """A bottom margin that fits category ticks of `labels` turned upright (plotly turns them
    when they overlap), and an axis title below them when `title`."""
    return max(MARGIN["b"], min(16 + 7 * _longest(labels) + (24 if title else 0), 220))


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "template": TEMPLATE,
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "margin": MARGIN,
        "font": {"family": FONT, "size": 12},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
    }
    fig.update_layout(**{**settings, **extra})  # the axes' grid: TEMPLATE's
    return fig


def empty(title: str, message: str) -> go.Figure:
    fig = _layout(go.Figure(), title)
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def trend(history: pd.DataFrame) -> go.Figure:
    """Per period: volume as bars, members and active members as lines (right axis).

    Columns: period, volume, active, members. The network's GV in a period is its volume (each PV
    counts once in its root's GV), so volume stands for both."""
    title = "Volume (= network GV), members and active per period"
    if history.empty:
        return empty(title, "no periods with orders yet")
    fig = go.Figure()
    fig.add_bar(x=history["period"], y=history["volume"], name="volume (PV)", marker_color=ACCENT)
    fig.add_scatter(
        x=history["period"],
        y=history["members"],
        name="members",
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#6d4c41"},
    )
    fig.add_scatter(
        x=history["period"],
        y=history["active"],
        name="active",
        yaxis="y2",
        mode="lines+markers",
        line={"color": ACTIVE},
    )
    return _layout(
        fig,
        title,
        yaxis={"title": "PV"},
        yaxis2={"title": "distributors", "overlaying": "y", "side": "right", "showgrid": False},
        legend={"orientation": "h", "y": -0.15},
        margin={**MARGIN, "r": 72},
        xaxis={"type": "category"},
    )


def warm_up() -> list[str]:
    """Each Overview figure drawn and serialised once from a made-up row: plotly builds its
    property validators on first use (0.1-0.2 s), which the first visitor after a worker starts
    would otherwise wait for (dashboards/app.py runs this in the background at start)."""
    from plotly.io.json import to_json_plotly

    drawn = [
        trend(pd.DataFrame({"period": ["2026-01"], "volume": [1.0], "active": [1], "members": [1]})),
        growth(pd.DataFrame({"month": ["2026-01"], "new_distributors": [1]})),
        depth_histogram(pd.DataFrame({"depth": [0], "distributors": [1]})),
        frontline_histogram(pd.DataFrame({"frontline": [1], "distributors": [1]})),
        top_by_gv(pd.DataFrame({"id": ["x"], "name": ["x"], "gv": [1.0], "pv": [1.0], "downline_size": [0]})),
    ]
    return [to_json_plotly(fig) for fig in drawn]


def growth(joins: pd.DataFrame) -> go.Figure:
    """New members per month. Columns: month, new_distributors."""
    title = "New members per month"
    if joins.empty:
        return empty(title, "no join dates")
    fig = go.Figure(go.Bar(x=joins["month"], y=joins["new_distributors"], marker_color=ACCENT))
    return _layout(
        fig,
        title,
        xaxis={"type": "category"},
        yaxis={"title": "joined"},
        margin={**MARGIN, "b": bottom_margin(joins["month"])},
    )


def depth_histogram(depths: pd.DataFrame) -> go.Figure:
    """Distributors at each depth (0 = roots). Columns: depth, distributors."""
    title = "Depth: distributors at each level below their root"
    if depths.empty:
        return empty(title, "no distributors")
    fig = go.Figure(go.Bar(x=depths["depth"], y=depths["distributors"], marker_color=ACCENT))
    dtick = 1 if len(depths) <= 30 else None  # every level labelled while they fit
    return _layout(fig, title, xaxis={"title": "depth", "dtick": dtick}, yaxis={"title": "distributors"})


def frontline_histogram(frontlines: pd.DataFrame) -> go.Figure:
    """Distributors by frontline size, log scale (most sponsor nobody, a few hundreds).
    Columns: frontline, distributors."""
    title = "Frontline size: how many each distributor sponsored"
    if frontlines.empty:
        return empty(title, "no distributors")
    fig = go.Figure(go.Bar(x=frontlines["frontline"], y=frontlines["distributors"], marker_color=ACCENT))
    return _layout(
        fig, title, xaxis={"title": "frontline members"}, yaxis={"title": "distributors", "type": "log"}
    )


def _label(row: pd.Series) -> str:
    name = row.get("name")
    return f"{name} ({row['id']})" if isinstance(name, str) and name else str(row["id"])


def top_by_gv(top: pd.DataFrame) -> go.Figure:
    """The largest GV of the period, largest on top. Columns: id, name, gv, pv, downline_size."""
    title = "Top distributors by GV"
    if top.empty:
        return empty(title, "nobody")
    labels = [_label(r) for _, r in top.iterrows()]
    fig = go.Figure(
        go.Bar(
            x=top["gv"],
            y=labels,
            orientation="h",
            marker_color=ACCENT,
            customdata=top[["pv", "downline_size"]].to_numpy(),
            hovertemplate="%{y}<br>GV %{x:,.2f}<br>PV %{customdata[0]:,.2f}"
            "<br>downline %{customdata[1]:,}<extra></extra>",
        )
    )
    return _layout(
        fig,
        title,
        yaxis={"autorange": "reversed"},
        xaxis={"title": "GV"},
        margin={**MARGIN, "l": left_margin(labels)},
    )


def legs(legs_frame: pd.DataFrame, who: str = "") -> go.Figure:
    """A distributor's legs by volume: bars of leg GV labelled with the share.
    Columns: id, gv, share, size."""
    title = f"Legs of {who}: GV and share" if who else "Legs: GV and share"
    if legs_frame.empty:
        return empty(title, "no legs (nobody in the frontline)")
    fig = go.Figure(
        go.Bar(
            x=legs_frame["id"].astype(str),
            y=legs_frame["gv"],
            text=[f"{s:.0%}" for s in legs_frame["share"]],
            textposition="outside",
            marker_color=[ACCENT if i == 0 else "#90caf9" for i in range(len(legs_frame))],
            customdata=legs_frame[["share", "size"]].to_numpy(),
            hovertemplate="leg %{x}<br>GV %{y:,.2f}<br>share %{customdata[0]:.1%}"
            "<br>members %{customdata[1]:,}<extra></extra>",
        )
    )
    return _layout(
        fig,
        title,
        xaxis={"title": "leg (frontline member)", "type": "category"},
        yaxis={"title": "leg GV"},
        margin={**MARGIN, "b": bottom_margin(legs_frame["id"], title=True)},
    )


def leg_balance(balance: pd.DataFrame) -> go.Figure:
    """Strongest-leg share across the network in tenths. Columns: from, to, distributors."""
    title = "Strongest-leg share across the network"
    if balance.empty or int(balance["distributors"].sum()) == 0:
        return empty(title, "nobody with legs and volume in this period")
    labels = [f"{a:.0%}-{b:.0%}" for a, b in zip(balance["from"], balance["to"], strict=True)]
    colours = ["#c62828" if a >= 0.8 else "#f9a825" if a >= 0.6 else ACTIVE for a in balance["from"]]
    fig = go.Figure(go.Bar(x=labels, y=balance["distributors"], marker_color=colours))
    return _layout(
        fig,
        title,
        xaxis={"title": "share of leg volume in the strongest leg", "type": "category"},
        yaxis={"title": "distributors"},
        margin={**MARGIN, "b": bottom_margin(labels, title=True)},
    )


def downline_sunburst(window: pd.DataFrame, max_depth: int = 3) -> go.Figure:
    """A windowed downline (service.downline_window): wedges sized by members, coloured by GV,
    grey for the "N more" rest of a frontline. Columns: id, parent, name, level, gv, members,
    kind. Shows `max_depth` rings below the centre at a time (click a wedge to go deeper)."""
    title = "Downline (sized by members, coloured by GV)"
    if window.empty:
        return empty(title, "nobody")
    labels = [
        str(n) if k == "more" else (str(n) if isinstance(n, str) and n else str(i))
        for i, n, k in zip(window["id"], window["name"], window["kind"], strict=True)
    ]
    gv = window["gv"].astype(float)
    top = max(float(gv[window["kind"] == "member"].clip(lower=0).max()), 1.0)
    colours = ["#e0e0e0" if k == "more" else v for k, v in zip(window["kind"], gv.clip(lower=0), strict=True)]
    fig = go.Figure(
        go.Sunburst(
            ids=window["id"],
            parents=window["parent"],
            labels=labels,
            values=window["members"],
            branchvalues="total",
            maxdepth=max_depth + 1,
            marker={
                "colors": colours,
                "colorscale": "Blues",
                "cmin": 0,
                "cmax": top,
                "showscale": True,
                "colorbar": {"title": {"text": "GV"}},
            },
            customdata=window[["gv", "members"]].to_numpy(),
            hovertemplate="%{label}<br>GV %{customdata[0]:,.2f}<br>members %{customdata[1]:,}<extra></extra>",
            insidetextorientation="radial",
        )
    )
    return _layout(fig, title, margin={"l": 10, "r": 10, "t": 45, "b": 10})


# -- the explorer's tree (dash-cytoscape elements) --------------------------------------------

MIN_NODE = 22.0
MAX_NODE = 70.0
STYLESHEET: list[dict[str, Any]] = [
    {
        "selector": "node",
        "style": {
            "label": "data(label)",
            "width": "data(w)",
            "height": "data(w)",
            "font-size": 10,
            "text-valign": "bottom",
            "text-margin-y": 4,
            "text-wrap": "ellipsis",
            "text-max-width": 110,
            "border-width": 1,
            "border-color": "#555555",
        },
    },
    {"selector": ".active", "style": {"background-color": ACTIVE}},
    {"selector": ".inactive", "style": {"background-color": INACTIVE}},
    {
        "selector": ".more",
        "style": {
            "background-color": MORE,
            "shape": "round-rectangle",
            "border-style": "dashed",
            "text-valign": "center",
            "text-margin-y": 0,
            "width": 70,
            "height": 24,
        },
    },
    {"selector": ".expanded", "style": {"border-width": 3, "border-color": "#263238"}},
    {"selector": ".focus", "style": {"border-width": 4, "border-color": ACCENT}},
    {"selector": ":selected", "style": {"overlay-color": ACCENT, "overlay-opacity": 0.25}},
    {
        "selector": "edge",
        "style": {
            "width": 1.5,
            "line-color": "#b0bec5",
            "curve-style": "bezier",
            "target-arrow-shape": "triangle",
            "target-arrow-color": "#b0bec5",
        },
    },
]

MORE_MARK = "\x1f"  # ids never hold control characters (contract section 1): a "more" node's id uses one


def more_id(parent: str, cursor: str) -> str:
    """The id of the "N more" node under `parent` ("" for the roots) continuing at `cursor`."""
    return f"{MORE_MARK}more{MORE_MARK}{parent}{MORE_MARK}{cursor}"


def node_width(gv: float, top: float) -> float:
    """Node size by GV: area proportional to GV against the largest on screen (negative GV as 0)."""
    if top <= 0 or gv <= 0:
        return MIN_NODE
    return round(MIN_NODE + (MAX_NODE - MIN_NODE) * math.sqrt(min(gv, top) / top), 1)


def tree_elements(nodes: pd.DataFrame, top_gv: float | None = None) -> list[dict[str, Any]]:
    """Cytoscape elements of a partial sponsor tree: one node per row and an edge from its parent
    when the parent is on screen. Columns: id, parent ("" for none), name, gv, pv, active,
    members, kind ("member" or "more"), hidden ("more" rows: members not shown yet), cursor
    ("more" rows: where the next page starts), expanded, focus, side ("L" or "R" for a child in
    the binary placement tree, shown before its label; empty or missing otherwise).
    Members are coloured by activity and sized by GV against `top_gv` (default: the largest
    shown). The parent goes in the data as "under": Cytoscape reads "parent" as a compound
    node (a box drawn around its children)."""
    if nodes.empty:
        return []
    members = nodes[nodes["kind"] == "member"]
    top = float(top_gv if top_gv is not None else members["gv"].clip(lower=0).max() if len(members) else 0)
    on_screen = set(nodes["id"])
    out: list[dict[str, Any]] = []
    for r in nodes.to_dict("records"):
        parent = str(r["parent"] or "")
        if r["kind"] == "more":
            node_id = more_id(parent, str(r["cursor"]))
            data: dict[str, Any] = {
                "id": node_id,
                "label": f"{int(r['hidden'])} more",
                "kind": "more",
                "under": parent,
                "cursor": str(r["cursor"]),
                "hidden": int(r["hidden"]),
                "w": 24,
            }
            classes = "more"
        else:
            node_id = str(r["id"])
            name = r["name"] if isinstance(r["name"], str) and r["name"] else ""
            side = r.get("side")
            label = f"{name} ({node_id})" if name else node_id
            data = {
                "id": node_id,
                "label": f"{side}: {label}" if isinstance(side, str) and side else label,
                "kind": "member",
                "under": parent,
                "gv": float(r["gv"]),
                "pv": float(r["pv"]),
                "members": int(r["members"]),
                "active": bool(r["active"]),
                "w": node_width(float(r["gv"]), top),
                "name": name,
                "expanded": bool(r["expanded"]),
                "focus": bool(r["focus"]),
            }
            if isinstance(side, str) and side:
                data["side"] = side
            classes = "active" if r["active"] else "inactive"
            if bool(r["expanded"]):
                classes += " expanded"
            if bool(r["focus"]):
                classes += " focus"
        out.append({"data": data, "classes": classes})
        if parent and parent in on_screen:
            out.append(
                {"data": {"id": f"{parent}{MORE_MARK}>{node_id}", "source": parent, "target": node_id}}
            )
    return out


NODE_COLUMNS = [
    "id",
    "parent",
    "name",
    "gv",
    "pv",
    "active",
    "members",
    "kind",
    "hidden",
    "cursor",
    "expanded",
    "focus",
    "side",
]


def tree_nodes(elements: list[dict[str, Any]]) -> pd.DataFrame:
    """The node rows (NODE_COLUMNS) back from elements made by `tree_elements`: the explorer keeps
    its state in the graph itself and adds to it."""
    rows = []
    for el in elements:
        d = el.get("data", {})
        if "source" in d:
            continue
        if d.get("kind") == "more":
            rows.append(
                {
                    "id": d["id"],
                    "parent": d.get("under", ""),
                    "name": None,
                    "gv": 0.0,
                    "pv": 0.0,
                    "active": False,
                    "members": 0,
                    "kind": "more",
                    "hidden": d.get("hidden", 0),
                    "cursor": d.get("cursor", ""),
                    "expanded": False,
                    "focus": False,
                    "side": "",
                }
            )
        else:
            rows.append(
                {
                    "id": d["id"],
                    "parent": d.get("under", ""),
                    "name": d.get("name") or None,
                    "gv": d.get("gv", 0.0),
                    "pv": d.get("pv", 0.0),
                    "active": d.get("active", False),
                    "members": d.get("members", 1),
                    "kind": "member",
                    "hidden": 0,
                    "cursor": "",
                    "expanded": d.get("expanded", False),
                    "focus": d.get("focus", False),
                    "side": d.get("side", ""),
                }
            )
    return pd.DataFrame(rows, columns=NODE_COLUMNS)


# -- 4 commission flows ---------------------------------------------------------------------------

LAYER_COLOURS = ("#90a4ae", "#7e57c2", "#1565c0")  # legs, ranks, components
COMPONENT_COLOURS = {"unilevel": "#1565c0", "binary": "#00897b", "matrix": "#6d4c41", "rank_bonus": "#f9a825"}
WINNER = "#2e7d32"
LOSER = "#c62828"


def flows_sankey(edges: pd.DataFrame) -> go.Figure:
    """Where a run's money went: top-level leg -> earner's rank -> component, already aggregated
    to a few dozen nodes (compensation/flows.py). Columns: stage (0: leg -> rank, 1: rank ->
    component), from, to, amount. Nodes are told apart by layer, so a rank named like a component
    stays a rank; edges of 0 or less (claw-backs larger than pay) cannot be drawn and are left out."""
    title = "Where the money went: top-level leg → rank → component"
    drawn = edges[edges["amount"] > 0] if not edges.empty else edges
    if drawn.empty:
        return empty(title, "nothing paid in this run")
    keys: dict[tuple[int, str], int] = {}

    def node(layer: int, name: str) -> int:
        return keys.setdefault((layer, name), len(keys))

    sources, targets = [], []
    for stage, a, b in zip(drawn["stage"], drawn["from"], drawn["to"], strict=True):
        sources.append(node(int(stage), str(a)))
        targets.append(node(int(stage) + 1, str(b)))
    labels = [name for (_, name) in keys]
    colours = [
        COMPONENT_COLOURS.get(name, LAYER_COLOURS[2]) if layer == 2 else LAYER_COLOURS[layer]
        for (layer, name) in keys
    ]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.2f",
            node={
                "label": labels,
                "color": colours,
                "pad": 14,
                "thickness": 16,
                "line": {"color": "#607d8b", "width": 0.5},
            },
            link={
                "source": sources,
                "target": targets,
                "value": drawn["amount"].astype(float).tolist(),
                "color": "rgba(120, 144, 156, 0.35)",
            },
        )
    )
    return _layout(fig, title, margin={"l": 10, "r": 10, "t": 45, "b": 10})


def paid_by_component(components: pd.DataFrame) -> go.Figure:
    """Money paid per component of the plan. Columns: component, amount."""
    title = "Paid by component"
    shown = components[components["amount"] != 0] if not components.empty else components
    if shown.empty:
        return empty(title, "nothing paid in this run")
    fig = go.Figure(
        go.Bar(
            x=shown["component"],
            y=shown["amount"],
            marker_color=[COMPONENT_COLOURS.get(c, ACCENT) for c in shown["component"]],
            text=[f"{v:,.2f}" for v in shown["amount"]],
            textposition="outside",
            cliponaxis=False,
        )
    )
    return _layout(fig, title, xaxis={"type": "category"}, yaxis={"title": "paid"})


def paid_by_level(levels: pd.DataFrame) -> go.Figure:
    """Unilevel and matrix money per upline level, one bar group per component.
    Columns: component, level, amount, lines."""
    title = "Paid by upline level (unilevel and matrix)"
    if levels.empty:
        return empty(title, "no level-based pay in this run")
    fig = go.Figure()
    for component, rows in levels.groupby("component", sort=False):
        fig.add_bar(
            x=rows["level"],
            y=rows["amount"],
            name=str(component),
            marker_color=COMPONENT_COLOURS.get(str(component), ACCENT),
            customdata=rows[["lines"]].to_numpy(),
            hovertemplate="level %{x}<br>paid %{y:,.2f}<br>%{customdata[0]:,} lines"
            "<extra>%{fullData.name}</extra>",
        )
    return _layout(
        fig,
        title,
        barmode="group",
        xaxis={"title": "level above the source", "dtick": 1},
        yaxis={"title": "paid"},
        legend={"orientation": "h", "y": -0.2},
    )


def payout_ratio_over_time(ratios: pd.DataFrame) -> go.Figure:
    """Payout ratio of every run by period, a line per plan name (several runs of one plan and
    period are several points). Columns: run_id, period, plan, payout_ratio."""
    title = "Payout ratio over time (paid / volume value), one point per run"
    if ratios.empty:
        return empty(title, "no commission runs yet")
    ordered = ratios.sort_values("period", kind="stable")
    fig = go.Figure()
    for plan, rows in ordered.groupby("plan", sort=False):
        fig.add_scatter(
            x=rows["period"],
            y=rows["payout_ratio"],
            name=str(plan),
            mode="lines+markers",
            customdata=rows[["run_id"]].to_numpy(),
            hovertemplate="%{x}<br>%{y:.1%}<br>run %{customdata[0]}<extra>%{fullData.name}</extra>",
        )
    periods = sorted(set(ordered["period"]))
    return _layout(
        fig,
        title,
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": periods},
        yaxis={"title": "payout ratio", "tickformat": ".0%", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
        showlegend=True,
    )


def whatif_people(people: pd.DataFrame) -> go.Figure:
    """The biggest winners and losers of a plan what-if: their change, green up, red down.
    Columns: id, a, b, delta, side."""
    title = "Biggest winners and losers: pay under plan B minus plan A"
    if people.empty:
        return empty(title, "nobody's pay changes")
    ordered = people.sort_values("delta", ascending=True, kind="stable")
    fig = go.Figure(
        go.Bar(
            x=ordered["delta"],
            y=ordered["id"].astype(str),
            orientation="h",
            marker_color=[WINNER if d > 0 else LOSER for d in ordered["delta"]],
            customdata=ordered[["a", "b"]].to_numpy(),
            hovertemplate="%{y}<br>A %{customdata[0]:,.2f} → B %{customdata[1]:,.2f}"
            "<br>change %{x:+,.2f}<extra></extra>",
        )
    )
    return _layout(
        fig,
        title,
        xaxis={"title": "change in total pay"},
        yaxis={"type": "category"},
        margin={**MARGIN, "l": left_margin(ordered["id"])},
    )


# -- 5 network health -----------------------------------------------------------------------------


def retail_trend(trend: pd.DataFrame, threshold: float | None = None) -> go.Figure:
    """Retail and self-bought shares of volume per period, with the red-flag threshold of the
    retail share as a dashed line. Columns: period, retail_share, self_share."""
    title = "Retail share of volume per period"
    if trend.empty:
        return empty(title, "no periods with orders")
    fig = go.Figure()
    fig.add_scatter(
        x=trend["period"], y=trend["retail_share"], name="retail (outside customers)", mode="lines+markers",
        line={"color": ACTIVE},
    )  # fmt: skip
    fig.add_scatter(
        x=trend["period"], y=trend["self_share"], name="bought by distributors", mode="lines+markers",
        line={"color": "#6d4c41"},
    )  # fmt: skip
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line={"color": LOSER, "dash": "dash", "width": 1},
            annotation_text=f"red flag below {threshold:.0%}",
            annotation_position="top left",
        )
    return _layout(
        fig,
        title,
        xaxis={"type": "category"},
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        legend={"orientation": "h", "y": -0.2},
    )


def earnings_percentiles(percentiles: pd.DataFrame) -> go.Figure:
    """What everyone earned in a run, by percentile (p50 is the median). Columns: percentile, amount."""
    title = "Earnings by percentile, everyone counted"
    if percentiles.empty:
        return empty(title, "pick a commission run to see earnings")
    labels = [f"p{int(q)}" for q in percentiles["percentile"]]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=percentiles["amount"],
            marker_color=[ACCENT if int(q) != 50 else "#f9a825" for q in percentiles["percentile"]],
            text=[f"{v:,.2f}" for v in percentiles["amount"]],
            textposition="outside",
            cliponaxis=False,
        )
    )
    return _layout(fig, title, xaxis={"type": "category", "title": "percentile"}, yaxis={"title": "earned"})


RETENTION = ("after_1", "after_3", "after_6", "after_12")


def cohort_retention(cohorts: pd.DataFrame) -> go.Figure:
    """Share of each join month's members active 1, 3, 6 and 12 months later (blank: not in the
    data yet). Columns: cohort, members, after_1, after_3, after_6, after_12."""
    title = "Retention: share of each join month active later"
    if cohorts.empty:
        return empty(title, "no join dates")
    z = cohorts[list(RETENTION)].astype(float).to_numpy()
    rows = [f"{c} ({m:,})" for c, m in zip(cohorts["cohort"], cohorts["members"], strict=True)]
    text = [["" if math.isnan(v) else f"{v:.0%}" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=["1 month", "3 months", "6 months", "12 months"],
            y=rows,
            zmin=0,
            zmax=1,
            colorscale="Greens",
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x} later: %{z:.1%}<extra></extra>",
            colorbar={"tickformat": ".0%"},
        )
    )
    return _layout(
        fig,
        title,
        yaxis={"type": "category", "autorange": "reversed"},
        margin={**MARGIN, "l": left_margin(rows)},
    )
