"""A first load into an empty local database through `neo4j-admin database import full`.

The transactional import (graph_service/ingest/load.py) is bounded by the server's create rate
on two cores: ~8 minutes of writes for 1M distributors and 3M orders. Neo4j's offline importer
writes the store files directly, at about a million records a second, but only into an empty
database of a stopped server. So when the database has no node at all, the server is the local
one `downline db` manages, and the import is big enough (DOWNLINE_BULK_IMPORT_MIN_ROWS, or
`downline import --bulk`), `downline import`:

1. validates the folder and plans the matrix placement exactly as the transactional import does
   (any problem ends here, nothing written), and computes the rollup from the plan in memory;
2. stops the server and meanwhile writes the new nodes and links as the importer's CSV files (the
   same properties and links as import/create_*.cypher, all under generation 1, with the rollup's
   figures of slot 0: all of them when the orders have periods (a member without downline has
   no levels list, as cypher/rollup/write.cypher stores it; the importer cannot write an empty
   list), else all but the per-period lists;
3. runs the importer into a separate data folder and swaps the new store in place of the empty
   one (a crash leaves the empty store or the whole new one: the server creates an empty
   database when the folder is missing), then starts the server again;
4. creates the schema (one transaction for the distributors' indexes and constraints, one for
   the orders', side by side: each fills its plain indexes in one pass over the label's nodes)
   and, while it fills, brings the transaction count past the old store's,
   writes the remaining rollup figures (if any) and the rollup's frame; publishes in one
   transaction, as the transactional import does after its staging: until then readers see
   nothing (no Publication) and the next import sweeps the unpublished rows.

The API and other clients of the server get 503s while it is stopped (tens of seconds at 1M).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
from neo4j import Driver, Query

from graph_service import matrix
from graph_service.analytics import rollup
from graph_service.config import Settings
from graph_service.db import server
from graph_service.db.driver import open_driver
from graph_service.db.lease import LEASE_STALE_SECONDS, acquire, heartbeat, release
from graph_service.db.queries import cypher, statements
from graph_service.errors import DownlineError, InvalidInput, SetupError
from graph_service.ingest import load
from graph_service.ingest.validate import Existing, ImportPlan, ParsedFolder, check_against

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
CATCH_UP_READ = 1_000  # transactions: above, the new store's count is read rather than assumed 0
SCALARS = ("size", "height", "dsum", "pre")  # the rollup's figures written with the nodes
PER_PERIOD = ("pv", "gv", "act", "maxleg")
ORDER_COLUMNS = (
    ("id", "id"),  # a property, not an importer id: no link points at an order
    ("distributor_id", "distributor_id"),
    ("ordered_on", "ordered_on:date"),
    ("period", "period"),
    ("volume", "volume:long"),
    ("amount", "amount:long"),
    ("buyer", "buyer"),
)


class BulkImportFailed(DownlineError):
    exit_code = 1
    code = "bulk_import_failed"


def node_count(driver: Driver, database: str) -> int:
    records, _, _ = driver.execute_query(cypher("admin/node_count"), database_=database)
    return int(records[0]["nodes"])


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


class EmptyState:
    """What the database holds when it holds nothing (checked before): no lookups needed."""

    def distributors(self, ids: Sequence[str]) -> Mapping[str, Existing]:
        return {}

    def slots(self, parent_ids: Sequence[str]) -> Mapping[tuple[str, str], str]:
        return {}

    def placement_ancestors(self, ids: Sequence[str]) -> Mapping[str, list[str]]:
        return {}

    def orders(self, ids: Sequence[str]) -> Mapping[str, tuple[str, str, date, int, int | None, str]]:
        return {}


def _csv(table: Any, path: Path) -> None:
    """A table as the importer's CSV: header line, values quoted where needed, null as nothing."""
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, quoting_style="needed"))


def people_columns(
    plan: ImportPlan, placement: matrix.ImportPlacement, staged: list[tuple[str, str, str]]
) -> dict[str, list[Any]]:
    """The new distributors' properties, column by column, in matrix placement order."""
    make_rows, count = load.new_distributor_rows(plan, placement, staged)
    rows = make_rows(0, count)
    return {key: [r[key] for r in rows] for key, _ in DISTRIBUTOR_COLUMNS}


def write_files(
    folder: Path,
    column: dict[str, list[Any]],
    plan_orders: Any,
    staged: list[tuple[str, str, str]],
    import_id: str,
    rolled: rollup.Computed,
    fields: tuple[str, ...],
) -> list[str]:
    """The importer's CSV files: the nodes and links import/create_*.cypher would create, and
    the rollup's `fields` of slot 0 on each distributor (`plan_orders`: the plan's orders as
    OrderColumns.arrow gives them); returns the importer's --nodes and --relationships arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    count = len(column["id"])
    types = {
        "joined_on": pa.date32(),
        "depth": pa.int64(),
        "matrix_seq": pa.int64(),
        "matrix_depth": pa.int64(),
    }
    people = {
        header: pa.array(column[key], type=types.get(key, pa.string())) for key, header in DISTRIBUTOR_COLUMNS
    }
    people["import_id"] = pa.array([import_id] * count, type=pa.string())
    people["gen:long"] = pa.array(np.full(count, GEN, dtype=np.int64))
    names = rollup.keys(0)
    f = rolled.figures  # levels: "a;b;c", none for a member without downline (as write.cypher)
    levels = pa.LargeListArray.from_arrays(
        pa.array(f.level_start, type=pa.int64()), pa.array(f.level_counts, type=pa.int64()).cast(pa.string())
    )
    empty = pa.array(np.diff(f.level_start) == 0)
    joined = pc.binary_join(levels, ";")
    people[f"{names['levels']}:long[]"] = pc.if_else(empty, pa.scalar(None, pa.string()), joined)
    for name in fields:  # rolled.forest is in the same order as `column` (see rollup_inputs)
        values = getattr(rolled.figures, name)
        if values.ndim == 1:
            people[f"{names[name]}:long"] = pa.array(values, type=pa.int64())
        else:  # one value per period, the importer's array delimiter between them
            parts = [
                pa.array(values[:, j], type=pa.int64()).cast(pa.string()) for j in range(values.shape[1])
            ]
            people[f"{names[name]}:long[]"] = pc.binary_join_element_wise(*parts, ";")
    _csv(pa.table(people), folder / "distributors.csv")
    ids, sponsors, parents = column["id"], column["sponsor_id"], column["matrix_parent_id"]
    linked = [i for i, s in enumerate(sponsors) if s is not None]
    _csv(
        pa.table(
            {
                ":START_ID(Distributor)": [sponsors[i] for i in linked],
                ":END_ID(Distributor)": [ids[i] for i in linked],
            }
        ),
        folder / "sponsors.csv",
    )
    placed = [i for i, p in enumerate(parents) if p is not None]
    _csv(
        pa.table(
            {
                ":START_ID(Distributor)": pa.array([parents[i] for i in placed], type=pa.string()),
                ":END_ID(Distributor)": pa.array([ids[i] for i in placed], type=pa.string()),
                "seq:long": pa.array([column["matrix_seq"][i] for i in placed], type=pa.int64()),
            }
        ),
        folder / "matrix.csv",
    )
    _csv(
        pa.table(
            {
                ":START_ID(Distributor)": pa.array([p for _, p, _ in staged], type=pa.string()),
                ":END_ID(Distributor)": pa.array([c for c, _, _ in staged], type=pa.string()),
                "side": pa.array([side for _, _, side in staged], type=pa.string()),
            }
        ),
        folder / "places.csv",
    )
    orders = plan_orders
    n = orders.num_rows
    orders = orders.rename_columns([h for _, h in ORDER_COLUMNS])
    orders = orders.append_column("import_id", pa.array([import_id] * n, type=pa.string()))
    orders = orders.append_column("gen:long", pa.array(np.full(n, GEN, dtype=np.int64)))
    _csv(orders, folder / "orders.csv")
    return [
        f"--nodes=Distributor={folder / 'distributors.csv'}",
        f"--nodes=Order={folder / 'orders.csv'}",
        f"--relationships=SPONSORS={folder / 'sponsors.csv'}",
        f"--relationships=MATRIX={folder / 'matrix.csv'}",
        f"--relationships=PLACES={folder / 'places.csv'}",
    ]


def rollup_inputs(column: dict[str, list[Any]], orders: Any) -> rollup.Inputs:
    """What the rollup reads back from Neo4j after a load, straight from the plan (every member
    is new, every order theirs), members in the order of `column`: the forest, and PV per
    (distributor, period) with the period totals."""
    months = [d.isoformat()[:7] if d else "" for d in column["joined_on"]]
    frame = orders.select(["distributor_id", "period", "volume", "buyer"]).to_pandas()
    frame["retail"] = frame["volume"].where(frame["buyer"] == "retail", 0)
    sums = frame.groupby(["period", "distributor_id"], sort=True).agg(
        pv=("volume", "sum"), retail=("retail", "sum"), orders=("volume", "size")
    )
    rows = []
    for period, part in sums.groupby(level=0, sort=True):
        rows.append(
            {
                "period": str(period),
                "ids": part.index.get_level_values(1).tolist(),
                "pvs": part["pv"].tolist(),
                "volume": int(part["pv"].sum()),
                "retail_volume": int(part["retail"].sum()),
                "orders": int(part["orders"].sum()),
            }
        )
    return rollup.Inputs(
        list(column["id"]), [s or "" for s in column["sponsor_id"]], list(column["depth"]), months, rows
    )


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


def _stop(settings: Settings) -> int:
    """Stop the server; the last committed transaction id of its database."""
    server.stop(settings)
    return _last_tx(settings)


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
    # the last run's output, its stages and their times, stays beside Neo4j's own logs
    logs = settings.home_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(work / "import.log", logs / "bulk-import.log")
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
        session.run(cypher("import/bulk_mark"), transactions=transactions).consume()
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
            plan = check_against(parsed, EmptyState())
            if plan.problems:
                raise InvalidInput(plan.problems.items, plan.problems.total)
            with driver.session(database=database) as session:
                placement = matrix.plan_import(
                    session, width=matrix_width, config=None, published=0, newcomers=plan.new_distributors
                )
            timings["check"] = time.perf_counter() - t0
            timings["matrix"] = placement.seconds
            new_ids = {d.id for d in plan.new_distributors}
            staged = [p for p in plan.placements if p[0] in new_ids]
            if node_count(driver, database):
                raise SetupError("--bulk: the database is no longer empty; nothing was written")
            t0 = time.perf_counter()
            step("writing the importer's files (Neo4j stopping)", 0, 1)
            try:
                with ThreadPoolExecutor(max_workers=1) as pool:
                    stopping = pool.submit(_stop, settings)  # while the files are written
                    column = people_columns(plan, placement, staged)
                    orders = plan.orders.arrow()  # read by both: the rollup and the files
                    rolled = rollup.compute(rollup_inputs(column, orders), active_pv)
                    # the rollup's figures go in with the nodes, but for the per period lists
                    # when there are no periods (the importer cannot write an empty list)
                    in_files = SCALARS + (() if not rolled.periods else PER_PERIOD)
                    sources = write_files(work / "csv", column, orders, staged, import_id, rolled, in_files)
                    del column
                    timings["files"] = time.perf_counter() - t0
                    old_tx = stopping.result()
                timings["stop"] = time.perf_counter() - t0 - timings["files"]
                t0 = time.perf_counter()
                step("neo4j-admin database import", 0, 1)
                _admin_import(settings, work, sources)
                # the new store's count is a handful: read it only when the old one's is large
                behind = (
                    old_tx if old_tx < CATCH_UP_READ else old_tx - _last_tx(settings, work / "import.conf")
                )
                _swap_store(settings, work)
                timings["admin_import"] = time.perf_counter() - t0
            finally:
                t0 = time.perf_counter()
                step("starting Neo4j", 0, 1)
                server.start(settings, echo=False)
                timings["start"] = time.perf_counter() - t0
            shutil.rmtree(work, ignore_errors=True)
        finally:
            # after a failure the importer's log and report stay for diagnosis, not the files
            shutil.rmtree(work / "csv", ignore_errors=True)
            with contextlib.suppress(OSError):
                work.rmdir()  # nothing to keep (refused before anything was written)
            fcntl.flock(lock, fcntl.LOCK_UN)
    return _publish_loaded(
        settings, folder, plan, placement, import_id, began, timings, step, behind, rolled,
        in_store=bool(rolled.periods),
    )  # fmt: skip


def _run_all(driver: Driver, database: str, queries: list[str]) -> None:
    with driver.session(database=database) as session:
        for text in queries:
            session.run(Query(text)).consume()


def schema_groups() -> tuple[list[list[str]], list[str]]:
    """cypher/schema.cypher as one group of statements for the distributors and one for the
    orders, and the rest (labels with a handful of nodes). Created in one transaction, a label's
    plain indexes fill in one pass over its nodes (its constraints still one after the other);
    the two groups fill side by side, one a core. Measured at 1M members and 3.1M orders: 40-44 s
    until every index is online, 54 s a statement at a time."""
    every = statements("schema")
    groups = [[q for q in every if pattern in q] for pattern in ("(d:Distributor)", "(o:Order)")]
    return groups, [q for q in every if not any(q in group for group in groups)]


def _run_in_one(driver: Driver, database: str, queries: list[str]) -> None:
    """`queries` in one write transaction (retried on a transient error, a deadlock say)."""

    def work(tx: Any) -> None:
        for text in queries:
            tx.run(text).consume()

    with driver.session(database=database) as session:
        session.execute_write(work)


def _publish_loaded(
    settings: Settings,
    folder: Path,
    plan: Any,
    placement: matrix.ImportPlacement,
    import_id: str,
    began: float,
    timings: dict[str, float],
    step: Progress,
    behind: int,
    rolled: rollup.Computed,
    *,
    in_store: bool,
) -> load.ImportSummary:
    """Schema, rollup and the publishing transaction, on a fresh driver (the server restarted).
    `in_store`: the files held every rollup figure (without periods they held all but the
    per-period lists, and the whole rollup is written here)."""
    database = settings.neo4j_database
    # The schema fills (40-50 s of index population at 1M members and 3M orders) while this
    # thread does what needs no index: the catch-up transactions (waiting on the disk), the
    # rollup's frame and network figures. A rollup that writes members finds them by id: then
    # the schema is waited for first.
    groups, rest = schema_groups()
    with (
        contextlib.closing(open_driver(settings, retry_s=settings.cli_retry_seconds)) as fresh,
        ThreadPoolExecutor(max_workers=len(groups)) as schema_pool,
    ):
        step("creating indexes", 0, 1)
        filling = [schema_pool.submit(_run_in_one, fresh, database, group) for group in groups]
        filling.append(schema_pool.submit(_run_all, fresh, database, rest))  # once a group is in

        def schema_done() -> None:
            for done in filling:
                done.result()

        t0 = time.perf_counter()
        _catch_up(fresh, database, behind + 1)
        timings["catch_up"] = time.perf_counter() - t0
        if not in_store:
            t0 = time.perf_counter()
            schema_done()
            timings["schema"] = time.perf_counter() - t0
        with fresh.session(database=database) as session:
            acquire(session, import_id, LEASE_STALE_SECONDS, step)
            try:
                t0 = time.perf_counter()

                def rolling(name: str, done: int, total: int) -> None:
                    heartbeat(session, import_id)
                    step(name, done, total)

                rollup.build_from(
                    fresh, database, rolled, gen=GEN, slot=0,
                    batch=settings.rollup_batch_rows, progress=rolling, in_store=in_store,
                )  # fmt: skip
                timings["rollup"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                step("waiting for the indexes", 0, 1)
                schema_done()
                fresh.execute_query("CALL db.awaitIndexes(1800)", database_=database)
                timings["indexes"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                step("publishing", 0, 1)
                load.publish(
                    session, plan, placement, [], import_id, folder, 0, GEN, 0, settings.import_batch_rows
                )
                timings["publish"] = time.perf_counter() - t0
            finally:
                release(session, import_id)
    return load.summary(import_id, plan, began, timings, placement)
