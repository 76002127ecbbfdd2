"""Shared test helpers: writing data folders and dumping the whole database for comparisons."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from neo4j import Driver

REPO = Path(__file__).resolve().parents[1]
DOWNLINE = str(Path(sys.executable).with_name("downline"))


def free_port() -> int:
    from benchmarks.http_load import free_port as free

    return free()


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


@contextmanager
def serving(env: dict[str, str], log: Path, *args: str, wait_s: float = 90) -> Iterator[str]:
    """`downline serve` on a free port with `env` (and extra arguments such as `--workers 2`)
    until the block ends: its base URL, once /healthz answers 200. The log goes to `log`."""
    from benchmarks.http_load import serve

    with serve(env, *args, log=log, wait_s=wait_s) as served:
        yield served.base


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


def dump(driver: Driver, *, visible_only: bool = True) -> tuple[list[Any], list[Any]]:
    """Every node (labels, properties) and relationship, sorted: equal dumps mean equal databases.

    visible_only: what readers see — distributors and orders of published generations (an import
    in progress, or a killed one not yet swept, has staged rows above it) and the live rollup
    slot — without the lease.
    """
    pub, _, _ = driver.execute_query(
        "OPTIONAL MATCH (p:Publication {id: 1}) RETURN coalesce(p.gen, 0) AS g, p.slot AS slot"
    )
    published, slot = pub[0]["g"], pub[0]["slot"]
    hidden = (
        "n:ImportLock OR (n.gen IS NOT NULL AND n.gen > $pub) OR (n:Rollup AND n.slot <> $slot)"
        if visible_only
        else "n:ImportLock"
    )
    records, _, _ = driver.execute_query(
        f"MATCH (n) WHERE NOT ({hidden}) RETURN elementId(n) AS e, labels(n) AS l, properties(n) AS p",
        pub=published,
        slot=slot,
    )
    nodes = [r.data() for r in records]
    if visible_only:  # the rollup slot readers do not use is scratch space
        spare = "r1_" if slot == 0 else "r0_"
        for r in nodes:
            r["p"] = {k: v for k, v in r["p"].items() if not k.startswith(spare)}
    kept = {r["e"]: (r["l"][0] if r["l"] else "", r["p"].get("id")) for r in nodes}
    rels, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, elementId(a) AS a, elementId(b) AS b"
    )
    node_rows = sorted(repr((sorted(r["l"]), sorted(r["p"].items()))) for r in nodes)
    rel_rows = sorted(
        repr((r["t"], sorted(r["p"].items()), kept[r["a"]], kept[r["b"]]))
        for r in rels
        if r["a"] in kept and r["b"] in kept
    )
    return node_rows, rel_rows


def staged_rows(driver: Driver) -> int:
    """Distributors and orders above the published generation (an unpublished import's)."""
    rows, _, _ = driver.execute_query(
        "OPTIONAL MATCH (p:Publication {id: 1}) WITH coalesce(p.gen, 0) AS g "
        "CALL (g) { MATCH (n:Distributor|Order) WHERE n.gen > g RETURN count(n) AS c } RETURN c"
    )
    return int(rows[0]["c"])


@contextmanager
def killed_when(
    args: Sequence[str], env: dict[str, str], ready: Callable[[], bool], *, timeout: float = 300
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `downline ARGS`, wait until `ready()` holds while it still runs, hand it over (the body
    checks what readers see mid-way), then kill -9 it and wait for it to end."""
    proc = subprocess.Popen([DOWNLINE, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None and not ready():
            time.sleep(0.05)
        assert proc.poll() is None, f"`downline {args[0]}` finished before it could be killed"
        yield proc
        assert proc.poll() is None, f"`downline {args[0]}` finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
