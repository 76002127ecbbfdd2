"""The wheel carries every package and every .cypher file; the compose file is in step."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from graph_service.config import NEO4J_VERSION, Settings
from graph_service.db.queries import cypher, statements

REPO = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("graph_service", "dashboards")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert found | {"graph_service.cypher"} == listed


def test_every_cypher_file_loads_and_has_a_header() -> None:
    files = sorted((REPO / "cypher").rglob("*.cypher"))
    assert files
    for path in files:
        name = path.relative_to(REPO / "cypher").with_suffix("").as_posix()
        text = cypher(name)
        assert text.lstrip().startswith("//"), f"{name}: header comment naming parameters and results"
        assert "Parameters" in text, name
    assert any("CONSTRAINT distributor_id" in s for s in statements("schema"))


@pytest.mark.slow
def test_wheel_ships_cypher_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("downline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (REPO / "cypher").rglob("*.cypher"):
        assert "graph_service/cypher/" + path.relative_to(REPO / "cypher").as_posix() in names
    assert "graph_service/db/maven/pom.xml" in names
    assert "graph_service/db/maven/apoc/pom.xml" in names
    assert "dashboards/plotly/plotly.min.js" in names  # the dashboard's plotly.js build


def test_compose_is_in_step_with_the_local_server() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    neo4j = compose["services"]["neo4j"]
    assert neo4j["image"] == f"neo4j:{NEO4J_VERSION}-community"
    env = neo4j["environment"]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert env["NEO4J_server_memory_heap_max__size"] == defaults.neo4j_heap
    assert env["NEO4J_server_memory_pagecache_size"] == defaults.neo4j_pagecache
    assert "apoc" in env["NEO4J_PLUGINS"]
    pom = (REPO / "graph_service" / "db" / "maven" / "pom.xml").read_text()
    assert f"<neo4j.version>{NEO4J_VERSION}</neo4j.version>" in pom
    for name in ("api", "import"):
        app_env = compose["services"][name]["environment"]
        assert app_env["DOWNLINE_NEO4J_URI"] == "bolt://neo4j:7687"
    # every port is published on loopback only
    for service in compose["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:")
