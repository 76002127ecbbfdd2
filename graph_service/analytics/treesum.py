"""The rollup's arithmetic: every member's downline figures from the sponsor forest and PV, in numpy.

Pure functions of arrays (no database): graph_service.analytics.rollup reads the forest and the PV
sums with Cypher, calls `figures`, writes the result back with Cypher. Row i is one distributor;
`parent[i]` is the row of its sponsor (-1 for a root) and `depth[i]` its depth (0 for a root).
Volumes are integer ten-thousandths of PV, so every sum is exact.

What is computed, per member (the definitions of the contract; cypher/rollup/write.cypher lists
the stored names):
  size    downline size                  height  max depth of the downline (0 without one)
  dsum    sum of the downline's levels   levels  head-count per level [level 1, level 2, ...]
  pv, gv, act, maxleg   per period: PV, GV (own PV + the downline's), active members in the
                        downline (PV >= the threshold), largest leg GV (0 without legs)
  pre     position in depth-first order (roots by id, siblings by id): a downline is exactly the
          members numbered (pre, pre + size]

Cost: levels walk every member's upline once (the sum of depths), the other figures one pass per
depth (`np.add.at`), the depth-first numbers one sort by (sponsor, id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph_service.errors import DownlineError

IntArray = npt.NDArray[np.int64]
LONG_SAFE = 2.0**62  # |sums| stay below this, so int64 cannot overflow


class ForestError(DownlineError):
    """The stored forest is not a forest (a sponsor missing, a depth not one below the sponsor's)."""

    exit_code = 1
    http_status = 500
    code = "forest_inconsistent"


@dataclass
class Forest:
    ids: list[str]
    parent: IntArray  # row of the sponsor, -1 for a root
    depth: IntArray
    index: pd.Index  # row of each id: index.get_indexer(some_ids), -1 for an id not in the forest


@dataclass
class Figures:
    size: IntArray
    height: IntArray
    dsum: IntArray
    level_counts: IntArray  # everyone's levels list, one after the other (row order)
    level_start: IntArray  # (n + 1,): row i's levels are level_counts[level_start[i]:level_start[i + 1]]
    pv: IntArray  # (n, periods)
    gv: IntArray
    act: IntArray
    maxleg: IntArray
    pre: IntArray

    def levels(self, row: int) -> list[int]:
        """Row `row`'s head-count per level: [level 1, level 2, ...] ([] without a downline)."""
        counts: list[int] = self.level_counts[self.level_start[row] : self.level_start[row + 1]].tolist()
        return counts


def forest(ids: Sequence[str], sponsors: Sequence[str | None], depths: Sequence[int]) -> Forest:
    """The rows of a forest from ids, their sponsors' ids (None or '' for a root) and depths;
    checks that every sponsor is a member one level up."""
    index = pd.Index(list(ids), dtype=object)
    if not index.is_unique:
        raise ForestError("distributor ids are not unique")
    wanted = [s if s else None for s in sponsors]
    parent = index.get_indexer(pd.Index(wanted, dtype=object)).astype(np.int64)
    depth = np.asarray(depths, dtype=np.int64).reshape(-1)
    has_sponsor = np.fromiter((s is not None for s in wanted), dtype=bool, count=len(wanted))
    missing = np.nonzero(has_sponsor & (parent < 0))[0]
    if missing.size:
        i = int(missing[0])
        raise ForestError(f"the sponsor {wanted[i]} of {ids[i]} is not in the network")
    roots = parent < 0
    wrong = np.nonzero(np.where(roots, depth != 0, depth != depth[np.maximum(parent, 0)] + 1))[0]
    if wrong.size:
        i = int(wrong[0])
        raise ForestError(f"{ids[i]} is stored at depth {int(depth[i])}, not one below its sponsor")
    return Forest(list(ids), parent, depth, index)


def volumes(index: pd.Index, n: int, columns: Sequence[tuple[Sequence[str], Sequence[int]]]) -> IntArray:
    """PV per (row, period) from, per period, the ids and PV sums of those with orders; ids that
    are not members count nowhere."""
    pv = np.zeros((n, len(columns)), dtype=np.int64)
    for j, (ids, sums) in enumerate(columns):
        rows = index.get_indexer(pd.Index(list(ids), dtype=object))
        known = rows >= 0
        pv[rows[known], j] = np.asarray(sums, dtype=np.int64).reshape(-1)[known]
    return pv


def _by_depth(depth: IntArray) -> list[IntArray]:
    """Rows at each depth: [rows at 0, rows at 1, ...]."""
    order = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[order], np.arange(int(depth.max(initial=-1)) + 2))
    return [order[bounds[d] : bounds[d + 1]] for d in range(len(bounds) - 1)]


def _levels(parent: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """size, height, dsum and the levels lists (counts, starts: see Figures) of everyone, by
    walking each member's upline."""
    n = parent.size
    owners: list[IntArray] = []
    distance: list[IntArray] = []
    counts: list[IntArray] = []
    above = parent[parent >= 0]
    k = 1
    while above.size:
        if above.size * 8 >= n:
            c = np.bincount(above, minlength=n)
            who = np.nonzero(c)[0]
            how_many = c[who]
        else:
            who, how_many = np.unique(above, return_counts=True)
        owners.append(who.astype(np.int64))
        distance.append(np.full(who.size, k, dtype=np.int64))
        counts.append(how_many.astype(np.int64))
        above = parent[above]
        above = above[above >= 0]
        k += 1
    size = np.zeros(n, dtype=np.int64)
    height = np.zeros(n, dtype=np.int64)
    dsum = np.zeros(n, dtype=np.int64)
    if not owners:
        return size, height, dsum, np.zeros(0, dtype=np.int64), np.zeros(n + 1, dtype=np.int64)
    who = np.concatenate(owners)
    lvl = np.concatenate(distance)
    cnt = np.concatenate(counts)
    # by member, then by level (appended level by level, and a member with someone at level k
    # has someone at every level above it: each list is [level 1, ..., level height], no gap)
    order = np.argsort(who, kind="stable")
    who, lvl, cnt = who[order], lvl[order], cnt[order]
    np.add.at(size, who, cnt)
    np.add.at(dsum, who, lvl * cnt)
    np.maximum.at(height, who, lvl)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(height, out=start[1:])
    return size, height, dsum, cnt, start


def _by_code_point(ids: Sequence[str]) -> IntArray:
    """The rows in id order (by code point, as Python compares strings). Sorted as numpy's
    fixed-width strings, several times faster than as Python objects, unless an id holds a NUL,
    which that type would drop from its end."""
    text = np.asarray(ids, dtype=object if "\x00" in "".join(ids) else str)
    order: IntArray = np.argsort(text, kind="stable").astype(np.int64)
    return order


def _preorder(
    ids: Sequence[str], parent: IntArray, size: IntArray, rows_by_depth: list[IntArray]
) -> IntArray:
    n = parent.size
    rank = np.empty(n, dtype=np.int64)
    rank[_by_code_point(ids)] = np.arange(n, dtype=np.int64)
    order = np.lexsort((rank, parent))  # siblings together, by id; roots (parent -1) first
    width = size[order] + 1
    ends = np.cumsum(width)
    first = np.r_[True, parent[order][1:] != parent[order][:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    before = ends - width - np.where(group_start > 0, ends[group_start - 1], 0)
    offset = np.empty(n, dtype=np.int64)
    offset[order] = before
    pre = offset.copy()  # roots: their offset among the roots
    for rows in rows_by_depth[1:]:
        pre[rows] = pre[parent[rows]] + 1 + offset[rows]
    return pre


def figures(f: Forest, pv: IntArray, active: int) -> Figures:
    """Every member's figures (see the module's docstring); `pv` is (members, periods)."""
    n, periods = pv.shape
    if n and float(np.abs(pv).sum(dtype=np.float64)) >= LONG_SAFE:
        raise DownlineError("the volumes are too large to sum exactly")
    size, height, dsum, level_counts, level_start = _levels(f.parent)
    gv = pv.copy()
    act = np.zeros((n, periods), dtype=np.int64)
    maxleg = np.full((n, periods), np.iinfo(np.int64).min, dtype=np.int64)
    rows_by_depth = _by_depth(f.depth)
    for rows in reversed(rows_by_depth[1:]):  # the deepest first: a member's legs are done before it
        up = f.parent[rows]
        np.add.at(gv, up, gv[rows])
        np.add.at(act, up, act[rows] + (pv[rows] >= active))
        np.maximum.at(maxleg, up, gv[rows])
    maxleg[size == 0] = 0
    pre = _preorder(f.ids, f.parent, size, rows_by_depth)
    return Figures(size, height, dsum, level_counts, level_start, pv, gv, act, maxleg, pre)
