"""Plan what-if: one period under two plans over the same data read once; nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from neo4j import Driver

from graph_service.analytics.model import check_period
from graph_service.compensation import flows, runs
from graph_service.compensation.engine import IntArray
from graph_service.compensation.loader import load_network
from graph_service.compensation.plan import LoadedPlan


@dataclass(frozen=True, eq=False)
class WhatIf:
    doc: dict[str, Any]  # totals per plan, the difference, winners and losers (flows.whatif)
    ids: list[str]
    a: IntArray  # every distributor's total under A, cents
    b: IntArray

    def rows(self) -> Iterator[list[Any]]:
        """id, total under A, under B, change: everyone, money as text with two decimals."""
        for k, i in enumerate(self.ids):
            a, b = int(self.a[k]), int(self.b[k])
            yield [i, *(str(Decimal(v).scaleb(-2)) for v in (a, b, b - a))]


def compare(
    driver: Driver, database: str, a: LoadedPlan, b: LoadedPlan, period: str, *, top: int = 10
) -> WhatIf:
    check_period(period)
    loaded = load_network(driver, database, period)
    _, run_a = runs.compute(driver, database, a, period, loaded)
    _, run_b = runs.compute(driver, database, b, period, loaded)
    doc = flows.whatif(loaded.network, [(a.plan.name, run_a), (b.plan.name, run_b)], top=top)
    doc["a"]["plan_sha256"], doc["b"]["plan_sha256"] = a.sha256, b.sha256
    return WhatIf(doc, loaded.network.ids, run_a.total, run_b.total)
