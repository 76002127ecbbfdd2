"""Nothing leaves without a key, enumerated from the apps themselves over real HTTP: every API
route (from the OpenAPI document), every route of the dashboard's Flask server, every dashboard
page and every dashboard callback (from `_dash-dependencies`). Without a key, with a bearer header
instead of the dashboard's cookie, with an unknown key and with a revoked one, the answer is a
refusal (401, or 303 to the login page, or a callback update that only sends the browser there)
that carries no data."""

from __future__ import annotations

import re
from typing import Any

import dash
import httpx
import pytest
from neo4j import Driver

from dashboards import auth
from dashboards.app import create_dash
from graph_service.api import keys as keystore
from graph_service.api.app import create_app
from graph_service.config import Settings
from tests.integration.test_api import net

__all__ = ["net"]  # the fixture, imported to be used here

API_OPEN = {"/healthz", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc"}
LOGIN = auth.redirect_update("/dashboard/login")


def _sample(path: str) -> str:
    """A concrete path for a route template: every parameter filled with "R"."""
    return re.sub(r"\{[^}]+\}|<[^>]+>", "R", path)


def _unset(dependency: dict[str, Any]) -> dict[str, Any]:
    return {"id": dependency["id"], "property": dependency["property"], "value": None}


def _api_routes() -> list[tuple[str, str]]:
    paths = create_app().openapi()["paths"]
    return [(m.upper(), p) for p, ops in paths.items() if p not in API_OPEN for m in ops]


def _dash_routes(settings: Settings) -> list[tuple[str, str]]:
    server = create_dash(settings, lambda: None).server  # type: ignore[arg-type,return-value]
    out = []
    for rule in server.url_map.iter_rules():
        path = "/" + rule.rule.lstrip("/")
        if path in auth.OPEN or rule.endpoint == "static":
            continue
        out += [(m, path) for m in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return out


@pytest.fixture
def keys(net: dict[str, str], driver: Driver, settings: Settings) -> dict[str, str]:
    """Keys that must not open anything: unknown, malformed and revoked (besides none at all)."""
    revoked, key = keystore.create_key(driver, settings.neo4j_database, role="admin", name="gone")
    keystore.revoke_key(driver, settings.neo4j_database, key.id)
    return {**net, "revoked": revoked, "unknown": "dl_0000000000_" + "x" * 43, "junk": "not a key"}


def test_every_api_route_refuses_without_a_valid_key(api: str, keys: dict[str, str]) -> None:
    routes = _api_routes()
    assert len(routes) >= 25
    with httpx.Client(base_url=api, timeout=30) as http:
        for method, path in routes:
            for key in (None, keys["revoked"], keys["unknown"], keys["junk"]):
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                r = http.request(method, _sample(path), headers=headers, json={})
                assert r.status_code == 401, (method, path, key, r.status_code, r.text[:200])
                assert r.json()["error"] == "unauthorized"


def test_every_dashboard_route_page_and_callback_refuses_without_the_cookie(
    api: str, keys: dict[str, str], settings: Settings
) -> None:
    routes = _dash_routes(settings)
    assert ("POST", "/_dash-update-component") in routes
    assert ("GET", "/_dash-layout") in routes
    pages = [page["path"] for page in dash.page_registry.values()]
    assert {"/", "/explorer", "/legs", "/flows", "/health", "/workbench"} <= set(pages)
    with httpx.Client(base_url=api, timeout=30) as http:
        # the callbacks as the dashboard lists them to a logged-in browser
        http.post("/dashboard/login", data={"key": keys["viewer"], "next": "/dashboard/"})
        deps: list[dict[str, Any]] = http.get("/dashboard/_dash-dependencies").json()
        assert len(deps) >= 15
        http.cookies.clear()
        attempts: list[tuple[dict[str, str], dict[str, str]]] = [
            ({}, {}),
            ({}, {"Authorization": f"Bearer {keys['admin']}"}),  # a bearer header does not count
            ({auth.COOKIE: keys["revoked"]}, {}),
            ({auth.COOKIE: keys["unknown"]}, {}),
            ({auth.COOKIE: keys["junk"]}, {}),
        ]
        for cookies, headers in attempts:
            http.cookies.clear()
            http.cookies.update(cookies)
            for method, path in routes:
                r = http.request(method, "/dashboard" + _sample(path), headers=headers, json={})
                if path == "/_dash-update-component":
                    assert r.json() == LOGIN, (cookies, headers)
                else:
                    assert r.status_code in (303, 401), (method, path, cookies, r.status_code)
                    assert r.status_code == 401 or "/dashboard/login" in r.headers["location"]
            for page in pages:
                r = http.get("/dashboard" + page.rstrip("/") + "/", headers=headers)
                assert r.status_code == 303, (page, r.status_code)
                assert r.headers["location"].startswith("/dashboard/login?next=")
            for dep in deps:
                body = {
                    "output": dep["output"],
                    "outputs": [],
                    "inputs": [
                        {"id": i["id"], "property": i["property"], "value": None} for i in dep["inputs"]
                    ],
                    "state": [
                        {"id": s["id"], "property": s["property"], "value": None} for s in dep["state"]
                    ],
                    "changedPropIds": [],
                }
                r = http.post("/dashboard/_dash-update-component", json=body, headers=headers)
                assert r.status_code == 200
                assert r.json() == LOGIN, (dep["output"], cookies, headers)
