"""Per-period rollups of the whole network, built level by level bottom-up in Cypher.

A distributor's figures (GV, downline size, active downline, levels, legs) are sums over their
downline. Summing the downline for every member is O(n * depth); rolling up level by level, the
deepest first, reads each member's orders once and each sponsorship link once: at depth k every
distributor's figures come from its own orders and its frontline's figures written by the step for
depth k + 1 (cypher/rollup/level.cypher). A top-down pass then numbers everyone in depth-first
order so that any downline is one range of numbers (cypher/rollup/preorder*.cypher).

All or nothing without one giant transaction: each distributor carries two sets of rollup
properties, slot 0 (`r0_*`) and slot 1 (`r1_*`). `Publication.slot` names the live one. A build
writes the other slot in committed batches (readers do not look at it), records the network
figures on `(:Rollup {slot})`, and becomes visible when the slot is switched: by the import's own
publishing transaction, or by `downline rollup` for the generation already published. A crash
leaves the live slot untouched; the next build overwrites every property of the other slot.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver, Session

from graph_service.db import lease
from graph_service.db.queries import cypher
from graph_service.errors import DownlineError

Progress = Callable[[str, int, int], None]
FIELDS = ("size", "height", "dsum", "levels", "pv", "gv", "act", "maxleg", "pre")
LEVEL_BATCH = 2_000
TOP_KEPT = 100  # top distributors by GV kept per period
TOP_MOST = 10_000  # rows read at most when many tie with the 100th


class RollupConflict(DownlineError):
    exit_code = 3
    http_status = 409
    code = "rollup_conflict"


def keys(slot: int) -> dict[str, str]:
    """Property names of a slot, e.g. {"gv": "r1_gv", ...}."""
    return {name: f"r{slot}_{name}" for name in FIELDS}


def other(slot: int | None) -> int:
    return 1 if slot == 0 else 0


@dataclass
class RollupSummary:
    slot: int
    gen: int
    periods: list[str]
    max_depth: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def build(
    driver: Driver,
    database: str,
    *,
    gen: int,
    slot: int,
    active: int,
    batch: int = LEVEL_BATCH,
    progress: Progress | None = None,
) -> RollupSummary:
    """Roll up generation `gen` (rows with gen <= gen, published or staged) into `slot`.

    `active` is the active threshold in ten-thousandths of PV. Does not publish: the caller
    switches Publication.slot (import: in its publishing transaction; `rebuild`: afterwards).
    """
    began = time.perf_counter()
    timings: dict[str, float] = {}
    k = keys(slot)

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    with driver.session(database=database) as session:
        frame = session.run(cypher("rollup/periods"), gen=gen).single(strict=True)
        periods: list[str] = list(frame["periods"])
        counts = {int(d): int(n) for d, n in frame["levels"]}
        depth = max(counts, default=-1)
        t0 = time.perf_counter()
        bottom_up = groups([(d, counts.get(d, 0)) for d in range(depth, -1, -1)], batch)
        for done, depths in enumerate(bottom_up, 1):
            session.run(
                cypher("rollup/level"),
                depths=depths,
                gen=gen,
                periods=periods,
                active=active,
                batch=batch,
                k=k,
            ).consume()
            step("rolling up levels", done, len(bottom_up))
        timings["levels"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if depth >= 0:
            session.run(cypher("rollup/preorder_roots"), gen=gen, k=k).consume()
        # the parents at depths 0 .. depth-1 number their frontlines
        top_down = groups([(d, counts.get(d + 1, 0)) for d in range(0, depth)], batch)
        for done, depths in enumerate(top_down, 1):
            session.run(cypher("rollup/preorder"), depths=depths, gen=gen, batch=batch, k=k).consume()
            step("numbering the tree", done, len(top_down))
        timings["preorder"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = _network_figures(session, gen=gen, periods=periods, active=active, k=k)
        timings["network"] = time.perf_counter() - t0
        seconds = time.perf_counter() - began
        session.run(
            cypher("rollup/save"),
            slot=slot,
            gen=gen,
            periods=periods,
            active=active,
            stats=json.dumps(stats, separators=(",", ":")),
            seconds=seconds,
        ).consume()
    return RollupSummary(slot, gen, periods, max(depth, 0), seconds, timings)


def groups(levels: list[tuple[int, int]], batch: int) -> list[list[int]]:
    """Consecutive depths in the given order, grouped so a group touches about `batch` members at
    most; a level bigger than that is a group of its own (committed in batches by the step)."""
    out: list[list[int]] = []
    size = 0
    for depth, members in levels:
        if out and size + members <= batch:
            out[-1].append(depth)
            size += members
        else:
            out.append([depth])
            size = members
    return out


def _network_figures(
    session: Session, *, gen: int, periods: list[str], active: int, k: dict[str, str]
) -> dict[str, Any]:
    """The network-wide figures of this rollup, kept as JSON on its Rollup node."""
    depth_hist: dict[int, int] = {}
    frontline_hist: dict[int, int] = {}
    for row in session.run(cypher("rollup/structure"), gen=gen, k=k):
        depth_hist[row["depth"]] = depth_hist.get(row["depth"], 0) + row["distributors"]
        frontline_hist[row["frontline"]] = frontline_hist.get(row["frontline"], 0) + row["distributors"]
    depth_list = [depth_hist.get(i, 0) for i in range(max(depth_hist, default=-1) + 1)]

    per: dict[str, dict[str, Any]] = {
        p: {"volume": 0, "retail_volume": 0, "orders": 0, "active": 0, "leg_balance": [0] * 10, "top": []}
        for p in periods
    }
    for row in session.run(cypher("rollup/period_orders"), gen=gen):
        if row["period"] in per:
            per[row["period"]].update(
                volume=row["volume"], retail_volume=row["retail_volume"], orders=row["orders"]
            )
    for row in session.run(cypher("rollup/period_members"), gen=gen, periods=periods, active=active, k=k):
        figures = per[periods[row["i"]]]
        if row["active"]:
            figures["active"] += row["distributors"]
        if row["bucket"] >= 0:
            figures["leg_balance"][row["bucket"]] += row["distributors"]
    for i, period in enumerate(periods):
        rows = session.run(cypher("rollup/top"), gen=gen, i=i, top=TOP_KEPT, most=TOP_MOST, k=k)
        ranked = sorted(((r["id"], r["gv"], r["pv"], r["size"]) for r in rows), key=lambda r: (-r[1], r[0]))
        per[period]["top"] = [list(r) for r in ranked[:TOP_KEPT]]
    # joins per month, for the growth chart (a scan of every member: done here, once per rollup)
    growth = [[r["month"], r["distributors"]] for r in session.run(cypher("analytics/growth"), gen=gen)]
    return {
        "growth": growth,
        "distributors": sum(depth_list),
        "roots": depth_list[0] if depth_list else 0,
        "depth_sum": sum(d * n for d, n in enumerate(depth_list)),
        "depth_histogram": depth_list,
        "frontline_histogram": sorted([f, n] for f, n in frontline_hist.items()),
        "periods": per,
    }


def current(driver: Driver, database: str, *, with_stats: bool = False) -> dict[str, Any]:
    """The published generation and live rollup (see cypher/rollup/state.cypher)."""
    records, _, _ = driver.execute_query(
        cypher("rollup/state"), with_stats=with_stats, database_=database, routing_="r"
    )
    return dict(records[0]) if records else {"gen": 0, "slot": None}


def rebuild(
    driver: Driver,
    database: str,
    *,
    active: int,
    batch: int = LEVEL_BATCH,
    progress: Progress | None = None,
) -> RollupSummary:
    """Roll up the published generation into the spare slot, then switch readers to it."""
    holder = uuid.uuid4().hex

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    with driver.session(database=database) as session:
        lease.acquire(session, holder, lease.LEASE_STALE_SECONDS, step)
        try:

            def rolling(name: str, done: int, total: int) -> None:
                lease.heartbeat(session, holder)
                step(name, done, total)

            state = current(driver, database)
            gen, slot = int(state["gen"] or 0), other(state["slot"])
            summary = build(
                driver, database, gen=gen, slot=slot, active=active, batch=batch, progress=rolling
            )
            if session.run(cypher("rollup/switch"), gen=gen, slot=slot).single() is None:
                raise RollupConflict("the network changed during the rollup; run it again")
            return summary
        finally:
            lease.release(session, holder)
