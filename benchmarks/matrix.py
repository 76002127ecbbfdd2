"""Forced-matrix placement at scale: `python -m benchmarks.matrix --distributors 1000000`.

Generates a network (graph_service/ingest/generator.py; distributors only, orders play no part in
placement) and times:

1. the pure algorithm (graph_service/matrix.py) on the whole network and on its first 1% and 10%
   (placement order, then the placement itself), to show the growth is near-linear;
2. the import's placement step in a dedicated local Neo4j (own home, free ports): a first import
   of the whole network (`timings.matrix` is the placement computed in memory; the positions are
   written with the distributors, `timings.distributors`), then an incremental import of 1%
   newcomers under random existing sponsors (reads the matrices they join, places them);
3. placing a database loaded before the matrix: the placement is removed, and a re-import of the
   same newcomers (nothing new) places all published distributors, import by import: reading
   them, computing, writing every position in committed batches. Its result must equal the one
   the imports made (checked).

Prints one markdown row per measure (and JSON lines while it runs). Stops its server at the end.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv  # type: ignore[import-untyped]

from benchmarks.run import machine
from graph_service.config import Settings
from graph_service.db import server
from graph_service.db.admin import delete_all
from graph_service.db.driver import open_driver
from graph_service.ingest.generator import generate
from graph_service.matrix import Batch, Positions, place, placement_order

ROOT = Path(__file__).resolve().parent
DOWNLINE = str(Path(sys.executable).with_name("downline"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def network(size: int, seed: int, work: Path) -> Path:
    """A distributors-only data folder of `size` members (generated once, kept under work/)."""
    folder = work / f"matrix-net-{size}-{seed}"
    if not (folder / "distributors.csv").exists():
        scratch = work / f"matrix-gen-{size}"
        generate(scratch, distributors=size, months=1, seed=seed)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.move(str(scratch / "distributors.csv"), folder / "distributors.csv")
        shutil.rmtree(scratch)
    return folder


def read_members(folder: Path) -> Batch:
    table = pacsv.read_csv(
        folder / "distributors.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"id": "string", "sponsor_id": "string", "joined_on": "string"},
            include_columns=["id", "sponsor_id", "joined_on"],
            strings_can_be_null=False,
        ),
    )
    ids = table["id"].to_pylist()
    sponsors = [s or None for s in table["sponsor_id"].to_pylist()]
    joined = [date.fromisoformat(d) if d else None for d in table["joined_on"].to_pylist()]
    return Batch(ids, sponsors, joined)


def prefix(batch: Batch, k: int) -> Batch:
    """The first k members; a sponsor outside them makes the member a root."""
    kept = set(batch.ids[:k])
    return Batch(
        batch.ids[:k],
        [s if s in kept else None for s in batch.sponsors[:k]],
        batch.joined[:k],
    )


def pure(batch: Batch, width: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    placement_order(batch.ids, batch.sponsors, batch.joined)
    order_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    (placed,) = place(width, Positions(), [batch], next_seq=0)  # orders them again, then places
    total_s = time.perf_counter() - t0
    return {"members": len(batch.ids), "order_s": order_s, "place_s": total_s, "placed": placed}


def newcomers(folder: Path, batch: Batch, count: int, seed: int) -> Path:
    rng = random.Random(seed)
    out = folder.parent / f"{folder.name}-newcomers-{count}"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "distributors.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "sponsor_id", "joined_on"])
        for k in range(count):
            writer.writerow([f"NEW{k}", rng.choice(batch.ids), f"2027-{1 + k % 12:02d}-{1 + k % 28:02d}"])
    return out


def run_import(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [DOWNLINE, "import", str(folder), "--json"], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stderr[-2000:]}")
    doc: dict[str, Any] = json.loads(proc.stdout)
    doc["wall_s"] = wall
    return doc


def stored_digest(settings: Settings) -> tuple[str, int]:
    """A digest of every stored position (id, parent, seq, depth), in placement order."""
    digest = hashlib.sha256()
    count = 0
    with open_driver(settings) as driver, driver.session(database=settings.neo4j_database) as session:
        result = session.run(
            "MATCH (d:Distributor) WHERE d.matrix_seq IS NOT NULL "
            "RETURN d.id AS id, d.matrix_parent_id AS p, d.matrix_seq AS s, d.matrix_depth AS k ORDER BY s"
        )
        for r in result:
            digest.update(f"{r['id']}\x1f{r['p']}\x1f{r['s']}\x1f{r['k']}\x1e".encode())
            count += 1
    return digest.hexdigest(), count


def placed_digest(placed: Any) -> str:
    digest = hashlib.sha256()
    for i, p, s, k in zip(placed.ids, placed.parent_ids, placed.seqs, placed.depths, strict=True):
        digest.update(f"{i}\x1f{p}\x1f{s}\x1f{k}\x1e".encode())
    return digest.hexdigest()


def forget_matrix(settings: Settings) -> float:
    """Remove the whole placement (as in a database loaded before the matrix existed)."""
    t0 = time.perf_counter()
    with open_driver(settings) as driver, driver.session(database=settings.neo4j_database) as session:
        session.run("MATCH (c:MatrixConfig) DELETE c").consume()
        session.run(
            "MATCH (d:Distributor) WHERE d.matrix_seq IS NOT NULL "
            "CALL (d) { OPTIONAL MATCH ()-[r:MATRIX]->(d) DELETE r "
            "REMOVE d.matrix_parent_id, d.matrix_seq, d.matrix_depth } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--width", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--newcomers", type=float, default=0.01, help="share of newcomers in the second import"
    )
    parser.add_argument("--skip-neo4j", action="store_true", help="only the pure algorithm")
    parser.add_argument("--home", type=Path, default=ROOT / "work" / "matrix-home")
    parser.add_argument("--heap", default="3g")
    parser.add_argument("--pagecache", default="2g")
    args = parser.parse_args()
    n, width = args.distributors, args.width
    started = datetime.now(UTC)
    work = ROOT / "work"
    t0 = time.perf_counter()
    folder = network(n, args.seed, work)
    batch = read_members(folder)
    print(json.dumps({"generated_and_read_s": round(time.perf_counter() - t0, 1), "members": len(batch.ids)}))

    rows: list[str] = []
    full: dict[str, Any] = {}
    for k in sorted({max(n // 100, 1), max(n // 10, 1), n}):
        result = pure(prefix(batch, k), width)
        print(json.dumps({k2: v for k2, v in result.items() if k2 != "placed"}), flush=True)
        per = result["place_s"] / k * 1e6
        rows.append(
            f"| pure algorithm | {k:,} | placement order alone: {result['order_s']:.2f} s "
            f"| whole placement, order included: {result['place_s']:.2f} s | {per:.1f} µs per member |"
        )
        if k == n:
            full = result

    if not args.skip_neo4j:
        settings = Settings(home=args.home, neo4j_heap=args.heap, neo4j_pagecache=args.pagecache)
        server.start(settings, bolt_port=_free_port(), http_port=_free_port())
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DOWNLINE_")},
            "DOWNLINE_HOME": str(settings.home_dir),
            "DOWNLINE_MATRIX_WIDTH": str(width),
        }
        try:
            with open_driver(settings) as driver:
                delete_all(driver, database=settings.neo4j_database)
            first = run_import(folder, env)
            print(json.dumps({"first_import": first}), flush=True)
            t = first["timings"]
            rows.append(
                f"| first import, in Neo4j | {n:,} | placement computed in {t.get('matrix', 0):.2f} s "
                f"| written with the distributors: {t.get('distributors', 0):.0f} s "
                f"| import {first['wall_s']:.0f} s in all |"
            )
            digest, count = stored_digest(settings)
            assert count == n, (count, n)
            assert digest == placed_digest(full["placed"]), "the import placed differently from the pure run"
            extra = newcomers(folder, batch, max(int(n * args.newcomers), 1), args.seed)
            second = run_import(extra, env)
            print(json.dumps({"incremental_import": second}), flush=True)
            t = second["timings"]
            rows.append(
                f"| incremental import, in Neo4j | {second['distributors_added']:,} newcomers on {n:,} "
                f"| matrices read and placement computed in {t.get('matrix', 0):.2f} s "
                f"| written with the distributors: {t.get('distributors', 0):.1f} s "
                f"| import {second['wall_s']:.0f} s in all |"
            )
            before, count = stored_digest(settings)
            forget_s = forget_matrix(settings)
            third = run_import(extra, env)  # nothing new: places every published distributor
            print(json.dumps({"forget_s": forget_s, "backfill": third}), flush=True)
            after, _ = stored_digest(settings)
            assert after == before, "placing the loaded database gave other positions than the imports"
            t = third["timings"]
            rows.append(
                f"| placing a database loaded before the matrix | {count:,} "
                f"| read and computed in {t.get('matrix', 0):.1f} s "
                f"| written in batches: {t.get('matrix_earlier', 0):.0f} s "
                f"| {third['wall_s']:.0f} s in all; same positions as the imports |"
            )
        finally:
            server.stop(settings)

    print()
    print(f"Run on {started:%Y-%m-%d %H:%M} UTC by `python -m benchmarks.matrix --distributors {n}` "
          f"(width {width}). Machine: {machine()}.")  # fmt: skip
    print()
    print("| measure | distributors | step 1 | step 2 | in all |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
