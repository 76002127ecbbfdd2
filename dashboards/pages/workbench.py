"""6 Analyst workbench (analyst or admin keys): pick a named query of the catalogue, fill its
typed parameters, page through the result in an AG Grid fed from the server a block at a time, and
download it as CSV. An analyst or admin key without a scope may also run read-only ad hoc Cypher
with the API's checks, time limit and row cap (the rules of POST /v1/cypher). Running and
downloading count against the key's budget of expensive requests, as over the API."""

from __future__ import annotations

import uuid
from typing import Any

import dash
import dash_ag_grid as dag
from dash import ALL, MATCH, Input, Output, State, dcc, html

from dashboards import data, ids
from dashboards.auth import caller
from dashboards.pages.common import NO, error_box, register_page, safe
from graph_service.analytics import queries

NAME = "Workbench"
PAGE_ROWS = 50
DEFAULT_QUERY = "top_by_gv"  # needs no parameter: something to see at once
SAMPLE_CYPHER = "MATCH (d:Distributor) RETURN d.id AS id, d.name AS name, d.depth AS depth LIMIT 25"


def _input(p: queries.QueryParam, periods: list[str]) -> Any:
    pid = {"type": ids.WB_PARAM, "name": p.name}
    if p.type == "period":
        options = [{"label": x, "value": x} for x in reversed(periods)]
        return dcc.Dropdown(
            id=pid, options=options, value=p.default, placeholder="latest", style={"width": "140px"}
        )
    if p.type == "bool":
        options = [{"label": "true", "value": "true"}, {"label": "false", "value": "false"}]
        default = None if p.default is None else str(p.default).lower()
        return dcc.Dropdown(id=pid, options=options, value=default, style={"width": "110px"})
    if p.type in ("int", "float"):
        return dcc.Input(
            id=pid,
            type="number",
            value=p.default,
            min=p.minimum,
            max=p.maximum,
            step=1 if p.type == "int" else "any",
            style={"width": "120px"},
        )
    return dcc.Input(
        id=pid,
        type="text",
        value=p.default,
        maxLength=64 if p.type == "id" else 10_000,
        style={"width": "180px"},
    )


def _form(name: str | None, periods: list[str]) -> list[Any]:
    if not name:
        return []
    q = queries.find(name)
    fields: list[Any] = [html.P(q.description, className="muted", style={"margin": "4px 0"})]
    for p in q.params:
        label = f"{p.name}{' *' if p.required else ''}"
        fields.append(
            html.Label(
                [
                    html.Span(label, title=p.description, style={"display": "block", "fontSize": "12px"}),
                    _input(p, periods),
                ],
                style={"marginRight": "12px", "display": "inline-block", "verticalAlign": "top"},
            )
        )
    return fields


def layout(**_: Any) -> html.Div:
    c = caller()
    if not c.allows("analyst"):
        return html.Div(
            [
                html.H2("Analyst workbench"),
                html.P(
                    f"The workbench needs an analyst or admin key; this key is a {c.key.role}.",
                    id="workbench-refused",
                    className="error",
                ),
            ]
        )
    catalogue = queries.catalogue()
    names = [q.name for q in catalogue]
    first = DEFAULT_QUERY if DEFAULT_QUERY in names else (names[0] if names else None)
    options = [{"label": f"{q.title} ({q.name})", "value": q.name} for q in catalogue]
    if c.may_run_cypher():
        cypher_box: Any = html.Div(
            [
                html.H4("Ad hoc Cypher (read only)", style={"margin": "14px 0 4px"}),
                dcc.Textarea(
                    id=ids.WB_CYPHER,
                    value=SAMPLE_CYPHER,
                    style={"width": "100%", "height": "80px", "fontFamily": "monospace"},
                ),
                html.Button("Run Cypher", id=ids.WB_CYPHER_RUN, n_clicks=0),
                html.Span(
                    f" writes, schema changes, LOAD CSV and most procedures are refused; "
                    f"{c.settings.cypher_timeout_s:g} s and {c.settings.cypher_max_rows:,} rows at most",
                    className="muted",
                ),
            ]
        )
    else:
        cypher_box = html.P(
            "Ad hoc Cypher needs an analyst or admin key without a scope (Cypher could read outside it).",
            className="muted",
            id="workbench-no-cypher",
        )
    return html.Div(
        [
            html.H2("Analyst workbench", style={"margin": "0 0 8px"}),
            html.Div(
                [
                    dcc.Dropdown(
                        id=ids.WB_QUERY,
                        options=options,
                        value=first,
                        clearable=False,
                        style={"width": "420px"},
                    ),
                    html.Div(_form(first, data.periods(c)), id=ids.WB_PARAMS, style={"margin": "8px 0"}),
                    html.Button("Run query", id=ids.WB_RUN, n_clicks=0),
                ],
                className="card",
            ),
            html.Div(cypher_box, className="card", style={"marginTop": "10px"}),
            error_box(ids.WB_ERROR),
            html.Div(
                [
                    html.Span(id=ids.WB_STATUS, className="muted", style={"marginRight": "12px"}),
                    html.Button("Download CSV", id=ids.WB_CSV, n_clicks=0, className="secondary"),
                    dcc.Download(id=ids.WB_DOWNLOAD),
                ],
                style={"margin": "10px 0"},
            ),
            dcc.Store(id=ids.WB_RESULT),
            html.Div(id=ids.WB_GRID_BOX),
        ]
    )


def _grid(table: data.Table, run: str) -> dag.AgGrid:
    return dag.AgGrid(
        id={"type": ids.WB_GRID, "run": run},
        columnDefs=[{"field": f"c{i}", "headerName": name} for i, name in enumerate(table.columns)],
        defaultColDef={"sortable": False, "resizable": True, "minWidth": 90, "flex": 1},
        rowModelType="infinite",
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_ROWS,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": PAGE_ROWS,
            "maxBlocksInCache": 20,
        },
        style={"height": "520px"},
    )


def _show(what: dict[str, Any]) -> tuple[dict[str, Any], Any, str, str]:
    c = caller()
    c.require("analyst")
    c.expensive()
    table = data.run(c, what)
    data.RESULTS.put(c, what, table)
    run = uuid.uuid4().hex[:12]
    note = " (more rows existed: cut at the row cap)" if table.truncated else ""
    status = f"{len(table.rows):,} row(s){note}"
    result = {"what": what, "run": run, "rows": len(table.rows), "columns": table.columns}
    return result, _grid(table, run), status, ""


def register(app: dash.Dash) -> None:
    register_page(__name__, path="/workbench", name=NAME, title="downline: workbench", order=6, layout=layout)

    @app.callback(Output(ids.WB_PARAMS, "children"), Input(ids.WB_QUERY, "value"), prevent_initial_call=True)
    @safe(0)
    def form(name: str | None) -> Any:
        c = caller()
        c.require("analyst")
        return _form(name, data.periods(c))

    @app.callback(
        Output(ids.WB_RESULT, "data"),
        Output(ids.WB_GRID_BOX, "children"),
        Output(ids.WB_STATUS, "children"),
        Output(ids.WB_ERROR, "children"),
        Input(ids.WB_RUN, "n_clicks"),
        State(ids.WB_QUERY, "value"),
        State({"type": ids.WB_PARAM, "name": ALL}, "value"),
        State({"type": ids.WB_PARAM, "name": ALL}, "id"),
        prevent_initial_call=True,
    )
    @safe(3, [None, [], "", ""])
    def run_named(_: int, name: str | None, values: list[Any], keys: list[dict[str, str]]) -> Any:
        params = {k["name"]: v for k, v in zip(keys, values, strict=True) if v not in (None, "")}
        return _show({"kind": "named", "name": name or "", "params": params})

    @app.callback(
        Output(ids.WB_RESULT, "data", allow_duplicate=True),
        Output(ids.WB_GRID_BOX, "children", allow_duplicate=True),
        Output(ids.WB_STATUS, "children", allow_duplicate=True),
        Output(ids.WB_ERROR, "children", allow_duplicate=True),
        Input(ids.WB_CYPHER_RUN, "n_clicks"),
        State(ids.WB_CYPHER, "value"),
        prevent_initial_call=True,
    )
    @safe(3, [None, [], "", ""])
    def run_cypher(_: int, text: str | None) -> Any:
        return _show({"kind": "cypher", "text": text or ""})

    @app.callback(
        Output({"type": ids.WB_GRID, "run": MATCH}, "getRowsResponse"),
        Input({"type": ids.WB_GRID, "run": MATCH}, "getRowsRequest"),
        State(ids.WB_RESULT, "data"),
        prevent_initial_call=True,
    )
    def rows(request: dict[str, Any] | None, result: dict[str, Any] | None) -> Any:
        if not request or not result:
            return NO
        c = caller()
        c.require("analyst")
        table = data.RESULTS.get(c, result["what"])
        start = max(int(request.get("startRow", 0)), 0)
        end = min(int(request.get("endRow", start + PAGE_ROWS)), start + 1_000)
        block = [{f"c{i}": v for i, v in enumerate(row)} for row in table.rows[start:end]]
        return {"rowData": block, "rowCount": len(table.rows)}

    @app.callback(
        Output(ids.WB_DOWNLOAD, "data"),
        Output(ids.WB_ERROR, "children", allow_duplicate=True),
        Input(ids.WB_CSV, "n_clicks"),
        State(ids.WB_RESULT, "data"),
        prevent_initial_call=True,
    )
    @safe(1, [None, ""])
    def csv(_: int, result: dict[str, Any] | None) -> Any:
        if not result:
            return None, "run a query first"
        c = caller()
        c.require("analyst")
        c.expensive()
        table = data.RESULTS.get(c, result["what"])
        what = result["what"]
        name = what.get("name") if what.get("kind") == "named" else "cypher"
        text = table.frame().to_csv(index=False)
        return {"content": text, "filename": f"{name}.csv", "type": "text/csv"}, ""
