"""`make bench`: generate networks, import them into a dedicated local Neo4j, record the numbers.

Everything runs side by side in one invocation on the same machine (these machines are shared
and noisy: compare within a run, not across runs). Results go to benchmarks/RESULTS.md with the
machine and the date. Sizes: `python -m benchmarks.run --sizes 10000,100000,1000000`.

After each size's import the analytics are measured on it (benchmarks/analytics.py): the full
rollup against a naive Cypher query and a practical limit (Bolt + numpy), and the latency of the
service. `--skip-import` measures only the analytics, on the network already imported (the last
size): handy when iterating on them. Then the peers (benchmarks/peers.py): the same figures from the
same CSV files in PostgreSQL (started here), networkx and pandas, checked against the rollup.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import analytics, commissions, dashboard, http_load, peers, plot
from graph_service.config import NEO4J_VERSION, Settings
from graph_service.db import server
from graph_service.db.admin import delete_all
from graph_service.db.driver import open_driver
from graph_service.ingest.generator import generate

ROOT = Path(__file__).resolve().parent
NOTES_MARKER = "<!-- findings: kept across runs -->"
PLOT = ROOT / "results.svg"
DOWNLINE = str(Path(sys.executable).with_name("downline"))


@dataclass
class ImportResult:
    path: str  # "bulk" (neo4j-admin, empty database) or "transactional"
    distributors: int
    orders: int
    generate_s: float
    import_s: float
    python_peak_mib: float
    neo4j_peak_rss_mib: float
    ok: bool
    note: str


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    java = subprocess.run(
        ["java", "-version"], capture_output=True, text=True, check=False
    ).stderr.splitlines()
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {java[0] if java else 'java ?'}, "
        f"Neo4j Community {NEO4J_VERSION}"
    )


def bench_import(settings: Settings, size: int, work: Path, months: int, path: str) -> ImportResult:
    """Generate (or reuse) the network of `size` and import it into the emptied database, by the
    `bulk` path (neo4j-admin's offline importer) or the `transactional` one."""
    data = work / f"net-{size}"
    t0 = time.perf_counter()
    summary = generate(data, distributors=size, months=months, seed=size)
    gen_s = time.perf_counter() - t0
    with open_driver(settings) as driver:
        delete_all(driver, database=settings.neo4j_database)
    env = {**os.environ, "DOWNLINE_HOME": str(settings.home_dir)}
    flag = "--bulk" if path == "bulk" else "--no-bulk"
    with http_load.TreeMemory(lambda: server.running_pid(settings) or 0) as neo4j_memory:
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", DOWNLINE, "import", str(data), "--json", flag],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        imp_s = time.perf_counter() - t0
    peak_kib = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "0"
    ok = proc.returncode == 0
    note = ""
    if ok:
        doc = json.loads(proc.stdout)
        phases = ", ".join(f"{k} {v:.0f}s" for k, v in doc.get("timings", {}).items() if v >= 0.5)
        note = f"{doc['distributors_added']:,} + {doc['orders_added']:,} rows ({phases})"
    else:
        note = " ".join(proc.stderr.split())[-300:]
    return ImportResult(
        path,
        summary.distributors,
        summary.orders,
        gen_s,
        imp_s,
        int(peak_kib) / 1024 if peak_kib.isdigit() else 0.0,
        neo4j_memory.total_peak,
        ok,
        note,
    )


def bench_analytics(settings: Settings, args: argparse.Namespace) -> analytics.AnalyticsResult | str:
    """The analytics measurements on the published network, or why they failed."""
    try:
        with open_driver(settings) as driver:
            return analytics.run(
                driver, settings.neo4j_database, sample=args.naive_sample, full_max=args.naive_all_up_to
            )
    except Exception as exc:  # recorded in RESULTS.md, the run goes on
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def _random_ids(settings: Settings, n: int = 5000) -> list[str]:
    with open_driver(settings) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (d:Distributor) WITH d.id AS id, rand() AS r ORDER BY r LIMIT $n RETURN id",
            n=n,
            database_=settings.neo4j_database,
        )
    return [r["id"] for r in records]


def bench_http(settings: Settings) -> http_load.LoadResult | str:
    """Requests per second and latency of the stats endpoint, 16 clients, random members."""
    try:
        return http_load.stats_load(settings, _random_ids(settings))
    except Exception as exc:  # recorded in RESULTS.md, the run goes on
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def bench_mixed(settings: Settings) -> http_load.MixedResult | str:
    """The mixed load (benchmarks/http_load.py): API reads and dashboard callbacks, 16 clients, 60 s."""
    try:
        return http_load.mixed_load(settings, _random_ids(settings), clients=16, seconds=60)
    except Exception as exc:  # recorded in RESULTS.md, the run goes on
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def http_markdown(rows: list[tuple[int, http_load.LoadResult | str]]) -> list[str]:
    lines = [
        "## HTTP: `GET /v1/distributors/{id}/stats` under load",
        "",
        "`downline serve --workers 2`, 16 concurrent keep-alive clients asking for random members for 20 s "
        "after a 3 s warm-up, on the same machine as Neo4j (client, API and database share the 2 cores). "
        "Goal at 1M: >= 200 requests/s, p99 < 50 ms, no errors.",
        "",
        "| distributors | workers | clients | requests | requests/s | p50 (ms) | p99 (ms) | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, r in rows:
        if isinstance(r, str):
            lines.append(f"| {size:,} | | | | | | | FAILED: {r} |")
        else:
            lines.append(
                f"| {size:,} | {r.workers} | {r.clients} | {r.requests:,} | {r.rps:,.0f} | {r.p50_ms:.1f} "
                f"| {r.p99_ms:.1f} | {r.errors} |"
            )
    return [*lines, ""]


def mixed_markdown(rows: list[tuple[int, http_load.MixedResult | str]]) -> list[str]:
    lines = [
        "## HTTP: mixed load (stats, downline pages, dashboard callbacks)",
        "",
        "`downline serve --workers 2`, 16 concurrent keep-alive clients for 60 s after a 3 s warm-up, each "
        "logged in to the dashboard and picking at random (weights "
        + ", ".join(f"{k} {w}" for k, w in http_load.MIX.items())
        + "): a member's stats, one to three pages of 50 of a top-100 member's downline (each page a "
        "request), the network figures, and the dashboard's callbacks as the browser posts them (overview "
        "KPIs and figures for a period, an explorer click expanding a node on a walk three levels down, "
        "the legs page for a member). An error is a transport error, a status but 200, or a callback "
        "reply sending the browser to log in or showing a message in its error box. Same machine as "
        "Neo4j. Goal: no errors.",
        "",
    ]
    for size, r in rows:
        lines.append(f"### {size:,} distributors")
        lines.append("")
        if isinstance(r, str):
            lines += [f"Mixed load FAILED: {r}", ""]
            continue
        lines += [
            "| kind | requests | requests/s | p50 (ms) | p99 (ms) | errors |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for k in [*r.kinds, r.total]:
            name = "**total**" if k is r.total else k.kind
            lines.append(
                f"| {name} | {k.requests:,} | {k.rps:,.1f} | {k.p50_ms:.1f} | {k.p99_ms:.1f} | {k.errors} |"
            )
        lines.append("")
        lines.append(
            f"{r.seconds:.0f} s measured; warm-up {r.warmup_requests:,} requests, {r.warmup_errors} errors."
        )
        if r.server_peak_mib:
            lines.append(
                f"API memory (goal < 1 GiB at 1M): peak resident {r.server_peak_mib:,.0f} MiB for `downline "
                f"serve` and its {r.workers} workers together, {r.worker_peak_mib:,.0f} MiB for the largest "
                "process alone (sampled every 0.5 s)."
            )
        for what, n in r.failures.items():
            example = r.examples.get(what, "").replace("`", "'")
            lines.append(f"- {n} x {what}: `{example}`")
        lines.append("")
    return lines


def bench_commissions(settings: Settings) -> commissions.CommissionResult | str:
    try:
        return commissions.run(settings)
    except Exception as exc:  # recorded in RESULTS.md, the run goes on
        return f"{type(exc).__name__}: {exc}"


def bench_peers(
    settings: Settings, size: int, measured: analytics.AnalyticsResult | str
) -> peers.PeersResult | str:
    """The rollup's figures computed by PostgreSQL, networkx and pandas from the imported CSVs."""
    try:
        with open_driver(settings) as driver:
            return peers.run(
                driver,
                settings.neo4j_database,
                ROOT / "data" / f"net-{size}",
                measured=None if isinstance(measured, str) else measured,
                rollup_note=measured if isinstance(measured, str) else "",
            )
    except Exception as exc:  # recorded in RESULTS.md, the run goes on
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def bench_dashboard(settings: Settings, size: int) -> dashboard.DashboardResult | str:
    """Every dashboard page's first paint in headless Chromium, and the explorer's expansion:
    three rounds at 1M, where the goal is (about a minute each), one below."""
    try:
        return dashboard.run(settings, rounds=3 if size >= 1_000_000 else 1)
    except Exception as exc:  # recorded in RESULTS.md, the run goes on
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def bars(
    results: list[ImportResult],
    measured: list[tuple[int, analytics.AnalyticsResult | str]],
    compared: list[tuple[int, peers.PeersResult | str]],
    runs: list[tuple[int, commissions.CommissionResult | str]],
) -> list[plot.Bar]:
    """The plot's bars: imports, the full rollup against its peers, the commission run."""
    out = [
        plot.Bar("Import (1M goal: 180 s)", f"downline import ({r.path})", r.distributors, r.import_s, True)
        for r in results
        if r.ok
    ]
    group = "GV and downline of everyone"
    for size, a in measured:
        if isinstance(a, str):
            continue
        out += [
            plot.Bar(group, "ours: full rollup", size, a.rollup_s, True),
            plot.Bar(group, "naive Cypher", size, a.naive_s),
            plot.Bar(group, "practical limit (Bolt + numpy)", size, a.practical_s),
        ]
    for size, c in compared:
        if isinstance(c, str):
            continue
        for peer in c.peers:
            if peer.name.startswith(("PostgreSQL", "networkx", "pandas")) and not peer.error:
                out.append(plot.Bar(group, peer.name.split(":")[0], size, peer.total_s))
    out += [
        plot.Bar("Commission run (1M goal: 60 s)", "ours: full run", size, r.run_s, True)
        for size, r in runs
        if not isinstance(r, str)
    ]
    return out


def write_results(
    results: list[ImportResult],
    measured: list[tuple[int, analytics.AnalyticsResult | str]],
    settings: Settings,
    loads: list[tuple[int, http_load.LoadResult | str]] | None = None,
    runs: list[tuple[int, commissions.CommissionResult | str]] | None = None,
    compared: list[tuple[int, peers.PeersResult | str]] | None = None,
    screens: list[tuple[int, dashboard.DashboardResult | str]] | None = None,
    mixes: list[tuple[int, http_load.MixedResult | str]] | None = None,
) -> Path:
    out = ROOT / "RESULTS.md"
    lines = [
        "# Benchmark results",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (benchmarks/run.py).",
        "",
        f"Machine: {machine()}.",
        "",
        f"Neo4j memory: heap {settings.neo4j_heap}, page cache {settings.neo4j_pagecache}.",
        "",
        f"![Seconds per measure and size, ours beside the peers (log scale)]({PLOT.name})",
        "",
        "## Import (`downline import`: validation, the rows written, the rollup, one publishing commit)",
        "",
        "Goal: 1M distributors + ~3M orders in under 3 minutes. Two paths into the same emptied database, "
        "on the same files: `bulk` (`--bulk`, the default for an empty local database and 1,000,000 rows "
        "or more: neo4j-admin's offline importer, the server stopped meanwhile; "
        "graph_service/ingest/bulk.py) and `transactional` (`--no-bulk`: staged batches through Bolt, the "
        "only path for a database with data or a remote server). Both end with the same database (checked "
        "by tests/integration/test_bulk_import.py). The import's time includes the rollup.",
        "",
        "| distributors | orders | path | generate (s) | import (s) | rows/s | import process peak (MiB) "
        "| Neo4j peak RSS (MiB) | result |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rate = (r.distributors + r.orders) / r.import_s if r.ok else 0
        lines.append(
            f"| {r.distributors:,} | {r.orders:,} | {r.path} | {r.generate_s:.1f} | {r.import_s:.1f} "
            f"| {rate:,.0f} "
            f"| {r.python_peak_mib:,.0f} | {r.neo4j_peak_rss_mib:,.0f} "
            f"| {'ok' if r.ok else 'FAILED'}: {r.note} |"
        )
    if not results:
        lines.append(
            "| | | | | | | | | skipped (`--skip-import`): analytics on the network already imported |"
        )
    lines.append("")
    if measured:
        lines += analytics.markdown([a for _, a in measured if not isinstance(a, str)])
        lines += [f"Analytics at {size:,} FAILED: {a}" for size, a in measured if isinstance(a, str)]
        lines.append("")
    if compared:
        lines += peers.markdown([c for _, c in compared if not isinstance(c, str)])
        lines += [f"Peers at {size:,} FAILED: {c}" for size, c in compared if isinstance(c, str)]
        lines.append("")
    if loads:
        lines += http_markdown(loads)
    if mixes:
        lines += mixed_markdown(mixes)
    if runs:
        lines += [
            "## Commission runs (`downline commissions run`: computed, stored whole, read back)",
            "",
            "Goal: a full run (unilevel + binary + ranks) on 1M members in under 60 s.",
            "",
        ]
        lines += commissions.markdown([r for _, r in runs if not isinstance(r, str)])
        lines += [f"Commission run at {size:,} FAILED: {r}" for size, r in runs if isinstance(r, str)]
        lines.append("")
    if screens:
        lines += [
            "## Dashboard first paint (headless Chromium against `downline serve`)",
            "",
            "Goal: every page ready (its own figures drawn) under 2 s at 1M members; expanding a node "
            "in the explorer under 300 ms of server time. benchmarks/dashboard.py says what each page "
            "waits for.",
            "",
        ]
        lines += dashboard.markdown([d for _, d in screens if not isinstance(d, str)])
        lines += [f"Dashboard at {size:,} FAILED: {d}" for size, d in screens if isinstance(d, str)]
        lines.append("")
    plot.write(
        PLOT, bars(results, measured, compared or [], runs or []), f"make bench, {datetime.now(UTC):%Y-%m-%d}"
    )
    # hand-written findings below the marker survive a new run
    notes = ""
    if out.exists() and NOTES_MARKER in out.read_text():
        notes = out.read_text().split(NOTES_MARKER, 1)[1]
    out.write_text("\n".join(lines) + ("\n" + NOTES_MARKER + notes if notes else ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--home", type=Path, default=ROOT / "work" / "home")
    parser.add_argument(
        "--skip-import", action="store_true", help="only the analytics, on the network already imported"
    )
    parser.add_argument(
        "--naive-sample", type=int, default=2_000, help="distributors the naive query samples"
    )
    parser.add_argument(
        "--transactional-up-to",
        type=int,
        default=100_000,
        help="also time the transactional import up to this size (1M takes ~10 minutes that way)",
    )
    parser.add_argument(
        "--naive-all-up-to", type=int, default=10_000, help="run the naive query on everyone up to this size"
    )
    args = parser.parse_args()
    settings = Settings(home=args.home)
    server.start(settings, bolt_port=17787, http_port=17774)
    results: list[ImportResult] = []
    measured: list[tuple[int, analytics.AnalyticsResult | str]] = []
    loads: list[tuple[int, http_load.LoadResult | str]] = []
    runs: list[tuple[int, commissions.CommissionResult | str]] = []
    compared: list[tuple[int, peers.PeersResult | str]] = []
    screens: list[tuple[int, dashboard.DashboardResult | str]] = []
    mixes: list[tuple[int, http_load.MixedResult | str]] = []
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes[-1:] if args.skip_import else sizes:
        if not args.skip_import:
            # the transactional path first (up to --transactional-up-to), then the bulk one, whose
            # database the rest of the run measures (the same database either way)
            paths = ["transactional", "bulk"] if size <= args.transactional_up_to else ["bulk"]
            for way in paths:
                result = bench_import(settings, size, ROOT / "data", args.months, way)
                print(json.dumps(result.__dict__), flush=True)
                results.append(result)
            if not result.ok:
                continue
        outcome = bench_analytics(settings, args)
        row = {"size": size, "analytics_error": outcome} if isinstance(outcome, str) else asdict(outcome)
        print(json.dumps(row), flush=True)
        measured.append((size, outcome))
        peer = bench_peers(settings, size, outcome)
        doc = peer if isinstance(peer, str) else asdict(peer)
        print(json.dumps({"size": size, "peers": doc}), flush=True)
        compared.append((size, peer))
        load = bench_http(settings)
        print(json.dumps({"size": size, "http": load if isinstance(load, str) else asdict(load)}), flush=True)
        loads.append((size, load))
        mix = bench_mixed(settings)
        print(json.dumps({"size": size, "mixed": mix if isinstance(mix, str) else asdict(mix)}), flush=True)
        mixes.append((size, mix))
        run = bench_commissions(settings)
        doc = run if isinstance(run, str) else asdict(run)
        print(json.dumps({"size": size, "commissions": doc}), flush=True)
        runs.append((size, run))
        screen = bench_dashboard(settings, size)  # after the commission runs: the flows page shows one
        doc = screen if isinstance(screen, str) else asdict(screen)
        print(json.dumps({"size": size, "dashboard": doc}), flush=True)
        screens.append((size, screen))
    path = write_results(results, measured, settings, loads, runs, compared, screens, mixes)
    print(f"wrote {path}; python peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    if any(isinstance(a, str) for _, a in measured):
        sys.exit(1)


if __name__ == "__main__":
    main()
