"""`downline matrix ID`: a distributor's place in the forced matrix (placed by every import)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from graph_service.cli import JsonOpt, app, out, reading, run_command


@app.command("matrix")
def matrix_cmd(
    distributor_id: Annotated[str, typer.Argument(metavar="ID", help="distributor id")],
    as_json: JsonOpt = False,
) -> None:
    """ID's place in the forced matrix: parent, children in placement order, level, free positions."""
    from graph_service import matrix

    def go() -> None:
        with reading() as (driver, settings):
            position = matrix.matrix_position(driver, settings.neo4j_database, distributor_id)
        if as_json:
            out.print_json(json.dumps(position.to_json()))
            return
        p = position
        parent = escape(p.parent) if p.parent is not None else "(none: a matrix root)"
        out.print(
            f"{escape(p.id)}: level {p.level} of a width-{p.width} matrix, under {parent}", highlight=False
        )
        children = ", ".join(escape(c) for c in p.children) or "-"
        out.print(
            f"  children ({len(p.children)}/{p.width}, in placement order): {children}", highlight=False
        )
        free = f"{p.open_direct} directly under, {p.open_positions:,} within {p.open_levels} levels"
        out.print(f"  free positions: {free}", highlight=False)

    run_command(go)
