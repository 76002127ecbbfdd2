"""The commission-flows and network-health pages in a real browser (Debian's headless Chromium,
Selenium) against `downline serve`, on the network of test_dashboard.py with two commission runs
made here: the Sankey and the rest of a run's flows, the plan what-if's winners and losers, the
health page's contract figures as the health service computes them, the income disclosure
statement (inline and printable), and a scoped key getting the plain message and no figures.
"""

from __future__ import annotations

import httpx
import pytest
from neo4j import Driver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from dashboards import ids
from graph_service.analytics import health
from graph_service.compensation import runs
from graph_service.compensation.plan import parse_plan
from graph_service.compensation.whatif import compare
from graph_service.config import Settings
from tests.integration import test_dashboard as base
from tests.integration.test_dashboard import login, severe, text_of, wait

# the fixtures of test_dashboard.py (its network, keys and browser), for this module
org = base.org
downloads = base.downloads
chrome = base.chrome
b = base.b
pytestmark = base.pytestmark

PLAN_A = """name = "Flows A"
active_pv = 100

[unilevel]
rates = [0.10, 0.05]

[[ranks]]
name = "Bronze"
pv = 100
gv = 300
bonus = 25
"""
# more per level and a third level, but no rank bonus: some gain, Bronze holders lose
PLAN_B = """name = "Flows B"
active_pv = 100

[unilevel]
rates = [0.12, 0.06, 0.05]
"""
PERIOD = "2026-10"


@pytest.fixture(scope="module")
def made(org: dict[str, str], session_driver: Driver, settings: Settings) -> dict[str, str]:
    """Two runs of the period over the module's network: plan A, then plan B."""
    db = settings.neo4j_database
    a = runs.run_commissions(session_driver, db, parse_plan(PLAN_A), PERIOD)
    b = runs.run_commissions(session_driver, db, parse_plan(PLAN_B), PERIOD)
    return {"a": a.run_id, "b": b.run_id}


def _svg(b: WebDriver, selector: str) -> int:
    return len(b.find_elements(By.CSS_SELECTOR, selector))


def test_flows_page_shows_a_run_and_the_plan_whatif(
    b: WebDriver,
    api: str,
    org: dict[str, str],
    made: dict[str, str],
    session_driver: Driver,
    settings: Settings,
) -> None:
    login(b, api, org["analyst"], f"/dashboard/flows?run={made['a']}")
    wait(b, lambda d: _svg(d, f"#{ids.FL_SANKEY} .sankey-node") >= 3, what="the Sankey's nodes")
    assert text_of(b, "flows-kpi-plan") == "Flows A"
    flows = runs.run_flows(session_driver, settings.neo4j_database, made["a"])
    assert text_of(b, "flows-kpi-total") == f"{flows['total']:,.2f}"
    labels = {e.text for e in b.find_elements(By.CSS_SELECTOR, f"#{ids.FL_SANKEY} .node-label")}
    assert {"leg A", "Bronze", "unilevel", "rank_bonus"} <= labels  # leg -> rank -> component
    assert _svg(b, f"#{ids.FL_SANKEY} .sankey-link") == len(flows["sankey"])
    wait(b, lambda d: "Bronze" in text_of(d, "flows-rank-table"), what="the table by rank")
    legs = wait(b, lambda d: text_of(d, "flows-legs-table").splitlines()[1:], what="the table of legs")
    assert legs[0].startswith("A ")  # the leg paying the most
    wait(b, lambda d: _svg(d, f"#{ids.FL_LEVELS} .barlayer .trace") == 1, what="the bars by level")
    assert _svg(b, f"#{ids.FL_RATIO} .scatterlayer .trace") == 2  # a line per plan

    # what-if: A's plan against B's (the other run of the period, picked by default)
    b.find_element(By.ID, ids.FL_WHATIF_GO).click()
    summary = wait(b, lambda d: text_of(d, "flows-whatif-summary"), timeout=60, what="the what-if")
    db = settings.neo4j_database
    doc = compare(
        session_driver, db, runs.run_plan(session_driver, db, made["a"])[1],
        runs.run_plan(session_driver, db, made["b"])[1], PERIOD, top=10,
    ).doc  # fmt: skip
    assert f"{doc['better_off']:,} better off under B, {doc['worse_off']:,} worse off" in summary
    table = text_of(b, "flows-whatif-table")
    assert f"total paid {doc['a']['total']:,.2f} {doc['b']['total']:,.2f} {doc['difference']:+,.2f}" in table
    for side in ("winners", "losers"):
        rows = text_of(b, f"flows-{side}").splitlines()[1:]
        assert [r.split()[0] for r in rows] == [p["id"] for p in doc[side]]
    assert doc["winners"]
    assert doc["losers"]
    assert _svg(b, f"#{ids.FL_WHATIF_PEOPLE} .barlayer .point") == len(doc["winners"]) + len(doc["losers"])
    assert severe(b) == []


def _figure(b: WebDriver, key: str) -> str:
    return text_of(b, f"health-fig-{key}")


def test_health_page_shows_the_contract_figures_flags_and_the_disclosure(
    b: WebDriver,
    api: str,
    org: dict[str, str],
    made: dict[str, str],
    session_driver: Driver,
    settings: Settings,
) -> None:
    login(b, api, org["viewer"], f"/dashboard/health?run={made['a']}")
    nav = [a.text for a in b.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a")]
    assert nav == ["Overview", "Organisation", "Legs and balance", "Commission flows", "Network health"]
    wait(b, lambda d: _figure(d, "gini") not in ("", "—"), what="the run's figures")
    doc = health.period_health(session_driver, settings.neo4j_database, None, made["a"]).to_json()
    assert _figure(b, "distributors") == f"{doc['distributors']:,}" == "18"
    assert _figure(b, "active") == f"{doc['active']:,}"
    assert _figure(b, "retail_share") == f"{doc['retail_share']:.1%}"
    assert _figure(b, "median_pv") == f"{doc['median_pv']:,.2f} PV"
    assert _figure(b, "zero_earner_share") == f"{doc['zero_earner_share']:.1%}"
    assert _figure(b, "median_earnings") == f"{doc['median_earnings']:,.2f}"
    assert _figure(b, "top1_share") == f"{doc['top1_share']:.1%}"
    assert _figure(b, "gini") == f"{doc['gini']:.2f}"
    assert text_of(b, ids.HL_SCORE) == f"{doc['score']} / 100"
    for flag in doc["red_flags"]:
        row = b.find_element(By.ID, f"health-flag-{flag['name']}")
        assert ("fired" in row.get_attribute("class").split()) is flag["fired"]
        assert flag["explanation"] in row.text
    assert "All distributors 18 100.0%" in text_of(b, "health-disclosure-table")
    assert (
        b.find_element(By.ID, "health-disclosure-link")
        .get_attribute("href")
        .endswith(f"/dashboard/disclosure/{made['a']}")
    )
    assert "Flows A" in text_of(b, "health-extras-table")

    # without a run: the volume figures, the money ones wait for a run
    b.get(api + "/dashboard/health")
    wait(b, lambda d: _figure(d, "distributors") == "18", what="the figures without a run")
    assert _figure(b, "gini") == "—"
    # a viewer sees the flows but cannot run a what-if (an analyst's request over the API)
    b.get(api + "/dashboard/flows")
    wait(b, lambda d: _svg(d, f"#{ids.FL_SANKEY} .sankey-node"), what="the Sankey")
    assert "analyst" in text_of(b, "flows-whatif-refused")
    assert not b.find_elements(By.ID, ids.FL_WHATIF_GO)
    assert severe(b) == []

    # the printable statement, behind the same cookie
    with httpx.Client(base_url=api, timeout=60) as http:
        assert http.get(f"/dashboard/disclosure/{made['a']}").status_code == 303  # no key: log in
        http.post("/dashboard/login", data={"key": org["viewer"], "next": "/dashboard/"})
        page = http.get(f"/dashboard/disclosure/{made['a']}")
        assert page.status_code == 200
        assert "Income disclosure statement" in page.text
        assert "Flows A" in page.text
        assert http.get("/dashboard/disclosure/no-such-run").status_code == 404


def test_a_scoped_key_gets_the_message_and_no_company_wide_figures(
    b: WebDriver, api: str, org: dict[str, str], made: dict[str, str]
) -> None:
    login(b, api, org["scoped"], f"/dashboard/flows?run={made['a']}")
    message = wait(b, lambda d: text_of(d, ids.FL_SCOPED), what="the message")
    assert "company-wide figures need an unscoped key" in message.lower()
    for hidden in (ids.FL_RUN, ids.FL_SANKEY, ids.FL_KPIS, ids.FL_RATIO, ids.FL_WHATIF_GO):
        assert not b.find_elements(By.ID, hidden)
    assert made["b"] not in b.find_element(By.TAG_NAME, "body").text

    # health: the figures of its own organisation (A, A1, A2, A11), no disclosure statement
    b.get(api + f"/dashboard/health?run={made['a']}")
    wait(b, lambda d: _figure(d, "gini") not in ("", "—"), what="the scope's figures")
    assert _figure(b, "distributors") == "4"
    assert "the organisation of A" in text_of(b, "health-extras-table")
    assert "company-wide" in text_of(b, "health-disclosure-refused")
    assert not b.find_elements(By.ID, "health-disclosure-table")
    assert severe(b) == []
    with httpx.Client(base_url=api, timeout=60) as http:
        http.post("/dashboard/login", data={"key": org["scoped"], "next": "/dashboard/"})
        assert http.get(f"/dashboard/disclosure/{made['a']}").status_code == 403
