"""The `downline` command: thin — parses arguments, calls the services, prints."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from neo4j import Driver
from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_service.config import NEO4J_VERSION, Settings, get_settings
from graph_service.db import server
from graph_service.db.driver import connection, open_driver
from graph_service.db.schema import ensure_schema
from graph_service.errors import DatabaseUnavailable, DownlineError, InvalidInput
from graph_service.fixedpoint import SCALE

app = typer.Typer(
    help="Graph analytics for network-marketing organisations, on Neo4j.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Run the local Neo4j server (no Docker).", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(emoji=False)  # ":100:" in a problem's text stays ":100:"
err = Console(stderr=True, emoji=False)
F = TypeVar("F", bound=Callable[..., Any])
MAX_PROBLEMS_SHOWN = 100


def _fail(exc: DownlineError) -> typer.Exit:
    if isinstance(exc, InvalidInput):
        for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
            err.print(f"[red]error[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
        if exc.total > MAX_PROBLEMS_SHOWN:
            err.print(f"... and {exc.total - MAX_PROBLEMS_SHOWN} more problem(s)")
    err.print(f"[bold red]{escape(exc.message)}[/bold red]", highlight=False)
    return typer.Exit(exc.exit_code)


@contextmanager
def _driver(settings: Settings) -> Iterator[Driver]:
    driver = open_driver(settings, retry_s=settings.cli_retry_seconds, connect_s=5.0)
    try:
        yield driver
    except (ServiceUnavailable, SessionExpired) as exc:
        conn = connection(settings)
        raise DatabaseUnavailable(
            f"Neo4j at {conn.uri} does not answer ({exc}); is it running? (`downline db start`)"
        ) from exc
    except AuthError as exc:
        raise DatabaseUnavailable(f"Neo4j refused the credentials: {exc}") from exc
    finally:
        driver.close()


def run_command(fn: Callable[[], None]) -> None:
    try:
        fn()
    except DownlineError as exc:
        raise _fail(exc) from None


# ---------------------------------------------------------------- db


@db_app.command("start")
def db_start(
    bolt_port: Annotated[int | None, typer.Option(help="Bolt port (default 7687, or the last used)")] = None,
    http_port: Annotated[int | None, typer.Option(help="HTTP port (default 7474, or the last used)")] = None,
) -> None:
    """Start this home's Neo4j server (idempotent) and wait until it answers; print its Bolt address."""

    def go() -> None:
        settings = get_settings()
        info = server.start(settings, bolt_port=bolt_port, http_port=http_port)
        with _driver(settings) as driver:
            ensure_schema(driver, settings.neo4j_database)
        out.print(info.uri, highlight=False)
        err.print(f"Neo4j {info.version} (pid {info.pid}), browser on http://127.0.0.1:{info.http_port}/")

    run_command(go)


@db_app.command("fetch")
def db_fetch() -> None:
    """Resolve the Neo4j and APOC jars from Maven Central into the cache (once per machine)."""

    def go() -> None:
        settings = get_settings()
        server.java_binary(settings)
        folder = server.ensure_jars(settings)
        err.print(f"Neo4j {NEO4J_VERSION} jars in {folder}")

    run_command(go)


@db_app.command("stop")
def db_stop() -> None:
    """Stop this home's Neo4j server."""
    settings = get_settings()
    stopped = server.stop(settings)
    err.print("stopped" if stopped else "not running")


@db_app.command("status")
def db_status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Whether this home's server runs; with --json: uri, user, password_file, version, pid."""
    settings = get_settings()
    info = server.status(settings)
    if as_json:
        doc = {
            "uri": info.uri,
            "user": info.user,
            "password_file": info.password_file,
            "version": info.version,
            "pid": info.pid,
        }
        out.print_json(json.dumps(doc))
    elif info.pid is None:
        out.print(f"not running (home {settings.home_dir})")
    else:
        state = f"Neo4j {info.version}" if info.version else "starting or not answering"
        out.print(f"running: {info.uri} pid {info.pid} ({state})", highlight=False)
    if info.pid is None or info.version is None:
        raise typer.Exit(1)


@db_app.command("reset")
def db_reset(yes: Annotated[bool, typer.Option("--yes", help="confirm: delete all data")] = False) -> None:
    """Delete all data (distributors, orders, runs, keys); the schema stays."""
    if not yes:
        err.print("refusing to delete all data without --yes")
        raise typer.Exit(2)

    def go() -> None:
        from graph_service.db.admin import delete_all

        settings = get_settings()
        with _driver(settings) as driver:
            deleted = delete_all(driver, database=settings.neo4j_database)
        err.print(f"deleted {deleted} nodes")

    run_command(go)


# ---------------------------------------------------------------- data


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="folder to write distributors.csv and orders.csv into")],
    distributors: Annotated[int, typer.Option(min=1, help="number of distributors")] = 10_000,
    months: Annotated[int, typer.Option(min=1, help="months of orders")] = 3,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same files)")] = 1,
) -> None:
    """Write a realistic synthetic network in the import format."""
    from graph_service.ingest.generator import generate as run_generate

    summary = run_generate(out_dir, distributors=distributors, months=months, seed=seed)
    err.print(
        f"wrote {summary.distributors} distributors ({summary.roots} roots, max depth {summary.max_depth}) "
        f"and {summary.orders} orders over {', '.join(summary.periods)} to {out_dir}"
    )


@app.command("import")
def import_cmd(
    data_dir: Annotated[Path, typer.Argument(help="folder with distributors.csv and optional orders.csv")],
    as_json: Annotated[bool, typer.Option("--json", help="print the summary (or problems) as JSON")] = False,
    bulk: Annotated[
        bool | None,
        typer.Option(
            "--bulk/--no-bulk",
            help="load an empty local database with neo4j-admin's offline importer (default: when the "
            "database is empty and the import has DOWNLINE_BULK_IMPORT_MIN_ROWS rows or more)",
        ),
    ] = None,
) -> None:
    """Validate and load a data folder, all or nothing (exit 2 with every problem located)."""
    import time

    from graph_service.ingest import bulk as bulk_load
    from graph_service.ingest.load import import_folder
    from graph_service.ingest.validate import parse_folder

    settings = get_settings()
    try:
        with (
            _driver(settings) as driver,
            Progress(
                TextColumn("{task.description:<32}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=as_json or not err.is_terminal,
            ) as bar,
        ):
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            began = time.perf_counter()
            progress("reading files", 0, 1)
            parsed = parse_folder(data_dir)
            parse_s = time.perf_counter() - began
            progress("reading files", 1, 1)
            if bulk_load.eligible(settings, driver, parsed, force=bulk):
                summary = bulk_load.first_load(
                    settings,
                    driver,
                    data_dir,
                    parsed,
                    progress=progress,
                    active_pv=int(settings.active_threshold * SCALE),
                    matrix_width=settings.matrix_width,
                )
            else:
                summary = import_folder(
                    driver,
                    data_dir,
                    database=settings.neo4j_database,
                    batch_rows=settings.import_batch_rows,
                    progress=progress,
                    active_pv=int(settings.active_threshold * SCALE),
                    rollup_batch=settings.rollup_batch_rows,
                    parsed=parsed,
                )
            summary.timings["parse"] = parse_s
            summary.seconds = time.perf_counter() - began
    except InvalidInput as exc:
        if as_json:
            doc = {
                "error": exc.code,
                "message": exc.message,
                "total": exc.total,
                "problems": [p.as_dict() for p in exc.problems],
            }
            out.print_json(json.dumps(doc))
            raise typer.Exit(exc.exit_code) from None
        raise _fail(exc) from None
    except DownlineError as exc:
        raise _fail(exc) from None
    doc = {
        "import_id": summary.import_id,
        "distributors_added": summary.distributors_added,
        "distributors_updated": summary.distributors_updated,
        "distributors_unchanged": summary.distributors_unchanged,
        "placements_added": summary.placements_added,
        "orders_added": summary.orders_added,
        "orders_unchanged": summary.orders_unchanged,
        "periods": summary.periods,
        "seconds": round(summary.seconds, 3),
        "timings": {k: round(v, 3) for k, v in summary.timings.items()},
    }
    if as_json:
        out.print_json(json.dumps(doc))
        return
    if not summary.changed:
        out.print(
            f"nothing new: {summary.distributors_unchanged} distributors, "
            f"{summary.orders_unchanged} orders already imported"
        )
        return
    table = Table(title=f"import {summary.import_id}", show_header=False)
    for key, value in doc.items():
        if key not in ("import_id", "timings"):
            table.add_row(key.replace("_", " "), ", ".join(value) if isinstance(value, list) else str(value))
    out.print(table)


@app.command()
def up(
    demo_distributors: Annotated[
        int, typer.Option(help="size of the demo network loaded when empty")
    ] = 5_000,
    serve: Annotated[bool, typer.Option(help="serve the API and dashboard after loading")] = True,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
) -> None:
    """All at once on a fresh machine: start the database, load a demo network if empty, serve."""

    def go() -> None:
        from graph_service.analytics import service
        from graph_service.api import keys as keystore
        from graph_service.db.admin import counts
        from graph_service.ingest.generator import generate as run_generate
        from graph_service.ingest.load import import_folder

        settings = get_settings()
        info = server.start(settings)
        err.print(f"Neo4j {info.version} on {info.uri} (home {settings.home_dir})")
        with _driver(settings) as driver:
            ensure_schema(driver, settings.neo4j_database)
            before = counts(driver, database=settings.neo4j_database)
            if before["distributors"] == 0:
                demo = settings.home_dir / "demo"
                err.print(
                    f"empty database: generating a demo network of {demo_distributors} distributors ..."
                )
                run_generate(demo, distributors=demo_distributors, months=6, seed=2026)
                summary = import_folder(
                    driver,
                    demo,
                    database=settings.neo4j_database,
                    active_pv=int(settings.active_threshold * SCALE),
                    rollup_batch=settings.rollup_batch_rows,
                )
                err.print(
                    f"imported {summary.distributors_added} distributors and "
                    f"{summary.orders_added} orders in {summary.seconds:.1f}s"
                )
            now = counts(driver, database=settings.neo4j_database)
            if now["distributors"] and service.published(driver, settings.neo4j_database).slot is None:
                err.print("rolling up a database loaded before rollups existed ...")
                service.rebuild(driver, settings.neo4j_database, active_pv=settings.active_threshold)
            text = ""
            if serve:
                text, _ = keystore.create_key(
                    driver, settings.neo4j_database, role="admin", name="downline up"
                )
        out.print(
            f"database: {now['distributors']} distributors, {now['orders']} orders, "
            f"periods {', '.join(now['periods']) or '-'}",
            highlight=False,
        )
        out.print(
            f"Neo4j: {info.uri} (HTTP on 127.0.0.1:{info.http_port}; user neo4j, password in "
            f"{info.password_file})",
            highlight=False,
        )
        if serve:
            base = f"http://{host}:{port}"
            out.print(f"API:       {base}/v1   (OpenAPI: {base}/docs)", highlight=False)
            out.print(f"dashboard: {base}/dashboard/   (log in with the admin key)", highlight=False)
            out.print(f"admin key: {text}", highlight=False, soft_wrap=True)
            out.print(
                f"try:       curl -H 'Authorization: Bearer {text}' {base}/v1/network",
                highlight=False,
                soft_wrap=True,
            )
            _serve(host, port, workers=1)

    run_command(go)


# ---------------------------------------------------------------- serving and keys

keys_app = typer.Typer(
    help="API keys: create (printed once, stored hashed), list, revoke.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


def _serve(host: str, port: int, *, workers: int) -> None:
    """Become uvicorn (same process id, signals and environment): this process has imported the
    driver, and with it pandas, numpy and pyarrow (~150 MB) that uvicorn's supervisor of several
    workers would otherwise keep for nothing; each worker imports the app itself."""
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "uvicorn", "graph_service.api.app:create_app", "--factory"]
    argv += ["--host", host, "--port", str(port), "--workers", str(workers), "--log-level", "info"]
    argv += ["--no-access-log"]  # keys travel in headers, never in URLs; no request log by default
    os.execv(sys.executable, argv)  # noqa: S606 -- a fixed argument list, no shell


def check_connection(settings: Settings) -> None:
    """SetupError when the connection settings are refused (a weak secret for a remote server)."""
    connection(settings)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes (stateless; all share the database)")] = 1,
) -> None:
    """Serve the HTTP API under /v1 (OpenAPI at /docs)."""
    settings = get_settings()
    if settings.neo4j_uri:  # a remote server's settings refused here, not in every worker's log
        run_command(lambda: check_connection(settings))
    err.print(f"serving http://{host}:{port}/v1 (docs: http://{host}:{port}/docs)")
    _serve(host, port, workers=workers)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, analyst or viewer")],
    scope: Annotated[str | None, typer.Option(help="limit the key to this distributor's downline")] = None,
    name: Annotated[str | None, typer.Option(help="a label for the key")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create an API key and print it once (it is stored hashed)."""
    from graph_service.api import keys as keystore

    def go() -> None:
        with reading() as (driver, settings):
            ensure_schema(driver, settings.neo4j_database)
            text, key = keystore.create_key(
                driver, settings.neo4j_database, role=role, scope=scope, name=name
            )
        if as_json:
            out.print_json(json.dumps({"key": text, **key.to_json()}))
        else:
            out.print(text, highlight=False, soft_wrap=True)
            err.print(f"{key.role} key {key.id}" + (f" scoped to {key.scope}" if key.scope else ""))

    run_command(go)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every key (ids, roles, scopes; never the secrets)."""
    from graph_service.api import keys as keystore

    def go() -> None:
        with reading() as (driver, settings):
            found = keystore.list_keys(driver, settings.neo4j_database)
        if as_json:
            out.print_json(json.dumps([k.to_json() for k in found]))
            return
        table = Table("id", "role", "scope", "name", "created", "revoked")
        for k in found:
            table.add_row(
                k.id, k.role, escape(k.scope or ""), escape(k.name or ""), k.created or "", k.revoked or ""
            )
        out.print(table)

    run_command(go)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help="the key's id (see list)")],
) -> None:
    """Revoke a key: it stops working at once."""
    from graph_service.api import keys as keystore

    def go() -> None:
        with reading() as (driver, settings):
            key = keystore.revoke_key(driver, settings.neo4j_database, key_id)
        err.print(f"revoked {key.id} ({key.role})")

    run_command(go)


# ---------------------------------------------------------------- analytics

PeriodOpt = Annotated[str | None, typer.Option(help="month YYYY-MM (default: the latest with orders)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


@contextmanager
def reading() -> Iterator[tuple[Driver, Settings]]:
    settings = get_settings()
    with _driver(settings) as driver:
        yield driver, settings


@app.command()
def stats(
    distributor_id: Annotated[str, typer.Argument(metavar="ID", help="distributor id")],
    period: PeriodOpt = None,
    as_json: JsonOpt = False,
    live: Annotated[bool, typer.Option(help="compute on the fly instead of from the rollups")] = False,
) -> None:
    """One distributor's figures for a period: PV, GV, downline, levels, legs (contract section 4)."""
    from graph_service.analytics import service

    def go() -> None:
        with reading() as (driver, settings):
            s = service.distributor_stats(
                driver,
                settings.neo4j_database,
                distributor_id,
                period,
                active_pv=settings.active_threshold,
                live=live,
            )
        if as_json:
            out.print_json(json.dumps(s.to_json()))
            return
        head = Table(title=f"{s.id} {s.name or ''} — {s.period}", show_header=False, title_justify="left")
        rows = [
            ("sponsor", s.sponsor_id or "(root)"),
            ("depth", str(s.depth)),
            ("PV", money(s.pv) + (" (active)" if s.active else "")),
            ("GV", money(s.gv)),
            ("frontline", str(s.frontline)),
            ("downline size", str(s.downline_size)),
            ("active downline", str(s.active_downline)),
            ("max depth", str(s.max_depth)),
            ("mean depth", f"{s.mean_depth:.2f}"),
            ("levels", " ".join(str(n) for n in s.levels) or "-"),
            ("strongest leg share", f"{s.strongest_leg_share:.1%}"),
        ]
        for key, value in rows:
            head.add_row(key, escape(value))
        out.print(head)
        if s.legs:
            legs = Table("leg", "GV", "size", "share", title="legs", title_justify="left")
            for leg in s.legs[:20]:
                legs.add_row(escape(leg.id), money(leg.gv), str(leg.size), f"{leg.share:.1%}")
            if len(s.legs) > 20:
                legs.add_row(f"... {len(s.legs) - 20} more", "", "", "")
            out.print(legs)

    run_command(go)


@app.command()
def network(
    period: PeriodOpt = None,
    top: Annotated[int, typer.Option(help="how many distributors by GV to list")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Network-wide figures: totals per period, depth and frontline histograms, leg balance, top by GV."""
    from graph_service.analytics import service

    def go() -> None:
        with reading() as (driver, settings):
            n = service.network_stats(
                driver, settings.neo4j_database, period, active_pv=settings.active_threshold, top=top
            )
        if as_json:
            out.print_json(json.dumps(n.to_json()))
            return
        out.print(
            f"[bold]{n.distributors}[/bold] distributors in {n.roots} tree(s), max depth {n.max_depth}, "
            f"mean depth {n.mean_depth:.2f}"
        )
        hist = Table("period", "volume", "retail share", "orders", "active", "new", title="periods")
        for t in n.history or [n.totals]:
            hist.add_row(
                t.period, money(t.volume), f"{t.retail_share:.1%}", str(t.orders), str(t.active),
                str(t.new_distributors),
            )  # fmt: skip
        out.print(hist)
        depth = Table("depth", "distributors", title="depth histogram")
        for k, count in enumerate(n.depth_histogram):
            depth.add_row(str(k), str(count))
        out.print(depth)
        front = Table("frontline", "distributors", title="frontline sizes")
        for k, count in n.frontline_histogram:
            front.add_row(str(k), str(count))
        out.print(front)
        balance = Table("strongest leg share", "distributors", title=f"leg balance {n.period}")
        for i, count in enumerate(n.leg_balance):
            balance.add_row(f"{i * 10}-{(i + 1) * 10}%", str(count))
        out.print(balance)
        best = Table("id", "name", "GV", "PV", "downline", title=f"top {len(n.top)} by GV {n.period}")
        for r in n.top:
            best.add_row(escape(r.id), escape(r.name or ""), money(r.gv), money(r.pv), str(r.downline_size))
        out.print(best)

    run_command(go)


def _members_table(title: str, members: list[Any]) -> Table:
    table = Table("level", "id", "name", "PV", "GV", "downline", "active", title=title, title_justify="left")
    for m in members:
        table.add_row(
            str(m.level), escape(m.id), escape(m.name or ""), money(m.pv), money(m.gv),
            str(m.downline_size), "yes" if m.active else "",
        )  # fmt: skip
    return table


@app.command()
def placement(
    distributor_id: Annotated[str, typer.Argument(metavar="ID", help="distributor id")],
    period: PeriodOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """ID's place in the binary placement tree, and the left and right volumes of the period."""
    from graph_service.analytics import service

    def go() -> None:
        with reading() as (driver, settings):
            doc = service.placement(driver, settings.neo4j_database, distributor_id, period)
        if as_json:
            out.print_json(json.dumps(doc))
            return
        where = f"{doc['side']} of {doc['parent']}" if doc["parent"] else "not placed under anyone"
        out.print(f"{escape(distributor_id)}: {escape(where)} — {doc['period']}", highlight=False)
        for name in ("left", "right"):
            side = doc[name]
            child = escape(side["id"]) if side["id"] else "(free)"
            out.print(f"  {name:<5} {child:<20} volume {side['volume']:,.2f}  members {side['members']}")

    run_command(go)


@app.command()
def upline(
    distributor_id: Annotated[str, typer.Argument(metavar="ID", help="distributor id")],
    period: PeriodOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The sponsors from ID's sponsor up to the root, nearest first."""
    from graph_service.analytics import service

    def go() -> None:
        with reading() as (driver, settings):
            members = service.upline(
                driver, settings.neo4j_database, distributor_id, period, active_pv=settings.active_threshold
            )
        if as_json:
            out.print_json(json.dumps([m.to_json() for m in members]))
            return
        out.print(_members_table(f"upline of {distributor_id}", members))

    run_command(go)


@app.command()
def downline(
    distributor_id: Annotated[str, typer.Argument(metavar="ID", help="distributor id")],
    level: Annotated[int | None, typer.Option(help="only this level (1 = frontline)")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="only members active (or not) in the period")
    ] = None,
    search: Annotated[str | None, typer.Option(help="only ids or names starting with this")] = None,
    period: PeriodOpt = None,
    limit: Annotated[int, typer.Option(help="rows per page")] = 100,
    cursor: Annotated[str | None, typer.Option(help="continue after this cursor")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="write the whole listing as CSV")] = False,
    as_json: JsonOpt = False,
) -> None:
    """ID's downline in tree order, a page at a time (or all of it with --csv)."""
    import csv

    from graph_service.analytics import service

    def go() -> None:
        with reading() as (driver, settings):

            def page(after: str | None, size: int) -> Any:
                return service.downline(
                    driver, settings.neo4j_database, distributor_id, period=period, level=level,
                    active=active, search=search, cursor=after, limit=size,
                    active_pv=settings.active_threshold,
                )  # fmt: skip

            if as_csv:
                writer = csv.writer(sys.stdout, lineterminator="\n")
                fields = ["id", "name", "sponsor_id", "level", "depth", "pv", "gv", "downline_size"]
                writer.writerow([*fields, "active", "joined_on", "country"])
                after = cursor
                while True:
                    p = page(after, service.MAX_PAGE)
                    for m in p.items:
                        row = m.to_json()
                        writer.writerow([row[f] for f in [*fields, "active", "joined_on", "country"]])
                    if p.next_cursor is None:
                        return
                    after = p.next_cursor
            p = page(cursor, limit)
        if as_json:
            out.print_json(json.dumps(p.to_json()))
            return
        out.print(_members_table(f"downline of {distributor_id}: {p.total} member(s)", p.items))
        if p.next_cursor:
            err.print(f"more: --cursor {p.next_cursor}")

    run_command(go)


@app.command("rollup")
def rollup_cmd(as_json: JsonOpt = False) -> None:
    """Roll the published network up again (imports do it themselves; run this after changing
    DOWNLINE_ACTIVE_PV, or on a database loaded before rollups existed)."""
    from graph_service.analytics import service

    def go() -> None:
        with reading() as (driver, settings):
            s = service.rebuild(
                driver,
                settings.neo4j_database,
                active_pv=settings.active_threshold,
                batch=settings.rollup_batch_rows,
            )
        doc = {
            "gen": s.gen,
            "slot": s.slot,
            "periods": s.periods,
            "max_depth": s.max_depth,
            "seconds": round(s.seconds, 3),
            "timings": {k: round(v, 3) for k, v in s.timings.items()},
        }
        if as_json:
            out.print_json(json.dumps(doc))
        else:
            out.print(f"rolled up generation {s.gen} ({len(s.periods)} periods) in {s.seconds:.1f}s")

    run_command(go)


# Commands kept in modules of their own register themselves on `app` when imported here (they
# import `app` and the helpers above from this module).
from graph_service import cli_commissions, cli_health, cli_matrix  # noqa: E402, F401


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
