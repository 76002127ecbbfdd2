"""Importing: formats the contract allows, idempotency, incremental additions, all-or-nothing on a kill."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from neo4j import Driver

from graph_service.config import Settings
from graph_service.db.admin import counts
from graph_service.ingest.generator import generate
from tests.helpers import DOWNLINE, dump, killed_when, run_cli, staged_rows, write_folder


def _import(folder: Path, env: dict[str, str]) -> dict[str, object]:
    proc = run_cli("import", str(folder), "--json", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def test_contract_formats_bom_crlf_quotes_newlines_any_column_order(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    folder = tmp_path / "fmt"
    folder.mkdir()
    text = (
        "\ufeffextra,sponsor_id,name,id,joined_on\r\n"
        'x,,"Root, ""the first""",R-1,2024-01-01\r\n'
        'y,R-1,"two\r\nlines",Ünïcødé/ß·,2024-02-02\r\n'
        'z,Ünïcødé/ß·,,"quote""d,id",\r\n'
    )
    (folder / "distributors.csv").write_bytes(text.encode("utf-8"))
    (folder / "orders.csv").write_text(
        "volume,distributor_id,id,ordered_on,buyer\n12.5,R-1,o1,2026-10-01,SELF\n-2.25,Ünïcødé/ß·,o2,2026-10-03,\n",
        encoding="utf-8",
    )
    doc = _import(folder, cli_env)
    assert doc["distributors_added"] == 3
    assert doc["orders_added"] == 2
    rows, _, _ = driver.execute_query(
        "MATCH (d:Distributor) OPTIONAL MATCH (s)-[:SPONSORS]->(d) "
        "RETURN d.id AS id, d.name AS name, s.id AS sponsor, d.depth AS depth ORDER BY depth"
    )
    assert [(r["id"], r["name"], r["sponsor"], r["depth"]) for r in rows] == [
        ("R-1", 'Root, "the first"', None, 0),
        ("Ünïcødé/ß·", "two\r\nlines", "R-1", 1),
        ('quote"d,id', None, "Ünïcødé/ß·", 2),
    ]
    orders, _, _ = driver.execute_query(
        "MATCH (o:Order) RETURN o.id AS id, o.volume AS v, o.buyer AS b, o.period AS p ORDER BY id"
    )
    assert [(r["id"], r["v"], r["b"], r["p"]) for r in orders] == [
        ("o1", 125_000, "self", "2026-10"),
        ("o2", -22_500, "retail", "2026-10"),
    ]


def test_second_import_of_the_same_folder_changes_nothing(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    folder = tmp_path / "net"
    generate(folder, distributors=400, months=2, seed=11)
    first = _import(folder, cli_env)
    assert first["distributors_added"] == 400
    snapshot = dump(driver)

    second = _import(folder, cli_env)

    assert second["import_id"] is None
    assert second["distributors_added"] == 0
    assert second["orders_added"] == 0
    assert second["distributors_unchanged"] == 400
    assert dump(driver) == snapshot


def test_later_imports_add_distributors_and_orders(
    driver: Driver, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    first = write_folder(
        tmp_path / "one",
        [("R", "", "Root", "US", "2024-01-01", "", ""), ("A", "R", "Ann", "US", "2024-02-01", "R", "L")],
        [("o1", "A", "2026-09-01", "100", "", "")],
    )
    _import(first, cli_env)
    # the second file repeats A (unchanged), renames R, adds B under A and orders for both
    second = write_folder(
        tmp_path / "two",
        [
            ("A", "R", "Ann", "US", "2024-02-01", "R", "L"),
            ("R", "", "Root Renamed", "", "", "", ""),
            ("B", "A", "Bo", "MX", "2026-09-15", "A", "R"),
        ],
        [("o1", "A", "2026-09-01", "100", "", ""), ("o2", "B", "2026-10-01", "40", "", "retail")],
    )
    doc = _import(second, cli_env)
    assert (doc["distributors_added"], doc["distributors_updated"], doc["distributors_unchanged"]) == (
        1,
        1,
        1,
    )
    assert (doc["orders_added"], doc["orders_unchanged"]) == (1, 1)
    rows, _, _ = driver.execute_query(
        "MATCH (r:Distributor {id:'R'})-[:SPONSORS*]->(d) RETURN r.name AS root, collect(d.id) AS down"
    )
    assert rows[0]["root"] == "Root Renamed"
    assert sorted(rows[0]["down"]) == ["A", "B"]
    placed, _, _ = driver.execute_query(
        "MATCH (:Distributor {id:'A'})-[p:PLACES]->(c) RETURN p.side AS s, c.id AS c"
    )
    assert [(r["s"], r["c"]) for r in placed] == [("R", "B")]
    depth, _, _ = driver.execute_query("MATCH (b:Distributor {id:'B'}) RETURN b.depth AS d, b.root_id AS r")
    assert (depth[0]["d"], depth[0]["r"]) == (2, "R")


def test_kill_during_the_write_leaves_the_database_as_before(
    driver: Driver, settings: Settings, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    base = write_folder(tmp_path / "base", [("KEEP", "", "Kept", "", "", "", "")], [])
    _import(base, cli_env)
    before = dump(driver)
    before_counts = counts(driver, database=settings.neo4j_database)
    big = tmp_path / "big"
    generate(big, distributors=30_000, months=3, seed=5)

    env = {**cli_env, "DOWNLINE_IMPORT_BATCH_ROWS": "1000"}  # many small batches: a long write phase
    with killed_when(["import", str(big)], env, lambda: staged_rows(driver) >= 3_000):
        # mid-import, readers see the database as it was: the staged batches are not published
        assert staged_rows(driver) >= 3_000
        assert counts(driver, database=settings.neo4j_database) == before_counts
        assert dump(driver) == before
    assert dump(driver) == before
    assert counts(driver, database=settings.neo4j_database) == before_counts

    # the next import takes the dead importer's lease at once and sweeps what it staged
    small = write_folder(
        tmp_path / "small", [("KEEP", "", "Kept", "", "", "", ""), ("NEW", "KEEP", "", "", "", "", "")], []
    )
    doc = _import(small, cli_env)
    assert doc["distributors_added"] == 1
    assert staged_rows(driver) == 0
    raw_nodes, _ = dump(driver, visible_only=False)
    assert sum("'Distributor'" in n for n in raw_nodes) == 2


def test_a_second_import_waits_for_the_first(driver: Driver, tmp_path: Path, cli_env: dict[str, str]) -> None:
    big = tmp_path / "big"
    generate(big, distributors=5_000, months=2, seed=9)
    other = write_folder(tmp_path / "other", [("SOLO", "", "", "", "", "", "")], [])
    env = {**cli_env, "DOWNLINE_IMPORT_BATCH_ROWS": "500"}
    first = subprocess.Popen(
        [DOWNLINE, "import", str(big), "--json"], env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while staged_rows(driver) == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run_cli("import", str(other), "--json", env=cli_env)
    out, _ = first.communicate(timeout=300)
    assert first.returncode == 0
    assert second.returncode == 0, second.stderr
    gens, _, _ = driver.execute_query(
        "MATCH (i:Import) RETURN i.gen AS g, i.distributors_added AS n ORDER BY g"
    )
    assert [(r["g"], r["n"]) for r in gens] == [(1, 5_000), (2, 1)]
    assert json.loads(out)["distributors_added"] == 5_000
