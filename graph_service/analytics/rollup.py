"""Per-period rollups of the whole network: read with Cypher, summed in numpy, written with Cypher.

A distributor's figures (GV, downline size, active downline, levels, legs, depth-first number) are
sums over their downline. Summing each downline separately is O(n * depth) and is what the naive
query does. A rollup instead reads the sponsor forest and the PV per (distributor, period) once,
as a few records of parallel lists (cypher/rollup/forest.cypher, volumes.cypher), computes every
member's figures bottom-up in numpy (graph_service/analytics/treesum.py: the sums of a tree are
array arithmetic, which Cypher on the server does one row at a time), and writes them onto the
members in committed batches by two concurrent writers (cypher/rollup/write.cypher). Readers
then answer any member's figures from one node, and a downline page is one range of depth-first
numbers.

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
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from neo4j import Driver, ManagedTransaction

from graph_service.analytics import frameblob, treesum
from graph_service.db import lease
from graph_service.db.queries import cypher
from graph_service.errors import DownlineError

Progress = Callable[[str, int, int], None]
FIELDS = ("size", "height", "dsum", "levels", "pv", "gv", "act", "maxleg", "pre")
WRITE_BATCH = 10_000  # members per write transaction
WRITERS = 2  # write transactions in flight
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
    batch: int = WRITE_BATCH,
    progress: Progress | None = None,
) -> RollupSummary:
    """Roll up generation `gen` (rows with gen <= gen, published or staged) into `slot`.

    `active` is the active threshold in ten-thousandths of PV. Does not publish: the caller
    switches Publication.slot (import: in its publishing transaction; `rebuild`: afterwards).
    """
    began = time.perf_counter()
    if progress is not None:
        progress("reading the network", 0, 1)
    inputs = read_inputs(driver, database, gen)
    timings = {"read": time.perf_counter() - began}
    return build_from(driver, database, compute(inputs, active), gen=gen, slot=slot, batch=batch,
                      progress=progress, began=began, timings=timings)  # fmt: skip


@dataclass
class Inputs:
    """What a rollup is computed from: the forest (aligned lists; sponsor '' for a root; join
    month 'YYYY-MM' or '') and, per period with orders (ascending), cypher/rollup/volumes.cypher's
    row: period, ids, pvs, volume, retail_volume, orders."""

    ids: list[str]
    sponsors: list[str]
    depths: list[int]
    joined: list[str]
    volume_rows: list[dict[str, Any]]


def read_inputs(driver: Driver, database: str, gen: int) -> Inputs:
    """The inputs of generation `gen` from Neo4j: two scans, run side by side (the server answers
    each on its own thread)."""

    records, _, _ = driver.execute_query(cypher("rollup/newer"), gen=gen, database_=database)
    newer = records[0]

    def read(name: str, everyone: bool) -> list[dict[str, Any]]:
        with driver.session(database=database) as session:
            # dict(), not Record.data(): data() walks every element of the million-long lists
            return [dict(r) for r in session.run(cypher(name), gen=gen, all=everyone)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        reads = [
            pool.submit(read, "rollup/forest", not newer["distributors"]),
            pool.submit(read, "rollup/volumes", not newer["orders"]),
        ]
        shape, volume_rows = (future.result() for future in reads)
    row = shape[0]
    return Inputs(row["ids"], row["sponsors"], row["depths"], row["joined"], volume_rows)


@dataclass
class Computed:
    """A rollup computed, not yet written."""

    forest: treesum.Forest
    figures: treesum.Figures
    joined: treesum.IntArray
    periods: list[str]
    volume_rows: list[dict[str, Any]]
    active: int
    seconds: float


def compute(inputs: Inputs, active: int) -> Computed:
    t0 = time.perf_counter()
    forest = treesum.forest(inputs.ids, inputs.sponsors, inputs.depths)
    joined = frameblob.month_codes(inputs.joined)
    periods = [str(r["period"]) for r in inputs.volume_rows]
    pv = treesum.volumes(forest.index, len(forest.ids), [(r["ids"], r["pvs"]) for r in inputs.volume_rows])
    figures = treesum.figures(forest, pv, active)
    return Computed(forest, figures, joined, periods, inputs.volume_rows, active, time.perf_counter() - t0)


def build_from(
    driver: Driver,
    database: str,
    done: Computed,
    *,
    gen: int,
    slot: int,
    batch: int = WRITE_BATCH,
    progress: Progress | None = None,
    began: float | None = None,
    timings: dict[str, float] | None = None,
    in_store: bool = False,
) -> RollupSummary:
    """The rest of `build` once computed (a bulk load computes before Neo4j has the data): write
    the slot's figures (unless `in_store`: a bulk load wrote them with the nodes), pack the frame,
    save the Rollup node."""
    began = time.perf_counter() if began is None else began
    timings = {} if timings is None else timings

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    forest, figures, joined, periods, active = (
        done.forest,
        done.figures,
        done.joined,
        done.periods,
        done.active,
    )
    timings["compute"] = done.seconds
    if not in_store:
        t0 = time.perf_counter()
        _write(driver, database, forest.ids, figures, slot, batch, step)
        timings["write"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    stats = network_figures(forest, figures, periods, done.volume_rows, active, joined)
    timings["network"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_id = uuid.uuid4().hex
    parts = frameblob.encode(forest.ids, forest.parent, joined, figures.pv)
    with driver.session(database=database) as session:
        for part, data in enumerate(parts):  # a transaction each: a big network's frame is ~50 MB
            session.execute_write(_write_part, slot=slot, build=build_id, part=part, data=data)
        session.run(cypher("rollup/frame_trim"), slot=slot, parts=len(parts)).consume()
        timings["frame"] = time.perf_counter() - t0
        seconds = time.perf_counter() - began
        session.run(
            cypher("rollup/save"),
            slot=slot,
            gen=gen,
            periods=periods,
            active=active,
            stats=json.dumps(stats, separators=(",", ":")),
            seconds=seconds,
            build=build_id,
            parts=len(parts),
        ).consume()
    depth = int(forest.depth.max(initial=0))
    return RollupSummary(slot, gen, periods, depth, seconds, timings)


def _write_part(tx: ManagedTransaction, /, **params: Any) -> None:
    tx.run(cypher("rollup/frame_write"), params).consume()


def _columns(ids: list[str], f: treesum.Figures, slot: int, start: int, stop: int) -> dict[str, Any]:
    """The parameters of cypher/rollup/write.cypher for members [start, stop): a flat list per
    figure."""
    lo, hi = f.level_start[start], f.level_start[stop]
    return {
        "slot": slot,
        "ids": ids[start:stop],
        "levels": f.level_counts[lo:hi].tolist(),
        "level_start": (f.level_start[start : stop + 1] - lo).tolist(),
        "periods": f.pv.shape[1],
        "size": f.size[start:stop].tolist(),
        "height": f.height[start:stop].tolist(),
        "dsum": f.dsum[start:stop].tolist(),
        "pre": f.pre[start:stop].tolist(),
        **{name: getattr(f, name)[start:stop].ravel().tolist() for name in ("pv", "gv", "act", "maxleg")},
    }


def _write(
    driver: Driver,
    database: str,
    ids: list[str],
    f: treesum.Figures,
    slot: int,
    batch: int,
    step: Progress,
) -> None:
    """Write every member's figures in committed batches, two in flight while the next is built."""
    query = cypher("rollup/write")
    total = len(ids)

    def write(params: dict[str, Any]) -> None:
        with driver.session(database=database) as own:
            own.execute_write(lambda tx: tx.run(query, params).consume())

    def batches() -> Iterator[tuple[int, dict[str, Any]]]:
        for start in range(0, total, batch):
            stop = min(start + batch, total)
            yield stop, _columns(ids, f, slot, start, stop)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        pending: list[tuple[int, Future[None]]] = []
        try:
            for stop, params in batches():
                pending.append((stop, pool.submit(write, params)))
                if len(pending) >= WRITERS:
                    done, future = pending.pop(0)
                    future.result()
                    step("writing the figures", done, total)
            for done, future in pending:
                future.result()
                step("writing the figures", done, total)
        finally:
            for _, future in pending:
                future.cancel()


def network_figures(
    forest: treesum.Forest,
    f: treesum.Figures,
    periods: list[str],
    volume_rows: list[dict[str, Any]],
    active: int,
    joined: treesum.IntArray,
) -> dict[str, Any]:
    """The network-wide figures of this rollup, kept as JSON on its Rollup node. `joined`: each
    member's join month number (frameblob.month_codes), -1 without a join date."""
    n = len(forest.ids)
    months, joins = np.unique(joined[joined >= 0], return_counts=True)
    growth = [
        [f"{m // 12:04d}-{m % 12 + 1:02d}", int(c)] for m, c in zip(months.tolist(), joins, strict=True)
    ]
    depth_list = np.bincount(forest.depth, minlength=0).tolist() if n else []
    frontline = np.bincount(forest.parent[forest.parent >= 0], minlength=n)
    sizes, heads = np.unique(frontline, return_counts=True)
    ids = np.asarray(forest.ids, dtype=object)
    has_legs = frontline > 0
    per: dict[str, dict[str, Any]] = {}
    for j, (period, row) in enumerate(zip(periods, volume_rows, strict=True)):
        pv, gv, maxleg = f.pv[:, j], f.gv[:, j], f.maxleg[:, j]
        legs = gv - pv
        balanced = has_legs & (legs > 0)
        buckets = np.minimum(9, 10 * maxleg[balanced] // legs[balanced])
        per[period] = {
            "volume": int(row["volume"]),
            "retail_volume": int(row["retail_volume"]),
            "orders": int(row["orders"]),
            "active": int((pv >= active).sum()),
            "leg_balance": np.bincount(buckets, minlength=10).tolist(),
            "top": _top(ids, pv, gv, f.size),
        }
    return {
        "growth": growth,
        "distributors": n,
        "roots": int((forest.parent < 0).sum()),
        "depth_sum": int(forest.depth.sum()),
        "depth_histogram": depth_list,
        "frontline_histogram": [[int(a), int(b)] for a, b in zip(sizes, heads, strict=True)],
        "periods": per,
    }


def _top(ids: Any, pv: Any, gv: Any, size: Any) -> list[list[Any]]:
    """The TOP_KEPT largest GV: GV descending, then id by code point."""
    if gv.size > TOP_KEPT:
        cut = np.partition(gv, gv.size - TOP_KEPT)[gv.size - TOP_KEPT]
        rows = np.flatnonzero(gv >= cut)
    else:
        rows = np.arange(gv.size)
    ranked = sorted(rows.tolist(), key=lambda i: (-int(gv[i]), ids[i]))[:TOP_KEPT]
    return [[ids[i], int(gv[i]), int(pv[i]), int(size[i])] for i in ranked]


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
    batch: int = WRITE_BATCH,
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
