"""A realistic synthetic organisation, written as the two CSV files the importer reads.

`generate` is deterministic by seed: the same arguments give byte-identical files.

The sponsor tree
    Members join over a window ending on the last day of `end_period` and starting
    max(24, months) calendar months earlier; joins grow exponentially (about 4x a year). The
    first few members are roots (company leaders, no sponsor). Every later member picks a sponsor
    among the members who joined before them, with probability proportional to a recruiting
    propensity: half the members have none and the rest draw it from a (capped) Pareto law, so
    about two thirds never sponsor anyone while a handful of leaders sponsor hundreds. Most picks
    also favour recent joiners (people recruit mostly in their first months), which is what gives
    the tree its depth; the rest ignore recency, which lets long-standing leaders keep
    recruiting. Because the propensity does not depend on earlier picks, all sponsors are drawn
    at once with prefix sums and a binary search. On top of that, a few "chain builders" start
    chains of 20-60 members in which each recruits exactly the next.

The placement tree (binary, one per root)
    Breadth-first spillover, exactly: each recruit takes the first free slot found by a
    breadth-first search of the sponsor's placement subtree, left before right. It is made fast
    by keeping, for every position, the depth below it of its shallowest free slot
    (`min_free`): the search then walks straight down to that slot, taking the left child
    whenever the slot is reachable there, and the update walks up only while the value changes.
    That is O(depth) per member instead of O(subtree).

Orders
    Exactly `months` periods ending with `end_period`. Members drop out with ~80% yearly
    attrition (leaders a bit later, roots never), skip some months, and while active order once
    or twice a month; the rate is tuned so the file holds about one order per member per month.
    Volumes are mostly 50-150 PV with a heavy tail to 1000, amounts 1.2-1.6x the volume, and
    ~3.5% of orders get a later refund (a negative order, full or partial).

The files are UTF-8 with LF line ends. Only names can need quoting; each distinct name is quoted
once by the csv module, so the output is byte-for-byte what `csv.writer` would produce.
"""

from __future__ import annotations

import calendar
import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

DISTRIBUTORS_FILE = "distributors.csv"
ORDERS_FILE = "orders.csv"
DISTRIBUTOR_COLUMNS = (
    "id",
    "sponsor_id",
    "name",
    "country",
    "joined_on",
    "placement_parent_id",
    "placement_side",
)
ORDER_COLUMNS = ("id", "distributor_id", "ordered_on", "volume", "amount", "buyer")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_MIN_WINDOW_MONTHS = 24
_DAYS_PER_MONTH = 30.44
_CHUNK_ROWS = 200_000

# sponsor tree
_YEARLY_GROWTH = 4.0
_RECRUITER_SHARE = 0.50
_PROPENSITY_ALPHA = 1.5
_PROPENSITY_CAP = 150.0  # nobody recruits thousands personally
_ROOT_PROPENSITY = 25.0
_RECENCY_DAYS = 120.0
_RECENT_PICK_SHARE = 0.75
_CHAIN_MIN, _CHAIN_MAX = 20, 60

# activity and orders
_MEAN_LIFETIME_MONTHS = 12 / np.log(5)  # survival exp(-t / mean) leaves 20% after a year
_SKIP_MONTH = 0.10
_ORDERS_PER_MEMBER_MONTH = 1.0
_EXTRA_ORDERS_MIN, _EXTRA_ORDERS_MAX = 0.25, 1.5
_REFUND_RATE = 0.035
_REFUND_MAX_DELAY_DAYS = 21
_RETAIL_BETA = (3.0, 2.0)  # mean 0.6

_COUNTRIES: tuple[tuple[str, float, str], ...] = (
    # code, weight, name pool
    ("US", 22, "en"),
    ("MX", 11, "es"),
    ("BR", 10, "pt"),
    ("PH", 9, "ph"),
    ("IN", 8, "in"),
    ("NG", 6, "ng"),
    ("GB", 6, "en"),
    ("DE", 5, "de"),
    ("CO", 4, "es"),
    ("PL", 4, "pl"),
    ("VN", 4, "vn"),
    ("FR", 3, "fr"),
    ("CA", 3, "en"),
    ("ES", 3, "es"),
    ("IE", 2, "en"),
)
_INHERIT_COUNTRY = 0.85  # recruits mostly live where their sponsor does

# pool: first names | last names | family name written first?
_NAME_POOLS = {
    "en": ("James Mary Olivia Liam Zoë Noah Emma Sean Aoife Grace Tyler Ava",
           "Smith Johnson O'Brien Williams Brown Taylor Miller Smith-Jones Walker O'Neill Clarke", False),
    "es": ("María José Juan Sofía Alejandro Lucía Andrés Valentina Íñigo Camila",
           "García Hernández López Martínez Rodríguez Pérez Sánchez Ramírez Muñoz Gómez", False),
    "pt": ("João Ana Luíza Gonçalo Thiago Beatriz Lucas Mariana Antônio Júlia",
           "Silva Santos Oliveira Souza Conceição Araújo Ferreira Gonçalves Lima", False),
    "ph": ("Maria Jose Angelica Mark Jhon Rizalina Kristine Jericho Liza Ramon",
           "Santos Reyes Cruz Bautista Dela_Cruz Mendoza Villanueva Aquino Ocampo", False),
    "in": ("Aarav Priya Rohan Ananya Vikram Lakshmi Arjun Divya Sanjay Meera",
           "Sharma Patel Singh Iyer Reddy Nair Gupta Das Kumar Menon", False),
    "ng": ("Chinedu Ngozi Oluwaseun Adaeze Emeka Funmilayo Ibrahim Aisha Tunde",
           "Okafor Adeyemi Okonkwo Eze Bello Adébáyọ̀ Nwosu Abubakar Olúwadámilárè", False),
    "de": ("Jürgen Lukas Anna Sören Mia Max Jörg Lena Felix Käthe",
           "Müller Schmidt Schäfer Weiß Becker Groß Fischer Wagner Hoffmann", False),
    "pl": ("Łukasz Zofia Małgorzata Paweł Agnieszka Krzysztof Wojciech Katarzyna",
           "Nowak Wójcik Mazur Krawczyk Zając Kaczmarek Woźniak Król", False),
    "vn": ("Linh Minh Anh Thảo Dũng Hương Quang Trang Tuấn",
           "Nguyễn Trần Lê Phạm Hoàng Huỳnh Vũ Đặng Bùi", True),
    "fr": ("Chloé Étienne Hélène Léa François Zoë Noël Margaux Benoît",
           "Dubois Lefèvre Moreau Girard Rousseau Fontaine Bérenger Lemaître", False),
}  # fmt: skip
# "_" stands for a space inside a name
_NAMES: dict[str, tuple[list[str], list[str], bool]] = {
    pool: ([w.replace("_", " ") for w in firsts.split()], [w.replace("_", " ") for w in lasts.split()], order)
    for pool, (firsts, lasts, order) in _NAME_POOLS.items()
}
_NICKNAMES = ("Bo", "Jojo", "Ace", "Lulu", "Boss", "Doc", "Sunny")
_FORMAT_WEIGHTS = (0.93, 0.04, 0.03)  # "First Last", "Last, First", 'First "Nick" Last'


@dataclass(frozen=True)
class GenerateSummary:
    distributors: int
    orders: int
    roots: int
    max_depth: int  # sponsor-tree depth, roots at 0
    periods: list[str]  # the order periods, oldest first
    files: list[Path]


@dataclass(frozen=True)
class _Window:
    start: date  # first day of the join window
    days: int  # join window length; day offsets run 0 .. days - 1
    periods: list[str]
    period_bounds: list[tuple[int, int]]  # (first, last) day offset of each order period


@dataclass(frozen=True)
class _Network:
    join_day: IntArray
    sponsor: IntArray  # -1 for roots
    roots: int


@dataclass(frozen=True)
class _Placement:
    parent: list[int]  # -1 for roots
    right: list[bool]
    depth: list[int]


@dataclass(frozen=True)
class _Orders:
    distributor: IntArray
    day: IntArray
    volume_cents: IntArray
    amount_cents: IntArray
    retail: BoolArray


def generate(
    out_dir: Path, *, distributors: int, months: int, seed: int, end_period: str = "2026-10"
) -> GenerateSummary:
    """Write distributors.csv and orders.csv into out_dir (created if missing)."""
    if distributors < 1:
        raise ValueError(f"distributors must be at least 1, not {distributors}")
    if months < 1:
        raise ValueError(f"months must be at least 1, not {months}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, not {seed}")
    window = _window(end_period, months)
    # one stream per stage, so that changing how one stage draws leaves the others' output alone
    tree_rng, people_rng, order_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )

    network = _grow_network(tree_rng, distributors, window.days)
    placement = _place(network.sponsor.tolist(), network.roots)
    countries, names = _people(people_rng, network.sponsor)
    orders = _orders(order_rng, network, window)

    out_dir.mkdir(parents=True, exist_ok=True)
    ids = [f"D{k}" for k in range(1, distributors + 1)]
    dates = [(window.start + timedelta(days=d)).isoformat() for d in range(window.days)]
    files = [out_dir / DISTRIBUTORS_FILE, out_dir / ORDERS_FILE]
    _write(
        files[0], DISTRIBUTOR_COLUMNS, _distributor_lines(ids, dates, network, placement, countries, names)
    )
    _write(files[1], ORDER_COLUMNS, _order_lines(ids, dates, orders))
    return GenerateSummary(
        distributors=distributors,
        orders=len(orders.day),
        roots=network.roots,
        max_depth=max(placement.depth),
        periods=window.periods,
        files=files,
    )


# ---------------------------------------------------------------- time


def _window(end_period: str, months: int) -> _Window:
    match = _PERIOD.match(end_period)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"end_period must be YYYY-MM, not {end_period!r}")
    end_index = int(match[1]) * 12 + int(match[2]) - 1  # months since year 0

    def first_day(index: int) -> date:
        return date(index // 12, index % 12 + 1, 1)

    def last_day(index: int) -> date:
        year, month = index // 12, index % 12 + 1
        return date(year, month, calendar.monthrange(year, month)[1])

    start = first_day(end_index - max(_MIN_WINDOW_MONTHS, months) + 1)
    period_indexes = range(end_index - months + 1, end_index + 1)
    return _Window(
        start=start,
        days=(last_day(end_index) - start).days + 1,
        periods=[f"{i // 12:04d}-{i % 12 + 1:02d}" for i in period_indexes],
        period_bounds=[((first_day(i) - start).days, (last_day(i) - start).days) for i in period_indexes],
    )


# ---------------------------------------------------------------- sponsor tree


def _root_count(n: int) -> int:
    return 1 if n < 10 else min(n, n // 50_000 + 3)


def _grow_network(rng: np.random.Generator, n: int, days: int) -> _Network:
    roots = _root_count(n)
    growth = np.log(_YEARLY_GROWTH) / 365.0
    # inverse CDF of a density proportional to exp(growth * t) on [0, days), written so that a
    # long window underflows to 0 instead of overflowing
    u = np.sort(rng.random(n - roots))
    joins = days + np.log(np.maximum(u + (1 - u) * np.exp(-growth * days), 1e-300)) / growth
    earliest = float(joins[0]) if len(joins) else 30.0
    root_joins = np.sort(rng.uniform(0.0, min(30.0, earliest), roots))
    t = np.minimum(np.concatenate([root_joins, joins]), days - 1e-9)
    join_day = np.floor(t).astype(np.int64)

    propensity = np.where(
        rng.random(n) < _RECRUITER_SHARE,
        np.minimum(rng.pareto(_PROPENSITY_ALPHA, n) + 1.0, _PROPENSITY_CAP),
        0.0,
    )
    propensity[:roots] = _ROOT_PROPENSITY
    chains = _chains(rng, n, roots)
    for chain in chains:
        # a chain member recruits only the next one (the last is left to chance)
        propensity[chain[:-1]] = 0.0

    # weight of sponsor j for a recruit at time t: p_j * exp(-(t - t_j) / tau); the factor in t
    # is the same for every candidate, so prefix sums of p_j * exp(t_j / tau) can be searched
    recent_weight = propensity * np.exp(np.maximum((t - t[-1]) / _RECENCY_DAYS, -700.0))
    recent_cum = np.cumsum(recent_weight)
    any_cum = np.cumsum(propensity)
    sponsor = np.full(n, -1, dtype=np.int64)
    if n > roots:
        rows = np.arange(roots, n)
        recent = rng.random(n - roots) < _RECENT_PICK_SHARE
        cum = np.where(recent, recent_cum[rows - 1], any_cum[rows - 1])
        target = rng.random(n - roots) * cum
        picked = np.where(
            recent,
            np.searchsorted(recent_cum, target, side="right"),
            np.searchsorted(any_cum, target, side="right"),
        )
        # target can round up to the whole prefix; never pick oneself or a later joiner
        sponsor[roots:] = np.minimum(picked, rows - 1)
    for chain in chains:
        first = int(chain[0])
        sponsor[first] = int(rng.integers(0, first))
        sponsor[chain[1:]] = chain[:-1]
    return _Network(join_day=join_day, sponsor=sponsor, roots=roots)


def _chains(rng: np.random.Generator, n: int, roots: int) -> list[IntArray]:
    """Disjoint, each in join order, so every member still comes after their sponsor."""
    count = 0 if n < 200 else 2 + n // 200_000
    if count == 0:
        return []
    longest = min(_CHAIN_MAX, (n - roots) // (4 * count))
    lengths = rng.integers(min(_CHAIN_MIN, longest), longest + 1, count)
    members = rng.choice(np.arange(roots, n), size=int(lengths.sum()), replace=False)
    bounds = np.cumsum(lengths)[:-1]
    return [np.sort(part).astype(np.int64) for part in np.split(members, bounds)]


def _place(sponsor: Sequence[int], roots: int) -> _Placement:
    """Breadth-first spillover into the sponsor's placement subtree (see the module docstring)."""
    n = len(sponsor)
    left = [-1] * n
    right = [-1] * n
    up = [-1] * n
    min_free = [0] * n  # 0: this position has a free slot itself
    is_right = [False] * n
    depth = [0] * n
    for member in range(roots, n):
        s = sponsor[member]
        depth[member] = depth[s] + 1
        v = s
        m = min_free[v]
        while m:
            m -= 1
            child = left[v]
            v = child if min_free[child] == m else right[v]
        if left[v] < 0:
            left[v] = member
        else:
            right[v] = member
            is_right[member] = True
        up[member] = v
        x = v
        while x >= 0:
            lc, rc = left[x], right[x]
            value = 0 if lc < 0 or rc < 0 else 1 + min(min_free[lc], min_free[rc])
            if value == min_free[x]:
                break
            min_free[x] = value
            x = up[x]
    return _Placement(parent=up, right=is_right, depth=depth)


# ---------------------------------------------------------------- people


def _people(rng: np.random.Generator, sponsor: IntArray) -> tuple[IntArray, list[str]]:
    """Country index per member, and the CSV-quoted name per member."""
    n = len(sponsor)
    weights = np.array([w for _, w, _ in _COUNTRIES], dtype=np.float64)
    own = rng.choice(len(_COUNTRIES), size=n, p=weights / weights.sum()).astype(np.int64)
    # inherit the country of whoever the chain of inheriting sponsors starts with
    source = np.where((sponsor >= 0) & (rng.random(n) < _INHERIT_COUNTRY), sponsor, np.arange(n))
    while True:
        nxt = source[source]
        if np.array_equal(nxt, source):
            break
        source = nxt
    country = own[source]

    pools = list(_NAMES)
    pool_of_country = np.array([pools.index(p) for _, _, p in _COUNTRIES], dtype=np.int64)
    pool = pool_of_country[country]
    first_len = np.array([len(_NAMES[p][0]) for p in pools], dtype=np.int64)
    last_len = np.array([len(_NAMES[p][1]) for p in pools], dtype=np.int64)
    first = np.floor(rng.random(n) * first_len[pool]).astype(np.int64)
    last = np.floor(rng.random(n) * last_len[pool]).astype(np.int64)
    style = rng.choice(len(_FORMAT_WEIGHTS), size=n, p=_FORMAT_WEIGHTS).astype(np.int64)
    nick = rng.integers(0, len(_NICKNAMES), n)
    # names repeat a lot: build and quote each distinct one once
    width = max(len(names) for pool_names in _NAMES.values() for names in pool_names[:2])
    key = ((((pool * width + first) * width + last) * 4 + style) * len(_NICKNAMES)) + nick * (style == 2)
    distinct, inverse = np.unique(key, return_inverse=True)
    quoted: list[str] = []
    for k in distinct.tolist():
        k, nick_i = divmod(k, len(_NICKNAMES))
        k, style_i = divmod(k, 4)
        k, last_i = divmod(k, width)
        pool_i, first_i = divmod(k, width)
        firsts, lasts, family_first = _NAMES[pools[pool_i]]
        quoted.append(_csv_field(_name(firsts[first_i], lasts[last_i], family_first, style_i, nick_i)))
    return country, [quoted[i] for i in inverse.tolist()]


def _name(first: str, last: str, family_first: bool, style: int, nick: int) -> str:
    if style == 1:
        return f"{last}, {first}"
    if style == 2:
        return f'{first} "{_NICKNAMES[nick]}" {last}'
    return f"{last} {first}" if family_first else f"{first} {last}"


def _csv_field(value: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([value, ""])
    return buffer.getvalue()[: -len(",\n")]


# ---------------------------------------------------------------- orders


def _orders(rng: np.random.Generator, network: _Network, window: _Window) -> _Orders:
    n = len(network.sponsor)
    join = network.join_day
    recruits = np.bincount(network.sponsor[network.roots :], minlength=n)
    # leaders stay longer; roots (the company's founders) stay throughout
    lifetime = rng.exponential(_MEAN_LIFETIME_MONTHS, n) * (1.0 + 0.5 * np.log1p(recruits)) * _DAYS_PER_MONTH
    lifetime[: network.roots] = np.inf
    leaves = join + lifetime
    founder = np.zeros(n, dtype=np.bool_)
    founder[: network.roots] = True

    active: list[IntArray] = []
    for first, last in window.period_bounds:
        present = (join <= last) & (leaves > first) & (founder | (rng.random(n) >= _SKIP_MONTH))
        active.append(np.flatnonzero(present).astype(np.int64))
    member_months = sum(len(a) for a in active)
    target = n * len(window.period_bounds) * _ORDERS_PER_MEMBER_MONTH
    extra = float(np.clip(target / max(member_months, 1) - 1.0, _EXTRA_ORDERS_MIN, _EXTRA_ORDERS_MAX))

    dist_parts: list[IntArray] = []
    day_parts: list[IntArray] = []
    for (first, last), members in zip(window.period_bounds, active, strict=True):
        count = 1 + rng.poisson(extra, len(members))
        who = np.repeat(members, count)
        lo = np.maximum(join[who], first)
        day_parts.append(lo + np.floor(rng.random(len(who)) * (last - lo + 1)).astype(np.int64))
        dist_parts.append(who)
    dist = np.concatenate(dist_parts)
    day = np.concatenate(day_parts)
    volume = _volumes_cents(rng, len(dist))
    amount = np.rint(volume * rng.uniform(1.2, 1.6, len(dist))).astype(np.int64)
    retail_share = rng.beta(*_RETAIL_BETA, n)
    retail = rng.random(len(dist)) < retail_share[dist]

    refunded = np.flatnonzero(rng.random(len(dist)) < _REFUND_RATE)
    share = np.where(rng.random(len(refunded)) < 0.6, 1.0, rng.uniform(0.2, 1.0, len(refunded)))
    refund_day = np.minimum(
        day[refunded] + rng.integers(0, _REFUND_MAX_DELAY_DAYS + 1, len(refunded)), window.days - 1
    )
    is_refund = np.concatenate([np.zeros(len(dist), np.int64), np.ones(len(refunded), np.int64)])
    dist = np.concatenate([dist, dist[refunded]])
    day = np.concatenate([day, refund_day])
    volume = np.concatenate([volume, -np.rint(volume[refunded] * share).astype(np.int64)])
    amount = np.concatenate([amount, -np.rint(amount[refunded] * share).astype(np.int64)])
    retail = np.concatenate([retail, retail[refunded]])
    # ids in time order; on one day a member's purchases come before their refunds
    order = np.lexsort((is_refund, dist, day))
    return _Orders(dist[order], day[order], volume[order], amount[order], retail[order])


def _volumes_cents(rng: np.random.Generator, count: int) -> IntArray:
    kind = rng.random(count)
    body = 50.0 + 100.0 * rng.beta(2.2, 2.2, count)
    small = rng.uniform(15.0, 50.0, count)
    large = np.minimum(150.0 * (1.0 + rng.pareto(1.6, count)), 1000.0)
    pv = np.where(kind < 0.04, small, np.where(kind < 0.90, body, large))
    return (np.rint(pv * 4.0) * 25).astype(np.int64)  # PV comes in quarter points


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if frac == 0:
        return f"{sign}{whole}"
    if frac % 10 == 0:
        return f"{sign}{whole}.{frac // 10}"
    return f"{sign}{whole}.{frac:02d}"


def _decimals(cents: IntArray) -> list[str]:
    distinct, inverse = np.unique(cents, return_inverse=True)
    texts = [_decimal(c) for c in distinct.tolist()]
    return [texts[i] for i in inverse.tolist()]


# ---------------------------------------------------------------- files


def _distributor_lines(
    ids: list[str],
    dates: list[str],
    network: _Network,
    placement: _Placement,
    countries: IntArray,
    names: list[str],
) -> Iterator[str]:
    codes = [code for code, _, _ in _COUNTRIES]
    n = len(ids)
    for lo in range(0, n, _CHUNK_ROWS):
        hi = min(lo + _CHUNK_ROWS, n)
        sponsors = network.sponsor[lo:hi].tolist()
        parents = placement.parent[lo:hi]
        yield "".join(
            f"{ids[i]},{ids[s] if s >= 0 else ''},{name},{codes[c]},{dates[d]},"
            f"{ids[p] if p >= 0 else ''},{('R' if r else 'L') if p >= 0 else ''}\n"
            for i, s, name, c, d, p, r in zip(
                range(lo, hi),
                sponsors,
                names[lo:hi],
                countries[lo:hi].tolist(),
                network.join_day[lo:hi].tolist(),
                parents,
                placement.right[lo:hi],
                strict=True,
            )
        )


def _order_lines(ids: list[str], dates: list[str], orders: _Orders) -> Iterator[str]:
    total = len(orders.day)
    for lo in range(0, total, _CHUNK_ROWS):
        hi = min(lo + _CHUNK_ROWS, total)
        yield "".join(
            f"O{k},{ids[d]},{dates[day]},{vol},{amt},{'retail' if retail else 'self'}\n"
            for k, d, day, vol, amt, retail in zip(
                range(lo + 1, hi + 1),
                orders.distributor[lo:hi].tolist(),
                orders.day[lo:hi].tolist(),
                _decimals(orders.volume_cents[lo:hi]),
                _decimals(orders.amount_cents[lo:hi]),
                orders.retail[lo:hi].tolist(),
                strict=True,
            )
        )


def _write(path: Path, header: Sequence[str], chunks: Iterator[str]) -> None:
    """Write next to the target and rename, so a failed run leaves no half-written file behind."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(header) + "\n")
            for chunk in chunks:
                fh.write(chunk)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
