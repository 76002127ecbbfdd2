"""`downline import`: validate a data folder whole, stage it in batches, publish it at once.

All or nothing without one giant transaction (Neo4j keeps a transaction's state on the heap,
1-2 KiB per created node, so a million-member import cannot be one transaction in 8 GiB):

1. take the import lease (one import at a time; a dead holder's lease is taken over);
2. sweep what a crashed import left staged (rows with gen above the published generation);
3. finish the validation against the database; any problem ends here, nothing written;
   then place the newcomers in the forced matrix, in memory (graph_service/matrix.py);
4. write new distributors (with their matrix positions, in placement order), their links and
   new orders in committed batches, all marked with this import's generation
   `gen = published + 1`: readers see only `gen <= published`, so none of it is visible yet;
5. roll the network up again, including the staged rows, into the rollup slot readers do not
   use (graph_service/analytics/rollup.py);
6. publish in one small transaction: changes to existing distributors, the Import record,
   the matrix record (MatrixConfig: width, next placement number), `Publication.gen = gen` and
   `Publication.slot`. Before that commit readers see none of the import and the old figures,
   after it all of it and the new ones.

A kill at any point before step 6 leaves only invisible staged rows, swept by the next import.
An import whose DOWNLINE_MATRIX_WIDTH differs from the recorded width is refused before step 2.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from neo4j import Driver, ManagedTransaction, Session

from graph_service import matrix
from graph_service.analytics import rollup
from graph_service.config import get_settings
from graph_service.db.lease import LEASE_STALE_SECONDS, ImportBusy, acquire, heartbeat, release
from graph_service.db.queries import cypher
from graph_service.db.schema import ensure_schema
from graph_service.errors import InvalidInput
from graph_service.fixedpoint import SCALE
from graph_service.ingest.validate import (
    Existing,
    ImportPlan,
    OrderColumns,
    ParsedFolder,
    check_against,
    chunks,
    parse_folder,
)

Progress = Callable[[str, int, int], None]
__all__ = ["ImportBusy", "ImportSummary", "import_folder"]
LOOKUP_BATCH = 10_000
SWEEP_BATCH = 20_000
WRITERS = 2  # concurrent order batches (orders do not depend on each other)


@dataclass
class ImportSummary:
    import_id: str | None
    distributors_added: int
    distributors_updated: int
    distributors_unchanged: int
    placements_added: int
    orders_added: int
    orders_unchanged: int
    periods: list[str]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    matrix_placed: int = 0  # matrix positions taken (newcomers, and earlier members not yet placed)

    @property
    def changed(self) -> bool:
        return self.import_id is not None


class Neo4jState:
    """ExistingState read while holding the import lease, after the sweep: nothing staged exists,
    so what these lookups see is exactly the published database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._has_orders: bool | None = None

    def _rows(self, name: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for batch in chunks(ids, LOOKUP_BATCH):
            out.extend(r.data() for r in self.session.run(cypher(name), ids=list(batch)))
        return out

    def distributors(self, ids: Sequence[str]) -> Mapping[str, Existing]:
        return {
            r["id"]: Existing(
                r["sponsor_id"],
                r["depth"],
                r["root_id"],
                r["placement_parent_id"],
                r["placement_side"],
                r["name"],
                r["country"],
                _as_date(r["joined_on"]),
            )
            for r in self._rows("import/existing_distributors", ids)
        }

    def slots(self, parent_ids: Sequence[str]) -> Mapping[tuple[str, str], str]:
        return {(r["parent"], r["side"]): r["child"] for r in self._rows("import/taken_slots", parent_ids)}

    def placement_ancestors(self, ids: Sequence[str]) -> Mapping[str, list[str]]:
        return {r["id"]: list(r["ancestors"]) for r in self._rows("import/placement_ancestors", ids)}

    def orders(self, ids: Sequence[str]) -> Mapping[str, tuple[str, str, date, int, int | None, str]]:
        if self._has_orders is None:
            self._has_orders = bool(self.session.run(cypher("import/any_orders")).single(strict=True)["any"])
        if not self._has_orders:
            return {}
        return {
            r["id"]: (
                r["id"],
                r["distributor_id"],
                _as_date(r["ordered_on"]),
                r["volume"],
                r["amount"],
                r["buyer"],
            )
            for r in self._rows("import/existing_orders", ids)
        }


def _as_date(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


def order_rows(orders: OrderColumns, start: int, stop: int) -> list[dict[str, Any]]:
    return [
        {
            "id": orders.ids[i],
            "distributor_id": orders.distributor_ids[i],
            "ordered_on": orders.ordered_on[i],
            "period": orders.ordered_on[i].isoformat()[:7],
            "volume": orders.volumes[i],
            "amount": orders.amounts[i],
            "buyer": orders.buyers[i],
        }
        for i in range(start, stop)
    ]


def import_folder(
    driver: Driver,
    folder: Path,
    *,
    database: str,
    batch_rows: int = 20_000,
    progress: Progress | None = None,
    lease_stale_seconds: float = LEASE_STALE_SECONDS,
    active_pv: int = 100 * SCALE,
    rollup_batch: int = rollup.WRITE_BATCH,
    matrix_width: int | None = None,
    parsed: ParsedFolder | None = None,
) -> ImportSummary:
    """Validate and load a data folder; raise InvalidInput (nothing written) on any problem.

    `matrix_width` defaults to the DOWNLINE_MATRIX_WIDTH setting; MatrixWidthMismatch (nothing
    written) when it differs from the width the matrix was placed with."""
    began = time.perf_counter()
    width = get_settings().matrix_width if matrix_width is None else matrix_width
    timings: dict[str, float] = {}

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    if parsed is None:
        step("reading files", 0, 1)
        parsed = parse_folder(folder)
        timings["parse"] = time.perf_counter() - began
        step("reading files", 1, 1)
    if parsed.problems and not parsed.distributors and not len(parsed.orders):
        raise InvalidInput(parsed.problems.items, parsed.problems.total)

    ensure_schema(driver, database)
    import_id = uuid.uuid4().hex
    with driver.session(database=database) as session:
        acquire(session, import_id, lease_stale_seconds, step)
        try:
            published = int(session.run(cypher("import/published")).single(strict=True)["gen"])
            config = matrix.read_config(session)
            matrix.check_width(config, width)
            t0 = time.perf_counter()
            swept = _sweep(session, published)
            swept += matrix.sweep_unpublished(session, config)
            timings["sweep"] = time.perf_counter() - t0
            if swept:
                step("removed rows of an unfinished import", swept, swept)
            t0 = time.perf_counter()
            step("checking against the database", 0, 1)
            plan = check_against(parsed, Neo4jState(session))
            timings["check"] = time.perf_counter() - t0
            if plan.problems:
                raise InvalidInput(plan.problems.items, plan.problems.total)
            if not plan.changes_anything and not (config is None and published > 0):
                return summary(None, plan, began, timings)
            step("placing in the matrix", 0, 1)
            placement = matrix.plan_import(
                session, width=width, config=config, published=published, newcomers=plan.new_distributors
            )
            timings["matrix"] = placement.seconds
            step("placing in the matrix", 1, 1)
            _place_earlier(driver, database, session, placement, import_id, batch_rows, step, timings)
            if not plan.changes_anything:
                # a database loaded before the matrix and nothing new: only the placement publishes
                session.execute_write(_record_matrix, placement)
                return summary(None, plan, began, timings, placement)
            gen = published + 1
            new_ids = {d.id for d in plan.new_distributors}
            # placements of new distributors are staged; of visible ones, applied when publishing
            staged = [p for p in plan.placements if p[0] in new_ids]
            visible = [p for p in plan.placements if p[0] not in new_ids]
            _stage(
                driver, database, session, plan, placement, staged, import_id, gen, batch_rows, step, timings
            )
            t0 = time.perf_counter()

            def rolling(name: str, done: int, total: int) -> None:
                heartbeat(session, import_id)
                step(name, done, total)

            slot = rollup.other(rollup.current(driver, database)["slot"])
            rollup.build(
                driver, database, gen=gen, slot=slot, active=active_pv, batch=rollup_batch, progress=rolling
            )
            timings["rollup"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            step("publishing", 0, 1)
            publish(session, plan, placement, visible, import_id, folder, published, gen, slot, batch_rows)
            timings["publish"] = time.perf_counter() - t0
        finally:
            release(session, import_id)
    return summary(import_id, plan, began, timings, placement)


def _sweep(session: Session, published: int) -> int:
    total = 0
    while True:
        deleted = int(
            session.run(cypher("import/sweep_batch"), published=published, limit=SWEEP_BATCH).single(
                strict=True
            )["deleted"]
        )
        total += deleted
        if deleted == 0:
            return total


def _batched(
    driver: Driver,
    database: str,
    session: Session,
    holder: str,
    name: str,
    rows_of: Callable[[int, int], list[dict[str, Any]]],
    total: int,
    batch_rows: int,
    step: Progress,
    *,
    writers: int = 1,
    **params: Any,
) -> None:
    """Run `name` over rows [start, stop) in committed batches, renewing the lease as they finish.

    With writers=1 batches run one after the other in order (sponsors before recruits); rows that
    do not depend on each other (orders) may use more. A batch is not retried (it is not
    idempotent); one that fails ends the import, and what was staged is swept by the next one.
    """

    def write(start: int, stop: int) -> int:
        rows = rows_of(start, stop)
        with driver.session(database=database) as own, own.begin_transaction() as tx:
            tx.run(cypher(name), rows=rows, **params).consume()
            tx.commit()
        return stop - start

    done = 0
    with ThreadPoolExecutor(max_workers=writers) as pool:
        pending = [pool.submit(write, a, min(a + batch_rows, total)) for a in range(0, total, batch_rows)]
        try:
            for future in as_completed(pending):
                done += future.result()
                heartbeat(session, holder)
                step(name.split("/")[-1].replace("_", " "), done, total)
        finally:
            for future in pending:
                future.cancel()


def summary(
    import_id: str | None,
    plan: ImportPlan,
    began: float,
    timings: dict[str, float],
    placement: matrix.ImportPlacement | None = None,
) -> ImportSummary:
    return ImportSummary(
        import_id=import_id,
        distributors_added=len(plan.new_distributors),
        distributors_updated=len(plan.updates),
        distributors_unchanged=plan.unchanged_distributors,
        placements_added=len(plan.placements),
        orders_added=len(plan.orders),
        orders_unchanged=plan.unchanged_orders,
        periods=plan.orders.periods(),
        seconds=time.perf_counter() - began,
        timings=timings,
        matrix_placed=0 if placement is None else placement.count,
    )


def _place_earlier(
    driver: Driver,
    database: str,
    session: Session,
    placement: matrix.ImportPlacement,
    import_id: str,
    batch_rows: int,
    step: Progress,
    timings: dict[str, float],
) -> None:
    """Positions of published distributors not placed yet (a database loaded before the matrix),
    in committed batches; readers wait for the MatrixConfig written when publishing."""
    earlier = placement.earlier
    if not len(earlier):
        return
    t0 = time.perf_counter()
    _batched(
        driver,
        database,
        session,
        import_id,
        "matrix/place_existing",
        earlier.rows,
        len(earlier),
        batch_rows,
        step,
    )
    timings["matrix_earlier"] = time.perf_counter() - t0


def _record_matrix(tx: ManagedTransaction, placement: matrix.ImportPlacement) -> None:
    row = tx.run(cypher("matrix/record"), width=placement.width, next_seq=placement.next_seq).single(
        strict=True
    )
    if int(row["width"]) != placement.width:  # cannot happen under the lease; never publish a mix
        raise matrix.MatrixWidthMismatch(
            f"the matrix was placed with width {row['width']} meanwhile; nothing published"
        )


def new_distributor_rows(
    plan: ImportPlan, placement: matrix.ImportPlacement, staged: list[tuple[str, str, str]]
) -> tuple[Callable[[int, int], list[dict[str, Any]]], int]:
    """The rows of import/create_distributors for new distributors in matrix placement order (a
    function of a range of them) and how many there are; `staged`: their binary placements."""
    by_id = {d.id: d for d in plan.new_distributors}
    positions = placement.new
    new = [by_id[i] for i in positions.ids]
    placed = {c: (p, side) for c, p, side in staged}

    def rows(start: int, stop: int) -> list[dict[str, Any]]:
        return [
            {
                "matrix_parent_id": positions.parent_ids[k],
                "matrix_seq": positions.seqs[k],
                "matrix_depth": positions.depths[k],
                "id": d.id,
                "sponsor_id": d.sponsor_id,
                "name": d.name,
                "country": d.country,
                "joined_on": d.joined_on,
                "depth": d.depth,
                "root_id": d.root_id,
                "placement_parent_id": placed.get(d.id, (None, None))[0],
                "placement_side": placed.get(d.id, (None, None))[1],
            }
            for k, d in zip(range(start, stop), new[start:stop], strict=True)
        ]

    return rows, len(new)


def _stage(
    driver: Driver,
    database: str,
    session: Session,
    plan: ImportPlan,
    placement: matrix.ImportPlacement,
    staged: list[tuple[str, str, str]],
    import_id: str,
    gen: int,
    batch_rows: int,
    step: Progress,
    timings: dict[str, float],
) -> None:
    """Everything that creates new rows, in committed batches under the unpublished `gen`;
    `staged` are the placements (child, parent, side) of new distributors. Distributors are
    created in matrix placement order: sponsors and matrix parents come before their members."""
    t0 = time.perf_counter()
    distributor_rows, count = new_distributor_rows(plan, placement, staged)
    _batched(
        driver,
        database,
        session,
        import_id,
        "import/create_distributors",
        distributor_rows,
        count,
        batch_rows,
        step,
        import_id=import_id,
        gen=gen,
    )
    timings["distributors"] = time.perf_counter() - t0

    t0 = time.perf_counter()

    def placement_rows(start: int, stop: int) -> list[dict[str, Any]]:
        return [{"child": c, "parent": p, "side": s} for c, p, s in staged[start:stop]]

    _batched(
        driver,
        database,
        session,
        import_id,
        "import/create_placements",
        placement_rows,
        len(staged),
        batch_rows,
        step,
    )
    timings["placements"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _batched(
        driver,
        database,
        session,
        import_id,
        "import/create_orders",
        lambda a, b: order_rows(plan.orders, a, b),
        len(plan.orders),
        batch_rows,
        step,
        writers=WRITERS,
        import_id=import_id,
        gen=gen,
    )
    timings["orders"] = time.perf_counter() - t0


def publish(
    session: Session,
    plan: ImportPlan,
    placement: matrix.ImportPlacement,
    visible: list[tuple[str, str, str]],
    import_id: str,
    folder: Path,
    published: int,
    gen: int,
    slot: int,
    batch_rows: int,
) -> None:
    """One transaction: changes to visible distributors (`visible`: placements they gain), the
    Import record, the matrix record, the new generation."""
    existing_placements = [{"child": c, "parent": p, "side": s} for c, p, s in visible]
    updates = [
        {"id": r.id, "name": r.name, "country": r.country, "joined_on": r.joined_on} for r in plan.updates
    ]

    def work(tx: ManagedTransaction) -> None:
        for batch in chunks(updates, batch_rows):
            tx.run(cypher("import/update_distributors"), rows=list(batch)).consume()
        for placed in chunks(existing_placements, batch_rows):
            tx.run(cypher("import/place_existing"), rows=list(placed)).consume()
        tx.run(
            cypher("import/record_import"),
            id=import_id,
            gen=gen,
            source=str(folder.resolve()),
            distributors_added=len(plan.new_distributors),
            distributors_updated=len(plan.updates),
            orders_added=len(plan.orders),
            periods=plan.orders.periods(),
        ).consume()
        _record_matrix(tx, placement)
        if tx.run(cypher("import/publish"), published=published, gen=gen, slot=slot).single() is None:
            raise ImportBusy("the published generation moved during this import; nothing published")

    session.execute_write(work)
