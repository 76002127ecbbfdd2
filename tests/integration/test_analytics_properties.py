"""Analytics through the real Neo4j held against the pure-Python reference (tests/reference.py).

Random sponsor forests with orders (refunds included) are written as data folders, imported, and
every figure the service answers (the rollup path and the live variable-length path, upline,
paged downline, network-wide statistics) is compared with the reference, before and after an
incremental second import. Volumes are compared exactly, ratios to 1e-12.
"""

from __future__ import annotations

import math
import random
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from neo4j import Driver

from graph_service.analytics import service
from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.schema import ensure_schema
from graph_service.errors import BadRequest, NotFound
from graph_service.ingest.load import import_folder
from tests import reference as ref
from tests.helpers import write_folder
from tests.reference import Distributor, Net, Order

ACTIVE_PV = Decimal("100")
TOP = 10
PAGE = 7
SAMPLE = 20  # distributors compared in the big networks
PROPERTY_SAMPLE = 8  # and in each random one (the largest downlines first, then at random)
PERIODS = ["2026-01", "2026-02", "2026-03"]
LATER_PERIOD = "2026-04"  # only the second import may bring orders here
EMPTY_PERIOD = "2025-09"  # never has orders; distributors may join in it
PROPERTY_SETTINGS = hyp_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# ---------------------------------------------------------------- data

ID_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " -_.,;:\"'/\\|#&()[]{}<>!?@%+=*~^`$"
    "éüßØñçÅœÜ"  # accents
    "中文日本語ｱΩж"  # other scripts; U+FF71 sorts before emoji by code point, after them in UTF-16
    "😀🚀🎉"  # beyond the BMP
)
ids = st.one_of(
    st.text(ID_CHARS, min_size=1, max_size=8),
    st.text(ID_CHARS, min_size=56, max_size=64),
    # what a CSV reader might take for a number, a boolean or a null; composed and decomposed é
    st.sampled_from(["NaN", "null", "N/A", "01", "1", "1.0", "TRUE", "-0", "e\u0301", "\u00e9"]),
).filter(lambda s: s == s.strip())
volumes = st.one_of(
    st.integers(0, 30_000),
    st.integers(-15_000, -1),  # refunds
    st.sampled_from([10_000, 9_999, 0]),  # at, just under the active threshold
).map(lambda cents: Decimal(cents).scaleb(-2))
names = st.none() | st.text("abcxyz ÄÖ, \"'😀", min_size=1, max_size=10).filter(lambda s: s == s.strip())
joins = st.none() | st.dates(date(2025, 6, 1), date(2026, 5, 31))


@dataclass
class Case:
    """A network in two imports: the first folder, then additions under existing members."""

    distributors: list[Distributor]
    orders: list[Order]
    more_distributors: list[Distributor] = field(default_factory=list)
    more_orders: list[Order] = field(default_factory=list)


def _day(period: str, day: int) -> date:
    year, month = period.split("-")
    return date(int(year), int(month), day)


@st.composite
def orders_for(draw: st.DrawFn, members: Sequence[str], periods: Sequence[str], first: int) -> list[Order]:
    out: list[Order] = []
    for member in members:
        for _ in range(draw(st.integers(0, 3))):
            period = draw(st.sampled_from(periods))
            out.append(
                Order(
                    f"o{first + len(out)}",
                    member,
                    _day(period, draw(st.integers(1, 28))),
                    draw(volumes),
                    draw(st.sampled_from(["retail", "retail", "self"])),
                )
            )
    return out


def _sponsor(draw: st.DrawFn, existing: Sequence[str]) -> str | None:
    """Any earlier member (bushy) or one of the last few (deep); sometimes a new root."""
    n = len(existing)
    if n == 0 or draw(st.integers(0, 9)) == 0:
        return None
    low = 0 if draw(st.booleans()) else max(0, n - 3)
    return existing[draw(st.integers(low, n - 1))]


@st.composite
def cases(draw: st.DrawFn, max_members: int = 30) -> Case:
    n = draw(st.integers(1, max_members))
    more = draw(st.sampled_from([0, 0, 0, 1, 3]))  # new distributors in a second import
    all_ids = draw(st.lists(ids, min_size=n + more, max_size=n + more, unique=True))
    placed: list[str] = []
    first: list[Distributor] = []
    for ident in all_ids[:n]:
        first.append(Distributor(ident, _sponsor(draw, placed), draw(names), draw(joins)))
        placed.append(ident)
    second: list[Distributor] = []
    for ident in all_ids[n:]:
        sponsor = _sponsor(draw, placed) or placed[draw(st.integers(0, len(placed) - 1))]
        second.append(Distributor(ident, sponsor, draw(names), draw(joins)))
        placed.append(ident)
    orders = draw(orders_for(all_ids[:n], PERIODS, 0))
    # the second import may also bring orders alone (its distributors.csv only a header)
    buyers = placed if second or draw(st.booleans()) else []
    more_orders = draw(orders_for(buyers, [*PERIODS, LATER_PERIOD], len(orders)))
    # files need not list sponsors before recruits
    first = draw(st.permutations(first))
    return Case(list(first), orders, second, more_orders)


def _rows(distributors: Sequence[Distributor], orders: Sequence[Order]) -> tuple[list[Any], list[Any]]:
    # retail is the default: leave it out on every third retail row
    dist_rows = [
        (d.id, d.sponsor_id or "", d.name or "", "", d.joined_on.isoformat() if d.joined_on else "", "", "")
        for d in distributors
    ]
    order_rows = [
        (o.id, o.distributor_id, o.ordered_on.isoformat(), str(o.volume), str(o.volume),
         "" if o.buyer == "retail" and k % 3 == 0 else o.buyer)
        for k, o in enumerate(orders)
    ]  # fmt: skip
    return dist_rows, order_rows


def _import(
    driver: Driver, database: str, distributors: Sequence[Distributor], orders: Sequence[Order]
) -> None:
    with tempfile.TemporaryDirectory(prefix="downline-props-") as tmp:
        folder = write_folder(Path(tmp), *_rows(distributors, orders))
        import_folder(driver, folder, database=database)


def _clean(driver: Driver, database: str) -> None:
    delete_all(driver, database=database)
    ensure_schema(driver, database)


# ---------------------------------------------------------------- comparisons


class Mismatches:
    """Every difference found in one comparison run, reported together."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def eq(self, what: str, got: Any, want: Any) -> None:
        if got != want:
            self.items.append(f"{what}: expected {want!r}, got {got!r}")

    def exact(self, what: str, got: Any, want: Decimal) -> None:
        if not isinstance(got, Decimal):
            self.items.append(f"{what}: expected an exact Decimal {want!r}, got {type(got).__name__} {got!r}")
        else:
            self.eq(what, got, want)

    def close(self, what: str, got: Any, want: float) -> None:
        if not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12):
            self.items.append(f"{what}: expected {want!r}, got {got!r}")

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.items.append(what)

    def assert_none(self) -> None:
        shown = "\n  ".join(self.items[:40])
        more = f"\n  ... and {len(self.items) - 40} more" if len(self.items) > 40 else ""
        assert not self.items, f"{len(self.items)} mismatch(es):\n  {shown}{more}"


def compare_stats(m: Mismatches, got: Any, want: dict[str, Any], label: str) -> None:
    for key in ("id", "period", "frontline", "downline_size", "active_downline", "max_depth", "levels"):
        m.eq(f"{label}.{key}", getattr(got, key), want[key])
    for key in ("depth", "sponsor_id", "name", "active"):
        m.eq(f"{label}.{key}", getattr(got, key), want[key])
    m.exact(f"{label}.pv", got.pv, want["pv"])
    m.exact(f"{label}.gv", got.gv, want["gv"])
    m.close(f"{label}.mean_depth", got.mean_depth, want["mean_depth"])
    m.close(f"{label}.strongest_leg_share", got.strongest_leg_share, want["strongest_leg_share"])
    got_order = [leg.id for leg in got.legs]
    want_order = [leg["id"] for leg in want["legs"]]
    if got_order != want_order:
        m.eq(f"{label}.legs order", got_order, want_order)
        return
    for leg, expected in zip(got.legs, want["legs"], strict=True):
        m.exact(f"{label}.legs[{leg.id!r}].gv", leg.gv, expected["gv"])
        m.eq(f"{label}.legs[{leg.id!r}].size", leg.size, expected["size"])
        m.close(f"{label}.legs[{leg.id!r}].share", leg.share, expected["share"])


class Facts:
    """Reference figures of everyone in one period, worked out once (listings are long)."""

    def __init__(self, net: Net, period: str) -> None:
        self.net = net
        self.period = period
        self.depth = ref.depths(net)
        self.size = ref.downline_sizes(net)
        self.gv = ref.all_gv(net, period)


def compare_member(m: Mismatches, facts: Facts, got: Any, level: int, label: str) -> None:
    net, period = facts.net, facts.period
    d = net.distributors.get(got.id)
    if d is None:
        m.check(False, f"{label}: unknown member {got.id!r}")
        return
    what = f"{label} member {got.id!r}"
    m.eq(f"{what}.level", got.level, level)
    m.eq(f"{what}.depth", got.depth, facts.depth[d.id])
    m.eq(f"{what}.sponsor_id", got.sponsor_id, d.sponsor_id)
    m.eq(f"{what}.name", got.name, d.name)
    m.eq(f"{what}.downline_size", got.downline_size, facts.size[d.id])
    pv = net.pv(d.id, period)
    m.exact(f"{what}.pv", got.pv, pv)
    m.exact(f"{what}.gv", got.gv, facts.gv[d.id])
    m.eq(f"{what}.active", got.active, pv >= ACTIVE_PV)
    m.eq(f"{what}.joined_on", got.joined_on, d.joined_on.isoformat() if d.joined_on else None)


def walk_downline(
    m: Mismatches, driver: Driver, database: str, member: str, limit: int, label: str, **filters: Any
) -> list[Any]:
    """Every page of a downline listing, following next_cursor until None."""
    items: list[Any] = []
    totals: set[int] = set()
    cursor: str | None = None
    for _ in range(100_000):
        page = service.downline(
            driver, database, member, cursor=cursor, limit=limit, active_pv=ACTIVE_PV, **filters
        )
        totals.add(page.total)
        m.check(len(page.items) <= limit, f"{label}: a page of {len(page.items)} items over limit {limit}")
        items.extend(page.items)
        if page.next_cursor is None:
            break
        m.check(
            len(page.items) == limit, f"{label}: a page before the last holds {len(page.items)} < {limit}"
        )
        if not page.items:
            m.check(False, f"{label}: an empty page with a next_cursor; stopped")
            break
        cursor = page.next_cursor
    m.check(totals == {len(items)}, f"{label}: page totals {sorted(totals)} but {len(items)} members listed")
    ids_listed = [x.id for x in items]
    m.check(len(set(ids_listed)) == len(ids_listed), f"{label}: duplicates across pages {ids_listed}")
    return items


def compare_downline(
    m: Mismatches, driver: Driver, database: str, facts: Facts, member: str, limit: int
) -> None:
    net, period = facts.net, facts.period
    want = ref.downline(net, member)
    label = f"downline({member!r}, period={period})"
    items = walk_downline(m, driver, database, member, limit, label, period=period)
    m.eq(f"{label} members", sorted(x.id for x in items), sorted(want))
    position = {x.id: i for i, x in enumerate(items)}
    for i, x in enumerate(items):
        if x.id in want:
            compare_member(m, facts, x, want[x.id], label)
            sponsor = net.distributors[x.id].sponsor_id
            if sponsor in position and position[sponsor] > i:
                m.check(False, f"{label}: {x.id!r} listed before its sponsor {sponsor!r}")
    label2 = f"downline({member!r}, level=2)"
    level2 = walk_downline(m, driver, database, member, limit, label2, period=period, level=2)
    m.eq(f"{label2} members", sorted(x.id for x in level2), sorted(k for k, v in want.items() if v == 2))
    m.check(all(x.level == 2 for x in level2), f"{label2}: levels {[x.level for x in level2]}")
    label3 = f"downline({member!r}, period={period}, active=True)"
    active = walk_downline(m, driver, database, member, limit, label3, period=period, active=True)
    m.eq(
        f"{label3} members",
        sorted(x.id for x in active),
        sorted(k for k in want if net.pv(k, period) >= ACTIVE_PV),
    )


def compare_upline(m: Mismatches, driver: Driver, database: str, facts: Facts, member: str) -> None:
    net, period = facts.net, facts.period
    got = service.upline(driver, database, member, period, active_pv=ACTIVE_PV)
    label = f"upline({member!r}, period={period})"
    want = ref.upline(net, member)
    m.eq(f"{label} ids", [x.id for x in got], want)
    for i, x in enumerate(got):
        compare_member(m, facts, x, i + 1, label)


def compare_network(m: Mismatches, got: Any, want: dict[str, Any]) -> None:
    label = f"network_stats({want['period']})"
    for key in ("period", "distributors", "roots", "max_depth", "depth_histogram", "leg_balance"):
        m.eq(f"{label}.{key}", getattr(got, key), want[key])
    m.exact(f"{label}.active_pv", got.active_pv, want["active_pv"])
    m.close(f"{label}.mean_depth", got.mean_depth, want["mean_depth"])
    m.eq(
        f"{label}.frontline_histogram",
        [tuple(x) for x in got.frontline_histogram],
        want["frontline_histogram"],
    )
    m.eq(f"{label}.growth", [tuple(x) for x in got.growth], want["growth"])
    m.eq(f"{label}.top ids", [r.id for r in got.top], [i for i, _ in want["top"]])
    if [r.id for r in got.top] == [i for i, _ in want["top"]]:
        for r, (_, gv) in zip(got.top, want["top"], strict=True):
            m.exact(f"{label}.top[{r.id!r}].gv", r.gv, gv)
    compare_totals(m, got.totals, want["totals"], f"{label}.totals")
    m.eq(f"{label}.history periods", [h.period for h in got.history], [h["period"] for h in want["history"]])
    if len(got.history) == len(want["history"]):
        for h, w in zip(got.history, want["history"], strict=True):
            compare_totals(m, h, w, f"{label}.history[{w['period']}]")


def compare_totals(m: Mismatches, got: Any, want: dict[str, Any], label: str) -> None:
    for key in ("period", "orders", "active", "new_distributors"):
        m.eq(f"{label}.{key}", getattr(got, key), want[key])
    m.exact(f"{label}.volume", got.volume, want["volume"])
    m.exact(f"{label}.retail_volume", got.retail_volume, want["retail_volume"])
    m.close(f"{label}.retail_share", got.retail_share, want["retail_share"])


def compare_everything(
    driver: Driver,
    database: str,
    net: Net,
    *,
    members: Sequence[str] | None = None,
    sample: int = SAMPLE,
    page_limit: dict[str, int] | None = None,
    live_periods: Sequence[str] | None = None,
) -> None:
    """All figures of `members` (default: everyone, or `sample` of them: the largest downlines,
    then others at random) in every period with orders plus an empty one, and the network
    statistics in each of those periods. The live path is checked in `live_periods` (default all)."""
    m = Mismatches()
    periods = [*net.periods(), EMPTY_PERIOD]
    m.eq("latest_period", service.latest_period(driver, database), net.latest_period())
    for period in periods:
        got = service.network_stats(driver, database, period, active_pv=ACTIVE_PV, top=TOP)
        compare_network(m, got, ref.network(net, period, ACTIVE_PV, TOP))
    if members is None:
        size = ref.downline_sizes(net)
        members = sorted(net.distributors, key=lambda i: (-size[i], i))
        if len(members) > sample:
            rest = members[sample // 2 :]
            members = members[: sample // 2] + random.Random(len(rest)).sample(rest, sample - sample // 2)
    facts = Facts(net, net.latest_period() or EMPTY_PERIOD)
    for member in members:
        for period in periods:
            want = ref.stats(net, member, period, ACTIVE_PV)
            got = service.distributor_stats(driver, database, member, period, active_pv=ACTIVE_PV)
            compare_stats(m, got, want, f"stats({member!r}, {period})")
            if live_periods is None or period in live_periods:
                live = service.distributor_stats(
                    driver, database, member, period, active_pv=ACTIVE_PV, live=True
                )
                compare_stats(m, live, want, f"stats({member!r}, {period}, live)")
        compare_upline(m, driver, database, facts, member)
        limit = (page_limit or {}).get(member, PAGE)
        compare_downline(m, driver, database, facts, member, limit)
    if net.latest_period() is not None and members:
        default = service.distributor_stats(driver, database, members[0], active_pv=ACTIVE_PV)
        m.eq(f"stats({members[0]!r}) default period", default.period, net.latest_period())
    m.assert_none()


# ---------------------------------------------------------------- tests

CURATED = Case(
    distributors=[
        Distributor('quote"d,id', None, 'Root, "the first"', date(2025, 9, 1)),
        Distributor("ｱ", 'quote"d,id', None, date(2025, 9, 30)),
        Distributor("😀", 'quote"d,id', "Smiley 😀", None),
        Distributor("Ünïcødé/ß·", "ｱ", None, date(2026, 1, 15)),
        Distributor("a,b,c", "Ünïcødé/ß·", None, None),
        Distributor("O'Brien \\ back", "😀", None, None),  # no orders at all
        Distributor("x" * 64, None, None, date(2026, 2, 2)),  # a second root, alone
        Distributor("🚀 rocket", "x" * 64, None, None),
    ],
    orders=[
        Order("o0", "ｱ", date(2026, 1, 3), Decimal("40.50"), "retail"),
        Order("o1", "😀", date(2026, 1, 4), Decimal("40.5"), "self"),  # ties ｱ's leg: code point order
        Order("o2", "a,b,c", date(2026, 1, 5), Decimal("-140.25"), "retail"),  # refund: negative GV
        Order("o3", 'quote"d,id', date(2026, 1, 6), Decimal("100.00"), "self"),
        Order("o4", "🚀 rocket", date(2026, 3, 9), Decimal("-0.01"), "retail"),  # 2026-02: no orders
        Order("o5", "Ünïcødé/ß·", date(2026, 3, 10), Decimal("99.99"), "retail"),
    ],
    more_distributors=[Distributor('new, "one"', "a,b,c", None, date(2026, 5, 5))],
    more_orders=[
        Order("o6", 'new, "one"', date(2026, 1, 20), Decimal("300"), "retail"),
        Order("o7", 'quote"d,id', date(2026, 5, 1), Decimal("12.34"), "self"),
    ],
)


@PROPERTY_SETTINGS
@given(case=cases())
@example(case=CURATED)
@example(case=Case([Distributor("solo", None)], []))  # no orders anywhere
def test_figures_match_the_reference(driver: Driver, settings: Settings, case: Case) -> None:
    database = settings.neo4j_database
    _clean(driver, database)
    _import(driver, database, case.distributors, case.orders)
    compare_everything(driver, database, Net(case.distributors, case.orders), sample=PROPERTY_SAMPLE)
    if case.more_distributors or case.more_orders:
        # a later import adds members under existing ones and orders: rollups must follow
        _import(driver, database, case.more_distributors, case.more_orders)
        net = Net([*case.distributors, *case.more_distributors], [*case.orders, *case.more_orders])
        compare_everything(driver, database, net, sample=PROPERTY_SAMPLE)


def _chain(n: int) -> Iterator[Distributor]:
    for k in range(n):
        yield Distributor(f"chain·{k:04d}", f"chain·{k - 1:04d}" if k else None, None, None)


@pytest.mark.neo4j  # about a minute: the live path walks 1,500 paths of up to 1,500 links
def test_chain_1500_deep(driver: Driver, settings: Settings) -> None:
    database = settings.neo4j_database
    dists = list(_chain(1500))
    orders = [
        Order(f"o{k}", dists[k].id, date(2026, 1 + k % 2, 1 + k % 28), Decimal(k % 250) - Decimal("20.5"))
        for k in range(0, 1500, 7)
    ]
    _import(driver, database, dists, orders)
    net = Net(dists, orders)
    members = [dists[0].id, dists[1].id, dists[750].id, dists[1498].id, dists[-1].id]
    members += random.Random(1500).sample([d.id for d in dists], 8 - len(members))
    limits = dict.fromkeys(members, 250) | {dists[0].id: PAGE}
    # the live path walks the whole chain: one period is enough to hold it to the reference
    live = ["2026-02"]
    compare_everything(driver, database, net, members=members, page_limit=limits, live_periods=live)
    # grow the bottom of the chain and the top of it in a second import
    more = [Distributor("chain·1500", dists[-1].id), Distributor("side", dists[0].id)]
    more_orders = [Order("o-more-1", "chain·1500", date(2026, 2, 2), Decimal("1000")),
                   Order("o-more-2", "side", date(2026, 2, 3), Decimal("-3.33"))]  # fmt: skip
    _import(driver, database, more, more_orders)
    net = Net([*dists, *more], [*orders, *more_orders])
    again = [dists[0].id, dists[750].id, dists[-1].id, "chain·1500", "side"]
    compare_everything(driver, database, net, members=again, page_limit=limits, live_periods=live)


@pytest.mark.neo4j
def test_star_2000_wide(driver: Driver, settings: Settings) -> None:
    database = settings.neo4j_database
    hub = 'hub ★, "wide"'
    leaves = [
        Distributor(f"{'éｱ😀'[k % 3]}leaf-{k:04d}", hub, None, date(2026, 1 + k % 4, 1)) for k in range(2000)
    ]
    dists = [Distributor(hub, None, "Hub", date(2025, 9, 9)), *leaves]
    orders = [
        # many equal leg volumes: ties are broken by id, in code point order
        Order(f"o{k}", leaves[k].id, date(2026, 2, 1 + k % 28), Decimal((k % 5) * 50) - Decimal("25.25"))
        for k in range(0, 2000, 3)
    ]
    orders.append(Order("o-hub", hub, date(2026, 2, 14), Decimal("120"), "self"))
    _import(driver, database, dists, orders)
    net = Net(dists, orders)
    members = [hub, *random.Random(2000).sample([d.id for d in leaves], SAMPLE - 1)]
    compare_everything(
        driver, database, net, members=members, page_limit=dict.fromkeys(members, 250) | {hub: PAGE}
    )


def test_unknown_distributor_and_bad_periods(driver: Driver, settings: Settings) -> None:
    database = settings.neo4j_database
    _import(driver, database, CURATED.distributors, CURATED.orders)
    for call in (
        lambda: service.distributor_stats(driver, database, "nobody", "2026-01"),
        lambda: service.distributor_stats(driver, database, "nobody", "2026-01", live=True),
        lambda: service.distributor_stats(driver, database, "ｱ ", "2026-01"),  # ids are not trimmed
        lambda: service.upline(driver, database, "nobody", "2026-01"),
        lambda: service.downline(driver, database, "nobody", period="2026-01"),
    ):
        with pytest.raises(NotFound):
            call()
    for period in ("2026-13", "bad", "2026-1", "26-01"):
        for call in (
            lambda p=period: service.distributor_stats(driver, database, "ｱ", p),
            lambda p=period: service.distributor_stats(driver, database, "ｱ", p, live=True),
            lambda p=period: service.upline(driver, database, "ｱ", p),
            lambda p=period: service.downline(driver, database, "ｱ", period=p),
            lambda p=period: service.network_stats(driver, database, p),
        ):
            with pytest.raises(BadRequest):
                call()
