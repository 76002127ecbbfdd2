"""The engine's input read from Neo4j: the published network and its monthly PV, in one pass.

The sponsor links, the binary and matrix placements and the PV of every period come from the live
rollup (cypher/commissions/members.cypher): a run reads each distributor once and no order at all.
Neo4j reads are read-committed, so a rollup slot rewritten while it is being read (two imports
published during one read) would mix generations; the slot's generation is checked before and
after the read and the read is retried when it moved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from neo4j import Driver

from graph_service.analytics import rollup
from graph_service.compensation.engine import LEFT, RIGHT, IntArray, Network, months_between
from graph_service.db.queries import cypher
from graph_service.errors import DownlineError

ATTEMPTS = 3
# the columns of cypher/commissions/members.cypher, in order
COLUMNS: tuple[str, ...] = ("ids", "sponsors", "depths", "placement_parents", "placement_sides")
COLUMNS += ("matrix_parents", "matrix_seqs", "pvs")


class NoRollup(DownlineError):
    exit_code = 3
    http_status = 409
    code = "no_rollup"


@dataclass(frozen=True, eq=False)
class LoadedNetwork:
    network: Network
    gen: int  # the published generation read
    fingerprint: str  # SHA-256 of everything the run reads: same data, same fingerprint
    matrix_parent: IntArray | None  # matrix parent positions (-1 a root); None when someone is unplaced


def load_network(driver: Driver, database: str, period: str) -> LoadedNetwork:
    """The published network with the PV of each month up to `period` (from the first with orders)."""
    for _ in range(ATTEMPTS):
        state = rollup.current(driver, database)
        gen, slot = int(state["gen"] or 0), state.get("slot")
        if gen and (slot is None or state.get("rolled_gen") != gen):
            raise NoRollup("the published network has no rollup yet; run `downline rollup` first")
        periods: list[str] = list(state.get("periods") or [])
        pv_key = rollup.keys(slot if slot is not None else 0)["pv"]
        records, _, _ = driver.execute_query(
            cypher("commissions/members"), gen=gen, pv=pv_key, database_=database, routing_="r"
        )
        after = rollup.current(driver, database)
        if after.get("slot") == slot and after.get("rolled_gen") == gen:
            return _arrays(dict(zip(COLUMNS, records[0], strict=True)), gen, periods, period)
    raise DownlineError("the network changed under every read (imports kept publishing); try again")


def _arrays(row: dict[str, list[Any]], gen: int, periods: list[str], period: str) -> LoadedNetwork:
    ids: list[str] = row["ids"]
    n = len(ids)
    index = pd.Index(ids)

    def positions(column: str) -> IntArray:
        """Positions of the ids of a column ('' for none gives -1: no id is empty)."""
        found: IntArray = index.get_indexer(pd.Index(row[column])).astype(np.int64)
        return found

    sponsor = positions("sponsors")
    depth = np.array(row["depths"], np.int64).reshape(n)
    parent = positions("placement_parents")
    sides = {"L": LEFT, "R": RIGHT, "": -1}
    side = np.fromiter((sides[s] for s in row["placement_sides"]), np.int8, n)
    matrix_parent = positions("matrix_parents")
    placed = np.array(row["matrix_seqs"], np.int64).reshape(n) >= 0

    kept = [k for k, p in enumerate(periods) if p <= period]
    months = months_between(periods[kept[0]], period) if kept else [period]
    column = {m: k for k, m in enumerate(months)}
    pv = np.zeros((n, len(months)), np.int64)
    if kept and n:
        empty = [0] * len(periods)
        by_period = np.array([p or empty for p in row["pvs"]], np.int64).reshape(n, len(periods))
        for k in kept:
            pv[:, column[periods[k]]] = by_period[:, k]
    network = Network(ids, sponsor, depth, parent, side, months, pv)
    matrix = matrix_parent if bool(placed.all()) else None  # everyone placed (vacuously when empty)
    return LoadedNetwork(network, gen, _fingerprint(network, matrix_parent), matrix)


def _fingerprint(network: Network, matrix_parent: IntArray) -> str:
    digest = hashlib.sha256()
    digest.update("\x1f".join(network.ids).encode())
    links = (network.sponsor, network.placement_parent, network.placement_side, matrix_parent)
    for array in (*links, network.pv):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(",".join(network.months).encode())
    return digest.hexdigest()
