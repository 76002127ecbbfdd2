"""A rank report card: for one distributor and period, each rank of a plan with its requirements,
the distributor's current value of each and what is missing (contract section 5, *Ranks*).

Values come from the live rollup (one query: the distributor's PV and each frontline member's PV
and GV), so a card shows the data as it is now; for a stored run, `data_changed` says whether
imports have changed the data since the run read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from neo4j import Driver

from graph_service.analytics import service
from graph_service.analytics.model import check_period
from graph_service.compensation.plan import Plan
from graph_service.db.queries import cypher
from graph_service.errors import NotFound
from graph_service.fixedpoint import SCALE


@dataclass(frozen=True)
class Requirement:
    name: str  # "pv", "qualifying_gv" or "active_frontline"
    required: Decimal
    value: Decimal
    missing: Decimal  # 0 when met

    @property
    def met(self) -> bool:
        return self.missing == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "required": float(self.required),
            "value": float(self.value),
            "missing": float(self.missing),
            "met": self.met,
        }


@dataclass(frozen=True)
class RankLine:
    rank: str
    bonus: Decimal
    requirements: list[Requirement]
    capped_legs: list[tuple[str, Decimal, Decimal]]  # (leg id, leg GV, counted) for legs over the cap

    @property
    def met(self) -> bool:
        return all(r.met for r in self.requirements)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "met": self.met,
            "bonus": float(self.bonus),
            "requirements": [r.to_json() for r in self.requirements],
            "capped_legs": [{"id": i, "gv": float(gv), "counted": float(c)} for i, gv, c in self.capped_legs],
        }


@dataclass(frozen=True)
class RankCard:
    id: str
    period: str
    plan: str
    rank: str | None  # the highest rank held
    next_rank: str | None  # the lowest rank above it not yet met
    ranks: list[RankLine]
    data_changed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "period": self.period,
            "plan": self.plan,
            "rank": self.rank,
            "next_rank": self.next_rank,
            "data_changed": self.data_changed,
            "ranks": [r.to_json() for r in self.ranks],
        }


def _gap(required: Decimal, value: Decimal) -> Decimal:
    return max(Decimal(0), required - value)


def rank_card(
    driver: Driver,
    database: str,
    distributor_id: str,
    plan: Plan,
    period: str,
    *,
    scope_id: str | None = None,
    data_gen: int | None = None,
) -> RankCard:
    check_period(period)
    service.check_scope(driver, database, distributor_id, scope_id)
    records, _, _ = driver.execute_query(
        cypher("commissions/card"), id=distributor_id, period=period, database_=database, routing_="r"
    )
    if not records:
        raise NotFound(f"no distributor with id {distributor_id!r}")
    row = records[0]
    pv = Decimal(int(row["pv"])) / SCALE
    legs = [(str(i), Decimal(int(p)) / SCALE, Decimal(int(g)) / SCALE) for i, p, g in row["frontline"]]
    active_frontline = Decimal(sum(1 for _, p, _ in legs if p >= plan.active_pv))
    lines: list[RankLine] = []
    for rank in plan.ranks:
        cap = rank.max_leg_share * rank.gv
        counted = [(i, gv, min(gv, cap)) for i, _, gv in legs]
        qualifying = pv + sum((c for _, _, c in counted), Decimal(0))
        lines.append(
            RankLine(
                rank=rank.name,
                bonus=rank.bonus,
                requirements=[
                    Requirement("pv", rank.pv, pv, _gap(rank.pv, pv)),
                    Requirement("qualifying_gv", rank.gv, qualifying, _gap(rank.gv, qualifying)),
                    Requirement(
                        "active_frontline",
                        Decimal(rank.active_frontline),
                        active_frontline,
                        _gap(Decimal(rank.active_frontline), active_frontline),
                    ),
                ],
                capped_legs=sorted((leg for leg in counted if leg[2] < leg[1]), key=lambda x: (-x[1], x[0])),
            )
        )
    held = [k for k, line in enumerate(lines) if line.met]
    top = held[-1] if held else -1
    return RankCard(
        id=distributor_id,
        period=period,
        plan=plan.name,
        rank=lines[top].rank if top >= 0 else None,
        next_rank=next((line.rank for line in lines[top + 1 :] if not line.met), None),
        ranks=lines,
        data_changed=data_gen is not None and int(row["gen"]) != data_gen,
    )
