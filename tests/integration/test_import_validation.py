"""Every bad-input rule of contract section 1: exit 2, a located problem, the database unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from neo4j import Driver

from tests.helpers import DIST_HEADER, ORDER_HEADER, dump, run_cli, write_csv, write_folder

BASE_DISTRIBUTORS = [
    ("R1", "", "Root One", "US", "2024-01-05", "", ""),
    ("A1", "R1", "Ann", "GB", "2024-02-01", "R1", "L"),
    ("A2", "R1", "Al", "DE", "2024-02-03", "R1", "R"),
    ("B1", "A1", "Bea", "", "", "A1", "L"),
]
BASE_ORDERS = [
    ("O1", "R1", "2026-09-02", "100", "130.00", "retail"),
    ("O2", "A1", "2026-09-10", "55.25", "", "self"),
]


@pytest.fixture
def base(driver: Driver, tmp_path: Path, cli_env: dict[str, str]) -> Driver:
    folder = write_folder(tmp_path / "base", BASE_DISTRIBUTORS, BASE_ORDERS)
    proc = run_cli("import", str(folder), env=cli_env)
    assert proc.returncode == 0, proc.stderr
    return driver


Builder = Callable[[Path], None]


def dists(*rows: tuple[str, ...], header: list[str] = DIST_HEADER) -> Builder:
    return lambda folder: write_csv(folder / "distributors.csv", header, rows) and None


def orders(*rows: tuple[str, ...], header: list[str] = ORDER_HEADER) -> Builder:
    def build(folder: Path) -> None:
        write_csv(folder / "distributors.csv", DIST_HEADER, [])
        write_csv(folder / "orders.csv", header, rows)

    return build


def raw(name: str, data: bytes, other: Builder | None = None) -> Builder:
    def build(folder: Path) -> None:
        if other is not None:
            other(folder)
        elif name != "distributors.csv":
            write_csv(folder / "distributors.csv", DIST_HEADER, [])
        (folder / name).write_bytes(data)

    return build


OK_ROW = ("N1", "R1", "New", "US", "2026-01-01", "", "")

CASES: dict[str, tuple[Builder, str, int | None, str | None, str]] = {
    # name: (builder, file, line, column, reason fragment)
    "missing sponsor_id column": (
        dists(("N1", "x"), header=["id", "name"]),
        "distributors.csv",
        1,
        "sponsor_id",
        "missing",
    ),
    "missing id column": (dists(("R1",), header=["sponsor_id"]), "distributors.csv", 1, "id", "missing"),
    "missing volume column": (
        orders(("O5", "R1", "2026-10-01"), header=["id", "distributor_id", "ordered_on"]),
        "orders.csv",
        1,
        "volume",
        "missing",
    ),
    "repeated header column": (
        dists(("N1", "R1", "R1"), header=["id", "sponsor_id", "sponsor_id"]),
        "distributors.csv",
        1,
        "sponsor_id",
        "twice",
    ),
    "empty id": (dists(OK_ROW, ("", "R1", "", "", "", "", "")), "distributors.csv", 3, "id", "empty"),
    "id too long": (dists(("X" * 65, "R1", "", "", "", "", "")), "distributors.csv", 2, "id", "64"),
    "control character in id": (
        dists(("N\x071", "R1", "", "", "", "", "")),
        "distributors.csv",
        2,
        "id",
        "control character",
    ),
    "duplicate id": (dists(OK_ROW, ("N2", "R1"), OK_ROW), "distributors.csv", 4, "id", "duplicate"),
    "existing id with another sponsor": (
        dists(("B1", "A2", "", "", "", "", "")),
        "distributors.csv",
        2,
        "sponsor_id",
        "already exists",
    ),
    "unknown sponsor": (
        dists(("N1", "ghost", "", "", "", "", "")),
        "distributors.csv",
        2,
        "sponsor_id",
        "exists neither",
    ),
    "sponsors himself": (
        dists(("N1", "N1", "", "", "", "", "")),
        "distributors.csv",
        2,
        "sponsor_id",
        "himself",
    ),
    "sponsorship cycle": (
        dists(
            ("C1", "C3", "", "", "", "", ""),
            ("C2", "C1", "", "", "", "", ""),
            ("C3", "C2", "", "", "", "", ""),
        ),
        "distributors.csv",
        2,
        "sponsor_id",
        "C1 -> C3 -> C2 -> C1",
    ),
    "bad joined_on": (
        dists(("N1", "R1", "", "", "2026-02-30", "", "")),
        "distributors.csv",
        2,
        "joined_on",
        "ISO date",
    ),
    "bad country": (dists(("N1", "R1", "", "USA", "", "", "")), "distributors.csv", 2, "country", "ISO 3166"),
    "bad placement side": (
        dists(("N1", "R1", "", "", "", "A2", "X")),
        "distributors.csv",
        2,
        "placement_side",
        "L or R",
    ),
    "placement slot twice in file": (
        dists(("N1", "R1", "", "", "", "A2", "L"), ("N2", "R1", "", "", "", "A2", "L")),
        "distributors.csv",
        3,
        "placement_side",
        "taken twice",
    ),
    "placement slot taken in database": (
        dists(("N1", "R1", "", "", "", "A1", "L")),
        "distributors.csv",
        2,
        "placement_side",
        "already taken",
    ),
    "unknown placement parent": (
        dists(("N1", "R1", "", "", "", "ghost", "L")),
        "distributors.csv",
        2,
        "placement_parent_id",
        "exists neither",
    ),
    "bad ordered_on": (
        orders(("O5", "R1", "10/01/2026", "5", "", "")),
        "orders.csv",
        2,
        "ordered_on",
        "ISO date",
    ),
    "bad volume": (orders(("O5", "R1", "2026-10-01", "12,5", "", "")), "orders.csv", 2, "volume", "decimal"),
    "bad amount": (orders(("O5", "R1", "2026-10-01", "12", "abc", "")), "orders.csv", 2, "amount", "decimal"),
    "unknown buyer": (
        orders(("O5", "R1", "2026-10-01", "12", "", "friend")),
        "orders.csv",
        2,
        "buyer",
        "retail or self",
    ),
    "order for unknown distributor": (
        orders(("O5", "ghost", "2026-10-01", "12", "", "")),
        "orders.csv",
        2,
        "distributor_id",
        "unknown distributor",
    ),
    "duplicate order id in file": (
        orders(("O5", "R1", "2026-10-01", "12", "", ""), ("O5", "R1", "2026-10-02", "3", "", "")),
        "orders.csv",
        3,
        "id",
        "duplicate",
    ),
    "order id imported with other data": (
        orders(("O1", "R1", "2026-09-02", "99", "", "")),
        "orders.csv",
        2,
        "id",
        "already imported",
    ),
    "invalid UTF-8": (
        raw("distributors.csv", b"id,sponsor_id\nN1,R1\nN\xff2,R1\n"),
        "distributors.csv",
        3,
        None,
        "UTF-8",
    ),
    "unterminated quote": (
        raw("distributors.csv", b'id,sponsor_id\nN1,R1\n"N2,R1\n'),
        "distributors.csv",
        3,
        None,
        "malformed CSV",
    ),
    "wrong field count": (
        raw("distributors.csv", b"id,sponsor_id,name\nN1,R1\n"),
        "distributors.csv",
        2,
        None,
        "fields",
    ),
    "empty file": (raw("distributors.csv", b""), "distributors.csv", 1, None, "empty"),
    "no distributors file": (
        raw("orders.csv", b"id,distributor_id,ordered_on,volume\n", lambda f: None),
        "distributors.csv",
        None,
        None,
        "missing",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_located_and_changes_nothing(
    case: str, base: Driver, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    build, file, line, column, fragment = CASES[case]
    folder = tmp_path / "bad"
    folder.mkdir()
    build(folder)
    before = dump(base)

    proc = run_cli("import", str(folder), "--json", env=cli_env)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["error"] == "invalid_input"
    match = [
        p
        for p in doc["problems"]
        if p["file"] == file and p["line"] == line and p["column"] == column and fragment in p["reason"]
    ]
    assert match, doc["problems"]
    assert dump(base) == before
    # the human form names the place too, and never shows a traceback
    human = run_cli("import", str(folder), env=cli_env)
    assert human.returncode == 2
    where = f"{file}:{line}" if line is not None else file
    assert where in human.stderr
    assert "Traceback" not in human.stderr


def test_all_problems_are_reported_at_once(base: Driver, tmp_path: Path, cli_env: dict[str, str]) -> None:
    rows = [
        (f"N{i}", "ghost" if i % 2 else "R1", "", "", "2026-13-01" if i % 3 == 0 else "", "", "")
        for i in range(1, 301)
    ]
    folder = write_folder(tmp_path / "many", rows)
    before = dump(base)

    proc = run_cli("import", str(folder), "--json", env=cli_env)

    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    expected = sum(1 for i in range(1, 301) if i % 3 == 0) + sum(1 for i in range(1, 301) if i % 2 and i % 3)
    assert doc["total"] == expected
    assert len(doc["problems"]) >= 100
    lines = [p["line"] for p in doc["problems"]]
    assert lines == sorted(lines)
    assert dump(base) == before
