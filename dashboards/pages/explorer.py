"""2 Organisation explorer: a sponsor tree that never holds the whole network.

It starts at the roots (a scoped key: at its distributor), or at `?focus=ID` (a distributor found
by id or name prefix, or a link someone shared) with the upline as a breadcrumb. Clicking a
member shows their figures in the side panel and expands them with the top 8 of their frontline
by GV; an "N more" node pages in the next 8. Each expansion is one read of one frontline
(service.frontline_by_gv), whatever the size of the downline below; its server time is shown.
Members are coloured by activity in the period and sized by GV.

A switch (`?tree=binary` or `?tree=matrix` in the address) shows the binary placement tree or the
forced matrix instead: a member then expands to the members placed directly under them, left then
right (service.placement) or in placement order (matrix.matrix_position), with the key's scope as
the API applies it. The side panel stays the sponsor tree's figures and legs.
"""

from __future__ import annotations

import time
from typing import Any

import dash
import dash_cytoscape as cyto
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboards import data, figures, ids
from dashboards.auth import caller
from dashboards.pages.common import (
    NO,
    error_box,
    facts,
    href,
    money,
    period_picker,
    register_page,
    safe,
    share,
)
from graph_service.analytics.model import DistributorStats, Page
from graph_service.compensation.engine import MatrixNotPlaced

NAME = "Organisation"
FOCUS_STORE = "explorer-focus"
SPONSOR = "sponsor"
TREES = {SPONSOR: "Sponsor tree", "binary": "Binary placement", "matrix": "Matrix"}


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def _tree(value: Any) -> str:
    found = _first(value)
    return found if found is not None and found in TREES else SPONSOR


def _link(tree: str | None, **query: str | None) -> str:
    """An explorer link that keeps the tree being shown (the sponsor tree is the default)."""
    return href("/explorer", **query, tree=None if tree in (None, SPONSOR) else tree)


def layout(focus: Any = None, tree: Any = None, **_: Any) -> html.Div:
    c = caller()
    periods = data.periods(c)
    # Nothing above the graph changes height once it is drawn: Cytoscape maps clicks with the
    # position it measured, so search hits float over the page and messages go in the side column.
    return html.Div(
        [
            dcc.Store(id=FOCUS_STORE, data=_first(focus)),
            dcc.Location(id=ids.EX_URL, refresh=False),
            html.Div(
                [
                    html.H2("Organisation explorer", style={"margin": "0 12px 0 0"}),
                    html.Div(
                        [
                            dcc.Input(
                                id=ids.EX_SEARCH,
                                type="text",
                                placeholder="search: id or name prefix",
                                debounce=False,
                                maxLength=64,
                                style={"width": "240px"},
                            ),
                            html.Div(
                                id=ids.EX_RESULTS,
                                style={
                                    "position": "absolute",
                                    "top": "36px",
                                    "left": 0,
                                    "zIndex": 20,
                                    "minWidth": "320px",
                                },
                            ),
                        ],
                        style={"position": "relative"},
                    ),
                    html.Button("Search", id=ids.EX_SEARCH_GO, n_clicks=0),
                    html.Span("period", className="muted"),
                    period_picker(ids.EX_PERIOD, periods, periods[-1] if periods else None),
                    dcc.RadioItems(
                        id=ids.EX_TREE,
                        options=[{"label": label, "value": value} for value, label in TREES.items()],
                        value=_tree(tree),
                        inline=True,
                        labelStyle={"marginRight": "10px"},
                        style={"marginLeft": "8px"},
                    ),
                ],
                style={"display": "flex", "alignItems": "center", "gap": "8px"},
            ),
            html.Div(
                id=ids.EX_BREADCRUMB,
                className="crumbs",
                style={"margin": "8px 0", "height": "20px", "overflow": "hidden", "whiteSpace": "nowrap"},
            ),
            html.Div(
                [
                    html.Div(
                        cyto.Cytoscape(
                            id=ids.EX_GRAPH,
                            elements=[],
                            layout={
                                "name": "breadthfirst",
                                "directed": True,
                                "spacingFactor": 1.05,
                                "animate": False,
                                "fit": True,
                                "padding": 20,
                            },
                            stylesheet=figures.STYLESHEET,
                            style={"width": "100%", "height": "620px"},
                            minZoom=0.2,
                            maxZoom=3,
                        ),
                        className="card",
                        style={"flex": "3 1 600px"},
                    ),
                    html.Div(
                        [error_box(ids.EX_ERROR), html.Div(id=ids.EX_PANEL)],
                        className="card",
                        style={
                            "flex": "1 1 300px",
                            "maxWidth": "420px",
                            "overflow": "auto",
                            "height": "620px",
                        },
                    ),
                ],
                className="row",
            ),
            html.P(
                [
                    "Click a member to see their figures and expand their frontline (top 8 by GV); "
                    "click “N more” for the next 8. In the binary placement tree a member expands to "
                    "their left (L) and right (R) placements, in the matrix to their positions in "
                    "placement order. Green: active in the period; size: GV. ",
                    html.Span(id=ids.EX_TIMING),
                ],
                className="muted",
            ),
        ]
    )


def _rows(page: Page, parent: str, parent_cursor_base: str | None = None) -> list[dict[str, Any]]:
    rows = [
        {
            "id": m.id,
            "parent": parent,
            "name": m.name,
            "gv": float(m.gv),
            "pv": float(m.pv),
            "active": m.active,
            "members": m.downline_size + 1,
            "kind": "member",
            "hidden": 0,
            "cursor": "",
            "expanded": False,
            "focus": False,
        }
        for m in page.items
    ]
    if page.next_cursor is not None:
        shown = int(page.next_cursor.rsplit(".", 1)[1])
        rows.append(
            {
                "id": figures.more_id(parent, page.next_cursor),
                "parent": parent,
                "name": None,
                "gv": 0.0,
                "pv": 0.0,
                "active": False,
                "members": 0,
                "kind": "more",
                "hidden": page.total - shown,
                "cursor": page.next_cursor,
                "expanded": False,
                "focus": False,
            }
        )
    return rows


def _me(
    s: DistributorStats, parent: str, *, focus: bool, expanded: bool = True, side: str = ""
) -> dict[str, Any]:
    return {
        "id": s.id,
        "parent": parent,
        "name": s.name,
        "gv": float(s.gv),
        "pv": float(s.pv),
        "active": s.active,
        "members": s.downline_size + 1,
        "kind": "member",
        "hidden": 0,
        "cursor": "",
        "expanded": expanded,
        "focus": focus,
        "side": side,
    }


def _expand(c: Any, tree: str, member: str, period: str | None) -> tuple[list[dict[str, Any]], str]:
    """The rows under `member` in `tree` and what was read, for the timing line. MatrixNotPlaced
    in the matrix when the database has no matrix placement yet."""
    if tree == "binary":
        placed = data.placement_children(c, member, period)
        rows = [_me(s, member, focus=False, expanded=False, side=side) for side, s in placed]
        return rows, f"{len(rows)} placed directly under in the binary placement tree"
    if tree == "matrix":
        pos, kids = data.matrix_children(c, member, period)
        rows = [_me(s, member, focus=False, expanded=False) for s in kids]
        return rows, (
            f"matrix level {pos.level}, {len(rows)} directly under, "
            f"{pos.open_direct} of {pos.width} positions free"
        )
    page = data.children(c, member, period)
    return _rows(page, member), f"{page.total:,} in the frontline"


def panel(s: DistributorStats, tree: str = SPONSOR) -> list[Any]:
    """The side panel: who the distributor is, their figures for the period and their legs."""
    legs = [
        html.Tr(
            [
                html.Td(dcc.Link(leg.id, href=_link(tree, focus=leg.id))),
                html.Td(money(leg.gv)),
                html.Td(share(leg.share)),
                html.Td(f"{leg.size:,}"),
            ]
        )
        for leg in s.legs[:10]
    ]
    return [
        html.H3(s.name or s.id, id="panel-name", style={"margin": "4px 0"}),
        html.Div(f"id {s.id} · depth {s.depth} · period {s.period}", className="muted"),
        facts(
            [
                ("active", "yes" if s.active else "no"),
                ("PV", money(s.pv)),
                ("GV", money(s.gv)),
                ("frontline", f"{s.frontline:,}"),
                ("downline", f"{s.downline_size:,}"),
                ("active downline", f"{s.active_downline:,}"),
                ("max depth", f"{s.max_depth}"),
                ("mean depth", f"{s.mean_depth:.2f}"),
                ("strongest leg", share(s.strongest_leg_share)),
            ],
            "panel-facts",
        ),
        html.H4(f"Legs ({s.frontline:,})", style={"margin": "10px 0 4px"}),
        html.Table(
            [
                html.Thead(html.Tr([html.Th("leg"), html.Th("GV"), html.Th("share"), html.Th("members")])),
                html.Tbody(legs),
            ],
            className="facts",
        )
        if legs
        else html.Div("no legs", className="muted"),
        html.Div(
            [
                dcc.Link("Focus here", href=_link(tree, focus=s.id), id="panel-focus"),
                html.Span(" · "),
                dcc.Link("Legs and balance", href=href("/legs", id=s.id), id="panel-legs"),
            ],
            style={"marginTop": "10px"},
        ),
    ]


def _breadcrumb(c: Any, focus: str, period: str | None, tree: str) -> list[Any]:
    ups = list(reversed(data.upline(c, focus, period)))
    crumbs: list[Any] = [dcc.Link("top", href=_link(tree)), html.Span(" / ")]
    for m in ups:
        crumbs += [dcc.Link(m.name or m.id, href=_link(tree, focus=m.id), title=m.id), html.Span(" / ")]
    crumbs.append(html.B(focus, id="crumb-focus"))
    return crumbs


def register(app: dash.Dash) -> None:
    register_page(
        __name__, path="/explorer", name=NAME, title="downline: organisation", order=2, layout=layout
    )

    @app.callback(
        Output(ids.EX_GRAPH, "elements"),
        Output(ids.EX_BREADCRUMB, "children"),
        Output(ids.EX_PANEL, "children"),
        Output(ids.EX_ERROR, "children"),
        Input(ids.EX_PERIOD, "value"),
        Input(ids.EX_TREE, "value"),
        State(FOCUS_STORE, "data"),
    )
    @safe(3, [[], [], [], ""])
    def start(
        period: str | None, tree: str | None, focus: str | None
    ) -> tuple[list[Any], list[Any], list[Any], str]:
        c = caller()
        tree = _tree(tree)
        if focus is None and c.scope is not None:
            focus = c.scope
        if focus is None:
            page = data.children(c, "", period)
            rows = _rows(page, "")
            hint = [
                html.P(
                    f"{page.total:,} root(s), largest GV first. Click one to expand it.", className="muted"
                )
            ]
            return figures.tree_elements(pd.DataFrame(rows, columns=figures.NODE_COLUMNS)), [], hint, ""
        s = data.stats(c, focus, period)
        message = ""
        try:
            below, _ = _expand(c, tree, s.id, period)
        except MatrixNotPlaced as exc:
            below, message = [], exc.message
        nodes = pd.DataFrame([_me(s, "", focus=True), *below], columns=figures.NODE_COLUMNS)
        return figures.tree_elements(nodes), _breadcrumb(c, s.id, period, tree), panel(s, tree), message

    @app.callback(
        Output(ids.EX_URL, "search"),
        Input(ids.EX_TREE, "value"),
        State(FOCUS_STORE, "data"),
        prevent_initial_call=True,
    )
    def address(tree: str | None, focus: str | None) -> str:
        """The tree in the address, next to the focus (the page is not loaded again)."""
        link = _link(_tree(tree), focus=focus)
        return link[link.index("?") :] if "?" in link else ""

    @app.callback(
        Output(ids.EX_GRAPH, "elements", allow_duplicate=True),
        Output(ids.EX_PANEL, "children", allow_duplicate=True),
        Output(ids.EX_TIMING, "children"),
        Output(ids.EX_ERROR, "children", allow_duplicate=True),
        Input(ids.EX_GRAPH, "tapNodeData"),
        State(ids.EX_GRAPH, "elements"),
        State(ids.EX_PERIOD, "value"),
        State(ids.EX_TREE, "value"),
        prevent_initial_call=True,
    )
    @safe(3, [NO, NO, "", ""])
    def tap(
        node: dict[str, Any] | None,
        elements: list[dict[str, Any]] | None,
        period: str | None,
        tree: str | None,
    ) -> tuple[Any, Any, str, str]:
        if not node:
            return NO, NO, "", ""
        c = caller()
        nodes = figures.tree_nodes(elements or [])
        began = time.perf_counter()
        if node.get("kind") == "more":
            parent = str(node.get("under", ""))
            page = data.children(c, parent, period, cursor=str(node["cursor"]))
            nodes = nodes[nodes["id"] != node["id"]]
            added = pd.DataFrame(_rows(page, parent), columns=figures.NODE_COLUMNS)
            nodes = pd.concat([nodes, added[~added["id"].isin(nodes["id"])]], ignore_index=True)
            took = (time.perf_counter() - began) * 1000
            what = f"paged in {len(page.items)} more of {parent or 'the roots'} in {took:.0f} ms (server)"
            return figures.tree_elements(nodes), NO, what, ""
        tree = _tree(tree)
        member = str(node["id"])
        s = data.stats(c, member, period)
        what = ""
        row = nodes["id"] == member
        if not bool(nodes.loc[row, "expanded"].any()) and (tree != SPONSOR or s.downline_size > 0):
            try:
                below, read = _expand(c, tree, member, period)
            except MatrixNotPlaced as exc:
                return NO, panel(s, tree), "", exc.message
            nodes.loc[row, "expanded"] = True
            added = pd.DataFrame(below, columns=figures.NODE_COLUMNS)
            nodes = pd.concat([nodes, added[~added["id"].isin(nodes["id"])]], ignore_index=True)
            took = (time.perf_counter() - began) * 1000
            what = f"expanded {member} ({read}) in {took:.0f} ms (server)"
        return figures.tree_elements(nodes), panel(s, tree), what, ""

    @app.callback(
        Output(ids.EX_RESULTS, "children"),
        Input(ids.EX_SEARCH_GO, "n_clicks"),
        Input(ids.EX_SEARCH, "n_submit"),
        State(ids.EX_SEARCH, "value"),
        State(ids.EX_TREE, "value"),
        prevent_initial_call=True,
    )
    @safe(0)
    def search(_clicks: int | None, _submit: int | None, text: str | None, tree: str | None) -> Any:
        text = (text or "").strip()
        if not text:
            return ""
        hits = data.search(caller(), text)
        if not hits:
            found: list[Any] = [
                html.Div(f"nobody whose id or name starts with “{text}”", id="search-none", className="muted")
            ]
        else:
            found = [
                html.Div(
                    [
                        dcc.Link(
                            f"{h['name'] or h['id']} ({h['id']})",
                            href=_link(_tree(tree), focus=h["id"]),
                            className="search-hit",
                        ),
                        html.Span(f" {h['downline_size']:,} below", className="muted"),
                    ],
                    style={"padding": "3px 0"},
                )
                for h in hits
            ]
        return html.Div(found, className="card", style={"boxShadow": "0 2px 8px rgba(0,0,0,.25)"})
