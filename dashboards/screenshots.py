"""Screenshots of every dashboard page for the README's tour: `python -m dashboards.screenshots`.

Serves the dashboard of the database the environment points at (like `downline serve`, on a free
port), logs in with a temporary admin key (revoked afterwards), and saves the login page, the
overview, the explorer (a root with its largest leg expanded), legs and balance, the commission
flows (the newest run, with a what-if against another run's plan), network health (with the newest
run of the latest period) and the workbench (a named query run) under docs/screenshots/;
`--only flows,health` shoots some pages only. Needs the dev extras (Selenium) and Debian's
chromium and chromium-driver; run it on the demo network (`downline up` loads one, or `downline
generate` + `downline import`) after a commission run or two (`downline commissions run`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CY = (
    "var g = document.getElementById('explorer-graph');"
    "var el = [g, ...g.querySelectorAll('*')].find(e => e._cyreg && e._cyreg.cy); var cy = el._cyreg.cy;"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser(width: int, height: int) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )


def until(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except Exception:  # the page is still changing under us
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError("the page did not show what was expected")


PAGES = ("login", "overview", "explorer", "legs", "flows", "health", "workbench")


def shoot(
    base: str, key: str, out: Path, width: int = 1400, only: set[str] | None = None, run: str | None = None
) -> list[Path]:
    """Screenshots of the pages in `only` (default: all), health with `run` when given."""
    from selenium.webdriver.common.by import By

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    b = browser(width, 1000)

    def want(name: str) -> bool:
        return only is None or name in only

    def save(name: str, height: int) -> None:
        b.set_window_size(width, height)
        time.sleep(1.0)  # let plotly redraw at the new size
        path = out / f"{name}.png"
        b.save_screenshot(str(path))
        saved.append(path)

    try:
        b.get(base + "/dashboard/login")
        until(lambda: b.find_elements(By.ID, "login-key"))
        if want("login"):
            save("login", 700)
        b.find_element(By.ID, "login-key").send_keys(key)
        b.find_element(By.ID, "login-submit").click()
        until(lambda: b.find_element(By.ID, "kpi-members").text)
        until(lambda: b.find_elements(By.CSS_SELECTOR, "#overview-top .main-svg"))
        if want("overview"):
            save("overview", 1900)
        if want("explorer"):
            _explorer(b, base, save)
        if want("legs"):
            b.get(base + "/dashboard/legs")
            until(lambda: b.find_elements(By.CSS_SELECTOR, "#legs-sunburst .sunburstlayer path"))
            save("legs", 1560)
        if want("flows"):
            b.get(base + "/dashboard/flows")
            until(lambda: b.find_elements(By.CSS_SELECTOR, "#flows-sankey .sankey-node, #flows-none"))
            if b.find_elements(By.ID, "flows-whatif-go"):
                b.find_element(By.ID, "flows-whatif-go").click()
                until(lambda: b.find_elements(By.ID, "flows-whatif-summary"), timeout=300)
            save("flows", 3400)
        if want("health"):
            b.get(base + "/dashboard/health" + (f"?run={run}" if run else ""))
            ready = "#health-disclosure-table" if run else "#health-flags table"
            until(lambda: b.find_elements(By.CSS_SELECTOR, ready), timeout=300)
            save("health", 2250)
        if want("workbench"):
            b.get(base + "/dashboard/workbench")
            until(lambda: b.find_elements(By.ID, "workbench-run"))
            b.find_element(By.ID, "workbench-run").click()
            until(lambda: b.find_elements(By.CSS_SELECTOR, ".ag-row[row-index='0'] .ag-cell"))
            save("workbench", 1000)
    finally:
        b.quit()
    return saved


def _explorer(b: Any, base: str, save: Any) -> None:
    """The explorer at the largest root with its largest leg expanded."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.by import By

    b.get(base + "/dashboard/explorer")
    roots = until(lambda: b.execute_script(CY + "return cy.nodes().map(n => n.id());"))
    b.get(base + "/dashboard/explorer?focus=" + roots[0])
    until(lambda: len(b.execute_script(CY + "return cy.nodes().map(n => n.id());")) > 2)
    time.sleep(1.5)
    child = b.execute_script(
        CY + "return cy.nodes().filter(n => n.data('kind') === 'member' && !n.data('focus')"
        " && n.data('members') > 1).map(n => n.id())[0];"
    )
    if child:
        x, y = b.execute_script(
            CY + "var p = cy.getElementById(arguments[0]).renderedPosition();"
            "var r = el.getBoundingClientRect(); return [r.left + p.x, r.top + p.y];",
            child,
        )
        actions = ActionBuilder(b)
        actions.pointer_action.move_to_location(int(x), int(y)).click()  # type: ignore[no-untyped-call]
        actions.perform()
        until(lambda: b.find_element(By.ID, "explorer-timing").text)
        time.sleep(1.0)
    save("explorer", 1000)


def _newest_run(driver: Any, database: str) -> str | None:
    """The newest commission run of the latest period with orders, if any."""
    from graph_service.analytics import service
    from graph_service.compensation import runs

    latest = service.latest_period(driver, database)
    return next((r.run_id for r in runs.list_runs(driver, database) if r.period == latest), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--only", default="", help=f"comma-separated pages of {', '.join(PAGES)}")
    args = parser.parse_args(argv)
    only = {p.strip() for p in args.only.split(",") if p.strip()} or None
    if only and not only <= set(PAGES):
        parser.error(f"--only takes pages of {', '.join(PAGES)}")

    from graph_service.api import keys as keystore
    from graph_service.config import get_settings
    from graph_service.db.driver import open_driver

    settings = get_settings()
    port = _free_port()
    downline = str(Path(sys.executable).with_name("downline"))
    server = subprocess.Popen(
        [downline, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    with open_driver(settings) as driver:
        key_text, key = keystore.create_key(
            driver, settings.neo4j_database, role="admin", name="dashboards.screenshots"
        )
        try:
            run = _newest_run(driver, settings.neo4j_database)
            until(lambda: httpx.get(base + "/healthz", timeout=2).status_code == 200, timeout=60)
            for path in shoot(base, key_text, args.out, args.width, only, run):
                print(path)
        finally:
            keystore.revoke_key(driver, settings.neo4j_database, key.id)
            server.terminate()
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
