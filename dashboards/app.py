"""The Dash app: a factory that the API server mounts under /dashboard/ (graph_service/api/
dashboard_mount.py), so one port serves both and the dashboard shares the worker's Neo4j driver.

Pages (`use_pages`, one module each under dashboards/pages/, registered here rather than found
in a folder so that every app gets its own callbacks): 1 overview, 2 organisation explorer,
3 legs and balance, 4 commission flows, 5 network health, 6 analyst workbench. Every request
passes the key check of dashboards/auth.py.

plotly.js: where Dash asks for it (dcc.Graph loads it when the first figure is drawn), the app
serves its own build, dashboards/plotly/plotly.min.js: plotly.js's core and the trace types the
figures use, 1.4 MB instead of 4.8 (see dashboards/plotly/index.js). AG Grid and Cytoscape are
loaded by the first response that needs them (dashboards/lazy.py), not on every page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
import flask
from dash import Input, Output, dcc, html
from neo4j import Driver

from dashboards import auth, figures, ids
from dashboards.lazy import PLOTLY_PATH, LazyDash
from dashboards.pages import explorer, flows, health, legs, overview, workbench
from dashboards.pages.common import relative
from graph_service.api.deps import RateLimiter
from graph_service.config import Settings
from graph_service.db.breaker import Breaker

PREFIX = "/dashboard/"
PLOTLY_JS = Path(__file__).with_name("plotly") / "plotly.min.js"
# where dash-renderer tells dcc.Graph to load plotly.js from when Dash serves its scripts itself
PLOTLY_ROUTE = "/" + PLOTLY_PATH

# The navigation: (path, label, role needed), in this order. A new page is a module under
# dashboards/pages/ with `register(app)`, an entry here and a line in PAGES.
NAV: list[tuple[str, str, str]] = [
    ("/", "Overview", "viewer"),
    ("/explorer", "Organisation", "viewer"),
    ("/legs", "Legs and balance", "viewer"),
    ("/flows", "Commission flows", "viewer"),
    ("/health", "Network health", "viewer"),
    ("/workbench", "Workbench", "analyst"),
]
PAGES = (overview, explorer, legs, flows, health, workbench)

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       background: #f5f7fa; color: #263238; font-size: 14px; }
.shell-header { display: flex; align-items: center; gap: 18px; background: #263238; color: white;
                padding: 8px 20px; }
.shell-header .brand { font-weight: 600; font-size: 16px; margin-right: 8px; }
.shell-header a { color: #cfd8dc; text-decoration: none; }
.shell-header a.current { color: white; border-bottom: 2px solid #90caf9; }
.shell-header .who { margin-left: auto; color: #b0bec5; font-size: 12px; }
.notice:empty { display: none; }
.notice { background: #fff3e0; color: #bf360c; border-bottom: 1px solid #ffcc80; padding: 8px 24px; }
.page { padding: 16px 20px; }
.row { display: flex; flex-wrap: wrap; gap: 14px; }
.card { background: white; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.1); padding: 10px; }
.kpi { min-width: 150px; padding: 12px 16px; }
.kpi .value { font-size: 22px; font-weight: 600; } .kpi .label { color: #607d8b; font-size: 12px; }
.half { flex: 1 1 480px; min-width: 380px; }
.error { color: #b71c1c; background: #ffebee; padding: 8px 12px; border-radius: 4px; }
.error:empty { display: none; }
.muted { color: #78909c; font-size: 12px; }
table.facts td { padding: 2px 10px 2px 0; } table.facts td:first-child { color: #607d8b; }
.crumbs a { margin-right: 4px; }
table.data { border-collapse: collapse; width: 100%; }
table.data th { text-align: right; color: #607d8b; font-weight: 500; padding: 3px 8px;
                border-bottom: 1px solid #cfd8dc; }
table.data td { text-align: right; padding: 3px 8px; border-bottom: 1px solid #eceff1; }
table.data th:first-child, table.data td:first-child { text-align: left; }
table.flags td.why { text-align: left; color: #546e7a; font-size: 12px; max-width: 560px; }
table.flags th, table.flags td:nth-child(2) { text-align: left; }
table.flags tr.fired td { background: #ffebee; }
table.flags tr.fired td.verdict { color: #b71c1c; font-weight: 600; }
table.flags tr.ok td.verdict { color: #2e7d32; } table.flags tr.unjudged td.verdict { color: #90a4ae; }
.kpi.figure { max-width: 230px; } .kpi .rule { font-size: 11px; color: #607d8b; margin-top: 4px; }
.kpi.fired { border-left: 4px solid #c62828; background: #fff5f5; } .kpi.fired .value { color: #b71c1c; }
.kpi.healthy { border-left: 4px solid #2e7d32; }
input[type=text], textarea { padding: 6px; border: 1px solid #b0bec5; border-radius: 4px; }
button { padding: 6px 14px; background: #1565c0; color: white; border: 0; border-radius: 4px;
         cursor: pointer; } button.secondary { background: #546e7a; }
</style>
</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def _shell() -> html.Div:
    return html.Div(
        [
            dcc.Location(id=ids.REDIRECT, refresh=True),
            dcc.Location(id="shell-url"),
            html.Div(
                [
                    html.Span("downline", className="brand"),
                    html.Nav(id=ids.NAV, style={"display": "flex", "gap": "18px"}),
                    html.Span(id=ids.WHO, className="who"),
                    html.A("Log out", id=ids.LOGOUT, href=PREFIX + "logout", style={"fontSize": "12px"}),
                ],
                className="shell-header",
            ),
            html.Div(id=ids.NOTICE, className="notice", role="alert"),
            html.Div(dash.page_container, className="page"),
        ]
    )


def _nav(pathname: str | None) -> tuple[list[Any], str]:
    c = auth.caller()
    here = "/" + (pathname or PREFIX)[len(PREFIX) :].strip("/")
    links = [
        dcc.Link(
            label,
            href=relative(path),
            className="current" if path == here else "",
            id=f"nav-{path.strip('/') or 'overview'}",
        )
        for path, label, role in NAV
        if c.allows(role)  # type: ignore[arg-type]
    ]
    who = f"{c.key.role} key {c.key.name or c.key.id}" + (f", scoped to {c.scope}" if c.scope else "")
    return links, who


def _plotly_js() -> flask.Response:
    """The dashboard's plotly.js build; revalidated by ETag on each visit like Dash's own
    unfingerprinted scripts (a 304 when unchanged)."""
    return flask.send_file(PLOTLY_JS, mimetype="text/javascript", conditional=True, etag=True, max_age=0)


def create_dash(
    settings: Settings,
    driver_getter: Callable[[], Driver],
    *,
    limiter_getter: Callable[[], RateLimiter | None] | None = None,
    prefix: str = PREFIX,
    breaker_getter: Callable[[], Breaker | None] | None = None,
) -> dash.Dash:
    """The dashboard for a server that mounts it at `prefix` (Dash sees paths with the prefix
    stripped, the browser asks for them with it). `driver_getter` gives the worker's driver when a
    request needs it (the API opens it in its lifespan, after this runs)."""
    server = flask.Flask("dashboards")
    # a rule without variables: Werkzeug matches it before Dash's component-suite rule
    server.add_url_rule(PLOTLY_ROUTE, "downline_plotly", _plotly_js, methods=["GET"])
    auth.install(server, auth.Backend(settings, driver_getter, limiter_getter, prefix, breaker_getter))
    app = LazyDash(
        "dashboards",
        server=server,  # type: ignore[arg-type]
        use_pages=True,
        pages_folder="",
        routes_pathname_prefix="/",
        requests_pathname_prefix=prefix,
        title="downline",
        update_title=None,  # type: ignore[arg-type]
        suppress_callback_exceptions=True,
        index_string=INDEX,
        serve_locally=True,
    )
    app.layout = _shell()

    @app.callback(Output(ids.NAV, "children"), Output(ids.WHO, "children"), Input("shell-url", "pathname"))
    def nav(pathname: str | None) -> tuple[list[Any], str]:
        return _nav(pathname)

    for page in PAGES:
        page.register(app)
    if settings.warm_up:  # plotly's validators built before the first Overview (figures.warm_up)
        threading.Thread(target=figures.warm_up, name="downline-figures-warm-up", daemon=True).start()
    return app
