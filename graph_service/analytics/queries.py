"""Named analyst queries: a catalogue of `.cypher` files under cypher/queries/, each declaring
itself in its header, run with checked parameters and the service's own (system) parameters.

A header, one `//` line per entry (a line starting `//` and two spaces continues the entry above):

    // Query: inactive_legs                       the file's own name
    // Title: Inactive legs
    // Description: Frontline legs of a distributor with no active member in the period.
    // Param: id id required  -- the distributor
    // Param: period period optional  -- YYYY-MM, default the latest period with orders
    // Param: limit int optional 100 1..10000  -- rows at most
    // Parameters (system, set by the service): $gen, $k, $i, ...

`Param: NAME TYPE required|optional [DEFAULT] [MIN..MAX] -- DESCRIPTION`, TYPE one of PARAM_TYPES.
An `id` must name a distributor who exists (and lies inside the caller's scope); a `period`
parameter named `period` sets the query's $period (default: the latest period with orders).

System parameters (SYSTEM_PARAMS), set by the service, never by the caller:
  $gen            the published generation: every distributor matched has `gen <= $gen`
  $k              property names of the live rollup slot ({"gv": "r0_gv", "pre": "r0_pre", ...})
  $period, $i     the period and its index in the rollup's periods (-1: no orders that month)
  $periods        the rollup's periods (months with orders, ascending)
  $active         the active threshold in ten-thousandths of PV (default 100 PV = 1_000_000)
  $rollup_active  the threshold the live rollup counted active downlines with (`act`)
  $scope_lo, $scope_hi  the caller's scope: their distributor's [pre, pre + size] in the live
                  slot, or null for the whole network. Every query keeps every distributor it
                  returns inside it: `$scope_lo IS NULL OR (d[$k.pre] >= $scope_lo AND ...)`.

Volumes in results are PV as floats, converted in the query: `toFloat(x) / 10000.0` of the exact
integer ten-thousandths, which is the double nearest the exact decimal (as fixedpoint.to_float).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import neo4j
import pandas as pd
from neo4j import Driver, Query

from graph_service.analytics.model import PERIOD
from graph_service.analytics.service import DEFAULT_ACTIVE_PV, Published, published, scope_of
from graph_service.db.queries import cypher, names
from graph_service.errors import BadRequest, NotFound
from graph_service.fixedpoint import SCALE

FOLDER = "queries"
PARAM_TYPES = ("string", "id", "int", "float", "bool", "period")
SYSTEM_PARAMS = frozenset(
    {"gen", "k", "i", "period", "periods", "active", "rollup_active", "scope_lo", "scope_hi"}
)
TIMEOUT_S = 120.0
MAX_STRING = 10_000
MAX_ID = 64
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ENTRY = re.compile(r"^//\s?([A-Z][A-Za-z]*)(?:\s*\([^)]*\))?:\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*)\s+(?P<type>[a-z]+)\s+(?P<req>required|optional)"
    r"(?P<rest>(?:\s+\S+)*?)\s+--\s+(?P<desc>\S.*)$"
)
_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)?\.\.(-?\d+(?:\.\d+)?)?$")
_INT = re.compile(r"^[+-]?\d+$")


class CatalogueError(ValueError):
    """A file under cypher/queries/ whose header does not declare it properly (a bug, not input)."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str  # one of PARAM_TYPES
    required: bool
    default: Any  # of the parameter's type; None: none (a period: the latest with orders)
    description: str
    minimum: float | None = None  # int and float only, inclusive
    maximum: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "description": self.description,
            "minimum": self.minimum,
            "maximum": self.maximum,
        }


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    params: list[QueryParam]
    text: str = field(repr=False)  # the Cypher, header included

    def param(self, name: str) -> QueryParam | None:
        return next((p for p in self.params if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "params": [p.to_json() for p in self.params],
        }


# -- the catalogue ----------------------------------------------------------------------------


def parse(text: str, name: str) -> NamedQuery:
    """The declaration in a query file's header; CatalogueError when it is incomplete or wrong."""
    entries: list[tuple[str, str]] = []
    continues = False  # whether an indented line continues the last entry
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            if stripped:
                break  # the header ends at the first line of Cypher
            continue
        match = _ENTRY.match(stripped)
        if match:
            entries.append((match[1], match[2].strip()))
            continues = True
        elif continues and stripped.startswith("//  ") and stripped[2:].strip():
            key, value = entries[-1]
            entries[-1] = (key, f"{value} {stripped[2:].strip()}".strip())
        else:
            continues = False  # free text (Returns ..., Index ...) and its own continuation lines

    def one(key: str) -> str:
        values = [v for k, v in entries if k == key]
        if len(values) != 1 or not values[0]:
            raise CatalogueError(f"{name}: the header needs exactly one non-empty '// {key}:' line")
        return values[0]

    declared = one("Query")
    if declared != name:
        raise CatalogueError(f"{name}: the header says '// Query: {declared}' (must be the file's name)")
    if not _NAME.match(name):
        raise CatalogueError(f"{name}: query names are lower-case words joined by '_'")
    params: list[QueryParam] = []
    for key, value in entries:
        if key == "Param":
            param = _parse_param(value, name)
            if any(p.name == param.name for p in params):
                raise CatalogueError(f"{name}: parameter {param.name!r} is declared twice")
            params.append(param)
    if not any(k == "Parameters" for k, _ in entries):
        raise CatalogueError(f"{name}: the header needs a '// Parameters (system ...): ...' line")
    return NamedQuery(name=name, title=one("Title"), description=one("Description"), params=params, text=text)


def _parse_param(spec: str, query: str) -> QueryParam:
    match = _PARAM.match(spec)
    if match is None:
        raise CatalogueError(
            f"{query}: cannot read 'Param: {spec}' (NAME TYPE required|optional [DEFAULT] [MIN..MAX] -- TEXT)"
        )
    name, kind, required = match["name"], match["type"], match["req"] == "required"
    where = f"{query}: parameter {name!r}"
    if kind not in PARAM_TYPES:
        raise CatalogueError(f"{where} has unknown type {kind!r} (one of {', '.join(PARAM_TYPES)})")
    if name in SYSTEM_PARAMS and not (name == "period" and kind == "period"):
        raise CatalogueError(f"{where} is a system parameter set by the service")
    default_text: str | None = None
    minimum = maximum = None
    for token in match["rest"].split():
        bounds = _RANGE.match(token)
        if bounds and kind in ("int", "float"):
            minimum = float(bounds[1]) if bounds[1] is not None else None
            maximum = float(bounds[2]) if bounds[2] is not None else None
        elif default_text is None:
            default_text = token
        else:
            raise CatalogueError(f"{where}: unexpected {token!r} before '--'")
    probe = QueryParam(name, kind, required, None, match["desc"].strip(), minimum, maximum)
    default = None
    if default_text is not None:
        if required:
            raise CatalogueError(f"{where} is required and cannot have a default")
        try:
            default = _coerce(probe, default_text)
        except BadRequest as exc:
            raise CatalogueError(f"{query}: bad default: {exc.message}") from None
    return QueryParam(name, kind, required, default, probe.description, minimum, maximum)


@cache
def _catalogue() -> dict[str, NamedQuery]:
    found = (path.removeprefix(f"{FOLDER}/") for path in names(FOLDER))
    return {name: parse(cypher(f"{FOLDER}/{name}"), name) for name in found}


def catalogue() -> list[NamedQuery]:
    """Every named query, by name."""
    return list(_catalogue().values())


def find(name: str) -> NamedQuery:
    query = _catalogue().get(name) if isinstance(name, str) else None
    if query is None:
        raise NotFound(f"no named query {name!r}; see the catalogue for the names")
    return query


# -- parameters -------------------------------------------------------------------------------


def _coerce(param: QueryParam, value: Any) -> Any:
    """A caller's value as the parameter's type (numbers and booleans may come as text, e.g. from
    a command line or a query string), or a BadRequest naming the parameter."""
    where = f"parameter {param.name!r}"
    kind = param.type
    if kind in ("string", "id"):
        if not isinstance(value, str):
            raise BadRequest(f"{where} must be a string")
        limit = MAX_ID if kind == "id" else MAX_STRING
        if kind == "id" and not value:
            raise BadRequest(f"{where} must not be empty")
        if len(value) > limit:
            raise BadRequest(f"{where} is longer than {limit} characters")
        return value
    if kind == "period":
        if not isinstance(value, str) or PERIOD.match(value) is None:
            raise BadRequest(f"{where}: {value!r} is not a month in the form YYYY-MM (e.g. 2026-10)")
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise BadRequest(f"{where} must be true or false")
    number: int | float
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INT.match(value.strip()):
            number = int(value.strip())
        else:
            raise BadRequest(f"{where} must be a whole number")
    else:  # float
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(Decimal(value.strip()))
            except ArithmeticError:
                raise BadRequest(f"{where} must be a number") from None
        else:
            raise BadRequest(f"{where} must be a number")
        if not math.isfinite(number):
            raise BadRequest(f"{where} must be a finite number")
    if param.minimum is not None and number < param.minimum:
        raise BadRequest(f"{where} must be at least {param.minimum:g}")
    if param.maximum is not None and number > param.maximum:
        raise BadRequest(f"{where} must be at most {param.maximum:g}")
    return number


def bind(query: NamedQuery, params: dict[str, Any] | None) -> dict[str, Any]:
    """The caller's parameters checked against the declaration, defaults filled in."""
    given = dict(params or {})
    unknown = sorted(set(given) - {p.name for p in query.params}, key=str)
    if unknown:
        declared = ", ".join(p.name for p in query.params) or "none"
        raise BadRequest(f"unknown parameter {unknown[0]!r} for {query.name} (declared: {declared})")
    values: dict[str, Any] = {}
    for param in query.params:
        value = given.get(param.name)
        if value is None:
            if param.required:
                raise BadRequest(f"parameter {param.name!r} is required ({param.description})")
            values[param.name] = param.default
        else:
            values[param.name] = _coerce(param, value)
    return values


# -- running ----------------------------------------------------------------------------------


def _scaled(active_pv: Decimal | None) -> int:
    threshold = DEFAULT_ACTIVE_PV if active_pv is None else Decimal(active_pv)
    return int(threshold * SCALE)


def _exists(driver: Driver, database: str, pub: Published, distributor_id: str) -> None:
    """NotFound for an id nobody has (in the live rollup)."""
    records, _, _ = driver.execute_query(
        cypher("analytics/member"),
        {"id": distributor_id, "gen": pub.gen, "k": pub.keys, "i": -1},
        database_=database,
        routing_="r",
    )
    if not records or records[0]["pre"] is None:
        raise NotFound(f"no distributor with id {distributor_id!r}")


def run_named(
    driver: Driver,
    database: str,
    name: str,
    params: dict[str, Any],
    *,
    scope_id: str | None = None,
    active_pv: Decimal | None = None,
) -> pd.DataFrame:
    """Run a named query of the catalogue.

    NotFound for an unknown query name, an `id` parameter naming nobody, or (with `scope_id`)
    someone outside the scope, exactly as if they did not exist; BadRequest naming the parameter
    for a missing, unknown, mistyped or out-of-range one. With `scope_id` the rows hold only
    `scope_id` and their downline. `active_pv` is the active threshold (default 100 PV).
    """
    query = find(name)
    values = bind(query, params)
    pub = published(driver, database)
    if pub.slot is None and pub.gen > 0:
        raise NotFound("the network has not been rolled up yet: run `downline rollup`")
    scope = scope_of(driver, database, scope_id, pub)
    for param in query.params:
        if param.type == "id" and values[param.name] is not None:
            if scope is None:
                _exists(driver, database, pub, values[param.name])
            else:  # inside the scope, or NotFound exactly as for an unknown id
                scope_of(driver, database, scope_id, pub, target=values[param.name])
    period = values.get("period") if query.param("period") is not None else None
    period = period or pub.latest()
    system: dict[str, Any] = {
        "gen": pub.gen,
        "k": pub.keys,
        "period": period,
        "i": pub.index(period),
        "periods": pub.periods,
        "active": _scaled(active_pv),
        "rollup_active": pub.active,
        "scope_lo": None if scope is None else scope.lo,
        "scope_hi": None if scope is None else scope.hi,
    }
    frame: pd.DataFrame = driver.execute_query(
        Query(query.text, timeout=TIMEOUT_S),
        {**values, **system},
        database_=database,
        routing_="r",
        result_transformer_=neo4j.Result.to_df,
    )
    return frame
