"""What the API's routers share: authentication by key, roles, rate limiting, errors, CSV.

Routers in other modules (`graph_service.api.commissions`, ...) depend on `Viewer`, `Analyst` and
`Admin` from here, so every route needs a key the same way.
"""

from __future__ import annotations

import csv
import io
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from neo4j import Driver

from graph_service.api import keys as keystore
from graph_service.api.models import ErrorBody
from graph_service.config import Settings
from graph_service.errors import DownlineError

PeriodQ = Annotated[
    str | None,
    Query(description="month YYYY-MM (default: the latest with orders)", pattern=r"^\d{4}-\d{2}$"),
]
# `{id:path}`: ids may hold any character but controls, "/" included (sent percent-encoded)
IdPath = Annotated[str, Path(description="distributor id (percent-encoded)", min_length=1, max_length=64)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or invalid key"},
    403: {"model": ErrorBody, "description": "the key's role may not do this"},
    404: {"model": ErrorBody, "description": "unknown (or outside the key's scope)"},
    422: {"model": ErrorBody, "description": "malformed input"},
    429: {
        "model": ErrorBody,
        "description": "too many expensive requests by this key; retry after Retry-After",
    },
    503: {"model": ErrorBody, "description": "Neo4j is unavailable; retry after Retry-After seconds"},
}


class Unauthorized(DownlineError):
    http_status = 401
    code = "unauthorized"


class Forbidden(DownlineError):
    http_status = 403
    code = "forbidden"


class TooManyRequests(DownlineError):
    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}


class RateLimiter:
    """A token bucket per key for expensive requests (ad hoc Cypher, named queries, CSV exports):
    `per_minute` of them, refilled evenly. Kept in each worker: with N workers a key gets up to N
    times the rate; enough to stop a runaway client, not an accounting device."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> float:
        """0 when the request may go on, else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic()
        rate = self.per_minute / 60
        with self._lock:
            tokens, at = self._buckets.get(key_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[key_id] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[key_id] = (tokens - 1, now)
            return 0.0


bearer = HTTPBearer(auto_error=False, description="an API key from `downline keys create`")


class Context:
    """What a route gets: the driver, the database and the caller's key."""

    def __init__(self, driver: Driver, settings: Settings, key: keystore.ApiKey) -> None:
        self.driver, self.settings, self.key = driver, settings, key
        self.database = settings.neo4j_database

    @property
    def scope(self) -> str | None:
        return self.key.scope

    @property
    def sees_names(self) -> bool:
        """Whether this key's role sees distributors' names (DOWNLINE_NAMES_ROLE)."""
        return self.key.allows(self.settings.names_role)

    def expensive(self, limiter: RateLimiter) -> None:
        wait = limiter.take(self.key.id)
        if wait > 0:
            raise TooManyRequests(
                f"this key made more than {limiter.per_minute} expensive requests in a minute; retry later",
                wait,
            )


def _context(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Context:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an API key as `Authorization: Bearer KEY`")
    request.app.state.breaker.check()  # Neo4j known to be down: 503 now, not after timeouts
    driver: Driver = request.app.state.driver
    settings: Settings = request.app.state.settings
    key = keystore.verify(driver, settings.neo4j_database, credentials.credentials)
    if key is None:
        raise Unauthorized("the API key is not valid (unknown or revoked)")
    return Context(driver, settings, key)


def role(needed: keystore.Role) -> Callable[..., Context]:
    def check(ctx: Annotated[Context, Depends(_context)]) -> Context:
        if not ctx.key.allows(needed):
            raise Forbidden(f"this needs the {needed} role (the key is {ctx.key.role})")
        return ctx

    return check


Viewer = Annotated[Context, Depends(role("viewer"))]
Analyst = Annotated[Context, Depends(role("analyst"))]
Admin = Annotated[Context, Depends(role("admin"))]


def csv_response(rows: Iterator[list[Any]], header: list[str], filename: str) -> StreamingResponse:
    def lines() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            if buf.tell() > 64_000:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def plain(value: Any) -> Any:
    """A JSON-safe cell: numpy scalars to Python, NaN to null, dates to ISO text."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
