"""An independent pure-Python reference of the network health figures (contract section 6 and
issue 8), written from the contract's text and the README's definitions, not from
`graph_service.analytics.health`, so the service can be held against it.

Kept plain on purpose: exact `Decimal` volumes and money, `Fraction` for every ratio, sums over
all pairs for the Gini coefficient, the textbook median, loops instead of arrays. Floats only
at the very end.

Input: a `tests.reference.Net` (distributors with `joined_on`, orders with `buyer`), the period,
the active threshold, and with a run every distributor's total earnings (money; anyone left out
earned 0) and optionally the run's exact lines (for the depth of paid-out money).

The definitions (README, "Network health"):

- everyone in `net` counts (the caller passes the distributors the figures are over);
- active: PV >= threshold; median PV over everyone (0 without orders);
- retail share: retail volume / all volume of the period's orders (0 when the total is 0); the
  self share likewise with `buyer = self`;
- zero earners: earned 0 or less; top 1% / 10%: the ceil(n / 100) / ceil(n / 10) largest
  earnings of the n distributors over the run's total (0 when that total is 0 or less); Gini:
  mean absolute difference over twice the mean, negatives as 0 (0 with a zero total);
- percentiles: linear interpolation between the closest ranks at position (n - 1) * q / 100;
- recruits: distributors who joined in the period (by joined_on) and have a sponsor; top 1% of
  sponsors: the ceil(n / 100) distributors who brought the most of them;
- cohort retention: for each join month up to the period, the share of its members with PV at
  least the threshold k months later, null when that month is before the first month with
  orders or after the period;
- threshold bunching: active members with PV below threshold * (1 + band), over all active;
- depth of paid money: unilevel and matrix money at level >= 4 over all unilevel and matrix
  money, each (component, level) sum rounded to the cent first (as the run's flows keep it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from tests.reference import Net, month

ZERO = Decimal(0)
QUANTILES = (10, 25, 50, 75, 90, 95, 99)
RETENTION = (1, 3, 6, 12)
BAND = Decimal("0.1")


def fraction_or_zero(part: Decimal | int, whole: Decimal | int) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole != 0 else Fraction(0)


def share(part: Decimal | int, whole: Decimal | int) -> float:
    return float(fraction_or_zero(part, whole))


def median(values: Iterable[Decimal]) -> Fraction:
    """The middle value, or the mean of the two middle ones; 0 for none."""
    s = sorted(Fraction(v) for v in values)
    n = len(s)
    if n == 0:
        return Fraction(0)
    if n % 2:
        return s[n // 2]
    return (s[n // 2 - 1] + s[n // 2]) / 2


def percentile(values: Iterable[Decimal], q: int) -> Fraction:
    """Position h = (n - 1) * q / 100 in the sorted values; between two ranks, on the line."""
    s = sorted(Fraction(v) for v in values)
    if not s:
        return Fraction(0)
    h = Fraction((len(s) - 1) * q, 100)
    below = int(h)  # h >= 0
    if below == h:
        return s[below]
    return s[below] + (h - below) * (s[below + 1] - s[below])


def gini(values: Iterable[Decimal]) -> float:
    x = [max(Fraction(v), Fraction(0)) for v in values]
    n = len(x)
    total = sum(x, Fraction(0))
    if n == 0 or total == 0:
        return 0.0
    pairs = sum((abs(a - b) for a in x for b in x), Fraction(0))
    mean = total / n
    return float(pairs / (2 * n * n * mean))


def top_share(values: Iterable[Decimal], percent: int) -> float:
    x = sorted(values, reverse=True)
    total = sum(x, ZERO)
    if not x or total <= 0:
        return 0.0
    people = -(-len(x) * percent // 100)  # whole people, rounded up
    return share(sum(x[:people], ZERO), total)


def add_months(period: str, k: int) -> str:
    year, mon = (int(p) for p in period.split("-"))
    index = year * 12 + (mon - 1) + k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def deep_share(lines: Iterable[Any]) -> float:
    """Lines with .component, .level, .amount (exact): the share paid at level 4 or deeper."""
    cell: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.component in ("unilevel", "matrix"):
            cell[line.component, line.level] += line.amount
    rounded = {k: cents(v) for k, v in cell.items()}
    total = sum(rounded.values(), ZERO)
    deep = sum((v for (_, level), v in rounded.items() if level >= 4), ZERO)
    return share(deep, total)


def health(
    net: Net,
    period: str,
    active_pv: Decimal = Decimal(100),
    *,
    earnings: Mapping[str, Decimal] | None = None,
    lines: Iterable[Any] | None = None,
    band: Decimal = BAND,
) -> dict[str, Any]:
    everyone = list(net.distributors)
    n = len(everyone)
    pv = {i: net.pv(i, period) for i in everyone}
    active = [i for i in everyone if pv[i] >= active_pv]
    in_period = [o for o in net.orders if o.period == period]
    volume = sum((o.volume for o in in_period), ZERO)
    retail = sum((o.volume for o in in_period if o.buyer == "retail"), ZERO)
    own = sum((o.volume for o in in_period if o.buyer == "self"), ZERO)

    trend = []
    for p in net.periods():
        if p <= period:
            orders = [o for o in net.orders if o.period == p]
            v = sum((o.volume for o in orders), ZERO)
            r = sum((o.volume for o in orders if o.buyer == "retail"), ZERO)
            trend.append({"period": p, "volume": float(v), "retail_volume": float(r),
                          "retail_share": share(r, v), "self_share": share(v - r, v)})  # fmt: skip

    joined = {i: month(d.joined_on) for i, d in net.distributors.items() if d.joined_on is not None}
    new = [i for i in everyone if joined.get(i) == period]
    recruited_by: dict[str, int] = defaultdict(int)
    for i in new:
        sponsor = net.distributors[i].sponsor_id
        if sponsor is not None:
            recruited_by[sponsor] += 1
    recruits = sum(recruited_by.values())
    top_people = -(-n // 100)
    by_count = sorted([recruited_by.get(i, 0) for i in everyone], reverse=True)
    recruiting = {
        "recruits": recruits,
        "sponsors": len(recruited_by),
        "top_sponsors": top_people,
        "top1_share": share(sum(by_count[:top_people]), recruits),
    }

    periods = net.periods()
    first = periods[0] if periods else None
    cohorts = []
    for cohort in sorted({m for m in joined.values() if m <= period}):
        members = [i for i in everyone if joined.get(i) == cohort]
        row: dict[str, Any] = {"cohort": cohort, "members": len(members)}
        for k in RETENTION:
            target = add_months(cohort, k)
            if first is None or target < first or target > period:
                row[f"after_{k}"] = None
            else:
                row[f"after_{k}"] = share(
                    sum(1 for i in members if net.pv(i, target) >= active_pv), len(members)
                )
        cohorts.append(row)

    ceiling = active_pv * (1 + band) if active_pv >= 0 else active_pv * (1 - band)
    bunched = [i for i in active if pv[i] < ceiling]

    out: dict[str, Any] = {
        "period": period,
        "distributors": n,
        "active": len(active),
        "retail_share": share(retail, volume),
        "median_pv": float(median(pv.values())),
        "active_share": share(len(active), n),
        "volume": float(volume),
        "retail_volume": float(retail),
        "self_volume": float(own),
        "self_share": share(own, volume),
        "retail_trend": trend,
        "new_distributors": len(new),
        "recruiting": recruiting,
        "cohorts": cohorts,
        "bunching": {"members": len(bunched), "share": share(len(bunched), len(active))},
    }
    if earnings is not None:
        money = [earnings.get(i, ZERO) for i in everyone]
        total = sum(money, ZERO)
        out.update(
            zero_earner_share=share(sum(1 for m in money if m <= 0), n),
            median_earnings=float(median(money)),
            top1_share=top_share(money, 1),
            gini=gini(money),
            mean_earnings=float(fraction_or_zero(total, n)),
            total_paid=float(total),
            earners=sum(1 for m in money if m > 0),
            top10_share=top_share(money, 10),
            earnings_percentiles={f"p{q}": float(percentile(money, q)) for q in QUANTILES},
            paid_depth_share=None if lines is None else deep_share(lines),
        )
    return out


def disclosure(
    distributors: Iterable[str], rank_names: list[str], rank_of: Mapping[str, str | None],
    earnings: Mapping[str, Decimal],
) -> list[dict[str, Any]]:  # fmt: skip
    """Rows: everyone, those without a rank, then each rank in the plan's order."""
    people = list(distributors)
    groups: list[tuple[str, list[str]]] = [("All distributors", people)]
    groups.append(("No rank", [i for i in people if rank_of.get(i) is None]))
    groups += [(name, [i for i in people if rank_of.get(i) == name]) for name in rank_names]
    rows = []
    for group, members in groups:
        money = [earnings.get(i, ZERO) for i in members]
        some = bool(money)
        rows.append({
            "group": group,
            "members": len(members),
            "share_of_members": share(len(members), len(people)),
            "earners": sum(1 for m in money if m > 0),
            "share_at_zero": share(sum(1 for m in money if m <= 0), len(money)),
            "mean": float(fraction_or_zero(sum(money, ZERO), len(money))) if some else None,
            "median": float(median(money)) if some else None,
            **{f"p{q}": float(percentile(money, q)) if some else None for q in (10, 25, 75, 90, 99)},
            "lowest": float(min(money)) if some else None,
            "highest": float(max(money)) if some else None,
            "total": float(sum(money, ZERO)),
        })  # fmt: skip
    return rows
