"""Response and request bodies of the HTTP API (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    error: str = Field(description="a stable code: not_found, bad_request, unauthorized, ...")
    message: str


class LegOut(BaseModel):
    id: str
    gv: float
    size: int = Field(description="the frontline member and their downline")
    share: float


class StatsOut(BaseModel):
    id: str
    period: str
    pv: float
    gv: float
    frontline: int
    downline_size: int
    active_downline: int
    max_depth: int
    mean_depth: float
    levels: list[int]
    legs: list[LegOut]
    strongest_leg_share: float
    name: str | None = None
    sponsor_id: str | None = None
    depth: int = 0
    active: bool = False


class MemberOut(BaseModel):
    id: str
    name: str | None
    sponsor_id: str | None
    level: int
    depth: int
    pv: float
    gv: float
    downline_size: int
    active: bool
    joined_on: str | None = None
    country: str | None = None


class PageOut(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None
    total: int


class SearchHit(BaseModel):
    id: str
    name: str | None
    sponsor_id: str | None
    depth: int
    downline_size: int


class PeriodTotalsOut(BaseModel):
    period: str
    volume: float
    retail_volume: float
    retail_share: float
    orders: int
    active: int
    new_distributors: int


class FrontlineBin(BaseModel):
    frontline: int
    distributors: int


class BalanceBin(BaseModel):
    from_: float = Field(alias="from")
    to: float
    distributors: int


class RankedOut(BaseModel):
    id: str
    name: str | None
    gv: float
    pv: float
    downline_size: int


class GrowthOut(BaseModel):
    month: str
    new_distributors: int


class NetworkOut(BaseModel):
    period: str
    active_pv: float
    distributors: int
    roots: int
    max_depth: int
    mean_depth: float
    volume: float
    retail_volume: float
    retail_share: float
    orders: int
    active: int
    new_distributors: int
    history: list[PeriodTotalsOut]
    depth_histogram: list[int]
    frontline_histogram: list[FrontlineBin]
    leg_balance: list[BalanceBin]
    top: list[RankedOut]
    growth: list[GrowthOut]


class KeyIn(BaseModel):
    role: Literal["viewer", "analyst", "admin"]
    scope: str | None = Field(default=None, min_length=1, max_length=64, description="a distributor id")
    name: str | None = Field(default=None, max_length=200)


class KeyOut(BaseModel):
    id: str
    role: str
    scope: str | None
    name: str | None
    created: str | None
    revoked: str | None


class KeyCreated(KeyOut):
    key: str = Field(description="the key itself: shown once, stored hashed")


class QueryParamOut(BaseModel):
    name: str
    type: str
    required: bool
    default: Any = None
    description: str | None = None
    minimum: float | None = None
    maximum: float | None = None


class QueryOut(BaseModel):
    name: str
    title: str
    description: str
    params: list[QueryParamOut]


class QueryIn(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict, description="the query's parameters by name")


class CypherIn(BaseModel):
    query: str = Field(min_length=1, max_length=20_000, description="one read-only Cypher statement")
    params: dict[str, Any] = Field(default_factory=dict, description="query parameters ($name)")


class TableOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    elapsed_ms: float | None = None


class PlacementSide(BaseModel):
    id: str | None = Field(description="the child placed on this side (null: the slot is free)")
    volume: float = Field(description="PV in the period of the placement subtree under this side")
    members: int


class PlacementOut(BaseModel):
    id: str
    period: str
    parent: str | None
    side: str | None = Field(description="the side of its parent the distributor is placed on")
    left: PlacementSide
    right: PlacementSide


class MatrixOut(BaseModel):
    id: str
    parent: str | None = Field(
        description="the matrix parent; null for a matrix root (or a parent outside the key's scope)"
    )
    children: list[str] = Field(description="members directly under, in the order they were placed")
    level: int = Field(description="links up to the matrix root (0 for a root)")
    width: int = Field(description="the matrix width the network was placed with")
    open_direct: int = Field(description="free positions directly under the distributor")
    open_positions: int = Field(
        description="free positions within `open_levels` levels below: width^k on level k, less those taken"
    )
    open_levels: int
