"""The analytics part of `make bench`: the rollup against a naive query and a practical limit.

Run by benchmarks/run.py right after each size's import, on the network just published:

1. Full rollup (ours): `rollup.rebuild` into the spare slot, then the switch.
2. Naive Cypher (benchmarks/naive_gv.cypher): GV per period and downline size of each
   distributor by a variable-length walk of its downline, O(n * depth). Beyond `full_max`
   distributors it runs on a uniform random sample and is extrapolated linearly (n / sample x time).
3. Practical limit: the sponsor edges and per (distributor, period) PV sums streamed out over Bolt
   as collected lists (one record per period: per-record decoding in the driver is ~10x slower
   than a few long lists), then GV and downline size rolled up bottom-up in numpy.
4. The three must agree: numpy against `service.distributor_stats` (which reads the rollup) on a few
   random ids and the largest root, and numpy against every row the naive query returned. Exact
   integers (ten-thousandths); a mismatch raises.
5. Latency of the service functions on the fresh rollup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from neo4j import Driver

from graph_service.analytics import rollup, service
from graph_service.fixedpoint import SCALE

ROOT = Path(__file__).resolve().parent
NAIVE_QUERY = (ROOT / "naive_gv.cypher").read_text(encoding="utf-8")
ACTIVE = 1_000_000  # 100 PV in ten-thousandths, the service's default threshold
NAIVE_BATCH = 100  # distributors per naive query

# The practical limit's two reads, as few records as possible (one for the edges, one per period).
EDGES_QUERY = """
MATCH (d:Distributor)
WHERE d.gen <= $gen
RETURN collect(d.id) AS ids, collect(coalesce(d.sponsor_id, '')) AS sponsors, collect(d.depth) AS depths
"""
PV_QUERY = """
MATCH (o:Order)
USING INDEX o:Order(distributor_id, period)
WHERE o.distributor_id IS NOT NULL AND o.period IS NOT NULL AND o.gen <= $gen
WITH o.distributor_id AS id, o.period AS period, sum(o.volume) AS pv
RETURN period, collect(id) AS ids, collect(pv) AS pvs
ORDER BY period
"""

IntArray = npt.NDArray[np.int64]


@dataclass
class Latency:
    calls: int
    p50_ms: float
    p99_ms: float


@dataclass
class AnalyticsResult:
    distributors: int
    orders: int
    periods: list[str]
    max_depth: int
    rollup_s: float  # the second rebuild: every slot property exists, so the write overwrites
    rollup_timings: dict[str, float]
    rollup_first_s: float  # the first rebuild after the import: may add the spare slot's properties
    rollup_first_timings: dict[str, float]
    naive_s: float  # whole network: measured, or extrapolated from the sample
    naive_measured_s: float
    naive_distributors: int  # how many the naive query ran on
    naive_by_visits_s: float  # extrapolated by members visited instead (lower variance)
    stream_s: float
    stream_records: int
    compute_s: float
    practical_s: float
    checked_stats: int  # (distributor, period) pairs: numpy == distributor_stats
    checked_naive: int  # (distributor, period) rows: numpy == naive
    largest_root: str
    largest_root_downline: int
    latency: dict[str, Latency] = field(default_factory=dict)

    @property
    def naive_vs_rollup(self) -> float:
        return self.naive_s / self.rollup_s if self.rollup_s else 0.0

    @property
    def rollup_vs_practical(self) -> float:
        return self.rollup_s / self.practical_s if self.practical_s else 0.0


@dataclass
class Network:
    """The sponsor forest and PV as arrays; row i is distributor ids[i]."""

    ids: npt.NDArray[np.object_]
    parent: IntArray  # row of the sponsor, -1 for a root
    depth: IntArray
    periods: list[str]
    pv: IntArray  # (n, periods), ten-thousandths


def stream(driver: Driver, database: str, gen: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The raw reads of the practical limit: edges, and per period the distributors' PV sums."""
    edges, _, _ = driver.execute_query(EDGES_QUERY, gen=gen, database_=database, routing_="r")
    pv, _, _ = driver.execute_query(PV_QUERY, gen=gen, database_=database, routing_="r")
    return edges[0].data(), [r.data() for r in pv]


def to_network(edges: dict[str, Any], pv_rows: list[dict[str, Any]]) -> Network:
    ids = np.asarray(edges["ids"], dtype=object)
    index = pd.Index(ids)
    if not index.is_unique:
        raise AssertionError("distributor ids are not unique")
    parent = index.get_indexer(edges["sponsors"]).astype(np.int64)  # '' (a root) is not found: -1
    depth = np.asarray(edges["depths"], dtype=np.int64)
    periods = [r["period"] for r in pv_rows]
    pv = np.zeros((len(ids), len(periods)), dtype=np.int64)
    for j, row in enumerate(pv_rows):
        rows = index.get_indexer(row["ids"])
        known = rows >= 0  # orders of a distributor not in the network count nowhere
        pv[rows[known], j] = np.asarray(row["pvs"], dtype=np.int64)[known]
    return Network(ids, parent, depth, periods, pv)


def roll_up(net: Network) -> tuple[IntArray, IntArray]:
    """GV per period and downline size of everyone, bottom-up one depth at a time."""
    gv = net.pv.copy()
    size = np.zeros(len(net.ids), dtype=np.int64)
    order = np.argsort(net.depth, kind="stable")
    by_depth = net.depth[order]
    for level in range(int(by_depth[-1]) if len(by_depth) else 0, 0, -1):
        rows = order[np.searchsorted(by_depth, level, "left") : np.searchsorted(by_depth, level, "right")]
        parents = net.parent[rows]
        if (parents < 0).any() or (net.depth[parents] != level - 1).any():
            raise AssertionError(f"depth {level}: a sponsor is missing or not one level up")
        np.add.at(gv, parents, gv[rows])
        np.add.at(size, parents, size[rows] + 1)
    return gv, size


def naive(
    driver: Driver, database: str, gen: int, periods: Sequence[str], ids: Sequence[str]
) -> tuple[float, list[dict[str, Any]]]:
    """Run the naive query on `ids` (batches of NAIVE_BATCH): seconds and its rows."""
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for start in range(0, len(ids), NAIVE_BATCH):
        records, _, _ = driver.execute_query(
            NAIVE_QUERY,
            ids=list(ids[start : start + NAIVE_BATCH]),
            gen=gen,
            periods=list(periods),
            database_=database,
            routing_="r",
        )
        rows.extend(r.data() for r in records)
    return time.perf_counter() - t0, rows


def _scaled(value: Any) -> int:
    scaled = value * SCALE
    if scaled != int(scaled):
        raise AssertionError(f"{value} is not a whole number of ten-thousandths")
    return int(scaled)


def check_stats(
    driver: Driver, database: str, net: Network, gv: IntArray, size: IntArray, rows: Sequence[int]
) -> int:
    """numpy == service.distributor_stats (the rollup) for these rows in every period."""
    checked = 0
    for i in rows:
        for j, period in enumerate(net.periods):
            s = service.distributor_stats(driver, database, str(net.ids[i]), period)
            got = (_scaled(s.gv), s.downline_size, _scaled(s.pv))
            want = (int(gv[i, j]), int(size[i]), int(net.pv[i, j]))
            if got != want:
                raise AssertionError(f"{net.ids[i]} {period}: distributor_stats {got} != numpy {want}")
            checked += 1
    return checked


def check_naive(net: Network, gv: IntArray, size: IntArray, rows: Sequence[dict[str, Any]]) -> int:
    """numpy == the naive query for every row it returned."""
    index = pd.Index(net.ids)
    column = {p: j for j, p in enumerate(net.periods)}
    for r in rows:
        i = index.get_loc(r["id"])
        want = (int(gv[i, column[r["period"]]]), int(size[i]))
        if (int(r["gv"]), int(r["size"])) != want:
            raise AssertionError(f"{r['id']} {r['period']}: naive {(r['gv'], r['size'])} != numpy {want}")
    return len(rows)


def latency(call: Callable[[Any], object], args: Sequence[Any], warmup: int = 3) -> Latency:
    """Times call(a) for each a in args (after `warmup` untimed calls): p50 and p99 in ms."""
    for a in list(args)[:warmup]:
        call(a)
    ms = []
    for a in args:
        t0 = time.perf_counter()
        call(a)
        ms.append((time.perf_counter() - t0) * 1000)
    return Latency(len(ms), float(np.percentile(ms, 50)), float(np.percentile(ms, 99)))


def run(
    driver: Driver, database: str, *, sample: int = 2_000, full_max: int = 10_000, seed: int = 42
) -> AnalyticsResult:
    """All measurements on the network published in `database` (see the module docstring)."""
    rng = np.random.default_rng(seed)

    # twice: after a bulk load the first rebuild adds the spare slot's nine properties to every
    # member (records allocated, not overwritten); every later rollup (an import's, a rebuild)
    # overwrites them, and that is the one compared with the peers
    t0 = time.perf_counter()
    first = rollup.rebuild(driver, database, active=ACTIVE)
    rollup_first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = rollup.rebuild(driver, database, active=ACTIVE)
    rollup_s = time.perf_counter() - t0
    gen = summary.gen

    t0 = time.perf_counter()
    edges, pv_rows = stream(driver, database, gen)
    stream_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net = to_network(edges, pv_rows)
    gv, size = roll_up(net)
    compute_s = time.perf_counter() - t0
    del edges, pv_rows
    if net.periods != summary.periods:
        raise AssertionError(f"periods: orders {net.periods} != rollup {summary.periods}")
    live = service.published(driver, database)
    if live.slot is None or live.active != ACTIVE:
        raise AssertionError("the service would not read the fresh rollup (slot or threshold)")

    n = len(net.ids)
    everyone = np.argsort(net.ids)  # a sample independent of the order rows were streamed in
    chosen = everyone if n <= full_max else np.sort(rng.choice(everyone, size=min(sample, n), replace=False))
    naive_measured, naive_rows = naive(driver, database, gen, net.periods, [str(x) for x in net.ids[chosen]])
    naive_s = naive_measured * n / len(chosen) if len(chosen) else 0.0
    visits_all, visits_sample = int((size + 1).sum()), int((size[chosen] + 1).sum())
    naive_by_visits = naive_measured * visits_all / visits_sample if visits_sample else 0.0
    checked_naive = check_naive(net, gv, size, naive_rows)

    roots = np.flatnonzero(net.parent < 0)
    top = int(roots[np.argmax(size[roots])])
    random_rows = rng.choice(everyone, size=min(200, n), replace=False).tolist()
    checked_stats = check_stats(driver, database, net, gv, size, [top, *random_rows[:5]])

    latest = net.periods[-1] if net.periods else None
    root_id = str(net.ids[top])
    lat = {
        "stats_random": latency(
            lambda i: service.distributor_stats(driver, database, str(net.ids[i]), latest), random_rows
        ),
        "stats_root": latency(
            lambda _: service.distributor_stats(driver, database, root_id, latest), range(30)
        ),
        "downline_root": latency(
            lambda _: service.downline(driver, database, root_id, period=latest, limit=100), range(30)
        ),
        "network": latency(lambda _: service.network_stats(driver, database, latest), range(10)),
    }
    return AnalyticsResult(
        distributors=n,
        orders=_order_count(driver, database, gen),
        periods=net.periods,
        max_depth=summary.max_depth,
        rollup_s=rollup_s,
        rollup_timings=summary.timings,
        rollup_first_s=rollup_first_s,
        rollup_first_timings=first.timings,
        naive_s=naive_s,
        naive_measured_s=naive_measured,
        naive_distributors=len(chosen),
        naive_by_visits_s=naive_by_visits,
        stream_s=stream_s,
        stream_records=1 + len(net.periods),
        compute_s=compute_s,
        practical_s=stream_s + compute_s,
        checked_stats=checked_stats,
        checked_naive=checked_naive,
        largest_root=root_id,
        largest_root_downline=int(size[top]),
        latency=lat,
    )


def _order_count(driver: Driver, database: str, gen: int) -> int:
    records, _, _ = driver.execute_query(
        "MATCH (o:Order) WHERE o.gen <= $gen RETURN count(o) AS n", gen=gen, database_=database, routing_="r"
    )
    return int(records[0]["n"])


def _s(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def _latencies(measured: dict[str, Latency]) -> dict[str, str]:
    return {
        name: f"p50 {x.p50_ms:.1f} ms" + (f", p99 {x.p99_ms:.1f} ms" if name != "network" else "")
        for name, x in measured.items()
    }


def _parts(total: float, t: dict[str, float]) -> str:
    rest = total - sum(t.values())
    return (
        f"read {_s(t.get('read', 0))} (2 Cypher scans side by side), numpy {_s(t.get('compute', 0))}, "
        f"write {_s(t.get('write', 0))} (every member's figures, batches of 10,000, 2 in flight), "
        f"network {_s(t.get('network', 0))}, frame {_s(t.get('frame', 0))}, other {_s(rest)} "
        "(save, lease, switch)"
    )


def markdown(results: Sequence[AnalyticsResult]) -> list[str]:
    """The "## Analytics" section of RESULTS.md: one table per size."""
    lines = [
        "## Analytics (GV per period and downline size of everyone; service latency)",
        "",
        "Measured right after each import, on the published network, in the same run. Goals: the rollup "
        ">= 20x faster than the naive query and within 5x of the practical limit; `distributor_stats` "
        "p99 < 50 ms at 1M. All three computations are checked to agree exactly (integer "
        "ten-thousandths).",
        "",
    ]
    for r in results:
        if r.naive_distributors < r.distributors:
            naive_how = (
                f"extrapolated from a sample of {r.naive_distributors:,} (n / sample x "
                f"{_s(r.naive_measured_s)} measured); by members visited instead: {_s(r.naive_by_visits_s)}"
            )
        else:
            naive_how = f"all {r.distributors:,} distributors"
        ms = _latencies(r.latency)

        lines += [
            f"### {r.distributors:,} distributors, {r.orders:,} orders, {len(r.periods)} periods, "
            f"max depth {r.max_depth}",
            "",
            "| measure | time | detail |",
            "|---|---:|---|",
            f"| Full rollup (ours): `rollup.rebuild` | {_s(r.rollup_s)} | "
            f"{_parts(r.rollup_s, r.rollup_timings)}; the second rebuild in a row (overwrites the "
            "spare slot, as every rollup does once both slots exist) |",
            f"| Full rollup (ours), first after the import | {_s(r.rollup_first_s)} | "
            f"{_parts(r.rollup_first_s, r.rollup_first_timings)}; after a bulk load this write adds "
            "the spare slot's properties to every member |",
            f"| Naive Cypher (`benchmarks/naive_gv.cypher`, batches of {NAIVE_BATCH}) | {_s(r.naive_s)} "
            f"| {naive_how} |",
            f"| Practical limit: stream over Bolt | {_s(r.stream_s)} | edges + PV per (distributor, period), "
            f"as collected lists ({r.stream_records} records) |",
            f"| Practical limit: numpy rollup | {_s(r.compute_s)} | bottom-up by depth, `np.add.at` |",
            f"| Practical limit: total | {_s(r.practical_s)} | |",
            f"| Rollup vs naive | {r.naive_vs_rollup:,.1f}x | naive / rollup; goal >= 20x (first rebuild: "
            f"{r.naive_s / r.rollup_first_s if r.rollup_first_s else 0:,.1f}x) |",
            f"| Rollup vs practical limit | {r.rollup_vs_practical:,.1f}x | rollup / practical; goal <= 5x |",
            f"| `distributor_stats`, 200 random distributors | {ms['stats_random']} "
            "| goal p99 < 50 ms at 1M |",
            f"| `distributor_stats`, largest root x 30 | {ms['stats_root']} "
            f"| {r.largest_root}, downline {r.largest_root_downline:,} |",
            f"| `downline` first page (limit 100), largest root x 30 | {ms['downline_root']} | |",
            f"| `network_stats` x 10 | {ms['network']} | |",
            f"| Agreement | ok | numpy = `distributor_stats` on {r.checked_stats} (distributor, period) "
            f"pairs; numpy = naive on all {r.checked_naive:,} rows |",
            "",
        ]
    return lines
