"""`downline health` and `downline disclosure`: network health of a period, with red flags and a
score, and a commission run's income disclosure statement (contract section 6, issue 8)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from graph_service.cli import JsonOpt, PeriodOpt, app, err, out, reading, run_command

RunOpt = Annotated[
    str | None, typer.Option("--run", help="a commission run id: adds the money figures (its period)")
]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _amount(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


@app.command("health")
def health_cmd(period: PeriodOpt = None, run: RunOpt = None, as_json: JsonOpt = False) -> None:
    """Network health of a period: retail share, activity, recruiting, retention, bunching; with
    --run the spread of earnings; red flags and a score."""
    from graph_service.analytics import health

    def go() -> None:
        with reading() as (driver, settings):
            report = health.period_health(
                driver, settings.neo4j_database, period, run, active_pv=settings.active_threshold
            )
        doc = report.to_json()
        if as_json:
            out.print_json(json.dumps(doc))
            return
        title = f"network health {report.period}" + (f", run {report.run.run_id}" if report.run else "")
        head = Table(title=escape(title), show_header=False, title_justify="left")
        rows = [
            ("distributors", f"{report.distributors:,}"),
            ("active", f"{report.active:,} ({_pct(report.active_share)}, PV >= {report.active_pv:g})"),
            ("retail share", _pct(report.retail_share)),
            ("bought by participants", _pct(report.self_share)),
            ("median PV", _amount(report.median_pv)),
            ("new distributors", f"{report.new_distributors:,}"),
            ("recruits by the top 1% of sponsors", _pct(report.recruiting_top1_share)),
            (f"active within +{report.bunching_band:.0%} of the threshold", _pct(report.bunching_share)),
        ]
        if report.run is not None:
            r = report.run
            rows += [
                ("plan", r.plan),
                ("earning nothing", _pct(r.zero_earner_share)),
                ("median earnings", _amount(r.median_earnings)),
                ("mean earnings", _amount(r.mean_earnings)),
                ("top 1% / top 10% of payouts", f"{_pct(r.top1_share)} / {_pct(r.top10_share)}"),
                ("Gini of earnings", f"{r.gini:.3f}"),
                ("paid at level 4 or deeper", _pct(r.paid_depth_share)),
                ("percentiles", "  ".join(f"{k} {_amount(v)}" for k, v in r.percentiles.items())),
            ]
        for key, value in rows:
            head.add_row(key, escape(value))
        out.print(head)
        if report.retail_trend:
            trend = Table("period", "volume", "retail share", "self share", title="retail trend")
            for t in report.retail_trend:
                trend.add_row(t.period, _amount(t.volume), _pct(t.retail_share), _pct(t.self_share))
            out.print(trend)
        if report.cohorts:
            cohorts = Table("joined", "members", "+1", "+3", "+6", "+12", title="active after N months")
            for c in report.cohorts[-12:]:
                cohorts.add_row(c.month, f"{c.members:,}", *(_pct(v) for v in c.after))
            out.print(cohorts)
        flags = Table("flag", "value", "threshold", "fired", title=f"red flags: score {report.score}/100")
        for f in report.red_flags:
            fired = "[red]yes[/red]" if f.fired else ("no" if f.value is not None else "-")
            flags.add_row(escape(f.rule), _pct(f.value), f"{f.threshold:.0%}", fired)
        out.print(flags)
        for f in report.red_flags:
            if f.fired:
                err.print(f"[red]{escape(f.name)}[/red]: {escape(f.explanation)}")

    run_command(go)


@app.command("disclosure")
def disclosure_cmd(
    run_id: Annotated[
        str, typer.Argument(metavar="RUN_ID", help="a run id from `downline commissions list`")
    ],
    as_csv: Annotated[bool, typer.Option("--csv", help="print the statement as CSV")] = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="write a printable HTML page ('-': print it)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A commission run's income disclosure statement: earnings by rank and overall."""
    from graph_service.analytics import health

    def go() -> None:
        with reading() as (driver, settings):
            statement = health.disclosure(driver, settings.neo4j_database, run_id)
        if html is not None:
            page = statement.html()
            if str(html) == "-":
                sys.stdout.write(page)
            else:
                html.write_text(page, encoding="utf-8")
                err.print(f"wrote {escape(str(html))}")
            return
        if as_csv:
            sys.stdout.write(statement.csv())
            return
        if as_json:
            out.print_json(json.dumps(statement.to_json()))
            return
        table = Table(
            "group", "members", "at zero", "mean", "median", "p10", "p90", "p99", "highest",
            title=escape(f"income disclosure: {statement.plan}, {statement.period} (run {statement.run_id})"),
            title_justify="left",
        )  # fmt: skip
        for r in statement.rows:
            table.add_row(
                escape(r.group), f"{r.members:,}", _pct(r.share_at_zero), _amount(r.mean), _amount(r.median),
                _amount(r.p10), _amount(r.p90), _amount(r.p99), _amount(r.highest),
            )  # fmt: skip
        out.print(table)
        err.print(escape(health.HOW_TO_READ))

    run_command(go)
