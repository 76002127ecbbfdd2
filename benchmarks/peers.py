"""Peers of the full rollup: the same figures computed by the tools a user would pick instead.

Run by benchmarks/run.py after each size's analytics step; alone (on a network already imported,
with the data folder it was imported from):

    python -m benchmarks.peers --data benchmarks/data/net-10000    # DOWNLINE_HOME names the server

The figure (CONTRACT section 2): for the latest period, every distributor's GV, downline size and
max depth. Our full rollup (`rollup.rebuild`, timed by benchmarks/analytics.py) computes these and
more (every period, active downline, levels, the largest leg, depth-first numbers, network totals)
and writes them into the database for the service to read: a peer that only computes the three
figures in memory does less work, which the ratios below do not correct for.

Every peer starts from the CSV files the import read (benchmarks/data/net-<size>):

- PostgreSQL 15, started here on a free local port in a folder of its own (benchmarks/work/pg),
  as an unprivileged user when run as root (initdb refuses root). Load: COPY of both files into
  unlogged tables (a throwaway analytical copy), primary key, ANALYZE. Compute: one statement, a
  recursive CTE that builds the closure of (ancestor, descendant) pairs, joined to the period's PV
  and grouped by ancestor, into a table (the figures stay server-side, as ours stay in Neo4j).
  `statement_timeout` bounds it: past PG_TIMEOUT_S it is recorded as "> N s".
- networkx: the CSVs read with pandas, a DiGraph of sponsor -> recruit; compute: the period's PV
  per distributor (pandas), then one pass over `nx.dfs_postorder_nodes`, children before parents.
- pandas/numpy: the same read; compute: PV per distributor (groupby), depths top-down from the
  roots, then GV, size and height bottom-up one level at a time (`np.add.at`, `np.maximum.at`).
- Naive variable-length Cypher and the practical limit (Bolt + numpy): measured by
  benchmarks/analytics.py in the same run, on the same network; reused here, not run again.

Every answer is checked against ours: the published rollup's figures (the slot the service reads),
exact integers (ten-thousandths of PV), for every distributor up to CHECK_ALL members, else for all
roots (the largest and deepest downlines) and CHECK_SAMPLE members at random. The analytics step
checks the naive query and the practical limit against the rollup itself.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
from neo4j import Driver

from benchmarks import analytics
from graph_service.analytics import rollup, service
from graph_service.config import Settings
from graph_service.db.driver import open_driver
from graph_service.fixedpoint import SCALE

ROOT = Path(__file__).resolve().parent
PG_FOLDER = ROOT / "work" / "pg"
PG_TIMEOUT_S = 240.0  # the CTE's time limit: ~100 s expected at 1M; `make bench` must stay within 40 min
PG_WORK_MEM = "256MB"  # the grouping of millions of closure pairs would spill to disk with the default 4MB
CHECK_ALL = 10_000  # check every distributor up to this size
CHECK_SAMPLE = 500  # else this many at random, plus every root
OURS_BATCH = 10_000  # ids per read of our figures

IntArray = npt.NDArray[np.int64]
FIGURES = ["gv", "size", "max_depth"]

# Our answer: the published rollup's figures, under the live slot's property names ($k) and the
# period's position in the rollup's periods ($i). Index: constraint distributor_id.
OURS_QUERY = """
UNWIND $ids AS id
MATCH (d:Distributor {id: id})
WHERE d.gen <= $gen
RETURN d.id AS id, d[$k.gv][$i] AS gv, d[$k.size] AS size, d[$k.height] AS max_depth
"""
COUNT_QUERY = "MATCH (d:Distributor) WHERE d.gen <= $gen RETURN count(d) AS n"

# The closure walks up from every distributor to its root: one row per (ancestor, descendant)
# pair, k links apart (k = 0: the distributor itself), n x (mean depth + 1) rows in all.
PG_FIGURES = """
CREATE UNLOGGED TABLE figures AS
WITH RECURSIVE pv AS (
  SELECT distributor_id AS id, sum(volume) AS pv
  FROM orders
  WHERE ordered_on >= {start} AND ordered_on < {end}
  GROUP BY distributor_id
), up(ancestor, descendant, k) AS (
  SELECT id, id, 0 FROM distributors
  UNION ALL
  SELECT d.sponsor_id, up.descendant, up.k + 1
  FROM up JOIN distributors d ON d.id = up.ancestor
  WHERE d.sponsor_id <> ''
)
SELECT up.ancestor AS id, (coalesce(sum(pv.pv), 0) * {scale})::bigint AS gv,
       count(*) - 1 AS size, max(up.k) AS max_depth
FROM up LEFT JOIN pv ON pv.id = up.descendant
GROUP BY up.ancestor
"""


@dataclass
class Peer:
    name: str
    how: str
    load_s: float | None = None
    compute_s: float | None = None
    checked: int = 0
    mismatches: int = 0
    first_mismatch: str = ""
    error: str = ""  # it failed: the exact error
    time_limit_s: float | None = None  # compute stopped at this limit: the real time is longer
    note: str = ""

    @property
    def total_s(self) -> float | None:
        if self.compute_s is None:
            return None
        return (self.load_s or 0.0) + self.compute_s


@dataclass
class PeersResult:
    distributors: int
    orders: int
    period: str
    max_depth: int
    rollup_s: float | None  # ours, from the analytics step (None: it failed)
    rollup_note: str
    checked_ids: int
    read_csv_s: float
    peers: list[Peer] = field(default_factory=list)


@dataclass
class Csvs:
    """The two files as the peers read them: ids as strings, PV in exact ten-thousandths."""

    distributors: pd.DataFrame  # id, sponsor_id ('' for a root)
    orders: pd.DataFrame  # distributor_id, period, pv


# --- the data -------------------------------------------------------------------------------


def read_csvs(data: Path) -> Csvs:
    dist = pd.read_csv(
        data / "distributors.csv",
        usecols=["id", "sponsor_id"],
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    orders = pd.read_csv(
        data / "orders.csv",
        usecols=["distributor_id", "ordered_on", "volume"],
        dtype={"distributor_id": str, "ordered_on": str, "volume": float},
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    # volumes have at most 4 decimals (the import's own rule), so rounding the scaled float is exact
    pv = np.rint(orders["volume"].to_numpy(dtype=np.float64) * SCALE).astype(np.int64)
    frame = pd.DataFrame(
        {"distributor_id": orders["distributor_id"], "period": orders["ordered_on"].str[:7], "pv": pv}
    )
    return Csvs(dist, frame)


def period_pv(csvs: Csvs, period: str) -> pd.Series:
    """PV per distributor id in `period` (only those with orders in it)."""
    orders = csvs.orders
    return orders.loc[orders["period"] == period].groupby("distributor_id")["pv"].sum()


# --- pandas / numpy ---------------------------------------------------------------------------


def pandas_figures(csvs: Csvs, period: str) -> pd.DataFrame:
    """GV, size and max depth of everyone: depths top-down from the roots, sums bottom-up by level."""
    ids = csvs.distributors["id"].to_numpy()
    index = pd.Index(ids)
    parent = index.get_indexer(csvs.distributors["sponsor_id"]).astype(np.int64)  # '' -> -1
    n = len(ids)
    pv = np.zeros(n, dtype=np.int64)
    sums = period_pv(csvs, period)
    rows = index.get_indexer(sums.index)
    pv[rows[rows >= 0]] = sums.to_numpy()[rows >= 0]

    # children grouped by parent (CSR), then the levels breadth first from the roots
    has = parent >= 0
    by_parent = np.argsort(np.where(has, parent, n), kind="stable")
    counts = np.bincount(parent[has], minlength=n)
    starts = np.cumsum(counts) - counts
    levels = [np.flatnonzero(~has)]
    while True:
        front = levels[-1]
        c = counts[front]
        total = int(c.sum())
        if total == 0:
            break
        offsets = np.repeat(starts[front], c) + np.arange(total) - np.repeat(np.cumsum(c) - c, c)
        levels.append(by_parent[offsets])

    gv, size, height = pv.copy(), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for rows in reversed(levels[1:]):
        up = parent[rows]
        np.add.at(gv, up, gv[rows])
        np.add.at(size, up, size[rows] + 1)
        np.maximum.at(height, up, height[rows] + 1)
    return pd.DataFrame({"gv": gv, "size": size, "max_depth": height}, index=index)


# --- networkx ---------------------------------------------------------------------------------


def networkx_graph(csvs: Csvs) -> nx.DiGraph[str]:
    dist = csvs.distributors
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(dist["id"])
    linked = dist.loc[dist["sponsor_id"] != ""]
    graph.add_edges_from(zip(linked["sponsor_id"], linked["id"], strict=True))
    return graph


def networkx_figures(graph: nx.DiGraph[str], csvs: Csvs, period: str) -> pd.DataFrame:
    """One post-order pass: each distributor after all of its downline."""
    pv: dict[str, int] = {str(k): int(v) for k, v in period_pv(csvs, period).items()}
    gv: dict[str, int] = {}
    size: dict[str, int] = {}
    height: dict[str, int] = {}
    successors = graph.succ
    for node in nx.dfs_postorder_nodes(graph):
        g, s, h = pv.get(node, 0), 0, 0
        for child in successors[node]:
            g += gv[child]
            s += size[child] + 1
            h = max(h, height[child] + 1)
        gv[node], size[node], height[node] = g, s, h
    return pd.DataFrame({"gv": pd.Series(gv), "size": pd.Series(size), "max_depth": pd.Series(height)})


# --- PostgreSQL -------------------------------------------------------------------------------


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be started here (the message is recorded as is)."""


def _pg_bindir() -> Path:
    """The folder of initdb / pg_ctl: DOWNLINE_PG_BIN, else Debian's newest, else the PATH."""
    if os.environ.get("DOWNLINE_PG_BIN"):
        return Path(os.environ["DOWNLINE_PG_BIN"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if debian:
        return debian[-1].parent
    found = shutil.which("pg_ctl")
    if found is None:
        raise PostgresUnavailable("pg_ctl not found (apt-get install postgresql-15, or set DOWNLINE_PG_BIN)")
    return Path(found).resolve().parent


def _server_user() -> str | None:
    """The unprivileged user that runs the server when we are root (initdb refuses root), else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: Sequence[str], user: str | None, timeout: float = 120) -> None:
    full = ["runuser", "-u", user, "--", *cmd] if user else list(cmd)
    proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise PostgresUnavailable(
            f"`{' '.join(full)}` exited {proc.returncode}: {' '.join((proc.stderr or proc.stdout).split())}"
        )


@contextmanager
def local_postgres(folder: Path) -> Iterator[str]:
    """A fresh PostgreSQL on 127.0.0.1 (trust auth, a free port), stopped and its data removed after."""
    bindir = _pg_bindir()
    user = _server_user()
    data, sockets = folder / "data", folder / "sockets"
    shutil.rmtree(folder, ignore_errors=True)
    sockets.mkdir(parents=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (folder, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    _run(
        [str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "downline", "-E", "UTF8",
         "--no-locale", "--no-sync", "--no-instructions"],
        user,
    )  # fmt: skip
    port = _free_port()
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1"
    ctl = str(bindir / "pg_ctl")
    _run(
        [ctl, "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "120", "-o", options, "start"],
        user,
    )
    try:
        yield f"host=127.0.0.1 port={port} user=downline dbname=postgres"
    finally:
        try:
            _run([ctl, "-D", str(data), "-w", "-m", "fast", "stop"], user)
        finally:
            shutil.rmtree(data, ignore_errors=True)  # a 1M network is ~1 GiB; the server log stays


def _copy_csv(cur: Any, table: str, path: Path, types: dict[str, str]) -> None:
    """A table with the file's columns (in its order, text unless typed) and COPY of the file."""
    from psycopg import sql

    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types.get(c, "text"))) for c in header
    )
    cur.execute(sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(sql.Identifier(table), columns))
    copy_sql = sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, HEADER true)").format(sql.Identifier(table))
    with cur.copy(copy_sql) as copy, path.open("rb") as fh:
        while block := fh.read(1 << 20):
            copy.write(block)


def _month_after(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 1)


def postgres_peer(
    data: Path, period: str, check_ids: Sequence[str], folder: Path, timeout_s: float
) -> tuple[Peer, pd.DataFrame | None]:
    """Load and compute in a PostgreSQL of our own: the peer's times and its figures for check_ids."""
    peer = Peer(
        "PostgreSQL 15: recursive CTE",
        "COPY into unlogged tables + primary key + ANALYZE; one `WITH RECURSIVE` closure of "
        f"(ancestor, descendant) pairs, GROUP BY, into a table; work_mem {PG_WORK_MEM}",
    )
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:  # the `bench` extra is not installed
        peer.error = f"{type(exc).__name__}: {exc} (pip install -e '.[bench]')"
        return peer, None
    try:
        with local_postgres(folder) as conninfo, psycopg.connect(conninfo, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()
            peer.name = f"PostgreSQL {str(version[0]).split()[0] if version else '?'}: recursive CTE"
            cur = conn.cursor()
            t0 = time.perf_counter()
            _copy_csv(cur, "distributors", data / "distributors.csv", {})
            _copy_csv(cur, "orders", data / "orders.csv", {"volume": "numeric", "ordered_on": "date"})
            cur.execute("ALTER TABLE distributors ADD PRIMARY KEY (id)")
            cur.execute("ANALYZE distributors")
            cur.execute("ANALYZE orders")
            peer.load_s = time.perf_counter() - t0

            cur.execute(sql.SQL("SET work_mem = {}").format(sql.Literal(PG_WORK_MEM)))
            cur.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(int(timeout_s * 1000))))
            query = sql.SQL(PG_FIGURES).format(
                start=sql.Literal(date.fromisoformat(f"{period}-01")),
                end=sql.Literal(_month_after(period)),
                scale=sql.Literal(SCALE),
            )
            t0 = time.perf_counter()
            try:
                cur.execute(query)
            except psycopg.errors.QueryCanceled:
                peer.compute_s = time.perf_counter() - t0
                peer.time_limit_s = timeout_s
                return peer, None
            peer.compute_s = time.perf_counter() - t0
            cur.execute("RESET statement_timeout")
            rows = cur.execute(
                "SELECT id, gv, size, max_depth FROM figures WHERE id = ANY(%s)", (list(check_ids),)
            ).fetchall()
            figures = pd.DataFrame(rows, columns=["id", *FIGURES]).set_index("id")
            return peer, figures
    except Exception as exc:  # recorded in RESULTS.md with its message, the other peers go on
        peer.error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}"
        return peer, None


# --- ours and the checks ----------------------------------------------------------------------


def ours(driver: Driver, database: str, period: str, ids: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """The published rollup's figures for `ids` in `period`, and the network's size."""
    pub = service.published(driver, database)
    if pub.slot is None:
        raise AssertionError("no rollup is published: nothing to compare the peers with")
    i = pub.index(period)
    if i < 0:
        raise AssertionError(f"period {period} (latest in orders.csv) is not in the rollup's {pub.periods}")
    if pub.latest() != period:
        raise AssertionError(f"latest period: orders.csv {period}, the rollup {pub.latest()}")
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), OURS_BATCH):
        records, _, _ = driver.execute_query(
            OURS_QUERY,
            ids=list(ids[start : start + OURS_BATCH]),
            gen=pub.gen,
            k=pub.keys,
            i=i,
            database_=database,
            routing_="r",
        )
        rows.extend(r.data() for r in records)
    counted, _, _ = driver.execute_query(COUNT_QUERY, gen=pub.gen, database_=database, routing_="r")
    frame = pd.DataFrame(rows, columns=["id", *FIGURES]).set_index("id")
    return frame, int(counted[0]["n"])


def check(peer: Peer, figures: pd.DataFrame | None, expected: pd.DataFrame) -> None:
    """Counts the rows of `expected` (ours) the peer got exactly right; notes the first mismatch."""
    if figures is None:
        return
    got = figures.reindex(expected.index)[FIGURES].fillna(-1).astype(np.int64)  # missing: -1, wrong
    wrong = expected.index[~np.all(got.to_numpy() == expected[FIGURES].to_numpy(dtype=np.int64), axis=1)]
    peer.checked = len(expected)
    peer.mismatches = len(wrong)
    if len(wrong):
        first = wrong[0]
        theirs = got.loc[first, FIGURES].tolist()
        peer.first_mismatch = f"{first}: {theirs} != ours {expected.loc[first, FIGURES].tolist()}"


def _timed_peer(peer: Peer, work: Callable[[Peer], pd.DataFrame]) -> pd.DataFrame | None:
    """Runs work(peer) (which fills in the times), recording an exception instead of raising."""
    try:
        return work(peer)
    except Exception as exc:
        peer.error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}"
        return None


def run(
    driver: Driver,
    database: str,
    data: Path,
    *,
    measured: analytics.AnalyticsResult | None,
    rollup_note: str = "",
    pg_folder: Path = PG_FOLDER,
    pg_timeout_s: float = PG_TIMEOUT_S,
    seed: int = 42,
) -> PeersResult:
    """Every peer on the CSVs in `data`, checked against the rollup published in `database`."""
    t0 = time.perf_counter()
    csvs = read_csvs(data)
    read_s = time.perf_counter() - t0
    period = str(csvs.orders["period"].max())

    ids = csvs.distributors["id"].to_numpy()
    if len(ids) <= CHECK_ALL:
        check_ids = [str(x) for x in ids]
    else:
        rng = np.random.default_rng(seed)
        roots = csvs.distributors.loc[csvs.distributors["sponsor_id"] == "", "id"]
        chosen = rng.choice(np.sort(ids), size=CHECK_SAMPLE, replace=False)
        check_ids = sorted({*map(str, roots), *map(str, chosen)})
    expected, in_db = ours(driver, database, period, check_ids)
    if in_db != len(ids) or len(expected) != len(check_ids):
        raise AssertionError(
            f"{data} holds {len(ids):,} distributors, the database {in_db:,} "
            f"({len(check_ids) - len(expected):,} of the checked ids missing): not the imported network"
        )

    peers: list[Peer] = []
    pg, pg_figures = postgres_peer(data, period, check_ids, pg_folder, pg_timeout_s)
    check(pg, pg_figures, expected)
    peers.append(pg)

    def with_networkx(peer: Peer) -> pd.DataFrame:
        t0 = time.perf_counter()
        graph = networkx_graph(csvs)
        peer.load_s = read_s + time.perf_counter() - t0
        t0 = time.perf_counter()
        figures = networkx_figures(graph, csvs, period)
        peer.compute_s = time.perf_counter() - t0
        return figures

    nx_peer = Peer(
        f"networkx {nx.__version__}",
        "read the CSVs (pandas) + build a DiGraph; PV per distributor (groupby), then one "
        "`nx.dfs_postorder_nodes` pass in Python",
    )
    check(nx_peer, _timed_peer(nx_peer, with_networkx), expected)
    peers.append(nx_peer)

    def with_pandas(peer: Peer) -> pd.DataFrame:
        peer.load_s = read_s
        t0 = time.perf_counter()
        figures = pandas_figures(csvs, period)
        peer.compute_s = time.perf_counter() - t0
        return figures

    pd_peer = Peer(
        f"pandas {pd.__version__} / numpy {np.__version__}",
        "read the CSVs; PV per distributor (groupby), depths top-down, sums bottom-up one level at a "
        "time (`np.add.at`)",
    )
    check(pd_peer, _timed_peer(pd_peer, with_pandas), expected)
    peers.append(pd_peer)

    if measured is not None:
        naive_how = (
            f"all {measured.distributors:,} distributors"
            if measured.naive_distributors >= measured.distributors
            else f"extrapolated from {measured.naive_distributors:,} sampled"
        )
        peers.append(
            Peer(
                "Naive Cypher (variable-length walk per distributor)",
                f"benchmarks/naive_gv.cypher, every period; {naive_how}",
                compute_s=measured.naive_s,
                checked=measured.checked_naive,
                note="checked by the analytics step: rows = (distributor, period)",
            )
        )
        peers.append(
            Peer(
                "Practical limit (Bolt + numpy)",
                "edges and PV sums streamed out of Neo4j as collected lists, rolled up in numpy; "
                "every period",
                load_s=measured.stream_s,
                compute_s=measured.compute_s,
                checked=measured.checked_stats,
                note="checked by the analytics step: rows = (distributor, period)",
            )
        )
    return PeersResult(
        distributors=len(ids),
        orders=len(csvs.orders),
        period=period,
        max_depth=int(expected["max_depth"].max()) if len(expected) else 0,
        rollup_s=measured.rollup_s if measured is not None else None,
        rollup_note=rollup_note,
        checked_ids=len(check_ids),
        read_csv_s=read_s,
        peers=peers,
    )


# --- RESULTS.md -------------------------------------------------------------------------------


def _s(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds:,.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def _row(p: Peer, rollup_s: float | None) -> str:
    total = p.total_s
    if p.error:
        return f"| {p.name} | {_s(p.load_s)} | | | | FAILED | {p.error} |"
    if p.time_limit_s is not None:
        ratio = f"> {p.time_limit_s / rollup_s:,.1f}x" if rollup_s else ""
        return (
            f"| {p.name} | {_s(p.load_s)} | > {p.time_limit_s:,.0f} s (limit) | > {_s(total)} | {ratio} "
            f"| not computed | {p.how} |"
        )
    ratio = f"{total / rollup_s:,.2f}x" if rollup_s and total is not None else "n/a"
    if p.mismatches:
        agreement = f"**{p.mismatches:,} of {p.checked:,} differ** ({p.first_mismatch})"
    else:
        agreement = f"{p.checked:,} ok"
    how = f"{p.how}; {p.note}" if p.note else p.how
    return f"| {p.name} | {_s(p.load_s)} | {_s(p.compute_s)} | {_s(total)} | {ratio} | {agreement} | {how} |"


def markdown(results: Sequence[PeersResult]) -> list[str]:
    """The "## Peers" section of RESULTS.md: one table per size."""
    lines = [
        "## Peers: the same figures, other tools",
        "",
        "GV in the latest period, downline size and max depth of every distributor, computed from the "
        "same CSV files the import read, in the same run (benchmarks/peers.py). `x ours` is the peer's "
        "total time over our full rollup's (`rollup.rebuild`, from the analytics table): below 1 the "
        "peer is faster. Ours does more for its time: every period, active downline, levels, largest "
        "leg, depth-first numbers and network totals, written into the database the service reads "
        "(and kept there); the in-memory peers compute three figures for one period and keep nothing. "
        "Agreement: each peer's figures equal the published rollup's, exactly, for every distributor "
        f"up to {CHECK_ALL:,}, else for every root and {CHECK_SAMPLE} at random.",
        "",
    ]
    for r in results:
        ours_row = (
            f"| Full rollup (ours): `rollup.rebuild` | | {_s(r.rollup_s)} | {_s(r.rollup_s)} | 1.00x | "
            "reference | every period and figure, written to the spare slot, then published"
            f"{'; ' + r.rollup_note if r.rollup_note else ''} |"
            if r.rollup_s is not None
            else f"| Full rollup (ours) | | | | | FAILED | the analytics step failed: {r.rollup_note} |"
        )
        lines += [
            f"### {r.distributors:,} distributors, {r.orders:,} orders, period {r.period}, "
            f"max depth {r.max_depth}",
            "",
            "| peer | load | compute | total | x ours | agreement with ours | how |",
            "|---|---:|---:|---:|---:|---|---|",
            ours_row,
            *(_row(p, r.rollup_s) for p in r.peers),
            "",
            f"Reading both CSVs with pandas took {_s(r.read_csv_s)} (counted in the load of networkx and "
            f"pandas); {r.checked_ids:,} distributors checked.",
            "",
        ]
    return lines


# --- alone ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="the folder the network was imported from")
    parser.add_argument("--pg-folder", type=Path, default=PG_FOLDER)
    parser.add_argument("--pg-timeout", type=float, default=PG_TIMEOUT_S)
    parser.add_argument(
        "--rollup-only",
        action="store_true",
        help="time ours with `rollup.rebuild` alone, not the whole analytics step (no naive/limit rows)",
    )
    args = parser.parse_args()
    settings = Settings()
    measured: analytics.AnalyticsResult | None = None
    rollup_s: float | None = None
    note = ""
    with open_driver(settings) as driver:
        if not args.rollup_only:
            try:
                measured = analytics.run(driver, settings.neo4j_database)
            except Exception as exc:
                note = f"the analytics step failed ({type(exc).__name__}: {exc}); "
                print(f"{note}timing the rollup alone", flush=True)
        if measured is None:
            t0 = time.perf_counter()
            rollup.rebuild(driver, settings.neo4j_database, active=analytics.ACTIVE)
            rollup_s = time.perf_counter() - t0
            note += "ours timed alone (`rollup.rebuild`): no naive or practical-limit rows"
        result = run(
            driver,
            settings.neo4j_database,
            args.data,
            measured=measured,
            rollup_note=note,
            pg_folder=args.pg_folder,
            pg_timeout_s=args.pg_timeout,
        )
    if rollup_s is not None:
        result.rollup_s = rollup_s
    print(json.dumps(asdict(result)), flush=True)
    print("\n".join(markdown([result])))


if __name__ == "__main__":
    main()
