"""`downline import`: validate a data folder whole, then write it in one transaction.

All or nothing: the import takes the import lock, reads what the database holds, finishes the
validation and writes everything inside one explicit transaction. Any problem rolls it back; a
crash or kill of this process leaves an open transaction that the server rolls back when the
connection drops. Nothing is visible to readers until the commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from neo4j import Driver, ManagedTransaction, Transaction

from graph_service.db.queries import cypher
from graph_service.db.schema import ensure_schema
from graph_service.errors import InvalidInput
from graph_service.ingest.validate import (
    Existing,
    ImportPlan,
    OrderColumns,
    check_against,
    chunks,
    parse_folder,
)

Progress = Callable[[str, int, int], None]
LOOKUP_BATCH = 10_000


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

    @property
    def changed(self) -> bool:
        return self.import_id is not None


class Neo4jState:
    """ExistingState read inside the import's own transaction (so it sees the lock holder's view)."""

    def __init__(self, tx: Transaction | ManagedTransaction) -> None:
        self.tx = tx
        self._has_orders: bool | None = None

    def _rows(self, name: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for batch in chunks(ids, LOOKUP_BATCH):
            out.extend(r.data() for r in self.tx.run(cypher(name), ids=list(batch)))
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
            self._has_orders = self.tx.run("MATCH (o:Order) RETURN count(o) > 0 AS any").single(strict=True)[
                "any"
            ]
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


def _order_rows(orders: OrderColumns, start: int, stop: int) -> list[dict[str, Any]]:
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
) -> ImportSummary:
    """Validate and load a data folder; raise InvalidInput (nothing written) on any problem."""
    began = time.perf_counter()
    timings: dict[str, float] = {}

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    step("reading files", 0, 1)
    parsed = parse_folder(folder)
    timings["parse"] = time.perf_counter() - began
    step("reading files", 1, 1)
    if not parsed.distributors and not parsed.problems and not len(parsed.orders):
        pass  # an empty (header-only) folder is a valid no-op import
    if parsed.problems and not parsed.distributors and not len(parsed.orders):
        raise InvalidInput(parsed.problems.items, parsed.problems.total)

    ensure_schema(driver, database)
    with driver.session(database=database) as session, session.begin_transaction() as tx:
        tx.run(cypher("import/lock")).consume()
        t0 = time.perf_counter()
        step("checking against the database", 0, 1)
        plan = check_against(parsed, Neo4jState(tx))
        timings["check"] = time.perf_counter() - t0
        if plan.problems:
            tx.rollback()
            raise InvalidInput(plan.problems.items, plan.problems.total)
        if not plan.changes_anything:
            tx.rollback()  # releases the lock; nothing to record
            return _summary(None, plan, began, timings)
        import_id = uuid.uuid4().hex
        _write(tx, plan, import_id, batch_rows, step, timings)
        tx.run(
            cypher("import/record_import"),
            id=import_id,
            source=str(folder.resolve()),
            distributors_added=len(plan.new_distributors),
            distributors_updated=len(plan.updates),
            orders_added=len(plan.orders),
            periods=plan.orders.periods(),
        ).consume()
        t0 = time.perf_counter()
        step("committing", 0, 1)
        tx.commit()
        timings["commit"] = time.perf_counter() - t0
    return _summary(import_id, plan, began, timings)


def _summary(
    import_id: str | None, plan: ImportPlan, began: float, timings: dict[str, float]
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
    )


def _write(
    tx: Transaction,
    plan: ImportPlan,
    import_id: str,
    batch_rows: int,
    step: Progress,
    timings: dict[str, float],
) -> None:
    t0 = time.perf_counter()
    total = len(plan.new_distributors)
    for start in range(0, total, batch_rows):
        rows = [
            {
                "id": d.id,
                "sponsor_id": d.sponsor_id,
                "name": d.name,
                "country": d.country,
                "joined_on": d.joined_on,
                "depth": d.depth,
                "root_id": d.root_id,
            }
            for d in plan.new_distributors[start : start + batch_rows]
        ]
        tx.run(cypher("import/create_distributors"), rows=rows, import_id=import_id).consume()
        step("distributors", min(start + batch_rows, total), total)
    timings["distributors"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if plan.updates:
        rows = [
            {"id": r.id, "name": r.name, "country": r.country, "joined_on": r.joined_on} for r in plan.updates
        ]
        for batch in chunks(rows, batch_rows):
            tx.run(cypher("import/update_distributors"), rows=list(batch)).consume()
    total = len(plan.placements)
    for start in range(0, total, batch_rows):
        rows = [
            {"child": c, "parent": p, "side": s} for c, p, s in plan.placements[start : start + batch_rows]
        ]
        tx.run(cypher("import/create_placements"), rows=rows).consume()
        step("placements", min(start + batch_rows, total), total)
    timings["placements"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = len(plan.orders)
    for start in range(0, total, batch_rows):
        rows = _order_rows(plan.orders, start, min(start + batch_rows, total))
        tx.run(cypher("import/create_orders"), rows=rows, import_id=import_id).consume()
        step("orders", min(start + batch_rows, total), total)
    timings["orders"] = time.perf_counter() - t0
