"""Left and right volumes of the binary placement tree (contract section 2), CLI and service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from neo4j import Driver

from graph_service.analytics import service
from graph_service.config import Settings
from graph_service.errors import NotFound
from graph_service.ingest.load import import_folder
from tests.helpers import run_cli, write_folder

#            R
#     L: A        R: B
#  L: A1  R: -         (C is sponsored by R but not placed)
DISTRIBUTORS = [
    ("R", "", "", "", "", "", ""),
    ("A", "R", "", "", "", "R", "L"),
    ("B", "R", "", "", "", "R", "R"),
    ("A1", "A", "", "", "", "A", "L"),
    ("C", "R", "", "", "", "", ""),
]
ORDERS = [
    ("o1", "A", "2026-10-01", "100", "", ""),
    ("o2", "A1", "2026-10-02", "40.5", "", ""),
    ("o3", "A1", "2026-10-09", "-10", "", ""),
    ("o4", "B", "2026-10-03", "70", "", ""),
    ("o5", "C", "2026-10-03", "500", "", ""),
    ("o6", "B", "2026-09-03", "30", "", ""),
]


@pytest.fixture
def placed(driver: Driver, settings: Settings, tmp_path: Path) -> str:
    import_folder(
        driver, write_folder(tmp_path / "p", DISTRIBUTORS, ORDERS), database=settings.neo4j_database
    )
    return settings.neo4j_database


def test_left_and_right_volume(driver: Driver, placed: str) -> None:
    doc = service.placement(driver, placed, "R", "2026-10")
    assert doc["left"] == {"id": "A", "volume": 130.5, "members": 2}
    assert doc["right"] == {"id": "B", "volume": 70.0, "members": 1}
    assert (doc["parent"], doc["side"]) == (None, None)
    a1 = service.placement(driver, placed, "A1", "2026-09")
    assert (a1["parent"], a1["side"]) == ("A", "L")
    assert a1["left"] == {"id": None, "volume": 0.0, "members": 0}
    assert service.placement(driver, placed, "R", "2026-09")["right"]["volume"] == 30.0
    outside = service.placement(driver, placed, "C", "2026-10")  # sponsored, never placed
    assert (outside["parent"], outside["left"]["id"], outside["right"]["id"]) == (None, None, None)
    with pytest.raises(NotFound):
        service.placement(driver, placed, "NOBODY")


def test_placement_command(placed: str, cli_env: dict[str, str]) -> None:
    proc = run_cli("placement", "R", "--period", "2026-10", "--json", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["left"]["volume"] == 130.5
    assert run_cli("placement", "NOBODY", env=cli_env).returncode == 4
