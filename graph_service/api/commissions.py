"""Commission runs over HTTP (contract section 5): run a plan (admin), list runs, read an earner
and their lines, rank report cards, flows and plan what-if.

Company-wide figures (runs, flows, what-if) need an unscoped key: a key limited to one downline
reads earners, lines and rank cards inside it and nothing else, answering 404 outside as usual.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from graph_service.api.deps import Admin, Analyst, Context, Forbidden, IdPath, Viewer, csv_response
from graph_service.compensation import runs
from graph_service.compensation.plan import parse_plan

router = APIRouter(prefix="/v1/commissions", tags=["commissions"])
RunPath = Annotated[str, Path(description="a run id", min_length=1, max_length=64)]


class RunIn(BaseModel):
    plan: str = Field(min_length=1, max_length=200_000, description="the plan file's text (TOML)")
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="month YYYY-MM")


class WhatIfIn(BaseModel):
    plans: list[str] = Field(min_length=2, max_length=2, description="two plans' TOML texts: A then B")
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    top: int = Field(default=10, ge=0, le=100, description="how many winners and losers")


class RunOut(BaseModel):
    run_id: str
    period: str
    plan: str
    volume: float
    total: float
    payout_ratio: float
    plan_sha256: str
    components: dict[str, float]
    money_per_pv: float
    active_pv: float
    distributors: int
    earners: int
    lines: int
    data_gen: int
    fingerprint: str
    created_at: str | None


class EarnerOut(BaseModel):
    id: str
    rank: str | None
    unilevel: float
    binary: float
    matrix: float
    rank_bonus: float
    total: float


class LineOut(BaseModel):
    source: str | None = Field(description="the distributor whose volume paid this (none: binary, rank)")
    component: Literal["unilevel", "binary", "matrix", "rank_bonus"]
    level: int | None
    base: float = Field(description="the volume the line is computed on")
    base_volume: float = Field(description="the same as `base` (the contract's name for it)")
    rate: float | None
    amount: float
    amount_exact: str = Field(description="the exact amount as decimal text")


def _unscoped(ctx: Context) -> None:
    if ctx.scope is not None:
        raise Forbidden("a key limited to one downline cannot read company-wide commission figures")


@router.post("/runs", response_model=RunOut, status_code=201)
def create_run(request: Request, ctx: Admin, body: RunIn) -> Any:
    """Compute a period's commissions under the plan and store the run (whole or not at all).
    A million members take under a minute; the request waits for it."""
    _unscoped(ctx)
    ctx.expensive(request.app.state.limiter)
    plan = parse_plan(body.plan, source="plan")
    return runs.run_commissions(ctx.driver, ctx.database, plan, body.period).to_json()


@router.get("/runs", response_model=list[RunOut])
def list_runs(ctx: Viewer) -> Any:
    """Every stored run, newest first."""
    _unscoped(ctx)
    return [r.to_json() for r in runs.list_runs(ctx.driver, ctx.database)]


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(ctx: Viewer, run_id: RunPath) -> Any:
    """One run's totals (volume, paid per component, payout ratio, plan hash, data fingerprint)."""
    _unscoped(ctx)
    return runs.get_run(ctx.driver, ctx.database, run_id).to_json()


@router.get("/runs/{run_id}/plan", response_model=dict[str, str])
def get_run_plan(ctx: Analyst, run_id: RunPath) -> Any:
    """The exact plan text a run was computed with, and its SHA-256."""
    _unscoped(ctx)
    summary, plan = runs.run_plan(ctx.driver, ctx.database, run_id)
    return {"run_id": summary.run_id, "plan_sha256": plan.sha256, "plan": plan.text}


@router.get("/runs/{run_id}/flows")
def get_flows(ctx: Viewer, run_id: RunPath) -> Any:
    """Where the money went: by component, level, rank and top-level leg, Sankey edges."""
    _unscoped(ctx)
    return runs.run_flows(ctx.driver, ctx.database, run_id)


# `/lines` and `/rank-card` first: `{id:path}` would swallow them otherwise
@router.get(
    "/runs/{run_id}/earners/{id:path}/lines",
    response_model=list[LineOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def earner_lines(
    ctx: Viewer, run_id: RunPath, id: IdPath, format: Annotated[Literal["json", "csv"], Query()] = "json"
) -> Any:
    """Every line that makes up an earner's total: source, component, level, base, rate, amount."""
    e = runs.earner(ctx.driver, ctx.database, run_id, id, lines=True, scope_id=ctx.scope)
    docs = [line.to_json() for line in e.lines or []]
    if format == "csv":
        fields = ["source", "component", "level", "base", "rate", "amount_exact"]
        return csv_response(iter([[d[f] for f in fields] for d in docs]), fields, f"lines-{run_id}.csv")
    return docs


@router.get("/runs/{run_id}/earners/{id:path}/rank-card")
def rank_card(ctx: Viewer, run_id: RunPath, id: IdPath) -> Any:
    """Each rank of the run's plan: its requirements, the distributor's values, what is missing."""
    from graph_service.compensation.card import rank_card as card

    runs.earner(ctx.driver, ctx.database, run_id, id, scope_id=ctx.scope)  # 404s first
    summary, plan = runs.run_plan(ctx.driver, ctx.database, run_id)
    return card(
        ctx.driver, ctx.database, id, plan.plan, summary.period, scope_id=ctx.scope, data_gen=summary.data_gen
    ).to_json()


@router.get("/runs/{run_id}/earners/{id:path}", response_model=EarnerOut)
def earner(ctx: Viewer, run_id: RunPath, id: IdPath) -> Any:
    """An earner's rank and money by component in a run (zeros for a distributor who earned nothing)."""
    return runs.earner(ctx.driver, ctx.database, run_id, id, scope_id=ctx.scope).to_json()


@router.post("/whatif")
def whatif(request: Request, ctx: Analyst, body: WhatIfIn) -> Any:
    """The same period under two plans (nothing stored): totals, payout ratios, winners, losers."""
    from graph_service.compensation.whatif import compare

    _unscoped(ctx)
    ctx.expensive(request.app.state.limiter)
    a = parse_plan(body.plans[0], source="plans[0]")
    b = parse_plan(body.plans[1], source="plans[1]")
    return compare(ctx.driver, ctx.database, a, b, body.period, top=body.top).doc
