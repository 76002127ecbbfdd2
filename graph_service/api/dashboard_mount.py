"""The dashboard inside the API's server: one port for both (`downline serve`).

The Dash app (dashboards/app.py) is a Flask (WSGI) app; a2wsgi runs it in a thread pool under
FastAPI at /dashboard/. The mount strips the prefix, so Dash routes from "/" and tells the browser
to ask for "/dashboard/...". It shares the worker's Neo4j driver and rate limiter, read from the
app's state when a request needs them (the lifespan opens the driver after this runs).

This is the one place graph_service reaches into dashboards (the composition of the server);
the import is lazy so the API alone does not load Dash.
"""

from __future__ import annotations

from fastapi import FastAPI

from graph_service.config import Settings

PREFIX = "/dashboard/"


def mount_dashboard(app: FastAPI, settings: Settings) -> None:
    from a2wsgi import WSGIMiddleware

    from dashboards.app import create_dash

    dash_app = create_dash(
        settings,
        lambda: app.state.driver,
        limiter_getter=lambda: getattr(app.state, "limiter", None),
        breaker_getter=lambda: getattr(app.state, "breaker", None),
        prefix=PREFIX,
    )
    app.mount(PREFIX.rstrip("/"), WSGIMiddleware(dash_app.server), name="dashboard")  # type: ignore[arg-type]
