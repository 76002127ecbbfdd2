"""Small HTML tables of a DataFrame for the flows and health pages (a few dozen rows at most;
long lists go in the workbench's AG Grid)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from dash import html

Format = Callable[[Any], str]


def missing(value: Any) -> bool:
    """None, or NaN (what a DataFrame makes of a None among numbers)."""
    return value is None or (isinstance(value, float) and value != value)


def plain(value: Any) -> str:
    return "—" if missing(value) else str(value)


def count(value: Any) -> str:
    return "—" if missing(value) else f"{int(value):,}"


def money(value: Any) -> str:
    return "—" if missing(value) else f"{float(value):,.2f}"


def signed(value: Any) -> str:
    return "—" if missing(value) else f"{float(value):+,.2f}"


def percent(value: Any) -> str:
    return "—" if missing(value) else f"{float(value):.1%}"


def table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, Format]],
    *,
    component_id: str | None = None,
    row_class: Callable[[dict[str, Any]], str] | None = None,
    empty: str = "nothing to show",
) -> html.Table | html.Div:
    """`columns`: (column of the frame, heading, format). The first column is left aligned."""
    options: dict[str, Any] = {"id": component_id} if component_id else {}
    if frame.empty:
        return html.Div(empty, className="muted", **options)
    head = html.Thead(html.Tr([html.Th(heading) for _, heading, _ in columns]))
    body = []
    for found in frame.to_dict("records"):
        record = {str(k): v for k, v in found.items()}
        cells = [html.Td(fmt(record.get(name))) for name, _, fmt in columns]
        body.append(html.Tr(cells, className=row_class(record) if row_class else ""))
    return html.Table([head, html.Tbody(body)], className="data", **options)
