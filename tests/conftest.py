"""Test fixtures: a real Neo4j server of the tests' own (own home, own free ports), cleaned per test."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import Driver

from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.driver import open_driver
from graph_service.db.schema import ensure_schema
from tests.helpers import DOWNLINE, cli_environment, free_port


@pytest.fixture(scope="session")
def neo4j_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("downline-home")
    env = cli_environment(home)
    proc = subprocess.run(
        [DOWNLINE, "db", "start", "--bolt-port", str(free_port()), "--http-port", str(free_port())],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(f"could not start the test Neo4j server:\n{proc.stdout}\n{proc.stderr}")
    yield home
    subprocess.run([DOWNLINE, "db", "stop"], env=env, capture_output=True, check=False)


@pytest.fixture(scope="session")
def settings(neo4j_home: Path) -> Settings:
    env = cli_environment(neo4j_home)
    return Settings(
        home=Path(env["DOWNLINE_HOME"]),
        neo4j_heap=env["DOWNLINE_NEO4J_HEAP"],
        neo4j_pagecache=env["DOWNLINE_NEO4J_PAGECACHE"],
    )


@pytest.fixture(scope="session")
def session_driver(settings: Settings) -> Iterator[Driver]:
    driver = open_driver(settings)
    yield driver
    driver.close()


@pytest.fixture
def driver(session_driver: Driver, settings: Settings) -> Driver:
    """The test server's driver over an empty database (schema in place)."""
    delete_all(session_driver, database=settings.neo4j_database)
    ensure_schema(session_driver, settings.neo4j_database)
    return session_driver


@pytest.fixture
def cli_env(neo4j_home: Path) -> dict[str, str]:
    return cli_environment(neo4j_home)


@pytest.fixture(scope="session")
def api(neo4j_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`downline serve` on a free port against the test server: its base URL."""
    port = free_port()
    env = cli_environment(neo4j_home)
    log = tmp_path_factory.mktemp("api") / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([DOWNLINE, "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"downline serve did not come up:\n{log.read_text()}")
    yield base
    proc.terminate()
    proc.wait(timeout=20)
