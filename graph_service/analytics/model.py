"""What the analytics service answers: plain dataclasses shared by the CLI, the API and the dashboard.

Volumes are exact `Decimal`s (the database keeps integer ten-thousandths); `to_json()` turns them
into JSON numbers at the edge, shaped as contract section 4 says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graph_service.errors import BadRequest

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_period(period: str) -> str:
    """`YYYY-MM` or a BadRequest (exit 2 / HTTP 422) that says what was wrong."""
    if not isinstance(period, str) or PERIOD.match(period) is None:
        raise BadRequest(f"period {period!r} is not a month in the form YYYY-MM (e.g. 2026-10)")
    return period


def _num(value: Decimal) -> float:
    return float(value)


@dataclass(frozen=True)
class Leg:
    id: str
    gv: Decimal
    size: int  # the frontline member and their downline
    share: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "gv": _num(self.gv), "size": self.size, "share": self.share}


@dataclass(frozen=True)
class DistributorStats:
    id: str
    period: str
    pv: Decimal
    gv: Decimal
    frontline: int
    downline_size: int
    active_downline: int
    max_depth: int
    mean_depth: float
    levels: list[int]
    legs: list[Leg]
    strongest_leg_share: float
    # beyond the contract's minimum, for people: who they are and where they sit
    name: str | None = None
    sponsor_id: str | None = None
    depth: int = 0
    active: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "period": self.period,
            "pv": _num(self.pv),
            "gv": _num(self.gv),
            "frontline": self.frontline,
            "downline_size": self.downline_size,
            "active_downline": self.active_downline,
            "max_depth": self.max_depth,
            "mean_depth": self.mean_depth,
            "levels": list(self.levels),
            "legs": [leg.to_json() for leg in self.legs],
            "strongest_leg_share": self.strongest_leg_share,
            "name": self.name,
            "sponsor_id": self.sponsor_id,
            "depth": self.depth,
            "active": self.active,
        }


@dataclass(frozen=True)
class Member:
    """A row of an upline or downline listing."""

    id: str
    name: str | None
    sponsor_id: str | None
    level: int  # links from the distributor asked about (upline: 1 = sponsor)
    depth: int
    pv: Decimal
    gv: Decimal
    downline_size: int
    active: bool
    joined_on: str | None = None
    country: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "sponsor_id": self.sponsor_id,
            "level": self.level,
            "depth": self.depth,
            "pv": _num(self.pv),
            "gv": _num(self.gv),
            "downline_size": self.downline_size,
            "active": self.active,
            "joined_on": self.joined_on,
            "country": self.country,
        }


@dataclass(frozen=True)
class Page:
    """One page of a downline listing: `next_cursor` is None on the last page."""

    items: list[Member]
    next_cursor: str | None
    total: int  # members matching the filters (the whole listing, not the page)

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [m.to_json() for m in self.items],
            "next_cursor": self.next_cursor,
            "total": self.total,
        }


@dataclass(frozen=True)
class Ranked:
    id: str
    name: str | None
    gv: Decimal
    pv: Decimal
    downline_size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "gv": _num(self.gv),
            "pv": _num(self.pv),
            "downline_size": self.downline_size,
        }


@dataclass(frozen=True)
class PeriodTotals:
    period: str
    volume: Decimal  # total PV of the period (refunds subtract)
    retail_volume: Decimal
    retail_share: float
    orders: int
    active: int  # distributors with PV >= the active threshold
    new_distributors: int  # joined_on in this month

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "volume": _num(self.volume),
            "retail_volume": _num(self.retail_volume),
            "retail_share": self.retail_share,
            "orders": self.orders,
            "active": self.active,
            "new_distributors": self.new_distributors,
        }


@dataclass(frozen=True)
class NetworkStats:
    """Network-wide figures for one period, and the structure of the whole forest.

    depth_histogram[k]: distributors at depth k (roots at 0).
    frontline_histogram: (frontline size, distributors with that many), ascending, sizes with
    nobody left out.
    leg_balance: 10 buckets of strongest_leg_share ([0, 0.1), ..., [0.9, 1.0]) over distributors
    with at least one leg and a positive sum of leg volumes in the period.
    growth: (month, distributors who joined that month) for every month with a join, ascending.
    """

    period: str
    active_pv: Decimal
    distributors: int
    roots: int
    max_depth: int
    mean_depth: float  # mean depth of all distributors
    totals: PeriodTotals
    history: list[PeriodTotals]  # every period with orders, ascending
    depth_histogram: list[int]
    frontline_histogram: list[tuple[int, int]]
    leg_balance: list[int]
    top: list[Ranked]
    growth: list[tuple[str, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "active_pv": _num(self.active_pv),
            "distributors": self.distributors,
            "roots": self.roots,
            "max_depth": self.max_depth,
            "mean_depth": self.mean_depth,
            **{k: v for k, v in self.totals.to_json().items() if k != "period"},
            "history": [t.to_json() for t in self.history],
            "depth_histogram": list(self.depth_histogram),
            "frontline_histogram": [{"frontline": k, "distributors": n} for k, n in self.frontline_histogram],
            "leg_balance": [
                {"from": i / 10, "to": (i + 1) / 10, "distributors": n}
                for i, n in enumerate(self.leg_balance)
            ],
            "top": [r.to_json() for r in self.top],
            "growth": [{"month": m, "new_distributors": n} for m, n in self.growth],
        }
