"""An independent pure-Python reference of the forced-matrix placement (contract section 5).

Written from the contract's words, not from graph_service.matrix, and kept slow and literal:

  "Each import places its new distributors in order of `joined_on` (missing dates last), ties by
  id (code point order), except that a recruit whose sponsor is not yet placed is placed right
  after the sponsor. A root of the sponsor tree starts a matrix of its own. Anyone else takes
  the first free position under their sponsor's position, searching breadth first: level by
  level, and within a level in the order members were placed; a member has at most `width`
  members directly under them. Placed members never move."

Readings where the words leave room (tests/reference_commissions.py reads them the same way):

- A recruit "waits" when their turn in the date order comes before their sponsor (of the same
  import) is placed; once the sponsor is placed, the waiting recruits follow right after, in
  their own date order, each followed at once by their own waiting recruits (depth first).
- "Within a level in the order members were placed": the level's members are taken in global
  placement order (the order of every placement so far, across imports), not parent by parent.

`place_imports` places a list of imports, one after the other, and returns every member's
position: its parent (None for a matrix root), its global placement number and its depth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tests.reference import Distributor


@dataclass(frozen=True)
class Position:
    parent: str | None
    seq: int
    depth: int


def _date_key(d: Distributor) -> tuple[bool, date, str]:
    return (d.joined_on is None, d.joined_on or date.min, d.id)


def import_order(newcomers: Iterable[Distributor], placed: set[str]) -> list[Distributor]:
    """One import's newcomers in the order they are placed. `placed`: ids placed before."""
    turns = sorted(newcomers, key=_date_key)
    mine = {d.id for d in turns}
    done: set[str] = set()
    out: list[Distributor] = []
    for turn, d in enumerate(turns):
        if d.id in done:
            continue
        if d.sponsor_id is not None and d.sponsor_id in mine and d.sponsor_id not in done:
            continue  # waits for the sponsor
        # place d, then whoever was skipped so far waiting for it, depth first
        todo = [d]
        while todo:
            x = todo.pop()
            out.append(x)
            done.add(x.id)
            waiting = [r for r in turns[:turn] if r.sponsor_id == x.id and r.id not in done]
            todo.extend(reversed(waiting))
    assert len(out) == len(turns), "sponsor cycle or a sponsor that is nowhere"
    assert all(d.sponsor_id is None or d.sponsor_id in placed or d.sponsor_id in mine for d in turns)
    return out


def place_imports(imports: Iterable[Iterable[Distributor]], width: int) -> dict[str, Position]:
    """Everyone's matrix position after placing the imports one after the other."""
    assert width >= 1
    position: dict[str, Position] = {}
    children: dict[str, list[str]] = {}
    for newcomers in imports:
        for d in import_order(newcomers, set(position)):
            parent = None
            if d.sponsor_id is not None:
                level = [d.sponsor_id]
                while parent is None:
                    level.sort(key=lambda m: position[m].seq)
                    free = [m for m in level if len(children[m]) < width]
                    if free:
                        parent = free[0]
                    else:
                        level = [c for m in level for c in children[m]]
            depth = 0 if parent is None else position[parent].depth + 1
            position[d.id] = Position(parent, len(position), depth)
            children[d.id] = []
            if parent is not None:
                children[parent].append(d.id)
    return position


def children_of(position: dict[str, Position]) -> dict[str, list[str]]:
    """Each member's matrix children in placement order."""
    kids: dict[str, list[str]] = {m: [] for m in position}
    for m in sorted(position, key=lambda x: position[x].seq):
        parent = position[m].parent
        if parent is not None:
            kids[parent].append(m)
    return kids
