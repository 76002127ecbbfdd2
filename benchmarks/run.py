"""`make bench`: generate networks, import them into a dedicated local Neo4j, record the numbers.

Everything runs side by side in one invocation on the same machine (these machines are shared
and noisy: compare within a run, not across runs). Results go to benchmarks/RESULTS.md with the
machine and the date. Sizes: `python -m benchmarks.run --sizes 10000,100000,1000000`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graph_service.config import NEO4J_VERSION, Settings
from graph_service.db import server
from graph_service.db.admin import delete_all
from graph_service.db.driver import open_driver
from graph_service.ingest.generator import generate

ROOT = Path(__file__).resolve().parent
NOTES_MARKER = "<!-- findings: kept across runs -->"
DOWNLINE = str(Path(sys.executable).with_name("downline"))


@dataclass
class ImportResult:
    distributors: int
    orders: int
    generate_s: float
    import_s: float
    python_peak_mib: float
    neo4j_peak_rss_mib: float
    ok: bool
    note: str


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class PeakSampler:
    """Samples a process's resident memory every 0.5 s and keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, _rss_mib(self.pid))

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


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


def bench_import(settings: Settings, size: int, work: Path, months: int) -> ImportResult:
    data = work / f"net-{size}"
    t0 = time.perf_counter()
    summary = generate(data, distributors=size, months=months, seed=size)
    gen_s = time.perf_counter() - t0
    with open_driver(settings) as driver:
        delete_all(driver, database=settings.neo4j_database)
    env = {**os.environ, "DOWNLINE_HOME": str(settings.home_dir)}
    pid = server.status(settings).pid or 0
    with PeakSampler(pid) as neo4j_peak:
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", DOWNLINE, "import", str(data), "--json"],
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
        summary.distributors,
        summary.orders,
        gen_s,
        imp_s,
        int(peak_kib) / 1024 if peak_kib.isdigit() else 0.0,
        neo4j_peak.peak,
        ok,
        note,
    )


def write_results(results: list[ImportResult], settings: Settings) -> Path:
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
        "## Import (`downline import`: validation, staged batches, one publishing commit)",
        "",
        "Goal: 1M distributors + ~3M orders in under 3 minutes.",
        "",
        "| distributors | orders | generate (s) | import (s) | rows/s | import process peak (MiB) "
        "| Neo4j peak RSS (MiB) | result |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rate = (r.distributors + r.orders) / r.import_s if r.ok else 0
        lines.append(
            f"| {r.distributors:,} | {r.orders:,} | {r.generate_s:.1f} | {r.import_s:.1f} | {rate:,.0f} "
            f"| {r.python_peak_mib:,.0f} | {r.neo4j_peak_rss_mib:,.0f} "
            f"| {'ok' if r.ok else 'FAILED'}: {r.note} |"
        )
    lines.append("")
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
    args = parser.parse_args()
    settings = Settings(home=args.home)
    server.start(settings, bolt_port=17787, http_port=17774)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        result = bench_import(settings, size, ROOT / "data", args.months)
        print(json.dumps(result.__dict__), flush=True)
        results.append(result)
    path = write_results(results, settings)
    print(f"wrote {path}; python peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main()
