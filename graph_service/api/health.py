"""Network health over HTTP (contract section 6, issue 8): the period's health figures and red
flags, and a run's income disclosure statement (JSON, CSV or a printable HTML page).

A scoped key gets the health figures of its own organisation (its distributor and their downline;
the depth of paid-out money, a company-wide figure, stays null). The disclosure statement is a
company-wide document: unscoped keys only (403 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from graph_service.analytics import health
from graph_service.api.deps import Forbidden, PeriodQ, Viewer, csv_response

router = APIRouter(tags=["health"])
RunQ = Annotated[
    str | None,
    Query(description="a commission run id: adds the money figures (period: the run's)", min_length=1,
          max_length=64),
]  # fmt: skip
RunPath = Annotated[str, Path(description="a run id", min_length=1, max_length=64)]


class TrendOut(BaseModel):
    period: str
    volume: float
    retail_volume: float
    retail_share: float
    self_share: float


class RecruitingOut(BaseModel):
    recruits: int = Field(description="distributors who joined in the period under a counted sponsor")
    sponsors: int = Field(description="distinct sponsors of those recruits")
    top_sponsors: int = Field(description="the top 1% of distributors, rounded up to whole people")
    top1_share: float = Field(description="share of the recruits brought by the top 1% of sponsors")


class CohortOut(BaseModel):
    cohort: str = Field(description="join month")
    members: int
    after_1: float | None
    after_3: float | None
    after_6: float | None
    after_12: float | None


class BunchingOut(BaseModel):
    band: float
    from_: float = Field(alias="from")
    to: float
    members: int
    share: float


class FlagOut(BaseModel):
    name: str
    rule: str
    explanation: str
    value: float | None
    threshold: float
    fired: bool
    evaluated: bool


class HealthOut(BaseModel):
    period: str
    distributors: int
    active: int
    retail_share: float
    median_pv: float
    zero_earner_share: float | None = Field(description="with a run: share who earned 0 or less")
    median_earnings: float | None
    top1_share: float | None
    gini: float | None
    run_id: str | None
    plan: str | None
    scope: str | None
    data_gen: int
    active_pv: float
    active_share: float
    volume: float
    retail_volume: float
    self_volume: float
    self_share: float
    retail_trend: list[TrendOut]
    new_distributors: int
    recruiting: RecruitingOut
    cohorts: list[CohortOut]
    bunching: BunchingOut
    mean_earnings: float | None
    total_paid: float | None
    earners: int | None
    top10_share: float | None
    earnings_percentiles: dict[str, float] | None
    paid_depth_share: float | None
    red_flags: list[FlagOut]
    score: int


class DisclosureRowOut(BaseModel):
    group: str
    rank: str | None
    members: int
    share_of_members: float
    earners: int
    share_at_zero: float
    mean: float | None
    median: float | None
    p10: float | None
    p25: float | None
    p75: float | None
    p90: float | None
    p99: float | None
    lowest: float | None
    highest: float | None
    total: float


class DisclosureOut(BaseModel):
    run_id: str
    period: str
    plan: str
    plan_sha256: str
    distributors: int
    total: float
    how_to_read: str
    rows: list[DisclosureRowOut]


@router.get("/v1/network/health", response_model=HealthOut, response_model_by_alias=True)
def network_health(ctx: Viewer, period: PeriodQ = None, run: RunQ = None) -> Any:
    """Network health of a period: the contract's figures (distributors, active, retail share,
    median PV; with a run: share earning nothing, median earnings, top 1% share, Gini), the
    extras (retail trend, self-bought share, recruiting concentration, cohort retention, threshold
    bunching, earnings percentiles, depth of paid-out money) and red flags with a score. A run
    with another period than `period`: 422. A scoped key: over its own organisation."""
    report = health.period_health(ctx.driver, ctx.database, period, run, ctx.scope)
    return report.to_json()


@router.get(
    "/v1/commissions/runs/{run_id}/disclosure",
    response_model=DisclosureOut,
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def run_disclosure(
    ctx: Viewer,
    run_id: RunPath,
    format: Annotated[
        Literal["json", "csv", "html"], Query(description="json, csv or a printable page")
    ] = "json",
) -> Any:
    """The run's income disclosure statement: earnings percentiles, mean, median, share at zero
    and head-count by rank and overall (unscoped keys only)."""
    if ctx.scope is not None:
        raise Forbidden("a key limited to one downline cannot read company-wide disclosure statements")
    statement = health.disclosure(ctx.driver, ctx.database, run_id)
    if format == "csv":
        return csv_response(iter(statement.table()), health.DISCLOSURE_COLUMNS, f"disclosure-{run_id}.csv")
    if format == "html":
        return HTMLResponse(statement.html())
    return statement.to_json()
