"""Network health and the income disclosure statement over real HTTP (`downline serve`) against
the real Neo4j: the contract's keys, the same figures as the service, a run's period, scoped keys
(their own organisation; no disclosure statement), and the statement as JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from neo4j import Driver

from graph_service.analytics import health
from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.ingest.load import import_folder
from tests.helpers import write_folder

# R ── A ── B ── C ── E        a chain deep enough for money paid at level 4
#   │     └─ A2
#   └─ F
DISTRIBUTORS = [
    ("R", "", "Rita Root", "ES", "2026-08-05", "", ""),
    ("A", "R", "Ann Able", "ES", "2026-09-01", "", ""),
    ("B", "A", "Bob Baker", "PT", "2026-09-03", "", ""),
    ("C", "B", "Cid Cee", "ES", "2026-10-01", "", ""),
    ("E", "C", "Eve Deep", "DE", "2026-10-02", "", ""),
    ("A2", "A", "Axel Two", "ES", "2026-10-09", "", ""),
    ("F", "R", "Fay Far", "FR", "", "", ""),
]
ORDERS = [
    ("o1", "R", "2026-10-02", "120", "", "retail"),
    ("o2", "A", "2026-10-03", "105", "", "self"),
    ("o3", "B", "2026-10-04", "150", "", ""),
    ("o4", "C", "2026-10-05", "100", "", "self"),
    ("o5", "E", "2026-10-20", "400", "", ""),
    ("o6", "F", "2026-09-21", "99.99", "", ""),
    ("o7", "A2", "2026-10-22", "-20", "", ""),
]
PLAN = """name = "Health <plan> & \\"co\\""

[unilevel]
rates = [0.1, 0.05, 0.05, 0.05, 0.05]

[[ranks]]
name = "Silver"
pv = 100
gv = 500
bonus = 10
"""
CONTRACT = ["period", "distributors", "active", "retail_share", "median_pv"]
WITH_RUN = ["zero_earner_share", "median_earnings", "top1_share", "gini"]


@pytest.fixture
def keys(driver: Driver, settings: Settings, tmp_path: Path) -> dict[str, str]:
    db = settings.neo4j_database
    import_folder(driver, write_folder(tmp_path / "net", DISTRIBUTORS, ORDERS), database=db)
    out = {role: keystore.create_key(driver, db, role=role)[0] for role in keystore.ROLES}
    out["scoped"] = keystore.create_key(driver, db, role="viewer", scope="A")[0]
    return out


def _get(api: str, path: str, key: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{api}{path}", headers=headers, params=params, timeout=120)


def _run(api: str, keys: dict[str, str]) -> str:
    r = httpx.post(
        f"{api}/v1/commissions/runs",
        headers={"Authorization": f"Bearer {keys['admin']}"},
        json={"plan": PLAN, "period": "2026-10"},
        timeout=120,
    )
    assert r.status_code == 201, r.text
    run_id: str = r.json()["run_id"]
    return run_id


def test_network_health_over_http(api: str, keys: dict[str, str], driver: Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    assert _get(api, "/v1/network/health", None).status_code == 401
    r = _get(api, "/v1/network/health", keys["viewer"], period="2026-10")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert list(doc)[:5] == CONTRACT
    assert doc == health.period_health(driver, db, "2026-10").to_json()
    assert (doc["period"], doc["distributors"], doc["active"]) == ("2026-10", 7, 5)  # R, A, B, C, E
    assert doc["retail_share"] == pytest.approx((120 + 150 + 400 - 20) / (120 + 105 + 150 + 100 + 400 - 20))
    assert doc["median_pv"] == 105.0  # 0 (F), -20, 100, 105, 120, 150, 400
    assert all(doc[k] is None for k in WITH_RUN)
    assert _get(api, "/v1/network/health", keys["viewer"]).json()["period"] == "2026-10"  # the latest

    run_id = _run(api, keys)
    r = _get(api, "/v1/network/health", keys["viewer"], run=run_id)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc == health.period_health(driver, db, None, run_id).to_json()
    assert all(isinstance(doc[k], float) for k in WITH_RUN)
    assert doc["period"] == "2026-10"
    assert doc["plan"] == 'Health <plan> & "co"'
    assert doc["paid_depth_share"] > 0  # E's 400 PV pays R at level 4
    assert [f["name"] for f in doc["red_flags"]] == [
        "retail_share", "zero_earners", "threshold_bunching", "top1_concentration", "deep_pay",
    ]  # fmt: skip
    assert doc["score"] == 100 - 20 * sum(f["fired"] for f in doc["red_flags"])

    same = _get(api, "/v1/network/health", keys["viewer"], run=run_id, period="2026-10")
    assert same.json() == doc
    other = _get(api, "/v1/network/health", keys["viewer"], run=run_id, period="2026-09")
    assert other.status_code == 422
    assert other.json()["error"] == "bad_request"
    assert "is for period 2026-10" in other.json()["message"]
    assert _get(api, "/v1/network/health", keys["viewer"], run="nope").status_code == 404
    assert _get(api, "/v1/network/health", keys["viewer"], period="2026-13").status_code == 422

    # a scoped key: its own organisation (A, B, C, E, A2), money included, no company-wide flows
    scoped = _get(api, "/v1/network/health", keys["scoped"], run=run_id)
    assert scoped.status_code == 200, scoped.text
    mine = scoped.json()
    assert (mine["distributors"], mine["scope"]) == (5, "A")
    assert mine == health.period_health(driver, db, None, run_id, "A").to_json()
    assert mine["paid_depth_share"] is None


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_disclosure_statement_over_http(
    api: str, keys: dict[str, str], driver: Driver, settings: Settings
) -> None:
    run_id = _run(api, keys)
    path = f"/v1/commissions/runs/{run_id}/disclosure"
    assert _get(api, path, None).status_code == 401
    r = _get(api, path, keys["viewer"])
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc == health.disclosure(driver, settings.neo4j_database, run_id).to_json()
    assert (doc["run_id"], doc["period"], doc["distributors"]) == (run_id, "2026-10", 7)
    groups = {row["group"]: row for row in doc["rows"]}
    assert list(groups) == ["All distributors", "No rank", "Silver"]
    assert groups["All distributors"]["members"] == 7
    assert groups["No rank"]["members"] + groups["Silver"]["members"] == 7
    assert groups["All distributors"]["total"] == pytest.approx(doc["total"])

    as_csv = _get(api, path, keys["viewer"], format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["group"] for row in rows] == list(groups)
    assert float(rows[0]["median"]) == groups["All distributors"]["median"]

    page = _get(api, path, keys["viewer"], format="html")
    assert page.headers["content-type"].startswith("text/html")
    assert "<plan>" not in page.text
    assert "Health &lt;plan&gt; &amp; &quot;co&quot;" in page.text
    parsed = _Page()
    parsed.feed(page.text)
    text = " ".join(parsed.text)
    assert "plan" not in parsed.tags
    assert 'Health <plan> & "co"' in text
    assert run_id in text
    assert "How to read it." in text
    assert "Silver" in text

    assert _get(api, path, keys["scoped"]).status_code == 403  # company-wide: unscoped keys only
    assert _get(api, path, keys["viewer"], format="xml").status_code == 422
    assert _get(api, "/v1/commissions/runs/nope/disclosure", keys["viewer"]).status_code == 404
