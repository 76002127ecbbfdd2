"""Where a run's money goes, aggregated for people (dashboards, finance): by component, by level,
by rank, from each top-level leg to the ranks and components it pays; and a plan what-if.

Everything here is computed once from the run in memory (numpy/pandas) and stored with the run,
so reading flows costs one node. Sums of lines are exact and rounded to the cent once per figure;
figures over earners (components, ranks, legs' earnings) add the earners' rounded cents, so they
agree with the run's totals. A binary or rank line has no source distributor; its money is counted
as coming from the earner's own top-level leg.

A *top-level leg* is a root's frontline member with their downline; a root itself (and its own
volume) counts as a leg of its own. The legs paying the most are listed, the rest are summed as
"other legs".
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from graph_service.compensation.engine import COMPONENTS, IntArray, Network, RunResult, round_half_up
from graph_service.fixedpoint import SCALE

TOP_LEGS = 12
OTHER_LEGS = "other legs"
NO_RANK = "no rank"


def _money(cents: int) -> float:
    return float(Decimal(int(cents)).scaleb(-2))


def top_legs(network: Network) -> IntArray:
    """Each member's top-level leg: the member at depth 1 above them (themselves at depth 0 or 1)."""
    leg = np.arange(len(network.ids), dtype=np.int64)
    deep = np.flatnonzero(network.depth >= 2)
    deep = deep[np.argsort(network.depth[deep], kind="stable")]
    if deep.size:  # depth by depth, top down: a sponsor's leg is settled before their recruits'
        for members in np.split(deep, np.flatnonzero(np.diff(network.depth[deep])) + 1):
            leg[members] = leg[network.sponsor[members]]
    return leg


def _extremes(ids: list[str], values: IntArray, top: int) -> list[int]:
    """Positions of the `top` largest positive values, ties by id (candidates cut by value first)."""
    positive = np.flatnonzero(values > 0)
    if positive.size > top:
        kth = np.partition(values[positive], positive.size - top)[positive.size - top]
        positive = positive[values[positive] >= kth]
    return sorted((int(k) for k in positive), key=lambda k: (-int(values[k]), ids[k]))[:top]


def _sums(keys: IntArray, amounts: Any, size: int) -> list[int]:
    """Exact sums of amounts per key 0..size-1, as Python integers (int64 while a bound shows
    no sum can overflow, Python integers otherwise)."""
    if amounts.dtype != object and float(np.abs(amounts).astype(np.float64).sum()) < 2**62:
        fast = np.zeros(size, np.int64)
        np.add.at(fast, keys, amounts)
        return [int(v) for v in fast]
    out = np.zeros(size, dtype=object)
    np.add.at(out, keys, amounts.astype(object))
    return [int(v) for v in out]


def run_flows(network: Network, result: RunResult) -> dict[str, Any]:
    lines = result.lines
    exponent = lines.amount_exponent
    n = len(network.ids)
    pv = network.pv[:, -1]
    components = len(COMPONENTS)

    def money(exact: int) -> float:
        return _money(round_half_up(exact, int(10 ** (exponent - 2))))

    # by component and level (unilevel and matrix lines have a level)
    levels = int(lines.level.max()) + 1 if len(lines) else 1
    cell = lines.component.astype(np.int64) * levels + lines.level
    per_cell = _sums(cell, lines.amount, components * levels)
    counts = np.bincount(cell, minlength=components * levels)
    by_level = [
        {
            "component": COMPONENTS[k // levels],
            "level": k % levels,
            "amount": money(per_cell[k]),
            "lines": int(counts[k]),
        }
        for k in range(components * levels)
        if k % levels > 0 and counts[k]
    ]

    names = [*result.rank_names, NO_RANK]
    rank_code = np.where(result.rank >= 0, result.rank, len(result.rank_names)).astype(np.int64)
    by_rank = []
    for code, name in enumerate(names):
        holders = rank_code == code
        by_rank.append(
            {
                "rank": None if name == NO_RANK else name,
                "holders": int(holders.sum()),
                "earners": int((holders & (result.total != 0)).sum()),
                "total": _money(int(result.total[holders].sum())),
                "rank_bonus": _money(int(result.rank_bonus[holders].sum())),
            }
        )

    leg = top_legs(network)
    source_leg = np.where(lines.source >= 0, leg[np.maximum(lines.source, 0)], leg[lines.earner])
    paid_from = _sums(source_leg, lines.amount, n)
    leg_volume = _sums(leg, pv, n)
    earned_in = _sums(leg, result.total, n)
    paying = sorted((k for k in range(n) if paid_from[k] != 0 or (leg[k] == k and leg_volume[k] != 0)),
                    key=lambda k: (-paid_from[k], network.ids[k]))  # fmt: skip
    shown, rest = paying[:TOP_LEGS], paying[TOP_LEGS:]
    legs: list[dict[str, Any]] = [
        {
            "leg": network.ids[k],
            "volume": float(Fraction(leg_volume[k], SCALE)),
            "paid_from": money(paid_from[k]),
            "earned_in": _money(earned_in[k]),
        }
        for k in shown
    ]
    if rest:
        legs.append(
            {
                "leg": OTHER_LEGS,
                "legs": len(rest),
                "volume": float(Fraction(sum(leg_volume[k] for k in rest), SCALE)),
                "paid_from": money(sum(paid_from[k] for k in rest)),
                "earned_in": _money(sum(earned_in[k] for k in rest)),
            }
        )

    # Sankey edges, exact sums rounded per edge: top-level leg -> earner's rank -> component
    leg_node = np.full(n, len(shown), np.int64)  # the last node is "other legs"
    leg_node[np.array(shown, np.int64)] = np.arange(len(shown))
    leg_names = [f"leg {network.ids[k]}" for k in shown] + [OTHER_LEGS]
    ranks_n = len(names)
    earner_rank = rank_code[lines.earner]
    first = _sums(leg_node[source_leg] * ranks_n + earner_rank, lines.amount, len(leg_names) * ranks_n)
    second = _sums(earner_rank * components + lines.component, lines.amount, ranks_n * components)
    sankey = [
        {"from": leg_names[k // ranks_n], "to": names[k % ranks_n], "amount": money(v)}
        for k, v in enumerate(first)
        if v
    ] + [
        {"from": names[k // components], "to": COMPONENTS[k % components], "amount": money(v)}
        for k, v in enumerate(second)
        if v
    ]
    return {
        "volume": float(Fraction(result.volume, SCALE)),
        "total": _money(result.total_paid),
        "payout_ratio": result.payout_ratio,
        "by_component": {c: _money(int(getattr(result, c).sum())) for c in COMPONENTS},
        "by_level": by_level,
        "by_rank": by_rank,
        "legs": legs,
        "sankey": sankey,
    }


def whatif(network: Network, runs: list[tuple[str, RunResult]], *, top: int = 10) -> dict[str, Any]:
    """Two plans over the same network and period: their totals and who wins or loses most."""
    (name_a, a), (name_b, b) = runs
    delta = b.total - a.total
    winners = _extremes(network.ids, delta, top)
    losers = _extremes(network.ids, -delta, top)
    names_a = [*a.rank_names, None]
    names_b = [*b.rank_names, None]

    def person(k: int) -> dict[str, Any]:
        return {
            "id": network.ids[k],
            "a": _money(int(a.total[k])),
            "b": _money(int(b.total[k])),
            "delta": _money(int(delta[k])),
            "rank_a": names_a[int(a.rank[k])],
            "rank_b": names_b[int(b.rank[k])],
        }

    def plan_doc(name: str, r: RunResult) -> dict[str, Any]:
        return {
            "plan": name,
            "total": _money(r.total_paid),
            "payout_ratio": r.payout_ratio,
            "by_component": {c: _money(int(getattr(r, c).sum())) for c in COMPONENTS},
            "earners": int((r.total != 0).sum()),
        }

    return {
        "period": a.period,
        "volume": float(Fraction(a.volume, SCALE)),
        "a": plan_doc(name_a, a),
        "b": plan_doc(name_b, b),
        "difference": _money(b.total_paid - a.total_paid),
        "better_off": int((delta > 0).sum()),
        "worse_off": int((delta < 0).sum()),
        "winners": [person(int(k)) for k in winners],
        "losers": [person(int(k)) for k in losers],
    }
