"""What the pages share: error handling around callbacks, period pickers, small tables, links."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import dash
from dash import dcc, html, no_update

from dashboards import ids
from dashboards.auth import UNAVAILABLE, UNAVAILABLE_MESSAGE, trip
from graph_service.errors import DatabaseUnavailable, DownlineError

F = TypeVar("F", bound=Callable[..., Any])


def problem(exc: BaseException) -> str:
    if isinstance(exc, DownlineError):
        return exc.message
    return UNAVAILABLE_MESSAGE


def safe(error_at: int, empty: Sequence[Any] | None = None) -> Callable[[F], F]:
    """Run a callback; when the service refuses (not found, outside the key's scope, bad input,
    role, rate limit) or Neo4j is down, show the message in output `error_at` and `empty` (what an
    empty view shows; no change where it says `no_update`) in the others. A successful run clears
    the message: the callback returns "" there itself."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any) -> Any:
            try:
                done = fn(*args)
                dash.set_props(ids.NOTICE, {"children": ""})  # Neo4j answers (again)
                return done
            except (DownlineError, *UNAVAILABLE) as exc:
                if isinstance(exc, (*UNAVAILABLE, DatabaseUnavailable)):
                    trip(exc)
                    dash.set_props(ids.NOTICE, {"children": UNAVAILABLE_MESSAGE})
                if empty is None:
                    return problem(exc)
                out = list(empty)
                out[error_at] = problem(exc)
                return tuple(out)

        return inner  # type: ignore[return-value]

    return wrap


GRAPH_CONFIG: Any = {"displaylogo": False}


def register_page(module: str, **options: Any) -> None:
    """`dash.register_page` (untyped in Dash 4.4)."""
    dash.register_page(module, **options)  # type: ignore[no-untyped-call]


def relative(path: str) -> str:
    """`dash.get_relative_path`: the path as the browser asks for it (behind the mount's prefix)."""
    found: str = dash.get_relative_path(path)  # type: ignore[no-untyped-call]
    return found


def href(path: str, **query: str | None) -> str:
    """A dashboard link (`path` like "/explorer"), with a query string of the values given."""
    given = {k: v for k, v in query.items() if v is not None}
    base = relative(path)
    return f"{base}?{urlencode(given)}" if given else base


def period_picker(component_id: str, periods: list[str], value: str | None) -> dcc.Dropdown:
    options = [{"label": p, "value": p} for p in reversed(periods)]
    return dcc.Dropdown(
        id=component_id, options=options, value=value, clearable=False, style={"width": "140px"}
    )


def facts(rows: Sequence[tuple[str, Any]], component_id: str | None = None) -> html.Table:
    body = [html.Tr([html.Td(label), html.Td(value)]) for label, value in rows]
    if component_id is None:
        return html.Table(html.Tbody(body), className="facts")
    return html.Table(html.Tbody(body), className="facts", id=component_id)


def money(value: Any) -> str:
    return f"{float(value):,.2f}"


def share(value: float) -> str:
    return f"{value:.0%}"


def error_box(component_id: str, message: str = "") -> html.Div:
    return html.Div(message, id=component_id, className="error", role="alert")


NO = no_update
