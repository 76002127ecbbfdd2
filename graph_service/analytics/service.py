"""The analytics service: typed functions behind the CLI, the API and the dashboard alike.

Every function reads what is published (generation and rollup slot of `Publication`), so a reader
never sees half an import. Figures come from the rollups (cypher/rollup/); `live=True` computes
a distributor's figures on the fly from the raw graph instead (cypher/analytics/stats_live.cypher),
which the tests use to prove both agree and which is used when no rollup fits the question (a
database from before rollups, or an active threshold other than the rollup's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from neo4j import Driver

from graph_service.analytics import rollup
from graph_service.analytics.model import (
    DistributorStats,
    Leg,
    Member,
    NetworkStats,
    Page,
    PeriodTotals,
    Ranked,
    check_period,
)
from graph_service.db.queries import cypher
from graph_service.errors import BadRequest, NotFound
from graph_service.fixedpoint import SCALE, to_decimal

DEFAULT_ACTIVE_PV = Decimal(100)
MAX_PAGE = 1_000


@dataclass(frozen=True)
class Published:
    """What readers see: the generation, the live rollup slot, its periods and figures."""

    gen: int
    slot: int | None
    periods: list[str]
    active: int | None  # the rollup's active threshold (ten-thousandths)
    stats: dict[str, Any]
    built: str | None = None  # when the live rollup was built

    @property
    def keys(self) -> dict[str, str]:
        return rollup.keys(self.slot if self.slot is not None else 0)

    def index(self, period: str) -> int:
        try:
            return self.periods.index(period)
        except ValueError:
            return -1

    def latest(self) -> str:
        """The latest period with orders, else the current month."""
        return self.periods[-1] if self.periods else datetime.now(UTC).strftime("%Y-%m")


def published(driver: Driver, database: str, *, with_stats: bool = False) -> Published:
    row = rollup.current(driver, database, with_stats=with_stats)
    stats = json.loads(row["stats"]) if row.get("stats") else {}
    return Published(
        gen=int(row["gen"] or 0),
        slot=row.get("slot"),
        periods=list(row.get("periods") or []),
        active=row.get("active"),
        stats=stats,
        built=row.get("rolled_at"),
    )


def _scaled(value: Decimal | None) -> int:
    threshold = DEFAULT_ACTIVE_PV if value is None else Decimal(value)
    return int(threshold * SCALE)


def _period(pub: Published, period: str | None) -> str:
    return pub.latest() if period is None else check_period(period)


def _read(driver: Driver, database: str, name: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(cypher(name), params, database_=database, routing_="r")
    return [r.data() for r in records]


def _share(part: int, whole: int) -> float:
    return float(Fraction(part, whole)) if whole else 0.0


def _legs(rows: list[tuple[str, int, int]]) -> list[Leg]:
    """Legs by volume, largest first, ties by id; share of the sum of leg volumes."""
    total = sum(gv for _, gv, _ in rows)
    ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
    return [Leg(id=i, gv=to_decimal(gv), size=size, share=_share(gv, total)) for i, gv, size in ordered]


def latest_period(driver: Driver, database: str) -> str | None:
    pub = published(driver, database)
    return pub.periods[-1] if pub.periods else None


def periods(driver: Driver, database: str) -> list[str]:
    return published(driver, database).periods


def distributor_stats(
    driver: Driver,
    database: str,
    distributor_id: str,
    period: str | None = None,
    *,
    active_pv: Decimal | None = None,
    live: bool = False,
    scope_id: str | None = None,
) -> DistributorStats:
    """The figures of contract section 4 for one distributor and period (default: the latest
    period with orders). NotFound for an unknown id (or one outside `scope_id`'s downline),
    BadRequest for a malformed period."""
    if period is not None:
        check_period(period)
    check_scope(driver, database, distributor_id, scope_id)
    active = _scaled(active_pv)
    if not live:  # the fast path: one round trip
        rows = _read(driver, database, "analytics/stats", id=distributor_id, period=period)
        if not rows:
            raise NotFound(f"no distributor with id {distributor_id!r}")
        if rows[0]["slot"] is not None and rows[0]["rollup_active"] == active:
            return _stats_rolled_up(rows[0], active)
    pub = published(driver, database)
    return _stats_live(driver, database, pub, distributor_id, _period(pub, period), active)


def _stats_rolled_up(r: dict[str, Any], active: int) -> DistributorStats:
    size = int(r["size"])
    legs = _legs([(leg[0], int(leg[1]), int(leg[2])) for leg in r["legs"]])
    act = r["act"] if r["act"] is not None else (size if active <= 0 else 0)
    return DistributorStats(
        id=r["id"],
        period=r["period"] or datetime.now(UTC).strftime("%Y-%m"),
        pv=to_decimal(r["pv"]),
        gv=to_decimal(r["gv"]),
        frontline=len(legs),
        downline_size=size,
        active_downline=int(act),
        max_depth=int(r["height"]),
        mean_depth=float(Fraction(int(r["dsum"]), size)) if size else 0.0,
        levels=[int(n) for n in r["levels"]],
        legs=legs,
        strongest_leg_share=legs[0].share if legs else 0.0,
        name=r["name"],
        sponsor_id=r["sponsor_id"],
        depth=int(r["depth"]),
        active=int(r["pv"]) >= active,
    )


def _stats_live(
    driver: Driver, database: str, pub: Published, distributor_id: str, period: str, active: int
) -> DistributorStats:
    rows = _read(
        driver, database, "analytics/stats_live", id=distributor_id, gen=pub.gen, period=period, active=active
    )
    if not rows:
        raise NotFound(f"no distributor with id {distributor_id!r}")
    r = rows[0]
    groups = pd.DataFrame(r["groups"], columns=["leg", "level", "members", "volume", "active"])
    levels = groups.groupby("level")["members"].sum().sort_index()
    by_leg = groups.groupby("leg").agg(volume=("volume", "sum"), members=("members", "sum"))
    size = int(groups["members"].sum())
    legs = _legs([(str(leg), int(v), int(n)) for leg, v, n in by_leg.itertuples()])
    pv = int(r["pv"])
    return DistributorStats(
        id=r["id"],
        period=period,
        pv=to_decimal(pv),
        gv=to_decimal(pv + int(groups["volume"].sum())),
        frontline=len(legs),
        downline_size=size,
        active_downline=int(groups["active"].sum()),
        max_depth=int(levels.index.max()) if size else 0,
        mean_depth=float(Fraction(int((groups["level"] * groups["members"]).sum()), size)) if size else 0.0,
        levels=[int(levels.get(k, 0)) for k in range(1, int(levels.index.max()) + 1)] if size else [],
        legs=legs,
        strongest_leg_share=legs[0].share if legs else 0.0,
        name=r["name"],
        sponsor_id=r["sponsor_id"],
        depth=int(r["depth"]),
        active=pv >= active,
    )


def placement(
    driver: Driver,
    database: str,
    distributor_id: str,
    period: str | None = None,
    *,
    scope_id: str | None = None,
) -> dict[str, Any]:
    """Where a distributor sits in the binary placement tree, and the left and right volumes of
    the period (contract section 2), walked from the placement links."""
    pub = published(driver, database)
    p = _period(pub, period)
    check_scope(driver, database, distributor_id, scope_id, pub)
    rows = _read(driver, database, "analytics/placement", id=distributor_id, period=p)
    if not rows:
        raise NotFound(f"no distributor with id {distributor_id!r}")
    sides = {
        r["side"]: {
            "id": r["child"],
            "volume": float(to_decimal(int(r["volume"]))),
            "members": int(r["members"]),
        }
        for r in rows
    }
    return {
        "id": distributor_id,
        "period": p,
        "parent": rows[0]["parent"],
        "side": rows[0]["side_of_parent"],
        "left": sides["L"],
        "right": sides["R"],
    }


def _require_rollup(pub: Published) -> None:
    if pub.slot is None and pub.gen > 0:
        raise NotFound("the network has not been rolled up yet: run `downline rollup`")


@dataclass(frozen=True)
class Scope:
    """A distributor and their downline: the members numbered [lo, hi] in the live slot."""

    id: str
    lo: int
    hi: int
    depth: int


def scope_of(
    driver: Driver,
    database: str,
    scope_id: str | None,
    pub: Published | None = None,
    *,
    target: str | None = None,
) -> Scope | None:
    """The range of a scoped key's distributor (None for an unscoped key), in one query; with a
    `target`, NotFound (exactly as for an unknown id) when it lies outside that range."""
    if scope_id is None:
        return None
    pub = pub or published(driver, database)
    _require_rollup(pub)
    ask = scope_id if target is None else target
    rows = _read(driver, database, "analytics/scope", scope=scope_id, id=ask, gen=pub.gen, k=pub.keys)
    if not rows or rows[0]["lo"] is None:
        raise NotFound(f"the key's scope {scope_id!r} no longer exists")
    if not rows[0]["inside"]:
        raise NotFound(f"no distributor with id {ask!r}")
    return Scope(scope_id, int(rows[0]["lo"]), int(rows[0]["hi"]), int(rows[0]["depth"]))


def check_scope(
    driver: Driver, database: str, distributor_id: str, scope_id: str | None, pub: Published | None = None
) -> None:
    """NotFound, exactly as for an unknown id, when `distributor_id` lies outside the scope."""
    scope_of(driver, database, scope_id, pub, target=distributor_id)


def search(
    driver: Driver,
    database: str,
    q: str,
    *,
    limit: int = 20,
    scope_id: str | None = None,
    by_name: bool = True,
) -> list[dict[str, Any]]:
    """Distributors whose id or (`by_name`) name starts with `q` (largest downlines first), within
    the scope."""
    if not q or len(q) > 64:
        raise BadRequest("the search text must be 1 to 64 characters")
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
    pub = published(driver, database)
    scope = scope_of(driver, database, scope_id, pub)
    rows = _read(
        driver,
        database,
        "analytics/search",
        q=q,
        q_title=q[:1].upper() + q[1:],
        by_name=by_name,
        gen=pub.gen,
        k=pub.keys,
        lo=None if scope is None else scope.lo,
        hi=None if scope is None else scope.hi,
        limit=limit,
    )
    return [
        {"id": r["id"], "name": r["name"], "sponsor_id": r["sponsor_id"], "depth": r["depth"],
         "downline_size": int(r["size"] or 0)}
        for r in rows
    ]  # fmt: skip


def _member(row: dict[str, Any], level: int, active: int) -> Member:
    return Member(
        id=row["id"],
        name=row["name"],
        sponsor_id=row["sponsor_id"],
        level=level,
        depth=int(row["depth"]),
        pv=to_decimal(row["pv"] or 0),
        gv=to_decimal(row["gv"] or 0),
        downline_size=int(row["size"] or 0),
        active=int(row["pv"] or 0) >= active,
        joined_on=row["joined_on"],
        country=row["country"],
    )


def upline(
    driver: Driver,
    database: str,
    distributor_id: str,
    period: str | None = None,
    *,
    active_pv: Decimal | None = None,
    scope_id: str | None = None,
) -> list[Member]:
    """The sponsors from `distributor_id`'s sponsor up to the root, nearest first (with a scope:
    up to the scope's distributor, nobody above)."""
    pub = published(driver, database)
    _require_rollup(pub)
    p = _period(pub, period)
    scope = scope_of(driver, database, scope_id, pub, target=distributor_id)
    active = _scaled(active_pv)
    rows = _read(
        driver, database, "analytics/upline", id=distributor_id, gen=pub.gen, k=pub.keys, i=pub.index(p)
    )
    if not rows:
        raise NotFound(f"no distributor with id {distributor_id!r}")
    top = -1 if scope is None else scope.depth
    return [
        _member(r, int(r["level"]), active) for r in rows if r["level"] is not None and int(r["depth"]) >= top
    ]


def _cursor(pub: Published, pre: int) -> str:
    return f"{pub.gen}.{pub.slot}.{pre}"


def _from_cursor(pub: Published, cursor: str) -> int:
    try:
        gen, slot, pre = (int(x) for x in cursor.split("."))
    except ValueError:
        raise BadRequest(f"cursor {cursor!r} is not one this service handed out") from None
    if (gen, slot) != (pub.gen, pub.slot):
        raise BadRequest("the network changed since this listing began (a new import): start again")
    return pre


def downline(
    driver: Driver,
    database: str,
    distributor_id: str,
    *,
    period: str | None = None,
    level: int | None = None,
    active: bool | None = None,
    search: str | None = None,
    by_name: bool = True,
    cursor: str | None = None,
    limit: int = 100,
    active_pv: Decimal | None = None,
    scope_id: str | None = None,
) -> Page:
    """A page of `distributor_id`'s downline in depth-first tree order (each member right after
    the members of earlier branches; siblings by id). `level` keeps one level (1 = frontline),
    `active` only the members active (True) or inactive (False) in the period, `search` members
    whose id or (`by_name`) name starts with it (case-insensitive). Page on with `next_cursor`."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
    if level is not None and level < 1:
        raise BadRequest("level must be 1 (the frontline) or more")
    pub = published(driver, database)
    _require_rollup(pub)
    p = _period(pub, period)
    threshold = _scaled(active_pv)
    i = pub.index(p)
    check_scope(driver, database, distributor_id, scope_id, pub)
    frame = _read(driver, database, "analytics/member", id=distributor_id, gen=pub.gen, k=pub.keys, i=i)
    if not frame:
        raise NotFound(f"no distributor with id {distributor_id!r}")
    me = frame[0]
    lo0, hi = int(me["pre"]), int(me["pre"]) + int(me["size"])
    lo = lo0 if cursor is None else _from_cursor(pub, cursor)
    if not lo0 <= lo <= hi:
        raise BadRequest(f"cursor {cursor!r} does not belong to this listing")
    params: dict[str, Any] = {
        "slot": pub.slot,
        "gen": pub.gen,
        "k": pub.keys,
        "i": i,
        "hi": hi,
        "depth": None if level is None else int(me["depth"]) + level,
        "active_only": active,
        "active": threshold,
        "search": search.lower() if search else None,
        "by_name": by_name,
    }
    rows = _read(driver, database, "analytics/downline", lo=lo, limit=limit + 1, **params)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_member(r, int(r["depth"]) - int(me["depth"]), threshold) for r in rows]
    next_cursor = _cursor(pub, int(rows[-1]["pre"])) if more else None
    return Page(items=items, next_cursor=next_cursor, total=_total(driver, database, pub, me, params, lo0))


def _total(
    driver: Driver, database: str, pub: Published, me: dict[str, Any], params: dict[str, Any], lo: int
) -> int:
    """Members matching the filters: from the rollup when it knows, else counted."""
    size = int(me["size"])
    levels = [int(n) for n in me["levels"]]
    fits = pub.active == params["active"] and me["act"] is not None
    if params["search"] is None:
        if params["depth"] is None and params["active_only"] is None:
            return size
        if params["active_only"] is None:
            k = params["depth"] - int(me["depth"])
            return levels[k - 1] if k <= len(levels) else 0
        if params["depth"] is None and fits:
            act = int(me["act"])
            return act if params["active_only"] else size - act
    rows = _read(driver, database, "analytics/downline_count", lo=lo, **params)
    return int(rows[0]["total"])


def network_stats(
    driver: Driver,
    database: str,
    period: str | None = None,
    *,
    active_pv: Decimal | None = None,
    top: int = 10,
    scope_id: str | None = None,
) -> NetworkStats:
    """Network-wide figures for a period (default: the latest with orders) and the forest's
    structure, from the live rollup. With a scope: the same figures over the scope's distributor
    and their downline only (depths counted from that distributor)."""
    if not 0 <= top <= rollup.TOP_KEPT:
        raise BadRequest(f"top must be between 0 and {rollup.TOP_KEPT}")
    pub = published(driver, database, with_stats=scope_id is None)
    _require_rollup(pub)
    p = _period(pub, period)
    threshold = _scaled(active_pv)
    scope = scope_of(driver, database, scope_id, pub)
    if scope is not None:
        return _scoped_network(driver, database, pub, scope, p, threshold, top)
    s = pub.stats
    distributors = int(s.get("distributors", 0))
    growth = _growth(driver, database, pub)
    joined = dict(growth)

    def totals(period_: str) -> PeriodTotals:
        f = s.get("periods", {}).get(period_, {})
        volume, retail = int(f.get("volume", 0)), int(f.get("retail_volume", 0))
        if pub.active == threshold and period_ in pub.periods:
            active = int(f.get("active", 0))
        else:
            rows = _read(
                driver, database, "analytics/active_count", gen=pub.gen, period=period_, active=threshold
            )
            active = int(rows[0]["active"])
        return PeriodTotals(
            period=period_,
            volume=to_decimal(volume),
            retail_volume=to_decimal(retail),
            retail_share=_share(retail, volume),
            orders=int(f.get("orders", 0)),
            active=active,
            new_distributors=joined.get(period_, 0),
        )

    if p in pub.periods:
        ranked = s.get("periods", {}).get(p, {}).get("top", [])[:top]
    else:  # a period without orders: everyone's GV is 0, so the first by id
        rows = _read(
            driver,
            database,
            "rollup/top",
            gen=pub.gen,
            i=-1,
            top=max(top, 1),
            most=rollup.TOP_MOST,
            k=pub.keys,
        )
        ranked = sorted(([r["id"], 0, 0, r["size"]] for r in rows), key=lambda r: r[0])[:top]
    names = {
        r["id"]: r["name"]
        for r in _read(driver, database, "analytics/names", ids=[r[0] for r in ranked], gen=pub.gen)
    }
    return NetworkStats(
        period=p,
        active_pv=Decimal(threshold) / SCALE,
        distributors=distributors,
        roots=int(s.get("roots", 0)),
        max_depth=max(len(s.get("depth_histogram", [])) - 1, 0),
        mean_depth=_share(int(s.get("depth_sum", 0)), distributors),
        totals=totals(p),
        history=[totals(q) for q in pub.periods],
        depth_histogram=[int(n) for n in s.get("depth_histogram", [])],
        frontline_histogram=[(int(k), int(n)) for k, n in s.get("frontline_histogram", [])],
        leg_balance=[int(n) for n in s.get("periods", {}).get(p, {}).get("leg_balance", [0] * 10)],
        top=[
            Ranked(id=i, name=names.get(i), gv=to_decimal(gv), pv=to_decimal(pv), downline_size=int(size))
            for i, gv, pv, size in ranked
        ],
        growth=growth,
    )


_GROWTH: dict[tuple[str, int, str | None], list[tuple[str, int]]] = {}


def _growth(driver: Driver, database: str, pub: Published) -> list[tuple[str, int]]:
    """Joins per month: counted by the rollup (its network figures); for a rollup built before
    it did, a scan of every distributor, kept per published rollup (join dates only change with
    an import, and every import builds a new rollup)."""
    if "growth" in pub.stats:
        return [(str(m), int(n)) for m, n in pub.stats["growth"]]
    key = (database, pub.gen, pub.built)
    if key not in _GROWTH or pub.built is None:
        rows = _read(driver, database, "analytics/growth", gen=pub.gen)
        if len(_GROWTH) > 16:
            _GROWTH.clear()
        _GROWTH[key] = [(r["month"], int(r["distributors"])) for r in rows]
    return _GROWTH[key]


def _scoped_network(
    driver: Driver, database: str, pub: Published, scope: Scope, period: str, threshold: int, top: int
) -> NetworkStats:
    """Network statistics over one distributor's organisation: its members' rolled-up figures
    (one range seek) aggregated here, and their orders' totals per period."""
    rows = _read(
        driver, database, "analytics/scope_members", slot=pub.slot, gen=pub.gen, lo=scope.lo, hi=scope.hi,
        k=pub.keys,
    )  # fmt: skip
    members = pd.DataFrame(rows, columns=["id", "depth", "joined", "frontline", "size", "pv", "gv", "maxleg"])
    n = len(members)
    rel = (members["depth"] - scope.depth).to_numpy(dtype="int64")
    depth_hist = [int(c) for c in np.bincount(rel)] if n else []
    frontline = members["frontline"].value_counts().sort_index()
    joins = members["joined"].dropna().value_counts().sort_index()
    growth = [(str(m), int(c)) for m, c in joins.items()]
    orders: dict[str, dict[str, int]] = {}
    ids = members["id"].tolist()
    for start in range(0, n, 10_000):
        for r in _read(
            driver, database, "analytics/scope_orders", ids=ids[start : start + 10_000], gen=pub.gen
        ):
            acc = orders.setdefault(r["period"], {"volume": 0, "retail_volume": 0, "orders": 0})
            for key in acc:
                acc[key] += int(r[key])

    def column(name: str, i: int) -> list[int]:
        return [int(v[i]) for v in members[name]] if i >= 0 else [0] * n

    def totals(period_: str) -> PeriodTotals:
        i = pub.index(period_)
        pv = column("pv", i)
        f = orders.get(period_, {"volume": 0, "retail_volume": 0, "orders": 0})
        return PeriodTotals(
            period=period_,
            volume=to_decimal(f["volume"]),
            retail_volume=to_decimal(f["retail_volume"]),
            retail_share=_share(f["retail_volume"], f["volume"]),
            orders=f["orders"],
            active=sum(1 for v in pv if v >= threshold),
            new_distributors=int(joins.get(period_, 0)),
        )

    i = pub.index(period)
    pv, gv, maxleg = column("pv", i), column("gv", i), column("maxleg", i)
    balance = [0] * 10
    for has_legs, own, group, strongest in zip(members["frontline"] > 0, pv, gv, maxleg, strict=True):
        if has_legs and group - own > 0:
            balance[min(10 * strongest // (group - own), 9)] += 1
    ranked = sorted(zip(ids, gv, pv, members["size"], strict=True), key=lambda r: (-r[1], r[0]))[:top]
    names = {
        r["id"]: r["name"]
        for r in _read(driver, database, "analytics/names", ids=[r[0] for r in ranked], gen=pub.gen)
    }
    return NetworkStats(
        period=period,
        active_pv=Decimal(threshold) / SCALE,
        distributors=n,
        roots=1 if n else 0,
        max_depth=max(len(depth_hist) - 1, 0),
        mean_depth=_share(int(rel.sum()), n),
        totals=totals(period),
        history=[totals(q) for q in pub.periods],
        depth_histogram=depth_hist,
        frontline_histogram=list(zip(frontline.index.tolist(), frontline.tolist(), strict=True)),
        leg_balance=balance,
        top=[
            Ranked(
                id=r[0],
                name=names.get(r[0]),
                gv=to_decimal(r[1]),
                pv=to_decimal(r[2]),
                downline_size=int(r[3]),
            )
            for r in ranked
        ],
        growth=growth,
    )


def rebuild(
    driver: Driver, database: str, *, active_pv: Decimal | None = None, batch: int = rollup.WRITE_BATCH
) -> rollup.RollupSummary:
    """Roll up the published network again (e.g. after changing the active threshold) and switch
    readers to it at once. Holds the import lease: imports wait, and vice versa."""
    return rollup.rebuild(driver, database, active=_scaled(active_pv), batch=batch)


# -- ranked frontlines and bounded windows (the dashboard's explorer and legs page) -------------


def _ranked_start(
    driver: Driver, database: str, period: str | None, cursor: str | None, limit: int
) -> tuple[Published, str, int]:
    """The published state, the period and the rows to skip of a ranked page."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
    pub = published(driver, database)
    _require_rollup(pub)
    return pub, _period(pub, period), 0 if cursor is None else _from_cursor(pub, cursor)


def _ranked_page(pub: Published, rows: list[dict[str, Any]], skip: int, level: int, active: int) -> Page:
    """A page of ranked members from a `{total, children}` row (none: an empty page)."""
    total = int(rows[0]["total"]) if rows else 0
    items = [_member(c, level, active) for c in (rows[0]["children"] if rows else [])]
    more = skip + len(items) < total
    return Page(items=items, next_cursor=_cursor(pub, skip + len(items)) if more else None, total=total)


def frontline_by_gv(
    driver: Driver,
    database: str,
    distributor_id: str,
    period: str | None = None,
    *,
    cursor: str | None = None,
    limit: int = 10,
    active_pv: Decimal | None = None,
    scope_id: str | None = None,
) -> Page:
    """A page of `distributor_id`'s frontline ranked by GV in the period (largest first, ties by
    id); `total` is the frontline's size, `next_cursor` continues with the next members. Reads the
    frontline only (cypher/analytics/frontline_by_gv.cypher), whatever the size of the downline."""
    pub, p, skip = _ranked_start(driver, database, period, cursor, limit)
    check_scope(driver, database, distributor_id, scope_id, pub)
    rows = _read(
        driver, database, "analytics/frontline_by_gv", ids=[distributor_id], gen=pub.gen, k=pub.keys,
        i=pub.index(p), skip=skip, limit=limit,
    )  # fmt: skip
    if not rows:
        raise NotFound(f"no distributor with id {distributor_id!r}")
    return _ranked_page(pub, rows, skip, 1, _scaled(active_pv))


def roots_by_gv(
    driver: Driver,
    database: str,
    period: str | None = None,
    *,
    cursor: str | None = None,
    limit: int = 10,
    active_pv: Decimal | None = None,
    scope_id: str | None = None,
) -> Page:
    """A page of the roots of the sponsor forest ranked by GV in the period (largest first, ties
    by id). With a scope: the scope's distributor alone, the top of everything the key sees."""
    pub, p, skip = _ranked_start(driver, database, period, cursor, limit)
    active = _scaled(active_pv)
    if scope_id is not None:
        s = distributor_stats(driver, database, scope_id, p, active_pv=active_pv, scope_id=scope_id)
        me = Member(
            id=s.id, name=s.name, sponsor_id=s.sponsor_id, level=0, depth=s.depth, pv=s.pv, gv=s.gv,
            downline_size=s.downline_size, active=s.active,
        )  # fmt: skip
        return Page(items=[me], next_cursor=None, total=1)
    rows = _read(
        driver, database, "analytics/roots_by_gv", gen=pub.gen, k=pub.keys, i=pub.index(p), skip=skip,
        limit=limit,
    )  # fmt: skip
    return _ranked_page(pub, rows, skip, 0, active)


WINDOW_COLUMNS = ["id", "parent", "name", "level", "pv", "gv", "members", "active", "hidden", "kind"]


def downline_window(
    driver: Driver,
    database: str,
    distributor_id: str,
    period: str | None = None,
    *,
    max_depth: int = 3,
    per_node: int = 8,
    max_nodes: int = 2_000,
    active_pv: Decimal | None = None,
    scope_id: str | None = None,
) -> pd.DataFrame:
    """A bounded window of `distributor_id`'s downline for a sunburst or icicle: the distributor,
    then level by level down to `max_depth` the top `per_node` of each member's frontline by GV,
    and for each member whose frontline is not shown whole one row of kind "more" standing for the
    rest (their members and GV from the rollup: a member's frontline holds `size` members and
    `GV - PV` of volume, so the rest is what the shown ones leave). Stops deepening before the
    window would pass `max_nodes` rows. Never reads the downline beyond the rows it returns.

    Columns WINDOW_COLUMNS: id, parent ("" for the distributor), name, level (0 = the
    distributor), pv, gv (floats), members (the member and their downline; for "more" the members
    of the hidden legs), active, hidden (hidden frontline members, "more" rows only), kind
    ("member" or "more"). Rows of one parent are ranked by GV."""
    if not 1 <= max_depth <= 10:
        raise BadRequest("max_depth must be between 1 and 10")
    if not 1 <= per_node <= 100:
        raise BadRequest("per_node must be between 1 and 100")
    pub = published(driver, database)
    _require_rollup(pub)
    p = _period(pub, period)
    top = distributor_stats(driver, database, distributor_id, p, active_pv=active_pv, scope_id=scope_id)
    active = _scaled(active_pv)
    out: list[dict[str, Any]] = [
        {"id": top.id, "parent": "", "name": top.name, "level": 0, "pv": float(top.pv),
         "gv": float(top.gv), "members": top.downline_size + 1, "active": top.active, "hidden": 0,
         "kind": "member"}
    ]  # fmt: skip
    frontier = [(top.id, top.pv, top.gv, top.downline_size)] if top.downline_size else []
    for level in range(1, max_depth + 1):
        if not frontier or len(out) + len(frontier) * (per_node + 1) > max_nodes:
            break
        rows = _read(
            driver, database, "analytics/frontline_by_gv", ids=[f[0] for f in frontier], gen=pub.gen,
            k=pub.keys, i=pub.index(p), skip=0, limit=per_node,
        )  # fmt: skip
        by_parent = {r["parent"]: r for r in rows}
        after: list[tuple[str, Decimal, Decimal, int]] = []
        for parent, pv, gv, size in frontier:
            r = by_parent.get(parent)
            if r is None:
                continue
            shown = [_member(c, level, active) for c in r["children"]]
            for m in shown:
                out.append(
                    {"id": m.id, "parent": parent, "name": m.name, "level": level, "pv": float(m.pv),
                     "gv": float(m.gv), "members": m.downline_size + 1, "active": m.active, "hidden": 0,
                     "kind": "member"}
                )  # fmt: skip
                if m.downline_size:
                    after.append((m.id, m.pv, m.gv, m.downline_size))
            hidden = int(r["total"]) - len(shown)
            if hidden > 0:
                out.append(
                    {"id": f"{parent}\x1fmore", "parent": parent, "name": f"{hidden} more",
                     "level": level, "pv": 0.0,
                     "gv": float(gv - pv - sum((m.gv for m in shown), Decimal(0))),
                     "members": size - sum(m.downline_size + 1 for m in shown), "active": False,
                     "hidden": hidden, "kind": "more"}
                )  # fmt: skip
        frontier = after
    return pd.DataFrame(out, columns=WINDOW_COLUMNS)
