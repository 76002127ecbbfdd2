"""The `downline` command: thin — parses arguments, calls the services, prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

app = typer.Typer(
    help="Graph analytics for network-marketing organisations, on Neo4j.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Run the local Neo4j server (no Docker).", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)
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
    driver = open_driver(settings)
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


def _run(fn: Callable[[], None]) -> None:
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

    _run(go)


@db_app.command("fetch")
def db_fetch() -> None:
    """Resolve the Neo4j and APOC jars from Maven Central into the cache (once per machine)."""

    def go() -> None:
        settings = get_settings()
        server.java_binary(settings)
        folder = server.ensure_jars(settings)
        err.print(f"Neo4j {NEO4J_VERSION} jars in {folder}")

    _run(go)


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

    _run(go)


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
) -> None:
    """Validate and load a data folder, all or nothing (exit 2 with every problem located)."""
    from graph_service.ingest.load import import_folder

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

            summary = import_folder(
                driver,
                data_dir,
                database=settings.neo4j_database,
                batch_rows=settings.import_batch_rows,
                progress=progress,
            )
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
                summary = import_folder(driver, demo, database=settings.neo4j_database)
                err.print(
                    f"imported {summary.distributors_added} distributors and "
                    f"{summary.orders_added} orders in {summary.seconds:.1f}s"
                )
            now = counts(driver, database=settings.neo4j_database)
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
            err.print(
                f"(the HTTP API and dashboard on {host}:{port} are not part of this build yet; "
                "the database stays up: `downline db stop` ends it)"
            )

    _run(go)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
