"""Network health through the real Neo4j against the independent reference
(tests/reference_health.py): random networks with refunds, several roots, empty periods and join
dates, a stored commission run under a random plan (its money from tests/reference_commissions.py),
a scoped organisation, and a later import that must not change the run's figures. Then the
command line (`downline health`, `downline disclosure`)."""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from graph_service.analytics import health
from graph_service.compensation import runs
from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.schema import ensure_schema
from graph_service.errors import BadRequest, NotFound
from tests import reference_health as ref
from tests.helpers import run_cli
from tests.integration.test_commission_runs import load, plan_of
from tests.reference import Net, Order
from tests.reference_commissions import Member, dec
from tests.reference_commissions import commission_run as reference_run
from tests.unit.test_engine import _plans
from tests.unit.test_health import compare

D = Decimal
PERIODS = ["2025-10", "2025-11", "2026-01", "2026-02"]  # 2025-12 has no orders
ASKED = [*PERIODS, "2025-12", "2026-03"]
LATER = "2026-03"  # only the second import brings orders here
ids = st.sampled_from(["", "é", ' "q"', ",c", "中"])  # suffixes: Unicode, quotes, commas in ids
volumes = st.one_of(st.integers(-15_000, 30_000), st.sampled_from([10_000, 9_999, 10_500, 0])).map(
    lambda c: D(c).scaleb(-2)
)
joins = st.none() | st.dates(date(2024, 12, 1), date(2026, 3, 31))


def _orders(draw: st.DrawFn, who: list[str], periods: list[str], first: int) -> list[Order]:
    out: list[Order] = []
    for member in who:
        for _ in range(draw(st.integers(0, 3))):
            day = date.fromisoformat(f"{draw(st.sampled_from(periods))}-{draw(st.integers(1, 28)):02d}")
            buyer = draw(st.sampled_from(["retail", "retail", "self"]))
            out.append(Order(f"o{first + len(out)}", member, day, draw(volumes), buyer))
    return out


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 14))
    names = [f"d{k}{draw(ids)}" for k in range(n)]
    members = []
    for k, name in enumerate(names):
        sponsor = None if k == 0 or draw(st.integers(0, 5)) == 0 else names[draw(st.integers(0, k - 1))]
        members.append(Member(name, sponsor, None, draw(joins)))
    orders = _orders(draw, names, PERIODS, 0)
    newcomer = Member("late", names[draw(st.integers(0, n - 1))], None, date(2026, 3, 2))
    later = _orders(draw, [*draw(st.lists(st.sampled_from(names), max_size=3)), "late"], [*PERIODS, LATER],
                    len(orders))  # fmt: skip
    return {
        "members": draw(st.permutations(members)),
        "orders": orders,
        "newcomer": newcomer,
        "later": later,
        "asked": draw(st.sampled_from(ASKED)),
        "run_period": draw(st.sampled_from(PERIODS)),
        "scope": names[draw(st.integers(0, n - 1))],
    }


def organisation(net: Net, top: str) -> Net:
    """`top` and their downline, `top` as a root: what a key scoped to `top` sees."""
    kept, queue = [top], deque([top])
    while queue:
        for child in net.children[queue.popleft()]:
            kept.append(child)
            queue.append(child)
    inside = set(kept)
    people = [net.distributors[i] for i in kept]
    people = [Member(d.id, None if d.id == top else d.sponsor_id, d.name, d.joined_on) for d in people]
    return Net(people, [o for o in net.orders if o.distributor_id in inside])


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],  # cleaned per example
)
@given(case=cases(), plan=_plans())
def test_health_matches_the_reference(
    driver: Driver, settings: Settings, case: dict[str, Any], plan: dict[str, Any]
) -> None:
    db = settings.neo4j_database
    delete_all(driver, database=db)
    ensure_schema(driver, db)
    members: list[Member] = case["members"]
    load(driver, db, members, case["orders"])
    net = Net(members, case["orders"])
    asked, period, scope = case["asked"], case["run_period"], case["scope"]

    # without a run: every published distributor, the default threshold
    got = health.period_health(driver, db, asked, active_pv=D(100)).to_json()
    compare(got, ref.health(net, asked, D(100)))
    assert (got["run_id"], got["gini"], got["scope"]) == (None, None, None)
    inside = organisation(net, scope)
    compare(health.period_health(driver, db, asked, scope_id=scope, active_pv=D(100)).to_json(),
            ref.health(inside, asked, D(100)))  # fmt: skip

    # with a run: its period, its plan's threshold, everyone's money (0 for non-earners)
    if "matrix" in plan:  # the import placed everyone at the configured width; a plan must match it
        plan["matrix"]["width"] = settings.matrix_width
    summary = runs.run_commissions(driver, db, plan_of(plan), period)
    money = reference_run(net, plan, period)
    earned = {i: row["total"] for i, row in money.earners.items()}
    threshold = dec(plan.get("active_pv", 100))
    want = ref.health(net, period, threshold, earnings=earned, lines=money.lines)
    got = health.period_health(driver, db, None, summary.run_id).to_json()
    compare(got, want)
    assert got["distributors"] == summary.distributors
    assert got["total_paid"] == float(summary.total)
    assert (got["run_id"], got["plan"]) == (summary.run_id, summary.plan)
    mine = {i: earned[i] for i in inside.distributors}
    scoped = health.period_health(driver, db, period, summary.run_id, scope)
    compare(scoped.to_json(), ref.health(inside, period, threshold, earnings=mine))
    assert scoped.to_json()["paid_depth_share"] is None  # flows are company-wide

    # a later import (new orders, a newcomer) leaves the run's figures as they were
    load(driver, db, [case["newcomer"]], case["later"])
    compare(health.period_health(driver, db, period, summary.run_id).to_json(), want)
    grown = Net([*members, case["newcomer"]], [*case["orders"], *case["later"]])
    compare(
        health.period_health(driver, db, asked, active_pv=D(100)).to_json(), ref.health(grown, asked, D(100))
    )


def test_the_rollup_packs_the_frame_it_read(driver: Driver, settings: Settings) -> None:
    """Workers read the frame the rollup packed (one read), and it is the frame a scan gives."""
    db = settings.neo4j_database
    members = [Member("R", None, None, date(2025, 12, 1)), Member("Ä😀", "R", None, date(2026, 1, 2)),
               Member("B", "Ä😀"), Member("S", None, None, date(2026, 2, 9))]  # fmt: skip
    orders = [Order("o1", "R", date(2026, 1, 3), D(150)), Order("o2", "B", date(2026, 2, 4), D(-4), "self"),
              Order("o3", "B", date(2026, 2, 9), D(80))]  # fmt: skip
    load(driver, db, members, orders)
    pub = health.service.published(driver, db, with_stats=True)
    packed = health._packed_frame(driver, db, pub)
    assert packed is not None
    scanned = health._rolled_frame(
        health._one(driver, db, "health/members", gen=pub.gen, pv=health.rollup.keys(pub.slot or 0)["pv"]),
        pub,
        pub.gen,
    )

    def rows(f: health.Frame) -> dict[str, tuple[object, ...]]:
        ids = f.ids.to_pylist()
        return {
            i: (ids[f.sponsor[k]] if f.sponsor[k] >= 0 else None, int(f.joined_month[k]), f.pv[k].tolist())
            for k, i in enumerate(ids)
        }

    assert rows(packed) == rows(scanned)
    assert rows(packed)["B"] == ("Ä😀", -1, [0, 760_000])
    assert (packed.periods, packed.retail.tolist(), packed.gen) == (
        scanned.periods,
        scanned.retail.tolist(),
        pub.gen,
    )


def test_run_and_period_must_agree_and_unknowns_are_not_found(driver: Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    load(driver, db, [Member("R", None), Member("A", "R")], [Order("o1", "A", date(2026, 1, 3), D(120))])
    run = runs.run_commissions(
        driver, db, plan_of({"name": "u", "unilevel": {"rates": [D("0.1")]}}), "2026-01"
    )
    assert health.period_health(driver, db, "2026-01", run.run_id).period == "2026-01"
    assert health.period_health(driver, db, None, run.run_id).period == "2026-01"
    with pytest.raises(BadRequest, match="is for period 2026-01, not 2026-02"):
        health.period_health(driver, db, "2026-02", run.run_id)
    with pytest.raises(BadRequest):
        health.period_health(driver, db, "2026-13")
    with pytest.raises(NotFound):
        health.period_health(driver, db, None, "no-such-run")
    with pytest.raises(NotFound):
        health.period_health(driver, db, None, scope_id="nobody")
    with pytest.raises(NotFound):
        health.disclosure(driver, db, "no-such-run")
    # the latest period with orders by default
    assert health.period_health(driver, db).period == "2026-01"


def test_an_empty_database(driver: Driver, settings: Settings) -> None:
    report = health.period_health(driver, settings.neo4j_database, "2026-01")
    assert (report.distributors, report.active, report.retail_share, report.median_pv) == (0, 0, 0.0, 0.0)
    assert report.score == 100


def test_the_command_line(
    driver: Driver, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = settings.neo4j_database
    members = [Member("R", None, None, date(2025, 12, 1)), Member("A", "R", None, date(2026, 1, 2)),
               Member("B", "A", None, date(2026, 1, 5))]  # fmt: skip
    orders = [Order("o1", "R", date(2026, 1, 3), D(150)), Order("o2", "A", date(2026, 1, 4), D(104), "self"),
              Order("o3", "B", date(2026, 1, 9), D(80))]  # fmt: skip
    load(driver, db, members, orders)
    plan = {"name": "Plan <b>&", "unilevel": {"rates": [D("0.1"), D("0.05")]},
            "ranks": [{"name": "Star", "pv": 100, "gv": 200}]}  # fmt: skip
    run = runs.run_commissions(driver, db, plan_of(plan), "2026-01")

    plain = run_cli("health", "--period", "2026-01", "--json", env=cli_env)
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout) == health.period_health(driver, db, "2026-01").to_json()
    with_run = run_cli("health", "--run", run.run_id, "--json", env=cli_env)
    doc = json.loads(with_run.stdout)
    assert doc == health.period_health(driver, db, None, run.run_id).to_json()
    assert doc["distributors"] == 3
    assert doc["zero_earner_share"] == pytest.approx(1 / 3)  # B earns nothing
    table = run_cli("health", "--run", run.run_id, env=cli_env)
    assert table.returncode == 0, table.stderr
    assert "Gini" in table.stdout
    assert "score" in table.stdout
    mismatch = run_cli("health", "--run", run.run_id, "--period", "2026-02", env=cli_env)
    assert mismatch.returncode == 2
    assert "is for period 2026-01" in mismatch.stderr

    as_csv = run_cli("disclosure", run.run_id, "--csv", env=cli_env)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["group"] for r in rows] == ["All distributors", "No rank", "Star"]
    assert rows[0]["members"] == "3"
    page = tmp_path / "ids.html"
    assert run_cli("disclosure", run.run_id, "--html", str(page), env=cli_env).returncode == 0
    text = page.read_text(encoding="utf-8")
    assert "Plan &lt;b&gt;&amp;" in text
    assert "<b>&" not in text
    assert run_cli("disclosure", run.run_id, env=cli_env).returncode == 0
    assert run_cli("disclosure", "nope", env=cli_env).returncode == 4


def test_workers_prepare_the_frame_at_start_and_after_each_publish(
    driver: Driver, settings: Settings, tmp_path: Path
) -> None:
    from graph_service.analytics.warmup import Warmer
    from graph_service.ingest.load import import_folder
    from tests.helpers import write_folder

    db = settings.neo4j_database
    dists = [("R", "", "Root", "ES", "2026-01-05", "", ""), ("A", "R", "Ann", "ES", "2026-02-01", "", "")]
    import_folder(
        driver, write_folder(tmp_path / "one", dists, [("o1", "A", "2026-10-02", "120", "", "")]), database=db
    )
    warmer = Warmer(driver, db, every_s=0.2)
    health._FRAMES.clear()
    warmer.start()
    try:
        first = _wait(lambda: warmer.warmed)
        assert len(health._FRAMES) == 1
        assert sorted(next(iter(health._FRAMES.values())).ids.to_pylist()) == ["A", "R"]
        more = [("B", "R", "Bob", "PT", "2026-03-01", "", "")]
        import_folder(driver, write_folder(tmp_path / "two", more, []), database=db)
        second = _wait(lambda: warmer.warmed if warmer.warmed != first else None)
        assert second[0] > first[0]  # a newer generation, prepared without anyone asking
        frames = [f for f in health._FRAMES.values() if f.gen == second[0]]
        assert [sorted(f.ids.to_pylist()) for f in frames] == [["A", "B", "R"]]
        # a new run: its earners are read and kept for the health page and the disclosure
        runs._earnings_kept.clear()
        run = runs.run_commissions(
            driver, db, plan_of({"name": "u", "unilevel": {"rates": [D("0.1")]}}), "2026-10"
        )
        _wait(lambda: warmer.warmed_run if warmer.warmed_run == run.run_id else None)
        assert warmer.warmed == second  # the same rollup: the frame is not read again
        assert [k[1] for k in runs._earnings_kept] == [run.run_id]
        assert (run.run_id, run.fingerprint) in health.load_frame(driver, db)._earner_rows  # placed
        assert next(iter(runs._earnings_kept.values())).run.run_id == run.run_id
    finally:
        warmer.close()


def test_kept_earnings_are_the_runs_own(driver: Driver, settings: Settings) -> None:
    """Two runs read in turn give each its own earners; a kept one is shared, so read-only."""
    db = settings.neo4j_database
    orders = [Order("o1", "A", date(2026, 1, 3), D(120)), Order("o2", "R", date(2026, 1, 4), D(100))]
    load(driver, db, [Member("R", None), Member("A", "R")], orders)
    one = runs.run_commissions(
        driver, db, plan_of({"name": "u", "unilevel": {"rates": [D("0.1")]}}), "2026-01"
    )
    two = runs.run_commissions(
        driver, db, plan_of({"name": "v", "unilevel": {"rates": [D("0.2")]}}), "2026-01"
    )
    for _ in range(2):  # read, then kept: R earns 10% (20%) of A's 120 PV
        assert runs.earnings(driver, db, one.run_id).cents["total"].tolist() == [1200]
        assert runs.earnings(driver, db, two.run_id).cents["total"].tolist() == [2400]
    assert runs.earnings(driver, db, one.run_id) is runs.earnings(driver, db, one.run_id)
    kept = runs.earnings(driver, db, one.run_id)
    with pytest.raises(ValueError, match="read-only"):
        kept.cents["total"][0] = 0
    with pytest.raises(TypeError):
        kept.cents["total"] = kept.cents["unilevel"]  # type: ignore[index]
    assert isinstance(kept.ids, tuple)
    assert isinstance(kept.rank, tuple)


def _wait(probe: Any, timeout: float = 60) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("the warmer did not prepare the frame in time")
