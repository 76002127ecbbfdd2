"""The dashboard in a real browser: `downline serve` (the `api` fixture, API and dashboard on one
port) against the test Neo4j, driven by Debian's headless Chromium through Selenium.

Login and logout, every page loading without console errors, the explorer expanding, paging in
"N more", searching by name and switching to the binary placement tree and the matrix, the
workbench running a named query, paging a result server side and downloading CSV, roles, and a
scoped key seeing nothing outside its downline. The network is loaded once for the module (the
tests only read it).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from neo4j import Driver
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from dashboards import ids
from dashboards.app import PLOTLY_JS
from graph_service.analytics import service
from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.schema import ensure_schema
from graph_service.errors import NotFound
from graph_service.ingest.load import import_folder
from graph_service.matrix import matrix_position
from tests.helpers import write_folder

CHROMIUM = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("DOWNLINE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
T = TypeVar("T")

pytestmark = pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)

# R (Rita Root) sponsors A, B and C01..C10: twelve in the frontline, so the explorer shows eight
# and a "4 more" node. A ── A1 ── A11, A ── A2. Z (Zed Outsider) is a second root with Z1.
# Binary placement: A (L) and B (R) under R; C01 (L, outside A's downline) and A1 (R) under A;
# A2 (L) under B. The matrix (width 3) is placed by the import.
FRONTLINE = ["A", "B"] + [f"C{i:02d}" for i in range(1, 11)]
DISTRIBUTORS = [
    ("R", "", "Rita Root", "ES", "2025-01-05", "", ""),
    ("A", "R", "Ann Able", "ES", "2025-02-01", "R", "L"),
    ("B", "R", "Bob Baker", "PT", "2025-02-03", "R", "R"),
    ("C01", "R", "Carla C01", "DE", "2026-03-01", "A", "L"),
    *[(c, "R", f"Carla {c}", "DE", "2026-03-01", "", "") for c in FRONTLINE[3:]],
    ("A1", "A", "Alma One", "ES", "2026-03-01", "A", "R"),
    ("A2", "A", "Axel Two", "DE", "2026-03-02", "B", "L"),
    ("A11", "A1", "Abel Deep", "ES", "2026-10-02", "", ""),
    ("Z", "", "Zed Outsider", "FR", "2025-06-01", "", ""),
    ("Z1", "Z", "Zoe Under", "FR", "2026-09-01", "", ""),
]
ORDERS = [
    ("o-r", "R", "2026-10-02", "120", "", "retail"),
    ("o-a", "A", "2026-10-03", "150", "", "self"),
    ("o-a1", "A1", "2026-10-04", "150", "", ""),
    ("o-a11", "A11", "2026-10-20", "200", "", ""),
    ("o-b", "B", "2026-10-05", "300", "", ""),
    *[(f"o-{c}", c, "2026-10-06", str(10 * i), "", "") for i, c in enumerate(FRONTLINE[2:], 1)],
    ("o-z", "Z", "2026-09-04", "100", "", ""),
    ("o-z1", "Z1", "2026-10-21", "99.99", "", ""),
]


@pytest.fixture(scope="module")
def org(
    session_driver: Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The network above (loaded once for the module) and a key per role, plus a viewer scoped to A."""
    db = settings.neo4j_database
    delete_all(session_driver, database=db)
    ensure_schema(session_driver, db)
    folder = write_folder(tmp_path_factory.mktemp("dashboard-net"), DISTRIBUTORS, ORDERS)
    import_folder(session_driver, folder, database=db)
    out = {
        role: keystore.create_key(session_driver, db, role=role, name=f"test {role}")[0]
        for role in keystore.ROLES
    }
    out["scoped"] = keystore.create_key(session_driver, db, role="viewer", scope="A", name="scoped")[0]
    return out


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def chrome(downloads: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(CHROMIUM) or CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        # Debian's Chromium keeps trying the (closed) network without these
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-quic",
    ):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(shutil.which(CHROMEDRIVER) or CHROMEDRIVER), options=options)
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    yield browser
    browser.quit()


@pytest.fixture
def b(chrome: WebDriver) -> WebDriver:
    """The browser, logged out, with an empty console log."""
    chrome.delete_all_cookies()
    chrome.get("about:blank")
    chrome.get_log("browser")
    return chrome


# -- helpers ----------------------------------------------------------------------------------


def wait(b: WebDriver, condition: Callable[[WebDriver], T], timeout: float = 20, what: str = "") -> T:
    def probe(driver: WebDriver) -> T | None:
        try:
            return condition(driver) or None
        except StaleElementReferenceException:
            return None

    try:
        found: T = WebDriverWait(b, timeout, poll_frequency=0.1).until(probe)
    except TimeoutException:
        shot = Path(tempfile.gettempdir()) / "dashboard-timeout.png"
        b.save_screenshot(str(shot))
        pytest.fail(f"timed out waiting for {what or condition} at {b.current_url} (screenshot {shot})")
    return found


def text_of(b: WebDriver, element_id: str) -> str:
    found = b.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def login(b: WebDriver, api: str, key: str, path: str = "/dashboard/") -> None:
    b.get(api + path)
    wait(b, lambda d: d.find_elements(By.ID, "login-key"), what="the login page")
    b.find_element(By.ID, "login-key").send_keys(key)
    b.find_element(By.ID, "login-submit").click()
    wait(b, lambda d: d.find_elements(By.ID, ids.NAV) and d.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a"),
         what="the dashboard after login")  # fmt: skip


def type_into(element: WebElement, text: str) -> None:
    """Replace what an input holds (`clear()` does not reach React's state)."""
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def severe(b: WebDriver) -> list[str]:
    """Console errors since the last call (Cytoscape's wheel-sensitivity warning is a warning)."""
    return [e["message"] for e in b.get_log("browser") if e["level"] == "SEVERE"]


_CY = (
    "var g = document.getElementById('explorer-graph'); if (!g) { return null; }"
    "var el = [g, ...g.querySelectorAll('*')].find(e => e._cyreg && e._cyreg.cy);"
    "if (!el) { return null; } var cy = el._cyreg.cy;"
)


def graph_nodes(b: WebDriver) -> list[dict[str, Any]]:
    found = b.execute_script(_CY + "return cy.nodes().map(n => n.data());")
    return list(found or [])


def click_node(b: WebDriver, node_id: str) -> None:
    """A real click where Cytoscape drew the node (the graph is a canvas), once the layout has
    settled (the node stays put)."""
    where = _CY + "var p = cy.getElementById(arguments[0]).renderedPosition(); return [p.x, p.y];"
    seen: list[tuple[float, float]] = []

    def settled(d: WebDriver) -> bool:
        x, y = d.execute_script(where, node_id)
        seen.append((round(x), round(y)))
        time.sleep(0.15)
        return len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]

    wait(b, settled, what=f"{node_id} to stay put")
    x, y = b.execute_script(
        _CY + "var p = cy.getElementById(arguments[0]).renderedPosition();"
        "var r = el.getBoundingClientRect(); return [r.left + p.x, r.top + p.y];",
        node_id,
    )
    actions = ActionBuilder(b)
    actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()


def cell(b: WebDriver, row: int, column: int = 0) -> str:
    """The text of a cell of the workbench's grid ("" while the row is not there)."""
    found = b.find_elements(By.CSS_SELECTOR, f".ag-row[row-index='{row}'] .ag-cell")
    return found[column].text if len(found) > column else ""


def ids_shown(b: WebDriver) -> set[str]:
    return {n["id"] for n in graph_nodes(b) if n.get("kind") == "member"}


# -- keys -------------------------------------------------------------------------------------


def test_the_dashboard_needs_a_key_in_its_cookie(api: str, org: dict[str, str]) -> None:
    """Over plain HTTP: nothing but the login page without the cookie, a bearer header does not
    count, the cookie is HttpOnly and SameSite=Strict, no open redirect, no login from elsewhere."""
    with httpx.Client(base_url=api, timeout=30) as http:
        r = http.get("/dashboard/explorer?focus=R")
        assert r.status_code == 303
        assert r.headers["location"] == "/dashboard/login?next=/dashboard/explorer%3Ffocus%3DR"
        assert http.get("/dashboard/_dash-layout").status_code == 401
        assert http.get("/dashboard/_dash-dependencies").status_code == 401
        bearer = {"Authorization": f"Bearer {org['admin']}"}
        assert http.get("/dashboard/_dash-layout", headers=bearer).status_code == 401
        # a callback without a key gets no data, only an update that sends the browser to log in
        body = {
            "output": "overview-kpis.children",
            "outputs": {"id": "overview-kpis", "property": "children"},
            "inputs": [{"id": "overview-period", "property": "value", "value": "2026-10"}],
            "changedPropIds": ["overview-period.value"],
            "state": [],
        }
        r = http.post("/dashboard/_dash-update-component", json=body, headers=bearer)
        assert r.json() == {
            "multi": True,
            "response": {},
            "sideUpdate": {ids.REDIRECT: {"href": "/dashboard/login"}},
        }

        assert http.get("/dashboard/login").status_code == 200
        r = http.post("/dashboard/login", data={"key": "dl_nope_nope", "next": "/dashboard/"})
        assert r.status_code == 401
        assert "set-cookie" not in r.headers
        assert "not valid" in r.text
        r = http.post(
            "/dashboard/login", data={"key": org["viewer"]}, headers={"Origin": "https://elsewhere.example"}
        )
        assert r.status_code == 403
        assert "set-cookie" not in r.headers
        r = http.post("/dashboard/login", data={"key": org["viewer"], "next": "https://elsewhere.example/x"})
        assert r.status_code == 303
        assert r.headers["location"] == "/dashboard/"  # not to another site
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("downline_key=")
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/dashboard/"):
            assert flag in cookie
        assert http.get("/dashboard/_dash-layout").status_code == 200  # the client keeps the cookie
        # plotly.js where dash-renderer asks for it: the dashboard's build, revalidated by ETag
        plotly_js = "/dashboard/_dash-component-suites/plotly/package_data/plotly.min.js"
        r = http.get(plotly_js)
        assert r.status_code == 200
        assert r.content == PLOTLY_JS.read_bytes()
        assert r.headers["content-type"].startswith("text/javascript")
        assert http.get(plotly_js, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
        r = http.get("/dashboard/logout")
        assert r.status_code == 303
        assert http.get("/dashboard/_dash-layout").status_code == 401
        assert http.get(plotly_js).status_code == 401  # behind the key like every other route


def test_login_refuses_a_bad_key_lets_a_good_one_in_and_logout_ends_it(
    b: WebDriver, api: str, org: dict[str, str]
) -> None:
    b.get(api + "/dashboard/legs")
    wait(b, lambda d: "/dashboard/login" in d.current_url, what="the redirect to the login page")
    b.find_element(By.ID, "login-key").send_keys("dl_0000_not-a-key")
    b.find_element(By.ID, "login-submit").click()
    assert "not valid" in wait(b, lambda d: text_of(d, "login-error"), what="the refusal")
    assert not b.get_cookies()
    (refused,) = severe(b)  # the refusal answers 401, which the browser logs
    assert "/dashboard/login" in refused
    assert "401" in refused
    b.find_element(By.ID, "login-key").send_keys(org["viewer"])
    b.find_element(By.ID, "login-submit").click()
    wait(b, lambda d: d.current_url.endswith("/dashboard/legs"), what="the page asked for first")
    (cookie,) = b.get_cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert b.execute_script("return document.cookie") == ""  # page scripts cannot read the key
    assert "viewer key" in wait(b, lambda d: text_of(d, ids.WHO))
    b.find_element(By.ID, ids.LOGOUT).click()
    wait(b, lambda d: d.find_elements(By.ID, "login-key"), what="the login page after logout")
    assert not b.get_cookies()
    b.get(api + "/dashboard/")
    wait(b, lambda d: "/dashboard/login" in d.current_url, what="the login page again")
    assert severe(b) == []


# -- pages ------------------------------------------------------------------------------------


def test_every_page_loads_without_console_errors(b: WebDriver, api: str, org: dict[str, str]) -> None:
    login(b, api, org["admin"])
    nav = [a.text for a in b.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a")]
    assert nav == [
        "Overview", "Organisation", "Legs and balance", "Commission flows", "Network health", "Workbench"
    ]  # fmt: skip
    assert wait(b, lambda d: text_of(d, "kpi-members"), what="the overview's figures") == "18"
    assert text_of(b, "kpi-active") == "6"  # R, A, A1, A11, B and C10 have at least 100 PV in 2026-10
    # the KPIs can come before the charts are drawn: wait for the chart, do not race it
    top_chart = f"#{ids.OV_TOP} .main-svg"
    wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, top_chart), what="the top-by-GV chart")
    # the page draws with the dashboard's plotly.js build (dashboards/plotly), not the full one
    traces = b.execute_script("return Object.keys(Plotly.PlotSchema.get().traces).sort()")
    assert traces == ["bar", "heatmap", "sankey", "scatter", "sunburst"]
    # AG Grid and Cytoscape come with the first page that has them (dashboards/lazy.py)
    loaded = "return [typeof window.dash_cytoscape, typeof window.dash_ag_grid]"
    assert b.execute_script(loaded) == ["undefined", "undefined"]
    b.find_element(By.ID, "nav-explorer").click()
    wait(b, lambda d: ids_shown(d) == {"R", "Z"}, what="the roots in the explorer")
    assert b.execute_script(loaded) == ["object", "undefined"]
    b.find_element(By.ID, "nav-legs").click()
    assert "Rita Root (R)" in wait(b, lambda d: text_of(d, "legs-who"), what="the legs of the largest root")
    wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, f"#{ids.LG_SUNBURST} .sunburstlayer path"),
         what="the sunburst")  # fmt: skip
    b.find_element(By.ID, "nav-flows").click()
    wait(b, lambda d: "No commission runs yet" in text_of(d, "flows-none"), what="the flows page, no run")
    b.find_element(By.ID, "nav-health").click()
    assert wait(b, lambda d: text_of(d, "health-fig-distributors"), what="the health figures") == "18"
    b.find_element(By.ID, "nav-workbench").click()
    wait(b, lambda d: d.find_elements(By.ID, ids.WB_RUN), what="the workbench")
    assert b.execute_script(loaded) == ["object", "undefined"]  # no grid before a result
    b.find_element(By.ID, ids.WB_RUN).click()
    wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, ".ag-row"), what="the result's grid")
    assert b.execute_script(loaded) == ["object", "object"]
    assert severe(b) == []


def test_the_overview_comes_with_the_latest_period_and_redraws_for_another(
    b: WebDriver, api: str, org: dict[str, str]
) -> None:
    """The page's layout carries the latest period's figures (no callback before the first
    paint); picking another period runs the callback and redraws KPIs and charts."""
    login(b, api, org["admin"])
    assert wait(b, lambda d: text_of(d, "kpi-active"), what="the overview") == "6"
    top = f"#{ids.OV_TOP} .js-plotly-plot"  # the drawn chart's data: its largest GV first
    first_label = "var g = document.querySelector(arguments[0]); return g && g.data && g.data[0].y[0]"
    assert wait(b, lambda d: d.execute_script(first_label, top), what="the top chart") == "Rita Root (R)"
    b.find_element(By.ID, ids.OV_PERIOD).click()
    option = "//label[contains(@class, 'dash-dropdown-option')][.//input[@value='2026-09']]"
    wait(b, lambda d: d.find_elements(By.XPATH, option), what="the period list")[0].click()
    # 2026-09: Z's 100 PV is the only order; Z1 joined that month
    wait(b, lambda d: text_of(d, "kpi-active") == "1", what="2026-09's figures")
    assert text_of(b, "kpi-volume") == "100.00"
    assert text_of(b, "kpi-joined") == "1"
    assert "active in 2026-09" in text_of(b, ids.OV_KPIS)
    assert wait(b, lambda d: d.execute_script(first_label, top) == "Zed Outsider (Z)", what="the new top")
    assert not severe(b)


def test_explorer_expands_pages_in_the_rest_and_searches_by_name(
    b: WebDriver, api: str, org: dict[str, str]
) -> None:
    login(b, api, org["analyst"], "/dashboard/explorer?focus=R")  # analysts see names
    wait(b, lambda d: len(ids_shown(d)) == 9, what="R and the top 8 of its frontline")
    shown = ids_shown(b)
    assert {"R", "A", "B"} <= shown
    assert "C01" not in shown  # the smallest GV waits behind "N more"
    (more,) = [n for n in graph_nodes(b) if n["kind"] == "more"]
    assert more["label"] == "4 more"
    assert "Rita Root" in text_of(b, "panel-name")

    click_node(b, more["id"])
    wait(b, lambda d: len(ids_shown(d)) == 13, what="the other 4 of R's frontline")
    assert not [n for n in graph_nodes(b) if n["kind"] == "more"]
    assert "paged in 4 more of R" in text_of(b, ids.EX_TIMING)

    click_node(b, "A")
    wait(b, lambda d: {"A1", "A2"} <= ids_shown(d), what="A expanded")
    assert "expanded A" in text_of(b, ids.EX_TIMING)
    assert wait(b, lambda d: text_of(d, "panel-name")) == "Ann Able"
    assert "A11" not in ids_shown(b)  # one level at a time

    b.find_element(By.ID, ids.EX_SEARCH).send_keys("alma")
    b.find_element(By.ID, ids.EX_SEARCH_GO).click()
    hit = wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, ".search-hit"), what="search hits")[0]
    assert hit.text == "Alma One (A1)"
    hit.click()
    wait(b, lambda d: d.current_url.endswith("/dashboard/explorer?focus=A1"), what="the focus in the address")
    wait(b, lambda d: ids_shown(d) == {"A1", "A11"}, what="A1 with its frontline")
    crumbs = wait(b, lambda d: text_of(d, ids.EX_BREADCRUMB), what="the upline breadcrumb")
    assert crumbs.replace("\n", " ") == "top / Rita Root / Ann Able / A1"
    assert severe(b) == []


def test_a_viewer_sees_ids_not_names(b: WebDriver, api: str, org: dict[str, str]) -> None:
    # DOWNLINE_NAMES_ROLE defaults to analyst: names are personal data a viewer does not need
    login(b, api, org["viewer"], "/dashboard/explorer?focus=A1")
    wait(b, lambda d: ids_shown(d) == {"A1", "A11"}, what="A1 with its frontline")
    assert wait(b, lambda d: text_of(d, "panel-name")) == "A1"
    crumbs = wait(b, lambda d: text_of(d, ids.EX_BREADCRUMB), what="the upline breadcrumb")
    assert crumbs.replace("\n", " ") == "top / R / A / A1"
    assert "Alma" not in b.page_source
    assert "Rita" not in b.page_source
    b.find_element(By.ID, ids.EX_SEARCH).send_keys("alma")  # a name: finds nobody
    b.find_element(By.ID, ids.EX_SEARCH_GO).click()
    wait(b, lambda d: d.find_elements(By.ID, "search-none"), what="no hit for a name")
    type_into(b.find_element(By.ID, ids.EX_SEARCH), "A1")  # an id: found, shown by id
    b.find_element(By.ID, ids.EX_SEARCH_GO).click()
    hits = wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, ".search-hit"), what="search hits")
    assert next(h.text for h in hits) == "A1 (A1)"
    assert severe(b) == []


def test_explorer_switches_to_the_binary_placement_tree_and_the_matrix(
    b: WebDriver, api: str, org: dict[str, str], session_driver: Driver, settings: Settings
) -> None:
    db = settings.neo4j_database

    def visible(member: str, scope: str | None) -> bool:
        try:
            service.check_scope(session_driver, db, member, scope)
        except NotFound:
            return False
        return True

    def placed(member: str, scope: str | None = None) -> list[tuple[str, str]]:
        doc = service.placement(session_driver, db, member, scope_id=scope)
        sides = [("L", doc["left"]["id"]), ("R", doc["right"]["id"])]
        return [(side, child) for side, child in sides if child is not None and visible(child, scope)]

    def under(member: str) -> list[dict[str, Any]]:
        return [n for n in graph_nodes(b) if n.get("kind") == "member" and n.get("under") == member]

    def pick(tree: str) -> None:
        b.find_element(By.CSS_SELECTOR, f"#{ids.EX_TREE} input[value='{tree}']").click()

    login(b, api, org["viewer"], "/dashboard/explorer?tree=binary")
    wait(b, lambda d: ids_shown(d) == {"R", "Z"}, what="the roots")
    binary = placed("R")
    assert len(binary) == 2
    click_node(b, "R")
    wait(b, lambda d: len(under("R")) == len(binary), what="R's placements")
    assert [(n["side"], n["id"]) for n in under("R")] == binary  # left then right
    assert [n["label"].split(":")[0] for n in under("R")] == ["L", "R"]
    assert "binary placement" in text_of(b, ids.EX_TIMING)
    assert text_of(b, "panel-name") == "R"  # the side panel as in the sponsor tree (a viewer: ids)

    pick("matrix")
    wait(
        b, lambda d: d.current_url.endswith("/dashboard/explorer?tree=matrix"), what="the tree in the address"
    )
    wait(b, lambda d: ids_shown(d) == {"R", "Z"}, what="the roots again")
    children = matrix_position(session_driver, db, "R").children
    assert children
    assert children != [child for _, child in binary]
    click_node(b, "R")
    wait(b, lambda d: len(under("R")) == len(children), what="R's matrix positions")
    assert [n["id"] for n in under("R")] == children  # in placement order
    assert "matrix level 0" in text_of(b, ids.EX_TIMING)
    assert severe(b) == []

    # a scoped key: A's placements outside its downline stay hidden
    b.delete_all_cookies()
    login(b, api, org["scoped"], "/dashboard/explorer?tree=binary")
    shown = placed("A", "A")
    assert [child for _, child in shown] == ["A1"]  # C01, placed under A, is R's recruit
    wait(b, lambda d: ids_shown(d) == {"A", "A1"}, what="A and its visible placement")
    assert [(n["side"], n["id"]) for n in under("A")] == shown
    assert "C01" not in str(graph_nodes(b))
    assert severe(b) == []


def test_workbench_runs_a_named_query_pages_a_result_and_downloads_csv(
    b: WebDriver, api: str, org: dict[str, str], downloads: Path
) -> None:
    login(b, api, org["analyst"], "/dashboard/workbench")
    wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, f"#{ids.WB_PARAMS} input"), what="the parameters")
    limit = b.find_element(By.CSS_SELECTOR, f"[id*='{ids.WB_PARAM}'][id*='limit']")
    if limit.tag_name != "input":
        limit = limit.find_element(By.TAG_NAME, "input")
    type_into(limit, "3")
    b.find_element(By.ID, ids.WB_RUN).click()
    assert wait(b, lambda d: text_of(d, ids.WB_STATUS), what="the query's rows") == "3 row(s)"
    assert wait(b, lambda d: cell(d, 0), what="the grid") == "R"  # the largest GV
    assert not b.find_elements(By.ID, "workbench-no-cypher")  # an analyst without a scope may run Cypher

    b.find_element(By.ID, ids.WB_CSV).click()
    path = downloads / "top_by_gv.csv"
    wait(b, lambda _: path.exists() and path.stat().st_size > 0, what="the CSV download")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["R", "A", "A1"]
    assert float(rows[0]["gv"]) == pytest.approx(120 + 150 + 150 + 200 + 300 + sum(range(10, 101, 10)))

    # ad hoc Cypher: 120 rows, 50 a page, the second page fetched from the server when asked for
    box = b.find_element(By.ID, ids.WB_CYPHER)
    type_into(box, "UNWIND range(1, 120) AS n RETURN n, n * n AS square")
    b.find_element(By.ID, ids.WB_CYPHER_RUN).click()
    wait(b, lambda d: text_of(d, ids.WB_STATUS) == "120 row(s)", what="the Cypher result")
    assert wait(b, lambda d: cell(d, 0), what="page 1") == "1"
    b.find_element(By.CSS_SELECTOR, ".ag-paging-button[aria-label='Next Page']").click()
    assert wait(b, lambda d: cell(d, 50), what="page 2") == "51"
    assert cell(b, 50, 1) == "2601"
    type_into(box, "CREATE (:Intruder)")
    b.find_element(By.ID, ids.WB_CYPHER_RUN).click()
    assert "write" in wait(b, lambda d: text_of(d, ids.WB_ERROR), what="the refusal").lower()
    assert severe(b) == []


def test_a_viewer_has_no_workbench(b: WebDriver, api: str, org: dict[str, str]) -> None:
    login(b, api, org["viewer"])
    nav = [a.text for a in b.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} a")]
    assert nav == ["Overview", "Organisation", "Legs and balance", "Commission flows", "Network health"]
    b.get(api + "/dashboard/workbench")
    assert "analyst" in wait(b, lambda d: text_of(d, "workbench-refused"), what="the refusal")
    assert not b.find_elements(By.ID, ids.WB_RUN)


def test_a_scoped_key_sees_nothing_outside_its_downline(b: WebDriver, api: str, org: dict[str, str]) -> None:
    login(b, api, org["scoped"])
    assert wait(b, lambda d: text_of(d, "kpi-members"), what="the overview") == "4"  # A, A1, A2, A11
    assert "scoped to A" in text_of(b, ids.WHO)

    b.get(api + "/dashboard/explorer")
    wait(b, lambda d: ids_shown(d) == {"A", "A1", "A2"}, what="the scope at the top")
    assert wait(b, lambda d: text_of(d, ids.EX_BREADCRUMB)).replace("\n", " ") == "top / A"  # nobody above
    for text in ("Zed", "Rita", "R", "B"):
        search = b.find_element(By.ID, ids.EX_SEARCH)
        type_into(search, text)
        b.find_element(By.ID, ids.EX_SEARCH_GO).click()
        wait(b, lambda d, t=text: t in text_of(d, "search-none"), what=f"no hit for {text}")

    for outside in ("Z", "R", "B", "NOBODY"):
        b.get(api + f"/dashboard/explorer?focus={outside}")
        message = wait(b, lambda d: text_of(d, ids.EX_ERROR), what=f"not found for {outside}")
        assert message == f"no distributor with id {outside!r}"  # the same as for nobody at all
        assert graph_nodes(b) == []
        assert text_of(b, ids.EX_BREADCRUMB) == ""

    b.get(api + "/dashboard/legs?id=R")
    assert wait(b, lambda d: text_of(d, ids.LG_ERROR)) == "no distributor with id 'R'"
    b.get(api + "/dashboard/legs")
    assert "A (A)" in wait(b, lambda d: text_of(d, "legs-who"), what="the scope's legs")
    assert severe(b) == []


def test_a_revoked_key_is_sent_back_to_the_login_page(
    b: WebDriver, api: str, org: dict[str, str], session_driver: Driver, settings: Settings
) -> None:
    text, key = keystore.create_key(session_driver, settings.neo4j_database, role="viewer", name="short")
    login(b, api, text, "/dashboard/legs")
    wait(b, lambda d: text_of(d, "legs-who"), what="the legs page")
    keystore.revoke_key(session_driver, settings.neo4j_database, key.id)
    time.sleep(keystore.VERIFIED_TTL_S + 0.5)  # the server remembers a verified key this long
    b.find_element(By.ID, ids.LG_GO).click()  # any callback
    wait(b, lambda d: "/dashboard/login" in d.current_url, what="the login page")
    assert severe(b) == []
