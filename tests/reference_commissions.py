"""An independent pure-Python reference of a commission run (contract section 5).

Written straight from the contract, not from `graph_service.compensation`, so the engine's runs
(Cypher, stored lines, rounding) can be held against it. Kept plain on purpose: exact `Decimal`
volumes and money, `Fraction` only where an exact floor or ratio is needed, no recursion.

Input: a `tests.reference.Net` built from `Member`s (a `Distributor` plus its binary placement;
a plain `Distributor` is simply outside the binary tree), a plan given as a plain dict shaped
like the plan TOML (what `tomllib` gives), and the period `YYYY-MM`. `commission_run` returns a
`Run`: one earner row per distributor, the lines, and the run's totals.

Choices where the contract is silent or open, so the engine can match them:

- Rounding: `ROUNDING` (ROUND_HALF_UP, the usual commercial rounding for money; on a negative
  amount it rounds away from zero too, so a claw-back mirrors the payment) to `CENT`, once per
  earner and component, over the sum of that earner's exact line amounts. Earner totals add the
  rounded components; the run total adds the earner totals.
- Lines keep EXACT (unrounded) amounts, so a component's lines may add to a fraction of a cent
  more or less than the rounded component. A line's `amount` is `base_volume * rate *
  money_per_pv`, except that a binary line is capped (`min(..., cap)`) and a rank line's amount
  is the bonus (money, not multiplied by `money_per_pv`).
- Plan numbers: floats (as `tomllib` reads `0.05`) are taken by their shortest repr,
  `Decimal(str(x))`, i.e. what the user typed, never the binary expansion.
- Defaults: `active_pv` 100, `money_per_pv` 1; `unilevel.compression` "dynamic" when left out, as
  in the contract's example (the plan model, graph_service/compensation/plan.py, agrees)
  (`DEFAULT_COMPRESSION`); `binary.cap` and `binary.max_carry` unlimited when left out; a rank's
  `pv` and `gv` 0, `max_leg_share` 1, `active_frontline` 0, `bonus` 0.
- Unilevel lines are written only for the uplines actually paid (an inactive upline under
  "none" keeps its level and gets no line), and only for sources with non-zero PV.
- Binary: the months run from the first period with any order in the whole network up to the
  period, calendar month by calendar month (a month without orders still counts: its volume is
  0, nobody is active unless `active_pv <= 0`, carries are cut again). If the period is before
  the first period with orders, only the period itself is taken. "Cut to max_carry" is
  `min(carry, max_carry)`: a negative carry (refunds) is kept as it is and counts against the
  next months' volume on that side. Everyone is computed; a distributor with no placement
  children has 0 on both sides and never pairs. One binary line per earner with pairs > 0:
  source and level None, base volume `pairs * pair_unit`, rate `pair_rate`.
- Matrix placement: everyone is placed in one go (as one import would). A recruit waiting for
  a later sponsor is placed right after that sponsor; several waiting recruits of one sponsor
  keep their own order, and a waiting recruit's own waiting recruits come right after it
  (depth first: S, A, A's recruits, B). "Within a level in the order members were placed" is
  read literally: each level of the sponsor's matrix subtree is searched in global placement
  order, not parent by parent.
- Ranks: legs are the sponsor tree's legs (frontline members and their downline, contract
  section 2); a negative leg GV counts as it is. The last listed rank whose three requirements
  are met is held, whether or not the ranks before it are met. One rank line (when the bonus is
  not 0): source and level None, base volume the qualifying GV for that rank, rate None.
- Every distributor gets an earner row (zeros and rank None when they earned nothing), since
  network health counts those who earned nothing; filter on `total != 0` to compare with a
  store that keeps only earners with lines.
- `payout_ratio` is a float (nearest to the exact quotient, as `tests.reference.ratio`), 0 when
  the volume (or `money_per_pv`) is 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from tests.reference import Distributor, Net, all_gv, ratio, upline

ROUNDING = ROUND_HALF_UP
CENT = Decimal("0.01")
DEFAULT_ACTIVE_PV = Decimal(100)
DEFAULT_MONEY_PER_PV = Decimal(1)
DEFAULT_COMPRESSION = "dynamic"
COMPONENTS = ("unilevel", "binary", "matrix", "rank_bonus")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Member(Distributor):
    """A distributor with its place in the binary placement tree (both None: outside it)."""

    placement_parent_id: str | None = None
    placement_side: str | None = None  # "L" or "R"


class Line(NamedTuple):
    earner: str
    source: str | None
    component: str  # one of COMPONENTS
    level: int | None
    base_volume: Decimal
    rate: Decimal | None
    amount: Decimal  # exact, not rounded


@dataclass(frozen=True)
class Run:
    earners: dict[str, dict[str, Any]]  # id -> {"id", "rank", "unilevel", "binary", ...}
    lines: list[Line]
    totals: dict[str, Any]  # {"period", "plan", "volume", "total", "payout_ratio"}


def dec(value: Any) -> Decimal:
    """A plan number as Decimal; floats by their shortest repr (what the TOML said)."""
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUNDING)


def _plain(net: Net, period: str, active_pv: Decimal) -> dict[str, bool]:
    return {i: net.pv(i, period) >= active_pv for i in net.distributors}


# ---------------------------------------------------------------- unilevel


def unilevel_lines(net: Net, plan: Mapping[str, Any], period: str) -> list[Line]:
    section = plan.get("unilevel")
    if not section:
        return []
    rates = [dec(r) for r in section.get("rates", [])]
    compression = section.get("compression", DEFAULT_COMPRESSION)
    if compression not in ("dynamic", "none"):
        raise ValueError(f"unknown compression {compression!r}")
    money = dec(plan.get("money_per_pv", DEFAULT_MONEY_PER_PV))
    active = _plain(net, period, dec(plan.get("active_pv", DEFAULT_ACTIVE_PV)))
    lines: list[Line] = []
    for source in net.distributors:
        pv = net.pv(source, period)
        if pv == 0:
            continue
        level = 0
        for up in upline(net, source):
            if compression == "dynamic" and not active[up]:
                continue  # skipped: uses no level
            level += 1
            if level > len(rates):
                break
            if active[up]:
                rate = rates[level - 1]
                lines.append(Line(up, source, "unilevel", level, pv, rate, pv * rate * money))
    return lines


# ---------------------------------------------------------------- binary


def months(first: str, last: str) -> list[str]:
    """Calendar months from first to last, both included; [last] when first is after last."""
    if first > last:
        return [last]
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while True:
        p = f"{year:04d}-{month:02d}"
        out.append(p)
        if p == last:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def placement_children(net: Net) -> dict[str, dict[str, str]]:
    """parent -> {"L": child, "R": child} from the members' placement links."""
    kids: dict[str, dict[str, str]] = {i: {} for i in net.distributors}
    for d in net.distributors.values():
        parent = getattr(d, "placement_parent_id", None)
        if parent is None:
            continue
        side = getattr(d, "placement_side", None)
        assert side in ("L", "R"), f"{d.id!r}: placement side {side!r}"
        assert side not in kids[parent], f"slot {side} under {parent!r} taken twice"
        kids[parent][side] = d.id
    return kids


def _subtree_pv(net: Net, kids: dict[str, dict[str, str]], period: str) -> dict[str, Decimal]:
    """PV of each member's placement subtree (the member included), children before parents."""
    order: list[str] = []
    has_parent = {c for sides in kids.values() for c in sides.values()}
    stack = [i for i in net.distributors if i not in has_parent]
    while stack:
        m = stack.pop()
        order.append(m)
        stack.extend(kids[m].values())
    assert len(order) == len(net.distributors), "the placement links are not a forest"
    total: dict[str, Decimal] = {}
    for m in reversed(order):
        total[m] = net.pv(m, period) + sum((total[c] for c in kids[m].values()), ZERO)
    return total


def binary_state(net: Net, plan: Mapping[str, Any], period: str) -> dict[str, dict[str, Any]]:
    """Per distributor for the period: {"L", "R" (before pairing), "pairs", "amount" (exact,
    capped), "carry_L", "carry_R" (what is kept for the next month)}."""
    section = plan["binary"]
    unit = dec(section["pair_unit"])
    assert unit > 0, "pair_unit must be positive"
    rate = dec(section["pair_rate"])
    cap = dec(section["cap"]) if section.get("cap") is not None else None
    max_carry = dec(section["max_carry"]) if section.get("max_carry") is not None else None
    money = dec(plan.get("money_per_pv", DEFAULT_MONEY_PER_PV))
    active_pv = dec(plan.get("active_pv", DEFAULT_ACTIVE_PV))
    kids = placement_children(net)
    periods = net.periods()
    carry = dict.fromkeys(net.distributors, (ZERO, ZERO))

    def cut(x: Decimal) -> Decimal:
        return x if max_carry is None else min(x, max_carry)

    state: dict[str, dict[str, Any]] = {}
    for p in months(periods[0] if periods else period, period):
        sub = _subtree_pv(net, kids, p)
        state = {}
        for i in net.distributors:
            left = carry[i][0] + (sub[kids[i]["L"]] if "L" in kids[i] else ZERO)
            right = carry[i][1] + (sub[kids[i]["R"]] if "R" in kids[i] else ZERO)
            pairs = 0
            if net.pv(i, p) >= active_pv:
                smaller = min(left, right)
                pairs = int(Fraction(smaller) // Fraction(unit)) if smaller > 0 else 0
            amount = pairs * unit * rate * money
            if cap is not None:
                amount = min(amount, cap)
            kept = (cut(left - pairs * unit), cut(right - pairs * unit))
            carry[i] = kept
            state[i] = {"L": left, "R": right, "pairs": pairs, "amount": amount,
                        "carry_L": kept[0], "carry_R": kept[1]}  # fmt: skip
    return state


def binary_lines(net: Net, plan: Mapping[str, Any], period: str) -> list[Line]:
    if not plan.get("binary"):
        return []
    unit, rate = dec(plan["binary"]["pair_unit"]), dec(plan["binary"]["pair_rate"])
    return [
        Line(i, None, "binary", None, s["pairs"] * unit, rate, s["amount"])
        for i, s in binary_state(net, plan, period).items()
        if s["pairs"] > 0
    ]


# ---------------------------------------------------------------- matrix


def placement_order(net: Net) -> list[str]:
    """The order one import places everyone in: joined_on (missing last), ties by id; a recruit
    whose sponsor is not yet placed goes right after the sponsor (depth first)."""
    ordered = sorted(
        net.distributors.values(),
        key=lambda d: (d.joined_on is None, d.joined_on or date.min, d.id),
    )
    placed: set[str] = set()
    waiting: dict[str, list[str]] = defaultdict(list)
    out: list[str] = []
    for d in ordered:
        if d.sponsor_id is not None and d.sponsor_id not in placed:
            waiting[d.sponsor_id].append(d.id)
            continue
        stack = [d.id]
        while stack:
            m = stack.pop()
            out.append(m)
            placed.add(m)
            stack.extend(reversed(waiting.pop(m, [])))
    assert len(out) == len(net.distributors), "the sponsor links are not a forest"
    return out


def matrix_tree(net: Net, width: int) -> dict[str, str | None]:
    """Everyone's matrix parent (None for a matrix root), in placement order (dict order)."""
    assert width >= 1, "matrix width must be at least 1"
    seq: dict[str, int] = {}
    parent: dict[str, str | None] = {}
    kids: dict[str, list[str]] = {}
    for m in placement_order(net):
        sponsor = net.distributors[m].sponsor_id
        spot: str | None = None
        if sponsor is not None:
            level = [sponsor]
            while spot is None:
                spot = next((x for x in level if len(kids[x]) < width), None)
                level = sorted((c for x in level for c in kids[x]), key=seq.__getitem__)
        seq[m] = len(seq)
        parent[m] = spot
        kids[m] = []
        if spot is not None:
            kids[spot].append(m)
    return parent


def matrix_children(parent: Mapping[str, str | None]) -> dict[str, list[str]]:
    """Children in the order they were placed (the order of `matrix_tree`'s dict)."""
    kids: dict[str, list[str]] = {m: [] for m in parent}
    for m, p in parent.items():
        if p is not None:
            kids[p].append(m)
    return kids


def matrix_lines(net: Net, plan: Mapping[str, Any], period: str) -> list[Line]:
    section = plan.get("matrix")
    if not section:
        return []
    rates = [dec(r) for r in section.get("rates", [])]
    money = dec(plan.get("money_per_pv", DEFAULT_MONEY_PER_PV))
    active = _plain(net, period, dec(plan.get("active_pv", DEFAULT_ACTIVE_PV)))
    parent = matrix_tree(net, int(section["width"]))
    lines: list[Line] = []
    for source in parent:
        pv = net.pv(source, period)
        if pv == 0:
            continue
        up, level = parent[source], 1
        while up is not None and level <= len(rates):
            if active[up]:  # no compression: an inactive upline keeps its level, unpaid
                rate = rates[level - 1]
                lines.append(Line(up, source, "matrix", level, pv, rate, pv * rate * money))
            up, level = parent[up], level + 1
    return lines


# ---------------------------------------------------------------- ranks


def rank_of(
    net: Net, plan: Mapping[str, Any], period: str
) -> dict[str, tuple[dict[str, Any], Decimal] | None]:
    """Everyone's rank (the plan's rank dict and the qualifying GV for it) or None."""
    ranks = plan.get("ranks") or []
    active_pv = dec(plan.get("active_pv", DEFAULT_ACTIVE_PV))
    group = all_gv(net, period) if ranks else {}
    out: dict[str, tuple[dict[str, Any], Decimal] | None] = {}
    for i in net.distributors:
        pv = net.pv(i, period)
        frontline = net.children[i]
        active_frontline = sum(1 for c in frontline if net.pv(c, period) >= active_pv)
        held = None
        for rank in ranks:
            need_gv = dec(rank.get("gv", 0))
            leg_cap = dec(rank.get("max_leg_share", 1)) * need_gv
            qualifying = pv + sum((min(group[c], leg_cap) for c in frontline), ZERO)
            if (
                pv >= dec(rank.get("pv", 0))
                and qualifying >= need_gv
                and active_frontline >= int(rank.get("active_frontline", 0))
            ):
                held = (rank, qualifying)
        out[i] = held
    return out


# ---------------------------------------------------------------- the run


def commission_run(net: Net, plan: Mapping[str, Any], period: str) -> Run:
    ranks = rank_of(net, plan, period)
    lines = unilevel_lines(net, plan, period) + binary_lines(net, plan, period)
    lines += matrix_lines(net, plan, period)
    for i, held in ranks.items():
        if held is not None and dec(held[0].get("bonus", 0)) != 0:
            lines.append(Line(i, None, "rank_bonus", None, held[1], None, dec(held[0].get("bonus", 0))))
    exact: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        exact[line.earner, line.component] += line.amount
    earners: dict[str, dict[str, Any]] = {}
    for i in net.distributors:
        held = ranks[i]
        row: dict[str, Any] = {"id": i, "rank": held[0]["name"] if held else None}
        for component in COMPONENTS:
            row[component] = cents(exact.get((i, component), ZERO))
        row["total"] = sum((row[c] for c in COMPONENTS), ZERO)
        earners[i] = row
    volume = sum((o.volume for o in net.orders if o.period == period), ZERO)
    total = sum((row["total"] for row in earners.values()), ZERO)
    money = dec(plan.get("money_per_pv", DEFAULT_MONEY_PER_PV))
    totals = {
        "period": period,
        "plan": plan.get("name"),
        "volume": volume,
        "total": total,
        "payout_ratio": ratio(total, volume * money),
    }
    return Run(earners, lines, totals)
