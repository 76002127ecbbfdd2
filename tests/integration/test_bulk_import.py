"""`downline import --bulk`: a first load through neo4j-admin's offline importer gives exactly the
database the transactional import gives, on a server of the test's own (the importer stops it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.driver import open_driver
from tests.helpers import cli_environment, dump, free_port, run_cli

# properties that differ from one import to the next whatever the path: ids, clocks, build ids
# and the packed frame (its member order is the order of a scan)
VOLATILE = {
    "": {"import_id"},
    "Import": {"id", "at", "seconds"},
    "Rollup": {"seconds", "at", "build"},
    "RollupFrame": {"data", "build"},
}


def _normal(driver: Driver) -> tuple[list[str], list[str]]:
    """Every node and link (as tests.helpers.dump), without the VOLATILE properties."""
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE NOT n:ImportLock RETURN labels(n) AS l, properties(n) AS p"
    )
    nodes = []
    for r in records:
        drop = VOLATILE[""].union(*(VOLATILE.get(label, set()) for label in r["l"]))
        nodes.append(repr((sorted(r["l"]), sorted((k, v) for k, v in r["p"].items() if k not in drop))))
    return sorted(nodes), dump(driver)[1]


def _schema(driver: Driver) -> list[tuple[Any, ...]]:
    """Every index and constraint, online (the bulk import creates them in its own way)."""
    indexes, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state, owningConstraint"
    )
    constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties")
    return sorted(tuple(r.values()) for r in [*indexes, *constraints])


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[dict[str, str], Driver]]:
    env = cli_environment(tmp_path / "home")
    env["DOWNLINE_NEO4J_HEAP"] = "512m"
    proc = run_cli("db", "start", "--bolt-port", str(free_port()), "--http-port", str(free_port()), env=env)
    assert proc.returncode == 0, proc.stderr
    settings = Settings(home=Path(env["DOWNLINE_HOME"]))
    driver = open_driver(settings, retry_s=30)
    try:
        yield env, driver
    finally:
        driver.close()
        run_cli("db", "stop", env=env)


def _import(env: dict[str, str], folder: Path, *flags: str) -> dict[str, Any]:
    proc = run_cli("import", str(folder), "--json", *flags, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def test_bulk_and_transactional_imports_give_the_same_database(
    own_server: tuple[dict[str, str], Driver], tmp_path: Path
) -> None:
    env, driver = own_server
    data = tmp_path / "data"
    assert run_cli("generate", str(data), "--distributors", "1500", "--seed", "7", env=env).returncode == 0
    # a name with a comma, quotes and non-ASCII text survives the importer's CSV
    text = (data / "distributors.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    first = text[1].split(",")
    first[header.index("name")] = '"Ö, ""the"" 😀 one"'
    (data / "distributors.csv").write_text(
        "\n".join([text[0], ",".join(first), *text[2:]]) + "\n", encoding="utf-8"
    )

    slow = _import(env, data, "--no-bulk")
    assert "admin_import" not in slow["timings"]
    want = _normal(driver)
    schema = _schema(driver)
    assert {r[4] for r in schema if len(r) == 6} == {"ONLINE"}
    stats = run_cli("stats", first[0], "--json", env=env).stdout
    delete_all(driver, database="neo4j")

    fast = _import(env, data, "--bulk")
    assert "admin_import" in fast["timings"]
    for key in ("distributors_added", "orders_added", "placements_added", "periods"):
        assert fast[key] == slow[key]
    assert _normal(driver) == want
    assert _schema(driver) == schema
    log = (Path(env["DOWNLINE_HOME"]) / "logs" / "bulk-import.log").read_text(encoding="utf-8")
    assert "IMPORT DONE" in log  # the importer's own account of its stages, kept
    assert run_cli("stats", first[0], "--json", env=env).stdout == stats
    assert json.loads(stats)["name"] == 'Ö, "the" 😀 one'

    # later imports are transactional: the database is not empty any more
    more = tmp_path / "more"
    more.mkdir()
    (more / "distributors.csv").write_text(f"id,sponsor_id\nNEWCOMER,{first[0]}\n", encoding="utf-8")
    assert _import(env, more)["distributors_added"] == 1
    refused = run_cli("import", str(more), "--bulk", env=env)
    assert refused.returncode != 0
    assert "empty database only" in refused.stderr


def test_bad_input_is_refused_before_the_server_stops(
    own_server: tuple[dict[str, str], Driver], tmp_path: Path
) -> None:
    env, driver = own_server
    before = json.loads(run_cli("db", "status", "--json", env=env).stdout)["pid"]
    data = tmp_path / "bad"
    data.mkdir()
    (data / "distributors.csv").write_text("id,sponsor_id\nA,\nB,NOBODY\n", encoding="utf-8")
    proc = run_cli("import", str(data), "--bulk", env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "NOBODY" in proc.stdout + proc.stderr
    assert json.loads(run_cli("db", "status", "--json", env=env).stdout)["pid"] == before
    assert not list((Path(env["DOWNLINE_HOME"]) / "bulk").glob("*/"))  # no work folder left behind
    assert dump(driver, visible_only=False) == ([], [])

    # distributors only (no orders, no periods): every figure goes in after the load
    good = tmp_path / "good"
    good.mkdir()
    (good / "distributors.csv").write_text("id,sponsor_id\nA,\nB,A\nC,B\nD,A\n", encoding="utf-8")
    _import(env, good, "--bulk")
    fast = _normal(driver), run_cli("stats", "A", "--json", env=env).stdout, _schema(driver)
    delete_all(driver, database="neo4j")
    _import(env, good, "--no-bulk")
    assert (_normal(driver), run_cli("stats", "A", "--json", env=env).stdout, _schema(driver)) == fast
    assert json.loads(fast[1])["downline_size"] == 3
