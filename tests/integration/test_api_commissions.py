"""Commission runs over real HTTP (`downline serve`) against the real Neo4j: running a plan (admin
only), the earner summary of the contract and its lines, rank cards, flows, what-if, located plan
errors, and scoped keys kept inside their downline."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from neo4j import Driver

from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.ingest.load import import_folder
from tests.helpers import run_cli, write_folder

# R ── A ── A1 ── A11        binary placement: A under R on L, B under R on R
#   │     └─ A2
#   └─ B ── B1
DISTRIBUTORS = [
    ("R", "", "Rita Root", "ES", "2026-01-05", "", ""),
    ("A", "R", "Ann Able", "ES", "2026-02-01", "R", "L"),
    ("B", "R", "Bob Baker", "PT", "2026-02-03", "R", "R"),
    ("A1", "A", "Alma One", "ES", "2026-03-01", "", ""),
    ("A2", "A", "Axel Two", "DE", "2026-03-02", "", ""),
    ("A11", "A1", "Abel Deep", "ES", "2026-10-02", "", ""),
    ("B1", "B", "Bea Below", "PT", "2026-10-09", "", ""),
]
ORDERS = [
    ("o1", "R", "2026-10-02", "120", "", "retail"),
    ("o2", "A", "2026-10-03", "250.5", "", "self"),
    ("o3", "A1", "2026-10-04", "150", "", ""),
    ("o4", "B", "2026-09-04", "100", "", ""),
    ("o5", "A11", "2026-10-20", "200", "", ""),
    ("o6", "B1", "2026-10-21", "99.99", "", ""),
    ("o7", "B", "2026-10-22", "300", "", ""),
]
PLAN = """name = "API plan"

[unilevel]
rates = [0.1, 0.05, 0.025]

[binary]
pair_unit = 100
pair_rate = 0.1

[[ranks]]
name = "Silver"
pv = 100
gv = 500
max_leg_share = 0.6
bonus = 25
"""


@pytest.fixture
def keys(driver: Driver, settings: Settings, tmp_path: Path) -> dict[str, str]:
    import_folder(
        driver, write_folder(tmp_path / "net", DISTRIBUTORS, ORDERS), database=settings.neo4j_database
    )
    db = settings.neo4j_database
    out = {role: keystore.create_key(driver, db, role=role)[0] for role in keystore.ROLES}
    out["scoped"] = keystore.create_key(driver, db, role="viewer", scope="A")[0]
    out["scoped_admin"] = keystore.create_key(driver, db, role="admin", scope="A")[0]
    return out


def _call(method: str, api: str, path: str, key: str, body: Any = None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.request(method, f"{api}{path}", headers=headers, json=body, params=params, timeout=120)


def _run(api: str, key: str, plan: str = PLAN, period: str = "2026-10") -> httpx.Response:
    return _call("POST", api, "/v1/commissions/runs", key, {"plan": plan, "period": period})


def test_run_then_read_every_earner_as_the_contract_says(
    api: str, keys: dict[str, str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert _run(api, keys["viewer"]).status_code == 403
    assert _run(api, keys["analyst"]).status_code == 403
    assert _run(api, keys["scoped_admin"]).status_code == 403
    r = _run(api, keys["admin"])
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["period"] == "2026-10"
    assert run["plan"] == "API plan"
    assert run["volume"] == 120 + 250.5 + 150 + 200 + 99.99 + 300
    rid = run["run_id"]

    total = 0.0
    for member in ("R", "A", "B", "A1", "A2", "A11", "B1"):
        e = _call("GET", api, f"/v1/commissions/runs/{rid}/earners/{member}", keys["viewer"])
        assert e.status_code == 200, e.text
        doc = e.json()
        assert list(doc) == ["id", "rank", "unilevel", "binary", "matrix", "rank_bonus", "total"]
        assert doc["total"] == pytest.approx(
            doc["unilevel"] + doc["binary"] + doc["matrix"] + doc["rank_bonus"]
        )
        lines = _call("GET", api, f"/v1/commissions/runs/{rid}/earners/{member}/lines", keys["viewer"]).json()
        for component in ("unilevel", "binary", "rank_bonus"):
            exact = sum(float(x["amount_exact"]) for x in lines if x["component"] == component)
            assert doc[component] == pytest.approx(exact, abs=0.005)
        cli = run_cli("commissions", "earner", rid, member, "--json", env=cli_env)
        assert json.loads(cli.stdout) == doc
        total += doc["total"]
    assert run["total"] == pytest.approx(total)

    # A's 250.50 PV pays R 10% at level 1; A11's 200 pays A1, A and R on levels 1-3
    r_lines = _call("GET", api, f"/v1/commissions/runs/{rid}/earners/R/lines", keys["viewer"]).json()
    from_a = [x for x in r_lines if x["source"] == "A"]
    assert from_a == [
        {"source": "A", "component": "unilevel", "level": 1, "base": 250.5, "base_volume": 250.5,
         "rate": 0.1, "amount": 25.05, "amount_exact": "25.05"}
    ]  # fmt: skip
    assert [x["level"] for x in r_lines if x["source"] == "A11"] == [3]
    # binary (only A and B are placed): September leaves R (no PV, inactive) a right carry of 100;
    # October: L 250.5, R 100 + 300 -> 2 pairs of 100 at 10%
    (pairs,) = [x for x in r_lines if x["component"] == "binary"]
    assert (pairs["base"], pairs["amount"]) == (200.0, 20.0)
    as_csv = _call("GET", api, f"/v1/commissions/runs/{rid}/earners/R/lines", keys["viewer"], format="csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == len(r_lines)
    assert {row["source"] for row in rows} >= {"A", "A11"}

    listed = _call("GET", api, "/v1/commissions/runs", keys["viewer"]).json()
    assert [x["run_id"] for x in listed] == [rid]
    assert _call("GET", api, f"/v1/commissions/runs/{rid}", keys["viewer"]).json() == listed[0]
    plan = _call("GET", api, f"/v1/commissions/runs/{rid}/plan", keys["analyst"]).json()
    assert plan["plan"] == PLAN


def test_flows_rank_card_and_what_if(api: str, keys: dict[str, str]) -> None:
    rid = _run(api, keys["admin"]).json()["run_id"]
    flows = _call("GET", api, f"/v1/commissions/runs/{rid}/flows", keys["viewer"]).json()
    run = _call("GET", api, f"/v1/commissions/runs/{rid}", keys["viewer"]).json()
    assert flows["by_component"] == run["components"]
    assert flows["payout_ratio"] == run["payout_ratio"]
    assert {x["level"] for x in flows["by_level"] if x["component"] == "unilevel"} == {1, 2, 3}
    assert sum(x["holders"] for x in flows["by_rank"]) == 7
    assert {x["leg"] for x in flows["legs"]} == {"R", "A", "B"}  # a root is a leg of its own
    into_components = sum(e["amount"] for e in flows["sankey"] if e["to"] in run["components"])
    assert into_components == pytest.approx(run["total"], abs=0.05)

    card = _call("GET", api, f"/v1/commissions/runs/{rid}/earners/R/rank-card", keys["viewer"]).json()
    (silver,) = card["ranks"]
    gv = {x["name"]: x for x in silver["requirements"]}["qualifying_gv"]
    # R: PV 120; legs A (250.5 + 150 + 200 = 600.5) and B (399.99), each capped at 0.6 * 500 = 300
    assert gv["value"] == 120 + 300 + 300
    assert silver["met"] is True
    assert card["rank"] == "Silver"
    assert silver["capped_legs"] == [
        {"id": "A", "gv": 600.5, "counted": 300.0},
        {"id": "B", "gv": 399.99, "counted": 300.0},
    ]
    earner = _call("GET", api, f"/v1/commissions/runs/{rid}/earners/R", keys["viewer"]).json()
    assert (earner["rank"], earner["rank_bonus"]) == ("Silver", 25.0)

    cheaper = PLAN.replace("rates = [0.1, 0.05, 0.025]", "rates = [0.05]")
    body = {"plans": [PLAN, cheaper], "period": "2026-10", "top": 3}
    assert _call("POST", api, "/v1/commissions/whatif", keys["viewer"], body).status_code == 403
    w = _call("POST", api, "/v1/commissions/whatif", keys["analyst"], body)
    assert w.status_code == 200, w.text
    doc = w.json()
    assert doc["a"]["total"] == run["total"]
    assert doc["b"]["total"] < doc["a"]["total"]
    assert doc["winners"] == []
    assert len(doc["losers"]) == 3
    assert all(x["delta"] < 0 for x in doc["losers"])


def test_scoped_keys_see_earners_of_their_downline_only(api: str, keys: dict[str, str]) -> None:
    rid = _run(api, keys["admin"]).json()["run_id"]
    inside = _call("GET", api, f"/v1/commissions/runs/{rid}/earners/A1", keys["scoped"])
    assert inside.status_code == 200
    for outside in ("R", "B", "B1"):
        for suffix in ("", "/lines", "/rank-card"):
            r = _call(
                "GET", api, f"/v1/commissions/runs/{rid}/earners/{quote(outside)}{suffix}", keys["scoped"]
            )
            assert r.status_code == 404, (outside, suffix, r.text)
            assert r.json()["error"] == "not_found"
    for path in ("/v1/commissions/runs", f"/v1/commissions/runs/{rid}", f"/v1/commissions/runs/{rid}/flows"):
        assert _call("GET", api, path, keys["scoped"]).status_code == 403


def test_errors_say_where_and_why(api: str, keys: dict[str, str]) -> None:
    bad = _run(api, keys["admin"], plan='name = "x"\n[binary]\npair_unit = -5\npair_rate = 2\n')
    assert bad.status_code == 422
    problems = bad.json()["problems"]
    assert {p["line"] for p in problems} == {3, 4}
    assert all(p["reason"] for p in problems)
    assert _run(api, keys["admin"], period="2026-13").status_code == 422
    assert _call("GET", api, "/v1/commissions/runs/nope/earners/R", keys["viewer"]).status_code == 404
    rid = _run(api, keys["admin"]).json()["run_id"]
    assert _call("GET", api, f"/v1/commissions/runs/{rid}/earners/NOBODY", keys["viewer"]).status_code == 404
    assert _call("GET", api, "/v1/commissions/runs", keys["viewer"]).json()[0]["run_id"] == rid
