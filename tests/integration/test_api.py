"""The HTTP API over real HTTP (`downline serve` in a subprocess) against the real Neo4j: keys and
roles, every route guarded, scoped keys kept inside their downline, errors, CSV, 503 when Neo4j is
down and recovery when it is back."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from neo4j import Driver

from graph_service.api import keys as keystore
from graph_service.api.app import create_app
from graph_service.config import Settings
from graph_service.ingest.load import import_folder
from tests.helpers import run_cli, serving, write_folder

OPEN = {"/healthz", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc"}

# R ── A ── A1 ── A11
#   │     └─ A2
#   └─ B ── B1
DISTRIBUTORS = [
    ("R", "", "Rita Root", "ES", "2026-01-05", "", ""),
    ("A", "R", "Ann Able", "ES", "2026-02-01", "", ""),
    ("B", "R", "Bob Baker", "PT", "2026-02-03", "", ""),
    ("A1", "A", "Alma One", "ES", "2026-03-01", "", ""),
    ("A2", "A", "Axel Two", "DE", "2026-03-02", "", ""),
    ("A11", "A1", "Abel Deep", "ES", "2026-10-02", "", ""),
    ("B1", "B", "Bea Below", "PT", "2026-10-09", "", ""),
]
ORDERS = [
    ("o1", "R", "2026-10-02", "120", "", "retail"),
    ("o2", "A", "2026-10-03", "50.5", "", "self"),
    ("o3", "A1", "2026-10-04", "150", "", ""),
    ("o4", "B", "2026-09-04", "100", "", ""),
    ("o5", "A11", "2026-10-20", "200", "", ""),
    ("o6", "B1", "2026-10-21", "99.99", "", ""),
]


@pytest.fixture
def net(driver: Driver, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The small network above, and one key per role plus a viewer and an analyst scoped to A."""
    import_folder(
        driver, write_folder(tmp_path / "net", DISTRIBUTORS, ORDERS), database=settings.neo4j_database
    )
    db = settings.neo4j_database
    out = {role: keystore.create_key(driver, db, role=role)[0] for role in keystore.ROLES}
    out["scoped"] = keystore.create_key(driver, db, role="viewer", scope="A")[0]
    out["scoped_analyst"] = keystore.create_key(driver, db, role="analyst", scope="A")[0]
    return out


def _get(api: str, path: str, key: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{api}{path}", headers=headers, params=params, timeout=30)


def _every_route() -> list[tuple[str, str]]:
    """(method, path) of every API route, from the app's OpenAPI document: routers included with
    `include_router` are not listed flat in `app.routes` by this FastAPI, the document has all."""
    paths = create_app().openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() if path not in OPEN for method in ops]


def test_every_route_but_the_open_ones_needs_a_valid_key(api: str, net: dict[str, str]) -> None:
    # every API route (the dashboard is a mount of its own, keyed by its cookie: test_dashboard.py)
    routes = _every_route()
    assert len(routes) >= 25
    assert ("GET", "/v1/commissions/runs/{run_id}/earners/{id}/lines") in routes
    fill = {"id": "R", "key_id": "x", "run_id": "2026-10-00000000", "name": "top_by_gv"}
    for method, template in routes:
        path = re.sub(r"\{(\w+)\}", lambda m: fill.get(m.group(1), "x"), template)
        for headers in ({}, {"Authorization": "Bearer dl_nope_nope"}, {"Authorization": "Basic abc"}):
            r = httpx.request(method, f"{api}{path}", headers=headers, timeout=30)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.json()["error"] == "unauthorized"
    assert _get(api, "/healthz", None).json()["neo4j"] is True
    assert _get(api, "/openapi.json", None).status_code == 200


def test_healthz_says_when_the_worker_is_warm(api: str, net: dict[str, str]) -> None:
    """The worker prepares the health frame at start (analytics/warmup.py); /healthz says when."""
    deadline = time.monotonic() + 60
    while not (body := _get(api, "/healthz", None).json())["warm"]:
        assert time.monotonic() < deadline, "the worker never got warm"
        time.sleep(0.2)
    assert body["status"] == "ok"


def test_stats_answers_the_contract_shape(api: str, net: dict[str, str], cli_env: dict[str, str]) -> None:
    r = _get(api, "/v1/distributors/R/stats", net["viewer"], period="2026-10")
    assert r.status_code == 200
    doc = r.json()
    assert doc["gv"] == 120 + 50.5 + 150 + 200 + 99.99
    assert doc["levels"] == [2, 3, 1]
    assert [leg["id"] for leg in doc["legs"]] == ["A", "B"]
    cli = json.loads(run_cli("stats", "R", "--period", "2026-10", "--json", env=cli_env).stdout)
    assert doc == {**cli, "name": None}  # a viewer sees no names (DOWNLINE_NAMES_ROLE)
    assert _get(api, "/v1/distributors/R/stats", net["analyst"], period="2026-10").json() == cli
    assert _get(api, "/v1/distributors/R/stats", net["viewer"]).json()["period"] == "2026-10"


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/v1/distributors/NOBODY/stats", {}, 404, "not_found"),
        ("/v1/distributors/R/stats", {"period": "2026-13"}, 422, "bad_request"),
        ("/v1/distributors/R/stats", {"period": "oct"}, 422, "bad_request"),
        ("/v1/distributors/R/downline", {"limit": 0}, 422, "bad_request"),
        ("/v1/distributors/R/downline", {"cursor": "junk"}, 422, "bad_request"),
        ("/v1/distributors/R/downline", {"level": "x"}, 422, "bad_request"),
        ("/v1/network", {"top": 1000}, 422, "bad_request"),
        ("/v1/search", {}, 422, "bad_request"),
    ],
)
def test_errors_are_json_with_a_status_and_a_code(
    api: str, net: dict[str, str], path: str, params: dict[str, Any], status: int, code: str
) -> None:
    r = _get(api, path, net["viewer"], **params)
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    assert r.json()["message"]


def test_listings_paging_and_csv(api: str, net: dict[str, str]) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = _get(
            api,
            "/v1/distributors/R/downline",
            net["viewer"],
            limit=2,
            **({"cursor": cursor} if cursor else {}),
        )
        assert page.status_code == 200
        body = page.json()
        assert body["total"] == 6
        seen += [m["id"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["A", "A1", "A11", "A2", "B", "B1"]
    assert _get(api, "/v1/distributors/R/downline", net["viewer"], format="csv").status_code == 403
    r = _get(api, "/v1/distributors/R/downline", net["analyst"], format="csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["id"] for row in rows] == seen
    up = _get(api, "/v1/distributors/A11/upline", net["viewer"]).json()
    assert [(m["id"], m["level"]) for m in up] == [("A1", 1), ("A", 2), ("R", 3)]
    hits = _get(api, "/v1/search", net["analyst"], q="a").json()  # names: analysts
    assert {h["id"] for h in hits} >= {"A", "A1", "A2", "A11"}
    assert _get(api, "/v1/periods", net["viewer"]).json() == ["2026-09", "2026-10"]
    legs = _get(api, "/v1/distributors/R/legs", net["viewer"]).json()
    assert [(leg["id"], leg["size"]) for leg in legs] == [("A", 4), ("B", 2)]


def test_roles_and_key_management(api: str, net: dict[str, str]) -> None:
    assert _get(api, "/v1/keys", net["viewer"]).status_code == 403
    assert _get(api, "/v1/keys", net["analyst"]).status_code == 403
    listed = _get(api, "/v1/keys", net["admin"])
    assert listed.status_code == 200
    assert all("hash" not in k and "key" not in k for k in listed.json())
    auth = {"Authorization": f"Bearer {net['admin']}"}
    created = httpx.post(f"{api}/v1/keys", headers=auth, json={"role": "viewer", "name": "tmp"}, timeout=30)
    assert created.status_code == 201
    new = created.json()
    assert _get(api, "/v1/periods", new["key"]).status_code == 200
    bad = httpx.post(f"{api}/v1/keys", headers=auth, json={"role": "root"}, timeout=30)
    assert bad.status_code == 422
    unknown_scope = httpx.post(
        f"{api}/v1/keys", headers=auth, json={"role": "viewer", "scope": "ZZ"}, timeout=30
    )
    assert unknown_scope.status_code == 404
    revoked = httpx.delete(f"{api}/v1/keys/{new['id']}", headers=auth, timeout=30)
    assert revoked.status_code == 200
    assert revoked.json()["revoked"]
    assert _get(api, "/v1/periods", new["key"]).status_code == 401


def test_keys_are_stored_hashed(driver: Driver, net: dict[str, str]) -> None:
    rows, _, _ = driver.execute_query("MATCH (k:ApiKey) RETURN properties(k) AS p")
    stored = json.dumps([r["p"] for r in rows], default=str)
    for key in net.values():
        assert key.split("_", 2)[2] not in stored
        assert key not in stored


OUTSIDE = ["R", "B", "B1"]


def test_a_scoped_key_sees_only_its_downline(api: str, net: dict[str, str]) -> None:
    key = net["scoped"]
    for who in [*OUTSIDE, "NOBODY"]:
        for path in ("stats", "legs", "upline", "downline"):
            r = _get(api, f"/v1/distributors/{who}/{path}", key)
            assert r.status_code == 404, (who, path, r.text)
            assert r.json()["message"] == f"no distributor with id {who!r}"
    for who in ("A", "A1", "A11", "A2"):
        assert _get(api, f"/v1/distributors/{who}/stats", key).status_code == 200
    # the upline stops at the scope, the downline and search stay inside it
    assert [m["id"] for m in _get(api, "/v1/distributors/A11/upline", key).json()] == ["A1", "A"]
    assert _get(api, "/v1/distributors/A/upline", key).json() == []
    for q in ("R", "B", "Rita", "Bob", "Bea", "A", "a"):
        ids = {h["id"] for h in _get(api, "/v1/search", key, q=q).json()}
        assert ids <= {"A", "A1", "A2", "A11"}, (q, ids)
    csv_text = _get(api, "/v1/distributors/A/downline", net["scoped_analyst"], format="csv").text
    assert {row["id"] for row in csv.DictReader(io.StringIO(csv_text))} == {"A1", "A2", "A11"}
    # network statistics over the scope only
    scoped = _get(api, "/v1/network", key, period="2026-10").json()
    assert scoped["distributors"] == 4
    assert scoped["roots"] == 1
    assert scoped["depth_histogram"] == [1, 2, 1]
    assert scoped["volume"] == 50.5 + 150 + 200
    assert {t["id"] for t in scoped["top"]} <= {"A", "A1", "A2", "A11"}
    assert _get(api, "/v1/network", key).json()["distributors"] == 4
    full = _get(api, "/v1/network", net["viewer"], period="2026-10").json()
    assert full["distributors"] == 7
    # cursors and ids smuggled through parameters do not leave the scope either
    page = _get(api, "/v1/distributors/A/downline", key, limit=1).json()
    assert page["next_cursor"]
    assert _get(api, "/v1/distributors/R/downline", key, cursor=page["next_cursor"]).status_code == 404
    assert _get(api, "/v1/keys", key).status_code == 403


def test_503_with_retry_after_when_neo4j_is_down_and_recovery(
    api: str, net: dict[str, str], cli_env: dict[str, str]
) -> None:
    key = net["viewer"]
    assert _get(api, "/v1/periods", key).status_code == 200
    stop = run_cli("db", "stop", env=cli_env)
    assert stop.returncode == 0
    try:
        began = time.monotonic()
        r = _get(api, "/v1/distributors/R/stats", key)
        assert time.monotonic() - began < 10
        assert r.status_code == 503
        assert r.headers["Retry-After"]
        assert r.json()["error"] == "database_unavailable"
        assert _get(api, "/healthz", None).status_code == 503
    finally:
        start = run_cli("db", "start", env=cli_env)
        assert start.returncode == 0, start.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _get(api, "/v1/periods", key).status_code != 200:
        time.sleep(0.5)
    assert _get(api, "/v1/periods", key).status_code == 200


def _post(api: str, path: str, key: str, body: dict[str, Any], **params: Any) -> httpx.Response:
    return httpx.post(
        f"{api}{path}", headers={"Authorization": f"Bearer {key}"}, json=body, params=params, timeout=60
    )


def test_named_queries_over_http(api: str, net: dict[str, str]) -> None:
    assert _get(api, "/v1/queries", net["viewer"]).status_code == 403
    catalogue = _get(api, "/v1/queries", net["analyst"]).json()
    assert {"top_by_gv", "inactive_legs", "rank_candidates"} <= {q["name"] for q in catalogue}
    assert _post(api, "/v1/query/top_by_gv", net["viewer"], {"params": {}}).status_code == 403
    r = _post(api, "/v1/query/top_by_gv", net["analyst"], {"params": {"period": "2026-10", "limit": 3}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"][0] == "id"
    assert [row[0] for row in body["rows"]] == ["R", "A", "A1"]
    as_csv = _post(api, "/v1/query/top_by_gv", net["analyst"], {"params": {"limit": 3}}, format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0].startswith("id,")
    scoped = _post(api, "/v1/query/top_by_gv", net["scoped_analyst"], {"params": {"limit": 100}}).json()
    assert {row[0] for row in scoped["rows"]} <= {"A", "A1", "A2", "A11"}
    outside = _post(api, "/v1/query/inactive_legs", net["scoped_analyst"], {"params": {"id": "R"}})
    assert outside.status_code == 404
    assert _post(api, "/v1/query/no_such_query", net["analyst"], {"params": {}}).status_code == 404
    bad = _post(api, "/v1/query/top_by_gv", net["analyst"], {"params": {"limit": "many"}})
    assert bad.status_code == 422
    assert "limit" in bad.json()["message"]


def test_ad_hoc_cypher_over_http(api: str, net: dict[str, str], driver: Driver) -> None:
    query = "MATCH (d:Distributor) WHERE d.sponsor_id = $s RETURN d.id AS id ORDER BY id"
    r = _post(api, "/v1/cypher", net["analyst"], {"query": query, "params": {"s": "A"}})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [["A1"], ["A2"]]
    assert _post(api, "/v1/cypher", net["viewer"], {"query": query}).status_code == 403
    assert _post(api, "/v1/cypher", net["scoped_analyst"], {"query": query}).status_code == 403
    before = driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    for text in (
        "CREATE (:X)",
        "MATCH (d:Distributor) DETACH DELETE d",
        "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    ):
        refused = _post(api, "/v1/cypher", net["admin"], {"query": text})
        assert refused.status_code == 422, (text, refused.text)
    assert driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == before


def test_keys_from_the_command_line(api: str, net: dict[str, str], cli_env: dict[str, str]) -> None:
    created = run_cli(
        "keys", "create", "--role", "viewer", "--scope", "A", "--name", "cli", "--json", env=cli_env
    )
    assert created.returncode == 0, created.stderr
    doc = json.loads(created.stdout)
    assert (doc["role"], doc["scope"], doc["name"]) == ("viewer", "A", "cli")
    assert _get(api, "/v1/distributors/A1/stats", doc["key"]).status_code == 200
    assert _get(api, "/v1/distributors/R/stats", doc["key"]).status_code == 404
    listed = json.loads(run_cli("keys", "list", "--json", env=cli_env).stdout)
    assert doc["id"] in {k["id"] for k in listed}
    assert all("key" not in k and "hash" not in k for k in listed)
    assert run_cli("keys", "revoke", doc["id"], env=cli_env).returncode == 0
    # a revocation made outside the API process reaches it within the 5 s a key is remembered
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _get(api, "/v1/periods", doc["key"]).status_code != 401:
        time.sleep(0.5)
    assert _get(api, "/v1/periods", doc["key"]).status_code == 401
    bad = run_cli("keys", "create", "--role", "root", env=cli_env)
    assert bad.returncode == 2
    assert "role must be one of" in bad.stderr
    assert run_cli("keys", "create", "--role", "viewer", "--scope", "NOBODY", env=cli_env).returncode == 4
    assert run_cli("keys", "revoke", "nope", env=cli_env).returncode == 4


def test_ids_with_slashes_and_query_characters(
    api: str, net: dict[str, str], driver: Driver, settings: Settings, tmp_path: Path
) -> None:
    odd = "Zoë/1 ?&#%"
    folder = write_folder(tmp_path / "odd", [(odd, "B", "Odd One", "", "", "", "")], [])
    import_folder(driver, folder, database=settings.neo4j_database)
    path = f"/v1/distributors/{quote(odd, safe='')}"
    stats = _get(api, f"{path}/stats", net["viewer"])
    assert stats.status_code == 200, stats.text
    assert stats.json()["id"] == odd
    assert [m["id"] for m in _get(api, f"{path}/upline", net["viewer"]).json()] == ["B", "R"]
    assert odd in [m["id"] for m in _get(api, "/v1/distributors/B/downline", net["viewer"]).json()["items"]]
    missing = _get(api, "/v1/no/such/route", net["viewer"])
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_expensive_requests_are_rate_limited_per_key(
    net: dict[str, str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "DOWNLINE_EXPENSIVE_PER_MINUTE": "2"}
    with serving(env, tmp_path / "serve.log") as base:
        body = {"query": "MATCH (d:Distributor) RETURN count(d) AS n"}
        assert [_post(base, "/v1/cypher", net["analyst"], body).status_code for _ in range(2)] == [200, 200]
        limited = _post(base, "/v1/cypher", net["analyst"], body)
        assert limited.status_code == 429
        assert limited.json()["error"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        assert _post(base, "/v1/cypher", net["admin"], body).status_code == 200  # a bucket per key
        assert _get(base, "/v1/periods", net["analyst"]).status_code == 200  # browsing is not limited
