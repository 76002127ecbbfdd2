"""The forced matrix in Neo4j: placement as part of every import (all or nothing with it), against
the contract's worked examples and the independent reference (tests/reference_matrix.py); the
width setting; a database loaded before the matrix; the API route and the command."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from graph_service import matrix
from graph_service.api import keys as keystore
from graph_service.compensation.engine import MatrixNotPlaced, PlanMismatch
from graph_service.compensation.plan import Plan
from graph_service.config import Settings
from graph_service.errors import InvalidInput, NotFound
from graph_service.ingest.generator import generate
from graph_service.ingest.load import import_folder
from tests.helpers import dump, killed_when, run_cli, staged_rows, write_folder
from tests.reference import Distributor
from tests.reference_matrix import Position, children_of, place_imports

Row = tuple[str, str, str, str, str, str, str]


def _rows(members: list[Distributor]) -> list[Row]:
    return [
        (m.id, m.sponsor_id or "", m.name or "", "", m.joined_on.isoformat() if m.joined_on else "", "", "")
        for m in members
    ]


def _d(i: str, sponsor: str | None, joined: str | None = None) -> Distributor:
    return Distributor(i, sponsor, None, date.fromisoformat(joined) if joined else None)


def _import(driver: Driver, settings: Settings, folder: Path, width: int = 3) -> Any:
    return import_folder(driver, folder, database=settings.neo4j_database, matrix_width=width)


def _stored(driver: Driver) -> dict[str, Position]:
    """Every published distributor's stored position; checks the MATRIX links agree with it."""
    rows, _, _ = driver.execute_query(
        "MATCH (p:Publication {id: 1}) MATCH (d:Distributor) WHERE d.gen <= p.gen "
        "OPTIONAL MATCH (m)-[r:MATRIX]->(d) "
        "RETURN d.id AS id, d.matrix_parent_id AS parent, d.matrix_seq AS seq, d.matrix_depth AS depth, "
        "m.id AS linked, r.seq AS link_seq"
    )
    out = {}
    for r in rows:
        assert (r["linked"], r["link_seq"] if r["linked"] else None) == (
            r["parent"],
            r["seq"] if r["parent"] else None,
        ), r
        out[r["id"]] = Position(r["parent"], r["seq"], r["depth"])
    return out


def _matrix_links(driver: Driver) -> int:
    rows, _, _ = driver.execute_query("MATCH ()-[r:MATRIX]->() RETURN count(r) AS n")
    return int(rows[0]["n"])


# -- the contract's worked examples ---------------------------------------------------------------


def test_width_2_six_recruits_fill_the_root_then_its_first_then_its_second_recruit(
    driver: Driver, settings: Settings, tmp_path: Path
) -> None:
    members = [_d("R", None, "2025-01-01")] + [
        _d(x, "R", f"2025-02-0{k + 1}") for k, x in enumerate("ABCDEF")
    ]
    summary = _import(driver, settings, write_folder(tmp_path / "a", _rows(members)), width=2)
    assert summary.matrix_placed == 7
    stored = _stored(driver)
    assert {i: p.parent for i, p in stored.items()} == {
        "R": None, "A": "R", "B": "R", "C": "A", "D": "A", "E": "B", "F": "B",
    }  # fmt: skip
    assert stored == place_imports([members], 2)
    assert matrix.stored_width(driver, settings.neo4j_database) == 2
    r = matrix.matrix_position(driver, settings.neo4j_database, "R")
    assert (r.parent, r.children, r.level, r.width, r.open_direct) == (None, ["A", "B"], 0, 2, 0)
    # 7 levels of width 2 hold 254 positions; 6 are taken
    assert r.open_positions == sum(2**k for k in range(1, 8)) - 6
    a = matrix.matrix_position(driver, settings.neo4j_database, "A")
    assert (a.parent, a.children, a.level) == ("R", ["C", "D"], 1)


def test_a_recruit_who_joined_before_the_sponsor(driver: Driver, settings: Settings, tmp_path: Path) -> None:
    members = [
        _d("R", None, "2025-01-01"),
        _d("A", "R", "2025-01-02"),
        _d("B", "R", "2025-01-03"),
        _d("K1", "K", "2025-01-04"),  # joined before their sponsor
        _d("C", "R", "2025-01-05"),
        _d("K", "R", "2025-01-09"),
    ]
    _import(driver, settings, write_folder(tmp_path / "a", _rows(members)), width=2)
    stored = _stored(driver)
    assert sorted(stored, key=lambda i: stored[i].seq) == ["R", "A", "B", "C", "K", "K1"]
    assert (stored["K"].parent, stored["K1"].parent) == ("A", "K")
    assert stored == place_imports([members], 2)


# -- against the reference, incremental imports ---------------------------------------------------


@st.composite
def _imports(draw: st.DrawFn) -> list[list[Distributor]]:
    n = draw(st.integers(1, 25))
    name = st.text(st.sampled_from(list('aAé中 ,"/9')), min_size=1, max_size=3)
    ids = draw(st.lists(name, min_size=n, max_size=n, unique=True))
    days = [None, *(date(2025, 1, 1) + timedelta(days=k) for k in range(4))]
    members = []
    for k, i in enumerate(ids):
        sponsor = None if k == 0 or draw(st.integers(0, 5)) == 0 else ids[draw(st.integers(0, k - 1))]
        members.append(Distributor(i, sponsor, None, draw(st.sampled_from(days))))
    cut: dict[str, int] = {}
    count = draw(st.integers(1, 3))
    for m in members:
        cut[m.id] = draw(st.integers(0 if m.sponsor_id is None else cut[m.sponsor_id], count - 1))
    return [draw(st.permutations([m for m in members if cut[m.id] == c])) for c in range(count)]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(imports=_imports(), width=st.integers(1, 3))
def test_imports_place_like_the_reference(
    driver: Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory,
    imports: list[list[Distributor]], width: int,
) -> None:  # fmt: skip
    from graph_service.db.admin import delete_all

    delete_all(driver, database=settings.neo4j_database)
    folder = tmp_path_factory.mktemp("imports")
    before: dict[str, Position] = {}
    for k, batch in enumerate(imports):
        _import(driver, settings, write_folder(folder / str(k), _rows(batch)), width=width)
        stored = _stored(driver)
        assert stored == place_imports(imports[: k + 1], width)
        assert all(stored[i] == p for i, p in before.items())  # placed members never move
        before = stored
    kids = children_of(before)
    for i in list(before)[:5]:
        got = matrix.matrix_position(driver, settings.neo4j_database, i)
        assert got.children == kids[i]
        assert got.open_direct == width - len(kids[i])


def _big(seed: int) -> tuple[list[Distributor], list[Distributor]]:
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    members = [Distributor("BOSS", None, None, start)]
    for k in range(2_000):
        joined = None if rng.random() < 0.05 else start + timedelta(days=rng.randrange(1, 400))
        members.append(Distributor(f"r{k:04d}", "BOSS", None, joined))
    for k in range(300):
        members.append(Distributor(f"s{k:03d}", f"r{rng.randrange(2_000):04d}", None,
                                   start + timedelta(days=rng.randrange(1, 500))))  # fmt: skip
    chain = [Distributor("c0000", None, None, date(2026, 1, 1))]
    for k in range(1, 600):  # each joined before their sponsor: a 600-deep wait (1,500 in tests/unit)
        chain.append(Distributor(f"c{k:04d}", f"c{k - 1:04d}", None, date(2026, 1, 1) - timedelta(days=k)))
    later = [Distributor(f"n{k:03d}", rng.choice(["BOSS", "c0300", "r0005", "c0599", "s017"]), None,
                         start + timedelta(days=rng.randrange(600))) for k in range(300)]  # fmt: skip
    return members + chain, later


def test_a_2000_recruit_sponsor_a_long_chain_and_a_second_import(
    driver: Driver, settings: Settings, tmp_path: Path
) -> None:
    first, second = _big(7)
    _import(driver, settings, write_folder(tmp_path / "one", _rows(first)))
    placed = _stored(driver)
    assert placed == place_imports([first], 3)
    _import(driver, settings, write_folder(tmp_path / "two", _rows(first + second)))  # repeats the first
    stored = _stored(driver)
    assert stored == place_imports([first, second], 3)
    assert all(stored[i] == p for i, p in placed.items())
    config, _, _ = driver.execute_query("MATCH (c:MatrixConfig) RETURN c.width AS w, c.next_seq AS s")
    assert (config[0]["w"], config[0]["s"]) == (3, len(first) + len(second))


# -- all or nothing -------------------------------------------------------------------------------


def test_an_import_refused_half_way_takes_no_position(
    driver: Driver, settings: Settings, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    base = [_d("R", None, "2025-01-01"), _d("A", "R", "2025-01-02")]
    _import(driver, settings, write_folder(tmp_path / "base", _rows(base)))
    before = dump(driver, visible_only=False)
    # valid on its own; refused only against the database (a sponsor nobody has), after the lease
    bad = [_d("N1", "A", "2025-02-01"), _d("N2", "N1", "2025-02-02"), _d("N3", "GHOST", "2025-02-03")]
    with pytest.raises(InvalidInput):
        _import(driver, settings, write_folder(tmp_path / "bad", _rows(bad)))
    proc = run_cli("import", str(tmp_path / "bad"), env=cli_env)
    assert proc.returncode == 2
    assert dump(driver, visible_only=False) == before
    assert _matrix_links(driver) == 1


def test_the_width_setting_is_recorded_and_another_width_refused(
    driver: Driver, settings: Settings, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    base = [_d("R", None, "2025-01-01"), _d("A", "R", "2025-01-02")]
    env2 = {**cli_env, "DOWNLINE_MATRIX_WIDTH": "2"}
    assert run_cli("import", str(write_folder(tmp_path / "base", _rows(base))), env=env2).returncode == 0
    assert matrix.stored_width(driver, settings.neo4j_database) == 2
    before = dump(driver, visible_only=False)
    more = write_folder(tmp_path / "more", _rows([_d("B", "R", "2025-03-01")]))
    proc = run_cli("import", str(more), env={**cli_env, "DOWNLINE_MATRIX_WIDTH": "3"})
    assert proc.returncode == 2
    assert "placed with width 2" in proc.stderr
    assert "DOWNLINE_MATRIX_WIDTH" in proc.stderr
    assert dump(driver, visible_only=False) == before
    assert run_cli("import", str(more), env=env2).returncode == 0

    db = settings.neo4j_database
    plan = {"name": "m", "matrix": {"width": 3, "rates": [0.1]}}
    with pytest.raises(PlanMismatch, match="width 2"):
        matrix.check_plan_width(driver, db, Plan.model_validate(plan))
    matrix.check_plan_width(driver, db, Plan.model_validate({**plan, "matrix": {"width": 2, "rates": [0.1]}}))
    matrix.check_plan_width(driver, db, Plan.model_validate({"name": "no matrix"}))


def test_kill_during_an_import_leaves_no_visible_position(
    driver: Driver, settings: Settings, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    big = tmp_path / "big"
    generate(big, distributors=20_000, months=1, seed=3)
    head = (big / "distributors.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    base = tmp_path / "base"
    base.mkdir()
    (base / "distributors.csv").write_text("".join(head[:4]), encoding="utf-8")  # three roots
    _import(driver, settings, base)
    before = dump(driver)
    links = _matrix_links(driver)

    env = {**cli_env, "DOWNLINE_IMPORT_BATCH_ROWS": "1000"}
    with killed_when(["import", str(big)], env, lambda: staged_rows(driver) >= 3_000):
        assert dump(driver) == before  # staged positions hang off invisible distributors
        hidden, _, _ = driver.execute_query(
            "MATCH (p:Publication {id: 1}) MATCH (:Distributor)-[:MATRIX]->(c:Distributor) "
            "WHERE c.gen > p.gen RETURN count(*) AS n"
        )
        assert hidden[0]["n"] > 0
    assert dump(driver) == before
    assert matrix.matrix_position(driver, settings.neo4j_database, "D1").children == []

    # the next import sweeps them and places everyone as if the killed one never ran
    small = [_d("N", "D1", "2030-01-01")]
    _import(driver, settings, write_folder(tmp_path / "small", _rows(small)))
    assert _matrix_links(driver) == links + 1
    stored = _stored(driver)
    assert stored["N"] == Position("D1", 3, 1)


# -- a database loaded before the matrix ----------------------------------------------------------


def _forget_the_matrix(driver: Driver) -> None:
    driver.execute_query(
        "MATCH (c:MatrixConfig) DELETE c WITH count(*) AS _ MATCH ()-[r:MATRIX]->() DELETE r "
        "WITH count(*) AS _ MATCH (d:Distributor) REMOVE d.matrix_parent_id, d.matrix_seq, d.matrix_depth"
    )


def test_a_database_loaded_before_the_matrix_is_placed_import_by_import(
    driver: Driver, settings: Settings, tmp_path: Path
) -> None:
    one = [_d("R", None, "2025-05-01"), _d("A", "R", "2025-05-02"), _d("B", "R", "2025-05-03")]
    two = [
        _d("C", "R", "2024-01-01"),
        _d("D", "A", "2024-01-02"),
        _d("E", "R", None),
        _d("S", None, "2020-01-01"),
    ]
    db = settings.neo4j_database
    _import(driver, settings, write_folder(tmp_path / "one", _rows(one)), width=2)
    _import(driver, settings, write_folder(tmp_path / "two", _rows(one + two)), width=2)
    expected = _stored(driver)
    assert expected == place_imports([one, two], 2)
    _forget_the_matrix(driver)
    assert matrix.stored_width(driver, db) is None
    with pytest.raises(MatrixNotPlaced):
        matrix.matrix_position(driver, db, "R")
    with pytest.raises(MatrixNotPlaced):
        matrix.check_plan_width(
            driver, db, Plan.model_validate({"name": "m", "matrix": {"width": 2, "rates": [0.1]}})
        )
    # a half-written placement of a crashed import is cleared first
    driver.execute_query("MATCH (d:Distributor {id: 'B'}) SET d.matrix_seq = 99, d.matrix_parent_id = 'x'")

    # re-importing what is already there changes nothing but places everyone, import by import
    summary = _import(driver, settings, write_folder(tmp_path / "again", _rows(one)), width=2)
    assert (summary.import_id, summary.matrix_placed) == (None, 7)
    assert _stored(driver) == expected
    assert matrix.stored_width(driver, db) == 2

    _forget_the_matrix(driver)
    three = [_d("F", "C", "2023-01-01")]
    summary = _import(driver, settings, write_folder(tmp_path / "three", _rows(three)), width=2)
    assert summary.matrix_placed == 8
    assert _stored(driver) == place_imports([one, two, three], 2)


# -- API and command ------------------------------------------------------------------------------

#  R (width 2): A, B;  A: A1, A2;  B: B1, X  where X is R's recruit spilled under B
SURFACE = [
    _d("R", None, "2025-01-01"),
    _d("A", "R", "2025-01-02"),
    _d("B", "R", "2025-01-03"),
    _d("A1", "A", "2025-01-04"),
    _d("A2", "A", "2025-01-05"),
    _d("B1", "B", "2025-01-06"),
    _d("X", "R", "2025-01-07"),
]


@pytest.fixture
def surface(driver: Driver, settings: Settings, tmp_path: Path) -> dict[str, str]:
    _import(driver, settings, write_folder(tmp_path / "s", _rows(SURFACE)), width=2)
    db = settings.neo4j_database
    return {
        "viewer": keystore.create_key(driver, db, role="viewer")[0],
        "scoped": keystore.create_key(driver, db, role="viewer", scope="B")[0],
    }


def _get(api: str, who: str, key: str) -> httpx.Response:
    return httpx.get(
        f"{api}/v1/distributors/{who}/matrix", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def test_matrix_route(api: str, surface: dict[str, str]) -> None:
    r = _get(api, "B", surface["viewer"])
    assert r.status_code == 200, r.text
    assert r.json() == {
        "id": "B", "parent": "R", "children": ["B1", "X"], "level": 1, "width": 2, "open_direct": 0,
        "open_positions": sum(2**k for k in range(1, 8)) - 2, "open_levels": 7,
    }  # fmt: skip
    assert _get(api, "R", surface["viewer"]).json()["children"] == ["A", "B"]
    assert _get(api, "NOBODY", surface["viewer"]).status_code == 404
    assert _get(api, "B", "dl_bad_key").status_code == 401
    # scoped to B: B's downline is B1 only; R (parent) and X (R's recruit) are outside the scope
    mine = _get(api, "B", surface["scoped"]).json()
    assert (mine["parent"], mine["children"], mine["open_direct"]) == (None, ["B1"], 0)
    assert _get(api, "B1", surface["scoped"]).json()["parent"] == "B"
    for outside in ("R", "A", "X", "NOBODY"):
        r = _get(api, outside, surface["scoped"])
        assert r.status_code == 404, outside
        assert r.json()["error"] == "not_found"


def test_matrix_command(
    surface: dict[str, str], cli_env: dict[str, str], driver: Driver, settings: Settings
) -> None:
    proc = run_cli("matrix", "A", "--json", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["children"] == ["A1", "A2"]
    proc = run_cli("matrix", "B", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert "B1, X" in proc.stdout
    assert run_cli("matrix", "NOBODY", env=cli_env).returncode == 4
    with pytest.raises(NotFound):
        matrix.matrix_position(driver, settings.neo4j_database, "A", scope_id="B")
