"""An independent pure-Python reference for the figures of contract sections 2 and 4.

Written straight from the contract's definitions, not from the project's Cypher or services, so
the property tests can hold the real thing (Neo4j, rollups, live queries) against it. Kept plain
on purpose: exact `Decimal` volumes, exact `Fraction` ratios turned into floats once at the end,
and no recursion (a 1,500-deep chain must work), only children maps walked breadth first.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

ACTIVE_PV = Decimal(100)


@dataclass(frozen=True)
class Distributor:
    id: str
    sponsor_id: str | None
    name: str | None = None
    joined_on: date | None = None


@dataclass(frozen=True)
class Order:
    id: str
    distributor_id: str
    ordered_on: date
    volume: Decimal
    buyer: str = "retail"  # or "self"

    @property
    def period(self) -> str:
        return month(self.ordered_on)


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def ratio(part: Decimal | int, whole: Decimal | int) -> float:
    """part / whole as the float nearest the exact quotient; 0 when whole is 0."""
    if whole == 0:
        return 0.0
    return float(Fraction(part) / Fraction(whole))


class Net:
    """The sponsor forest and its orders, indexed for the walks below."""

    def __init__(self, distributors: Iterable[Distributor], orders: Iterable[Order] = ()) -> None:
        self.distributors: dict[str, Distributor] = {}
        for d in distributors:
            assert d.id not in self.distributors, f"duplicate id {d.id!r}"
            self.distributors[d.id] = d
        self.orders: list[Order] = list(orders)
        self.children: dict[str, list[str]] = {i: [] for i in self.distributors}
        for d in self.distributors.values():
            if d.sponsor_id is not None:
                self.children[d.sponsor_id].append(d.id)
        self._pv: dict[tuple[str, str], Decimal] = {}
        for o in self.orders:
            assert o.distributor_id in self.distributors, f"order {o.id!r} for an unknown distributor"
            key = (o.distributor_id, o.period)
            self._pv[key] = self._pv.get(key, Decimal(0)) + o.volume

    def pv(self, distributor_id: str, period: str) -> Decimal:
        return self._pv.get((distributor_id, period), Decimal(0))

    def periods(self) -> list[str]:
        """Every period with at least one order, ascending."""
        return sorted({o.period for o in self.orders})

    def latest_period(self) -> str | None:
        periods = self.periods()
        return periods[-1] if periods else None

    def get(self, distributor_id: str) -> Distributor:
        if distributor_id not in self.distributors:
            raise KeyError(distributor_id)
        return self.distributors[distributor_id]


# ---------------------------------------------------------------- one distributor


def upline(net: Net, distributor_id: str) -> list[str]:
    """The sponsors from d's sponsor up to the root, nearest first."""
    out: list[str] = []
    sponsor = net.get(distributor_id).sponsor_id
    while sponsor is not None:
        out.append(sponsor)
        sponsor = net.distributors[sponsor].sponsor_id
    return out


def depth(net: Net, distributor_id: str) -> int:
    return len(upline(net, distributor_id))


def downline(net: Net, distributor_id: str) -> dict[str, int]:
    """Everyone below d (d excluded) -> their level (links below d)."""
    net.get(distributor_id)
    levels: dict[str, int] = {}
    queue = deque([(distributor_id, 0)])
    while queue:
        member, level = queue.popleft()
        for child in net.children[member]:
            levels[child] = level + 1
            queue.append((child, level + 1))
    return levels


def gv(net: Net, distributor_id: str, period: str) -> Decimal:
    return net.pv(distributor_id, period) + sum(
        (net.pv(m, period) for m in downline(net, distributor_id)), Decimal(0)
    )


def legs(net: Net, distributor_id: str, period: str) -> list[dict[str, Any]]:
    """One leg per frontline member: id, gv, size (the member and their downline), share."""
    rows = []
    for child in net.children[net.get(distributor_id).id]:
        below = downline(net, child)
        rows.append({"id": child, "gv": gv(net, child, period), "size": 1 + len(below)})
    total = sum((r["gv"] for r in rows), Decimal(0))
    for r in rows:
        r["share"] = ratio(r["gv"], total)
    rows.sort(key=lambda r: r["id"])  # ties by id (code point order) ...
    rows.sort(key=lambda r: r["gv"], reverse=True)  # ... under volume, largest first (stable sort)
    return rows


def stats(net: Net, distributor_id: str, period: str, active_pv: Decimal = ACTIVE_PV) -> dict[str, Any]:
    """The figures of contract section 4 for d in period, plus depth, sponsor, name, active."""
    d = net.get(distributor_id)
    below = downline(net, d.id)
    pv = net.pv(d.id, period)
    max_depth = max(below.values(), default=0)
    levels = [0] * max_depth
    for level in below.values():
        levels[level - 1] += 1
    leg_rows = legs(net, d.id, period)
    return {
        "id": d.id,
        "period": period,
        "pv": pv,
        "gv": pv + sum((net.pv(m, period) for m in below), Decimal(0)),
        "frontline": len(net.children[d.id]),
        "downline_size": len(below),
        "active_downline": sum(1 for m in below if net.pv(m, period) >= active_pv),
        "max_depth": max_depth,
        "mean_depth": ratio(sum(below.values()), len(below)),
        "levels": levels,
        "legs": leg_rows,
        "strongest_leg_share": leg_rows[0]["share"] if leg_rows else 0.0,
        "depth": depth(net, d.id),
        "sponsor_id": d.sponsor_id,
        "name": d.name,
        "active": pv >= active_pv,
    }


# ---------------------------------------------------------------- the whole network


def depths(net: Net) -> dict[str, int]:
    """Every distributor's depth, walking down from the roots."""
    out: dict[str, int] = {}
    queue = deque((i, 0) for i, d in net.distributors.items() if d.sponsor_id is None)
    while queue:
        member, level = queue.popleft()
        out[member] = level
        queue.extend((child, level + 1) for child in net.children[member])
    assert len(out) == len(net.distributors), "the sponsor links are not a forest"
    return out


def all_gv(net: Net, period: str) -> dict[str, Decimal]:
    """GV of everyone: deepest first, each adds its GV to its sponsor's."""
    level = depths(net)
    total = {i: net.pv(i, period) for i in net.distributors}
    for member in sorted(net.distributors, key=lambda i: level[i], reverse=True):
        sponsor = net.distributors[member].sponsor_id
        if sponsor is not None:
            total[sponsor] += total[member]
    return total


def downline_sizes(net: Net) -> dict[str, int]:
    """Everyone's downline size: deepest first, each adds itself and its downline to its sponsor's."""
    level = depths(net)
    size = dict.fromkeys(net.distributors, 0)
    for member in sorted(net.distributors, key=lambda i: level[i], reverse=True):
        sponsor = net.distributors[member].sponsor_id
        if sponsor is not None:
            size[sponsor] += 1 + size[member]
    return size


def totals(net: Net, period: str, active_pv: Decimal = ACTIVE_PV) -> dict[str, Any]:
    in_period = [o for o in net.orders if o.period == period]
    volume = sum((o.volume for o in in_period), Decimal(0))
    retail = sum((o.volume for o in in_period if o.buyer == "retail"), Decimal(0))
    return {
        "period": period,
        "volume": volume,
        "retail_volume": retail,
        "retail_share": ratio(retail, volume),
        "orders": len(in_period),
        "active": sum(1 for i in net.distributors if net.pv(i, period) >= active_pv),
        "new_distributors": sum(
            1 for d in net.distributors.values() if d.joined_on is not None and month(d.joined_on) == period
        ),
    }


def network(net: Net, period: str, active_pv: Decimal = ACTIVE_PV, top: int = 10) -> dict[str, Any]:
    """Mirrors graph_service.analytics.model.NetworkStats."""
    level = depths(net)
    max_depth = max(level.values(), default=0)
    depth_histogram = [0] * (max_depth + 1) if level else []
    for k in level.values():
        depth_histogram[k] += 1
    frontline_sizes = Counter(len(kids) for kids in net.children.values())
    group = all_gv(net, period)
    leg_balance = [0] * 10
    for kids in net.children.values():
        leg_volumes = [group[c] for c in kids]
        leg_sum = sum(leg_volumes, Decimal(0))
        if kids and leg_sum > 0:
            share = Fraction(max(leg_volumes)) / Fraction(leg_sum)
            leg_balance[min(int(share * 10), 9)] += 1
    ranked = sorted(group.items(), key=lambda item: item[0])
    ranked.sort(key=lambda item: item[1], reverse=True)
    joins = Counter(month(d.joined_on) for d in net.distributors.values() if d.joined_on is not None)
    return {
        "period": period,
        "active_pv": active_pv,
        "distributors": len(net.distributors),
        "roots": sum(1 for d in net.distributors.values() if d.sponsor_id is None),
        "max_depth": max_depth,
        "mean_depth": ratio(sum(level.values()), len(level)),
        "totals": totals(net, period, active_pv),
        "history": [totals(net, p, active_pv) for p in net.periods()],
        "depth_histogram": depth_histogram,
        "frontline_histogram": sorted(frontline_sizes.items()),
        "leg_balance": leg_balance,
        "top": ranked[:top],
        "growth": sorted(joins.items()),
    }
