"""Commission runs (contract section 5): computed over the published network, stored whole or not
at all, never changed, and read back per earner with every line ("why was X paid Y").

Storage. A run is a `(:CommissionRun {id})` node holding its facts (plan text and SHA-256, period,
the data generation and fingerprint it read, totals, flows) and `(:RunChunk {run_id, bucket})`
nodes holding its earners: everyone with a line or a rank, spread over the chunks by the CRC-32 of
their id (`DOWNLINE_RUN_EARNERS_PER_CHUNK`, 512, a chunk). A chunk keeps parallel arrays: the
earners' ids, ranks and sums in cents, then their lines (source, component, level, base, rate,
exact amount), earner i's lines being positions `line_start[i]` to `line_start[i + 1]`. An earner is then one
index seek and two list slices, and a million-member run is a few thousand nodes, not millions.

All or nothing. The run node is created in state 'writing' and the chunks follow in committed
batches, each one also refreshing the run's heartbeat; one small last transaction stores the
totals and sets state 'complete'. Readers only ever see complete runs. A writer killed half-way
leaves a 'writing' run no one reads; the next run sweeps those not heard from for
`DOWNLINE_RUN_STALE_SECONDS` (120). Runs are kept, not replaced: a new run always gets a new id.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
from neo4j import READ_ACCESS, Driver, ManagedTransaction

from graph_service.analytics import service
from graph_service.analytics.model import check_period
from graph_service.compensation import flows
from graph_service.compensation.engine import COMPONENTS, IntArray, RunResult, commission_run
from graph_service.compensation.loader import LoadedNetwork, load_network
from graph_service.compensation.plan import LoadedPlan, parse_plan
from graph_service.config import get_settings
from graph_service.db.queries import cypher
from graph_service.db.schema import ensure_schema
from graph_service.errors import DownlineError, NotFound
from graph_service.fixedpoint import SCALE, to_decimal

DELETE_BATCH = 200
WRITERS = 2  # write transactions in flight while the next batch is prepared

__all__ = [
    "EarnerLine",
    "EarnerSummary",
    "RunSummary",
    "compute",
    "earner",
    "earnings",
    "get_run",
    "list_runs",
    "run_commissions",
    "sweep_abandoned",
]


class RunAbandoned(DownlineError):
    """This writer's run was swept as abandoned while it was being written (it stalled too long)."""

    exit_code = 3
    http_status = 409
    code = "run_abandoned"


def _query(driver: Driver, database: str, name: str, *, read: bool = False, **params: Any) -> list[Any]:
    records, _, _ = driver.execute_query(
        cypher(f"commissions/{name}"), params, database_=database, routing_="r" if read else "w"
    )
    return records


def _cents(value: int) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    period: str
    plan: str  # the plan's name
    plan_sha256: str
    volume: Decimal  # the period's PV over the network
    total: Decimal  # the sum of every earner's total
    payout_ratio: float
    components: dict[str, Decimal]
    money_per_pv: Decimal
    active_pv: Decimal
    distributors: int
    earners: int  # members with any line or a rank
    lines: int
    data_gen: int
    fingerprint: str
    created_at: str | None = None
    seconds: float | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "period": self.period,
            "plan": self.plan,
            "volume": float(self.volume),
            "total": float(self.total),
            "payout_ratio": self.payout_ratio,
            "plan_sha256": self.plan_sha256,
            "components": {k: float(v) for k, v in self.components.items()},
            "money_per_pv": float(self.money_per_pv),
            "active_pv": float(self.active_pv),
            "distributors": self.distributors,
            "earners": self.earners,
            "lines": self.lines,
            "data_gen": self.data_gen,
            "fingerprint": self.fingerprint,
            "created_at": self.created_at,
        }

    @classmethod
    def from_node(cls, props: dict[str, Any]) -> RunSummary:
        components = json.loads(props["components"])
        return cls(
            run_id=props["id"],
            period=props["period"],
            plan=props["plan_name"],
            plan_sha256=props["plan_sha256"],
            volume=to_decimal(props["volume"]),
            total=_cents(props["total"]),
            payout_ratio=float(props["payout_ratio"]),
            components={k: _cents(v) for k, v in components.items()},
            money_per_pv=Decimal(props["money_per_pv"]),
            active_pv=Decimal(props["active_pv"]),
            distributors=int(props["distributors"]),
            earners=int(props["earners"]),
            lines=int(props["lines"]),
            data_gen=int(props["data_gen"]),
            fingerprint=props["fingerprint"],
            created_at=props.get("created_at"),
            seconds=props.get("seconds"),
        )


@dataclass(frozen=True)
class EarnerLine:
    source: str | None  # the distributor whose volume paid this (None for binary and rank lines)
    component: str
    level: int | None  # upline level of the earner above the source (unilevel, matrix)
    base: Decimal  # the volume the line is computed on
    rate: Decimal | None  # None for a rank bonus
    amount: Decimal  # exact (rounded to the cent only in the earner's sums)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "component": self.component,
            "level": self.level,
            "base": float(self.base),
            "base_volume": float(self.base),  # the contract's words for `base`
            "rate": None if self.rate is None else float(self.rate),
            "amount": float(self.amount),
            "amount_exact": str(self.amount),
        }


@dataclass(frozen=True)
class EarnerSummary:
    id: str
    run_id: str
    period: str
    rank: str | None
    unilevel: Decimal
    binary: Decimal
    matrix: Decimal
    rank_bonus: Decimal
    total: Decimal
    lines: list[EarnerLine] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rank": self.rank,
            "unilevel": float(self.unilevel),
            "binary": float(self.binary),
            "matrix": float(self.matrix),
            "rank_bonus": float(self.rank_bonus),
            "total": float(self.total),
        }


# -- computing -------------------------------------------------------------------------------------


def compute(
    driver: Driver, database: str, plan: LoadedPlan, period: str, loaded: LoadedNetwork | None = None
) -> tuple[LoadedNetwork, RunResult]:
    """The run of `plan` for `period` over the published network (or `loaded`, read before for
    that period), in memory: nothing stored."""
    check_period(period)
    network = (loaded := loaded or load_network(driver, database, period)).network
    if plan.plan.matrix is not None:
        from graph_service.matrix import check_plan_width

        check_plan_width(driver, database, plan.plan)  # the placement's width is the plan's
        network = replace(network, matrix_parent=loaded.matrix_parent)
    return loaded, commission_run(network, plan.plan)


def run_commissions(
    driver: Driver,
    database: str,
    plan: LoadedPlan,
    period: str,
    *,
    stale_seconds: float | None = None,
    lines_per_write: int | None = None,
) -> RunSummary:
    """Compute, store (whole or not at all) and return a new run."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    settings = get_settings()
    stale = settings.run_stale_seconds if stale_seconds is None else stale_seconds
    per_write = settings.run_lines_per_write if lines_per_write is None else lines_per_write
    ensure_schema(driver, database)  # the run's constraints, on a database loaded before runs existed
    sweep_abandoned(driver, database, stale)
    loaded, result = compute(driver, database, plan, period)
    timings["compute"] = time.perf_counter() - started

    mark = time.perf_counter()
    run_id = f"{result.period}-{secrets.token_hex(4)}"
    writer = uuid.uuid4().hex
    stored = _stored_earners(result)
    chunk_count = -(-stored.size // settings.run_earners_per_chunk)
    facts = {
        "period": result.period,
        "plan_name": plan.plan.name,
        "plan_sha256": plan.sha256,
        "plan_text": plan.text,
        "data_gen": loaded.gen,
        "fingerprint": loaded.fingerprint,
        "money_per_pv": str(plan.plan.money_per_pv),
        "active_pv": str(plan.plan.active_pv),
        "rank_names": list(result.rank_names),
        "rates": [str(r) for r in result.lines.rates],
        "amount_exponent": result.lines.amount_exponent,
        "chunks": chunk_count,
    }
    _query(driver, database, "begin", run=run_id, writer=writer, props=facts)
    try:
        # the next batch is prepared while the last one is written (at most two in flight)
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            pending: list[Future[None]] = []
            for batch in _batches(_chunks(result, stored, chunk_count), per_write):
                pending.append(pool.submit(_write, driver, database, run_id, writer, batch))
                if len(pending) >= WRITERS:
                    pending.pop(0).result()
            for future in pending:
                future.result()
        timings["store"] = time.perf_counter() - mark

        mark = time.perf_counter()
        flow = flows.run_flows(loaded.network, result)
        timings["flows"] = time.perf_counter() - mark
        totals = {
            "volume": result.volume,
            "total": result.total_paid,
            "payout_ratio": result.payout_ratio,
            "components": json.dumps({c: int(getattr(result, c).sum()) for c in COMPONENTS}),
            "distributors": len(result.ids),
            "earners": int(stored.size),
            "lines": len(result.lines),
            "flows": json.dumps(flow),
            "seconds": time.perf_counter() - started,
        }
        if not _query(driver, database, "finish", run=run_id, writer=writer, props=totals):
            raise RunAbandoned(f"run {run_id} was swept as abandoned before it finished; run it again")
    except BaseException:
        _discard(driver, database, run_id)
        raise
    summary = get_run(driver, database, run_id)
    timings["total"] = time.perf_counter() - started
    return replace(summary, timings=timings)


def _stored_earners(result: RunResult) -> Any:
    """Members the run holds anything for: a line or a rank."""
    n = len(result.ids)
    keep = result.rank >= 0
    if len(result.lines):
        keep |= np.bincount(result.lines.earner, minlength=n) > 0
    return np.flatnonzero(keep)


def _batches(chunks: Iterator[dict[str, Any]], lines_per_batch: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    lines = 0
    for chunk in chunks:
        batch.append(chunk)
        lines += len(chunk["l_component"])
        if lines >= lines_per_batch:
            yield batch
            batch, lines = [], 0
    if batch:
        yield batch


def _hash(distributor_id: str) -> int:
    """What places an earner in a chunk: CRC-32 of the id's UTF-8 (earner.cypher takes it modulo
    the run's chunk count)."""
    return zlib.crc32(distributor_id.encode("utf-8"))


def bucket_of(distributor_id: str, chunks: int) -> int:
    return _hash(distributor_id) % chunks


def _chunks(result: RunResult, stored: Any, chunk_count: int) -> Iterator[dict[str, Any]]:
    """The chunk maps of a run (see the module doc), one bucket after another."""
    if chunk_count == 0:
        return
    ids = np.array(result.ids, dtype=object)
    buckets = np.array([bucket_of(i, chunk_count) for i in ids[stored]], np.int64)
    order = np.argsort(buckets, kind="stable")
    stored, buckets = stored[order], buckets[order]
    # position of each stored earner in that order; lines sorted by it, then component and level
    slot = np.full(len(result.ids), -1, np.int64)
    slot[stored] = np.arange(stored.size)
    lines = result.lines
    line_slot = slot[lines.earner]
    line_order = np.lexsort((lines.source, lines.level, lines.component, line_slot))
    line_slot = line_slot[line_order]
    line_bounds = np.searchsorted(line_slot, np.arange(stored.size + 1))
    source_ids = np.append(ids, "")[lines.source[line_order]]  # -1 (no source) picks the ""
    component = lines.component[line_order].astype(np.int64)
    level = lines.level[line_order]
    base = lines.base[line_order]
    rate = lines.rate[line_order].astype(np.int64)
    amount = lines.amount[line_order]
    amounts_fit = amount.dtype != object
    sums = {c: getattr(result, c) for c in (*COMPONENTS, "total")}
    edges = np.searchsorted(buckets, np.arange(chunk_count + 1))
    for b in range(chunk_count):
        lo, hi = int(edges[b]), int(edges[b + 1])
        members = stored[lo:hi]
        first, last = int(line_bounds[lo]), int(line_bounds[hi])
        span = slice(first, last)
        yield {
            "bucket": b,
            "ids": ids[members].tolist(),
            "rank": result.rank[members].tolist(),
            **{name: values[members].tolist() for name, values in sums.items()},
            "line_start": (line_bounds[lo : hi + 1] - first).tolist(),
            "l_source": source_ids[span].tolist(),
            "l_component": component[span].tolist(),
            "l_level": level[span].tolist(),
            "l_base": base[span].tolist(),
            "l_rate": rate[span].tolist(),
            "l_amount": amount[span].tolist() if amounts_fit else [str(a) for a in amount[span]],
        }


def _write(driver: Driver, database: str, run_id: str, writer: str, chunks: list[dict[str, Any]]) -> None:
    records = _query(driver, database, "write_chunks", run=run_id, writer=writer, chunks=chunks)
    if not records or records[0]["written"] != len(chunks):
        raise RunAbandoned(f"run {run_id} was swept as abandoned while being written; run it again")


def _discard(driver: Driver, database: str, run_id: str) -> None:
    """Best effort: remove a run this process failed to finish (the sweep catches what this misses)."""
    with contextlib.suppress(Exception):  # the database may be what failed; the sweep will do it later
        _delete(driver, database, run_id)


def _delete(driver: Driver, database: str, run_id: str) -> None:
    while True:
        records = _query(driver, database, "delete_chunks", run=run_id, batch=DELETE_BATCH)
        if not records or records[0]["deleted"] == 0:
            break
    _query(driver, database, "delete_run", run=run_id)


def sweep_abandoned(driver: Driver, database: str, stale_seconds: float) -> list[str]:
    """Delete runs left half-written by a writer that died; the ids swept."""
    records = _query(driver, database, "sweep", stale=stale_seconds)
    swept = [r["id"] for r in records]
    for run_id in swept:
        _delete(driver, database, run_id)
    return swept


# -- reading ---------------------------------------------------------------------------------------


def newest_run_id(driver: Driver, database: str) -> str | None:
    """The id of the newest complete run, None before the first."""
    records = _query(driver, database, "newest_run", read=True)
    return str(records[0]["run_id"]) if records else None


def list_runs(driver: Driver, database: str) -> list[RunSummary]:
    records = _query(driver, database, "runs", read=True)
    return [RunSummary.from_node(r["run"]) for r in records]


def _run_node(driver: Driver, database: str, run_id: str) -> dict[str, Any]:
    records = _query(driver, database, "run", read=True, run=run_id)
    if not records:
        raise NotFound(f"no commission run with id {run_id!r}")
    return dict(records[0]["run"])


def get_run(driver: Driver, database: str, run_id: str) -> RunSummary:
    return RunSummary.from_node(_run_node(driver, database, run_id))


def run_plan(driver: Driver, database: str, run_id: str) -> tuple[RunSummary, LoadedPlan]:
    """A run and the plan it was computed with (parsed again from the stored text)."""
    node = _run_node(driver, database, run_id)
    return RunSummary.from_node(node), parse_plan(node["plan_text"], source=f"run {run_id}")


def run_flows(driver: Driver, database: str, run_id: str) -> dict[str, Any]:
    """The run's aggregates for dashboards (see graph_service/compensation/flows.py)."""
    node = _run_node(driver, database, run_id)
    doc: dict[str, Any] = json.loads(node["flows"])
    return {"run_id": run_id, "period": node["period"], "plan": node["plan_name"], **doc}


def earner(
    driver: Driver,
    database: str,
    run_id: str,
    distributor_id: str,
    *,
    lines: bool = False,
    scope_id: str | None = None,
) -> EarnerSummary:
    """An earner's sums in a run (and with `lines`, every line that makes them up). NotFound for
    an unknown run, for someone who was not in the data the run read, or outside the scope."""
    service.check_scope(driver, database, distributor_id, scope_id)
    records = _query(
        driver, database, "earner", read=True,
        run=run_id, id=distributor_id, hash=_hash(distributor_id), lines=lines,
    )  # fmt: skip
    if not records:
        raise NotFound(f"no commission run with id {run_id!r}")
    row = records[0]
    if not row["known"]:
        raise NotFound(f"no distributor with id {distributor_id!r} in the data of run {run_id}")
    rank_names: list[str] = list(row["rank_names"] or [])
    sums = row["sums"] or [-1, 0, 0, 0, 0, 0]
    out_lines: list[EarnerLine] | None = [] if lines else None
    if lines and row["lines"] is not None:
        out_lines = _lines(row["lines"], [Decimal(r) for r in row["rates"]], int(row["amount_exponent"]))
    return EarnerSummary(
        id=distributor_id,
        run_id=run_id,
        period=row["period"],
        rank=rank_names[sums[0]] if sums[0] >= 0 else None,
        unilevel=_cents(sums[1]),
        binary=_cents(sums[2]),
        matrix=_cents(sums[3]),
        rank_bonus=_cents(sums[4]),
        total=_cents(sums[5]),
        lines=out_lines,
    )


def _exact(amount: Decimal) -> Decimal:
    """An exact amount written with the decimals it needs, at least two (53.789000 -> 53.789)."""
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.normalize()


def _lines(columns: dict[str, list[Any]], rates: list[Decimal], exponent: int) -> list[EarnerLine]:
    out = []
    for source, component, level, base, rate, amount in zip(
        columns["source"], columns["component"], columns["level"], columns["base"], columns["rate"],
        columns["amount"], strict=True,
    ):  # fmt: skip
        out.append(
            EarnerLine(
                source=source or None,
                component=COMPONENTS[component],
                level=level or None,
                base=Decimal(int(base)) / SCALE,
                rate=rates[rate] if rate >= 0 else None,
                amount=_exact(Decimal(int(amount)).scaleb(-exponent)),
            )
        )
    # the store keeps an earner's lines by component and level; sources read best by id
    out.sort(key=lambda line: (COMPONENTS.index(line.component), line.level or 0, line.source or ""))
    return out


@dataclass(frozen=True)
class Earnings:
    """Every earner of a run with sums in cents; members not listed earned 0 and hold no rank."""

    run: RunSummary
    ids: tuple[str, ...]
    rank: tuple[str | None, ...]
    cents: Mapping[str, IntArray]  # per component and "total", aligned with ids
    # all read-only: earnings() hands the same object to every caller of the worker


EARNINGS_KEPT = 2  # runs whose earners a worker keeps (a page with a run reads them twice)
_earnings_kept: OrderedDict[tuple[str, str, str, str], Earnings] = OrderedDict()
_earnings_lock = threading.Lock()


def earnings(driver: Driver, database: str, run_id: str) -> Earnings:
    """Every earner of a run (health figures, disclosure statements and exports use it).

    A run is stored whole and never changes, so the last EARNINGS_KEPT runs read are kept, keyed
    by the run's id, fingerprint and creation time as read from its node (a database emptied and
    filled again cannot hand back another run's earners)."""
    node = _run_node(driver, database, run_id)
    key = (database, run_id, str(node.get("fingerprint")), str(node.get("created_at")))
    with _earnings_lock:
        kept = _earnings_kept.get(key)
        if kept is not None:
            _earnings_kept.move_to_end(key)
            return kept
    run = RunSummary.from_node(node)
    names: list[str] = list(node["rank_names"] or [])
    ids: list[str] = []
    rank: list[str | None] = []
    sums: dict[str, list[IntArray]] = {c: [] for c in (*COMPONENTS, "total")}

    def read(tx: ManagedTransaction) -> None:
        # chunk by chunk, each turned into arrays at once: a worker keeps these, and a million
        # Python ints read all at once would leave its heap that much larger for good
        ids.clear()  # a retried transaction starts again
        rank.clear()
        for part in sums.values():
            part.clear()
        for r in tx.run(cypher("commissions/earnings"), run=run_id):
            ids.extend(r["ids"])
            rank.extend(names[k] if k >= 0 else None for k in r["rank"])
            for c, part in sums.items():
                part.append(np.asarray(r[c], dtype=np.int64))

    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        session.execute_read(read)
    cents = {c: np.concatenate(part) if part else np.zeros(0, np.int64) for c, part in sums.items()}
    for column in cents.values():
        column.flags.writeable = False  # shared by every caller
    found = Earnings(run, tuple(ids), tuple(rank), MappingProxyType(cents))
    with _earnings_lock:
        _earnings_kept[key] = found
        while len(_earnings_kept) > EARNINGS_KEPT:
            _earnings_kept.popitem(last=False)
    return found
