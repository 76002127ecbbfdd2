"""The arithmetic of a commission run (contract section 5), vectorised with numpy, without Neo4j.

A `Network` is the sponsor forest, the binary placement forest, the matrix placement (built by
the imports, graph_service/matrix.py) and the monthly PV as arrays (a Cypher loader builds it;
`Network.from_rows` builds it from plain rows). `commission_run` turns it and a validated `Plan`
into a `RunResult`: each earner's amounts in cents per component, ranks, every line that makes up
those amounts, and the run's totals.

Money is exact throughout. Volumes are integers in ten-thousandths of a point (`fixedpoint.SCALE`);
plan numbers are Decimals, turned into integer factors once, so every product is an exact integer
in units of `10**-amount_exponent` money (the run picks the exponent its plan needs). Integers stay
int64 while a bound shows they fit and fall back to Python integers (object arrays) when not, so
there is no overflow and no float anywhere in the money. Each earner's component is rounded to the
cent once, half up (away from zero for a claw-back), over the sum of its exact lines, as
tests/reference_commissions.py states.

Volumes finer than 1/10000 point cannot occur in the data, but a plan may still ask for one (a
`pair_unit` of 0.00005, a leg cap `max_leg_share * gv` with more than four decimals). The
arithmetic then runs on a finer integer scale and stays exact; only the `base` written on the
binary or rank line is rounded (half up) to ten-thousandths, since that is what the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph_service.compensation.plan import Binary, Matrix, Plan, Unilevel
from graph_service.errors import DownlineError
from graph_service.fixedpoint import SCALE

__all__ = [
    "COMPONENTS",
    "DistributorRow",
    "InvalidNetwork",
    "Lines",
    "MatrixNotPlaced",
    "Network",
    "OrderRow",
    "PlanMismatch",
    "RunResult",
    "commission_run",
    "months_between",
]

IntArray = npt.NDArray[np.int64]
ExactArray = npt.NDArray[Any]
"""Exact integers: int64 while they provably fit, else an object array of Python ints."""

COMPONENTS = ("unilevel", "binary", "matrix", "rank_bonus")
UNILEVEL, BINARY, MATRIX, RANK_BONUS = range(4)
LEFT, RIGHT = 0, 1
_FITS = 2**62  # int64 headroom: any sum whose magnitude bound stays below this cannot overflow
CENT_DIGITS = 2


class InvalidNetwork(DownlineError):
    """The arrays handed to the engine do not describe forests (a loader bug, not user input)."""

    code = "invalid_network"


class MatrixNotPlaced(DownlineError):
    """The plan has a `[matrix]` but the network comes without a matrix placement (a database
    loaded before the matrix existed, not yet placed by an import)."""

    exit_code = 2
    http_status = 409
    code = "matrix_not_placed"


class PlanMismatch(DownlineError):
    """The plan does not fit the network: its `[matrix]` width is not the placement's."""

    exit_code = 2
    http_status = 422
    code = "plan_mismatch"


# -- the input ------------------------------------------------------------------------------------


class DistributorRow(NamedTuple):
    id: str
    sponsor_id: str | None
    placement_parent_id: str | None = None
    placement_side: str | None = None  # "L" or "R"
    matrix_parent_id: str | None = None  # None for a matrix root (see Network.from_rows(matrix=))


class OrderRow(NamedTuple):
    distributor_id: str
    period: str  # YYYY-MM
    volume: int  # ten-thousandths of a point, negative for a refund


def months_between(first: str, last: str) -> list[str]:
    """Calendar months from first to last, both included; [last] when first is after last."""
    if first > last:
        return [last]
    year, month = int(first[:4]), int(first[5:7])
    out: list[str] = []
    while True:
        out.append(f"{year:04d}-{month:02d}")
        if out[-1] >= last:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True, eq=False)
class Network:
    """Members by position (`ids[i]` is member i); -1 means "none" in every index array."""

    ids: list[str]
    sponsor: IntArray
    depth: IntArray  # links up to the sponsor root; 0 for a root
    placement_parent: IntArray
    placement_side: npt.NDArray[np.int8]  # LEFT, RIGHT, or -1 outside the placement tree
    months: list[str]  # from the first month with orders up to the period, months without orders too
    pv: IntArray  # (member, month) in ten-thousandths
    matrix_parent: IntArray | None = None  # -1 for a matrix root; None: no matrix placement

    def __post_init__(self) -> None:
        n = len(self.ids)
        problems: list[str] = []
        names = ["sponsor", "depth", "placement_parent", "placement_side"]
        if self.matrix_parent is not None:
            names.append("matrix_parent")
        for name in names:
            if getattr(self, name).shape != (n,):
                problems.append(f"{name} must have shape ({n},)")
        if not self.months:
            problems.append("months must not be empty")
        if self.pv.shape != (n, len(self.months)):
            problems.append(f"pv must have shape ({n}, {len(self.months)})")
        if problems:
            raise InvalidNetwork("; ".join(problems))
        if len(set(self.ids)) != n:
            problems.append("ids are not unique")
        sponsor, parent, side = self.sponsor, self.placement_parent, self.placement_side
        if n and (sponsor.min() < -1 or sponsor.max() >= n or parent.min() < -1 or parent.max() >= n):
            problems.append("an index points outside the network")
        else:
            root = sponsor < 0
            # depth falls by one along every sponsor link and is 0 at the roots: no cycles
            if np.any(self.depth[root] != 0) or np.any(self.depth[~root] != self.depth[sponsor[~root]] + 1):
                problems.append("depth does not match the sponsor links (or they form a cycle)")
            placed = parent >= 0
            if np.any(placed != (side >= 0)) or np.any(side > RIGHT):
                problems.append("placement side must be L or R exactly for placed members")
            elif placed.any():
                slots = parent[placed] * 2 + side[placed]
                if np.unique(slots).size != slots.size:
                    problems.append("a placement slot is taken twice")
            matrix = self.matrix_parent
            if matrix is not None and n:
                if matrix.min() < -1 or matrix.max() >= n:
                    problems.append("a matrix parent points outside the network")
                else:
                    _depths(matrix)  # InvalidNetwork on a cycle
        if problems:
            raise InvalidNetwork("; ".join(problems))

    @property
    def period(self) -> str:
        return self.months[-1]

    @classmethod
    def from_rows(
        cls,
        *,
        distributors: Iterable[DistributorRow],
        orders: Iterable[OrderRow],
        period: str,
        matrix: bool = False,
    ) -> Network:
        """Arrays from plain rows (any order); orders after `period` are left out. With
        `matrix=True` the rows' `matrix_parent_id` is the matrix placement (None: a matrix root);
        without it the network has no matrix placement."""
        rows = list(distributors)
        ids = [row.id for row in rows]
        index = {i: k for k, i in enumerate(ids)}
        try:
            sponsor = np.array([index[r.sponsor_id] if r.sponsor_id else -1 for r in rows], np.int64)
            parent = np.array(
                [index[r.placement_parent_id] if r.placement_parent_id else -1 for r in rows], np.int64
            )
            matrix_parent = None
            if matrix:
                matrix_parent = np.array(
                    [index[r.matrix_parent_id] if r.matrix_parent_id else -1 for r in rows], np.int64
                ).reshape(len(rows))
        except KeyError as exc:
            raise InvalidNetwork(f"unknown distributor {exc.args[0]!r}") from exc
        sides = {"L": LEFT, "R": RIGHT, None: -1}
        side = np.array([sides[r.placement_side] for r in rows], np.int8).reshape(len(rows))
        order_rows = [o for o in orders if o.period <= period]
        first = min((o.period for o in order_rows), default=period)
        months = months_between(first, period)
        column = {m: k for k, m in enumerate(months)}
        pv = np.zeros((len(rows), len(months)), np.int64)
        for o in order_rows:
            pv[index[o.distributor_id], column[o.period]] += o.volume
        return cls(
            ids,
            sponsor.reshape(len(rows)),
            _depths(sponsor),
            parent.reshape(len(rows)),
            side,
            months,
            pv,
            matrix_parent,
        )


def _depths(parent: IntArray) -> IntArray:
    """Links from each member up to its root, by pointer jumping (log depth passes)."""
    depth = (parent >= 0).astype(np.int64)
    jump = parent.copy()
    for _ in range(max(len(parent), 1).bit_length() + 1):
        live = np.flatnonzero(jump >= 0)
        if live.size == 0:
            return depth
        up = jump[live]
        depth[live] += depth[up]
        jump[live] = jump[up]
    raise InvalidNetwork("the links form a cycle")


def _levels(depth: IntArray) -> list[IntArray]:
    """Members grouped by depth: `_levels(d)[k]` holds those at depth k."""
    if depth.size == 0:
        return []
    order = np.argsort(depth, kind="stable")
    bounds = np.cumsum(np.bincount(depth))[:-1]
    return list(np.split(order, bounds))


# -- the output -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Lines:
    """Every line of a run, one array per column (line i is position i in each)."""

    earner: IntArray
    source: IntArray  # -1 for binary and rank lines
    component: npt.NDArray[np.int8]  # index into COMPONENTS
    level: IntArray  # 0 for binary and rank lines
    base: IntArray  # ten-thousandths of a point
    rate: npt.NDArray[np.int32]  # index into `rates`, -1 for rank lines
    rates: tuple[Decimal, ...]
    amount: ExactArray  # exact, in units of 10**-amount_exponent money
    amount_exponent: int

    def __len__(self) -> int:
        return int(self.earner.size)

    def amount_of(self, line: int) -> Decimal:
        return Decimal(int(self.amount[line])).scaleb(-self.amount_exponent)

    def frame(self) -> pd.DataFrame:
        """One row per line: earner, source (-1 none), component, level (0 none), base
        (ten-thousandths), rate (Decimal text, None for rank lines), amount (exact integer in
        units of `10**-amount_exponent`, kept in `frame.attrs["amount_exponent"]`)."""
        rate_text = np.array([str(r) for r in self.rates] + [None], dtype=object)
        frame = pd.DataFrame(
            {
                "earner": self.earner,
                "source": self.source,
                "component": pd.Categorical.from_codes(self.component, categories=pd.Index(list(COMPONENTS))),
                "level": self.level,
                "base": self.base,
                "rate": rate_text[self.rate],
                "amount": self.amount,
            }
        )
        frame.attrs["amount_exponent"] = self.amount_exponent
        return frame


@dataclass(frozen=True, eq=False)
class RunResult:
    ids: list[str]
    period: str
    rank_names: tuple[str, ...]
    rank: IntArray  # index into rank_names, -1 for none
    unilevel: IntArray  # cents, per earner
    binary: IntArray
    matrix: IntArray
    rank_bonus: IntArray
    total: IntArray
    lines: Lines
    volume: int  # the period's PV, ten-thousandths
    total_paid: int  # cents: the sum of the earners' totals
    payout_ratio: float  # total_paid / (volume * money_per_pv), 0 when that is 0

    def earners_frame(self) -> pd.DataFrame:
        """One row per member: id, rank (None), and each component and the total in cents."""
        names = np.array([*self.rank_names, None], dtype=object)
        return pd.DataFrame(
            {
                "id": self.ids,
                "rank": names[self.rank],
                **{c: getattr(self, c) for c in (*COMPONENTS, "total")},
            }
        )


# -- exact integer helpers ------------------------------------------------------------------------


def _digits(value: Fraction) -> int:
    """Decimal places needed to write value exactly (value is a decimal: denominator 2^a 5^b)."""
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    return places


def _whole(value: Fraction) -> int:
    assert value.denominator == 1, value
    return value.numerator


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)


def _magnitude(values: ExactArray) -> float:
    """An upper bound of sum(|values|) (floats only bound, they never carry money)."""
    if values.size == 0:
        return 0.0
    return float(np.abs(values).astype(np.float64).sum()) * (1 + 1e-9)


def _times(values: ExactArray, factor: int) -> ExactArray:
    """values * factor exactly: int64 when every product fits, else Python ints."""
    if values.dtype != object and values.size and float(np.abs(values).max()) * abs(factor) < _FITS:
        return values * factor
    return values.astype(object) * factor


def _sum_by(index: IntArray, values: ExactArray, size: int) -> ExactArray:
    """Exact sums of values grouped by index (0 where nothing)."""
    if values.dtype != object and _magnitude(values) < _FITS:
        out: ExactArray = np.zeros(size, np.int64)
    else:
        out = np.zeros(size, dtype=object)
        values = values.astype(object)
    np.add.at(out, index, values)
    return out


def _to_cents(exact: ExactArray, exponent: int) -> IntArray:
    """Round to the cent, half up and away from zero for negatives."""
    unit = 10 ** (exponent - CENT_DIGITS)
    if exact.dtype == object:
        return np.array([round_half_up(int(a), unit) for a in exact], np.int64).reshape(exact.shape)
    cents: IntArray = np.sign(exact) * ((np.abs(exact) + unit // 2) // unit)
    return cents


def round_half_up(value: int, unit: int) -> int:
    """value / unit rounded to a whole number, half up and away from zero for negatives."""
    magnitude = (abs(value) + unit // 2) // unit
    return -magnitude if value < 0 else magnitude


def _to_scale(values: ExactArray, finer: int) -> IntArray:
    """Values on a scale 10**finer times finer than ten-thousandths, rounded half up to them."""
    if finer == 1:
        return values.astype(np.int64)
    return np.array([round_half_up(int(v), finer) for v in values], np.int64).reshape(values.shape)


# -- the run --------------------------------------------------------------------------------------


@dataclass
class _Part:
    earner: IntArray
    source: IntArray
    component: int
    level: IntArray
    base: IntArray
    rate: int
    amount: ExactArray


def _amount_exponent(plan: Plan) -> int:
    """The fewest decimal places of money in which every line of this plan is an exact integer."""
    money = Fraction(plan.money_per_pv)
    places = [CENT_DIGITS]
    if plan.unilevel is not None:
        places += [4 + _digits(Fraction(r) * money) for r in plan.unilevel.rates]
    if plan.matrix is not None:
        places += [4 + _digits(Fraction(r) * money) for r in plan.matrix.rates]
    if (binary := plan.binary) is not None:
        places.append(_digits(Fraction(binary.pair_unit) * Fraction(binary.pair_rate) * money))
        if binary.cap is not None:
            places.append(_digits(Fraction(binary.cap)))
    places += [_digits(Fraction(rank.bonus)) for rank in plan.ranks]
    return max(places)


def commission_run(network: Network, plan: Plan) -> RunResult:
    """The commission run of `plan` for `network.period` (the last of `network.months`)."""
    if plan.matrix is not None:
        _check_matrix(network, plan.matrix)
    n = len(network.ids)
    pv = np.ascontiguousarray(network.pv[:, -1])
    active_threshold = _ceil(Fraction(plan.active_pv) * SCALE)
    active = pv >= active_threshold
    exponent = _amount_exponent(plan)
    sponsor_levels = _levels(network.depth)
    rates: list[Decimal] = []
    parts: list[_Part] = []
    if plan.unilevel is not None:
        parts += _unilevel(network, plan, plan.unilevel, active, sponsor_levels, exponent, rates)
    if plan.binary is not None:
        parts += _binary(network, plan, plan.binary, active_threshold, exponent, rates)
    if plan.matrix is not None:
        parts += _matrix(network, plan, plan.matrix, active, exponent, rates)
    rank = np.full(n, -1, np.int64)
    if plan.ranks:
        rank, rank_part = _ranks(network, plan, active, sponsor_levels, exponent)
        parts.append(rank_part)

    lines = _join(parts, tuple(rates), exponent)
    components: list[IntArray] = []
    for code in range(len(COMPONENTS)):
        mine = lines.component == code
        components.append(_to_cents(_sum_by(lines.earner[mine], lines.amount[mine], n), exponent))
    total = components[0] + components[1] + components[2] + components[3]
    volume = int(pv.sum())
    total_paid = int(total.sum())
    denominator = Fraction(volume, SCALE) * Fraction(plan.money_per_pv)
    ratio = float(Fraction(total_paid, 100) / denominator) if denominator else 0.0
    return RunResult(
        ids=network.ids,
        period=network.period,
        rank_names=tuple(r.name for r in plan.ranks),
        rank=rank,
        unilevel=components[UNILEVEL],
        binary=components[BINARY],
        matrix=components[MATRIX],
        rank_bonus=components[RANK_BONUS],
        total=total,
        lines=lines,
        volume=volume,
        total_paid=total_paid,
        payout_ratio=ratio,
    )


def _join(parts: Sequence[_Part], rates: tuple[Decimal, ...], exponent: int) -> Lines:
    def cat(arrays: list[npt.NDArray[Any]], dtype: type[Any]) -> npt.NDArray[Any]:
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)

    sizes = [p.earner.size for p in parts]
    amounts = [p.amount for p in parts]
    if any(a.dtype == object for a in amounts):
        amounts = [a.astype(object) for a in amounts]
    return Lines(
        earner=cat([p.earner for p in parts], np.int64),
        source=cat([p.source for p in parts], np.int64),
        component=cat([np.full(k, p.component, np.int8) for k, p in zip(sizes, parts, strict=True)], np.int8),
        level=cat([p.level for p in parts], np.int64),
        base=cat([p.base for p in parts], np.int64),
        rate=cat([np.full(k, p.rate, np.int32) for k, p in zip(sizes, parts, strict=True)], np.int32),
        rates=rates,
        amount=np.concatenate(amounts) if amounts else np.zeros(0, np.int64),
        amount_exponent=exponent,
    )


def _unilevel(
    network: Network,
    plan: Plan,
    unilevel: Unilevel,
    active: npt.NDArray[np.bool_],
    levels: list[IntArray],
    exponent: int,
    rates: list[Decimal],
) -> list[_Part]:
    """Each source's PV to its k-th upline (none) or k-th active upline (dynamic)."""
    if unilevel.compression == "dynamic":
        # nearest active sponsor above each member, top down: one vector step per depth
        hop = np.full(len(network.ids), -1, np.int64)
        for members in levels[1:]:
            up = network.sponsor[members]
            hop[members] = np.where(active[up], up, hop[up])
    else:
        hop = network.sponsor
    return _paid_up(hop, network, plan, unilevel.rates, active, UNILEVEL, exponent, rates)


def _paid_up(
    hop: IntArray,
    network: Network,
    plan: Plan,
    plan_rates: Sequence[Decimal],
    active: npt.NDArray[np.bool_],
    component: int,
    exponent: int,
    rates: list[Decimal],
) -> list[_Part]:
    """Each source's PV paid `plan_rates[k-1]` to the k-th member up the `hop` links, when that
    member is active (an inactive one keeps its level and is not paid; with dynamic compression
    `hop` already skips the inactive, so everyone reached is paid)."""
    pv = np.ascontiguousarray(network.pv[:, -1])
    money = Fraction(plan.money_per_pv)
    sources = np.flatnonzero(pv != 0)
    upline = sources
    parts: list[_Part] = []
    for level, rate in enumerate(plan_rates, start=1):
        upline = hop[upline]
        reached = upline >= 0
        upline, sources = upline[reached], sources[reached]
        if upline.size == 0:
            break
        paid = active[upline]
        earner, source = upline[paid], sources[paid]
        base = pv[source]
        factor = _whole(Fraction(rate) * money * 10 ** (exponent - 4))
        rates.append(rate)
        parts.append(
            _Part(earner, source, component, np.full(earner.size, level, np.int64), base,
                  len(rates) - 1, _times(base, factor))
        )  # fmt: skip
    return parts


def _check_matrix(network: Network, matrix: Matrix) -> None:
    placed = network.matrix_parent
    if placed is None:
        raise MatrixNotPlaced(
            "the plan has a [matrix] section but the network has no matrix placement (imports place "
            "everyone; a database loaded before the matrix is placed by its next import)"
        )
    under = placed[placed >= 0]
    widest = int(np.bincount(under).max()) if under.size else 0
    if widest > matrix.width:
        raise PlanMismatch(
            f"the plan's matrix has width {matrix.width}, but the placement has {widest} members "
            "directly under one member"
        )


def _matrix(
    network: Network,
    plan: Plan,
    matrix: Matrix,
    active: npt.NDArray[np.bool_],
    exponent: int,
    rates: list[Decimal],
) -> list[_Part]:
    """Each source's PV to its k-th matrix upline when that upline is active; no compression: an
    inactive upline keeps its level and is not paid."""
    assert network.matrix_parent is not None
    return _paid_up(network.matrix_parent, network, plan, matrix.rates, active, MATRIX, exponent, rates)


def _binary(
    network: Network, plan: Plan, binary: Binary, active_threshold: int, exponent: int, rates: list[Decimal]
) -> list[_Part]:
    """Months one by one with carry; the period's pairs are paid, capped."""
    n = len(network.ids)
    unit = Fraction(binary.pair_unit) * SCALE
    max_carry = None if binary.max_carry is None else Fraction(binary.max_carry) * SCALE
    finer = 10 ** max(_digits(unit), 0 if max_carry is None else _digits(max_carry))
    unit_int = _whole(unit * finer)
    carry_limit = None if max_carry is None else _whole(max_carry * finer)

    parent, side = network.placement_parent, network.placement_side
    members = np.arange(n)
    child = np.full((2, n), -1, np.int64)
    for s in (LEFT, RIGHT):
        mine = side == s
        child[s, parent[mine]] = members[mine]
    # placement-subtree PV per month, bottom up; a parent has one child per side, so within one
    # side of one level the parents are distinct and plain fancy-index adds are exact
    by_month = np.array(network.pv.T, order="C")  # (month, member), a copy
    subtree = by_month.copy()
    for level in reversed(_levels(_depths(parent))[1:]):
        for s in (LEFT, RIGHT):
            kids = level[side[level] == s]
            subtree[:, parent[kids]] += subtree[:, kids]
    has = child >= 0
    safe = np.where(has, child, 0)

    carry = np.zeros((2, n), np.int64)
    pairs = np.zeros(n, np.int64)
    for month in range(len(network.months)):
        sides = carry + np.where(has, subtree[month][safe], 0) * finer
        smaller = sides.min(axis=0)
        can_pair = (by_month[month] >= active_threshold) & (smaller > 0)
        pairs = np.where(can_pair, smaller // unit_int, 0)
        carry = sides - pairs * unit_int
        if carry_limit is not None:
            carry = np.minimum(carry, carry_limit)

    earner = np.flatnonzero(pairs > 0)
    count = pairs[earner]
    per_pair = _whole(unit / SCALE * Fraction(binary.pair_rate) * Fraction(plan.money_per_pv) * 10**exponent)
    amount = _times(count, per_pair)
    if binary.cap is not None:
        amount = np.minimum(amount, _whole(Fraction(binary.cap) * 10**exponent))
    rates.append(binary.pair_rate)
    none = np.full(earner.size, -1, np.int64)
    base = _to_scale(_times(count, unit_int), finer)
    return [_Part(earner, none, BINARY, none + 1, base, len(rates) - 1, amount)]


def _ranks(
    network: Network, plan: Plan, active: npt.NDArray[np.bool_], levels: list[IntArray], exponent: int
) -> tuple[IntArray, _Part]:
    """The highest (last listed) rank met by each member, and a line per non-zero bonus."""
    n = len(network.ids)
    pv = np.ascontiguousarray(network.pv[:, -1])
    sponsor = network.sponsor
    group = pv.copy()
    for members in reversed(levels[1:]):
        np.add.at(group, sponsor[members], group[members])
    # frontline sums: children sorted by sponsor once, then one reduceat per figure
    kids = np.flatnonzero(sponsor >= 0)
    kids = kids[np.argsort(sponsor[kids], kind="stable")]
    heads, starts = np.unique(sponsor[kids], return_index=True)

    def frontline_sum(values: ExactArray) -> ExactArray:
        out = np.zeros(n, values.dtype)
        if kids.size:
            out[heads] = np.add.reduceat(values[kids], starts)
        return out

    active_frontline = frontline_sum(active.astype(np.int64))
    held = np.full(n, -1, np.int64)
    base = np.zeros(n, np.int64)
    for r, rank in enumerate(plan.ranks):
        leg_cap = Fraction(rank.max_leg_share) * Fraction(rank.gv) * SCALE
        finer = 10 ** _digits(leg_cap)
        legs = np.minimum(_times(group, finer), _whole(leg_cap * finer))
        qualifying = _times(pv, finer) + frontline_sum(legs)
        met = (
            (pv >= _ceil(Fraction(rank.pv) * SCALE))
            & (qualifying >= _ceil(Fraction(rank.gv) * SCALE * finer))
            & (active_frontline >= rank.active_frontline)
        )
        held[met] = r
        base[met] = _to_scale(qualifying[met], finer)
    bonus = np.array([_whole(Fraction(rank.bonus) * 10**exponent) for rank in plan.ranks], dtype=object)
    earner = np.flatnonzero(held >= 0)
    earner = earner[bonus[held[earner]] != 0]
    amount = bonus[held[earner]]
    if amount.size and max(amount) < _FITS:
        amount = amount.astype(np.int64)
    none = np.full(earner.size, -1, np.int64)
    return held, _Part(earner, none, RANK_BONUS, none + 1, base[earner], -1, amount)
