"""A first load into an empty local database through `neo4j-admin database import full`.

The transactional import (graph_service/ingest/load.py) is bounded by the server's create rate
on two cores: ~8 minutes of writes for 1M distributors and 3M orders. Neo4j's offline importer
writes the store files directly, at about a million records a second, but only into an empty
database of a stopped server. So when the database has no node at all, the server is the local
one `downline db` manages, and the import is big enough (DOWNLINE_BULK_IMPORT_MIN_ROWS, or
`downline import --bulk`), `downline import`:

1. validates the folder and plans the matrix placement exactly as the transactional import does
   (any problem ends here, nothing written);
2. writes the new nodes and links as the importer's CSV files (the same properties and links
   as import/create_*.cypher, all under generation 1) in a folder of the home;
3. stops the server, runs the importer into a separate data folder, and swaps the new store in
   place of the empty one (a crash leaves the empty store or the whole new one: the server
   creates an empty database when the folder is missing), then starts the server again;
4. creates the schema, rolls up and publishes in one transaction, as the transactional import
   does after its staging: until then readers see nothing (no Publication) and the next
   import sweeps the unpublished rows.

The API and other clients of the server get 503s while it is stopped (tens of seconds at 1M).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neo4j import Driver

from graph_service import matrix
from graph_service.analytics import rollup
from graph_service.config import Settings
from graph_service.db import server
from graph_service.db.driver import open_driver
from graph_service.db.lease import LEASE_STALE_SECONDS, acquire, heartbeat, release
from graph_service.db.queries import cypher
from graph_service.db.schema import ensure_schema
from graph_service.errors import DownlineError, InvalidInput, SetupError
from graph_service.ingest import load
from graph_service.ingest.validate import ParsedFolder, check_against

Progress = Callable[[str, int, int], None]
GEN = 1  # the first published generation
DISTRIBUTOR_COLUMNS = (
    ("id", "id:ID(Distributor)"),
    ("sponsor_id", "sponsor_id"),
    ("name", "name"),
    ("country", "country"),
    ("joined_on", "joined_on:date"),
    ("depth", "depth:long"),
    ("root_id", "root_id"),
    ("placement_parent_id", "placement_parent_id"),
    ("placement_side", "placement_side"),
    ("matrix_parent_id", "matrix_parent_id"),
    ("matrix_seq", "matrix_seq:long"),
    ("matrix_depth", "matrix_depth:long"),
)
ORDER_COLUMNS = (
    ("id", "id:ID(Order)"),
    ("distributor_id", "distributor_id"),
    ("ordered_on", "ordered_on:date"),
    ("period", "period"),
    ("volume", "volume:long"),
    ("amount", "amount:long"),
    ("buyer", "buyer"),
)
TAIL = ["import_id", "gen:long"]
FILES = ("distributors", "sponsors", "matrix", "places", "orders")
ROWS_PER_CHUNK = 50_000


class BulkImportFailed(DownlineError):
    exit_code = 1
    code = "bulk_import_failed"


def node_count(driver: Driver, database: str) -> int:
    records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS n", database_=database)
    return int(records[0]["n"])


def eligible(settings: Settings, driver: Driver, parsed: ParsedFolder, *, force: bool | None) -> bool:
    """Whether this import takes the bulk path. `force` True: it must (SetupError saying why not);
    False: never; None: when the database is empty, local, and the import is big enough."""
    if force is False:
        return False
    rows = len(parsed.distributors) + len(parsed.orders)
    if force is None and (rows < settings.bulk_import_min_rows or not len(parsed.distributors)):
        return False
    why = None
    if settings.neo4j_uri:
        why = "it needs the local server `downline db` manages, not DOWNLINE_NEO4J_URI"
    elif server.status(settings).pid is None:
        why = "the local server is not running (`downline db start`)"
    else:
        nodes = node_count(driver, settings.neo4j_database)
        if nodes:
            why = f"it loads an empty database only, and this one has {nodes:,} nodes"
    if why is None:
        return True
    if force:
        raise SetupError(f"--bulk: {why}")
    return False


def _cell(value: Any) -> Any:
    if value is None:
        return None  # an empty unquoted field: no property, as a null in Cypher's CREATE
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _writer(f: Any, header: list[str]) -> Any:
    out = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    out.writerow(header)
    return out


def write_files(
    folder: Path,
    plan: Any,
    placement: matrix.ImportPlacement,
    staged: list[tuple[str, str, str]],
    import_id: str,
) -> list[str]:
    """The importer's CSV files for the plan, with the nodes and links import/create_*.cypher
    would create (header line first); returns the importer's --nodes and --relationships."""
    folder.mkdir(parents=True, exist_ok=True)
    tail = [import_id, GEN]
    distributor_rows, count = load.new_distributor_rows(plan, placement, staged)
    names = [k for k, _ in DISTRIBUTOR_COLUMNS]
    files = {name: (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") for name in FILES}
    try:
        people = _writer(files["distributors"], [h for _, h in DISTRIBUTOR_COLUMNS] + TAIL)
        sponsors = _writer(files["sponsors"], [":START_ID(Distributor)", ":END_ID(Distributor)"])
        matrix_links = _writer(
            files["matrix"], [":START_ID(Distributor)", ":END_ID(Distributor)", "seq:long"]
        )
        for start in range(0, count, ROWS_PER_CHUNK):
            rows = distributor_rows(start, min(start + ROWS_PER_CHUNK, count))
            people.writerows([[_cell(r[k]) for k in names] + tail for r in rows])
            sponsors.writerows([[r["sponsor_id"], r["id"]] for r in rows if r["sponsor_id"] is not None])
            matrix_links.writerows(
                [
                    [r["matrix_parent_id"], r["id"], r["matrix_seq"]]
                    for r in rows
                    if r["matrix_parent_id"] is not None
                ]
            )
        places = _writer(files["places"], [":START_ID(Distributor)", ":END_ID(Distributor)", "side"])
        places.writerows([[p, c, side] for c, p, side in staged])
        orders = _writer(files["orders"], [h for _, h in ORDER_COLUMNS] + TAIL)
        keys = [k for k, _ in ORDER_COLUMNS]
        for start in range(0, len(plan.orders), ROWS_PER_CHUNK):
            chunk = load.order_rows(plan.orders, start, min(start + ROWS_PER_CHUNK, len(plan.orders)))
            orders.writerows([[_cell(r[k]) for k in keys] + tail for r in chunk])
    finally:
        for f in files.values():
            f.close()
    return [
        f"--nodes=Distributor={folder / 'distributors.csv'}",
        f"--nodes=Order={folder / 'orders.csv'}",
        f"--relationships=SPONSORS={folder / 'sponsors.csv'}",
        f"--relationships=MATRIX={folder / 'matrix.csv'}",
        f"--relationships=PLACES={folder / 'places.csv'}",
    ]


def _admin(
    settings: Settings, args: list[str], extra: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `neo4j-admin` with this home's configuration (and `extra` configuration on top)."""
    home = settings.home_dir
    java = server.java_binary(settings)
    jars = server.ensure_jars(settings, echo=False)
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    more = [] if extra is None else [f"--additional-config={extra}"]
    cmd = [
        java,
        "-cp",
        f"{jars / 'lib'}/*",
        "org.neo4j.server.startup.Neo4jAdminCommand",
        *args[:3],
        *more,
        *args[3:],
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=home, check=False)


def _last_tx(settings: Settings, extra: Path | None = None) -> int:
    """The last committed transaction id of the (stopped) database; 0 when it cannot be read."""
    proc = _admin(settings, ["database", "info", settings.neo4j_database], extra)
    found = re.search(r"Last committed transaction id:\s*(\d+)", proc.stdout)
    return int(found.group(1)) if found else 0


def _admin_import(settings: Settings, work: Path, sources: list[str]) -> None:
    """Run the importer into `work`/data (the live store is not touched)."""
    extra = work / "import.conf"
    extra.write_text(f"server.directories.data={work / 'data'}\n", encoding="utf-8")
    args = [
        "database",
        "import",
        "full",
        settings.neo4j_database,  # before the variadic --nodes/--relationships, which would take it
        "--bad-tolerance=0",
        "--skip-bad-entries-logging=true",
        f"--report-file={work / 'import.report'}",
        *sources,
    ]
    proc = _admin(settings, args, extra)
    (work / "import.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BulkImportFailed(f"neo4j-admin database import failed (exit {proc.returncode}):\n{tail}")


def _catch_up(driver: Driver, database: str, transactions: int) -> None:
    """Commit `transactions` tiny write transactions. Clients of the old (empty) store, a running
    API say, hold bookmarks naming its last transaction; the new store counts from its own, and
    a server asked for a transaction it has not reached waits, then refuses. Past the old count,
    their bookmarks are satisfied and they read the new store."""
    if transactions <= 0:
        return
    with driver.session(database=database) as session:
        for i in range(transactions):
            session.run(cypher("import/bulk_mark"), i=i).consume()
        session.run(cypher("import/bulk_unmark")).consume()


def _swap_store(settings: Settings, work: Path) -> None:
    """Put the imported store in place of the (empty) live one; the server is stopped."""
    data = settings.home_dir / "data"
    name = settings.neo4j_database
    for kind in ("databases", "transactions"):
        live, new = data / kind / name, work / "data" / kind / name
        if live.exists():
            live.rename(work / f"old-{kind}")
        if new.exists():
            new.rename(live)


def first_load(
    settings: Settings,
    driver: Driver,
    folder: Path,
    parsed: ParsedFolder,
    *,
    progress: Progress | None = None,
    active_pv: int,
    matrix_width: int,
) -> load.ImportSummary:
    """Load `parsed` (read from `folder`) into the empty local database; see the module's doc."""
    began = time.perf_counter()
    timings: dict[str, float] = {}
    database = settings.neo4j_database

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    import_id = uuid.uuid4().hex
    work = settings.home_dir / "bulk" / import_id
    work.mkdir(parents=True)
    lock_path = settings.home_dir / "bulk" / "lock"
    with lock_path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise load.ImportBusy("another bulk import is running in this home") from None
        try:
            t0 = time.perf_counter()
            step("checking against the database", 0, 1)
            with driver.session(database=database) as session:
                plan = check_against(parsed, load.Neo4jState(session))
                if plan.problems:
                    raise InvalidInput(plan.problems.items, plan.problems.total)
                placement = matrix.plan_import(
                    session, width=matrix_width, config=None, published=0, newcomers=plan.new_distributors
                )
            timings["check"] = time.perf_counter() - t0
            timings["matrix"] = placement.seconds
            new_ids = {d.id for d in plan.new_distributors}
            staged = [p for p in plan.placements if p[0] in new_ids]
            t0 = time.perf_counter()
            step("writing the importer's files", 0, 1)
            sources = write_files(work / "csv", plan, placement, staged, import_id)
            timings["files"] = time.perf_counter() - t0
            if node_count(driver, database):
                raise SetupError("--bulk: the database is no longer empty; nothing was written")
            t0 = time.perf_counter()
            step("stopping Neo4j for the importer", 0, 1)
            server.stop(settings)
            try:
                old_tx = _last_tx(settings)
                step("neo4j-admin database import", 0, 1)
                _admin_import(settings, work, sources)
                behind = old_tx - _last_tx(settings, work / "import.conf")
                _swap_store(settings, work)
            finally:
                step("starting Neo4j", 0, 1)
                server.start(settings, echo=False)
            timings["admin_import"] = time.perf_counter() - t0
            shutil.rmtree(work, ignore_errors=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return _publish_loaded(
        settings, folder, plan, placement, import_id, began, timings, step, active_pv, behind
    )


def _publish_loaded(
    settings: Settings,
    folder: Path,
    plan: Any,
    placement: matrix.ImportPlacement,
    import_id: str,
    began: float,
    timings: dict[str, float],
    step: Progress,
    active_pv: int,
    behind: int,
) -> load.ImportSummary:
    """Schema, rollup and the publishing transaction, on a fresh driver (the server restarted)."""
    database = settings.neo4j_database
    with contextlib.closing(open_driver(settings, retry_s=settings.cli_retry_seconds)) as fresh:
        _catch_up(fresh, database, behind + 1)
        t0 = time.perf_counter()
        step("creating indexes", 0, 1)
        ensure_schema(fresh, database)
        timings["schema"] = time.perf_counter() - t0
        with fresh.session(database=database) as session:
            acquire(session, import_id, LEASE_STALE_SECONDS, step)
            try:
                t0 = time.perf_counter()

                def rolling(name: str, done: int, total: int) -> None:
                    heartbeat(session, import_id)
                    step(name, done, total)

                rollup.build(
                    fresh, database, gen=GEN, slot=0, active=active_pv,
                    batch=settings.rollup_batch_rows, progress=rolling,
                )  # fmt: skip
                timings["rollup"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                step("publishing", 0, 1)
                load.publish(
                    session, plan, placement, [], import_id, folder, 0, GEN, 0, settings.import_batch_rows
                )
                timings["publish"] = time.perf_counter() - t0
            finally:
                release(session, import_id)
    return load.summary(import_id, plan, began, timings, placement)
