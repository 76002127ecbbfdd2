"""`downline commissions ...`: run a plan over a period, list runs, read an earner's lines."""

from __future__ import annotations

import typer

from graph_service.cli import app

commissions_app = typer.Typer(help="Commission runs: compute, store, list and explain.", no_args_is_help=True)
app.add_typer(commissions_app, name="commissions")
