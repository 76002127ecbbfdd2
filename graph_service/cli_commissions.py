"""`downline commissions ...`: run a plan over a period, list runs, explain an earner, rank cards,
flows and plan what-if (contract section 5)."""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from graph_service.cli import JsonOpt, PeriodOpt, app, err, money, out, reading, run_command

commissions_app = typer.Typer(
    help="Commission runs: compute and store (whole, never changed), list, explain an earner.",
    no_args_is_help=True,
)
app.add_typer(commissions_app, name="commissions")

PlanOpt = Annotated[Path, typer.Option("--plan", help="the plan file (TOML, contract section 5)")]
RunArg = Annotated[str, typer.Argument(metavar="RUN_ID", help="a run id from `downline commissions list`")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="distributor id")]


def _m(amount: float) -> str:
    """A money figure of a JSON document (a float of cents) as text."""
    return money(Decimal(str(amount)))


def _period(driver: Any, database: str, period: str | None) -> str:
    from graph_service.analytics import service

    if period is not None:
        return period
    latest = service.latest_period(driver, database)
    if latest is None:
        from graph_service.errors import BadRequest

        raise BadRequest("no period has orders yet; give --period YYYY-MM")
    return latest


@commissions_app.command("run")
def run(plan: PlanOpt, period: PeriodOpt = None, as_json: JsonOpt = False) -> None:
    """Compute a period's commissions under a plan and store the run (whole or not at all)."""
    from graph_service.compensation import runs
    from graph_service.compensation.plan import load_plan

    def go() -> None:
        loaded = load_plan(plan)
        with reading() as (driver, settings):
            summary = runs.run_commissions(
                driver, settings.neo4j_database, loaded, _period(driver, settings.neo4j_database, period)
            )
        doc = summary.to_json()
        if as_json:
            keys = ("run_id", "period", "plan", "volume", "total", "payout_ratio")
            out.print_json(json.dumps({k: doc[k] for k in keys}))
            return
        table = Table(title=f"run {summary.run_id}", show_header=False, title_justify="left")
        table.add_row("plan", escape(f"{summary.plan} (sha256 {summary.plan_sha256[:12]}…)"))
        table.add_row("period", summary.period)
        table.add_row("volume (PV)", money(summary.volume))
        for name, amount in summary.components.items():
            table.add_row(f"  {name}", money(amount))
        table.add_row("total paid", money(summary.total))
        table.add_row("payout ratio", f"{summary.payout_ratio:.2%}")
        table.add_row("earners", f"{summary.earners:,} of {summary.distributors:,}")
        table.add_row("lines", f"{summary.lines:,}")
        out.print(table)
        err.print(f"stored in {summary.timings.get('total', 0):.1f}s; explain an earner with "
                  f"`downline commissions earner {summary.run_id} ID --lines`")  # fmt: skip

    run_command(go)


@commissions_app.command("list")
def list_cmd(as_json: JsonOpt = False) -> None:
    """Every stored run, newest first."""
    from graph_service.compensation import runs

    def go() -> None:
        with reading() as (driver, settings):
            found = runs.list_runs(driver, settings.neo4j_database)
        if as_json:
            out.print_json(json.dumps([r.to_json() for r in found]))
            return
        table = Table("run", "period", "plan", "volume", "total", "payout", "earners", "created")
        for r in found:
            table.add_row(
                r.run_id, r.period, escape(r.plan), money(r.volume), money(r.total), f"{r.payout_ratio:.2%}",
                f"{r.earners:,}", (r.created_at or "")[:19],
            )  # fmt: skip
        out.print(table)

    run_command(go)


def _lines_table(lines: list[Any]) -> Table:
    table = Table("source", "component", "level", "base", "rate", "amount", title="lines")
    for line in lines:
        table.add_row(
            escape(line.source or "-"), line.component, str(line.level or "-"), money(line.base),
            "-" if line.rate is None else str(line.rate), str(line.amount),
        )  # fmt: skip
    return table


@commissions_app.command("earner")
def earner(
    run_id: RunArg,
    distributor_id: IdArg,
    lines: Annotated[bool, typer.Option("--lines", help="also every line that makes up the total")] = False,
    as_json: JsonOpt = False,
) -> None:
    """An earner's total in a run by component, and with --lines why ("who paid what, at which level")."""
    from graph_service.compensation import runs

    def go() -> None:
        with reading() as (driver, settings):
            e = runs.earner(driver, settings.neo4j_database, run_id, distributor_id, lines=lines)
        if as_json:
            doc = e.to_json()
            if e.lines is not None:
                doc["lines"] = [line.to_json() for line in e.lines]
            out.print_json(json.dumps(doc))
            return
        table = Table(title=f"{e.id} in run {e.run_id} ({e.period})", show_header=False, title_justify="left")
        table.add_row("rank", escape(e.rank or "(none)"))
        for name in ("unilevel", "binary", "matrix", "rank_bonus", "total"):
            table.add_row(name, money(getattr(e, name)))
        out.print(table)
        if e.lines:
            out.print(_lines_table(e.lines))

    run_command(go)


@commissions_app.command("card")
def card(
    distributor_id: IdArg,
    run_id: Annotated[str | None, typer.Option("--run", help="use this run's plan and period")] = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="or a plan file (with --period)")] = None,
    period: PeriodOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A rank report card: each rank's requirements, the distributor's values and what is missing."""
    from graph_service.compensation import runs
    from graph_service.compensation.card import rank_card
    from graph_service.compensation.plan import load_plan
    from graph_service.errors import BadRequest

    def go() -> None:
        if (run_id is None) == (plan is None):
            raise BadRequest("give either --run RUN_ID or --plan FILE")
        with reading() as (driver, settings):
            db = settings.neo4j_database
            if run_id is not None:
                summary, loaded = runs.run_plan(driver, db, run_id)
                c = rank_card(
                    driver, db, distributor_id, loaded.plan, summary.period, data_gen=summary.data_gen
                )
            else:
                assert plan is not None
                c = rank_card(driver, db, distributor_id, load_plan(plan).plan, _period(driver, db, period))
        if as_json:
            out.print_json(json.dumps(c.to_json()))
            return
        out.print(f"[bold]{escape(c.id)}[/bold] — {c.period}, plan {escape(c.plan)}: "
                  f"rank {escape(c.rank or '(none)')}, next {escape(c.next_rank or '-')}")  # fmt: skip
        table = Table("rank", "requirement", "required", "value", "missing")
        for line in c.ranks:
            for k, req in enumerate(line.requirements):
                name = (("✔ " if line.met else "✘ ") + line.rank) if k == 0 else ""
                missing = "-" if req.met else money(req.missing)
                table.add_row(escape(name), req.name, money(req.required), money(req.value), missing)
        out.print(table)
        if c.data_changed:
            err.print("note: imports changed the data since this run; the card shows the data as it is now")

    run_command(go)


@commissions_app.command("flows")
def flows_cmd(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Where a run's money goes: by component, level, rank and top-level leg; the payout ratio."""
    from graph_service.compensation import runs

    def go() -> None:
        with reading() as (driver, settings):
            doc = runs.run_flows(driver, settings.neo4j_database, run_id)
        if as_json:
            out.print_json(json.dumps(doc))
            return
        out.print(f"run {doc['run_id']} ({doc['period']}, {escape(doc['plan'])}): paid "
                  f"{_m(doc['total'])} on {_m(doc['volume'])} PV, "
                  f"payout ratio {doc['payout_ratio']:.2%}")  # fmt: skip
        table = Table("component", "level", "amount", "lines", title="by level", title_justify="left")
        for row in doc["by_level"]:
            table.add_row(row["component"], str(row["level"]), _m(row["amount"]), f"{row['lines']:,}")
        out.print(table)
        table = Table("rank", "holders", "earners", "total", "bonus", title="by rank", title_justify="left")
        for row in doc["by_rank"]:
            table.add_row(
                escape(row["rank"] or "(none)"), f"{row['holders']:,}", f"{row['earners']:,}",
                _m(row["total"]), _m(row["rank_bonus"]),
            )  # fmt: skip
        out.print(table)
        table = Table("leg", "volume", "paid from it", "earned in it", title="top-level legs")
        for row in doc["legs"]:
            table.add_row(
                escape(row["leg"]), _m(row["volume"]), _m(row["paid_from"]),
                _m(row["earned_in"]),
            )  # fmt: skip
        out.print(table)

    run_command(go)


@commissions_app.command("whatif")
def whatif(
    plans: Annotated[list[Path], typer.Option("--plan", help="two plan files: --plan A --plan B")],
    period: PeriodOpt = None,
    top: Annotated[int, typer.Option(help="how many winners and losers to list")] = 10,
    as_json: JsonOpt = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="everyone's totals under A and B, as CSV")] = False,
) -> None:
    """The same period under two plans: totals, payout ratios and the biggest winners and losers
    (nothing is stored)."""
    from graph_service.compensation import whatif as compare
    from graph_service.compensation.plan import load_plan
    from graph_service.errors import BadRequest

    def go() -> None:
        if len(plans) != 2:
            raise BadRequest("give exactly two plans: --plan A --plan B")
        a, b = (load_plan(p) for p in plans)
        with reading() as (driver, settings):
            db = settings.neo4j_database
            result = compare.compare(driver, db, a, b, _period(driver, db, period), top=top)
        if csv_out:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(["id", "a", "b", "delta"])
            writer.writerows(result.rows())
            return
        doc = result.doc
        if as_json:
            out.print_json(json.dumps(doc))
            return
        table = Table("", "A", "B", title=f"what-if, {doc['period']}", title_justify="left")
        table.add_row("plan", escape(doc["a"]["plan"]), escape(doc["b"]["plan"]))
        for name in doc["a"]["by_component"]:
            table.add_row(name, _m(doc["a"]["by_component"][name]),
                          _m(doc["b"]["by_component"][name]))  # fmt: skip
        table.add_row("total", _m(doc["a"]["total"]), _m(doc["b"]["total"]))
        table.add_row("payout ratio", f"{doc['a']['payout_ratio']:.2%}", f"{doc['b']['payout_ratio']:.2%}")
        out.print(table)
        out.print(f"{doc['better_off']:,} better off, {doc['worse_off']:,} worse off under B")
        for title, people in (("biggest winners", doc["winners"]), ("biggest losers", doc["losers"])):
            t = Table("id", "A", "B", "change", title=title, title_justify="left")
            for p in people:
                t.add_row(escape(p["id"]), _m(p["a"]), _m(p["b"]),
                          _m(p["delta"]))  # fmt: skip
            out.print(t)

    run_command(go)
