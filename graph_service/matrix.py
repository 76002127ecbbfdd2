"""The forced matrix (contract section 5, `[matrix]`): placement at import, storage, reads.

Placement. Each import places its new distributors in order of `joined_on` (missing dates last),
ties by id in code point order, except that a recruit whose sponsor is not yet placed waits and
is placed right after that sponsor (several waiting recruits keep their order, and a waiting
recruit's own waiting recruits come right after it: depth first). A root of the sponsor tree
starts a matrix of its own; anyone else takes the first free position under their sponsor's
position, searched breadth first: level by level, and within a level in placement order (global
placement order, not parent by parent); a member has at most `width` members directly under
them. Placed members never move.

Storage. `(parent)-[:MATRIX {seq}]->(child)` and, on the child, `matrix_parent_id` (null for a
matrix root), `matrix_seq` (global placement order: 0, 1, 2, ... over the whole database) and
`matrix_depth` (links up to its matrix root). `(:MatrixConfig {id: 1, width, next_seq})` records
the width of the placement and the next placement number; it is written in the transaction that
publishes the first placement, so it exists exactly when every published distributor is placed.
New positions are set on the import's staged (invisible) distributors and written with them, so
they appear when the import publishes and are swept with the staged rows after a crash. A
database loaded before the matrix existed (no MatrixConfig) is placed by its next import, import
by import in the order they were published (`Distributor.gen`), then the newcomers: those
positions are written on visible distributors before MatrixConfig exists, and readers wait for
MatrixConfig (`MatrixNotPlaced`); a crash there leaves positions without MatrixConfig, which the
next import clears and places again.

Speed. The placement runs in Python over arrays, in O(n + moves) where `moves` is how far the
per-sponsor cursors walk: a cursor is the position of the sponsor's first free position in the
breadth-first order of the sponsor's matrix subtree. It only moves forward: positions before it
are full, members never move and a full member stays full, and a new position always lands at
the end of a level below the cursor's (it is the latest placed). So each sponsor walks every
full position of its subtree at most once per import, and since the levels it walks past are
full, those positions lie within log_width(subtree) levels of it: O(n log n) at worst, about n
in practice. Width 1 is a chain per root; its free position is the chain's end, kept per root.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from neo4j import Driver, Session

from graph_service.analytics import service
from graph_service.compensation.engine import MatrixNotPlaced, PlanMismatch
from graph_service.compensation.plan import Plan
from graph_service.db.queries import cypher
from graph_service.errors import DownlineError, NotFound

__all__ = [
    "OPEN_LEVELS",
    "Batch",
    "Config",
    "Forest",
    "ImportPlacement",
    "MatrixNotPlaced",
    "MatrixPosition",
    "MatrixWidthMismatch",
    "Placed",
    "PlanMismatch",
    "Positions",
    "check_plan_width",
    "check_width",
    "matrix_position",
    "place",
    "placement_order",
    "plan_import",
    "read_config",
    "stored_width",
    "sweep_unpublished",
]

IntArray = npt.NDArray[np.int64]
OPEN_LEVELS = 7
"""`open_positions` counts the free positions within this many levels below a member (the depth
the contract's example plan pays); cypher/matrix/position.cypher walks `*1..7`."""


class MatrixWidthMismatch(DownlineError):
    """An import whose DOWNLINE_MATRIX_WIDTH differs from the width the placement was made with."""

    exit_code = 2
    http_status = 422
    code = "matrix_width_mismatch"


# -- the placement, in memory ---------------------------------------------------------------------


def placement_order(
    ids: Sequence[str], sponsors: Sequence[str | None], joined: Sequence[date | None]
) -> list[int]:
    """Indices of one import's newcomers in the order they are placed (see the module docstring).

    A sponsor that is not among `ids` must already be placed. ValueError on a sponsorship cycle.
    """
    m = len(ids)
    if m == 0:
        return []
    table = pa.table(
        {
            "missing": pa.array([d is None for d in joined], pa.bool_()),
            "day": pa.array([0 if d is None else d.toordinal() for d in joined], pa.int64()),
            "id": pa.array(list(ids), pa.string()),  # UTF-8 bytes sort in code point order
        }
    )
    keys = [("missing", "ascending"), ("day", "ascending"), ("id", "ascending")]
    by_date: list[int] = pc.sort_indices(table, sort_keys=keys).to_pylist()
    where = {i: k for k, i in enumerate(ids)}
    up = [-1 if s is None else where.get(s, -1) for s in sponsors]
    placed = bytearray(m)
    waiting: dict[int, list[int]] = {}
    out: list[int] = []
    for k in by_date:
        s = up[k]
        if s >= 0 and not placed[s]:
            waiting.setdefault(s, []).append(k)
            continue
        stack = [k]
        while stack:
            x = stack.pop()
            out.append(x)
            placed[x] = 1
            later = waiting.pop(x, None)
            if later:
                stack.extend(reversed(later))
    if len(out) != m:
        raise ValueError("the sponsor links of the newcomers form a cycle")
    return out


def _roots_and_depths(parent: IntArray) -> tuple[IntArray, IntArray]:
    """Each position's matrix root and depth, by pointer jumping (log depth vector passes)."""
    n = parent.size
    depth = (parent >= 0).astype(np.int64)
    jump = parent.copy()
    root = np.where(parent >= 0, parent, np.arange(n, dtype=np.int64))
    for _ in range(max(n, 1).bit_length() + 1):
        live = np.flatnonzero(jump >= 0)
        if live.size == 0:
            return root, depth
        up = jump[live]
        depth[live] += depth[up]
        root[live] = root[up]
        jump[live] = jump[up]
    raise ValueError("the matrix links form a cycle")


class Forest:
    """A matrix forest whose positions are numbered in placement order (position i was placed
    before i + 1), so sorting positions sorts them in placement order."""

    def __init__(self, width: int, parent: IntArray, capacity: int = 0) -> None:
        if width < 1:
            raise ValueError("the matrix width must be at least 1")
        n = int(parent.size)
        if n and np.any(parent >= np.arange(n)):
            raise ValueError("a matrix parent must be placed before its child")
        cap = max(capacity, n)
        self.width = width
        self.size = n
        root, depth = _roots_and_depths(parent.astype(np.int64))
        self.parent: list[int] = parent.tolist()
        self.depth: list[int] = depth.tolist()
        self.root: list[int] = root.tolist()
        self.kids = np.full((cap, width), -1, np.int64)
        count = np.zeros(cap, np.int64)
        child = np.flatnonzero(parent >= 0)
        if child.size:
            child = child[np.argsort(parent[child], kind="stable")]  # by parent, then placement
            above = parent[child]
            slot = np.arange(child.size) - np.searchsorted(above, above, side="left")
            if int(slot.max()) >= width:
                raise ValueError(f"a member has more than {width} members directly under them")
            self.kids[above, slot] = child
            count[:n] = np.bincount(above, minlength=n)
        self.count: list[int] = count.tolist()
        self._cursor: dict[int, tuple[list[int], int]] = {}
        # width 1: each matrix is a chain and its only free position is the chain's end
        self._end: dict[int, int] = {}
        if width == 1:
            ends = np.flatnonzero(count[:n] == 0)
            self._end = dict(zip(root[ends].tolist(), ends.tolist(), strict=True))

    def _grow(self) -> None:
        more = max(1024, len(self.count))
        self.kids = np.concatenate([self.kids, np.full((more, self.width), -1, np.int64)])
        self.count.extend([0] * more)

    def free_under(self, sponsor: int) -> int:
        """The first free position under `sponsor`'s position (breadth first, in placement order)."""
        count, width = self.count, self.width
        if count[sponsor] < width:
            return sponsor
        if width == 1:
            return self._end[self.root[sponsor]]
        level, i = self._cursor.get(sponsor, ([sponsor], 0))
        while True:
            n = len(level)
            while i < n:
                c = level[i]
                if count[c] < width:
                    self._cursor[sponsor] = (level, i)
                    return c
                i += 1
            # every member of an exhausted level is full: the next level is all their children
            below = self.kids[level].ravel()
            below.sort()
            level, i = below.tolist(), 0

    def place(self, sponsor: int) -> int:
        """Place a new member under `sponsor`'s position (-1: a root); return its position."""
        p = self.size
        if p >= len(self.count):
            self._grow()
        self.size = p + 1
        if sponsor < 0:
            self.parent.append(-1)
            self.depth.append(0)
            self.root.append(p)
            if self.width == 1:
                self._end[p] = p
            return p
        c = self.free_under(sponsor)
        k = self.count[c]
        self.kids[c, k] = p
        self.count[c] = k + 1
        self.parent.append(c)
        self.depth.append(self.depth[c] + 1)
        root = self.root[c]
        self.root.append(root)
        if self.width == 1:
            self._end[root] = p
        return p

    def forget(self, sponsor: int) -> None:
        """Drop a sponsor's cursor (it places nobody else in this run)."""
        self._cursor.pop(sponsor, None)


@dataclass(frozen=True)
class Positions:
    """Matrix positions already in the database: ids, placement numbers, parents' numbers (-1 for
    a matrix root). Whole matrices: every position of a matrix root that is loaded at all."""

    ids: list[str] = field(default_factory=list)
    seq: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    parent_seq: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass(frozen=True)
class Batch:
    """The newcomers of one import (any order)."""

    ids: list[str]
    sponsors: list[str | None]
    joined: list[date | None]


@dataclass(frozen=True)
class Placed:
    """The members one batch placed, in placement order."""

    ids: list[str]
    parent_ids: list[str | None]
    seqs: list[int]
    depths: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        stop = len(self.ids) if stop is None else stop
        return [
            {"id": self.ids[k], "parent": self.parent_ids[k], "seq": self.seqs[k], "depth": self.depths[k]}
            for k in range(start, stop)
        ]


def place(width: int, existing: Positions, batches: Sequence[Batch], *, next_seq: int) -> list[Placed]:
    """Place each batch (an import's newcomers) after the ones before it, under `existing`.

    New positions are numbered from `next_seq` on, which must be above every existing number.
    Every sponsor must be placed already or come in the same or an earlier batch.
    """
    order = np.argsort(existing.seq, kind="stable")
    sorted_seq = existing.seq[order]
    if sorted_seq.size and (int(sorted_seq[-1]) >= next_seq or np.any(np.diff(sorted_seq) == 0)):
        raise DownlineError("the stored matrix placement numbers are not unique or not below next_seq")
    parent_seq = existing.parent_seq[order]
    parent = np.where(parent_seq >= 0, np.searchsorted(sorted_seq, parent_seq), -1)
    if sorted_seq.size and np.any((parent >= 0) & (sorted_seq[np.maximum(parent, 0)] != parent_seq)):
        raise DownlineError("a stored matrix parent was not loaded with its children")
    names = [existing.ids[k] for k in order.tolist()]
    base = len(names)
    forest = Forest(width, parent.astype(np.int64), base + sum(len(b.ids) for b in batches))
    position = {name: k for k, name in enumerate(names)}
    out: list[Placed] = []
    for batch in batches:
        first = forest.size
        left = Counter(s for s in batch.sponsors if s is not None)
        for k in placement_order(batch.ids, batch.sponsors, batch.joined):
            sponsor = batch.sponsors[k]
            if sponsor is None:
                p = forest.place(-1)
            else:
                try:
                    s = position[sponsor]
                except KeyError:
                    raise DownlineError(f"sponsor {sponsor!r} has no matrix position") from None
                p = forest.place(s)
                left[sponsor] -= 1
                if left[sponsor] == 0:
                    forest.forget(s)
            position[batch.ids[k]] = p
            names.append(batch.ids[k])
        span = range(first, forest.size)
        out.append(
            Placed(
                ids=names[first:],
                parent_ids=[None if forest.parent[p] < 0 else names[forest.parent[p]] for p in span],
                seqs=[next_seq + p - base for p in span],
                depths=forest.depth[first:],
            )
        )
    return out


# -- the placement in Neo4j -----------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    width: int
    next_seq: int


def read_config(session: Session) -> Config | None:
    row = session.run(cypher("matrix/config")).single()
    return None if row is None else Config(int(row["width"]), int(row["next_seq"]))


def stored_width(driver: Driver, database: str) -> int | None:
    """The width the matrix was placed with; None before the first placement."""
    records, _, _ = driver.execute_query(cypher("matrix/config"), database_=database, routing_="r")
    return int(records[0]["width"]) if records else None


def check_width(config: Config | None, width: int) -> None:
    """MatrixWidthMismatch when the setting differs from the recorded width."""
    if config is not None and config.width != width:
        raise MatrixWidthMismatch(
            f"the matrix was placed with width {config.width} and a placement never changes, but "
            f"DOWNLINE_MATRIX_WIDTH is {width}; set DOWNLINE_MATRIX_WIDTH={config.width} (or reset the "
            "database to place everyone again with another width). Nothing was written."
        )


def check_plan_width(driver: Driver, database: str, plan: Plan) -> None:
    """Refuse a plan whose `[matrix]` width is not the stored placement's (PlanMismatch), or a
    matrix plan on a published network not placed yet (MatrixNotPlaced)."""
    if plan.matrix is None:
        return
    width = stored_width(driver, database)
    if width is None:
        if service.published(driver, database).gen > 0:
            raise MatrixNotPlaced(
                "the network has no matrix placement yet; the next `downline import` places everyone"
            )
        return
    if plan.matrix.width != width:
        raise PlanMismatch(
            f"plan {plan.name!r} has a matrix of width {plan.matrix.width}, but the network was placed "
            f"in a matrix of width {width} (DOWNLINE_MATRIX_WIDTH); placements never move, so use a "
            f"plan with width = {width}"
        )


def sweep_unpublished(session: Session, config: Config | None) -> int:
    """Clear positions of a placement that never published (only possible without MatrixConfig:
    a database loaded before the matrix whose placing import crashed). Returns how many."""
    if config is not None:
        return 0
    return int(session.run(cypher("matrix/sweep")).single(strict=True)["cleared"])


class Newcomer(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def sponsor_id(self) -> str | None: ...
    @property
    def joined_on(self) -> date | None: ...
    @property
    def root_id(self) -> str: ...


@dataclass(frozen=True)
class ImportPlacement:
    width: int
    earlier: Placed  # published distributors placed now (a database loaded before the matrix)
    new: Placed  # the import's newcomers, in placement order
    next_seq: int  # to record once published
    seconds: float

    @property
    def count(self) -> int:
        return len(self.earlier) + len(self.new)


def plan_import(
    session: Session, *, width: int, config: Config | None, published: int, newcomers: Sequence[Newcomer]
) -> ImportPlacement:
    """Positions of an import's newcomers, read from what the matrices under their sponsors hold
    (run under the import lease, after the sweep, before anything is staged). Without a stored
    placement, the published distributors are placed first, import by import."""
    began = time.perf_counter()
    next_seq = 0 if config is None else config.next_seq
    new_ids = {d.id for d in newcomers}
    batches: list[Batch] = []
    existing = Positions()
    if config is None and published > 0:
        groups: dict[int, Batch] = {}
        for r in session.run(cypher("matrix/published_members"), published=published):
            groups[int(r["gen"])] = Batch(
                list(r["ids"]),
                [s or None for s in r["sponsors"]],
                [date.fromisoformat(d) if d else None for d in r["joined"]],
            )
        batches = [groups[g] for g in sorted(groups)]
    elif config is not None:
        roots = sorted({d.root_id for d in newcomers if d.root_id not in new_ids})
        ids: list[str] = []
        seqs: list[int] = []
        parents: list[int] = []
        for r in session.run(cypher("matrix/trees"), roots=roots, published=published):
            ids.extend(r["ids"])
            seqs.extend(r["seqs"])
            parents.extend(r["parents"])
        existing = Positions(ids, np.array(seqs, np.int64), np.array(parents, np.int64))
    batches.append(
        Batch([d.id for d in newcomers], [d.sponsor_id for d in newcomers], [d.joined_on for d in newcomers])
    )
    *earlier, new = place(width, existing, batches, next_seq=next_seq)
    if earlier:
        merged = Placed(
            [i for p in earlier for i in p.ids],
            [i for p in earlier for i in p.parent_ids],
            [i for p in earlier for i in p.seqs],
            [i for p in earlier for i in p.depths],
        )
    else:
        merged = Placed([], [], [], [])
    total = next_seq + len(merged) + len(new)
    return ImportPlacement(width, merged, new, total, time.perf_counter() - began)


# -- reading a position ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixPosition:
    id: str
    parent: str | None  # null for a matrix root (or a parent outside the key's scope)
    children: list[str]  # in placement order (those inside the key's scope)
    level: int  # links up to the matrix root
    width: int
    open_direct: int  # free positions directly under the member
    open_positions: int  # free positions within OPEN_LEVELS levels below (open_direct included)
    open_levels: int = OPEN_LEVELS

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parent": self.parent,
            "children": self.children,
            "level": self.level,
            "width": self.width,
            "open_direct": self.open_direct,
            "open_positions": self.open_positions,
            "open_levels": self.open_levels,
        }


def matrix_position(
    driver: Driver, database: str, distributor_id: str, *, scope_id: str | None = None
) -> MatrixPosition:
    """A distributor's place in the matrix: parent, children in placement order, level, and the
    free positions below. With a scoped key: NotFound outside the scope, and a parent or children
    outside it are left out (parent null), exactly as if they did not exist."""
    pub = service.published(driver, database)
    scope = service.scope_of(driver, database, scope_id, pub, target=distributor_id)
    records, _, _ = driver.execute_query(
        cypher("matrix/position"),
        id=distributor_id,
        gen=pub.gen,
        pre=pub.keys["pre"],
        database_=database,
        routing_="r",
    )
    if not records:
        raise NotFound(f"no distributor with id {distributor_id!r}")
    row = records[0]
    if row["width"] is None or row["seq"] is None:
        raise MatrixNotPlaced("the network has no matrix placement yet; the next `downline import` places it")
    width = int(row["width"])

    def inside(member: dict[str, Any] | None) -> bool:
        if member is None:
            return False
        return scope is None or (member["pre"] is not None and scope.lo <= member["pre"] <= scope.hi)

    parent = row["parent"]
    children = row["children"]
    below = dict(row["below"])
    free = sum(width**k - int(below.get(k, 0)) for k in range(1, OPEN_LEVELS + 1))
    return MatrixPosition(
        id=distributor_id,
        parent=parent["id"] if inside(parent) else None,
        children=[c["id"] for c in children if inside(c)],
        level=int(row["depth"]),
        width=width,
        open_direct=width - len(children),
        open_positions=free,
    )
