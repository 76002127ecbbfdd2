"""Shared test helpers: writing data folders and dumping the whole database for comparisons."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from neo4j import Driver

REPO = Path(__file__).resolve().parents[1]
DOWNLINE = str(Path(sys.executable).with_name("downline"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_environment(home: Path) -> dict[str, str]:
    """Environment for a `downline` subprocess talking to the test server of `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOWNLINE_")}
    env.update(
        DOWNLINE_HOME=str(home),
        DOWNLINE_NEO4J_HEAP=os.environ.get("DOWNLINE_TEST_HEAP", "1g"),
        DOWNLINE_NEO4J_PAGECACHE=os.environ.get("DOWNLINE_TEST_PAGECACHE", "256m"),
        COLUMNS="200",
    )
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOWNLINE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


DIST_HEADER = ["id", "sponsor_id", "name", "country", "joined_on", "placement_parent_id", "placement_side"]
ORDER_HEADER = ["id", "distributor_id", "ordered_on", "volume", "amount", "buyer"]


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *, newline: str = "\n"
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=newline)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def write_folder(
    folder: Path,
    distributors: Iterable[Sequence[Any]],
    orders: Iterable[Sequence[Any]] | None = None,
    *,
    dist_header: Sequence[str] = DIST_HEADER,
    order_header: Sequence[str] = ORDER_HEADER,
) -> Path:
    write_csv(folder / "distributors.csv", dist_header, distributors)
    if orders is not None:
        write_csv(folder / "orders.csv", order_header, orders)
    return folder


def dump(driver: Driver) -> tuple[list[Any], list[Any]]:
    """Every node (labels, properties) and relationship, sorted: equal dumps mean equal databases."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) WHERE NOT n:ImportLock RETURN labels(n) AS l, properties(n) AS p"
    )
    rels, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, elementId(a) AS a, elementId(b) AS b"
    )
    node_rows = sorted(repr((sorted(r["l"]), sorted(r["p"].items()))) for r in nodes)
    ids, _, _ = driver.execute_query("MATCH (n) RETURN elementId(n) AS e, n.id AS id, labels(n) AS l")
    name = {r["e"]: (r["l"][0] if r["l"] else "", r["id"]) for r in ids}
    rel_rows = sorted(repr((r["t"], sorted(r["p"].items()), name[r["a"]], name[r["b"]])) for r in rels)
    return node_rows, rel_rows
