"""The dashboard's reads: the same service functions as the API and the CLI, always with the
caller's scope and active threshold, turned into the DataFrames that dashboards/figures.py draws.

Nothing here reads Neo4j any other way: the service layer (graph_service/analytics/service.py,
queries.py, api/adhoc.py) is the one place figures come from.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboards.auth import Caller
from graph_service import matrix
from graph_service.analytics import service
from graph_service.analytics.model import DistributorStats, Member, NetworkStats, Page
from graph_service.analytics.privacy import shown
from graph_service.api.deps import Forbidden, plain
from graph_service.compensation import runs
from graph_service.errors import NotFound
from graph_service.matrix import MatrixPosition

CHILDREN = 8  # the explorer shows the top 8 of a frontline by GV, then an "N more" node


def periods(c: Caller) -> list[str]:
    return service.periods(c.driver, c.database)


def network(c: Caller, period: str | None, top: int = 10) -> NetworkStats:
    found = service.network_stats(
        c.driver, c.database, period, active_pv=c.active_pv, top=top, scope_id=c.scope
    )
    return shown(found, c.sees_names)


def history_frame(n: NetworkStats) -> pd.DataFrame:
    """Per period: volume, active and members at the end of the period (members without a join
    date are counted from the start)."""
    joins = pd.DataFrame(n.growth, columns=["month", "new_distributors"])
    undated = n.distributors - int(joins["new_distributors"].sum()) if len(joins) else n.distributors
    rows = []
    for t in n.history:
        joined = int(joins.loc[joins["month"] <= t.period, "new_distributors"].sum()) if len(joins) else 0
        rows.append(
            {"period": t.period, "volume": float(t.volume), "active": t.active, "members": undated + joined}
        )
    return pd.DataFrame(rows, columns=["period", "volume", "active", "members"])


def growth_frame(n: NetworkStats) -> pd.DataFrame:
    return pd.DataFrame(n.growth, columns=["month", "new_distributors"])


def depth_frame(n: NetworkStats) -> pd.DataFrame:
    return pd.DataFrame(
        {"depth": list(range(len(n.depth_histogram))), "distributors": n.depth_histogram},
        columns=["depth", "distributors"],
    )


def frontline_frame(n: NetworkStats) -> pd.DataFrame:
    return pd.DataFrame(n.frontline_histogram, columns=["frontline", "distributors"])


def top_frame(n: NetworkStats) -> pd.DataFrame:
    return pd.DataFrame([r.to_json() for r in n.top], columns=["id", "name", "gv", "pv", "downline_size"])


def balance_frame(n: NetworkStats) -> pd.DataFrame:
    return pd.DataFrame(
        [{"from": i / 10, "to": (i + 1) / 10, "distributors": k} for i, k in enumerate(n.leg_balance)],
        columns=["from", "to", "distributors"],
    )


def stats(c: Caller, distributor_id: str, period: str | None) -> DistributorStats:
    found = service.distributor_stats(
        c.driver, c.database, distributor_id, period, active_pv=c.active_pv, scope_id=c.scope
    )
    return shown(found, c.sees_names)


def legs_frame(s: DistributorStats) -> pd.DataFrame:
    return pd.DataFrame([leg.to_json() for leg in s.legs], columns=["id", "gv", "size", "share"])


def upline(c: Caller, distributor_id: str, period: str | None) -> list[Member]:
    found = service.upline(
        c.driver, c.database, distributor_id, period, active_pv=c.active_pv, scope_id=c.scope
    )
    return shown(found, c.sees_names)


def search(c: Caller, text: str, limit: int = 10) -> list[dict[str, Any]]:
    hits = service.search(c.driver, c.database, text, limit=limit, scope_id=c.scope, by_name=c.sees_names)
    return shown(hits, c.sees_names)


def children(
    c: Caller, parent: str, period: str | None, cursor: str | None = None, limit: int = CHILDREN
) -> Page:
    """A page of `parent`'s frontline by GV, or of the roots when `parent` is "" (for a scoped
    key: the scope's distributor)."""
    if parent == "":
        page = service.roots_by_gv(
            c.driver,
            c.database,
            period,
            cursor=cursor,
            limit=limit,
            active_pv=c.active_pv,
            scope_id=c.scope,
        )
    else:
        page = service.frontline_by_gv(
            c.driver,
            c.database,
            parent,
            period,
            cursor=cursor,
            limit=limit,
            active_pv=c.active_pv,
            scope_id=c.scope,
        )
    return shown(page, c.sees_names)


def _visible(c: Caller, distributor_id: str, period: str | None) -> DistributorStats | None:
    """A member's figures, or None when the key's scope hides them (NotFound, as for nobody)."""
    try:
        return stats(c, distributor_id, period)
    except NotFound:
        return None


def placement_children(
    c: Caller, distributor_id: str, period: str | None
) -> list[tuple[str, DistributorStats]]:
    """The members placed directly under a distributor in the binary placement tree, left then
    right ("L", "R"), read with service.placement (the API's GET .../placement, the key's scope
    checked on the distributor); a child outside the key's scope is left out like a free slot."""
    doc = service.placement(c.driver, c.database, distributor_id, period, scope_id=c.scope)
    out = []
    for side, key in (("L", "left"), ("R", "right")):
        child = doc[key]["id"]
        found = _visible(c, child, period) if child is not None else None
        if found is not None:
            out.append((side, found))
    return out


def matrix_children(
    c: Caller, distributor_id: str, period: str | None
) -> tuple[MatrixPosition, list[DistributorStats]]:
    """A distributor's matrix position (matrix.matrix_position, as GET .../matrix answers it for
    the key: children outside its scope left out) and the figures of its children in placement
    order. MatrixNotPlaced when the database has no matrix placement yet."""
    pos = matrix.matrix_position(c.driver, c.database, distributor_id, scope_id=c.scope)
    kids = [s for s in (_visible(c, child, period) for child in pos.children) if s is not None]
    return pos, kids


def window(c: Caller, distributor_id: str, period: str | None, max_depth: int) -> pd.DataFrame:
    frame = service.downline_window(
        c.driver,
        c.database,
        distributor_id,
        period,
        max_depth=max_depth,
        per_node=8,
        active_pv=c.active_pv,
        scope_id=c.scope,
    )
    return shown(frame, c.sees_names)


# -- the workbench ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


def _cell(value: Any) -> Any:
    """A grid cell: JSON-safe, nested values (nodes, maps, lists) shown as JSON text."""
    value = plain(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def named(c: Caller, name: str, params: dict[str, Any]) -> Table:
    from graph_service.analytics import queries

    frame = queries.run_named(c.driver, c.database, name, params, scope_id=c.scope, active_pv=c.active_pv)
    return Table(
        [str(col) for col in frame.columns],
        [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)],
    )


def cypher(c: Caller, text: str) -> Table:
    """Ad hoc read-only Cypher with the API's checks and limits (api/adhoc.py)."""
    from graph_service.api import adhoc
    from graph_service.api.deps import Forbidden

    if not c.may_run_cypher():
        raise Forbidden("ad hoc Cypher needs an analyst or admin key without a scope")
    result = adhoc.run_adhoc(
        c.driver,
        c.database,
        text,
        {},
        timeout_s=c.settings.cypher_timeout_s,
        max_rows=c.settings.cypher_max_rows,
    )
    return Table(list(result.columns), [[_cell(v) for v in row] for row in result.rows], result.truncated)


class Results:
    """Results of workbench runs kept a few minutes per worker, so the grid pages through them and
    the CSV download takes them without running the query again. Keyed by the key's id and what
    ran: one key never sees another's results. A worker that does not hold a result (several
    workers, or it expired) runs the query again, counted as an expensive request."""

    def __init__(self, ttl_s: float = 300.0, most: int = 32) -> None:
        self.ttl_s, self.most = ttl_s, most
        self._kept: dict[str, tuple[float, Table]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def token(c: Caller, what: dict[str, Any]) -> str:
        return json.dumps([c.key.id, what], sort_keys=True, default=str)

    def put(self, c: Caller, what: dict[str, Any], table: Table) -> None:
        with self._lock:
            now = time.monotonic()
            self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            while len(self._kept) >= self.most:
                self._kept.pop(next(iter(self._kept)))
            self._kept[self.token(c, what)] = (now + self.ttl_s, table)

    def get(self, c: Caller, what: dict[str, Any]) -> Table:
        with self._lock:
            found = self._kept.get(self.token(c, what))
        if found is not None and found[0] > time.monotonic():
            return found[1]
        c.expensive()
        table = run(c, what)
        self.put(c, what, table)
        return table


def run(c: Caller, what: dict[str, Any]) -> Table:
    """What `what` names: {"kind": "named", "name", "params"} or {"kind": "cypher", "text"}."""
    if what.get("kind") == "cypher":
        return cypher(c, str(what.get("text", "")))
    return named(c, str(what.get("name", "")), dict(what.get("params") or {}))


RESULTS = Results()


# -- commission runs and flows (company-wide figures: keys without a scope only) ----------------

COMPANY_WIDE = (
    "Company-wide figures need an unscoped key: this key is limited to the organisation of {scope}."
)


def company_wide(c: Caller) -> None:
    """The API's rule for runs, flows and what-ifs (403 there): no scope."""
    if c.scope is not None:
        raise Forbidden(COMPANY_WIDE.format(scope=c.scope))


def commission_runs(c: Caller) -> list[runs.RunSummary]:
    """Every complete run, newest first."""
    company_wide(c)
    return runs.list_runs(c.driver, c.database)


def run_choices(c: Caller) -> list[dict[str, str]]:
    """Runs to pick from, newest first: id, period and plan name only, no company-wide figure.
    The health page offers them to scoped keys too: the health figures of a run are then computed
    over the key's own organisation (as GET /v1/network/health?run= does)."""
    return [
        {"run_id": r.run_id, "period": r.period, "plan": r.plan} for r in runs.list_runs(c.driver, c.database)
    ]


RATIO_COLUMNS = ["run_id", "period", "plan", "payout_ratio", "total", "volume", "created_at"]


def ratio_frame(found: list[runs.RunSummary]) -> pd.DataFrame:
    """One row per run, by period then creation time."""
    rows = [
        {
            "run_id": r.run_id,
            "period": r.period,
            "plan": r.plan,
            "payout_ratio": r.payout_ratio,
            "total": float(r.total),
            "volume": float(r.volume),
            "created_at": r.created_at or "",
        }
        for r in found
    ]
    frame = pd.DataFrame(rows, columns=RATIO_COLUMNS)
    return frame.sort_values(["period", "created_at", "run_id"], kind="stable", ignore_index=True)


def flows(c: Caller, run_id: str) -> dict[str, Any]:
    """A run's stored flows (compensation/flows.py): one node read."""
    company_wide(c)
    return runs.run_flows(c.driver, c.database, run_id)


def components_frame(doc: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"component": k, "amount": float(v)} for k, v in doc.get("by_component", {}).items()],
        columns=["component", "amount"],
    )


def levels_frame(doc: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(doc.get("by_level", []), columns=["component", "level", "amount", "lines"])


def ranks_frame(doc: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(doc.get("by_rank", []), columns=["rank", "holders", "earners", "total", "rank_bonus"])


def top_legs_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """Top-level legs by money paid from them; the "other legs" row says how many it sums."""
    frame = pd.DataFrame(doc.get("legs", []), columns=["leg", "legs", "volume", "paid_from", "earned_in"])
    frame["legs"] = frame["legs"].fillna(1).astype(int)
    return frame


SANKEY_COLUMNS = ["stage", "from", "to", "amount"]


def sankey_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """The run's Sankey edges with their stage: 0 for leg -> rank, 1 for rank -> component (a rank
    may carry any name, so the stage comes from the legs the flows list, not from the labels)."""
    legs = {flows_leg_label(str(row["leg"])) for row in doc.get("legs", [])}
    rows = [
        {"stage": 0 if str(e["from"]) in legs else 1, "from": e["from"], "to": e["to"], "amount": e["amount"]}
        for e in doc.get("sankey", [])
    ]
    return pd.DataFrame(rows, columns=SANKEY_COLUMNS)


def flows_leg_label(leg: str) -> str:
    """A top-level leg as the Sankey names it (compensation/flows.py: "leg ID", or "other legs")."""
    from graph_service.compensation.flows import OTHER_LEGS

    return leg if leg == OTHER_LEGS else f"leg {leg}"


def whatif(c: Caller, run_a: str, run_b: str, top: int = 10) -> dict[str, Any]:
    """Run A's period under run A's plan and run B's plan, recomputed from one read of the data
    (compensation/whatif.py; nothing stored). The API's rules for POST /v1/commissions/whatif:
    an analyst or admin key without a scope, counted as an expensive request."""
    from graph_service.compensation.whatif import compare

    c.require("analyst")
    company_wide(c)
    c.expensive()
    summary_a, plan_a = runs.run_plan(c.driver, c.database, run_a)
    summary_b, plan_b = runs.run_plan(c.driver, c.database, run_b)
    doc = compare(c.driver, c.database, plan_a, plan_b, summary_a.period, top=top).doc
    doc["a"]["run_id"], doc["b"]["run_id"] = summary_a.run_id, summary_b.run_id
    doc["b"]["run_period"] = summary_b.period
    return doc


WHATIF_TOTAL_COLUMNS = ["figure", "a", "b", "difference"]


def whatif_totals_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """Plan A and plan B side by side: total, payout ratio, each component, earners."""
    a, b = doc["a"], doc["b"]
    rows: list[dict[str, Any]] = [
        {"figure": "total paid", "a": a["total"], "b": b["total"], "difference": b["total"] - a["total"]},
        {
            "figure": "payout ratio",
            "a": a["payout_ratio"],
            "b": b["payout_ratio"],
            "difference": b["payout_ratio"] - a["payout_ratio"],
        },
    ]
    for name, amount in a["by_component"].items():
        other = b["by_component"].get(name, 0.0)
        if amount or other:
            rows.append({"figure": name, "a": amount, "b": other, "difference": other - amount})
    rows.append(
        {"figure": "earners", "a": a["earners"], "b": b["earners"], "difference": b["earners"] - a["earners"]}
    )
    return pd.DataFrame(rows, columns=WHATIF_TOTAL_COLUMNS)


PEOPLE_COLUMNS = ["id", "a", "b", "delta", "rank_a", "rank_b", "side"]


def whatif_people_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """The biggest winners then the biggest losers (side "winner" or "loser")."""
    rows = [{**p, "side": "winner"} for p in doc.get("winners", [])]
    rows += [{**p, "side": "loser"} for p in doc.get("losers", [])]
    return pd.DataFrame(rows, columns=PEOPLE_COLUMNS)


# -- network health ------------------------------------------------------------------------------


class Kept:
    """Health reports and disclosure statements kept per worker, so moving between pages and
    pickers does not compute them again (at a million members, one with a run reads every earner
    of the run). Keyed by everything they depend on, the published data included for health (its
    generation and rollup time; a run never changes): an import makes new keys, and old entries
    fall out, the oldest first."""

    def __init__(self, most: int = 16) -> None:
        self.most = most
        self._kept: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._kept.get(key)

    def put(self, key: tuple[Any, ...], doc: Any) -> None:
        with self._lock:
            while len(self._kept) >= self.most:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = doc


HEALTH = Kept()


def health(c: Caller, period: str | None, run_id: str | None) -> dict[str, Any]:
    """The health figures as the API answers them (analytics/health.py, `to_json()`): over the
    key's organisation for a scoped key; with a run, the run's period."""
    from graph_service.analytics import health as health_service

    pub = service.published(c.driver, c.database)
    period = None if run_id else period
    key = (c.database, pub.gen, pub.slot, str(pub.built), period, run_id, c.scope, str(c.active_pv))
    found: dict[str, Any] | None = HEALTH.get(key)
    if found is not None:
        return found
    report = health_service.period_health(
        c.driver, c.database, period, run_id or None, c.scope, active_pv=c.active_pv
    )
    doc: dict[str, Any] = report.to_json()
    HEALTH.put(key, doc)
    return doc


def retail_trend_frame(doc: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        doc.get("retail_trend", []),
        columns=["period", "volume", "retail_volume", "retail_share", "self_share"],
    )


def percentiles_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """Earnings percentiles of a run (empty without one): percentile (10 ... 99), amount."""
    found = doc.get("earnings_percentiles") or {}
    rows = [{"percentile": int(k.lstrip("p")), "amount": float(v)} for k, v in found.items()]
    return pd.DataFrame(rows, columns=["percentile", "amount"]).sort_values("percentile", ignore_index=True)


def cohorts_frame(doc: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        doc.get("cohorts", []), columns=["cohort", "members", "after_1", "after_3", "after_6", "after_12"]
    )


def disclosure(c: Caller, run_id: str) -> Any:
    """A run's income disclosure statement (analytics/health.py): company-wide, unscoped keys only."""
    from graph_service.analytics import health as health_service

    company_wide(c)
    key = ("disclosure", c.database, run_id)
    found = HEALTH.get(key)
    if found is None:
        found = health_service.disclosure(c.driver, c.database, run_id)
        HEALTH.put(key, found)
    return found
