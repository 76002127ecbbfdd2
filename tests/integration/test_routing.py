"""Beyond one machine (docs/scaling.md): the service over `neo4j://` routing, unchanged.

A cluster or Aura is reached through `neo4j://` / `neo4j+s://`: the driver asks the server for a
routing table, sends write transactions to the leader and read transactions to the readers. The
local test server answers routing requests as a one-member cluster (it is leader, reader and
router at once), so the same code path runs here: an import, `downline stats`, `downline serve
--workers 2`, configured only from DOWNLINE_NEO4J_* (the home they are given has no server in it);
and every read the API makes is sent as a read, which the server enforces (a write sent as a read
is refused), so on a cluster those reads can go to secondaries.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest
from fastapi.routing import APIRoute
from neo4j import Driver, RoutingControl

from benchmarks.http_load import serve
from graph_service.api import app as app_module
from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.db.driver import open_driver
from graph_service.ingest.load import import_folder
from tests.helpers import cli_environment, run_cli, write_folder

pytestmark = pytest.mark.neo4j

# R ── A ── A1
#   └─ B
DISTRIBUTORS = [
    ("R", "", "Rita Root", "ES", "2026-01-05", "", ""),
    ("A", "R", "Ann Able", "ES", "2026-02-01", "", ""),
    ("B", "R", "Bob Baker", "PT", "2026-02-03", "", ""),
    ("A1", "A", "Alma One", "ES", "2026-03-01", "", ""),
]
ORDERS = [
    ("o1", "R", "2026-10-02", "120", "", "retail"),
    ("o2", "A", "2026-10-03", "50.5", "", "self"),
    ("o3", "A1", "2026-10-04", "150", "", ""),
    ("o4", "B", "2026-09-04", "100", "", ""),
]


@pytest.fixture
def routed_env(neo4j_home: Path, tmp_path: Path) -> dict[str, str]:
    """A `downline` environment that reaches the test server only through neo4j:// and DOWNLINE_NEO4J_*."""
    env = cli_environment(neo4j_home)
    status = json.loads(run_cli("db", "status", "--json", env=env).stdout)
    port = status["uri"].rsplit(":", 1)[1]
    env.update(
        DOWNLINE_HOME=str(tmp_path / "home-without-a-server"),
        DOWNLINE_NEO4J_URI=f"neo4j://127.0.0.1:{port}",
        DOWNLINE_NEO4J_USER=status["user"],
        DOWNLINE_NEO4J_PASSWORD=Path(status["password_file"]).read_text().strip(),
    )
    return env


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        home=Path(env["DOWNLINE_HOME"]),
        neo4j_uri=env["DOWNLINE_NEO4J_URI"],
        neo4j_user=env["DOWNLINE_NEO4J_USER"],
        neo4j_password=env["DOWNLINE_NEO4J_PASSWORD"],
    )


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@pytest.fixture
def serve_two_workers(
    routed_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with serve(routed_env, "--workers", "2", log=tmp_path / "serve.log") as served:
        yield served.base, served.proc


def test_import_stats_and_two_api_workers_over_neo4j_routing(
    driver: Driver,
    routed_env: dict[str, str],
    cli_env: dict[str, str],
    tmp_path: Path,
    serve_two_workers: tuple[str, subprocess.Popen[bytes]],
) -> None:
    folder = write_folder(tmp_path / "net", DISTRIBUTORS, ORDERS)
    imported = run_cli("import", str(folder), "--json", env=routed_env)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["distributors_added"] == 4

    proc = run_cli("stats", "R", "--json", env=routed_env)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert stats["period"] == "2026-10"
    assert (stats["pv"], stats["gv"], stats["downline_size"], stats["max_depth"]) == (120, 320.5, 3, 2)
    # the same answer as over bolt:// from the server's own home
    assert stats == json.loads(run_cli("stats", "R", "--json", env=cli_env).stdout)

    created = run_cli("keys", "create", "--role", "analyst", "--json", env=routed_env)  # sees names
    assert created.returncode == 0, created.stderr
    headers = {"Authorization": f"Bearer {json.loads(created.stdout)['key']}"}

    base, server = serve_two_workers
    workers = _children(server.pid)
    assert len(workers) >= 2, f"expected 2 worker processes under {server.pid}, found {workers}"
    # a new connection per request, so the workers share the requests between them
    answers = [
        httpx.get(f"{base}/v1/distributors/R/stats", headers=headers, timeout=30).json() for _ in range(12)
    ]
    assert all(a == stats for a in answers), answers
    assert server.poll() is None


class RecordingDriver:
    """A real driver that notes how each query is routed: (routing of execute_query, access mode of
    sessions). Everything else is the real driver's."""

    def __init__(self, real: Driver) -> None:
        self.real = real
        self.routed: list[tuple[str, str]] = []

    def execute_query(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        routing = kwargs.get("routing_", RoutingControl.WRITE)
        self.routed.append((str(getattr(query, "text", query)).strip()[:80], RoutingControl(routing).value))
        return self.real.execute_query(query, *args, **kwargs)

    def session(self, **kwargs: Any) -> Any:
        mode = kwargs.get("default_access_mode", neo4j.WRITE_ACCESS)
        self.routed.append(("session", "r" if mode == neo4j.READ_ACCESS else "w"))
        return self.real.session(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_every_api_read_is_routed_as_a_read(
    driver: Driver,
    settings: Settings,
    routed_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = settings.neo4j_database
    import_folder(driver, write_folder(tmp_path / "net", DISTRIBUTORS, ORDERS), database=db)
    admin = keystore.create_key(driver, db, role="admin")[0]
    routed = _settings(routed_env)

    drivers: list[RecordingDriver] = []

    def recording_driver(s: Settings) -> Any:
        drivers.append(RecordingDriver(open_driver(s)))
        return drivers[-1]

    monkeypatch.setattr(app_module, "open_driver", recording_driver)
    app = app_module.create_app(routed)
    gets = [r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in (r.methods or ())]
    assert len(gets) >= 8

    async def ask_every_read() -> None:
        # in-process over ASGI, with the app's lifespan (which opens the driver)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client,
        ):
            assert type(drivers[0].real).__name__ == "Neo4jDriver"  # the routing driver, from neo4j://
            auth = {"Authorization": f"Bearer {admin}"}
            for path in gets:
                r = await client.get(
                    re.sub(r"\{[^}]+\}", "R", path), headers=auth, params={"period": "2026-10"}
                )
                assert r.status_code < 500, (path, r.status_code, r.text)
            query = {"query": "MATCH (d:Distributor) RETURN count(d) AS n"}
            r = await client.post("/v1/cypher", headers=auth, json=query)
            assert r.status_code < 500, r.text

    asyncio.run(ask_every_read())

    routed_calls = drivers[0].routed
    assert len(routed_calls) >= len(gets)
    writes = [call for call in routed_calls if call[1] != "r"]
    assert not writes, f"reads sent to the leader: {writes}"

    # the server enforces the mode: a write sent as a read is refused, so reads marked as reads are
    # safe to send to a secondary, and the import above (which wrote) went as a write
    with open_driver(routed) as plain, pytest.raises(neo4j.exceptions.ClientError, match=r"(?i)read"):
        plain.execute_query("CREATE (:RoutingProbe)", database_=db, routing_=RoutingControl.READ)
