"""Stored commission runs through the real Neo4j: the contract's worked examples, every earner and
line of random runs against the independent reference (tests/reference_commissions.py), a run
killed mid-write leaving nothing visible, immutability, rank cards, flows and what-if."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from neo4j import Driver

from graph_service.analytics import service
from graph_service.compensation import runs
from graph_service.compensation.card import rank_card
from graph_service.compensation.plan import LoadedPlan, parse_plan
from graph_service.compensation.whatif import compare
from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.schema import ensure_schema
from graph_service.errors import NotFound
from graph_service.ingest.load import import_folder
from tests.helpers import killed_when, run_cli, write_folder
from tests.reference import Net, Order
from tests.reference_commissions import Line, Member
from tests.reference_commissions import commission_run as reference_run
from tests.unit.test_engine import _networks, _plans

D = Decimal


# -- helpers ----------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


def toml(plan: dict[str, Any]) -> str:
    """A plan dict (shaped like the TOML) written as TOML text."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in plan.items() if not isinstance(v, (dict, list))]
    for section in ("unilevel", "binary", "matrix"):
        if section in plan:
            lines.append(f"\n[{section}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in plan[section].items() if v is not None]
    for rank in plan.get("ranks", []):
        lines.append("\n[[ranks]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in rank.items()]
    return "\n".join(lines) + "\n"


def plan_of(doc: dict[str, Any]) -> LoadedPlan:
    return parse_plan(toml(doc))


def load(driver: Driver, database: str, members: list[Member], orders: list[Order]) -> None:
    rows = [
        (m.id, m.sponsor_id or "", m.name or "", "", m.joined_on.isoformat() if m.joined_on else "",
         m.placement_parent_id or "", m.placement_side or "")
        for m in members
    ]  # fmt: skip
    order_rows = [
        (o.id, o.distributor_id, o.ordered_on.isoformat(), str(o.volume), "", o.buyer) for o in orders
    ]
    with tempfile.TemporaryDirectory(prefix="downline-runs-") as tmp:
        import_folder(driver, write_folder(Path(tmp), rows, order_rows), database=database)


def _o(n: int, who: str, day: str, volume: str) -> Order:
    return Order(f"o{n}", who, date.fromisoformat(day), D(volume))


def stored_lines(e: runs.EarnerSummary) -> Counter[Line]:
    return Counter(
        Line(e.id, line.source, line.component, line.level, line.base, line.rate, line.amount)
        for line in e.lines or []
    )


# -- every earner and line against the reference ----------------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],  # cleaned per example
)
@given(network=_networks(), plan=_plans())
def test_stored_runs_match_the_reference(
    driver: Driver, settings: Settings, network: tuple[list[Member], list[Order], str], plan: dict[str, Any]
) -> None:
    members, orders, period = network
    db = settings.neo4j_database
    delete_all(driver, database=db)
    ensure_schema(driver, db)
    load(driver, db, members, orders)
    plan.setdefault("name", "random")
    if "matrix" in plan:  # the import placed everyone at the configured width; a plan must match it
        plan["matrix"]["width"] = settings.matrix_width
    summary = runs.run_commissions(driver, db, plan_of(plan), period)
    ref = reference_run(Net(members, orders), plan, period)

    assert summary.period == period
    assert summary.volume == ref.totals["volume"]
    assert summary.total == ref.totals["total"]
    assert summary.payout_ratio == ref.totals["payout_ratio"]
    assert summary.distributors == len(members)
    for m in members:
        e = runs.earner(driver, db, summary.run_id, m.id, lines=True)
        want = ref.earners[m.id]
        assert e.rank == want["rank"], m.id
        assert {c: getattr(e, c) for c in ("unilevel", "binary", "matrix", "rank_bonus", "total")} == {
            c: want[c] for c in ("unilevel", "binary", "matrix", "rank_bonus", "total")
        }, m.id
        assert stored_lines(e) == Counter(line for line in ref.lines if line.earner == m.id), m.id
    # the bulk read agrees with the per-earner reads
    bulk = runs.earnings(driver, db, summary.run_id)
    paid = dict(zip(bulk.ids, bulk.cents["total"], strict=True))
    assert sum(paid.values()) == int(summary.total * 100)
    flows = runs.run_flows(driver, db, summary.run_id)
    assert flows["by_component"] == {c: float(v) for c, v in summary.components.items()}
    assert sum(r["holders"] for r in flows["by_rank"]) == len(members)


# -- the contract's worked examples, stored -----------------------------------------------------


BINARY_MEMBERS = [
    Member("P", None),
    Member("A", "P", None, None, "P", "L"),
    Member("B", "P", None, None, "P", "R"),
    Member("C", "A", None, None, "A", "R"),
]


@pytest.mark.parametrize(("cap", "paid"), [(None, D("40.00")), (30, D("30.00"))])
def test_binary_example_and_the_carry_into_the_next_month(
    driver: Driver, settings: Settings, cap: int | None, paid: Decimal
) -> None:
    db = settings.neo4j_database
    # January: L 500, R 400 -> 2 pairs of 200 at 10%: 40.00 (30.00 with cap 30), carry 100 and 0
    jan = [_o(1, "P", "2026-01-05", "100"), _o(2, "A", "2026-01-06", "500"), _o(3, "B", "2026-01-07", "400")]
    # February: L 100 + carry 100, R 200 + carry 0 -> 1 pair: 20.00 (no pair without the carry)
    feb = [_o(4, "P", "2026-02-05", "100"), _o(5, "A", "2026-02-06", "100"), _o(6, "B", "2026-02-07", "200")]
    load(driver, db, BINARY_MEMBERS, jan + feb)
    binary: dict[str, Any] = {"pair_unit": 200, "pair_rate": D("0.1")}
    if cap is not None:
        binary["cap"] = cap
    plan = plan_of({"name": "binary", "binary": binary})
    first = runs.run_commissions(driver, db, plan, "2026-01")
    p = runs.earner(driver, db, first.run_id, "P", lines=True)
    assert (p.binary, p.total) == (paid, paid)
    assert [(x.component, x.base, x.rate, x.amount) for x in p.lines or []] == [
        ("binary", D(400), D("0.1"), paid)
    ]
    second = runs.run_commissions(driver, db, plan, "2026-02")
    assert runs.earner(driver, db, second.run_id, "P").binary == D("20.00")
    assert first.run_id != second.run_id


def test_maximum_leg_rule_and_the_rank_card(driver: Driver, settings: Settings, tmp_path: Path) -> None:
    db = settings.neo4j_database
    members = [Member("X", None), Member("A", "X"), Member("B", "X"), Member("A1", "A")]
    orders = [_o(1, "X", "2026-03-01", "100"), _o(2, "A", "2026-03-02", "10000"),
              _o(3, "A1", "2026-03-03", "8000"), _o(4, "B", "2026-03-04", "3000")]  # fmt: skip
    load(driver, db, members, orders)
    plan = plan_of({"name": "ranks", "ranks": [
        {"name": "Star", "pv": 100, "gv": 20000, "max_leg_share": D("0.8"), "active_frontline": 2,
         "bonus": 250}
    ]})  # fmt: skip
    first = runs.run_commissions(driver, db, plan, "2026-03")
    assert runs.earner(driver, db, first.run_id, "X").rank is None

    # gv 20,000 at 80%: the 18,000 leg counts 16,000; 100 + 16,000 + 3,000 = 19,100, 900 short
    card = rank_card(driver, db, "X", plan.plan, "2026-03", data_gen=first.data_gen)
    (star,) = card.ranks
    need = {r.name: r for r in star.requirements}
    assert need["qualifying_gv"].value == D(19100)
    assert need["qualifying_gv"].missing == D(900)
    assert need["pv"].met
    assert need["active_frontline"].met
    assert star.capped_legs == [("A", D(18000), D(16000))]
    assert (card.rank, card.next_rank, card.data_changed) == (None, "Star", False)

    load(driver, db, [], [_o(5, "B", "2026-03-20", "900")])  # a late order in the same month
    second = runs.run_commissions(driver, db, plan, "2026-03")
    x = runs.earner(driver, db, second.run_id, "X", lines=True)
    assert (x.rank, x.rank_bonus, x.total) == ("Star", D(250), D(250))
    assert [(line.component, line.base, line.amount) for line in x.lines or []] == [
        ("rank_bonus", D(20000), D(250))
    ]
    # the first run never changes; its card says the data moved on
    assert runs.earner(driver, db, first.run_id, "X").rank is None
    assert runs.get_run(driver, db, first.run_id) == runs.get_run(driver, db, first.run_id)
    assert runs.get_run(driver, db, first.run_id).fingerprint != second.fingerprint
    assert rank_card(driver, db, "X", plan.plan, "2026-03", data_gen=first.data_gen).data_changed
    assert [r.run_id for r in runs.list_runs(driver, db)] == [second.run_id, first.run_id]


def test_unknown_runs_and_distributors_are_not_found(driver: Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    load(driver, db, [Member("R", None), Member("S", "R")], [_o(1, "S", "2026-05-01", "500")])
    run = runs.run_commissions(
        driver, db, plan_of({"name": "u", "unilevel": {"rates": [D("0.1")]}}), "2026-05"
    )
    with pytest.raises(NotFound):
        runs.earner(driver, db, "2026-05-nothere", "R")
    with pytest.raises(NotFound):
        runs.earner(driver, db, run.run_id, "NOBODY")
    with pytest.raises(NotFound):
        runs.get_run(driver, db, "nope")
    # S's 500 PV: R is inactive (no PV), so dynamic compression finds no one to pay
    s = runs.earner(driver, db, run.run_id, "S", lines=True)
    assert (s.rank, s.total, s.lines) == (None, D(0), [])
    assert run.total == 0
    assert run.payout_ratio == 0


def test_what_if_compares_two_plans_on_the_same_data(driver: Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    members = [Member("R", None), Member("A", "R"), Member("B", "R"), Member("A1", "A")]
    orders = [_o(1, "R", "2026-05-01", "100"), _o(2, "A", "2026-05-01", "100"),
              _o(3, "B", "2026-05-02", "50"), _o(4, "A1", "2026-05-03", "300")]  # fmt: skip
    load(driver, db, members, orders)
    a = plan_of({"name": "A", "unilevel": {"rates": [D("0.1")]}})
    b = plan_of({"name": "B", "unilevel": {"rates": [D("0.05"), D("0.05")]}})
    result = compare(driver, db, a, b, "2026-05", top=5)
    doc = result.doc
    ra = reference_run(Net(members, orders), {"name": "A", "unilevel": {"rates": [D("0.1")]}}, "2026-05")
    rb = reference_run(Net(members, orders), {"name": "B", "unilevel": {"rates": [D("0.05")] * 2}}, "2026-05")
    assert D(str(doc["a"]["total"])) == ra.totals["total"]
    assert D(str(doc["b"]["total"])) == rb.totals["total"]
    assert D(str(doc["difference"])) == rb.totals["total"] - ra.totals["total"]
    deltas = {i: rb.earners[i]["total"] - ra.earners[i]["total"] for i in ra.earners}
    assert [w["id"] for w in doc["winners"]] == sorted((i for i in deltas if deltas[i] > 0),
                                                       key=lambda i: (-deltas[i], i))  # fmt: skip
    assert [w["id"] for w in doc["losers"]] == sorted((i for i in deltas if deltas[i] < 0),
                                                      key=lambda i: (deltas[i], i))  # fmt: skip
    assert doc["better_off"] + doc["worse_off"] == sum(1 for v in deltas.values() if v)
    rows = {r[0]: r for r in result.rows()}
    assert D(rows["R"][3]) == deltas["R"]
    same = compare(driver, db, a, a, "2026-05").doc
    assert (same["difference"], same["winners"], same["losers"]) == (0.0, [], [])
    assert runs.list_runs(driver, db) == []  # nothing stored


# -- all or nothing ---------------------------------------------------------------------------------


def _count(driver: Driver, query: str) -> int:
    records, _, _ = driver.execute_query(query)
    return int(records[0][0])


def test_a_run_killed_mid_write_leaves_nothing_visible(
    driver: Driver, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert run_cli("generate", str(data), "--distributors", "3000", "--months", "2", "--seed", "7",
                   env=cli_env).returncode == 0  # fmt: skip
    assert run_cli("import", str(data), env=cli_env).returncode == 0
    plan = tmp_path / "plan.toml"
    plan.write_text(toml({"name": "u", "unilevel": {"rates": [D("0.05")] * 5}}))
    latest = service.latest_period(driver, settings.neo4j_database)
    assert latest is not None
    # one earner a chunk, every chunk its own transaction: hundreds of commits to be killed among
    slow = {**cli_env, "DOWNLINE_RUN_LINES_PER_WRITE": "1", "DOWNLINE_RUN_EARNERS_PER_CHUNK": "1"}

    def chunks_written() -> bool:
        return _count(driver, "MATCH (c:RunChunk) RETURN count(c)") > 0

    with killed_when(["commissions", "run", "--plan", str(plan), "--period", latest], slow, chunks_written):
        assert runs.list_runs(driver, settings.neo4j_database) == []  # mid-way: nothing to see
    assert _count(driver, "MATCH (r:CommissionRun {state: 'writing'}) RETURN count(r)") == 1
    assert runs.list_runs(driver, settings.neo4j_database) == []
    listed = run_cli("commissions", "list", "--json", env=cli_env)
    assert json.loads(listed.stdout) == []
    (dead,) = [r[0] for r in driver.execute_query("MATCH (r:CommissionRun) RETURN r.id")[0]]
    assert run_cli("commissions", "earner", dead, "R1", env=cli_env).returncode == 4

    # the next run sweeps the abandoned one (here at once: DOWNLINE_RUN_STALE_SECONDS=0)
    again = run_cli("commissions", "run", "--plan", str(plan), "--period", latest, "--json",
                    env={**cli_env, "DOWNLINE_RUN_STALE_SECONDS": "0"})  # fmt: skip
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert list(doc) == ["run_id", "period", "plan", "volume", "total", "payout_ratio"]
    assert _count(driver, f"MATCH (c:RunChunk {{run_id: '{dead}'}}) RETURN count(c)") == 0
    assert _count(driver, "MATCH (r:CommissionRun) RETURN count(r)") == 1
    assert [r.run_id for r in runs.list_runs(driver, settings.neo4j_database)] == [doc["run_id"]]


def test_a_bad_plan_is_refused_with_located_problems_and_nothing_written(
    driver: Driver, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    load(driver, settings.neo4j_database, BINARY_MEMBERS, [_o(1, "A", "2026-01-06", "500")])
    before = _count(driver, "MATCH (n) RETURN count(n)")
    plan = tmp_path / "bad.toml"
    plan.write_text('name = "bad"\n\n[unilevel]\nrates = [0.05, "ten"]\ncompression = "sometimes"\n')
    proc = run_cli("commissions", "run", "--plan", str(plan), "--period", "2026-01", env=cli_env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "bad.toml:4" in proc.stderr
    assert "bad.toml:5" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _count(driver, "MATCH (n) RETURN count(n)") == before
    assert _count(driver, "MATCH (r:CommissionRun) RETURN count(r)") == 0
