"""Commission runs at scale: a full run (unilevel + binary + ranks) computed and stored, phase by
phase, then earner reads with their lines, flows and a plan what-if, on the network already
imported into the benchmark server. Goal (issue 6): a full run on 1M members under 60 s.

    python -m benchmarks.commissions            # against the benchmark server (benchmarks/work/home)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from neo4j import Driver

from graph_service.compensation import runs
from graph_service.compensation.plan import parse_plan
from graph_service.compensation.whatif import compare
from graph_service.config import Settings
from graph_service.db.driver import open_driver

ROOT = Path(__file__).resolve().parent
FULL_PLAN = """name = "Bench: unilevel + binary + ranks"
active_pv = 100

[unilevel]
rates = [0.05, 0.04, 0.03, 0.02, 0.01]
compression = "dynamic"

[binary]
pair_unit = 200
pair_rate = 0.08
cap = 2000
max_carry = 10000

[[ranks]]
name = "Bronze"
pv = 100
gv = 500
active_frontline = 1

[[ranks]]
name = "Silver"
pv = 100
gv = 2000
max_leg_share = 0.6
active_frontline = 2
bonus = 50

[[ranks]]
name = "Gold"
pv = 150
gv = 8000
max_leg_share = 0.5
active_frontline = 3
bonus = 250
"""
MATRIX = "\n[matrix]\nwidth = {width}\nrates = [0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01]\n"


@dataclass
class CommissionResult:
    distributors: int
    period: str
    earners: int
    lines: int
    run_s: float
    phases: dict[str, float]
    earner_p50_ms: float
    earner_p99_ms: float
    flows_ms: float
    whatif_s: float
    matrix_run_s: float | None = None
    notes: list[str] = field(default_factory=list)


def _ms(seconds: list[float], q: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run(settings: Settings, *, samples: int = 200, seed: int = 5) -> CommissionResult:
    driver: Driver = open_driver(settings)
    db = settings.neo4j_database
    try:
        from graph_service.analytics import service

        period = service.latest_period(driver, db)
        assert period is not None, "import a network first"
        plan = parse_plan(FULL_PLAN)
        started = time.perf_counter()
        summary = runs.run_commissions(driver, db, plan, period)
        run_s = time.perf_counter() - started

        records, _, _ = driver.execute_query(
            "MATCH (c:RunChunk {run_id: $run}) RETURN c.ids AS ids", run=summary.run_id, database_=db
        )
        earners = [i for r in records for i in r["ids"]]
        rng = random.Random(seed)
        times: list[float] = []
        for who in rng.sample(earners, min(samples, len(earners))):
            t = time.perf_counter()
            runs.earner(driver, db, summary.run_id, who, lines=True)
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        runs.run_flows(driver, db, summary.run_id)
        flows_ms = (time.perf_counter() - t) * 1000
        cheaper = parse_plan(FULL_PLAN.replace("pair_rate = 0.08", "pair_rate = 0.06"))
        t = time.perf_counter()
        compare(driver, db, plan, cheaper, period)
        whatif_s = time.perf_counter() - t

        result = CommissionResult(
            distributors=summary.distributors,
            period=period,
            earners=summary.earners,
            lines=summary.lines,
            run_s=run_s,
            phases=dict(summary.timings),
            earner_p50_ms=statistics.median(times) * 1000 if times else 0.0,
            earner_p99_ms=_ms(times, 0.99) if times else 0.0,
            flows_ms=flows_ms,
            whatif_s=whatif_s,
        )
        from graph_service.matrix import stored_width

        width = stored_width(driver, db)
        if width is not None:
            t = time.perf_counter()
            runs.run_commissions(driver, db, parse_plan(FULL_PLAN + MATRIX.format(width=width)), period)
            result.matrix_run_s = time.perf_counter() - t
        else:
            result.notes.append("no matrix placement in this database: the matrix run was skipped")
        return result
    finally:
        driver.close()


def markdown(results: list[CommissionResult]) -> list[str]:
    lines = [
        "| distributors | earners | lines | full run | load + engine | store | flows | earner p50 / p99 "
        "| flows read | what-if | + matrix |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        matrix = f"{r.matrix_run_s:.1f} s" if r.matrix_run_s is not None else "-"
        lines.append(
            f"| {r.distributors:,} | {r.earners:,} | {r.lines:,} | **{r.run_s:.1f} s** "
            f"| {r.phases.get('compute', 0):.1f} s | {r.phases.get('store', 0):.1f} s "
            f"| {r.phases.get('flows', 0):.1f} s | {r.earner_p50_ms:.1f} / {r.earner_p99_ms:.1f} ms "
            f"| {r.flows_ms:.0f} ms | {r.whatif_s:.1f} s | {matrix} |"
        )
    for r in results:
        lines += [f"- {note}" for note in r.notes]
    return lines


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--home", type=Path, default=ROOT / "work" / "home")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DOWNLINE_HOME", str(args.home))
    result = run(Settings(home=args.home), samples=args.samples)
    print("\n".join(markdown([result])))


if __name__ == "__main__":
    main()
