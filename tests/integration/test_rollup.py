"""Rollups through the CLI: published with the import all or nothing, rebuilt by `downline rollup`,
and the analytics commands' shapes and errors (the figures themselves are checked against the
reference in test_analytics_properties.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from graph_service.ingest.generator import generate
from tests.helpers import dump, killed_when, run_cli, write_folder

CONTRACT_KEYS = {
    "id", "period", "pv", "gv", "frontline", "downline_size", "active_downline", "max_depth",
    "mean_depth", "levels", "legs", "strongest_leg_share",
}  # fmt: skip


def _json(*args: str, env: dict[str, str]) -> Any:
    proc = run_cli(*args, "--json", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def _small(tmp_path: Path) -> Path:
    return write_folder(
        tmp_path / "small",
        [
            ("R", "", "Root", "", "2026-01-05", "", ""),
            ("A", "R", "Ann", "", "2026-02-01", "", ""),
            ("B", "R", "Bob", "", "2026-02-03", "", ""),
            ("A1", "A", "Ann's first", "", "2026-03-01", "", ""),
        ],
        [
            ("o1", "R", "2026-10-02", "120", "", "retail"),
            ("o2", "A", "2026-10-03", "50.5", "", "self"),
            ("o3", "A1", "2026-10-04", "150", "", ""),
            ("o4", "B", "2026-09-04", "100", "", ""),
            ("o5", "A1", "2026-10-20", "-10.25", "", ""),
        ],
    )


def _spare_written(driver: Driver, at_least: int) -> bool:
    rows, _, _ = driver.execute_query(
        "MATCH (p:Publication {id: 1}) WITH CASE p.slot WHEN 0 THEN 'r1_size' ELSE 'r0_size' END AS key "
        "MATCH (d:Distributor) WHERE d[key] IS NOT NULL RETURN count(d) AS n"
    )
    return bool(rows and rows[0]["n"] >= at_least)


def test_stats_json_has_the_contract_shape_and_exact_figures(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    run_cli("import", str(_small(tmp_path)), env=cli_env)
    doc = _json("stats", "R", "--period", "2026-10", env=cli_env)
    assert set(doc) >= CONTRACT_KEYS
    assert doc["pv"] == 120.0
    assert doc["gv"] == 310.25
    assert doc["frontline"] == 2
    assert doc["downline_size"] == 3
    assert doc["active_downline"] == 1
    assert doc["levels"] == [2, 1]
    assert doc["max_depth"] == 2
    assert doc["mean_depth"] == pytest.approx(4 / 3)
    assert doc["legs"] == [
        {"id": "A", "gv": 190.25, "size": 2, "share": pytest.approx(190.25 / 190.25)},
        {"id": "B", "gv": 0.0, "size": 1, "share": 0.0},
    ]
    assert doc["strongest_leg_share"] == 1.0
    # the default period is the latest with orders; a month without orders has zero volumes
    assert _json("stats", "R", env=cli_env)["period"] == "2026-10"
    empty = _json("stats", "R", "--period", "2025-01", env=cli_env)
    assert (empty["pv"], empty["gv"], empty["active_downline"], empty["levels"]) == (0.0, 0.0, 0, [2, 1])
    live = _json("stats", "R", "--period", "2026-10", "--live", env=cli_env)
    assert live == doc


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("stats", "NOBODY"), 4, "no distributor with id 'NOBODY'"),
        (("stats", "R", "--period", "2026-13"), 2, "is not a month"),
        (("stats", "R", "--period", "last"), 2, "is not a month"),
        (("upline", "NOBODY"), 4, "no distributor"),
        (("downline", "NOBODY"), 4, "no distributor"),
        (("downline", "R", "--limit", "0"), 2, "limit must be"),
        (("downline", "R", "--level", "0"), 2, "level must be"),
        (("downline", "R", "--cursor", "junk"), 2, "cursor"),
        (("network", "--period", "10-2026"), 2, "is not a month"),
    ],
)
def test_bad_arguments_exit_with_a_clear_error(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str], args: tuple[str, ...], code: int, message: str
) -> None:
    run_cli("import", str(_small(tmp_path)), env=cli_env)
    proc = run_cli(*args, env=cli_env)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert message in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_listings_and_network_through_the_cli(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    run_cli("import", str(_small(tmp_path)), env=cli_env)
    up = _json("upline", "A1", env=cli_env)
    assert [(m["id"], m["level"]) for m in up] == [("A", 1), ("R", 2)]
    page = _json("downline", "R", "--limit", "2", env=cli_env)
    assert page["total"] == 3
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = _json("downline", "R", "--limit", "2", "--cursor", page["next_cursor"], env=cli_env)
    assert rest["next_cursor"] is None
    assert [m["id"] for m in page["items"] + rest["items"]] == ["A", "A1", "B"]  # tree order
    assert [m["id"] for m in _json("downline", "R", "--level", "2", env=cli_env)["items"]] == ["A1"]
    assert [m["id"] for m in _json("downline", "R", "--active", env=cli_env)["items"]] == ["A1"]
    assert [m["id"] for m in _json("downline", "R", "--search", "bo", env=cli_env)["items"]] == ["B"]
    csv_out = run_cli("downline", "R", "--csv", env=cli_env)
    assert csv_out.returncode == 0
    assert csv_out.stdout.splitlines()[0].startswith("id,name,sponsor_id,level")
    assert len(csv_out.stdout.splitlines()) == 4
    net = _json("network", "--period", "2026-10", env=cli_env)
    assert (net["distributors"], net["roots"], net["max_depth"], net["depth_histogram"]) == (
        4,
        1,
        2,
        [1, 2, 1],
    )
    assert net["volume"] == 310.25
    assert net["retail_volume"] == 310.25 - 50.5
    assert net["orders"] == 4
    assert net["active"] == 2  # R (120) and A1 (139.75)
    assert [r["id"] for r in net["top"]][:2] == ["R", "A"]
    assert [p["period"] for p in net["history"]] == ["2026-09", "2026-10"]
    assert {"month": "2026-02", "new_distributors": 2} in net["growth"]


def test_rollup_command_follows_a_new_active_threshold(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    run_cli("import", str(_small(tmp_path)), env=cli_env)
    assert _json("stats", "R", "--period", "2026-10", env=cli_env)["active_downline"] == 1
    low = {**cli_env, "DOWNLINE_ACTIVE_PV": "50"}
    # before the rebuild the figure is computed on the fly for the other threshold; after, rolled up
    assert _json("stats", "R", "--period", "2026-10", env=low)["active_downline"] == 2
    doc = _json("rollup", env=low)
    assert doc["periods"] == ["2026-09", "2026-10"]
    assert _json("stats", "R", "--period", "2026-10", env=low)["active_downline"] == 2
    assert _json("network", "--period", "2026-10", env=low)["active"] == 3


@pytest.mark.parametrize("phase", ["import", "rollup"])
def test_a_kill_during_the_rollup_leaves_the_published_figures(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str], phase: str
) -> None:
    data = tmp_path / "net"
    generate(data, distributors=20_000, months=3, seed=11)
    small = _small(tmp_path)
    run_cli("import", str(small), env=cli_env)
    if phase == "rollup":
        assert run_cli("import", str(data), env=cli_env).returncode == 0
    before = dump(driver)
    stats_before = _json("stats", "R", env=cli_env)
    args = ["import", str(data)] if phase == "import" else ["rollup"]
    slow = {**cli_env, "DOWNLINE_ROLLUP_BATCH_ROWS": "20"}  # many small transactions: a long rollup
    with killed_when(args, slow, lambda: _spare_written(driver, 2_000)):
        assert _json("stats", "R", env=cli_env) == stats_before  # readers see the published figures
    assert dump(driver) == before
    assert _json("stats", "R", env=cli_env) == stats_before
    # the next run takes over the dead holder's lease and publishes a consistent rollup
    again = run_cli(*args, env=cli_env)
    assert again.returncode == 0, again.stderr
    for who in ("R", "D1"):
        assert _json("stats", who, env=cli_env) == _json("stats", who, "--live", env=cli_env)
