"""The HTTP API under /v1 (FastAPI): thin routes over the analytics service layer.

One driver per worker, opened in the lifespan; every read is routed as a read (`routing_="r"`), so
on a cluster (`neo4j://`) or Aura (`neo4j+s://`) reads go to secondaries. Workers keep no state of
their own: run as many as you like behind one port (`downline serve --workers N`).

Every route needs `Authorization: Bearer KEY` except /healthz, /docs and /openapi.json. A scoped
key sees its distributor and their downline only: anything else answers 404 as if it did not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired, TransientError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph_service import __version__, memory
from graph_service.analytics import service
from graph_service.analytics.privacy import shown
from graph_service.analytics.warmup import Warmer
from graph_service.api import commissions
from graph_service.api import health as health_routes
from graph_service.api import keys as keystore
from graph_service.api.dashboard_mount import mount_dashboard
from graph_service.api.deps import (
    ERRORS,
    Admin,
    Analyst,
    Forbidden,
    IdPath,
    PeriodQ,
    RateLimiter,
    Viewer,
    csv_response,
    plain,
)
from graph_service.api.models import (
    CypherIn,
    KeyCreated,
    KeyIn,
    KeyOut,
    LegOut,
    MatrixOut,
    MemberOut,
    NetworkOut,
    PageOut,
    PlacementOut,
    QueryIn,
    QueryOut,
    SearchHit,
    StatsOut,
    TableOut,
)
from graph_service.config import Settings, get_settings
from graph_service.db.breaker import Breaker
from graph_service.db.driver import open_driver
from graph_service.errors import RETRY_AFTER_S, DownlineError, InvalidInput


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        memory.use_system_allocator()
        app.state.settings = settings
        app.state.driver = open_driver(settings)
        app.state.breaker = Breaker(app.state.driver)
        app.state.limiter = RateLimiter(settings.expensive_per_minute)
        warmer = Warmer(app.state.driver, settings.neo4j_database)
        app.state.warmer = warmer if settings.warm_up else None
        if settings.warm_up:
            warmer.start()
        try:
            yield
        finally:
            warmer.close()
            app.state.breaker.close()
            app.state.driver.close()

    app = FastAPI(
        title="downline",
        version=__version__,
        description="Graph analytics for network-marketing organisations (contract section 4).",
        lifespan=lifespan,
        responses=ERRORS,
    )

    @app.exception_handler(DownlineError)
    async def downline_error(_: Request, exc: DownlineError) -> JSONResponse:
        response = _error(exc.http_status, exc.code, exc.message, getattr(exc, "headers", None))
        if isinstance(exc, InvalidInput):  # a plan refused: every problem, located
            problems = [p.as_dict() for p in exc.problems]
            body = {"error": exc.code, "message": exc.message, "problems": problems}
            response = JSONResponse(body, status_code=exc.http_status)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        headers = dict(exc.headers) if exc.headers else None
        return _error(exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'query')}: {e.get('msg')}"
            for e in exc.errors()
        )
        return _error(422, "bad_request", problems or "malformed request")

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    @app.exception_handler(TransientError)
    @app.exception_handler(AuthError)
    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, ServiceUnavailable | SessionExpired):
            request.app.state.breaker.trip()  # later requests: 503 at once until Neo4j is back
        return _error(
            503,
            "database_unavailable",
            "Neo4j is unavailable; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    _routes(app)
    app.include_router(commissions.router)
    app.include_router(health_routes.router)
    mount_dashboard(app, settings)
    return app


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    neo4j: bool
    version: str
    warm: bool = Field(
        description="this worker has prepared what it reads ahead at start (the health frame, the "
        "newest run's earners: analytics/warmup.py); always true with DOWNLINE_WARM_UP=false"
    )


def _routes(app: FastAPI) -> None:
    @app.get("/healthz", response_model=Health, tags=["service"], responses={503: {"model": Health}})
    def healthz(request: Request) -> Any:
        """Liveness, whether Neo4j answers and whether this worker is warm (no key needed, no data)."""
        try:
            request.app.state.driver.verify_connectivity()
            ok = True
        except Exception:
            ok = False
        warmer = request.app.state.warmer
        warm = warmer is None or warmer.ready.is_set()
        body = Health(status="ok" if ok else "degraded", neo4j=ok, version=__version__, warm=warm)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    @app.get("/v1/periods", response_model=list[str], tags=["network"])
    def periods(ctx: Viewer) -> list[str]:
        """Every period (month) that has orders, ascending."""
        return service.periods(ctx.driver, ctx.database)

    @app.get("/v1/distributors/{id:path}/stats", response_model=StatsOut, tags=["distributors"])
    def stats(ctx: Viewer, id: IdPath, period: PeriodQ = None) -> Any:
        """A distributor's figures for a period (contract section 4)."""
        s = service.distributor_stats(
            ctx.driver, ctx.database, id, period, active_pv=ctx.settings.active_threshold, scope_id=ctx.scope
        )
        return shown(s, ctx.sees_names).to_json()

    @app.get("/v1/distributors/{id:path}/legs", response_model=list[LegOut], tags=["distributors"])
    def legs(ctx: Viewer, id: IdPath, period: PeriodQ = None) -> Any:
        """A distributor's legs, by volume (largest first, ties by id), with size and share."""
        s = service.distributor_stats(
            ctx.driver, ctx.database, id, period, active_pv=ctx.settings.active_threshold, scope_id=ctx.scope
        )
        return [leg.to_json() for leg in s.legs]

    @app.get("/v1/distributors/{id:path}/upline", response_model=list[MemberOut], tags=["distributors"])
    def upline(ctx: Viewer, id: IdPath, period: PeriodQ = None) -> Any:
        """The sponsors from the distributor's sponsor up to the root (or the key's scope), nearest first."""
        members = service.upline(
            ctx.driver, ctx.database, id, period, active_pv=ctx.settings.active_threshold, scope_id=ctx.scope
        )
        return [m.to_json() for m in shown(members, ctx.sees_names)]

    @app.get("/v1/distributors/{id:path}/placement", response_model=PlacementOut, tags=["distributors"])
    def placement(ctx: Viewer, id: IdPath, period: PeriodQ = None) -> Any:
        """The distributor's place in the binary placement tree and the left and right volumes of
        the period (the placement subtree under each side, that child included)."""
        return service.placement(ctx.driver, ctx.database, id, period, scope_id=ctx.scope)

    @app.get("/v1/distributors/{id:path}/matrix", response_model=MatrixOut, tags=["distributors"])
    def matrix_position(ctx: Viewer, id: IdPath) -> Any:
        """The distributor's place in the forced matrix: parent (null for a matrix root), children in
        the order they were placed, level, width and the free positions below (contract section 5).
        With a scoped key, a parent or children outside the scope are left out."""
        from graph_service import matrix

        return matrix.matrix_position(ctx.driver, ctx.database, id, scope_id=ctx.scope).to_json()

    @app.get(
        "/v1/distributors/{id:path}/downline",
        response_model=PageOut,
        tags=["distributors"],
        responses={200: {"content": {"text/csv": {}}}},
    )
    def downline(
        request: Request,
        ctx: Viewer,
        id: IdPath,
        period: PeriodQ = None,
        level: Annotated[
            int | None, Query(ge=1, le=10_000, description="only this level (1 = frontline)")
        ] = None,
        active: Annotated[
            bool | None, Query(description="only members active (or not) in the period")
        ] = None,
        search: Annotated[
            str | None, Query(min_length=1, max_length=64, description="id or name prefix")
        ] = None,
        cursor: Annotated[
            str | None, Query(max_length=64, description="next_cursor of the page before")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
        format: Annotated[Literal["json", "csv"], Query(description="csv: the whole listing")] = "json",
    ) -> Any:
        """A page of the downline in tree order (depth first, siblings by id); `format=csv` streams
        the whole listing (analyst or admin)."""

        def page(after: str | None, size: int) -> Any:
            return service.downline(
                ctx.driver, ctx.database, id, period=period, level=level, active=active, search=search,
                cursor=after, limit=size, active_pv=ctx.settings.active_threshold, scope_id=ctx.scope,
                by_name=ctx.sees_names,
            )  # fmt: skip

        if format == "json":
            return shown(page(cursor, limit), ctx.sees_names).to_json()
        if not ctx.key.allows("analyst"):
            raise Forbidden("CSV exports need the analyst role")
        ctx.expensive(request.app.state.limiter)
        first = page(cursor, service.MAX_PAGE)  # errors (404, 422) before the stream starts
        fields = ["id", "name", "sponsor_id", "level", "depth", "pv", "gv", "downline_size", "active"]
        fields += ["joined_on", "country"]

        def rows() -> Iterator[list[Any]]:
            current = first
            while True:
                for m in shown(current.items, ctx.sees_names):
                    doc = m.to_json()
                    yield [doc[f] for f in fields]
                if current.next_cursor is None:
                    return
                current = page(current.next_cursor, service.MAX_PAGE)

        return csv_response(rows(), fields, f"downline-{id}.csv")

    @app.get("/v1/search", response_model=list[SearchHit], tags=["distributors"])
    def search(
        ctx: Viewer,
        q: Annotated[str, Query(min_length=1, max_length=64, description="id or name prefix")],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        """Distributors whose id or name starts with `q`, largest downlines first (names only for
        roles that see them: DOWNLINE_NAMES_ROLE)."""
        hits = service.search(
            ctx.driver, ctx.database, q, limit=limit, scope_id=ctx.scope, by_name=ctx.sees_names
        )
        return shown(hits, ctx.sees_names)

    @app.get("/v1/network", response_model=NetworkOut, tags=["network"])
    def network(
        ctx: Viewer,
        period: PeriodQ = None,
        top: Annotated[int, Query(ge=0, le=100, description="how many by GV")] = 10,
    ) -> Any:
        """Network statistics for a period: totals, history, depth and frontline histograms, leg
        balance, top by GV, growth (over the key's scope for a scoped key)."""
        n = service.network_stats(
            ctx.driver, ctx.database, period, active_pv=ctx.settings.active_threshold, top=top,
            scope_id=ctx.scope,
        )  # fmt: skip
        return shown(n, ctx.sees_names).to_json()

    @app.get("/v1/queries", response_model=list[QueryOut], tags=["queries"])
    def list_queries(ctx: Analyst) -> Any:
        """The catalogue of named analyst queries with their typed parameters."""
        from graph_service.analytics import queries

        return [q.to_json() for q in queries.catalogue()]

    @app.post(
        "/v1/query/{name}",
        response_model=TableOut,
        tags=["queries"],
        responses={200: {"content": {"text/csv": {}}}},
    )
    def run_query(
        request: Request,
        ctx: Analyst,
        name: Annotated[str, Path(max_length=64)],
        body: QueryIn | None = None,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
    ) -> Any:
        """Run a named query (parameters in the body); JSON or CSV. Scoped keys get rows of their
        organisation only."""
        from graph_service.analytics import queries

        ctx.expensive(request.app.state.limiter)
        frame = queries.run_named(
            ctx.driver, ctx.database, name, dict(body.params) if body else {}, scope_id=ctx.scope,
            active_pv=ctx.settings.active_threshold,
        )  # fmt: skip
        columns = [str(c) for c in frame.columns]
        rows = [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        if format == "csv":
            return csv_response(iter(rows), columns, f"{name}.csv")
        return {"columns": columns, "rows": rows, "truncated": False}

    @app.post("/v1/cypher", response_model=TableOut, tags=["queries"])
    def cypher(request: Request, ctx: Analyst, body: CypherIn) -> Any:
        """Ad hoc read-only Cypher (analyst or admin, unscoped keys): refused before running when
        it would write, change the schema, administer, LOAD CSV or call a procedure outside the
        allow-list; stopped after a time limit; at most a row cap of rows."""
        from graph_service.api import adhoc

        if ctx.scope is not None:
            raise Forbidden("a scoped key cannot run ad hoc Cypher (it could read outside its scope)")
        ctx.expensive(request.app.state.limiter)
        return adhoc.run_adhoc(
            ctx.driver, ctx.database, body.query, body.params, timeout_s=ctx.settings.cypher_timeout_s,
            max_rows=ctx.settings.cypher_max_rows,
        ).to_json()  # fmt: skip

    @app.get("/v1/keys", response_model=list[KeyOut], tags=["keys"])
    def list_keys(ctx: Admin) -> Any:
        """Every API key (never the secrets)."""
        return [k.to_json() for k in keystore.list_keys(ctx.driver, ctx.database)]

    @app.post("/v1/keys", response_model=KeyCreated, status_code=201, tags=["keys"])
    def create_key(ctx: Admin, body: KeyIn) -> Any:
        """A new key; the response holds it once (it is stored hashed)."""
        text, key = keystore.create_key(
            ctx.driver, ctx.database, role=body.role, scope=body.scope, name=body.name
        )
        return {"key": text, **key.to_json()}

    @app.delete("/v1/keys/{key_id}", response_model=KeyOut, tags=["keys"])
    def revoke_key(ctx: Admin, key_id: Annotated[str, Path(max_length=64)]) -> Any:
        """Revoke a key."""
        return keystore.revoke_key(ctx.driver, ctx.database, key_id).to_json()
